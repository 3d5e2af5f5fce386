//! Man pages and shell completions, rendered from the clap definitions.
//!
//! `cargo xtask gen` writes these files into the repository; a test fails
//! when the committed ones differ, naming that command.

use std::path::PathBuf;

use clap::Command;
use clap_complete::Shell;

mod completion;

/// One tool's page: its clap definition and the man sections clap does not
/// know (roff source, each under its `.SH` title).
pub struct Page {
    pub command: Command,
    pub sections: &'static [(&'static str, &'static str)],
}

/// Every tool of the suite.
pub fn pages() -> Vec<Page> {
    vec![
        Page {
            command: crate::pgtree::command(),
            sections: crate::pgtree::MAN_SECTIONS,
        },
        Page {
            command: crate::pgkill::command(),
            sections: crate::pgkill::MAN_SECTIONS,
        },
        Page {
            command: crate::setsid_run::command(),
            sections: crate::setsid_run::MAN_SECTIONS,
        },
    ]
}

/// A generated file: its path relative to the repository root and contents.
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// Every generated file of the repository.
pub fn files() -> Vec<GeneratedFile> {
    let mut files = Vec::new();
    for page in pages() {
        let name = page.command.get_name().to_string();
        files.push(GeneratedFile {
            path: PathBuf::from(format!("man/{name}.1")),
            contents: man_page(&page),
        });
        for (shell, path) in [
            (Shell::Bash, format!("completions/bash/{name}")),
            (Shell::Zsh, format!("completions/zsh/_{name}")),
            (Shell::Fish, format!("completions/fish/{name}.fish")),
        ] {
            files.push(GeneratedFile {
                path: PathBuf::from(path),
                contents: completion::script(shell, &page.command).into_bytes(),
            });
        }
    }
    files
}

/// The man page: clap's NAME, SYNOPSIS, DESCRIPTION and OPTIONS, then the
/// tool's own sections. No date, so that the page is reproducible.
fn man_page(page: &Page) -> Vec<u8> {
    let man = clap_mangen::Man::new(page.command.clone())
        .manual("User Commands")
        .source(format!("procgroup {}", env!("CARGO_PKG_VERSION")));
    let name = page.command.get_name();
    let mut out = format!(
        ".TH {} 1 \"{RELEASE_DATE}\" \"procgroup {}\" \"User Commands\"\n",
        name.to_uppercase(),
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes();
    // Writing into a Vec cannot fail.
    man.render_name_section(&mut out).expect("write to memory");
    man.render_synopsis_section(&mut out)
        .expect("write to memory");
    man.render_description_section(&mut out)
        .expect("write to memory");
    man.render_options_section(&mut out)
        .expect("write to memory");
    for (title, body) in page.sections {
        out.extend_from_slice(format!(".SH \"{title}\"\n").as_bytes());
        out.extend_from_slice(body.trim_start().as_bytes());
        if !body.ends_with('\n') {
            out.push(b'\n');
        }
    }
    tidy_roff(&String::from_utf8_lossy(&out)).into_bytes()
}

/// The date on the man pages: that of the release, never the build's, so
/// that the pages are reproducible.
const RELEASE_DATE: &str = "2026-11-27";

/// Makes clap_mangen's roff clean under `mandoc -T lint`: no blank lines,
/// no trailing spaces, text lines of at most 80 bytes (outside `.nf`).
fn tidy_roff(roff: &str) -> String {
    let roff = roff.replace("\n.br\n\n.br\n", "\n.sp\n");
    let mut out = String::with_capacity(roff.len());
    let mut no_fill = false;
    for line in roff.lines() {
        let line = line.trim_end();
        match line {
            ".nf" => no_fill = true,
            ".fi" => no_fill = false,
            "" => continue,
            _ => {}
        }
        if no_fill || line.starts_with('.') || line.len() <= 80 {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut current = String::new();
        for word in line.split(' ') {
            if !current.is_empty() && current.len() + 1 + word.len() > 80 {
                out.push_str(&current);
                out.push('\n');
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push_str(&current);
        out.push('\n');
    }
    out
}
