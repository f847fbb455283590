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
    /// Line segments between points, as index pairs into `positions` (a glTF `LINES`,
    /// `LINE_STRIP` or `LINE_LOOP` primitive, a PLY file's `edge` element); what a
    /// [`super::NodeKind::Lines`] node draws. Empty for a plain cloud.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<[u32; 2]>,
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
            segments: Vec::new(),
            content_id: next_content_id(),
        }
    }

    /// The cloud with `segments` between its points; a segment naming a point the cloud
    /// does not have is left out. Returns the cloud and how many segments were left out.
    pub fn with_segments(mut self, segments: Vec<[u32; 2]>) -> (Self, usize) {
        let n = self.positions.len();
        let given = segments.len();
        self.segments = segments;
        self.segments.retain(|s| joins_points(s, n));
        let dropped = given - self.segments.len();
        (self, dropped)
    }

    pub fn content_id(&self) -> u64 {
        self.content_id
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether every segment joins two of the cloud's points (false in a damaged project).
    pub fn segments_in_range(&self) -> bool {
        let n = self.positions.len();
        self.segments.iter().all(|s| joins_points(s, n))
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    pub fn bounds(&self) -> Aabb {
        bounds_of(&self.positions)
    }

    /// Bounds of the cloud's central part, for framing (see [`framing_bounds_of`]).
    pub fn framing_bounds(&self) -> Aabb {
        framing_bounds_of(&self.positions)
    }

    /// The points moved by `m` (normals by its inverse transpose), segments kept.
    pub fn transformed(&self, m: glam::Mat4) -> PointCloud {
        self.transformed_where(m, None)
    }

    /// [`Self::transformed`] for the points `only` holds (one bit per point; all when
    /// `None`): the others stay. A mask of another length moves none.
    pub fn transformed_where(
        &self,
        m: glam::Mat4,
        only: Option<&super::ElementMask>,
    ) -> PointCloud {
        let moves = |i: usize| only.is_none_or(|o| o.len() == self.len() && o.get(i));
        let normal_matrix = glam::Mat3::from_mat4(m).inverse().transpose();
        let mut moved = PointCloud::new(
            self.positions
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if moves(i) {
                        m.transform_point3(Vec3::from(*p)).to_array()
                    } else {
                        *p
                    }
                })
                .collect(),
            self.colors.clone(),
            self.normals
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    if moves(i) {
                        (normal_matrix * Vec3::from(*n))
                            .normalize_or(Vec3::Y)
                            .to_array()
                    } else {
                        *n
                    }
                })
                .collect(),
        );
        moved.segments = self.segments.clone();
        moved
    }

    /// The points for which `keep(i)` holds, with their colours and normals; a segment stays
    /// (renumbered) when both its ends do.
    pub fn subset(&self, keep: impl Fn(usize) -> bool) -> PointCloud {
        // New index of each kept point.
        let mut new_index = vec![u32::MAX; self.len()];
        let mut kept = 0u32;
        for (i, slot) in new_index.iter_mut().enumerate() {
            if keep(i) {
                *slot = kept;
                kept += 1;
            }
        }
        let take = |i: usize| new_index[i] != u32::MAX;
        let pick = |v: &[[f32; 3]]| -> Vec<[f32; 3]> {
            v.iter()
                .enumerate()
                .filter(|(i, _)| take(*i))
                .map(|(_, x)| *x)
                .collect()
        };
        let colors = self
            .colors
            .iter()
            .enumerate()
            .filter(|(i, _)| take(*i))
            .map(|(_, c)| *c)
            .collect();
        let mut out = PointCloud::new(pick(&self.positions), colors, pick(&self.normals));
        out.segments = self
            .segments
            .iter()
            .filter_map(|s| {
                let [a, b] = s.map(|i| new_index.get(i as usize).copied().unwrap_or(u32::MAX));
                (a != u32::MAX && b != u32::MAX).then_some([a, b])
            })
            .collect();
        out
    }
}

