//! Weight quantisation of the frozen base model: bitsandbytes' NF4 with double quantisation (what
//! Cohen et al. 2024 loaded Mixtral-8x7B in, spec `cohen2024.md` §3.2) and, optionally, GGML's
//! `q8_0` through candle's quantized module.
//!
//! **NF4 as bitsandbytes does it** (`bitsandbytes.functional.quantize_4bit(A, blocksize=64,
//! compress_statistics=True, quant_type="nf4")`, what transformers calls for
//! `BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True)`;
//! transcribed from bitsandbytes 0.50.2's CPU kernels and checked bit for bit against the library
//! in `tests/vectors/nf4_reference.json`, made by `tests/vectors/make_nf4_vectors.py`):
//!
//! 1. the weight, flattened row-major, is cut into blocks of 64 (the last one may be shorter);
//!    `absmax_b = max |w|` over the block, in float32;
//! 2. each value is scaled by the float32 reciprocal, `s = clamp(w · (1/absmax_b), −1, 1)`, and
//!    coded as the index of the nearest of the 16 NF4 levels ([`NF4_CODE`], bitsandbytes'
//!    `get_4bit_type("nf4")`), the first index on a tie (torch's `argmin`); a block of zeros is coded
//!    as the level 0.0, as bitsandbytes' CPU path returns it (its CUDA kernel gives code 0 there, which
//!    dequantises to the same 0);
//! 3. two codes per byte, the even element in the high nibble; an odd count is padded with the code
//!    of 0.0 (index 7);
//! 4. double quantisation: `offset = mean(absmax)`, and `absmax − offset` is itself quantised with
//!    the same blockwise rule, blocks of 256, to the 8-bit signed dynamic map ([`dynamic_map`],
//!    bitsandbytes' `create_dynamic_map()`), keeping one float32 `absmax2` per 256 blocks.
//!
//! Dequantisation: `absmax_b = dyn[qabsmax_b] · absmax2_{b/256} + offset`, then
//! `w = NF4[code] · absmax_b` in float32, rounded once to the compute dtype (bf16 on a GPU, as the
//! authors' `bnb_4bit_compute_dtype=bfloat16`; f32 on the CPU). That is bitsandbytes' CUDA kernel
//! `kDequantizeBlockwise` (float code times float absmax, then one conversion); its CPU bf16 kernel
//! agrees on the reference vectors (tested).
//!
//! Quantisation runs once at load on the host ([`Nf4Weight::quantize`], threads over blocks);
//! dequantisation runs in the forward pass from candle operations that exist on the CPU and on
//! CUDA (u8 → u32 conversion, `index_select`, broadcast multiply, affine, dtype conversion), so the code
//! path the GPU runs is the one the CPU tests run. Only the packed codes, the 8-bit absmax codes
//! and the per-256 float32 scales stay resident: 0.5 + 1/64 + 4/16384 bytes per weight.
//!
//! Which layers: every linear layer of the decoder (attention projections, the MoE router `gate`,
//! the experts' `w1`/`w2`/`w3`), as transformers' `replace_with_bnb_linear` does; the embedding,
//! the norms and `lm_head` stay in the unquantised dtype (transformers keeps the output layer out).
//!
//! Known differences from bitsandbytes, each below the resolution of the reference vectors:
//! `offset` is the float64 mean rounded to float32 (torch sums float32 in a cascade, CUDA in its
//! own order: all agree to within an ulp, and the codes agree exactly on the vectors); the CUDA
//! quantisation kernels pick the nearest level with midpoint thresholds instead of an argmin,
//! which can differ only for a value exactly halfway between two levels.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

use crate::{LlmError, Result};

/// How the base model's linear layers are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BaseQuantization {
    /// The weights' dtype as loaded (bf16/f16 on an accelerator, f32 on the CPU).
    #[default]
    #[serde(rename = "none")]
    None,
    /// bitsandbytes NF4, blocks of 64, absmax double-quantised to 8 bits in blocks of 256.
    #[serde(rename = "nf4")]
    Nf4,
    /// GGML q8_0 (blocks of 32 along a row, one f16 scale each) through candle's quantized matmul.
    #[serde(rename = "q8_0")]
    Q8_0,
}

