//! The one integration-test binary (each file under `tests/` would link the crate again).

mod cli;
#[cfg(feature = "llm")]
mod llm_cli;
#[cfg(feature = "llm")]
mod llm_score_reward;
mod llm_plan;
mod prob_props;
mod strategies;
mod tails_cli;
