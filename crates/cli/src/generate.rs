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
    pub sections: Vec<(&'static str, String)>,
}

/// Sections written out in full in the tool's source.
fn fixed(sections: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    sections
        .iter()
        .map(|&(title, body)| (title, body.to_string()))
        .collect()
}

/// Every tool of the suite.
pub fn pages() -> Vec<Page> {
    vec![
        Page {
            command: crate::pgtree::command(),
            sections: crate::pgtree::man_sections(),
        },
        Page {
            command: crate::pgkill::command(),
            sections: fixed(crate::pgkill::MAN_SECTIONS),
        },
        Page {
            command: crate::setsid_run::command(),
            sections: fixed(crate::setsid_run::MAN_SECTIONS),
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
    out.extend_from_slice(synopsis(&page.command).as_bytes());
    man.render_description_section(&mut out)
        .expect("write to memory");
    man.render_options_section(&mut out)
        .expect("write to memory");
    for (title, body) in &page.sections {
        out.extend_from_slice(format!(".SH \"{title}\"\n").as_bytes());
        out.extend_from_slice(body.trim_start().as_bytes());
        if !body.ends_with('\n') {
            out.push(b'\n');
        }
    }
    tidy_roff(&String::from_utf8_lossy(&out)).into_bytes()
}

/// The SYNOPSIS section: the usage clap prints (`pgkill`'s own, or
/// `name [OPTIONS]` and the positional arguments), in roff: commands and
/// options bold, values italic. clap_mangen's lists every flag without
/// its value, which OPTIONS does better.
fn synopsis(command: &Command) -> String {
    let mut out = String::from(".SH SYNOPSIS\n");
    let usage = match command.get_overridden_usage() {
        Some(usage) => usage.to_string(),
        None => {
            let mut usage = format!("{} [OPTIONS]", command.get_name());
            for arg in command.get_positionals() {
                let name = arg
                    .get_value_names()
                    .and_then(|names| names.first())
                    .map_or_else(
                        || arg.get_id().to_string().to_uppercase(),
                        |n| n.to_string(),
                    );
                let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
                usage.push(' ');
                usage.push_str(&if arg.is_trailing_var_arg_set() {
                    format!("[--] <{name}> [ARG]...")
                } else if arg.is_required_set() {
                    format!("<{name}>{}", if many { "..." } else { "" })
                } else {
                    format!("[{name}]{}", if many { "..." } else { "" })
                });
            }
            usage
        }
    };
    for (i, line) in usage.lines().enumerate() {
        if i > 0 {
            out.push_str(".br\n");
        }
        out.push_str(&usage_roff(line.trim()));
        out.push('\n');
    }
    out
}

/// One usage line in roff: the command and `--options` bold, `<VALUE>`s and
/// upper-case placeholders (`-SIGNAL`, `[SIGNAL|STATUS]`) italic, and a
/// bracket around alternatives (`<--pid <PID>|--pgid <PGID>>`) as braces.
fn usage_roff(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut groups = 0;
    let mut i = 0;
    let take = |i: &mut usize, keep: &dyn Fn(char) -> bool| -> String {
        let start = *i;
        while *i < chars.len() && keep(chars[*i]) {
            *i += 1;
        }
        chars[start..*i].iter().collect()
    };
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let placeholder = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_';
    let escape = |text: &str| text.replace('-', "\\-");
    while i < chars.len() {
        let c = chars[i];
        if i == 0 {
            let name = take(&mut i, &|c| c != ' ');
            out.push_str(&format!("\\fB{}\\fR", escape(&name)));
        } else if c == '<' {
            let end = chars[i + 1..]
                .iter()
                .position(|&c| c == '>')
                .map(|p| i + 1 + p);
            let inner: Option<String> = end.map(|end| chars[i + 1..end].iter().collect());
            match inner {
                Some(name) if !name.is_empty() && name.chars().all(placeholder) => {
                    out.push_str(&format!("\\fI{name}\\fR"));
                    i = end.unwrap() + 1;
                }
                _ => {
                    groups += 1;
                    out.push('{');
                    i += 1;
                }
            }
        } else if c == '>' && groups > 0 {
            groups -= 1;
            out.push('}');
            i += 1;
        } else if c == '-' {
            let flag = take(&mut i, &word);
            match flag.strip_prefix('-') {
                Some(name) if !name.is_empty() && name.chars().all(placeholder) => {
                    out.push_str(&format!("\\fB\\-\\fR\\fI{name}\\fR"));
                }
                _ => out.push_str(&format!("\\fB{}\\fR", escape(&flag))),
            }
        } else if placeholder(c) && c.is_ascii_uppercase() {
            let name = take(&mut i, &placeholder);
            out.push_str(&format!("\\fI{name}\\fR"));
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
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
    let mut defined = Vec::new();
    for line in roff.lines() {
        let line = line.trim_end();
        // clap_mangen defines the \*(Aq string again in every section.
        if line.starts_with(".ie ") || line.starts_with(".el ") {
            if defined.contains(&line) {
                continue;
            }
            defined.push(line);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The sections of a page, in order.
    fn sections(page: &str) -> Vec<String> {
        page.lines()
            .filter_map(|line| line.strip_prefix(".SH "))
            .map(|title| title.trim_matches('"').to_string())
            .collect()
    }

    #[test]
    fn man_pages_have_what_a_distribution_expects_in_order() {
        let expected = [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "JSON KEYS",
            "EXIT STATUS",
            "ENVIRONMENT",
            "EXAMPLES",
            "SEE ALSO",
        ];
        for page in pages() {
            let name = page.command.get_name().to_string();
            let text = String::from_utf8(man_page(&page)).unwrap();
            let found = sections(&text);
            let mut at = 0;
            for title in expected {
                let index = found[at..]
                    .iter()
                    .position(|t| t == title)
                    .unwrap_or_else(|| panic!("{name}.1: no {title} after {found:?}[{at}]"));
                at += index + 1;
            }
            assert!(text.contains("\\fBNO_COLOR\\fR"), "{name}.1: NO_COLOR");
            let see_also = text.split(".SH \"SEE ALSO\"").nth(1).unwrap();
            let others = ["pgtree", "pgkill", "setsid\\-run"]
                .into_iter()
                .filter(|tool| *tool != name.replace('-', "\\-"));
            for reference in others
                .map(|tool| format!("\\fB{tool}\\fR(1)"))
                .chain(["ps", "kill", "setsid"].map(|page| format!("\\fB{page}\\fR(1)")))
                .chain(["\\fBcredentials\\fR(7)".to_string()])
            {
                assert!(
                    see_also.contains(&reference),
                    "{name}.1: SEE ALSO {reference}"
                );
            }
        }
    }

    #[test]
    fn man_pages_are_reproducible() {
        for page in pages() {
            assert_eq!(man_page(&page), man_page(&page));
            let text = String::from_utf8(man_page(&page)).unwrap();
            assert!(text.starts_with(&format!(
                ".TH {} 1 \"{RELEASE_DATE}\"",
                page.command.get_name().to_uppercase()
            )));
        }
    }

    #[test]
    fn usage_lines_become_roff() {
        assert_eq!(
            usage_roff("pgkill [-SIGNAL] <--pid <PID>|--sid <SID>>..."),
            r"\fBpgkill\fR [\fB\-\fR\fISIGNAL\fR] {\fB\-\-pid\fR \fIPID\fR|\fB\-\-sid\fR \fISID\fR}..."
        );
        assert_eq!(
            usage_roff("pgkill -l [SIGNAL|STATUS]"),
            r"\fBpgkill\fR \fB\-l\fR [\fISIGNAL\fR|\fISTATUS\fR]"
        );
    }
}
