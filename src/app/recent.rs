//! File ▸ Open Recent, kept between sessions in `$XDG_CONFIG_HOME/worldsmith/recent.json`
//! (or `~/.config/worldsmith/recent.json`): a JSON list of paths, most recent first.

use std::path::{Path, PathBuf};

/// Entries kept in File ▸ Open Recent.
pub(crate) const RECENT_CAPACITY: usize = 10;

/// Where the list is stored, or `None` when neither `XDG_CONFIG_HOME` nor `HOME` is set.
pub(crate) fn recent_file() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".config"))
        })?;
    Some(config.join("worldsmith").join("recent.json"))
}

/// Reads the list; a missing file is an empty list, a corrupt one an error naming the file.
pub(crate) fn load(file: &Path) -> Result<Vec<PathBuf>, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(format!(
                "{}: could not read the recent files: {e}",
                file.display()
            ));
        }
    };
    let mut paths: Vec<PathBuf> = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: not a list of recent files ({e}); starting a new list",
            file.display()
        )
    })?;
    paths.truncate(RECENT_CAPACITY);
    Ok(paths)
}

/// Writes the list, creating the folder if needed.
pub(crate) fn save(file: &Path, paths: &[PathBuf]) -> Result<(), String> {
    let write = || -> std::io::Result<()> {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(paths).map_err(std::io::Error::other)?;
        std::fs::write(file, text)
    };
    write().map_err(|e| format!("{}: could not save the recent files: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_missing_and_corrupt_files() {
        let dir = std::env::temp_dir().join(format!("worldsmith-recent-{}", std::process::id()));
        let file = dir.join("worldsmith").join("recent.json");
        assert_eq!(load(&file), Ok(Vec::new()));
        let paths = vec![PathBuf::from("/a/b.glb"), PathBuf::from("c.gltf")];
        save(&file, &paths).expect("save");
        assert_eq!(load(&file), Ok(paths));
        std::fs::write(&file, "{not json").expect("write");
        let e = load(&file).expect_err("corrupt");
        assert!(e.contains("recent.json"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
