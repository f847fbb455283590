//! What hides things from a selection that takes only what is seen: the opaque meshes in
//! front of a cloud's splats or points ([`super::front`]) besides the cloud's own elements, as
//! Blender's edit-mode selection without X-ray is hidden by the other objects drawn; and the
//! objects a box selection takes with X-ray off ([`MeshesInBox`]), as Blender's object-mode box
//! select without X-ray takes only what it sees.
//!
//! [`mesh_depth`] rasterises, on the CPU, the view depth of the nearest opaque mesh at each
//! pixel centre of a view (the pixels [`super::Surface`] has), and which node it belongs to. A
//! mesh occludes when its node is shown and its material is opaque or alpha-masked: blended
//! and transmissive materials show what is behind them, and a masked one only where its alpha
//! reaches the cutoff (its holes, [`super::alpha`], hide nothing, as the renderer discards
//! them). A single-sided material's back faces are culled as
//! the renderer culls them, mirrored nodes' winding turned round (glTF 2.0 §3.7.4).

use super::alpha::AlphaCoverage;
use super::front::image_size;
use super::{PickView, PxScale};
use crate::scene::{AlphaMode, Mesh, NodeId, NodeKind, Scene, WorldNode};
use glam::{Mat3, Mat4, Vec2, Vec3};
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Triangles each rayon task rasterises.
const TRIANGLES_PER_TASK: usize = 512;
/// An image entry no mesh covers: infinite depth, no owner.
const EMPTY: u64 = ((f32::INFINITY.to_bits() as u64) << 32) | NO_OWNER as u64;
/// The owner of a pixel no mesh covers.
const NO_OWNER: u32 = u32::MAX;

/// The view depth of the nearest opaque mesh at each pixel of one view (or of a window of
/// it: a box selection's), and its node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Occluders {
    /// The first column and row kept: pixels outside `origin + (width, height)` read as
    /// uncovered.
    origin: [usize; 2],
    width: usize,
    height: usize,
    /// Row by row; infinite where no opaque mesh covers the pixel's centre.
    depth: Vec<f32>,
    /// Row by row: which of `nodes` the nearest opaque mesh is ([`NO_OWNER`]: none).
    owner: Vec<u32>,
    nodes: Vec<NodeId>,
}

impl Occluders {
    /// Where pixel (`x`, `y`) of the view is kept, if it is.
    fn index(&self, x: usize, y: usize) -> Option<usize> {
        let column = x.checked_sub(self.origin[0]).filter(|&c| c < self.width)?;
        let row = y.checked_sub(self.origin[1]).filter(|&r| r < self.height)?;
        Some(row * self.width + column)
    }

    /// The depth at pixel (`x`, `y`) of the view; infinite off what is kept.
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.index(x, y)
            .and_then(|i| self.depth.get(i).copied())
            .unwrap_or(f32::INFINITY)
    }

    /// The node of the nearest opaque mesh at pixel (`x`, `y`) of the view; `None` where
    /// there is none and off what is kept.
    pub fn node_at(&self, x: usize, y: usize) -> Option<NodeId> {
        let owner = *self.owner.get(self.index(x, y)?)?;
        self.nodes.get(owner as usize).copied()
    }

    /// Every pixel's depth, row by row.
    pub fn depths(&self) -> &[f32] {
        &self.depth
    }

    /// How many pixels an opaque mesh covers.
    pub fn covered(&self) -> usize {
        self.depth.iter().filter(|d| d.is_finite()).count()
    }

    /// Width and height of what is kept, in pixels: the view's image for [`mesh_depth`].
    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Whether no mesh covers any pixel.
    pub fn is_empty(&self) -> bool {
        self.covered() == 0
    }

    /// Adds what `surface` shows (another cloud's first opaque elements, of the same view)
    /// in front of the meshes: where it is nearer, the pixel's depth is its and no mesh owns
    /// the pixel. Occluders of another size, or of a window of the view, are left as they
    /// are.
    pub fn hide_behind_surface(&mut self, surface: &super::Surface) {
        if self.origin != [0, 0] || surface.size() != (self.width, self.height) {
            return;
        }
        for ((d, owner), &s) in self
            .depth
            .iter_mut()
            .zip(self.owner.iter_mut())
            .zip(surface.depths())
        {
            if s < *d {
                *d = s;
                *owner = NO_OWNER;
            }
        }
    }
}

/// How a mesh node's triangles face.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Facing {
    /// Double-sided: both sides occlude.
    Both,
    /// Single-sided, counter-clockwise (glTF's front face) seen from the front.
    CounterClockwise,
    /// Single-sided on a mirrored node: the winding turned round.
    Clockwise,
}

