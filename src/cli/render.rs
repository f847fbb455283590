//! `worldsmith render` (a shot to an MP4 or PNG frames, through the frame cache),
//! `worldsmith join` (MP4 chunks into one clip, no re-encode) and `worldsmith bench-clip`.
//!
//! Exit codes (see README): 0 done, 1 error (a one-line message naming the problem), 2 usage
//! (clap: unknown flags, malformed values such as `--frames 5-2` or `--size 0x5`),
//! 3 cancelled (Ctrl-C / SIGTERM; no finished-looking output is left, frames rendered so far
//! stay in the cache).

use super::{load_input, parse_size};
use crate::clip::{
    ClipError, ClipJob, ClipOutput, ClipProgress, EncoderSettings, FrameCache, ShotVariant,
    render_clip, shot_source,
};
use crate::render::{GpuContext, RenderSettings, Renderer};
use crate::scene::{Scene, Shot};
use anyhow::{Context as _, bail};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Exit code of a cancelled render.
pub const EXIT_CANCELLED: u8 = 3;

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The project (.wsproj) — or a file or world folder — whose shot to render; without
    /// one, the generated world for --seed (it ships two shots).
    #[arg(value_name = "PROJECT")]
    pub input: Option<PathBuf>,
    /// Seed of the built-in generated world (without PROJECT).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The shot to render (default: the first shot).
    #[arg(long, value_name = "NAME")]
    pub shot: Option<String>,
    /// Show this variant ("base" for the base scene) instead of the shot's own.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Frames to render, inclusive, as shot frame numbers: `0-239`, or one frame `12`
    /// (default: the whole shot). Render farms split a shot by this.
    #[arg(long, value_name = "FIRST-LAST", value_parser = parse_frames)]
    pub frames: Option<(u32, u32)>,
    /// Output size (default: the shot's). An MP4 needs even sides.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// `clip.mp4` (H.264), or a folder (`frames/`) for `frame_NNNN.png` files numbered by
    /// the shot's frame numbers.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Frame cache folder (default: `<project>.wscache` beside a project, else
    /// `~/.cache/worldsmith/frames`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache: Option<PathBuf>,
    /// Render every frame; read and write no cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Size bound of the frame cache in MiB (least recently used entries go first).
    #[arg(long, value_name = "MIB", default_value_t = 4096)]
    pub cache_max_mib: u64,
    /// Shadow map resolution per cascade (clip quality: 4096).
    #[arg(long, value_name = "PX", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(256..=8192))]
    pub shadow_map_size: u32,
    /// Draw each frame at N times the width and height and average it down in linear light
    /// (N×N samples per pixel on top of MSAA 4×: smoother foliage, shadows and thin lines;
    /// N² times the drawing time). 1: off.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=4))]
    pub supersample: u32,
    /// H.264 encoders working at once, each on its own 2-second GOP (0: one per CPU core, at
    /// most 8). More use more cores; the clip is the same length either way.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=16))]
    pub encoders: u32,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// MP4 chunks in order (each rendered by `worldsmith render` with the same settings).
    #[arg(value_name = "CHUNK", required = true)]
    pub chunks: Vec<PathBuf>,
    /// The joined MP4.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct BenchClipArgs {
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Frame size.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Frames of the first shot to render (from frame 0).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub frames: u32,
    /// Shadow map resolution per cascade.
    #[arg(long, value_name = "PX", default_value_t = 4096)]
    pub shadow_map_size: u32,
    /// Supersampling factor (as `render --supersample`).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=4))]
    pub supersample: u32,
    /// H.264 encoders working at once, each on its own 2-second GOP (0: one per CPU core, at
    /// most 8). More use more cores; the clip is the same length either way.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=16))]
    pub encoders: u32,
}

/// Parses `FIRST-LAST` (inclusive) or a single frame number.
pub fn parse_frames(s: &str) -> Result<(u32, u32), String> {
    let number = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("'{s}': '{v}' is not a frame number (use FIRST-LAST, e.g. 0-239)"))
    };
    let (first, last) = match s.split_once('-') {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let n = number(s)?;
            (n, n)
        }
    };
    if last < first {
        return Err(format!(
            "'{s}': the last frame {last} comes before the first {first}"
        ));
    }
    Ok((first, last))
}

