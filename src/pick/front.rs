//! Which elements of a cloud can be seen at each pixel of the viewport: what a selection that
//! takes only what you see reads (Blender's edit mode with X-ray off, SuperSplat's "rings"
//! mode). SuperSplat renders splat ids with a depth test on the GPU and reads them back, so it
//! keeps one splat per pixel and a rectangle over a wall of overlapping splats takes only
//! some of them (users delete, select again, delete again). Here, on the CPU from the camera
//! the renderer draws with (headless, testable, no GPU stall), in two passes:
//!
//! 1. [`surface`], once per view: the depth at which each pixel turns opaque, where the
//!    elements composited front to back have covered [`OPAQUE_ALPHA`] of it (several
//!    half-transparent splats together hide what is behind them, as they do on screen). As
//!    the 3DGS rasteriser does: the elements are binned into 16 × 16 pixel tiles, sorted by
//!    tile and depth, and each tile (in parallel) composites its elements front to back
//!    until all its pixels are opaque.
//! 2. [`select_visible`], per shape: an element is taken when, at some pixel whose centre is
//!    inside the shape, its alpha is at least [`MIN_SPLAT_OPACITY`] and it lies no deeper than
//!    that pixel's surface plus its own size (twice its largest axis for a splat, twice its
//!    disc's radius for a point): the surface itself and its neighbours, the faint rims of
//!    splats, floaters in front; not what lies behind the surface.
//!
//! Footprints match the renderer: a **splat**'s alpha at a pixel is
//! `opacity · exp(−½ dᵀ Σ'⁻¹ d)` with Σ' its 2D covariance (EWA, `J W Σ Wᵀ Jᵀ + 0.3 I`); a
//! **point** is an opaque disc `point_size_px` wide. Either always covers the pixel its centre
//! falls in, so sub-pixel elements count. Hidden elements are skipped: they are not drawn, so
//! they hide nothing. Opaque meshes in front hide elements too ([`Surface::hide_behind`] with
//! [`super::occluders::mesh_depth`]), and so do the other shown clouds, their own surfaces
//! added to those occluders ([`Occluders::hide_behind_surface`]).

use super::occluders::Occluders;
use super::{MIN_SPLAT_OPACITY, PickView, ScreenShape, select_projected};
use crate::scene::{ElementMask, SplatCloud};
use glam::{Mat3, Mat4, Quat, Vec2, Vec3};
use rayon::prelude::*;

/// Where the elements in front have covered this much of a pixel, it hides what lies well
/// behind.
pub const OPAQUE_ALPHA: f32 = 0.5;
/// Side of the square tiles pass 1 composites one at a time, in pixels.
const TILE: usize = 16;
/// Most (tile, element) pairs pass 1 sorts (16 B each): past it, the elements touching the
/// most tiles are left out of the surface (they hide nothing, and still count as seen).
const MAX_TILE_ENTRIES: usize = 16 << 20;
/// Most pixels pass 2 tests per element: a larger footprint is tested on a coarser grid.
const MAX_PIXELS_PER_ELEMENT: usize = 4096;
/// Largest side of the surface buffer, in pixels (a larger view is clamped to it).
const MAX_SIDE_PX: f32 = 16384.0;
// Pass 1 keeps tile columns and rows in u16s.
const _: () = assert!(MAX_SIDE_PX as usize / TILE <= u16::MAX as usize);
/// The renderer's low-pass, added to a splat's 2D covariance (pixels²).
const LOW_PASS_PX2: f32 = 0.3;

/// What is rasterised: a splat cloud, or point centres drawn as discs.
#[derive(Clone, Copy, Debug)]
pub enum FrontElements<'a> {
    Splats(&'a SplatCloud),
    Points {
        positions: &'a [[f32; 3]],
        /// The drawn diameter, in pixels.
        size_px: f32,
    },
}

impl FrontElements<'_> {
    fn len(&self) -> usize {
        match self {
            Self::Splats(cloud) => cloud.len(),
            Self::Points { positions, .. } => positions.len(),
        }
    }
}

/// The depth of the first opaque element at each pixel of one view ([`surface`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Surface {
    width: usize,
    height: usize,
    /// View depth per pixel, row by row; infinite where nothing opaque covers it.
    depth: Vec<f32>,
    /// Which elements touch which tile, so a shape tests only those near it.
    tiles: Tiles,
}

/// The elements each 16 × 16 pixel tile of the image is touched by, near to far (4 B per
/// pair), and those left out for touching too many.
#[derive(Clone, Debug, Default, PartialEq)]
struct Tiles {
    /// Tiles per row.
    columns: usize,
    /// Where each tile's elements start in `ids` (one more entry than tiles).
    offsets: Vec<u32>,
    ids: Vec<u32>,
    /// Elements in front of the camera touching more tiles than the budget allowed.
    unbinned: Vec<u32>,
    /// The deepest surface in each tile (infinite where a pixel of it is not opaque): an
    /// element deeper than that plus its size is seen nowhere in the tile.
    deepest: Vec<f32>,
}

