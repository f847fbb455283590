//! Joining MP4 chunks into one clip without re-encoding: the samples are copied as they are
//! (each chunk starts with an IDR frame, so the joined stream decodes from any chunk start).
//! Chunks encoded with different parameters (size, fps, SPS/PPS) are refused with an error
//! naming the chunk; re-encode them with the same settings instead.

use super::encode::{TICKS_PER_FRAME, mp4_config, track_config};
use super::mp4io::Mp4File;
use super::{ClipError, TempFile, check_parent};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Writes `out` as the concatenation of `chunks`, in order. Returns the number of frames.
pub fn join(chunks: &[PathBuf], out: &Path) -> Result<u32, ClipError> {
    let Some(first_path) = chunks.first() else {
        return Err(ClipError::Join {
            path: out.to_path_buf(),
            message: "no chunks given".into(),
        });
    };
    check_parent(out)?;
    let first = Mp4File::open(first_path)?.info;
    let mut files = Vec::with_capacity(chunks.len());
    for path in chunks {
        let file = Mp4File::open(path)?;
        let info = &file.info;
        let differs = |what: String| ClipError::Join {
            path: path.clone(),
            message: format!(
                "{what} (the first chunk, {}, differs)",
                first_path.display()
            ),
        };
        if (info.width, info.height) != (first.width, first.height) {
            return Err(differs(format!("it is {}x{}", info.width, info.height)));
        }
        if info.fps != first.fps {
            return Err(differs(format!("it is {} fps", info.fps)));
        }
        if info.sps != first.sps || info.pps != first.pps {
            return Err(differs(
                "its H.264 parameter sets (encoder settings) differ".into(),
            ));
        }
        if info.frames == 0 {
            return Err(ClipError::Join {
                path: path.clone(),
                message: "the chunk has no frames".into(),
            });
        }
        files.push(file);
    }
    let temp = TempFile::new(out);
    let file = std::fs::File::create(&temp.temp)
        .map_err(|e| ClipError::file(out, format!("could not create: {e}")))?;
    let mut mux = mp4::Mp4Writer::write_start(BufWriter::new(file), &mp4_config())
        .map_err(|e| ClipError::file(out, e))?;
    mux.add_track(&track_config(
        first.width,
        first.height,
        first.fps,
        &first.sps,
        &first.pps,
    ))
    .map_err(|e| ClipError::file(out, e))?;
    let mut frame = 0u64;
    for mut file in files {
        for i in 0..file.info.frames {
            let sample = file.sample(i)?;
            if i == 0 && !sample.is_sync {
                return Err(ClipError::Join {
                    path: file.path.clone(),
                    message: "the chunk does not start with a key frame".into(),
                });
            }
            mux.write_sample(
                1,
                &mp4::Mp4Sample {
                    start_time: frame * u64::from(TICKS_PER_FRAME),
                    duration: TICKS_PER_FRAME,
                    rendering_offset: 0,
                    is_sync: sample.is_sync,
                    bytes: sample.bytes,
                },
            )
            .map_err(|e| ClipError::file(out, e))?;
            frame += 1;
        }
    }
    mux.write_end().map_err(|e| ClipError::file(out, e))?;
    let file = mux
        .into_writer()
        .into_inner()
        .map_err(|e| ClipError::file(out, e.error()))?;
    file.sync_all().map_err(|e| ClipError::file(out, e))?;
    drop(file);
    temp.commit()?;
    u32::try_from(frame).map_err(|_| ClipError::file(out, "too many frames"))
}
