//! Pipelines, render targets and the passes of one frame:
//! shadow cascades → selection mask → opaque pass (exposed HDR: opaque meshes, points, sky;
//! MSAA resolved into `hdr`) → display pass (display.wgsl: `hdr` tone-mapped into
//! sRGB-encoded display values, then splats and blended meshes beyond the grid's plane (splats
//! in depth slices between the meshes), grid, the other splats and blended meshes, icons, all blended in that display space; resolved
//! into `display`; skipped when nothing is translucent) → post (decode, or tone-map `hdr` when
//! the display pass was skipped; selection outline) into the caller's target.

use super::clouds::{CloudPipes, GpuClouds, GridSide, XraySide, grid_plane_row};
use super::gpu_scene::{Batch, Defaults, GpuMaterial, GpuMesh, GpuScene, write_mip};
use super::gpu_types::{
    FrameUniform, GpuLight, INSTANCE_ATTRIBUTES, LINE_PAIR_ATTRIBUTES, LineVertex,
    MATERIAL_SAMPLER_BINDING, POSITION_ONLY, PostUniform, TEXTURE_SLOTS, VERTEX_ATTRIBUTES,
    instance_layout, surface_buffers, uv1_layout, vertex_layout,
};
use super::light_tiles;
use super::pass_timer::PassTimer;
use super::shaders::{MATERIAL_SAMPLERS, MaterialBindings};
use super::shadow::{self, CASCADES};
use super::sky::{SKY_TEXTURE_WIDTH, SkyModel};
use super::{FrameInput, FrameStats, GpuContext, RenderError, RenderTarget, TARGET_FORMAT};
use crate::scene::{NodeId, ToneMapper};
use glam::Vec3;
use std::collections::{HashMap, HashSet};

pub(super) const HDR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;
pub(super) const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
pub(super) const MASK_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R16Float;

struct Targets {
    width: u32,
    height: u32,
    msaa: u32,
    hdr_msaa: Option<wgpu::TextureView>,
    /// The opaque pass's image (exposed HDR, resolved).
    hdr: wgpu::TextureView,
    /// The display-space layer, resolved: tone-mapped, sRGB-encoded values with everything
    /// translucent blended over them (display.wgsl); what the post pass shows.
    display: wgpu::TextureView,
    display_texture: wgpu::Texture,
    /// `hdr` for the display pass's first draw.
    display_source: wgpu::BindGroup,
    /// What transmissive materials see behind them (mesh.wgsl group 2): `hdr` and a copy of
    /// the display layer taken before they are drawn (`copies_before`), so splats, blended
    /// meshes, the grid and glass behind glass show through it. Made the first time a frame
    /// of this size draws a transmissive material.
    behind: Option<Behind>,
    depth: wgpu::TextureView,
    /// With MSAA, for frames that draw splats: the splats blend at one sample per pixel into
    /// a layer of their own, which the MSAA display pass composites sample by sample
    /// (display.wgsl, "The splat layer"). Made the first time a frame of this size draws
    /// splats; never without MSAA or where the adapter cannot read `depth` in a shader (GL):
    /// splats then blend straight into the display pass.
    one_sample: Option<OneSample>,
    /// X-ray's targets (`XrayTargets`), made the first time a frame of this size draws
    /// X-ray.
    xray: Option<XrayTargets>,
    mask: wgpu::TextureView,
    mask_depth: wgpu::TextureView,
    /// The post pass reading `display` (after a display pass) or `hdr` (frames with nothing
    /// translucent, which skip the display pass).
    post_from_display: wgpu::BindGroup,
    post_from_hdr: wgpu::BindGroup,
}

/// See [`Targets::one_sample`].
struct OneSample {
    /// The opaque pass's depth at one sample per pixel (the farthest of each pixel's).
    depth: wgpu::TextureView,
    /// The MSAA `depth`, for `fs_resolve_depth`.
    resolve_source: wgpu::BindGroup,
    /// The layer each splat step blends into and is laid over from.
    splats: SplatLayer,
    /// With X-ray, the splats in front of its nearest surface (splats.wgsl
    /// `fs_layer_xray_both`), [beyond, near] the grid: gathered over the frame's splat
    /// steps and laid over after X-ray's composite, on either side of the grid. Made the
    /// first time a frame of this size draws splats with X-ray.
    xray_front: Option<[SplatLayer; 2]>,
}

/// A splat layer: premultiplied colour and alpha, and the splats' nearest depth per pixel.
struct SplatLayer {
    layer: wgpu::TextureView,
    nearest: wgpu::TextureView,
    /// `layer`, `nearest` and [`OneSample::depth`], for `fs_splat_layer`.
    composite_source: wgpu::BindGroup,
}

/// X-ray's order-independent blending (common.wgsl `xray_out`, [`Targets::xray`]).
struct XrayTargets {
    /// The nearest X-ray surface's view depth per pixel (the pre-pass, one sample per pixel;
    /// 0: none) and the pre-pass's own depth buffer.
    front: wgpu::TextureView,
    front_depth: wgpu::TextureView,
    /// The two targets the meshes blend into (MSAA, when the frame has it) and what they
    /// resolve into (the same without MSAA).
    accum_msaa: Option<wgpu::TextureView>,
    accum: wgpu::TextureView,
    reveal_msaa: Option<wgpu::TextureView>,
    reveal: wgpu::TextureView,
    /// `front` for the meshes' pipelines (mesh.wgsl group 2, solid.wgsl group 1).
    front_group: wgpu::BindGroup,
    /// Where the grid and splats split at X-ray's front: `front` with the neighbours' where
    /// an X-ray surface's edge crosses a pixel without covering its centre (solid.wgsl
    /// `fs_split_front`), and it in the same layout as `front_group`.
    split_front: wgpu::TextureView,
    split_group: wgpu::BindGroup,
    /// `accum` and `reveal` for display.wgsl's `fs_xray`.
    composite_group: wgpu::BindGroup,
}

/// See [`Targets::behind`].
struct Behind {
    texture: wgpu::Texture,
    group: wgpu::BindGroup,
}

impl Targets {
    /// A pass over the frame's colour target (cleared; the MSAA texture resolved into
    /// `resolved`, or `resolved` itself without MSAA) and its depth, with `depth` ops: the
    /// opaque pass clears it (and keeps it when a display pass follows), the display pass
    /// loads it and lets it go.
    fn frame_pass<'e>(
        &self,
        encoder: &'e mut wgpu::CommandEncoder,
        label: &'static str,
        resolved: &wgpu::TextureView,
        depth: wgpu::Operations<f32>,
        timer: Option<&PassTimer>,
    ) -> wgpu::RenderPass<'e> {
        self.frame_pass_part(encoder, label, resolved, depth, PassPart::Whole, timer)
    }

    /// [`Targets::frame_pass`] for a pass split in parts: a part that is not the last keeps
    /// the MSAA colour for the next, which loads it instead of clearing. `timer`: the pass's
    /// GPU time is recorded under `label` ([`Renderer::time_gpu_passes`]).
    fn frame_pass_part<'e>(
        &self,
        encoder: &'e mut wgpu::CommandEncoder,
        label: &'static str,
        resolved: &wgpu::TextureView,
        depth: wgpu::Operations<f32>,
        part: PassPart,
        timer: Option<&PassTimer>,
    ) -> wgpu::RenderPass<'e> {
        let (view, resolve) = match &self.hdr_msaa {
            Some(ms) => (ms, Some(resolved)),
            None => (resolved, None),
        };
        let load = match part {
            PassPart::Whole | PassPart::First => wgpu::LoadOp::Clear(wgpu::Color::BLACK),
            PassPart::Middle | PassPart::Last => wgpu::LoadOp::Load,
        };
        encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some(label),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view,
                depth_slice: None,
                resolve_target: resolve,
                ops: wgpu::Operations {
                    load,
                    store: if resolve.is_some() && !part.continued() {
                        wgpu::StoreOp::Discard
                    } else {
                        wgpu::StoreOp::Store
                    },
                },
            })],
            depth_stencil_attachment: depth_attachment(&self.depth, depth.load, depth.store),
            timestamp_writes: timer.and_then(|t| t.writes(label)),
            ..Default::default()
        })
    }
}

/// Which tone-map pipeline a frame draws with (post.wgsl's overridable constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct PostKey {
    /// Encodes sRGB itself, into an Rgba8Unorm target (`RenderTarget::encode`).
    encode: bool,
    /// Tone-maps the opaque pass's HDR image (no display pass ran), else decodes the display
    /// layer.
    from_hdr: bool,
    /// Draws the selection outline.
    outline: bool,
}

/// The display pass's first draw (display.wgsl: the opaque image tone-mapped into display
/// values) and, in a frame whose splats blend in their own layer (`Targets::one_sample`),
/// the depth resolve and the layer's composite.
struct DisplayPipe {
    pipeline: wgpu::RenderPipeline,
    splat_layer: Option<[wgpu::RenderPipeline; 2]>,
}

/// X-ray's passes besides the meshes' own (common.wgsl `xray_out`): the depth pre-pass of
/// the nearest X-ray surface (the depth pre-pass pipelines at one sample, by culling) and
/// the composite over the display layer (display.wgsl `fs_xray`).
struct XrayPipes {
    front: PrepassPipes,
    composite: wgpu::RenderPipeline,
    /// The grid [behind, in front of] X-ray's front (grid.wgsl `fs_xray_split`), when drawn.
    grid: Option<[wgpu::RenderPipeline; 2]>,
    /// Where the grid or splats split at the front ([`XrayTargets::split_front`]).
    split_front: Option<wgpu::RenderPipeline>,
}

/// One thing the display pass draws, in order.
enum DisplayStep<'a> {
    /// The splats on one side of the grid in one depth slice (`GpuClouds::depth_slices`), on
    /// one side of X-ray's front; with `XraySide::Both`, those in front of it into
    /// [`OneSample::xray_front`]'s layer of that index.
    Splats(GridSide, u32, XraySide, usize),
    /// [`OneSample::xray_front`]'s layer of that index laid over, if a step drew into it.
    XrayFrontSplats(usize),
    Batches(&'a [Batch]),
    Grid(XraySide),
    /// Splits the pass before a transmissive batch (see [`copies_before`]): copies the display
    /// layer into [`Targets::behind`] and goes on in a new pass.
    CopyBehind,
    /// X-ray's meshes laid over what was drawn so far (display.wgsl `fs_xray`).
    XrayComposite,
}

/// One draw of the display pass as planned, before copies and runs: splats (side of the
/// grid, depth-slice slot), blended batch `i` of part `part`, or the grid.
#[derive(Clone, Copy)]
enum Planned {
    Splats(GridSide, u32),
    Batch(usize, usize),
    Grid,
}

/// At most this many depth boundaries between splat slices in each part of the display pass
/// (each slice is one more draw of every splat, culled by depth in the vertex stage).
const MAX_SPLAT_SLICE_BOUNDS: usize = 4;

/// Where splat slices go among the blended batches of one part of the display pass (back to
/// front; `depths` their centres' view depths): a slice of splats is drawn before each batch
/// that is a boundary, holding the splats between it and the previous boundary, and a last
/// slice after all of them, so every batch covers the splats behind it and is covered by
/// those in front. With more batches than `max_bounds`, boundaries are spread evenly over
/// them and the batches between two share a slice (the splats among them drawn after them).
/// Depths are made monotone (a running minimum), as batches are sorted by distance.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SliceStep {
    /// The splats with view depth in [near, far).
    Splats([f32; 2]),
    Batch(usize),
}

fn splat_slices(depths: &[f32], splat_depths: [f32; 2], max_bounds: usize) -> Vec<SliceStep> {
    let [nearest, farthest] = splat_depths;
    let mut monotone = Vec::with_capacity(depths.len());
    let mut least = f32::MAX;
    for &d in depths {
        if d.is_finite() {
            least = least.min(d.max(0.0));
        }
        monotone.push(least);
    }
    // Candidate boundaries: the batches' depths, distinct, far to near, among the splats
    // (a boundary beyond or before all of them would only make an empty slice).
    let mut candidates: Vec<(usize, f32)> = Vec::new();
    for (i, &d) in monotone.iter().enumerate() {
        if d < f32::MAX && candidates.last().is_none_or(|&(_, last)| d < last) {
            candidates.push((i, d));
        }
    }
    let inside = |d: f32| d > nearest && d <= farthest;
    // The splats' one slice goes before the first batch nearer than all of them.
    let whole_before = candidates
        .iter()
        .find(|&&(_, d)| d < nearest)
        .map(|&(i, _)| i);
    candidates.retain(|&(_, d)| inside(d));
    let chosen: Vec<(usize, f32)> = if candidates.len() <= max_bounds {
        candidates
    } else {
        (0..max_bounds)
            .map(|k| candidates[k * candidates.len() / max_bounds])
            .collect()
    };
    let mut steps = Vec::with_capacity(depths.len() + chosen.len() + 1);
    if chosen.is_empty() {
        // Every splat between the same two batches: one draw of them all, there.
        let at = whole_before.unwrap_or(depths.len());
        steps.extend((0..at).map(SliceStep::Batch));
        steps.push(SliceStep::Splats([0.0, f32::MAX]));
        steps.extend((at..depths.len()).map(SliceStep::Batch));
        return steps;
    }
    let mut far = f32::MAX;
    let mut next = chosen.iter().peekable();
    for i in 0..depths.len() {
        if let Some(&&(at, bound)) = next.peek()
            && at == i
        {
            steps.push(SliceStep::Splats([bound, far]));
            far = bound;
            next.next();
        } else if i == whole_before.unwrap_or(usize::MAX) && far > 0.0 {
            // The first batch in front of every splat: the last slice goes before it.
            steps.push(SliceStep::Splats([0.0, far]));
            far = 0.0;
        }
        steps.push(SliceStep::Batch(i));
    }
    if far > 0.0 {
        steps.push(SliceStep::Splats([0.0, far]));
    }
    steps
}

/// A screen rectangle in normalised device coordinates: x0, y0, x1, y1.
type NdcRect = [f32; 4];

const WHOLE_SCREEN: NdcRect = [-1.0, -1.0, 1.0, 1.0];

/// Where on screen a sphere can draw: the rectangle about the projections of its bounding
/// cube's corners (conservative), the whole screen when a corner lies at or behind the eye.
fn ndc_rect(clip_from_world: glam::Mat4, center: Vec3, radius: f32) -> NdcRect {
    if !(center.is_finite() && radius.is_finite()) {
        return WHOLE_SCREEN;
    }
    let mut rect = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for i in 0..8 {
        let corner = center
            + Vec3::new(
                if i & 1 == 0 { -radius } else { radius },
                if i & 2 == 0 { -radius } else { radius },
                if i & 4 == 0 { -radius } else { radius },
            );
        let clip = clip_from_world * corner.extend(1.0);
        if clip.w <= 1e-6 {
            return WHOLE_SCREEN;
        }
        let (x, y) = (clip.x / clip.w, clip.y / clip.w);
        rect = [
            rect[0].min(x),
            rect[1].min(y),
            rect[2].max(x),
            rect[3].max(y),
        ];
    }
    rect
}

fn overlap(a: NdcRect, b: NdcRect) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// Before which of the display pass's draws (in drawing order: whether each is transmissive,
/// and where on screen it can draw) the display layer is copied for transmissive surfaces to
/// read what lies behind them: before the first transmissive one, and again before each one
/// that overlaps something drawn since the last copy (a glass pane behind another, a
/// blended mesh or splats between them), so that glass shows the glass, splats and blended
/// meshes behind it. Draws apart on screen share a copy, so a facade of windows costs one.
fn copies_before(draws: &[(bool, NdcRect)]) -> Vec<bool> {
    let mut copied = false;
    let mut since_copy: Vec<NdcRect> = Vec::new();
    draws
        .iter()
        .map(|&(transmissive, rect)| {
            let copy =
                transmissive && (!copied || since_copy.iter().any(|&drawn| overlap(drawn, rect)));
            if copy {
                copied = true;
                since_copy.clear();
            }
            // Before the first copy nothing needs tracking: that copy holds it all.
            if copied {
                since_copy.push(rect);
            }
            copy
        })
        .collect()
}

/// Which part of a split render pass [`Targets::frame_pass_part`] begins.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PassPart {
    Whole,
    /// Clears; keeps its colour for the next part.
    First,
    /// Loads what the part before left and keeps its colour for the next.
    Middle,
    /// Loads what the part before left.
    Last,
}

impl PassPart {
    /// The part that follows a split of the display pass, counting the split off
    /// `splits_left`: the last when no split is left after it.
    fn after_split(splits_left: &mut u32) -> Self {
        *splits_left = splits_left.saturating_sub(1);
        if *splits_left > 0 {
            PassPart::Middle
        } else {
            PassPart::Last
        }
    }

    /// Whether another part follows, which loads this one's colour and depth.
    fn continued(self) -> bool {
        matches!(self, PassPart::First | PassPart::Middle)
    }

    /// The depth operations of this part of the display pass, which loads the opaque
    /// pass's depth and keeps it while parts follow.
    fn display_depth(self) -> wgpu::Operations<f32> {
        wgpu::Operations {
            load: wgpu::LoadOp::Load,
            store: if self.continued() {
                wgpu::StoreOp::Store
            } else {
                wgpu::StoreOp::Discard
            },
        }
    }
}

struct Shadows {
    size: u32,
    layers: Vec<wgpu::TextureView>,
    array_view: wgpu::TextureView,
}

/// How a material's fragments reach the HDR target.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum AlphaPipe {
    Opaque,
    /// glTF MASK: the `discard` entry point.
    Mask,
    Blend,
}

