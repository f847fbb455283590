//! `import` turns files on disk into [`Scene`] data: glTF 2.0 (`.gltf`, `.glb`) for now.
//!
//! It reads only the asset itself and files inside the asset's own folder, never URLs or
//! absolute paths. It never touches the GPU, egui or winit, and it never panics or allocates
//! beyond what the file's size justifies on hostile input: problems are [`ImportError`]s that
//! name the file, and recoverable ones (an image that does not decode) become warnings.

mod gltf;

use crate::scene::Scene;
use std::path::{Path, PathBuf};

/// A scene read from a file, with the problems that did not stop loading.
#[derive(Debug)]
pub struct Imported {
    pub scene: Scene,
    /// One line per recoverable problem, each naming the file (e.g. a missing texture).
    pub warnings: Vec<String>,
}

/// Why a file could not be imported. Every message names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: cannot import '.{ext}' files (supported: .gltf, .glb)", path.display())]
    Unsupported { path: PathBuf, ext: String },
    #[error("{file}: could not read the file: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: not a valid glTF file: {problem}")]
    Parse { file: String, problem: String },
    #[error("{file}: requires the glTF extension {extension}, which worldsmith cannot read yet")]
    UnsupportedExtension { file: String, extension: String },
    #[error("{file}: buffer {index} URI '{uri}' is not allowed: {problem}")]
    UriRejected {
        file: String,
        index: usize,
        uri: String,
        problem: String,
    },
    #[error("{file}: buffer {index} could not be read: {problem}")]
    BufferMissing {
        file: String,
        index: usize,
        problem: String,
    },
    #[error("{file}: buffer {index} needs {needed} bytes but the file has {available}")]
    BufferTooShort {
        file: String,
        index: usize,
        needed: u64,
        available: u64,
    },
    #[error("{file}: buffer view {index}: {problem}")]
    View {
        file: String,
        index: usize,
        problem: String,
    },
    #[error("{file}: accessor {index}: {problem}")]
    Accessor {
        file: String,
        index: usize,
        problem: String,
    },
    #[error("{file}: mesh '{mesh}': {problem}")]
    Mesh {
        file: String,
        mesh: String,
        problem: String,
    },
}

/// Imports the file at `path`, choosing the format by its extension.
pub fn import_path(path: &Path) -> Result<Imported, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "gltf" | "glb" => {
            let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
                file: path.display().to_string(),
                source,
            })?;
            gltf::import_gltf(path, &bytes)
        }
        _ => Err(ImportError::Unsupported {
            path: path.to_owned(),
            ext,
        }),
    }
}
