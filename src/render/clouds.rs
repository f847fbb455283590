//! GPU copies of point clouds and Gaussian splat clouds, the per-node draw data and the
//! back-to-front sort of splats.
//!
//! # Upload
//!
//! Each cloud is uploaded once per content id (counted in [`UploadStats::point_clouds`] and
//! [`UploadStats::splat_clouds`]), packed piece by piece (≤ 4 MiB per `write_buffer`) so a
//! multi-million-splat cloud never needs a second full copy in RAM. A cloud larger than one
//! storage-buffer binding of this adapter (`max_storage_buffer_binding_size`,
//! `max_buffer_size`) is split into *pages*, each its own buffers and draw.
//!
//! # Layout (bytes per element)
//!
//! * point: position `f32×3` + colour RGBA8 (sRGB) = **16 B**
//! * line segment: two points = **32 B** (a line node's segments are uploaded on their own,
//!   so a page of segments never reaches into another page's points)
//! * splat: position `f32×3` (12) + rotation quaternion `f16×4` (8) + standard deviations
//!   `f16×3` and opacity `f16` (8) + view-independent colour 11-11-10 fixed point over
//!   [−0.5, 1.5) (4, steps of ≤ 0.002, finer than 8-bit sRGB) = **32 B**
//! * splat SH rest, only for degree > 0: `3·((d+1)²−1)` halves padded to whole `u32`s =
//!   **20 / 48 / 92 B** for degree 1 / 2 / 3
//! * sorted index per visible splat: `u32` = **4 B** (rewritten when the view changes)
//!
//! A degree-3 splat therefore costs 128 B on the GPU against 248 B in the 3DGS PLY.
//!
//! # Sorting
//!
//! Splats are blended back to front, so every frame in which the camera or the node moved
//! the visible splats (in front of the near plane) are sorted by view depth on the CPU: keys
//! are the bits of the positive view depth (monotonic for positive floats, inverted so the
//! farthest comes first) and a parallel LSD radix sort (rayon, 3 passes of 11 bits) orders
//! the page-local indices that the vertex shader reads through `instance_index`. Each splat
//! node (and each page of a paged cloud) is sorted on its own; nodes and pages are drawn far
//! to near by the view depth of their centres. That is exact for one node of up to a page of
//! splats and an approximation where two splat clouds interpenetrate.
//!
//! Where the adapter can run it and is a real GPU ([`SplatSort::Auto`]; forced with
//! [`SplatSort::Gpu`]), the same sort runs as a compute pass instead ([`super::splat_sort`],
//! shaders/splat_sort.wgsl): depth keys from the splat positions already on the GPU, culled
//! splats keyed last, four stable 8-bit LSD radix passes (per-workgroup histograms, one
//! prefix scan, a stable scatter), written into the same index buffer the draw reads. The
//! visible count becomes the instance count of an indirect draw, so nothing is read back.
//! The order is the CPU sort's, bit for bit (same keys, both stable). CPU adapters
//! (lavapipe, llvmpipe) keep the parallel CPU sort under `Auto`: there it is faster.
//!
//! While the gizmo drags selected splats ([`CloudHighlight::moved`]), the CPU sort keys them
//! at the positions they are drawn at, so a piece dragged in front of the rest blends in
//! front during the drag; such frames sort on the CPU even where the GPU sort runs (its keys
//! come from the positions as uploaded).

use super::renderer::{storage_entry, uniform_entry};
use super::splat_sort::{GpuSorter, SortPage, SortTimer};
use super::{CloudHighlight, FrameStats, RenderError, RenderSettings, SplatSort, UploadStats};
use crate::scene::{CameraView, NodeId, NodeKind, PointCloudId, Scene, SplatCloud, SplatCloudId};
use bytemuck::{Pod, Zeroable};
use glam::{Mat4, Quat, Vec3, Vec4};
use half::f16;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

/// GPU bytes per point.
pub const POINT_BYTES: u64 = 16;
/// GPU bytes per line segment: both ends' positions and colours.
pub const SEGMENT_BYTES: u64 = 32;
/// GPU bytes per splat, without the view-dependent SH rest.
pub const SPLAT_BYTES: u64 = 32;

/// Vertices of each point's or splat's quad: a triangle strip, so the vertex stage (the whole
/// EWA projection for a splat) runs 4 times per quad rather than 6 for two triangles.
pub(crate) const QUAD_VERTICES: u32 = 4;

/// Largest single `queue.write_buffer` of an upload: the packed piece and its staging copy
/// are the upload's only transient memory (still ~100k splats per piece to pack in parallel).
const UPLOAD_PIECE_BYTES: usize = 4 << 20;

/// `SplatDraw` in splats.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct SplatDraw {
    clip_from_local: [[f32; 4]; 4],
    view_from_local: [[f32; 4]; 4],
    camera_in_local: [f32; 4],
    projection: [f32; 4],
    info: [u32; 4],
    /// The node's colour grade: rgb factor, saturation.
    grade: [f32; 4],
    /// For relighting: world position and normal of a splat from its local ones.
    world_from_local: [[f32; 4]; 4],
    normal_from_local: [[f32; 4]; 4],
    /// The captured light model in the cloud's frame: directional xyz, ambient w.
    relight_model: [f32; 4],
    /// x: relight amount (0 = as captured); y: the node's selection mask value.
    relight: [f32; 4],
    /// Where the selected splats are shown, in the node's frame (see
    /// [`CloudHighlight::moved`]); used only while they are tinted.
    moved: [[f32; 4]; 4],
}

/// `PointDraw` in points.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct PointDraw {
    clip_from_local: [[f32; 4]; 4],
    params: [f32; 4],
    /// The node's colour grade: rgb factor, saturation.
    grade: [f32; 4],
    /// Where the selected points are shown, in the node's frame (see
    /// [`CloudHighlight::moved`]); used only while they are tinted.
    moved: [[f32; 4]; 4],
}

/// Two floats as IEEE half floats in one word (first in the low half, as WGSL's
/// `unpack2x16float` reads them).
fn pack_f16x2(a: f32, b: f32) -> u32 {
    u32::from(f16::from_f32(a).to_bits()) | (u32::from(f16::from_f32(b).to_bits()) << 16)
}

/// View-independent colour as 11-11-10 fixed point over [−0.5, 1.5) (3DGS colours may leave
/// 0..=1 before the SH rest is added; 8 bits would clip them).
fn pack_color(c: [f32; 3]) -> u32 {
    let q = |v: f32, bits: u32| {
        let max = ((1u32 << bits) - 1) as f32;
        let t = ((v + 0.5) * 0.5).clamp(0.0, 1.0);
        // NaN clamps to NaN and casts to 0.
        (t * max + 0.5) as u32
    };
    q(c[0], 11) | (q(c[1], 11) << 11) | (q(c[2], 10) << 22)
}

/// The 8 words of one splat; degenerate input becomes harmless (unit quaternion, finite
/// non-negative scales, opacity in 0..=1).
fn pack_splat(cloud: &SplatCloud, i: usize, out: &mut [u32]) {
    let p = cloud.positions.get(i).copied().unwrap_or([f32::NAN; 3]);
    let r = cloud
        .rotations
        .get(i)
        .copied()
        .unwrap_or([0.0, 0.0, 0.0, 1.0]);
    let q = Quat::from_array(r);
    let len = q.length();
    let q = if len.is_finite() && len > 1e-12 {
        q / len
    } else {
        Quat::IDENTITY
    };
    let s = cloud.scales.get(i).copied().unwrap_or([0.0; 3]).map(|v| {
        if v.is_finite() {
            v.abs().min(65_000.0)
        } else {
            0.0
        }
    });
    let o = cloud.opacities.get(i).copied().unwrap_or(0.0);
    let o = if o.is_finite() {
        o.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let c = cloud.colors.get(i).copied().unwrap_or([1.0; 3]);
    let words = [
        p[0].to_bits(),
        p[1].to_bits(),
        p[2].to_bits(),
        pack_f16x2(q.x, q.y),
        pack_f16x2(q.z, q.w),
        pack_f16x2(s[0], s[1]),
        pack_f16x2(s[2], o),
        pack_color(c),
    ];
    out.copy_from_slice(&words);
}

/// `u32` words of SH rest per splat for an SH degree (0 for degree 0).
pub fn sh_words(degree: u8) -> usize {
    (SplatCloud::sh_rest_coefficients(degree) * 3).div_ceil(2)
}

/// Point `i` of `cloud` as the GPU holds it: position bits and RGBA8 (white without
/// colours; a point the cloud does not have is not a number, so it is drawn nowhere).
fn point_words(cloud: &crate::scene::PointCloud, i: usize) -> [u32; 4] {
    let p = cloud.positions.get(i).copied().unwrap_or([f32::NAN; 3]);
    let c = cloud.colors.get(i).copied().unwrap_or([255; 4]);
    [
        p[0].to_bits(),
        p[1].to_bits(),
        p[2].to_bits(),
        u32::from_le_bytes(c),
    ]
}

/// `total` items of `item_bytes` each (`fill` writes item `i`'s words) in pages of at most
/// `max_binding` bytes: (buffer, items) per page.
fn upload_pages(
    (device, queue): (&wgpu::Device, &wgpu::Queue),
    (label, item_bytes, max_binding): (&str, u64, u64),
    total: usize,
    fill: impl Fn(usize, &mut [u32]) + Sync,
    stats: &mut UploadStats,
) -> Vec<(wgpu::Buffer, u32)> {
    let per_page = (max_binding / item_bytes).clamp(1, u64::from(u32::MAX)) as usize;
    let words = (item_bytes / 4) as usize;
    let mut pages = Vec::new();
    let mut first = 0;
    while first < total {
        let count = per_page.min(total - first);
        let buffer = upload_words(
            device,
            queue,
            label,
            count,
            words,
            |i, out| fill(first + i, out),
            stats,
        );
        pages.push((buffer, count as u32));
        first += count;
    }
    pages
}

/// Creates a storage buffer of `items` × `words` u32 and fills it piece by piece
/// (≤ [`UPLOAD_PIECE_BYTES`] each, packed in parallel) so no full CPU copy is ever built.
fn upload_words(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    label: &str,
    items: usize,
    words: usize,
    fill: impl Fn(usize, &mut [u32]) + Sync,
    stats: &mut UploadStats,
) -> wgpu::Buffer {
    let bytes = (items * words * 4).max(16) as u64;
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: bytes,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let per_piece = (UPLOAD_PIECE_BYTES / (words * 4)).max(1);
    let mut piece: Vec<u32> = Vec::new();
    let mut start = 0;
    while start < items {
        let end = (start + per_piece).min(items);
        piece.clear();
        piece.resize((end - start) * words, 0);
        piece
            .par_chunks_mut(words)
            .enumerate()
            .for_each(|(j, out)| fill(start + j, out));
        queue.write_buffer(
            &buffer,
            (start * words * 4) as u64,
            bytemuck::cast_slice(&piece),
        );
        // Hand the staging copy to the GPU now rather than holding every piece until the
        // frame's submit.
        queue.submit([]);
        stats.bytes += (piece.len() * 4) as u64;
        start = end;
    }
    buffer
}

struct GpuPointCloud {
    content_id: u64,
    /// (points or segments, count) per page.
    pages: Vec<(wgpu::Buffer, u32)>,
}

struct SplatPage {
    /// First entry of this page in the cloud's `order` (or first splat when unordered).
    first: usize,
    count: u32,
    splats: wgpu::Buffer,
    sh: Option<wgpu::Buffer>,
    /// Centre of the page's splats, in the cloud's frame (for ordering pages).
    center: Vec3,
    /// Smallest and largest coordinates of the page's finite splat centres, in the cloud's
    /// frame (min > max when there are none).
    bounds: [Vec3; 2],
}

struct GpuSplatCloud {
    content_id: u64,
    sh_degree: u8,
    /// Drawn in antialiased mode (`SplatCloud::antialiased`).
    antialiased: bool,
    pages: Vec<SplatPage>,
    /// Splat index of each page slot when the cloud is paged: pages are slabs along the
    /// cloud's longest axis, so drawing them far to near is nearly right.
    order: Option<Vec<u32>>,
}

impl GpuSplatCloud {
    fn splat_index(&self, slot: usize) -> usize {
        match &self.order {
            Some(o) => o.get(slot).map_or(usize::MAX, |&i| i as usize),
            None => slot,
        }
    }
}

struct PointNode {
    cloud: PointCloudId,
    content_id: u64,
    world_from_local: Mat4,
    size_px: f32,
    grade: [f32; 4],
    uniform: wgpu::Buffer,
    bind_groups: Vec<(wgpu::BindGroup, u32)>,
    /// Per page, one bit per point: the points the editor shows as selected (see
    /// [`SplatNodePage::selected`]; line nodes bind them too, but never light them).
    selected: Vec<wgpu::Texture>,
    /// The key of the selection written to `selected` (None: never written).
    highlight_key: Option<u64>,
    /// Whether this frame draws the selection tinted, and where it shows the selected points
    /// (see [`CloudHighlight::moved`]).
    highlighted: Option<Mat4>,
}

struct SplatNodePage {
    /// Sorted page-local indices (the first `visible` of them, or the GPU's instance count).
    indices: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    /// Splats in front of the near plane at the last CPU sort.
    visible: u32,
    /// Splats in the page.
    count: u32,
    center: Vec3,
    /// Where the page lies against the viewport grid's plane at the last sort.
    split: GridSplit,
    /// Scratch of the GPU sort, made on the first GPU sort of this page.
    gpu_sort: Option<SortPage>,
    /// Whether the last sort ran on the GPU (the draw is then indirect).
    on_gpu: bool,
    /// One bit per page slot, [`SELECTED_ROW_WORDS`] words per row: the splats the editor
    /// shows as selected. A texture, not a storage buffer: the vertex stage's four storage
    /// bindings (the downlevel limit) are taken.
    selected: wgpu::Texture,
}

struct SplatNode {
    cloud: SplatCloudId,
    content_id: u64,
    world_from_local: Mat4,
    grade: [f32; 4],
    relight: crate::scene::Relight,
    uniform: wgpu::Buffer,
    pages: Vec<SplatNodePage>,
    /// `view_from_local` the pages were last sorted for, whether on the GPU, and the grid
    /// plane they were split by (see [`GridSplit`]).
    sorted_for: Option<SortKey>,
    /// The key of the selection written to the pages' `selected` bits (None: never written).
    highlight_key: Option<u64>,
}

/// What a page's order depends on: the view, GPU or CPU, the grid plane, and while the gizmo
/// drags selected splats, the drag and the selection (see [`Moving`]).
type SortKey = ([u32; 16], bool, Option<[u32; 4]>, Option<([u32; 16], u64)>);

/// Selected splats shown moved by `moved` (in the node's frame) during a gizmo drag: the
/// sort keys them where they are drawn, so they blend in the right order while dragged.
#[derive(Clone, Copy)]
struct Moving<'m> {
    selected: &'m crate::scene::ElementMask,
    moved: Mat4,
}

