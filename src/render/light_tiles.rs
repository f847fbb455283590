//! Screen-tiled light lists: which point and spot lights can reach the pixels of each tile
//! of the frame, so the mesh shader loops over those instead of every light in the scene.
//!
//! A light with a range (KHR_lights_punctual `range`) contributes exactly nothing beyond it
//! (the shader's range window is zero there), so a light is listed in every tile that the
//! screen rectangle of its range sphere touches: the rectangle between the sphere's tangents
//! from the eye along each screen axis (exact, plus a pixel against rounding), the whole
//! screen once the sphere reaches the near plane. Lights without a range reach everywhere and
//! are in every tile. Skipping an unlisted light therefore changes no pixel (its term would be
//! a zero added).

use super::gpu_types::GpuLight;
use glam::{Mat4, Vec3};

/// `u32` words the tile lists may fill: the uniform binding is 16 KiB, the size every
/// adapter supports.
pub const MAX_WORDS: usize = 4096;
/// Smallest tile side in pixels.
const MIN_TILE_PX: u32 = 16;

/// Per-tile bit sets of lights, row-major: tile (x, y) holds `words` words from
/// `((y * cols) + x) * words`, bit `b` of word `w` standing for light `32 w + b`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LightTiles {
    pub tile_px: u32,
    pub cols: u32,
    pub rows: u32,
    pub words: u32,
    pub bits: Vec<u32>,
}

impl LightTiles {
    /// The frame uniform's `light_tiles`: tile size in pixels, columns, words per tile.
    pub fn params(&self) -> [f32; 4] {
        [
            self.tile_px as f32,
            self.cols as f32,
            self.words as f32,
            0.0,
        ]
    }

    /// Whether light `i` is listed for the tile holding pixel (`x`, `y`).
    pub fn lists(&self, x: u32, y: u32, i: usize) -> bool {
        let (tx, ty) = (x / self.tile_px, y / self.tile_px);
        if tx >= self.cols || ty >= self.rows {
            return false;
        }
        let first = ((ty * self.cols + tx) * self.words) as usize;
        self.bits
            .get(first + i / 32)
            .is_some_and(|w| w & (1 << (i % 32)) != 0)
    }
}

/// Lists `lights` (world space) per tile of a `width` × `height` frame seen through
/// `view_from_world` and `clip_from_view` with its `near` plane. With more lights than the
/// lists can hold even at the coarsest tiles, one tile covers the frame and lists them all
/// (up to `MAX_WORDS` × 32 of them).
pub fn light_tiles(
    lights: &[GpuLight],
    view_from_world: Mat4,
    clip_from_view: Mat4,
    near: f32,
    width: u32,
    height: u32,
) -> LightTiles {
    let (width, height) = (width.max(1), height.max(1));
    // Beyond MAX_WORDS × 32 lights (a hostile file, not a scene) the rest are not drawn.
    let lights = &lights[..lights.len().min(MAX_WORDS * 32)];
    let words = lights.len().div_ceil(32).max(1);
    let mut tile_px = MIN_TILE_PX;
    let tiles = |px: u32| (width.div_ceil(px), height.div_ceil(px));
    while {
        let (c, r) = tiles(tile_px);
        (c * r) as usize * words > MAX_WORDS && tile_px < width.max(height)
    } {
        tile_px *= 2;
    }
    let (cols, rows) = tiles(tile_px);
    if (cols * rows) as usize * words > MAX_WORDS {
        // Too many lights to list per tile.
        return every_light(lights.len(), width, height);
    }
    let mut bits = vec![0u32; (cols * rows) as usize * words];
    for (i, light) in lights.iter().enumerate() {
        let Some([x0, y0, x1, y1]) =
            screen_rect(light, view_from_world, clip_from_view, near, width, height)
        else {
            continue;
        };
        let (tx0, ty0) = (x0 / tile_px, y0 / tile_px);
        let (tx1, ty1) = ((x1 / tile_px).min(cols - 1), (y1 / tile_px).min(rows - 1));
        for ty in ty0..=ty1 {
            for tx in tx0..=tx1 {
                bits[((ty * cols + tx) as usize) * words + i / 32] |= 1 << (i % 32);
            }
        }
    }
    LightTiles {
        tile_px,
        cols,
        rows,
        words: words as u32,
        bits,
    }
}

