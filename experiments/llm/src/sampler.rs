//! Our seeded token sampler (temperature, nucleus/top-p) on ChaCha8, and generation with a KV cache.
//!
//! Used for the base policy's own turns in the chat environment (Cohen et al. 2024 §3.3: the student
//! is sampled from Mixtral at temperature 0.05) and for base-model transcripts (§3.11). Probabilities are
//! computed in f64 as a log-softmax of `logits / T` (log-sum-exp with a Neumaier-compensated sum; never
//! the log of a softmax). Nucleus sampling keeps the smallest set of tokens, taken in decreasing
//! probability (ties: lower token id first), whose cumulative probability reaches `top_p`, and draws
//! within that set in proportion to the tempered probabilities. Temperature 0 is greedy (the lowest id
//! among the maxima) and consumes no randomness.
//!
//! The random stream is a `ChaCha8Rng` seeded with `seed_from_u64`; one `f64` draw (two 32-bit words)
//! per sampled token, `u·mass` located on the cumulative probabilities (in token-id order when
//! `top_p = 1`, in nucleus order otherwise). [`Sampler::state`] records the seed and the word position, and
//! [`Sampler::restore`] resumes the exact stream, so a run can checkpoint its sampler.

use candle_core::{IndexOp, Tensor};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::causal_lm::{check_logits, shifted_log_sum_exp, CausalLm};
use crate::{LlmError, Result};

/// Seeded sampler: temperature and top-p over one ChaCha8 stream.
#[derive(Debug, Clone)]
pub struct Sampler {
    rng: ChaCha8Rng,
    seed: u64,
    temperature: f64,
    top_p: f64,
}

/// Everything needed to resume a [`Sampler`] exactly (serialisable into a run checkpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplerState {
    /// The seed given to [`Sampler::new`].
    pub seed: u64,
    /// Position in the ChaCha8 stream, in 32-bit words.
    pub word_pos: u128,
    /// Sampling temperature.
    pub temperature: f64,
    /// Nucleus mass.
    pub top_p: f64,
}

fn check_temperature(temperature: f64) -> Result<()> {
    if !(temperature >= 0.0 && temperature.is_finite()) {
        return Err(LlmError::invalid(
            "temperature",
            temperature,
            "a finite value >= 0 (0 = greedy)",
        ));
    }
    Ok(())
}

fn check_top_p(top_p: f64) -> Result<()> {
    if !(top_p > 0.0 && top_p <= 1.0) {
        return Err(LlmError::invalid("top_p", top_p, "a value in (0, 1]"));
    }
    Ok(())
}

impl Sampler {
    /// A sampler over the stream `ChaCha8Rng::seed_from_u64(seed)`.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] if `temperature` is negative or not finite, or `top_p ∉ (0, 1]`.
    pub fn new(seed: u64, temperature: f64, top_p: f64) -> Result<Self> {
        check_temperature(temperature)?;
        check_top_p(top_p)?;
        Ok(Sampler {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seed,
            temperature,
            top_p,
        })
    }