/// What a material asks of its mesh pipeline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct MeshPipe {
    alpha: AlphaPipe,
    double_sided: bool,
    /// KHR_materials_unlit / captured colour: mesh.wgsl's `unlit` pipeline constant. The
    /// lit and the unlit (relit) shading are separate pipelines rather than one shader
    /// branching on a material flag, so each compiles only its half: on CPU adapters the
    /// driver compiles a pipeline's shaders at its first draw, and the relighting half was
    /// ~40 % of the lit pipelines' compile on a cold start (BENCHMARKS, "Start-up").
    unlit: bool,
    /// The texture slots sampled (`GpuMaterial::maps`; only base colour when unlit): each
    /// sampling site is a large piece of a CPU adapter's compiled shader, so a pipeline
    /// holds only those its materials use.
    maps: u32,
    /// KHR_materials_transmission: mesh.wgsl's `fs_transmissive`, drawn in the display pass
    /// (blending like `AlphaPipe::Blend`), reading the opaque image through group 2.
    transmissive: bool,
    /// KHR_materials_clearcoat: mesh.wgsl's `clearcoat` pipeline constant.
    clearcoat: bool,
    /// KHR_materials_sheen: mesh.wgsl's `sheen` pipeline constant.
    sheen: bool,
    /// KHR_materials_anisotropy: mesh.wgsl's `anisotropy` pipeline constant.
    anisotropy: bool,
    /// KHR_materials_iridescence: mesh.wgsl's `iridescence` pipeline constant.
    iridescence: bool,
    /// KHR_materials_diffuse_transmission: mesh.wgsl's `diffuse_transmission` constant.
    diffuse_transmission: bool,
    /// Which of the material group's shared samplers each sampled slot reads, two bits per
    /// slot (`GpuMaterial::samplers`, masked to `maps`): mesh.wgsl's `slot_samplers` and
    /// `slot_samplers_high`. 0 (all the first) with `MaterialBindings::PerSlot`.
    samplers: u64,
    /// Solid shading in the material's colours (`MeshPipe::solid`): mesh.wgsl's `solid`
    /// constant, 0 lit, 1 the base colour factor × vertex colours, 2 also × the base colour
    /// texture.
    solid: u32,
    /// X-ray (`Overlays::xray`, `MeshPipe::xray`): drawn blended in the display layer,
    /// see-through (mesh.wgsl's `xray` constant), writing no depth.
    xray: bool,
}

impl MeshPipe {
    fn of(m: &GpuMaterial) -> Self {
        let alpha = if m.blend || m.transmissive {
            AlphaPipe::Blend
        } else if m.mask {
            AlphaPipe::Mask
        } else {
            AlphaPipe::Opaque
        };
        let maps = if m.unlit { m.maps() & 1 } else { m.maps() };
        Self {
            alpha,
            double_sided: m.double_sided,
            unlit: m.unlit,
            maps,
            samplers: m.samplers(maps),
            transmissive: m.transmissive,
            clearcoat: m.clearcoat,
            sheen: m.sheen,
            anisotropy: m.anisotropy,
            iridescence: m.iridescence,
            diffuse_transmission: m.diffuse_transmission,
            solid: 0,
            xray: false,
        }
    }

    /// The pipeline X-ray draws this kind with: blended in the display layer, see-through.
    /// Transmissive surfaces, see-through already, stay as they are.
    fn xray(self) -> Self {
        Self {
            xray: !self.transmissive,
            ..self
        }
    }

    /// The pipeline solid shading draws this material's meshes with in its colours
    /// (`SolidColor::Material` or `Texture`): opaque (blended and transmissive too, as clay
    /// draws them), alpha-masked ones still cut out, none of the lit shading's layers, and
    /// only the base colour texture sampled (for its alpha alone with `Material`).
    fn solid(self, color: super::SolidColor) -> Self {
        let mask = self.alpha == AlphaPipe::Mask;
        let maps = self.maps & 1;
        Self {
            alpha: if mask {
                AlphaPipe::Mask
            } else {
                AlphaPipe::Opaque
            },
            double_sided: self.double_sided,
            unlit: false,
            maps,
            samplers: self.samplers & 0b11,
            transmissive: false,
            clearcoat: false,
            sheen: false,
            anisotropy: false,
            iridescence: false,
            diffuse_transmission: false,
            solid: if color == super::SolidColor::Texture {
                2
            } else {
                1
            },
            xray: false,
        }
    }
}

/// A mesh pipeline: for a material, for a mesh with or without a second UV set (the two
/// read different vertex buffers, so each mesh pays only for what it has), and for mirrored
/// instances or not.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct PipeKey {
    kind: MeshPipe,
    uv1: bool,
    /// The instances' world matrices have a negative determinant: glTF 2.0 (§3.7.4) reverses
    /// the winding of a mirrored mesh's triangles, so their front faces turn clockwise on
    /// screen (culling and `front_facing` follow).
    mirrored: bool,
}

/// The depth pre-pass pipelines (`Renderer::prepass_pipeline`): culling back faces,
/// double-sided, and culling the back faces of mirrored instances.
type PrepassPipes = [wgpu::RenderPipeline; 3];

/// Below this many pixels a CPU adapter skips the depth pre-pass (see `render`).
const SMALL_FRAME_PIXELS: u64 = 160_000;

/// Draws scenes. Holds pipelines and the GPU copy of the last scene it saw.
pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    msaa_supported: bool,
    /// Whether MSAA frames may blend their splats at one sample per pixel
    /// ([`Targets::one_sample`]): the adapter can read a multisampled depth texture in a
    /// shader (not on GL).
    splat_layer_supported: bool,
    frame_layout: wgpu::BindGroupLayout,
    material_layout: wgpu::BindGroupLayout,
    post_layout: wgpu::BindGroupLayout,
    display_layout: wgpu::BindGroupLayout,
    /// The opaque pass's MSAA depth (display.wgsl's `fs_resolve_depth`), and the splat
    /// layer with that depth resolved (`fs_splat_layer`): [`Targets::one_sample`].
    depth_resolve_layout: wgpu::BindGroupLayout,
    splat_layer_layout: wgpu::BindGroupLayout,
    /// X-ray: the nearest X-ray surface's depth (mesh.wgsl group 2, solid.wgsl group 1), and
    /// the blended targets for their composite (display.wgsl `fs_xray`): [`Targets::xray`].
    xray_front_layout: wgpu::BindGroupLayout,
    xray_composite_layout: wgpu::BindGroupLayout,
    /// wire.wgsl group 1: a mesh's edges and vertices ([`super::gpu_scene::Wire`]).
    wire_layout: wgpu::BindGroupLayout,
    /// mesh.wgsl group 2 of transmissive pipelines: the opaque image and the display layer
    /// behind them ([`Targets::behind`]).
    behind_layout: wgpu::BindGroupLayout,
    mesh_module: wgpu::ShaderModule,
    pipelines: HashMap<(PipeKey, u32, bool), wgpu::RenderPipeline>,
    overlay_pipelines: HashMap<(&'static str, u32), wgpu::RenderPipeline>,
    shadow_pipeline: wgpu::RenderPipeline,
    mask_pipeline: wgpu::RenderPipeline,
    mask_module: wgpu::ShaderModule,
    single_layout: wgpu::PipelineLayout,
    prepass_pipelines: HashMap<u32, PrepassPipes>,
    /// X-ray's front-depth pre-pass (`Renderer::xray_front_pipeline`), made on first use.
    xray_front_pipelines: Option<PrepassPipes>,
    /// [`Renderer::xray_split_front_pipeline`], made on first use.
    xray_split_front: Option<wgpu::RenderPipeline>,
    /// GPU time per pass, when benchmarks ask for it ([`Renderer::time_gpu_passes`]).
    pass_timer: Option<PassTimer>,
    /// Solid shading's pipelines per MSAA count and X-ray, culling as [`PrepassPipes`].
    solid_pipelines: HashMap<(u32, bool), PrepassPipes>,
    /// The post pass into an sRGB target, and into an Rgba8Unorm one it encodes itself.
    /// The tone-map pass's pipelines, made when a frame first needs one ([`PostKey`]).
    post_pipelines: HashMap<PostKey, wgpu::RenderPipeline>,
    post_module: wgpu::ShaderModule,
    post_pipeline_layout: wgpu::PipelineLayout,
    frame_buffer: wgpu::Buffer,
    lights_buffer: wgpu::Buffer,
    lights_capacity: usize,
    /// Per-tile light lists of the frame (`light_tiles`), and what it holds now.
    light_tiles_buffer: wgpu::Buffer,
    light_tiles_written: Vec<u32>,
    /// KHR_materials_sheen's albedo table (`sheen::ALBEDO`), written once.
    sheen_albedo_buffer: wgpu::Buffer,
    cull_lights: bool,
    cascade_buffers: Vec<wgpu::Buffer>,
    cascade_bind_groups: Vec<wgpu::BindGroup>,
    mask_buffer: wgpu::Buffer,
    mask_bind_group: wgpu::BindGroup,
    post_buffer: wgpu::Buffer,
    shadow_sampler: wgpu::Sampler,
    frame_bind_group: Option<wgpu::BindGroup>,
    /// Render targets of recently used sizes (the viewport alternates between a reduced
    /// navigation size and its full size); the front one is current.
    targets: Vec<Targets>,
    software: bool,
    shadows: Option<Shadows>,
    defaults: Defaults,
    scene: GpuScene,
    clouds: GpuClouds,
    sky_key: Option<(u64, u64, u64)>,
    sky: Option<[[f32; 4]; 9]>,
    shadow_key: Option<ShadowKey>,
    /// See [`Renderer::hold_shadows`].
    hold_shadows: bool,
    /// The cascades last used and what they were fitted for.
    held: Option<(shadow::Cascades, FittedFor)>,
    sky_texture: wgpu::Texture,
    sky_view: wgpu::TextureView,
    sky_sampler: wgpu::Sampler,
    sky_mips: u32,
}

/// What held cascades stay valid for: sun direction bits, scene structure and transform
/// revisions, map size.
type FittedFor = ([u32; 3], u64, u64, u32);

/// Everything the shadow maps depend on; equal keys mean the maps can be reused.
#[derive(Clone, PartialEq)]
struct ShadowKey {
    cascades: [[u32; 16]; CASCADES],
    structure: u64,
    transforms: u64,
    size: u32,
    /// The frame's pixel count when meshes draw by size (it picks their levels).
    detail_pixels: Option<u64>,
}

pub(super) fn uniform_entry(binding: u32, vis: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    buffer_entry(binding, vis, wgpu::BufferBindingType::Uniform)
}

/// A read-only storage buffer binding.
pub(super) fn storage_entry(binding: u32, vis: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    buffer_entry(
        binding,
        vis,
        wgpu::BufferBindingType::Storage { read_only: true },
    )
}

fn buffer_entry(
    binding: u32,
    visibility: wgpu::ShaderStages,
    ty: wgpu::BufferBindingType,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn texture_entry(binding: u32, filterable: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Float { filterable },
            view_dimension: wgpu::TextureViewDimension::D2,
            multisampled: false,
        },
        count: None,
    }
}

/// The shader module of `source` (a shaders/ file with what it includes), labelled `label`.
fn wgsl_module(device: &wgpu::Device, label: &str, source: &str) -> wgpu::ShaderModule {
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(super::shaders::source(source).into()),
    })
}

/// A bind group's entry of the texture `view`.
fn view_entry(binding: u32, view: &wgpu::TextureView) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: wgpu::BindingResource::TextureView(view),
    }
}

fn make_texture(
    device: &wgpu::Device,
    label: &str,
    (w, h, layers): (u32, u32, u32),
    samples: u32,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: layers,
        },
        mip_level_count: 1,
        sample_count: samples,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

/// X-ray's order-independent targets (common.wgsl `xray_out`): colour × alpha × weight and
/// alpha × weight added up, and the revealage (cleared to 1) multiplied by 1 − alpha.
const XRAY_ACCUM_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;
const XRAY_REVEAL_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R16Float;
/// X-ray's front pre-pass target: the nearest X-ray surface's view depth (half floats keep
/// it to 0.1 %, plenty for a weight; R32Float is not renderable everywhere, e.g. on GL).
pub(super) const XRAY_FRONT_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R16Float;
pub(super) const XRAY_TARGETS: [Option<wgpu::ColorTargetState>; 2] = [
    Some(wgpu::ColorTargetState {
        format: XRAY_ACCUM_FORMAT,
        blend: Some(wgpu::BlendState {
            color: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::One,
                dst_factor: wgpu::BlendFactor::One,
                operation: wgpu::BlendOperation::Add,
            },
            alpha: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::One,
                dst_factor: wgpu::BlendFactor::One,
                operation: wgpu::BlendOperation::Add,
            },
        }),
        write_mask: wgpu::ColorWrites::ALL,
    }),
    Some(wgpu::ColorTargetState {
        format: XRAY_REVEAL_FORMAT,
        blend: Some(wgpu::BlendState {
            color: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::Zero,
                dst_factor: wgpu::BlendFactor::OneMinusSrc,
                operation: wgpu::BlendOperation::Add,
            },
            alpha: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::Zero,
                dst_factor: wgpu::BlendFactor::OneMinusSrc,
                operation: wgpu::BlendOperation::Add,
            },
        }),
        write_mask: wgpu::ColorWrites::ALL,
    }),
];

/// The overlay pipeline key of bone lines (lines.wgsl without a depth test).
const BONES_PIPELINE: &str = "bones";
/// The overlay pipeline keys of the splat layer's passes ([`Targets::one_sample`]): the MSAA
/// depth resolved to one sample per pixel (display.wgsl's `fs_resolve_depth`), and the layer
/// laid over the display layer (`fs_splat_layer`).
const DEPTH_RESOLVE_PIPELINE: &str = "depth resolve";
const SPLAT_LAYER_PIPELINE: &str = "splat layer";
/// The overlay pipeline key of X-ray's composite (display.wgsl's `fs_xray`).
const XRAY_COMPOSITE_PIPELINE: &str = "x-ray composite";
/// The overlay pipeline keys of the grid behind and in front of X-ray's front (grid.wgsl's
/// `fs_xray_split`).
const GRID_XRAY_BEHIND_PIPELINE: &str = "grid behind x-ray";
const GRID_XRAY_FRONT_PIPELINE: &str = "grid in front of x-ray";
/// The overlay pipeline key of the selected objects' wireframe (wire.wgsl's `fs_selected`).
const WIRE_SELECTED_PIPELINE: &str = "wire selected";
/// The wireframe's pipeline keys with its edges drawn as quads (wire.wgsl `vs_quad`) rather
/// than hardware lines: all edges and the selected objects'.
const WIRE_QUADS_PIPELINE: &str = "wire quads";
const WIRE_SELECTED_QUADS_PIPELINE: &str = "wire selected quads";
/// From this many pixels per UI point the wireframe's edges are drawn as quads that wide;
/// below, as one-pixel hardware lines, which CPU adapters draw several times faster.
const WIRE_QUADS_FROM_PX: f32 = 1.5;

/// The line overlays' pipelines this frame: icons (depth-tested), bones (in front) and the
/// meshes' wireframe (depth-tested, a little towards the viewer).
struct LinePipes {
    icons: Option<wgpu::RenderPipeline>,
    bones: Option<wgpu::RenderPipeline>,
    wire: Option<wgpu::RenderPipeline>,
    /// The selected objects' edges again, in the outline's orange, and which nodes they are
    /// (the selection with its descendants).
    wire_selected: Option<(wgpu::RenderPipeline, Vec<NodeId>)>,
    /// Whether the wireframe pipelines draw quads (else lines): [`draw_wire`].
    wire_quads: bool,
}

/// Draws a mesh's edges (the wireframe pipeline set) for `instances`, as quads (six vertices
/// per edge, reading the edges and vertices through its group) or hardware lines (its edges
/// as indices into its vertex buffer). False when the mesh has no edges built (or, for
/// quads, too many to bind).
fn draw_wire(
    pass: &mut wgpu::RenderPass<'_>,
    mesh: &super::gpu_scene::GpuMesh,
    quads: bool,
    instances: std::ops::Range<u32>,
) -> bool {
    let Some(wire) = &mesh.wire else {
        return false;
    };
    if quads {
        let Some(group) = &wire.group else {
            return false;
        };
        pass.set_bind_group(1, group, &[]);
        pass.draw(0..wire.edges.saturating_mul(6), instances);
    } else {
        pass.set_vertex_buffer(0, mesh.vertices.slice(..));
        pass.set_index_buffer(wire.indices.slice(..), wgpu::IndexFormat::Uint32);
        pass.draw_indexed(0..wire.edges.saturating_mul(2), 0, instances);
    }
    true
}

