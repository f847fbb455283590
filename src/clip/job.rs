//! Clip jobs: render a list of frames through the one render path, skip those the cache
//! has, and encode them to an MP4 or a PNG sequence. Rendering and GPU readback run on the
//! calling thread; supersample downsampling on a second thread fed through a bounded channel
//! (so the readback of frame k+1 overlaps the encode of frame k), which hands the frames to
//! the MP4 writer's encoder instances (several GOPs at once, drawn interleaved: see
//! [`super::encode`]) or writes the PNGs; cache writes run on a third.
//!
//! Progress and cancel go through a shared [`ClipProgress`] (the CLI draws a bar from it,
//! the app a panel); a cancel stops within one frame and removes the partial output.

use super::cache::FrameCache;
use super::encode::{EncoderSettings, Mp4ClipWriter};
use super::key::{CACHE_VERSION, FrameKey, frame_key};
use super::png_seq::PngSequenceWriter;
use super::{ClipError, check_parent, nanos};
use crate::render::{FrameInput, GpuContext, OffscreenTarget, RenderSettings, Renderer};
use crate::scene::{CameraView, Scene};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where a job's frames come from: the scene to draw (variant resolved, animation sampled)
/// and the camera, for a shot frame number.
pub trait FrameSource {
    fn frame(&mut self, frame: u32) -> anyhow::Result<(Scene, CameraView)>;
}

impl<F: FnMut(u32) -> anyhow::Result<(Scene, CameraView)>> FrameSource for F {
    fn frame(&mut self, frame: u32) -> anyhow::Result<(Scene, CameraView)> {
        self(frame)
    }
}

/// What a job writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClipOutput {
    /// One H.264 MP4 file.
    Mp4(PathBuf),
    /// `frame_NNNN.png` files in a folder.
    PngSequence(PathBuf),
}

impl ClipOutput {
    /// `*.mp4` is a clip; a path ending in `/`, an existing folder or a name without an
    /// extension is a PNG sequence folder; anything else is refused.
    pub fn from_path(path: &Path) -> Result<Self, String> {
        let text = path.to_string_lossy();
        if text.ends_with('/') || path.is_dir() {
            return Ok(Self::PngSequence(path.to_path_buf()));
        }
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
        {
            Some(e) if e == "mp4" => Ok(Self::Mp4(path.to_path_buf())),
            None => Ok(Self::PngSequence(path.to_path_buf())),
            Some(e) => Err(format!(
                "{}: '.{e}' is not an output this can write (a .mp4 file, or a folder for PNG frames)",
                path.display()
            )),
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Self::Mp4(p) | Self::PngSequence(p) => p,
        }
    }
}

/// One clip to render.
#[derive(Clone, Debug)]
pub struct ClipJob {
    /// Shot frame numbers, in output order.
    pub frames: Vec<u32>,
    pub width: u32,
    pub height: u32,
    pub settings: RenderSettings,
    /// Frames are drawn at this multiple of the width and height and averaged down (1: off;
    /// at most [`MAX_SUPERSAMPLE`](super::supersample::MAX_SUPERSAMPLE)).
    pub supersample: u32,
    pub encoder: EncoderSettings,
    pub output: ClipOutput,
    /// `None` renders every frame and caches nothing.
    pub cache: Option<FrameCache>,
}

/// Shared between a running job and whoever shows its progress.
#[derive(Debug, Default)]
pub struct ClipProgress {
    total: AtomicU32,
    done: AtomicU32,
    cached: AtomicU32,
    rendered: AtomicU32,
    cancel: AtomicBool,
    started: Mutex<Option<Instant>>,
    prepare_ns: AtomicU64,
    render_ns: AtomicU64,
    readback_ns: AtomicU64,
    encode_ns: AtomicU64,
}

/// A consistent-enough view of [`ClipProgress`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProgressSnapshot {
    /// Frames encoded (rendered or from the cache).
    pub done: u32,
    pub total: u32,
    /// Frames taken from the cache so far.
    pub cached: u32,
    /// Frames rendered so far.
    pub rendered: u32,
    pub elapsed: Duration,
    /// Remaining time at the rate so far; `None` before the first frame.
    pub eta: Option<Duration>,
}

