//! Running work: seeded RNG streams per work unit, progress observers, Ctrl-C handling.
//! Problem, runner and observer are kept apart (argmin's executor pattern): the library reports
//! progress through [`Observer`]; the CLI draws bars with indicatif.

pub mod interrupt;
pub mod observer;
pub mod par_sample;
pub mod seeds;

pub use observer::{NoObserver, Observer};
pub use seeds::{stream_rng, Rng64};
