//! `project` owns the `.wsproj` project file: one versioned file per project holding the
//! whole scene (small data as JSON through the scene's serde derives, big arrays raw in a
//! binary chunk, see [`format`]) plus editor state worth keeping (viewport camera, seed);
//! saving it atomically with a backup of the previous file; and the recovery files the
//! editor autosaves to ([`recovery`]).
//!
//! It reads and writes files and scene data only: no GPU, egui or winit, and it never
//! changes anything on disk while loading. Hostile files give a [`ProjectError`] naming the
//! file and the problem, never a panic or an allocation beyond the file's real size.

pub mod format;
mod migrate;
pub mod recovery;

use crate::import::Progress;
use crate::scene::{OrbitCamera, Scene, SceneError};
use glam::Vec3;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

pub use format::FORMAT_VERSION;

/// The project file extension (without the dot).
pub const EXTENSION: &str = "wsproj";

/// A loaded project.
#[derive(Debug)]
pub struct Project {
    pub scene: Scene,
    pub editor: EditorState,
    /// Version of the worldsmith that wrote the file.
    pub saved_by: String,
}

/// Editor state kept with a project; every field is optional on load.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EditorState {
    /// Seed of the generated world the project started from, if any.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The viewport camera when the project was saved.
    #[serde(default)]
    pub camera: Option<ViewCamera>,
    /// The View menu's choices when the project was saved (absent in projects from before
    /// they were kept: the editor keeps its own).
    #[serde(default)]
    pub view: Option<ViewSettings>,
    /// Only in recovery files: the project file the unsaved work belongs to.
    #[serde(default)]
    pub project_path: Option<String>,
}

/// The viewport's display choices (View menu) as stored in a project: overlays, wireframe,
/// solid shading and the motion paths' span. Fields missing from a file take the editor's
/// defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewSettings {
    #[serde(default = "shown")]
    pub grid: bool,
    #[serde(default = "shown")]
    pub icons: bool,
    #[serde(default = "shown")]
    pub outline: bool,
    #[serde(default = "shown")]
    pub bones: bool,
    #[serde(default)]
    pub wireframe: bool,
    /// The wireframe's opacity (0–1); absent: the viewport's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wire_opacity: Option<f32>,
    #[serde(default)]
    pub solid: bool,
    /// What colours solid shading gives meshes.
    #[serde(default)]
    pub solid_color: SolidColorSetting,
    /// Solid shading's flat lighting (the colours without the studio light).
    #[serde(default)]
    pub solid_flat: bool,
    /// Solid shading's MatCap when its lighting is one (then `solid_flat` is false); a name
    /// this editor does not know (a newer one's) reads as none, the studio light.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_matcap"
    )]
    pub solid_matcap: Option<MatcapSetting>,
    /// Projects saved before `solid_color`: true for a random colour per object (read, never
    /// written).
    #[serde(default, skip_serializing)]
    pub solid_random: bool,
    /// Frames either side of the playhead the motion paths span; `None`: the whole shot.
    #[serde(default)]
    pub paths_around: Option<u32>,
    /// X-ray (`render::Overlays::xray`): meshes drawn see-through, box selections through.
    #[serde(default)]
    pub xray: bool,
    /// X-ray's opacity, 0 to 1; `None`: the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xray_alpha: Option<f32>,
}

fn shown() -> bool {
    true
}

/// Solid shading's MatCaps as a project stores them (the viewport's `render::Matcap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatcapSetting {
    Ceramic,
    Metal,
    Wax,
    Toon,
    Normals,
}

/// A stored MatCap name, `None` for one this editor does not know (instead of refusing the
/// whole project).
fn known_matcap<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<MatcapSetting>, D::Error> {
    let name: Option<String> = Deserialize::deserialize(d)?;
    Ok(name.and_then(|n| {
        serde_json::from_value(serde_json::Value::String(n.to_ascii_lowercase())).ok()
    }))
}

