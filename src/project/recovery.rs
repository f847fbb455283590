//! Recovery files: where the editor autosaves unsaved work, and how the next launch finds
//! work a crashed editor left behind.
//!
//! Each editor process writes its own `recovery-<pid>.wsproj` in
//! `$XDG_DATA_HOME/worldsmith/recovery/` (or `~/.local/share/worldsmith/recovery/`), so two
//! editors never overwrite each other's. A clean quit or a successful save deletes it; a
//! file whose process is gone is work a crash left behind.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The recovery folder, or `None` when neither `XDG_DATA_HOME` nor `HOME` is set.
pub fn recovery_dir() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local").join("share"))
        })?;
    Some(data.join("worldsmith").join("recovery"))
}

/// This process's recovery file in `dir`.
pub fn own_file(dir: &Path) -> PathBuf {
    dir.join(format!(
        "recovery-{}.{}",
        std::process::id(),
        super::EXTENSION
    ))
}

/// The pid a recovery file name carries.
fn pid_of(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    let pid = name
        .strip_prefix("recovery-")?
        .strip_suffix(&format!(".{}", super::EXTENSION))?;
    pid.parse().ok()
}

/// Whether a process with this pid is running (Linux: `/proc/<pid>`; elsewhere nothing
/// is known, so every other process counts as gone).
pub(crate) fn running(pid: u32) -> bool {
    cfg!(target_os = "linux") && Path::new("/proc").join(pid.to_string()).exists()
}

/// Recovery files in `dir` left by editors that are no longer running, newest first.
pub fn orphans(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let own = std::process::id();
    let mut found: Vec<(SystemTime, PathBuf)> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| pid_of(p).is_some_and(|pid| pid != own && !running(pid)))
        .filter_map(|p| {
            let modified = std::fs::metadata(&p).and_then(|m| m.modified()).ok()?;
            Some((modified, p))
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_files_of_dead_processes_only() {
        let dir = std::env::temp_dir().join(format!("ws-recovery-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).expect("dir");
        // Pids above the kernel's maximum (2^22) are never running.
        let dead = dir.join("recovery-4999999.wsproj");
        let own = own_file(&dir);
        let parent = dir.join(format!(
            "recovery-{}.wsproj",
            std::os::unix::process::parent_id()
        ));
        for p in [&dead, &own, &parent, &dir.join("notes.wsproj")] {
            std::fs::write(p, b"x").expect("write");
        }
        assert_eq!(pid_of(&own), Some(std::process::id()));
        assert_eq!(orphans(&dir), vec![dead]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
