//! `render` draws a [`FrameInput`] into a [`RenderTarget`]. It never mutates the scene and
//! knows nothing of egui or winit. One path, [`Renderer::render`], serves the viewport,
//! thumbnails, clip frames, the CLI and the tests.

pub mod clouds;
mod context;
mod gpu_scene;
mod gpu_types;
mod icons;
pub mod light_tiles;
mod pass_timer;
mod renderer;
pub mod shaders;
pub mod shadow;
pub mod sheen;
mod sheen_albedo;
pub mod sky;
mod splat_sort;
mod target;
pub mod tonemap;
mod variant_targets;

pub use context::{GpuContext, backend_tries};
pub use gpu_scene::{mip_chain, node_hue, uv_transform_rows};
pub use pass_timer::PassTimes;
pub use renderer::{Renderer, exposure_scale};
pub use target::{OffscreenTarget, RenderTarget, TARGET_FORMAT, read_texture_rgba};
pub use variant_targets::{TargetChanges, VariantTargets};

use crate::scene::{CameraView, NodeId, Scene};

/// Errors from the GPU side.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no GPU adapter found: {0} (install mesa-vulkan-drivers for a CPU fallback)")]
    NoAdapter(String),
    #[error("could not open the GPU device: {0}")]
    Device(String),
    #[error("reading the frame back failed: {0}")]
    Readback(String),
}

/// Viewport-only drawings; all off for stills and clips.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overlays {
    pub grid: bool,
    pub icons: bool,
    pub outline: bool,
    /// Skinned meshes' joints as bones, drawn in front of everything.
    pub bones: bool,
    /// The frames the selected nodes' motion paths span (drawn with the icons).
    pub paths: PathRange,
    /// Every mesh's edges over the shaded image, where the surface is in front (Blender's
    /// wireframe overlay), to see the topology of generated and imported meshes.
    pub wireframe: bool,
    /// How much the wireframe covers what it is drawn over, 0 (nothing) to 1 (solid lines;
    /// Blender's Wireframe Opacity); the selected objects' edges stay bolder.
    pub wire_opacity: f32,
    /// Solid shading (Blender's Solid mode): every mesh in one clay grey under a studio light
    /// fixed to the view, translucent ones opaque, before a neutral backdrop instead of the
    /// sky; splats and points keep their colours. To judge shapes whatever the materials and
    /// lighting (a world model's meshes often carry their lighting baked in).
    pub solid: bool,
    /// With `solid`: what colours the meshes (Blender's Solid colour).
    pub solid_color: SolidColor,
    /// With `solid`: how the colours are lit (Blender's Solid lighting).
    pub solid_lighting: SolidLighting,
    /// X-ray (Blender's Alt+Z): every mesh drawn see-through, blended order-independently
    /// (nearer surfaces weigh more, whatever the order of objects and triangles), so that
    /// what lies behind shows: in solid shading at `xray_alpha`, lit at its own alpha times
    /// that; at `xray_alpha` 1 as without X-ray. Shadows, the outline and the wireframe (then
    /// showing hidden edges too) stay; points still hide what is behind them.
    pub xray: bool,
    /// With `xray`: how opaque a mesh stays, 0 to 1 (Blender's X-ray Alpha; default
    /// [`XRAY_ALPHA`]); out-of-range values are clamped, NaN is opaque.
    pub xray_alpha: f32,
}

impl Overlays {
    /// Every overlay off, as in stills and clips; the X-ray and wireframe settings at their
    /// defaults for when they are turned on.
    pub const NONE: Self = Self {
        grid: false,
        icons: false,
        outline: false,
        bones: false,
        paths: PathRange {
            around: None,
            frame: 0,
        },
        wireframe: false,
        wire_opacity: DEFAULT_WIRE_OPACITY,
        solid: false,
        solid_color: SolidColor::Clay,
        solid_lighting: SolidLighting::Studio,
        xray: false,
        xray_alpha: XRAY_ALPHA,
    };
}