impl Renderer {
    pub fn new(ctx: &GpuContext) -> Self {
        let device = ctx.device.clone();
        let queue = ctx.queue.clone();
        let msaa_supported = ctx
            .adapter
            .get_texture_format_features(HDR_FORMAT)
            .flags
            .sample_count_supported(4)
            && ctx
                .adapter
                .get_texture_format_features(DEPTH_FORMAT)
                .flags
                .sample_count_supported(4);
        let vf = wgpu::ShaderStages::VERTEX_FRAGMENT;
        let frame_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("frame"),
            entries: &[
                uniform_entry(0, vf),
                storage_entry(1, vf),
                // Shadows in the vertex stage too: relit splats are shaded per splat.
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: vf,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Depth,
                        view_dimension: wgpu::TextureViewDimension::D2Array,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: vf,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Comparison),
                    count: None,
                },
                texture_entry(4, true),
                wgpu::BindGroupLayoutEntry {
                    binding: 5,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
                uniform_entry(6, wgpu::ShaderStages::FRAGMENT),
                // KHR_materials_sheen's albedo table. A storage buffer: a fourth uniform
                // buffer in the fragment stage crashes Debian 12's lavapipe (Mesa 22.3) in
                // textured pipelines.
                storage_entry(7, wgpu::ShaderStages::FRAGMENT),
            ],
        });
        // Every texture slot (with the shadow's and the sky's, two more sampled textures in
        // the fragment stage than there are slots, four more with `Targets::behind` in
        // transmissive pipelines: context.rs asks for them where the adapter has them) and four samplers the slots
        // share. With WebGPU's guaranteed 16 (the GL backend) the group leaves the slots of
        // KHR_materials_sheen, _anisotropy, _iridescence and _diffuse_transmission out (their factors alone count) and gives each slot its own sampler, as GL
        // combines every texture and sampler read together into a texture unit of its own.
        let material_bindings = if device.limits().max_sampled_textures_per_shader_stage
            >= super::context::SAMPLED_TEXTURES
        {
            MaterialBindings::Shared
        } else {
            MaterialBindings::PerSlot {
                bound: crate::scene::TextureSlot::SheenColor as usize,
            }
        };
        let (bound_slots, samplers) = match material_bindings {
            MaterialBindings::Shared => (TEXTURE_SLOTS, MATERIAL_SAMPLERS),
            MaterialBindings::PerSlot { bound } => (bound, bound),
        };
        let mut material_entries = vec![uniform_entry(0, wgpu::ShaderStages::FRAGMENT)];
        for b in 1..=bound_slots as u32 {
            material_entries.push(texture_entry(b, true));
        }
        for k in 0..samplers as u32 {
            material_entries.push(wgpu::BindGroupLayoutEntry {
                binding: MATERIAL_SAMPLER_BINDING + k,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                count: None,
            });
        }
        let material_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("material"),
            entries: &material_entries,
        });
        let single_uniform_layout =
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("single uniform"),
                entries: &[uniform_entry(0, wgpu::ShaderStages::VERTEX)],
            });
        let post_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("post"),
            entries: &[
                texture_entry(0, false),
                texture_entry(1, false),
                uniform_entry(2, wgpu::ShaderStages::FRAGMENT),
            ],
        });
        let display_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("display source"),
            entries: &[texture_entry(0, false)],
        });
        let depth_entry = |binding: u32, multisampled: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Depth,
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled,
            },
            count: None,
        };
        let depth_resolve_layout =
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("MSAA depth"),
                entries: &[depth_entry(1, true)],
            });
        let splat_layer_layout =
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("splat layer"),
                entries: &[
                    texture_entry(2, false),
                    texture_entry(3, false),
                    depth_entry(4, false),
                ],
            });
        let xray_front_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("x-ray front"),
            entries: &[texture_entry(2, false)],
        });
        let xray_composite_layout =
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("x-ray composite"),
                entries: &[texture_entry(5, false), texture_entry(6, false)],
            });
        let wire_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("mesh edges"),
            entries: &[
                storage_entry(0, wgpu::ShaderStages::VERTEX),
                storage_entry(1, wgpu::ShaderStages::VERTEX),
            ],
        });
        let behind_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("behind transmissive surfaces"),
            entries: &[texture_entry(0, false), texture_entry(1, false)],
        });
        let module = |name: &str| wgsl_module(&device, name, name);
        let mesh_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("mesh.wgsl"),
            source: wgpu::ShaderSource::Wgsl(super::shaders::mesh(material_bindings).into()),
        });
        let shadow_module = module("shadow.wgsl");
        let mask_module = module("mask.wgsl");
        let post_module = module("post.wgsl");

        let single_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("single uniform"),
            bind_group_layouts: &[Some(&single_uniform_layout)],
            immediate_size: 0,
        });
        let shadow_pipeline = position_pipeline(
            &device,
            PositionPass {
                label: "shadow",
                layout: &single_layout,
                module: &shadow_module,
                cull: None,
                depth_compare: wgpu::CompareFunction::LessEqual,
                bias: wgpu::DepthBiasState {
                    constant: 2,
                    slope_scale: 2.5,
                    clamp: 0.0,
                },
                msaa: 1,
                normals: false,
                color: PositionColor::None,
                entry_points: ["vs_main", "fs_main"],
            },
        );
        let mask_pipeline = position_pipeline(
            &device,
            PositionPass {
                label: "selection mask",
                layout: &single_layout,
                module: &mask_module,
                cull: None,
                depth_compare: wgpu::CompareFunction::GreaterEqual,
                bias: Default::default(),
                msaa: 1,
                // For each object's own value (the node's hue, in its normal matrix).
                normals: true,
                color: PositionColor::Replace(MASK_FORMAT, wgpu::ColorWrites::ALL),
                entry_points: ["vs_selection", "fs_selection"],
            },
        );
        let post_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("post"),
            bind_group_layouts: &[Some(&post_layout)],
            immediate_size: 0,
        });
        let uniform_buffer = |label: &str, size: u64, usage: wgpu::BufferUsages| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: usage | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let u = wgpu::BufferUsages::UNIFORM;
        let frame_buffer = uniform_buffer("frame", std::mem::size_of::<FrameUniform>() as u64, u);
        let lights_buffer = uniform_buffer(
            "lights",
            std::mem::size_of::<GpuLight>() as u64 * 16,
            wgpu::BufferUsages::STORAGE,
        );
        let light_tiles_buffer =
            uniform_buffer("light tiles", (light_tiles::MAX_WORDS * 4) as u64, u);
        let sheen_albedo_buffer = wgpu::util::DeviceExt::create_buffer_init(
            &device,
            &wgpu::util::BufferInitDescriptor {
                label: Some("sheen albedo"),
                contents: bytemuck::cast_slice(super::sheen::ALBEDO.as_flattened()),
                usage: wgpu::BufferUsages::STORAGE,
            },
        );
        let single_bind = |buf: &wgpu::Buffer| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &single_uniform_layout,
                entries: &[wgpu::BindGroupEntry {
                    binding: 0,
                    resource: buf.as_entire_binding(),
                }],
            })
        };
        let cascade_buffers: Vec<_> = (0..CASCADES)
            .map(|_| uniform_buffer("cascade", 64, u))
            .collect();
        let cascade_bind_groups = cascade_buffers.iter().map(single_bind).collect();
        let mask_buffer = uniform_buffer("mask", 64, u);
        let mask_bind_group = single_bind(&mask_buffer);
        let post_buffer = uniform_buffer("post", std::mem::size_of::<PostUniform>() as u64, u);
        let shadow_sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("shadow"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            compare: Some(wgpu::CompareFunction::LessEqual),
            ..Default::default()
        });
        let defaults = Defaults::new(&device, &queue);
        let (sky_texture, sky_view, sky_mips) = create_sky_texture(&device, SKY_TEXTURE_WIDTH);
        let sky_sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("sky"),
            address_mode_u: wgpu::AddressMode::Repeat,
            address_mode_v: wgpu::AddressMode::ClampToEdge,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            mipmap_filter: wgpu::MipmapFilterMode::Linear,
            ..Default::default()
        });
        let clouds = GpuClouds::new(&device, &ctx.adapter, &frame_layout, &xray_front_layout);
        Self {
            device,
            queue,
            msaa_supported,
            frame_layout,
            material_layout,
            post_layout,
            display_layout,
            depth_resolve_layout,
            splat_layer_layout,
            xray_front_layout,
            xray_composite_layout,
            splat_layer_supported: msaa_supported
                && ctx.adapter.get_info().backend != wgpu::Backend::Gl,
            wire_layout,
            behind_layout,
            mesh_module,
            pipelines: HashMap::new(),
            overlay_pipelines: HashMap::new(),
            shadow_pipeline,
            mask_pipeline,
            mask_module,
            single_layout,
            prepass_pipelines: HashMap::new(),
            xray_front_pipelines: None,
            xray_split_front: None,
            pass_timer: None,
            solid_pipelines: HashMap::new(),
            post_pipelines: HashMap::new(),
            post_module,
            post_pipeline_layout,
            frame_buffer,
            lights_buffer,
            lights_capacity: 16,
            light_tiles_buffer,
            light_tiles_written: Vec::new(),
            sheen_albedo_buffer,
            cull_lights: true,
            cascade_buffers,
            cascade_bind_groups,
            mask_buffer,
            mask_bind_group,
            post_buffer,
            shadow_sampler,
            frame_bind_group: None,
            targets: Vec::new(),
            software: ctx.adapter.get_info().device_type == wgpu::DeviceType::Cpu,
            shadows: None,
            defaults,
            scene: GpuScene::new(
                if ctx.adapter.get_info().device_type == wgpu::DeviceType::Cpu {
                    1
                } else {
                    8
                },
                material_bindings,
            ),
            clouds,
            sky_key: None,
            sky: None,
            shadow_key: None,
            hold_shadows: false,
            held: None,
            sky_texture,
            sky_view,
            sky_sampler,
            sky_mips,
        }
    }

    /// Caps one page of a point or splat cloud at `bytes` per storage binding (below the
    /// adapter's limit), so tests and benchmarks can exercise paged clouds with small data.
    /// Clouds are re-uploaded on the next frame.
    pub fn limit_cloud_page_bytes(&mut self, bytes: u64) {
        self.clouds.set_max_binding(bytes, &self.device);
    }

    /// Whether splats can be sorted by the GPU compute sort on this device (compute shaders,
    /// indirect draws and the workgroup limits it needs). Without it every
    /// [`super::SplatSort`] setting sorts on the CPU.
    pub fn gpu_splat_sort_supported(&self) -> bool {
        self.clouds.gpu_sort_supported()
    }

    /// Starts or stops timing the GPU splat sorts (benchmarks). Returns whether GPU
    /// timestamp queries are used; without them the time is the wall time from submitting
    /// the sort until the GPU is idle (which then waits for it every sorting frame).
    pub fn time_gpu_splat_sorts(&mut self, on: bool) -> bool {
        self.clouds.time_gpu_sorts(&self.device, &self.queue, on)
    }

    /// GPU microseconds of the previous frame's splat sorts, if timing is on and that frame
    /// sorted on the GPU. Waits for the GPU: benchmarks only.
    pub fn last_gpu_splat_sort_micros(&self) -> Option<f64> {
        self.clouds.last_gpu_sort_micros(&self.device)
    }

    /// The page-local splat order every splat draw of the previous frame read, per splat
    /// node (in node id order) and page, farthest first (with the viewport grid, a CPU-sorted
    /// page's splats beyond the grid's plane come first); splats behind the near plane are
    /// left out. Reads GPU memory back and waits: for tests and debugging.
    pub fn read_sorted_splats(&self) -> Result<Vec<Vec<Vec<u32>>>, RenderError> {
        self.clouds.read_sorted(&self.device, &self.queue)
    }

    /// Whether 4x MSAA is available on this adapter (otherwise frames render with 1 sample).
    pub fn msaa_supported(&self) -> bool {
        self.msaa_supported
    }

    /// The frame group, then (`with_material`) the material's, then `last`: the group
    /// transmissive materials read what is behind them through ([`Targets::behind`]), or the
    /// display pass's first draw its opaque image.
    fn main_layout(
        &self,
        with_material: bool,
        last: Option<&wgpu::BindGroupLayout>,
    ) -> wgpu::PipelineLayout {
        let mut layouts: Vec<Option<&wgpu::BindGroupLayout>> = vec![Some(&self.frame_layout)];
        if with_material {
            layouts.push(Some(&self.material_layout));
        }
        if last.is_some() {
            layouts.push(last);
        }
        self.device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("main"),
                bind_group_layouts: &layouts,
                immediate_size: 0,
            })
    }

    /// `prepass`: whether a depth pre-pass ran, so opaque surfaces only test depth.
    fn mesh_pipeline(&mut self, key: PipeKey, msaa: u32, prepass: bool) -> wgpu::RenderPipeline {
        if let Some(p) = self.pipelines.get(&(key, msaa, prepass)) {
            return p.clone();
        }
        let PipeKey {
            kind,
            uv1,
            mirrored,
        } = key;
        let blend = kind.alpha == AlphaPipe::Blend || kind.xray;
        let entry = match kind.alpha {
            _ if kind.transmissive => "fs_transmissive",
            AlphaPipe::Mask if kind.xray => "fs_xray_mask",
            AlphaPipe::Mask => "fs_mask",
            _ if kind.xray => "fs_xray_main",
            AlphaPipe::Opaque | AlphaPipe::Blend => "fs_main",
        };
        let constants = [
            ("unlit", if kind.unlit { 1.0 } else { 0.0 }),
            ("maps", f64::from(kind.maps)),
            ("clearcoat", if kind.clearcoat { 1.0 } else { 0.0 }),
            ("sheen", if kind.sheen { 1.0 } else { 0.0 }),
            ("anisotropy", if kind.anisotropy { 1.0 } else { 0.0 }),
            ("iridescence", if kind.iridescence { 1.0 } else { 0.0 }),
            (
                "diffuse_transmission",
                if kind.diffuse_transmission { 1.0 } else { 0.0 },
            ),
            // Blended meshes draw in the display-space layer (display.wgsl).
            ("display_out", if blend { 1.0 } else { 0.0 }),
            ("xray", if kind.xray { 1.0 } else { 0.0 }),
            ("solid", f64::from(kind.solid)),
        ];
        // Which of the shared samplers each slot reads (`MaterialBindings::Shared` only).
        let shared = self.scene.material_bindings() == MaterialBindings::Shared;
        let sampler_constants = [
            ("slot_samplers", f64::from(kind.samplers as u32)),
            (
                "slot_samplers_high",
                f64::from((kind.samplers >> 32) as u32),
            ),
        ];
        let constants: Vec<(&str, f64)> = constants
            .into_iter()
            .chain(sampler_constants.into_iter().filter(|_| shared))
            .collect();
        // Group 2: what transmissive surfaces see behind them; X-ray's nearest surface.
        let layout = self.main_layout(
            true,
            if kind.transmissive {
                Some(&self.behind_layout)
            } else if kind.xray {
                Some(&self.xray_front_layout)
            } else {
                None
            },
        );
        let mut buffers = vec![
            Some(vertex_layout(&VERTEX_ATTRIBUTES)),
            Some(instance_layout(&INSTANCE_ATTRIBUTES)),
        ];
        if uv1 {
            buffers.push(Some(uv1_layout()));
        }
        let one_target = [Some(wgpu::ColorTargetState {
            format: HDR_FORMAT,
            blend: blend.then_some(wgpu::BlendState::ALPHA_BLENDING),
            write_mask: wgpu::ColorWrites::ALL,
        })];
        let pipeline = self
            .device
            .create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(if blend { "mesh blend" } else { "mesh opaque" }),
                layout: Some(&layout),
                vertex: wgpu::VertexState {
                    module: &self.mesh_module,
                    entry_point: Some(if uv1 { "vs_main_uv1" } else { "vs_main" }),
                    compilation_options: Default::default(),
                    buffers: &buffers,
                },
                primitive: wgpu::PrimitiveState {
                    front_face: if mirrored {
                        wgpu::FrontFace::Cw
                    } else {
                        wgpu::FrontFace::Ccw
                    },
                    cull_mode: if kind.double_sided {
                        None
                    } else {
                        Some(wgpu::Face::Back)
                    },
                    ..Default::default()
                },
                // Opaque surfaces were laid down by the depth pre-pass: shade only the
                // fragments that won (GreaterEqual, no write). Masked ones test and write.
                depth_stencil: Some(wgpu::DepthStencilState {
                    format: DEPTH_FORMAT,
                    // Blended (and X-ray) draws write none; opaque ones unless the pre-pass did.
                    depth_write_enabled: Some(
                        !blend && (kind.alpha == AlphaPipe::Mask || !prepass),
                    ),
                    depth_compare: Some(if prepass && kind.alpha == AlphaPipe::Opaque && !blend {
                        wgpu::CompareFunction::GreaterEqual
                    } else {
                        wgpu::CompareFunction::Greater
                    }),
                    stencil: Default::default(),
                    bias: Default::default(),
                }),
                multisample: wgpu::MultisampleState {
                    count: msaa,
                    ..Default::default()
                },
                fragment: Some(wgpu::FragmentState {
                    module: &self.mesh_module,
                    entry_point: Some(entry),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants: &constants,
                        ..Default::default()
                    },
                    targets: if kind.xray {
                        &XRAY_TARGETS
                    } else {
                        &one_target
                    },
                }),
                multiview_mask: None,
                cache: None,
            });
        self.pipelines
            .insert((key, msaa, prepass), pipeline.clone());
        pipeline
    }

    /// The tone-map pass's pipeline for `key`: post.wgsl specialised by its overridable
    /// constants, so a frame runs only the code it needs (no outline loop without a
    /// selection, one input's decoding), which a CPU adapter would otherwise run for every
    /// pixel under a lane mask.
    fn post_pipeline(&mut self, key: PostKey) -> wgpu::RenderPipeline {
        if let Some(p) = self.post_pipelines.get(&key) {
            return p.clone();
        }
        // Into sRGB targets (the hardware encodes) and, where a target cannot be viewed as
        // sRGB (`RenderTarget::encode`, wgpu's GL backend), into Rgba8Unorm ones, encoding.
        let format = if key.encode {
            wgpu::TextureFormat::Rgba8Unorm
        } else {
            TARGET_FORMAT
        };
        let flag = |on: bool| if on { 1.0 } else { 0.0 };
        let pipeline = full_screen_pipeline(
            &self.device,
            FullScreen {
                label: "post",
                layout: &self.post_pipeline_layout,
                module: &self.post_module,
                entry_points: ["vs_main", "fs_main"],
                constants: &[
                    ("encode_srgb", flag(key.encode)),
                    ("from_hdr", flag(key.from_hdr)),
                    ("outline", flag(key.outline)),
                ],
                format,
            },
        );
        self.post_pipelines.insert(key, pipeline.clone());
        pipeline
    }

    /// Depth-only pre-pass for opaque meshes (position only, same math as mesh.wgsl).
    /// Returns [culling back faces, double-sided, culling front faces (the back faces of
    /// mirrored instances)], matching the materials' culling.
    fn prepass_pipeline(&mut self, msaa: u32) -> PrepassPipes {
        if let Some(p) = self.prepass_pipelines.get(&msaa) {
            return p.clone();
        }
        let p = by_culling(|cull| {
            position_pipeline(
                &self.device,
                PositionPass {
                    label: "depth pre-pass",
                    layout: &self.single_layout,
                    module: &self.mask_module,
                    cull,
                    depth_compare: wgpu::CompareFunction::Greater,
                    bias: Default::default(),
                    msaa,
                    normals: false,
                    // The pass has an HDR colour attachment; the pre-pass writes no colour.
                    color: PositionColor::Replace(HDR_FORMAT, wgpu::ColorWrites::empty()),
                    entry_points: ["vs_main", "fs_main"],
                },
            )
        });
        self.prepass_pipelines.insert(msaa, p.clone());
        p
    }

    /// X-ray's pre-pass of the nearest X-ray surface ([`XrayPipes`]): solid.wgsl's vertex
    /// stage, one sample per pixel, each fragment's view depth into a half-float target
    /// (`fs_front`), the nearest kept by the depth test; the meshes read it as a float texture
    /// (GL cannot `textureLoad` a depth texture).
    fn xray_front_pipeline(&mut self) -> PrepassPipes {
        if let Some(p) = &self.xray_front_pipelines {
            return p.clone();
        }
        let module = wgsl_module(&self.device, "solid.wgsl", "solid.wgsl");
        let layout = self.main_layout(false, None);
        let p = by_culling(|cull| {
            position_pipeline(
                &self.device,
                PositionPass {
                    label: "x-ray front",
                    layout: &layout,
                    module: &module,
                    cull,
                    depth_compare: wgpu::CompareFunction::Greater,
                    bias: Default::default(),
                    msaa: 1,
                    normals: true,
                    color: PositionColor::Replace(XRAY_FRONT_FORMAT, wgpu::ColorWrites::ALL),
                    entry_points: ["vs_main", "fs_front"],
                },
            )
        });
        self.xray_front_pipelines = Some(p.clone());
        p
    }

    /// X-ray's split front ([`XrayTargets::split_front`]): solid.wgsl's `fs_split_front`
    /// over the whole frame, reading the pre-pass's front.
    fn xray_split_front_pipeline(&mut self) -> wgpu::RenderPipeline {
        if let Some(p) = &self.xray_split_front {
            return p.clone();
        }
        let module = wgsl_module(&self.device, "solid.wgsl", "solid.wgsl");
        let layout = self.main_layout(false, Some(&self.xray_front_layout));
        let p = full_screen_pipeline(
            &self.device,
            FullScreen {
                label: "x-ray split front",
                layout: &layout,
                module: &module,
                entry_points: ["vs_fullscreen", "fs_split_front"],
                constants: &[],
                format: XRAY_FRONT_FORMAT,
            },
        );
        self.xray_split_front = Some(p.clone());
        p
    }

    /// Solid shading (solid.wgsl): culling as the depth pre-pass; depth-tested and written.
    /// With `xray`, into X-ray's order-independent targets (`fs_xray`), writing no depth.
    fn solid_pipeline(&mut self, msaa: u32, xray: bool) -> PrepassPipes {
        if let Some(p) = self.solid_pipelines.get(&(msaa, xray)) {
            return p.clone();
        }
        let module = wgsl_module(&self.device, "solid.wgsl", "solid.wgsl");
        let layout = self.main_layout(false, xray.then_some(&self.xray_front_layout));
        let p = by_culling(|cull| {
            position_pipeline(
                &self.device,
                PositionPass {
                    label: if xray {
                        "solid shading x-ray"
                    } else {
                        "solid shading"
                    },
                    layout: &layout,
                    module: &module,
                    cull,
                    depth_compare: wgpu::CompareFunction::Greater,
                    bias: Default::default(),
                    msaa,
                    normals: true,
                    color: if xray {
                        PositionColor::Xray
                    } else {
                        PositionColor::Replace(HDR_FORMAT, wgpu::ColorWrites::ALL)
                    },
                    entry_points: ["vs_main", if xray { "fs_xray" } else { "fs_main" }],
                },
            )
        });
        self.solid_pipelines.insert((msaa, xray), p.clone());
        p
    }

    /// Full-screen and overlay pipelines: sky, grid, icon lines, bone lines ([`BONES_PIPELINE`]:
    /// lines.wgsl drawn over everything) and the display pass's first draw (display.wgsl: the
    /// opaque image tone-mapped into the display layer, reading it through the display-source
    /// group; it covers every pixel and ignores depth).
    fn overlay_pipeline(&mut self, name: &'static str, msaa: u32) -> wgpu::RenderPipeline {
        if let Some(p) = self.overlay_pipelines.get(&(name, msaa)) {
            return p.clone();
        }
        let (source, vertex_entry, fragment_entry) = match name {
            BONES_PIPELINE => ("lines.wgsl", "vs_main", "fs_main"),
            DEPTH_RESOLVE_PIPELINE => ("display.wgsl", "vs_main", "fs_resolve_depth"),
            SPLAT_LAYER_PIPELINE => ("display.wgsl", "vs_main", "fs_splat_layer"),
            XRAY_COMPOSITE_PIPELINE => ("display.wgsl", "vs_main", "fs_xray"),
            GRID_XRAY_BEHIND_PIPELINE | GRID_XRAY_FRONT_PIPELINE => {
                ("grid.wgsl", "vs_main", "fs_xray_split")
            }
            "wire.wgsl" => ("wire.wgsl", "vs_line", "fs_main"),
            WIRE_SELECTED_PIPELINE => ("wire.wgsl", "vs_line", "fs_selected"),
            WIRE_QUADS_PIPELINE => ("wire.wgsl", "vs_quad", "fs_main"),
            WIRE_SELECTED_QUADS_PIPELINE => ("wire.wgsl", "vs_quad", "fs_selected"),
            _ => (name, "vs_main", "fs_main"),
        };
        let module = wgsl_module(&self.device, name, source);
        // The display pass's first draw reads the opaque image through the display-source
        // group; the wireframe reads a mesh's edges and vertices through its group.
        let layout = self.main_layout(
            false,
            match name {
                "display.wgsl" => Some(&self.display_layout),
                DEPTH_RESOLVE_PIPELINE => Some(&self.depth_resolve_layout),
                SPLAT_LAYER_PIPELINE => Some(&self.splat_layer_layout),
                XRAY_COMPOSITE_PIPELINE => Some(&self.xray_composite_layout),
                GRID_XRAY_BEHIND_PIPELINE | GRID_XRAY_FRONT_PIPELINE => {
                    Some(&self.xray_front_layout)
                }
                WIRE_QUADS_PIPELINE | WIRE_SELECTED_QUADS_PIPELINE => Some(&self.wire_layout),
                _ => None,
            },
        );
        // Overlay lines: one quad per pair of line vertices (an instance).
        let line_buffers = [Some(wgpu::VertexBufferLayout {
            array_stride: 2 * std::mem::size_of::<LineVertex>() as u64,
            step_mode: wgpu::VertexStepMode::Instance,
            attributes: &LINE_PAIR_ATTRIBUTES,
        })];
        // Edges as lines: the mesh's vertices (indexed by the edges) and the instances; as
        // quads: the instances in slot 1 (the edges and vertices are storage buffers).
        let edge_buffers = surface_buffers();
        let edge_quad_buffers = [None, Some(instance_layout(&INSTANCE_ATTRIBUTES[..7]))];
        let (buffers, topology, compare, blend): (&[Option<wgpu::VertexBufferLayout>], _, _, _) =
            match name {
                "lines.wgsl" => (
                    &line_buffers,
                    wgpu::PrimitiveTopology::TriangleStrip,
                    wgpu::CompareFunction::GreaterEqual,
                    None,
                ),
                // Bones show through the skin they move, as in Blender's pose mode.
                BONES_PIPELINE => (
                    &line_buffers,
                    wgpu::PrimitiveTopology::TriangleStrip,
                    wgpu::CompareFunction::Always,
                    None,
                ),
                "wire.wgsl" | WIRE_SELECTED_PIPELINE => (
                    &edge_buffers,
                    wgpu::PrimitiveTopology::LineList,
                    wgpu::CompareFunction::GreaterEqual,
                    Some(wgpu::BlendState::ALPHA_BLENDING),
                ),
                WIRE_QUADS_PIPELINE | WIRE_SELECTED_QUADS_PIPELINE => (
                    &edge_quad_buffers,
                    wgpu::PrimitiveTopology::TriangleList,
                    wgpu::CompareFunction::GreaterEqual,
                    Some(wgpu::BlendState::ALPHA_BLENDING),
                ),
                // Over everything: the meshes are see-through and wrote no depth.
                XRAY_COMPOSITE_PIPELINE => (
                    &[],
                    wgpu::PrimitiveTopology::TriangleList,
                    wgpu::CompareFunction::Always,
                    Some(wgpu::BlendState::ALPHA_BLENDING),
                ),
                // Over every sample at or behind the splats' nearest depth.
                SPLAT_LAYER_PIPELINE => (
                    &[],
                    wgpu::PrimitiveTopology::TriangleList,
                    wgpu::CompareFunction::GreaterEqual,
                    Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                ),
                "grid.wgsl" | GRID_XRAY_BEHIND_PIPELINE | GRID_XRAY_FRONT_PIPELINE => (
                    &[],
                    wgpu::PrimitiveTopology::TriangleList,
                    wgpu::CompareFunction::Greater,
                    Some(wgpu::BlendState::ALPHA_BLENDING),
                ),
                "display.wgsl" | DEPTH_RESOLVE_PIPELINE => (
                    &[],
                    wgpu::PrimitiveTopology::TriangleList,
                    wgpu::CompareFunction::Always,
                    None,
                ),
                _ => (
                    &[],
                    wgpu::PrimitiveTopology::TriangleList,
                    wgpu::CompareFunction::GreaterEqual,
                    None,
                ),
            };
        // Which side of X-ray's front the split grid draws (grid.wgsl `xray_side`).
        let constants: &[(&str, f64)] = match name {
            GRID_XRAY_FRONT_PIPELINE => &[("xray_side", 1.0)],
            _ => &[],
        };
        let pipeline = self
            .device
            .create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(name),
                layout: Some(&layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some(vertex_entry),
                    compilation_options: Default::default(),
                    buffers,
                },
                primitive: wgpu::PrimitiveState {
                    topology,
                    ..Default::default()
                },
                depth_stencil: Some(wgpu::DepthStencilState {
                    format: DEPTH_FORMAT,
                    // Only the resolve writes depth (every pixel's, see `Targets::one_sample`).
                    depth_write_enabled: Some(name == DEPTH_RESOLVE_PIPELINE),
                    depth_compare: Some(compare),
                    stencil: Default::default(),
                    bias: Default::default(),
                }),
                multisample: wgpu::MultisampleState {
                    count: msaa,
                    ..Default::default()
                },
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some(fragment_entry),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants,
                        ..Default::default()
                    },
                    // The depth resolve writes depth alone.
                    targets: &[Some(wgpu::ColorTargetState {
                        format: HDR_FORMAT,
                        blend,
                        write_mask: wgpu::ColorWrites::ALL,
                    })][..usize::from(name != DEPTH_RESOLVE_PIPELINE)],
                }),
                multiview_mask: None,
                cache: None,
            });
        self.overlay_pipelines
            .insert((name, msaa), pipeline.clone());
        pipeline
    }

    /// Makes the current targets' [`Targets::behind`] if they have none.
    fn ensure_behind(&mut self) {
        let Some(t) = self.targets.first_mut() else {
            return;
        };
        if t.behind.is_some() {
            return;
        }
        let texture = make_texture(
            &self.device,
            "display behind transmissive surfaces",
            (t.width, t.height, 1),
            1,
            HDR_FORMAT,
            wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        );
        let view = texture.create_view(&Default::default());
        let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("behind transmissive surfaces"),
            layout: &self.behind_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&t.hdr),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
            ],
        });
        t.behind = Some(Behind { texture, group });
    }

    /// Makes the current targets' [`Targets::xray`] if they have none.
    fn ensure_xray(&mut self) {
        let Some(t) = self.targets.first_mut() else {
            return;
        };
        if t.xray.is_some() {
            return;
        }
        let d = &self.device;
        let size = (t.width, t.height, 1);
        let attach = wgpu::TextureUsages::RENDER_ATTACHMENT;
        let sampled = attach | wgpu::TextureUsages::TEXTURE_BINDING;
        let view = |label, samples, format, usage| {
            make_texture(d, label, size, samples, format, usage).create_view(&Default::default())
        };
        let front = view("x-ray front", 1, XRAY_FRONT_FORMAT, sampled);
        let front_depth = view("x-ray front depth", 1, DEPTH_FORMAT, attach);
        let split_front = view("x-ray split front", 1, XRAY_FRONT_FORMAT, sampled);
        let accum = view("x-ray accumulation", 1, XRAY_ACCUM_FORMAT, sampled);
        let reveal = view("x-ray revealage", 1, XRAY_REVEAL_FORMAT, sampled);
        let msaa = (t.msaa > 1).then_some(t.msaa);
        let accum_msaa =
            msaa.map(|n| view("x-ray accumulation msaa", n, XRAY_ACCUM_FORMAT, attach));
        let reveal_msaa = msaa.map(|n| view("x-ray revealage msaa", n, XRAY_REVEAL_FORMAT, attach));
        t.xray = Some(XrayTargets {
            front_group: d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("x-ray front"),
                layout: &self.xray_front_layout,
                entries: &[view_entry(2, &front)],
            }),
            split_group: d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("x-ray split front"),
                layout: &self.xray_front_layout,
                entries: &[view_entry(2, &split_front)],
            }),
            composite_group: d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("x-ray composite"),
                layout: &self.xray_composite_layout,
                entries: &[view_entry(5, &accum), view_entry(6, &reveal)],
            }),
            front,
            front_depth,
            split_front,
            accum_msaa,
            accum,
            reveal_msaa,
            reveal,
        });
    }

    /// Makes the current targets' [`Targets::one_sample`] if they have none and can have
    /// one (MSAA on an adapter that reads multisampled depth).
    fn ensure_splat_layer(&mut self) {
        let Some(t) = self.targets.first() else {
            return;
        };
        if t.one_sample.is_some() || t.msaa == 1 || !self.splat_layer_supported {
            return;
        }
        let d = &self.device;
        let usage = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
        let resolved = make_texture(
            d,
            "depth (one sample)",
            (t.width, t.height, 1),
            1,
            DEPTH_FORMAT,
            usage,
        )
        .create_view(&Default::default());
        let one_sample = OneSample {
            resolve_source: d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("MSAA depth"),
                layout: &self.depth_resolve_layout,
                entries: &[view_entry(1, &t.depth)],
            }),
            splats: self.splat_layer(t.width, t.height, &resolved, "splat layer"),
            depth: resolved,
            xray_front: None,
        };
        if let Some(t) = self.targets.first_mut() {
            t.one_sample = Some(one_sample);
        }
    }

    /// Makes the current targets' [`OneSample::xray_front`] if they have a splat layer and
    /// no such layers yet.
    fn ensure_xray_splat_layers(&mut self) {
        let Some(t) = self.targets.first() else {
            return;
        };
        let Some(o) = t.one_sample.as_ref().filter(|o| o.xray_front.is_none()) else {
            return;
        };
        let layers = ["X-ray front splats (beyond the grid)", "X-ray front splats"]
            .map(|label| self.splat_layer(t.width, t.height, &o.depth, label));
        if let Some(o) = self.targets.first_mut().and_then(|t| t.one_sample.as_mut()) {
            o.xray_front = Some(layers);
        }
    }

    /// A [`SplatLayer`] of `width` × `height` laid over at `depth` (`OneSample::depth`).
    fn splat_layer(
        &self,
        width: u32,
        height: u32,
        depth: &wgpu::TextureView,
        label: &str,
    ) -> SplatLayer {
        let d = &self.device;
        let usage = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
        let view = |format| {
            make_texture(d, label, (width, height, 1), 1, format, usage)
                .create_view(&Default::default())
        };
        let layer = view(HDR_FORMAT);
        let nearest = view(super::clouds::SPLAT_LAYER_DEPTH_FORMAT);
        SplatLayer {
            composite_source: d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout: &self.splat_layer_layout,
                entries: &[
                    view_entry(2, &layer),
                    view_entry(3, &nearest),
                    view_entry(4, depth),
                ],
            }),
            layer,
            nearest,
        }
    }

    fn ensure_targets(&mut self, width: u32, height: u32, msaa: u32) {
        if let Some(i) = self
            .targets
            .iter()
            .position(|t| t.width == width && t.height == height && t.msaa == msaa)
        {
            let t = self.targets.remove(i);
            self.targets.insert(0, t);
            return;
        }
        let d = &self.device;
        let size = (width, height, 1);
        let attach = wgpu::TextureUsages::RENDER_ATTACHMENT;
        let sampled = attach | wgpu::TextureUsages::TEXTURE_BINDING;
        let hdr_msaa = (msaa > 1).then(|| {
            make_texture(d, "hdr msaa", size, msaa, HDR_FORMAT, attach)
                .create_view(&Default::default())
        });
        let hdr =
            make_texture(d, "hdr", size, 1, HDR_FORMAT, sampled).create_view(&Default::default());
        let display_texture = make_texture(
            d,
            "display",
            size,
            1,
            HDR_FORMAT,
            sampled | wgpu::TextureUsages::COPY_SRC,
        );
        let display = display_texture.create_view(&Default::default());
        let display_source = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("display source"),
            layout: &self.display_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::TextureView(&hdr),
            }],
        });
        // With MSAA, read by the splat layer's depth resolve (`Targets::one_sample`).
        let depth = make_texture(
            d,
            "depth",
            size,
            msaa,
            DEPTH_FORMAT,
            if msaa > 1 && self.splat_layer_supported {
                sampled
            } else {
                attach
            },
        )
        .create_view(&Default::default());
        let mask =
            make_texture(d, "mask", size, 1, MASK_FORMAT, sampled).create_view(&Default::default());
        let mask_depth = make_texture(d, "mask depth", size, 1, DEPTH_FORMAT, attach)
            .create_view(&Default::default());
        let post_bind_group = |image: &wgpu::TextureView| {
            d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("post"),
                layout: &self.post_layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(image),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::TextureView(&mask),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: self.post_buffer.as_entire_binding(),
                    },
                ],
            })
        };
        let post_from_display = post_bind_group(&display);
        let post_from_hdr = post_bind_group(&hdr);
        self.targets.truncate(2);
        self.targets.insert(
            0,
            Targets {
                width,
                height,
                msaa,
                hdr_msaa,
                hdr,
                display,
                display_texture,
                display_source,
                behind: None,
                depth,
                one_sample: None,
                xray: None,
                mask,
                mask_depth,
                post_from_display,
                post_from_hdr,
            },
        );
    }

    /// While set, frames keep the last shadow cascades (their matrices and drawn maps) instead
    /// of fitting new ones to each camera, as long as the sun, the scene's structure and
    /// transforms and the map size are unchanged. The viewport sets it for its camera-motion
    /// frames on software adapters, where redrawing three cascades costs a quarter of such a
    /// frame; the frame after the camera rests fits them again. Shadows far from the last
    /// fitted view may be missing or coarse meanwhile.
    pub fn hold_shadows(&mut self, hold: bool) {
        self.hold_shadows = hold;
    }

    /// Samples textures with at most `n`× anisotropic filtering (1: trilinear only). The
    /// default is 8 on a GPU and 1 on a software adapter, where it costs more than it shows.
    /// Tests pin it to compare frames across adapters. A change drops the uploaded scene,
    /// which the next frame uploads again with the new samplers.
    pub fn set_max_anisotropy(&mut self, n: u16) {
        let n = n.clamp(1, 16);
        if n != self.scene.anisotropy {
            self.scene = GpuScene::new(n, self.scene.material_bindings());
        }
    }

    /// Times each render pass of the following frames on the GPU (timestamp queries), for
    /// [`Renderer::gpu_pass_times`]; returns whether the device can (`TIMESTAMP_QUERY`).
    /// Off by default: untimed frames write no queries.
    pub fn time_gpu_passes(&mut self, on: bool) -> bool {
        if !on {
            self.pass_timer = None;
            return false;
        }
        if self.pass_timer.is_none() {
            self.pass_timer = PassTimer::new(&self.device, &self.queue);
        }
        self.pass_timer.is_some()
    }

    /// The GPU time of each render pass of the last frame, with
    /// [`Renderer::time_gpu_passes`] on (waits for the GPU; benchmarks only).
    pub fn gpu_pass_times(&self) -> Option<super::PassTimes> {
        self.pass_timer.as_ref()?.read(&self.device)
    }

    /// Lists in every screen tile every light instead of those that can reach it (on by
    /// default: off only to measure or check what the tiled lists save, `bench
    /// --no-light-culling`; the pictures are the same).
    pub fn cull_lights(&mut self, cull: bool) {
        self.cull_lights = cull;
    }

    /// Side of the sun's cascade maps now held (1 for the stand-in of a scene without meshes;
    /// `None` before the first frame).
    pub fn shadow_map_size(&self) -> Option<u32> {
        self.shadows.as_ref().map(|s| s.size)
    }

    /// True on CPU adapters (lavapipe, llvmpipe, WARP), where every pixel costs real time.
    pub fn is_software(&self) -> bool {
        self.software
    }

    /// Makes the cascade maps `size`² (clamped to 256..=8192 and the adapter), or a 1×1
    /// stand-in when `size` is 0 or 1: a scene without meshes never draws or samples its
    /// cascades, so it keeps the bind group valid without 3 × size² depth texels (48 MB at
    /// 2048², which on a CPU adapter is process memory next to a multi-million-splat cloud).
    fn ensure_shadows(&mut self, size: u32) {
        let size = if size <= 1 {
            1
        } else {
            size.clamp(256, self.device.limits().max_texture_dimension_2d.min(8192))
        };
        if self.shadows.as_ref().is_some_and(|s| s.size == size) {
            return;
        }
        let tex = make_texture(
            &self.device,
            "shadow cascades",
            (size, size, CASCADES as u32),
            1,
            DEPTH_FORMAT,
            wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
        );
        let layers = (0..CASCADES as u32)
            .map(|i| {
                tex.create_view(&wgpu::TextureViewDescriptor {
                    dimension: Some(wgpu::TextureViewDimension::D2),
                    base_array_layer: i,
                    array_layer_count: Some(1),
                    ..Default::default()
                })
            })
            .collect();
        let array_view = tex.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            ..Default::default()
        });
        self.shadows = Some(Shadows {
            size,
            layers,
            array_view,
        });
        self.shadow_key = None;
        self.frame_bind_group = None;
    }

    fn upload_lights(&mut self) {
        let lights = &self.scene.lights;
        if lights.len() > self.lights_capacity {
            self.lights_capacity = lights.len().next_power_of_two();
            self.lights_buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("lights"),
                size: (self.lights_capacity * std::mem::size_of::<GpuLight>()) as u64,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            self.frame_bind_group = None;
        }
        if !lights.is_empty() {
            self.queue
                .write_buffer(&self.lights_buffer, 0, bytemuck::cast_slice(lights));
        }
    }

    /// Makes the sky texture `width` × `width / 2` with a full mip chain (a panorama needs
    /// more texels than the procedural sky).
    fn ensure_sky_texture(&mut self, width: u32) {
        if self.sky_texture.width() == width {
            return;
        }
        let (texture, view, mips) = create_sky_texture(&self.device, width);
        self.sky_texture = texture;
        self.sky_view = view;
        self.sky_mips = mips;
        self.frame_bind_group = None;
    }

    fn frame_bind_group(&mut self) -> wgpu::BindGroup {
        if let Some(b) = &self.frame_bind_group {
            return b.clone();
        }
        let Some(shadows) = &self.shadows else {
            unreachable!("shadows are created before the frame bind group");
        };
        let b = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("frame"),
            layout: &self.frame_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.frame_buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: self.lights_buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&shadows.array_view),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::Sampler(&self.shadow_sampler),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: wgpu::BindingResource::TextureView(&self.sky_view),
                },
                wgpu::BindGroupEntry {
                    binding: 5,
                    resource: wgpu::BindingResource::Sampler(&self.sky_sampler),
                },
                wgpu::BindGroupEntry {
                    binding: 6,
                    resource: self.light_tiles_buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 7,
                    resource: self.sheen_albedo_buffer.as_entire_binding(),
                },
            ],
        });
        self.frame_bind_group = Some(b.clone());
        b
    }

    fn sky_for(&mut self, frame: &FrameInput<'_>) -> [[f32; 4]; 9] {
        let rev = frame.scene.revision();
        let environment = &frame.scene.environment;
        let panorama = environment
            .panorama
            .and_then(|p| Some((p, frame.scene.image(p.image)?)));
        let key = (
            rev.environment,
            rev.lights,
            (rev.transforms ^ rev.structure.rotate_left(7))
                ^ panorama.map_or(0, |(_, image)| image.content_id().rotate_left(17)),
        );
        if self.sky_key != Some(key) || self.sky.is_none() {
            let (levels, sh) = match panorama {
                Some((p, image)) => {
                    // A captured panorama shows as captured: its pixels are display colours.
                    let (mapper, ev) = (environment.tone_mapper, environment.exposure_ev100);
                    let gain = p.intensity.max(0.0);
                    // HDR values are pre-exposure: 1.0 reaches the tone mapper as 1.0.
                    let hdr_scale = gain * super::tonemap::radiance_per_exposed_unit(ev);
                    let levels = super::sky::bake_panorama(image, p.rotation_rad, |px| {
                        if p.hdr {
                            return glam::Vec3::from(crate::scene::linear_from_rgbe(px))
                                * hdr_scale;
                        }
                        let srgb =
                            glam::Vec3::new(px[0] as f32, px[1] as f32, px[2] as f32) / 255.0;
                        super::tonemap::display_to_radiance(srgb, mapper, ev) * gain
                    });
                    let (w, h, top) = &levels[0];
                    let sh = super::sky::irradiance_sh_of_equirect(*w, *h, top);
                    (levels, sh)
                }
                None => {
                    let sun = self.scene.sun;
                    let model = SkyModel::new(
                        &environment.sky,
                        sun.map(|(d, _)| d),
                        sun.map(|(_, l)| l.intensity).unwrap_or(0.0),
                    );
                    (model.bake_equirect(), model.irradiance_sh())
                }
            };
            let sh4 = sh.0.map(|c| [c.x, c.y, c.z, 0.0]);
            self.ensure_sky_texture(levels[0].0);
            // Bake pre-exposed radiance would tie the texture to exposure; store cd/m² in
            // half floats (max 65504) and expose in the shader.
            for (level, (w, h, data)) in levels.iter().enumerate().take(self.sky_mips as usize) {
                let halfs: Vec<half::f16> = data
                    .iter()
                    .flat_map(|p| p.map(|c| half::f16::from_f32(c.min(65_000.0))))
                    .collect();
                write_mip(
                    &self.queue,
                    &self.sky_texture,
                    level as u32,
                    (*w, *h),
                    bytemuck::cast_slice(&halfs),
                    8,
                );
            }
            self.sky = Some(sh4);
            self.sky_key = Some(key);
        }
        self.sky
            .unwrap_or_else(|| unreachable!("sky computed above"))
    }

    /// Draws `frame` into `target`, uploading only what changed since the previous call.
    pub fn render(&mut self, frame: &FrameInput<'_>, target: &RenderTarget<'_>) -> FrameStats {
        if let Some(timer) = &self.pass_timer {
            timer.begin_frame();
        }
        let mut stats = FrameStats::default();
        let (width, height) = (target.width.max(1), target.height.max(1));
        let msaa = if frame.settings.msaa > 1 && self.msaa_supported {
            4
        } else {
            1
        };
        let scene = frame.scene;
        self.scene.sync(
            &self.device,
            &self.queue,
            &self.material_layout,
            &self.defaults,
            scene,
            &mut stats.uploads,
        );
        self.clouds
            .sync(&self.device, &self.queue, scene, &mut stats.uploads);
        self.scene.select_levels(
            &self.device,
            scene,
            frame.settings.detail,
            u64::from(width) * u64::from(height),
        );
        if frame.settings.overlays.wireframe {
            self.scene
                .build_wires(&self.device, &self.wire_layout, scene, &mut stats.uploads);
        }
        // Without any mesh the shadow maps are never drawn: nothing casts, nothing is shadowed
        // (relit splats read them too).
        let casters = self.scene.instance_buffer.is_some();
        self.ensure_shadows(if casters {
            frame.settings.shadow_map_size.max(2)
        } else {
            1
        });
        if stats.uploads.light_writes > 0 {
            self.upload_lights();
        }
        self.ensure_targets(width, height, msaa);
        if self.scene.blended.iter().any(|b| {
            self.scene
                .materials
                .get(&b.material)
                .is_some_and(|m| m.transmissive)
        }) {
            self.ensure_behind();
        }
        if self.clouds.has_splats() {
            self.ensure_splat_layer();
        }
        let overlays = frame.settings.overlays;
        // X-ray's alpha (common.wgsl `xray_alpha`); NaN reads as opaque.
        let xray_alpha = if overlays.xray_alpha.is_nan() {
            1.0
        } else {
            overlays.xray_alpha.clamp(0.0, 1.0)
        };
        if overlays.icons || overlays.bones {
            self.scene
                .sync_lines(&self.device, &self.queue, scene, frame.selection, overlays);
        }

        // Per-frame uniforms (camera-dependent, always written).
        let aspect = width as f32 / height as f32;
        let clip_from_world = frame.camera.clip_from_world(aspect);
        let tiles = if self.cull_lights {
            light_tiles::light_tiles(
                &self.scene.lights,
                frame.camera.view_from_world(),
                frame.camera.clip_from_view(aspect),
                frame.camera.near,
                width,
                height,
            )
        } else {
            light_tiles::every_light(self.scene.lights.len(), width, height)
        };
        let light_tiles = tiles.params();
        if tiles.bits != self.light_tiles_written {
            self.queue.write_buffer(
                &self.light_tiles_buffer,
                0,
                bytemuck::cast_slice(&tiles.bits),
            );
            self.light_tiles_written = tiles.bits;
        }
        let sh = self.sky_for(frame);
        let sun = self.scene.sun;
        let bounds = self.scene.bounds;
        let shadow_size = self.shadows.as_ref().map(|s| s.size).unwrap_or(1024);
        let sun_casts = sun.is_some_and(|(_, l)| l.cast_shadows);
        let sun_to = sun.map(|(d, _)| d).unwrap_or(Vec3::Y);
        let rev = scene.revision();
        let fitted_for = (
            sun_to.to_array().map(f32::to_bits),
            rev.structure,
            rev.transforms,
            shadow_size,
        );
        let cascades = match self.held {
            Some((held, was)) if self.hold_shadows && was == fitted_for => held,
            _ => shadow::fit(&frame.camera, aspect, sun_to, &bounds, shadow_size),
        };
        self.held = Some((cascades, fitted_for));
        let mut shadow_mats = [[[0f32; 4]; 4]; 4];
        for (i, m) in cascades.clip_from_world.iter().enumerate() {
            shadow_mats[i] = m.to_cols_array_2d();
        }
        let mut cascade_far = [0f32; 4];
        cascade_far[..CASCADES].copy_from_slice(&cascades.far);
        let mut cascade_texel = [0f32; 4];
        cascade_texel[..CASCADES].copy_from_slice(&cascades.texel);
        cascade_texel[3] = cascades.start;
        let (sun_dir, sun_ill) = match sun {
            Some((d, l)) => ([d.x, d.y, d.z, 1.0], {
                let c = Vec3::from(l.color) * l.intensity.max(0.0);
                [
                    c.x,
                    c.y,
                    c.z,
                    if l.cast_shadows && casters { 1.0 } else { 0.0 },
                ]
            }),
            None => ([0.0, 1.0, 0.0, 0.0], [0.0; 4]),
        };
        let tone_mapper = match scene.environment.tone_mapper {
            ToneMapper::Aces => 0.0,
            ToneMapper::Linear => 1.0,
        };
        // The wireframe's opacity (a NaN or out-of-range value drawn as the default or
        // clamped).
        let wire_opacity = if frame.settings.overlays.wire_opacity.is_nan() {
            super::DEFAULT_WIRE_OPACITY
        } else {
            frame.settings.overlays.wire_opacity.clamp(0.0, 1.0)
        };
        let uniform = FrameUniform {
            clip_from_world: clip_from_world.to_cols_array_2d(),
            world_from_clip: clip_from_world.inverse().to_cols_array_2d(),
            view_from_world: frame.camera.view_from_world().to_cols_array_2d(),
            shadow_clip_from_world: shadow_mats,
            camera_pos: frame
                .camera
                .position()
                .extend(if frame.camera.ortho.is_some() {
                    0.0
                } else {
                    1.0
                })
                .to_array(),
            sun_dir,
            sun_illuminance: sun_ill,
            cascade_far,
            cascade_texel,
            sky_params: [
                self.sky_mips as f32,
                // 1 when the sky is a captured panorama: it shows its own sun, so no disc.
                if scene.environment.panorama.is_some() {
                    1.0
                } else {
                    0.0
                },
                // 1: solid shading's backdrop instead of the sky.
                if frame.settings.overlays.solid {
                    1.0
                } else {
                    0.0
                },
                0.0,
            ],
            sh,
            params: [
                exposure_scale(scene.environment.exposure_ev100),
                self.scene.lights.len() as f32,
                1.0 / shadow_size as f32,
                CASCADES as f32,
            ],
            viewport: [
                width as f32,
                height as f32,
                1.0 / width as f32,
                1.0 / height as f32,
            ],
            display: [
                tone_mapper,
                super::GridPlane::of(&frame.camera).code(),
                // Solid shading's flags: 1 a random colour per node, 2 flat lighting, bits 2–4
                // the MatCap.
                f32::from(
                    u8::from(frame.settings.overlays.solid_color == super::SolidColor::Random)
                        | frame.settings.overlays.solid_lighting.flags(),
                ),
                wire_opacity,
            ],
            light_tiles,
            overlay: [frame.settings.ui_scale(), xray_alpha, 0.0, 0.0],
        };
        self.queue
            .write_buffer(&self.frame_buffer, 0, bytemuck::bytes_of(&uniform));
        self.clouds.prepare(
            &self.device,
            &self.queue,
            scene,
            &frame.camera,
            (width, height),
            &frame.settings,
            frame.cloud_highlight,
            &mut stats,
        );
        for (i, buf) in self.cascade_buffers.iter().enumerate() {
            self.queue.write_buffer(
                buf,
                0,
                bytemuck::bytes_of(&cascades.clip_from_world[i].to_cols_array_2d()),
            );
        }
        self.queue.write_buffer(
            &self.mask_buffer,
            0,
            bytemuck::bytes_of(&clip_from_world.to_cols_array_2d()),
        );
        let outline = overlays.outline && !frame.selection.is_empty();
        // Whether anything blends in the display pass; a frame without (opaque meshes,
        // points, sky) skips it and the post pass tone-maps the opaque image itself.
        let wireframe = overlays.wireframe && self.scene.instance_buffer.is_some();
        // All edges at opacity 0 draw nothing: no pass, so the frame is the one without the
        // overlay exactly (the selected edges, never below 0.35, still show).
        let wire_all = wireframe && wire_opacity > 0.0;
        let wire_selected = wireframe && !frame.selection.is_empty();
        // Solid shading draws blended meshes opaque, with the others; X-ray draws every mesh
        // blended.
        let solid = overlays.solid;
        // At full opacity X-ray draws the meshes as without it (Blender's X-ray alpha 1).
        let xray = overlays.xray
            && xray_alpha < 1.0
            && (self.scene.instance_buffer.is_some() || self.clouds.has_points_or_lines());
        if xray {
            self.ensure_xray();
            if self.clouds.has_splats() {
                self.ensure_xray_splat_layers();
            }
        }
        let translucent = self.clouds.has_splats()
            || (!solid && !self.scene.blended.is_empty())
            || xray
            || overlays.grid
            || wire_all
            || wire_selected
            || ((overlays.icons || overlays.bones) && !self.scene.lines.is_empty());
        let post = PostUniform {
            // The outline and the input are the pipeline's constants (`PostKey`); y is the
            // outline's reach in pixels, 2 per UI point.
            params: [
                tone_mapper,
                frame.settings.outline_reach_px() as f32,
                0.0,
                0.0,
            ],
            outline_color: [1.0, 0.55, 0.1, 1.0],
        };
        self.queue
            .write_buffer(&self.post_buffer, 0, bytemuck::bytes_of(&post));

        // With MSAA, splats blend at one sample per pixel in a layer of their own
        // (`Targets::one_sample`).
        let splat_layer = self.clouds.has_splats()
            && self.targets.first().is_some_and(|t| t.one_sample.is_some());
        // Pipelines needed this frame.
        let mut needed = Vec::new();
        let mut needed_pipes = HashSet::new();
        for b in self.scene.opaque.iter().chain(self.scene.blended.iter()) {
            let uv1 = self
                .scene
                .meshes
                .get(&b.mesh)
                .is_some_and(|m| m.uv1.is_some());
            if let Some(m) = self.scene.materials.get(&b.material) {
                let kind = match overlays.solid_color {
                    c if solid && c.from_materials() => MeshPipe::of(m).solid(c),
                    _ => MeshPipe::of(m),
                };
                let kind = if xray { kind.xray() } else { kind };
                needed.push((b.material, kind));
                needed_pipes.insert(PipeKey {
                    kind,
                    uv1,
                    mirrored: b.mirrored,
                });
            }
        }
        // A depth pre-pass makes the costly mesh shader run once per visible pixel. On CPU
        // adapters with MSAA, rasterising every triangle twice costs more than it saves, and
        // so it does for small frames (thumbnails), where there are few pixels to save on.
        let small = u64::from(width) * u64::from(height) < SMALL_FRAME_PIXELS;
        let prepass = !solid && !xray && ((msaa == 1 && !small) || !self.software);
        let prepass_pipe = prepass.then(|| self.prepass_pipeline(msaa));
        // Clay and random colours: solid.wgsl; the materials' colours: their own pipelines.
        let solid_clay = solid && !overlays.solid_color.from_materials();
        let solid_pipes = solid_clay.then(|| self.solid_pipeline(msaa, xray));
        let mut pipes: HashMap<PipeKey, wgpu::RenderPipeline> = HashMap::new();
        for key in needed_pipes.into_iter().filter(|_| !solid_clay) {
            let p = self.mesh_pipeline(key, msaa, prepass);
            pipes.insert(key, p);
        }
        let kind_of: HashMap<_, _> = needed.into_iter().collect();
        let sky_pipe = self.overlay_pipeline("sky.wgsl", msaa);
        let xray_pipes = xray.then(|| XrayPipes {
            front: self.xray_front_pipeline(),
            composite: self.overlay_pipeline(XRAY_COMPOSITE_PIPELINE, msaa),
            split_front: (overlays.grid || self.clouds.has_splats())
                .then(|| self.xray_split_front_pipeline()),
            grid: overlays.grid.then(|| {
                [
                    self.overlay_pipeline(GRID_XRAY_BEHIND_PIPELINE, msaa),
                    self.overlay_pipeline(GRID_XRAY_FRONT_PIPELINE, msaa),
                ]
            }),
        });
        let display_pipe = translucent.then(|| DisplayPipe {
            pipeline: self.overlay_pipeline("display.wgsl", msaa),
            splat_layer: splat_layer.then(|| {
                [
                    self.overlay_pipeline(DEPTH_RESOLVE_PIPELINE, 1),
                    self.overlay_pipeline(SPLAT_LAYER_PIPELINE, msaa),
                ]
            }),
        });
        let post_pipe = self.post_pipeline(PostKey {
            encode: target.encode,
            from_hdr: !translucent,
            outline,
        });
        let cloud_pipes = (!self.clouds.is_empty()).then(|| {
            let splats = if splat_layer {
                super::clouds::SplatTarget::Layer
            } else {
                super::clouds::SplatTarget::Display { msaa }
            };
            self.clouds.pipelines(&self.device, msaa, splats, xray)
        });
        let mask_pipes =
            (outline && !self.clouds.is_empty()).then(|| self.clouds.mask_pipelines(&self.device));

        let grid_pipe = overlays
            .grid
            .then(|| self.overlay_pipeline("grid.wgsl", msaa));
        // The wireframe one UI point wide: hardware lines where that is about a pixel.
        let wire_quads = frame.settings.ui_scale() >= WIRE_QUADS_FROM_PX;
        let wire_names = if wire_quads {
            [WIRE_QUADS_PIPELINE, WIRE_SELECTED_QUADS_PIPELINE]
        } else {
            ["wire.wgsl", WIRE_SELECTED_PIPELINE]
        };
        let line_pipe = LinePipes {
            icons: overlays
                .icons
                .then(|| self.overlay_pipeline("lines.wgsl", msaa)),
            bones: overlays
                .bones
                .then(|| self.overlay_pipeline(BONES_PIPELINE, msaa)),
            wire: wire_all.then(|| self.overlay_pipeline(wire_names[0], msaa)),
            wire_selected: wire_selected.then(|| {
                (
                    self.overlay_pipeline(wire_names[1], msaa),
                    expand_selection(scene, frame.selection),
                )
            }),
            wire_quads,
        };
        let frame_bg = self.frame_bind_group();

        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        let gs = &self.scene;
        let Some(instances) = gs.instance_buffer.as_ref() else {
            // No meshes: the sky and any point or splat clouds.
            if outline {
                self.encode_selection_mask(
                    &mut encoder,
                    &frame_bg,
                    scene,
                    frame.selection,
                    None,
                    mask_pipes.as_ref(),
                    &mut stats,
                );
            }
            self.encode_main_and_post(
                &mut encoder,
                &frame_bg,
                &[],
                [&[], &[]],
                // X-ray of the points and lines alone.
                xray_pipes.as_ref().map(|p| (&[][..], p)),
                &pipes,
                &kind_of,
                &sky_pipe,
                display_pipe.as_ref(),
                &post_pipe,
                cloud_pipes.as_ref(),
                prepass_pipe.as_ref(),
                solid_pipes.as_ref(),
                grid_pipe.as_ref(),
                &line_pipe,
                target,
                // No blended batches to place.
                glam::Mat4::IDENTITY,
                glam::Mat4::IDENTITY,
                &mut stats,
            );
            if let Some(timer) = &self.pass_timer {
                timer.resolve(&mut encoder);
            }
            self.queue.submit([encoder.finish()]);
            return stats;
        };
        let instances = instances.clone();

        // Shadow cascades: re-drawn only when the cascades moved or the casters changed.
        let rev = scene.revision();
        let shadow_key = ShadowKey {
            cascades: cascades
                .clip_from_world
                .map(|m| m.to_cols_array().map(f32::to_bits)),
            structure: rev.structure,
            transforms: rev.transforms,
            size: shadow_size,
            detail_pixels: (frame.settings.detail == super::Detail::BySize)
                .then(|| u64::from(width) * u64::from(height)),
        };
        let shadows_stale = self.shadow_key.as_ref() != Some(&shadow_key);
        if sun_casts
            && shadows_stale
            && let Some(shadows) = &self.shadows
        {
            self.shadow_key = Some(shadow_key);
            stats.shadow_passes = CASCADES as u32;
            for (i, layer) in shadows.layers.iter().enumerate() {
                let mut pass = depth_only_pass(
                    &mut encoder,
                    "shadow cascade",
                    layer,
                    1.0,
                    self.pass_timer.as_ref(),
                );
                pass.set_pipeline(&self.shadow_pipeline);
                pass.set_bind_group(0, &self.cascade_bind_groups[i], &[]);
                pass.set_vertex_buffer(1, instances.slice(..));
                for b in &gs.opaque {
                    let Some(mesh) = gs.meshes.get(&b.mesh) else {
                        continue;
                    };
                    draw_mesh(&mut pass, mesh, b.instances());
                    stats.draw_calls += 1;
                }
            }
        }

        if outline {
            self.encode_selection_mask(
                &mut encoder,
                &frame_bg,
                scene,
                frame.selection,
                Some(&instances),
                mask_pipes.as_ref(),
                &mut stats,
            );
        }

        // Blended objects back to front; with the ground grid, those whose centre lies beyond
        // its plane y = 0 first (they are drawn before it, see the main pass). A grid across
        // the view lies behind them all.
        let eye = frame.camera.position();
        let plane = grid_plane_row(glam::Mat4::IDENTITY, eye);
        let ground_grid =
            overlays.grid && super::GridPlane::of(&frame.camera) == super::GridPlane::Ground;
        let beyond_grid = |b: &Batch| ground_grid && plane.dot(b.center.extend(1.0)) < 0.0;
        // X-ray: every mesh order-independently, save transmissive ones (sorted as ever).
        let (xray_batches, glass): (Vec<Batch>, Vec<Batch>) = if xray {
            gs.opaque
                .iter()
                .chain(&gs.blended)
                .partition(|b| solid_clay || kind_of.get(&b.material).is_some_and(|k| k.xray))
        } else {
            Default::default()
        };
        let mut blended = if xray {
            glass
        } else if solid {
            Vec::new()
        } else {
            gs.blended.clone()
        };
        blended.sort_by(|a, b| {
            let da = (a.center - eye).length_squared();
            let db = (b.center - eye).length_squared();
            beyond_grid(b).cmp(&beyond_grid(a)).then(db.total_cmp(&da))
        });
        let (blended_beyond, blended_near) =
            blended.split_at(blended.iter().take_while(|b| beyond_grid(b)).count());
        let opaque: Vec<Batch> = if xray {
            Vec::new()
        } else if solid {
            gs.opaque.iter().chain(&gs.blended).cloned().collect()
        } else {
            gs.opaque.clone()
        };
        let xray_pipes = xray_pipes.as_ref().map(|p| (&xray_batches[..], p));
        self.encode_main_and_post(
            &mut encoder,
            &frame_bg,
            &opaque,
            [blended_beyond, blended_near],
            xray_pipes,
            &pipes,
            &kind_of,
            &sky_pipe,
            display_pipe.as_ref(),
            &post_pipe,
            cloud_pipes.as_ref(),
            prepass_pipe.as_ref(),
            solid_pipes.as_ref(),
            grid_pipe.as_ref(),
            &line_pipe,
            target,
            frame.camera.clip_from_world(aspect),
            frame.camera.world_from_view.inverse(),
            &mut stats,
        );
        if let Some(timer) = &self.pass_timer {
            timer.resolve(&mut encoder);
        }
        self.queue.submit([encoder.finish()]);
        stats
    }

    /// The selection mask: the selected nodes and their descendants as 1 in an R8 texture,
    /// outlined by the post pass. Meshes by their triangles (`instances`: the scene's instance
    /// buffer, None when it has no meshes), point clouds by their discs, splat clouds where a
    /// splat is at least a quarter opaque (`MASK_ALPHA` in splats.wgsl).
    #[allow(clippy::too_many_arguments)] // Two call sites, one per frame path.
    fn encode_selection_mask(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        frame_bg: &wgpu::BindGroup,
        scene: &crate::scene::Scene,
        selection: &[NodeId],
        instances: Option<&wgpu::Buffer>,
        cloud_pipes: Option<&super::clouds::MaskPipes>,
        stats: &mut FrameStats,
    ) {
        let selected = expand_selection(scene, selection);
        let Some(t) = self.targets.first() else {
            return;
        };
        let gs = &self.scene;
        let mut pass = scratch_depth_pass(
            encoder,
            "selection mask",
            &t.mask,
            &t.mask_depth,
            self.pass_timer.as_ref(),
        );
        if let Some(instances) = instances {
            pass.set_pipeline(&self.mask_pipeline);
            pass.set_bind_group(0, &self.mask_bind_group, &[]);
            pass.set_vertex_buffer(1, instances.slice(..));
            for id in &selected {
                let Some((mesh_id, idx)) = gs.node_instances.get(id) else {
                    continue;
                };
                let Some(mesh) = gs.meshes.get(mesh_id) else {
                    continue;
                };
                draw_mesh(&mut pass, mesh, *idx..*idx + 1);
                stats.draw_calls += 1;
            }
        }
        if let Some(pipes) = cloud_pipes {
            pass.set_bind_group(0, frame_bg, &[]);
            let selected: HashSet<NodeId> = selected.into_iter().collect();
            self.clouds
                .draw_selection_mask(&mut pass, pipes, &selected, stats);
        }
    }

    #[allow(clippy::too_many_arguments)] // One call site; the pieces are all per-frame state.
    fn encode_main_and_post(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        frame_bg: &wgpu::BindGroup,
        opaque: &[Batch],
        // Back to front: [beyond the grid's plane, the rest] (all in the second without grid).
        blended: [&[Batch]; 2],
        // X-ray: the batches blended order-independently, and the pipelines of its passes.
        xray: Option<(&[Batch], &XrayPipes)>,
        pipes: &HashMap<PipeKey, wgpu::RenderPipeline>,
        kind_of: &HashMap<crate::scene::MaterialId, MeshPipe>,
        sky_pipe: &wgpu::RenderPipeline,
        // None: nothing translucent this frame, no display pass.
        display_pipe: Option<&DisplayPipe>,
        post_pipe: &wgpu::RenderPipeline,
        cloud_pipes: Option<&CloudPipes>,
        prepass_pipe: Option<&PrepassPipes>,
        // Solid shading: every batch drawn by these instead of its material's pipeline.
        solid_pipes: Option<&PrepassPipes>,
        grid_pipe: Option<&wgpu::RenderPipeline>,
        line_pipe: &LinePipes,
        target: &RenderTarget<'_>,
        // For where on screen blended batches can draw, and how far they are.
        clip_from_world: glam::Mat4,
        view_from_world: glam::Mat4,
        stats: &mut FrameStats,
    ) {
        let Some(t) = self.targets.first() else {
            return;
        };
        let gs = &self.scene;
        let draw_batches = |pass: &mut wgpu::RenderPass<'_>,
                            batches: &[Batch],
                            stats: &mut FrameStats| {
            if let Some(solid) = solid_pipes {
                let mut current = None;
                for b in batches {
                    let Some(mesh) = gs.meshes.get(&b.mesh) else {
                        continue;
                    };
                    let double_sided = kind_of.get(&b.material).is_some_and(|k| k.double_sided);
                    let i = culling_index(double_sided, b.mirrored);
                    if current != Some(i) {
                        pass.set_pipeline(&solid[i]);
                        current = Some(i);
                    }
                    draw_mesh(pass, mesh, b.instances());
                    stats.draw_calls += 1;
                    stats.triangles +=
                        u64::from(mesh.drawn_triangles()) * u64::from(b.instance_count);
                }
                return;
            }
            let mut current: Option<PipeKey> = None;
            for b in batches {
                let (Some(mesh), Some(mat), Some(kind)) = (
                    gs.meshes.get(&b.mesh),
                    gs.materials.get(&b.material),
                    kind_of.get(&b.material),
                ) else {
                    continue;
                };
                let key = PipeKey {
                    kind: *kind,
                    uv1: mesh.uv1.is_some(),
                    mirrored: b.mirrored,
                };
                if current != Some(key) {
                    let Some(p) = pipes.get(&key) else { continue };
                    pass.set_pipeline(p);
                    current = Some(key);
                }
                pass.set_bind_group(1, &mat.bind_group, &[]);
                if let Some(uv1) = &mesh.uv1 {
                    pass.set_vertex_buffer(2, uv1.slice(..));
                }
                draw_mesh(pass, mesh, b.instances());
                stats.draw_calls += 1;
                stats.triangles += u64::from(mesh.drawn_triangles()) * u64::from(b.instance_count);
            }
        };
        // The opaque pass: exposed HDR radiance of opaque and masked meshes, points and the
        // sky, resolved into `hdr`; its depth is kept when a display pass follows.
        {
            let depth = wgpu::Operations {
                load: wgpu::LoadOp::Clear(0.0),
                store: if display_pipe.is_some() {
                    wgpu::StoreOp::Store
                } else {
                    wgpu::StoreOp::Discard
                },
            };
            let mut pass = t.frame_pass(encoder, "opaque", &t.hdr, depth, self.pass_timer.as_ref());
            if let Some(instances) = &gs.instance_buffer {
                pass.set_vertex_buffer(1, instances.slice(..));
            }
            // Depth pre-pass of plain opaque batches, then shading.
            pass.set_bind_group(0, &self.mask_bind_group, &[]);
            let mut current = None;
            for b in opaque.iter().filter(|_| prepass_pipe.is_some()) {
                let Some(kind) = kind_of
                    .get(&b.material)
                    .filter(|k| k.alpha == AlphaPipe::Opaque)
                else {
                    continue;
                };
                let i = culling_index(kind.double_sided, b.mirrored);
                if current != Some(i)
                    && let Some(p) = prepass_pipe
                {
                    pass.set_pipeline(&p[i]);
                    current = Some(i);
                }
                let Some(mesh) = gs.meshes.get(&b.mesh) else {
                    continue;
                };
                draw_mesh(&mut pass, mesh, b.instances());
                stats.draw_calls += 1;
            }
            pass.set_bind_group(0, frame_bg, &[]);
            draw_batches(&mut pass, opaque, stats);
            // Points are opaque: before the sky, which fills only what is still empty.
            if let Some(c) = cloud_pipes {
                self.clouds.draw_points(&mut pass, c, stats);
            }
            pass.set_pipeline(sky_pipe);
            pass.draw(0..3, 0..1);
            stats.draw_calls += 1;
        }
        // X-ray (common.wgsl `xray_out`): the nearest X-ray surface's depth at each pixel,
        // then the meshes blended order-independently into their two targets, depth-tested
        // against what the opaque pass drew (points and the sky); the display pass lays the
        // result over its image.
        if let Some((batches, pipes)) = xray
            && let Some(x) = &t.xray
        {
            let mut pass = scratch_depth_pass(
                encoder,
                "x-ray front",
                &x.front,
                &x.front_depth,
                self.pass_timer.as_ref(),
            );
            pass.set_bind_group(0, frame_bg, &[]);
            if let Some(c) = cloud_pipes {
                self.clouds.draw_points_xray(&mut pass, c, true, stats);
            }
            if let Some(instances) = &gs.instance_buffer {
                pass.set_vertex_buffer(1, instances.slice(..));
            }
            let mut current = None;
            for b in batches {
                let Some(mesh) = gs.meshes.get(&b.mesh) else {
                    continue;
                };
                let double_sided = kind_of.get(&b.material).is_some_and(|k| k.double_sided);
                let i = culling_index(double_sided, b.mirrored);
                if current != Some(i) {
                    pass.set_pipeline(&pipes.front[i]);
                    current = Some(i);
                }
                draw_mesh(&mut pass, mesh, b.instances());
                stats.draw_calls += 1;
            }
            drop(pass);
            if let Some(split) = &pipes.split_front {
                let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("x-ray split front"),
                    timestamp_writes: self
                        .pass_timer
                        .as_ref()
                        .and_then(|t| t.writes("x-ray split front")),
                    color_attachments: &[cleared_color(
                        &x.split_front,
                        None,
                        wgpu::Color::TRANSPARENT,
                    )],
                    ..Default::default()
                });
                pass.set_bind_group(0, frame_bg, &[]);
                draw_full_screen(&mut pass, split, &x.front_group, stats);
            }
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("x-ray"),
                timestamp_writes: self.pass_timer.as_ref().and_then(|t| t.writes("x-ray")),
                color_attachments: &[
                    cleared_color(&x.accum, x.accum_msaa.as_ref(), wgpu::Color::TRANSPARENT),
                    cleared_color(&x.reveal, x.reveal_msaa.as_ref(), wgpu::Color::WHITE),
                ],
                depth_stencil_attachment: depth_attachment(
                    &t.depth,
                    wgpu::LoadOp::Load,
                    wgpu::StoreOp::Store,
                ),
                ..Default::default()
            });
            pass.set_bind_group(0, frame_bg, &[]);
            if let Some(instances) = &gs.instance_buffer {
                pass.set_vertex_buffer(1, instances.slice(..));
            }
            // The nearest surface: solid.wgsl reads it in group 1, mesh.wgsl and points.wgsl
            // in group 2 (group 1 is each batch's material, each point node's draw there).
            pass.set_bind_group(1, &x.front_group, &[]);
            pass.set_bind_group(2, &x.front_group, &[]);
            draw_batches(&mut pass, batches, stats);
            if let Some(c) = cloud_pipes {
                self.clouds.draw_points_xray(&mut pass, c, false, stats);
            }
        }
        // The display pass (display.wgsl): the opaque image tone-mapped into sRGB-encoded
        // display values, then everything translucent blended over them as the display shows
        // it, depth-tested against the opaque pass's depth. The MSAA colour target is reused
        // (its opaque content is in `hdr` now); the result resolves into `display`.
        if let Some(display_pipe) = display_pipe {
            // Transmissive surfaces see what the display pass drew before them (splats, blended
            // meshes, the grid, glass further back) through a copy of the display layer: the
            // pass is split and the layer copied before the first of them (back to front) and
            // before each that overlaps on screen what was drawn since (`copies_before`).
            let transmissive = |b: &Batch| kind_of.get(&b.material).is_some_and(|k| k.transmissive);
            let any_glass = blended
                .iter()
                .flat_map(|part| part.iter())
                .any(transmissive);
            let behind = if any_glass { t.behind.as_ref() } else { None };
            // Every draw in order. Splats are drawn in view-depth slices between the blended
            // batches (`splat_slices`), so that a batch covers the splats behind it and not
            // those in front; the grid between the two parts.
            // The view depths of the splats drawn (None: no splats).
            let splat_depths = cloud_pipes.and(self.clouds.splat_depth_range(view_from_world));
            let grid_drawn = grid_pipe.is_some();
            let mut order: Vec<Planned> = Vec::new();
            let mut slice_ranges: Vec<[f32; 2]> = Vec::new();
            for (part, batches) in blended.iter().enumerate() {
                let side = if part == 0 {
                    GridSide::Beyond
                } else {
                    GridSide::Near
                };
                if part == 1 && grid_drawn {
                    order.push(Planned::Grid);
                }
                let Some(splat_depths) = splat_depths else {
                    order.extend((0..batches.len()).map(|i| Planned::Batch(part, i)));
                    continue;
                };
                let depths: Vec<f32> = batches
                    .iter()
                    .map(|b| -view_from_world.transform_point3(b.center).z)
                    .collect();
                for step in splat_slices(&depths, splat_depths, MAX_SPLAT_SLICE_BOUNDS) {
                    order.push(match step {
                        SliceStep::Splats(range) => {
                            let slot = if range == [0.0, f32::MAX] {
                                0
                            } else {
                                slice_ranges.push(range);
                                slice_ranges.len() as u32
                            };
                            Planned::Splats(side, slot)
                        }
                        SliceStep::Batch(i) => Planned::Batch(part, i),
                    });
                }
            }
            self.clouds.write_depth_slices(&self.queue, &slice_ranges);
            stats.splat_slices = slice_ranges.len() as u32;
            // Where each draw can land, and whether it is transmissive: the copies of the
            // display layer go before the transmissive batches that need one.
            let planned: Vec<(bool, NdcRect)> = order
                .iter()
                .map(|p| match *p {
                    Planned::Batch(part, i) => {
                        let b = &blended[part][i];
                        (
                            transmissive(b),
                            ndc_rect(clip_from_world, b.center, b.radius),
                        )
                    }
                    Planned::Splats(..) | Planned::Grid => (false, WHOLE_SCREEN),
                })
                .collect();
            let copies = copies_before(&planned);
            // With MSAA the splats blend at one sample per pixel into their own layer, laid
            // over the display pass after each of their steps (`Targets::one_sample`).
            let layer = display_pipe
                .splat_layer
                .as_ref()
                .zip(t.one_sample.as_ref())
                .filter(|_| cloud_pipes.is_some());
            // With X-ray, and the splat layer, the splats in front of its nearest surface
            // go into layers of their own, laid over after its composite.
            let xray_front_layers = layer
                .and_then(|(_, o)| o.xray_front.as_ref())
                .filter(|_| xray.is_some());
            // The steps, with batches drawn in runs between copies and splat slices. With
            // X-ray, the splats and the grid at or behind its nearest surface first.
            let (first_round, grid_first_round) = match (xray, xray_front_layers) {
                (None, _) => (XraySide::All, XraySide::All),
                (Some(_), Some(_)) => (XraySide::Both, XraySide::Behind),
                (Some(_), None) => (XraySide::Behind, XraySide::Behind),
            };
            // Which of `xray_front_layers` the splats go into: beyond the grid, or near.
            let mut front_layer = 0;
            let mut steps: Vec<DisplayStep> = Vec::new();
            let mut run: Option<(usize, usize, usize)> = None;
            fn flush<'a>(
                run: &mut Option<(usize, usize, usize)>,
                steps: &mut Vec<DisplayStep<'a>>,
                blended: [&'a [Batch]; 2],
            ) {
                if let Some((part, first, end)) = run.take() {
                    steps.push(DisplayStep::Batches(&blended[part][first..end]));
                }
            }
            for (p, copy) in order.iter().zip(copies) {
                if copy && behind.is_some() {
                    flush(&mut run, &mut steps, blended);
                    steps.push(DisplayStep::CopyBehind);
                }
                match *p {
                    Planned::Batch(part, i) => match &mut run {
                        Some((run_part, _, end)) if *run_part == part && *end == i => *end += 1,
                        _ => {
                            flush(&mut run, &mut steps, blended);
                            run = Some((part, i, i + 1));
                        }
                    },
                    Planned::Splats(side, slot) => {
                        flush(&mut run, &mut steps, blended);
                        steps.push(DisplayStep::Splats(side, slot, first_round, front_layer));
                    }
                    Planned::Grid => {
                        flush(&mut run, &mut steps, blended);
                        steps.push(DisplayStep::Grid(grid_first_round));
                        front_layer = 1;
                    }
                }
            }
            flush(&mut run, &mut steps, blended);
            // X-ray's meshes over all drawn so far, then the splats and the grid in front of
            // their nearest surface, in the same order (`XraySide`): the splats' layers
            // gathered in the steps above, or without the splat layer drawn again.
            if xray.is_some() {
                steps.push(DisplayStep::XrayComposite);
                if xray_front_layers.is_some() {
                    steps.push(DisplayStep::XrayFrontSplats(0));
                    if order.iter().any(|p| matches!(p, Planned::Grid)) {
                        steps.push(DisplayStep::Grid(XraySide::Front));
                    }
                    steps.push(DisplayStep::XrayFrontSplats(1));
                } else {
                    for p in &order {
                        match *p {
                            Planned::Splats(side, slot) => {
                                steps.push(DisplayStep::Splats(side, slot, XraySide::Front, 0));
                            }
                            Planned::Grid => steps.push(DisplayStep::Grid(XraySide::Front)),
                            Planned::Batch(..) => {}
                        }
                    }
                }
            }
            let copies = steps
                .iter()
                .filter(|s| matches!(s, DisplayStep::CopyBehind))
                .count() as u32;
            stats.behind_copies = copies;
            if let Some(([resolve, _], o)) = layer {
                let mut pass = depth_only_pass(
                    encoder,
                    "depth resolve",
                    &o.depth,
                    0.0,
                    self.pass_timer.as_ref(),
                );
                pass.set_bind_group(0, frame_bg, &[]);
                draw_full_screen(&mut pass, resolve, &o.resolve_source, stats);
            }
            let layers = if layer.is_some() {
                steps
                    .iter()
                    .filter(|s| matches!(s, DisplayStep::Splats(side, ..) if self.clouds.draws_splats_on(*side)))
                    .count() as u32
            } else {
                0
            };
            // The pass is split at each copy and each splat layer; the parts before the last
            // keep colour and depth.
            let splits = copies + layers;
            let part = if splits > 0 {
                PassPart::First
            } else {
                PassPart::Whole
            };
            let mut splits_left = splits;
            let mut pass = t.frame_pass_part(
                encoder,
                "display",
                &t.display,
                part.display_depth(),
                part,
                self.pass_timer.as_ref(),
            );
            pass.set_bind_group(0, frame_bg, &[]);
            draw_full_screen(&mut pass, &display_pipe.pipeline, &t.display_source, stats);
            let bind_common = |pass: &mut wgpu::RenderPass<'_>| {
                pass.set_bind_group(0, frame_bg, &[]);
                if let Some(instances) = &gs.instance_buffer {
                    pass.set_vertex_buffer(1, instances.slice(..));
                }
                // Transmissive materials read the opaque image and the display layer behind
                // them (group 2).
                if let Some(b) = behind {
                    pass.set_bind_group(2, &b.group, &[]);
                }
            };
            bind_common(&mut pass);
            // Splats blend over everything opaque (sky included), depth-tested against it, in
            // depth slices between the blended meshes (`splat_slices`). The grid is depth-tested against opaque
            // surfaces but writes no depth, nor do splats and blended meshes, so it goes
            // between those beyond its plane (as seen from the camera: behind it on every
            // view ray) and those on the camera's side (in front of it).
            // Whether a step drew into each of the X-ray front layers (cleared by the first).
            let mut front_drawn = [false; 2];
            for step in steps {
                match step {
                    DisplayStep::Splats(side, slice, xray_side, front_index) => {
                        let Some(c) = cloud_pipes else { continue };
                        // Split at X-ray's front: its view depths in group 2.
                        let xray_front = t
                            .xray
                            .as_ref()
                            .filter(|_| xray_side != XraySide::All)
                            .map(|x| &x.split_group);
                        let Some(([_, composite], o)) = layer else {
                            if let Some(g) = xray_front {
                                pass.set_bind_group(2, g, &[]);
                            }
                            self.clouds.draw_splats(
                                &mut pass,
                                c.splats(xray_side),
                                side,
                                slice,
                                stats,
                            );
                            // Transmissive batches read what is behind them there.
                            if let (Some(_), Some(b)) = (xray_front, behind) {
                                pass.set_bind_group(2, &b.group, &[]);
                            }
                            continue;
                        };
                        if !self.clouds.draws_splats_on(side) {
                            continue;
                        }
                        drop(pass);
                        let cleared = |view| cleared_color(view, None, wgpu::Color::TRANSPARENT);
                        let mut attachments =
                            vec![cleared(&o.splats.layer), cleared(&o.splats.nearest)];
                        // Splitting at X-ray's front: what lies in front of it gathers in
                        // the front layer over the frame's steps.
                        if let (XraySide::Both, Some(front)) = (xray_side, &o.xray_front) {
                            let f = &front[front_index];
                            let first = !std::mem::replace(&mut front_drawn[front_index], true);
                            attachments.extend([&f.layer, &f.nearest].map(|view| {
                                if first {
                                    cleared(view)
                                } else {
                                    loaded_color(view)
                                }
                            }));
                        }
                        let mut layer_pass =
                            encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                                label: Some("splat layer"),
                                timestamp_writes: self
                                    .pass_timer
                                    .as_ref()
                                    .and_then(|t| t.writes("splat layer")),
                                color_attachments: &attachments,
                                depth_stencil_attachment: depth_attachment(
                                    &o.depth,
                                    wgpu::LoadOp::Load,
                                    wgpu::StoreOp::Store,
                                ),
                                ..Default::default()
                            });
                        layer_pass.set_bind_group(0, frame_bg, &[]);
                        if let Some(g) = xray_front {
                            layer_pass.set_bind_group(2, g, &[]);
                        }
                        self.clouds.draw_splats(
                            &mut layer_pass,
                            c.splats(xray_side),
                            side,
                            slice,
                            stats,
                        );
                        drop(layer_pass);
                        stats.splat_layers += 1;
                        let part = PassPart::after_split(&mut splits_left);
                        pass = t.frame_pass_part(
                            encoder,
                            "display (splat layer laid over)",
                            &t.display,
                            part.display_depth(),
                            part,
                            self.pass_timer.as_ref(),
                        );
                        bind_common(&mut pass);
                        draw_full_screen(&mut pass, composite, &o.splats.composite_source, stats);
                    }
                    DisplayStep::XrayFrontSplats(index) => {
                        if let Some(([_, composite], o)) = layer
                            && let Some(front) = &o.xray_front
                            && front_drawn[index]
                        {
                            let source = &front[index].composite_source;
                            draw_full_screen(&mut pass, composite, source, stats);
                        }
                    }
                    DisplayStep::Batches(batches) => draw_batches(&mut pass, batches, stats),
                    DisplayStep::Grid(xray_side) => {
                        let split = xray
                            .and_then(|(_, p)| p.grid.as_ref())
                            .zip(t.xray.as_ref())
                            .map(|([behind, front], x)| {
                                let p = if xray_side == XraySide::Front {
                                    front
                                } else {
                                    behind
                                };
                                (p, &x.split_group)
                            });
                        if let Some((p, front)) = split {
                            pass.set_pipeline(p);
                            pass.set_bind_group(1, front, &[]);
                            pass.draw(0..6, 0..1);
                            stats.draw_calls += 1;
                        } else if let Some(p) = grid_pipe {
                            pass.set_pipeline(p);
                            pass.draw(0..6, 0..1);
                            stats.draw_calls += 1;
                        }
                    }
                    DisplayStep::XrayComposite => {
                        if let Some((_, pipes)) = xray
                            && let Some(x) = &t.xray
                        {
                            draw_full_screen(
                                &mut pass,
                                &pipes.composite,
                                &x.composite_group,
                                stats,
                            );
                        }
                    }
                    DisplayStep::CopyBehind => {
                        let Some(b) = behind else { continue };
                        drop(pass);
                        encoder.copy_texture_to_texture(
                            t.display_texture.as_image_copy(),
                            b.texture.as_image_copy(),
                            b.texture.size(),
                        );
                        let part = PassPart::after_split(&mut splits_left);
                        pass = t.frame_pass_part(
                            encoder,
                            "display (from a transmissive surface)",
                            &t.display,
                            part.display_depth(),
                            part,
                            self.pass_timer.as_ref(),
                        );
                        bind_common(&mut pass);
                    }
                }
            }
            // The wireframe under the icon lines, over everything else.
            if let Some(p) = &line_pipe.wire
                && let Some(instances) = &gs.instance_buffer
            {
                pass.set_pipeline(p);
                pass.set_vertex_buffer(1, instances.slice(..));
                for b in opaque
                    .iter()
                    .chain(blended.iter().flat_map(|part| part.iter()))
                {
                    let Some(mesh) = gs.meshes.get(&b.mesh) else {
                        continue;
                    };
                    if draw_wire(&mut pass, mesh, line_pipe.wire_quads, b.instances()) {
                        stats.draw_calls += 1;
                    }
                }
                // The selected objects' edges over them (Blender highlights them so).
                if let Some((p, nodes)) = &line_pipe.wire_selected {
                    pass.set_pipeline(p);
                    for id in nodes {
                        let Some((mesh, i)) = gs
                            .node_instances
                            .get(id)
                            .and_then(|(mesh, i)| Some((gs.meshes.get(mesh)?, *i)))
                        else {
                            continue;
                        };
                        if draw_wire(&mut pass, mesh, line_pipe.wire_quads, i..i + 1) {
                            stats.draw_calls += 1;
                        }
                    }
                }
            }
            if let Some(buf) = &gs.line_buffer {
                // Lines as instances: pair i is vertices 2i and 2i + 1.
                let icons = 0..(gs.bone_start.min(gs.lines.len()) / 2) as u32;
                let bones = icons.end..(gs.lines.len() / 2) as u32;
                for (pipe, range) in [(&line_pipe.icons, icons), (&line_pipe.bones, bones)] {
                    if let Some(p) = pipe
                        && !range.is_empty()
                    {
                        pass.set_pipeline(p);
                        pass.set_vertex_buffer(0, buf.slice(..));
                        pass.draw(0..crate::render::clouds::QUAD_VERTICES, range);
                        stats.draw_calls += 1;
                    }
                }
            }
        }
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("tone map"),
            timestamp_writes: self.pass_timer.as_ref().and_then(|t| t.writes("tone map")),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target.view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        pass.set_pipeline(post_pipe);
        let post_input = if display_pipe.is_some() {
            &t.post_from_display
        } else {
            &t.post_from_hdr
        };
        pass.set_bind_group(0, post_input, &[]);
        pass.draw(0..3, 0..1);
        stats.draw_calls += 1;
    }
}

