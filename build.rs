//! Records, at build time, the versions that provenance records must carry: rustc and the
//! resolved versions of the crates whose value-stability matters (rand, rand_distr, statrs).

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
}

fn lock_version(lock: &str, name: &str) -> Option<String> {
    let needle = format!("name = \"{name}\"\nversion = \"");
    let i = lock.find(&needle)? + needle.len();
    let rest = &lock[i..];
    Some(rest[..rest.find('"')?].to_string())
}
