//! The plan's items against closed forms, its fit decisions and errors, and the figures for
//! Mixtral-8x7B the README quotes (printed with `--nocapture`).

use super::*;

/// `mistralai/Mixtral-8x7B-v0.1` config.json as published on the Hugging Face Hub.
const MIXTRAL_8X7B_CONFIG: &str = r#"{
  "architectures": ["MixtralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2,
  "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336,
  "max_position_embeddings": 32768, "model_type": "mixtral", "num_attention_heads": 32,
  "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8, "num_local_experts": 8,
  "rms_norm_eps": 1e-05, "rope_theta": 1000000.0, "sliding_window": null, "tie_word_embeddings": false,
  "torch_dtype": "bfloat16", "vocab_size": 32000
}"#;

fn mixtral_models() -> Models {
    Models {
        base: serde_json::from_str(MIXTRAL_8X7B_CONFIG).unwrap(),
        // distilbert-base-uncased-finetuned-sst-2-english has HF's default DistilBERT shape.
        reward: serde_json::from_str("{}").unwrap(),
        prompt_tokens: Some(60),
    }
}

fn gpu_config(file: &str) -> ExperimentConfig {
    let path = format!("{}/../configs/{file}", env!("CARGO_MANIFEST_DIR"));
    ExperimentConfig::from_toml_file(std::path::Path::new(&path)).unwrap()
}

fn item<'a>(p: &'a Plan, dev: &str, starts: &str) -> &'a PlanItem {
    p.devices
        .iter()
        .find(|d| d.name == dev)
        .unwrap_or_else(|| panic!("no device {dev}"))
        .items
        .iter()
        .find(|i| i.what.starts_with(starts))
        .unwrap_or_else(|| panic!("no item {starts} on {dev}"))
}

#[test]
fn mixtral_items_match_closed_forms() {
    let m = mixtral_models();
    let cfg = gpu_config("gpu-mixtral.toml");
    assert_eq!(cfg.base_quantization, BaseQuantization::Nf4);
    let p = plan(&cfg, &m, "cpu", &Memory::Card("a100-80gb".into())).unwrap();
    let base = cfg.base_device.clone().unwrap();
    // 46 702 792 704 parameters (HF's count) less embedding, lm_head (32 000 x 4096 each) and
    // the 65 norms of 4096: the decoder's linear weights; every layer's count is a multiple of
    // 64 x 256, so NF4 takes exactly 1/2 + 1/64 + 4/16384 bytes per weight, plus the two small
    // tables of each of the 32 x 29 layers.
    let linear: u64 = 46_702_792_704 - 2 * 32_000 * 4096 - 65 * 4096;
    let want = linear / 2 + linear / 64 + linear / 4096 + 32 * 29 * 3072;
    assert_eq!(item(&p, &base, "base weights: decoder").bytes(), want);
    // KV cache: 64 chats x 256 positions x 32 layers x 8 heads x 128 x 2 (K and V) x 4 bytes (the
    // cache is f32) = 2^32 bytes = 4 GiB.
    assert_eq!(item(&p, &base, "KV cache").bytes(), 1 << 32);
    // Actor (12 290 -> 32 001, with bias) and critic (12 290 -> 128 -> 128 -> 1), f32.
    let agent = cfg.agent_device.clone().unwrap();
    let params = 12_290 * 32_001 + 32_001 + 12_290 * 128 + 128 + 128 * 128 + 128 + 128 + 1;
    assert_eq!(item(&p, &agent, "actor + critic").bytes(), params * 4);
    assert_eq!(item(&p, &agent, "Adam moments").bytes(), params * 8);
    // The reward model: HF's 66 955 010 parameters of distilbert-sst2, in bf16 on a GPU.
    assert_eq!(
        item(&p, &base, "reward model weights").bytes(),
        66_955_010 * 2
    );
    assert!(p.fits, "{}", p.render());
    // bf16 on one card: 2 bytes per linear weight; on the CPU everything is f32.
    let h200 = gpu_config("gpu-mixtral-h200.toml");
    let p = plan(&h200, &m, "cpu", &Memory::Card("h200-141gb".into())).unwrap();
    assert_eq!(p.devices.len(), 2, "cuda:0 and the host");
    assert_eq!(
        item(&p, "cuda:0", "base weights: decoder").bytes(),
        2 * linear
    );
}

