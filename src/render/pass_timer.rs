//! GPU time per render pass, for benchmarks (`worldsmith bench --gpu-passes`): a timestamp
//! query at the start and end of each of a frame's render passes, where the device has
//! `TIMESTAMP_QUERY` (lavapipe does; so do desktop GPUs). Off unless asked for
//! ([`super::Renderer::time_gpu_passes`]): a frame then writes no queries at all.

use std::sync::Mutex;

/// Most passes timed in one frame (three shadow cascades, the selection mask, the opaque
/// pass, the display pass in a few parts around transmissive surfaces, tone mapping); passes
/// beyond it go untimed and are counted in [`PassTimes::untimed`].
const MAX_PASSES: u32 = 32;

/// Pairs of begin/end timestamps and the buffers that bring them back to the CPU: what
/// [`PassTimer`] and the splat sort's timer (`splat_sort::SortTimer`) share.
pub(crate) struct TimestampPairs {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
    period_ns: f32,
    pairs: u32,
}

impl TimestampPairs {
    /// `pairs` pairs of queries, or None where the device has no timestamp queries.
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        label: &str,
        pairs: u32,
    ) -> Option<Self> {
        if !device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
            return None;
        }
        let bytes = u64::from(pairs) * 2 * 8;
        Some(Self {
            set: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some(label),
                ty: wgpu::QueryType::Timestamp,
                count: pairs * 2,
            }),
            resolve: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            }),
            readback: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(&format!("{label} readback")),
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            period_ns: queue.get_timestamp_period(),
            pairs,
        })
    }

    /// The queries: pair `i` is queries `2i` (begin) and `2i + 1` (end).
    pub fn query_set(&self) -> &wgpu::QuerySet {
        &self.set
    }

    /// Copies the first `n` pairs where [`Self::read_ms`] maps them (in an encoder after the
    /// passes that wrote them).
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder, n: u32) {
        let n = n.min(self.pairs);
        if n == 0 {
            return;
        }
        encoder.resolve_query_set(&self.set, 0..2 * n, &self.resolve, 0);
        encoder.copy_buffer_to_buffer(&self.resolve, 0, &self.readback, 0, u64::from(n) * 2 * 8);
    }

    /// GPU milliseconds from begin to end of each of the first `n` pairs as last resolved
    /// (blocks until the GPU is idle; benchmarks only).
    pub fn read_ms(&self, device: &wgpu::Device, n: u32) -> Option<Vec<f64>> {
        let n = n.min(self.pairs);
        if n == 0 {
            return Some(Vec::new());
        }
        let slice = self.readback.slice(..u64::from(n) * 2 * 8);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            tx.send(r).ok();
        });
        device.poll(wgpu::PollType::wait_indefinitely()).ok()?;
        rx.recv().ok()?.ok()?;
        let stamps: Vec<u64> = {
            let data = slice.get_mapped_range().ok()?;
            bytemuck::pod_collect_to_vec(&data)
        };
        self.readback.unmap();
        let ms_per_tick = f64::from(self.period_ns) / 1e6;
        Some(
            stamps
                .chunks_exact(2)
                .map(|pair| pair[1].saturating_sub(pair[0]) as f64 * ms_per_tick)
                .collect(),
        )
    }
}

/// Timestamps of the last frame's passes.
pub(crate) struct PassTimer {
    stamps: TimestampPairs,
    /// The label of each pass given queries this frame, in order (pass `i` wrote queries
    /// `2i` and `2i + 1`), and the passes left without. Behind a lock because passes are
    /// begun from `&self` methods.
    frame: Mutex<(Vec<&'static str>, u32)>,
}

/// GPU time of one frame's passes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PassTimes {
    /// Each pass's label and GPU milliseconds, in the order they ran (a label can repeat:
    /// one entry per shadow cascade, per part of a split pass).
    pub passes: Vec<(&'static str, f64)>,
    /// Passes that ran without queries (more than the timer holds).
    pub untimed: u32,
}

impl PassTimes {
    /// Milliseconds per label, summed over its passes, in the order labels first ran.
    pub fn by_label(&self) -> Vec<(&'static str, f64)> {
        let mut out: Vec<(&'static str, f64)> = Vec::new();
        for &(label, ms) in &self.passes {
            match out.iter_mut().find(|(l, _)| *l == label) {
                Some((_, sum)) => *sum += ms,
                None => out.push((label, ms)),
            }
        }
        out
    }

    /// The passes' own GPU times summed (not the gaps between them).
    pub fn total_ms(&self) -> f64 {
        self.passes.iter().map(|(_, ms)| ms).sum()
    }
}

impl PassTimer {
    /// None where the device has no timestamp queries.
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> Option<Self> {
        Some(Self {
            stamps: TimestampPairs::new(device, queue, "pass times", MAX_PASSES)?,
            frame: Mutex::new((Vec::new(), 0)),
        })
    }

    /// Forgets the last frame's passes.
    pub fn begin_frame(&self) {
        if let Ok(mut f) = self.frame.lock() {
            f.0.clear();
            f.1 = 0;
        }
    }

    /// The timestamp writes for a pass labelled `label`, or None once the timer is full.
    pub fn writes(&self, label: &'static str) -> Option<wgpu::RenderPassTimestampWrites<'_>> {
        let mut f = self.frame.lock().ok()?;
        let i = f.0.len() as u32;
        if i >= MAX_PASSES {
            f.1 += 1;
            return None;
        }
        f.0.push(label);
        Some(wgpu::RenderPassTimestampWrites {
            query_set: self.stamps.query_set(),
            beginning_of_pass_write_index: Some(2 * i),
            end_of_pass_write_index: Some(2 * i + 1),
        })
    }

    /// Copies this frame's timestamps where [`PassTimer::read`] maps them (in the frame's last
    /// encoder, after its last pass).
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        let n = self.frame.lock().map_or(0, |f| f.0.len() as u32);
        self.stamps.resolve(encoder, n);
    }

    /// The last frame's pass times (blocks until the GPU is idle; benchmarks only).
    pub fn read(&self, device: &wgpu::Device) -> Option<PassTimes> {
        let (labels, untimed) = self.frame.lock().ok()?.clone();
        let ms = self.stamps.read_ms(device, labels.len() as u32)?;
        let passes = labels.into_iter().zip(ms).collect();
        Some(PassTimes { passes, untimed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_sum_per_label_in_first_run_order() {
        let t = PassTimes {
            passes: vec![
                ("shadow cascade", 1.0),
                ("shadow cascade", 2.0),
                ("opaque", 4.0),
                ("display", 0.5),
                ("display", 0.25),
                ("tone map", 0.125),
            ],
            untimed: 0,
        };
        assert_eq!(
            t.by_label(),
            vec![
                ("shadow cascade", 3.0),
                ("opaque", 4.0),
                ("display", 0.75),
                ("tone map", 0.125)
            ]
        );
        assert_eq!(t.total_ms(), 7.875);
    }
}
