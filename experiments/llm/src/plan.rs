//! The memory plan of an experiment, per device, before anything is loaded: what
//! `goodhart llm plan` prints and what `goodhart llm train` checks first (issue 13).
//!
//! The plan reads only the two `config.json` files (and the TOML) and counts what this
//! implementation allocates, item by item:
//!
//! * on the **base device**: the base model's decoder linear layers in their dtype or quantisation
//!   ([`BaseQuantization::weight_bytes`]), the embedding, norms and `lm_head` (the norms and `lm_head`
//!   are held in f32, see [`crate::mixtral`]), the KV cache (f32 keys and values for `n_envs` chats,
//!   capacity the next power of two ≥ `chat_tokens`, × layers × key/value heads × head_dim × 2), the
//!   NF4 dequantisation scratch of the largest layer, the activations of the prefill pass
//!   (per-position logits, attention scores, the busiest expert), and the reward model with the
//!   activations of one scoring batch;
//! * on the **agent device**: actor and critic (f32), Adam's two moments, the PPO minibatch's peak
//!   (the `(minibatch, vocab + 1)` tensors of the policy's forward and backward pass), and the
//!   gradients with Adam's step temporaries;
//! * on the **host** (`cpu`): the rollout buffer (state and base log-probs of every agent step until
//!   the update) and the float64 copies the KL-fixed mixture's exact solve makes of a minibatch.
//!
//! A CUDA device also carries a fixed 1 GiB for the CUDA context and cuBLAS workspace (an estimate).
//! Device names are `cpu`, `cpu:N` (CPU stand-ins for a second device: the same memory) and
//! `cuda:N`; totals come from `/proc/meminfo` and `nvidia-smi`, or from a named card
//! ([`CARDS`]: `h100-80gb`, `a100-80gb`, `h200-141gb`, …). The formula is checked against the
//! bytes actually allocated on the CPU for the small model (`tests/plan_memory.rs`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::ExperimentConfig;
use crate::device::DeviceName;
use crate::distilbert::DistilBertConfig;
use crate::load::{check_model_type_of, Role};
use crate::mixtral::MixtralConfig;
use crate::quant::BaseQuantization;
use crate::{LlmError, Result};

/// Cards that can be named instead of the devices present: name and memory as `nvidia-smi`
/// reports it (`memory.total`, MiB).
pub const CARDS: &[(&str, u64)] = &[
    ("h100-80gb", 81_559),
    ("a100-80gb", 81_920),
    ("h200-141gb", 143_771),
    ("a100-40gb", 40_960),
    ("l40s-48gb", 46_068),
    ("rtx4090-24gb", 24_564),
];

const GIB: f64 = (1u64 << 30) as f64;

/// Context, cuBLAS workspace and allocator slack per CUDA device (an estimate, not measured here).
const CUDA_RESERVE_BYTES: u64 = 1 << 30;

/// `(minibatch, vocab + 1)` f32 tensors alive at the peak of one PPO minibatch (forward and
/// backward of `Agent::policy` and the loss in `ppo::Trainer::update`): the base log-probs, the
/// actor's matmul and bias outputs, the logits, the log-softmax, the mixture's `log x`, the
/// entropy's clamp, exp and product (9 in the forward graph), and their gradients in the backward
/// pass (7 of the 9 carry one).
const MINIBATCH_DEVICE_TENSORS: u64 = 16;

/// Float64 `(minibatch, vocab)` host copies made by the exact mixture solve (`log a`, `log b`) and
/// its float32 `log x` before it becomes a tensor: 2 × 8 + 4 bytes per entry.
const MINIBATCH_HOST_BYTES_PER_ENTRY: u64 = 20;

/// Actor-sized tensors alive during Adam's step beyond the parameters and moments: the gradient,
/// the clipped gradient and up to four expression temporaries.
const ADAM_STEP_TEMPORARIES: u64 = 6;

/// One line of a device's plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanItem {
    /// What it is (with its dtype).
    pub what: String,
    /// Its size in GiB.
    pub gib: f64,
    #[serde(skip)]
    bytes: u64,
}

impl PlanItem {
    fn new(what: impl Into<String>, bytes: u64) -> Self {
        PlanItem {
            what: what.into(),
            gib: bytes as f64 / GIB,
            bytes,
        }
    }

