//! The GPU depth sort of splat pages: pipelines, per-page scratch buffers and the encoding of
//! one sort (shaders/splat_sort.wgsl). It produces the same page-local order as the CPU
//! radix sort in [`super::clouds`] and the visible count as an indirect draw's instance
//! count, so nothing is read back on the render path.

use super::pass_timer::TimestampPairs;
use bytemuck::{Pod, Zeroable};
use glam::Vec4;

/// Threads per workgroup of every sort kernel.
const THREADS: u32 = 256;
/// Most workgroups of one dispatch: each walks a range of `per_group` keys, so the digit
/// histogram (256 × groups words) and the single-workgroup scan stay small at any size.
const MAX_GROUPS: u32 = 256;
/// Stride of the four per-pass parameter blocks (the largest uniform offset alignment).
const PARAM_STRIDE: u64 = 256;
/// Workgroup memory the kernels need (masks, counts, offsets, scan), with room to spare.
const WORKGROUP_BYTES: u32 = 12 << 10;
/// Radix passes of 8 bits over a 32-bit key.
const PASSES: u32 = 4;

/// `SortParams` in splat_sort.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct SortParams {
    depth_row: [f32; 4],
    near: f32,
    count: u32,
    groups: u32,
    per_group: u32,
    pass_index: u32,
    /// 0; the shader XORs products with it so that they cannot be fused into FMAs.
    zero: u32,
    pad: [u32; 2],
}

/// Workgroups and keys per workgroup for a page of `count` splats.
fn split(count: u32) -> (u32, u32) {
    let rounds = count.div_ceil(THREADS).max(1);
    let per_group = rounds.div_ceil(MAX_GROUPS) * THREADS;
    (count.div_ceil(per_group).max(1), per_group)
}

/// The sort pipelines of one device.
pub(crate) struct GpuSorter {
    keys_layout: wgpu::BindGroupLayout,
    sort_layout: wgpu::BindGroupLayout,
    depth_keys: wgpu::ComputePipeline,
    count_digits: wgpu::ComputePipeline,
    scan_counts: wgpu::ComputePipeline,
    scatter: wgpu::ComputePipeline,
}

/// Buffers and bind groups that sort one page of one splat node.
pub(crate) struct SortPage {
    count: u32,
    groups: u32,
    per_group: u32,
    params: wgpu::Buffer,
    /// Keys A | keys B | values B.
    _scratch: wgpu::Buffer,
    _hist: wgpu::Buffer,
    /// Indirect draw arguments; the instance count is the number of visible splats.
    pub draw_args: wgpu::Buffer,
    keys_group: wgpu::BindGroup,
    pass_groups: Vec<wgpu::BindGroup>,
}

fn e(binding: u32, resource: wgpu::BindingResource<'_>) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry { binding, resource }
}

