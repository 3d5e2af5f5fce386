//! `cargo xtask dist` and `cargo xtask install`: the suite laid out for a
//! prefix, the way distributions install it.
//!
//!     bin/pgtree bin/pgkill bin/setsid-run
//!     share/man/man1/pgtree.1 …
//!     share/bash-completion/completions/pgtree …   (named as the command)
//!     share/zsh/site-functions/_pgtree …
//!     share/fish/vendor_completions.d/pgtree.fish …
//!     share/doc/procgroup-tools/README.md LICENSE-MIT LICENSE-APACHE
//!
//! `dist` puts that tree into one directory of
//! `target/dist/procgroup-tools-VERSION-ARCH-OS.tar.gz`, with README.md and
//! the licenses also at its top (install with `cp -R DIR/bin DIR/share
//! PREFIX`), reproducibly: sorted, owned by root, dated by the last commit or
//! SOURCE_DATE_EPOCH. `install` copies the same tree into DESTDIR/PREFIX. Man pages and completions come
//! from the generator itself, so they are always those of the binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "procgroup-tools";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const DOCS: [&str; 3] = ["README.md", "LICENSE-MIT", "LICENSE-APACHE"];

/// A file of the layout: where it goes under the prefix, what it holds,
/// and its mode.
struct Entry {
    path: PathBuf,
    contents: Vec<u8>,
    mode: u32,
}

/// Where a generated file goes under the prefix.
fn installed_path(generated: &Path) -> PathBuf {
    let name = generated.file_name().expect("a file");
    let dir = match generated.parent().and_then(Path::to_str) {
        Some("man") => "share/man/man1",
        Some("completions/bash") => "share/bash-completion/completions",
        Some("completions/zsh") => "share/zsh/site-functions",
        Some("completions/fish") => "share/fish/vendor_completions.d",
        other => panic!("no place for generated files in {other:?}"),
    };
    Path::new(dir).join(name)
}

/// Every file under the prefix; the binaries from `release`.
fn layout(root: &Path, release: &Path) -> Result<Vec<Entry>, String> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()));
    let mut entries = Vec::new();
    for page in procgroup_cli::generate::pages() {
        let name = page.command.get_name().to_string();
        entries.push(Entry {
            path: Path::new("bin").join(&name),
            contents: read(&release.join(&name))?,
            mode: 0o755,
        });
    }
    for file in procgroup_cli::generate::files() {
        entries.push(Entry {
            path: installed_path(&file.path),
            contents: file.contents,
            mode: 0o644,
        });
    }
    for doc in DOCS {
        entries.push(Entry {
            path: Path::new("share/doc").join(PACKAGE).join(doc),
            contents: read(&root.join(doc))?,
            mode: 0o644,
        });
    }
    Ok(entries)
}

/// Writes the entries under `dir`, with their modes.
fn write_tree(dir: &Path, entries: &[Entry], verbose: bool) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    for entry in entries {
        let path = dir.join(&entry.path);
        let parent = path.parent().expect("under a directory");
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        // A fresh file, not a write through an existing one: a running
        // binary of an earlier install must not be changed under it.
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, &entry.contents).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(entry.mode))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if verbose {
            println!("installed {}", path.display());
        }
    }
    Ok(())
}

fn run(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("{command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?}: {status}"))
    }
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Builds the three binaries with the release profile; returns their
/// directory.
pub(crate) fn build_release(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo).current_dir(root).args([
        "build",
        "--release",
        "--locked",
        "--package",
        PACKAGE,
        "--bins",
    ]))?;
    Ok(target_dir(root).join("release"))
}

/// The time the tarball's files carry: SOURCE_DATE_EPOCH, else the last
/// commit's, so that two builds of one commit give the same bytes.
fn source_date(root: &Path) -> String {
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        return epoch;
    }
    Command::new("git")
        .current_dir(root)
        .args(["log", "-1", "--format=%ct"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "0".to_string())
}