/// How many values the selection mask gives selected nodes ([`node_hue`] spread over them;
/// mask.wgsl's `MASK_VALUES`).
pub const MASK_VALUES: f32 = 2047.0;

/// Blender's default X-ray alpha: [`Overlays::xray_alpha`] unless changed.
pub const XRAY_ALPHA: f32 = 0.5;

/// How solid shading lights the meshes' colours ([`Overlays::solid_lighting`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SolidLighting {
    /// A studio light fixed to the view, to show shapes.
    #[default]
    Studio,
    /// None: the colours as they are (Blender's Flat lighting): with `SolidColor::Texture`
    /// the surfaces' albedo exactly, with `Random` a flat map of the objects.
    Flat,
    /// A material capture (Blender's MatCap): the colour shaded by the surface's view-space
    /// normal alone, so it reads the same from every view.
    MatCap(Matcap),
}

impl SolidLighting {
    /// Solid shading's bits of the frame's `display.z` (common.wgsl `studio_lit`): 2 flat,
    /// the MatCap's code in bits 2–4.
    pub(crate) fn flags(self) -> u8 {
        match self {
            SolidLighting::Studio => 0,
            SolidLighting::Flat => 2,
            SolidLighting::MatCap(m) => m.code() << 2,
        }
    }
}

/// The MatCaps solid shading offers, drawn from the view-space normal by the shader
/// (common.wgsl `matcap_shade`) rather than from images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matcap {
    /// Glossy ceramic: a soft key light and a sharp highlight, to read smooth curvature.
    Ceramic,
    /// Polished chrome mirroring a bright sky over a dark floor: every dent, seam and bump
    /// breaks the horizon line (Blender's metal MatCaps), to find a surface's flaws.
    Metal,
    /// Soft wax: light wraps round and the rim glows warm; forgiving of noisy scanned or
    /// generated surfaces.
    Wax,
    /// Toon: three flat bands and a dark rim, for silhouettes and blocking.
    Toon,
    /// The view-space normal as colour (x red, y green, z blue): which way each face points,
    /// and flipped or smoothed-over normals.
    Normals,
}

impl Matcap {
    /// All, in the order menus list them.
    pub const ALL: [Matcap; 5] = [
        Matcap::Ceramic,
        Matcap::Metal,
        Matcap::Wax,
        Matcap::Toon,
        Matcap::Normals,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Matcap::Ceramic => "Ceramic",
            Matcap::Metal => "Metal",
            Matcap::Wax => "Wax",
            Matcap::Toon => "Toon",
            Matcap::Normals => "Normals",
        }
    }

    /// What it shows, for a tooltip.
    pub fn description(self) -> &'static str {
        match self {
            Matcap::Ceramic => "Glossy ceramic: a soft light and a sharp highlight",
            Matcap::Metal => {
                "Chrome mirroring a bright sky over a dark floor: dents and seams break the \
                 horizon line"
            }
            Matcap::Wax => "Soft wax with a warm rim, forgiving of noisy surfaces",
            Matcap::Toon => "Three flat bands and a dark rim, for silhouettes",
            Matcap::Normals => "The normal as colour (x red, y green, z blue, towards the view)",
        }
    }

    /// The MatCap labelled `name` (any case), as projects and the command line name them.
    pub fn from_name(name: &str) -> Option<Matcap> {
        Matcap::ALL
            .into_iter()
            .find(|m| m.label().eq_ignore_ascii_case(name))
    }

    /// `matcap_shade`'s number for it (1..=5).
    fn code(self) -> u8 {
        match self {
            Matcap::Ceramic => 1,
            Matcap::Metal => 2,
            Matcap::Wax => 3,
            Matcap::Toon => 4,
            Matcap::Normals => 5,
        }
    }
}

