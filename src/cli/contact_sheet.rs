//! A contact sheet: a grid of images (rows × columns) with the row names down the left and
//! the column names along the top, drawn with the editor's own UI font.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{Rgba, RgbaImage, imageops};

const BACKGROUND: Rgba<u8> = Rgba([28, 28, 30, 255]);
const TEXT: [u8; 3] = [235, 235, 235];
const GAP: u32 = 6;
const LABEL_PX: f32 = 18.0;

/// Longest side of a contact sheet, pixels: cells are made narrower rather than the sheet
/// larger (a 16384² RGBA sheet is already 1 GiB).
pub const MAX_SHEET_SIDE: u32 = 16384;

/// Lays out `cells[row][column]` (each scaled to `cell_width` wide, keeping its aspect) under
/// `column_names` and beside `row_names`. Missing cells stay empty. Cells are at least 16 px
/// wide, and narrower than asked where the sheet would pass [`MAX_SHEET_SIDE`]; returns the
/// sheet and the cell width it used.
pub fn contact_sheet(
    row_names: &[String],
    column_names: &[String],
    cells: &[Vec<Option<RgbaImage>>],
    cell_width: u32,
) -> (RgbaImage, u32) {
    let font = FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT)
        .expect("the bundled UI font parses");
    let aspect = cells
        .iter()
        .flatten()
        .flatten()
        .next()
        .map_or(9.0 / 16.0, |i| i.height() as f32 / i.width().max(1) as f32);
    let label_width = row_names
        .iter()
        .map(|n| text_width(&font, n, LABEL_PX))
        .fold(0.0f32, f32::max)
        .ceil() as u32
        + 2 * GAP
        + 4;
    let header = (LABEL_PX * 1.6) as u32 + GAP;
    let columns = u32::try_from(column_names.len().max(1)).unwrap_or(u32::MAX);
    let rows = u32::try_from(row_names.len().max(1)).unwrap_or(u32::MAX);
    // The widest cells that keep both sides within MAX_SHEET_SIDE.
    let room = |used: u32, count: u32| {
        (MAX_SHEET_SIDE.saturating_sub(used + GAP) / count).saturating_sub(GAP)
    };
    let fit_width = room(label_width, columns);
    let fit_height = room(header, rows);
    let cell_width = cell_width
        .min(fit_width)
        .min((fit_height as f32 / aspect.max(1e-3)) as u32)
        .max(16);
    let cell_height = ((cell_width as f32 * aspect).round() as u32).max(1);
    let width = label_width + columns.saturating_mul(cell_width + GAP).saturating_add(GAP);
    let height = header + rows.saturating_mul(cell_height + GAP).saturating_add(GAP);
    let mut sheet = RgbaImage::from_pixel(width, height, BACKGROUND);
    for (c, name) in column_names.iter().enumerate() {
        let x = label_width + c as u32 * (cell_width + GAP);
        draw_text(
            &mut sheet,
            &font,
            name,
            x as f32,
            GAP as f32,
            LABEL_PX,
            cell_width as f32,
        );
    }
    for (r, name) in row_names.iter().enumerate() {
        let y = header + r as u32 * (cell_height + GAP);
        let text_y = y as f32 + (cell_height as f32 - LABEL_PX) / 2.0;
        draw_text(
            &mut sheet,
            &font,
            name,
            GAP as f32,
            text_y,
            LABEL_PX,
            (label_width - GAP) as f32,
        );
        for (c, cell) in cells.get(r).into_iter().flatten().enumerate() {
            let Some(image) = cell else { continue };
            let thumb = imageops::resize(
                image,
                cell_width,
                cell_height,
                imageops::FilterType::Triangle,
            );
            let x = label_width + c as u32 * (cell_width + GAP);
            imageops::overlay(&mut sheet, &thumb, i64::from(x), i64::from(y));
        }
    }
    (sheet, cell_width)
}