    /// The temperature.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// The nucleus mass.
    pub fn top_p(&self) -> f64 {
        self.top_p
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The seed and stream position, to resume with [`Sampler::restore`].
    pub fn state(&self) -> SamplerState {
        SamplerState {
            seed: self.seed,
            word_pos: self.rng.get_word_pos(),
            temperature: self.temperature,
            top_p: self.top_p,
        }
    }

    /// The sampler that [`Sampler::state`] described: same parameters, same position in the stream.
    ///
    /// # Errors
    /// As [`Sampler::new`].
    pub fn restore(state: &SamplerState) -> Result<Self> {
        let mut s = Sampler::new(state.seed, state.temperature, state.top_p)?;
        s.rng.set_word_pos(state.word_pos);
        Ok(s)
    }

    /// `log softmax(logits / T)` in f64; −∞ logits give −∞.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] if `temperature` is not finite and > 0, or the logits are empty,
    /// contain NaN or +∞, or are all −∞.
    pub fn log_probs(logits: &[f32], temperature: f64) -> Result<Vec<f64>> {
        if !(temperature > 0.0 && temperature.is_finite()) {
            return Err(LlmError::invalid(
                "temperature",
                temperature,
                "a finite value > 0 for log-probabilities",
            ));
        }
        check_logits(logits)?;
        let scale = 1.0 / temperature;
        let (max, ln_sum) = shifted_log_sum_exp(logits, scale);
        Ok(logits
            .iter()
            .map(|&x| (x as f64 * scale - max) - ln_sum)
            .collect())
    }

    /// The nucleus for `logits` under this sampler's temperature and top-p: token ids with their
    /// tempered probabilities, in decreasing probability (ties: lower id first). At temperature 0, the
    /// greedy token with probability 1.
    ///
    /// # Errors
    /// As [`Sampler::log_probs`] for the logits.
    pub fn nucleus(&self, logits: &[f32]) -> Result<Vec<(u32, f64)>> {
        check_logits(logits)?;
        if self.temperature == 0.0 {
            return Ok(vec![(argmax(logits), 1.0)]);
        }
        let probs: Vec<f64> = Sampler::log_probs(logits, self.temperature)?
            .into_iter()
            .map(f64::exp)
            .collect();
        let mut order: Vec<u32> = (0..probs.len() as u32).collect();
        order.sort_by(|&a, &b| {
            probs[b as usize]
                .total_cmp(&probs[a as usize])
                .then(a.cmp(&b))
        });
        let mut cum = 0.0;
        let mut out = Vec::new();
        for id in order {
            let p = probs[id as usize];
            if p == 0.0 {
                break;
            }
            out.push((id, p));
            cum += p;
            if cum >= self.top_p {
                break;
            }
        }
        Ok(out)
    }

    /// Draws one token id from `logits` (one row of the vocabulary).
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] for empty logits, NaN, +∞ or all −∞.
    pub fn sample(&mut self, logits: &[f32]) -> Result<u32> {
        check_logits(logits)?;
        if self.temperature == 0.0 {
            return Ok(argmax(logits));
        }
        let candidates: Vec<(u32, f64)> = if self.top_p >= 1.0 {
            let lp = Sampler::log_probs(logits, self.temperature)?;
            lp.into_iter()
                .enumerate()
                .map(|(i, l)| (i as u32, l.exp()))
                .collect()
        } else {
            self.nucleus(logits)?
        };
        let total: f64 = candidates.iter().map(|c| c.1).sum();
        let u = self.rng.random::<f64>() * total;
        let mut acc = 0.0;
        let mut last_positive = None;
        for &(id, p) in &candidates {
            if p > 0.0 {
                last_positive = Some(id);
            }
            acc += p;
            if u < acc {
                return Ok(id);
            }
        }
        // Only reachable through rounding (u within an ulp of total): the last token of positive mass.
        last_positive.ok_or_else(|| {
            LlmError::invalid(
                "logits",
                "no positive mass",
                "a token of positive probability",
            )
        })
    }
}

/// Lowest index among the maxima (logits already checked: no NaN).
fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &x) in logits.iter().enumerate() {
        if x > logits[best] {
            best = i;
        }
    }
    best as u32
}

/// Samples up to `max_new` tokens after `prompt`, incrementally with the KV cache; returns the new tokens.
/// Generation stops after the first token in `stop` (which is included).
///
/// # Errors
/// [`LlmError::InvalidArgument`] for an empty prompt; errors of [`CausalLm::forward`] (e.g. more positions
/// than the model takes) and of [`Sampler::sample`].
pub fn generate<M: CausalLm + ?Sized>(
    model: &M,
    prompt: &[u32],
    max_new: usize,
    sampler: &mut Sampler,
    stop: &[u32],
) -> Result<Vec<u32>> {
    let mut out = generate_batch(model, &[prompt], max_new, sampler, stop)?;
    Ok(out.pop().unwrap_or_default())
}