#[test]
fn the_paper_on_gpus_people_have() {
    let m = mixtral_models();
    let nf4 = gpu_config("gpu-mixtral.toml");
    let bf16 = gpu_config("gpu-mixtral-h200.toml");
    // The authors' split (NF4 base on one card, agent on the other) fits two 80 GB cards.
    let two = plan(&nf4, &m, "cpu", &Memory::Card("a100-80gb".into())).unwrap();
    println!("authors' split, 2 x a100-80gb:\n{}", two.render());
    assert!(two.fits);
    // Everything on one H100-80GB in NF4, and on one H200 in bf16.
    let mut one = nf4.clone();
    one.base_device = Some("cuda:0".into());
    one.agent_device = Some("cuda:0".into());
    let h100 = plan(&one, &m, "cpu", &Memory::Card("h100-80gb".into())).unwrap();
    println!("NF4, one h100-80gb:\n{}", h100.render());
    let h200 = plan(&bf16, &m, "cpu", &Memory::Card("h200-141gb".into())).unwrap();
    println!("bf16, one h200-141gb:\n{}", h200.render());
    assert!(h200.fits, "{}", h200.render());
    // bf16 on one 80 GB card cannot hold the 87 GiB of weights: refused, naming them.
    let no = plan(&bf16, &m, "cpu", &Memory::Card("h100-80gb".into())).unwrap();
    assert!(!no.fits);
    let err = no.require_fit("memory plan").unwrap_err().to_string();
    assert!(
        err.contains("cuda:0")
            && err.contains("largest item: base weights: decoder linear layers (bf16)"),
        "{err}"
    );
    assert!(!err.contains('\n'));
}

#[test]
fn bad_devices_and_cards_are_one_line_errors() {
    let m = mixtral_models();
    let mut cfg = gpu_config("gpu-mixtral.toml");
    let err = plan(&cfg, &m, "cpu", &Memory::Card("h100-90gb".into())).unwrap_err();
    assert!(err.to_string().contains("h100-90gb"), "{err}");
    cfg.base_device = Some("tpu:0".into());
    let err = plan(&cfg, &m, "cpu", &Memory::Card("h100-80gb".into())).unwrap_err();
    assert!(err.to_string().contains("base_device = tpu:0"), "{err}");
    // A CUDA device that this machine does not have (no nvidia-smi here, or fewer GPUs).
    cfg.base_device = Some("cuda:17".into());
    cfg.agent_device = Some("cuda:17".into());
    let err = plan(&cfg, &m, "cpu", &Memory::Present)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cuda:17 is absent"), "{err}");
    // The TOML refuses names that do not parse and quantisations that do not exist.
    let text = std::fs::read_to_string(format!(
        "{}/../configs/gpu-mixtral.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let bad = text.replace("base_quantization = \"nf4\"", "base_quantization = \"nf5\"");
    let err = ExperimentConfig::from_toml(&bad, "x.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("nf5") && err.starts_with("x.toml"), "{err}");
    let bad = text.replace("agent_device = \"cuda:0\"", "agent_device = \"gpu0\"");
    let err = ExperimentConfig::from_toml(&bad, "x.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("agent_device = gpu0"), "{err}");
}

#[test]
fn cpu_stand_ins_share_the_host_memory() {
    let m = mixtral_models();
    let mut cfg = gpu_config("gpu-mixtral.toml");
    cfg.base_device = Some("cpu".into());
    cfg.agent_device = Some("cpu:1".into());
    let used = |p: &Plan| p.devices.iter().map(|d| d.used_bytes()).sum::<u64>();
    let p = plan(
        &cfg,
        &m,
        "cpu",
        &Memory::Given(
            [
                ("cpu".to_string(), 1u64 << 40),
                ("cpu:1".to_string(), 1 << 40),
            ]
            .into(),
        ),
    )
    .unwrap();
    assert!(p.fits);
    // Each stand-in alone could hold its part, together they exceed the RAM: refused.
    let each = p.devices.iter().map(|d| d.used_bytes()).max().unwrap();
    assert!(used(&p) > each);
    let p = plan(
        &cfg,
        &m,
        "cpu",
        &Memory::Given([("cpu".to_string(), each), ("cpu:1".to_string(), each)].into()),
    )
    .unwrap();
    assert!(p
        .devices
        .iter()
        .all(|d| (d.used_bytes() as f64) <= d.total_gib * GIB));
    assert!(!p.fits);
}