fn text_width(font: &FontRef<'_>, text: &str, px: f32) -> f32 {
    let scaled = font.as_scaled(PxScale::from(px));
    let mut width = 0.0;
    let mut previous = None;
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(p) = previous {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    width
}

/// Draws `text` with its top-left at (x, y), clipped to `max_width`.
fn draw_text(
    image: &mut RgbaImage,
    font: &FontRef<'_>,
    text: &str,
    x: f32,
    y: f32,
    px: f32,
    max_width: f32,
) {
    let scaled = font.as_scaled(PxScale::from(px));
    let baseline = y + scaled.ascent();
    let mut caret = x;
    let mut previous = None;
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        let advance = scaled.h_advance(id);
        if caret + advance > x + max_width {
            break;
        }
        let glyph = id.with_scale_and_position(px, ab_glyph::point(caret, baseline));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px_x = bounds.min.x as i64 + i64::from(gx);
                let px_y = bounds.min.y as i64 + i64::from(gy);
                if px_x < 0 || px_y < 0 {
                    return;
                }
                let (px_x, px_y) = (px_x as u32, px_y as u32);
                if px_x >= image.width() || px_y >= image.height() {
                    return;
                }
                let p = image.get_pixel_mut(px_x, px_y);
                let a = coverage.clamp(0.0, 1.0);
                for k in 0..3 {
                    p[k] = (f32::from(p[k]) * (1.0 - a) + f32::from(TEXT[k]) * a).round() as u8;
                }
            });
        }
        caret += advance;
        previous = Some(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_places_cells_and_draws_labels() {
        let red = RgbaImage::from_pixel(64, 36, Rgba([255, 0, 0, 255]));
        let blue = RgbaImage::from_pixel(64, 36, Rgba([0, 0, 255, 255]));
        let (sheet, cell_width) = contact_sheet(
            &["Noon".into(), "Night".into()],
            &["Main".into(), "Lake".into()],
            &[vec![Some(red.clone()), Some(blue)], vec![Some(red), None]],
            64,
        );
        assert_eq!(cell_width, 64);
        let count = |f: &dyn Fn(&Rgba<u8>) -> bool| sheet.pixels().filter(|p| f(p)).count();
        // Three 64×36 cells, one empty.
        assert_eq!(count(&|p| *p == Rgba([255, 0, 0, 255])), 2 * 64 * 36);
        assert_eq!(count(&|p| *p == Rgba([0, 0, 255, 255])), 64 * 36);
        // The labels put light grey text pixels on the background.
        assert!(count(&|p| p[0] > 150 && p[0] == p[1] && p[1] == p[2]) > 100);
    }

    #[test]
    fn a_sheet_never_passes_its_largest_side() {
        let cell = RgbaImage::from_pixel(64, 36, Rgba([255, 0, 0, 255]));
        let names = |n: usize, what: &str| (0..n).map(|i| format!("{what} {i}")).collect();
        let row_names: Vec<String> = names(3, "Variant");
        let column_names: Vec<String> = names(12, "Camera");
        let cells = vec![vec![Some(cell.clone()); 12]; 3];
        // 12 cells of 4000 px would make a sheet 48,000 px wide: narrower cells instead.
        let (sheet, cell_width) = contact_sheet(&row_names, &column_names, &cells, 4000);
        assert!(sheet.width() <= MAX_SHEET_SIDE, "{}", sheet.width());
        assert!(sheet.height() <= MAX_SHEET_SIDE, "{}", sheet.height());
        assert!(cell_width > 1000 && cell_width < 1400, "{cell_width}");
        // As many red pixels as 36 cells of that width hold (scaled from 64×36).
        let red = sheet
            .pixels()
            .filter(|p| p[0] > 200 && p[1] < 50 && p[2] < 50)
            .count();
        let cell_height = (cell_width as f32 * 36.0 / 64.0).round() as usize;
        let expected = 36 * cell_width as usize * cell_height;
        assert!(
            red.abs_diff(expected) < expected / 100,
            "{red} against {expected}"
        );
        // A width of u32::MAX neither overflows nor allocates beyond the bound.
        let (sheet, _) = contact_sheet(&row_names, &column_names, &cells, u32::MAX);
        assert!(sheet.width() <= MAX_SHEET_SIDE && sheet.height() <= MAX_SHEET_SIDE);
    }
}
