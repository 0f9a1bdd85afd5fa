//! Records, at build time, the versions that provenance records must carry: rustc, the
//! resolved versions of the crates whose value-stability matters (rand, rand_distr, statrs), and
//! the git commit the binary was built from (`GOODHART_BUILD_COMMIT`, empty outside a checkout)
//! with whether the tracked sources differed from it (`GOODHART_BUILD_DIRTY`). `--resume` keys
//! on these, never on the git repository of the directory the binary later runs in.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let v = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=GOODHART_RUSTC_VERSION={}", v.trim());
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    for name in ["rand", "rand_distr", "rand_chacha", "statrs", "plotters"] {
        let ver = lock_version(&lock, name).unwrap_or_else(|| "unknown".into());
        println!(
            "cargo:rustc-env=GOODHART_DEP_{}={}",
            name.to_uppercase(),
            ver
        );
    }
    build_commit();
}

/// `git` in the package directory; `None` if git or the repository is absent.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn build_commit() {
    // rebuild when the commit, the index or a tracked source changes
    for p in [
        "src",
        "build.rs",
        "Cargo.toml",
        "Cargo.lock",
        "simulations",
        "data",
    ] {
        println!("cargo:rerun-if-changed={p}");
    }
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/index");
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            if let Some(common) = git(&["rev-parse", "--git-common-dir"]) {
                let common = std::path::Path::new(&common);
                let common = if common.is_absolute() {
                    common.to_path_buf()
                } else {
                    std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
                        .join(common)
                };
                println!("cargo:rerun-if-changed={}", common.join(&r).display());
            }
        }
    }
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_default();
    let dirty = if commit.is_empty() {
        "unknown".to_string()
    } else {
        git(&["status", "--porcelain", "--untracked-files=no"])
            .map(|s| (!s.is_empty()).to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    println!("cargo:rustc-env=GOODHART_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=GOODHART_BUILD_DIRTY={dirty}");
}

fn lock_version(lock: &str, name: &str) -> Option<String> {
    let needle = format!("name = \"{name}\"\nversion = \"");
    let i = lock.find(&needle)? + needle.len();
    let rest = &lock[i..];
    Some(rest[..rest.find('"')?].to_string())
}