/// The wireframe's opacity unless chosen ([`Overlays::wire_opacity`]).
pub const DEFAULT_WIRE_OPACITY: f32 = 0.55;

/// The colour solid shading gives each mesh ([`Overlays::solid`]), lit by the same studio
/// light whichever it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SolidColor {
    /// One clay grey for everything, to judge shapes alone.
    #[default]
    Clay,
    /// Each object its own colour, stable per node (its hue from its id), to tell apart
    /// the separate objects of an imported world.
    Random,
    /// The material's base colour factor times the vertex colours, without its textures
    /// (Blender's Material): flat colours, e.g. a PLY mesh's vertex colours.
    Material,
    /// The surface's albedo: base colour factor × vertex colours × base colour texture
    /// (Blender's Texture), to check a generated mesh's texture and its mapping without the
    /// scene's lighting.
    Texture,
}

impl SolidColor {
    /// All, in the order menus list them.
    pub const ALL: [SolidColor; 4] = [
        SolidColor::Clay,
        SolidColor::Random,
        SolidColor::Material,
        SolidColor::Texture,
    ];

    /// Whether meshes are coloured by their materials (drawn by mesh.wgsl's `solid` pipelines
    /// rather than solid.wgsl's).
    pub fn from_materials(self) -> bool {
        matches!(self, SolidColor::Material | SolidColor::Texture)
    }

    pub fn label(self) -> &'static str {
        match self {
            SolidColor::Clay => "Clay",
            SolidColor::Random => "Random",
            SolidColor::Material => "Material",
            SolidColor::Texture => "Texture",
        }
    }
}

/// The plane the viewport grid lies in, chosen from the view ([`GridPlane::of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridPlane {
    /// The ground, y = 0, depth-tested against the scene; splats and blended meshes on the
    /// far side of it are drawn under it, those on the camera's side over it.
    Ground,
    /// An orthographic view along the X axis (a side elevation): the plane x = 0 behind
    /// everything, where the background shows (Blender's side-view grid).
    AcrossX,
    /// An orthographic view along the Z axis (a front or back elevation): the plane z = 0
    /// behind everything.
    AcrossZ,
}

impl GridPlane {
    /// Within about 0.8° of an axis counts as looking along it.
    const ALIGNED: f32 = 0.9999;

    /// The ground plane, except in an orthographic view looking along X or Z, where the ground
    /// is edge-on and the grid stands in the view's plane instead.
    pub fn of(camera: &CameraView) -> Self {
        if camera.ortho.is_none() {
            return Self::Ground;
        }
        let forward = camera.forward();
        if forward.x.abs() > Self::ALIGNED {
            Self::AcrossX
        } else if forward.z.abs() > Self::ALIGNED {
            Self::AcrossZ
        } else {
            Self::Ground
        }
    }

    /// The frame uniform's code for grid.wgsl (`display.y`).
    pub(crate) fn code(self) -> f32 {
        match self {
            Self::Ground => 0.0,
            Self::AcrossX => 1.0,
            Self::AcrossZ => 2.0,
        }
    }
}

/// The frames a motion path spans: the whole active shot, or some frames either side of the
/// playhead (Blender's "around frame").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathRange {
    /// Frames before and after the playhead; `None`: the whole shot.
    pub around: Option<u32>,
    /// The playhead (only read with `around`).
    pub frame: u32,
}

impl PathRange {
    /// The first and last frame spanned (clamped to the shot by the path).
    pub fn frames(&self) -> (u32, u32) {
        match self.around {
            Some(n) => (self.frame.saturating_sub(n), self.frame.saturating_add(n)),
            None => (0, u32::MAX),
        }
    }
}

