//! `worldsmith stills`: every chosen variant × camera rendered headless to PNGs, plus a
//! labelled contact sheet.

use super::{load_input, parse_size};
use crate::render::{FrameInput, RenderSettings};
use crate::scene::{CameraView, Scene, VariantId};
use anyhow::{Context as _, bail};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct StillsArgs {
    /// A project (.wsproj), a file or a world-model output folder; the generated world when
    /// not given.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// `all` (every variant; the base when there are none) or comma-separated names, `base`
    /// for the base scene.
    #[arg(long, default_value = "all", value_delimiter = ',')]
    pub variants: Vec<String>,
    /// `all` (every camera node; a framing view when there are none) or comma-separated
    /// camera names.
    #[arg(long, default_value = "all", value_delimiter = ',')]
    pub cameras: Vec<String>,
    /// Image size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1920x1080", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Output folder (created if missing): `<variant>__<camera>.png` and
    /// `contact_sheet.png`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Width of one image on the contact sheet, pixels.
    #[arg(long, default_value_t = 480, value_parser = clap::value_parser!(u32).range(16..=4096))]
    pub sheet_cell_width: u32,
}

/// Which variants `names` picks (`None` = the base), in the scene's order for `all`.
fn pick_variants(
    scene: &Scene,
    names: &[String],
) -> anyhow::Result<Vec<(String, Option<VariantId>)>> {
    let variants = scene.variants();
    if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
        if variants.list.is_empty() {
            return Ok(vec![("Base".into(), None)]);
        }
        return Ok(variants
            .list
            .iter()
            .map(|v| (v.name.clone(), Some(v.id)))
            .collect());
    }
    names
        .iter()
        .map(|name| {
            if name.eq_ignore_ascii_case("base") {
                return Ok(("Base".into(), None));
            }
            match variants.find(name) {
                Some(v) => Ok((v.name.clone(), Some(v.id))),
                None => {
                    let known: Vec<&str> = variants.list.iter().map(|v| v.name.as_str()).collect();
                    bail!(
                        "no variant named '{name}' (variants: base{}{})",
                        if known.is_empty() { "" } else { ", " },
                        known.join(", ")
                    )
                }
            }
        })
        .collect()
}

/// Which cameras `names` picks, as (name, view).
fn pick_cameras(scene: &Scene, names: &[String]) -> anyhow::Result<Vec<(String, CameraView)>> {
    if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
        let cameras: Vec<_> = scene
            .cameras()
            .into_iter()
            .filter_map(|(id, name)| Some((name, scene.camera_view(id)?)))
            .collect();
        if cameras.is_empty() {
            return Ok(vec![("View".into(), super::view_for(scene, None)?)]);
        }
        return Ok(cameras);
    }
    names
        .iter()
        .map(|name| Ok((name.clone(), super::view_for(scene, Some(name))?)))
        .collect()
}

/// A file-name-safe version of a name: letters, digits, `-` and `_`; others become `_`.
pub fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() { "_".into() } else { stem }
}

/// Writes a PNG under a temporary name and renames it, so no half-written file carries the
/// final name.
fn save_png(image: &image::RgbaImage, path: &Path) -> anyhow::Result<()> {
    let tmp = path.with_extension("png.part");
    image
        .save_with_format(&tmp, image::ImageFormat::Png)
        .with_context(|| format!("{}: could not write the PNG", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("{}: could not rename into place", path.display()))?;
    Ok(())
}

/// `worldsmith stills`.
pub fn stills(args: &StillsArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: could not create the folder", args.out.display()))?;
    let scene = load_input(args.input.as_deref(), args.seed)?;
    let variants = pick_variants(&scene, &args.variants)?;
    let cameras = pick_cameras(&scene, &args.cameras)?;
    let (ctx, mut renderer) = super::start_gpu(t0)?;
    let (w, h) = args.size;
    let total = (variants.len() * cameras.len()) as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} {msg} [{elapsed_precise}, ETA {eta}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut cells: Vec<Vec<Option<image::RgbaImage>>> = Vec::with_capacity(variants.len());
    for (variant_name, variant) in &variants {
        let resolved;
        let shown = match variant {
            Some(id) => {
                resolved = scene
                    .resolved_as(*id)
                    .with_context(|| format!("variant '{variant_name}' vanished"))?;
                &resolved
            }
            None => &scene,
        };
        let mut row = Vec::with_capacity(cameras.len());
        for (camera_name, view) in &cameras {
            let t = Instant::now();
            bar.set_message(format!("{variant_name} × {camera_name}"));
            let frame = FrameInput {
                scene: shown,
                camera: *view,
                settings: RenderSettings::final_frame(),
                selection: &[],
                cloud_highlight: None,
            };
            let (image, _) = renderer.render_to_image(&ctx, &frame, w, h)?;
            let path = args.out.join(format!(
                "{}__{}.png",
                file_stem(variant_name),
                file_stem(camera_name)
            ));
            save_png(&image, &path)?;
            if bar.is_hidden() {
                eprintln!(
                    "[{}/{total}] {} ({:.0} ms)",
                    bar.position() + 1,
                    path.display(),
                    t.elapsed().as_secs_f64() * 1000.0
                );
            }
            bar.inc(1);
            row.push(Some(image));
        }
        cells.push(row);
    }
    bar.finish_and_clear();
    let row_names: Vec<String> = variants.iter().map(|(n, _)| n.clone()).collect();
    let column_names: Vec<String> = cameras.iter().map(|(n, _)| n.clone()).collect();
    let (sheet, cell_width) = super::contact_sheet::contact_sheet(
        &row_names,
        &column_names,
        &cells,
        args.sheet_cell_width,
    );
    if cell_width < args.sheet_cell_width {
        eprintln!(
            "note: contact sheet cells {cell_width} px wide instead of {} to keep the sheet \
             within {} px",
            args.sheet_cell_width,
            super::contact_sheet::MAX_SHEET_SIDE
        );
    }
    let sheet_path = args.out.join("contact_sheet.png");
    save_png(&sheet, &sheet_path)?;
    eprintln!(
        "wrote {total} stills ({w}x{h}) and {} on {} in {:.1} s",
        sheet_path.display(),
        ctx.adapter_name(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn stems_are_file_safe() {
        assert_eq!(file_stem("Golden hour"), "Golden_hour");
        assert_eq!(file_stem("../x/y"), "___x_y");
        assert_eq!(file_stem(""), "_");
        assert_eq!(file_stem("Nacht-ß"), "Nacht-ß");
    }
}
