//! Thin binary: everything lives in the library (`goodhart::cli`).
fn main() -> std::process::ExitCode {
    goodhart::cli::main()
}