/// Quality and overlay settings of one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RenderSettings {
    /// 1 or 4.
    pub msaa: u32,
    /// Resolution of each shadow cascade.
    pub shadow_map_size: u32,
    pub overlays: Overlays,
    /// Where splats are depth-sorted.
    pub splat_sort: SplatSort,
    /// Whether big meshes may be drawn simplified when the frame is small.
    pub detail: Detail,
    /// Target pixels per output pixel along each axis (a supersampled clip frame's factor,
    /// else 1): point sizes and line widths are multiplied by it, so that they keep their
    /// size once the frame is brought down to the output.
    pub supersample: u32,
    /// Target pixels per UI point: what the viewport's widths are given in. Point sizes and
    /// line widths, the selection outline and the grid's lines are this many times as many
    /// pixels wide, so that on a HiDPI display (egui's `pixels_per_point`, e.g. 2) and in the
    /// half-resolution frames a software adapter draws while the camera moves, they keep
    /// their size on screen. 1 for stills and clip frames, whose pixels are the output's.
    pub pixels_per_point: f32,
}

/// Most pixels the selection outline reaches out from an outlined object's edge.
pub const MAX_OUTLINE_REACH_PX: u32 = 8;

impl RenderSettings {
    /// [`Self::pixels_per_point`] as overlay widths use it ([`crate::scene::ui_scale`]:
    /// finite, within 0.25..=4, as picking takes it).
    pub fn ui_scale(&self) -> f32 {
        crate::scene::ui_scale(self.pixels_per_point)
    }

    /// How many pixels the selection outline reaches out from an outlined object's edge:
    /// 2 per UI point, at least 1.
    pub fn outline_reach_px(&self) -> u32 {
        ((2.0 * self.ui_scale()).round() as u32).clamp(1, MAX_OUTLINE_REACH_PX)
    }
}

/// How much geometry a frame draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// Every mesh as it is.
    #[default]
    Full,
    /// Meshes of many triangles drawn from simplified levels (a quarter, a sixteenth of the
    /// triangles, built once per mesh when first needed) as long as a level keeps at least one
    /// triangle per four pixels of the frame: a thumbnail of a 131k-triangle terrain draws
    /// 33k. Only small frames are affected; at viewport sizes every level is too coarse.
    BySize,
}

/// Where Gaussian splats are sorted by view depth. Both give the same order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SplatSort {
    /// A GPU compute sort where the adapter supports it and is a real GPU; the parallel CPU
    /// sort on CPU adapters (lavapipe, llvmpipe, WARP), where it is faster.
    #[default]
    Auto,
    /// Always the parallel CPU radix sort.
    Cpu,
    /// The GPU compute sort wherever the adapter can run it (the CPU sort elsewhere).
    Gpu,
}

impl RenderSettings {
    /// The interactive viewport: overlays on.
    pub fn viewport() -> Self {
        Self {
            msaa: 4,
            shadow_map_size: 2048,
            overlays: Overlays {
                grid: true,
                icons: true,
                outline: true,
                bones: true,
                ..Overlays::NONE
            },
            splat_sort: SplatSort::Auto,
            detail: Detail::Full,
            supersample: 1,
            pixels_per_point: 1.0,
        }
    }

    /// Stills and clip frames: no overlays.
    pub fn final_frame() -> Self {
        Self {
            overlays: Overlays::NONE,
            ..Self::viewport()
        }
    }
}

/// Everything that determines one frame.
#[derive(Clone, Copy)]
pub struct FrameInput<'a> {
    pub scene: &'a Scene,
    pub camera: CameraView,
    pub settings: RenderSettings,
    /// Nodes drawn with a selection outline (when the outline overlay is on).
    pub selection: &'a [NodeId],
    /// Splats or points of one node drawn tinted as selected (when the outline overlay is
    /// on): the editor's screen selection.
    pub cloud_highlight: Option<CloudHighlight<'a>>,
}

