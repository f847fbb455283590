//! RGBA8 frames → H.264 (OpenH264, yuv420p, BT.709 limited range signalled in the SPS's VUI)
//! → MP4 (the `mp4` crate: `avc1` sample entry with an `avcC` box holding the SPS/PPS,
//! length-prefixed samples). The track's timescale is `fps × 1000` and every sample lasts
//! 1000 ticks, so N frames last exactly N / fps seconds.
//!
//! # Encoding GOPs in parallel
//!
//! Every GOP (a key-frame interval, 2 s by default) starts with an IDR picture and refers to
//! nothing before it, so GOPs can be encoded independently and their samples concatenated
//! (what [`super::join`] does with chunks from several processes). [`Mp4ClipWriter`] runs
//! `K` OpenH264 instances on their own threads, GOP `g` on instance `g mod K`; a mux thread
//! writes the samples in frame order, holding the few that arrive early. One instance spreads
//! a frame's slices over at most 4 threads (cores / `K` each), which scales poorly (on 2
//! cores, 2 instances of one thread each encode 1080p 12–15 % faster than one instance with
//! 2 slice threads); `K` instances scale the encoder with the cores (`K` = one per core by
//! default, at most [`DEFAULT_MAX_ENCODERS`], never more than the clip has GOPs: a short
//! clip of few GOPs gives each instance more slice threads). To keep every
//! instance busy the frames must arrive interleaved across the `K` GOPs being encoded
//! ([`Mp4ClipWriter::order`]); frames pushed in plain order are encoded one GOP at a time.

use super::{ClipError, TempFile, check_parent, nanos, yuv};
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, QpRange,
    RateControlMode, UsageType, VuiConfig,
};
use openh264::formats::YUVBuffer;
use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

/// Largest H.264 slice (NAL unit), in bytes.
const SLICE_BYTES: u32 = 60_000;

/// Most threads one OpenH264 instance spreads a frame's slices over (its own limit).
const SLICE_THREADS: usize = 4;

/// Most encoder instances a clip runs at once.
pub const MAX_ENCODERS: u32 = 16;

/// Most instances chosen by default (each holds up to 3 frames in flight: 24 MB at 1080p).
pub const DEFAULT_MAX_ENCODERS: u32 = 8;

/// Ticks per frame in the track's timescale (`fps × TICKS_PER_FRAME`).
pub(crate) const TICKS_PER_FRAME: u32 = 1000;

/// Sends OpenH264's messages to `log` instead of its own `[OpenH264] …` lines on stderr.
///
/// The instance validates its parameters on the first frame (before the crate lowers its
/// trace level) and says there, at warning level, how it reconciled settings it was given on
/// purpose (the slice size against the NAL size, rate control without frame skipping): two
/// lines per instance per clip that told a user nothing. They become `debug` records
/// (`RUST_LOG=debug` shows them); OpenH264's errors become `warn` records. The trace level
/// and callback are the options OpenH264 accepts before it is initialised.
fn route_trace_to_log(encoder: &mut Encoder) {
    use openh264_sys2::{
        ENCODER_OPTION_TRACE_CALLBACK, ENCODER_OPTION_TRACE_LEVEL, WELS_LOG_WARNING,
        WelsTraceCallback,
    };
    let mut callback: WelsTraceCallback = Some(trace_to_log);
    let mut level: i32 = WELS_LOG_WARNING;
    // SAFETY: both options are documented for an uninitialised encoder and take a pointer to
    // a value OpenH264 copies before SetOption returns; `trace_to_log` lives for the program.
    // A refused option only leaves OpenH264's own stderr lines, so the codes are ignored.
    unsafe {
        let raw = encoder.raw_api();
        raw.set_option(
            ENCODER_OPTION_TRACE_CALLBACK,
            (&raw mut callback).cast::<std::ffi::c_void>(),
        );
        raw.set_option(
            ENCODER_OPTION_TRACE_LEVEL,
            (&raw mut level).cast::<std::ffi::c_void>(),
        );
    }
}

