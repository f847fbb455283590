//! `clip` turns a sequence of frames into files: H.264 in MP4 (OpenH264 + the `mp4` muxer)
//! or a PNG sequence, joins MP4 chunks without re-encoding, keeps rendered frames in an
//! on-disk cache keyed by a content hash of everything that determines them, and runs clip
//! jobs (render on one thread, encode on another) with progress and cancel.
//!
//! It renders only through [`crate::render::Renderer::render`] and never mutates a scene;
//! it knows nothing of egui or winit: frames come from a caller's [`FrameSource`];
//! [`shot_source`] makes one for a timeline shot.

pub mod cache;
mod decode;
mod encode;
pub mod job;
mod join;
pub mod key;
mod mp4io;
mod png_seq;
pub mod shot;
pub mod supersample;
pub mod yuv;

pub use cache::{CacheStats, FrameCache};
pub use decode::decode_mp4;
pub use encode::{EncoderSettings, Mp4ClipWriter};
pub use job::{ClipJob, ClipOutput, ClipProgress, ClipSummary, FrameSource, render_clip};
pub use join::join;
pub use key::{CACHE_VERSION, FrameKey, frame_key};
pub use mp4io::{Mp4Info, probe_mp4};
pub use png_seq::PngSequenceWriter;
pub use shot::{ShotVariant, shot_source};

use std::path::{Path, PathBuf};

/// What can go wrong while writing, reading or joining clips.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    /// A file or folder could not be read or written.
    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },
    /// H.264 in yuv420p halves the chroma resolution, so both sides must be even.
    #[error(
        "{width}x{height}: an MP4 (H.264, yuv420p) needs an even width and height (try {}x{})",
        width + width % 2,
        height + height % 2
    )]
    OddSize { width: u32, height: u32 },
    /// The H.264 encoder refused the input or failed.
    #[error("H.264 encoder: {0}")]
    Encoder(String),
    /// An MP4 file is not one this module can read (or is damaged).
    #[error("{}: {message}", path.display())]
    Mp4 { path: PathBuf, message: String },
    /// Chunks that cannot be joined without re-encoding.
    #[error("cannot join {}: {message}", path.display())]
    Join { path: PathBuf, message: String },
    /// The frame source failed for one frame.
    #[error("frame {frame}: {message}")]
    Source { frame: u32, message: String },
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    /// Frames this big (after supersampling) exceed what the adapter can draw.
    #[error(
        "{width}x{height} with {factor}x{factor} supersampling needs {}x{} frames; this adapter draws at most {max}x{max}",
        width * factor,
        height * factor
    )]
    TooLarge {
        width: u32,
        height: u32,
        factor: u32,
        max: u32,
    },
    /// The job was cancelled; no output file was left behind.
    #[error("cancelled")]
    Cancelled,
}

impl ClipError {
    pub(crate) fn file(path: &Path, e: impl std::fmt::Display) -> Self {
        Self::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// A file written under a hidden temporary name beside its destination and renamed over it
/// by [`TempFile::commit`]; dropped without a commit, the temporary is removed. So a render
/// that is interrupted never leaves a file that looks finished.
pub(crate) struct TempFile {
    pub temp: PathBuf,
    pub dest: PathBuf,
    committed: bool,
}

impl TempFile {
    pub fn new(dest: &Path) -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = dest
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dest.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()));
        Self {
            temp,
            dest: dest.to_path_buf(),
            committed: false,
        }
    }

    /// Renames the temporary over the destination.
    pub fn commit(mut self) -> Result<(), ClipError> {
        std::fs::rename(&self.temp, &self.dest).map_err(|e| {
            ClipError::file(&self.dest, format!("could not rename into place: {e}"))
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            std::fs::remove_file(&self.temp).ok();
        }
    }
}

/// Fails with a message naming `path` when its folder does not exist.
pub(crate) fn check_parent(path: &Path) -> Result<(), ClipError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.is_dir() => Err(ClipError::file(
            path,
            format!("the folder {} does not exist", parent.display()),
        )),
        _ => Ok(()),
    }
}

/// A duration in whole nanoseconds for an atomic counter (saturating).
pub(crate) fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
