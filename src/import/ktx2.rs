//! KTX2 textures holding Basis Universal data (KHR_texture_basisu: ETC1S/BasisLZ, UASTC with
//! or without Zstandard, XUASTC), as `toktx`, `basisu` and glTF-Transform's `etc1s`/`uastc`
//! write them, decoded to RGBA8 by the pure-Rust `basisu` transcoder.
//!
//! The transcoder trusts the file's header and level index (a corrupt one can make it ask
//! for hundreds of gigabytes, or panic), so both are checked here first: the size against
//! the same limits as PNG and JPEG, one 2D image (no array, cube map or video), and every
//! level's byte range and uncompressed size against the file and the image's block count.
//! The transcoder then runs behind `catch_unwind`. Only the top level is transcoded: the
//! renderer builds its own mip chain.

/// The 12-byte identifier every KTX2 file starts with.
const IDENTIFIER: [u8; 12] = [
    0xAB, b'K', b'T', b'X', b' ', b'2', b'0', 0xBB, b'\r', b'\n', 0x1A, b'\n',
];

/// Whether `bytes` start like a KTX2 file.
pub(crate) fn is_ktx2(bytes: &[u8]) -> bool {
    bytes.starts_with(&IDENTIFIER)
}

/// The plain 8-bit formats (`toktx` without `--encode`, e.g. bevy's RGB8 textures), read
/// without the transcoder: (VkFormat, channels, stored blue-first), UNORM and SRGB alike.
const PLAIN_FORMATS: [(u32, usize, bool); 12] = [
    (9, 1, false),  // R8_UNORM
    (15, 1, false), // R8_SRGB
    (16, 2, false), // R8G8_UNORM
    (22, 2, false), // R8G8_SRGB
    (23, 3, false), // R8G8B8_UNORM
    (29, 3, false), // R8G8B8_SRGB
    (30, 3, true),  // B8G8R8_UNORM
    (36, 3, true),  // B8G8R8_SRGB
    (37, 4, false), // R8G8B8A8_UNORM
    (43, 4, false), // R8G8B8A8_SRGB
    (44, 4, true),  // B8G8R8A8_UNORM
    (50, 4, true),  // B8G8R8A8_SRGB
];
/// KTX2 supercompression schemes of plain levels: none, and Zstandard.
const SUPERCOMPRESSION_NONE: u32 = 0;
const SUPERCOMPRESSION_ZSTD: u32 = 2;

/// The fields of a KTX2 header this module checks.
#[derive(Debug)]
struct Header {
    vk_format: u32,
    supercompression: u32,
    width: u32,
    height: u32,
    depth: u32,
    layers: u32,
    faces: u32,
    levels: u32,
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

impl Header {
    fn read(bytes: &[u8]) -> Result<Self, String> {
        if !is_ktx2(bytes) {
            return Err("not a KTX2 file".into());
        }
        let field =
            |at| u32_at(bytes, at).ok_or_else(|| "the KTX2 header is cut short".to_string());
        Ok(Self {
            vk_format: field(12)?,
            supercompression: field(44)?,
            width: field(20)?,
            height: field(24)?,
            depth: field(28)?,
            layers: field(32)?,
            faces: field(36)?,
            levels: field(40)?,
        })
    }

    /// Bytes of the top level decoded to RGBA8 (`u64::MAX` when that does not fit: a header
    /// can claim 2³² − 1 pixels a side).
    fn rgba_bytes(&self) -> u64 {
        u64::from(self.width)
            .saturating_mul(u64::from(self.height.max(1)))
            .saturating_mul(4)
    }

    /// The channels and channel order of plain 8-bit levels; `None` for Basis Universal data.
    fn plain(&self) -> Option<(usize, bool)> {
        PLAIN_FORMATS
            .iter()
            .find(|(format, _, _)| *format == self.vk_format)
            .map(|&(_, channels, bgr)| (channels, bgr))
    }

    /// A level's (offset, length, uncompressed length) from the level index.
    fn level(bytes: &[u8], level: u32) -> Option<(u64, u64, u64)> {
        let at = 80 + 24 * level as usize;
        Some((
            u64_at(bytes, at)?,
            u64_at(bytes, at + 8)?,
            u64_at(bytes, at + 16)?,
        ))
    }

