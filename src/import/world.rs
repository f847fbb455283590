//! World-model output folders: HY-World 2.0 (WorldMirror), HunyuanWorld 1.0 layered meshes and
//! World Labs Marble exports (see `shared/FORMATS.md`), and the output folders of 3DGS
//! training runs (INRIA's `train.py` and the many tools that keep its layout).
//!
//! Opening a folder makes one `World` node. Every importable file directly in the folder
//! (splats, point clouds, meshes as `.ply`, `.splat`, `.ksplat`, `.sog`, `.spz`, `.glb`,
//! `.gltf`) becomes a named layer below it, and so do a training run's last saved splats
//! (`point_cloud/iteration_<N>/point_cloud.ply`, largest N); an equirectangular
//! `panorama*.png|jpg` becomes the sky, and the cameras of a `camera_params.json` (or, without
//! one, a training run's `cameras.json`, or without either a COLMAP sparse model's
//! registered images, read by `colmap.rs`) become camera nodes under `World/Cameras`, named
//! after their ids (image names); a COLMAP model's 3D points become a point layer.
//!
//! ## Frames
//! worldsmith is Y-up, −Z forward (glTF). HY-World writes its reconstruction in the OpenCV
//! frame of its first camera (x right, y down, z forward) and its cameras as OpenCV
//! camera-to-world matrices, as does 3DGS training (COLMAP's frame, cameras as OpenCV
//! camera-to-world rotations and centres). When a folder has cameras, the layers therefore
//! stay as written and the `World` node carries the OpenCV → Y-up conversion
//! (`yup_from_opencv`, a 180° turn about X); a camera's node transform is
//! `c2w_cv · diag(1, −1, −1, 1)` (its own Y and Z flipped, so it looks down its −Z).
//! SPZ and glTF layers are Y-up by definition, so inside such a folder they get the inverse
//! turn to land in the same OpenCV frame as the PLY layers. Folders without camera parameters
//! or Marble metadata (HunyuanWorld) keep each layer as it opens on its own.
//!
//! ## Scale, ground and frame (Marble)
//! World Labs describes a world's splats with `semantics_metadata { metric_scale_factor,
//! ground_plane_offset }` (in its API response, often saved beside the files): metric
//! coordinates are the raw ones times the factor, with `ground_plane_offset` subtracted from
//! y to put the ground at y = 0. Marble's raw frame is OpenCV's, y down (World Labs' own FAQ
//! answers why exported splats and meshes show upside down elsewhere; its example offset is
//! positive, a ground below the camera; three.js users turn Marble SPZ 180° about X), for
//! its SPZ, PLY and GLB alike. So when any other `*.json` in the folder holds those keys (at
//! any depth), the `World` node turns the folder from OpenCV to Y-up like a HY-World folder,
//! every layer stays in the raw frame (a PLY's own turn undone; SPZ and GLB as written), and
//! the node is scaled by the factor and lifted by +offset: the floor lands on the grid.

use super::{ImportError, Imported, Progress};
use crate::scene::{
    Camera, Channel, Image, Key, MAX_SHOT_FRAMES, NodeId, NodeKind, Scene, Shot, Transform, Value,
};
use glam::{Mat3, Mat4, Quat, Vec3};
use std::path::{Path, PathBuf};

/// Largest `camera_params.json` read (a JSON file of matrices; 10,000 cameras is ~5 MB).
const MAX_CAMERA_JSON_BYTES: u64 = 64 << 20;
/// Most cameras taken from one file.
const MAX_CAMERAS: usize = 100_000;
/// Most layers (files) imported from one folder.
const MAX_LAYERS: usize = 256;
/// Largest metadata `*.json` read for a scale and ground offset.
const MAX_METADATA_JSON_BYTES: u64 = 16 << 20;
/// Metadata JSON files looked at in one folder.
const MAX_METADATA_FILES: usize = 16;
/// Accepted range of a metric scale factor (anything else is a warning, not applied).
const METRIC_SCALE_RANGE: std::ops::RangeInclusive<f32> = 1e-4..=1e4;
/// Largest ground-plane offset applied, in metres.
const MAX_GROUND_OFFSET_M: f32 = 1e5;
/// Largest panorama accepted, in pixels per side.
const MAX_PANORAMA_SIDE: u32 = 16_384;

