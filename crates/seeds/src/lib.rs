//! `goodhart-seeds`: the seed rule of the whole workspace. One master seed per run; each work unit
//! gets its own ChaCha8 stream derived from `(master, path)`, so adding a component never shifts the
//! others and the thread count never changes results (rand book, "parallel RNGs", approach 4).
//!
//! The root package re-exports this as `goodhart::sim::seeds`; the LLM crate (`goodhart-llm`)
//! derives its streams here too, with paths that say what each stream is for
//! (`"train/lm/init"`, `"ppo/round-3/rollout"`). std and `rand_chacha` only.

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The portable generator used for everything reported.
pub type Rng64 = ChaCha8Rng;

/// Default master seed (the date-seed the Kwa et al. scripts use: `torch.manual_seed(20240522)`).
pub const DEFAULT_SEED: u64 = 20_240_522;

/// FNV-1a 64-bit hash of a work-unit path (stable across Rust versions, unlike `DefaultHasher`).
pub fn fnv1a64(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The generator for work unit `path` (e.g. `"kwa24-bon/normal-t3/N=64/trial=17"`).
pub fn stream_rng(master: u64, path: &str) -> Rng64 {
    let mut r = ChaCha8Rng::seed_from_u64(master);
    r.set_stream(fnv1a64(path));
    r
}

/// The generator for the `index`-th block of a work unit.
pub fn block_rng(master: u64, path: &str, index: u64) -> Rng64 {
    let mut r = ChaCha8Rng::seed_from_u64(master ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    r.set_stream(fnv1a64(path));
    r
}

/// The seed of work unit `path`: the first word of its stream, for an API that takes a seed
/// rather than a generator (a sampler, a model initialiser, a nested run with its own units).
pub fn stream_seed(master: u64, path: &str) -> u64 {
    stream_rng(master, path).next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = stream_rng(1, "x").next_u64();
        assert_eq!(a, stream_rng(1, "x").next_u64());
        assert_ne!(a, stream_rng(1, "y").next_u64());
        assert_ne!(a, stream_rng(2, "x").next_u64());
        assert_ne!(
            block_rng(1, "x", 0).next_u64(),
            block_rng(1, "x", 1).next_u64()
        );
        assert_eq!(stream_seed(1, "x"), a);
    }

    #[test]
    fn fnv_reference_values() {
        // FNV-1a 64 test vectors from the reference implementation (isthe.com/chongo/tech/comp/fnv).
        assert_eq!(fnv1a64(""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64("a"), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn first_words_are_those_of_main_before_the_move() {
        // Pinned from `goodhart::sim::seeds` as it was on main before it moved here: every root
        // output depends on these streams staying the same.
        assert_eq!(
            stream_rng(DEFAULT_SEED, "kwa24-bon/normal-t3/N=64/trial=17").next_u64(),
            4823757985029866133
        );
        assert_eq!(
            block_rng(DEFAULT_SEED, "x", 3).next_u64(),
            1640651675076584891
        );
    }
}
