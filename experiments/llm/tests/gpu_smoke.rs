//! GPU checks of issue 13, run by `scripts/gpu-smoke.sh` on a machine with a CUDA GPU (ignored
//! otherwise; build with `--features cuda`): the NF4 dequantisation on the GPU gives the same bits as
//! on the CPU (the same candle operations), the NF4 small model's next-token distributions on the
//! GPU match the CPU's, and DistilBERT scores a batch of 4 texts on the GPU as on the CPU.
//! Device: `GOODHART_GPU_DEVICE` (default `cuda:0`).

use goodhart_llm::candle_core::{DType, Device, Tensor};
use goodhart_llm::mixtral::CausalLm;
use goodhart_llm::quant::{BaseQuantization, Nf4Host, Nf4Weight};

fn gpu() -> Device {
    let name = std::env::var("GOODHART_GPU_DEVICE").unwrap_or_else(|_| "cuda:0".into());
    goodhart_llm::device::open_device("GOODHART_GPU_DEVICE", &name).unwrap()
}

#[test]
#[ignore]
fn nf4_small_model_and_reward_batch_on_the_gpu() {
    let dev = gpu();
    assert!(dev.is_cuda(), "not a CUDA device");
    // (1) NF4 dequantisation: bit-identical on the GPU and on the CPU, f32 and bf16.
    let n = 256 * 512;
    let w: Vec<f32> = (0..n)
        .map(|k| (((k * 2_654_435_761usize) % 20_001) as f32 - 10_000.0) * 1e-5)
        .collect();
    let q = Nf4Host::quantize(&w);
    for dtype in [DType::F32, DType::BF16] {
        let on = |d: &Device| -> Vec<f32> {
            Nf4Weight::from_host(&q, (256, 512), d)
                .unwrap()
                .dequantize(dtype)
                .unwrap()
                .to_dtype(DType::F32)
                .unwrap()
                .to_device(&Device::Cpu)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        let (c, g) = (on(&Device::Cpu), on(&dev));
        assert!(
            c.iter().zip(&g).all(|(a, b)| a.to_bits() == b.to_bits()),
            "{dtype:?}: GPU and CPU dequantisation differ"
        );
    }
    // (2) The NF4 tiny model: the same next-token distributions on both devices.
    let dir = tempfile::tempdir().unwrap();
    let tiny = goodhart_llm::tiny::make_tiny(dir.path(), 3).unwrap();
    let load = |d: &Device| {
        goodhart_llm::load::mixtral_quantized(&tiny.mixtral, DType::F32, BaseQuantization::Nf4, d)
            .unwrap()
            .0
    };
    let (cpu_lm, gpu_lm) = (load(&Device::Cpu), load(&dev));
    let ids: Vec<u32> = (0..4 * 32).map(|k| (k * 7 % 200 + 5) as u32).collect();
    let logits = |m: &goodhart_llm::mixtral::Mixtral, d: &Device| -> Vec<f32> {
        let t = Tensor::from_vec(ids.clone(), (4, 32), d).unwrap();
        let mut cache = m.new_cache();
        m.forward(&t, &mut cache, 0)
            .unwrap()
            .logits
            .to_device(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    };
    let (a, b) = (logits(&cpu_lm, &Device::Cpu), logits(&gpu_lm, &dev));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    println!("NF4 tiny model, max |logit(cpu) - logit(gpu)| = {worst:e}");
    assert!(worst < 1e-3, "{worst}");
    // (3) DistilBERT: a batch of 4 texts scored on the GPU as on the CPU.
    let texts = ["I love this, thank you!", "This is terrible.", "ok", ""];
    let score = |d: &Device| -> Vec<f64> {
        let (m, tok) = goodhart_llm::load::distilbert(&tiny.distilbert, DType::F32, d).unwrap();
        m.score_texts(&tok, &texts)
            .unwrap()
            .iter()
            .map(|s| s.p_positive)
            .collect()
    };
    let (c, g) = (score(&Device::Cpu), score(&dev));
    println!("DistilBERT batch of 4: cpu {c:?}, gpu {g:?}");
    assert!(c.iter().zip(&g).all(|(x, y)| (x - y).abs() < 1e-4));
}