    /// Its size in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// One device: its memory and what goes on it.
#[derive(Debug, Clone, Serialize)]
pub struct DevicePlan {
    /// `cpu`, `cpu:N` or `cuda:N`.
    pub name: String,
    /// Its memory, GiB.
    pub total_gib: f64,
    /// What it holds.
    pub items: Vec<PlanItem>,
    /// Sum of the items, GiB.
    pub used_gib: f64,
}

impl DevicePlan {
    /// Sum of the items in bytes.
    pub fn used_bytes(&self) -> u64 {
        self.items.iter().map(|i| i.bytes).sum()
    }

    /// The largest item.
    pub fn largest(&self) -> Option<&PlanItem> {
        self.items.iter().max_by_key(|i| i.bytes)
    }
}

/// The plan of one experiment (`goodhart llm plan --json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Every device used, the host (`cpu`) included.
    pub devices: Vec<DevicePlan>,
    /// Whether every device holds its items (the CPU stand-ins `cpu`, `cpu:N` together in RAM).
    pub fits: bool,
}

/// Where the memory figures of the devices come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Memory {
    /// The devices of this machine (`/proc/meminfo`, `nvidia-smi`).
    Present,
    /// Every CUDA device taken to be this card (from [`CARDS`]); the host's RAM as present.
    Card(String),
    /// Explicit totals in bytes by device name (tests).
    Given(BTreeMap<String, u64>),
}

/// The configs the plan reads (never the weights).
#[derive(Debug, Clone)]
pub struct Models {
    /// The base model's `config.json`.
    pub base: MixtralConfig,
    /// The reward model's `config.json`.
    pub reward: DistilBertConfig,
    /// Tokens of the chat prompt under the base model's tokenizer (BOS included); `None` when the
    /// tokenizer is not at hand, and then the prefill is planned at `chat_tokens`.
    pub prompt_tokens: Option<usize>,
}

impl Models {
    /// Reads both `config.json` files named by the experiment (a directory with only its
    /// `config.json` is enough: a plan can be made before the weights are downloaded).
    ///
    /// # Errors
    /// A missing or invalid `config.json` (typed, naming the file).
    pub fn read(cfg: &ExperimentConfig) -> Result<Self> {
        let (base, path): (MixtralConfig, String) = read_config(&cfg.base, Role::Base)?;
        base.validate(&path)?;
        let (reward, path): (DistilBertConfig, String) = read_config(&cfg.reward, Role::Reward)?;
        reward.validate(&path)?;
        let prompt_tokens = crate::checkpoint::ModelDir::open(&cfg.base)
            .and_then(|d| d.tokenizer())
            .ok()
            .and_then(|t| t.encode(cfg.chat.prompt.as_str(), true).ok())
            .map(|e| e.len());
        Ok(Models {
            base,
            reward,
            prompt_tokens,
        })
    }
}