/// Where a splat page lies against the plane y = 0 of the viewport's ground grid, which
/// writes no depth and so must be drawn between the splats beyond it and those in front of
/// it: a point beyond the plane (as seen from the camera) is behind it along its view ray, a
/// point on the camera's side in front of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GridSplit {
    /// Every splat on the camera's side, or no grid: drawn after the grid.
    Near,
    /// Every splat beyond the plane: drawn before the grid.
    Beyond,
    /// Splats on both sides. Sorted on the CPU, the first `beyond` sorted splats are those
    /// beyond (still far to near among themselves; any of them is behind any splat in front
    /// of the plane on a shared ray, so the order stays back to front); sorted on the GPU, the
    /// page is drawn twice by pipelines that drop the splats of the other side.
    Straddles { beyond: u32 },
}

/// One splat draw, in the order they are encoded (far to near).
struct SplatDrawRef {
    node: NodeId,
    page: usize,
}

/// Point and splat clouds on the GPU and their pipelines.
pub struct GpuClouds {
    /// The view-depth ranges splat draws are limited to (splats.wgsl `depth_slice`), one per
    /// 256-byte slot read through a dynamic offset: slot 0 takes every depth, the others are
    /// the frame's slices between blended meshes (`write_depth_slices`).
    depth_slices: wgpu::Buffer,
    /// What slots 1.. of `depth_slices` hold, so unchanged ranges are not written again.
    written_slices: std::sync::Mutex<Vec<[f32; 2]>>,
    seen: Option<(u64, u64)>,
    points: HashMap<PointCloudId, GpuPointCloud>,
    /// The segments of clouds that line nodes show.
    segments: HashMap<PointCloudId, GpuPointCloud>,
    splats: HashMap<SplatCloudId, GpuSplatCloud>,
    point_nodes: BTreeMap<NodeId, PointNode>,
    line_nodes: BTreeMap<NodeId, PointNode>,
    splat_nodes: BTreeMap<NodeId, SplatNode>,
    splat_order: Vec<SplatDrawRef>,
    point_layout: wgpu::BindGroupLayout,
    splat_layout: wgpu::BindGroupLayout,
    point_module: wgpu::ShaderModule,
    segment_module: wgpu::ShaderModule,
    splat_module: wgpu::ShaderModule,
    /// Points and segments; splats; splats split at X-ray's front (group 2: its view depth);
    /// points in X-ray's see-through pass (group 2 the same).
    pipeline_layouts: [wgpu::PipelineLayout; 4],
    /// Point pipelines per sample count; splat pipelines per target, grid side, shading and
    /// side of X-ray's front.
    point_pipelines: HashMap<u32, wgpu::RenderPipeline>,
    /// [`CloudPass::PointsXray`] pipelines by (segments rather than points, front, sample
    /// count).
    xray_pipelines: HashMap<(bool, bool, u32), wgpu::RenderPipeline>,
    segment_pipelines: HashMap<u32, wgpu::RenderPipeline>,
    splat_pipelines: HashMap<(SplatTarget, GridSide, SplatShading, XraySide), wgpu::RenderPipeline>,
    /// Points, splats and segments into the selection mask (made when first needed).
    mask_pipelines: Option<MaskPipes>,
    /// Whether a GPU-sorted page straddles the grid's plane this frame (its draws then need
    /// the pipelines that drop one side's splats).
    gpu_straddles: bool,
    /// Bound where a splat page has no SH rest.
    empty: wgpu::Buffer,
    /// Largest storage binding (bytes) a page may use.
    max_binding: u64,
    /// The compute sort, where the device can run it.
    sorter: Option<GpuSorter>,
    /// Whether [`SplatSort::Auto`] picks the GPU (not on CPU adapters, where the parallel
    /// CPU sort is faster).
    gpu_preferred: bool,
    /// GPU timing of the sorts, when a benchmark asked for it.
    timer: Option<SortTimer>,
    /// Buffers of the CPU sort, reused by every page and frame.
    sort_scratch: SortScratch,
}