fn entry(binding: u32, ty: wgpu::BufferBindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

const RW: wgpu::BufferBindingType = wgpu::BufferBindingType::Storage { read_only: false };

impl GpuSorter {
    /// Whether the device can run the sort: compute shaders, indirect draws and the
    /// workgroup size and memory the kernels use.
    pub fn supported(adapter: &wgpu::Adapter, device: &wgpu::Device) -> bool {
        let flags = adapter.get_downlevel_capabilities().flags;
        let l = device.limits();
        flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
            && flags.contains(wgpu::DownlevelFlags::INDIRECT_EXECUTION)
            && l.max_compute_workgroup_size_x >= THREADS
            && l.max_compute_invocations_per_workgroup >= THREADS
            && l.max_compute_workgroup_storage_size >= WORKGROUP_BYTES
            && l.max_compute_workgroups_per_dimension >= MAX_GROUPS
            && l.max_storage_buffers_per_shader_stage >= 4
            && u64::from(l.min_uniform_buffer_offset_alignment) <= PARAM_STRIDE
    }

    pub fn new(device: &wgpu::Device) -> Self {
        let uniform = wgpu::BufferBindingType::Uniform;
        let read = wgpu::BufferBindingType::Storage { read_only: true };
        let keys_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("splat sort keys"),
            entries: &[
                entry(0, uniform),
                entry(1, read),
                entry(2, RW),
                entry(3, RW),
                entry(5, RW),
            ],
        });
        let sort_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("splat sort"),
            entries: &[entry(0, uniform), entry(2, RW), entry(3, RW), entry(4, RW)],
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("splat_sort.wgsl"),
            source: wgpu::ShaderSource::Wgsl(super::shaders::source("splat_sort.wgsl").into()),
        });
        let pipeline = |layout: &wgpu::BindGroupLayout, entry_point: &str| {
            let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("splat sort"),
                bind_group_layouts: &[Some(layout)],
                immediate_size: 0,
            });
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry_point),
                layout: Some(&layout),
                module: &module,
                entry_point: Some(entry_point),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        Self {
            depth_keys: pipeline(&keys_layout, "depth_keys"),
            count_digits: pipeline(&sort_layout, "count_digits"),
            scan_counts: pipeline(&sort_layout, "scan_counts"),
            scatter: pipeline(&sort_layout, "scatter"),
            keys_layout,
            sort_layout,
        }
    }

    /// Scratch buffers to sort a page of `count` splats (`splats`, 32 B each) into `indices`
    /// (`count` u32); `None` when they would exceed the device's buffer limits (that page is
    /// then sorted on the CPU).
    pub fn page(
        &self,
        device: &wgpu::Device,
        splats: &wgpu::Buffer,
        indices: &wgpu::Buffer,
        count: u32,
    ) -> Option<SortPage> {
        let limits = device.limits();
        let max = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        let scratch_bytes = u64::from(count).checked_mul(12)?.max(16);
        let (groups, per_group) = split(count);
        let hist_bytes = u64::from(groups) * 256 * 4;
        if count == 0 || scratch_bytes > max || hist_bytes > max {
            return None;
        }
        let buffer = |label: &str, size: u64, usage: wgpu::BufferUsages| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        let params = buffer(
            "splat sort params",
            PARAM_STRIDE * u64::from(PASSES),
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let scratch = buffer(
            "splat sort scratch",
            scratch_bytes,
            wgpu::BufferUsages::STORAGE,
        );
        let hist = buffer(
            "splat sort histograms",
            hist_bytes,
            wgpu::BufferUsages::STORAGE,
        );
        let draw_args = buffer(
            "splat draw args",
            16,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::INDIRECT
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
        );
        let params_at = |pass: u32| {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &params,
                offset: u64::from(pass) * PARAM_STRIDE,
                size: wgpu::BufferSize::new(std::mem::size_of::<SortParams>() as u64),
            })
        };
        let keys_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("splat sort keys"),
            layout: &self.keys_layout,
            entries: &[
                e(0, params_at(0)),
                e(1, splats.as_entire_binding()),
                e(2, scratch.as_entire_binding()),
                e(3, indices.as_entire_binding()),
                e(5, draw_args.as_entire_binding()),
            ],
        });
        let pass_groups = (0..PASSES)
            .map(|pass| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("splat sort pass"),
                    layout: &self.sort_layout,
                    entries: &[
                        e(0, params_at(pass)),
                        e(2, scratch.as_entire_binding()),
                        e(3, indices.as_entire_binding()),
                        e(4, hist.as_entire_binding()),
                    ],
                })
            })
            .collect();
        Some(SortPage {
            count,
            groups,
            per_group,
            params,
            _scratch: scratch,
            _hist: hist,
            draw_args,
            keys_group,
            pass_groups,
        })
    }

    /// Records the sort of `page` for a view (`depth_row`: the z row of `view_from_local`)
    /// into `pass`. The parameter and draw-argument writes go through `queue`, so they land
    /// before the command buffer holding `pass` runs.
    pub fn encode(
        &self,
        queue: &wgpu::Queue,
        pass: &mut wgpu::ComputePass<'_>,
        page: &SortPage,
        depth_row: Vec4,
        near: f32,
    ) {
        for p in 0..PASSES {
            let params = SortParams {
                depth_row: depth_row.to_array(),
                near,
                count: page.count,
                groups: page.groups,
                per_group: page.per_group,
                pass_index: p,
                zero: 0,
                pad: [0; 2],
            };
            queue.write_buffer(
                &page.params,
                u64::from(p) * PARAM_STRIDE,
                bytemuck::bytes_of(&params),
            );
        }
        // Six vertices per splat quad; `depth_keys` adds the visible splats to the instance
        // count.
        queue.write_buffer(
            &page.draw_args,
            0,
            bytemuck::cast_slice(&[super::clouds::QUAD_VERTICES, 0, 0, 0]),
        );
        pass.set_pipeline(&self.depth_keys);
        pass.set_bind_group(0, &page.keys_group, &[]);
        pass.dispatch_workgroups(page.groups, 1, 1);
        for group in &page.pass_groups {
            pass.set_bind_group(0, group, &[]);
            pass.set_pipeline(&self.count_digits);
            pass.dispatch_workgroups(page.groups, 1, 1);
            pass.set_pipeline(&self.scan_counts);
            pass.dispatch_workgroups(1, 1, 1);
            pass.set_pipeline(&self.scatter);
            pass.dispatch_workgroups(page.groups, 1, 1);
        }
    }
}