impl ClipProgress {
    /// Asks the job to stop; it does within one frame.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let elapsed = self
            .started
            .lock()
            .ok()
            .and_then(|s| s.map(|t| t.elapsed()))
            .unwrap_or_default();
        let done = self.done.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        let eta = (done > 0)
            .then(|| elapsed.mul_f64(f64::from(total.saturating_sub(done)) / f64::from(done)));
        ProgressSnapshot {
            done,
            total,
            cached: self.cached.load(Ordering::Relaxed),
            rendered: self.rendered.load(Ordering::Relaxed),
            elapsed,
            eta,
        }
    }

    fn start(&self, total: u32) {
        for a in [&self.done, &self.cached, &self.rendered] {
            a.store(0, Ordering::Relaxed);
        }
        for a in [
            &self.prepare_ns,
            &self.render_ns,
            &self.readback_ns,
            &self.encode_ns,
        ] {
            a.store(0, Ordering::Relaxed);
        }
        self.total.store(total, Ordering::Relaxed);
        if let Ok(mut s) = self.started.lock() {
            *s = Some(Instant::now());
        }
    }
}

/// What a finished job did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClipSummary {
    pub frames: u32,
    /// Frames drawn by the renderer.
    pub rendered: u32,
    /// Frames taken from the frame cache.
    pub cached: u32,
    /// The whole MP4 came from the clip cache (nothing rendered or encoded).
    pub clip_from_cache: bool,
    /// Seconds spent sampling the shot (scene and camera at each frame) and computing frame
    /// keys, on the render thread.
    pub prepare_s: f64,
    /// Seconds spent drawing (submit until the GPU is idle), reading back, and encoding
    /// (downsampling and the hand-off on the job's encoder thread, plus RGB→YUV + H.264 on
    /// the MP4 writer's instances), summed over frames (and instances: with several, the
    /// sum can exceed the wall time).
    pub render_s: f64,
    pub readback_s: f64,
    pub encode_s: f64,
    pub wall_s: f64,
}

struct Msg {
    /// Place in the clip (index into the job's frames).
    position: u32,
    /// Shot frame number.
    frame: u32,
    key: Option<FrameKey>,
    image: image::RgbaImage,
    /// Drawn now (not from the cache): to be supersampled down (if) and cached.
    fresh: bool,
}

enum Writer {
    Mp4(Box<Mp4ClipWriter>),
    Png(PngSequenceWriter),
}

impl Writer {
    /// Writes clip frame `position` (shot frame `frame`).
    fn push(
        &mut self,
        position: u32,
        frame: u32,
        image: Arc<image::RgbaImage>,
    ) -> Result<(), ClipError> {
        match self {
            Self::Mp4(w) => w.push_at(position, image),
            Self::Png(w) => w.push(frame, &image),
        }
    }

    /// Completes the output; returns the time spent encoding off the job's threads (the
    /// MP4 writer's instances).
    fn finish(self) -> Result<Duration, ClipError> {
        match self {
            Self::Mp4(w) => w.finish(),
            Self::Png(w) => w.finish().map(|_| Duration::ZERO),
        }
    }
}