impl BaseQuantization {
    /// The name used in configs.
    pub fn name(self) -> &'static str {
        match self {
            BaseQuantization::None => "none",
            BaseQuantization::Nf4 => "nf4",
            BaseQuantization::Q8_0 => "q8_0",
        }
    }

    /// Parses a config name.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] naming the value for anything but `none`, `nf4`, `q8_0`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(BaseQuantization::None),
            "nf4" => Ok(BaseQuantization::Nf4),
            "q8_0" => Ok(BaseQuantization::Q8_0),
            _ => Err(LlmError::invalid(
                "base_quantization",
                s,
                "one of none, nf4, q8_0",
            )),
        }
    }

    /// Resident bytes of an `out × in` linear weight held this way; `dense_bytes` is the bytes per
    /// element of the unquantised dtype.
    pub fn weight_bytes(self, out_dim: usize, in_dim: usize, dense_bytes: usize) -> u64 {
        let n = (out_dim * in_dim) as u64;
        match self {
            BaseQuantization::None => n * dense_bytes as u64,
            BaseQuantization::Nf4 => {
                let blocks = n.div_ceil(NF4_BLOCK as u64);
                n.div_ceil(2) + blocks + 4 * blocks.div_ceil(ABSMAX_BLOCK as u64)
            }
            // 34 bytes per 32 weights: 32 int8 and one f16 scale.
            BaseQuantization::Q8_0 => n.div_ceil(32) * 34,
        }
    }
}

/// The 16 NF4 levels (bitsandbytes `get_4bit_type("nf4")`: normal quantiles normalised to
/// [−1, 1], with an exact zero), float32.
pub const NF4_CODE: [f32; 16] = [
    -1.0,
    -0.696_192_8,
    -0.525_073_05,
    -0.394_917_5,
    -0.284_441_38,
    -0.184_773_43,
    -0.091_050_036,
    0.0,
    0.079_580_3,
    0.160_930_2,
    0.246_112_3,
    0.337_915_24,
    0.440_709_83,
    0.562_617,
    0.722_956_84,
    1.0,
];

/// Index of 0.0 in [`NF4_CODE`] (the padding nibble).
const NF4_ZERO: u8 = 7;

/// Weights per NF4 block (bitsandbytes' and transformers' default, fixed for Linear4bit).
pub const NF4_BLOCK: usize = 64;

/// absmax values per block of the double quantisation (fixed in bitsandbytes).
pub const ABSMAX_BLOCK: usize = 256;

/// torch.linspace in float32 as torch's CPU kernel computes it: `start + step·i` for the first
/// half, `end − step·(steps−1−i)` for the rest, each with a single rounding (fused multiply-add).
fn linspace_f32(start: f32, end: f32, steps: usize) -> Vec<f32> {
    let step = (end - start) / (steps - 1) as f32;
    let half = steps / 2;
    (0..steps)
        .map(|i| {
            if i < half {
                step.mul_add(i as f32, start)
            } else {
                (-step).mul_add((steps - 1 - i) as f32, end)
            }
        })
        .collect()
}

/// bitsandbytes' 8-bit signed dynamic map `create_dynamic_map(signed=True, max_exponent_bits=7,
/// total_bits=8)`: for exponents i = 0..6, the midpoints of `linspace(0.1, 1, 2^i + 1)` times
/// `±10^(i−6)`, plus 0 and 1, sorted (256 float32 values; the same bits as the library, tested).
pub fn dynamic_map() -> [f32; 256] {
    let mut data: Vec<f32> = Vec::with_capacity(256);
    for i in 0..7 {
        let b = linspace_f32(0.1, 1.0, (1 << i) + 1);
        let scale = 10f64.powi(i - 6) as f32;
        let means: Vec<f32> = b.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
        data.extend(means.iter().map(|m| scale * m));
        data.extend(means.iter().map(|m| -scale * m));
    }
    data.push(0.0);
    data.push(1.0);
    data.sort_by(f32::total_cmp);
    let mut out = [0f32; 256];
    out.copy_from_slice(&data);
    out
}