/// Solid shading's colours as a project stores them (the viewport's `render::SolidColor`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SolidColorSetting {
    #[default]
    Clay,
    Random,
    Material,
    Texture,
}

/// The editor's viewport camera ([`OrbitCamera`]) as stored in a project.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewCamera {
    pub pivot: [f32; 3],
    pub distance: f32,
    pub yaw: f32,
    pub pitch: f32,
    pub fov_y_rad: f32,
    pub fly_speed: f32,
    /// Orthographic (absent in projects from before it existed: perspective).
    #[serde(default)]
    pub ortho: bool,
}

impl ViewCamera {
    /// The stored camera, or `None` if it is not finite or not a usable view (a hostile or
    /// damaged file): the editor then frames the scene instead.
    pub fn to_orbit(self) -> Option<OrbitCamera> {
        let values = [
            self.distance,
            self.yaw,
            self.pitch,
            self.fov_y_rad,
            self.fly_speed,
        ];
        let usable = Vec3::from(self.pivot).is_finite()
            && values.iter().all(|v| v.is_finite())
            && self.distance > 0.0
            && self.fov_y_rad > 0.0
            && self.fov_y_rad < std::f32::consts::PI;
        usable.then(|| OrbitCamera {
            pivot: Vec3::from(self.pivot),
            distance: self.distance,
            yaw: self.yaw,
            pitch: self.pitch,
            fov_y_rad: self.fov_y_rad,
            fly_speed: self.fly_speed,
            ortho: self.ortho,
            ortho_auto: false,
        })
    }

    /// The camera to store, or `None` if it holds a value JSON cannot (not finite).
    pub fn from_orbit(camera: &OrbitCamera) -> Option<Self> {
        let stored = Self {
            pivot: camera.pivot.to_array(),
            distance: camera.distance,
            yaw: camera.yaw,
            pitch: camera.pitch,
            fov_y_rad: camera.fov_y_rad,
            fly_speed: camera.fly_speed,
            ortho: camera.ortho,
        };
        stored.to_orbit().map(|_| stored)
    }
}

/// Why a project could not be saved or loaded. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{file}: {action}: {error}")]
    Io {
        file: String,
        action: &'static str,
        error: std::io::Error,
    },
    #[error("{file}: not a worldsmith project (it does not start with the .wsproj signature)")]
    NotAProject { file: String },
    #[error(
        "{file}: saved by a newer worldsmith (project format {found}; this version reads up to \
         format {supported}); update worldsmith to open it"
    )]
    NewerVersion {
        file: String,
        found: u32,
        supported: u32,
    },
    #[error("{file}: damaged project (truncated or extended): {problem}")]
    Size { file: String, problem: String },
    #[error("{file}: damaged project: {problem}")]
    Corrupt { file: String, problem: String },
    #[error("{file}: damaged project: the scene is inconsistent: {error}")]
    Scene { file: String, error: SceneError },
    #[error("{file}: cannot save: {problem}")]
    Unsavable { file: String, problem: String },
    #[error("{file}: loading cancelled")]
    Cancelled { file: String },
}

/// Whether [`save_with`] keeps the file it replaces as `<name>.bak`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backup {
    Keep,
    None,
}

/// The backup [`save`] keeps of the file it replaces: `name.wsproj` → `name.wsproj.bak`.
pub fn backup_path(path: &Path) -> PathBuf {
    sibling(path, ".bak")
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_owned()).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// The temporary file a save in this process writes before renaming it over `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    sibling(path, &format!(".tmp-{}", std::process::id()))
}

/// Loads the project at `path`.
pub fn load(path: &Path) -> Result<Project, ProjectError> {
    load_with(path, &Progress::new())
}

/// [`load`] reporting bytes read to (and cancellable through) `progress`.
pub fn load_with(path: &Path, progress: &Progress) -> Result<Project, ProjectError> {
    format::read_project(path, progress)
}