/// OpenH264's trace callback: one message at `level` (`WELS_LOG_*`) → one `log` record.
unsafe extern "C" fn trace_to_log(
    _context: *mut std::ffi::c_void,
    level: std::ffi::c_int,
    message: *const std::ffi::c_char,
) {
    if message.is_null() {
        return;
    }
    // SAFETY: OpenH264 passes a NUL-terminated string it owns for the duration of the call.
    let message = unsafe { std::ffi::CStr::from_ptr(message) }.to_string_lossy();
    let message = message.trim_end();
    if level <= openh264_sys2::WELS_LOG_ERROR {
        log::warn!(target: "openh264", "{message}");
    } else {
        log::debug!(target: "openh264", "{message}");
    }
}

/// What, besides the pixels, decides the encoded stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EncoderSettings {
    /// Frames per second (1..=240).
    pub fps: u32,
    /// Target bits per pixel per frame; the bit rate is `width × height × fps × this`, at
    /// least 1 Mbit/s.
    pub bits_per_pixel: f32,
    /// Highest quantiser the rate control may use (lower = better quality, bigger files).
    pub max_qp: u8,
    /// Seconds between key frames (IDR), so players can seek.
    pub keyframe_interval_s: u32,
    /// GOPs encoded at once, each on its own OpenH264 instance (0: one per core, at most
    /// [`DEFAULT_MAX_ENCODERS`]; never more than [`MAX_ENCODERS`]).
    pub encoders: u32,
}

impl EncoderSettings {
    /// Clip defaults at `fps`: 0.25 bit per pixel (≈ 12 Mbit/s at 1080p24), QP ≤ 26, a key
    /// frame every 2 s, encoders by the core count.
    pub fn new(fps: u32) -> Self {
        Self {
            fps,
            bits_per_pixel: 0.25,
            max_qp: 26,
            keyframe_interval_s: 2,
            encoders: 0,
        }
    }

    fn bitrate(&self, width: u32, height: u32) -> u32 {
        let bps = f64::from(width)
            * f64::from(height)
            * f64::from(self.fps)
            * f64::from(self.bits_per_pixel);
        bps.clamp(1.0e6, 200.0e6) as u32
    }

    /// Frames per GOP (between two IDR pictures).
    pub fn gop_frames(&self) -> u32 {
        self.fps
            .saturating_mul(self.keyframe_interval_s.max(1))
            .max(1)
    }

    /// Encoder instances for a clip of `frames` frames: as asked (or one per core, at most
    /// [`DEFAULT_MAX_ENCODERS`]), never more than the clip has GOPs.
    pub fn encoder_count(&self, frames: u32) -> u32 {
        let asked = match self.encoders {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get() as u32)
                .min(DEFAULT_MAX_ENCODERS),
            n => n,
        };
        asked
            .clamp(1, MAX_ENCODERS)
            .min(frames.div_ceil(self.gop_frames()).max(1))
    }
}

/// One encoded picture: its length-prefixed NAL units and the parameter sets that came
/// with it.
struct EncodedFrame {
    sample: Vec<u8>,
    keyframe: bool,
    sps: Option<Vec<u8>>,
    pps: Option<Vec<u8>>,
}

/// One OpenH264 instance.
struct H264Encoder {
    encoder: Encoder,
    fps: u32,
    /// Frames this instance has encoded (its own timeline, for the rate control).
    frames: u32,
}

impl H264Encoder {
    fn new(
        settings: &EncoderSettings,
        width: u32,
        height: u32,
        threads: u16,
    ) -> Result<Self, ClipError> {
        let config = EncoderConfig::new()
            .usage_type(UsageType::CameraVideoRealTime)
            .rate_control_mode(RateControlMode::Quality)
            .bitrate(BitRate::from_bps(settings.bitrate(width, height)))
            .max_frame_rate(FrameRate::from_hz(settings.fps as f32))
            .skip_frames(false)
            .complexity(Complexity::High)
            .background_detection(false)
            .qp(QpRange::new(0, settings.max_qp.min(51)))
            .intra_frame_period(IntraFramePeriod::from_num_frames(settings.gop_frames()))
            .vui(VuiConfig::bt709())
            // Slices of at most this many bytes let OpenH264 encode one frame on several
            // threads (up to its limit of 4): 1.7× faster at 1080p on 2 cores
            // (BENCHMARKS.md, "Clips"). A single slice runs on one thread.
            .max_slice_len(SLICE_BYTES)
            .num_threads(threads);
        let api = openh264::OpenH264API::from_source();
        let mut encoder =
            Encoder::with_api_config(api, config).map_err(|e| ClipError::Encoder(e.to_string()))?;
        route_trace_to_log(&mut encoder);
        Ok(Self {
            encoder,
            fps: settings.fps,
            frames: 0,
        })
    }