/// The 180° turn about X that takes OpenCV axes (x right, y down, z forward) to worldsmith's
/// (x right, y up, z back).
pub fn yup_from_opencv() -> Quat {
    Quat::from_rotation_x(std::f32::consts::PI)
}

/// True when `path` is a folder that holds at least one layer or camera file, or the trained
/// splats of a 3DGS training run (`point_cloud/iteration_*/point_cloud.ply`).
pub fn is_world_folder(path: &Path) -> bool {
    path.is_dir()
        && (trained_splats(path).is_some()
            || super::colmap::model_folder(path).is_some()
            || std::fs::read_dir(path).is_ok_and(|read| {
                read.filter_map(Result::ok).any(|e| {
                    layer_kind(&e.path()).is_some()
                        || CAMERA_FILES.iter().any(|name| e.file_name() == *name)
                })
            }))
}

/// Camera files a folder may hold, in the order they are looked for: HY-World's, then the
/// one 3DGS training (INRIA's `train.py`) writes beside its output.
pub const CAMERA_FILES: [&str; 2] = ["camera_params.json", "cameras.json"];

/// The splat PLY of the last iteration a 3DGS training run saved in `folder`
/// (`point_cloud/iteration_<N>/point_cloud.ply`, largest N), with N.
pub fn trained_splats(folder: &Path) -> Option<(PathBuf, u64)> {
    std::fs::read_dir(folder.join("point_cloud"))
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name();
            let iteration = name.to_str()?.strip_prefix("iteration_")?.parse().ok()?;
            let file = e.path().join("point_cloud.ply");
            file.is_file().then_some((file, iteration))
        })
        .max_by_key(|(_, iteration)| *iteration)
}

/// What a file in a world folder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LayerKind {
    /// `.ply`: splats, points or a mesh in the writer's frame (OpenCV for HY-World); `.splat`
    /// records and `.sog` bundles, converted from such a PLY.
    Ply,
    /// `.spz`, `.glb`, `.gltf`: Y-up.
    YUp,
    /// An equirectangular panorama for the sky.
    Panorama,
}

fn layer_kind(path: &Path) -> Option<LayerKind> {
    if !path.is_file() {
        return None;
    }
    let ext = path.extension()?.to_string_lossy().to_lowercase();
    let stem = path.file_stem()?.to_string_lossy().to_lowercase();
    match ext.as_str() {
        "ply" | "splat" | "ksplat" | "sog" => Some(LayerKind::Ply),
        "spz" | "glb" | "gltf" => Some(LayerKind::YUp),
        "png" | "jpg" | "jpeg" | "webp" if stem.contains("pano") => Some(LayerKind::Panorama),
        _ => None,
    }
}

/// A layer's display name: "gaussians.ply" → "gaussians (splats)"; a training run's
/// "point_cloud/iteration_30000/point_cloud.ply" → "point_cloud iteration_30000 (splats)".
fn layer_name(file: &Path, scene: &Scene) -> String {
    let mut stem = file
        .file_stem()
        .map_or_else(|| "layer".into(), |s| s.to_string_lossy().into_owned());
    if let Some(parent) = file.parent().and_then(Path::file_name)
        && parent.to_string_lossy().starts_with("iteration_")
    {
        stem = format!("{stem} {}", parent.to_string_lossy());
    }
    let what = scene.nodes().find_map(|n| match n.kind {
        NodeKind::Splats { .. } => Some("splats"),
        NodeKind::Points { .. } => Some("points"),
        _ => None,
    });
    match what {
        Some(what) => format!("{stem} ({what})"),
        None => stem,
    }
}

