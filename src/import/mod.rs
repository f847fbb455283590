//! `import` turns files on disk into [`Scene`] data: worldsmith projects (`.wsproj`, read by
//! [`crate::project`]), glTF 2.0 (`.gltf`, `.glb`), PLY meshes,
//! point clouds and Gaussian splats (`.ply`), Gaussian splats in Niantic's SPZ format (`.spz`)
//! and antimatter15's `.splat` records, GaussianSplats3D's `.ksplat`, PlayCanvas's SOG (`.sog` bundles or a folder with its
//! `meta.json`), and world-model output folders ([`world`]).
//!
//! It reads only the asset itself and files inside the asset's own folder, never URLs or
//! absolute paths. It never touches the GPU, egui or winit, and it never panics or allocates
//! beyond what the file's size justifies on hostile input: problems are [`ImportError`]s that
//! name the file, and recoverable ones (an image that does not decode) become warnings.

mod colmap;
pub mod fuzz;
mod gltf;
pub(crate) use gltf::{generated_tangents, layer_tangents, needs_written_tangents};
mod gltf_animation;
mod gltf_deform;
mod gltf_draco;
mod gltf_meshopt;
mod ksplat;
mod ktx2;
pub mod ply;
mod sog;
mod splat;
mod spz;
pub mod world;

pub use sog::is_sog_folder;
pub use spz::{MAX_SPLATS, read_spz, read_spz_bytes};

/// Reads an image file (PNG, JPEG, WebP, HDR) as an RGBA8 texture, with the same size limits as
/// glTF textures (a hostile header cannot make it allocate more than they allow).
/// PNG and JPEG files keep their encoded bytes ([`crate::scene::Image::source`]) for export.
pub fn read_texture(path: &std::path::Path) -> Result<crate::scene::Image, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the image: {e}"))?;
    let rgba = gltf::decode_rgba(&bytes).map_err(|e| format!("not a readable image: {e}"))?;
    let name = path
        .file_name()
        .map_or_else(|| "texture".into(), |n| n.to_string_lossy().into_owned());
    let image = crate::scene::Image::new(&name, rgba.width(), rgba.height(), rgba.into_raw())
        .ok_or_else(|| "the image is empty".to_owned())?;
    Ok(match encoded_source(bytes) {
        Some(source) => image.with_source(source),
        None => image,
    })
}

/// The encoded bytes of an image file worth keeping for export: PNG and JPEG (what glTF
/// allows without extensions), with their MIME type; `None` for other formats.
pub(crate) fn encoded_source(bytes: Vec<u8>) -> Option<crate::scene::EncodedImage> {
    let mime = match image::guess_format(&bytes).ok()? {
        image::ImageFormat::Png => "image/png",
        image::ImageFormat::Jpeg => "image/jpeg",
        _ => return None,
    };
    Some(crate::scene::EncodedImage {
        mime: mime.to_owned(),
        bytes: std::sync::Arc::new(bytes),
    })
}

use crate::scene::{Light, LightKind, NodeKind, Scene, Transform};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Progress of one import, shared between the worker that imports and the UI that shows a
/// progress bar and a Cancel button. Readers report the unit they count in (bytes of the file
/// or elements such as splats) and check [`Progress::check`] between chunks so that Cancel
/// stops the work itself, not just its result.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
}

impl Progress {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a new stage of `total` units (e.g. the file size in bytes), done = 0.
    pub fn begin(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }

    /// `n` more units are done.
    pub fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// Sets the units done so far.
    pub fn set_done(&self, done: u64) {
        self.done.store(done, Ordering::Relaxed);
    }