impl GpuClouds {
    pub fn new(
        device: &wgpu::Device,
        adapter: &wgpu::Adapter,
        frame_layout: &wgpu::BindGroupLayout,
        xray_front_layout: &wgpu::BindGroupLayout,
    ) -> Self {
        let point_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("points"),
            entries: &[
                uniform_entry(0, wgpu::ShaderStages::VERTEX_FRAGMENT),
                storage_entry(1, wgpu::ShaderStages::VERTEX),
                selected_entry(2),
            ],
        });
        let splat_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("splats"),
            entries: &[
                uniform_entry(0, wgpu::ShaderStages::VERTEX_FRAGMENT),
                storage_entry(1, wgpu::ShaderStages::VERTEX),
                storage_entry(2, wgpu::ShaderStages::VERTEX),
                storage_entry(3, wgpu::ShaderStages::VERTEX),
                selected_entry(5),
                wgpu::BindGroupLayoutEntry {
                    binding: 4,
                    visibility: wgpu::ShaderStages::VERTEX,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: wgpu::BufferSize::new(16),
                    },
                    count: None,
                },
            ],
        });
        let module = |name: &str| {
            device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(super::shaders::source(name).into()),
            })
        };
        let layout = |groups: &[Option<&wgpu::BindGroupLayout>]| {
            device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("clouds"),
                bind_group_layouts: groups,
                immediate_size: 0,
            })
        };
        let limits = device.limits();
        let every_depth: Vec<u8> = (0..DEPTH_SLICE_SLOTS)
            .flat_map(|_| {
                let mut slot = [0u8; DEPTH_SLICE_STRIDE as usize];
                slot[..16].copy_from_slice(bytemuck::bytes_of(&EVERY_DEPTH));
                slot
            })
            .collect();
        Self {
            depth_slices: wgpu::util::DeviceExt::create_buffer_init(
                device,
                &wgpu::util::BufferInitDescriptor {
                    label: Some("splat depth slices"),
                    contents: &every_depth,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                },
            ),
            written_slices: std::sync::Mutex::new(Vec::new()),
            seen: None,
            points: HashMap::new(),
            segments: HashMap::new(),
            splats: HashMap::new(),
            point_nodes: BTreeMap::new(),
            line_nodes: BTreeMap::new(),
            splat_nodes: BTreeMap::new(),
            splat_order: Vec::new(),
            pipeline_layouts: [
                layout(&[Some(frame_layout), Some(&point_layout)]),
                layout(&[Some(frame_layout), Some(&splat_layout)]),
                layout(&[
                    Some(frame_layout),
                    Some(&splat_layout),
                    Some(xray_front_layout),
                ]),
                layout(&[
                    Some(frame_layout),
                    Some(&point_layout),
                    Some(xray_front_layout),
                ]),
            ],
            point_layout,
            splat_layout,
            point_module: module("points.wgsl"),
            segment_module: module("segments.wgsl"),
            splat_module: module("splats.wgsl"),
            point_pipelines: HashMap::new(),
            xray_pipelines: HashMap::new(),
            segment_pipelines: HashMap::new(),
            splat_pipelines: HashMap::new(),
            gpu_straddles: false,
            mask_pipelines: None,
            empty: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("no SH"),
                size: 16,
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            }),
            max_binding: limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size),
            sorter: GpuSorter::supported(adapter, device).then(|| GpuSorter::new(device)),
            gpu_preferred: adapter.get_info().device_type != wgpu::DeviceType::Cpu,
            timer: None,
            sort_scratch: SortScratch::default(),
        }
    }

    /// Whether this device can sort splats with the compute sort.
    pub fn gpu_sort_supported(&self) -> bool {
        self.sorter.is_some()
    }

    /// Starts (or stops) timing the GPU sorts; see [`GpuClouds::last_gpu_sort_micros`].
    /// Returns whether GPU timestamps are used (else wall time with a wait for the GPU).
    pub fn time_gpu_sorts(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, on: bool) -> bool {
        self.timer = on.then(|| SortTimer::new(device, queue));
        self.timer.as_ref().is_some_and(SortTimer::has_timestamps)
    }

    /// GPU microseconds of the last frame's splat sorts, when timing is on and that frame
    /// sorted on the GPU. Blocks until the GPU is idle: benchmarks only.
    pub fn last_gpu_sort_micros(&self, device: &wgpu::Device) -> Option<f64> {
        self.timer.as_ref()?.read_micros(device)
    }

    /// The sorted page-local splat indices that the draws read, per splat node (in node id
    /// order) and page: what the last sort produced, read back. Stalls: tests only.
    pub fn read_sorted(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
    ) -> Result<Vec<Vec<Vec<u32>>>, RenderError> {
        let mut out = Vec::new();
        for node in self.splat_nodes.values() {
            let mut pages = Vec::new();
            for page in &node.pages {
                let bytes = u64::from(page.count) * 4;
                let staging = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("sorted splats readback"),
                    size: bytes + 16,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                let mut encoder = device.create_command_encoder(&Default::default());
                encoder.copy_buffer_to_buffer(&page.indices, 0, &staging, 0, bytes);
                if let (true, Some(sort)) = (page.on_gpu, &page.gpu_sort) {
                    encoder.copy_buffer_to_buffer(&sort.draw_args, 0, &staging, bytes, 16);
                }
                queue.submit([encoder.finish()]);
                let slice = staging.slice(..);
                let (tx, rx) = std::sync::mpsc::channel();
                slice.map_async(wgpu::MapMode::Read, move |r| {
                    tx.send(r).ok();
                });
                device
                    .poll(wgpu::PollType::wait_indefinitely())
                    .map_err(|e| RenderError::Readback(e.to_string()))?;
                rx.recv()
                    .map_err(|e| RenderError::Readback(e.to_string()))?
                    .map_err(|e| RenderError::Readback(e.to_string()))?;
                let words: Vec<u32> = {
                    let data = slice
                        .get_mapped_range()
                        .map_err(|e| RenderError::Readback(e.to_string()))?;
                    data.chunks_exact(4)
                        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect()
                };
                staging.unmap();
                let visible = if page.on_gpu {
                    words.get(page.count as usize + 1).copied().unwrap_or(0)
                } else {
                    page.visible
                };
                let visible = (visible as usize).min(page.count as usize);
                pages.push(words.get(..visible).unwrap_or_default().to_vec());
            }
            out.push(pages);
        }
        Ok(out)
    }

    /// Caps the bytes of one storage binding below the adapter's limit, so tests can
    /// exercise paged clouds with small data.
    pub fn set_max_binding(&mut self, bytes: u64, device: &wgpu::Device) {
        let limits = device.limits();
        self.max_binding = bytes
            .max(256)
            .min(limits.max_storage_buffer_binding_size)
            .min(limits.max_buffer_size);
        self.points.clear();
        self.splats.clear();
        self.point_nodes.clear();
        self.splat_nodes.clear();
        self.seen = None;
    }

    /// Whether any splat node is drawn (they blend in the display pass).
    pub fn has_splats(&self) -> bool {
        !self.splat_nodes.is_empty()
    }

    /// Whether there is anything to draw.
    pub fn is_empty(&self) -> bool {
        self.point_nodes.is_empty() && self.line_nodes.is_empty() && self.splat_nodes.is_empty()
    }

    /// Uploads new clouds (by content id) and rebuilds the node lists when the scene's
    /// structure or transforms changed.
    pub fn sync(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        stats: &mut UploadStats,
    ) {
        let rev = scene.revision();
        let key = (rev.structure, rev.transforms);
        if self.seen == Some(key) {
            return;
        }
        if self.seen.is_none_or(|s| s.0 != rev.structure) {
            self.sync_point_clouds(device, queue, scene, stats);
            self.sync_splat_clouds(device, queue, scene, stats);
        }
        self.sync_nodes(device, scene);
        self.seen = Some(key);
    }

    fn sync_point_clouds(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        stats: &mut UploadStats,
    ) {
        let shown_as_points: HashSet<PointCloudId> = scene
            .nodes()
            .filter_map(|n| match n.kind {
                NodeKind::Points { cloud, .. } => Some(cloud),
                _ => None,
            })
            .collect();
        let mut alive = Vec::new();
        let mut alive_segments = Vec::new();
        for (id, cloud) in scene.point_clouds() {
            if !cloud.segments.is_empty() {
                alive_segments.push(id);
                if self
                    .segments
                    .get(&id)
                    .is_none_or(|g| g.content_id != cloud.content_id())
                {
                    let gpu = self.upload_segments(device, queue, cloud, stats);
                    self.segments.insert(id, gpu);
                }
                if !shown_as_points.contains(&id) {
                    continue;
                }
            }
            alive.push(id);
            if self
                .points
                .get(&id)
                .is_some_and(|g| g.content_id == cloud.content_id())
            {
                continue;
            }
            let pages = upload_pages(
                (device, queue),
                ("points", POINT_BYTES, self.max_binding),
                cloud.len(),
                |i, out| out.copy_from_slice(&point_words(cloud, i)),
                stats,
            );
            stats.point_clouds += 1;
            self.points.insert(
                id,
                GpuPointCloud {
                    content_id: cloud.content_id(),
                    pages,
                },
            );
        }
        self.points.retain(|id, _| alive.contains(id));
        self.segments.retain(|id, _| alive_segments.contains(id));
    }

    /// A cloud's segments as pages of [`SEGMENT_BYTES`] each: a segment joining a point
    /// the cloud does not have is drawn nowhere (not-a-number ends).
    fn upload_segments(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        cloud: &crate::scene::PointCloud,
        stats: &mut UploadStats,
    ) -> GpuPointCloud {
        let pages = upload_pages(
            (device, queue),
            ("segments", SEGMENT_BYTES, self.max_binding),
            cloud.segments.len(),
            |i, out| {
                let [a, b] = cloud.segments[i];
                out[..4].copy_from_slice(&point_words(cloud, a as usize));
                out[4..].copy_from_slice(&point_words(cloud, b as usize));
            },
            stats,
        );
        stats.point_clouds += 1;
        GpuPointCloud {
            content_id: cloud.content_id(),
            pages,
        }
    }

    fn sync_splat_clouds(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        stats: &mut UploadStats,
    ) {
        let mut alive = Vec::new();
        for (id, cloud) in scene.splat_clouds() {
            alive.push(id);
            if self
                .splats
                .get(&id)
                .is_some_and(|g| g.content_id == cloud.content_id())
            {
                continue;
            }
            let degree = cloud.sh_degree.min(3);
            let sh_words = sh_words(degree);
            let n_rest = SplatCloud::sh_rest_coefficients(degree) * 3;
            // Every binding of a page (splats, SH, sorted indices) must fit the limit.
            let widest = SPLAT_BYTES.max(sh_words as u64 * 4);
            let per_page = (self.max_binding / widest).clamp(1, u64::from(u32::MAX)) as usize;
            let n = cloud.len();
            let order = (n > per_page).then(|| slab_order(cloud, per_page));
            let mut gpu = GpuSplatCloud {
                content_id: cloud.content_id(),
                sh_degree: degree,
                antialiased: cloud.antialiased,
                pages: Vec::new(),
                order,
            };
            let mut first = 0;
            while first < n {
                let count = per_page.min(n - first);
                let index = |slot: usize| gpu.splat_index(first + slot);
                let splats = upload_words(
                    device,
                    queue,
                    "splats",
                    count,
                    (SPLAT_BYTES / 4) as usize,
                    |j, out| pack_splat(cloud, index(j), out),
                    stats,
                );
                let sh = (sh_words > 0).then(|| {
                    upload_words(
                        device,
                        queue,
                        "splat SH",
                        count,
                        sh_words,
                        |j, out| {
                            let i = index(j);
                            let rest = cloud.sh_rest.get(i * n_rest..(i + 1) * n_rest);
                            let half = |k: usize| {
                                let v = rest.and_then(|r| r.get(k)).copied().unwrap_or(f16::ZERO);
                                if v.is_finite() { v.to_bits() } else { 0 }
                            };
                            for (w, word) in out.iter_mut().enumerate() {
                                *word = u32::from(half(2 * w)) | (u32::from(half(2 * w + 1)) << 16);
                            }
                        },
                        stats,
                    )
                });
                let mut sum = glam::DVec3::ZERO;
                let mut finite = 0u32;
                let mut bounds = [Vec3::INFINITY, Vec3::NEG_INFINITY];
                for slot in 0..count {
                    if let Some(p) = cloud.positions.get(index(slot)) {
                        let p = Vec3::from(*p);
                        if p.is_finite() {
                            sum += p.as_dvec3();
                            finite += 1;
                            bounds = [bounds[0].min(p), bounds[1].max(p)];
                        }
                    }
                }
                let center = (sum / f64::from(finite.max(1))).as_vec3();
                gpu.pages.push(SplatPage {
                    first,
                    count: count as u32,
                    splats,
                    sh,
                    center,
                    bounds,
                });
                first += count;
            }
            stats.splat_clouds += 1;
            self.splats.insert(id, gpu);
        }
        self.splats.retain(|id, _| alive.contains(id));
    }

    fn sync_nodes(&mut self, device: &wgpu::Device, scene: &Scene) {
        let mut points = BTreeMap::new();
        let mut lines = BTreeMap::new();
        let mut splats = BTreeMap::new();
        for wn in scene.walk() {
            if !wn.visible {
                continue;
            }
            let id = wn.node.id;
            match wn.node.kind {
                NodeKind::Points {
                    cloud,
                    point_size_px,
                } => {
                    let Some(gpu) = self.points.get(&cloud) else {
                        continue;
                    };
                    let old = self.point_nodes.remove(&id);
                    let node = point_node(device, &self.point_layout, old, cloud, gpu, &wn);
                    points.insert(
                        id,
                        PointNode {
                            size_px: point_size_px,
                            ..node
                        },
                    );
                }
                NodeKind::Lines { cloud, width_px } => {
                    let Some(gpu) = self.segments.get(&cloud) else {
                        continue;
                    };
                    let old = self.line_nodes.remove(&id);
                    let node = point_node(device, &self.point_layout, old, cloud, gpu, &wn);
                    lines.insert(
                        id,
                        PointNode {
                            size_px: width_px,
                            ..node
                        },
                    );
                }
                NodeKind::Splats { cloud } => {
                    let Some(gpu) = self.splats.get(&cloud) else {
                        continue;
                    };
                    let mut node = match self.splat_nodes.remove(&id) {
                        Some(n) if n.cloud == cloud && n.content_id == gpu.content_id => n,
                        _ => {
                            let uniform = draw_uniform(device, std::mem::size_of::<SplatDraw>());
                            let pages = gpu
                                .pages
                                .iter()
                                .map(|page| {
                                    let indices = device.create_buffer(&wgpu::BufferDescriptor {
                                        label: Some("sorted splats"),
                                        size: (u64::from(page.count) * 4).max(16),
                                        usage: wgpu::BufferUsages::STORAGE
                                            | wgpu::BufferUsages::COPY_DST
                                            | wgpu::BufferUsages::COPY_SRC,
                                        mapped_at_creation: false,
                                    });
                                    let selected = selected_texture(device, page.count);
                                    let sh = page.sh.as_ref().unwrap_or(&self.empty);
                                    let bind_group = bind_splats(
                                        device,
                                        &self.splat_layout,
                                        [&uniform, &page.splats, sh, &indices],
                                        &self.depth_slices,
                                        &selected,
                                    );
                                    SplatNodePage {
                                        indices,
                                        bind_group,
                                        visible: 0,
                                        count: page.count,
                                        center: page.center,
                                        split: GridSplit::Near,
                                        gpu_sort: None,
                                        on_gpu: false,
                                        selected,
                                    }
                                })
                                .collect();
                            SplatNode {
                                cloud,
                                content_id: gpu.content_id,
                                world_from_local: Mat4::IDENTITY,
                                grade: [1.0; 4],
                                relight: crate::scene::Relight::default(),
                                uniform,
                                pages,
                                sorted_for: None,
                                highlight_key: None,
                            }
                        }
                    };
                    node.world_from_local = wn.world_from_local;
                    node.grade = wn.node.grade.packed();
                    node.relight = wn.node.relight;
                    splats.insert(id, node);
                }
                _ => {}
            }
        }
        self.point_nodes = points;
        self.line_nodes = lines;
        self.splat_nodes = splats;
    }

    /// Per-frame work: draw uniforms for the current camera and, for every splat node whose
    /// view changed, a depth sort of its splats: on the CPU (sorted indices written to the
    /// GPU) or with the compute sort (recorded and submitted here, ahead of the frame).
    #[allow(clippy::too_many_arguments)] // One call site; all are per-frame inputs.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        camera: &CameraView,
        (width, height): (u32, u32),
        settings: &RenderSettings,
        highlight: Option<CloudHighlight<'_>>,
        stats: &mut FrameStats,
    ) {
        // Only the ground grid splits clouds; one across the view lies behind them all.
        let (sort, grid) = (
            settings.splat_sort,
            settings.overlays.grid && super::GridPlane::of(camera) == super::GridPlane::Ground,
        );
        // Point sizes and line widths are in UI points of the output.
        let px_scale = settings.supersample.max(1) as f32 * settings.ui_scale();
        let use_gpu = self.sorter.is_some()
            && match sort {
                SplatSort::Auto => self.gpu_preferred,
                SplatSort::Cpu => false,
                SplatSort::Gpu => true,
            };
        if let Some(timer) = &mut self.timer {
            timer.stamped = false;
            timer.wall_micros = None;
        }
        let aspect = width as f32 / height as f32;
        let clip_from_view = camera.clip_from_view(aspect);
        let view_from_world = camera.view_from_world();
        let clip_from_world = clip_from_view * view_from_world;
        // The editor's selected points, when they are a point node's and made on its cloud.
        for (id, node) in &mut self.point_nodes {
            let len = scene.point_cloud(node.cloud).map(|c| c.len());
            let highlight = highlight_of(highlight, *id, len, settings);
            node.highlighted = highlight.map(|h| h.moved);
            if let Some(h) = highlight
                && node.highlight_key != Some(h.key)
            {
                let mut first = 0;
                for ((_, count), texture) in node.bind_groups.iter().zip(&node.selected) {
                    let words = selected_words(&h, *count as usize, |j| first + j);
                    write_selected(queue, texture, words);
                    first += *count as usize;
                }
                node.highlight_key = Some(h.key);
            }
        }
        // Point and line draws: the size in target pixels, and the least width of a line (one
        // UI point of the output, never under a target pixel, so thin lines never vanish).
        // Returns the elements drawn.
        let write_draws = |nodes: &BTreeMap<NodeId, PointNode>| -> u64 {
            let mut drawn = 0;
            for (id, node) in nodes {
                let draw = PointDraw {
                    clip_from_local: (clip_from_world * node.world_from_local).to_cols_array_2d(),
                    params: [
                        node.size_px.max(0.0) * px_scale,
                        px_scale.max(1.0),
                        f32::from(u8::from(node.highlighted.is_some())),
                        super::gpu_scene::mask_value(*id),
                    ],
                    grade: node.grade,
                    moved: node
                        .highlighted
                        .unwrap_or(Mat4::IDENTITY)
                        .to_cols_array_2d(),
                };
                queue.write_buffer(&node.uniform, 0, bytemuck::bytes_of(&draw));
                drawn += node.bind_groups.iter().map(|b| u64::from(b.1)).sum::<u64>();
            }
            drawn
        };
        stats.points += write_draws(&self.point_nodes);
        stats.segments += write_draws(&self.line_nodes);
        // Focal lengths in pixels from the projection: x_px = f · x / z.
        let fy = clip_from_view.y_axis.y * height as f32 * 0.5;
        let fx = clip_from_view.x_axis.x * width as f32 * 0.5;
        let tan_y = (camera.fov_y_rad * 0.5).tan();
        let tan_x = tan_y * aspect;
        let mut order: Vec<(f32, SplatDrawRef)> = Vec::new();
        // (node, page, z row of view_from_local) of the pages the GPU sorts this frame.
        let mut gpu_jobs: Vec<(NodeId, usize, Vec4)> = Vec::new();
        for (id, node) in &mut self.splat_nodes {
            let view_from_local = view_from_world * node.world_from_local;
            let plane_row = grid.then(|| grid_plane_row(node.world_from_local, camera.position()));
            let local_from_world = node.world_from_local.inverse();
            // Orthographic: the direction the view looks along instead, w = 0 (splats.wgsl).
            let camera_in_local = match camera.ortho {
                Some(_) => local_from_world
                    .transform_vector3(camera.forward())
                    .normalize_or(Vec3::NEG_Z)
                    .extend(0.0),
                None => local_from_world
                    .transform_point3(camera.position())
                    .extend(1.0),
            };
            let (degree, antialiased) = self
                .splats
                .get(&node.cloud)
                .map_or((0, false), |c| (c.sh_degree, c.antialiased));
            let normal_from_local = glam::Mat3::from_mat4(node.world_from_local)
                .inverse()
                .transpose();
            let normal_from_local = if normal_from_local.is_finite() {
                normal_from_local
            } else {
                glam::Mat3::IDENTITY
            };
            // The editor's selected splats, when they are this node's and made on its cloud.
            let len = scene.splat_cloud(node.cloud).map(|c| c.len());
            let highlight = highlight_of(highlight, *id, len, settings);
            if let Some(h) = highlight
                && node.highlight_key != Some(h.key)
                && let Some(gpu) = self.splats.get(&node.cloud)
            {
                for (page, gpu_page) in node.pages.iter().zip(&gpu.pages) {
                    let words = selected_words(&h, page.count as usize, |slot| {
                        gpu.splat_index(gpu_page.first + slot)
                    });
                    write_selected(queue, &page.selected, words);
                }
                node.highlight_key = Some(h.key);
            }
            let draw = SplatDraw {
                clip_from_local: (clip_from_world * node.world_from_local).to_cols_array_2d(),
                view_from_local: view_from_local.to_cols_array_2d(),
                camera_in_local: camera_in_local.to_array(),
                projection: [fx, fy, tan_x, tan_y],
                info: [
                    u32::from(degree),
                    sh_words(degree) as u32,
                    u32::from(antialiased),
                    u32::from(highlight.is_some()),
                ],
                grade: node.grade,
                world_from_local: node.world_from_local.to_cols_array_2d(),
                normal_from_local: Mat4::from_mat3(normal_from_local).to_cols_array_2d(),
                relight_model: node.relight.captured.packed(),
                relight: [
                    node.relight.amount,
                    super::gpu_scene::mask_value(*id),
                    0.0,
                    0.0,
                ],
                moved: highlight
                    .map_or(Mat4::IDENTITY, |h| h.moved)
                    .to_cols_array_2d(),
            };
            queue.write_buffer(&node.uniform, 0, bytemuck::bytes_of(&draw));
            // A drag of selected splats sorts them where they are shown; the GPU sort reads
            // the positions as uploaded, so such a frame sorts on the CPU.
            let moving = highlight.and_then(|h| {
                let selected = h.selected.filter(|_| h.moved != Mat4::IDENTITY)?;
                Some(Moving {
                    selected,
                    moved: h.moved,
                })
            });
            let use_gpu = use_gpu && moving.is_none();
            let key = (
                view_from_local.to_cols_array().map(f32::to_bits),
                use_gpu,
                plane_row.map(|r| r.to_array().map(f32::to_bits)),
                highlight
                    .filter(|_| moving.is_some())
                    .map(|h| (h.moved.to_cols_array().map(f32::to_bits), h.key)),
            );
            if node.sorted_for != Some(key)
                && let (Some(cloud), Some(gpu)) =
                    (scene.splat_cloud(node.cloud), self.splats.get(&node.cloud))
            {
                let t = Instant::now();
                let depth_row = view_from_local.row(2);
                for (i, (page, gpu_page)) in node.pages.iter_mut().zip(&gpu.pages).enumerate() {
                    page.split =
                        plane_row.map_or(GridSplit::Near, |r| grid_split(r, gpu_page.bounds));
                    if use_gpu && let Some(sorter) = &self.sorter {
                        if page.gpu_sort.is_none() {
                            page.gpu_sort =
                                sorter.page(device, &gpu_page.splats, &page.indices, page.count);
                        }
                        // Else the page's scratch would exceed the buffer limits: CPU sort.
                        if page.gpu_sort.is_some() {
                            page.on_gpu = true;
                            gpu_jobs.push((*id, i, depth_row));
                            stats.gpu_splat_sorts += 1;
                            continue;
                        }
                    }
                    let straddles = matches!(page.split, GridSplit::Straddles { .. });
                    let (sorted, beyond) = sort_page(
                        &cloud.positions,
                        gpu_page.count as usize,
                        |slot| gpu.splat_index(gpu_page.first + slot),
                        depth_row,
                        plane_row.filter(|_| straddles),
                        camera.near,
                        moving,
                        &mut self.sort_scratch,
                    );
                    if straddles {
                        page.split = GridSplit::Straddles {
                            beyond: beyond as u32,
                        };
                    }
                    if !sorted.is_empty() {
                        queue.write_buffer(&page.indices, 0, bytemuck::cast_slice(sorted));
                    }
                    page.visible = sorted.len() as u32;
                    page.on_gpu = false;
                    stats.splat_sorts += 1;
                }
                stats.sort_micros += t.elapsed().as_micros() as u64;
                node.sorted_for = Some(key);
            }
            for (i, page) in node.pages.iter().enumerate() {
                // The GPU's visible count stays on the GPU (indirect draw).
                let drawn = if page.on_gpu {
                    page.count
                } else {
                    page.visible
                };
                if drawn == 0 {
                    continue;
                }
                stats.splats += u64::from(drawn);
                let depth = -(view_from_local * page.center.extend(1.0)).z;
                order.push((depth, SplatDrawRef { node: *id, page: i }));
            }
        }
        self.gpu_straddles = self.splat_nodes.values().any(|n| {
            n.pages
                .iter()
                .any(|p| p.on_gpu && matches!(p.split, GridSplit::Straddles { .. }))
        });
        // Far to near.
        order.sort_by(|a, b| b.0.total_cmp(&a.0));
        self.splat_order = order.into_iter().map(|(_, r)| r).collect();
        if let (false, Some(sorter)) = (gpu_jobs.is_empty(), &self.sorter) {
            let t = Instant::now();
            let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("splat sort"),
            });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("splat sort"),
                    timestamp_writes: self.timer.as_ref().and_then(SortTimer::pass_writes),
                });
                for (id, i, depth_row) in &gpu_jobs {
                    let page = self.splat_nodes.get(id).and_then(|n| n.pages.get(*i));
                    if let Some(sort_page) = page.and_then(|p| p.gpu_sort.as_ref()) {
                        sorter.encode(queue, &mut pass, sort_page, *depth_row, camera.near);
                    }
                }
            }
            if let Some(timer) = &self.timer {
                timer.resolve(&mut encoder);
            }
            // Submitted ahead of the frame's commands, which draw from its results.
            queue.submit([encoder.finish()]);
            stats.sort_micros += t.elapsed().as_micros() as u64;
            if let Some(timer) = &mut self.timer {
                if timer.has_timestamps() {
                    timer.stamped = true;
                } else if device.poll(wgpu::PollType::wait_indefinitely()).is_ok() {
                    timer.wall_micros = Some(t.elapsed().as_secs_f64() * 1e6);
                }
            }
        }
    }

    /// The point and splat pipelines for the opaque pass's sample count (`msaa`, points and
    /// segments; it must match the pass's target) and where the splats are drawn, after
    /// [`Self::prepare`] of the frame; with `xray`, also those splitting the splats at
    /// X-ray's front ([`XraySide`]): one draw into both layers with the splat layer
    /// (`Both`), else a draw per side (`Behind`, `Front`); and X-ray's point and segment
    /// pipelines ([`CloudPass::PointsXray`]).
    pub fn pipelines(
        &mut self,
        device: &wgpu::Device,
        msaa: u32,
        splats: SplatTarget,
        xray: bool,
    ) -> CloudPipes {
        let points = self
            .point_pipelines
            .entry(msaa)
            .or_insert_with(|| {
                cloud_pipeline(
                    device,
                    "points",
                    &self.point_module,
                    &self.pipeline_layouts[0],
                    CloudPass::Points { msaa },
                )
            })
            .clone();
        let segments = self
            .segment_pipelines
            .entry(msaa)
            .or_insert_with(|| {
                cloud_pipeline(
                    device,
                    "segments",
                    &self.segment_module,
                    &self.pipeline_layouts[0],
                    CloudPass::Points { msaa },
                )
            })
            .clone();
        let shadings: HashSet<SplatShading> = self
            .splat_nodes
            .values()
            .map(|node| self.shading(node))
            .collect();
        let mut splat = |side: GridSide, shading: SplatShading, xray: XraySide| {
            self.splat_pipelines
                .entry((splats, side, shading, xray))
                .or_insert_with(|| {
                    cloud_pipeline(
                        device,
                        "splats",
                        &self.splat_module,
                        &self.pipeline_layouts[if xray == XraySide::All { 1 } else { 2 }],
                        CloudPass::Splats {
                            target: splats,
                            side,
                            shading,
                            xray,
                        },
                    )
                })
                .clone()
        };
        let gpu_straddles = self.gpu_straddles;
        let mut pipes_of = |xray: XraySide| {
            let pipes = shadings
                .iter()
                .map(|&shading| {
                    let pipes = ShadedSplatPipes {
                        whole: splat(GridSide::All, shading, xray),
                        around_grid: gpu_straddles.then(|| {
                            [
                                splat(GridSide::Beyond, shading, xray),
                                splat(GridSide::Near, shading, xray),
                            ]
                        }),
                    };
                    (shading, pipes)
                })
                .collect();
            SplatPipes(pipes)
        };
        let split_sides: &[XraySide] = match (xray, splats) {
            (false, _) => &[],
            (true, SplatTarget::Layer) => &[XraySide::Both],
            (true, SplatTarget::Display { .. }) => &[XraySide::Behind, XraySide::Front],
        };
        let mut xray_pipes = |segments: bool| {
            let (module, labels) = if segments {
                (
                    &self.segment_module,
                    ["segments x-ray front", "segments x-ray"],
                )
            } else {
                (&self.point_module, ["points x-ray front", "points x-ray"])
            };
            [true, false].map(|front| {
                self.xray_pipelines
                    .entry((segments, front, msaa))
                    .or_insert_with(|| {
                        cloud_pipeline(
                            device,
                            labels[usize::from(!front)],
                            module,
                            &self.pipeline_layouts[if front { 0 } else { 3 }],
                            CloudPass::PointsXray { front, msaa },
                        )
                    })
                    .clone()
            })
        };
        let points_xray = (xray && !self.point_nodes.is_empty()).then(|| xray_pipes(false));
        let segments_xray = (xray && !self.line_nodes.is_empty()).then(|| xray_pipes(true));
        CloudPipes {
            points,
            segments,
            points_xray,
            segments_xray,
            splats: pipes_of(XraySide::All),
            xray_splats: split_sides.iter().map(|&x| (x, pipes_of(x))).collect(),
        }
    }

    /// What the vertex stage of `node`'s splat pipelines computes.
    fn shading(&self, node: &SplatNode) -> SplatShading {
        SplatShading {
            sh_degree: self.splats.get(&node.cloud).map_or(0, |c| c.sh_degree),
            relit: node.relight.amount > 0.0,
        }
    }

    /// Pipelines drawing selected clouds into the selection mask (made when first needed):
    /// the `fs_mask` entries of points.wgsl, segments.wgsl and splats.wgsl, the splats'
    /// colour left out of their vertex stage.
    pub fn mask_pipelines(&mut self, device: &wgpu::Device) -> MaskPipes {
        self.mask_pipelines
            .get_or_insert_with(|| MaskPipes {
                points: cloud_pipeline(
                    device,
                    "point selection mask",
                    &self.point_module,
                    &self.pipeline_layouts[0],
                    CloudPass::Mask { splats: false },
                ),
                segments: cloud_pipeline(
                    device,
                    "segment selection mask",
                    &self.segment_module,
                    &self.pipeline_layouts[0],
                    CloudPass::Mask { splats: false },
                ),
                splats: cloud_pipeline(
                    device,
                    "splat selection mask",
                    &self.splat_module,
                    &self.pipeline_layouts[1],
                    CloudPass::Mask { splats: true },
                ),
            })
            .clone()
    }

    /// Draws the clouds of the `selected` nodes with the [`Self::mask_pipelines`] (group 0
    /// must be the frame bind group).
    pub fn draw_selection_mask(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        pipes: &MaskPipes,
        selected: &HashSet<NodeId>,
        stats: &mut FrameStats,
    ) {
        let take = |id| selected.contains(&id);
        draw_nodes(pass, &pipes.points, &self.point_nodes, take, stats);
        draw_nodes(pass, &pipes.segments, &self.line_nodes, take, stats);
        pass.set_pipeline(&pipes.splats);
        for r in self
            .splat_order
            .iter()
            .filter(|r| selected.contains(&r.node))
        {
            if let Some(page) = self.page(r) {
                draw_page(pass, page, None, 0, stats);
            }
        }
    }

    /// Draws the point and line nodes (group 0 must be the frame bind group) where the frame
    /// has no X-ray (they are drawn in its passes then, [`Self::draw_points_xray`]).
    pub fn draw_points(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        pipes: &CloudPipes,
        stats: &mut FrameStats,
    ) {
        if pipes.points_xray.is_none() {
            draw_nodes(pass, &pipes.points, &self.point_nodes, |_| true, stats);
        }
        if pipes.segments_xray.is_none() {
            draw_nodes(pass, &pipes.segments, &self.line_nodes, |_| true, stats);
        }
    }

    /// With X-ray, draws the point and line nodes into its `front` pre-pass or, after it, its
    /// see-through pass (group 0 must be the frame bind group; for the latter group 2 X-ray's
    /// front).
    pub fn draw_points_xray(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        pipes: &CloudPipes,
        front: bool,
        stats: &mut FrameStats,
    ) {
        for (pipes, nodes) in [
            (&pipes.points_xray, &self.point_nodes),
            (&pipes.segments_xray, &self.line_nodes),
        ] {
            if let Some([front_pipe, xray_pipe]) = pipes {
                let pipe = if front { front_pipe } else { xray_pipe };
                draw_nodes(pass, pipe, nodes, |_| true, stats);
            }
        }
    }

    /// Whether any point or line node is drawn (X-ray then has something to see through).
    pub fn has_points_or_lines(&self) -> bool {
        !self.point_nodes.is_empty() || !self.line_nodes.is_empty()
    }

    fn page(&self, r: &SplatDrawRef) -> Option<&SplatNodePage> {
        self.splat_nodes
            .get(&r.node)
            .and_then(|n| n.pages.get(r.page))
    }

    /// Draws the splats on one side of the viewport grid's plane (all of them, when the
    /// frame has no grid, on the `Near` side), far to near (group 0 must be the frame bind
    /// group). The grid is drawn between the `Beyond` and the `Near` call (see [`GridSplit`]).
    ///
    /// Only splats whose view depth lies in depth-slice slot `slice` are drawn (0: all; see
    /// [`Self::write_depth_slices`]), so blended meshes can be drawn between slices.
    /// Whether [`Self::draw_splats`] draws anything on `side` of the grid (a frame's display
    /// pass plans a step for each side, and most frames have splats on one).
    pub fn draws_splats_on(&self, side: GridSide) -> bool {
        self.splat_order.iter().any(|r| {
            self.splat_nodes.contains_key(&r.node)
                && self.page(r).is_some_and(|page| {
                    matches!(
                        (page.split, side),
                        (GridSplit::Near, GridSide::Near)
                            | (GridSplit::Beyond, GridSide::Beyond)
                            | (
                                GridSplit::Straddles { .. },
                                GridSide::Near | GridSide::Beyond
                            )
                    )
                })
        })
    }

    pub fn draw_splats(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        pipes: &SplatPipes,
        side: GridSide,
        slice: u32,
        stats: &mut FrameStats,
    ) {
        for r in &self.splat_order {
            let (Some(node), Some(page)) = (self.splat_nodes.get(&r.node), self.page(r)) else {
                continue;
            };
            let Some(pipes) = pipes.0.get(&self.shading(node)) else {
                continue;
            };
            // The pipeline, and the instances of a CPU-sorted page (None: all it sorted).
            let (pipeline, instances) = match (page.split, side) {
                (GridSplit::Near, GridSide::Near) | (GridSplit::Beyond, GridSide::Beyond) => {
                    (&pipes.whole, None)
                }
                (GridSplit::Straddles { beyond }, _) if !page.on_gpu => {
                    let range = match side {
                        GridSide::Beyond => 0..beyond,
                        _ => beyond..page.visible,
                    };
                    (&pipes.whole, Some(range))
                }
                (GridSplit::Straddles { .. }, _) => match (&pipes.around_grid, side) {
                    (Some([beyond, _]), GridSide::Beyond) => (beyond, None),
                    (Some([_, near]), _) => (near, None),
                    // Not expected (`pipelines` after `prepare`): all at once, after the grid.
                    (None, GridSide::Beyond) => continue,
                    (None, _) => (&pipes.whole, None),
                },
                _ => continue,
            };
            if instances.as_ref().is_some_and(|r| r.is_empty()) {
                continue;
            }
            pass.set_pipeline(pipeline);
            draw_page(pass, page, instances, slice, stats);
        }
    }
}

