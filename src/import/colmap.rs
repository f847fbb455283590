//! COLMAP sparse models in COLMAP's binary format (`cameras.bin`, `images.bin`,
//! `points3D.bin`, as `colmap mapper` writes them under `sparse/0/`): the registered images
//! become cameras and the 3D points a coloured point cloud, in COLMAP's world frame (OpenCV
//! axes, like the 3DGS training that starts from it). All little-endian:
//!
//! - `cameras.bin`: a u64 count, then per camera its id (u32), model (i32), width and height
//!   (u64) and the model's parameters (f64 each; the focal lengths come first).
//! - `images.bin`: a u64 count, then per image its id (u32), the world-to-camera rotation
//!   `w x y z` and translation (f64), its camera's id (u32), its file name (NUL-terminated)
//!   and its 2D points (a u64 count of 24-byte records, skipped).
//! - `points3D.bin`: a u64 count, then per point its id (u64), position (3 × f64), colour
//!   (3 × u8), reprojection error (f64) and track (a u64 count of 8-byte records, skipped).
//!
//! Hostile input is bounded by the file: every count is checked against the bytes left
//! before anything is allocated for it.

use super::world::{ImportedCamera, fov_y_from_focal, gl_camera_transform};
use crate::scene::{Camera, PointCloud};
use glam::{DMat3, DQuat, DVec3};
use std::path::Path;

/// Largest model file read (a few million points are a few hundred MB).
const MAX_FILE_BYTES: u64 = 2 << 30;

/// Parameter counts of COLMAP's camera models by id (`colmap/sensor/models.h`), and whether
/// the model has separate `fx, fy` (else one `f`).
const MODELS: [(&str, usize, bool); 12] = [
    ("SIMPLE_PINHOLE", 3, false),
    ("PINHOLE", 4, true),
    ("SIMPLE_RADIAL", 4, false),
    ("RADIAL", 5, false),
    ("OPENCV", 8, true),
    ("OPENCV_FISHEYE", 8, true),
    ("FULL_OPENCV", 12, true),
    ("FOV", 5, true),
    ("SIMPLE_RADIAL_FISHEYE", 4, false),
    ("RADIAL_FISHEYE", 5, false),
    ("THIN_PRISM_FISHEYE", 12, true),
    ("RAD_TAN_THIN_PRISM_FISHEYE", 16, true),
];

/// The model folder in `folder`: `sparse/0`, `sparse` or the folder itself, whichever holds
/// `cameras.bin` and `images.bin`.
pub fn model_folder(folder: &Path) -> Option<std::path::PathBuf> {
    [
        folder.join("sparse/0"),
        folder.join("sparse"),
        folder.to_owned(),
    ]
    .into_iter()
    .find(|f| f.join("cameras.bin").is_file() && f.join("images.bin").is_file())
}

/// A little-endian reader over a whole file that fails with what ran out.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                format!(
                    "cut short in {what} at byte {} of {}",
                    self.at,
                    self.bytes.len()
                )
            })?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        self.take(N, what).map(|b| b.try_into().unwrap_or([0; N]))
    }
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        self.array(what).map(u32::from_le_bytes)
    }
    fn u64(&mut self, what: &str) -> Result<u64, String> {
        self.array(what).map(u64::from_le_bytes)
    }
    fn f64(&mut self, what: &str) -> Result<f64, String> {
        self.array(what).map(f64::from_le_bytes)
    }
    /// Skips a counted list of `record`-byte records.
    fn skip(&mut self, record: usize, what: &str) -> Result<(), String> {
        let n = self.count(record, what)?;
        self.take(n * record, what).map(|_| ())
    }
    /// A count of records of `record` bytes each, refused when they cannot fit in the rest.
    fn count(&mut self, record: usize, what: &str) -> Result<usize, String> {
        let n = self.u64(what)?;
        let left = (self.bytes.len() - self.at) as u64;
        if n.saturating_mul(record as u64) > left {
            return Err(format!(
                "{n} {what} of at least {record} bytes each do not fit in the {left} bytes left"
            ));
        }
        Ok(n as usize)
    }
}

