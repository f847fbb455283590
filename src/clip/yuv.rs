//! sRGB-encoded RGBA8 ↔ YUV 4:2:0 (I420), BT.709 matrix, limited ("TV") range: Y in 16..=235,
//! Cb/Cr in 16..=240. The encoded stream says so in its VUI (colour primaries, transfer and
//! matrix BT.709, `video_full_range_flag` 0), which is what players assume for HD video.

use rayon::prelude::*;

const KR: f32 = 0.2126;
const KB: f32 = 0.0722;
const KG: f32 = 1.0 - KR - KB;

/// I420 planes (Y, then U, then V) of an even-sized RGBA8 image. `rgba.len()` must be
/// `width * height * 4`; `width` and `height` must be even.
pub fn i420_from_rgba(rgba: &[u8], width: usize, height: usize) -> Vec<u8> {
    debug_assert!(
        width.is_multiple_of(2) && height.is_multiple_of(2) && rgba.len() == width * height * 4
    );
    let (cw, ch) = (width / 2, height / 2);
    let mut out = vec![0u8; width * height + 2 * cw * ch];
    let (y_plane, chroma) = out.split_at_mut(width * height);
    let (u_plane, v_plane) = chroma.split_at_mut(cw * ch);
    y_plane
        .par_chunks_mut(width * 2)
        .zip(u_plane.par_chunks_mut(cw))
        .zip(v_plane.par_chunks_mut(cw))
        .enumerate()
        .for_each(|(j, ((y_rows, u_row), v_row))| {
            let top = &rgba[(2 * j) * width * 4..(2 * j + 1) * width * 4];
            let bottom = &rgba[(2 * j + 1) * width * 4..(2 * j + 2) * width * 4];
            let luma = |p: &[u8]| -> f32 {
                (KR * f32::from(p[0]) + KG * f32::from(p[1]) + KB * f32::from(p[2])) / 255.0
            };
            for i in 0..cw {
                let mut sum = [0.0f32; 3];
                for (row, dy) in [(top, 0), (bottom, 1)] {
                    for dx in 0..2 {
                        let x = 2 * i + dx;
                        let p = &row[x * 4..x * 4 + 4];
                        y_rows[dy * width + x] = to_u8(16.0 + 219.0 * luma(p));
                        for c in 0..3 {
                            sum[c] += f32::from(p[c]);
                        }
                    }
                }
                let [r, g, b] = sum.map(|s| s / (4.0 * 255.0));
                let y = KR * r + KG * g + KB * b;
                u_row[i] = to_u8(128.0 + 224.0 * (b - y) / (2.0 * (1.0 - KB)));
                v_row[i] = to_u8(128.0 + 224.0 * (r - y) / (2.0 * (1.0 - KR)));
            }
        });
    out
}

/// RGBA8 (alpha 255) from I420 planes with the given row strides, the inverse of
/// [`i420_from_rgba`] (chroma upsampled by repetition).
#[allow(clippy::too_many_arguments)] // reason: three planes with their strides and the size
pub fn rgba_from_i420(
    y_plane: &[u8],
    u_plane: &[u8],
    v_plane: &[u8],
    y_stride: usize,
    uv_stride: usize,
    width: usize,
    height: usize,
) -> Vec<u8> {
    let mut out = vec![0u8; width * height * 4];
    out.par_chunks_mut(width * 4)
        .enumerate()
        .for_each(|(row, line)| {
            for x in 0..width {
                let luma = y_plane.get(row * y_stride + x).copied().unwrap_or(16);
                let ci = (row / 2) * uv_stride + x / 2;
                let cb = u_plane.get(ci).copied().unwrap_or(128);
                let cr = v_plane.get(ci).copied().unwrap_or(128);
                let y = (f32::from(luma) - 16.0) / 219.0;
                let pb = (f32::from(cb) - 128.0) / 224.0;
                let pr = (f32::from(cr) - 128.0) / 224.0;
                let r = y + 2.0 * (1.0 - KR) * pr;
                let b = y + 2.0 * (1.0 - KB) * pb;
                let g = (y - KR * r - KB * b) / KG;
                line[x * 4..x * 4 + 4].copy_from_slice(&[
                    to_u8(r * 255.0),
                    to_u8(g * 255.0),
                    to_u8(b * 255.0),
                    255,
                ]);
            }
        });
    out
}

fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_colours_take_bt709_limited_range_values() {
        // 2x2 blocks of one colour: (R, G, B) → (Y, Cb, Cr) from BT.709's tables.
        for (rgb, yuv) in [
            ([0u8, 0, 0], [16u8, 128, 128]),
            ([255, 255, 255], [235, 128, 128]),
            ([255, 0, 0], [63, 102, 240]),
            ([0, 255, 0], [173, 42, 26]),
            ([0, 0, 255], [32, 240, 118]),
        ] {
            let rgba: Vec<u8> = (0..4).flat_map(|_| [rgb[0], rgb[1], rgb[2], 255]).collect();
            let planes = i420_from_rgba(&rgba, 2, 2);
            assert_eq!(&planes[..4], &[yuv[0]; 4], "{rgb:?}");
            assert_eq!(&planes[4..], &yuv[1..], "{rgb:?}");
            let back = rgba_from_i420(&planes[..4], &planes[4..5], &planes[5..6], 2, 1, 2, 2);
            for c in 0..3 {
                assert!(
                    back[c].abs_diff(rgb[c]) <= 2,
                    "{rgb:?} came back as {back:?}"
                );
            }
        }
    }

    #[test]
    fn round_trip_of_a_gradient_stays_close() {
        let (w, h) = (16, 8);
        let rgba: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let v = (i * 255 / (w * h)) as u8;
                [v, v, v, 255]
            })
            .collect();
        let planes = i420_from_rgba(&rgba, w, h);
        let (y, rest) = planes.split_at(w * h);
        let (u, v) = rest.split_at(w * h / 4);
        let back = rgba_from_i420(y, u, v, w, w / 2, w, h);
        for (a, b) in rgba.iter().zip(&back) {
            assert!(a.abs_diff(*b) <= 2, "{a} vs {b}");
        }
    }
}