/// The splats of a splat node, or the points of a point node, that the viewport shows as
/// selected.
#[derive(Clone, Copy)]
pub struct CloudHighlight<'a> {
    pub node: NodeId,
    /// One bit per splat or point of the node's cloud: those drawn tinted (the highlight is
    /// ignored when a mask's length differs from the cloud's).
    pub selected: Option<&'a crate::scene::ElementMask>,
    /// Those not drawn at all (hidden by the selection tool).
    pub hidden: Option<&'a crate::scene::ElementMask>,
    /// Those locked by the selection tool (never selected): drawn greyed out, as SuperSplat
    /// shows them, so what the tool leaves alone shows. Hidden wins over locked, locked over
    /// selected.
    pub locked: Option<&'a crate::scene::ElementMask>,
    /// Changes whenever `selected`, `hidden` or `locked` does: the renderer writes the bits
    /// again only then.
    pub key: u64,
    /// Where the selected elements are shown, in the node's frame (the gizmo dragging them
    /// before the edit is made); identity when they stay.
    pub moved: glam::Mat4,
}

/// GPU work done to bring the GPU copy of the scene up to date; zero when nothing changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadStats {
    pub meshes: u32,
    pub textures: u32,
    pub material_writes: u32,
    pub instance_writes: u32,
    pub light_writes: u32,
    /// Point clouds uploaded (once per content id; a line node's segments count as one).
    pub point_clouds: u32,
    /// Splat clouds uploaded (once per content id).
    pub splat_clouds: u32,
    /// Material bind groups (re)built: a new material, or a slot whose image or sampler
    /// changed. A value, UV set or transform edit builds none.
    pub material_bind_groups: u32,
    /// Texture samplers created; one per distinct sampler descriptor, shared after that.
    pub samplers: u32,
    pub bytes: u64,
}

/// What one frame drew.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameStats {
    pub draw_calls: u32,
    /// Shadow cascades re-drawn this frame (0 when the cached maps were still valid).
    pub shadow_passes: u32,
    pub triangles: u64,
    /// Points drawn.
    pub points: u64,
    /// Line segments drawn (of line nodes).
    pub segments: u64,
    /// Splats drawn: those in front of the near plane for pages sorted on the CPU; every
    /// splat of a page sorted on the GPU (the near-plane cull happens there, and reading the
    /// count back would stall the frame).
    pub splats: u64,
    /// Splat pages re-sorted on the CPU this frame (0 when neither the camera nor a splat
    /// node moved).
    pub splat_sorts: u32,
    /// Splat pages re-sorted by the GPU compute sort this frame.
    pub gpu_splat_sorts: u32,
    /// CPU time spent on splat sorts this frame, in microseconds: the sort itself on the CPU
    /// path, recording the compute passes on the GPU path.
    pub sort_micros: u64,
    /// Copies of the display layer for transmissive surfaces to read what lies behind them:
    /// one before the first, one more before each that overlaps on screen what was drawn
    /// since.
    pub behind_copies: u32,
    /// Depth slices splats were drawn in beyond the one that takes every depth: splats are
    /// drawn in slices between blended meshes (each slice a draw of every splat node).
    pub splat_slices: u32,
    /// Splat layer passes: with MSAA, each step of the display pass that draws splats blends
    /// them at one sample per pixel into a layer of their own, then lays it over the MSAA
    /// image (splats gain nothing from MSAA, and blending each into four samples per pixel
    /// cost 2 to 3 times the fill). 0 without MSAA: they blend in the display pass itself.
    pub splat_layers: u32,
    pub uploads: UploadStats,
}

impl Renderer {
    /// Renders one frame into a new offscreen texture and reads it back: the path used by
    /// stills, thumbnails and tests (it is `render` plus a readback).
    pub fn render_to_image(
        &mut self,
        ctx: &GpuContext,
        frame: &FrameInput<'_>,
        width: u32,
        height: u32,
    ) -> Result<(image::RgbaImage, FrameStats), RenderError> {
        let target = OffscreenTarget::new(&ctx.device, width, height);
        let stats = self.render(frame, &target.target());
        let image = target.read_rgba(ctx)?;
        Ok((image, stats))
    }
}

