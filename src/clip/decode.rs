//! Decoding an H.264 MP4 back to RGBA8 frames with OpenH264's decoder (for previews, tests
//! and checks); the inverse of the encoder's BT.709 limited-range conversion.

use super::ClipError;
use super::mp4io::Mp4File;
use super::yuv::rgba_from_i420;
use openh264::formats::YUVSource as _;
use std::path::Path;

/// Every frame of `path`, in order.
pub fn decode_mp4(path: &Path) -> Result<Vec<image::RgbaImage>, ClipError> {
    let mut file = Mp4File::open(path)?;
    let info = file.info.clone();
    let api = openh264::OpenH264API::from_source();
    let mut decoder =
        openh264::decoder::Decoder::with_api_config(api, openh264::decoder::DecoderConfig::new())
            .map_err(|e| ClipError::Encoder(format!("decoder: {e}")))?;
    let mut frames = Vec::with_capacity(info.frames as usize);
    let mut packet = Vec::new();
    let to_image = |yuv: &openh264::decoder::DecodedYUV<'_>| {
        let (w, h) = yuv.dimensions();
        let (ys, us, _) = yuv.strides();
        let rgba = rgba_from_i420(yuv.y(), yuv.u(), yuv.v(), ys, us, w, h);
        image::RgbaImage::from_raw(w as u32, h as u32, rgba)
    };
    for i in 0..info.frames {
        let sample = file.sample(i)?;
        packet.clear();
        if i == 0 {
            for ps in [&info.sps, &info.pps] {
                packet.extend_from_slice(&[0, 0, 0, 1]);
                packet.extend_from_slice(ps);
            }
        }
        // Length-prefixed NAL units → Annex B.
        let mut rest: &[u8] = &sample.bytes;
        while let Some((len, tail)) = rest.split_first_chunk::<4>() {
            let len = u32::from_be_bytes(*len) as usize;
            let Some(nal) = tail.get(..len) else {
                return Err(ClipError::Mp4 {
                    path: path.to_path_buf(),
                    message: format!("frame {i}: a NAL unit runs past the sample"),
                });
            };
            packet.extend_from_slice(&[0, 0, 0, 1]);
            packet.extend_from_slice(nal);
            rest = &tail[len..];
        }
        let decoded = decoder.decode(&packet).map_err(|e| ClipError::Mp4 {
            path: path.to_path_buf(),
            message: format!("frame {i} does not decode: {e}"),
        })?;
        if let Some(image) = decoded.as_ref().and_then(to_image) {
            frames.push(image);
        }
    }
    let rest = decoder.flush_remaining().map_err(|e| ClipError::Mp4 {
        path: path.to_path_buf(),
        message: format!("flushing the decoder: {e}"),
    })?;
    frames.extend(rest.iter().filter_map(to_image));
    Ok(frames)
}
