//! Provenance of every output: which command made it, with which resolved config and seed,
//! from which commit, with which versions (spec: CONTRACT.md "Outputs of a figure").

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The provenance record written as `ID.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// Figure / simulation id.
    pub id: String,
    /// Paper key as in the theorem report.
    pub paper: String,
    /// The paper's own figure number, or `null`.
    pub figure: Option<String>,
    /// Title.
    pub title: String,
    /// argv that regenerates it.
    pub command: Vec<String>,
    /// Resolved config (defaults filled in).
    pub config: serde_json::Value,
    /// SHA-256 of the canonical JSON of `config`.
    pub config_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Whether the quick (CI) preset was used.
    pub quick: bool,
    /// The commit this binary was built from ([`git_state`]), if it was built in a checkout.
    pub git_commit: Option<String>,
    /// Whether the build's tracked sources differed from that commit.
    pub git_dirty: Option<bool>,
    /// Versions of goodhart, rustc and value-relevant crates.
    pub versions: Versions,
    /// Source file of the producer.
    pub source: String,
    /// Summary numbers computed by the producer.
    pub summary: serde_json::Value,
    /// Wall time in seconds.
    pub wall_s: f64,
    /// Seconds since the Unix epoch when written.
    pub timestamp_unix: u64,
}

/// What the maker of a figure knows about it; [`Provenance::new`] adds the build (commit,
/// versions), the config's hash and the time.
pub struct FigureFacts<'a> {
    /// Figure / simulation id.
    pub id: &'a str,
    /// Paper key as in the theorem report.
    pub paper: &'a str,
    /// The paper's own figure number, or `None`.
    pub figure: Option<&'a str>,
    /// Title.
    pub title: &'a str,
    /// argv that regenerates it.
    pub command: Vec<String>,
    /// Resolved config (defaults filled in).
    pub config: serde_json::Value,
    /// Master seed.
    pub seed: u64,
    /// Whether the quick (CI) preset was used.
    pub quick: bool,
    /// Source file of the producer.
    pub source: &'a str,
    /// Summary numbers computed by the producer.
    pub summary: serde_json::Value,
    /// Wall time in seconds.
    pub wall_s: f64,
}

impl Provenance {
    /// The record of `f`, made now by this build.
    pub fn new(f: FigureFacts<'_>) -> Self {
        let (git_commit, git_dirty) = git_state();
        Self {
            id: f.id.to_string(),
            paper: f.paper.to_string(),
            figure: f.figure.map(str::to_string),
            title: f.title.to_string(),
            command: f.command,
            config_hash: hash_json(&f.config),
            config: f.config,
            seed: f.seed,
            quick: f.quick,
            git_commit,
            git_dirty,
            versions: Versions::current(),
            source: f.source.to_string(),
            summary: f.summary,
            wall_s: f.wall_s,
            timestamp_unix: now_unix(),
        }
    }
}

/// Versions recorded in every provenance record.
#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    /// This crate.
    pub goodhart: &'static str,
    /// The compiler.
    pub rustc: &'static str,
    /// rand.
    pub rand: &'static str,
    /// rand_distr.
    pub rand_distr: &'static str,
    /// rand_chacha.
    pub rand_chacha: &'static str,
    /// statrs.
    pub statrs: &'static str,
    /// plotters.
    pub plotters: &'static str,
    /// CPU features relevant to speed (not to values).
    pub cpu_features: Vec<&'static str>,
}

impl Versions {
    /// The versions of this build.
    pub fn current() -> Self {
        Self {
            goodhart: env!("CARGO_PKG_VERSION"),
            rustc: env!("GOODHART_RUSTC_VERSION"),
            rand: env!("GOODHART_DEP_RAND"),
            rand_distr: env!("GOODHART_DEP_RAND_DISTR"),
            rand_chacha: env!("GOODHART_DEP_RAND_CHACHA"),
            statrs: env!("GOODHART_DEP_STATRS"),
            plotters: env!("GOODHART_DEP_PLOTTERS"),
            cpu_features: cpu_features(),
        }
    }
}

fn cpu_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut v = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            v.push("avx2");
        }
        if std::is_x86_feature_detected!("fma") {
            v.push("fma");
        }
        if std::is_x86_feature_detected!("avx512f") {
            v.push("avx512f");
        }
    }
    #[cfg(target_arch = "aarch64")]
    v.push("neon");
    v
}

/// SHA-256 hex of a JSON value's canonical text (serde_json maps are sorted: BTreeMap).
pub fn hash_json(v: &serde_json::Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    let d = Sha256::digest(text.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// `(commit, dirty)` of the source this binary was built from, embedded by `build.rs` (`None`
/// for a build outside a git checkout). Never the repository of the current directory, which
/// says nothing about the binary.
pub fn git_state() -> (Option<String>, Option<bool>) {
    let commit = Some(env!("GOODHART_BUILD_COMMIT")).filter(|c| !c.is_empty());
    let dirty = match env!("GOODHART_BUILD_DIRTY") {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    (commit.map(str::to_string), dirty)
}

/// SHA-256 hex of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Seconds since the epoch.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
