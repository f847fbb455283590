//! A PNG sequence: `frame_0000.png`, `frame_0001.png`, … numbered by the shot's frame
//! number. Frames are written into a hidden `.partial-<pid>` folder inside the output folder
//! and moved into place only by [`PngSequenceWriter::finish`], so a cancelled or failed
//! render leaves the folder as it was.

use super::{ClipError, check_parent};
use std::path::{Path, PathBuf};

/// Writes one PNG per frame; see the module docs.
pub struct PngSequenceWriter {
    dir: PathBuf,
    partial: PathBuf,
    names: Vec<String>,
    finished: bool,
    /// The output folder did not exist before; it is removed again if left empty.
    created: bool,
}

impl PngSequenceWriter {
    /// The file name of frame `number`.
    pub fn file_name(number: u32) -> String {
        format!("frame_{number:04}.png")
    }

    /// Starts a sequence in `dir` (created if missing; its parent must exist).
    pub fn create(dir: &Path) -> Result<Self, ClipError> {
        if dir.exists() && !dir.is_dir() {
            return Err(ClipError::file(dir, "exists and is not a folder"));
        }
        check_parent(dir)?;
        let created = !dir.exists();
        let partial = dir.join(format!(".partial-{}", std::process::id()));
        std::fs::create_dir_all(&partial)
            .map_err(|e| ClipError::file(dir, format!("could not create the folder: {e}")))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            partial,
            names: Vec::new(),
            finished: false,
            created,
        })
    }

    /// Writes frame `number`.
    pub fn push(&mut self, number: u32, frame: &image::RgbaImage) -> Result<(), ClipError> {
        let name = Self::file_name(number);
        let path = self.partial.join(&name);
        frame
            .save_with_format(&path, image::ImageFormat::Png)
            .map_err(|e| ClipError::file(&self.dir.join(&name), e))?;
        self.names.push(name);
        Ok(())
    }

    /// Moves every frame into the output folder (replacing older frames of the same
    /// numbers) and removes the partial folder. Returns the number of frames.
    pub fn finish(mut self) -> Result<usize, ClipError> {
        for name in &self.names {
            let dest = self.dir.join(name);
            std::fs::rename(self.partial.join(name), &dest)
                .map_err(|e| ClipError::file(&dest, format!("could not move into place: {e}")))?;
        }
        self.finished = true;
        std::fs::remove_dir_all(&self.partial).ok();
        Ok(self.names.len())
    }
}

impl Drop for PngSequenceWriter {
    fn drop(&mut self) {
        if !self.finished {
            std::fs::remove_dir_all(&self.partial).ok();
            if self.created {
                std::fs::remove_dir(&self.dir).ok();
            }
        }
    }
}