/// `DIR/config.json`, or the config of the model directory or HF cache entry `dir`, checked to be
/// the architecture `role` needs (so swapped base and reward directories are named as such).
fn read_config<T: serde::de::DeserializeOwned>(
    dir: &std::path::Path,
    role: Role,
) -> Result<(T, String)> {
    let direct = dir.join("config.json");
    let (json, path) = if direct.is_file() {
        let text = std::fs::read_to_string(&direct).map_err(|e| LlmError::io(&direct, e))?;
        let path = direct.display().to_string();
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| LlmError::Config {
                path: path.clone(),
                message: e.to_string(),
            })?;
        (json, path)
    } else {
        let d = crate::checkpoint::ModelDir::open(dir)?;
        (d.config_json()?, d.config_path.display().to_string())
    };
    check_model_type_of(&json, &path, role)?;
    let cfg = serde_json::from_value(json).map_err(|e| LlmError::Config {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok((cfg, path))
}

/// Bytes per element the model's weights are held in on `dev` (the CPU upcasts to f32).
fn dense_bytes(dtype: &str, dev: DeviceName) -> u64 {
    if dev.is_cpu() {
        return 4;
    }
    match dtype {
        "f32" => 4,
        _ => 2,
    }
}

fn dtype_label(dtype: &str, dev: DeviceName) -> &str {
    if dev.is_cpu() {
        "f32"
    } else {
        dtype
    }
}

/// The items of an experiment by device (no totals yet).
///
/// # Errors
/// A device name that does not parse.
pub fn items(
    cfg: &ExperimentConfig,
    models: &Models,
    default_device: &str,
) -> Result<Vec<(DeviceName, PlanItem)>> {
    let base_dev = DeviceName::parse(
        "base_device",
        cfg.base_device.as_deref().unwrap_or(default_device),
    )?;
    let agent_dev = DeviceName::parse(
        "agent_device",
        cfg.agent_device.as_deref().unwrap_or(default_device),
    )?;
    let host = DeviceName::Cpu(0);
    let m = &models.base;
    let q = cfg.base_quantization;
    let db = dense_bytes(&cfg.dtype, base_dev);
    let label = dtype_label(&cfg.dtype, base_dev);
    let (h, f, l, v) = (
        m.hidden_size as u64,
        m.intermediate_size as u64,
        m.num_hidden_layers as u64,
        m.vocab_size as u64,
    );
    let (nh, nkv, hd, e) = (
        m.num_attention_heads as u64,
        m.num_key_value_heads as u64,
        m.head_dim() as u64,
        m.num_local_experts as u64,
    );
    let mut out = Vec::new();

    // Base model: decoder linear layers, as held.
    let shapes: [(u64, u64, u64); 5] = [
        (1, nh * hd, h),  // q_proj
        (2, nkv * hd, h), // k_proj, v_proj
        (1, h, nh * hd),  // o_proj
        (1, e, h),        // router gate
        (3 * e, f, h),    // experts w1, w3 (f × h) and w2 (h × f): same count
    ];
    let mut linear = 0u64;
    let mut n_linear = 0u64;
    let mut largest = 0u64;
    for (count, o, i) in shapes {
        linear += count * q.weight_bytes(o as usize, i as usize, db as usize);
        n_linear += count;
        largest = largest.max(o * i);
    }
    linear *= l;
    n_linear *= l;
    if q == BaseQuantization::Nf4 {
        linear += n_linear * 4 * 256 * 3; // the pair table and the dynamic map of each layer
    }
    let qlabel = match q {
        BaseQuantization::None => label.to_string(),
        _ => q.name().to_string(),
    };
    out.push((
        base_dev,
        PlanItem::new(
            format!("base weights: decoder linear layers ({qlabel})"),
            linear,
        ),
    ));
    let lm_head = if m.tie_word_embeddings && db == 4 {
        0
    } else {
        v * h * 4
    };
    let norms = (2 * l + 1) * h * 4;
    out.push((
        base_dev,
        PlanItem::new(
            format!("base weights: embedding ({label}), norms and lm_head (f32)"),
            v * h * db + norms + lm_head,
        ),
    ));
    let n_envs = cfg.chat.n_envs as u64;
    let tokens = cfg.chat.chat_tokens as u64;
    let cap = tokens.next_power_of_two().max(16);
    out.push((
        base_dev,
        PlanItem::new(
            format!("KV cache (f32): {n_envs} chats x {cap} positions x {l} layers x {nkv} kv heads x {hd} x 2"),
            2 * l * n_envs * nkv * cap * hd * 4,
        ),
    ));
    if q == BaseQuantization::Nf4 {
        // levels (f32) and their scaled copy alive together, then the compute-dtype copy
        out.push((
            base_dev,
            PlanItem::new(
                "NF4 dequantisation scratch (largest layer)",
                largest * (8 + db),
            ),
        ));
    }
    // Prefill of the prompt (all chats in one pass).
    let s = models
        .prompt_tokens
        .map_or(tokens, |p| p as u64)
        .min(tokens)
        .min(m.max_position_embeddings as u64);
    let rows = n_envs * s;
    let prefill = rows * v * 4 * 2 // per-position logits and the lm_head output before them
        + rows * h * 4 * 8 // residual, norms, attention output and the three hidden states kept
        + n_envs * nh * s * s * 4 * 2 // one layer's scores and probabilities
        + rows * f * 4 * 3; // the busiest expert: w1 and w3 outputs and their product
    out.push((
        base_dev,
        PlanItem::new(
            format!("base forward activations (prefill, <= {s} tokens per chat, f32)"),
            prefill,
        ),
    ));
    let r = &models.reward;
    let rparams: u64 = r
        .expected_tensors()
        .iter()
        .map(|(_, shape)| shape.iter().map(|&d| d as u64).product::<u64>())
        .sum();
    let rs = tokens.min(r.max_position_embeddings as u64);
    let (rd, rh, rn) = (r.dim as u64, r.hidden_dim as u64, r.n_heads as u64);
    let ract = n_envs * rs * (rd * 6 + rh) * 4 + n_envs * rn * rs * rs * 4 * 2;
    out.push((
        base_dev,
        PlanItem::new(format!("reward model weights ({label})"), rparams * db),
    ));
    out.push((
        base_dev,
        PlanItem::new(
            format!("reward model activations ({n_envs} replies, <= {rs} tokens, f32)"),
            ract,
        ),
    ));

    // Agent.
    let sd = 3 * h + 1;
    let w = v + 1;
    let cw = crate::agent::CRITIC_WIDTH as u64;
    let actor = (sd + 1) * w + w;
    let critic = (sd + 1) * cw + cw + cw * cw + cw + cw + 1;
    let params = (actor + critic) * 4;
    out.push((agent_dev, PlanItem::new("actor + critic (f32)", params)));
    out.push((
        agent_dev,
        PlanItem::new("Adam moments (2 x parameters, f32)", 2 * params),
    ));
    out.push((
        agent_dev,
        PlanItem::new(
            "gradients and Adam-step temporaries (f32)",
            ADAM_STEP_TEMPORARIES * params,
        ),
    ));
    let buffer_steps = cfg.ppo.update_steps + n_envs * tokens;
    let mb = (cfg.ppo.minibatch as u64).min(buffer_steps).max(n_envs);
    out.push((
        agent_dev,
        PlanItem::new(
            format!("PPO minibatch peak activations ({mb} x {w} x {MINIBATCH_DEVICE_TENSORS} tensors, f32)"),
            MINIBATCH_DEVICE_TENSORS * mb * w * 4,
        ),
    ));
    out.push((
        host,
        PlanItem::new(
            format!(
                "rollout buffer (<= {buffer_steps} agent steps x (state {sd} + vocab {v}), f32)"
            ),
            buffer_steps * ((sd + v) * 4 + 64),
        ),
    ));
    out.push((
        host,
        PlanItem::new(
            "exact mixture solve of a minibatch (f64 host copies)",
            mb * v * MINIBATCH_HOST_BYTES_PER_ENTRY,
        ),
    ));
    for d in [base_dev, agent_dev] {
        if !d.is_cpu()
            && !out
                .iter()
                .any(|(x, i)| *x == d && i.what.starts_with("CUDA"))
        {
            out.push((
                d,
                PlanItem::new(
                    "CUDA context and cuBLAS workspace (estimate)",
                    CUDA_RESERVE_BYTES,
                ),
            ));
        }
    }
    Ok(out)
}

/// `MemTotal` of `/proc/meminfo`, bytes.
fn host_memory() -> Result<u64> {
    let text =
        std::fs::read_to_string("/proc/meminfo").map_err(|e| LlmError::io("/proc/meminfo", e))?;
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| LlmError::Config {
            path: "/proc/meminfo".into(),
            message: "no MemTotal line".into(),
        })
}