/// [`generate`] for several prompts of equal length in one batch. At each step the rows still running
/// draw in row order from the one `sampler`; a row stops after a token in `stop` (included) and is
/// dropped from the batch ([`crate::causal_lm::KvCache::select`]).
///
/// # Errors
/// [`LlmError::InvalidArgument`] if there are no prompts, a prompt is empty, or the lengths differ; those
/// of [`generate`].
pub fn generate_batch<M: CausalLm + ?Sized, P: AsRef<[u32]>>(
    model: &M,
    prompts: &[P],
    max_new: usize,
    sampler: &mut Sampler,
    stop: &[u32],
) -> Result<Vec<Vec<u32>>> {
    let Some(first) = prompts.first() else {
        return Err(LlmError::invalid("prompts", "[]", "at least one prompt"));
    };
    let len = first.as_ref().len();
    if len == 0 {
        return Err(LlmError::invalid("prompt length", 0, "at least one token"));
    }
    if let Some(p) = prompts.iter().find(|p| p.as_ref().len() != len) {
        return Err(LlmError::invalid(
            "prompt length",
            p.as_ref().len(),
            "the same length for every prompt of a batch",
        ));
    }
    let mut results: Vec<Vec<u32>> = vec![Vec::new(); prompts.len()];
    if max_new == 0 {
        return Ok(results);
    }
    let flat: Vec<u32> = prompts
        .iter()
        .flat_map(|p| p.as_ref().iter().copied())
        .collect();
    let ids = Tensor::from_vec(flat, (prompts.len(), len), model.device())?;
    let mut cache = model.new_cache();
    let mut logits = model.forward(&ids, &mut cache, 0)?.logits;
    // Original row index of each row of the current batch.
    let mut active: Vec<usize> = (0..prompts.len()).collect();
    for step in 0..max_new {
        let last = logits.dim(1)? - 1;
        let rows = logits.i((.., last, ..))?.to_vec2::<f32>()?;
        let mut keep = Vec::with_capacity(active.len());
        let mut next = Vec::with_capacity(active.len());
        for (r, &row) in active.iter().enumerate() {
            let tok = sampler.sample(&rows[r])?;
            results[row].push(tok);
            if !stop.contains(&tok) {
                keep.push(r);
                next.push(tok);
            }
        }
        if keep.is_empty() || step + 1 == max_new {
            break;
        }
        if keep.len() < active.len() {
            cache = cache.select(&keep)?;
            active = keep.iter().map(|&r| active[r]).collect();
        }
        let ids = Tensor::from_vec(next, (active.len(), 1), model.device())?;
        logits = model.forward(&ids, &mut cache, 0)?.logits;
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causal_lm::token_log_prob;
    use crate::mixtral::tests::seeded;
    use crate::mixtral::MixtralConfig;

    /// Reference nucleus by the rank criterion: a token belongs to the smallest top-p set iff the
    /// probability mass ranked strictly before it (probability desc, id asc) is below `top_p`.
    fn reference_nucleus(probs: &[f64], top_p: f64) -> Vec<u32> {
        let mut out = Vec::new();
        for (i, &p) in probs.iter().enumerate() {
            let before: f64 = probs
                .iter()
                .enumerate()
                .filter(|&(j, &q)| q > p || (q == p && j < i))
                .map(|(_, &q)| q)
                .sum();
            if before < top_p && p > 0.0 {
                out.push(i as u32);
            }
        }
        out
    }

    /// Softmax by direct exponentiation (a second method next to the crate's log-sum-exp).
    fn softmax_direct(logits: &[f32], t: f64) -> Vec<f64> {
        let e: Vec<f64> = logits.iter().map(|&x| (x as f64 / t).exp()).collect();
        let z: f64 = e.iter().sum();
        e.iter().map(|v| v / z).collect()
    }

    fn chi_square(counts: &[usize], probs: &[f64]) -> f64 {
        let n: usize = counts.iter().sum();
        counts
            .iter()
            .zip(probs)
            .map(|(&c, &p)| (c as f64 - n as f64 * p).powi(2) / (n as f64 * p))
            .sum()
    }

    #[test]
    fn same_seed_same_draws_and_state_restores_the_stream() {
        let logits: Vec<f32> = (0..40)
            .map(|i| ((i * 7919) % 23) as f32 * 0.2 - 2.0)
            .collect();
        let draws = |seed| {
            let mut s = Sampler::new(seed, 1.0, 0.95).unwrap();
            (0..500)
                .map(|_| s.sample(&logits).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(3), draws(3));
        assert_ne!(draws(3), draws(4));
        let mut s = Sampler::new(9, 0.8, 1.0).unwrap();
        for _ in 0..137 {
            s.sample(&logits).unwrap();
        }
        let state = s.state();
        assert_eq!(
            state.word_pos,
            137 * 2,
            "one f64 (two 32-bit words) per draw"
        );
        let json = serde_json::to_string(&state).unwrap();
        let back: SamplerState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
        let after: Vec<u32> = (0..60).map(|_| s.sample(&logits).unwrap()).collect();
        let mut r = Sampler::restore(&back).unwrap();
        let resumed: Vec<u32> = (0..60).map(|_| r.sample(&logits).unwrap()).collect();
        assert_eq!(after, resumed);
        let bad = SamplerState {
            top_p: 0.0,
            ..state
        };
        assert!(matches!(
            Sampler::restore(&bad),
            Err(LlmError::InvalidArgument { name: "top_p", .. })
        ));
    }

    #[test]
    fn greedy_at_zero_temperature_takes_the_first_maximum_and_no_randomness() {
        let mut s = Sampler::new(1, 0.0, 0.3).unwrap();
        let logits = [0.5f32, 2.0, f32::NEG_INFINITY, 2.0, -1.0];
        for _ in 0..10 {
            assert_eq!(s.sample(&logits).unwrap(), 1);
        }
        assert_eq!(s.state().word_pos, 0);
        assert_eq!(s.nucleus(&logits).unwrap(), vec![(1, 1.0)]);
    }

    #[test]
    fn log_probs_match_direct_softmax() {
        let logits = [1.5f32, -0.25, 3.0, f32::NEG_INFINITY, 0.0];
        for t in [1.0, 0.5, 2.5] {
            let lp = Sampler::log_probs(&logits, t).unwrap();
            let direct = softmax_direct(&logits, t);
            for (l, p) in lp.iter().zip(&direct) {
                if *p == 0.0 {
                    assert_eq!(*l, f64::NEG_INFINITY);
                } else {
                    assert!((l - p.ln()).abs() < 1e-14, "T {t}: {l} vs {}", p.ln());
                }
            }
        }
        assert!(
            (token_log_prob(&logits, 2).unwrap() - Sampler::log_probs(&logits, 1.0).unwrap()[2])
                .abs()
                < 1e-15
        );
        // Large logits: log p = −log(1 + e^{−1}) exactly where a naive exp would overflow.
        let big = [1000.0f32, 999.0];
        let want = -(1.0 + (-1.0f64).exp()).ln();
        assert!((Sampler::log_probs(&big, 1.0).unwrap()[0] - want).abs() < 1e-14);
        assert!(matches!(
            token_log_prob(&logits, 5),
            Err(LlmError::InvalidArgument { name: "token", .. })
        ));
    }

    #[test]
    fn top_p_never_leaves_the_nucleus() {
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let logits: Vec<f32> = (0..50).map(|_| 4.0 * rng.random::<f32>() - 2.0).collect();
        for (t, top_p) in [(1.0, 0.3), (1.0, 0.7), (0.6, 0.9), (2.0, 0.5)] {
            let mut s = Sampler::new(22, t, top_p).unwrap();
            let want = reference_nucleus(&softmax_direct(&logits, t), top_p);
            let mut got: Vec<u32> = s
                .nucleus(&logits)
                .unwrap()
                .into_iter()
                .map(|x| x.0)
                .collect();
            got.sort();
            assert_eq!(got, want, "T {t} top_p {top_p}");
            assert!(want.len() < logits.len());
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..3000 {
                let tok = s.sample(&logits).unwrap();
                assert!(
                    want.contains(&tok),
                    "T {t} top_p {top_p}: token {tok} outside the nucleus {want:?}"
                );
                seen.insert(tok);
            }
            eprintln!(
                "T {t} top_p {top_p}: nucleus of {} tokens, {} seen",
                want.len(),
                seen.len()
            );
        }
    }

    /// Chi-square goodness of fit, 20 000 draws. Critical values at false-positive rate 1e-4 (upper
    /// 1e-4 quantile of χ²_df): df 7 → 29.8775, df 3 → 21.1075 (computed with mpmath's regularised upper
    /// incomplete gamma and checked by an independent series + bisection in plain Python).
    #[test]
    fn frequencies_pass_chi_square_at_1e_minus_4() {
        const N: usize = 20_000;
        // Temperature 1, no nucleus: 8 categories, df 7.
        let a = [0.0f32, 0.5, -1.0, 1.2, 0.3, -0.4, 0.8, -2.0];
        let mut s = Sampler::new(2024, 1.0, 1.0).unwrap();
        let mut counts = [0usize; 8];
        for _ in 0..N {
            counts[s.sample(&a).unwrap() as usize] += 1;
        }
        let stat = chi_square(&counts, &softmax_direct(&a, 1.0));
        eprintln!("T = 1: chi-square {stat:.3} (df 7, critical 29.8775), counts {counts:?}");
        assert!(stat < 29.8775, "chi-square {stat}");
        // Temperature 0.7, top-p 0.8: the nucleus is tokens {3, 7, 0, 9} (mass 0.8008); renormalised within
        // it, df 3.
        let b = [
            1.0f32, 0.2, -0.5, 2.0, 0.7, -1.5, 0.0, 1.4, -0.3, 0.9, -2.5, 0.4,
        ];
        let mut s = Sampler::new(2025, 0.7, 0.8).unwrap();
        let probs = softmax_direct(&b, 0.7);
        let nucleus = [3usize, 7, 0, 9];
        assert_eq!(reference_nucleus(&probs, 0.8), vec![0, 3, 7, 9]);
        let mass: f64 = nucleus.iter().map(|&i| probs[i]).sum();
        let mut counts = [0usize; 4];
        for _ in 0..N {
            let tok = s.sample(&b).unwrap() as usize;
            let k = nucleus
                .iter()
                .position(|&i| i == tok)
                .expect("token inside the nucleus");
            counts[k] += 1;
        }
        let within: Vec<f64> = nucleus.iter().map(|&i| probs[i] / mass).collect();
        let stat = chi_square(&counts, &within);
        eprintln!(
            "T = 0.7, top-p 0.8: chi-square {stat:.3} (df 3, critical 21.1075), counts {counts:?}"
        );
        assert!(stat < 21.1075, "chi-square {stat}");
        // A wrong distribution (untempered probabilities) is rejected by the same test: it can fail.
        let untempered = softmax_direct(&b, 1.0);
        let m1: f64 = nucleus.iter().map(|&i| untempered[i]).sum();
        let wrong: Vec<f64> = nucleus.iter().map(|&i| untempered[i] / m1).collect();
        assert!(chi_square(&counts, &wrong) > 21.1075);
    }

    #[test]
    fn invalid_arguments_are_typed_errors() {
        let name = |r: Result<Sampler>| match r {
            Err(LlmError::InvalidArgument { name, .. }) => name,
            other => panic!("expected InvalidArgument, got {other:?}"),
        };
        assert_eq!(name(Sampler::new(0, -0.1, 1.0)), "temperature");
        assert_eq!(name(Sampler::new(0, f64::NAN, 1.0)), "temperature");
        assert_eq!(name(Sampler::new(0, f64::INFINITY, 1.0)), "temperature");
        assert_eq!(name(Sampler::new(0, 1.0, 0.0)), "top_p");
        assert_eq!(name(Sampler::new(0, 1.0, 1.5)), "top_p");
        assert_eq!(name(Sampler::new(0, 1.0, f64::NAN)), "top_p");
        let mut s = Sampler::new(0, 1.0, 0.9).unwrap();
        for bad in [
            vec![],
            vec![0.0, f32::NAN],
            vec![f32::INFINITY, 0.0],
            vec![f32::NEG_INFINITY; 3],
        ] {
            assert!(
                matches!(
                    s.sample(&bad),
                    Err(LlmError::InvalidArgument { name: "logits", .. })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            Sampler::log_probs(&[0.0], 0.0),
            Err(LlmError::InvalidArgument {
                name: "temperature",
                ..
            })
        ));
        // −∞ entries are allowed and never drawn.
        let mut s = Sampler::new(5, 1.0, 1.0).unwrap();
        for _ in 0..200 {
            assert_ne!(s.sample(&[0.0, f32::NEG_INFINITY, 0.0]).unwrap(), 1);
        }
    }

    /// Generation by full recomputation, row by row, drawing in the same order as `generate_batch`.
    fn naive_generate(
        model: &crate::mixtral::Mixtral,
        prompts: &[Vec<u32>],
        max_new: usize,
        sampler: &mut Sampler,
        stop: &[u32],
    ) -> Vec<Vec<u32>> {
        let mut seqs = prompts.to_vec();
        let mut out = vec![Vec::new(); prompts.len()];
        let mut done = vec![false; prompts.len()];
        for _ in 0..max_new {
            for r in 0..prompts.len() {
                if done[r] {
                    continue;
                }
                let ids =
                    Tensor::from_vec(seqs[r].clone(), (1, seqs[r].len()), model.device()).unwrap();
                let mut c = model.new_cache();
                let logits = model.forward(&ids, &mut c, 0).unwrap().logits;
                let row = logits
                    .i((0, seqs[r].len() - 1))
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap();
                let tok = sampler.sample(&row).unwrap();
                out[r].push(tok);
                seqs[r].push(tok);
                done[r] = stop.contains(&tok);
            }
        }
        out
    }

    #[test]
    fn generation_with_the_kv_cache_matches_naive_recomputation() {
        let cfg = MixtralConfig {
            sliding_window: Some(6),
            ..MixtralConfig::tiny(53)
        };
        let (model, _) = seeded(&cfg, 31);
        let prompt = vec![1u32, 7, 22, 9];
        let max_new = 12;
        let got = generate(
            &model,
            &prompt,
            max_new,
            &mut Sampler::new(8, 1.0, 0.9).unwrap(),
            &[],
        )
        .unwrap();
        let want = naive_generate(
            &model,
            std::slice::from_ref(&prompt),
            max_new,
            &mut Sampler::new(8, 1.0, 0.9).unwrap(),
            &[],
        );
        assert_eq!(got, want[0]);
        assert_eq!(got.len(), max_new);
        // A stop token ends generation after its first occurrence (included).
        let stop = got[4];
        let first = got.iter().position(|&t| t == stop).unwrap();
        let stopped = generate(
            &model,
            &prompt,
            max_new,
            &mut Sampler::new(8, 1.0, 0.9).unwrap(),
            &[stop],
        )
        .unwrap();
        assert_eq!(stopped, got[..=first].to_vec());
        // Greedy generation is deterministic whatever the seed.
        let g1 = generate(
            &model,
            &prompt,
            6,
            &mut Sampler::new(1, 0.0, 1.0).unwrap(),
            &[],
        )
        .unwrap();
        let g2 = generate(
            &model,
            &prompt,
            6,
            &mut Sampler::new(2, 0.0, 1.0).unwrap(),
            &[],
        )
        .unwrap();
        assert_eq!(g1, g2);
        assert_eq!(
            generate(
                &model,
                &prompt,
                0,
                &mut Sampler::new(1, 1.0, 1.0).unwrap(),
                &[]
            )
            .unwrap(),
            Vec::<u32>::new()
        );
        assert!(generate(&model, &[], 3, &mut Sampler::new(1, 1.0, 1.0).unwrap(), &[]).is_err());
        // Past max_position_embeddings: a typed error, not a panic.
        let short = MixtralConfig {
            max_position_embeddings: 8,
            ..cfg.clone()
        };
        let (small, _) = seeded(&short, 31);
        let err = generate(
            &small,
            &prompt,
            10,
            &mut Sampler::new(1, 1.0, 1.0).unwrap(),
            &[],
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                LlmError::InvalidArgument {
                    name: "sequence length",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn batched_generation_matches_naive_row_by_row() {
        let cfg = MixtralConfig {
            sliding_window: None,
            ..MixtralConfig::tiny(41)
        };
        let (model, _) = seeded(&cfg, 33);
        let prompts = vec![vec![1u32, 2, 3], vec![30, 5, 17], vec![8, 8, 40]];
        let max_new = 8;
        let free = generate_batch(
            &model,
            &prompts,
            max_new,
            &mut Sampler::new(4, 1.2, 1.0).unwrap(),
            &[],
        )
        .unwrap();
        let want = naive_generate(
            &model,
            &prompts,
            max_new,
            &mut Sampler::new(4, 1.2, 1.0).unwrap(),
            &[],
        );
        assert_eq!(free, want);
        // A stop token taken from row 1 makes at least one row finish early (the cache is then narrowed).
        let stop = [free[1][2]];
        let got = generate_batch(
            &model,
            &prompts,
            max_new,
            &mut Sampler::new(4, 1.2, 1.0).unwrap(),
            &stop,
        )
        .unwrap();
        let want = naive_generate(
            &model,
            &prompts,
            max_new,
            &mut Sampler::new(4, 1.2, 1.0).unwrap(),
            &stop,
        );
        assert_eq!(got, want);
        assert!(got.iter().any(|r| r.len() < max_new), "{got:?}");
        // One prompt in a batch is `generate`.
        let one = generate_batch(
            &model,
            &prompts[..1],
            5,
            &mut Sampler::new(6, 1.0, 0.8).unwrap(),
            &[],
        )
        .unwrap();
        let single = generate(
            &model,
            &prompts[0],
            5,
            &mut Sampler::new(6, 1.0, 0.8).unwrap(),
            &[],
        )
        .unwrap();
        assert_eq!(one[0], single);
        let ragged = vec![vec![1u32, 2], vec![3]];
        assert!(matches!(
            generate_batch(
                &model,
                &ragged,
                2,
                &mut Sampler::new(1, 1.0, 1.0).unwrap(),
                &[]
            ),
            Err(LlmError::InvalidArgument {
                name: "prompt length",
                ..
            })
        ));
        let none: Vec<Vec<u32>> = vec![];
        assert!(generate_batch(
            &model,
            &none,
            2,
            &mut Sampler::new(1, 1.0, 1.0).unwrap(),
            &[]
        )
        .is_err());
    }
}
