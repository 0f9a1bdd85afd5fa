//! Context-tree weighting (Willems, Shtarkov, Tjalkens 1995): the exact Bayesian mixture over
//! all binary prediction suffix trees of depth ≤ D, each leaf a Krichevsky–Trofimov estimator.
//!
//! ```text
//! P_e(a, b)   = Π (count + ½)/(n + 1)                      (KT: Bernoulli with a Beta(½,½) prior)
//! P_w^s       = P_e^s                                      if |s| = D
//!             = ½ P_e^s + ½ P_w^{0s} P_w^{1s}              if |s| < D
//! P_w^λ(x)    = Σ_S 2^{−Γ_D(S)} Π_{s ∈ S} P_e(a_s, b_s)   (Γ_D(S) = 2|S| − 1 − #{s ∈ S : |s| = D})
//! ```
//!
//! so CTW is a [`BasePolicy`] with exact sequence probabilities `P_w^λ` of the root: the Bayes
//! mixture over tree sources with the prior `2^{−Γ_D(S)}` (the natural prefix code of the tree),
//! each tree itself a mixture over leaf parameters. The context of `x_t` is
//! `x_{t−1}, x_{t−2}, …, x_{t−D}`; the `D` symbols before `x_1` are given as `past`
//! (conventionally zeros).
//!
//! Storage is the full tree, `2^{D+1} − 1` nodes of 24 bytes, so an update is O(D) with no hashing;
//! a depth whose tree exceeds the memory limit is refused with [`Error::TooLarge`] **before**
//! anything is allocated (default limit [`DEFAULT_MEMORY_LIMIT`], D = 16 needs 3 MiB).

use crate::error::{Error, Result};

use super::{BasePolicy, History, Layout};

/// Default memory limit for the context tree: 1 GiB (depth ≤ 24).
pub const DEFAULT_MEMORY_LIMIT: usize = 1 << 30;

/// Largest depth considered at all (the node index must fit comfortably in `usize`).
pub const MAX_DEPTH: usize = 48;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Node {
    counts: [u32; 2],
    ln_pe: f64,
    ln_pw: f64,
}

const EMPTY: Node = Node {
    counts: [0, 0],
    ln_pe: 0.0,
    ln_pw: 0.0,
};
const LN_HALF: f64 = -std::f64::consts::LN_2;

/// The CTW mixture of depth `D`.
#[derive(Debug, Clone)]
pub struct Ctw {
    depth: usize,
    nodes: Vec<Node>,
    /// `past` followed by the history (only the last `depth` symbols are ever read).
    context: Vec<usize>,
    history: History,
}

impl Ctw {
    /// Bytes needed for depth `depth` (as f64 so huge depths do not overflow).
    pub fn bytes_needed(depth: usize) -> f64 {
        ((depth as f64 + 1.0).exp2() - 1.0) * std::mem::size_of::<Node>() as f64
    }

    /// CTW of depth `depth` with all-zero past, under [`DEFAULT_MEMORY_LIMIT`].
    ///
    /// # Errors
    /// As [`Ctw::with_past`].
    pub fn new(depth: usize) -> Result<Self> {
        Self::with_past(depth, &vec![0; depth], DEFAULT_MEMORY_LIMIT)
    }

    /// CTW of depth `depth`; `past` = the `depth` symbols before `x_1`, oldest first.
    ///
    /// # Errors
    /// [`Error::TooLarge`] if the tree would need more than `memory_limit` bytes (checked before
    /// allocating); [`Error::LengthMismatch`] if `past.len() != depth`;
    /// [`Error::OutsideAlphabet`] for a past symbol other than 0, 1.
    pub fn with_past(depth: usize, past: &[usize], memory_limit: usize) -> Result<Self> {
        let need = Self::bytes_needed(depth);
        if depth > MAX_DEPTH || need > memory_limit as f64 {
            return Err(Error::TooLarge {
                name: "CTW depth",
                value: depth as f64,
                needed: format!(
                    "{:.3e} bytes (2^(D+1) − 1 nodes × {} bytes)",
                    need,
                    std::mem::size_of::<Node>()
                ),
                limit: format!("{memory_limit} bytes"),
            });
        }
        if past.len() != depth {
            return Err(Error::LengthMismatch {
                left: "CTW past",
                left_len: past.len(),
                right: "depth",
                right_len: depth,
            });
        }
        for (position, &s) in past.iter().enumerate() {
            if s > 1 {
                return Err(Error::OutsideAlphabet {
                    name: "CTW past",
                    position,
                    symbol: s,
                    role: "action",
                    max: 1,
                });
            }
        }
        let n = (1usize << (depth + 1)) - 1;
        Ok(Self {
            depth,
            nodes: vec![EMPTY; n],
            context: past.to_vec(),
            history: History::new(Layout::BINARY),
        })
    }

    /// The depth `D`.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// `ln P_w^λ(x_{1:n} | past)` of the history so far.
    pub fn ln_pw(&self) -> f64 {
        self.nodes[0].ln_pw
    }

