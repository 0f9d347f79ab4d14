//! The memory controller of this process's cgroup, v1 or v2: where its directory is
//! (from `/proc/self/cgroup` and `/proc/self/mountinfo`) and what its files say.
//!
//! The memory controller lives on exactly one hierarchy. A v1 `memory` line with a v1
//! `memory` mount wins (a "hybrid" host also mounts an unlimited cgroup2 tree without
//! that controller); otherwise the `0::` line and the cgroup2 mount are used.

use std::path::{Path, PathBuf};

use crate::os::footprint::{CgroupMemory, CgroupVersion, Limit};

/// v1 writes "no limit" as the largest page-aligned `i64` (9223372036854771712);
/// anything this large is no limit on any machine that exists.
const UNLIMITED_FROM: u64 = 1 << 62;

/// One line of `/proc/self/mountinfo`, reduced to what we need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mount {
    /// The directory of the filesystem mounted here (a cgroup path for cgroupfs).
    pub(super) root: PathBuf,
    pub(super) mount_point: PathBuf,
    pub(super) fstype: String,
    pub(super) super_options: String,
}

/// Where to look for the memory controller's files, best candidate first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Location {
    pub(super) version: CgroupVersion,
    /// Absolute paths as this process sees them: the cgroup's own directory, then the
    /// mount point itself (inside a container whose namespace hides the host path).
    pub(super) candidates: Vec<PathBuf>,
}

