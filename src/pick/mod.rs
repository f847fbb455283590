//! `pick` answers "which node is under this pixel?" and "which nodes are inside this
//! rectangle?" on the CPU, by casting rays from the same camera the renderer draws with. It
//! reads the scene and never mutates it; it knows nothing of the GPU, egui or winit, so it
//! works headless and in tests.
//!
//! * **Meshes**: the nearest triangle (either side) along the ray, through a BVH per mesh
//!   ([`bvh`], binned SAH), built on first use and cached by [`Mesh::content_id`], so
//!   instances share one and a million triangles are sorted once.
//! * **Point clouds** (picked as a whole): the nearest point whose on-screen disc
//!   (`point_size_px` wide, at least [`POINT_SLACK_PX`] in radius) covers the cursor.
//! * **Line sets** (picked as a whole): the nearest segment passing within half its width
//!   (at least [`POINT_SLACK_PX`]) of the cursor on screen, through a BVH over segments.
//! * **Splat clouds** (picked as a whole): the nearest splat whose 2σ ellipsoid the ray
//!   crosses, or whose centre lies within [`SPLAT_CENTRE_PX`] of the cursor; splats fainter than
//!   [`MIN_SPLAT_OPACITY`] are ignored. Both kinds of cloud keep a BVH per content id.
//! * **Lights and cameras**: their viewport icon, by screen distance to the icon's centre
//!   (the projected icon radius, at least [`ICON_MIN_PX`]); an icon the viewer stands in
//!   (looking through that camera) is left out.
//! * **Bones** (skins' joints, drawn in front of everything): picked before anything else
//!   when the cursor is within [`BONE_PICK_PX`] of one's projected axis, the nearest on
//!   screen winning.
//!
//! Hidden nodes (or under a hidden node) and locked nodes (or under a locked node) are never
//! picked. The nearest hit along the ray wins.
//!
//! [`Mesh::content_id`]: crate::scene::Mesh::content_id

mod alpha;
mod bvh;
mod front;
mod occluders;
mod screen_select;

pub use front::{FrontElements, OPAQUE_ALPHA, Surface, in_front_at, select_visible, surface};
pub use occluders::{MeshesInBox, Occluders, mesh_depth};
pub use screen_select::{ScreenShape, project_centres, select_in_shape, select_projected};

use crate::scene::{
    CameraView, LightKind, Mesh, NodeId, NodeKind, PointCloud, Scene, SplatCloud, WorldNode,
};
use alpha::AlphaCoverage;
use bvh::{Bounds, Bvh};
use glam::{Mat4, Quat, Vec2, Vec3, Vec4Swizzles as _};
use std::collections::HashMap;
use std::sync::Arc;

/// Smallest pick radius of a point, in pixels, however small the points are drawn.
pub const POINT_SLACK_PX: f32 = 3.0;
/// Splat clouds larger than this get their picking BVH on a worker thread.
pub const BACKGROUND_BUILD_SPLATS: usize = 500_000;

/// Splat centres tested by a box selection while the cloud's BVH is still being built.
const BOX_SAMPLE_SPLATS: usize = 200_000;

/// A splat whose centre is this close to the cursor (pixels) is hit.
pub const SPLAT_CENTRE_PX: f32 = 4.0;
/// Splats fainter than this cannot be picked (they barely show).
pub const MIN_SPLAT_OPACITY: f32 = 1.0 / 16.0;
/// How close to a bone's projected axis (pixels) a click picks its joint.
pub const BONE_PICK_PX: f32 = 6.0;
/// Smallest pick radius of a light or camera icon, in pixels.
pub const ICON_MIN_PX: f32 = 10.0;
/// Cloud elements per BVH leaf, at least: millions of points make a shallower tree that
/// builds faster, at little cost per pick (a leaf's elements are cheap to test).
const CLOUD_LEAF: usize = 8;
/// Splat extent used for picking, in standard deviations.
const SPLAT_SIGMAS: f32 = 2.0;

/// The camera and the size of the image it renders, in physical pixels: what a pixel
/// position means.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PickView {
    pub view: CameraView,
    pub size_px: Vec2,
    /// Pixels per UI point (the renderer's `RenderSettings::pixels_per_point`): point discs
    /// and line widths are drawn this many times their size in pixels, and the least pick
    /// radii are in points too, so a HiDPI viewport picks what it shows.
    pub pixels_per_point: f32,
}

/// Pixels per metre across a view's image: the focal length over the depth in perspective,
/// one figure at every depth in an orthographic view ([`PickView::px_scale`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum PxScale {
    Perspective { focal_px: f32 },
    Orthographic { px_per_metre: f32 },
}

impl PxScale {
    /// Pixels per metre at view depth `depth`.
    pub(crate) fn at(self, depth: f32) -> f32 {
        match self {
            PxScale::Perspective { focal_px } => focal_px / depth,
            PxScale::Orthographic { px_per_metre } => px_per_metre,
        }
    }

    pub(crate) fn is_orthographic(self) -> bool {
        matches!(self, PxScale::Orthographic { .. })
    }
}

/// A ray in world space: `origin + t · dir`, `dir` of unit length (so `t` is metres).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ray {
    pub origin: Vec3,
    pub dir: Vec3,
}

impl PickView {
    pub fn new(view: CameraView, width_px: f32, height_px: f32) -> Self {
        Self {
            view,
            size_px: Vec2::new(width_px.max(1.0), height_px.max(1.0)),
            pixels_per_point: 1.0,
        }
    }

    /// The same view on a display of `pixels_per_point`, taken as the renderer takes it
    /// ([`crate::scene::ui_scale`]).
    pub fn with_pixels_per_point(mut self, pixels_per_point: f32) -> Self {
        self.pixels_per_point = crate::scene::ui_scale(pixels_per_point);
        self
    }

    /// How far from the cursor, in pixels, a point disc or a line `width` UI points wide
    /// is picked: half its width, at least [`POINT_SLACK_PX`], as this display draws it.
    fn reach_px(&self, width: f32) -> f32 {
        (width * 0.5).max(POINT_SLACK_PX) * self.pixels_per_point
    }

    fn aspect(&self) -> f32 {
        self.size_px.x / self.size_px.y
    }

    /// The image's size in pixels.
    pub fn size_px(&self) -> Vec2 {
        self.size_px
    }

    /// Pixels per unit of `x / depth` (the focal length in pixels); perspective only, see
    /// [`Self::px_per_metre`].
    pub(crate) fn focal_px(&self) -> f32 {
        self.size_px.y * 0.5 / (self.view.fov_y_rad * 0.5).tan().max(1e-6)
    }

    /// Pixels per metre across the view at view depth `depth` (the same at every depth in an
    /// orthographic view).
    pub(crate) fn px_per_metre(&self, depth: f32) -> f32 {
        1.0 / self.view.metres_per_px(depth, self.size_px.y)
    }

    /// [`Self::px_per_metre`] as a figure to keep for loops over many elements.
    pub(crate) fn px_scale(&self) -> PxScale {
        match self.view.ortho {
            Some(_) => PxScale::Orthographic {
                px_per_metre: self.px_per_metre(1.0),
            },
            None => PxScale::Perspective {
                focal_px: self.focal_px(),
            },
        }
    }

    /// `clip_from_world` exactly as the renderer builds it.
    pub fn clip_from_world(&self) -> Mat4 {
        self.view.clip_from_world(self.aspect())
    }

    /// The ray through a point of the image, in pixels from its top-left corner (a pixel's
    /// centre is at `+0.5`). It inverts [`CameraView::clip_from_view`]: the same frustum.
    pub fn ray(&self, pixel: Vec2) -> Ray {
        let ndc = Vec2::new(
            2.0 * pixel.x / self.size_px.x - 1.0,
            1.0 - 2.0 * pixel.y / self.size_px.y,
        );
        let world_from_view = self.view.world_from_view;
        if let Some(o) = self.view.ortho {
            // Parallel rays from the eye's plane.
            let h = o.half_height;
            return Ray {
                origin: world_from_view.transform_point3(Vec3::new(
                    ndc.x * h * self.aspect(),
                    ndc.y * h,
                    0.0,
                )),
                dir: self.view.forward(),
            };
        }
        let tan_half = (self.view.fov_y_rad * 0.5).tan();
        let dir_in_view = Vec3::new(ndc.x * tan_half * self.aspect(), ndc.y * tan_half, -1.0);
        Ray {
            origin: world_from_view.transform_point3(Vec3::ZERO),
            dir: world_from_view
                .transform_vector3(dir_in_view)
                .normalize_or(Vec3::NEG_Z),
        }
    }