/// Slots of [`GpuClouds::depth_slices`]: slot 0 (every depth) and up to ten slices a frame.
pub const DEPTH_SLICE_SLOTS: usize = 11;
/// Bytes between slots (WebGPU's largest minimum dynamic-offset alignment).
const DEPTH_SLICE_STRIDE: u64 = 256;
/// Slot 0's range: [near, far) view depths covering everything.
const EVERY_DEPTH: [f32; 4] = [0.0, f32::MAX, 0.0, 0.0];

impl GpuClouds {
    /// Sets the view-depth ranges [near, far) of slots 1.. (at most `DEPTH_SLICE_SLOTS` − 1;
    /// more are ignored) for this frame's draws.
    pub fn write_depth_slices(&self, queue: &wgpu::Queue, ranges: &[[f32; 2]]) {
        let mut written = self
            .written_slices
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (i, &[near, far]) in ranges.iter().take(DEPTH_SLICE_SLOTS - 1).enumerate() {
            if written.get(i) == Some(&[near, far]) {
                continue;
            }
            if written.len() <= i {
                written.resize(i + 1, [f32::NAN; 2]);
            }
            written[i] = [near, far];
            queue.write_buffer(
                &self.depth_slices,
                (i as u64 + 1) * DEPTH_SLICE_STRIDE,
                bytemuck::bytes_of(&[near, far, 0.0f32, 0.0]),
            );
        }
    }

