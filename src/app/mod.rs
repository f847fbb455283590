//! The editor window (stub, being written).

use std::path::PathBuf;

/// How the editor starts.
#[derive(Clone, Debug, Default)]
pub struct EditorOptions {
    /// Seed of the built-in world to open.
    pub seed: u64,
    /// Quit by itself after this many frames were presented (tests, screenshots).
    pub exit_after_frames: Option<u64>,
    /// Save a PNG of the whole window (egui + viewport) just before exiting.
    pub screenshot: Option<PathBuf>,
    /// Initial inner window size in logical pixels.
    pub window_size: Option<(u32, u32)>,
}

/// Opens the editor window and runs until it is closed.
pub fn run_editor(options: EditorOptions) -> anyhow::Result<()> {
    let _ = options;
    Ok(())
}