/// A pass that clears `depth` to `clear` and writes it alone (the shadow cascades, the splat
/// layer's depth resolve); `label` also names its GPU time.
fn depth_only_pass<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    label: &'static str,
    depth: &wgpu::TextureView,
    clear: f32,
    timer: Option<&PassTimer>,
) -> wgpu::RenderPass<'e> {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some(label),
        timestamp_writes: timer.and_then(|t| t.writes(label)),
        color_attachments: &[],
        depth_stencil_attachment: depth_attachment(
            depth,
            wgpu::LoadOp::Clear(clear),
            wgpu::StoreOp::Store,
        ),
        ..Default::default()
    })
}

/// A depth attachment (no stencil).
fn depth_attachment(
    view: &wgpu::TextureView,
    load: wgpu::LoadOp<f32>,
    store: wgpu::StoreOp,
) -> Option<wgpu::RenderPassDepthStencilAttachment<'_>> {
    Some(wgpu::RenderPassDepthStencilAttachment {
        view,
        depth_ops: Some(wgpu::Operations { load, store }),
        stencil_ops: None,
    })
}

/// A colour attachment cleared to `clear`: drawn into `view`, or, with `msaa`, into that
/// multisampled texture resolved into `view` at the pass's end (and not kept).
/// One full-screen triangle (display.wgsl's and solid.wgsl's `vs_fullscreen` shape) drawn
/// with `pipeline`, `source` bound as group 1 (group 0 must be bound).
fn draw_full_screen(
    pass: &mut wgpu::RenderPass<'_>,
    pipeline: &wgpu::RenderPipeline,
    source: &wgpu::BindGroup,
    stats: &mut FrameStats,
) {
    pass.set_pipeline(pipeline);
    pass.set_bind_group(1, source, &[]);
    pass.draw(0..3, 0..1);
    stats.draw_calls += 1;
}