    /// (done, total); total 0 means "unknown".
    pub fn get(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// Done / total in 0..=1, or `None` while the total is unknown.
    pub fn fraction(&self) -> Option<f32> {
        let (done, total) = self.get();
        (total > 0).then(|| (done as f64 / total as f64).clamp(0.0, 1.0) as f32)
    }

    /// Asks the import to stop at its next check.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(ImportError::Cancelled)` once [`Progress::cancel`] was called.
    pub fn check(&self, file: &Path) -> Result<(), ImportError> {
        if self.is_cancelled() {
            Err(ImportError::Cancelled {
                file: file.display().to_string(),
            })
        } else {
            Ok(())
        }
    }
}

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
    #[error("{}: cannot import {} (supported: .wsproj, .gltf, .glb, .ply, .spz, .splat, .ksplat, .sog, SOG and world folders)", path.display(), kind_of(ext))]
    Unsupported { path: PathBuf, ext: String },
    #[error("{file}: not a world folder: {problem}")]
    World { file: String, problem: String },
    #[error("{file}: import cancelled")]
    Cancelled { file: String },
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
    #[error("{file}: not a readable SPZ file: {problem}")]
    Spz { file: String, problem: String },
    #[error("{file}: not a readable .splat file: {problem}")]
    Splat { file: String, problem: String },
    #[error("{file}: not a readable .ksplat file: {problem}")]
    Ksplat { file: String, problem: String },
    #[error("{file}: not a readable SOG: {problem}")]
    Sog { file: String, problem: String },
    #[error("{file}: mesh '{mesh}': {problem}")]
    Mesh {
        file: String,
        mesh: String,
        problem: String,
    },
    #[error("{file}: PLY header line {line}: {problem}")]
    PlyHeader {
        file: String,
        line: u64,
        problem: String,
    },
    #[error("{file}: invalid PLY data: {problem}")]
    Ply { file: String, problem: String },
    /// A `.wsproj` project that could not be read (the message names the file).
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
}

impl ImportError {
    /// A read error of the file at `path`, naming it.
    pub fn io(path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            file: path.display().to_string(),
            error,
        }
    }
}

/// Imports the file at `path`, choosing the format by its extension.
pub fn import_path(path: &Path) -> Result<Imported, ImportError> {
    import_path_with(path, &Progress::new())
}

/// [`import_path`] reporting to (and cancellable through) `progress`.
pub fn import_path_with(path: &Path, progress: &Progress) -> Result<Imported, ImportError> {
    progress.check(path)?;
    if path.is_dir() {
        if sog::is_sog_folder(path) {
            return sog::import_sog(&path.join(sog::META), progress);
        }
        return world::import_folder(path, progress);
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "gltf" | "glb" => {
            let bytes = std::fs::read(path).map_err(|error| ImportError::io(path, error))?;
            progress.begin(bytes.len() as u64);
            let imported = gltf::import_gltf(path, &bytes)?;
            progress.set_done(bytes.len() as u64);
            Ok(imported)
        }
        "ply" => ply::import_ply(path, progress),
        "spz" => spz::import_spz(path, progress),
        "splat" => splat::import_splat(path, progress),
        "ksplat" => ksplat::import_ksplat(path, progress),
        "sog" => sog::import_sog(path, progress),
        "json"
            if path
                .file_name()
                .is_some_and(|n| n.eq_ignore_ascii_case(sog::META)) =>
        {
            sog::import_sog(path, progress)
        }
        crate::project::EXTENSION => {
            let project = crate::project::load_with(path, progress).map_err(|e| match e {
                crate::project::ProjectError::Cancelled { file } => ImportError::Cancelled { file },
                other => other.into(),
            })?;
            Ok(Imported {
                scene: project.scene,
                warnings: Vec::new(),
            })
        }
        _ => Err(ImportError::Unsupported {
            path: path.to_owned(),
            ext,
        }),
    }
}

/// Imports a file whose bytes are already in memory, choosing the format by the extension of
/// `path`. `path` names the file in messages and the scene; for glTF its folder is where
/// relative URIs resolve (the only files read), for PLY and SPZ nothing is read from disk.
pub fn import_bytes(path: &Path, bytes: &[u8]) -> Result<Imported, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let progress = Progress::new();
    match ext.as_str() {
        "gltf" | "glb" => gltf::import_gltf(path, bytes),
        "ply" => ply::import_ply_bytes(path, bytes, &progress),
        "spz" => spz::import_spz_bytes(path, bytes, &progress),
        "splat" => splat::import_splat_bytes(path, bytes),
        "ksplat" => ksplat::import_ksplat_bytes(path, bytes),
        "sog" => sog::import_sog_bytes(path, bytes),
        crate::project::EXTENSION => Ok(Imported {
            scene: crate::project::load_bytes(path, bytes)?.scene,
            warnings: Vec::new(),
        }),
        _ => Err(ImportError::Unsupported {
            path: path.to_owned(),
            ext,
        }),
    }
}