    /// What makes this texture one this importer reads: a 2D image within the size limits,
    /// whose level index fits the file.
    fn check(&self, bytes: &[u8]) -> Result<(), String> {
        let Self {
            width,
            height,
            depth,
            layers,
            faces,
            levels,
            ..
        } = *self;
        let side = super::gltf::MAX_IMAGE_SIDE;
        if width == 0 || height == 0 || width > side || height > side {
            return Err(format!(
                "KTX2 image of {width}×{height} pixels (1 to {side} per side are read)"
            ));
        }
        if depth > 1 || layers > 1 || faces != 1 {
            return Err(format!(
                "a KTX2 texture with depth {depth}, {layers} layers and {faces} faces: only \
                 2D images are read"
            ));
        }
        // Level index: 24 bytes per level (offset, length, uncompressed length) after the
        // 80-byte header.
        let max_levels = 32 - width.max(height).leading_zeros();
        if levels > max_levels {
            return Err(format!(
                "{levels} mip levels for a {width}×{height} image (at most {max_levels})"
            ));
        }
        for level in 0..levels.max(1) {
            let Some((offset, length, uncompressed)) = Self::level(bytes, level) else {
                return Err("the KTX2 level index is cut short".into());
            };
            if offset
                .checked_add(length)
                .is_none_or(|end| end > bytes.len() as u64)
            {
                return Err(format!(
                    "KTX2 level {level} lies at bytes {offset}..+{length}, past the file's {} bytes",
                    bytes.len()
                ));
            }
            // Basis data never takes more than 16 bytes per 4×4 block once its
            // supercompression is undone, plain levels their channels per pixel.
            let (w, h) = (
                u64::from((width >> level).max(1)),
                u64::from((height >> level).max(1)),
            );
            let most = match self.plain() {
                Some((channels, _)) => w * h * channels as u64,
                None => w.div_ceil(4) * h.div_ceil(4) * 16,
            };
            if uncompressed > most {
                return Err(format!(
                    "KTX2 level {level} claims {uncompressed} bytes uncompressed, more than a \
                     {w}×{h} image's {most}"
                ));
            }
        }
        Ok(())
    }
}

/// Decoded RGBA8 size of a KTX2 image from its header alone.
pub(crate) fn decoded_size(bytes: &[u8]) -> Option<u64> {
    Header::read(bytes).ok().map(|h| h.rgba_bytes())
}

/// Decodes the top level of a KTX2 Basis Universal texture to RGBA8.
pub(crate) fn decode_rgba(bytes: &[u8]) -> Result<image::RgbaImage, String> {
    let header = Header::read(bytes)?;
    header.check(bytes)?;
    let (width, height) = (header.width, header.height);
    if let Some((channels, bgr)) = header.plain() {
        let level = plain_level(bytes, &header, channels)?;
        // As the GPU samples them: missing colour channels read 0, a missing alpha opaque.
        let pixels = level
            .chunks_exact(channels)
            .flat_map(|texel| {
                let mut rgba = [0, 0, 0, 255];
                rgba[..channels].copy_from_slice(texel);
                if bgr {
                    rgba.swap(0, 2);
                }
                rgba
            })
            .collect();
        return image::RgbaImage::from_raw(width, height, pixels)
            .ok_or_else(|| "the KTX2 level has the wrong number of pixels".into());
    }
    let transcoded = std::panic::catch_unwind(|| -> Result<Vec<u8>, String> {
        use basisu::{DecodeFlags, TargetFormat, Transcoder};
        let texture = Transcoder::new(bytes)
            .map_err(|e| format!("not a Basis Universal texture the transcoder reads ({e:?})"))?;
        if texture.base_dimensions() != (width, height) || texture.is_video() {
            return Err("the Basis data does not match the KTX2 header".into());
        }
        let size = texture
            .output_size(0, TargetFormat::Rgba32)
            .map_err(|e| format!("{e:?}"))?;
        if size as u64 != header.rgba_bytes() {
            return Err("the Basis data does not match the KTX2 header".into());
        }
        texture
            .transcode(0, TargetFormat::Rgba32, DecodeFlags::NONE)
            .map_err(|e| format!("corrupt Basis Universal data ({e:?})"))
    })
    .map_err(|_| "the Basis Universal transcoder failed on this texture (corrupt data)")??;
    image::RgbaImage::from_raw(width, height, transcoded)
        .ok_or_else(|| "the transcoder returned the wrong number of pixels".into())
}

/// The top level of a plain texture of `channels` bytes per pixel (checked by
/// `Header::check`; KTX2 packs rows without padding), unpacked from Zstandard where it is
/// supercompressed: exactly `width × height × channels` bytes.
fn plain_level(bytes: &[u8], header: &Header, channels: usize) -> Result<Vec<u8>, String> {
    let want = (header.rgba_bytes() / 4) as usize * channels;
    let (offset, length, _) = Header::level(bytes, 0).ok_or("the KTX2 level index is cut short")?;
    let data = &bytes[offset as usize..(offset + length) as usize];
    let pixels = match header.supercompression {
        SUPERCOMPRESSION_NONE => data.to_vec(),
        SUPERCOMPRESSION_ZSTD => {
            use std::io::Read as _;
            let decoder = ruzstd::StreamingDecoder::new(data)
                .map_err(|e| format!("corrupt Zstandard level: {e}"))?;
            let mut pixels = Vec::with_capacity(want);
            decoder
                .take(want as u64 + 1)
                .read_to_end(&mut pixels)
                .map_err(|e| format!("corrupt Zstandard level: {e}"))?;
            pixels
        }
        other => {
            return Err(format!(
                "KTX2 supercompression scheme {other} is not read for plain 8-bit textures"
            ));
        }
    };
    if pixels.len() != want {
        return Err(format!(
            "the KTX2 level holds {} bytes where a {}×{} image of {channels} bytes a pixel \
             has {want}",
            pixels.len(),
            header.width,
            header.height
        ));
    }
    Ok(pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(width: u32, height: u32, levels: u32, index: &[(u64, u64, u64)]) -> Vec<u8> {
        let mut bytes = IDENTIFIER.to_vec();
        for field in [0, 1, width, height, 0, 0, 1, levels, 1] {
            bytes.extend(u32::to_le_bytes(field));
        }
        bytes.resize(80, 0);
        for (offset, length, uncompressed) in index {
            for field in [offset, length, uncompressed] {
                bytes.extend(field.to_le_bytes());
            }
        }
        bytes.resize(bytes.len() + 64, 0);
        bytes
    }

    #[test]
    fn hostile_headers_are_refused_before_the_transcoder_sees_them() {
        let refused = |bytes: Vec<u8>, words: &str| {
            let error = decode_rgba(&bytes).expect_err("refused");
            assert!(error.contains(words), "{error}");
        };
        refused(header(0, 4, 1, &[(80, 8, 0)]), "0×4");
        refused(header(70_000, 4, 1, &[(80, 8, 0)]), "70000×4");
        refused(header(4, 4, 9, &[(80, 8, 0)]), "9 mip levels");
        refused(header(4, 4, 1, &[(u64::MAX, 8, 0)]), "past the file");
        refused(
            header(8, 8, 1, &[(80, 8, 1 << 40)]),
            "more than a 8×8 image's 64",
        );
        let mut short = header(4, 4, 2, &[(80, 8, 0)]);
        short.truncate(80 + 24 + 10);
        refused(short, "level index is cut short");
        let mut cube = header(4, 4, 1, &[(80, 8, 0)]);
        cube[36..40].copy_from_slice(&6u32.to_le_bytes());
        refused(cube, "6 faces");
        refused(IDENTIFIER[..11].to_vec(), "not a KTX2 file");
        refused(
            header(4, 4, 1, &[(80, 8, 0)]),
            "not a Basis Universal texture",
        );
        assert_eq!(
            decoded_size(&header(8, 2, 1, &[])),
            Some(64),
            "sized from the header"
        );
    }
}