    /// Node indices on the context path, root first (`depth + 1` of them).
    fn path(&self) -> Vec<usize> {
        let mut p = Vec::with_capacity(self.depth + 1);
        let mut i = 0usize;
        p.push(i);
        let n = self.context.len();
        for d in 1..=self.depth {
            let bit = self.context[n - d];
            i = 2 * i + 1 + bit;
            p.push(i);
        }
        p
    }

    /// New `(ln_pe, ln_pw)` of every path node if `symbol` were appended (leaf first).
    fn updated(&self, path: &[usize], symbol: usize) -> Vec<(f64, f64)> {
        let mut out = vec![(0.0, 0.0); path.len()];
        let mut child_pw = 0.0;
        let mut child_bit = 0;
        for d in (0..path.len()).rev() {
            let node = &self.nodes[path[d]];
            let (a, b) = (
                node.counts[symbol] as f64,
                (node.counts[0] + node.counts[1]) as f64,
            );
            let pe = node.ln_pe + ((a + 0.5) / (b + 1.0)).ln();
            let pw = if d == self.depth {
                pe
            } else {
                // children of path[d]: the one on the path has the new value
                let sibling = 2 * path[d] + 1 + (1 - child_bit);
                let prod = child_pw + self.nodes[sibling].ln_pw;
                LN_HALF + super::clock::logaddexp(pe, prod)
            };
            out[d] = (pe, pw);
            child_pw = pw;
            if d > 0 {
                child_bit = path[d] - (2 * path[d - 1] + 1);
            }
        }
        out
    }

    /// Appends a symbol; `name` is used in errors.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    pub fn update_named(&mut self, name: &'static str, symbol: usize) -> Result<()> {
        Layout::BINARY.check_symbol(name, self.history.len(), symbol)?;
        let path = self.path();
        let new = self.updated(&path, symbol);
        for (d, &i) in path.iter().enumerate() {
            let node = &mut self.nodes[i];
            node.counts[symbol] += 1;
            node.ln_pe = new[d].0;
            node.ln_pw = new[d].1;
        }
        self.history.push_named(name, symbol)?;
        self.context.push(symbol);
        if self.context.len() > 4 * self.depth.max(16) {
            let keep = self.context.len() - self.depth;
            self.context.drain(..keep);
        }
        Ok(())
    }
}

impl BasePolicy for Ctw {
    fn layout(&self) -> Layout {
        Layout::BINARY
    }

    fn history(&self) -> &History {
        &self.history
    }

    fn ln_predict(&self) -> Vec<f64> {
        let path = self.path();
        let root = self.ln_pw();
        let l0 = self.updated(&path, 0)[0].1 - root;
        let l1 = self.updated(&path, 1)[0].1 - root;
        super::complete_binary(l0, l1)
    }

    fn update(&mut self, symbol: usize) -> Result<()> {
        self.update_named("symbol", symbol)
    }

    fn clone_box(&self) -> Box<dyn BasePolicy> {
        Box::new(self.clone())
    }

    fn ln_prob_extend(&mut self, symbols: &[usize]) -> Result<f64> {
        let before = self.ln_pw();
        for &x in symbols {
            self.update_named("data", x)?;
        }
        Ok(self.ln_pw() - before)
    }

    fn ln_prob_actions_extend(&mut self, symbols: &[usize]) -> Result<f64> {
        self.ln_prob_extend(symbols)
    }
}

/// `ln P_e(a, b)` of the KT estimator in closed form via `ln Γ` (the brute-force reference).
pub fn ln_kt(a: u64, b: u64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    ln_gamma(a as f64 + 0.5) + ln_gamma(b as f64 + 0.5)
        - 2.0 * ln_gamma(0.5)
        - ln_gamma((a + b) as f64 + 1.0)
}

/// Brute force: `ln Σ_S 2^{−Γ_D(S)} Π_{s∈S} P_e(a_s, b_s)` by enumerating every suffix tree of
/// depth ≤ `depth` (feasible for `depth ≤ 4`: 1, 2, 5, 26, 677 trees).
///
/// # Errors
/// [`Error::OutOfRange`] for `depth > 4`; [`Error::LengthMismatch`] for a wrong `past`.
pub fn brute_force_ln_pw(depth: usize, past: &[usize], x: &[usize]) -> Result<f64> {
    if depth > 4 {
        return Err(Error::OutOfRange {
            name: "brute-force CTW depth",
            value: depth as f64,
            range: "[0, 4]",
        });
    }
    if past.len() != depth {
        return Err(Error::LengthMismatch {
            left: "past",
            left_len: past.len(),
            right: "depth",
            right_len: depth,
        });
    }
    let full: Vec<usize> = past.iter().chain(x).copied().collect();
    // counts[context string as (len, bits)] for contexts of every length ≤ depth
    let counts = |ctx: &[usize]| -> (u64, u64) {
        let (mut a, mut b) = (0, 0);
        for t in depth..full.len() {
            if ctx.iter().enumerate().all(|(i, &c)| full[t - 1 - i] == c) {
                if full[t] == 0 {
                    a += 1
                } else {
                    b += 1
                }
            }
        }
        (a, b)
    };
    // all trees below context `ctx`: list of ln(2^{−Γ} Π P_e) terms
    fn trees(
        ctx: &mut Vec<usize>,
        depth: usize,
        counts: &dyn Fn(&[usize]) -> (u64, u64),
    ) -> Vec<f64> {
        let (a, b) = counts(ctx);
        let leaf = ln_kt(a, b);
        if ctx.len() == depth {
            return vec![leaf];
        }
        let mut out = vec![LN_HALF + leaf];
        ctx.push(0);
        let left = trees(ctx, depth, counts);
        ctx.pop();
        ctx.push(1);
        let right = trees(ctx, depth, counts);
        ctx.pop();
        for l in &left {
            for r in &right {
                out.push(LN_HALF + l + r);
            }
        }
        out
    }
    let all = trees(&mut Vec::new(), depth, &counts);
    Ok(crate::numerics::logsumexp(&all))
}