    /// The view depths [nearest, farthest] of the centres of the splats drawn this frame
    /// (from their pages' bounds, so a little wide), None without splats.
    pub fn splat_depth_range(&self, view_from_world: Mat4) -> Option<[f32; 2]> {
        let mut range: Option<[f32; 2]> = None;
        for r in &self.splat_order {
            let Some(node) = self.splat_nodes.get(&r.node) else {
                continue;
            };
            let Some(page) = self
                .splats
                .get(&node.cloud)
                .and_then(|c| c.pages.get(r.page))
            else {
                continue;
            };
            let [min, max] = page.bounds;
            if !min.cmple(max).all() {
                continue;
            }
            let view_from_local = view_from_world * node.world_from_local;
            for corner in 0..8 {
                let p = Vec3::new(
                    if corner & 1 == 0 { min.x } else { max.x },
                    if corner & 2 == 0 { min.y } else { max.y },
                    if corner & 4 == 0 { min.z } else { max.z },
                );
                let depth = -view_from_local.transform_point3(p).z;
                if !depth.is_finite() {
                    continue;
                }
                let [near, far] = range.get_or_insert([depth, depth]);
                *near = near.min(depth);
                *far = far.max(depth);
            }
        }
        range
    }
}

/// One draw of a splat page: indirect when the GPU sorted it, else `instances` of its sorted
/// splats (None: all it sorted as visible).
fn draw_page(
    pass: &mut wgpu::RenderPass<'_>,
    page: &SplatNodePage,
    instances: Option<std::ops::Range<u32>>,
    slice: u32,
    stats: &mut FrameStats,
) {
    pass.set_bind_group(1, &page.bind_group, &[slice * DEPTH_SLICE_STRIDE as u32]);
    match (page.on_gpu, &page.gpu_sort) {
        (true, Some(sort)) => pass.draw_indirect(&sort.draw_args, 0),
        _ => pass.draw(0..QUAD_VERTICES, instances.unwrap_or(0..page.visible)),
    }
    stats.draw_calls += 1;
}

/// The viewport grid's plane y = 0 as a row in a node's frame, facing the camera at `eye`:
/// row · (p, 1) ≥ 0 for a local point p on the camera's side, < 0 beyond the plane (as
/// splats.wgsl decides it for `grid_side`).
pub(super) fn grid_plane_row(world_from_local: Mat4, eye: Vec3) -> Vec4 {
    let camera_side = if eye.y >= 0.0 { 1.0 } else { -1.0 };
    world_from_local.row(1) * camera_side
}

/// Whether a page (`bounds` in the cloud's frame) lies on the camera's side of the grid's
/// plane, beyond it, or both; `plane_row` · (p, 1) ≥ 0 on the camera's side.
fn grid_split(plane_row: Vec4, bounds: [Vec3; 2]) -> GridSplit {
    let [min, max] = bounds;
    if !min.cmple(max).all() {
        return GridSplit::Near;
    }
    let center = (min + max) * 0.5;
    let reach = ((max - min) * 0.5).dot(plane_row.truncate().abs());
    let at = plane_row.dot(center.extend(1.0));
    if at - reach >= 0.0 {
        GridSplit::Near
    } else if at + reach < 0.0 {
        GridSplit::Beyond
    } else {
        GridSplit::Straddles { beyond: 0 }
    }
}

