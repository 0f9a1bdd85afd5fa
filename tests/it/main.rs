//! The one integration-test binary (each file under `tests/` would link the crate again).

mod cli;
mod prob_props;
mod strategies;
mod tails_cli;