/// Parses the file at `path` with `parse`; any error names the file.
fn parse_file<T>(
    path: &Path,
    parse: impl FnOnce(&mut Reader<'_>) -> Result<T, String>,
) -> Result<T, String> {
    let bytes = read_file(path)?;
    parse(&mut Reader {
        bytes: &bytes,
        at: 0,
    })
    .map_err(|e| format!("{}: {e}", path.display()))
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(format!(
            "{}: {len} bytes; COLMAP files over {MAX_FILE_BYTES} bytes are not read",
            path.display()
        ));
    }
    std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// The registered images of the model in `model` as cameras (named after their image files,
/// in image id order), with warnings for images that could not be placed.
pub fn read_cameras(model: &Path) -> Result<(Vec<ImportedCamera>, Vec<String>), String> {
    // Camera id → vertical field of view.
    let fovs = parse_file(&model.join("cameras.bin"), |r| {
        let mut fovs = std::collections::HashMap::new();
        for _ in 0..r.count(24, "cameras")? {
            let id = r.u32("a camera id")?;
            let model_id = r.u32("a camera model")?;
            let _width = r.u64("a camera width")?;
            let height = r.u64("a camera height")?;
            let Some(&(name, params, separate)) = MODELS.get(model_id as usize) else {
                return Err(format!(
                    "camera {id} has model {model_id}, which COLMAP does not define (0 to 11)"
                ));
            };
            let mut values = Vec::with_capacity(params);
            for _ in 0..params {
                values.push(r.f64(name)?);
            }
            let fy = if separate { values[1] } else { values[0] };
            fovs.insert(id, fov_y_from_focal(fy as f32, height as f32));
        }
        Ok(fovs)
    })?;

    let images_path = model.join("images.bin");
    let mut images = parse_file(&images_path, |r| {
        let mut images = Vec::new();
        for _ in 0..r.count(73, "images")? {
            let id = r.u32("an image id")?;
            let mut q = [0.0; 4];
            for v in &mut q {
                *v = r.f64("an image rotation")?;
            }
            let mut t = [0.0; 3];
            for v in &mut t {
                *v = r.f64("an image translation")?;
            }
            let camera = r.u32("an image's camera id")?;
            let rest = &r.bytes[r.at..];
            let name_len = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or("an image name has no end")?;
            let name = String::from_utf8_lossy(&rest[..name_len.min(200)]).into_owned();
            r.take(name_len + 1, "an image name")?;
            r.skip(24, "2D points")?;
            images.push((id, name, q, t, camera));
        }
        Ok(images)
    })?;
    images.sort_by_key(|image| image.0);

    let mut cameras = Vec::new();
    let mut warnings = Vec::new();
    let file_name = images_path.display().to_string();
    for (_, name, [w, x, y, z], t, camera) in images {
        let rotation = DQuat::from_xyzw(x, y, z, w);
        let length = rotation.length();
        let finite = length.is_finite() && length > 1e-9 && t.iter().all(|v| v.is_finite());
        if !finite {
            warnings.push(format!(
                "{file_name}: image {name}: its pose is not finite; skipped"
            ));
            continue;
        }
        // World-to-camera (R, t) → camera-to-world: Rᵀ and the centre −Rᵀ t.
        let camera_from_world = DMat3::from_quat(rotation / length);
        let world_from_camera = camera_from_world.transpose();
        let centre = -(world_from_camera * DVec3::from(t));
        let c = |i: usize| world_from_camera.col(i);
        let c2w =
            [0, 1, 2].map(|row| [c(0)[row], c(1)[row], c(2)[row], centre[row]].map(|v| v as f32));
        let c2w = [c2w[0], c2w[1], c2w[2], [0.0, 0.0, 0.0, 1.0]];
        let Some(transform) = gl_camera_transform(&c2w) else {
            warnings.push(format!(
                "{file_name}: image {name}: its pose is not a rotation; skipped"
            ));
            continue;
        };
        let fov_y_rad = match fovs.get(&camera) {
            Some(Some(fov)) => *fov,
            _ => {
                warnings.push(format!(
                    "{file_name}: image {name}: camera {camera} is missing or has no usable \
                     focal length; 50° field of view used"
                ));
                Camera::default().fov_y_rad
            }
        };
        cameras.push(ImportedCamera::new(name, transform, fov_y_rad));
    }
    Ok((cameras, warnings))
}

/// The model's 3D points with their colours; points that are not finite are left out.
pub fn read_points(model: &Path) -> Result<PointCloud, String> {
    let (positions, colors) = parse_file(&model.join("points3D.bin"), |r| {
        let n = r.count(51, "points")?;
        let (mut positions, mut colors) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let _id = r.u64("a point id")?;
            let mut p = [0f32; 3];
            for v in &mut p {
                *v = r.f64("a point position")? as f32;
            }
            let [red, green, blue] = r.array::<3>("a point colour")?;
            let _error = r.f64("a point error")?;
            r.skip(8, "track entries")?;
            if p.iter().all(|v| v.is_finite()) {
                positions.push(p);
                colors.push([red, green, blue, 255]);
            }
        }
        Ok((positions, colors))
    })?;
    Ok(PointCloud::new(positions, colors, Vec::new()))
}