    /// Where a point lands in the image (pixels), given `clip_from_x` for its space; `None`
    /// if it is behind the camera or at its centre of projection.
    fn project(&self, clip_from_x: &Mat4, p: Vec3) -> Option<Vec2> {
        let clip = *clip_from_x * p.extend(1.0);
        let behind = match self.view.ortho {
            // Depth 1 at the near plane, rising behind it (reverse Z, w = 1).
            Some(_) => clip.z > clip.w || clip.z.is_nan(),
            None => clip.w <= self.view.near * 0.5,
        };
        if behind {
            return None;
        }
        let ndc = clip.xy() / clip.w;
        Some(Vec2::new(
            (ndc.x + 1.0) * 0.5 * self.size_px.x,
            (1.0 - ndc.y) * 0.5 * self.size_px.y,
        ))
    }

    /// Conservative screen rectangle of a box given in the space of `clip_from_x`; `None`
    /// when part of it is behind the camera (then it may cover anything).
    fn project_bounds(&self, clip_from_x: &Mat4, b: Bounds) -> Option<(Vec2, Vec2)> {
        let mut lo = Vec2::splat(f32::INFINITY);
        let mut hi = Vec2::splat(f32::NEG_INFINITY);
        for i in 0..8 {
            let corner = Vec3::new(
                if i & 1 == 0 { b.min.x } else { b.max.x },
                if i & 2 == 0 { b.min.y } else { b.max.y },
                if i & 4 == 0 { b.min.z } else { b.max.z },
            );
            let p = self.project(clip_from_x, corner)?;
            lo = lo.min(p);
            hi = hi.max(p);
        }
        Some((lo, hi))
    }
}

/// What a pick found: the node and how far along the ray (metres).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub node: NodeId,
    pub distance: f32,
}

/// Picking options that follow the viewport's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PickOptions {
    /// Light and camera icons are drawn (and so can be picked).
    pub icons: bool,
    /// Bones are drawn (and so can be picked).
    pub bones: bool,
    /// X-ray: a box selection takes what lies inside it behind other objects too; off (as
    /// Blender's default) it takes only what can be seen inside it.
    pub xray: bool,
}

impl Default for PickOptions {
    fn default() -> Self {
        Self {
            icons: true,
            bones: true,
            xray: false,
        }
    }
}

/// Acceleration structures, built on first use and kept per content id; entries whose
/// content left the scene are dropped on the next query.
#[derive(Clone, Debug, Default)]
pub struct Picker {
    meshes: HashMap<u64, Arc<Bvh>>,
    points: HashMap<u64, Arc<Bvh>>,
    /// Over the segments of point clouds that have them, by the cloud's content id.
    segments: HashMap<u64, Arc<Bvh>>,
    splats: HashMap<u64, Arc<Bvh>>,
    /// Splat-cloud BVHs being built on worker threads (`None` until done), by content id:
    /// building one for millions of splats takes seconds, which a click must not wait for.
    building: Arc<std::sync::Mutex<HashMap<u64, Option<Arc<Bvh>>>>>,
    /// Where the sun icon floats, for the scene revision (structure, transforms) it was
    /// computed for: it needs the bounds of everything, too slow to find on every click.
    sun_at: Option<((u64, u64), Vec3)>,
}

/// A node that can be picked, with its world matrix.
struct Candidate<'a> {
    id: NodeId,
    kind: &'a NodeKind,
    world_from_local: Mat4,
}

/// Visible, unlocked nodes in outliner order (a hidden or locked node hides or locks what is
/// under it).
fn candidates<'a>(walk: &[WorldNode<'a>]) -> Vec<Candidate<'a>> {
    let mut locked: Vec<bool> = Vec::new();
    let mut out = Vec::new();
    for wn in walk {
        locked.truncate(wn.depth);
        let here = locked.last().copied().unwrap_or(false) || wn.node.locked;
        locked.push(here);
        if wn.visible && !here {
            out.push(Candidate {
                id: wn.node.id,
                kind: &wn.node.kind,
                world_from_local: wn.world_from_local,
            });
        }
    }
    out
}

/// The largest factor by which a matrix stretches lengths (its largest column length, an
/// upper bound for rotation × scale).
fn max_scale(m: &Mat4) -> f32 {
    m.x_axis
        .truncate()
        .length()
        .max(m.y_axis.truncate().length())
        .max(m.z_axis.truncate().length())
}

/// Where an icon of a light or camera sits (world) and its radius (metres), as
/// `render::icons` draws it; `sun_at` is where the sun icon floats.
fn icon_sphere(kind: &NodeKind, world_from_local: &Mat4, sun_at: Vec3) -> Option<(Vec3, f32)> {
    let (_, rotation, position) = world_from_local.to_scale_rotation_translation();
    let at = |local: Vec3| position + rotation * local;
    match kind {
        NodeKind::Light(l) => match l.kind {
            LightKind::Point => Some((position, 0.3)),
            LightKind::Spot { .. } => Some((at(Vec3::new(0.0, 0.0, -0.75)), 0.9)),
            LightKind::Directional => Some((sun_at, 1.8)),
        },
        NodeKind::Camera(_) => Some((at(Vec3::new(0.0, 0.0, -0.5)), 0.8)),
        _ => None,
    }
}

impl Picker {
    /// Where the sun icon floats, cached per scene revision.
    fn sun_icon_position(&mut self, scene: &Scene) -> Vec3 {
        let revision = scene.revision();
        let key = (revision.structure, revision.transforms);
        match self.sun_at {
            Some((k, at)) if k == key => at,
            _ => {
                let at = sun_icon_position(scene);
                self.sun_at = Some((key, at));
                at
            }
        }
    }
}