/// The view a still or a test uses when no camera is named: the scene's `Main` camera if it
/// has one, else the first camera, else a three-quarter view framing everything.
pub fn default_view(scene: &Scene) -> CameraView {
    if let Some(v) = scene.camera_view_named("Main") {
        return v;
    }
    if let Some((id, _)) = scene.cameras().first()
        && let Some(v) = scene.camera_view(*id)
    {
        return v;
    }
    framing_view(scene)
}

/// An orthographic view straight from one side (`from`) that frames the whole visible scene
/// in an image of `aspect` (width / height), with a 5% margin: a plan from the top, an
/// elevation from the front or a side.
pub fn axis_view(scene: &Scene, from: crate::scene::ViewAxis, aspect: f32) -> CameraView {
    let mut cam = crate::scene::OrbitCamera::default();
    cam.align_view(from);
    let bounds = scene.framing_bounds();
    if bounds.is_empty() {
        return cam.view();
    }
    // The box's extent across the view (its corners turned into the view's frame).
    let view_from_world = cam.rotation().inverse();
    let (mut lo, mut hi) = (
        glam::Vec2::splat(f32::INFINITY),
        glam::Vec2::splat(f32::NEG_INFINITY),
    );
    for corner in bounds.corners() {
        let p = (view_from_world * corner).truncate();
        (lo, hi) = (lo.min(p), hi.max(p));
    }
    let half = (hi - lo) * 0.5;
    let aspect = if aspect.is_finite() && aspect > 0.0 {
        aspect
    } else {
        1.0
    };
    let half_height = (half.y.max(half.x / aspect) * 1.05).max(0.01);
    let centre = (lo + hi) * 0.5;
    cam.pivot = cam.rotation() * centre.extend((view_from_world * bounds.center()).z);
    cam.distance = half_height / (cam.fov_y_rad * 0.5).tan();
    cam.view()
}

/// A three-quarter view that frames the whole visible scene.
pub fn framing_view(scene: &Scene) -> CameraView {
    let mut cam = crate::scene::OrbitCamera::default();
    cam.frame(&scene.framing_bounds());
    cam.view()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Ortho;
    use glam::{Mat4, Quat, Vec3};

    fn view(rotation: Quat, ortho: bool) -> CameraView {
        CameraView {
            ortho: ortho.then_some(Ortho {
                half_height: 5.0,
                far: 100.0,
            }),
            ..CameraView::perspective(
                Mat4::from_rotation_translation(rotation, Vec3::new(1.0, 2.0, 3.0)),
                1.0,
                0.1,
            )
        }
    }

    #[test]
    fn the_grid_stands_in_the_view_plane_only_in_orthographic_side_and_front_views() {
        use std::f32::consts::{FRAC_PI_2, PI};
        let cases = [
            // Looking along -Z, +Z, -X, +X.
            (Quat::IDENTITY, GridPlane::AcrossZ),
            (Quat::from_rotation_y(PI), GridPlane::AcrossZ),
            (Quat::from_rotation_y(FRAC_PI_2), GridPlane::AcrossX),
            (Quat::from_rotation_y(-FRAC_PI_2), GridPlane::AcrossX),
            // Down and up: the ground.
            (Quat::from_rotation_x(-FRAC_PI_2), GridPlane::Ground),
            (Quat::from_rotation_x(FRAC_PI_2), GridPlane::Ground),
            // Orbited off the axes.
            (Quat::from_rotation_y(0.3), GridPlane::Ground),
            (Quat::from_rotation_x(-0.05), GridPlane::Ground),
        ];
        for (rotation, want) in cases {
            assert_eq!(GridPlane::of(&view(rotation, true)), want, "{rotation}");
            assert_eq!(GridPlane::of(&view(rotation, false)), GridPlane::Ground);
        }
    }
}