/// The shot named `name` (or the first shot) and the scene's frame source for it.
fn pick_shot<'a>(scene: &'a Scene, name: Option<&str>) -> anyhow::Result<&'a Shot> {
    let timeline = scene.timeline();
    let names = || {
        let names: Vec<&str> = timeline.shots().iter().map(|s| s.name.as_str()).collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    match name {
        Some(name) => timeline
            .shot_named(name)
            .with_context(|| format!("no shot named '{name}' (shots: {})", names())),
        None => timeline
            .shots()
            .first()
            .context("the scene has no shots to render (add one in the timeline)"),
    }
}

/// The variant `--variant` names: `base`, a variant of the scene, or (no option) the shot's own.
fn pick_variant(scene: &Scene, name: Option<&str>) -> anyhow::Result<ShotVariant> {
    let Some(name) = name else {
        return Ok(ShotVariant::Own);
    };
    Ok(match super::variant_by_name(scene, name)? {
        None => ShotVariant::Base,
        Some(id) => ShotVariant::Variant(id),
    })
}

/// Draws progress on stderr until `stop`: a bar on a terminal, else one line per frame.
fn show_progress(progress: Arc<ClipProgress>, stop: Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::Ordering;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} frames {msg} [{elapsed_precise}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut last = 0;
    loop {
        let s = progress.snapshot();
        bar.set_length(u64::from(s.total));
        bar.set_position(u64::from(s.done));
        let eta = s
            .eta
            .map_or_else(|| "?".to_owned(), |e| format!("{:.0} s", e.as_secs_f64()));
        let msg = format!("({} rendered, {} cached, ETA {eta})", s.rendered, s.cached);
        if bar.is_hidden() && s.done > last {
            eprintln!("[{}/{}] frames {msg}", s.done, s.total);
        }
        last = s.done;
        bar.set_message(msg);
        if stop.load(Ordering::Relaxed) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// `worldsmith render`.
pub fn render(args: &RenderArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let output = ClipOutput::from_path(&args.out).map_err(anyhow::Error::msg)?;
    super::check_out_folder(&args.out)?;
    if let (ClipOutput::Mp4(_), Some((w, h))) = (&output, args.size)
        && (!w.is_multiple_of(2) || !h.is_multiple_of(2))
    {
        return Err(ClipError::OddSize {
            width: w,
            height: h,
        }
        .into());
    }
    let scene = load_input(args.input.as_deref(), args.seed)?;
    let shot = pick_shot(&scene, args.shot.as_deref())?;
    let variant = pick_variant(&scene, args.variant.as_deref())?;
    let (first, last) = args.frames.unwrap_or((0, shot.last_frame()));
    if shot.frames == 0 || last >= shot.frames {
        bail!(
            "frames {first}-{last} are outside shot '{}' (frames 0-{})",
            shot.name,
            shot.last_frame()
        );
    }
    let (w, h) = args.size.unwrap_or((shot.size[0], shot.size[1]));
    let cache = if args.no_cache {
        None
    } else {
        let dir = args
            .cache
            .clone()
            .unwrap_or_else(|| FrameCache::default_dir(args.input.as_deref()));
        Some(FrameCache::open(
            &dir,
            args.cache_max_mib.saturating_mul(1 << 20),
        )?)
    };
    let job = ClipJob {
        frames: (first..=last).collect(),
        width: w,
        height: h,
        settings: RenderSettings {
            shadow_map_size: args.shadow_map_size,
            ..RenderSettings::clip()
        },
        supersample: args.supersample,
        encoder: EncoderSettings {
            encoders: args.encoders,
            ..EncoderSettings::new(shot.fps)
        },
        output,
        cache,
    };
    let mut source = shot_source(&scene, shot, variant);
    let ctx = GpuContext::headless()?;
    let mut renderer = Renderer::new(&ctx);
    let progress = Arc::new(ClipProgress::default());
    {
        let progress = Arc::clone(&progress);
        // A second Ctrl-C (or a failure to install the handler) falls back to the default.
        if ctrlc::set_handler(move || progress.cancel()).is_err() {
            log::warn!("could not install the Ctrl-C handler");
        }
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let drawer = {
        let (progress, stop) = (Arc::clone(&progress), Arc::clone(&stop));
        std::thread::spawn(move || show_progress(progress, stop))
    };
    let result = render_clip(&ctx, &mut renderer, &job, &mut source, &progress);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drawer.join().ok();
    let summary = result?;
    eprintln!(
        "wrote {} ({} frames {first}-{last} of shot '{}', {w}x{h} at {} fps): {} rendered, {} from the cache{} on {} in {:.1} s",
        args.out.display(),
        summary.frames,
        shot.name,
        shot.fps,
        summary.rendered,
        summary.cached,
        if summary.clip_from_cache {
            " (the whole clip was cached)"
        } else {
            ""
        },
        ctx.adapter_name(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `worldsmith join`.
pub fn join(args: &JoinArgs) -> anyhow::Result<()> {
    let frames = crate::clip::join(&args.chunks, &args.out)?;
    eprintln!(
        "wrote {} ({frames} frames from {} chunks, not re-encoded)",
        args.out.display(),
        args.chunks.len()
    );
    Ok(())
}

/// `worldsmith bench-clip`: clip throughput of the generated world's first shot, with the
/// time split between drawing, readback and encoding; and the frame cache's format.
pub fn bench_clip(args: &BenchClipArgs) -> anyhow::Result<()> {
    let scene = crate::generate::generate_world(args.seed);
    let shot = pick_shot(&scene, None)?;
    let (w, h) = args.size;
    let frames = args.frames.min(shot.frames.max(1));
    let dir = std::env::temp_dir().join(format!("worldsmith-bench-clip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("temporary folder")?;
    let ctx = GpuContext::headless()?;
    let mut renderer = Renderer::new(&ctx);
    let settings = RenderSettings {
        shadow_map_size: args.shadow_map_size,
        ..RenderSettings::clip()
    };
    // Frame 0 of the shot, drawn alone: the warm-up (pipelines, first uploads), and the
    // picture the cache formats are timed on.
    let first_frame = |renderer: &mut Renderer| -> anyhow::Result<image::RgbaImage> {
        let (s, view) = shot_source(&scene, shot, ShotVariant::Own)(0)?;
        let frame = crate::render::FrameInput {
            scene: &s,
            camera: view,
            settings,
            selection: &[],
            cloud_highlight: None,
        };
        Ok(renderer.render_to_image(&ctx, &frame, w, h)?.0)
    };
    first_frame(&mut renderer)?;
    let out = dir.join("bench.mp4");
    let job = ClipJob {
        frames: (0..frames).collect(),
        width: w,
        height: h,
        settings,
        supersample: args.supersample,
        encoder: EncoderSettings {
            encoders: args.encoders,
            ..EncoderSettings::new(shot.fps)
        },
        output: ClipOutput::Mp4(out.clone()),
        cache: None,
    };
    let mut source = shot_source(&scene, shot, ShotVariant::Own);
    let progress = ClipProgress::default();
    let s = render_clip(&ctx, &mut renderer, &job, &mut source, &progress)?;
    let n = f64::from(s.frames);
    let per = |secs: f64| secs * 1000.0 / n;
    println!(
        "adapter: {}; cpu: {}",
        ctx.adapter_name(),
        super::cpu_name()
    );
    println!(
        "shot '{}' frames 0-{} at {w}x{h}, shadow maps {}², MSAA {}, supersampling {}x{}:",
        shot.name,
        frames - 1,
        settings.shadow_map_size,
        settings.msaa,
        args.supersample,
        args.supersample
    );
    println!(
        "  {:.2} frames/s rendered + encoded ({:.0} ms/frame wall, pipelined)",
        n / s.wall_s,
        per(s.wall_s)
    );
    println!(
        "  per frame: sample the shot {:.1} ms, render {:.1} ms, readback {:.1} ms (render \
         thread); encode {:.1} ms (downsample + RGB→YUV + H.264, encoder threads, summed)",
        per(s.prepare_s),
        per(s.render_s),
        per(s.readback_s),
        per(s.encode_s)
    );
    // What the frame cache adds to a cached render: each frame sampled again and its key
    // hashed (geometry and images once per object, then from the key cache).
    let t = Instant::now();
    for f in 0..frames {
        let (scene, camera) = source(f)?;
        std::hint::black_box(crate::clip::frame_key(&scene, &camera, &settings, w, h));
    }
    println!(
        "  frame keys (sample + hash, per frame of a cached render): {:.2} ms",
        per(t.elapsed().as_secs_f64())
    );
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!(
        "  MP4: {:.2} MB, {:.2} Mbit/s",
        size as f64 / 1e6,
        size as f64 * 8.0 / 1e6 / (n / f64::from(shot.fps))
    );
    // The encoder alone (what caps a clip on a fast GPU): the clip's own frames, decoded,
    // encoded again over and over (4 times, and at least 4 GOPs so several instances have
    // work) with nothing else running.
    let decoded = crate::clip::decode_mp4(&out)?;
    let again = dir.join("encode-only.mp4");
    let encoder = job.encoder;
    let count = (decoded.len() * 4).max(encoder.gop_frames() as usize * 4);
    let frames: Vec<Arc<image::RgbaImage>> = decoded.into_iter().map(Arc::new).collect();
    let total = u32::try_from(count).unwrap_or(u32::MAX);
    let t = Instant::now();
    let mut writer = crate::clip::Mp4ClipWriter::create(&again, w, h, encoder, total)?;
    for position in crate::clip::Mp4ClipWriter::order(&encoder, total) {
        let Some(frame) = frames.get(position as usize % frames.len().max(1)) else {
            break;
        };
        writer.push_at(position, Arc::clone(frame))?;
    }
    let busy = writer.finish()?;
    let ms = t.elapsed().as_secs_f64() * 1000.0 / count.max(1) as f64;
    println!(
        "  encoder alone (RGB→YUV + H.264 + mux, {count} frames, {} OpenH264 instance(s)): \
         {ms:.1} ms/frame, {:.0} frames/s ({:.1} ms/frame of instance time)",
        encoder.encoder_count(total),
        1000.0 / ms,
        busy.as_secs_f64() * 1000.0 / count.max(1) as f64
    );

    // The cache's frame format: QOI against PNG (default and fast compression).
    let still = first_frame(&mut renderer)?;
    for (name, encode) in [
        ("QOI", image::ImageFormat::Qoi),
        ("PNG (default)", image::ImageFormat::Png),
    ] {
        let t = Instant::now();
        let mut bytes = std::io::Cursor::new(Vec::new());
        still.write_to(&mut bytes, encode)?;
        let enc_ms = t.elapsed().as_secs_f64() * 1000.0;
        let bytes = bytes.into_inner();
        let t = Instant::now();
        image::load_from_memory_with_format(&bytes, encode)?;
        let dec_ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "  cache format {name}: encode {enc_ms:.1} ms, decode {dec_ms:.1} ms, {:.2} MB",
            bytes.len() as f64 / 1e6
        );
    }
    {
        use image::ImageEncoder as _;
        let t = Instant::now();
        let mut bytes = Vec::new();
        image::codecs::png::PngEncoder::new_with_quality(
            &mut bytes,
            image::codecs::png::CompressionType::Fast,
            image::codecs::png::FilterType::Adaptive,
        )
        .write_image(still.as_raw(), w, h, image::ExtendedColorType::Rgba8)?;
        let enc_ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)?;
        let dec_ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "  cache format PNG (fast): encode {enc_ms:.1} ms, decode {dec_ms:.1} ms, {:.2} MB",
            bytes.len() as f64 / 1e6
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_frames;

    #[test]
    fn frame_ranges_parse_and_bad_ones_explain() {
        assert_eq!(parse_frames("0-239"), Ok((0, 239)));
        assert_eq!(parse_frames("12"), Ok((12, 12)));
        assert_eq!(parse_frames(" 3 - 4 "), Ok((3, 4)));
        for bad in ["5-2", "a-b", "-3", "1-", "", "1-2-3"] {
            let e = parse_frames(bad).expect_err(bad);
            assert!(e.contains(&format!("'{bad}'")), "{e}");
        }
    }
}