/// Index of the level of `code` (sorted increasingly) nearest to `x`, the first on a tie (torch's
/// `argmin(|x − code|)` over float32 distances); NaN gives 0, as torch's argmin over NaNs does.
fn nearest(code: &[f32], x: f32) -> u8 {
    if x.is_nan() {
        return 0;
    }
    // The nearest level is next to the insertion point; levels further out are farther by at least
    // one gap, far more than a float32 rounding of |x − c| ≤ 2, so the window decides as argmin.
    let p = code.partition_point(|&c| c < x);
    let lo = p.saturating_sub(2);
    let hi = (p + 2).min(code.len());
    let mut best = lo;
    let mut best_d = (x - code[lo]).abs();
    for (i, &c) in code.iter().enumerate().take(hi).skip(lo + 1) {
        let d = (x - c).abs();
        if d < best_d {
            best = i;
            best_d = d;
        }
    }
    best as u8
}

/// bitsandbytes' blockwise quantisation (`quantize_blockwise` / the 4-bit kernel before packing):
/// per block of `block` values the float32 absmax, then the nearest level of `code` to
/// `clamp(x · (1/absmax), −1, 1)`. Returns one code per value and one absmax per block.
pub fn quantize_blockwise(values: &[f32], code: &[f32], block: usize) -> (Vec<u8>, Vec<f32>) {
    let mut codes = vec![0u8; values.len()];
    let mut absmax = vec![0f32; values.len().div_ceil(block)];
    let work = |vals: &[f32], out: &mut [u8], amax: &mut [f32]| {
        for ((chunk, out), a) in vals.chunks(block).zip(out.chunks_mut(block)).zip(amax) {
            let m = chunk.iter().fold(0f32, |m, x| m.max(x.abs()));
            *a = m;
            if m == 0.0 {
                // A block of zeros: the level 0.0 (bitsandbytes' CPU kernel gives the same codes).
                out.fill(nearest(code, 0.0));
                continue;
            }
            let inv = 1.0 / m;
            for (x, q) in chunk.iter().zip(out) {
                *q = nearest(code, (x * inv).clamp(-1.0, 1.0));
            }
        }
    };
    // Threads over whole blocks (Mixtral's 46.7 B weights are quantised at load).
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let blocks_per_thread = absmax.len().div_ceil(threads).max(1);
    let per = blocks_per_thread * block;
    if threads == 1 || values.len() <= per {
        work(values, &mut codes, &mut absmax);
    } else {
        let work = &work;
        std::thread::scope(|s| {
            for ((v, c), a) in values
                .chunks(per)
                .zip(codes.chunks_mut(per))
                .zip(absmax.chunks_mut(blocks_per_thread))
            {
                s.spawn(move || work(v, c, a));
            }
        });
    }
    (codes, absmax)
}

/// An NF4 weight with double-quantised absmax, on the host (what [`Nf4Weight::quantize`] makes
/// and the reference vectors hold).
#[derive(Debug, Clone, PartialEq)]
pub struct Nf4Host {
    /// Number of weights.
    pub n: usize,
    /// Two 4-bit codes per byte, the even element in the high nibble; `ceil(n/2)` bytes.
    pub packed: Vec<u8>,
    /// 8-bit dynamic-map code of `absmax − offset` per block of 64.
    pub absmax_codes: Vec<u8>,
    /// float32 absmax of `absmax − offset` per block of 256 blocks.
    pub absmax2: Vec<f32>,
    /// float32 mean of the raw absmax.
    pub offset: f32,
}

impl Nf4Host {
    /// NF4-quantises `values` (flattened row-major) as bitsandbytes does (module doc, steps 1–4).
    pub fn quantize(values: &[f32]) -> Self {
        let (codes, absmax) = quantize_blockwise(values, &NF4_CODE, NF4_BLOCK);
        let packed = codes
            .chunks(2)
            .map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(NF4_ZERO))
            .collect();
        let offset = absmax_mean(&absmax);
        let centred: Vec<f32> = absmax.iter().map(|a| a - offset).collect();
        let (absmax_codes, absmax2) = quantize_blockwise(&centred, &dynamic_map(), ABSMAX_BLOCK);
        Nf4Host {
            n: values.len(),
            packed,
            absmax_codes,
            absmax2,
            offset,
        }
    }

    /// The dequantised absmax per block, float32 (`dyn[q] · absmax2 + offset`).
    pub fn absmax(&self) -> Vec<f32> {
        let dm = dynamic_map();
        self.absmax_codes
            .iter()
            .enumerate()
            .map(|(b, &q)| dm[q as usize] * self.absmax2[b / ABSMAX_BLOCK] + self.offset)
            .collect()
    }

    /// The dequantised weights in float32 on the host (the reference the device path is tested on).
    pub fn dequantize(&self) -> Vec<f32> {
        let absmax = self.absmax();
        (0..self.n)
            .map(|i| {
                let byte = self.packed[i / 2];
                let q = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
                NF4_CODE[q as usize] * absmax[i / NF4_BLOCK]
            })
            .collect()
    }
}