/// Whether `nvidia-smi` answers here (the source of the CUDA devices' memory).
pub fn nvidia_smi_available() -> bool {
    gpu_memory().is_some()
}

/// `memory.total` of every GPU `nvidia-smi` lists, bytes by index.
fn gpu_memory() -> Option<BTreeMap<usize, u64>> {
    let out = std::process::Command::new("nvidia-smi")
        .args([
            "--query-gpu=index,memory.total",
            "--format=csv,noheader,nounits",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(
        text.lines()
            .filter_map(|l| {
                let (i, m) = l.split_once(',')?;
                Some((i.trim().parse().ok()?, m.trim().parse::<u64>().ok()? << 20))
            })
            .collect(),
    )
}

/// Bytes of a named card.
///
/// # Errors
/// [`LlmError::InvalidArgument`] for a name not in [`CARDS`].
pub fn card_bytes(name: &str) -> Result<u64> {
    CARDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, mib)| mib << 20)
        .ok_or_else(|| {
            LlmError::invalid(
                "--device",
                name,
                "a card: h100-80gb, a100-80gb, h200-141gb, a100-40gb, l40s-48gb, rtx4090-24gb",
            )
        })
}

/// The plan of `cfg` over `memory`; `default_device` is the device of parts the config does not
/// place (`llm train --device`).
///
/// # Errors
/// A device name that does not parse; a CUDA device that is absent (neither `nvidia-smi` lists it
/// nor a card is named); an unknown card name.
pub fn plan(
    cfg: &ExperimentConfig,
    models: &Models,
    default_device: &str,
    memory: &Memory,
) -> Result<Plan> {
    if let Memory::Card(c) = memory {
        card_bytes(c)?;
    }
    let items = items(cfg, models, default_device)?;
    let mut by_dev: BTreeMap<DeviceName, Vec<PlanItem>> = BTreeMap::new();
    for (d, i) in items {
        by_dev.entry(d).or_default().push(i);
    }
    let gpus = match memory {
        Memory::Present if by_dev.keys().any(|d| !d.is_cpu()) => gpu_memory(),
        _ => None,
    };
    let mut devices = Vec::new();
    for (d, items) in by_dev {
        let name = d.to_string();
        let total = match (memory, d) {
            (Memory::Given(t), _) => *t.get(&name).ok_or_else(|| LlmError::Config {
                path: "plan".into(),
                message: format!("no memory given for device {name}"),
            })?,
            (_, DeviceName::Cpu(_)) => host_memory()?,
            (Memory::Card(c), DeviceName::Cuda(_)) => card_bytes(c)?,
            (Memory::Present, DeviceName::Cuda(n)) => gpus
                .as_ref()
                .and_then(|g| g.get(&n).copied())
                .ok_or_else(|| LlmError::Config {
                    path: "plan".into(),
                    message: format!(
                        "device {name} is absent ({}); name a card to plan for, e.g. --device h100-80gb",
                        match &gpus {
                            None => "nvidia-smi is not available".to_string(),
                            Some(g) => format!("nvidia-smi lists {} GPU(s)", g.len()),
                        }
                    ),
                })?,
        };
        let used: u64 = items.iter().map(|i| i.bytes).sum();
        devices.push(DevicePlan {
            name,
            total_gib: total as f64 / GIB,
            items,
            used_gib: used as f64 / GIB,
        });
    }
    let fits = fits(&devices);
    Ok(Plan { devices, fits })
}

