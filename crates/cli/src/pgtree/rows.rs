//! One row per process: `--table`, `--plain` and `--json`.

use std::collections::HashMap;
use std::io::{self, Write};

use clap::ValueEnum;
use procgroup::{tty, Fields, Process};

use crate::common::{escape, json_string};

/// A column of --table, --plain and --json; its name is the JSON key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Column {
    /// Process id
    Pid,
    /// Parent's pid
    Ppid,
    /// Process group id
    Pgid,
    /// Session id
    Sid,
    /// Foreground group of the terminal (-1 for none)
    Tpgid,
    /// Controlling terminal
    Tty,
    /// Owner's name
    User,
    /// Owner's uid
    Uid,
    /// State letter (R, S, D, T, Z, ...)
    State,
    /// Process name
    Comm,
    /// Command line
    Args,
    /// cgroup v2 path (/user.slice/…; a sealed job's leaf is setsid-run-SID)
    Cgroup,
    /// pidfs inode (Linux 6.9+): with the pid, an identity never reused
    Ino,
}

pub const DEFAULT_COLUMNS: [Column; 5] = [
    Column::Comm,
    Column::Pid,
    Column::Ppid,
    Column::Pgid,
    Column::Sid,
];

impl Column {
    /// Whether the column holds numbers.
    fn is_numeric(self) -> bool {
        matches!(
            self,
            Column::Pid
                | Column::Ppid
                | Column::Pgid
                | Column::Sid
                | Column::Tpgid
                | Column::Uid
                | Column::Ino
        )
    }

    /// The column's name: its header and JSON key.
    pub fn name(self) -> &'static str {
        match self {
            Column::Pid => "pid",
            Column::Ppid => "ppid",
            Column::Pgid => "pgid",
            Column::Sid => "sid",
            Column::Tpgid => "tpgid",
            Column::Tty => "tty",
            Column::User => "user",
            Column::Uid => "uid",
            Column::State => "state",
            Column::Comm => "comm",
            Column::Args => "args",
            Column::Cgroup => "cgroup",
            Column::Ino => "ino",
        }
    }
}

/// A column's value for one process, before escaping for a format.
enum Value {
    Int(i64),
    Text(Vec<u8>),
    List(Vec<Vec<u8>>),
    Null,
}

/// Looks up user names once per uid.
#[derive(Default)]
struct Users(HashMap<u32, Option<String>>);

impl Users {
    fn name(&mut self, uid: u32) -> Option<&str> {
        self.0
            .entry(uid)
            .or_insert_with(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|user| user.name)
            })
            .as_deref()
    }
}

fn value(process: &Process, column: Column, users: &mut Users) -> Value {
    match column {
        Column::Pid => Value::Int(process.pid.as_raw().into()),
        Column::Ppid => Value::Int(process.ppid.as_raw().into()),
        Column::Pgid => Value::Int(process.pgid.as_raw().into()),
        Column::Sid => Value::Int(process.sid.as_raw().into()),
        Column::Tpgid => Value::Int(process.tpgid.into()),
        Column::Tty => {
            tty::name(process.tty_nr).map_or(Value::Null, |name| Value::Text(name.into_bytes()))
        }
        Column::User => match process.uid {
            Some(uid) => Value::Text(
                users
                    .name(uid)
                    .map_or_else(|| uid.to_string(), str::to_string)
                    .into_bytes(),
            ),
            None => Value::Null,
        },
        Column::Uid => process
            .uid
            .map_or(Value::Null, |uid| Value::Int(uid.into())),
        Column::State => Value::Text(vec![process.state]),
        Column::Comm => Value::Text(process.comm.clone()),
        Column::Args => Value::List(process.args.clone().unwrap_or_default()),
        Column::Cgroup => process
            .cgroup
            .as_ref()
            .map_or(Value::Null, |path| Value::Text(path.clone().into_bytes())),
        Column::Ino => process
            .ino
            .and_then(|ino| i64::try_from(ino).ok())
            .map_or(Value::Null, Value::Int),
    }
}

/// A value as one field of text; `plain` also escapes whitespace and
/// writes `-` for an empty field, so that fields never merge or vanish.
fn text(value: Value, plain: bool) -> String {
    let text = match value {
        Value::Int(n) => n.to_string(),
        Value::Text(bytes) => escape(&bytes, plain),
        Value::List(args) => escape(&args.join(&b' '), plain),
        Value::Null => "?".to_string(),
    };
    if plain && text.is_empty() {
        "-".to_string()
    } else {
        text
    }
}

pub fn plain(
    out: &mut impl Write,
    rows: &[&Process],
    columns: &[Column],
    headers: bool,
) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if headers {
        let names: Vec<&str> = columns.iter().map(|c| c.name()).collect();
        writeln!(out, "{}", names.join(" "))?;
    }
    let mut users = Users::default();
    let mut line = String::with_capacity(128);
    for process in rows {
        line.clear();
        for (i, &column) in columns.iter().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            match value(process, column, &mut users) {
                // The common case, without an allocation per field.
                Value::Int(n) => {
                    use std::fmt::Write as _;
                    let _ = write!(line, "{n}");
                }
                other => line.push_str(&text(other, true)),
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

pub fn table(
    out: &mut impl Write,
    rows: &[&Process],
    columns: &[Column],
    headers: bool,
    unicode: bool,
) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(if unicode {
        comfy_table::presets::UTF8_FULL_CONDENSED
    } else {
        comfy_table::presets::ASCII_FULL_CONDENSED
    });
    if headers {
        table.set_header(columns.iter().map(|c| c.name()));
    }
    // Numbers right-aligned, as ps aligns them.
    for (i, column) in columns.iter().enumerate() {
        if column.is_numeric() {
            if let Some(column) = table.column_mut(i) {
                column.set_cell_alignment(comfy_table::CellAlignment::Right);
            }
        }
    }
    let mut users = Users::default();
    for process in rows {
        table.add_row(
            columns
                .iter()
                .map(|&c| text(value(process, c, &mut users), false)),
        );
    }
    writeln!(out, "{table}")
}

pub fn json(out: &mut impl Write, rows: &[&Process], columns: &[Column]) -> io::Result<()> {
    let mut users = Users::default();
    out.write_all(b"[")?;
    for (row, process) in rows.iter().enumerate() {
        out.write_all(if row == 0 { b"\n{" } else { b",\n{" })?;
        for (i, &column) in columns.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write!(out, "\"{}\":", column.name())?;
            match value(process, column, &mut users) {
                Value::Int(n) => write!(out, "{n}")?,
                Value::Text(bytes) => out.write_all(json_string(&bytes).as_bytes())?,
                Value::List(args) => {
                    let items: Vec<String> = args.iter().map(|arg| json_string(arg)).collect();
                    write!(out, "[{}]", items.join(","))?;
                }
                Value::Null => out.write_all(b"null")?,
            }
        }
        out.write_all(b"}")?;
    }
    out.write_all(if rows.is_empty() { b"]\n" } else { b"\n]\n" })
}

/// What the snapshot must read to show these columns.
pub fn fields_for(columns: &[Column]) -> Fields {
    Fields {
        args: columns.contains(&Column::Args),
        uid: columns
            .iter()
            .any(|c| matches!(c, Column::User | Column::Uid)),
        cgroup: columns.contains(&Column::Cgroup),
        ino: columns.contains(&Column::Ino),
        ..Fields::default()
    }
}