    /// Encodes `frame` (clip frame number `number`, for messages); `idr` starts a GOP.
    fn encode(
        &mut self,
        frame: &image::RgbaImage,
        idr: bool,
        number: u32,
    ) -> Result<EncodedFrame, ClipError> {
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let planes = yuv::i420_from_rgba(frame.as_raw(), w, h);
        let source = YUVBuffer::from_vec(planes, w, h);
        // A fresh instance starts with an IDR picture anyway (and is not set up before it).
        if idr && self.frames > 0 {
            self.encoder.force_intra_frame();
        }
        let millis = u64::from(self.frames) * 1000 / u64::from(self.fps);
        let stream = self
            .encoder
            .encode_at(&source, openh264::Timestamp::from_millis(millis))
            .map_err(|e| ClipError::Encoder(e.to_string()))?;
        self.frames += 1;
        if matches!(stream.frame_type(), FrameType::Skip | FrameType::Invalid) {
            return Err(ClipError::Encoder(format!(
                "the encoder dropped frame {number}"
            )));
        }
        let keyframe = stream.frame_type() == FrameType::IDR;
        if idr && !keyframe {
            return Err(ClipError::Encoder(format!(
                "frame {number} starts a GOP but was not encoded as a key frame"
            )));
        }
        let mut encoded = EncodedFrame {
            sample: Vec::new(),
            keyframe,
            sps: None,
            pps: None,
        };
        for l in 0..stream.num_layers() {
            let Some(layer) = stream.layer(l) else {
                continue;
            };
            for n in 0..layer.nal_count() {
                let Some(nal) = layer.nal_unit(n).map(strip_start_code) else {
                    continue;
                };
                match nal.first().map(|b| b & 0x1f) {
                    Some(7) => encoded.sps = Some(nal.to_vec()),
                    Some(8) => encoded.pps = Some(nal.to_vec()),
                    Some(_) => {
                        let len = u32::try_from(nal.len())
                            .map_err(|_| ClipError::Encoder("NAL unit over 4 GB".into()))?;
                        encoded.sample.extend_from_slice(&len.to_be_bytes());
                        encoded.sample.extend_from_slice(nal);
                    }
                    None => {}
                }
            }
        }
        if encoded.sample.is_empty() {
            return Err(ClipError::Encoder(format!(
                "frame {number} encoded to no picture"
            )));
        }
        Ok(encoded)
    }
}

/// The MP4 file being written: the track is added with the first frame's SPS/PPS; every
/// instance must produce the same ones (same settings, same size).
struct Mp4Mux {
    mux: mp4::Mp4Writer<BufWriter<std::fs::File>>,
    file: TempFile,
    width: u32,
    height: u32,
    fps: u32,
    parameter_sets: Option<(Vec<u8>, Vec<u8>)>,
    frames: u32,
}

impl Mp4Mux {
    fn create(path: &Path, width: u32, height: u32, fps: u32) -> Result<Self, ClipError> {
        let file = TempFile::new(path);
        let out = std::fs::File::create(&file.temp)
            .map_err(|e| ClipError::file(path, format!("could not create: {e}")))?;
        let mux = mp4::Mp4Writer::write_start(BufWriter::new(out), &mp4_config())
            .map_err(|e| ClipError::file(path, e))?;
        Ok(Self {
            mux,
            file,
            width,
            height,
            fps,
            parameter_sets: None,
            frames: 0,
        })
    }