impl Tiles {
    fn of(&self, tile: usize) -> &[u32] {
        match (self.offsets.get(tile), self.offsets.get(tile + 1)) {
            (Some(&a), Some(&b)) => self.ids.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The tile's pixels (first corner, one past the last), as `each_pixel` bounds.
    fn bounds(&self, tile: usize) -> (Vec2, Vec2) {
        let columns = self.columns.max(1);
        let min = Vec2::new(
            ((tile % columns) * TILE) as f32,
            ((tile / columns) * TILE) as f32,
        );
        (min, min + TILE as f32)
    }
}

impl Surface {
    /// The surface of what `occluders` and the elements show together: at each pixel, the
    /// nearer of the two (a view's occluders, of the same image size).
    pub fn hide_behind(&mut self, occluders: &Occluders) {
        if occluders.size() != (self.width, self.height) {
            return;
        }
        for (d, &o) in self.depth.iter_mut().zip(occluders.depths()) {
            *d = d.min(o);
        }
        self.tiles.deepest = deepest_per_tile(self.width, self.height, &self.depth);
    }

    /// The surface depth at pixel (`x`, `y`).
    pub fn at(&self, x: usize, y: usize) -> f32 {
        depth_at(&self.depth, self.width, x, y)
    }

    /// Width and height in pixels (the view's image, or 0 × 0 for a view with none).
    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Every pixel's depth, row by row.
    pub fn depths(&self) -> &[f32] {
        &self.depth
    }
}

/// Pixel (`x`, `y`) of a depth image `width` pixels wide, row by row; infinite off it.
pub(super) fn depth_at(depth: &[f32], width: usize, x: usize, y: usize) -> f32 {
    if x < width {
        depth.get(y * width + x).copied().unwrap_or(f32::INFINITY)
    } else {
        f32::INFINITY
    }
}

/// Pass 1: the depth of the first opaque element at each pixel of `view`'s image, for
/// elements in the frame of `world_from_local`; those `skip` names are left out.
pub fn surface(
    view: &PickView,
    world_from_local: Mat4,
    elements: FrontElements<'_>,
    skip: impl Fn(usize) -> bool + Sync,
) -> Surface {
    surface_within(
        view,
        world_from_local,
        elements,
        skip,
        MAX_TILE_ENTRIES as u64,
    )
}

/// [`surface`], sorting at most `budget` (tile, element) pairs.
fn surface_within(
    view: &PickView,
    world_from_local: Mat4,
    elements: FrontElements<'_>,
    skip: impl Fn(usize) -> bool + Sync,
    budget: u64,
) -> Surface {
    let Some(camera) = Camera::new(view, world_from_local) else {
        return Surface::default();
    };
    let tiles_x = camera.width.div_ceil(TILE);
    let tiles_y = camera.height.div_ceil(TILE);
    // The depth of each element and the tiles it touches (first column and row, last column
    // and row; at most MAX_SIDE_PX / TILE = 1024 a side), worked out once (the footprint is
    // the costly part), 16 B each.
    let spans: Vec<Option<(f32, [u16; 4])>> = (0..elements.len())
        .into_par_iter()
        .with_min_len(1024)
        .map(|i| {
            if skip(i) {
                return None;
            }
            let f = camera.footprint(elements, i)?;
            let (lo, hi) = camera.pixel_span(&f, camera.bounds())?;
            let tile = |px: usize| (px / TILE) as u16;
            Some((f.depth, [tile(lo.0), tile(lo.1), tile(hi.0), tile(hi.1)]))
        })
        .collect();
    let count =
        |span: &[u16; 4]| u64::from(span[2] - span[0] + 1) * u64::from(span[3] - span[1] + 1);
    let counts: Vec<u32> = spans
        .par_iter()
        .map(|s| s.map_or(0, |(_, span)| count(&span) as u32))
        .collect();
    let most_tiles = most_tiles_within(&counts, budget);
    // (tile << 32 | depth bits, element) for each tile an element's footprint touches:
    // positive depths order like their bits, so one sort orders by tile, then near to far.
    let mut entries: Vec<(u64, u32)> = spans
        .par_iter()
        .enumerate()
        .with_min_len(1024)
        .flat_map_iter(|(i, s)| {
            let tiles = s.filter(|(_, span)| count(span) <= most_tiles);
            let [x0, y0, x1, y1] = tiles.map_or([1, 1, 0, 0], |(_, span)| span.map(usize::from));
            let depth = tiles.map_or(0, |(depth, _)| u64::from(depth.to_bits()));
            (y0..=y1).flat_map(move |ty| {
                (x0..=x1).map(move |tx| ((((ty * tiles_x + tx) as u64) << 32) | depth, i as u32))
            })
        })
        .collect();
    drop(spans);
    entries.par_sort_unstable_by_key(|e| e.0);
    // Each tile's elements, near to far: `ids[offsets[t]..offsets[t + 1]]`.
    let tile_count = tiles_x * tiles_y;
    let mut offsets = vec![0u32; tile_count + 1];
    for e in &entries {
        offsets[(e.0 >> 32) as usize + 1] += 1;
    }
    for t in 0..tile_count {
        offsets[t + 1] += offsets[t];
    }
    let ids: Vec<u32> = entries.into_iter().map(|e| e.1).collect();
    let unbinned: Vec<u32> = (0..counts.len() as u32)
        .filter(|&i| u64::from(counts[i as usize]) > most_tiles)
        .collect();
    let tiles = Tiles {
        columns: tiles_x,
        offsets,
        ids,
        unbinned,
        deepest: Vec::new(),
    };
    let composited: Vec<Vec<f32>> = (0..tile_count)
        .into_par_iter()
        .map(|tile| {
            let bounds = tiles.bounds(tile);
            let origin = (bounds.0.x as usize, bounds.0.y as usize);
            let mut transmitted = [1.0f32; TILE * TILE];
            let mut depth = vec![f32::INFINITY; TILE * TILE];
            let mut open = TILE * TILE;
            for &i in tiles.of(tile) {
                let Some(f) = camera.footprint(elements, i as usize) else {
                    continue;
                };
                camera.each_pixel(&f, bounds, |x, y, alpha| {
                    let k = (y - origin.1) * TILE + (x - origin.0);
                    if depth[k].is_infinite() {
                        transmitted[k] *= 1.0 - alpha.min(1.0);
                        if transmitted[k] <= 1.0 - OPAQUE_ALPHA {
                            depth[k] = f.depth;
                            open -= 1;
                        }
                    }
                    false
                });
                if open == 0 {
                    break;
                }
            }
            depth
        })
        .collect();
    let mut surface = Surface {
        width: camera.width,
        height: camera.height,
        depth: vec![f32::INFINITY; camera.width * camera.height],
        tiles,
    };
    for (tile, depth) in composited.iter().enumerate() {
        let origin = surface.tiles.bounds(tile).0;
        let (x0, y0) = (origin.x as usize, origin.y as usize);
        let width = TILE.min(camera.width - x0);
        for (row, values) in depth.chunks_exact(TILE).enumerate() {
            let y = y0 + row;
            if y >= camera.height {
                break;
            }
            let start = y * camera.width + x0;
            surface.depth[start..start + width].copy_from_slice(&values[..width]);
        }
    }
    surface.tiles.deepest = deepest_per_tile(camera.width, camera.height, &surface.depth);
    surface
}

/// The deepest surface in each 16 × 16 tile of a `width` × `height` depth image, tiles row by
/// row (only the tile's pixels on the image count).
fn deepest_per_tile(width: usize, height: usize, depth: &[f32]) -> Vec<f32> {
    let columns = width.div_ceil(TILE);
    let mut deepest = vec![0.0f32; columns * height.div_ceil(TILE)];
    for (y, row) in depth.chunks_exact(width.max(1)).take(height).enumerate() {
        for (x, &d) in row.iter().enumerate() {
            let tile = &mut deepest[(y / TILE) * columns + x / TILE];
            *tile = tile.max(d);
        }
    }
    deepest
}

/// The size of the image `view` shows, in pixels, as [`surface`] and
/// [`super::occluders::mesh_depth`] lay it out.
pub(super) fn image_size(view: &PickView) -> (usize, usize) {
    let size = view
        .size_px()
        .min(Vec2::splat(MAX_SIDE_PX))
        .ceil()
        .max(Vec2::ONE);
    (size.x as usize, size.y as usize)
}

/// Whether element `i` is in front at `pixel` (pixels from the image's top-left corner): no
/// deeper than the surface there plus its own size, as [`select_visible`] asks of it at the
/// pixels inside a shape. A click takes the element the cursor hits only if so.
pub fn in_front_at(
    surface: &Surface,
    view: &PickView,
    world_from_local: Mat4,
    elements: FrontElements<'_>,
    i: usize,
    pixel: Vec2,
) -> bool {
    let Some(f) = Camera::new(view, world_from_local).and_then(|c| c.footprint(elements, i)) else {
        return false;
    };
    if pixel.x < 0.0 || pixel.y < 0.0 {
        return false;
    }
    surface.at(pixel.x as usize, pixel.y as usize) >= f.depth - f.slack
}

/// The largest number of tiles an element may touch so that all the elements touching at
/// most that many make no more than `budget` pairs in all (`u64::MAX` when all fit).
fn most_tiles_within(counts: &[u32], budget: u64) -> u64 {
    let total: u64 = counts.par_iter().map(|&c| u64::from(c)).sum();
    if total <= budget {
        return u64::MAX;
    }
    let mut sorted = counts.to_vec();
    sorted.par_sort_unstable();
    let mut sum = 0u64;
    for &c in &sorted {
        sum += u64::from(c);
        if sum > budget {
            // Those touching fewer tiles than this one all come before it.
            return u64::from(c).saturating_sub(1);
        }
    }
    u64::MAX
}

/// Pass 2: the elements visible at some pixel whose centre is inside `shape`, given the
/// view's [`surface`] (made with the same view, elements and `skip`).
pub fn select_visible(
    surface: &Surface,
    view: &PickView,
    world_from_local: Mat4,
    elements: FrontElements<'_>,
    skip: impl Fn(usize) -> bool + Sync,
    shape: &ScreenShape,
) -> ElementMask {
    let n = elements.len();
    let (Some(camera), Some(inside)) = (
        Camera::new(view, world_from_local),
        ShapePixels::new(shape, view.size_px()),
    ) else {
        return ElementMask::new(n);
    };
    // Seen within `bounds`: at a pixel inside the shape, no deeper than the surface there
    // plus its own size.
    let seen = |i: u32, bounds: (Vec2, Vec2), behind: f32| {
        let Some(f) = camera.footprint(elements, i as usize) else {
            return false;
        };
        let deepest = f.depth - f.slack;
        if deepest > behind {
            return false;
        }
        camera.each_pixel(&f, bounds, |x, y, alpha| {
            alpha >= MIN_SPLAT_OPACITY && surface.at(x, y) >= deepest && inside.contains(x, y)
        })
    };
    // Only the tiles the shape's bounds touch, each for the pixels of it they share.
    let (lo, hi) = (inside.min, inside.min + inside.size);
    let tiles = &surface.tiles;
    let first = ((lo.x as usize) / TILE, (lo.y as usize) / TILE);
    let last = (
        ((hi.x as usize).saturating_sub(1) / TILE).min(tiles.columns.saturating_sub(1)),
        (hi.y as usize).saturating_sub(1) / TILE,
    );
    let touched: Vec<usize> = (first.1..=last.1)
        .flat_map(|ty| (first.0..=last.0).map(move |tx| ty * tiles.columns + tx))
        .collect();
    let found: Vec<Vec<u32>> = touched
        .into_par_iter()
        .map(|tile| {
            let (a, b) = tiles.bounds(tile);
            let bounds = (a.max(lo), b.min(hi));
            let behind = tiles.deepest.get(tile).copied().unwrap_or(f32::INFINITY);
            tiles
                .of(tile)
                .iter()
                .copied()
                .filter(|&i| !skip(i as usize) && seen(i, bounds, behind))
                .collect()
        })
        .chain(rayon::iter::once(
            tiles
                .unbinned
                .par_iter()
                .copied()
                .filter(|&i| !skip(i as usize) && seen(i, (lo, hi), f32::INFINITY))
                .collect(),
        ))
        .collect();
    let mut mask = ElementMask::new(n);
    for i in found.into_iter().flatten() {
        mask.insert(i as usize);
    }
    mask
}

/// The pixels whose centres lie inside a shape, over the part of the image it covers.
struct ShapePixels {
    /// First pixel column and row, and the size (pixels).
    min: Vec2,
    size: Vec2,
    inside: ElementMask,
}

impl ShapePixels {
    fn new(shape: &ScreenShape, image: Vec2) -> Option<Self> {
        let (lo, hi) = shape.bounds()?;
        let min = lo.floor().max(Vec2::ZERO);
        let max = hi.ceil().min(image.ceil());
        if !(min.cmplt(max).all()) {
            return None;
        }
        let size = max - min;
        let width = size.x as usize;
        let centres: Vec<Vec2> = (0..width * size.y as usize)
            .map(|k| min + Vec2::new((k % width) as f32 + 0.5, (k / width) as f32 + 0.5))
            .collect();
        Some(Self {
            min,
            size,
            inside: select_projected(&centres, image, shape),
        })
    }

    fn contains(&self, x: usize, y: usize) -> bool {
        let (x, y) = (x as f32 - self.min.x, y as f32 - self.min.y);
        x >= 0.0
            && y >= 0.0
            && x < self.size.x
            && y < self.size.y
            && self
                .inside
                .get(y as usize * self.size.x as usize + x as usize)
    }
}

/// Where an element lands: its centre (pixels), view depth, how far its footprint reaches
/// (pixels, along x and y), how deep behind the surface it still counts (view units), and
/// its alpha at an offset from its centre.
struct Footprint {
    centre: Vec2,
    depth: f32,
    reach: Vec2,
    slack: f32,
    kernel: Kernel,
}

enum Kernel {
    /// `opacity · exp(−½ dᵀ C d)`, C = ((a, b), (b, c)) the inverse 2D covariance.
    Gauss {
        opacity: f32,
        a: f32,
        b: f32,
        c: f32,
    },
    /// Opaque within the radius (squared).
    Disc { r2: f32 },
}

impl Footprint {
    fn alpha(&self, d: Vec2) -> f32 {
        match self.kernel {
            Kernel::Gauss { opacity, a, b, c } => {
                opacity * (-0.5 * (a * d.x * d.x + 2.0 * b * d.x * d.y + c * d.y * d.y)).exp()
            }
            Kernel::Disc { r2 } => {
                if d.length_squared() <= r2 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// Alpha at the centre (the pixel the centre falls in always gets it).
    fn peak(&self) -> f32 {
        match self.kernel {
            Kernel::Gauss { opacity, .. } => opacity,
            Kernel::Disc { .. } => 1.0,
        }
    }
}

/// The first and last pixel (column, row) of a footprint's span.
type PixelSpan = ((usize, usize), (usize, usize));

/// The camera of one view, in the frame of one node.
struct Camera {
    width: usize,
    height: usize,
    view_from_local: Mat4,
    /// Half the image size: the pixel of the view axis.
    half: Vec2,
    scale: super::PxScale,
    near: f32,
    /// Half the field of view's tangents, widened as 3DGS does before its Jacobian.
    tan_limit: Vec2,
}

impl Camera {
    fn new(view: &PickView, world_from_local: Mat4) -> Option<Self> {
        let (width, height) = image_size(view);
        let size = Vec2::new(width as f32, height as f32);
        let view_from_local = view.view.view_from_world() * world_from_local;
        view_from_local.is_finite().then(|| Self {
            width,
            height,
            view_from_local,
            half: view.size_px() * 0.5,
            scale: view.px_scale(),
            near: view.view.near,
            tan_limit: Vec2::new(size.x / size.y, 1.0) * (view.view.fov_y_rad * 0.5).tan() * 1.3,
        })
    }

    fn size(&self) -> Vec2 {
        Vec2::new(self.width as f32, self.height as f32)
    }

    /// The whole image, as `each_pixel` bounds.
    fn bounds(&self) -> (Vec2, Vec2) {
        (Vec2::ZERO, self.size())
    }

    /// The first and last pixel (column, row) that `each_pixel` may visit for `f` within
    /// `bounds`; `None` when there is none.
    fn pixel_span(&self, f: &Footprint, (min, max): (Vec2, Vec2)) -> Option<PixelSpan> {
        let min = min.max(Vec2::ZERO);
        let max = self.size().min(max) - 1.0;
        let own = f.centre.floor();
        let lo = (f.centre - f.reach - 0.5).ceil().min(own).max(min);
        let hi = (f.centre + f.reach - 0.5).floor().max(own).min(max);
        (lo.is_finite() && hi.is_finite() && lo.x <= hi.x && lo.y <= hi.y).then_some((
            (lo.x as usize, lo.y as usize),
            (hi.x as usize, hi.y as usize),
        ))
    }

    /// Element `i`'s footprint, if it is in front of the near plane and can be seen at all.
    fn footprint(&self, elements: FrontElements<'_>, i: usize) -> Option<Footprint> {
        match elements {
            FrontElements::Points { positions, size_px } => {
                let (_, depth, centre) = self.project(Vec3::from(*positions.get(i)?))?;
                let radius = (size_px * 0.5).max(0.5);
                Some(Footprint {
                    centre,
                    depth,
                    reach: Vec2::splat(radius),
                    slack: 2.0 * radius / self.px_per_metre(depth),
                    kernel: Kernel::Disc {
                        r2: radius * radius,
                    },
                })
            }
            FrontElements::Splats(cloud) => self.splat(cloud, i),
        }
    }

    /// The view-space position, its depth in front of the camera and its pixel, if it is
    /// beyond the near plane.
    fn project(&self, p: Vec3) -> Option<(Vec3, f32, Vec2)> {
        let t = self.view_from_local.transform_point3(p);
        let depth = -t.z;
        if !t.is_finite() || depth <= self.near {
            return None;
        }
        let pixel = self.half + Vec2::new(t.x, -t.y) * self.px_per_metre(depth);
        Some((t, depth, pixel))
    }

    fn px_per_metre(&self, depth: f32) -> f32 {
        self.scale.at(depth)
    }

    fn splat(&self, cloud: &SplatCloud, i: usize) -> Option<Footprint> {
        let opacity = *cloud.opacities.get(i)?;
        if opacity.is_nan() || opacity < MIN_SPLAT_OPACITY {
            return None;
        }
        let (t, depth, centre) = self.project(Vec3::from(*cloud.positions.get(i)?))?;
        // Σ' = J W Σ Wᵀ Jᵀ + 0.3 I, with Σ = M Mᵀ, M = R S (as splats.wgsl).
        let rotation = Quat::from_array(*cloud.rotations.get(i)?).normalize();
        let scale = Vec3::from(*cloud.scales.get(i)?).abs();
        let wm = Mat3::from_mat4(self.view_from_local)
            * Mat3::from_quat(rotation)
            * Mat3::from_diagonal(scale);
        let tan = if self.scale.is_orthographic() {
            // J has no depth column.
            Vec2::ZERO
        } else {
            (Vec2::new(t.x, t.y) / depth).clamp(-self.tan_limit, self.tan_limit)
        };
        let f = self.px_per_metre(depth);
        // J's rows (image x right, y up): d(pixel)/d(view position).
        let (jx, jy) = (Vec3::new(f, 0.0, f * tan.x), Vec3::new(0.0, f, f * tan.y));
        let (ax, ay) = (wm.transpose() * jx, wm.transpose() * jy);
        let sxx = ax.dot(ax) + LOW_PASS_PX2;
        // Image y points down: the cross term changes sign.
        let sxy = -ax.dot(ay);
        let syy = ay.dot(ay) + LOW_PASS_PX2;
        let det = sxx * syy - sxy * sxy;
        if !det.is_finite() || det <= 0.0 {
            return None;
        }
        // Seen where opacity · exp(−q/2) ≥ the threshold: q ≤ 2 ln(opacity / threshold), out
        // to sqrt(q · Σ'xx) along x and sqrt(q · Σ'yy) along y.
        let q_max = 2.0 * (opacity / MIN_SPLAT_OPACITY).ln();
        let largest_axis = [wm.x_axis, wm.y_axis, wm.z_axis]
            .map(Vec3::length)
            .into_iter()
            .fold(0.0, f32::max);
        Some(Footprint {
            centre,
            depth,
            reach: Vec2::new((q_max * sxx).sqrt(), (q_max * syy).sqrt()),
            slack: 2.0 * largest_axis,
            kernel: Kernel::Gauss {
                opacity,
                a: syy / det,
                b: -sxy / det,
                c: sxx / det,
            },
        })
    }

    /// Calls `visit(x, y, alpha)` for the pixel the footprint's centre falls in and each
    /// pixel whose centre it reaches, within `bounds` (pixels) and the image, until `visit`
    /// says true; returns whether it did.
    /// The pixel the centre falls in gets the footprint's peak alpha (so sub-pixel elements
    /// count), each other pixel its alpha at the pixel's centre, where at least
    /// [`MIN_SPLAT_OPACITY`].
    fn each_pixel(
        &self,
        f: &Footprint,
        bounds: (Vec2, Vec2),
        mut visit: impl FnMut(usize, usize, f32) -> bool,
    ) -> bool {
        let Some(((x0, y0), (x1, y1))) = self.pixel_span(f, bounds) else {
            return false;
        };
        let own = f.centre.floor();
        let own = (own.x as usize, own.y as usize);
        let own_inside = (x0..=x1).contains(&own.0) && (y0..=y1).contains(&own.1);
        if own_inside && f.peak() >= MIN_SPLAT_OPACITY && visit(own.0, own.1, f.peak()) {
            return true;
        }
        // A footprint larger than the budget is tested on a grid of about that many pixels.
        let area = (x1 - x0 + 1) as f64 * (y1 - y0 + 1) as f64;
        let step = (area / MAX_PIXELS_PER_ELEMENT as f64)
            .sqrt()
            .ceil()
            .max(1.0) as usize;
        for y in (y0..=y1).step_by(step) {
            for x in (x0..=x1).step_by(step) {
                if (x, y) == own {
                    continue;
                }
                let alpha = f.alpha(Vec2::new(x as f32 + 0.5, y as f32 + 0.5) - f.centre);
                if alpha >= MIN_SPLAT_OPACITY && visit(x, y, alpha) {
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::scene::CameraView;

    /// A camera at z = 10 looking down −Z with a 90° vertical field, on a 200×200 image: a
    /// point (x, y, z) lands at pixel (100 + 100 x / (10 − z), 100 − 100 y / (10 − z)).
    pub(in crate::pick) fn view() -> PickView {
        PickView::new(
            CameraView {
                world_from_view: Mat4::from_translation(Vec3::new(0.0, 0.0, 10.0)),
                fov_y_rad: std::f32::consts::FRAC_PI_2,
                near: 0.1,
                ortho: None,
            },
            200.0,
            200.0,
        )
    }

    /// The elements visible inside the rectangle from (`x0`, `y0`) to (`x1`, `y1`) (pixels).
    fn visible_in(elements: FrontElements<'_>, skip: &[usize], rect: [f32; 4]) -> Vec<usize> {
        visible_from(&view(), elements, skip, rect)
    }

    /// [`visible_in`] seen from `view`.
    fn visible_from(
        view: &PickView,
        elements: FrontElements<'_>,
        skip: &[usize],
        rect: [f32; 4],
    ) -> Vec<usize> {
        let skip = |i: usize| skip.contains(&i);
        let surface = surface(view, Mat4::IDENTITY, elements, skip);
        let shape = ScreenShape::Rect {
            min: Vec2::new(rect[0], rect[1]),
            max: Vec2::new(rect[2], rect[3]),
        };
        let mask = select_visible(&surface, view, Mat4::IDENTITY, elements, skip, &shape);
        (0..mask.len()).filter(|&i| mask.get(i)).collect()
    }

    #[test]
    fn orthographic_views_see_splats_the_same_size_at_any_depth() {
        // 10 m tall over 200 px: 20 px per metre. Splat 0 (σ 0.5 m = 10 px) stands 2 m
        // behind splat 1, both 1 m right of the axis (pixel 120); 2 is 40 m behind, 1 m left.
        let ortho = PickView::new(
            CameraView {
                ortho: Some(crate::scene::Ortho {
                    half_height: 5.0,
                    far: 100.0,
                }),
                ..view().view
            },
            200.0,
            200.0,
        );
        let cloud = splats(
            &[[1.0, 0.0, -2.0], [1.0, 0.0, 0.0], [-1.0, 0.0, -40.0]],
            0.5,
            &[1.0, 1.0, 1.0],
        );
        let all = FrontElements::Splats(&cloud);
        // Around 1's centre: 0 is hidden behind it.
        assert_eq!(
            visible_from(&ortho, all, &[], [117.0, 98.0, 123.0, 102.0]),
            [1]
        );
        // 2's footprint is 1's size, 40 m further: seen out to ~2 σ (20 px) left of 80, and
        // not past 3 σ.
        assert_eq!(
            visible_from(&ortho, all, &[], [62.0, 99.0, 63.0, 101.0]),
            [2]
        );
        assert!(visible_from(&ortho, all, &[], [40.0, 99.0, 48.0, 101.0]).is_empty());
        // Hidden by the tool, 1 hides nothing: 0 shows.
        assert_eq!(
            visible_from(&ortho, all, &[1], [117.0, 98.0, 123.0, 102.0]),
            [0]
        );
    }

    fn splats(positions: &[[f32; 3]], scale: f32, opacities: &[f32]) -> SplatCloud {
        let n = positions.len();
        SplatCloud::new(
            positions.to_vec(),
            vec![[0.0, 0.0, 0.0, 1.0]; n],
            vec![[scale; 3]; n],
            opacities.to_vec(),
            vec![[0.5; 3]; n],
            0,
            Vec::new(),
        )
        .unwrap()
    }

    #[test]
    fn an_opaque_splat_hides_what_lies_well_behind_it() {
        // σ 0.5 m, 1 m right of the axis: 0 is 2 m behind 1 (centres at pixels 108.3 and
        // 110, σ 4.2 and 5 px); 2 is 0.5 m behind 1, within its size (2 · 0.5 m).
        let cloud = splats(
            &[[1.0, 0.0, -2.0], [1.0, 0.0, 0.0], [1.0, 0.0, -0.5]],
            0.5,
            &[1.0, 1.0, 1.0],
        );
        let all = FrontElements::Splats(&cloud);
        // Around 1's centre, where it is opaque (alpha ≥ ½ out to 1.18 σ = 5.9 px): 0 is
        // hidden, 2 counts as the same surface.
        let middle = [107.0, 98.0, 113.0, 102.0];
        assert_eq!(visible_in(all, &[], middle), vec![1, 2]);
        // Hidden by the tool, 1 hides nothing: 0 is more than 2 σ behind 2, though.
        assert_eq!(visible_in(all, &[1], middle), vec![2]);
        assert_eq!(visible_in(all, &[1, 2], middle), vec![0]);
        // The faint rim of 1 (alpha below ½, 7.5–8.5 px from its centre) hides nothing: 0
        // shows through it (it reaches 9.9 px from 108.3, out to x = 118.2).
        assert_eq!(
            visible_in(all, &[], [117.0, 99.0, 118.2, 101.0]),
            vec![0, 1, 2]
        );
        // Beyond 0's reach to the left, nothing; a shape off the image, nothing.
        assert!(visible_in(all, &[], [90.0, 99.0, 97.0, 101.0]).is_empty());
        assert!(visible_in(all, &[], [300.0, 0.0, 400.0, 50.0]).is_empty());
    }

    #[test]
    fn a_faint_splat_in_front_hides_nothing() {
        // At 0.3 the splat in front is never opaque: the one 2 m behind shows through it and
        // both are taken; at 0.05 (below 1/16) the one in front is not seen at all.
        for (opacity, expected) in [(0.3, vec![0, 1]), (0.05, vec![0])] {
            let cloud = splats(&[[1.0, 0.0, -2.0], [1.0, 0.0, 0.0]], 0.5, &[1.0, opacity]);
            let got = visible_in(
                FrontElements::Splats(&cloud),
                &[],
                [107.0, 98.0, 113.0, 102.0],
            );
            assert_eq!(got, expected, "{opacity}");
        }
    }

    #[test]
    fn half_transparent_splats_together_hide_what_is_behind_them() {
        // k splats of 0.3 opacity stacked at z = 0 in front of an opaque one 2 m behind: one
        // lets 70% through; three let at most half through out to 0.87 σ (4.3 px) from their
        // centre, which holds the rectangle (2.9 px at most).
        for (k, behind_seen) in [(1, true), (3, false), (6, false)] {
            let mut positions = vec![[1.0, 0.0, -2.0]];
            positions.extend(std::iter::repeat_n([1.0, 0.0, 0.0], k));
            let mut opacities = vec![1.0];
            opacities.extend(std::iter::repeat_n(0.3, k));
            let cloud = splats(&positions, 0.5, &opacities);
            let got = visible_in(
                FrontElements::Splats(&cloud),
                &[],
                [107.0, 98.0, 113.0, 102.0],
            );
            assert_eq!(got.contains(&0), behind_seen, "{k}: {got:?}");
            assert_eq!(got.len(), k + usize::from(behind_seen), "{k}: {got:?}");
        }
    }

    #[test]
    fn huge_footprints_are_bounded() {
        // Which elements fit a budget of pairs: the ones touching the fewest tiles.
        assert_eq!(most_tiles_within(&[1, 10, 5, 1], 7), 9);
        assert_eq!(most_tiles_within(&[1, 10, 5, 1], 17), u64::MAX);
        assert_eq!(most_tiles_within(&[3, 3, 3], 8), 2);
        // A splat a kilometre wide in front of a small one: it covers every tile and hides
        // the small one, unless the budget leaves it out of the surface.
        let cloud = splats(&[[0.0, 0.0, 0.0], [0.0, 0.0, -5.0]], 1.0, &[1.0, 1.0]);
        let cloud = SplatCloud::new(
            cloud.positions.clone(),
            cloud.rotations.clone(),
            vec![[1000.0; 3], [0.2; 3]],
            cloud.opacities.clone(),
            cloud.colors.clone(),
            0,
            Vec::new(),
        )
        .unwrap();
        let all = FrontElements::Splats(&cloud);
        let middle = ScreenShape::Rect {
            min: Vec2::splat(95.0),
            max: Vec2::splat(105.0),
        };
        for (budget, small_seen) in [(10_000, false), (100, true)] {
            let surface = surface_within(&view(), Mat4::IDENTITY, all, |_| false, budget);
            let mask = select_visible(&surface, &view(), Mat4::IDENTITY, all, |_| false, &middle);
            assert!(mask.get(0), "{budget}: the huge one is seen");
            assert_eq!(mask.get(1), small_seen, "{budget}");
        }
    }

    #[test]
    fn points_hide_what_lies_behind_their_discs_and_tiny_ones_their_pixel() {
        // Two layers of a 5 × 5 grid 1 m apart: the back one (0..25) at z = −1 lands 9.1 px
        // apart, the front one (25..50) at z = 1 11.1 px apart. The back point behind the
        // middle (12) lands where the front one (37) does.
        let mut positions = Vec::new();
        for z in [-1.0, 1.0] {
            for i in 0..25 {
                positions.push([(i % 5) as f32 - 2.0, (i / 5) as f32 - 2.0, z]);
            }
        }
        let points = |size_px| FrontElements::Points {
            positions: &positions,
            size_px,
        };
        let everything = [0.0, 0.0, 200.0, 200.0];
        // Drawn 8 px wide: the front layer is seen, 12 is not (its disc is 37's), its
        // neighbours are, between the front discs.
        let seen = visible_in(points(8.0), &[], everything);
        assert!((25..50).all(|i| seen.contains(&i)), "{seen:?}");
        assert!(!seen.contains(&12) && seen.contains(&11), "{seen:?}");
        // Drawn 0.1 px wide, each covers its own pixel: only 12 is hidden.
        let seen = visible_in(points(0.1), &[], everything);
        assert_eq!(seen, (0..50).filter(|&i| i != 12).collect::<Vec<_>>());
        // With 37 hidden by the tool, 12 is seen.
        assert!(visible_in(points(8.0), &[37], everything).contains(&12));
        // Behind the camera: nothing.
        let surface = surface(
            &view(),
            Mat4::from_translation(Vec3::Z * 20.0),
            points(8.0),
            |_| false,
        );
        assert!(surface.depth.iter().all(|d| d.is_infinite()));
    }
}
