//! The one integration-test binary (each file under `tests/` would link the crate again).

mod cli;
#[cfg(feature = "llm")]
mod llm_cli;
mod llm_plan;
#[cfg(feature = "llm")]
mod llm_score_reward;
mod prob_props;
mod strategies;
mod tails_cli;