    /// Appends the next frame.
    fn write(&mut self, frame: EncodedFrame) -> Result<(), ClipError> {
        match (&self.parameter_sets, frame.sps, frame.pps) {
            (None, Some(sps), Some(pps)) => {
                self.mux
                    .add_track(&track_config(self.width, self.height, self.fps, &sps, &pps))
                    .map_err(|e| ClipError::file(&self.file.dest, e))?;
                self.parameter_sets = Some((sps, pps));
            }
            (None, _, _) => {
                return Err(ClipError::Encoder(
                    "the first frame came without SPS/PPS".into(),
                ));
            }
            (Some((old_sps, old_pps)), sps, pps) => {
                if sps.is_some_and(|s| &s != old_sps) || pps.is_some_and(|p| &p != old_pps) {
                    return Err(ClipError::Encoder(
                        "the encoder changed its SPS/PPS mid-stream".into(),
                    ));
                }
            }
        }
        let sample = mp4::Mp4Sample {
            start_time: u64::from(self.frames) * u64::from(TICKS_PER_FRAME),
            duration: TICKS_PER_FRAME,
            rendering_offset: 0,
            is_sync: frame.keyframe,
            bytes: mp4::Bytes::from(frame.sample),
        };
        self.mux
            .write_sample(1, &sample)
            .map_err(|e| ClipError::file(&self.file.dest, e))?;
        self.frames += 1;
        Ok(())
    }

    /// Writes the index (`moov`), syncs and renames the file into place.
    fn finish(mut self) -> Result<(), ClipError> {
        let dest = self.file.dest.clone();
        self.mux
            .write_end()
            .map_err(|e| ClipError::file(&dest, e))?;
        let file = self
            .mux
            .into_writer()
            .into_inner()
            .map_err(|e| ClipError::file(&dest, e.error()))?;
        file.sync_all().map_err(|e| ClipError::file(&dest, e))?;
        drop(file);
        self.file.commit()
    }
}

/// Writes the samples in frame order as they come from the instances (some early).
fn mux_in_order(
    mut mux: Mp4Mux,
    inbox: Receiver<(u32, EncodedFrame)>,
) -> Result<Mp4Mux, ClipError> {
    let mut early: BTreeMap<u32, EncodedFrame> = BTreeMap::new();
    for (position, frame) in inbox {
        early.insert(position, frame);
        while let Some(frame) = early.remove(&mux.frames) {
            mux.write(frame)?;
        }
    }
    Ok(mux)
}

type FrameInbox = SyncSender<(u32, Arc<image::RgbaImage>)>;

/// Writes an MP4 clip under a temporary name, encoding its GOPs on several OpenH264
/// instances at once (module docs); [`Mp4ClipWriter::finish`] renames it into place.
/// Dropped unfinished, it stops its threads and leaves nothing behind.
pub struct Mp4ClipWriter {
    inboxes: Vec<FrameInbox>,
    encoders: Vec<JoinHandle<Result<(), ClipError>>>,
    mux: Option<JoinHandle<Result<Mp4Mux, ClipError>>>,
    width: u32,
    height: u32,
    gop: u32,
    /// Frames handed over so far.
    pushed: u32,
    /// Time the instances spent encoding (RGB→YUV + H.264), summed.
    busy_ns: Arc<AtomicU64>,
}