/// A shown mesh node as the rasteriser takes it.
struct ShownMesh<'a> {
    node: NodeId,
    mesh: &'a Mesh,
    view_from_local: Mat4,
    facing: Facing,
    /// A masked material's alpha test: only the covered points of its triangles are drawn.
    coverage: Option<AlphaCoverage<'a>>,
}

/// The shown mesh nodes of `walk` (`scene`'s), seen from `view`: those with an opaque or
/// masked material, which hide what is behind them (a masked one outside its holes), and
/// the see-through ones (blended and transmissive materials).
fn shown_meshes<'a>(
    scene: &'a Scene,
    walk: &[WorldNode<'_>],
    view: &PickView,
) -> [Vec<ShownMesh<'a>>; 2] {
    let view_from_world = view.view.view_from_world();
    let mut opaque = Vec::new();
    let mut see_through = Vec::new();
    for wn in walk.iter().filter(|wn| wn.visible) {
        let NodeKind::Mesh { mesh, material } = wn.node.kind else {
            continue;
        };
        let (Some(material), Some(mesh)) = (scene.material(material), scene.mesh(mesh)) else {
            continue;
        };
        let view_from_local = view_from_world * wn.world_from_local;
        if !view_from_local.is_finite() {
            continue;
        }
        let facing = if material.double_sided {
            Facing::Both
        } else if Mat3::from_mat4(wn.world_from_local).determinant() < 0.0 {
            Facing::Clockwise
        } else {
            Facing::CounterClockwise
        };
        let shown = ShownMesh {
            node: wn.node.id,
            mesh: mesh.as_ref(),
            view_from_local,
            facing,
            coverage: AlphaCoverage::of(scene, material, mesh),
        };
        if material.alpha_mode != AlphaMode::Blend && !material.is_transmissive() {
            opaque.push(shown);
        } else {
            see_through.push(shown);
        }
    }
    [opaque, see_through]
}