/// The joint whose bone (as `render::icons` draws it) passes nearest the cursor on screen,
/// within [`BONE_PICK_PX`]; locked joints are left out.
fn pick_bone(scene: &Scene, walk: &[WorldNode<'_>], view: &PickView, pixel: Vec2) -> Option<Hit> {
    let bones = scene.bones();
    if bones.is_empty() {
        return None;
    }
    let pickable: std::collections::HashSet<NodeId> =
        candidates(walk).into_iter().map(|c| c.id).collect();
    let clip_from_world = view.clip_from_world();
    let ray = view.ray(pixel);
    let mut best: Option<(f32, Hit)> = None;
    for bone in bones.iter().filter(|b| pickable.contains(&b.joint)) {
        let (Some(a), Some(b)) = (
            view.project(&clip_from_world, bone.head),
            view.project(&clip_from_world, bone.tail),
        ) else {
            continue;
        };
        let ab = b - a;
        let s = if ab.length_squared() > 0.0 {
            ((pixel - a).dot(ab) / ab.length_squared()).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let off = pixel.distance(a + ab * s);
        if off > BONE_PICK_PX || best.is_some_and(|(d, _)| d <= off) {
            continue;
        }
        let at = bone.head.lerp(bone.tail, s);
        best = Some((
            off,
            Hit {
                node: bone.joint,
                distance: (at - ray.origin).length(),
            },
        ));
    }
    best.map(|(_, hit)| hit)
}

/// Where the sun icon floats: above the middle of the world (see `render::icons`).
fn sun_icon_position(scene: &Scene) -> Vec3 {
    let bounds = scene.framing_bounds();
    if bounds.is_empty() {
        Vec3::new(0.0, 5.0, 0.0)
    } else {
        let c = bounds.center();
        Vec3::new(c.x, bounds.max.y + 5.0, c.z)
    }
}

/// The `t` at which a ray from `origin` along `dir` crosses triangle `a b c` (either side),
/// and the crossing's barycentric weights of `a`, `b` and `c`.
fn ray_triangle_at(origin: Vec3, dir: Vec3, a: Vec3, b: Vec3, c: Vec3) -> Option<(f32, Vec3)> {
    // Möller–Trumbore.
    let e1 = b - a;
    let e2 = c - a;
    let p = dir.cross(e2);
    let det = e1.dot(p);
    if det.abs() < 1e-12 {
        return None;
    }
    let inv = 1.0 / det;
    let s = origin - a;
    let u = s.dot(p) * inv;
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let q = s.cross(e1);
    let v = dir.dot(q) * inv;
    if v < 0.0 || u + v > 1.0 {
        return None;
    }
    let t = e2.dot(q) * inv;
    (t > 0.0).then_some((t, Vec3::new(1.0 - u - v, u, v)))
}

/// The `t` at which a ray enters the unit sphere around the origin, if it does (`t > 0`; from
/// inside, the exit).
fn ray_unit_sphere(origin: Vec3, dir: Vec3) -> Option<f32> {
    let a = dir.length_squared();
    if a <= 0.0 {
        return None;
    }
    let b = origin.dot(dir);
    let c = origin.length_squared() - 1.0;
    let disc = b * b - a * c;
    if disc < 0.0 {
        return None;
    }
    let root = disc.sqrt();
    let t0 = (-b - root) / a;
    let t1 = (-b + root) / a;
    if t0 > 0.0 {
        Some(t0)
    } else if t1 > 0.0 {
        Some(t1)
    } else {
        None
    }
}

fn triangle(mesh: &Mesh, tri: u32) -> Option<[Vec3; 3]> {
    let i = tri as usize * 3;
    let idx = mesh.indices.get(i..i + 3)?;
    let p = |k: u32| mesh.positions.get(k as usize).map(|p| Vec3::from(*p));
    Some([p(idx[0])?, p(idx[1])?, p(idx[2])?])
}

fn mesh_bvh(mesh: &Mesh) -> Bvh {
    let prims: Vec<Bounds> = (0..mesh.triangle_count() as u32)
        .map(|t| {
            triangle(mesh, t).map_or(Bounds::EMPTY, |[a, b, c]| {
                Bounds::EMPTY.grow(a).grow(b).grow(c)
            })
        })
        .collect();
    Bvh::build(&prims)
}

fn segments_bvh(cloud: &PointCloud) -> Bvh {
    let prims: Vec<Bounds> = cloud
        .segments
        .iter()
        .map(|s| {
            s.iter()
                .filter_map(|&i| cloud.positions.get(i as usize))
                .fold(Bounds::EMPTY, |b, p| b.grow(Vec3::from(*p)))
        })
        .collect();
    Bvh::build_with_leaf(&prims, CLOUD_LEAF)
}

/// Where on the screen segment `a`–`b` the point nearest `pixel` lies (0 at `a`, 1 at `b`)
/// and its squared distance from `pixel`.
fn nearest_on_segment(a: Vec2, b: Vec2, pixel: Vec2) -> (f32, f32) {
    let ab = b - a;
    let len2 = ab.length_squared();
    let s = if len2 > 0.0 {
        ((pixel - a).dot(ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (s, (a + ab * s).distance_squared(pixel))
}

fn points_bvh(cloud: &PointCloud) -> Bvh {
    let prims: Vec<Bounds> = cloud
        .positions
        .iter()
        .map(|p| Bounds::EMPTY.grow(Vec3::from(*p)))
        .collect();
    Bvh::build_with_leaf(&prims, CLOUD_LEAF)
}

/// The splat's 2σ radius along its longest axis.
fn splat_radius(cloud: &SplatCloud, i: usize) -> f32 {
    cloud
        .scales
        .get(i)
        .map_or(0.0, |s| Vec3::from(*s).abs().max_element() * SPLAT_SIGMAS)
}

fn splats_bvh(cloud: &SplatCloud) -> Bvh {
    let prims: Vec<Bounds> = (0..cloud.len())
        .map(|i| {
            let faint = cloud
                .opacities
                .get(i)
                .is_none_or(|o| *o < MIN_SPLAT_OPACITY);
            let Some(p) = cloud.positions.get(i).filter(|_| !faint) else {
                return Bounds::EMPTY;
            };
            let c = Vec3::from(*p);
            let r = splat_radius(cloud, i);
            Bounds {
                min: c - r,
                max: c + r,
            }
        })
        .collect();
    Bvh::build_with_leaf(&prims, CLOUD_LEAF)
}

/// A ray widened into a cone: everything within `slope · t + slack` metres of the ray at
/// distance `t` (what `radius_px` pixels around the cursor cover; a cylinder, slope 0, in
/// an orthographic view).
struct Cone {
    ray: Ray,
    slope: f32,
    slack: f32,
}

impl Cone {
    /// What `radius_px` pixels around `ray`'s pixel cover in `view`.
    fn around(ray: Ray, view: &PickView, radius_px: f32) -> Self {
        match view.px_scale() {
            PxScale::Orthographic { px_per_metre } => Self {
                ray,
                slope: 0.0,
                slack: radius_px / px_per_metre,
            },
            PxScale::Perspective { focal_px } => Self {
                ray,
                slope: radius_px / focal_px,
                slack: 0.0,
            },
        }
    }

    /// The nearest hit `hit` finds among the elements of `bvh` (built in the space that
    /// `world_from_local` places), visiting only the boxes the cone enters before `t_best`.
    fn nearest(
        &self,
        bvh: &Bvh,
        world_from_local: Mat4,
        t_best: f32,
        hit: impl FnMut(u32) -> Option<f32>,
    ) -> Option<f32> {
        self.nearest_element(bvh, world_from_local, t_best, hit)
            .map(|(_, t)| t)
    }

    /// [`Self::nearest`] with the element it hit.
    fn nearest_element(
        &self,
        bvh: &Bvh,
        world_from_local: Mat4,
        t_best: f32,
        hit: impl FnMut(u32) -> Option<f32>,
    ) -> Option<(u32, f32)> {
        let stretch = max_scale(&world_from_local);
        bvh.nearest(
            |b, t| {
                let r = (b.max - b.min).length() * 0.5 * stretch;
                self.sphere_entry(
                    world_from_local.transform_point3(b.center()),
                    r,
                    t.min(t_best),
                )
            },
            hit,
        )
    }

    /// Where the cone enters a sphere (`center`, `radius` in world space), if it meets it
    /// before `t_max`; conservative (it may say yes for a near miss, never no for a hit).
    fn sphere_entry(&self, center: Vec3, radius: f32, t_max: f32) -> Option<f32> {
        let v = center - self.ray.origin;
        let along = v.dot(self.ray.dir);
        if along + radius <= 0.0 {
            return None;
        }
        let across = (v - self.ray.dir * along).length();
        let reach = self.slope * (along + radius).max(0.0) + self.slack;
        let entry = (along - radius).max(0.0);
        (across - radius <= reach && entry <= t_max).then_some(entry)
    }
}

impl Picker {
    /// The splat or point of `node` in front under `pixel` (pixels from the image's top-left
    /// corner), as its index in the node's cloud: the nearest hit along the ray, found as
    /// [`Self::pick`] finds the node, leaving out the elements `skip` holds (those the
    /// selection tool hides). None for other kinds of node, for a miss, and while a big
    /// splat cloud's BVH is still being built.
    pub fn pick_element(
        &mut self,
        scene: &Scene,
        view: &PickView,
        node: NodeId,
        pixel: Vec2,
        skip: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        self.forget_stale(scene);
        let world_from_local = scene.world_from_local(node);
        if world_from_local.determinant().abs() < 1e-20 {
            return None;
        }
        let ray = view.ray(pixel);
        let local_from_world = world_from_local.inverse();
        let origin = local_from_world.transform_point3(ray.origin);
        let dir = local_from_world.transform_vector3(ray.dir);
        let clip_from_local = view.clip_from_world() * world_from_local;
        let hit = match &scene.node(node)?.kind {
            NodeKind::Points {
                cloud,
                point_size_px,
            } => {
                let cloud = scene.point_cloud(*cloud)?;
                let bvh = Arc::clone(
                    self.points
                        .entry(cloud.content_id())
                        .or_insert_with(|| Arc::new(points_bvh(cloud))),
                );
                let radius_px = view.reach_px(*point_size_px);
                let cone = Cone::around(ray, view, radius_px);
                let disc = PointDisc {
                    view,
                    clip_from_local,
                    world_from_local,
                    ray,
                    pixel,
                    radius_px,
                };
                cone.nearest_element(&bvh, world_from_local, f32::INFINITY, |i| {
                    if skip(i as usize) {
                        return None;
                    }
                    disc.hit(cloud.positions.get(i as usize)?)
                })
            }
            NodeKind::Splats { cloud } => {
                let cloud = scene.splat_cloud(*cloud)?;
                let bvh = self.splat_bvh(cloud)?;
                let cone = Cone::around(ray, view, SPLAT_CENTRE_PX);
                cone.nearest_element(&bvh, world_from_local, f32::INFINITY, |i| {
                    if skip(i as usize) {
                        return None;
                    }
                    splat_hit(
                        cloud,
                        i as usize,
                        origin,
                        dir,
                        view,
                        &clip_from_local,
                        pixel,
                    )
                })
            }
            _ => None,
        };
        hit.map(|(i, _)| i as usize)
    }

    /// The node under `pixel` (pixels from the image's top-left corner), if any.
    pub fn pick(
        &mut self,
        scene: &Scene,
        view: &PickView,
        pixel: Vec2,
        options: PickOptions,
    ) -> Option<Hit> {
        self.forget_stale(scene);
        let walk = scene.walk();
        let ray = view.ray(pixel);
        let clip_from_world = view.clip_from_world();
        if options.bones
            && let Some(hit) = pick_bone(scene, &walk, view, pixel)
        {
            return Some(hit);
        }
        let mut best: Option<Hit> = None;
        for c in candidates(&walk) {
            let t_best = best.map_or(f32::INFINITY, |h| h.distance);
            let world_from_local = c.world_from_local;
            if world_from_local.determinant().abs() < 1e-20 {
                continue;
            }
            let local_from_world = world_from_local.inverse();
            let origin = local_from_world.transform_point3(ray.origin);
            let dir = local_from_world.transform_vector3(ray.dir);
            let t = match c.kind {
                NodeKind::Mesh { mesh, material } => {
                    let Some(mesh) = scene.mesh(*mesh) else {
                        continue;
                    };
                    let bvh = Arc::clone(
                        self.meshes
                            .entry(mesh.content_id())
                            .or_insert_with(|| Arc::new(mesh_bvh(mesh))),
                    );
                    // A masked material's holes let the ray through, as the renderer's
                    // discarded fragments show what is behind.
                    let coverage = scene
                        .material(*material)
                        .and_then(|m| AlphaCoverage::of(scene, m, mesh));
                    let inv = dir.recip();
                    bvh.nearest(
                        |b, t| b.ray_entry(origin, inv, t.min(t_best)),
                        |tri| {
                            let [a, b, c] = triangle(mesh, tri)?;
                            let (t, bary) = ray_triangle_at(origin, dir, a, b, c)?;
                            coverage
                                .as_ref()
                                .is_none_or(|c| c.covers(tri as usize, bary))
                                .then_some(t)
                        },
                    )
                    .map(|(_, t)| t)
                }
                NodeKind::Points {
                    cloud,
                    point_size_px,
                } => {
                    let Some(cloud) = scene.point_cloud(*cloud) else {
                        continue;
                    };
                    let bvh = Arc::clone(
                        self.points
                            .entry(cloud.content_id())
                            .or_insert_with(|| Arc::new(points_bvh(cloud))),
                    );
                    let radius_px = view.reach_px(*point_size_px);
                    let clip_from_local = clip_from_world * world_from_local;
                    let cone = Cone::around(ray, view, radius_px);
                    let disc = PointDisc {
                        view,
                        clip_from_local,
                        world_from_local,
                        ray,
                        pixel,
                        radius_px,
                    };
                    cone.nearest(&bvh, world_from_local, t_best, |i| {
                        disc.hit(cloud.positions.get(i as usize)?)
                    })
                }
                NodeKind::Lines { cloud, width_px } => {
                    let Some(cloud) = scene.point_cloud(*cloud) else {
                        continue;
                    };
                    let bvh = Arc::clone(
                        self.segments
                            .entry(cloud.content_id())
                            .or_insert_with(|| Arc::new(segments_bvh(cloud))),
                    );
                    let radius_px = view.reach_px(*width_px);
                    let clip_from_local = clip_from_world * world_from_local;
                    let cone = Cone::around(ray, view, radius_px);
                    let point = |i: u32| cloud.positions.get(i as usize).map(|p| Vec3::from(*p));
                    cone.nearest(&bvh, world_from_local, t_best, |i| {
                        let [a, b] = *cloud.segments.get(i as usize)?;
                        let (a, b) = (point(a)?, point(b)?);
                        let on_a = view.project(&clip_from_local, a)?;
                        let on_b = view.project(&clip_from_local, b)?;
                        let (s, d2) = nearest_on_segment(on_a, on_b, pixel);
                        if d2 > radius_px * radius_px {
                            return None;
                        }
                        let p = world_from_local.transform_point3(a.lerp(b, s));
                        Some((p - ray.origin).dot(ray.dir))
                    })
                }
                NodeKind::Splats { cloud } => {
                    let Some(cloud) = scene.splat_cloud(*cloud) else {
                        continue;
                    };
                    let Some(bvh) = self.splat_bvh(cloud) else {
                        // Still being built: the cloud's bounds stand in (it is picked as a
                        // whole anyway).
                        let b = cloud.bounds();
                        let hit = (!b.is_empty())
                            .then(|| {
                                Bounds {
                                    min: b.min,
                                    max: b.max,
                                }
                                .ray_entry(
                                    origin,
                                    dir.recip(),
                                    t_best,
                                )
                            })
                            .flatten();
                        if let Some(t) = hit
                            && t < t_best
                        {
                            best = Some(Hit {
                                node: c.id,
                                distance: t,
                            });
                        }
                        continue;
                    };
                    let clip_from_local = clip_from_world * world_from_local;
                    let cone = Cone::around(ray, view, SPLAT_CENTRE_PX);
                    cone.nearest(&bvh, world_from_local, t_best, |i| {
                        splat_hit(
                            cloud,
                            i as usize,
                            origin,
                            dir,
                            view,
                            &clip_from_local,
                            pixel,
                        )
                    })
                }
                NodeKind::Light(_) | NodeKind::Camera(_) if options.icons => {
                    let is_sun = matches!(
                        c.kind,
                        NodeKind::Light(l) if l.kind == LightKind::Directional
                    );
                    let sun = if is_sun {
                        self.sun_icon_position(scene)
                    } else {
                        Vec3::ZERO
                    };
                    icon_sphere(c.kind, &world_from_local, sun).and_then(|(center, radius)| {
                        let depth = (center - ray.origin).dot(view.view.forward());
                        if depth <= radius * 2.0 {
                            // The viewer is at the icon (looking through that camera, or
                            // standing in the lamp): it would cover the whole view.
                            return None;
                        }
                        let on_screen = view.project(&clip_from_world, center)?;
                        let radius_px = (radius * view.px_per_metre(depth))
                            .max(ICON_MIN_PX * view.pixels_per_point);
                        if on_screen.distance(pixel) > radius_px {
                            return None;
                        }
                        // The front of the icon, so an icon wins over the lamp it sits in.
                        Some(((center - ray.origin).length() - radius).max(0.0))
                    })
                }
                _ => None,
            };
            if let Some(t) = t
                && t < t_best
            {
                best = Some(Hit {
                    node: c.id,
                    distance: t,
                });
            }
        }
        best
    }

    /// The nodes inside the image rectangle `min..max` (pixels), in outliner order. A mesh
    /// is inside when its surface covers a pixel centre in the rectangle or one of its
    /// triangles' corners projects into it (so that one smaller than a pixel counts); a
    /// cloud when one of its points or splat centres projects into it, a light or camera when
    /// its icon's centre does, a joint when its bone's head does. With `options.xray` off,
    /// only what is seen there counts: a mesh's surface nearest at the pixel (or a
    /// see-through one in front of that), corners, points, centres and icons not behind an
    /// opaque mesh (bones are drawn in front of everything). Groups are never selected
    /// themselves. Hidden and locked nodes are left out (locked meshes still hide what is
    /// behind them).
    pub fn box_select(
        &mut self,
        scene: &Scene,
        view: &PickView,
        min: Vec2,
        max: Vec2,
        options: PickOptions,
    ) -> Vec<NodeId> {
        self.forget_stale(scene);
        let (lo, hi) = (min.min(max), min.max(max));
        let inside = |p: Option<Vec2>| p.is_some_and(|p| p.cmpge(lo).all() && p.cmple(hi).all());
        let clip_from_world = view.clip_from_world();
        let walk = scene.walk();
        // A joint is inside when its bone's head is.
        let heads: HashMap<NodeId, Vec3> = if options.bones {
            scene.bones().iter().map(|b| (b.joint, b.head)).collect()
        } else {
            HashMap::new()
        };
        let meshes = MeshesInBox::new(scene, &walk, view, lo, hi, options.xray);
        let view_from_world = view.view.view_from_world();
        let mut out = Vec::new();
        for c in candidates(&walk) {
            if heads
                .get(&c.id)
                .is_some_and(|&head| inside(view.project(&clip_from_world, head)))
            {
                out.push(c.id);
                continue;
            }
            if meshes.contains(c.id) {
                out.push(c.id);
                continue;
            }
            let clip_from_local = clip_from_world * c.world_from_local;
            let view_from_local = view_from_world * c.world_from_local;
            let overlaps = |b: Bounds| {
                view.project_bounds(&clip_from_local, b)
                    .is_none_or(|(a, z)| a.cmple(hi).all() && z.cmpge(lo).all())
            };
            // Whether a point of this node (local) projects into the box where nothing opaque
            // hides it (a pixel's width of slack).
            let seen = |p: Vec3| {
                view.project(&clip_from_local, p).is_some_and(|pixel| {
                    let depth = -view_from_local.transform_point3(p).z;
                    inside(Some(pixel))
                        && meshes.unhidden(pixel, depth, 1.0 / view.px_per_metre(depth))
                })
            };
            let selected = match c.kind {
                NodeKind::Mesh { mesh, .. } => scene.mesh(*mesh).is_some_and(|mesh| {
                    let bvh = Arc::clone(
                        self.meshes
                            .entry(mesh.content_id())
                            .or_insert_with(|| Arc::new(mesh_bvh(mesh))),
                    );
                    bvh.any(overlaps, |tri| {
                        triangle(mesh, tri).is_some_and(|corners| corners.into_iter().any(seen))
                    })
                }),
                NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. } => {
                    scene.point_cloud(*cloud).is_some_and(|cloud| {
                        let bvh = Arc::clone(
                            self.points
                                .entry(cloud.content_id())
                                .or_insert_with(|| Arc::new(points_bvh(cloud))),
                        );
                        bvh.any(overlaps, |i| {
                            cloud
                                .positions
                                .get(i as usize)
                                .is_some_and(|p| seen(Vec3::from(*p)))
                        })
                    })
                }
                NodeKind::Splats { cloud } => scene.splat_cloud(*cloud).is_some_and(|cloud| {
                    let Some(bvh) = self.splat_bvh(cloud) else {
                        // Still being built: a bounded sample of the centres decides.
                        let step = cloud.len() / BOX_SAMPLE_SPLATS + 1;
                        return cloud
                            .positions
                            .iter()
                            .step_by(step)
                            .any(|p| seen(Vec3::from(*p)));
                    };
                    bvh.any(overlaps, |i| {
                        cloud
                            .positions
                            .get(i as usize)
                            .is_some_and(|p| seen(Vec3::from(*p)))
                    })
                }),
                NodeKind::Light(_) | NodeKind::Camera(_) if options.icons => {
                    let sun = self.sun_icon_position(scene);
                    let eye = view.view.position();
                    let forward = view.view.forward();
                    icon_sphere(c.kind, &c.world_from_local, sun).is_some_and(|(center, r)| {
                        // The icon is drawn depth-tested: its centre seen, give or take its size.
                        let depth = -view_from_world.transform_point3(center).z;
                        (center - eye).dot(forward) > r * 2.0
                            && view.project(&clip_from_world, center).is_some_and(|pixel| {
                                inside(Some(pixel)) && meshes.unhidden(pixel, depth, r)
                            })
                    })
                }
                _ => false,
            };
            if selected {
                out.push(c.id);
            }
        }
        out
    }

    /// Drops structures whose mesh or cloud is no longer in `scene`.
    fn forget_stale(&mut self, scene: &Scene) {
        if !self.meshes.is_empty() {
            let live: std::collections::HashSet<u64> =
                scene.meshes().map(|(_, m)| m.content_id()).collect();
            self.meshes.retain(|id, _| live.contains(id));
        }
        if !self.points.is_empty() || !self.segments.is_empty() {
            let live: std::collections::HashSet<u64> =
                scene.point_clouds().map(|(_, c)| c.content_id()).collect();
            self.points.retain(|id, _| live.contains(id));
            self.segments.retain(|id, _| live.contains(id));
        }
        let live: std::collections::HashSet<u64> =
            scene.splat_clouds().map(|(_, c)| c.content_id()).collect();
        self.splats.retain(|id, _| live.contains(id));
        if let Ok(mut building) = self.building.lock() {
            // A finished build for a cloud that left is dropped; a running one finds its
            // entry gone and drops its result.
            building.retain(|id, _| live.contains(id));
        }
    }

    /// The BVH of a splat cloud when it is ready. Small clouds are built here and now; for a
    /// cloud over [`BACKGROUND_BUILD_SPLATS`] the build runs on a worker thread and `None`
    /// comes back until it is done (callers fall back to the cloud's bounds).
    fn splat_bvh(&mut self, cloud: &Arc<SplatCloud>) -> Option<Arc<Bvh>> {
        let id = cloud.content_id();
        if let Some(bvh) = self.splats.get(&id) {
            return Some(Arc::clone(bvh));
        }
        if cloud.len() <= BACKGROUND_BUILD_SPLATS {
            let bvh = Arc::new(splats_bvh(cloud));
            self.splats.insert(id, Arc::clone(&bvh));
            return Some(bvh);
        }
        let mut building = self.building.lock().ok()?;
        match building.get(&id) {
            Some(Some(done)) => {
                let done = Arc::clone(done);
                building.remove(&id);
                drop(building);
                self.splats.insert(id, Arc::clone(&done));
                Some(done)
            }
            Some(None) => None,
            None => {
                building.insert(id, None);
                let shared = Arc::clone(&self.building);
                let cloud = Arc::clone(cloud);
                let spawned =
                    std::thread::Builder::new()
                        .name("pick-bvh".into())
                        .spawn(move || {
                            let bvh = Arc::new(splats_bvh(&cloud));
                            if let Ok(mut building) = shared.lock()
                                && building.contains_key(&id)
                            {
                                building.insert(id, Some(bvh));
                            }
                        });
                if spawned.is_err() {
                    building.remove(&id);
                }
                None
            }
        }
    }

    /// Starts the background builds big splat clouds need, so that a click soon after a load
    /// finds them ready (cheap when there is nothing to start: call it every frame).
    pub fn warm(&mut self, scene: &Scene) {
        for (_, cloud) in scene.splat_clouds() {
            if cloud.len() > BACKGROUND_BUILD_SPLATS
                && !self.splats.contains_key(&cloud.content_id())
            {
                self.splat_bvh(cloud);
            }
        }
    }

    /// Whether a splat cloud's BVH is still being built in the background.
    pub fn building(&self) -> bool {
        self.building
            .lock()
            .is_ok_and(|b| b.values().any(Option::is_none))
    }

    /// Builds (or finds) the BVH of every mesh and cloud in `scene` now, so the first click
    /// does not pay for it; returns how many were built.
    pub fn prepare(&mut self, scene: &Scene) -> usize {
        self.forget_stale(scene);
        let mut built = 0;
        for (_, mesh) in scene.meshes() {
            self.meshes.entry(mesh.content_id()).or_insert_with(|| {
                built += 1;
                Arc::new(mesh_bvh(mesh))
            });
        }
        for (_, cloud) in scene.point_clouds() {
            self.points.entry(cloud.content_id()).or_insert_with(|| {
                built += 1;
                Arc::new(points_bvh(cloud))
            });
            if !cloud.segments.is_empty() {
                self.segments.entry(cloud.content_id()).or_insert_with(|| {
                    built += 1;
                    Arc::new(segments_bvh(cloud))
                });
            }
        }
        for (_, cloud) in scene.splat_clouds() {
            self.splats.entry(cloud.content_id()).or_insert_with(|| {
                built += 1;
                Arc::new(splats_bvh(cloud))
            });
        }
        built
    }

    /// Nodes in all cached hierarchies (for benchmarks: memory scales with it).
    pub fn bvh_nodes(&self) -> usize {
        [&self.meshes, &self.points, &self.segments, &self.splats]
            .iter()
            .flat_map(|m| m.values())
            .map(|b| b.node_count())
            .sum()
    }

    /// How many acceleration structures are cached (meshes, point clouds, splat clouds).
    pub fn cached(&self) -> (usize, usize, usize) {
        (self.meshes.len(), self.points.len(), self.splats.len())
    }
}

/// Where the ray (`origin`, `dir` in the cloud's local space) hits splat `i`: its 2σ
/// ellipsoid, or its centre within [`SPLAT_CENTRE_PX`] of the cursor.
/// A click on a point cloud: a point is hit when its disc (`radius_px` on screen) covers
/// the `pixel`, at its distance along the world `ray`.
struct PointDisc<'a> {
    view: &'a PickView,
    clip_from_local: Mat4,
    world_from_local: Mat4,
    ray: Ray,
    pixel: Vec2,
    radius_px: f32,
}

impl PointDisc<'_> {
    fn hit(&self, p: &[f32; 3]) -> Option<f32> {
        let p = Vec3::from(*p);
        let on_screen = self.view.project(&self.clip_from_local, p)?;
        if on_screen.distance_squared(self.pixel) > self.radius_px * self.radius_px {
            return None;
        }
        Some((self.world_from_local.transform_point3(p) - self.ray.origin).dot(self.ray.dir))
    }
}

fn splat_hit(
    cloud: &SplatCloud,
    i: usize,
    origin: Vec3,
    dir: Vec3,
    view: &PickView,
    clip_from_local: &Mat4,
    pixel: Vec2,
) -> Option<f32> {
    if cloud
        .opacities
        .get(i)
        .is_none_or(|o| *o < MIN_SPLAT_OPACITY)
    {
        return None;
    }
    let center = Vec3::from(*cloud.positions.get(i)?);
    let scale = Vec3::from(*cloud.scales.get(i)?).abs() * SPLAT_SIGMAS;
    let rotation = Quat::from_array(*cloud.rotations.get(i)?).normalize();
    // Into the splat's frame, where its 2σ ellipsoid is the unit sphere.
    let local_from_cloud = rotation.inverse();
    let to_unit = |v: Vec3| (local_from_cloud * v) / scale.max(Vec3::splat(1e-9));
    if let Some(t) = ray_unit_sphere(to_unit(origin - center), to_unit(dir)) {
        return Some(t);
    }
    let on_screen = view.project(clip_from_local, center)?;
    if on_screen.distance(pixel) <= SPLAT_CENTRE_PX {
        let d = dir.length_squared();
        return (d > 0.0).then(|| (center - origin).dot(dir) / d);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Camera, Light, Material, Transform};

    fn view_from(eye: Vec3, target: Vec3) -> PickView {
        let world_from_view = Transform::looking_at(eye, target).matrix();
        PickView::new(
            CameraView {
                world_from_view,
                fov_y_rad: 50f32.to_radians(),
                near: 0.1,
                ortho: None,
            },
            320.0,
            180.0,
        )
    }

    /// A node "Points" showing a point cloud at `positions`, `point_size_px` wide.
    fn add_points(scene: &mut Scene, positions: Vec<[f32; 3]>, point_size_px: f32) -> NodeId {
        let cloud = scene.add_point_cloud(crate::scene::PointCloud::new(
            positions,
            Vec::new(),
            Vec::new(),
        ));
        scene.add_node(
            None,
            "Points",
            Transform::IDENTITY,
            NodeKind::Points {
                cloud,
                point_size_px,
            },
        )
    }

    #[test]
    fn a_hidpi_view_picks_points_and_lines_as_wide_as_they_are_drawn() {
        let mut scene = Scene::new("t");
        let points = add_points(&mut scene, vec![[0.0, 0.0, 0.0]], 8.0);
        let (segment, _) = crate::scene::PointCloud::new(
            vec![[-1.0, 1.0, 0.0], [1.0, 1.0, 0.0]],
            Vec::new(),
            Vec::new(),
        )
        .with_segments(vec![[0, 1]]);
        let segment = scene.add_point_cloud(segment);
        let line = scene.add_node(
            None,
            "Line",
            Transform::IDENTITY,
            NodeKind::Lines {
                cloud: segment,
                width_px: 2.0,
            },
        );
        let view = view_from(Vec3::new(0.0, 0.0, 5.0), Vec3::ZERO);
        let clip_from_world = view.clip_from_world();
        let point_at = view.project(&clip_from_world, Vec3::ZERO).expect("in view");
        let line_at = view
            .project(&clip_from_world, Vec3::new(0.0, 1.0, 0.0))
            .expect("in view");
        let mut picker = Picker::default();
        // The point's disc is 8 px wide at 1 px per point, 16 at 2; the line's reach is the
        // least slack, 3 px, then 6.
        for (ppp, point_offset, line_offset, hit) in [
            (1.0, 3.5, 2.5, true),
            (1.0, 6.0, 4.5, false),
            (2.0, 6.0, 4.5, true),
            (2.0, 9.0, 7.0, false),
        ] {
            let view = view.with_pixels_per_point(ppp);
            for (at, offset, node) in [
                (point_at, Vec2::new(point_offset, 0.0), points),
                (line_at, Vec2::new(0.0, line_offset), line),
            ] {
                let found = picker
                    .pick(&scene, &view, at + offset, PickOptions::default())
                    .map(|h| h.node);
                assert_eq!(
                    found,
                    hit.then_some(node),
                    "{offset} px off node {node:?} at {ppp} px per point"
                );
            }
        }
        assert_eq!(view.with_pixels_per_point(f32::NAN).pixels_per_point, 1.0);
        assert_eq!(view.with_pixels_per_point(100.0).pixels_per_point, 4.0);
    }

    #[test]
    fn rays_go_through_the_pixels_points_project_to() {
        let view = view_from(Vec3::new(3.0, 2.0, 8.0), Vec3::new(0.0, 0.5, 0.0));
        let clip_from_world = view.clip_from_world();
        for p in [
            Vec3::new(0.0, 0.5, 0.0),
            Vec3::new(1.5, -0.5, 1.0),
            Vec3::new(-2.0, 1.0, -3.0),
        ] {
            let pixel = view.project(&clip_from_world, p).expect("in front");
            let ray = view.ray(pixel);
            let to_p = (p - ray.origin).normalize();
            assert!(to_p.dot(ray.dir) > 1.0 - 1e-6, "{p}: {to_p} vs {}", ray.dir);
        }
        // The centre of the image looks straight ahead.
        let ray = view.ray(Vec2::new(160.0, 90.0));
        assert!(ray.dir.dot(view.view.forward()) > 1.0 - 1e-6);
    }

    /// Looking down -Z from z = 50, orthographic, 8 m tall over 180 px (22.5 px per metre).
    fn ortho_front() -> PickView {
        PickView::new(
            CameraView {
                ortho: Some(crate::scene::Ortho {
                    half_height: 4.0,
                    far: 200.0,
                }),
                ..view_from(Vec3::new(0.0, 0.0, 50.0), Vec3::ZERO).view
            },
            320.0,
            180.0,
        )
    }

    #[test]
    fn orthographic_rays_are_parallel_and_go_through_the_pixels_points_project_to() {
        let view = ortho_front();
        let clip_from_world = view.clip_from_world();
        for p in [
            Vec3::new(0.0, 0.5, 0.0),
            Vec3::new(1.5, -0.5, 30.0),
            Vec3::new(-2.0, 1.0, -100.0),
        ] {
            let pixel = view.project(&clip_from_world, p).expect("in front");
            let ray = view.ray(pixel);
            assert_eq!(ray.dir, Vec3::NEG_Z, "parallel rays");
            let off = (p - ray.origin).cross(ray.dir).length();
            assert!(off < 1e-3, "{p}: {off} m off the ray");
        }
        let a = view.project(&clip_from_world, Vec3::new(1.0, 0.0, 0.0));
        let b = view.project(&clip_from_world, Vec3::new(1.0, 0.0, -80.0));
        assert_eq!(a, b, "depth does not move a point on the image");
        assert_eq!(a, Some(Vec2::new(160.0 + 22.5, 90.0)));
        // Behind the eye (past the near plane, towards the viewer): not on the image.
        assert_eq!(
            view.project(&clip_from_world, Vec3::new(0.0, 0.0, 60.0)),
            None
        );
        assert!((view.px_per_metre(1.0) - 22.5).abs() < 1e-5);
        assert_eq!(view.px_per_metre(1.0), view.px_per_metre(90.0));
    }

    #[test]
    fn orthographic_picks_find_points_icons_and_meshes_at_any_depth() {
        let mut scene = Scene::new("t");
        let points = add_points(&mut scene, vec![[-2.0, 0.0, 0.0], [2.0, 0.0, -40.0]], 4.0);
        let camera = scene.add_node(
            None,
            "Camera far away",
            Transform::from_translation(Vec3::new(0.0, 2.5, -60.0)),
            NodeKind::Camera(Camera::default()),
        );
        let mesh = scene.add_mesh(crate::generate::shapes::cube(1.0));
        let material = scene.add_material(Material::default());
        let cube = scene.add_node(
            None,
            "Cube far away",
            Transform::from_translation(Vec3::new(0.0, -2.5, -90.0)),
            NodeKind::Mesh { mesh, material },
        );
        let view = ortho_front();
        let clip_from_world = view.clip_from_world();
        let at = |p: Vec3| view.project(&clip_from_world, p).expect("on the image");
        let mut picker = Picker::default();
        let options = PickOptions::default();
        for (p, node) in [
            (Vec3::new(-2.0, 0.0, 0.0), points),
            (Vec3::new(2.0, 0.0, -40.0), points),
            (Vec3::new(0.0, 2.5, -60.0), camera),
            (Vec3::new(0.4, -2.1, -90.0), cube),
        ] {
            let hit = picker.pick(&scene, &view, at(p), options).map(|h| h.node);
            assert_eq!(hit, Some(node), "at {p}");
        }
        // The far point by its index, 1.5 px off its centre (its disc is 4 px wide) but not
        // 6 px off: the same reach as the near one, 40 m closer.
        let far = at(Vec3::new(2.0, 0.0, -40.0));
        for (offset, expected) in [(1.5, Some(1)), (6.0, None)] {
            let pixel = far + Vec2::new(offset, 0.0);
            let found = picker.pick_element(&scene, &view, points, pixel, |_| false);
            assert_eq!(found, expected, "{offset} px off the far point");
        }
        let near = at(Vec3::new(-2.0, 0.0, 0.0)) + Vec2::new(1.5, 0.0);
        assert_eq!(
            picker.pick_element(&scene, &view, points, near, |_| false),
            Some(0)
        );
        // A box around the far cube's pixels selects it.
        let (lo, hi) = (
            at(Vec3::new(-0.6, -3.1, -90.0)),
            at(Vec3::new(0.6, -1.9, -90.0)),
        );
        let found = picker.box_select(&scene, &view, lo.min(hi), lo.max(hi), options);
        assert_eq!(found, vec![cube]);
    }

    #[test]
    fn triangles_hit_from_either_side_and_miss_outside() {
        let (a, b, c) = (Vec3::ZERO, Vec3::X, Vec3::Y);
        let ray_triangle = |origin, dir, a, b, c| ray_triangle_at(origin, dir, a, b, c);
        let hit = ray_triangle(Vec3::new(0.2, 0.3, 5.0), Vec3::NEG_Z, a, b, c);
        // The crossing's weights: 0.5 of a, 0.2 of b (along x), 0.3 of c (along y).
        let (t, bary) = hit.expect("a hit");
        assert_eq!(t, 5.0);
        assert!(bary.abs_diff_eq(Vec3::new(0.5, 0.2, 0.3), 1e-6), "{bary}");
        let ray_triangle =
            |origin, dir, a, b, c| ray_triangle_at(origin, dir, a, b, c).map(|h| h.0);
        let t = ray_triangle(Vec3::new(0.2, 0.2, -2.0), Vec3::Z, a, b, c);
        assert_eq!(t, Some(2.0));
        assert_eq!(
            ray_triangle(Vec3::new(0.8, 0.8, 5.0), Vec3::NEG_Z, a, b, c),
            None
        );
        assert_eq!(
            ray_triangle(Vec3::new(0.2, 0.2, 5.0), Vec3::Z, a, b, c),
            None
        );
    }

    /// A 100 W point light.
    fn point_lamp() -> NodeKind {
        NodeKind::Light(Light {
            kind: LightKind::Point,
            color: [1.0; 3],
            intensity: 100.0,
            range: None,
            cast_shadows: false,
        })
    }

    /// Two cubes in a row, a small one in front of a big one, a camera and a point light.
    fn row_scene() -> (Scene, [NodeId; 4]) {
        let mut scene = Scene::new("row");
        let material = scene.add_material(Material::default());
        let small = scene.add_mesh(crate::generate::shapes::cube(1.0));
        let big = scene.add_mesh(crate::generate::shapes::cube(4.0));
        let front = scene.add_node(
            None,
            "Front",
            Transform::from_translation(Vec3::new(0.0, 0.0, 3.0)),
            NodeKind::Mesh {
                mesh: small,
                material,
            },
        );
        let back = scene.add_node(
            None,
            "Back",
            Transform::IDENTITY,
            NodeKind::Mesh {
                mesh: big,
                material,
            },
        );
        let camera = scene.add_node(
            None,
            "Cam",
            Transform::from_translation(Vec3::new(4.0, 0.0, 0.0)),
            NodeKind::Camera(Camera::default()),
        );
        let lamp = scene.add_node(
            None,
            "Lamp",
            Transform::from_translation(Vec3::new(-4.0, 0.0, 0.0)),
            point_lamp(),
        );
        (scene, [front, back, camera, lamp])
    }

    fn pick_at(scene: &Scene, view: &PickView, world: Vec3) -> Option<NodeId> {
        let pixel = view
            .project(&view.clip_from_world(), world)
            .expect("in view");
        Picker::default()
            .pick(scene, view, pixel, PickOptions::default())
            .map(|h| h.node)
    }

    #[test]
    fn the_nearest_mesh_wins_and_hidden_or_locked_nodes_are_skipped() {
        let (mut scene, [front, back, camera, lamp]) = row_scene();
        let view = view_from(Vec3::new(0.0, 0.0, 20.0), Vec3::ZERO);
        assert_eq!(pick_at(&scene, &view, Vec3::ZERO), Some(front));
        assert_eq!(pick_at(&scene, &view, Vec3::new(1.5, 1.5, 0.0)), Some(back));
        assert_eq!(
            pick_at(&scene, &view, Vec3::new(4.0, 0.0, 0.0)),
            Some(camera)
        );
        assert_eq!(
            pick_at(&scene, &view, Vec3::new(-4.0, 0.0, 0.0)),
            Some(lamp)
        );
        assert_eq!(pick_at(&scene, &view, Vec3::new(0.0, 8.0, 0.0)), None);
        scene.set_locked(front, true);
        assert_eq!(pick_at(&scene, &view, Vec3::ZERO), Some(back));
        scene.set_visible(back, false);
        assert_eq!(pick_at(&scene, &view, Vec3::ZERO), None);
        scene.set_locked(front, false);
        assert_eq!(pick_at(&scene, &view, Vec3::ZERO), Some(front));
    }

    #[test]
    fn a_locked_group_locks_its_children() {
        let (mut scene, [front, ..]) = row_scene();
        let group = scene.add_node(None, "Group", Transform::IDENTITY, NodeKind::Empty);
        assert!(scene.reparent(
            front,
            Some(group),
            0,
            Transform::from_translation(Vec3::new(0.0, 0.0, 3.0))
        ));
        let view = view_from(Vec3::new(0.0, 0.0, 20.0), Vec3::ZERO);
        assert_eq!(pick_at(&scene, &view, Vec3::ZERO), Some(front));
        scene.set_locked(group, true);
        assert_ne!(pick_at(&scene, &view, Vec3::ZERO), Some(front));
    }

    #[test]
    fn mesh_bvhs_are_built_once_per_content_and_dropped_with_it() {
        let (scene, _) = row_scene();
        let mut picker = Picker::default();
        assert_eq!(picker.prepare(&scene), 2);
        assert_eq!(picker.prepare(&scene), 0);
        assert_eq!(picker.cached(), (2, 0, 0));
        picker.pick(
            &Scene::new("empty"),
            &view_from(Vec3::Z, Vec3::ZERO),
            Vec2::ONE,
            PickOptions::default(),
        );
        assert_eq!(picker.cached(), (0, 0, 0));
    }

    #[test]
    fn box_select_takes_what_projects_inside() {
        let (scene, [front, back, camera, lamp]) = row_scene();
        let view = view_from(Vec3::new(0.0, 0.0, 20.0), Vec3::ZERO);
        let mut picker = Picker::default();
        let all = picker.box_select(
            &scene,
            &view,
            Vec2::ZERO,
            view.size_px,
            PickOptions::default(),
        );
        assert_eq!(all, vec![front, back, camera, lamp]);
        // The right half of the image: the camera icon and the right corners of both cubes.
        let right = picker.box_select(
            &scene,
            &view,
            Vec2::new(161.0, 0.0),
            view.size_px,
            PickOptions::default(),
        );
        assert_eq!(right, vec![front, back, camera]);
        let no_icons = picker.box_select(
            &scene,
            &view,
            Vec2::new(161.0, 0.0),
            view.size_px,
            PickOptions {
                icons: false,
                bones: false,
                xray: false,
            },
        );
        assert_eq!(no_icons, vec![front, back]);
        // A box over the big cube's face between the small cube and the big cube's corners
        // holds none of its corners, but the face covers it: the big cube, with X-ray or
        // without.
        for xray in [false, true] {
            let middle = picker.box_select(
                &scene,
                &view,
                Vec2::new(167.0, 80.0),
                Vec2::new(176.0, 100.0),
                PickOptions {
                    xray,
                    ..PickOptions::default()
                },
            );
            assert_eq!(middle, vec![back], "X-ray {xray}");
        }
        // A box with no pixel centre inside it takes nothing.
        let empty = picker.box_select(
            &scene,
            &view,
            Vec2::new(170.2, 90.2),
            Vec2::new(170.4, 90.4),
            PickOptions::default(),
        );
        assert!(empty.is_empty(), "{empty:?}");
    }

    /// A wall at z = 2 facing the camera at z = 20, and behind it (z = −2): a cube, a point
    /// cloud, a lamp and a blended pane; a small cube and a glass pane in front of it.
    /// `see_through`: the wall is blended.
    fn walled_scene(see_through: bool) -> (Scene, [NodeId; 7]) {
        let mut scene = Scene::new("walled");
        let grey = scene.add_material(Material::default());
        let wall_material = scene.add_material(Material {
            alpha_mode: if see_through {
                crate::scene::AlphaMode::Blend
            } else {
                crate::scene::AlphaMode::Opaque
            },
            ..Material::default()
        });
        let glass = scene.add_material(Material {
            alpha_mode: crate::scene::AlphaMode::Blend,
            ..Material::named("Glass", [0.8, 0.9, 1.0, 0.3], 0.1)
        });
        let plane = scene.add_mesh(crate::generate::shapes::plane(Vec2::splat(12.0), 1));
        let pane = scene.add_mesh(crate::generate::shapes::plane(Vec2::splat(1.0), 1));
        let cube = scene.add_mesh(crate::generate::shapes::cube(1.0));
        let upright = Quat::from_rotation_x(std::f32::consts::FRAC_PI_2);
        let [wall, hidden, shown, pane_behind, pane_front] = [
            (
                "Wall",
                Vec3::new(0.0, 0.0, 2.0),
                plane,
                wall_material,
                upright,
            ),
            (
                "Hidden",
                Vec3::new(-2.0, 0.0, -2.0),
                cube,
                grey,
                Quat::IDENTITY,
            ),
            (
                "Shown",
                Vec3::new(2.0, 0.0, 4.0),
                cube,
                grey,
                Quat::IDENTITY,
            ),
            (
                "Pane behind",
                Vec3::new(0.0, 2.0, -2.0),
                pane,
                glass,
                upright,
            ),
            (
                "Pane in front",
                Vec3::new(0.0, -2.0, 4.0),
                pane,
                glass,
                upright,
            ),
        ]
        .map(|(name, at, mesh, material, turn)| {
            scene.add_node(
                None,
                name,
                Transform::from_translation(at).with_rotation(turn),
                NodeKind::Mesh { mesh, material },
            )
        });
        let cloud = scene.add_point_cloud(crate::scene::PointCloud::new(
            vec![[0.0, 0.0, 0.0], [0.5, 0.5, 0.0]],
            Vec::new(),
            Vec::new(),
        ));
        let points = scene.add_node(
            None,
            "Points behind",
            Transform::from_translation(Vec3::new(2.0, 2.0, -2.0)),
            NodeKind::Points {
                cloud,
                point_size_px: 4.0,
            },
        );
        let lamp = scene.add_node(
            None,
            "Lamp behind",
            Transform::from_translation(Vec3::new(-2.0, 2.0, -2.0)),
            point_lamp(),
        );
        (
            scene,
            [wall, hidden, shown, pane_behind, pane_front, points, lamp],
        )
    }

    #[test]
    fn without_xray_a_box_takes_only_what_is_seen_inside_it() {
        let (mut scene, [wall, hidden, shown, pane_behind, pane_front, points, lamp]) =
            walled_scene(false);
        let view = view_from(Vec3::new(0.0, 0.0, 20.0), Vec3::ZERO);
        let mut picker = Picker::default();
        let mut boxed = |scene: &Scene, xray: bool| {
            picker.box_select(
                scene,
                &view,
                Vec2::ZERO,
                view.size_px,
                PickOptions {
                    xray,
                    ..PickOptions::default()
                },
            )
        };
        // X-ray off: the wall and what stands in front of it.
        assert_eq!(boxed(&scene, false), vec![wall, shown, pane_front]);
        // X-ray on: everything inside the box.
        assert_eq!(
            boxed(&scene, true),
            vec![wall, hidden, shown, pane_behind, pane_front, points, lamp]
        );
        // A locked wall is not taken and still hides what is behind it.
        scene.set_locked(wall, true);
        assert_eq!(boxed(&scene, false), vec![shown, pane_front]);
        // A hidden wall hides nothing.
        scene.set_locked(wall, false);
        scene.set_visible(wall, false);
        assert_eq!(
            boxed(&scene, false),
            vec![hidden, shown, pane_behind, pane_front, points, lamp]
        );
        // A see-through wall (blended) hides nothing either, and is taken itself.
        let (scene, _) = walled_scene(true);
        assert_eq!(
            boxed(&scene, false),
            vec![wall, hidden, shown, pane_behind, pane_front, points, lamp]
        );
    }

    #[test]
    fn without_xray_a_box_takes_a_mesh_smaller_than_a_pixel_by_its_corners() {
        let mut scene = Scene::new("speck");
        let material = scene.add_material(Material::default());
        let speck = scene.add_mesh(crate::generate::shapes::cube(0.001));
        let node = scene.add_node(
            None,
            "Speck",
            Transform::IDENTITY,
            NodeKind::Mesh {
                mesh: speck,
                material,
            },
        );
        let view = view_from(Vec3::new(0.0, 0.0, 20.0), Vec3::ZERO);
        let mut picker = Picker::default();
        let centre = view.size_px * 0.5;
        for xray in [false, true] {
            let found = picker.box_select(
                &scene,
                &view,
                centre - 3.0,
                centre + 3.0,
                PickOptions {
                    xray,
                    ..PickOptions::default()
                },
            );
            assert_eq!(found, vec![node], "X-ray {xray}");
        }
    }
}