/// The float32 mean of the absmax values (float64 sum, one rounding).
fn absmax_mean(absmax: &[f32]) -> f32 {
    if absmax.is_empty() {
        return 0.0;
    }
    (absmax.iter().map(|&a| a as f64).sum::<f64>() / absmax.len() as f64) as f32
}

/// An NF4 weight resident on a device, dequantised on every forward pass.
#[derive(Debug, Clone)]
pub struct Nf4Weight {
    out_dim: usize,
    in_dim: usize,
    /// (ceil(n/2),) u8.
    packed: Tensor,
    /// (blocks,) u8.
    absmax_codes: Tensor,
    /// (ceil(blocks/256),) f32.
    absmax2: Tensor,
    offset: f32,
    /// (256, 2) f32: for a byte b, [NF4[b >> 4], NF4[b & 15]].
    pair_table: Tensor,
    /// (256,) f32: the dynamic map.
    dynamic: Tensor,
}

impl Nf4Weight {
    /// Quantises an `(out, in)` weight (any float dtype, any device) on the host and places the
    /// codes on `device`.
    ///
    /// # Errors
    /// A weight that is not two-dimensional; candle errors.
    pub fn quantize(w: &Tensor, device: &Device) -> Result<Self> {
        let (out_dim, in_dim) = w.dims2()?;
        let host: Vec<f32> = w
            .to_device(&Device::Cpu)?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1()?;
        Self::from_host(&Nf4Host::quantize(&host), (out_dim, in_dim), device)
    }

    /// Places host codes on `device`.
    ///
    /// # Errors
    /// [`LlmError::ShapeMismatch`] if `q` does not hold `out × in` weights; candle errors.
    pub fn from_host(
        q: &Nf4Host,
        (out_dim, in_dim): (usize, usize),
        device: &Device,
    ) -> Result<Self> {
        if q.n != out_dim * in_dim {
            return Err(LlmError::ShapeMismatch {
                tensor: "nf4 weight".into(),
                expected: vec![out_dim, in_dim],
                found: vec![q.n],
            });
        }
        let mut pairs = Vec::with_capacity(512);
        for b in 0..256usize {
            pairs.push(NF4_CODE[b >> 4]);
            pairs.push(NF4_CODE[b & 0x0f]);
        }
        Ok(Nf4Weight {
            out_dim,
            in_dim,
            packed: Tensor::from_slice(&q.packed, q.packed.len(), device)?,
            absmax_codes: Tensor::from_slice(&q.absmax_codes, q.absmax_codes.len(), device)?,
            absmax2: Tensor::from_slice(&q.absmax2, q.absmax2.len(), device)?,
            offset: q.offset,
            pair_table: Tensor::from_vec(pairs, (256, 2), device)?,
            dynamic: Tensor::from_slice(&dynamic_map()[..], 256, device)?,
        })
    }

    /// Resident bytes on the device (codes, absmax codes and scales; the two small tables).
    pub fn resident_bytes(&self) -> usize {
        self.packed.elem_count()
            + self.absmax_codes.elem_count()
            + 4 * (self.absmax2.elem_count() + 256 * 3)
    }

    /// Multiplies `(rows, block)`-shaped `values` (flat, `n` long, padded to whole blocks when
    /// needed) by one scale per block.
    fn scale_blocks(values: &Tensor, scales: &Tensor, block: usize) -> Result<Tensor> {
        let n = values.elem_count();
        let rows = scales.elem_count();
        let padded = rows * block;
        let v = if padded > n {
            let pad = Tensor::zeros(padded - n, values.dtype(), values.device())?;
            Tensor::cat(&[values, &pad], 0)?
        } else {
            values.clone()
        };
        let out = v
            .reshape((rows, block))?
            .broadcast_mul(&scales.reshape((rows, 1))?)?
            .flatten_all()?;
        Ok(if padded > n {
            out.narrow(0, 0, n)?
        } else {
            out
        })
    }

