//! Point clouds and 3D Gaussian splat clouds: captured content whose colour already contains
//! the lighting of the place it was captured in ("as captured" colour, display-referred sRGB).
//!
//! Both are immutable once built, like [`super::Mesh`]: an edit replaces the whole `Arc`, which
//! gives it a new content id. Storage is structure-of-arrays so that millions of elements stay
//! compact and can be uploaded slice by slice.

use super::{Aabb, next_content_id};
use glam::Vec3;
use half::f16;
use serde::{Deserialize, Serialize};

/// Zeroth-order spherical-harmonics constant: colour = 0.5 + `SH_C0` · f_dc.
pub const SH_C0: f32 = 0.282_094_8;

/// Coloured points (e.g. HY-World's `points.ply`, a PLY file without faces).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PointCloud {
    pub positions: Vec<[f32; 3]>,
    /// sRGB-encoded colour and linear alpha per point; empty = all white.
    pub colors: Vec<[u8; 4]>,
    /// Unit normals per point; empty when the file has none.
    pub normals: Vec<[f32; 3]>,
    #[serde(skip, default = "next_content_id")]
    content_id: u64,
}

impl PointCloud {
    /// Builds a point cloud; `colors` and `normals` must match `positions` in length or be
    /// empty (mismatched ones are dropped).
    pub fn new(positions: Vec<[f32; 3]>, colors: Vec<[u8; 4]>, normals: Vec<[f32; 3]>) -> Self {
        let n = positions.len();
        Self {
            colors: if colors.len() == n {
                colors
            } else {
                Vec::new()
            },
            normals: if normals.len() == n {
                normals
            } else {
                Vec::new()
            },
            positions,
            content_id: next_content_id(),
        }
    }

    pub fn content_id(&self) -> u64 {
        self.content_id
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    pub fn bounds(&self) -> Aabb {
        bounds_of(&self.positions)
    }

    /// The points moved by `m` (normals by its inverse transpose).
    pub fn transformed(&self, m: glam::Mat4) -> PointCloud {
        let normal_matrix = glam::Mat3::from_mat4(m).inverse().transpose();
        PointCloud::new(
            self.positions
                .iter()
                .map(|p| m.transform_point3(Vec3::from(*p)).to_array())
                .collect(),
            self.colors.clone(),
            self.normals
                .iter()
                .map(|n| {
                    (normal_matrix * Vec3::from(*n))
                        .normalize_or(Vec3::Y)
                        .to_array()
                })
                .collect(),
        )
    }
}

/// 3D Gaussian splats in the renderer's convention (Y up, right-handed), with activations
/// already applied: linear scales, unit quaternions, opacity in 0..=1.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SplatCloud {
    /// Centres (local space of the node).
    pub positions: Vec<[f32; 3]>,
    /// Unit rotation quaternions `[x, y, z, w]` (glam order) taking the Gaussian's axes to
    /// local space.
    pub rotations: Vec<[f32; 4]>,
    /// Standard deviations along the Gaussian's own axes (already `exp`-ed), in local units.
    pub scales: Vec<[f32; 3]>,
    /// Opacity in 0..=1 (already passed through the sigmoid).
    pub opacities: Vec<f32>,
    /// View-independent colour `0.5 + SH_C0 · f_dc` (display-referred, may leave 0..=1).
    pub colors: Vec<[f32; 3]>,
    /// Degree of the view-dependent spherical harmonics, 0..=3.
    pub sh_degree: u8,
    /// Higher-order SH coefficients, splat-major: for splat `i`, coefficient `k` (1..(deg+1)²,
    /// stored as k-1) and channel `c`, the value is at `(i · n + (k-1)) · 3 + c`, with
    /// `n = (deg+1)² - 1`. Empty for degree 0.
    pub sh_rest: Vec<f16>,
    #[serde(skip, default = "next_content_id")]
    content_id: u64,
}

/// Why a splat cloud's arrays do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("splat cloud arrays disagree: {0}")]
pub struct SplatShapeError(pub String);