/// Imports every layer and camera of the world-model output folder `folder`.
pub fn import_folder(folder: &Path, progress: &Progress) -> Result<Imported, ImportError> {
    let folder_name = folder.display().to_string();
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|error| ImportError::Io {
            file: folder_name.clone(),
            error,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| layer_kind(p).is_some())
        .collect();
    files.sort();
    // A 3DGS training run's output: its last saved splats (`input.ply` beside them, the
    // structure-from-motion points, is a layer like any other).
    if let Some((trained, _)) = trained_splats(folder) {
        files.push(trained);
    }
    let camera_file = CAMERA_FILES
        .iter()
        .map(|name| folder.join(name))
        .find(|file| file.is_file());
    // Without camera files, a COLMAP sparse model's registered images and points.
    let colmap = camera_file
        .is_none()
        .then(|| super::colmap::model_folder(folder))
        .flatten();
    let has_cameras = camera_file.is_some() || colmap.is_some();
    if files.is_empty() && !has_cameras {
        return Err(ImportError::World {
            file: folder_name,
            problem: "no layers (.ply, .splat, .ksplat, .sog, .spz, .glb, .gltf, panorama \
                      image), trained splats (point_cloud/iteration_*/point_cloud.ply) or \
                      cameras (camera_params.json, cameras.json, a COLMAP sparse/0 model) in \
                      this folder"
                .into(),
        });
    }
    let mut warnings = Vec::new();
    if files.len() > MAX_LAYERS {
        warnings.push(format!(
            "{folder_name}: {} layer files; only the first {MAX_LAYERS} are imported",
            files.len()
        ));
        files.truncate(MAX_LAYERS);
    }

    let mut scene = Scene::new(
        &folder
            .file_name()
            .map_or_else(|| "World".into(), |n| n.to_string_lossy().into_owned()),
    );
    let metric = read_metric_metadata(folder, &mut warnings);
    // HY-World (cameras) and Marble (its scale metadata) write OpenCV-frame worlds.
    let opencv_world = has_cameras || metric.is_some();
    let world_rotation = if opencv_world {
        yup_from_opencv()
    } else {
        Quat::IDENTITY
    };
    let mut world_transform = Transform::IDENTITY.with_rotation(world_rotation);
    if let Some(metric) = metric {
        // World Labs: metric = raw · scale, then y −= offset in that y-down frame; turned to
        // Y-up by the World node, the offset becomes a lift of +offset.
        world_transform.scale = Vec3::splat(metric.scale);
        world_transform.translation = Vec3::new(0.0, metric.ground_offset_m, 0.0);
        warnings.push(format!(
            "{}: metric scale {} and ground plane at {} m applied to the World node",
            metric.file.display(),
            metric.scale,
            metric.ground_offset_m
        ));
    }
    let world = scene.add_node(None, "World", world_transform, NodeKind::Empty);

    for file in &files {
        progress.check(folder)?;
        let Some(kind) = layer_kind(file) else {
            continue;
        };
        if kind == LayerKind::Panorama {
            match read_panorama(file) {
                Ok((image, hdr)) => {
                    let id = scene.add_image(image);
                    scene.environment_mut().panorama = Some(crate::scene::Panorama {
                        image: id,
                        rotation_rad: 0.0,
                        intensity: 1.0,
                        hdr,
                    });
                }
                Err(problem) => warnings.push(format!("{}: {problem}", file.display())),
            }
            continue;
        }
        // A broken layer must not lose the others: it becomes a warning.
        let layer = match super::import_path_with(file, progress) {
            Ok(layer) => layer,
            Err(ImportError::Cancelled { file }) => return Err(ImportError::Cancelled { file }),
            Err(error) => {
                warnings.push(format!("layer skipped: {error}"));
                continue;
            }
        };
        warnings.extend(layer.warnings);
        let name = layer_name(file, &layer.scene);
        let group = scene.add_node(Some(world), &name, Transform::IDENTITY, NodeKind::Empty);
        let roots = scene.merge(layer.scene, Some(group));
        if opencv_world {
            // Undo each format's own frame conversion: the World node does it once for all.
            // HY-World's SPZ and glTF layers are Y-up as those formats define; Marble writes
            // every layer, SPZ and GLB included, in its raw OpenCV frame.
            for root in roots {
                let Some(node) = scene.node(root) else {
                    continue;
                };
                let mut t = node.transform;
                t.rotation = match kind {
                    LayerKind::Ply => strip_flip(t.rotation),
                    _ if has_cameras => yup_from_opencv().inverse() * t.rotation,
                    _ => t.rotation,
                };
                scene.set_transform(root, t);
            }
        }
    }

    if let Some(model) = &colmap
        && model.join("points3D.bin").is_file()
    {
        match super::colmap::read_points(model) {
            Ok(cloud) => {
                let group = scene.add_node(
                    Some(world),
                    "points3D (points)",
                    Transform::IDENTITY,
                    NodeKind::Empty,
                );
                let cloud = scene.add_point_cloud(cloud);
                scene.add_node(
                    Some(group),
                    "points3D",
                    Transform::IDENTITY,
                    NodeKind::Points {
                        cloud,
                        point_size_px: crate::scene::DEFAULT_POINT_SIZE_PX,
                    },
                );
            }
            Err(problem) => warnings.push(format!("layer skipped: {problem}")),
        }
    }
    let cameras = match (&camera_file, &colmap) {
        (Some(file), _) => {
            Some(read_cameras(file).map_err(|problem| format!("{}: {problem}", file.display())))
        }
        (None, Some(model)) => Some(super::colmap::read_cameras(model)),
        (None, None) => None,
    };
    match cameras {
        None => {}
        Some(Ok((cameras, camera_warnings))) => {
            warnings.extend(camera_warnings);
            if !cameras.is_empty() {
                let group =
                    scene.add_node(Some(world), "Cameras", Transform::IDENTITY, NodeKind::Empty);
                for camera in &cameras {
                    scene.add_node(
                        Some(group),
                        &camera.name,
                        camera.transform,
                        NodeKind::Camera(camera.camera),
                    );
                }
                add_captured_path(&mut scene, group, &cameras);
            }
        }
        Some(Err(problem)) => warnings.push(problem),
    }
    Ok(Imported { scene, warnings })
}

