//! `import` turns files on disk into [`Scene`] data: glTF 2.0 (`.gltf`, `.glb`) for now.
//!
//! It reads only the asset itself and files inside the asset's own folder, never URLs or
//! absolute paths. It never touches the GPU, egui or winit, and it never panics or allocates
//! beyond what the file's size justifies on hostile input: problems are [`ImportError`]s that
//! name the file, and recoverable ones (an image that does not decode) become warnings.

mod gltf;

use crate::scene::{Light, LightKind, NodeKind, Scene, Transform};
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
    #[error("{}: cannot import {} (supported: .gltf, .glb)", path.display(), kind_of(ext))]
    Unsupported { path: PathBuf, ext: String },
    #[error("{file}: could not read the file: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("{file}: not a valid glTF file: {problem}")]
    Parse { file: String, problem: String },
    #[error("{file}: requires glTF extensions worldsmith cannot read yet: {extensions}")]
    UnsupportedExtension { file: String, extensions: String },
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
            let bytes = std::fs::read(path).map_err(|error| ImportError::Io {
                file: path.display().to_string(),
                error,
            })?;
            gltf::import_gltf(path, &bytes)
        }
        _ => Err(ImportError::Unsupported {
            path: path.to_owned(),
            ext,
        }),
    }
}

/// Illuminance of the sun added to imported files that have no light (a bright overcast to
/// sunny day), and the exposure that shows it well.
pub const DEFAULT_SUN_LUX: f32 = 30_000.0;
/// Exposure (EV100) used with [`DEFAULT_SUN_LUX`]: a lit white surface lands in mid-grey to
/// light grey rather than blown out.
pub const DEFAULT_SUN_EV100: f32 = 13.0;

/// Makes an imported scene visible: if it has no light at all, adds a "Default sun" from the
/// upper front-left (with shadows) and sets the exposure to match. Scenes with lights are left
/// as the file made them. Returns whether a sun was added.
pub fn add_default_light_if_unlit(scene: &mut Scene) -> bool {
    if scene.nodes().any(|n| matches!(n.kind, NodeKind::Light(_))) {
        return false;
    }
    let to_sun = glam::Vec3::new(-0.4, 0.8, 0.45);
    scene.add_node(
        None,
        "Default sun",
        Transform::pointing(-to_sun),
        NodeKind::Light(Light {
            kind: LightKind::Directional,
            color: [1.0, 0.98, 0.95],
            intensity: DEFAULT_SUN_LUX,
            range: None,
            cast_shadows: true,
        }),
    );
    scene.environment_mut().exposure_ev100 = DEFAULT_SUN_EV100;
    true
}

/// "'.obj' files" or "files without an extension", for [`ImportError::Unsupported`].
fn kind_of(ext: &str) -> String {
    if ext.is_empty() {
        "files without an extension".into()
    } else {
        format!("'.{ext}' files")
    }
}