    /// The weight as an `(out, in)` tensor of `dtype`, computed on its device.
    ///
    /// # Errors
    /// candle errors.
    pub fn dequantize(&self, dtype: DType) -> Result<Tensor> {
        let n = self.out_dim * self.in_dim;
        let blocks = self.absmax_codes.elem_count();
        // u32 indices: candle's index_select reads the largest value of the index type as "no row"
        // (zeros), which for u8 would be the legitimate code 255.
        let absmax = self
            .dynamic
            .index_select(&self.absmax_codes.to_dtype(DType::U32)?, 0)?;
        let absmax =
            (Self::scale_blocks(&absmax, &self.absmax2, ABSMAX_BLOCK)? + self.offset as f64)?;
        debug_assert_eq!(absmax.elem_count(), blocks);
        let levels = self
            .pair_table
            .index_select(&self.packed.to_dtype(DType::U32)?, 0)?
            .flatten_all()?
            .narrow(0, 0, n)?;
        let w = Self::scale_blocks(&levels, &absmax, NF4_BLOCK)?;
        Ok(w.reshape((self.out_dim, self.in_dim))?.to_dtype(dtype)?)
    }
}

/// A linear layer without bias of the base model: dense, NF4 or q8_0.
#[derive(Debug, Clone)]
pub enum QLinear {
    /// An `(out, in)` weight in its compute dtype.
    Dense(Tensor),
    /// NF4, dequantised to `compute` on every call.
    Nf4 {
        /// The quantised weight.
        weight: Nf4Weight,
        /// The dtype the matmul runs in.
        compute: DType,
    },
    /// GGML q8_0 through candle's quantized matmul (f32 activations).
    Q8_0(QMatMul),
}

impl QLinear {
    /// Reads `name` (shape `(out, in)`) under `vb` and holds it as `quant` says. The compute dtype is
    /// the [`VarBuilder`]'s on an accelerator and f32 on the CPU (candle's CPU matmul has no bf16
    /// kernel); quantised weights are quantised from the stored values on the host.
    ///
    /// # Errors
    /// Missing tensor or wrong shape (candle), a q8_0 weight whose rows are not a multiple of 32.
    pub fn load(
        vb: &VarBuilder,
        (out_dim, in_dim): (usize, usize),
        name: &str,
        quant: BaseQuantization,
    ) -> Result<Self> {
        let w = vb.get((out_dim, in_dim), name)?;
        let device = w.device().clone();
        let compute = if device.is_cpu() {
            DType::F32
        } else {
            w.dtype()
        };
        match quant {
            BaseQuantization::None => Ok(QLinear::Dense(w.to_dtype(compute)?)),
            BaseQuantization::Nf4 => Ok(QLinear::Nf4 {
                weight: Nf4Weight::quantize(&w, &device)?,
                compute,
            }),
            BaseQuantization::Q8_0 => {
                if !in_dim.is_multiple_of(32) {
                    return Err(LlmError::Config {
                        path: format!("{}.{name}", vb.prefix()),
                        message: format!(
                            "q8_0 needs rows that are a multiple of 32 weights, this one has {in_dim}"
                        ),
                    });
                }
                let host = w.to_device(&Device::Cpu)?.to_dtype(DType::F32)?;
                let q = QTensor::quantize_onto(&host, GgmlDType::Q8_0, &device)?;
                Ok(QLinear::Q8_0(QMatMul::from_qtensor(q)?))
            }
        }
    }

    /// The dtype the layer computes in (its output dtype).
    pub fn compute_dtype(&self) -> DType {
        match self {
            QLinear::Dense(w) => w.dtype(),
            QLinear::Nf4 { compute, .. } => *compute,
            QLinear::Q8_0(_) => DType::F32,
        }
    }

    /// `x · Wᵀ` for `x` of shape `(…, in)` in any float dtype; the result is in
    /// [`QLinear::compute_dtype`].
    ///
    /// # Errors
    /// Shape mismatches; candle errors.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = x.to_dtype(self.compute_dtype())?;
        Ok(match self {
            QLinear::Dense(w) => candle_nn::Linear::new(w.clone(), None).forward(&x)?,
            QLinear::Nf4 { weight, compute } => {
                candle_nn::Linear::new(weight.dequantize(*compute)?, None).forward(&x)?
            }
            QLinear::Q8_0(m) => m.forward(&x)?,
        })
    }
}

#[cfg(test)]
mod tests;