/// A one-sample colour attachment drawn over as it is.
fn loaded_color(view: &wgpu::TextureView) -> Option<wgpu::RenderPassColorAttachment<'_>> {
    Some(wgpu::RenderPassColorAttachment {
        view,
        depth_slice: None,
        resolve_target: None,
        ops: wgpu::Operations {
            load: wgpu::LoadOp::Load,
            store: wgpu::StoreOp::Store,
        },
    })
}

fn cleared_color<'a>(
    view: &'a wgpu::TextureView,
    msaa: Option<&'a wgpu::TextureView>,
    clear: wgpu::Color,
) -> Option<wgpu::RenderPassColorAttachment<'a>> {
    Some(wgpu::RenderPassColorAttachment {
        view: msaa.unwrap_or(view),
        depth_slice: None,
        resolve_target: msaa.map(|_| view),
        ops: wgpu::Operations {
            load: wgpu::LoadOp::Clear(clear),
            store: if msaa.is_some() {
                wgpu::StoreOp::Discard
            } else {
                wgpu::StoreOp::Store
            },
        },
    })
}

/// A one-sample pass into `color` (cleared to 0) whose depth buffer only sorts what it draws
/// (cleared, then let go): the selection mask, X-ray's front pre-pass. `label` also names
/// its GPU time.
fn scratch_depth_pass<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    label: &'static str,
    color: &wgpu::TextureView,
    depth: &wgpu::TextureView,
    timer: Option<&PassTimer>,
) -> wgpu::RenderPass<'e> {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some(label),
        timestamp_writes: timer.and_then(|t| t.writes(label)),
        color_attachments: &[cleared_color(color, None, wgpu::Color::TRANSPARENT)],
        depth_stencil_attachment: depth_attachment(
            depth,
            wgpu::LoadOp::Clear(0.0),
            wgpu::StoreOp::Discard,
        ),
        ..Default::default()
    })
}