/// Frames between two recorded cameras in the "Captured path" shot (half a second at 24 fps).
pub const CAPTURED_PATH_SPACING: u32 = 12;

/// The recorded camera trajectory as a shot: a `Captured path` camera under `group` keyed
/// (transform, and field of view where it varies) through every recorded camera in file
/// order, [`CAPTURED_PATH_SPACING`] frames apart, with smooth (auto Bézier) motion. Needs
/// two cameras or more.
fn add_captured_path(scene: &mut Scene, group: NodeId, cameras: &[ImportedCamera]) {
    let (Some(first), true) = (cameras.first(), cameras.len() >= 2) else {
        return;
    };
    let camera = scene.add_node(
        Some(group),
        "Captured path",
        first.transform,
        NodeKind::Camera(first.camera),
    );
    let id = scene.reserve_shot_id();
    let last_frame = (cameras.len() as u32 - 1).saturating_mul(CAPTURED_PATH_SPACING);
    let mut shot = Shot {
        frames: (last_frame + 1).min(MAX_SHOT_FRAMES),
        camera: Some(camera),
        ..Shot::new(id, "Captured path")
    };
    let frame = |i: usize| (i as u32 * CAPTURED_PATH_SPACING) as f32;
    shot.track_mut(Channel::Transform(camera)).set_keys(
        cameras
            .iter()
            .enumerate()
            .map(|(i, c)| Key::new(frame(i), Value::Transform(c.transform))),
    );
    let fov = |c: &ImportedCamera| c.camera.fov_y_rad;
    if cameras.iter().any(|c| (fov(c) - fov(first)).abs() > 1e-4) {
        shot.track_mut(Channel::FieldOfView(camera)).set_keys(
            cameras
                .iter()
                .enumerate()
                .map(|(i, c)| Key::new(frame(i), Value::Float(fov(c)))),
        );
    }
    let mut timeline = scene.timeline().clone();
    timeline.active = Some(id);
    timeline.shots.push(shot);
    scene.set_timeline(timeline);
}

/// A world's metric scale and floor height, read from a metadata JSON in its folder.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricMetadata {
    /// The file the values came from.
    pub file: PathBuf,
    /// Metres per unit of the layers.
    pub scale: f32,
    /// `ground_plane_offset`: how far below the origin the ground lies in the scaled, raw
    /// (y-down) frame, in metres.
    pub ground_offset_m: f32,
}

/// Finds `metric_scale_factor` / `ground_plane_offset` in the folder's `*.json` files (other
/// than `camera_params.json`), in file-name order; unreadable or out-of-range values are
/// warnings.
pub fn read_metric_metadata(folder: &Path, warnings: &mut Vec<String>) -> Option<MetricMetadata> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("json"))
                && p.file_name()
                    .is_some_and(|n| CAMERA_FILES.iter().all(|c| n != *c))
        })
        .collect();
    files.sort();
    for file in files.into_iter().take(MAX_METADATA_FILES) {
        let len = std::fs::metadata(&file).map_or(0, |m| m.len());
        if len > MAX_METADATA_JSON_BYTES {
            continue;
        }
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        // Other JSON (not metadata, or broken) is not this importer's business.
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        let scale = find_number(&json, "metric_scale_factor", 0);
        let ground = find_number(&json, "ground_plane_offset", 0);
        if scale.is_none() && ground.is_none() {
            continue;
        }
        let scale = match scale {
            Some(s) if METRIC_SCALE_RANGE.contains(&s) => s,
            Some(s) => {
                warnings.push(format!(
                    "{}: metric_scale_factor {s} is outside {}..={}; scale 1 used",
                    file.display(),
                    METRIC_SCALE_RANGE.start(),
                    METRIC_SCALE_RANGE.end()
                ));
                1.0
            }
            None => 1.0,
        };
        let ground_offset_m = match ground {
            Some(g) if g.abs() <= MAX_GROUND_OFFSET_M => g,
            Some(g) => {
                warnings.push(format!(
                    "{}: ground_plane_offset {g} is not a usable height; 0 used",
                    file.display()
                ));
                0.0
            }
            None => 0.0,
        };
        return Some(MetricMetadata {
            file,
            scale,
            ground_offset_m,
        });
    }
    None
}