/// Reads a project held in memory (fuzzing, tests); `path` only names it in errors.
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<Project, ProjectError> {
    format::read_from(
        &path.display().to_string(),
        bytes,
        bytes.len() as u64,
        &Progress::new(),
    )
}

/// Saves atomically with a backup of the previous file: see [`save_with`].
pub fn save(path: &Path, scene: &Scene, editor: &EditorState) -> Result<u64, ProjectError> {
    save_with(path, scene, editor, Backup::Keep)
}

/// Saves `scene` and `editor` to `path` so that a crash or kill at any moment leaves either
/// the previous file or the new one there, never a mix and never nothing:
///
/// 1. write `<name>.tmp-<pid>` in the same folder and fsync it;
/// 2. with [`Backup::Keep`], hard-link (or, where links fail, copy and fsync) the current
///    file to `<name>.bak.tmp-<pid>` and rename that over `<name>.bak`;
/// 3. rename the temporary file over `path` (atomic on POSIX file systems);
/// 4. fsync the folder so the renames are durable.
///
/// Any failure before step 3 removes the temporary file and leaves `path` as it was.
/// Returns the bytes written.
pub fn save_with(
    path: &Path,
    scene: &Scene,
    editor: &EditorState,
    backup: Backup,
) -> Result<u64, ProjectError> {
    let file = path.display().to_string();
    let io = |action: &'static str| {
        let file = file.clone();
        move |error| ProjectError::Io {
            file,
            action,
            error,
        }
    };
    if path.file_name().is_none() {
        return Err(ProjectError::Unsavable {
            file,
            problem: "the path has no file name".into(),
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let temp = temp_path(path);
    // Temporary files of earlier saves that were killed (ours by an earlier process with
    // this pid) are debris: nothing reads them.
    std::fs::remove_file(&temp).ok();
    remove_stale_temporaries(path);
    let written = (|| {
        let handle = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(io("could not create the temporary file"))?;
        let mut out = BufWriter::with_capacity(1 << 20, handle);
        let written = format::write_project(&file, &mut out, scene, editor)?;
        out.flush().map_err(io("could not write the project"))?;
        let handle = out
            .into_inner()
            .map_err(|e| e.into_error())
            .map_err(io("could not write the project"))?;
        handle
            .sync_all()
            .map_err(io("could not flush the project to disk"))?;
        if backup == Backup::Keep && path.is_file() {
            keep_backup(path).map_err(io("could not keep the previous file as a backup"))?;
        }
        std::fs::rename(&temp, path).map_err(io("could not replace the project"))?;
        Ok(written)
    })();
    match written {
        Ok(written) => {
            if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
                log::warn!("{}: could not sync the folder: {e}", dir.display());
            }
            Ok(written)
        }
        Err(e) => {
            std::fs::remove_file(&temp).ok();
            Err(e)
        }
    }
}

/// Deletes `<name>.tmp-<pid>` and `<name>.bak.tmp-<pid>` beside `path` whose process is no
/// longer running (a save that was killed).
fn remove_stale_temporaries(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let prefixes = [format!("{name}.tmp-"), format!("{name}.bak.tmp-")];
    for entry in read.filter_map(Result::ok) {
        let file = entry.file_name();
        let Some(file) = file.to_str() else {
            continue;
        };
        let pid = prefixes
            .iter()
            .find_map(|p| file.strip_prefix(p.as_str()))
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !recovery::running(pid)
        {
            std::fs::remove_file(entry.path()).ok();
        }
    }
}

/// Replaces `<path>.bak` by the current `path` atomically (a hard link, or a copy where the
/// file system has none, renamed into place).
fn keep_backup(path: &Path) -> std::io::Result<()> {
    let bak = backup_path(path);
    let bak_temp = sibling(&bak, &format!(".tmp-{}", std::process::id()));
    std::fs::remove_file(&bak_temp).ok();
    if std::fs::hard_link(path, &bak_temp).is_err() {
        std::fs::copy(path, &bak_temp)?;
        File::open(&bak_temp)?.sync_all()?;
    }
    let renamed = std::fs::rename(&bak_temp, &bak);
    if renamed.is_err() {
        std::fs::remove_file(&bak_temp).ok();
    }
    renamed
}

/// True for paths with the project extension.
pub fn is_project_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(EXTENSION))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{NodeKind, Transform, scene_hash};

    #[test]
    fn a_matcap_is_read_by_name_and_an_unknown_one_as_none() {
        let read = |json: &str| {
            serde_json::from_str::<ViewSettings>(json)
                .expect("view settings")
                .solid_matcap
        };
        assert_eq!(
            read(r#"{"solid_matcap": "metal"}"#),
            Some(MatcapSetting::Metal)
        );
        assert_eq!(
            read(r#"{"solid_matcap": "Toon"}"#),
            Some(MatcapSetting::Toon)
        );
        // A newer editor's MatCap, or none at all: the studio light, not a refused project.
        assert_eq!(read(r#"{"solid_matcap": "chalk"}"#), None);
        assert_eq!(read(r#"{"solid_matcap": null}"#), None);
        assert_eq!(read("{}"), None);
        assert!(serde_json::from_str::<ViewSettings>(r#"{"solid_matcap": 3}"#).is_err());
        let written = serde_json::to_value(ViewSettings {
            solid_matcap: Some(MatcapSetting::Normals),
            ..serde_json::from_str("{}").expect("defaults")
        })
        .expect("serialize");
        assert_eq!(written["solid_matcap"], "normals");
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ws-project-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn save_keeps_a_backup_and_leaves_no_temporary_file() {
        let dir = temp_dir("backup");
        let path = dir.join("a.wsproj");
        let mut scene = Scene::new("first");
        scene.add_node(None, "A", Transform::IDENTITY, NodeKind::Empty);
        save(&path, &scene, &EditorState::default()).expect("save 1");
        assert!(!backup_path(&path).exists(), "nothing to back up yet");
        let first = scene_hash(&scene);
        scene.name = "second".into();
        save(&path, &scene, &EditorState::default()).expect("save 2");
        assert_eq!(
            scene_hash(&load(&path).expect("load").scene),
            scene_hash(&scene)
        );
        let bak = load(&backup_path(&path)).expect("backup loads");
        assert_eq!(scene_hash(&bak.scene), first);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_failed_save_leaves_the_previous_file() {
        let dir = temp_dir("failed");
        let path = dir.join("a.wsproj");
        let mut scene = Scene::new("good");
        save(&path, &scene, &EditorState::default()).expect("save");
        let before = std::fs::read(&path).expect("read");
        // A non-finite value cannot be stored: the save is refused before anything moves.
        scene.add_node(
            None,
            "Bad light",
            Transform::IDENTITY,
            NodeKind::Light(crate::scene::Light {
                kind: crate::scene::LightKind::Point,
                color: [1.0; 3],
                intensity: f32::NAN,
                range: None,
                cast_shadows: false,
            }),
        );
        let e = save(&path, &scene, &EditorState::default()).expect_err("NaN refused");
        assert!(e.to_string().contains("a.wsproj"), "{e}");
        assert_eq!(std::fs::read(&path).expect("read"), before);
        assert!(!temp_path(&path).exists());
        assert!(!backup_path(&path).exists());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn stored_cameras_must_be_usable() {
        let camera = OrbitCamera::default();
        let stored = ViewCamera::from_orbit(&camera).expect("finite");
        assert_eq!(stored.to_orbit(), Some(camera));
        let bad = ViewCamera {
            distance: -1.0,
            ..stored
        };
        assert_eq!(bad.to_orbit(), None);
        let nan = OrbitCamera {
            yaw: f32::NAN,
            ..camera
        };
        assert_eq!(ViewCamera::from_orbit(&nan), None);
    }
}