/// Every CUDA device holds its items; the CPU devices together hold theirs in the host's RAM.
fn fits(devices: &[DevicePlan]) -> bool {
    let cpu: Vec<&DevicePlan> = devices
        .iter()
        .filter(|d| d.name.starts_with("cpu"))
        .collect();
    let cpu_used: u64 = cpu.iter().map(|d| d.used_bytes()).sum();
    let cpu_ok = cpu
        .first()
        .is_none_or(|d| cpu_used as f64 <= d.total_gib * GIB);
    cpu_ok
        && devices
            .iter()
            .filter(|d| !d.name.starts_with("cpu"))
            .all(|d| d.used_bytes() as f64 <= d.total_gib * GIB)
}

impl Plan {
    /// Sum over all devices, bytes.
    pub fn total_bytes(&self) -> u64 {
        self.devices.iter().map(|d| d.used_bytes()).sum()
    }

    /// `Ok` when the plan fits; otherwise the one-line refusal naming the device and its largest item.
    ///
    /// # Errors
    /// [`LlmError::Config`] (path `origin`).
    pub fn require_fit(&self, origin: &str) -> Result<()> {
        if self.fits {
            return Ok(());
        }
        let over = self
            .devices
            .iter()
            .find(|d| d.used_bytes() as f64 > d.total_gib * GIB)
            .or_else(|| self.devices.iter().find(|d| d.name.starts_with("cpu")));
        let Some(d) = over else { return Ok(()) };
        let largest = d
            .largest()
            .map(|i| format!("; largest item: {} {:.1} GiB", i.what, i.gib))
            .unwrap_or_default();
        Err(LlmError::Config {
            path: origin.to_string(),
            message: format!(
                "does not fit: {} needs {:.1} GiB of its {:.1} GiB{largest} (`goodhart llm plan --config FILE` lists every item)",
                d.name, d.used_gib, d.total_gib
            ),
        })
    }

    /// The plan as text: per device its items, then whether it fits.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for d in &self.devices {
            s.push_str(&format!(
                "{}: {:.2} GiB of {:.1} GiB\n",
                d.name, d.used_gib, d.total_gib
            ));
            for i in &d.items {
                s.push_str(&format!("  {:>9.3} GiB  {}\n", i.gib, i.what));
            }
        }
        s.push_str(if self.fits {
            "fits\n"
        } else {
            "does not fit\n"
        });
        s
    }
}

#[cfg(test)]
mod tests;