/// Which splats a splat pipeline draws by the side of the viewport grid's plane their centre
/// lies on (`grid_side` in splats.wgsl).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GridSide {
    All,
    /// Beyond the plane as seen from the camera: drawn before the grid.
    Beyond,
    /// On the camera's side: drawn after the grid.
    Near,
}

/// Pipelines of the cloud draws of one frame.
pub struct CloudPipes {
    pub points: wgpu::RenderPipeline,
    pub segments: wgpu::RenderPipeline,
    /// With X-ray, the points' and the segments' [front pre-pass, see-through] pipelines
    /// ([`CloudPass::PointsXray`]).
    points_xray: Option<[wgpu::RenderPipeline; 2]>,
    segments_xray: Option<[wgpu::RenderPipeline; 2]>,
    splats: SplatPipes,
    /// Those splitting the splats at X-ray's front, when the frame does.
    xray_splats: HashMap<XraySide, SplatPipes>,
}

impl CloudPipes {
    /// The splat pipelines drawing `side` of X-ray's front (all of them where the frame
    /// made none split there).
    pub fn splats(&self, side: XraySide) -> &SplatPipes {
        self.xray_splats.get(&side).unwrap_or(&self.splats)
    }
}

/// Which splats and grid fragments a draw takes by the nearest X-ray surface of their pixel
/// (`xray_side` and `xray_keeps` in the shaders): X-ray's composite goes between the two, so
/// see-through meshes lie over what is behind them and do not tint what is in front.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XraySide {
    All,
    /// At or behind the front (or where there is no X-ray surface): drawn before the
    /// composite.
    Behind,
    /// In front of it: drawn after the composite.
    Front,
    /// Both in one draw into the splat layer ([`SplatTarget::Layer`]): behind into its
    /// first two targets, in front into the next two, laid over after the composite
    /// (splats.wgsl `fs_layer_xray_both`).
    Both,
}

/// The selection-mask pipelines of point, line and splat nodes.
#[derive(Clone)]
pub struct MaskPipes {
    points: wgpu::RenderPipeline,
    segments: wgpu::RenderPipeline,
    splats: wgpu::RenderPipeline,
}

/// Draws the point or line `nodes` for which `take` holds with `pipeline`: one quad per
/// point or segment, a draw per page.
fn draw_nodes(
    pass: &mut wgpu::RenderPass<'_>,
    pipeline: &wgpu::RenderPipeline,
    nodes: &BTreeMap<NodeId, PointNode>,
    take: impl Fn(NodeId) -> bool,
    stats: &mut FrameStats,
) {
    let mut set = false;
    for (_, node) in nodes.iter().filter(|(id, _)| take(**id)) {
        if !set {
            pass.set_pipeline(pipeline);
            set = true;
        }
        for (bg, count) in &node.bind_groups {
            pass.set_bind_group(1, bg, &[]);
            pass.draw(0..QUAD_VERTICES, 0..*count);
            stats.draw_calls += 1;
        }
    }
}

/// The splat pipelines of a frame, per shading its splat nodes need.
pub struct SplatPipes(HashMap<SplatShading, ShadedSplatPipes>);

/// The splat pipelines of one shading.
struct ShadedSplatPipes {
    /// Draws every splat it is given.
    whole: wgpu::RenderPipeline,
    /// [beyond, near]: drop the splats on the other side of the grid's plane, for GPU-sorted
    /// pages that straddle it (made only when a frame has one).
    around_grid: Option<[wgpu::RenderPipeline; 2]>,
}

/// What a splat pipeline's vertex stage computes (splats.wgsl's constants `sh_degree` and
/// `relighting`): a node's cloud's SH degree, and whether the node is relit. Pipeline
/// constants rather than branches on the draw's uniform, because a CPU adapter runs every
/// branch of a draw under a lane mask: a degree-0 cloud paid for the SH evaluation and the
/// relighting (sun shadow lookups) of every vertex. See BENCHMARKS, "Opening large files".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct SplatShading {
    sh_degree: u8,
    relit: bool,
}

/// What a cloud pipeline draws into.
#[derive(Clone, Copy)]
enum CloudPass {
    /// Points in the main HDR pass with `msaa` samples: opaque surfaces, writing depth.
    Points { msaa: u32 },
    /// Points or segments with X-ray (points.wgsl and segments.wgsl `fs_front`, `fs_xray`):
    /// into its front pre-pass
    /// (`front`: one sample, view depth, writing depth), or see-through into its two
    /// order-independent targets with `msaa` samples (writing no depth).
    PointsXray { front: bool, msaa: u32 },
    /// The splats of `side` in the main HDR pass with `msaa` samples, shaded by `shading`:
    /// blended back to front, depth-tested but writing no depth.
    Splats {
        target: SplatTarget,
        side: GridSide,
        shading: SplatShading,
        xray: XraySide,
    },
    /// The selection mask (R8, one sample, no depth test): `fs_mask`, and for splats the
    /// vertex stage without colour (`mask_only` in splats.wgsl).
    Mask { splats: bool },
}

/// Where a frame's splats are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SplatTarget {
    /// Straight into the display pass, with its sample count.
    Display { msaa: u32 },
    /// Into the splat layer at one sample per pixel, which the MSAA display pass then
    /// composites (renderer.rs, `Targets::one_sample`): premultiplied colour and alpha, and
    /// the nearest depth of the splats that cover each pixel (splats.wgsl `fs_layer`).
    Layer,
}

/// The splat layer's depth target's format ([`SplatTarget::Layer`]): reverse-Z depth, whose
/// half-float precision is relative, so as fine near the camera as far from it.
pub const SPLAT_LAYER_DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R16Float;

fn cloud_pipeline(
    device: &wgpu::Device,
    label: &str,
    module: &wgpu::ShaderModule,
    layout: &wgpu::PipelineLayout,
    pass: CloudPass,
) -> wgpu::RenderPipeline {
    let constants: Vec<(&str, f64)> = match pass {
        CloudPass::Points { .. } => Vec::new(),
        CloudPass::PointsXray { .. } => vec![("view_depth_out", 1.0)],
        CloudPass::Splats {
            side,
            shading,
            xray,
            ..
        } => {
            let mut c = vec![
                (
                    "grid_side",
                    match side {
                        GridSide::All => 0.0,
                        GridSide::Beyond => -1.0,
                        GridSide::Near => 1.0,
                    },
                ),
                ("sh_degree", f64::from(shading.sh_degree)),
                ("relighting", if shading.relit { 1.0 } else { 0.0 }),
            ];
            if xray == XraySide::Front {
                c.push(("xray_side", 1.0));
            }
            c
        }
        CloudPass::Mask { splats: true } => vec![("mask_only", 1.0)],
        CloudPass::Mask { splats: false } => Vec::new(),
    };
    let compilation_options = wgpu::PipelineCompilationOptions {
        constants: &constants,
        ..Default::default()
    };
    // The splat layer's second target: the nearest view depth of the splats that cover a
    // pixel (reverse Z: the greatest).
    let nearest = Some(wgpu::ColorTargetState {
        format: SPLAT_LAYER_DEPTH_FORMAT,
        blend: Some(wgpu::BlendState {
            color: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::One,
                dst_factor: wgpu::BlendFactor::One,
                operation: wgpu::BlendOperation::Max,
            },
            alpha: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::One,
                dst_factor: wgpu::BlendFactor::One,
                operation: wgpu::BlendOperation::Max,
            },
        }),
        write_mask: wgpu::ColorWrites::ALL,
    });
    let layer = matches!(
        pass,
        CloudPass::Splats {
            target: SplatTarget::Layer,
            ..
        }
    );
    // Colour, or in the splat layer colour and nearest depth, twice where one draw splits
    // the splats at X-ray's front.
    let targets = match pass {
        CloudPass::Splats {
            xray: XraySide::Both,
            ..
        } => 4,
        _ if layer => 2,
        _ => 1,
    };
    let (msaa, fragment, depth_write, depth_compare, format, blend) = match pass {
        CloudPass::Points { msaa } => (
            msaa,
            "fs_main",
            true,
            wgpu::CompareFunction::Greater,
            super::renderer::HDR_FORMAT,
            None,
        ),
        CloudPass::PointsXray { front: true, .. } => (
            1,
            "fs_front",
            true,
            wgpu::CompareFunction::Greater,
            super::renderer::XRAY_FRONT_FORMAT,
            None,
        ),
        // The targets are X-ray's own (`XRAY_TARGETS`, below).
        CloudPass::PointsXray { front: false, msaa } => (
            msaa,
            "fs_xray",
            false,
            wgpu::CompareFunction::Greater,
            super::renderer::HDR_FORMAT,
            None,
        ),
        CloudPass::Splats { target, xray, .. } => (
            match target {
                SplatTarget::Display { msaa } => msaa,
                SplatTarget::Layer => 1,
            },
            match (layer, xray) {
                (true, XraySide::All) => "fs_layer",
                (true, XraySide::Both) => "fs_layer_xray_both",
                (true, _) => "fs_layer_xray_split",
                (false, XraySide::All) => "fs_main",
                (false, _) => "fs_xray_split",
            },
            false,
            wgpu::CompareFunction::Greater,
            super::renderer::HDR_FORMAT,
            Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
        ),
        CloudPass::Mask { .. } => (
            1,
            "fs_mask",
            false,
            wgpu::CompareFunction::Always,
            super::renderer::MASK_FORMAT,
            None,
        ),
    };
    let color = Some(wgpu::ColorTargetState {
        format,
        blend,
        write_mask: wgpu::ColorWrites::ALL,
    });
    let targets: Vec<Option<wgpu::ColorTargetState>> =
        if matches!(pass, CloudPass::PointsXray { front: false, .. }) {
            super::renderer::XRAY_TARGETS.to_vec()
        } else {
            [color.clone(), nearest.clone(), color, nearest][..targets].to_vec()
        };
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(label),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module,
            entry_point: Some("vs_main"),
            compilation_options: compilation_options.clone(),
            buffers: &[],
        },
        // Each point or splat a quad of QUAD_VERTICES corners (`quad_corner` in the shaders).
        primitive: wgpu::PrimitiveState {
            topology: wgpu::PrimitiveTopology::TriangleStrip,
            ..Default::default()
        },
        depth_stencil: Some(wgpu::DepthStencilState {
            format: super::renderer::DEPTH_FORMAT,
            depth_write_enabled: Some(depth_write),
            depth_compare: Some(depth_compare),
            stencil: Default::default(),
            bias: Default::default(),
        }),
        multisample: wgpu::MultisampleState {
            count: msaa,
            ..Default::default()
        },
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some(fragment),
            compilation_options,
            targets: &targets,
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// The draw of a point or line node showing `gpu` (the cloud's points or segments): `old`
/// when it drew the same content, else a new uniform and bind groups; placed and graded
/// as `wn` is now.
fn point_node(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    old: Option<PointNode>,
    cloud: PointCloudId,
    gpu: &GpuPointCloud,
    wn: &crate::scene::WorldNode<'_>,
) -> PointNode {
    let node = match old {
        Some(n) if n.cloud == cloud && n.content_id == gpu.content_id => n,
        _ => {
            let uniform = draw_uniform(device, std::mem::size_of::<PointDraw>());
            let selected: Vec<_> = gpu
                .pages
                .iter()
                .map(|(_, count)| selected_texture(device, *count))
                .collect();
            let bind_groups = gpu
                .pages
                .iter()
                .zip(&selected)
                .map(|((buffer, count), selected)| {
                    let view = selected.create_view(&wgpu::TextureViewDescriptor::default());
                    let entry = wgpu::BindGroupEntry {
                        binding: 2,
                        resource: wgpu::BindingResource::TextureView(&view),
                    };
                    let group = bind_with(device, layout, &[&uniform, buffer], [entry], "points");
                    (group, *count)
                })
                .collect();
            PointNode {
                cloud,
                content_id: gpu.content_id,
                world_from_local: Mat4::IDENTITY,
                size_px: 1.0,
                grade: [1.0; 4],
                uniform,
                bind_groups,
                selected,
                highlight_key: None,
                highlighted: None,
            }
        }
    };
    PointNode {
        world_from_local: wn.world_from_local,
        grade: wn.node.grade.packed(),
        ..node
    }
}