/// The first number under `key` anywhere in `json` (depth-first, bounded depth).
fn find_number(json: &serde_json::Value, key: &str, depth: usize) -> Option<f32> {
    if depth > 32 {
        return None;
    }
    match json {
        serde_json::Value::Object(map) => {
            if let Some(v) = map.get(key).and_then(serde_json::Value::as_f64) {
                // Out-of-range values (also ±inf after the f32 cast) are the caller's warning.
                return Some(v as f32);
            }
            map.values().find_map(|v| find_number(v, key, depth + 1))
        }
        serde_json::Value::Array(items) => {
            items.iter().find_map(|v| find_number(v, key, depth + 1))
        }
        _ => None,
    }
}

/// The OpenCV → Y-up turn a standalone PLY splat layer gets, removed again (inside an OpenCV
/// folder the World node converts); other rotations stay.
fn strip_flip(rotation: Quat) -> Quat {
    let flip = yup_from_opencv();
    if rotation.abs_diff_eq(flip, 1e-5) || rotation.abs_diff_eq(-flip, 1e-5) {
        Quat::IDENTITY
    } else {
        rotation
    }
}

/// Reads an equirectangular panorama: PNG/JPEG as display colours, Radiance `.hdr` as
/// linear values packed into RGBE bytes (the second value is true then).
pub fn read_panorama(file: &Path) -> Result<(Image, bool), String> {
    let reader = image::ImageReader::open(file)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| format!("cannot read the panorama: {e}"))?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| format!("not a readable image: {e}"))?;
    if w > MAX_PANORAMA_SIDE || h > MAX_PANORAMA_SIDE || w == 0 || h == 0 {
        return Err(format!(
            "panorama is {w}×{h}; at most {MAX_PANORAMA_SIDE} pixels per side are accepted"
        ));
    }
    let decoded = image::open(file).map_err(|e| format!("not a readable image: {e}"))?;
    let name = file
        .file_name()
        .map_or_else(|| "panorama".into(), |n| n.to_string_lossy().into_owned());
    let hdr = matches!(
        decoded.color(),
        image::ColorType::Rgb32F | image::ColorType::Rgba32F
    );
    let (width, height) = (decoded.width(), decoded.height());
    let bytes = if hdr {
        decoded
            .to_rgb32f()
            .pixels()
            .flat_map(|p| crate::scene::rgbe_from_linear(p.0))
            .collect()
    } else {
        decoded.to_rgba8().into_raw()
    };
    let image = Image::new(&name, width, height, bytes)
        .ok_or_else(|| "the decoded panorama has an inconsistent size".to_owned())?;
    Ok((image, hdr))
}

/// A camera read from a folder's camera file or COLMAP model.
#[derive(Clone, Debug)]
pub struct ImportedCamera {
    pub name: String,
    /// `opencv_world_from_camera` with the camera's own Y and Z flipped (GL convention).
    pub transform: Transform,
    pub camera: Camera,
}

impl ImportedCamera {
    /// A camera with the default lens but for its vertical field of view.
    pub fn new(name: String, transform: Transform, fov_y_rad: f32) -> Self {
        Self {
            name,
            transform,
            camera: Camera {
                fov_y_rad,
                ..Camera::default()
            },
        }
    }
}