impl Mp4ClipWriter {
    /// Starts `path` (its folder must exist) for a clip of `frames` frames. Fails for odd
    /// sizes, sizes beyond what OpenH264 encodes (3840×2160) and an fps outside 1..=240.
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        settings: EncoderSettings,
        frames: u32,
    ) -> Result<Self, ClipError> {
        if !width.is_multiple_of(2) || !height.is_multiple_of(2) || width == 0 || height == 0 {
            return Err(ClipError::OddSize { width, height });
        }
        if width.max(height) > 3840 || width.min(height) > 2160 {
            return Err(ClipError::Encoder(format!(
                "{width}x{height} is larger than the 3840x2160 OpenH264 encodes"
            )));
        }
        if !(1..=240).contains(&settings.fps) {
            return Err(ClipError::Encoder(format!(
                "{} fps is outside 1..=240",
                settings.fps
            )));
        }
        check_parent(path)?;
        let count = settings.encoder_count(frames);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = (cores / count as usize).clamp(1, SLICE_THREADS) as u16;
        let instances = (0..count)
            .map(|_| H264Encoder::new(&settings, width, height, threads))
            .collect::<Result<Vec<_>, _>>()?;
        let mux = Mp4Mux::create(path, width, height, settings.fps)?;
        let (to_mux, mux_inbox): (Sender<(u32, EncodedFrame)>, _) = std::sync::mpsc::channel();
        let gop = settings.gop_frames();
        let mut inboxes = Vec::new();
        let mut encoders = Vec::new();
        let busy_ns = Arc::new(AtomicU64::new(0));
        for mut instance in instances {
            // Two frames queued per instance: enough to keep it busy while the next is drawn.
            let (tx, rx) = std::sync::mpsc::sync_channel::<(u32, Arc<image::RgbaImage>)>(2);
            let to_mux = to_mux.clone();
            let busy = Arc::clone(&busy_ns);
            inboxes.push(tx);
            encoders.push(std::thread::spawn(move || -> Result<(), ClipError> {
                for (position, frame) in rx {
                    let t = std::time::Instant::now();
                    let encoded =
                        instance.encode(&frame, position.is_multiple_of(gop), position)?;
                    busy.fetch_add(nanos(t.elapsed()), Ordering::Relaxed);
                    if to_mux.send((position, encoded)).is_err() {
                        // The mux stopped; its error is the one to report.
                        break;
                    }
                }
                Ok(())
            }));
        }
        drop(to_mux);
        let mux = std::thread::spawn(move || mux_in_order(mux, mux_inbox));
        Ok(Self {
            inboxes,
            encoders,
            mux: Some(mux),
            width,
            height,
            gop,
            pushed: 0,
            busy_ns,
        })
    }

    /// The order to push a clip of `frames` frames in so that every instance is busy: the
    /// frames of `K` GOPs interleaved (frame 0 of each, frame 1 of each, …), then the next
    /// `K` GOPs. Plain order when one instance encodes.
    pub fn order(settings: &EncoderSettings, frames: u32) -> Vec<u32> {
        let k = settings.encoder_count(frames);
        let gop = settings.gop_frames();
        let batch = gop.saturating_mul(k);
        let mut order = Vec::with_capacity(frames as usize);
        let mut start = 0u32;
        while start < frames {
            for i in 0..gop {
                for g in 0..k {
                    let position = start + g * gop + i;
                    if position < frames {
                        order.push(position);
                    }
                }
            }
            start = start.saturating_add(batch);
        }
        order
    }

    /// Frames handed over so far.
    pub fn frames(&self) -> u32 {
        self.pushed
    }

    /// Encodes the next frame in clip order (sRGB-encoded RGBA8 of the writer's size).
    pub fn push(&mut self, frame: &image::RgbaImage) -> Result<(), ClipError> {
        self.push_at(self.pushed, Arc::new(frame.clone()))
    }

    /// Encodes clip frame `position`. Every position must be pushed once; within one GOP in
    /// order.
    pub fn push_at(
        &mut self,
        position: u32,
        frame: Arc<image::RgbaImage>,
    ) -> Result<(), ClipError> {
        if frame.dimensions() != (self.width, self.height) {
            return Err(ClipError::Encoder(format!(
                "frame {position} is {}x{}, the clip is {}x{}",
                frame.width(),
                frame.height(),
                self.width,
                self.height
            )));
        }
        let k = self.inboxes.len() as u32;
        let instance = (position / self.gop % k.max(1)) as usize;
        let sent = self
            .inboxes
            .get(instance)
            .is_some_and(|inbox| inbox.send((position, frame)).is_ok());
        if !sent {
            return Err(self
                .stop()
                .err()
                .unwrap_or_else(|| ClipError::Encoder("the encoder stopped".into())));
        }
        self.pushed += 1;
        Ok(())
    }

    /// Stops taking frames, waits for the threads and returns the mux (or the first error).
    fn stop(&mut self) -> Result<Mp4Mux, ClipError> {
        self.inboxes.clear();
        let mut first_error = None;
        for encoder in self.encoders.drain(..) {
            let result = encoder
                .join()
                .unwrap_or_else(|_| Err(ClipError::Encoder("an encoder thread panicked".into())));
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        let mux = self
            .mux
            .take()
            .map(|m| {
                m.join()
                    .unwrap_or_else(|_| Err(ClipError::Encoder("the mux thread panicked".into())))
            })
            .unwrap_or_else(|| Err(ClipError::Encoder("the writer has stopped".into())));
        match (first_error, mux) {
            (Some(e), _) => Err(e),
            (None, mux) => mux,
        }
    }

    /// Waits for the encoders, writes the index (`moov`), syncs and renames the file into
    /// place; returns the time the instances spent encoding, summed. Fails for a clip
    /// without frames or with frames never pushed.
    pub fn finish(mut self) -> Result<std::time::Duration, ClipError> {
        let mux = self.stop()?;
        if mux.frames == 0 {
            return Err(ClipError::Encoder("a clip needs at least one frame".into()));
        }
        if mux.frames != self.pushed {
            return Err(ClipError::Encoder(format!(
                "frame {} was never encoded ({} pushed)",
                mux.frames, self.pushed
            )));
        }
        mux.finish()?;
        Ok(std::time::Duration::from_nanos(
            self.busy_ns.load(Ordering::Relaxed),
        ))
    }
}

