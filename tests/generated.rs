//! The committed man pages and completions must be what the clap
//! definitions generate now.

use std::path::Path;

#[test]
fn generated_files_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for file in procgroup_cli::generate::files() {
        let path = root.join(&file.path);
        if std::fs::read(&path).ok().as_deref() != Some(&file.contents[..]) {
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &file.contents).unwrap();
            }
            stale.push(file.path.display().to_string());
        }
    }
    assert!(
        update || stale.is_empty(),
        "generated files are out of date: {}; run cargo xtask gen",
        stale.join(", ")
    );
}