fn draw_uniform(device: &wgpu::Device, size: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("cloud draw"),
        size: size as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// A splat page's bind group: its draw uniform, splats, SH and sorted indices, the depth
/// slices (binding 4, one 16-byte slot at the draw's dynamic offset) and the selected bits
/// (binding 5).
fn bind_splats(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    buffers: [&wgpu::Buffer; 4],
    depth_slices: &wgpu::Buffer,
    selected: &wgpu::Texture,
) -> wgpu::BindGroup {
    let selected = selected.create_view(&wgpu::TextureViewDescriptor::default());
    let slices = wgpu::BindGroupEntry {
        binding: 4,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: depth_slices,
            offset: 0,
            size: wgpu::BufferSize::new(16),
        }),
    };
    let selected = wgpu::BindGroupEntry {
        binding: 5,
        resource: wgpu::BindingResource::TextureView(&selected),
    };
    bind_with(device, layout, &buffers, [slices, selected], "splats")
}

/// Words of selected bits per row of a page's `selected` texture (splats.wgsl and
/// points.wgsl have the same).
const SELECTED_ROW_WORDS: u32 = 2048;

/// The frame's highlight if it is node `id`'s, was made on its cloud (`len` elements) and
/// overlays are drawn.
fn highlight_of<'h>(
    highlight: Option<CloudHighlight<'h>>,
    id: NodeId,
    len: Option<usize>,
    settings: &RenderSettings,
) -> Option<CloudHighlight<'h>> {
    let fits = |m: Option<&crate::scene::ElementMask>| m.is_none_or(|m| Some(m.len()) == len);
    highlight.filter(|h| {
        h.node == id
            && settings.overlays.outline
            && (h.selected.is_some() || h.hidden.is_some() || h.locked.is_some())
            && fits(h.selected)
            && fits(h.hidden)
            && fits(h.locked)
    })
}

/// The layout entry of a page's selected bits (vertex stage).
fn selected_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::VERTEX,
        ty: wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Uint,
            view_dimension: wgpu::TextureViewDimension::D2,
            multisampled: false,
        },
        count: None,
    }
}

/// Elements per word of a page's marks texture: two bits each, selected (bit 2k) and hidden
/// (bit 2k + 1); splats.wgsl and points.wgsl read them the same way.
const MARKS_PER_WORD: u32 = 16;

/// The marks of `highlight` for `count` consecutive slots, slot `j` being element
/// `element(j)`: one word per [`MARKS_PER_WORD`] slots.
fn selected_words(
    highlight: &CloudHighlight<'_>,
    count: usize,
    element: impl Fn(usize) -> usize + Sync,
) -> Vec<u32> {
    let per_word = MARKS_PER_WORD as usize;
    let get = |m: Option<&crate::scene::ElementMask>, i: usize| m.is_some_and(|m| m.get(i));
    (0..count.div_ceil(per_word))
        .into_par_iter()
        .map(|w| {
            (0..per_word.min(count - w * per_word)).fold(0u32, |word, k| {
                let i = element(w * per_word + k);
                // Two bits per element: 0 plain, 1 selected, 2 hidden, 3 locked.
                let bits = if get(highlight.hidden, i) {
                    2
                } else if get(highlight.locked, i) {
                    3
                } else {
                    u32::from(get(highlight.selected, i))
                };
                word | bits << (2 * k)
            })
        })
        .collect()
}

/// A page's selected bits, all clear: enough rows of [`SELECTED_ROW_WORDS`] for `count`
/// splats or points.
fn selected_texture(device: &wgpu::Device, count: u32) -> wgpu::Texture {
    let words = count.div_ceil(MARKS_PER_WORD).max(1);
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("selected elements"),
        size: wgpu::Extent3d {
            width: words.min(SELECTED_ROW_WORDS),
            height: words.div_ceil(SELECTED_ROW_WORDS),
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::R32Uint,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    })
}

/// Writes a page's marks (one word per [`MARKS_PER_WORD`] slots) into its texture.
fn write_selected(queue: &wgpu::Queue, texture: &wgpu::Texture, mut words: Vec<u32>) {
    let size = texture.size();
    words.resize((size.width * size.height) as usize, 0);
    queue.write_texture(
        texture.as_image_copy(),
        bytemuck::cast_slice(&words),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(size.width * 4),
            rows_per_image: Some(size.height),
        },
        size,
    );
}

/// `buffers` whole at bindings 0, 1, …, then `extra`.
fn bind_with<'b>(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    buffers: &[&'b wgpu::Buffer],
    extra: impl IntoIterator<Item = wgpu::BindGroupEntry<'b>>,
    label: &str,
) -> wgpu::BindGroup {
    let entries: Vec<_> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: b.as_entire_binding(),
        })
        .chain(extra)
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(label),
        layout,
        entries: &entries,
    })
}

/// Splat indices grouped into slabs of `per_page` along the cloud's longest axis (for paged
/// clouds): every splat of a page lies at or below every splat of the next page on that axis.
fn slab_order(cloud: &SplatCloud, per_page: usize) -> Vec<u32> {
    let size = cloud.bounds().size();
    let axis = if size.x >= size.y && size.x >= size.z {
        0
    } else if size.y >= size.z {
        1
    } else {
        2
    };
    // Keys next to their indices (no indirection while partitioning), then one linear-time
    // selection per page boundary: pages only need to be slabs, their inside order is the
    // per-page depth sort's job.
    let mut keyed: Vec<(f32, u32)> = cloud
        .positions
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            let k = p[axis];
            (if k.is_finite() { k } else { 0.0 }, i as u32)
        })
        .collect();
    let per_page = per_page.max(1);
    let mut rest = keyed.as_mut_slice();
    while rest.len() > per_page {
        rest.select_nth_unstable_by(per_page, |a, b| a.0.total_cmp(&b.0));
        rest = &mut rest[per_page..];
    }
    let mut order: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
    // Ascending indices inside each page, so packing reads the cloud nearly in order.
    order
        .par_chunks_mut(per_page)
        .for_each(|page| page.sort_unstable());
    order
}

/// Buffers of the CPU splat sort, kept from frame to frame: sorting a page of millions of
/// splats would otherwise allocate (and fault in) 16 B per splat every frame the camera
/// moves, and those short-lived blocks are what set a large cloud's memory peak.
#[derive(Default)]
pub struct SortScratch {
    keys: Vec<u32>,
    values: Vec<u32>,
    keys_out: Vec<u32>,
    values_out: Vec<u32>,
}

impl SortScratch {
    /// Stable LSD radix sort of `values` by `keys` (ascending, `keys.len()` entries), three
    /// passes of 11 bits. Each pass histograms blocks in parallel, turns the histograms into
    /// per-block output offsets (digit-major, block-minor, which keeps it stable) and
    /// scatters the blocks in parallel. The sorted pairs end in `keys` / `values`.
    fn sort(&mut self) {
        const BITS: u32 = 11;
        const BUCKETS: usize = 1 << BITS;
        let n = self.keys.len();
        self.values.resize(n, 0);
        if n < 2 {
            return;
        }
        self.keys_out.resize(n, 0);
        self.values_out.resize(n, 0);
        let block = parallel_block(n);
        for pass in 0..3 {
            let shift = pass * BITS;
            let digit = |k: u32| ((k >> shift) as usize) & (BUCKETS - 1);
            let histograms: Vec<Vec<u32>> = self
                .keys
                .par_chunks(block)
                .map(|chunk| {
                    let mut h = vec![0u32; BUCKETS];
                    for &k in chunk {
                        h[digit(k)] += 1;
                    }
                    h
                })
                .collect();
            // All keys share this digit: the pass would not move anything.
            if (0..BUCKETS).any(|d| histograms.iter().map(|h| h[d] as usize).sum::<usize>() == n) {
                continue;
            }
            let mut offsets = vec![vec![0usize; BUCKETS]; histograms.len()];
            let mut sum = 0;
            for d in 0..BUCKETS {
                for (b, h) in histograms.iter().enumerate() {
                    offsets[b][d] = sum;
                    sum += h[d] as usize;
                }
            }
            let out_keys = Scatter(self.keys_out.as_mut_ptr());
            let out_values = Scatter(self.values_out.as_mut_ptr());
            self.keys
                .par_chunks(block)
                .zip(self.values.par_chunks(block))
                .zip(offsets.into_par_iter())
                .for_each(|((kc, vc), mut off)| {
                    for (&k, &v) in kc.iter().zip(vc) {
                        let d = digit(k);
                        let o = off[d];
                        off[d] += 1;
                        // SAFETY: `o` < n (the offsets partition 0..n) and no other block
                        // writes index `o`: block b owns [offsets[b][d], offsets[b][d] + h[b][d]).
                        unsafe {
                            *out_keys.get().add(o) = k;
                            *out_values.get().add(o) = v;
                        }
                    }
                });
            std::mem::swap(&mut self.keys, &mut self.keys_out);
            std::mem::swap(&mut self.values, &mut self.values_out);
        }
    }
}

/// Items per parallel task over `n` items: about four tasks per thread, at least 16k each.
fn parallel_block(n: usize) -> usize {
    n.div_ceil(rayon::current_num_threads().max(1) * 4)
        .max(1 << 14)
}

/// Page-local indices (slots `0..count`, splat `splat_of(slot)` of `positions`) of the
/// page's splats in front of the near plane, farthest first (a slice of `scratch`).
/// `depth_row` is the z row of `view_from_local` (view depth = −row · (p, 1)).
/// With a `plane` row, the splats with plane · (p, 1) < 0 (beyond the viewport grid, see
/// [`GridSplit`]) come first, farthest first among themselves; the second value is how many.
/// With `moving`, the selected splats are keyed at their moved positions.
#[allow(clippy::too_many_arguments)]
fn sort_page<'s>(
    positions: &[[f32; 3]],
    count: usize,
    splat_of: impl Fn(usize) -> usize + Sync,
    depth_row: Vec4,
    plane: Option<Vec4>,
    near: f32,
    moving: Option<Moving<'_>>,
    scratch: &'s mut SortScratch,
) -> (&'s [u32], usize) {
    // Positive floats order like their bits; invert so the farthest sorts first. Keys of
    // splats behind the near plane (or not finite) are u32::MAX, which no visible depth
    // (> near > 0) has.
    const HIDDEN: u32 = u32::MAX;
    // Visible keys have the top bit set (a positive depth's sign bit is clear); clearing it
    // puts the splats beyond the plane before all others, in the same order among themselves.
    const NEAR_BIT: u32 = 1 << 31;
    let block = parallel_block(count);
    let key = |slot: usize| {
        let i = splat_of(slot);
        let mut p = *positions.get(i)?;
        if let Some(m) = moving
            && m.selected.get(i)
        {
            p = m.moved.transform_point3(Vec3::from(p)).to_array();
        }
        let depth = -(depth_row.x * p[0] + depth_row.y * p[1] + depth_row.z * p[2] + depth_row.w);
        (depth.is_finite() && depth > near).then(|| match plane {
            Some(r) if r.x * p[0] + r.y * p[1] + r.z * p[2] + r.w < 0.0 => {
                !depth.to_bits() & !NEAR_BIT
            }
            _ => !depth.to_bits(),
        })
    };
    let key = |slot: usize| key(slot).unwrap_or(HIDDEN);
    // 1. How many splats of each block are visible (the keys are computed again in 2.
    //    rather than stored: a view that sees nothing allocates nothing).
    let blocks = count.div_ceil(block);
    let slots = |b: usize| b * block..((b + 1) * block).min(count);
    let counts: Vec<usize> = (0..blocks)
        .into_par_iter()
        .map(|b| slots(b).filter(|&slot| key(slot) != HIDDEN).count())
        .collect();
    // 2. Each block writes its visible keys (and slots) at its place in the compact list.
    let visible: usize = counts.iter().sum();
    let SortScratch { keys, values, .. } = scratch;
    keys.resize(visible, 0);
    values.resize(visible, 0);
    let mut parts = Vec::with_capacity(blocks);
    let (mut key_rest, mut value_rest) = (keys.as_mut_slice(), values.as_mut_slice());
    for &in_block in &counts {
        let (k, kr) = key_rest.split_at_mut(in_block);
        let (v, vr) = value_rest.split_at_mut(in_block);
        parts.push((k, v));
        (key_rest, value_rest) = (kr, vr);
    }
    parts.into_par_iter().enumerate().for_each(|(b, (k, v))| {
        let mut out = k.iter_mut().zip(v.iter_mut());
        for slot in slots(b) {
            let key = key(slot);
            if key != HIDDEN
                && let Some((k, v)) = out.next()
            {
                *k = key;
                *v = slot as u32;
            }
        }
    });
    scratch.sort();
    let beyond = scratch.keys.partition_point(|k| k & NEAR_BIT == 0);
    (&scratch.values, beyond)
}