/// Which of [`by_culling`]'s three pipelines draws a batch: back faces culled (0), none
/// for a double-sided material (1), front faces for mirrored instances (2).
fn culling_index(double_sided: bool, mirrored: bool) -> usize {
    match (double_sided, mirrored) {
        (true, _) => 1,
        (false, false) => 0,
        (false, true) => 2,
    }
}

/// Binds a mesh's buffers and draws `instances` of it (the instance buffer is at slot 1).
/// Draws the level of detail the frame picked ([`GpuScene::select_levels`]).
fn draw_mesh(pass: &mut wgpu::RenderPass<'_>, mesh: &GpuMesh, instances: std::ops::Range<u32>) {
    let (indices, count) = mesh.drawn_indices();
    pass.set_vertex_buffer(0, mesh.vertices.slice(..));
    pass.set_index_buffer(indices.slice(..), wgpu::IndexFormat::Uint32);
    pass.draw_indexed(0..count, 0, instances);
}

/// A pipeline that reads positions (and instance matrices) only: shadow cascades, the
/// selection mask and the depth pre-pass; with `normals`, also the normals and normal
/// matrices (solid shading).
struct PositionPass<'a> {
    label: &'static str,
    layout: &'a wgpu::PipelineLayout,
    module: &'a wgpu::ShaderModule,
    cull: Option<wgpu::Face>,
    depth_compare: wgpu::CompareFunction,
    bias: wgpu::DepthBiasState,
    msaa: u32,
    /// Whether the vertex stage also reads normals (location 1) and the instances' normal
    /// matrices (9..=11), as `SurfaceIn` in common.wgsl.
    normals: bool,
    /// What the fragment stage writes.
    color: PositionColor,
    /// The vertex and fragment entry points.
    entry_points: [&'static str; 2],
}