/// Reads a folder's cameras: HY-World's `camera_params.json` (an object whose extrinsics are
/// OpenCV camera-to-world 4×4 matrices and intrinsics 3×3 K matrices in pixels, matched by
/// `camera_id`), or the `cameras.json` 3DGS training writes (a list of cameras, each with its
/// OpenCV camera-to-world `rotation` (3×3, row-major) and `position`, `fx`/`fy` in pixels and
/// the image `width`/`height`, named by `img_name`).
pub fn read_cameras(file: &Path) -> Result<(Vec<ImportedCamera>, Vec<String>), String> {
    let len = std::fs::metadata(file)
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    if len > MAX_CAMERA_JSON_BYTES {
        return Err(format!(
            "{len} bytes; camera files over {MAX_CAMERA_JSON_BYTES} bytes are not read"
        ));
    }
    let text = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format!("not valid JSON: {e}"))?;
    if let Some(list) = json.as_array() {
        return Ok(training_cameras(file, list));
    }
    let list = |key: &str| -> Vec<serde_json::Value> {
        json.get(key)
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default()
    };
    let extrinsics = list("extrinsics");
    let intrinsics = list("intrinsics");
    if extrinsics.is_empty() {
        return Err("no \"extrinsics\" list".into());
    }
    let mut warnings = Vec::new();
    let file_name = file.display().to_string();
    if extrinsics.len() > MAX_CAMERAS {
        warnings.push(format!(
            "{file_name}: {} cameras; only the first {MAX_CAMERAS} are imported",
            extrinsics.len()
        ));
    }
    let mut cameras = Vec::new();
    for (index, entry) in extrinsics.iter().take(MAX_CAMERAS).enumerate() {
        let id = camera_id(entry).unwrap_or_else(|| index.to_string());
        let Some(c2w) = entry.get("matrix").and_then(matrix::<4>) else {
            warnings.push(format!(
                "{file_name}: camera {id}: extrinsic matrix is not a finite 4×4 matrix; skipped"
            ));
            continue;
        };
        let k = intrinsics
            .iter()
            .find(|i| camera_id(i).as_deref() == Some(id.as_str()))
            .or_else(|| intrinsics.get(index))
            .and_then(|i| i.get("matrix"))
            .and_then(matrix::<3>);
        let fov_y_rad = match k {
            Some(k) => match fov_y_from_k(&k) {
                Some(fov) => fov,
                None => {
                    warnings.push(format!(
                        "{file_name}: camera {id}: intrinsics give no usable field of view; 50° used"
                    ));
                    Camera::default().fov_y_rad
                }
            },
            None => {
                warnings.push(format!(
                    "{file_name}: camera {id}: no intrinsics; 50° field of view used"
                ));
                Camera::default().fov_y_rad
            }
        };
        let Some(transform) = gl_camera_transform(&c2w) else {
            warnings.push(format!(
                "{file_name}: camera {id}: the extrinsic rotation is not a rotation; skipped"
            ));
            continue;
        };
        cameras.push(ImportedCamera::new(camera_name(&id), transform, fov_y_rad));
    }
    Ok((cameras, warnings))
}