/// A scene of one splat node called `name` holding `cloud`, placed by `transform` (the
/// splat readers' result).
fn splat_scene(name: &str, cloud: crate::scene::SplatCloud, transform: Transform) -> Scene {
    let mut scene = Scene::new(name);
    let cloud = scene.add_splat_cloud(cloud);
    scene.add_node(
        None,
        name,
        transform,
        crate::scene::NodeKind::Splats { cloud },
    );
    scene
}

/// `path`'s file name without its extension, or `fallback`.
fn stem_or(path: &Path, fallback: &str) -> String {
    path.file_stem()
        .map_or_else(|| fallback.into(), |s| s.to_string_lossy().into_owned())
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

/// Exposure (EV100) for a scene lit by a sun of `lux`: metered as [`DEFAULT_SUN_EV100`] is
/// for [`DEFAULT_SUN_LUX`] (an incident-light meter's rule, one stop per doubling), so a
/// surface reads the same under any sun. `None` for no usable illuminance.
pub fn metered_ev100(lux: f32) -> Option<f32> {
    (lux.is_finite() && lux > 0.0)
        .then(|| (DEFAULT_SUN_EV100 + (lux / DEFAULT_SUN_LUX).log2()).clamp(-6.0, 20.0))
}

/// Makes an opened file visible: [`add_default_light_if_unlit`]; a file lit by its own sun
/// (glTF has no exposure; Blender's exporter writes a 3 W/m² sun as 2,049 lux, which the
/// default exposure shows nearly black) gets the exposure metered for its brightest visible
/// directional light ([`metered_ev100`]); one lit only by point and spot lights (an
/// interior, a night scene: Blender's 1,000 W point lamp arrives as 80 cd) is metered for
/// the illuminance they give its content ([`punctual_lux`]), where the daylight exposure
/// would show it black.
pub fn prepare_opened_scene(scene: &mut Scene) {
    if add_default_light_if_unlit(scene) {
        return;
    }
    let sun_lux = scene
        .nodes()
        .filter(|n| n.visible)
        .filter_map(|n| match &n.kind {
            NodeKind::Light(light) if light.kind == LightKind::Directional => Some(light.intensity),
            _ => None,
        })
        .fold(0.0f32, f32::max);
    let lux = if sun_lux > 0.0 {
        sun_lux
    } else {
        punctual_lux(scene)
    };
    if let Some(ev100) = metered_ev100(lux) {
        scene.environment_mut().exposure_ev100 = ev100;
    }
}

/// The illuminance (lux) the visible point and spot lights give the middle of the scene's
/// content: each light's intensity (candela) over its squared distance to the centre of the
/// content's framing bounds ([`Scene::content_bounds`]), that distance at least half the bounds' radius (a lamp inside the content
/// lights what surrounds it, not a point at its bulb), lights out of range left out.
pub fn punctual_lux(scene: &Scene) -> f32 {
    let bounds = scene.content_bounds();
    if bounds.is_empty() {
        return 0.0;
    }
    let centre = bounds.center();
    let nearest = (bounds.size().length() * 0.25).max(0.01);
    scene
        .walk()
        .iter()
        .filter(|wn| wn.visible)
        .filter_map(|wn| match &wn.node.kind {
            NodeKind::Light(light) if light.kind != LightKind::Directional => {
                let at = wn.world_from_local.transform_point3(glam::Vec3::ZERO);
                let distance = at.distance(centre);
                let reaches = light.range.is_none_or(|r| distance < r);
                let lux = light.intensity / distance.max(nearest).powi(2);
                (reaches && lux.is_finite()).then_some(lux.max(0.0))
            }
            _ => None,
        })
        .sum()
}

/// "'.obj' files" or "files without an extension", for [`ImportError::Unsupported`].
fn kind_of(ext: &str) -> String {
    if ext.is_empty() {
        "files without an extension".into()
    } else {
        format!("'.{ext}' files")
    }
}