/// The known value of Willems, Shtarkov & Tjalkens (1995, Fig. 2): `D = 3`, past `…010`,
/// `x = 0110100` ⇒ `P_w^λ = 95/32768`.
pub const WST_PAST: [usize; 3] = [0, 1, 0];
/// The sequence of the WST example.
pub const WST_SEQUENCE: [usize; 7] = [0, 1, 1, 0, 1, 0, 0];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::tolerance::assert_close;
    use crate::numerics::Tolerance;
    use proptest::prelude::*;

    #[test]
    fn wst_example() {
        let mut ctw = Ctw::with_past(3, &WST_PAST, DEFAULT_MEMORY_LIMIT).unwrap();
        // Source: Willems, Shtarkov, Tjalkens 1995, Fig. 2.
        assert_close(
            ctw.ln_prob_extend(&WST_SEQUENCE).unwrap().exp(),
            95.0 / 32768.0,
            Tolerance::rel(1e-13),
        );
        assert_close(
            brute_force_ln_pw(3, &WST_PAST, &WST_SEQUENCE)
                .unwrap()
                .exp(),
            95.0 / 32768.0,
            Tolerance::rel(1e-13),
        );
    }

    #[test]
    fn kt_closed_form() {
        // P_e(1,1) = ½·½/2 = 1/8; P_e(2,0) = ½·(3/2)/2 = 3/8
        assert_close(ln_kt(1, 1).exp(), 0.125, Tolerance::rel(1e-14));
        assert_close(ln_kt(2, 0).exp(), 0.375, Tolerance::rel(1e-14));
    }

    #[test]
    fn predictive_sums_to_one_and_chains() {
        let x: Vec<usize> = (0..200).map(|i| (i % 3 == 0) as usize).collect();
        let mut a = Ctw::new(5).unwrap();
        let mut b = a.clone();
        let mut s = 0.0;
        for &xi in &x {
            let p = a.ln_predict();
            assert_close(p[0].exp() + p[1].exp(), 1.0, Tolerance::abs(1e-14));
            s += p[xi];
            a.update(xi).unwrap();
        }
        assert_close(
            s,
            b.ln_prob_extend(&x).unwrap(),
            Tolerance::new(1e-11, 1e-11),
        );
        // a period-3 sequence is learned: late predictions are confident
        assert!(a.ln_predict()[1] > -0.1 || a.ln_predict()[0] > -0.1);
    }

    #[test]
    fn refuses_depth_before_allocating() {
        let e = Ctw::new(40).unwrap_err();
        assert!(
            matches!(
                e,
                Error::TooLarge {
                    name: "CTW depth",
                    ..
                }
            ),
            "{e}"
        );
        assert!(Ctw::with_past(10, &[0; 10], 1000).is_err());
        assert!(matches!(
            Ctw::with_past(2, &[0], DEFAULT_MEMORY_LIMIT),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            Ctw::with_past(2, &[0, 2], DEFAULT_MEMORY_LIMIT),
            Err(Error::OutsideAlphabet { .. })
        ));
        let mut c = Ctw::new(2).unwrap();
        assert!(matches!(c.update(2), Err(Error::OutsideAlphabet { .. })));
        assert!(Ctw::new(16).is_ok());
    }

    fn seq_strategy() -> impl Strategy<Value = (usize, Vec<usize>, Vec<usize>)> {
        (0usize..=3).prop_flat_map(|d| {
            (
                Just(d),
                proptest::collection::vec(0usize..2, d),
                proptest::collection::vec(0usize..2, 0..30),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn ctw_equals_enumeration((d, past, x) in seq_strategy()) {
            let mut ctw = Ctw::with_past(d, &past, DEFAULT_MEMORY_LIMIT).unwrap();
            let a = ctw.ln_prob_extend(&x).unwrap();
            let b = brute_force_ln_pw(d, &past, &x).unwrap();
            prop_assert!((a - b).abs() <= 1e-11 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
}