/// The cameras of a 3DGS training run's `cameras.json` (see [`read_cameras`]); entries that
/// are not cameras are warnings.
fn training_cameras(file: &Path, list: &[serde_json::Value]) -> (Vec<ImportedCamera>, Vec<String>) {
    let file_name = file.display().to_string();
    let mut warnings = Vec::new();
    if list.len() > MAX_CAMERAS {
        warnings.push(format!(
            "{file_name}: {} cameras; only the first {MAX_CAMERAS} are imported",
            list.len()
        ));
    }
    let mut cameras = Vec::new();
    for (index, entry) in list.iter().take(MAX_CAMERAS).enumerate() {
        let name = match entry.get("img_name").and_then(|v| v.as_str()) {
            Some(name) if !name.is_empty() => name.chars().take(200).collect(),
            _ => match entry.get("id") {
                Some(serde_json::Value::Number(n)) => camera_name(&n.to_string()),
                _ => camera_name(&index.to_string()),
            },
        };
        let number = |key: &str| entry.get(key).and_then(|v| v.as_f64()).map(|v| v as f32);
        let position = entry.get("position").and_then(|p| {
            let p: Vec<f32> = p
                .as_array()?
                .iter()
                .map(|v| v.as_f64().map(|v| v as f32))
                .collect::<Option<_>>()?;
            <[f32; 3]>::try_from(p)
                .ok()
                .filter(|p| p.iter().all(|v| v.is_finite()))
        });
        let rotation = entry.get("rotation").and_then(matrix::<3>);
        let (Some(p), Some(r)) = (position, rotation) else {
            warnings.push(format!(
                "{file_name}: camera {name}: no finite \"position\" (3 numbers) and \
                 \"rotation\" (3×3); skipped"
            ));
            continue;
        };
        let c2w = [
            [r[0][0], r[0][1], r[0][2], p[0]],
            [r[1][0], r[1][1], r[1][2], p[1]],
            [r[2][0], r[2][1], r[2][2], p[2]],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let Some(transform) = gl_camera_transform(&c2w) else {
            warnings.push(format!(
                "{file_name}: camera {name}: the rotation is not a rotation; skipped"
            ));
            continue;
        };
        let fov = match (number("fy"), number("height")) {
            (Some(fy), Some(height)) => fov_y_from_focal(fy, height),
            _ => None,
        };
        let fov_y_rad = fov.unwrap_or_else(|| {
            warnings.push(format!(
                "{file_name}: camera {name}: no usable \"fy\" and \"height\"; 50° field of \
                 view used"
            ));
            Camera::default().fov_y_rad
        });
        cameras.push(ImportedCamera::new(name, transform, fov_y_rad));
    }
    (cameras, warnings)
}

/// "image_0001" stays; a bare number 3 becomes "camera_0003".
fn camera_name(id: &str) -> String {
    match id.parse::<u64>() {
        Ok(n) => format!("camera_{n:04}"),
        Err(_) => id.to_owned(),
    }
}

fn camera_id(entry: &serde_json::Value) -> Option<String> {
    match entry.get("camera_id")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A row-major N×N matrix from nested arrays (`[[..],[..]]`) or a flat list of N² numbers.
fn matrix<const N: usize>(value: &serde_json::Value) -> Option<[[f32; N]; N]> {
    let flat: Vec<f64> = match value.as_array()? {
        rows if rows.len() == N && rows.iter().all(|r| r.is_array()) => rows
            .iter()
            .flat_map(|r| r.as_array().into_iter().flatten())
            .map(|v| v.as_f64())
            .collect::<Option<Vec<_>>>()?,
        flat => flat
            .iter()
            .map(|v| v.as_f64())
            .collect::<Option<Vec<_>>>()?,
    };
    if flat.len() != N * N || flat.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut m = [[0.0f32; N]; N];
    for (i, v) in flat.iter().enumerate() {
        m[i / N][i % N] = *v as f32;
    }
    Some(m)
}

/// Vertical field of view from a pinhole K: `2 atan(h / (2 fy))` with `h = 2 cy` (the image
/// height when the principal point is centred).
pub fn fov_y_from_k(k: &[[f32; 3]; 3]) -> Option<f32> {
    let fy = k[1][1];
    let cy = k[1][2];
    let fov = 2.0 * (cy / fy).atan();
    (fy > 0.0 && cy > 0.0 && fov.is_finite() && fov > 1e-3 && fov < 3.1).then_some(fov)
}

/// Vertical field of view of an image `height` pixels tall at a focal length of `fy` pixels
/// (see [`fov_y_from_k`]).
pub fn fov_y_from_focal(fy: f32, height: f32) -> Option<f32> {
    fov_y_from_k(&[[fy, 0.0, 0.0], [0.0, fy, height / 2.0], [0.0, 0.0, 1.0]])
}

/// The node transform of an OpenCV camera-to-world matrix (row-major): the same pose with the
/// camera's Y and Z flipped, so it looks down −Z with +Y up. `None` if the 3×3 part is not
/// close to a rotation (scaled or mirrored cameras are refused).
pub fn gl_camera_transform(c2w: &[[f32; 4]; 4]) -> Option<Transform> {
    // glam is column-major: column j holds row entries m[i][j].
    let world_from_cv_camera = Mat4::from_cols_array_2d(&[
        [c2w[0][0], c2w[1][0], c2w[2][0], c2w[3][0]],
        [c2w[0][1], c2w[1][1], c2w[2][1], c2w[3][1]],
        [c2w[0][2], c2w[1][2], c2w[2][2], c2w[3][2]],
        [c2w[0][3], c2w[1][3], c2w[2][3], c2w[3][3]],
    ]);
    let world_from_gl_camera = world_from_cv_camera * Mat4::from_scale(Vec3::new(1.0, -1.0, -1.0));
    let rotation = Mat3::from_mat4(world_from_gl_camera);
    let orthonormal = (rotation.transpose() * rotation).abs_diff_eq(Mat3::IDENTITY, 1e-3)
        && (rotation.determinant() - 1.0).abs() < 1e-3;
    if !orthonormal {
        return None;
    }
    Some(
        Transform::from_translation(world_from_gl_camera.w_axis.truncate())
            .with_rotation(Quat::from_mat3(&rotation).normalize()),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn hdr_panoramas_keep_their_dynamic_range() {
        let dir = std::env::temp_dir().join(format!("ws_hdr_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sky.hdr");
        // 8 × 4 pixels: a sun 5000 times brighter than the sky.
        let mut pixels = vec![image::Rgb([0.5f32, 0.7, 1.0]); 32];
        pixels[3] = image::Rgb([5000.0, 4800.0, 4500.0]);
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        image::codecs::hdr::HdrEncoder::new(file)
            .encode(&pixels, 8, 4)
            .unwrap();
        let (image, hdr) = super::read_panorama(&path).unwrap();
        assert!(hdr);
        assert_eq!((image.width, image.height), (8, 4));
        let px = |i: usize| {
            crate::scene::linear_from_rgbe(image.rgba8[i * 4..i * 4 + 4].try_into().unwrap())
        };
        assert!((px(3)[0] - 5000.0).abs() < 50.0, "{:?}", px(3));
        assert!((px(0)[2] - 1.0).abs() < 0.01, "{:?}", px(0));
        // A PNG stays display colour.
        let png = dir.join("sky.png");
        image::RgbaImage::from_pixel(4, 2, image::Rgba([10, 20, 30, 255]))
            .save(&png)
            .unwrap();
        let (image, hdr) = super::read_panorama(&png).unwrap();
        assert!(!hdr);
        assert_eq!(&image.rgba8[..4], &[10, 20, 30, 255]);
        // Junk is an error, not a panic.
        std::fs::write(dir.join("junk.hdr"), b"#?RADIANCE\nnonsense").unwrap();
        assert!(super::read_panorama(&dir.join("junk.hdr")).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    use super::*;

    #[test]
    fn opencv_camera_looking_along_plus_z_looks_along_minus_z_after_the_world_turn() {
        // Identity c2w: an OpenCV camera at the origin looking down +Z (forward), y down.
        let id = [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let t = gl_camera_transform(&id).expect("rotation");
        // In the OpenCV world, the GL camera's -Z is +Z and its +Y is -Y.
        let forward = t.rotation * Vec3::NEG_Z;
        let up = t.rotation * Vec3::Y;
        assert!(forward.abs_diff_eq(Vec3::Z, 1e-5), "{forward}");
        assert!(up.abs_diff_eq(Vec3::NEG_Y, 1e-5), "{up}");
        // After the World node's turn to Y-up the camera looks along -Z with +Y up.
        let world = yup_from_opencv();
        assert!((world * forward).abs_diff_eq(Vec3::NEG_Z, 1e-5));
        assert!((world * up).abs_diff_eq(Vec3::Y, 1e-5));
    }

    #[test]
    fn mirrored_or_scaled_extrinsics_are_refused() {
        let mirrored = [
            [-1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        assert!(gl_camera_transform(&mirrored).is_none());
        let scaled = [
            [2.0, 0.0, 0.0, 0.0],
            [0.0, 2.0, 0.0, 0.0],
            [0.0, 0.0, 2.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        assert!(gl_camera_transform(&scaled).is_none());
    }

    #[test]
    fn field_of_view_from_intrinsics() {
        // 512 px tall image, fy = 256: tan(half) = 1 → 90°.
        let k = [[256.0, 0.0, 256.0], [0.0, 256.0, 256.0], [0.0, 0.0, 1.0]];
        let fov = fov_y_from_k(&k).expect("fov");
        assert!((fov.to_degrees() - 90.0).abs() < 1e-3);
        let bad = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        assert!(fov_y_from_k(&bad).is_none());
    }

    #[test]
    fn matrices_parse_nested_or_flat_and_refuse_junk() {
        let nested = serde_json::json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
        let flat = serde_json::json!([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(matrix::<3>(&nested), matrix::<3>(&flat));
        assert_eq!(matrix::<3>(&nested).map(|m| m[1][2]), Some(6.0));
        assert!(matrix::<3>(&serde_json::json!([1, 2])).is_none());
        assert!(matrix::<3>(&serde_json::json!("x")).is_none());
        assert!(matrix::<4>(&nested).is_none());
    }
}
