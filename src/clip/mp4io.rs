//! Reading H.264 MP4 files: the one video track's parameters and its samples. Used by
//! [`super::join`], [`super::decode_mp4`] and the clip cache. The `mp4` crate's reader has a
//! few `unwrap`s on inconsistent tables; any panic inside it is caught and reported as a
//! damaged file naming the path.

use super::ClipError;
use super::encode::TICKS_PER_FRAME;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// What decides whether two MP4 files can be joined without re-encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp4Info {
    pub width: u32,
    pub height: u32,
    /// Frames per second (the track's timescale over the samples' duration).
    pub fps: u32,
    pub frames: u32,
    pub sps: Vec<u8>,
    pub pps: Vec<u8>,
}

pub(crate) struct Mp4File {
    pub path: PathBuf,
    pub info: Mp4Info,
    reader: mp4::Mp4Reader<BufReader<std::fs::File>>,
    track_id: u32,
}

/// A sample: length-prefixed NAL units and whether it is a key frame.
pub(crate) struct Sample {
    pub bytes: mp4::Bytes,
    pub is_sync: bool,
}

/// The parameters of an H.264 MP4's video track.
pub fn probe_mp4(path: &Path) -> Result<Mp4Info, ClipError> {
    Ok(Mp4File::open(path)?.info)
}

fn damaged(path: &Path, message: impl std::fmt::Display) -> ClipError {
    ClipError::Mp4 {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

fn catching<T>(path: &Path, f: impl FnOnce() -> Result<T, ClipError>) -> Result<T, ClipError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(damaged(
            path,
            "the MP4 tables are inconsistent (damaged file)",
        ))
    })
}

impl Mp4File {
    pub fn open(path: &Path) -> Result<Self, ClipError> {
        let file = std::fs::File::open(path).map_err(|e| ClipError::file(path, e))?;
        let size = file.metadata().map_err(|e| ClipError::file(path, e))?.len();
        catching(path, || {
            let reader = mp4::Mp4Reader::read_header(BufReader::new(file), size)
                .map_err(|e| damaged(path, format!("not a readable MP4: {e}")))?;
            let videos: Vec<_> = reader
                .tracks()
                .values()
                .filter(|t| matches!(t.track_type(), Ok(mp4::TrackType::Video)))
                .collect();
            let [track] = videos.as_slice() else {
                return Err(damaged(
                    path,
                    format!("has {} video tracks, expected one", videos.len()),
                ));
            };
            let avc1 = track
                .trak
                .mdia
                .minf
                .stbl
                .stsd
                .avc1
                .as_ref()
                .ok_or_else(|| damaged(path, "the video track is not H.264 (avc1)"))?;
            let sps = avc1
                .avcc
                .sequence_parameter_sets
                .first()
                .map(|n| n.bytes.clone())
                .ok_or_else(|| damaged(path, "avcC has no SPS"))?;
            let pps = avc1
                .avcc
                .picture_parameter_sets
                .first()
                .map(|n| n.bytes.clone())
                .ok_or_else(|| damaged(path, "avcC has no PPS"))?;
            if avc1.avcc.length_size_minus_one != 3 {
                return Err(damaged(path, "NAL lengths are not 4 bytes"));
            }
            let timescale = track.timescale();
            let frames = track.sample_count();
            let stts = &track.trak.mdia.minf.stbl.stts.entries;
            let delta = match stts.as_slice() {
                [one] => one.sample_delta,
                [] if frames == 0 => TICKS_PER_FRAME,
                _ => return Err(damaged(path, "frames of different durations")),
            };
            if delta == 0 || timescale % delta != 0 {
                return Err(damaged(
                    path,
                    format!("frame duration {delta}/{timescale} s is not a whole fps"),
                ));
            }
            let info = Mp4Info {
                width: u32::from(avc1.width),
                height: u32::from(avc1.height),
                fps: timescale / delta,
                frames,
                sps,
                pps,
            };
            let track_id = track.track_id();
            Ok(Self {
                path: path.to_path_buf(),
                info,
                reader,
                track_id,
            })
        })
    }

    /// Sample `index` (0-based).
    pub fn sample(&mut self, index: u32) -> Result<Sample, ClipError> {
        let path = self.path.clone();
        catching(&path, || {
            let sample = self
                .reader
                .read_sample(self.track_id, index + 1)
                .map_err(|e| damaged(&path, format!("frame {index}: {e}")))?
                .ok_or_else(|| damaged(&path, format!("frame {index} is missing")))?;
            Ok(Sample {
                bytes: sample.bytes,
                is_sync: sample.is_sync,
            })
        })
    }
}
