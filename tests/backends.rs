//! The core's two snapshot backends, the `/proc` reader and the portable
//! one (sysinfo + nix), must agree with each other and with the kernel on
//! the processes of a scenario that stands still.

use procgroup::{snapshot, Fields, Pid, Snapshot};

use crate::support::{self, Namespace};

#[test]
fn proc_and_portable_backends_agree() {
    // Two sessions: a shell with a child, and a lone process whose name
    // has spaces and parentheses and is longer than comm's 15 bytes.
    let script = r#"
cp /bin/sleep "$DIR/a (b) c) d-long-name"
setsid sh -c 'sleep 1001 & wait' </dev/null >/dev/null 2>&1 &
setsid "$DIR/a (b) c) d-long-name" 1002 </dev/null >/dev/null 2>&1 &
"#;
    let Some(ns) = Namespace::start(script) else {
        return;
    };
    ns.wait_for("both sessions have started", |ps| {
        ps.iter().any(|p| p.cmdline() == "sleep 1001")
            && ps.iter().any(|p| p.comm == b"a (b) c) d-long")
    });
    // Every process of the namespace, by its host pid: nothing in it moves
    // until the namespace ends.
    let pids = ns.host_pids();
    assert!(
        pids.len() >= 5,
        "init, its sleep, sh, and two sleeps: {pids:?}"
    );
    let proc = Snapshot::read(Fields::default()).unwrap();
    let portable = Snapshot::from_processes(snapshot::read_portable(Fields::default()).unwrap());
    for &(host, inner) in &pids {
        let kernel = support::host_stat(host).unwrap();
        let a = proc
            .get(Pid::from_raw(host))
            .unwrap_or_else(|| panic!("/proc backend misses {host} ({inner} inside)"));
        let b = portable
            .get(Pid::from_raw(host))
            .unwrap_or_else(|| panic!("portable backend misses {host} ({inner} inside)"));
        for (name, p) in [("/proc", a), ("portable", b)] {
            let what = format!("{name} backend, pid {host}: {p:?} vs the kernel's {kernel:?}");
            assert_eq!(p.ppid.as_raw(), kernel.ppid, "{what}");
            assert_eq!(p.pgid.as_raw(), kernel.pgid, "{what}");
            assert_eq!(p.sid.as_raw(), kernel.sid, "{what}");
            assert_eq!(p.comm, kernel.comm, "{what}");
            assert!(!p.kernel_thread, "{what}");
        }
    }
    // The scenario's shape, as both see it: the shell leads its session and
    // its child is in it.
    let (sh, _) = *pids
        .iter()
        .find(|&&(host, _)| {
            support::host_stat(host).unwrap().cmdline() == "sh -c sleep 1001 & wait"
        })
        .unwrap();
    for snapshot in [&proc, &portable] {
        let leader = snapshot.get(Pid::from_raw(sh)).unwrap();
        assert!(leader.is_session_leader() && leader.is_group_leader());
        let children: Vec<_> = snapshot
            .processes()
            .iter()
            .filter(|p| p.ppid.as_raw() == sh)
            .collect();
        assert_eq!(children.len(), 1);
        assert_eq!(children[0].sid, leader.sid);
        assert_eq!(children[0].comm, b"sleep");
    }
}