impl Drop for Mp4ClipWriter {
    fn drop(&mut self) {
        // Unfinished: stop the threads so the temporary file is gone when this returns.
        if self.mux.is_some() {
            self.stop().ok();
        }
    }
}

/// `ftyp`: isom with avc1 and mp41, as ffmpeg writes for H.264.
pub(crate) fn mp4_config() -> mp4::Mp4Config {
    let brand = |s: &[u8; 4]| mp4::FourCC::from(*s);
    mp4::Mp4Config {
        major_brand: brand(b"isom"),
        minor_version: 512,
        compatible_brands: vec![
            brand(b"isom"),
            brand(b"iso2"),
            brand(b"avc1"),
            brand(b"mp41"),
        ],
        timescale: 1000,
    }
}

pub(crate) fn track_config(
    width: u32,
    height: u32,
    fps: u32,
    sps: &[u8],
    pps: &[u8],
) -> mp4::TrackConfig {
    mp4::TrackConfig {
        track_type: mp4::TrackType::Video,
        timescale: fps * TICKS_PER_FRAME,
        language: "und".into(),
        media_conf: mp4::MediaConfig::AvcConfig(mp4::AvcConfig {
            width: width as u16,
            height: height as u16,
            seq_param_set: sps.to_vec(),
            pic_param_set: pps.to_vec(),
        }),
    }
}