/// Parses `/proc/self/mountinfo`:
/// `id parent major:minor root mount_point options [optional...] - fstype source super`.
pub(super) fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let mut fields = before.split_whitespace();
            let root = unescape(fields.nth(3)?);
            let mount_point = unescape(fields.next()?);
            let mut fields = after.split_whitespace();
            let fstype = fields.next()?.to_owned();
            let super_options = fields.nth(1).unwrap_or("").to_owned();
            Some(Mount {
                root: PathBuf::from(root),
                mount_point: PathBuf::from(mount_point),
                fstype,
                super_options,
            })
        })
        .collect()
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\134` for a backslash).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let digits = bytes.get(i + 1..i + 4).filter(|d| {
            byte == b'\\'
                && d.iter().all(|c| (b'0'..=b'7').contains(c))
                && d.first().is_some_and(|first| *first <= b'3')
        });
        if let Some(digits) = digits {
            let value = digits.iter().fold(0u8, |v, d| (v << 3) | (d - b'0'));
            out.push(value);
            i += 4;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Finds the memory controller's directory from the texts of `/proc/self/cgroup` and
/// `/proc/self/mountinfo`.
pub(super) fn locate(proc_cgroup: &str, mountinfo: &str) -> Option<Location> {
    let mounts = parse_mountinfo(mountinfo);
    let mut v1_path = None;
    let mut v2_path = None;
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            v2_path = Some(path);
        } else if controllers.split(',').any(|c| c == "memory") {
            v1_path = Some(path);
        }
    }
    let v1_mount = mounts.iter().find(|m| {
        m.fstype == "cgroup" && m.super_options.split(',').any(|option| option == "memory")
    });
    let (version, mount, path) = match (v1_path, v1_mount) {
        (Some(path), Some(mount)) => (CgroupVersion::V1, mount, path),
        _ => {
            let mount = mounts.iter().find(|m| m.fstype == "cgroup2")?;
            (CgroupVersion::V2, mount, v2_path?)
        }
    };
    let path = Path::new(path);
    let relative = path.strip_prefix(&mount.root).unwrap_or(path);
    let relative = relative.strip_prefix("/").unwrap_or(relative);
    let own = mount.mount_point.join(relative);
    let mut candidates = vec![own];
    if candidates.first() != Some(&mount.mount_point) {
        candidates.push(mount.mount_point.clone());
    }
    Some(Location {
        version,
        candidates,
    })
}

/// A single unsigned number, as in `memory.current`.
pub(super) fn parse_u64(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// A limit: `max` (v2) or a number, where 2^62 and above also mean none.
pub(super) fn parse_limit(text: &str) -> Option<Limit> {
    let text = text.trim();
    if text == "max" {
        return Some(Limit::Unlimited);
    }
    let bytes: u64 = text.parse().ok()?;
    Some(if bytes >= UNLIMITED_FROM {
        Limit::Unlimited
    } else {
        Limit::Bytes(bytes)
    })
}

/// The value of `key` in a flat-keyed file such as `memory.events` or
/// `memory.oom_control`: one `key value` pair per line.
pub(super) fn parse_keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != key {
            return None;
        }
        words.next()?.parse().ok()
    })
}

/// Reads the controller's files through `read` (a file name in the cgroup directory
/// to its text); `None` when not one of them could be read.
pub(super) fn read_memory(
    version: CgroupVersion,
    read: impl Fn(&str) -> Option<String>,
) -> Option<CgroupMemory> {
    let number = |name: &str| read(name).as_deref().and_then(parse_u64);
    let limit = |name: &str| read(name).as_deref().and_then(parse_limit);
    let memory = match version {
        CgroupVersion::V2 => {
            let events = read("memory.events");
            CgroupMemory {
                version,
                current: number("memory.current"),
                limit: limit("memory.max"),
                high: limit("memory.high"),
                peak: number("memory.peak"),
                oom: events.as_deref().and_then(|t| parse_keyed(t, "oom")),
                oom_kill: events.as_deref().and_then(|t| parse_keyed(t, "oom_kill")),
                failcnt: None,
            }
        }
        CgroupVersion::V1 => CgroupMemory {
            version,
            current: number("memory.usage_in_bytes"),
            limit: limit("memory.limit_in_bytes"),
            high: None,
            peak: number("memory.max_usage_in_bytes"),
            oom: None,
            oom_kill: read("memory.oom_control")
                .as_deref()
                .and_then(|t| parse_keyed(t, "oom_kill")),
            failcnt: number("memory.failcnt"),
        },
    };
    (!memory.is_empty()).then_some(memory)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID_CGROUP: &str = "9:name=systemd:/\n4:memory:/process_api/27e9\n0::/\n";
    const HYBRID_MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn hybrid_hosts_use_the_v1_memory_hierarchy() {
        let found = locate(HYBRID_CGROUP, HYBRID_MOUNTINFO).unwrap();
        assert_eq!(found.version, CgroupVersion::V1);
        assert_eq!(
            found.candidates,
            vec![
                PathBuf::from("/sys/fs/cgroup/memory/process_api/27e9"),
                PathBuf::from("/sys/fs/cgroup/memory"),
            ]
        );
    }

    #[test]
    fn unified_hosts_use_the_zero_line() {
        let mountinfo =
            "30 24 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
        let found = locate("0::/user.slice/session-2.scope\n", mountinfo).unwrap();
        assert_eq!(found.version, CgroupVersion::V2);
        assert_eq!(
            found.candidates.first(),
            Some(&PathBuf::from("/sys/fs/cgroup/user.slice/session-2.scope"))
        );
        let root = locate("0::/\n", mountinfo).unwrap();
        assert_eq!(root.candidates, vec![PathBuf::from("/sys/fs/cgroup")]);
    }

    #[test]
    fn a_mount_of_a_subtree_strips_its_root() {
        let mountinfo =
            "900 800 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n";
        let found = locate("5:memory:/docker/abc/inner\n", mountinfo).unwrap();
        assert_eq!(
            found.candidates,
            vec![
                PathBuf::from("/sys/fs/cgroup/memory/inner"),
                PathBuf::from("/sys/fs/cgroup/memory"),
            ]
        );
    }

    #[test]
    fn nothing_to_locate_is_none() {
        assert_eq!(locate("", HYBRID_MOUNTINFO), None);
        assert_eq!(locate(HYBRID_CGROUP, ""), None);
        assert_eq!(locate("garbage\n::\n", "garbage - \n - \n"), None);
        assert_eq!(
            locate("0::/\n", HYBRID_MOUNTINFO.lines().next().unwrap()),
            None
        );
    }

    #[test]
    fn mountinfo_escapes_are_undone() {
        let mounts = parse_mountinfo("1 2 0:1 / /mnt/a\\040b\\134 rw - cgroup2 none rw\n1 2 \\7\n");
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].mount_point, PathBuf::from("/mnt/a b\\"));
        assert_eq!(unescape("\\"), "\\");
        assert_eq!(unescape("a\\04"), "a\\04");
        assert_eq!(unescape("\\777"), "\\777");
    }

    #[test]
    fn limits_read_as_bytes_or_unlimited() {
        assert_eq!(parse_limit("max\n"), Some(Limit::Unlimited));
        assert_eq!(parse_limit("9223372036854771712\n"), Some(Limit::Unlimited));
        assert_eq!(parse_limit("536870912\n"), Some(Limit::Bytes(536_870_912)));
        assert_eq!(parse_limit(""), None);
        assert_eq!(parse_limit("-1"), None);
        assert_eq!(parse_u64(" 42\n"), Some(42));
        assert_eq!(parse_u64("4 2"), None);
    }

    #[test]
    fn keyed_files_are_looked_up_by_key() {
        let events = "low 0\nhigh 3\nmax 7\noom 2\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(parse_keyed(events, "oom"), Some(2));
        assert_eq!(parse_keyed(events, "oom_kill"), Some(1));
        assert_eq!(
            parse_keyed("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"),
            None
        );
        assert_eq!(parse_keyed("oom_kill\noom_kill x\n", "oom_kill"), None);
    }

    #[test]
    fn no_readable_file_is_none() {
        assert_eq!(read_memory(CgroupVersion::V2, |_| None), None);
        let garbage = read_memory(CgroupVersion::V1, |_| Some("garbage".to_owned()));
        assert_eq!(garbage, None);
    }
}
