//! Supersampling for clip frames: a frame drawn at `factor` times the output's width and
//! height is brought down to the output size by averaging each `factor`×`factor` block in
//! linear light (averaging sRGB-encoded values would darken every anti-aliased edge).

use crate::scene::color::{linear_to_srgb_u8, srgb_u8_to_linear};
use rayon::prelude::*;

/// The most a clip may be supersampled (16 samples per output pixel on top of MSAA).
pub const MAX_SUPERSAMPLE: u32 = 4;

/// `image` (sRGB-encoded RGBA8, both sides multiples of `factor`) averaged over
/// `factor`×`factor` blocks: colour in linear light, alpha as it is.
pub fn downsample(image: &image::RgbaImage, factor: u32) -> image::RgbaImage {
    let factor = factor.max(1);
    let (w, h) = (image.width() / factor, image.height() / factor);
    if factor == 1 {
        return image.clone();
    }
    let decode = srgb_to_linear_table();
    let encode = linear_to_srgb_table();
    let src = image.as_raw();
    let stride = image.width() as usize * 4;
    let (f, n) = (factor as usize, (factor * factor) as f32);
    let mut out = vec![0u8; w as usize * h as usize * 4];
    out.par_chunks_mut(w as usize * 4)
        .enumerate()
        .for_each(|(y, row)| {
            for (x, px) in row.chunks_exact_mut(4).enumerate() {
                let mut sum = [0.0f32; 4];
                for dy in 0..f {
                    let line = &src[(y * f + dy) * stride..];
                    for dx in 0..f {
                        let p = &line[(x * f + dx) * 4..(x * f + dx) * 4 + 4];
                        for c in 0..3 {
                            sum[c] += decode[usize::from(p[c])];
                        }
                        sum[3] += f32::from(p[3]);
                    }
                }
                for c in 0..3 {
                    let linear = (sum[c] / n).clamp(0.0, 1.0);
                    px[c] = encode[(linear * (ENCODE_STEPS - 1) as f32).round() as usize];
                }
                px[3] = (sum[3] / n).round().clamp(0.0, 255.0) as u8;
            }
        });
    image::RgbaImage::from_raw(w, h, out).unwrap_or_default()
}

/// Steps of the linear → sRGB table: fine enough that every 8-bit output is reachable and
/// the rounding error stays under half a code value.
const ENCODE_STEPS: usize = 4096;

fn srgb_to_linear_table() -> [f32; 256] {
    std::array::from_fn(|i| srgb_u8_to_linear(i as u8))
}

fn linear_to_srgb_table() -> Vec<u8> {
    (0..ENCODE_STEPS)
        .map(|i| {
            let l = i as f32 / (ENCODE_STEPS - 1) as f32;
            linear_to_srgb_u8(l)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_average_in_linear_light() {
        // A 4×2 image: a black/white checker block and a flat mid-grey block.
        let mut img = image::RgbaImage::new(4, 2);
        for (x, y, p) in img.enumerate_pixels_mut() {
            let v = if x < 2 {
                if (x + y) % 2 == 0 { 0 } else { 255 }
            } else {
                90
            };
            *p = image::Rgba([v, v, v, 255]);
        }
        let out = downsample(&img, 2);
        assert_eq!(out.dimensions(), (2, 1));
        // Half white in linear light is sRGB 188, not 128.
        assert_eq!(out.get_pixel(0, 0).0, [188, 188, 188, 255]);
        // A flat block keeps its value exactly.
        assert_eq!(out.get_pixel(1, 0).0, [90, 90, 90, 255]);
        // Every code value survives the round trip through the tables.
        let decode = srgb_to_linear_table();
        let encode = linear_to_srgb_table();
        for v in 0..=255u8 {
            let l = decode[usize::from(v)];
            assert_eq!(encode[(l * (ENCODE_STEPS - 1) as f32).round() as usize], v);
        }
        assert_eq!(downsample(&img, 1), img);
    }
}
