//! Selecting the elements of a cloud (splats) by a shape drawn on screen: a rectangle, a
//! lasso or a brush stroke, as SuperSplat and Blender's edit mode do. An element is inside
//! when its centre projects inside the shape from in front of the camera; what lies behind
//! other splats is taken too (a shape selects through the cloud, so a floater cluster is
//! cleared in one stroke however it is seen).
//!
//! A lasso is rasterised once at pixel resolution (even-odd scanline fill of its polygon),
//! so testing millions of centres costs a lookup each, whatever the lasso's length.

use crate::scene::ElementMask;
use glam::{Mat4, Vec2, Vec3};
use rayon::prelude::*;

/// A shape on the image, in pixels from its top-left corner (y down).
#[derive(Clone, Debug, PartialEq)]
pub enum ScreenShape {
    Rect {
        min: Vec2,
        max: Vec2,
    },
    /// A closed polygon (the last point joins the first); even-odd inside.
    Lasso(Vec<Vec2>),
    /// A brush stroke: every point within `radius` of a point of the stroke's path.
    Brush {
        path: Vec<Vec2>,
        radius: f32,
    },
}

impl ScreenShape {
    /// The smallest rectangle (min, max corners) holding the shape; `None` for a shape that
    /// selects nothing (a lasso of fewer than three points, an empty stroke, a NaN).
    pub fn bounds(&self) -> Option<(Vec2, Vec2)> {
        let (lo, hi) = match self {
            Self::Rect { min, max } => (min.min(*max), min.max(*max)),
            Self::Lasso(points) if points.len() >= 3 => extent(points),
            Self::Lasso(_) => return None,
            Self::Brush { path, radius } => {
                let (lo, hi) = extent(path);
                let r = radius.max(0.5);
                (lo - r, hi + r)
            }
        };
        (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
    }
}

/// The smallest and largest coordinates of `points` (infinite, reversed, when empty).
fn extent(points: &[Vec2]) -> (Vec2, Vec2) {
    points.iter().fold(
        (Vec2::splat(f32::INFINITY), Vec2::splat(f32::NEG_INFINITY)),
        |(lo, hi), p| (lo.min(*p), hi.max(*p)),
    )
}

/// The elements at `positions` (the cloud's frame) whose centres `clip_from_local` puts
/// inside `shape` on an image of `size_px`, in front of the camera.
pub fn select_in_shape(
    positions: &[[f32; 3]],
    clip_from_local: Mat4,
    size_px: Vec2,
    shape: &ScreenShape,
) -> ElementMask {
    let pixels = project_centres(positions, clip_from_local, size_px);
    select_projected(&pixels, size_px, shape)
}

/// Where each centre lands on an image of `size_px` (pixels from the top-left, y down); NaN
/// for a centre behind the camera (or on it) or not a number. What [`select_projected`]
/// reads: a tool that selects many times from one view (a brush stroke) projects once.
pub fn project_centres(positions: &[[f32; 3]], clip_from_local: Mat4, size_px: Vec2) -> Vec<Vec2> {
    positions
        .par_iter()
        .map(|p| {
            let clip = clip_from_local * Vec3::from(*p).extend(1.0);
            // Reversed-Z perspective: w is the view depth.
            if !clip.is_finite() || clip.w <= 1e-6 {
                return Vec2::NAN;
            }
            let ndc = Vec2::new(clip.x, clip.y) / clip.w;
            Vec2::new(
                (ndc.x + 1.0) * 0.5 * size_px.x,
                (1.0 - ndc.y) * 0.5 * size_px.y,
            )
        })
        .collect()
}

/// The elements whose projected centre ([`project_centres`]) lies inside `shape`.
pub fn select_projected(pixels: &[Vec2], size_px: Vec2, shape: &ScreenShape) -> ElementMask {
    let n = pixels.len();
    match shape {
        ScreenShape::Rect { min, max } => {
            let (lo, hi) = (min.min(*max), min.max(*max));
            ElementMask::from_fn(n, |i| {
                let p = pixels[i];
                p.cmpge(lo).all() && p.cmple(hi).all()
            })
        }
        ScreenShape::Lasso(points) => {
            let Some(raster) = LassoRaster::new(points, size_px) else {
                return ElementMask::new(n);
            };
            ElementMask::from_fn(n, |i| pixels[i].is_finite() && raster.contains(pixels[i]))
        }
        ScreenShape::Brush { path, radius } => {
            if path.is_empty() {
                return ElementMask::new(n);
            }
            let r = radius.max(0.5);
            let (lo, hi) = extent(path);
            let (lo, hi) = (lo - r, hi + r);
            ElementMask::from_fn(n, |i| {
                let p = pixels[i];
                p.cmpge(lo).all() && p.cmple(hi).all() && stroke_distance_squared(path, p) <= r * r
            })
        }
    }
}

/// Squared distance from `p` to the polyline `path` (a single point when it has one).
fn stroke_distance_squared(path: &[Vec2], p: Vec2) -> f32 {
    if path.len() == 1 {
        return path[0].distance_squared(p);
    }
    path.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let ab = b - a;
            let t = if ab.length_squared() > 0.0 {
                ((p - a).dot(ab) / ab.length_squared()).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (a + ab * t).distance_squared(p)
        })
        .fold(f32::INFINITY, f32::min)
}

