//! Project tasks: `cargo xtask gen` writes man/ and completions/ from the
//! clap definitions; `cargo xtask bench` runs the benchmark, `cargo xtask
//! bench-completion` times the completions with many processes; `cargo xtask
//! dist` builds the release tarball and `cargo xtask install` installs the
//! same files under a prefix.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bench;
mod completion_bench;
mod dist;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("gen") => generate(&root()),
        Some("bench") => bench::run(&root(), &args[1..]),
        Some("bench-completion") => completion_bench::run(&root(), &args[1..]),
        Some("dist") => dist::dist(&root(), &args[1..]),
        Some("install") => dist::install(&root(), &args[1..]),
        _ => Err("usage: cargo xtask gen | bench [--quick] \
                  | bench-completion [--processes N] [--runs R] | dist \
                  | install [--prefix P] [--destdir D] [--no-build]"
            .to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (xtask lives one level below it).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the repository")
        .to_path_buf()
}

fn generate(root: &Path) -> Result<(), String> {
    for file in procgroup_cli::generate::files() {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &file.contents).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", file.path.display());
    }
    Ok(())
}