/// GPU time of the last frame's splat sorts, for benchmarks: timestamp queries around the
/// sort's compute pass where the device has them, else the wall time from submitting the
/// sort to the GPU going idle.
pub(crate) struct SortTimer {
    /// One begin/end pair around the sort's compute pass, where the device has timestamps.
    queries: Option<TimestampPairs>,
    /// Wall time of the last sort when there are no timestamp queries.
    pub wall_micros: Option<f64>,
    /// Whether the last frame's sort wrote the timestamps.
    pub stamped: bool,
}

impl SortTimer {
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> Self {
        Self {
            queries: TimestampPairs::new(device, queue, "splat sort time", 1),
            wall_micros: None,
            stamped: false,
        }
    }

    /// Whether GPU timestamps are used (else wall time).
    pub fn has_timestamps(&self) -> bool {
        self.queries.is_some()
    }

    /// Timestamp writes for the sort's compute pass.
    pub fn pass_writes(&self) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
        self.queries
            .as_ref()
            .map(|q| wgpu::ComputePassTimestampWrites {
                query_set: q.query_set(),
                beginning_of_pass_write_index: Some(0),
                end_of_pass_write_index: Some(1),
            })
    }

    /// Copies the timestamps where [`SortTimer::read_micros`] can map them.
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        if let Some(q) = &self.queries {
            q.resolve(encoder, 1);
        }
    }

    /// GPU microseconds of the last sort (blocks until the GPU is idle; benchmarks only).
    pub fn read_micros(&self, device: &wgpu::Device) -> Option<f64> {
        let Some(q) = &self.queries else {
            return self.wall_micros;
        };
        if !self.stamped {
            return None;
        }
        Some(q.read_ms(device, 1)?.first()? * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_every_key_with_few_workgroups() {
        for count in [
            1u32,
            255,
            256,
            257,
            65_536,
            65_537,
            100_000,
            1 << 20,
            u32::MAX / 2,
        ] {
            let (groups, per_group) = split(count);
            assert!((1..=MAX_GROUPS).contains(&groups), "{count}: {groups}");
            assert_eq!(per_group % THREADS, 0);
            assert!(u64::from(groups) * u64::from(per_group) >= u64::from(count));
            // No workgroup is left without keys.
            assert!(u64::from(groups - 1) * u64::from(per_group) < u64::from(count));
        }
    }
}