/// A lasso polygon filled at pixel resolution over the part of the image it covers.
struct LassoRaster {
    /// First pixel column and row of `rows`.
    x0: i64,
    y0: i64,
    width: usize,
    /// One bit per pixel, `width` per row.
    rows: Vec<Vec<u64>>,
}

impl LassoRaster {
    fn new(points: &[Vec2], size_px: Vec2) -> Option<Self> {
        if points.len() < 3 || points.iter().any(|p| !p.is_finite()) {
            return None;
        }
        let (lo, hi) = extent(points);
        // Only the part over the image matters (centres off it are not selected).
        let lo = lo.max(Vec2::ZERO).floor();
        let hi = hi.min(size_px).ceil();
        if hi.x <= lo.x || hi.y <= lo.y {
            return None;
        }
        let (x0, y0) = (lo.x as i64, lo.y as i64);
        let width = (hi.x - lo.x) as usize;
        let height = (hi.y - lo.y) as usize;
        let words = width.div_ceil(64);
        let rows = (0..height)
            .into_par_iter()
            .map(|r| {
                let y = (y0 + r as i64) as f32 + 0.5;
                let mut xs: Vec<f32> = Vec::new();
                for (i, a) in points.iter().enumerate() {
                    let b = points[(i + 1) % points.len()];
                    // Half-open in y, so a vertex on the scanline counts once.
                    if (a.y <= y) != (b.y <= y) {
                        xs.push(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x));
                    }
                }
                xs.sort_by(f32::total_cmp);
                let mut row = vec![0u64; words];
                for pair in xs.chunks_exact(2) {
                    // Pixels whose centre lies between the two crossings.
                    let from = ((pair[0] - 0.5).ceil() as i64 - x0).max(0);
                    let to = ((pair[1] - 0.5).floor() as i64 - x0).min(width as i64 - 1);
                    for x in from..=to {
                        row[x as usize / 64] |= 1 << (x as usize % 64);
                    }
                }
                row
            })
            .collect();
        Some(Self {
            x0,
            y0,
            width,
            rows,
        })
    }

    fn contains(&self, p: Vec2) -> bool {
        let x = p.x.floor() as i64 - self.x0;
        let y = p.y.floor() as i64 - self.y0;
        if x < 0 || y < 0 || x >= self.width as i64 {
            return false;
        }
        self.rows
            .get(y as usize)
            .is_some_and(|row| row[x as usize / 64] & (1 << (x as usize % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::CameraView;

    /// A camera at z = 10 looking down −Z with a 90° vertical field, on a 200×200 image:
    /// a point (x, y, 0) lands at pixel (100 + 10x, 100 − 10y).
    fn camera() -> (Mat4, Vec2) {
        let view = CameraView {
            world_from_view: Mat4::from_translation(Vec3::new(0.0, 0.0, 10.0)),
            fov_y_rad: std::f32::consts::FRAC_PI_2,
            near: 0.1,
            ortho: None,
        };
        (view.clip_from_world(1.0), Vec2::splat(200.0))
    }

    fn grid() -> Vec<[f32; 3]> {
        let mut p = Vec::new();
        for y in -9..=9 {
            for x in -9..=9 {
                p.push([x as f32, y as f32, 0.0]);
            }
        }
        p
    }

    fn selected(positions: &[[f32; 3]], mask: &ElementMask) -> Vec<[i32; 2]> {
        (0..positions.len())
            .filter(|i| mask.get(*i))
            .map(|i| [positions[i][0] as i32, positions[i][1] as i32])
            .collect()
    }

    #[test]
    fn a_rectangle_takes_the_centres_it_covers() {
        let (m, size) = camera();
        let p = grid();
        // Pixels 75..125 in x are x = −2.5..2.5; 85..105 in y are y = 1.5..−0.5.
        let mask = select_in_shape(
            &p,
            m,
            size,
            &ScreenShape::Rect {
                min: Vec2::new(125.0, 105.0),
                max: Vec2::new(75.0, 85.0),
            },
        );
        assert_eq!(mask.count(), 5 * 2);
        let s = selected(&p, &mask);
        assert!(s.contains(&[-2, 1]) && s.contains(&[2, 0]));
        assert!(!s.contains(&[0, -1]) && !s.contains(&[3, 0]));
    }

    #[test]
    fn a_concave_lasso_leaves_its_notch_out() {
        let (m, size) = camera();
        let p = grid();
        // A "U": x −5..5, y −5..5 with the notch x −2..2, y 0..5 cut out of its top.
        let px = |x: f32, y: f32| Vec2::new(100.0 + 10.0 * x, 100.0 - 10.0 * y);
        let lasso = vec![
            px(-5.5, -5.5),
            px(5.5, -5.5),
            px(5.5, 5.5),
            px(2.5, 5.5),
            px(2.5, -0.5),
            px(-2.5, -0.5),
            px(-2.5, 5.5),
            px(-5.5, 5.5),
        ];
        let mask = select_in_shape(&p, m, size, &ScreenShape::Lasso(lasso));
        let s = selected(&p, &mask);
        assert!(s.contains(&[0, -3]), "the bottom of the U");
        assert!(s.contains(&[-4, 4]) && s.contains(&[4, 4]), "its arms");
        assert!(!s.contains(&[0, 3]), "the notch");
        assert!(!s.contains(&[6, 0]), "outside");
        // 11 × 5 bottom rows (y −5..−1) + 2 arms of 3 × 6 (y 0..5; the notch starts at −0.5).
        assert_eq!(mask.count(), 11 * 5 + 2 * 3 * 6);
    }

    #[test]
    fn a_brush_stroke_takes_what_lies_near_its_path() {
        let (m, size) = camera();
        let p = grid();
        let path = vec![Vec2::new(60.0, 100.0), Vec2::new(140.0, 100.0)];
        let mask = select_in_shape(&p, m, size, &ScreenShape::Brush { path, radius: 5.0 });
        // y = 0 from x = −4 to 4; the rows above and below are 10 px away.
        assert_eq!(mask.count(), 9);
        assert!(selected(&p, &mask).iter().all(|s| s[1] == 0));
    }

    #[test]
    fn centres_behind_the_camera_are_never_selected() {
        let (m, size) = camera();
        // (0, 0, 20) is behind the camera at z = 10 but projects to the centre, mirrored.
        let p = vec![[0.0, 0.0, 20.0], [0.0, 0.0, 0.0], [f32::NAN, 0.0, 0.0]];
        let all = ScreenShape::Rect {
            min: Vec2::ZERO,
            max: size,
        };
        let mask = select_in_shape(&p, m, size, &all);
        assert!(!mask.get(0) && mask.get(1) && !mask.get(2));
        // Nor by a lasso or brush over the whole image (a NaN pixel must not fall to 0, 0).
        let lasso = ScreenShape::Lasso(vec![
            Vec2::splat(-1.0),
            Vec2::new(size.x + 1.0, -1.0),
            size + 1.0,
            Vec2::new(-1.0, size.y + 1.0),
        ]);
        let brush = ScreenShape::Brush {
            path: vec![Vec2::ZERO, size],
            radius: size.x,
        };
        let projected = project_centres(&p, m, size);
        assert!(projected[0].is_nan() && projected[2].is_nan());
        for shape in [all, lasso, brush] {
            let mask = select_projected(&projected, size, &shape);
            assert_eq!(mask, select_in_shape(&p, m, size, &shape));
            assert!(!mask.get(0) && mask.get(1) && !mask.get(2), "{shape:?}");
        }
    }

    #[test]
    fn degenerate_lassos_select_nothing() {
        let (m, size) = camera();
        let p = grid();
        for lasso in [
            vec![],
            vec![Vec2::new(1.0, 1.0), Vec2::new(50.0, 50.0)],
            vec![Vec2::splat(f32::NAN); 5],
            vec![
                Vec2::splat(-50.0),
                Vec2::new(-10.0, -50.0),
                Vec2::splat(-10.0),
            ],
        ] {
            assert!(select_in_shape(&p, m, size, &ScreenShape::Lasso(lasso)).none());
        }
    }
}