/// Rasterises every triangle of `meshes` in parallel, `plot(mesh index, x, y, depth)` for each
/// pixel covered (outside a masked material's holes); `skip(mesh index)` leaves a mesh's
/// remaining triangles out.
fn rasterise(
    raster: &Raster,
    meshes: &[ShownMesh<'_>],
    skip: impl Fn(usize) -> bool + Sync,
    plot: impl Fn(usize, usize, usize, f32) + Sync,
) {
    // Every mesh's triangles in tasks of a few hundred, so one big mesh spreads over the
    // cores as well as many small ones.
    let tasks: Vec<(usize, usize)> = meshes
        .iter()
        .enumerate()
        .flat_map(|(m, shown)| {
            (0..shown.mesh.triangle_count())
                .step_by(TRIANGLES_PER_TASK)
                .map(move |first| (m, first))
        })
        .collect();
    tasks.into_par_iter().for_each(|(m, first)| {
        if skip(m) {
            return;
        }
        let shown = &meshes[m];
        let last = (first + TRIANGLES_PER_TASK).min(shown.mesh.triangle_count());
        for (index, tri) in shown
            .mesh
            .indices
            .get(first * 3..last * 3)
            .unwrap_or(&[])
            .chunks_exact(3)
            .enumerate()
        {
            let corner = |k: u32| {
                shown
                    .mesh
                    .positions
                    .get(k as usize)
                    .map(|p| shown.view_from_local.transform_point3(Vec3::from(*p)))
            };
            if let (Some(a), Some(b), Some(c)) = (corner(tri[0]), corner(tri[1]), corner(tri[2])) {
                raster.triangle([a, b, c], shown.facing, |x, y, depth, bary| {
                    if shown
                        .coverage
                        .as_ref()
                        .is_none_or(|c| c.covers(first + index, bary()))
                    {
                        plot(m, x, y, depth);
                    }
                });
            }
        }
    });
}

/// The nearest of the opaque `meshes` at each pixel of `raster`'s window: its depth and node
/// (kept for the window only, so a small box costs little memory in a large view).
fn opaque_image(meshes: &[ShownMesh<'_>], raster: &Raster) -> Occluders {
    let [x0, y0, x1, y1] = raster.window;
    let (width, height) = ((x1 + 1).saturating_sub(x0), (y1 + 1).saturating_sub(y0));
    // Bits of positive depths order like the depths, so the smallest packed entry is the
    // nearest (ties to the mesh listed first).
    let image: Vec<AtomicU64> = (0..width * height).map(|_| AtomicU64::new(EMPTY)).collect();
    rasterise(
        raster,
        meshes,
        |_| false,
        |m, x, y, depth| {
            let packed = (u64::from(depth.to_bits()) << 32) | m as u64;
            if let Some(p) = image.get((y - y0) * width + (x - x0)) {
                p.fetch_min(packed, Ordering::Relaxed);
            }
        },
    );
    let (depth, owner) = image
        .into_iter()
        .map(|p| {
            let p = p.into_inner();
            (f32::from_bits((p >> 32) as u32), p as u32)
        })
        .unzip();
    Occluders {
        origin: [x0, y0],
        width,
        height,
        depth,
        owner,
        nodes: meshes.iter().map(|m| m.node).collect(),
    }
}

/// The view depth of the nearest opaque mesh at each pixel of `view`'s image, and its node
/// (see the module's documentation for which meshes count).
pub fn mesh_depth(scene: &Scene, view: &PickView) -> Occluders {
    let (width, height) = image_size(view);
    let [opaque, _] = shown_meshes(scene, &scene.walk(), view);
    opaque_image(&opaque, &Raster::new(view, width, height, None))
}

/// The meshes a box selection takes: each shown mesh node seen at some pixel whose centre
/// lies inside the box, either in front of every opaque mesh there (X-ray off: the opaque
/// mesh nearest at the pixel, or a see-through one — blended, masked, glass — not behind it)
/// or wherever it lies (X-ray on). With X-ray off it also tells whether a point inside the
/// box is hidden ([`MeshesInBox::unhidden`]). Only the box's pixels are rasterised.
pub struct MeshesInBox {
    seen: HashSet<NodeId>,
    /// X-ray off: the opaque meshes' depth at the box's pixels.
    occluders: Option<Occluders>,
}

impl MeshesInBox {
    /// The meshes of `walk` (`scene`'s) seen in the box `lo..=hi` (pixels from the image's
    /// top-left corner) of `view`; `xray`: through the others.
    pub fn new(
        scene: &Scene,
        walk: &[WorldNode<'_>],
        view: &PickView,
        lo: Vec2,
        hi: Vec2,
        xray: bool,
    ) -> Self {
        let (width, height) = image_size(view);
        // The pixels whose centres (x + 0.5) lie inside the box.
        let first = (lo - 0.5).ceil().max(Vec2::ZERO);
        let last = (hi - 0.5)
            .floor()
            .min(Vec2::new(width as f32 - 1.0, height as f32 - 1.0));
        if !(first.cmple(last).all()) {
            return Self {
                seen: HashSet::new(),
                occluders: None,
            };
        }
        let window = [
            first.x as usize,
            first.y as usize,
            last.x as usize,
            last.y as usize,
        ];
        let raster = Raster::new(view, width, height, Some(window));
        let mark = |meshes: &[ShownMesh<'_>], before: Option<&Occluders>| -> HashSet<NodeId> {
            let found: Vec<AtomicBool> = meshes.iter().map(|_| AtomicBool::new(false)).collect();
            rasterise(
                &raster,
                meshes,
                |m| found[m].load(Ordering::Relaxed),
                |m, x, y, depth| {
                    if before.is_none_or(|o| depth <= o.at(x, y) * (1.0 + DEPTH_SLACK)) {
                        found[m].store(true, Ordering::Relaxed);
                    }
                },
            );
            meshes
                .iter()
                .zip(&found)
                .filter(|(_, f)| f.load(Ordering::Relaxed))
                .map(|(m, _)| m.node)
                .collect()
        };
        let [opaque, see_through] = shown_meshes(scene, walk, view);
        if xray {
            let mut seen = mark(&opaque, None);
            seen.extend(mark(&see_through, None));
            return Self {
                seen,
                occluders: None,
            };
        }
        let occluders = opaque_image(&opaque, &raster);
        let mut seen = mark(&see_through, Some(&occluders));
        for y in window[1]..=window[3] {
            for x in window[0]..=window[2] {
                seen.extend(occluders.node_at(x, y));
            }
        }
        Self {
            seen,
            occluders: Some(occluders),
        }
    }

    /// Whether mesh node `node` is seen in the box.
    pub fn contains(&self, node: NodeId) -> bool {
        self.seen.contains(&node)
    }

    /// Whether a point at view depth `depth` that projects to `pixel` (inside the box) is not
    /// hidden by an opaque mesh in front of it; `slack`: how far behind the surface there it
    /// may lie and still count (its own size, a pixel's width). Always true with X-ray on.
    pub fn unhidden(&self, pixel: Vec2, depth: f32, slack: f32) -> bool {
        let Some(occluders) = &self.occluders else {
            return true;
        };
        if !(pixel.x >= 0.0 && pixel.y >= 0.0) {
            return false;
        }
        let surface = occluders.at(pixel.x as usize, pixel.y as usize);
        depth <= surface * (1.0 + DEPTH_SLACK) + slack
    }
}

/// How much deeper than the opaque surface at a pixel something may lie and still be seen
/// there (a share of the depth): the rasterised surface and the same surface's own corners
/// or a decal on it differ by rounding.
const DEPTH_SLACK: f32 = 1e-3;

/// Calls back for each pixel centre that triangles cover in an image, with their depth.
struct Raster {
    width: usize,
    height: usize,
    /// The pixels drawn: first column, first row, last column, last row (inclusive).
    window: [usize; 4],
    /// The pixel of the view axis.
    half: Vec2,
    /// Orthographic views: depth is linear across the screen, not its inverse.
    scale: PxScale,
    near: f32,
}

impl Raster {
    /// For `view`'s image of `width` × `height` pixels, drawing only inside `window` (first
    /// column, first row, last column, last row; all of the image if `None`).
    fn new(view: &PickView, width: usize, height: usize, window: Option<[usize; 4]>) -> Self {
        Self {
            width,
            height,
            window: window.unwrap_or([0, 0, width.saturating_sub(1), height.saturating_sub(1)]),
            half: view.size_px() * 0.5,
            scale: view.px_scale(),
            near: view.view.near,
        }
    }

    /// A triangle given in view space (the camera at the origin looking down −Z):
    /// `plot(x, y, depth, bary)` for each pixel it covers, where `bary()` gives the pixel
    /// centre's barycentric weights of the three corners (perspective-correct).
    fn triangle<F>(&self, v: [Vec3; 3], facing: Facing, plot: F)
    where
        F: FnMut(usize, usize, f32, &dyn Fn() -> Vec3),
    {
        if !v.iter().all(|p| p.is_finite()) {
            return;
        }
        // Seen from its front when its normal (counter-clockwise, right-handed) points back
        // towards the camera.
        let sight = if self.scale.is_orthographic() {
            Vec3::NEG_Z
        } else {
            v[0]
        };
        let toward_camera = (v[1] - v[0]).cross(v[2] - v[0]).dot(sight) < 0.0;
        let culled = match facing {
            Facing::Both => false,
            Facing::CounterClockwise => !toward_camera,
            Facing::Clockwise => toward_camera,
        };
        if culled {
            return;
        }
        // Clipped to the near plane (depth = −z ≥ near): at most four corners, each with its
        // weights of the triangle's three.
        let mut corners = [(Vec3::ZERO, Vec3::ZERO); 4];
        let mut count = 0;
        for k in 0..3 {
            let (p, q) = (v[k], v[(k + 1) % 3]);
            let (wp, wq) = (Vec3::AXES[k], Vec3::AXES[(k + 1) % 3]);
            let (dp, dq) = (-p.z - self.near, -q.z - self.near);
            if dp >= 0.0 {
                corners[count] = (p, wp);
                count += 1;
            }
            if (dp >= 0.0) != (dq >= 0.0) {
                let s = dp / (dp - dq);
                corners[count] = (p + (q - p) * s, wp + (wq - wp) * s);
                count += 1;
            }
        }
        if count < 3 {
            return;
        }
        // On the image: the pixel and the inverse depth, which is linear across the screen
        // (the depth itself in an orthographic view).
        let on_image = |p: Vec3| {
            let depth = (-p.z).max(self.near);
            let pixel = self.half + Vec2::new(p.x, -p.y) * self.scale.at(depth);
            match self.scale {
                PxScale::Orthographic { .. } => (pixel, depth),
                PxScale::Perspective { .. } => (pixel, 1.0 / depth),
            }
        };
        let mut projected = [(Vec2::ZERO, 0.0, Vec3::ZERO); 4];
        for (out, &(corner, weights)) in projected.iter_mut().zip(&corners[..count]) {
            let (pixel, linear) = on_image(corner);
            *out = (pixel, linear, weights);
        }
        let mut plot = plot;
        for k in 1..count - 1 {
            self.fill([projected[0], projected[k], projected[k + 1]], &mut plot);
        }
    }

    /// Plots the pixels of the window whose centres a projected triangle covers (edges
    /// included), given its corners' pixels and what is linear across the screen (see
    /// `triangle`).
    fn fill<F>(&self, [(a, ia, ba), (b, ib, bb), (c, ic, bc)]: [(Vec2, f32, Vec3); 3], plot: &mut F)
    where
        F: FnMut(usize, usize, f32, &dyn Fn() -> Vec3),
    {
        let area = (b - a).perp_dot(c - a);
        if !area.is_finite() || area == 0.0 {
            return;
        }
        let lo = a.min(b).min(c);
        let hi = a.max(b).max(c);
        let [wx0, wy0, wx1, wy1] = self.window;
        // Pixel x's centre is at x + 0.5.
        let x0 = (lo.x - 0.5).ceil().max(wx0 as f32);
        let y0 = (lo.y - 0.5).ceil().max(wy0 as f32);
        let x1 = (hi.x - 0.5)
            .floor()
            .min(wx1.min(self.width.saturating_sub(1)) as f32);
        let y1 = (hi.y - 0.5)
            .floor()
            .min(wy1.min(self.height.saturating_sub(1)) as f32);
        if !(x0 <= x1 && y0 <= y1) {
            return;
        }
        let (x0, y0, x1, y1) = (x0 as usize, y0 as usize, x1 as usize, y1 as usize);
        let inv_area = 1.0 / area;
        for y in y0..=y1 {
            for x in x0..=x1 {
                let p = Vec2::new(x as f32 + 0.5, y as f32 + 0.5);
                // Barycentric weights, each ≥ 0 inside (whichever way the triangle winds).
                let wa = (c - b).perp_dot(p - b) * inv_area;
                let wb = (a - c).perp_dot(p - c) * inv_area;
                let wc = 1.0 - wa - wb;
                if wa < 0.0 || wb < 0.0 || wc < 0.0 {
                    continue;
                }
                let linear = wa * ia + wb * ib + wc * ic;
                if linear > 0.0 {
                    let depth = if self.scale.is_orthographic() {
                        linear
                    } else {
                        1.0 / linear
                    };
                    // Weights of the original corners: linear across the screen in an
                    // orthographic view, else over depth (as any attribute).
                    let bary = || {
                        if self.scale.is_orthographic() {
                            ba * wa + bb * wb + bc * wc
                        } else {
                            (ba * (wa * ia) + bb * (wb * ib) + bc * (wc * ic)) / linear
                        }
                    };
                    plot(x, y, depth, &bary);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::shapes;
    use crate::pick::front::tests::view;
    use crate::scene::{Material, Transform};
    use glam::Quat;

    /// A 4 × 4 m plane facing +Z (the camera) at `z`, turned by `turn` about Y first.
    fn wall(scene: &mut Scene, z: f32, turn: f32, material: Material) {
        let mesh = scene.add_mesh(shapes::plane(Vec2::splat(4.0), 1));
        let material = scene.add_material(material);
        scene.add_node(
            None,
            "Wall",
            Transform::from_translation(Vec3::new(0.0, 0.0, z)).with_rotation(
                Quat::from_rotation_y(turn) * Quat::from_rotation_x(std::f32::consts::FRAC_PI_2),
            ),
            NodeKind::Mesh { mesh, material },
        );
    }

    fn grey() -> Material {
        Material::named("Grey", [0.5, 0.5, 0.5, 1.0], 0.5)
    }

    #[test]
    fn an_opaque_wall_covers_its_pixels_at_its_depth() {
        let mut scene = Scene::new("Wall");
        // 2 m in front of the origin: 8 m from the camera, ±2 m → ±25 px about the middle.
        wall(&mut scene, 2.0, 0.0, grey());
        let depth = mesh_depth(&scene, &view());
        assert_eq!(depth.size(), (200, 200));
        assert!(
            (depth.at(100, 100) - 8.0).abs() < 1e-3,
            "{}",
            depth.at(100, 100)
        );
        assert!((depth.at(76, 124) - 8.0).abs() < 1e-3);
        assert!(depth.at(74, 100).is_infinite() && depth.at(126, 100).is_infinite());
        // Two walls: the nearer wins.
        wall(&mut scene, 4.0, 0.0, grey());
        assert!((mesh_depth(&scene, &view()).at(100, 100) - 6.0).abs() < 1e-3);
    }

    #[test]
    fn a_window_keeps_only_its_pixels_at_the_whole_views_depths() {
        let mut scene = Scene::new("Wall");
        wall(&mut scene, 2.0, 0.0, grey());
        let view = view();
        let whole = mesh_depth(&scene, &view);
        let (width, height) = image_size(&view);
        let [opaque, _] = shown_meshes(&scene, &scene.walk(), &view);
        let window = opaque_image(
            &opaque,
            &Raster::new(&view, width, height, Some([90, 95, 109, 104])),
        );
        assert_eq!(window.size(), (20, 10), "only the window is kept");
        let wall_node = scene.roots()[0];
        for (x, y) in [(90, 95), (100, 100), (109, 104)] {
            assert_eq!(window.at(x, y), whole.at(x, y), "({x}, {y})");
            assert_eq!(window.node_at(x, y), Some(wall_node));
        }
        // The wall covers these too, but they lie outside the window.
        for (x, y) in [(89, 100), (110, 100), (100, 94), (100, 105), (80, 80)] {
            assert!(whole.at(x, y).is_finite());
            assert!(window.at(x, y).is_infinite(), "({x}, {y})");
            assert_eq!(window.node_at(x, y), None);
        }
    }

    #[test]
    fn depth_is_perspective_correct_across_a_slanted_wall() {
        let mut scene = Scene::new("Slanted");
        // Turned 60° about Y: x = 0.5 s, z = −0.866 s along the wall.
        wall(&mut scene, 0.0, std::f32::consts::FRAC_PI_3, grey());
        let depth = mesh_depth(&scene, &view());
        for x in [90usize, 100, 105] {
            // The ray (slope t, 0, 10 − t) through pixel x's centre meets the wall's line
            // z = −√3 x at depth t = 10 / (1 − √3 slope).
            let slope = (x as f32 + 0.5 - 100.0) / 100.0;
            let expected = 10.0 / (1.0 - 3f32.sqrt() * slope);
            let got = depth.at(x, 100);
            assert!(
                (got - expected).abs() < 1e-3 * expected,
                "{x}: {got} vs {expected}"
            );
        }
    }

    /// [`view`] made orthographic: 10 m tall over its 200 px (20 px per metre).
    fn ortho_view() -> PickView {
        let v = view();
        PickView::new(
            crate::scene::CameraView {
                ortho: Some(crate::scene::Ortho {
                    half_height: 5.0,
                    far: 100.0,
                }),
                ..v.view
            },
            v.size_px().x,
            v.size_px().y,
        )
    }

    #[test]
    fn orthographic_depth_is_linear_and_walls_keep_their_size_at_any_depth() {
        for z in [2.0, -30.0] {
            let mut scene = Scene::new("Wall");
            wall(&mut scene, z, 0.0, grey());
            let depth = mesh_depth(&scene, &ortho_view());
            // ±2 m → ±40 px about the middle, wherever the wall stands.
            assert!((depth.at(100, 100) - (10.0 - z)).abs() < 1e-3, "{z}");
            assert!(depth.at(61, 139).is_finite() && depth.at(138, 61).is_finite());
            assert!(depth.at(59, 100).is_infinite() && depth.at(141, 100).is_infinite());
            assert_eq!(depth.covered(), 80 * 80, "{z}");
        }
        // Across a wall turned 60° the depth runs linearly with x: z = −√3 x.
        let mut scene = Scene::new("Slanted");
        wall(&mut scene, 0.0, std::f32::consts::FRAC_PI_3, grey());
        let depth = mesh_depth(&scene, &ortho_view());
        for x in [90usize, 100, 105] {
            let metres = (x as f32 + 0.5 - 100.0) / 20.0;
            let expected = 10.0 + 3f32.sqrt() * metres;
            let got = depth.at(x, 100);
            assert!((got - expected).abs() < 1e-3, "{x}: {got} vs {expected}");
        }
        // Its back face, single-sided, hides nothing from an orthographic view either.
        let mut scene = Scene::new("Behind");
        wall(&mut scene, 2.0, std::f32::consts::PI, grey());
        assert!(mesh_depth(&scene, &ortho_view()).is_empty());
    }

    #[test]
    fn back_faces_of_single_sided_walls_and_see_through_materials_hide_nothing() {
        let seen_from_behind = |material: Material| {
            let mut scene = Scene::new("Behind");
            wall(&mut scene, 2.0, std::f32::consts::PI, material);
            mesh_depth(&scene, &view()).is_empty()
        };
        assert!(seen_from_behind(grey()));
        assert!(!seen_from_behind(Material {
            double_sided: true,
            ..grey()
        }));
        for material in [
            Material {
                alpha_mode: AlphaMode::Blend,
                ..grey()
            },
            // Masked, and every point of it below the cutoff: all hole.
            Material {
                alpha_mode: AlphaMode::Mask { cutoff: 0.5 },
                base_color: [0.5, 0.5, 0.5, 0.3],
                ..grey()
            },
            Material {
                transmission: 1.0,
                ..grey()
            },
        ] {
            let mut scene = Scene::new("See-through");
            wall(&mut scene, 2.0, 0.0, material.clone());
            assert!(mesh_depth(&scene, &view()).is_empty(), "{material:?}");
        }
        // A hidden wall hides nothing.
        let mut scene = Scene::new("Hidden");
        wall(&mut scene, 2.0, 0.0, grey());
        let node = scene.roots()[0];
        scene.set_visible(node, false);
        assert!(mesh_depth(&scene, &view()).is_empty());
    }

    #[test]
    fn a_masked_wall_hides_only_where_its_alpha_reaches_the_cutoff() {
        use crate::scene::{Filter, Image, Sampler, TextureRef};
        // Alpha in 8 columns across the wall: solid, hole, solid, … (nearest filtering). The
        // wall spans pixels 75..125 of the middle row, each column 6.25 px wide.
        let columns: Vec<u8> = (0..8)
            .flat_map(|i| [128, 128, 128, if i % 2 == 0 { 255 } else { 0 }])
            .collect();
        let fence = |turn: f32| {
            let mut scene = Scene::new("Fence");
            let image = Image::new("Columns", 8, 1, columns.clone()).expect("8 x 1");
            let image = scene.add_image(image);
            let sampler = Sampler {
                mag_filter: Filter::Nearest,
                ..Sampler::default()
            };
            let masked = Material {
                alpha_mode: AlphaMode::Mask { cutoff: 0.5 },
                base_color_texture: Some(TextureRef::new(image, sampler)),
                ..grey()
            };
            wall(&mut scene, 2.0, turn, masked);
            mesh_depth(&scene, &view())
        };
        let depth = fence(0.0);
        let row: Vec<bool> = (75..125).map(|x| depth.at(x, 100).is_finite()).collect();
        for (i, &covered) in row.iter().enumerate() {
            let column = (i as f32 + 0.5) / 6.25;
            // Away from the columns' edges, solid columns hide and holes do not.
            if (column - column.round()).abs() > 0.1 {
                assert_eq!(
                    covered,
                    (column.floor() as usize).is_multiple_of(2),
                    "pixel {}",
                    75 + i
                );
            }
        }
        assert!((depth.at(77, 100) - 8.0).abs() < 1e-3);
        // Half the wall hides, half shows through (holes of equal width).
        let hidden = depth.covered();
        assert!((1150..=1350).contains(&hidden), "{hidden} pixels hidden");
        // Seen at a slant (perspective-correct weights), the columns still alternate: the
        // wall turned 60° spans fewer pixels, but each of its 8 columns shows.
        let depth = fence(1.0);
        let row: Vec<bool> = (0..200).map(|x| depth.at(x, 100).is_finite()).collect();
        let runs = row.windows(2).filter(|w| w[0] && !w[1]).count();
        assert_eq!(runs, 4, "{row:?}");
        // Where the columns' edges (u = k / 8) project, within a pixel: weights interpolated
        // linearly on screen instead would shift the middle edges by several pixels.
        let view = view();
        let clip_from_world = view.clip_from_world();
        let along = Vec3::new(1.0f32.cos(), 0.0, -1.0f32.sin());
        let expected: Vec<f32> = (0..8)
            .map(|k| {
                let p = Vec3::new(0.0, 0.0, 2.0) + along * (4.0 * k as f32 / 8.0 - 2.0);
                view.project(&clip_from_world, p).expect("in view").x
            })
            .collect();
        let edges: Vec<f32> = (0..199)
            .filter(|&x| row[x] != row[x + 1])
            .map(|x| x as f32 + 1.0)
            .collect();
        assert_eq!(edges.len(), 8, "{edges:?} against {expected:?}");
        for (e, x) in edges.iter().zip(&expected) {
            assert!((e - x).abs() <= 1.0, "{edges:?} against {expected:?}");
        }
    }

    #[test]
    fn another_clouds_surface_in_front_of_a_wall_takes_its_pixels() {
        use crate::pick::{FrontElements, Surface, surface};
        // The wall at z = 2 (8 m from the camera); points drawn 6 px wide at x = −1 in front
        // of it (z = 3) and at x = 1 behind it (z = 0).
        let mut scene = Scene::new("Wall");
        wall(&mut scene, 2.0, 0.0, grey());
        let wall_node = scene.roots()[0];
        let positions = [[-1.0, 0.0, 3.0], [1.0, 0.0, 0.0]];
        let elements = FrontElements::Points {
            positions: &positions,
            size_px: 6.0,
        };
        let cloud = surface(&view(), Mat4::IDENTITY, elements, |_| false);
        let mut occluders = mesh_depth(&scene, &view());
        let behind = occluders.at(110, 100);
        occluders.hide_behind_surface(&cloud);
        // In front: the point's depth (7 m), no mesh's pixel.
        let front = occluders.at(86, 100);
        assert!((front - 7.0).abs() < 0.1, "{front}");
        assert_eq!(occluders.node_at(86, 100), None);
        // Behind the wall: the wall's, still.
        assert_eq!(occluders.at(110, 100), behind);
        assert!((behind - 8.0).abs() < 0.1, "{behind}");
        assert_eq!(occluders.node_at(110, 100), Some(wall_node));
        // A surface of another size changes nothing.
        let before = occluders.clone();
        occluders.hide_behind_surface(&Surface::default());
        assert_eq!(occluders, before);
    }

    #[test]
    fn a_wall_hides_the_elements_behind_it_from_a_selection_of_what_is_seen() {
        use crate::pick::{FrontElements, ScreenShape, in_front_at, select_visible, surface};
        use crate::scene::SplatCloud;
        // Side by side, 1 m apart: in front of the wall at z = 2, on it (within their size)
        // and 2 m behind it; splats 1 m across, and points drawn 4 px wide.
        let positions = vec![[-1.0, 0.0, 3.0], [0.0, 0.0, 2.05], [1.0, 0.0, 0.0]];
        let cloud = SplatCloud::new(
            positions.clone(),
            vec![[0.0, 0.0, 0.0, 1.0]; 3],
            vec![[0.5; 3]; 3],
            vec![1.0; 3],
            vec![[0.5; 3]; 3],
            0,
            Vec::new(),
        )
        .unwrap();
        // Their centres land at pixels 85.7, 100 and 110 of the middle row.
        let centres = [85.7, 100.0, 110.0].map(|x| Vec2::new(x, 100.0));
        let all = ScreenShape::Rect {
            min: Vec2::new(70.0, 90.0),
            max: Vec2::new(130.0, 110.0),
        };
        let mut scene = Scene::new("Wall");
        wall(&mut scene, 2.0, 0.0, grey());
        let occluders = mesh_depth(&scene, &view());
        for elements in [
            FrontElements::Splats(&cloud),
            FrontElements::Points {
                positions: &positions,
                size_px: 4.0,
            },
        ] {
            let seen = |occluded: bool| {
                let mut surface = surface(&view(), Mat4::IDENTITY, elements, |_| false);
                if occluded {
                    surface.hide_behind(&occluders);
                }
                let mask =
                    select_visible(&surface, &view(), Mat4::IDENTITY, elements, |_| false, &all);
                let taken: Vec<bool> = (0..3).map(|i| mask.get(i)).collect();
                let clicked: Vec<bool> = (0..3)
                    .map(|i| {
                        let at = centres[i];
                        in_front_at(&surface, &view(), Mat4::IDENTITY, elements, i, at)
                    })
                    .collect();
                (taken, clicked)
            };
            let everything = vec![true; 3];
            assert_eq!(
                seen(false),
                (everything.clone(), everything),
                "{elements:?}"
            );
            let in_front = vec![true, true, false];
            assert_eq!(seen(true), (in_front.clone(), in_front), "{elements:?}");
        }
    }

    #[test]
    fn a_mirrored_wall_keeps_its_front_and_a_wall_through_the_camera_is_clipped() {
        // Mirrored in X and seen from the front: still there.
        let mut scene = Scene::new("Mirror");
        let mesh = scene.add_mesh(shapes::plane(Vec2::splat(4.0), 1));
        let material = scene.add_material(grey());
        scene.add_node(
            None,
            "Mirrored",
            Transform::IDENTITY
                .with_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2))
                .with_scale(Vec3::new(-1.0, 1.0, 1.0)),
            NodeKind::Mesh { mesh, material },
        );
        assert!((mesh_depth(&scene, &view()).at(100, 100) - 10.0).abs() < 1e-3);
        // A floor reaching from behind the camera to far ahead: clipped at the near plane,
        // its far part covers the lower half of the image.
        let mut scene = Scene::new("Floor");
        let mesh = scene.add_mesh(shapes::plane(Vec2::splat(100.0), 1));
        let material = scene.add_material(grey());
        scene.add_node(
            None,
            "Floor",
            Transform::from_translation(Vec3::new(0.0, -1.0, 0.0)),
            NodeKind::Mesh { mesh, material },
        );
        let depth = mesh_depth(&scene, &view());
        // Pixel row y sees the floor (1 m down) at depth 100 / (y + 0.5 − 100).
        let got = depth.at(100, 150);
        assert!((got - 100.0 / 50.5).abs() < 1e-3, "{got}");
        assert!(depth.at(100, 90).is_infinite());
    }
}