/// A NAL unit without its Annex B start code.
fn strip_start_code(nal: &[u8]) -> &[u8] {
    if let Some(rest) = nal.strip_prefix(&[0, 0, 0, 1]) {
        rest
    } else if let Some(rest) = nal.strip_prefix(&[0, 0, 1]) {
        rest
    } else {
        nal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clip::decode_mp4;
    use crate::clip::mp4io::Mp4File;

    /// Frame `i` of a test clip: a gradient with a bright square moving across it (by whole
    /// chroma blocks, so 4:2:0 subsampling alone does not blur its edges).
    fn frame(i: u32, w: u32, h: u32) -> image::RgbaImage {
        image::RgbaImage::from_fn(w, h, |x, y| {
            let inside = (x + 64 - (i * 4) % 64) % 64 < 16 && (16..40).contains(&y);
            if inside {
                image::Rgba([240, 230, 60, 255])
            } else {
                image::Rgba([(x * 2) as u8, (y * 3) as u8, (90 + i * 7) as u8, 255])
            }
        })
    }

    fn psnr(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
        let (mut sum, mut n) = (0.0f64, 0.0f64);
        for (p, q) in a.pixels().zip(b.pixels()) {
            for c in 0..3 {
                let d = f64::from(p[c]) - f64::from(q[c]);
                sum += d * d;
                n += 1.0;
            }
        }
        10.0 * (255.0f64 * 255.0 / (sum / n).max(1e-9)).log10()
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ws-encode-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    /// 4 fps, a key frame every second: 11 frames are GOPs of 4, 4 and 3.
    fn settings(encoders: u32) -> EncoderSettings {
        EncoderSettings {
            keyframe_interval_s: 1,
            encoders,
            ..EncoderSettings::new(4)
        }
    }

    #[test]
    fn gops_encoded_in_parallel_make_the_same_clip() {
        let (w, h, n) = (96u32, 64u32, 11u32);
        let frames: Vec<Arc<image::RgbaImage>> = (0..n).map(|i| Arc::new(frame(i, w, h))).collect();
        let dir = temp_dir("gops");
        assert_eq!(
            Mp4ClipWriter::order(&settings(1), n),
            (0..n).collect::<Vec<_>>()
        );
        assert_eq!(
            Mp4ClipWriter::order(&settings(2), n),
            [0, 4, 1, 5, 2, 6, 3, 7, 8, 9, 10],
            "two GOPs interleaved, then the last one"
        );
        assert_eq!(
            settings(8).encoder_count(n),
            3,
            "never more instances than GOPs"
        );
        let mut decoded = Vec::new();
        for (name, encoders, interleaved) in
            [("one", 1, true), ("three", 3, true), ("plain", 3, false)]
        {
            let s = settings(encoders);
            let path = dir.join(format!("{name}.mp4"));
            let mut writer = Mp4ClipWriter::create(&path, w, h, s, n).expect("writer");
            if interleaved {
                for position in Mp4ClipWriter::order(&s, n) {
                    writer
                        .push_at(position, Arc::clone(&frames[position as usize]))
                        .expect("push");
                }
            } else {
                for f in &frames {
                    writer.push(f).expect("push");
                }
            }
            writer.finish().expect("finish");
            let mut file = Mp4File::open(&path).expect("mp4");
            assert_eq!((file.info.frames, file.info.fps), (n, 4), "{name}");
            let sync: Vec<u32> = (0..n)
                .filter(|&i| file.sample(i).expect("sample").is_sync)
                .collect();
            assert_eq!(
                sync,
                [0, 4, 8],
                "{name}: a key frame opens every GOP and only there"
            );
            let clip = decode_mp4(&path).expect("decodes");
            assert_eq!(clip.len(), n as usize, "{name}");
            for (i, (got, want)) in clip.iter().zip(&frames).enumerate() {
                let db = psnr(got, want);
                assert!(db > 35.0, "{name}: frame {i} is {db:.1} dB from its source");
            }
            decoded.push(clip);
        }
        // The same frames whichever way they were encoded.
        for clip in &decoded[1..] {
            for (i, (a, b)) in decoded[0].iter().zip(clip).enumerate() {
                let db = psnr(a, b);
                assert!(db > 38.0, "frame {i}: {db:.1} dB between encodings");
            }
        }
        let left: Vec<_> = std::fs::read_dir(&dir).expect("dir").flatten().collect();
        assert_eq!(
            left.len(),
            3,
            "three clips and no temporary files: {left:?}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_failed_or_unfinished_writer_leaves_no_file() {
        let (w, h) = (64u32, 32u32);
        let dir = temp_dir("failed");
        let path = dir.join("clip.mp4");
        // A frame of the wrong size is refused, naming both sizes.
        let mut writer = Mp4ClipWriter::create(&path, w, h, settings(2), 8).expect("writer");
        writer.push(&frame(0, w, h)).expect("push");
        let err = writer.push(&frame(1, w + 2, h)).expect_err("wrong size");
        assert!(err.to_string().contains("66x32"), "{err}");
        drop(writer);
        // A skipped frame: finish says which.
        let mut writer = Mp4ClipWriter::create(&path, w, h, settings(2), 8).expect("writer");
        for position in [0, 4, 2] {
            writer
                .push_at(position, Arc::new(frame(position, w, h)))
                .expect("push");
        }
        let err = writer.finish().expect_err("frame 1 missing");
        assert!(
            err.to_string().contains("frame 1 was never encoded"),
            "{err}"
        );
        // Dropped midway (a cancelled render).
        let mut writer = Mp4ClipWriter::create(&path, w, h, settings(3), 12).expect("writer");
        for position in Mp4ClipWriter::order(&settings(3), 12).into_iter().take(7) {
            writer
                .push_at(position, Arc::new(frame(position, w, h)))
                .expect("push");
        }
        drop(writer);
        let left: Vec<_> = std::fs::read_dir(&dir).expect("dir").flatten().collect();
        assert!(left.is_empty(), "nothing left behind: {left:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
