//! RGBA8 frames → H.264 (OpenH264, yuv420p, BT.709 limited range signalled in the SPS's VUI)
//! → MP4 (the `mp4` crate: `avc1` sample entry with an `avcC` box holding the SPS/PPS,
//! length-prefixed samples). The track's timescale is `fps × 1000` and every sample lasts
//! 1000 ticks, so N frames last exactly N / fps seconds.

use super::{ClipError, TempFile, check_parent, yuv};
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, QpRange,
    RateControlMode, UsageType, VuiConfig,
};
use openh264::formats::YUVBuffer;
use std::io::BufWriter;
use std::path::Path;

/// Largest H.264 slice (NAL unit), in bytes.
const SLICE_BYTES: u32 = 60_000;

/// Ticks per frame in the track's timescale (`fps × TICKS_PER_FRAME`).
pub(crate) const TICKS_PER_FRAME: u32 = 1000;

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
}

impl EncoderSettings {
    /// Clip defaults at `fps`: 0.25 bit per pixel (≈ 12 Mbit/s at 1080p24), QP ≤ 26, a key
    /// frame every 2 s.
    pub fn new(fps: u32) -> Self {
        Self {
            fps,
            bits_per_pixel: 0.25,
            max_qp: 26,
            keyframe_interval_s: 2,
        }
    }

    fn bitrate(&self, width: u32, height: u32) -> u32 {
        let bps = f64::from(width)
            * f64::from(height)
            * f64::from(self.fps)
            * f64::from(self.bits_per_pixel);
        bps.clamp(1.0e6, 200.0e6) as u32
    }
}

/// Writes an MP4 clip frame by frame under a temporary name; [`Mp4ClipWriter::finish`]
/// renames it into place. Dropped unfinished, it leaves nothing behind.
pub struct Mp4ClipWriter {
    encoder: Encoder,
    mux: mp4::Mp4Writer<BufWriter<std::fs::File>>,
    file: TempFile,
    width: u32,
    height: u32,
    settings: EncoderSettings,
    parameter_sets: Option<(Vec<u8>, Vec<u8>)>,
    frames: u32,
    sample: Vec<u8>,
}

impl Mp4ClipWriter {
    /// Starts `path` (its folder must exist). Fails for odd sizes, sizes beyond what
    /// OpenH264 encodes (3840×2160) and an fps outside 1..=240.
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        settings: EncoderSettings,
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
        let config = EncoderConfig::new()
            .usage_type(UsageType::CameraVideoRealTime)
            .rate_control_mode(RateControlMode::Quality)
            .bitrate(BitRate::from_bps(settings.bitrate(width, height)))
            .max_frame_rate(FrameRate::from_hz(settings.fps as f32))
            .skip_frames(false)
            .complexity(Complexity::High)
            .background_detection(false)
            .qp(QpRange::new(0, settings.max_qp.min(51)))
            .intra_frame_period(IntraFramePeriod::from_num_frames(
                settings.fps * settings.keyframe_interval_s.max(1),
            ))
            .vui(VuiConfig::bt709())
            // Slices of at most this many bytes let OpenH264 encode one frame on several
            // threads (as many as there are cores, up to its limit of 4): 1.7× faster at
            // 1080p on 2 cores (BENCHMARKS.md, "Clips"). A single slice runs on one thread.
            .max_slice_len(SLICE_BYTES);
        let api = openh264::OpenH264API::from_source();
        let encoder =
            Encoder::with_api_config(api, config).map_err(|e| ClipError::Encoder(e.to_string()))?;
        let file = TempFile::new(path);
        let out = std::fs::File::create(&file.temp)
            .map_err(|e| ClipError::file(path, format!("could not create: {e}")))?;
        let mux = mp4::Mp4Writer::write_start(BufWriter::new(out), &mp4_config())
            .map_err(|e| ClipError::file(path, e))?;
        Ok(Self {
            encoder,
            mux,
            file,
            width,
            height,
            settings,
            parameter_sets: None,
            frames: 0,
            sample: Vec::new(),
        })
    }

    /// Frames written so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Encodes one frame (sRGB-encoded RGBA8 of the writer's size) and appends it.
    pub fn push(&mut self, frame: &image::RgbaImage) -> Result<(), ClipError> {
        if frame.dimensions() != (self.width, self.height) {
            return Err(ClipError::Encoder(format!(
                "frame {} is {}x{}, the clip is {}x{}",
                self.frames,
                frame.width(),
                frame.height(),
                self.width,
                self.height
            )));
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let planes = yuv::i420_from_rgba(frame.as_raw(), w, h);
        let source = YUVBuffer::from_vec(planes, w, h);
        let millis = u64::from(self.frames) * 1000 / u64::from(self.settings.fps);
        let stream = self
            .encoder
            .encode_at(&source, openh264::Timestamp::from_millis(millis))
            .map_err(|e| ClipError::Encoder(e.to_string()))?;
        if matches!(stream.frame_type(), FrameType::Skip | FrameType::Invalid) {
            return Err(ClipError::Encoder(format!(
                "the encoder dropped frame {}",
                self.frames
            )));
        }
        let keyframe = stream.frame_type() == FrameType::IDR;
        self.sample.clear();
        let (mut sps, mut pps) = (None, None);
        for l in 0..stream.num_layers() {
            let Some(layer) = stream.layer(l) else {
                continue;
            };
            for n in 0..layer.nal_count() {
                let Some(nal) = layer.nal_unit(n).map(strip_start_code) else {
                    continue;
                };
                match nal.first().map(|b| b & 0x1f) {
                    Some(7) => sps = Some(nal.to_vec()),
                    Some(8) => pps = Some(nal.to_vec()),
                    Some(_) => {
                        let len = u32::try_from(nal.len())
                            .map_err(|_| ClipError::Encoder("NAL unit over 4 GB".into()))?;
                        self.sample.extend_from_slice(&len.to_be_bytes());
                        self.sample.extend_from_slice(nal);
                    }
                    None => {}
                }
            }
        }
        match (&self.parameter_sets, sps, pps) {
            (None, Some(sps), Some(pps)) => {
                self.mux
                    .add_track(&track_config(
                        self.width,
                        self.height,
                        self.settings.fps,
                        &sps,
                        &pps,
                    ))
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
        if self.sample.is_empty() {
            return Err(ClipError::Encoder(format!(
                "frame {} encoded to no picture",
                self.frames
            )));
        }
        let sample = mp4::Mp4Sample {
            start_time: u64::from(self.frames) * u64::from(TICKS_PER_FRAME),
            duration: TICKS_PER_FRAME,
            rendering_offset: 0,
            is_sync: keyframe,
            bytes: mp4::Bytes::copy_from_slice(&self.sample),
        };
        self.mux
            .write_sample(1, &sample)
            .map_err(|e| ClipError::file(&self.file.dest, e))?;
        self.frames += 1;
        Ok(())
    }

    /// Writes the index (`moov`), syncs and renames the file into place. Fails for a clip
    /// without frames.
    pub fn finish(mut self) -> Result<(), ClipError> {
        if self.frames == 0 {
            return Err(ClipError::Encoder("a clip needs at least one frame".into()));
        }
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
