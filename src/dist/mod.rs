//! Continuous laws for the error `X` and the utility `V`: thin adapters over statrs (densities,
//! CDFs, quantiles) and rand_distr (sampling), plus what they lack: a tail-accurate `ln_sf`,
//! the paper's tail class, affine transforms (e.g. `t₃·√(1/3)`, `lognormal − 1`) and a serde
//! spec so users can name laws in TOML (`{ family = "student_t", df = 3.0 }`).

mod law;

pub use law::{Law, LawSpec};