impl SplatCloud {
    /// An SH coefficient as a cloud stores it (half float), clamped into the half-float
    /// range so that a large finite value does not become infinite.
    pub fn sh_half(v: f32) -> f16 {
        f16::from_f32(v.clamp(f16::MIN.to_f32(), f16::MAX.to_f32()))
    }

    /// Number of higher-order coefficients per colour channel for an SH degree.
    pub fn sh_rest_coefficients(degree: u8) -> usize {
        let d = usize::from(degree.min(3)) + 1;
        d * d - 1
    }

    /// Builds a splat cloud, checking that every array has one entry per splat.
    pub fn new(
        positions: Vec<[f32; 3]>,
        rotations: Vec<[f32; 4]>,
        scales: Vec<[f32; 3]>,
        opacities: Vec<f32>,
        colors: Vec<[f32; 3]>,
        sh_degree: u8,
        sh_rest: Vec<f16>,
    ) -> Result<Self, SplatShapeError> {
        let n = positions.len();
        if sh_degree > 3 {
            return Err(SplatShapeError(format!(
                "SH degree {sh_degree} (at most 3)"
            )));
        }
        let rest = Self::sh_rest_coefficients(sh_degree) * 3 * n;
        for (what, len, want) in [
            ("rotations", rotations.len(), n),
            ("scales", scales.len(), n),
            ("opacities", opacities.len(), n),
            ("colors", colors.len(), n),
            ("sh_rest", sh_rest.len(), rest),
        ] {
            if len != want {
                return Err(SplatShapeError(format!(
                    "{len} {what} for {n} splats (expected {want})"
                )));
            }
        }
        Ok(Self {
            positions,
            rotations,
            scales,
            opacities,
            colors,
            sh_degree,
            sh_rest,
            content_id: next_content_id(),
        })
    }

    pub fn content_id(&self) -> u64 {
        self.content_id
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Bounds of the splat centres.
    pub fn bounds(&self) -> Aabb {
        bounds_of(&self.positions)
    }

    /// The same splats moved by `offset` (a new cloud: its own content id).
    pub fn translated(&self, offset: glam::Vec3) -> SplatCloud {
        SplatCloud {
            positions: self
                .positions
                .iter()
                .map(|p| (glam::Vec3::from(*p) + offset).to_array())
                .collect(),
            rotations: self.rotations.clone(),
            scales: self.scales.clone(),
            opacities: self.opacities.clone(),
            colors: self.colors.clone(),
            sh_degree: self.sh_degree,
            sh_rest: self.sh_rest.clone(),
            content_id: next_content_id(),
        }
    }

    /// The splats for which `keep(i)` holds, all attributes carried along.
    pub fn subset(&self, keep: impl Fn(usize) -> bool) -> SplatCloud {
        let rest = Self::sh_rest_coefficients(self.sh_degree) * 3;
        let mut out = SplatCloud {
            positions: Vec::new(),
            rotations: Vec::new(),
            scales: Vec::new(),
            opacities: Vec::new(),
            colors: Vec::new(),
            sh_degree: self.sh_degree,
            sh_rest: Vec::new(),
            content_id: next_content_id(),
        };
        for i in (0..self.len()).filter(|i| keep(*i)) {
            out.positions.push(self.positions[i]);
            out.rotations.push(self.rotations[i]);
            out.scales.push(self.scales[i]);
            out.opacities.push(self.opacities[i]);
            out.colors.push(self.colors[i]);
            if let Some(sh) = self.sh_rest.get(i * rest..(i + 1) * rest) {
                out.sh_rest.extend_from_slice(sh);
            }
        }
        out
    }

    /// Bytes held by the arrays (for the inspector and benchmarks).
    pub fn byte_size(&self) -> usize {
        self.len() * (12 + 16 + 12 + 4 + 12) + self.sh_rest.len() * 2
    }
}

fn bounds_of(positions: &[[f32; 3]]) -> Aabb {
    let mut b = Aabb::EMPTY;
    for p in positions {
        let p = Vec3::from(*p);
        if p.is_finite() {
            b.extend(p);
        }
    }
    b
}
