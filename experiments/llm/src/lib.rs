//! `goodhart-llm`: the language-model stack of `goodhart`, on candle.
//!
//! The only crate of the workspace that imports candle, tokenizers and safetensors (feature `llm` of
//! the root package pulls it in; `cuda` and `mkl` are forwarded from here).
//!
//! | module | what it is | source |
//! |---|---|---|
//! | [`checkpoint`] | a model directory in the Hugging Face layout (or a local HF cache entry): config, safetensors (single or sharded, mmapped), tokenizer; typed errors | HF conventions |
//! | [`causal_lm`] | the base-policy interface (`CausalLm`: logits, hidden states, sequence log-probs), its batched KV cache, the f64 log-softmax of a logit row, the next-token KL between two models | Cohen et al. 2024 §3.2–3.4 |
//! | [`mixtral`] | the base policy: Mixtral architecture (sparse MoE, RoPE, GQA, sliding window) with per-position logits, exact sequence log-probs, last hidden states and a batched KV cache | Cohen et al. 2024 §5 (Mixtral-8x7B base) |
//! | [`quant`] | base-model weights in NF4 (bitsandbytes' algorithm, double-quantised absmax, dequantised per forward) or q8_0 | Cohen et al. 2024 §5 (Mixtral loaded in NF4) |
//! | [`plan`] | the memory plan of an experiment config per device, before anything is loaded | — |
//! | [`sampler`] | our seeded sampler (temperature, top-p) on ChaCha8 | — |
//! | [`distilbert`] | DistilBERT sequence classifier with the HF `pre_classifier`/`classifier` heads; the Cohen reward convention | Cohen et al. 2024 §5 (distilbert-sst2) |
//! | [`tokenizer`] | tokenizers built here for the tiny models (byte-level BPE trained on the synthetic corpus) | — |
//! | [`corpus`] | synthetic corpora: named-speaker dialogues (never an empty turn) and labelled sentiment sentences | — |
//! | [`tiny`] | `make-tiny`: random-initialised checkpoints in the HF layout | — |
//! | [`train`] | training of the small real pair on CPU (LM loss, classifier accuracy) | — |
//! | [`probe`] | the reward-model tail probe: random-token and base-model scoring, ACG discrete optimisation, correct log-probs | Kwa et al. 2024 §4 |
//! | [`kl_budget`] | the KL-fixed mixture x = α·a + (1−α)·b with KL(x‖b) = target, solved exactly, with its implicit gradient | Cohen et al. 2024 §3.5 |
//! | [`agent`] | actor (proposal + budget fraction) and critic on the base model's last hidden states | Cohen et al. 2024 §3.5, §3.7 |
//! | [`chat`] | the chat environment: named speakers, frozen base LM as the other speaker, sentiment reward | Cohen et al. 2024 §3.3 |
//! | [`ppo`] | PPO with a per-episode KL budget, metrics, checkpoint/resume | Cohen et al. 2024 §3.6, §3.8 |
//! | [`silence`] | the silence world: exact toy base LM + deterministic responder (check C8) | spec C8 |
//! | [`device`] | device names of the configs (`cpu`, `cpu:N` stand-ins, `cuda:N`) and their candle devices | — |
//! | [`config`] | the TOML configuration of one run of the LLM experiment (read by `experiment` and `plan`) | Cohen et al. 2024 §5 |
//! | [`experiment`] | one configured run of the LLM experiment, training + evaluation | Cohen et al. 2024 §5 |
//!
//! Seeds: every random stream here is a `(seed, unit path)` stream of the workspace crate
//! `goodhart-seeds` (`crates/seeds`), the rule the root package uses as `goodhart::sim::seeds`; the
//! paths say what each stream is for (`"train/lm/init"`, `"ppo/round-3/rollout"`, `"probe/acg"`).
// `deny`, not `forbid`: checkpoint.rs memory-maps weights (candle's mmap constructor is `unsafe`), in one
// function with its SAFETY argument.
#![deny(unsafe_code)]

pub mod agent;
pub mod causal_lm;
pub mod chat;
pub mod checkpoint;
pub mod config;
pub mod corpus;
pub mod device;
pub mod distilbert;
pub mod error;
pub mod experiment;
pub mod kl_budget;
pub mod load;
pub mod mixtral;
pub mod plan;
pub mod ppo;
pub mod probe;
pub mod quant;
pub mod sampler;
pub mod silence;
pub mod silence_price;
pub mod tiny;
pub mod tokenizer;
pub mod train;

/// candle, re-exported so that callers (the root package) name devices and dtypes without a second dependency.
pub use candle_core;
pub use error::{LlmError, Result};