/// `cargo xtask dist`: the release tarball.
pub fn dist(root: &Path, args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("dist takes no arguments, not '{arg}'"));
    }
    let release = build_release(root)?;
    let name = format!(
        "{PACKAGE}-{VERSION}-{}-{}",
        std::env::consts::ARCH,
        std::env::consts::OS
    );
    let dist = target_dir(root).join("dist");
    let stage = dist.join(&name);
    if stage.exists() {
        std::fs::remove_dir_all(&stage).map_err(|e| format!("{}: {e}", stage.display()))?;
    }
    let mut entries = layout(root, &release)?;
    // README and licenses also at the top, where a reader of the tarball
    // looks first.
    for doc in DOCS {
        entries.push(Entry {
            path: PathBuf::from(doc),
            contents: std::fs::read(root.join(doc)).map_err(|e| format!("{doc}: {e}"))?,
            mode: 0o644,
        });
    }
    write_tree(&stage, &entries, false)?;
    let tarball = dist.join(format!("{name}.tar.gz"));
    let tar = dist.join(format!("{name}.tar"));
    run(Command::new("tar")
        .current_dir(&dist)
        .args([
            "--create",
            "--sort=name",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--format=gnu",
        ])
        .arg(format!("--mtime=@{}", source_date(root)))
        .arg("--file")
        .arg(&tar)
        .arg(&name))?;
    run(Command::new("gzip").args(["-9", "-n", "-f"]).arg(&tar))?;
    println!("{}", tarball.display());
    Ok(())
}

/// `cargo xtask install [--prefix P] [--destdir D] [--no-build]`: the same
/// tree into DESTDIR/PREFIX (also read from the PREFIX and DESTDIR
/// environment variables; the options win).
pub fn install(root: &Path, args: &[String]) -> Result<(), String> {
    let mut prefix = std::env::var_os("PREFIX")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("/usr/local"), PathBuf::from);
    let mut destdir = std::env::var_os("DESTDIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    let mut build = true;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (option, inline) = match arg.split_once('=') {
            Some((option, value)) => (option, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{option} needs a value"))
        };
        match option {
            "--prefix" => prefix = PathBuf::from(value()?),
            "--destdir" => destdir = Some(PathBuf::from(value()?)),
            "--no-build" => build = false,
            _ => {
                return Err(format!(
                    "unknown install option '{arg}' (--prefix P, --destdir D, --no-build)"
                ))
            }
        }
    }
    if !prefix.is_absolute() {
        return Err(format!("the prefix must be absolute: {}", prefix.display()));
    }
    let release = if build {
        build_release(root)?
    } else {
        target_dir(root).join("release")
    };
    let dir = match &destdir {
        // DESTDIR is prepended, not joined: PREFIX is absolute.
        Some(destdir) => destdir.join(prefix.strip_prefix("/").expect("absolute")),
        None => prefix.clone(),
    };
    write_tree(&dir, &layout(root, &release)?, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_go_where_shells_and_man_look() {
        let places: Vec<PathBuf> = procgroup_cli::generate::files()
            .iter()
            .map(|file| installed_path(&file.path))
            .collect();
        for expected in [
            "share/man/man1/setsid-run.1",
            "share/bash-completion/completions/pgkill",
            "share/zsh/site-functions/_pgtree",
            "share/fish/vendor_completions.d/setsid-run.fish",
        ] {
            assert!(places.contains(&PathBuf::from(expected)), "{expected}");
        }
    }

    #[test]
    fn the_debian_package_ships_the_binaries_and_every_generated_file() {
        let manifest = std::fs::read_to_string(crate::root().join("Cargo.toml")).unwrap();
        let deb = manifest
            .split("[package.metadata.deb]")
            .nth(1)
            .expect("Debian metadata in Cargo.toml");
        let mut assets: Vec<(String, PathBuf)> = procgroup_cli::generate::files()
            .into_iter()
            .map(|file| {
                // Debian's zsh reads vendor-completions, not site-functions.
                let place = installed_path(&file.path);
                let place = match place.strip_prefix("share/zsh/site-functions") {
                    Ok(name) => Path::new("share/zsh/vendor-completions").join(name),
                    Err(_) => place,
                };
                (file.path.display().to_string(), place)
            })
            .collect();
        for page in procgroup_cli::generate::pages() {
            let name = page.command.get_name();
            assets.push((
                format!("target/release/{name}"),
                Path::new("bin").join(name),
            ));
        }
        for (source, place) in assets {
            let dir = Path::new("usr").join(place.parent().unwrap());
            let asset = format!("[\"{source}\", \"{}/\"", dir.display());
            assert!(deb.contains(&asset), "Cargo.toml's deb assets lack {asset}");
        }
    }
}