/// One tile covering the `width` × `height` frame, listing the first `count` lights (up to
/// `MAX_WORDS` × 32).
pub fn every_light(count: usize, width: u32, height: u32) -> LightTiles {
    let count = count.min(MAX_WORDS * 32);
    let words = count.div_ceil(32).max(1);
    let mut bits = vec![0u32; words];
    for i in 0..count {
        bits[i / 32] |= 1 << (i % 32);
    }
    LightTiles {
        tile_px: width.max(height).max(1),
        cols: 1,
        rows: 1,
        words: words as u32,
        bits,
    }
}

/// The pixel rectangle [x0, y0, x1, y1] (inclusive) that `light` can reach, or None when it
/// reaches no pixel of the frame.
fn screen_rect(
    light: &GpuLight,
    view_from_world: Mat4,
    clip_from_view: Mat4,
    near: f32,
    width: u32,
    height: u32,
) -> Option<[u32; 4]> {
    let whole = Some([0, 0, width - 1, height - 1]);
    let [px, py, pz, range] = light.position_range;
    if !(range > 0.0 && range.is_finite()) {
        // No range (or a broken one): the light reaches everywhere.
        return whole;
    }
    let centre = view_from_world.transform_point3(Vec3::new(px, py, pz));
    if !centre.is_finite() {
        return whole;
    }
    // The view looks along −z: the sphere spans z in [centre.z − range, centre.z + range].
    if centre.z - range >= -near {
        return None; // wholly behind the near plane
    }
    // Orthographic (no perspective divide): the extent is the centre ± the range.
    let ortho = clip_from_view.z_axis.w == 0.0;
    if !ortho && centre.z + range > -near {
        return whole; // reaches the near plane (or the camera is inside)
    }
    let p = [clip_from_view.x_axis.x, clip_from_view.y_axis.y];
    let shift = [clip_from_view.w_axis.x, clip_from_view.w_axis.y];
    let mut lo = glam::Vec2::ZERO;
    let mut hi = glam::Vec2::ZERO;
    for (axis, (along, scale)) in [(centre.x, p[0]), (centre.y, p[1])].into_iter().enumerate() {
        if ortho {
            lo[axis] = scale * (along - range) + shift[axis];
            hi[axis] = scale * (along + range) + shift[axis];
            continue;
        }
        // The exact extent: the two tangents from the eye to the sphere's circle in the plane
        // of this axis and the view direction (all in front of the eye here).
        let (x, z) = (along, centre.z);
        let d2 = x * x + z * z;
        let t = (d2 - range * range).max(0.0).sqrt();
        let d = d2.sqrt();
        let (cos, sin) = (t / d, range / d);
        let (ux, uz) = (x / d, z / d);
        // The centre's direction turned by ± the tangent angle; ndc = scale · x / −z.
        let a = scale * (ux * cos - uz * sin) / -(ux * sin + uz * cos);
        let b = scale * (ux * cos + uz * sin) / -(-ux * sin + uz * cos);
        lo[axis] = a.min(b);
        hi[axis] = a.max(b);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return whole;
    }
    if hi.x < -1.0 || lo.x > 1.0 || hi.y < -1.0 || lo.y > 1.0 {
        return None; // off screen
    }
    // NDC y points up, pixel rows down. One pixel of slack against rounding.
    let to_px = |ndc: f32, size: u32| (ndc * 0.5 + 0.5) * size as f32;
    let x0 = (to_px(lo.x, width) - 1.0).floor().max(0.0) as u32;
    let x1 = (to_px(hi.x, width) + 1.0).ceil().min((width - 1) as f32) as u32;
    let y0 = (to_px(-hi.y, height) - 1.0).floor().max(0.0) as u32;
    let y1 = (to_px(-lo.y, height) + 1.0).ceil().min((height - 1) as f32) as u32;
    Some([x0, y0, x1.max(x0), y1.max(y0)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec4Swizzles as _;
    use proptest::prelude::*;

    fn point(p: Vec3, range: f32) -> GpuLight {
        GpuLight {
            position_range: [p.x, p.y, p.z, range],
            direction_kind: [0.0, -1.0, 0.0, 0.0],
            color: [1.0; 4],
            spot: [0.0; 4],
        }
    }

    const NEAR: f32 = 0.1;

    fn camera(eye: Vec3, target: Vec3, aspect: f32) -> (Mat4, Mat4) {
        let view = Mat4::look_at_rh(eye, target, Vec3::Y);
        let proj = Mat4::perspective_infinite_reverse_rh(50f32.to_radians(), aspect, NEAR);
        (view, proj)
    }

    /// Pixel of world point `p`, when in front of the camera.
    fn pixel(view: Mat4, proj: Mat4, p: Vec3, w: u32, h: u32) -> Option<(f32, f32)> {
        let clip = proj * view * p.extend(1.0);
        (clip.w > NEAR * 0.5).then(|| {
            let ndc = clip.xy() / clip.w;
            (
                (ndc.x * 0.5 + 0.5) * w as f32,
                (0.5 - ndc.y * 0.5) * h as f32,
            )
        })
    }

    #[test]
    fn a_light_is_listed_around_where_it_shines_and_nowhere_else() {
        let (w, h) = (1280, 720);
        let (view, proj) = camera(Vec3::new(0.0, 2.0, 10.0), Vec3::ZERO, w as f32 / h as f32);
        let lights = [
            point(Vec3::ZERO, 1.0),                  // small, in the middle
            point(Vec3::new(0.0, 0.0, 30.0), 5.0),   // behind the camera
            point(Vec3::new(0.0, 2.0, 10.0), 0.5),   // around the camera
            point(Vec3::new(500.0, 0.0, 0.0), 10.0), // far off to the side
            point(Vec3::new(3.0, 0.0, 0.0), 0.0),    // no range
        ];
        let t = light_tiles(&lights, view, proj, NEAR, w, h);
        assert_eq!((t.tile_px, t.cols, t.rows, t.words), (16, 80, 45, 1));
        let (cx, cy) = pixel(view, proj, Vec3::ZERO, w, h).expect("in front");
        assert!(t.lists(cx as u32, cy as u32, 0));
        assert!(!t.lists(5, 5, 0) && !t.lists(w - 5, h - 5, 0));
        let listed = |i: usize| {
            (0..h)
                .step_by(16)
                .flat_map(|y| (0..w).step_by(16).map(move |x| (x, y)))
                .filter(|&(x, y)| t.lists(x, y, i))
                .count()
        };
        // A 1 m sphere 10 m away spans ~155 px: about a hundred 16 px tiles, not the
        // frame's 3600 (the corners of its view-space box would have taken ~130).
        assert!((4..=120).contains(&listed(0)), "{}", listed(0));
        assert_eq!(listed(1), 0, "behind the camera");
        assert_eq!(listed(2), 80 * 45, "the camera inside the light's reach");
        assert_eq!(listed(3), 0, "off screen");
        assert_eq!(listed(4), 80 * 45, "no range");
    }

    #[test]
    fn many_lights_take_more_words_and_coarser_tiles_then_one_tile() {
        let (w, h) = (1920, 1080);
        let (view, proj) = camera(Vec3::new(0.0, 5.0, 20.0), Vec3::ZERO, w as f32 / h as f32);
        let lights: Vec<GpuLight> = (0..100)
            .map(|i| point(Vec3::new(i as f32 - 50.0, 0.0, 0.0), 2.0))
            .collect();
        let t = light_tiles(&lights, view, proj, NEAR, w, h);
        assert_eq!(t.words, 4);
        assert!(t.bits.len() <= MAX_WORDS);
        assert_eq!(t.tile_px, 64);
        assert_eq!(t.bits.len(), (t.cols * t.rows * t.words) as usize);
        let many: Vec<GpuLight> = (0..20_000).map(|_| point(Vec3::ZERO, 1.0)).collect();
        let t = light_tiles(&many, view, proj, NEAR, w, h);
        assert_eq!((t.tile_px, t.cols, t.rows, t.words), (1024, 2, 2, 625));
        // All at the origin, in the middle of the frame, away from the lower right tile.
        assert!(t.lists(960, 540, 19_999) && t.lists(960, 540, 0));
        assert!(!t.lists(1919, 1079, 0));
        let absurd: Vec<GpuLight> = (0..200_000).map(|_| point(Vec3::ZERO, 1.0)).collect();
        let t = light_tiles(&absurd, view, proj, NEAR, w, h);
        assert_eq!(t.bits.len(), MAX_WORDS);
        assert!(t.lists(0, 0, MAX_WORDS * 32 - 1) && !t.lists(0, 0, MAX_WORDS * 32));
    }

    #[test]
    fn an_orthographic_view_lists_a_light_over_its_reach_at_any_depth() {
        let (w, h) = (400, 200);
        let view = Mat4::look_at_rh(Vec3::new(0.0, 0.0, 100.0), Vec3::ZERO, Vec3::Y);
        // 20 m tall: 10 px per metre.
        let proj = Mat4::orthographic_rh(-20.0, 20.0, -10.0, 10.0, 200.0, NEAR);
        for z in [0.0, -80.0] {
            // A 2 m reach 5 m right of the axis: pixels 230..270 across, 80..120 down.
            let t = light_tiles(
                &[point(Vec3::new(5.0, 0.0, z), 2.0)],
                view,
                proj,
                NEAR,
                w,
                h,
            );
            for (x, y) in [(231, 81), (268, 118), (250, 100)] {
                assert!(t.lists(x, y, 0), "({x}, {y}) at z = {z}");
            }
            for (x, y) in [(200, 100), (300, 100), (250, 40), (250, 160)] {
                assert!(!t.lists(x, y, 0), "({x}, {y}) at z = {z}");
            }
        }
        // Behind the eye: listed nowhere.
        let t = light_tiles(
            &[point(Vec3::new(0.0, 0.0, 150.0), 2.0)],
            view,
            proj,
            NEAR,
            w,
            h,
        );
        assert!(t.bits.iter().all(|b| *b == 0));
    }

    proptest! {
        /// No false negatives: every point a light reaches that shows on screen lies in a
        /// tile listing the light — checked at the points of the range sphere's surface
        /// (its silhouette bounds the rectangle), 600 spread over it per case.
        #[test]
        fn every_lit_pixel_lists_its_light(
            eye in prop::array::uniform3(-20.0f32..20.0),
            target in prop::array::uniform3(-5.0f32..5.0),
            centre in prop::array::uniform3(-15.0f32..15.0),
            range in 0.05f32..8.0,
            size in (1u32..2000, 1u32..1200),
        ) {
            let (eye, target, centre) = (Vec3::from(eye), Vec3::from(target), Vec3::from(centre));
            prop_assume!(eye.distance(target) > 0.5);
            prop_assume!((target - eye).normalize().cross(Vec3::Y).length() > 0.05);
            let (w, h) = size;
            let (view, proj) = camera(eye, target, w as f32 / h as f32);
            let t = light_tiles(&[point(centre, range)], view, proj, NEAR, w, h);
            let n = 600;
            for k in 0..n {
                // Fibonacci sphere: evenly spread unit directions.
                let z = 1.0 - 2.0 * (k as f32 + 0.5) / n as f32;
                let phi = k as f32 * 2.399_963;
                let r = (1.0 - z * z).sqrt();
                let dir = Vec3::new(r * phi.cos(), r * phi.sin(), z);
                let p = centre + dir * range * 0.999;
                if view.transform_point3(p).z >= -NEAR {
                    continue;
                }
                if let Some((x, y)) = pixel(view, proj, p, w, h)
                    && x >= 0.0 && y >= 0.0 && (x as u32) < w && (y as u32) < h
                {
                    prop_assert!(t.lists(x as u32, y as u32, 0), "pixel ({x}, {y}) of {w}x{h}");
                }
            }
        }
    }
}