/// The colour targets of a [`PositionPass`].
enum PositionColor {
    /// None: depth alone.
    None,
    /// One target of this format, these channels written (none: the pass has the target but
    /// the pipeline only writes depth), and depth written.
    Replace(wgpu::TextureFormat, wgpu::ColorWrites),
    /// X-ray's two order-independent targets (`XRAY_TARGETS`), blended; no depth written.
    Xray,
}

/// The three pipelines of a pass over meshes, by how they cull ([`PrepassPipes`]): back
/// faces, none (double-sided), front faces (mirrored instances).
fn by_culling(make: impl Fn(Option<wgpu::Face>) -> wgpu::RenderPipeline) -> PrepassPipes {
    [
        make(Some(wgpu::Face::Back)),
        make(None),
        make(Some(wgpu::Face::Front)),
    ]
}

/// A pipeline over the whole target, one sample, no depth, writing one target unblended:
/// the post pass and X-ray's split front.
struct FullScreen<'a> {
    label: &'static str,
    layout: &'a wgpu::PipelineLayout,
    module: &'a wgpu::ShaderModule,
    /// The vertex and fragment entry points.
    entry_points: [&'static str; 2],
    /// The fragment stage's overridable constants.
    constants: &'a [(&'a str, f64)],
    format: wgpu::TextureFormat,
}

