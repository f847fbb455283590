//! Binary little-endian PLY: Gaussian splats in the INRIA 3DGS layout and coloured point
//! clouds. The exact inverse of what [`crate::import::ply`] reads.
//!
//! Splats: `x y z nx ny nz f_dc_0..2 f_rest_* opacity scale_0..2 rot_0..3`, all `float`, in
//! the OpenCV frame of 3DGS training (the importer turns it back by
//! [`crate::import::ply::GL_FROM_CV`]), with the activations undone: `f_dc = (colour − 0.5) /
//! SH_C0`, opacity as a logit, scales as logarithms, rotation `w x y z`, and `f_rest_*`
//! channel-major (all red coefficients, then green, then blue). Normals are written as 0, as
//! trainers do.
//!
//! Points: `x y z [nx ny nz]` float and `red green blue alpha` uchar (sRGB colour, linear
//! alpha), in worldsmith's Y-up frame.

use super::{ExportError, write_atomic};
use crate::import::ply::GL_FROM_CV;
use crate::scene::{PointCloud, SH_C0, SplatCloud};
use glam::Mat4;
use std::io::Write;
use std::path::Path;

/// Smallest and largest opacity written, so that the logit stays finite.
const OPACITY_LIMIT: f64 = 1e-7;
/// Smallest scale written, so that its logarithm stays finite.
const MIN_SCALE: f32 = 1e-30;

/// The 3DGS PLY frame (OpenCV: x right, y down, z forward) from worldsmith's world frame.
pub fn cv_from_world() -> Mat4 {
    Mat4::from_quat(GL_FROM_CV.inverse())
}

/// Writes `cloud` moved by `world_from_local` to `path` as a 3DGS PLY. Returns the bytes
/// written.
pub fn write_splats(
    path: &Path,
    cloud: &SplatCloud,
    world_from_local: Mat4,
) -> Result<u64, ExportError> {
    if cloud.is_empty() {
        return Err(ExportError::Nothing {
            file: path.display().to_string(),
            problem: "the splat layer holds no splats".into(),
        });
    }
    let out = super::transform_splats(cloud, cv_from_world() * world_from_local);
    write_atomic(path, |w| write_splat_body(w, &out))
}

/// The PLY of a splat cloud already in the file's frame.
fn write_splat_body(w: &mut dyn Write, cloud: &SplatCloud) -> std::io::Result<()> {
    let n = SplatCloud::sh_rest_coefficients(cloud.sh_degree);
    let mut header = format!(
        "ply\nformat binary_little_endian 1.0\ncomment written by worldsmith {}\nelement vertex {}\n",
        env!("CARGO_PKG_VERSION"),
        cloud.len()
    );
    for name in [
        "x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2",
    ] {
        header += &format!("property float {name}\n");
    }
    for i in 0..3 * n {
        header += &format!("property float f_rest_{i}\n");
    }
    for name in [
        "opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3",
    ] {
        header += &format!("property float {name}\n");
    }
    header += "end_header\n";
    w.write_all(header.as_bytes())?;
    let mut row: Vec<f32> = Vec::with_capacity(17 + 3 * n);
    let mut bytes: Vec<u8> = Vec::with_capacity(1 << 20);
    for i in 0..cloud.len() {
        row.clear();
        let get3 = |v: &[[f32; 3]]| v.get(i).copied().unwrap_or_default();
        row.extend(get3(&cloud.positions));
        row.extend([0.0; 3]);
        row.extend(get3(&cloud.colors).map(|c| (c - 0.5) / SH_C0));
        let sh = cloud
            .sh_rest
            .get(i * n * 3..(i + 1) * n * 3)
            .unwrap_or_default();
        for c in 0..3 {
            for k in 0..n {
                row.push(sh.get(k * 3 + c).map_or(0.0, |v| v.to_f32()));
            }
        }
        let o = f64::from(cloud.opacities.get(i).copied().unwrap_or(0.0))
            .clamp(OPACITY_LIMIT, 1.0 - OPACITY_LIMIT);
        row.push((o / (1.0 - o)).ln() as f32);
        row.extend(get3(&cloud.scales).map(|s| s.max(MIN_SCALE).ln()));
        let [x, y, z, q_w] = cloud
            .rotations
            .get(i)
            .copied()
            .unwrap_or([0.0, 0.0, 0.0, 1.0]);
        row.extend([q_w, x, y, z]);
        for v in &row {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        if bytes.len() >= 1 << 20 {
            w.write_all(&bytes)?;
            bytes.clear();
        }
    }
    w.write_all(&bytes)
}

/// Writes `cloud` moved by `world_from_local` to `path` as a binary PLY of points, with its
/// segments as an `edge` element (`vertex1`, `vertex2`) when `edges`. Returns the bytes
/// written.
pub fn write_points(
    path: &Path,
    cloud: &PointCloud,
    world_from_local: Mat4,
    edges: bool,
) -> Result<u64, ExportError> {
    let cloud = cloud.transformed(world_from_local);
    let normals = !cloud.normals.is_empty();
    let edges = if edges {
        cloud.segments.as_slice()
    } else {
        &[]
    };
    write_atomic(path, |w| {
        let mut header = format!(
            "ply\nformat binary_little_endian 1.0\ncomment written by worldsmith {}\nelement vertex {}\n\
             property float x\nproperty float y\nproperty float z\n",
            env!("CARGO_PKG_VERSION"),
            cloud.len()
        );
        if normals {
            header += "property float nx\nproperty float ny\nproperty float nz\n";
        }
        header += "property uchar red\nproperty uchar green\nproperty uchar blue\n\
                   property uchar alpha\n";
        if !edges.is_empty() {
            header += &format!(
                "element edge {}\nproperty int vertex1\nproperty int vertex2\n",
                edges.len()
            );
        }
        header += "end_header\n";
        w.write_all(header.as_bytes())?;
        let mut bytes: Vec<u8> = Vec::with_capacity(1 << 20);
        for i in 0..cloud.len() {
            let p = cloud.positions.get(i).copied().unwrap_or_default();
            for v in p {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            if normals {
                let n = cloud.normals.get(i).copied().unwrap_or([0.0, 1.0, 0.0]);
                for v in n {
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
            }
            bytes.extend_from_slice(&cloud.colors.get(i).copied().unwrap_or([255; 4]));
            if bytes.len() >= 1 << 20 {
                w.write_all(&bytes)?;
                bytes.clear();
            }
        }
        for [a, b] in edges {
            // `int` (signed 32-bit) is what PLY readers know; a cloud of 2^31 points
            // would not fit in memory anyway.
            for v in [a, b] {
                bytes.extend_from_slice(&(*v as i32).to_le_bytes());
            }
            if bytes.len() >= 1 << 20 {
                w.write_all(&bytes)?;
                bytes.clear();
            }
        }
        w.write_all(&bytes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec3;

    #[test]
    fn cv_frame_is_the_inverse_of_the_import_turn() {
        let m = Mat4::from_quat(GL_FROM_CV) * cv_from_world();
        assert!(m.abs_diff_eq(Mat4::IDENTITY, 1e-6));
        // Up in the world is -y in the OpenCV frame.
        assert!(
            cv_from_world()
                .transform_vector3(Vec3::Y)
                .abs_diff_eq(-Vec3::Y, 1e-6)
        );
    }
}