/// Raw pointer shared by the scatter of [`SortScratch::sort`], whose threads write disjoint
/// ranges.
struct Scatter(*mut u32);
// SAFETY: only used inside `SortScratch::sort`, where each task writes a disjoint set of
// indices.
unsafe impl Sync for Scatter {}
impl Scatter {
    fn get(&self) -> *mut u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stable sort of `values` by `keys` (ascending), as the splat sort does it.
    fn radix_sort(keys: &mut Vec<u32>, values: &mut Vec<u32>) {
        let n = keys.len().min(values.len());
        let mut scratch = SortScratch {
            keys: std::mem::take(keys),
            values: std::mem::take(values),
            ..SortScratch::default()
        };
        scratch.keys.truncate(n);
        scratch.values.truncate(n);
        scratch.sort();
        *keys = scratch.keys;
        *values = scratch.values;
    }

    #[test]
    fn element_marks_pack_two_bits_each_hidden_over_locked_over_selected() {
        use crate::scene::ElementMask;
        let n = 20;
        let selected = ElementMask::from_fn(n, |i| i % 2 == 0);
        let hidden = ElementMask::from_fn(n, |i| i % 3 == 0);
        let locked = ElementMask::from_fn(n, |i| i % 5 == 0);
        let h = CloudHighlight {
            node: NodeId(1),
            selected: Some(&selected),
            hidden: Some(&hidden),
            locked: Some(&locked),
            key: 1,
            moved: Mat4::IDENTITY,
        };
        let words = selected_words(&h, n, |i| i);
        assert_eq!(words.len(), n.div_ceil(MARKS_PER_WORD as usize));
        for i in 0..n {
            let marks = (words[i / 16] >> (2 * (i % 16))) & 3;
            let expected = if i % 3 == 0 {
                2
            } else if i % 5 == 0 {
                3
            } else {
                u32::from(i % 2 == 0)
            };
            assert_eq!(marks, expected, "element {i}");
        }
    }

    fn lcg(seed: &mut u64) -> u32 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*seed >> 32) as u32
    }

    #[test]
    fn radix_sort_matches_a_stable_sort() {
        let mut seed = 7;
        for n in [0usize, 1, 2, 17, 1000, 100_000] {
            for mask in [u32::MAX, 0xff, 0xffff_0000] {
                let keys: Vec<u32> = (0..n).map(|_| lcg(&mut seed) & mask).collect();
                let mut expected: Vec<(u32, u32)> = keys
                    .iter()
                    .enumerate()
                    .map(|(i, &k)| (k, i as u32))
                    .collect();
                expected.sort_by_key(|p| p.0);
                let mut k = keys.clone();
                let mut v: Vec<u32> = (0..n as u32).collect();
                radix_sort(&mut k, &mut v);
                let got: Vec<(u32, u32)> = k.into_iter().zip(v).collect();
                assert_eq!(got, expected, "n = {n}, mask = {mask:x}");
            }
        }
    }

    #[test]
    fn page_sort_keeps_visible_splats_farthest_first() {
        let mut seed = 3;
        // Depths along −z from 0 to 100 (some behind the near plane), a NaN, every 7th
        // splat of the cloud skipped by the page's slot → splat mapping.
        let positions: Vec<[f32; 3]> = (0..70_000)
            .map(|i| {
                let z = if i == 500 {
                    f32::NAN
                } else {
                    -((lcg(&mut seed) % 100_000) as f32 / 1000.0)
                };
                [0.0, 1.0, z]
            })
            .collect();
        let near = 0.1;
        let depth_row = Vec4::new(0.0, 0.0, 1.0, 0.0);
        let splat_of = |slot: usize| slot + slot / 6;
        let count = 60_000;
        let mut expected: Vec<(f32, u32)> = (0..count)
            .map(|slot| (-positions[splat_of(slot)][2], slot as u32))
            .filter(|(d, _)| d.is_finite() && *d > near)
            .collect();
        expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut scratch = SortScratch::default();
        for _ in 0..2 {
            // The second run reuses the scratch left by the first.
            let (got, _) = sort_page(
                &positions,
                count,
                splat_of,
                depth_row,
                None,
                near,
                None,
                &mut scratch,
            );
            assert_eq!(got.len(), expected.len());
            assert!(got.len() < count, "some splats are behind the near plane");
            assert!(got.iter().zip(&expected).all(|(g, e)| *g == e.1));
        }
        // A view from the other side: a different visible set, sorted again.
        let (got, _) = sort_page(
            &positions,
            count,
            splat_of,
            -depth_row,
            None,
            near,
            None,
            &mut scratch,
        );
        assert!(got.is_empty(), "everything is behind this camera");
    }

    #[test]
    fn page_sort_puts_the_splats_beyond_the_grid_first_each_part_farthest_first() {
        let mut seed = 9;
        let positions: Vec<[f32; 3]> = (0..50_000)
            .map(|_| {
                let y = (lcg(&mut seed) % 2001) as f32 / 100.0 - 10.0;
                let z = -((lcg(&mut seed) % 100_000) as f32 / 1000.0);
                [0.0, y, z]
            })
            .collect();
        let (near, depth_row) = (0.1, Vec4::new(0.0, 0.0, 1.0, 0.0));
        let mut scratch = SortScratch::default();
        let (all, _) = sort_page(
            &positions,
            positions.len(),
            |i| i,
            depth_row,
            None,
            near,
            None,
            &mut scratch,
        );
        let all = all.to_vec();
        // The camera above the plane y = 0: the splats below it are beyond.
        let (split, beyond) = sort_page(
            &positions,
            positions.len(),
            |i| i,
            depth_row,
            Some(Vec4::new(0.0, 1.0, 0.0, 0.0)),
            near,
            None,
            &mut scratch,
        );
        let below = |i: &u32| positions[*i as usize][1] < 0.0;
        let expected: Vec<u32> = all
            .iter()
            .copied()
            .filter(below)
            .chain(all.iter().copied().filter(|i| !below(i)))
            .collect();
        assert!(beyond > 1000 && beyond < all.len() - 1000, "{beyond}");
        assert_eq!(beyond, all.iter().filter(|i| below(i)).count());
        assert_eq!(split, expected.as_slice());
    }

    #[test]
    fn page_sort_keys_dragged_splats_where_they_are_shown() {
        // Five splats 1 m apart along the view direction; 1 and 3 are selected and dragged
        // 10 m away from the camera (the gizmo's preview, before the edit is made).
        let positions: Vec<[f32; 3]> = (0..5).map(|i| [0.0, 0.0, -1.0 - i as f32]).collect();
        let (near, depth_row) = (0.1, Vec4::new(0.0, 0.0, 1.0, 0.0));
        let mut scratch = SortScratch::default();
        let (still, _) = sort_page(
            &positions,
            5,
            |i| i,
            depth_row,
            None,
            near,
            None,
            &mut scratch,
        );
        assert_eq!(still, [4, 3, 2, 1, 0]);
        let mut selected = crate::scene::ElementMask::new(5);
        selected.insert(1);
        selected.insert(3);
        let moving = Moving {
            selected: &selected,
            moved: Mat4::from_translation(Vec3::new(0.0, 0.0, -10.0)),
        };
        let (dragged, _) = sort_page(
            &positions,
            5,
            |i| i,
            depth_row,
            None,
            near,
            Some(moving),
            &mut scratch,
        );
        assert_eq!(dragged, [3, 1, 4, 2, 0]);
        // Dragged behind the camera: no longer drawn.
        let behind = Moving {
            moved: Mat4::from_translation(Vec3::new(0.0, 0.0, 10.0)),
            ..moving
        };
        let (front, _) = sort_page(
            &positions,
            5,
            |i| i,
            depth_row,
            None,
            near,
            Some(behind),
            &mut scratch,
        );
        assert_eq!(front, [4, 2, 0]);
    }

    #[test]
    fn depth_keys_put_the_farthest_first() {
        let depths = [0.5f32, 100.0, 3.0, 1e-3, 7.25];
        let mut keys: Vec<u32> = depths.iter().map(|d| !d.to_bits()).collect();
        let mut values: Vec<u32> = (0..depths.len() as u32).collect();
        radix_sort(&mut keys, &mut values);
        assert_eq!(values, vec![1, 4, 2, 0, 3]);
    }

    #[test]
    fn degenerate_splats_pack_to_harmless_values() {
        let cloud = SplatCloud::new(
            vec![[1.0, 2.0, 3.0]],
            vec![[0.0; 4]],
            vec![[f32::NAN, -2.0, 1e9]],
            vec![f32::NAN],
            vec![[2.0, -1.0, 0.5]],
            0,
            Vec::new(),
        )
        .expect("valid shape");
        let mut w = [0u32; 8];
        pack_splat(&cloud, 0, &mut w);
        let h = |word: u32, hi: bool| f16::from_bits((word >> if hi { 16 } else { 0 }) as u16);
        assert_eq!(f32::from_bits(w[1]), 2.0);
        // Identity quaternion (x, y, z, w) = (0, 0, 0, 1).
        assert_eq!(h(w[4], true).to_f32(), 1.0);
        assert_eq!(h(w[5], false).to_f32(), 0.0);
        assert_eq!(h(w[5], true).to_f32(), 2.0);
        assert!(h(w[6], false).is_finite());
        assert_eq!(h(w[6], true).to_f32(), 0.0);
        // Colour clamps to the representable range [-0.5, 1.5].
        assert_eq!(w[7] & 0x7ff, 0x7ff);
        assert_eq!((w[7] >> 11) & 0x7ff, 0);
    }

    #[test]
    fn slab_order_partitions_pages_along_the_longest_axis() {
        let mut seed = 7u64;
        let n = 10_007;
        let positions: Vec<[f32; 3]> = (0..n)
            .map(|_| {
                let x = (lcg(&mut seed) % 10_000) as f32 / 100.0;
                [x, (lcg(&mut seed) % 100) as f32 / 100.0, 0.0]
            })
            .collect();
        let cloud = SplatCloud::new(
            positions.clone(),
            vec![[0.0, 0.0, 0.0, 1.0]; n],
            vec![[0.1; 3]; n],
            vec![0.5; n],
            vec![[0.5; 3]; n],
            0,
            Vec::new(),
        )
        .expect("valid shape");
        let per_page = 1000;
        let order = slab_order(&cloud, per_page);
        let mut seen = order.clone();
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..n as u32).collect::<Vec<_>>(),
            "every splat exactly once"
        );
        let pages: Vec<&[u32]> = order.chunks(per_page).collect();
        assert_eq!(pages.len(), 11);
        for pair in pages.windows(2) {
            let max = pair[0]
                .iter()
                .map(|&i| positions[i as usize][0])
                .fold(f32::MIN, f32::max);
            let min = pair[1]
                .iter()
                .map(|&i| positions[i as usize][0])
                .fold(f32::MAX, f32::min);
            assert!(max <= min, "page max {max} above next page min {min}");
        }
        assert!(pages.iter().all(|p| p.windows(2).all(|w| w[0] < w[1])));
    }

    #[test]
    fn sh_words_cover_the_rest_coefficients() {
        assert_eq!(sh_words(0), 0);
        assert_eq!(sh_words(1), 5);
        assert_eq!(sh_words(2), 12);
        assert_eq!(sh_words(3), 23);
    }
}