fn full_screen_pipeline(device: &wgpu::Device, p: FullScreen<'_>) -> wgpu::RenderPipeline {
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(p.label),
        layout: Some(p.layout),
        vertex: wgpu::VertexState {
            module: p.module,
            entry_point: Some(p.entry_points[0]),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: Default::default(),
        depth_stencil: None,
        multisample: Default::default(),
        fragment: Some(wgpu::FragmentState {
            module: p.module,
            entry_point: Some(p.entry_points[1]),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: p.constants,
                ..Default::default()
            },
            targets: &[Some(p.format.into())],
        }),
        multiview_mask: None,
        cache: None,
    })
}

fn position_pipeline(device: &wgpu::Device, p: PositionPass<'_>) -> wgpu::RenderPipeline {
    let buffers = if p.normals {
        surface_buffers()
    } else {
        [
            Some(vertex_layout(&POSITION_ONLY)),
            Some(instance_layout(&INSTANCE_ATTRIBUTES[..4])),
        ]
    };
    let targets = match p.color {
        PositionColor::None => None,
        PositionColor::Replace(format, write_mask) => Some(vec![Some(wgpu::ColorTargetState {
            format,
            blend: None,
            write_mask,
        })]),
        PositionColor::Xray => Some(XRAY_TARGETS.to_vec()),
    };
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(p.label),
        layout: Some(p.layout),
        vertex: wgpu::VertexState {
            module: p.module,
            entry_point: Some(p.entry_points[0]),
            compilation_options: Default::default(),
            buffers: &buffers,
        },
        primitive: wgpu::PrimitiveState {
            cull_mode: p.cull,
            ..Default::default()
        },
        depth_stencil: Some(wgpu::DepthStencilState {
            format: DEPTH_FORMAT,
            depth_write_enabled: Some(!matches!(p.color, PositionColor::Xray)),
            depth_compare: Some(p.depth_compare),
            stencil: Default::default(),
            bias: p.bias,
        }),
        multisample: wgpu::MultisampleState {
            count: p.msaa,
            ..Default::default()
        },
        fragment: targets.as_ref().map(|t| wgpu::FragmentState {
            module: p.module,
            entry_point: Some(p.entry_points[1]),
            compilation_options: Default::default(),
            targets: t,
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// The baked-sky texture: `width` × `width / 2` half-float RGBA with mips down to one texel
/// high. Returns the texture, its view and the mip count.
fn create_sky_texture(
    device: &wgpu::Device,
    width: u32,
) -> (wgpu::Texture, wgpu::TextureView, u32) {
    let mips = (width / 2).max(1).ilog2() + 1;
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("sky"),
        size: wgpu::Extent3d {
            width,
            height: width / 2,
            depth_or_array_layers: 1,
        },
        mip_level_count: mips,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: HDR_FORMAT,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    let view = texture.create_view(&Default::default());
    (texture, view, mips)
}

/// Photometric exposure for an EV100 (Lagarde & de Rousiers, "Moving Frostbite to PBR"):
/// maximum luminance 1.2 · 2^EV100 maps to 1.0.
pub fn exposure_scale(ev100: f32) -> f32 {
    1.0 / (1.2 * 2f32.powf(ev100))
}

/// The selected nodes and all their descendants.
fn expand_selection(scene: &crate::scene::Scene, selection: &[NodeId]) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<NodeId> = selection.to_vec();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        out.push(id);
        if let Some(n) = scene.node(id) {
            stack.extend(n.children.iter().copied());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAR: f32 = f32::MAX;
    /// Splats at every depth.
    const ALL: [f32; 2] = [0.0, f32::MAX];

    #[test]
    fn splats_are_sliced_only_where_they_are() {
        use SliceStep::{Batch as B, Splats as S};
        // Splats between 6 and 7 m, panes at 10 and 5 m: one draw of them all, between.
        assert_eq!(
            splat_slices(&[10.0, 5.0], [6.0, 7.0], 4),
            [B(0), S([0.0, FAR]), B(1)]
        );
        // Splats from 4 to 12 m, panes at 10, 5 and 2 m: slices at 10 and 5, the last one
        // before the pane in front of every splat.
        assert_eq!(
            splat_slices(&[10.0, 5.0, 2.0], [4.0, 12.0], 4),
            [
                S([10.0, FAR]),
                B(0),
                S([5.0, 10.0]),
                B(1),
                S([0.0, 5.0]),
                B(2)
            ]
        );
        // Splats in front of everything: after it all; behind everything: before it all.
        assert_eq!(
            splat_slices(&[10.0, 5.0], [0.5, 1.0], 4),
            [B(0), B(1), S([0.0, FAR])]
        );
        assert_eq!(
            splat_slices(&[10.0, 5.0], [20.0, 30.0], 4),
            [S([0.0, FAR]), B(0), B(1)]
        );
    }

    #[test]
    fn splats_are_sliced_at_each_blended_batch() {
        use SliceStep::{Batch as B, Splats as S};
        // No batches: one slice with every depth.
        assert_eq!(splat_slices(&[], ALL, 4), [S([0.0, FAR])]);
        // Two panes at 10 m and 5 m: splats beyond 10, the far pane, splats in 5–10, the
        // near pane, the nearest splats.
        assert_eq!(
            splat_slices(&[10.0, 5.0], ALL, 4),
            [S([10.0, FAR]), B(0), S([5.0, 10.0]), B(1), S([0.0, 5.0])]
        );
        // Sorted by distance, a batch may lie deeper than the one before: the running
        // minimum keeps the slices in order (no slice for it), and equal depths share one.
        assert_eq!(
            splat_slices(&[8.0, 9.0, 3.0, 3.0], ALL, 4),
            [
                S([8.0, FAR]),
                B(0),
                B(1),
                S([3.0, 8.0]),
                B(2),
                B(3),
                S([0.0, 3.0])
            ]
        );
        // Not a number: no boundary of its own.
        assert_eq!(
            splat_slices(&[f32::NAN, 2.0], ALL, 4),
            [B(0), S([2.0, FAR]), B(1), S([0.0, 2.0])]
        );
    }

    #[test]
    fn many_batches_share_at_most_the_bound_count_of_slices() {
        let depths: Vec<f32> = (0..10).map(|i| 20.0 - i as f32).collect();
        let steps = splat_slices(&depths, ALL, 4);
        let slices: Vec<[f32; 2]> = steps
            .iter()
            .filter_map(|s| match s {
                SliceStep::Splats(r) => Some(*r),
                SliceStep::Batch(_) => None,
            })
            .collect();
        assert_eq!(slices.len(), 5);
        // Contiguous from far to near, every depth in exactly one slice.
        assert_eq!(slices[0][1], FAR);
        assert_eq!(slices[4][0], 0.0);
        for pair in slices.windows(2) {
            assert_eq!(pair[0][0], pair[1][1]);
        }
        // Every batch drawn once, in order.
        let batches: Vec<usize> = steps
            .iter()
            .filter_map(|s| match s {
                SliceStep::Batch(i) => Some(*i),
                SliceStep::Splats(_) => None,
            })
            .collect();
        assert_eq!(batches, (0..10).collect::<Vec<_>>());
        // A slice boundary is a batch's depth, drawn right before that batch.
        for (k, step) in steps.iter().enumerate() {
            if let SliceStep::Splats([near, _]) = step
                && let Some(SliceStep::Batch(i)) = steps.get(k + 1)
            {
                assert_eq!(*near, depths[*i]);
            }
        }
    }

    #[test]
    fn exposure_of_ev15_maps_sunny_16_to_mid_range() {
        // A 100000-lux sun on 18% grey: luminance = E·ρ/π ≈ 5730 cd/m².
        let l = 100_000.0 * 0.18 / std::f32::consts::PI;
        let v = l * exposure_scale(15.0);
        assert!((0.1..0.3).contains(&v), "{v}");
    }

    #[test]
    fn glass_copies_what_is_behind_it_once_per_overlapping_layer() {
        let left = [-0.9, -0.5, -0.1, 0.5];
        let right = [0.1, -0.5, 0.9, 0.5];
        let middle = [-0.5, -0.5, 0.5, 0.5];
        // Nothing transmissive: no copy.
        assert_eq!(
            copies_before(&[(false, left), (false, middle)]),
            [false, false]
        );
        // A row of windows side by side: one copy for all of them.
        assert_eq!(
            copies_before(&[(false, middle), (true, left), (true, right)]),
            [false, true, false]
        );
        // A pane behind another: the near one copies again to see the far one, and again
        // for a third over both.
        assert_eq!(
            copies_before(&[(true, middle), (true, left), (true, middle)]),
            [true, true, true]
        );
        // A blended mesh (or splats, anywhere) drawn between two panes: the near pane copies.
        assert_eq!(
            copies_before(&[(true, left), (false, WHOLE_SCREEN), (true, right)]),
            [true, false, true]
        );
        // Something apart from the later pane does not make it copy.
        assert_eq!(
            copies_before(&[(true, left), (false, [0.95, 0.9, 1.0, 1.0]), (true, right)]),
            [true, false, false]
        );
    }

    #[test]
    fn a_sphere_covers_its_screen_rectangle_and_the_whole_screen_when_behind_the_eye() {
        let view = crate::scene::CameraView {
            world_from_view: glam::Mat4::look_at_rh(Vec3::new(0.0, 0.0, 5.0), Vec3::ZERO, Vec3::Y)
                .inverse(),
            fov_y_rad: 0.8,
            near: 0.1,
            ortho: None,
        };
        let clip_from_world = view.clip_from_world(1.0);
        let rect = ndc_rect(clip_from_world, Vec3::new(1.0, 0.0, 0.0), 0.25);
        // The sphere's centre and its silhouette's extremes lie inside.
        for p in [
            Vec3::new(1.0, 0.0, 0.0),
            Vec3::new(1.25, 0.0, 0.0),
            Vec3::new(1.0, 0.25, 0.0),
        ] {
            let ndc = clip_from_world.project_point3(p);
            assert!(
                (rect[0]..=rect[2]).contains(&ndc.x) && (rect[1]..=rect[3]).contains(&ndc.y),
                "{p} at {ndc} outside {rect:?}"
            );
        }
        assert!(rect[0] > 0.0 && rect[2] < 1.0, "{rect:?}");
        // Around the eye, behind it, or not a number: anywhere.
        assert_eq!(
            ndc_rect(clip_from_world, Vec3::new(0.0, 0.0, 5.0), 1.0),
            WHOLE_SCREEN
        );
        assert_eq!(
            ndc_rect(clip_from_world, Vec3::new(0.0, 0.0, 9.0), 1.0),
            WHOLE_SCREEN
        );
        assert_eq!(ndc_rect(clip_from_world, Vec3::NAN, 1.0), WHOLE_SCREEN);
        assert_eq!(
            ndc_rect(clip_from_world, Vec3::ZERO, f32::INFINITY),
            WHOLE_SCREEN
        );
    }
}