/// Whether segment `s` joins two of `n` points.
fn joins_points(s: &[u32; 2], n: usize) -> bool {
    s.iter().all(|&i| (i as usize) < n)
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
    /// Trained with the antialiasing (Mip-Splatting 2D) filter, as an SPZ header's flag or
    /// gsplat's `rasterize_mode="antialiased"` says: drawn with each splat's opacity scaled by
    /// √(det Σ' / det(Σ' + 0.3 I)), the share of its footprint the 0.3 px² low-pass keeps
    /// (see splats.wgsl). Without it such splats look denser and blurrier than trained.
    #[serde(default)]
    pub antialiased: bool,
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
            antialiased: false,
            content_id: next_content_id(),
        })
    }

    /// The cloud drawn in antialiased mode or not (see [`SplatCloud::antialiased`]).
    pub fn with_antialiased(mut self, antialiased: bool) -> Self {
        self.antialiased = antialiased;
        self
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

    /// Bounds of the splat centres' central part, for framing (see [`framing_bounds_of`]).
    pub fn framing_bounds(&self) -> Aabb {
        framing_bounds_of(&self.positions)
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
            antialiased: self.antialiased,
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
            antialiased: self.antialiased,
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

/// Bounds of the central part of a captured cloud, for framing a view: per axis, from the 1st
/// to the 99th percentile of the finite positions (widened by 1 % of that span on each side),
/// so that a few stray points far off (SfM outliers, splat "floaters") do not shrink the
/// content to a speck. Clouds under 100 points, where a percent is not a crowd, keep their
/// full bounds; large ones are sampled (at most 65,536 evenly strided points), which keeps
/// this well under a millisecond for millions of points and gives the same box every time.
pub fn framing_bounds_of(positions: &[[f32; 3]]) -> Aabb {
    const SMALL: usize = 100;
    const MAX_SAMPLES: usize = 1 << 16;
    if positions.len() < SMALL {
        return bounds_of(positions);
    }
    let Some([lo, hi]) = axis_quantiles(positions, [0.01, 0.99], MAX_SAMPLES) else {
        return Aabb::EMPTY;
    };
    let margin = (hi - lo) * 0.01;
    Aabb {
        min: lo - margin,
        max: hi + margin,
    }
}

/// Per-axis quantiles `qs` (each in 0..=1) of the finite coordinates of `positions`, read from
/// at most `max_samples` evenly strided points; None when an axis has no finite value.
pub fn axis_quantiles<const N: usize>(
    positions: &[[f32; 3]],
    qs: [f32; N],
    max_samples: usize,
) -> Option<[Vec3; N]> {
    let stride = positions.len().div_ceil(max_samples.max(1)).max(1);
    let mut values: Vec<f32> = Vec::with_capacity(positions.len().div_ceil(stride));
    let mut out = [Vec3::ZERO; N];
    for axis in 0..3 {
        values.clear();
        values.extend(
            positions
                .iter()
                .step_by(stride)
                .map(|p| p[axis])
                .filter(|v| v.is_finite()),
        );
        if values.is_empty() {
            return None;
        }
        let last = values.len() - 1;
        for (q, o) in qs.iter().zip(&mut out) {
            let k = ((q.clamp(0.0, 1.0) * last as f32).round() as usize).min(last);
            o[axis] = *values.select_nth_unstable_by(k, f32::total_cmp).1;
        }
    }
    Some(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_subsets_keep_colours_normals_and_renumbered_segments() {
        let positions: Vec<[f32; 3]> = (0..6).map(|i| [i as f32, 0.0, 0.0]).collect();
        let colors: Vec<[u8; 4]> = (0..6).map(|i| [i as u8, 0, 0, 255]).collect();
        let normals = vec![[0.0, 1.0, 0.0]; 6];
        let (cloud, dropped) = PointCloud::new(positions, colors, normals).with_segments(vec![
            [0, 1],
            [1, 2],
            [2, 3],
            [3, 4],
            [4, 5],
            [5, 0],
        ]);
        assert_eq!(dropped, 0);
        // Drop point 2: segments 1-2 and 2-3 go, the others are renumbered.
        let sub = cloud.subset(|i| i != 2);
        assert_eq!(sub.len(), 5);
        assert_eq!(sub.positions[2], [3.0, 0.0, 0.0]);
        assert_eq!(sub.colors[2], [3, 0, 0, 255]);
        assert_eq!(sub.normals.len(), 5);
        assert_eq!(sub.segments, vec![[0, 1], [2, 3], [3, 4], [4, 0]]);
        assert!(sub.segments_in_range());
        assert_ne!(sub.content_id(), cloud.content_id());
        // Without colours or normals they stay empty.
        let bare = PointCloud::new(vec![[0.0; 3]; 3], Vec::new(), Vec::new());
        let sub = bare.subset(|i| i > 0);
        assert_eq!((sub.len(), sub.colors.len(), sub.normals.len()), (2, 0, 0));
    }

    #[test]
    fn framing_bounds_drop_a_few_far_points_but_small_clouds_keep_all() {
        // 1,000 points on a 10 × 10 × 10 grid over [0, 9] m, plus 5 strays 1 km off.
        let mut positions: Vec<[f32; 3]> = (0..1000)
            .map(|i| [(i % 10) as f32, (i / 10 % 10) as f32, (i / 100) as f32])
            .collect();
        positions.extend([[1000.0, 0.0, 0.0], [0.0, -1000.0, 0.0], [0.0, 0.0, 1000.0]]);
        positions.extend([[f32::NAN, 0.0, 0.0], [0.0, f32::INFINITY, 0.0]]);
        let framed = framing_bounds_of(&positions);
        assert!(framed.min.cmpge(Vec3::splat(-0.2)).all(), "{framed:?}");
        assert!(framed.max.cmple(Vec3::splat(9.2)).all(), "{framed:?}");
        assert!(framed.size().cmpgt(Vec3::splat(8.0)).all(), "{framed:?}");
        let exact = bounds_of(&positions);
        assert_eq!(exact.size().max_element(), 1009.0);

        // Under 100 points every finite point counts.
        let few = [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [500.0, 0.0, 0.0]];
        assert_eq!(framing_bounds_of(&few), bounds_of(&few));
        // Nothing finite: nothing to frame.
        assert!(framing_bounds_of(&[[f32::NAN; 3]; 200]).is_empty());
    }

    #[test]
    fn axis_quantiles_are_per_axis_and_sampling_keeps_them_close() {
        let positions: Vec<[f32; 3]> = (0..1_000_001)
            .map(|i| [i as f32, -(i as f32), (i % 7) as f32])
            .collect();
        let [lo, median, hi] =
            axis_quantiles(&positions, [0.0, 0.5, 1.0], usize::MAX).expect("finite points");
        assert_eq!(lo, Vec3::new(0.0, -1_000_000.0, 0.0));
        assert_eq!(median, Vec3::new(500_000.0, -500_000.0, 3.0));
        assert_eq!(hi, Vec3::new(1_000_000.0, 0.0, 6.0));
        // Sampled: within one stride (16 points) of the exact value.
        let [p10] = axis_quantiles(&positions, [0.1], 1 << 16).expect("finite points");
        assert!((p10.x - 100_000.0).abs() <= 16.0, "{p10}");
        assert!((p10.y + 900_000.0).abs() <= 16.0, "{p10}");
        assert!(axis_quantiles(&[[0.0, f32::NAN, 0.0]], [0.5], 10).is_none());
    }
}
