//! The tree: sessions, their groups, and each group's processes nested by
//! parent.

use std::io::{self, Write};

use procgroup::{tty, Forest, Process};

use crate::common::{escape, Paint};

/// The forest, with box-drawing branches.
pub fn render(out: &mut impl Write, forest: &Forest, paint: Paint) -> io::Result<()> {
    for session in forest.sessions() {
        let leader = session
            .leader
            .map_or_else(|| "(no leader)".to_string(), |p| escape(&p.comm, false));
        let tty = tty::name(session.tty_nr).unwrap_or_else(|| "?".to_string());
        let title = format!("session {}", session.sid);
        writeln!(out, "{} {} {}", paint.bold(&title), leader, paint.dim(&tty))?;
        let groups: Vec<_> = session.groups().collect();
        for (index, group) in groups.iter().enumerate() {
            let last_group = index + 1 == groups.len();
            let mut line = format!("group {}", group.pgid);
            line = paint.cyan(&line);
            if group.foreground {
                line.push(' ');
                line.push_str(&paint.green("foreground"));
            }
            if group.orphaned {
                line.push(' ');
                line.push_str(&paint.yellow("orphaned"));
            }
            writeln!(out, "{}{}", if last_group { "└─ " } else { "├─ " }, line)?;
            let indent = if last_group { "   " } else { "│  " };
            // Depth-first over the group's processes, without recursion:
            // a chain of parents can be thousands long.
            let roots: Vec<&Process> = group.roots().collect();
            let mut stack: Vec<(&Process, String, bool)> = Vec::new();
            for (i, root) in roots.iter().enumerate().rev() {
                stack.push((root, indent.to_string(), i + 1 == roots.len()));
            }
            while let Some((process, prefix, last)) = stack.pop() {
                let mut line = format!("{} {}", escape(&process.comm, false), process.pid);
                if process.is_zombie() {
                    line.push(' ');
                    line.push_str(&paint.red("zombie"));
                }
                writeln!(out, "{prefix}{}{line}", if last { "└─ " } else { "├─ " })?;
                let child_prefix = format!("{prefix}{}", if last { "   " } else { "│  " });
                let children: Vec<&Process> = group.children(process.pid).collect();
                for (i, child) in children.iter().enumerate().rev() {
                    stack.push((child, child_prefix.clone(), i + 1 == children.len()));
                }
            }
        }
    }
    Ok(())
}