/// The key of a whole encoded clip: its frames' keys (supersampling included) and the
/// encoder settings.
fn clip_key(keys: &[FrameKey], job: &ClipJob) -> FrameKey {
    let mut h = blake3::Hasher::new();
    h.update(b"worldsmith clip");
    h.update(&CACHE_VERSION.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(format!("{:?} {}x{}", job.encoder, job.width, job.height).as_bytes());
    for k in keys {
        h.update(&k.0);
    }
    FrameKey(*h.finalize().as_bytes())
}

/// Runs `job`: frames from `source`, drawn by `renderer` on `ctx`. On success the output is
/// complete and in place; on error or cancel ([`ClipError::Cancelled`]) nothing that looks
/// finished is left (frames rendered so far stay in the cache).
pub fn render_clip(
    ctx: &GpuContext,
    renderer: &mut Renderer,
    job: &ClipJob,
    source: &mut dyn FrameSource,
    progress: &ClipProgress,
) -> Result<ClipSummary, ClipError> {
    let t0 = Instant::now();
    let (w, h) = (job.width, job.height);
    let total = u32::try_from(job.frames.len()).unwrap_or(u32::MAX);
    progress.start(total);
    if job.frames.is_empty() {
        return Err(ClipError::Source {
            frame: 0,
            message: "no frames to render".into(),
        });
    }
    if let ClipOutput::Mp4(_) = job.output
        && (!w.is_multiple_of(2) || !h.is_multiple_of(2))
    {
        return Err(ClipError::OddSize {
            width: w,
            height: h,
        });
    }
    check_parent(job.output.path())?;
    let factor = job
        .supersample
        .clamp(1, super::supersample::MAX_SUPERSAMPLE);
    let max = ctx.device.limits().max_texture_dimension_2d;
    let (draw_w, draw_h) = (w.saturating_mul(factor), h.saturating_mul(factor));
    if draw_w > max || draw_h > max {
        return Err(ClipError::TooLarge {
            width: w,
            height: h,
            factor,
            max,
        });
    }
    let source_error = |frame: u32, e: anyhow::Error| ClipError::Source {
        frame,
        message: format!("{e:#}"),
    };

    // Keys first: they decide what is cached, frame by frame and for the whole clip.
    let mut keys = Vec::new();
    if job.cache.is_some() {
        keys.reserve(job.frames.len());
        for &frame in &job.frames {
            if progress.is_cancelled() {
                return Err(ClipError::Cancelled);
            }
            let t = Instant::now();
            let (scene, camera) = source.frame(frame).map_err(|e| source_error(frame, e))?;
            keys.push(frame_key(&scene, &camera, &job.settings, w, h).supersampled(factor));
            progress
                .prepare_ns
                .fetch_add(nanos(t.elapsed()), Ordering::Relaxed);
        }
    }
    let whole = match (&job.cache, &job.output) {
        (Some(cache), ClipOutput::Mp4(path)) => Some((cache, clip_key(&keys, job), path)),
        _ => None,
    };
    // The whole clip is reused only while every frame of it is cached too (the timeline's
    // marks and Preview read frames): a missing frame is drawn again and the clip re-encoded.
    if let Some((cache, key, path)) = &whole
        && keys.iter().all(|k| cache.contains(k))
        && cache.get_clip(key, path)?
    {
        progress.done.store(total, Ordering::Relaxed);
        progress.cached.store(total, Ordering::Relaxed);
        return Ok(ClipSummary {
            frames: total,
            cached: total,
            clip_from_cache: true,
            wall_s: t0.elapsed().as_secs_f64(),
            ..ClipSummary::default()
        });
    }

    let writer = match &job.output {
        ClipOutput::Mp4(path) => Writer::Mp4(Box::new(Mp4ClipWriter::create(
            path,
            w,
            h,
            job.encoder,
            total,
        )?)),
        ClipOutput::PngSequence(dir) => Writer::Png(PngSequenceWriter::create(dir)?),
    };
    // MP4 frames are drawn in the order that keeps every encoder instance busy (GOPs
    // interleaved); PNG frames in clip order.
    let order: Vec<u32> = match &job.output {
        ClipOutput::Mp4(_) => Mp4ClipWriter::order(&job.encoder, total),
        ClipOutput::PngSequence(_) => (0..total).collect(),
    };
    let target = OffscreenTarget::new(&ctx.device, draw_w, draw_h);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Msg>(2);
    let cache = job.cache.as_ref();
    let writer = std::thread::scope(|s| {
        // Cache writes (QOI, ~20 ms a 1080p frame) run on a third thread, off the encoder's.
        let (to_cache, cache_inbox) =
            std::sync::mpsc::sync_channel::<(FrameKey, Arc<image::RgbaImage>)>(2);
        if let Some(cache) = cache {
            s.spawn(move || {
                for (key, image) in cache_inbox {
                    if let Err(e) = cache.put(&key, &image) {
                        log::warn!("frame cache: {e}");
                    }
                }
            });
        }
        let encoder = s.spawn(move || -> Result<Writer, ClipError> {
            let mut writer = writer;
            for msg in rx {
                let t = Instant::now();
                let image = if msg.fresh && factor > 1 {
                    super::supersample::downsample(&msg.image, factor)
                } else {
                    msg.image
                };
                let image = Arc::new(image);
                if msg.fresh
                    && cache.is_some()
                    && let Some(key) = msg.key
                {
                    to_cache.send((key, Arc::clone(&image))).ok();
                }
                writer.push(msg.position, msg.frame, image)?;
                progress
                    .encode_ns
                    .fetch_add(nanos(t.elapsed()), Ordering::Relaxed);
                progress.done.fetch_add(1, Ordering::Relaxed);
            }
            Ok(writer)
        });
        let produced = (|| -> Result<(), ClipError> {
            for &position in &order {
                if progress.is_cancelled() {
                    return Err(ClipError::Cancelled);
                }
                let Some(&frame) = job.frames.get(position as usize) else {
                    continue;
                };
                let key = keys.get(position as usize).copied();
                let hit = cache.zip(key.as_ref()).and_then(|(c, k)| c.get(k, w, h));
                let (image, fresh) = match hit {
                    Some(image) => {
                        progress.cached.fetch_add(1, Ordering::Relaxed);
                        (image, false)
                    }
                    None => {
                        let t = Instant::now();
                        let (scene, camera) =
                            source.frame(frame).map_err(|e| source_error(frame, e))?;
                        progress
                            .prepare_ns
                            .fetch_add(nanos(t.elapsed()), Ordering::Relaxed);
                        let t = Instant::now();
                        let input = FrameInput {
                            scene: &scene,
                            camera,
                            settings: RenderSettings {
                                supersample: factor,
                                ..job.settings
                            },
                            selection: &[],
                            cloud_highlight: None,
                        };
                        renderer.render(&input, &target.target());
                        ctx.device
                            .poll(wgpu::PollType::wait_indefinitely())
                            .map_err(|e| crate::render::RenderError::Readback(e.to_string()))?;
                        let rendered = Instant::now();
                        progress
                            .render_ns
                            .fetch_add(nanos(rendered - t), Ordering::Relaxed);
                        let image = target.read_rgba(ctx)?;
                        progress
                            .readback_ns
                            .fetch_add(nanos(rendered.elapsed()), Ordering::Relaxed);
                        progress.rendered.fetch_add(1, Ordering::Relaxed);
                        (image, true)
                    }
                };
                let msg = Msg {
                    position,
                    frame,
                    key,
                    image,
                    fresh,
                };
                if tx.send(msg).is_err() {
                    // The encoder stopped; its error is the one to report.
                    break;
                }
            }
            Ok(())
        })();
        drop(tx);
        let encoded = encoder
            .join()
            .unwrap_or_else(|_| Err(ClipError::Encoder("the encoder thread panicked".into())));
        produced.and(encoded)
    })?;
    if progress.is_cancelled() {
        return Err(ClipError::Cancelled);
    }
    let encoding = writer.finish()?;
    progress
        .encode_ns
        .fetch_add(nanos(encoding), Ordering::Relaxed);
    if let Some((cache, key, path)) = &whole
        && let Err(e) = cache.put_clip(key, path)
    {
        log::warn!("clip cache: {e}");
    }
    if let Some(cache) = cache
        && let Err(e) = cache.evict()
    {
        log::warn!("frame cache: {e}");
    }
    let secs = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64 * 1e-9;
    Ok(ClipSummary {
        frames: total,
        rendered: progress.rendered.load(Ordering::Relaxed),
        cached: progress.cached.load(Ordering::Relaxed),
        clip_from_cache: false,
        prepare_s: secs(&progress.prepare_ns),
        render_s: secs(&progress.render_ns),
        readback_s: secs(&progress.readback_ns),
        encode_s: secs(&progress.encode_ns),
        wall_s: t0.elapsed().as_secs_f64(),
    })
}

impl RenderSettings {
    /// Clip frames: [`RenderSettings::final_frame`] with 4096² shadow cascades.
    pub fn clip() -> Self {
        Self {
            shadow_map_size: 4096,
            ..Self::final_frame()
        }
    }
}
