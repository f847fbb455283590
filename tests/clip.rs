//! Clips: H.264/MP4 encoding checked by ffprobe and by decoding, PNG sequences, the frame
//! cache (what re-renders after an edit, damaged entries), cancel, joining chunks, the CLI's
//! error messages, and the Open Job Description template run by `openjd run`.
//!
//! ffprobe/ffmpeg and openjd are needed; without them a test prints SKIPPED, except under
//! CI=true, where it fails.

use crate::common;

use common::{add_mesh, add_sun, gpu, look, worldsmith};
use glam::Vec3;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use worldsmith::clip::{
    ClipError, ClipJob, ClipOutput, ClipProgress, EncoderSettings, FrameCache, render_clip,
};
use worldsmith::render::{FrameInput, GpuContext, RenderSettings, Renderer};
use worldsmith::scene::{CameraView, Material, Scene, Transform};

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `tool` if it runs, else `None` with a printed reason (a failure on CI).
fn tool(tool: &str) -> Option<PathBuf> {
    let path = PathBuf::from(tool);
    let ok = std::process::Command::new(&path)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(path);
    }
    assert!(
        !on_ci(),
        "{tool} is missing on CI (scripts/check installs ffmpeg)"
    );
    eprintln!("SKIPPED: {tool} not found (apt-get install ffmpeg)");
    None
}

/// Settings cheap enough for lavapipe.
fn quick() -> RenderSettings {
    RenderSettings {
        shadow_map_size: 512,
        ..RenderSettings::clip()
    }
}

/// A small scene: ground, three boxes and a sun.
fn small_scene() -> Scene {
    let mut scene = Scene::new("clip test");
    add_mesh(
        &mut scene,
        "Ground",
        worldsmith::generate::shapes::plane(glam::Vec2::splat(20.0), 1),
        Material::named("Ground", [0.5, 0.55, 0.5, 1.0], 0.9),
        Transform::IDENTITY,
    );
    for (i, color) in [
        [0.8, 0.2, 0.1, 1.0],
        [0.1, 0.6, 0.2, 1.0],
        [0.2, 0.3, 0.9, 1.0],
    ]
    .into_iter()
    .enumerate()
    {
        add_mesh(
            &mut scene,
            &format!("Box {i}"),
            worldsmith::generate::shapes::cube(1.0),
            Material::named("Box", color, 0.5),
            Transform::from_translation(Vec3::new(i as f32 * 1.6 - 1.6, 0.5, 0.0)),
        );
    }
    add_sun(&mut scene, Vec3::new(0.4, 1.0, 0.3), 60_000.0, true);
    scene
}

/// The camera orbits the boxes, one degree per frame.
fn orbit(frame: u32) -> CameraView {
    let a = (frame as f32 * 1.5).to_radians();
    look(
        Vec3::new(6.0 * a.sin(), 3.0, 6.0 * a.cos()),
        Vec3::ZERO,
        45.0,
    )
}

/// Frames of `small_scene` with the orbit camera; frames in `tinted` show box 0 blue-ish.
/// Records every frame number it is asked for.
fn source(
    tinted: Option<std::ops::RangeInclusive<u32>>,
    calls: Arc<Mutex<Vec<u32>>>,
) -> impl FnMut(u32) -> anyhow::Result<(Scene, CameraView)> {
    let base = small_scene();
    move |frame| {
        calls.lock().expect("calls").push(frame);
        let mut scene = base.clone();
        if tinted.as_ref().is_some_and(|t| t.contains(&frame)) {
            let id = scene.find("Box 0").expect("box");
            scene.set_grade(
                id,
                worldsmith::scene::ColorGrade {
                    tint: [0.3, 0.5, 1.0],
                    ..Default::default()
                },
            );
        }
        Ok((scene, orbit(frame)))
    }
}

fn job(frames: std::ops::Range<u32>, output: ClipOutput, cache: Option<FrameCache>) -> ClipJob {
    ClipJob {
        frames: frames.collect(),
        width: 96,
        height: 64,
        settings: quick(),
        supersample: 1,
        encoder: EncoderSettings::new(24),
        output,
        cache,
    }
}

fn run(
    ctx: &GpuContext,
    job: &ClipJob,
    src: &mut dyn worldsmith::clip::FrameSource,
) -> Result<worldsmith::clip::ClipSummary, ClipError> {
    let mut renderer = Renderer::new(ctx);
    render_clip(ctx, &mut renderer, job, src, &ClipProgress::default())
}

/// Peak signal-to-noise ratio over RGB, in dB.
fn psnr(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut sum = 0.0f64;
    let mut n = 0.0f64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            let d = f64::from(p[c]) - f64::from(q[c]);
            sum += d * d;
            n += 1.0;
        }
    }
    let mse = sum / n;
    if mse == 0.0 {
        return 99.0;
    }
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

struct Probe {
    frames: u32,
    width: u32,
    height: u32,
    codec: String,
    pix_fmt: String,
    duration: f64,
}

fn ffprobe(ffprobe: &Path, file: &Path) -> Probe {
    let out = std::process::Command::new(ffprobe)
        .args([
            "-v",
            "error",
            "-count_frames",
            "-show_streams",
            "-of",
            "json",
        ])
        .arg(file)
        .output()
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let s = &json["streams"][0];
    let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
    Probe {
        frames: text("nb_read_frames").parse().expect("frames"),
        width: s["width"].as_u64().expect("width") as u32,
        height: s["height"].as_u64().expect("height") as u32,
        codec: text("codec_name"),
        pix_fmt: text("pix_fmt"),
        duration: text("duration").parse().expect("duration"),
    }
}

/// Frame `k` of `file` decoded by ffmpeg (BT.709 limited range, as the stream says).
fn ffmpeg_frame(ffmpeg: &Path, file: &Path, k: u32, w: u32, h: u32) -> image::RgbaImage {
    let out = std::process::Command::new(ffmpeg)
        .args(["-v", "error", "-i"])
        .arg(file)
        .args([
            "-vf",
            &format!("select=eq(n\\,{k}),scale=in_color_matrix=bt709:in_range=tv:out_range=pc,format=rgb24"),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-",
        ])
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), (w * h * 3) as usize, "frame {k} size");
    image::RgbaImage::from_fn(w, h, |x, y| {
        let i = ((y * w + x) * 3) as usize;
        image::Rgba([out.stdout[i], out.stdout[i + 1], out.stdout[i + 2], 255])
    })
}

#[test]
fn shot_encodes_to_an_mp4_whose_frames_match_the_stills() {
    let Some(ctx) = gpu() else { return };
    let (Some(probe), Some(ffmpeg)) = (tool("ffprobe"), tool("ffmpeg")) else {
        return;
    };
    // The generated world's first shot (a fly-over), as the CLI renders it.
    let world = worldsmith::generate::generate_world(7);
    let shot = world.timeline().shots().first().expect("a shot").clone();
    let sample = |frame: u32| {
        let s = world.sampled(shot.id, frame as f32, None).expect("sampled");
        let view = s.shot_camera_view(&shot).expect("camera");
        (s, view)
    };
    let dir = crate::common::temp_dir("clip", "world");
    let out = dir.join("fly.mp4");
    let (w, h, n) = (320, 192, 6);
    // Frames 0, 40, …: the camera moves far enough between them to show. Codec tolerance:
    // 4:2:0 alone costs this detailed world 40-41 dB at 320x192; OpenH264's frames measured
    // 34-37 dB against the stills (P-frames 40 shot frames apart predict poorly).
    let numbers: Vec<u32> = (0..n).map(|i| i * 40).collect();
    let job = ClipJob {
        frames: numbers.clone(),
        width: w,
        height: h,
        settings: quick(),
        supersample: 1,
        encoder: EncoderSettings::new(shot.fps),
        output: ClipOutput::Mp4(out.clone()),
        cache: None,
    };
    let mut src = |f: u32| Ok(sample(f));
    let summary = run(&ctx, &job, &mut src).expect("render");
    assert_eq!((summary.frames, summary.rendered), (n, n));

    let p = ffprobe(&probe, &out);
    assert_eq!(p.frames, n);
    assert_eq!((p.width, p.height), (w, h));
    assert_eq!(p.codec, "h264");
    assert_eq!(p.pix_fmt, "yuv420p");
    let expected = f64::from(n) / f64::from(shot.fps);
    assert!(
        (p.duration - expected).abs() <= 0.001,
        "duration {} vs {expected}",
        p.duration
    );

    let decoded = worldsmith::clip::decode_mp4(&out).expect("decode");
    assert_eq!(decoded.len(), n as usize);
    let mut renderer = Renderer::new(&ctx);
    let mut stills = Vec::new();
    for (k, &frame) in numbers.iter().enumerate() {
        let (scene, view) = sample(frame);
        let input = FrameInput {
            scene: &scene,
            camera: view,
            settings: quick(),
            selection: &[],
            cloud_highlight: None,
        };
        let (still, _) = renderer.render_to_image(&ctx, &input, w, h).expect("still");
        let by_ffmpeg = ffmpeg_frame(&ffmpeg, &out, k as u32, w, h);
        let (a, b) = (psnr(&by_ffmpeg, &still), psnr(&decoded[k], &still));
        let planes = worldsmith::clip::yuv::i420_from_rgba(still.as_raw(), w as usize, h as usize);
        let (yp, rest) = planes.split_at((w * h) as usize);
        let (up, vp) = rest.split_at((w * h / 4) as usize);
        let sub = worldsmith::clip::yuv::rgba_from_i420(
            yp,
            up,
            vp,
            w as usize,
            w as usize / 2,
            w as usize,
            h as usize,
        );
        let sub = image::RgbaImage::from_raw(w, h, sub).expect("img");
        eprintln!(
            "frame {frame}: PSNR {a:.1} dB (ffmpeg), {b:.1} dB (OpenH264 decoder), 4:2:0 alone {:.1}, decoded vs 4:2:0 {:.1}",
            psnr(&sub, &still),
            psnr(&decoded[k], &sub)
        );
        assert!(
            a > 33.0,
            "frame {frame}: ffmpeg's decode is {a:.1} dB from the still"
        );
        assert!(
            b > 33.0,
            "frame {frame}: OpenH264's decode is {b:.1} dB from the still"
        );
        stills.push(still);
    }
    for k in 1..stills.len() {
        let between = psnr(&decoded[k], &decoded[k - 1]);
        assert!(
            between < 25.0,
            "frames {} and {} look alike ({between:.1} dB): a frozen clip?",
            k - 1,
            k
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// With several encoder instances the frames of two GOPs are drawn interleaved (each
/// instance busy) and muxed back in order: the clip has every frame once, a key frame at
/// each GOP start, the right duration, and its frames are the ones the job's PNGs show.
#[test]
fn parallel_gop_encoding_draws_interleaved_and_muxes_in_order() {
    let Some(ctx) = gpu() else { return };
    let Some(probe) = tool("ffprobe") else { return };
    let dir = crate::common::temp_dir("clip", "gops");
    let out = dir.join("gops.mp4");
    let cache = FrameCache::open(&dir.join("cache"), 64 << 20).expect("cache");
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut src = source(None, Arc::clone(&calls));
    // 2 fps, a key frame every second: 7 frames are GOPs {0,1} {2,3} {4,5} {6}.
    let encoder = EncoderSettings {
        keyframe_interval_s: 1,
        encoders: 2,
        ..EncoderSettings::new(2)
    };
    let mut mp4 = job(0..7, ClipOutput::Mp4(out.clone()), Some(cache.clone()));
    mp4.encoder = encoder;
    let summary = run(&ctx, &mp4, &mut src).expect("render");
    assert_eq!((summary.frames, summary.rendered), (7, 7));
    let drawn: Vec<u32> = calls.lock().expect("calls").split_off(7);
    assert_eq!(
        drawn,
        [0, 2, 1, 3, 4, 6, 5],
        "two GOPs at a time, interleaved"
    );

    let p = ffprobe(&probe, &out);
    assert_eq!((p.frames, p.width, p.height), (7, 96, 64));
    assert!((p.duration - 3.5).abs() <= 0.001, "duration {}", p.duration);
    let flags = std::process::Command::new(&probe)
        .args([
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "packet=flags",
        ])
        .args(["-of", "csv=p=0"])
        .arg(&out)
        .output()
        .expect("ffprobe packets");
    let keys: Vec<usize> = String::from_utf8_lossy(&flags.stdout)
        .lines()
        .enumerate()
        .filter(|(_, f)| f.starts_with('K'))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(keys, [0, 2, 4, 6], "a key frame opens each GOP");

    // The same frames as PNGs (from the cache the MP4 job filled): frame k of the clip is
    // shot frame k.
    let frames = dir.join("frames");
    let pngs = run(
        &ctx,
        &job(0..7, ClipOutput::PngSequence(frames.clone()), Some(cache)),
        &mut src,
    )
    .expect("pngs");
    assert_eq!(pngs.cached, 7, "{pngs:?}");
    let decoded = worldsmith::clip::decode_mp4(&out).expect("decode");
    assert_eq!(decoded.len(), 7);
    for (k, frame) in decoded.iter().enumerate() {
        let png = image::open(frames.join(format!("frame_{k:04}.png")))
            .expect("png")
            .into_rgba8();
        let db = psnr(frame, &png);
        let others = (0..7)
            .filter(|&j| j != k)
            .map(|j| {
                let other = image::open(frames.join(format!("frame_{j:04}.png")))
                    .expect("png")
                    .into_rgba8();
                psnr(frame, &other)
            })
            .fold(0.0, f64::max);
        assert!(
            db > 33.0 && db > others,
            "clip frame {k}: {db:.1} dB from its PNG, {others:.1} dB from the closest other"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn png_sequence_is_numbered_by_shot_frame() {
    let Some(ctx) = gpu() else { return };
    let dir = crate::common::temp_dir("clip", "png");
    let out = dir.join("frames");
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut src = source(None, calls);
    let summary = run(
        &ctx,
        &job(3..6, ClipOutput::PngSequence(out.clone()), None),
        &mut src,
    )
    .expect("render");
    assert_eq!(summary.rendered, 3);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["frame_0003.png", "frame_0004.png", "frame_0005.png"]
    );
    let png = image::open(out.join("frame_0004.png"))
        .expect("png")
        .into_rgba8();
    let (scene, view) = src(4).expect("frame");
    let still = common::render_with(&ctx, &scene, view, 96, 64, quick(), &[]);
    // Lossless: the PNG is the rendered frame (a fresh renderer may differ by rounding in a
    // few pixels, within the golden tests' tolerance).
    let d = common::diff(&png, &still);
    assert!(
        common::within_tolerance(&d),
        "PNG frame 4 differs from its still: {} % of pixels, mean {}",
        d.bad_fraction * 100.0,
        d.mean_abs
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn supersampled_frames_are_the_big_frame_averaged_down_and_cached_apart() {
    let Some(ctx) = gpu() else { return };
    let dir = crate::common::temp_dir("clip", "supersample");
    let cache = FrameCache::open(&dir.join("cache"), 1 << 30).expect("cache");
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut src = source(None, calls);
    let plain = dir.join("plain");
    let summary = run(
        &ctx,
        &job(
            2..4,
            ClipOutput::PngSequence(plain.clone()),
            Some(cache.clone()),
        ),
        &mut src,
    )
    .expect("render");
    assert_eq!(summary.rendered, 2);
    // 2×2 supersampling: frames of the same size, not taken from the plain frames' cache.
    let smooth = dir.join("smooth");
    let ss_job = ClipJob {
        supersample: 2,
        ..job(
            2..4,
            ClipOutput::PngSequence(smooth.clone()),
            Some(cache.clone()),
        )
    };
    let summary = run(&ctx, &ss_job, &mut src).expect("render");
    assert_eq!((summary.rendered, summary.cached), (2, 0));
    let png = |dir: &Path| {
        image::open(dir.join("frame_0003.png"))
            .expect("png")
            .into_rgba8()
    };
    let (smooth3, plain3) = (png(&smooth), png(&plain));
    assert_eq!(smooth3.dimensions(), (96, 64));
    // It is the 192×128 frame averaged over 2×2 blocks in linear light.
    let (scene, view) = src(3).expect("frame");
    let big = common::render_with(&ctx, &scene, view, 192, 128, quick(), &[]);
    let expected = worldsmith::clip::supersample::downsample(&big, 2);
    let d = common::diff(&smooth3, &expected);
    assert!(
        common::within_tolerance(&d),
        "{} % of pixels differ, mean {}",
        d.bad_fraction * 100.0,
        d.mean_abs
    );
    // Edges are softer: neighbouring pixels differ less than in the plain frame.
    let roughness = |img: &image::RgbaImage| -> f64 {
        let mut sum = 0.0;
        for y in 0..img.height() {
            for x in 1..img.width() {
                let (a, b) = (img.get_pixel(x - 1, y), img.get_pixel(x, y));
                sum += (0..3).map(|c| f64::from(a[c].abs_diff(b[c]))).sum::<f64>();
            }
        }
        sum
    };
    assert!(
        roughness(&smooth3) < roughness(&plain3),
        "{} vs {}",
        roughness(&smooth3),
        roughness(&plain3)
    );
    assert_ne!(smooth3, plain3);
    // Run again: both kinds now come from the cache.
    let summary = run(&ctx, &ss_job, &mut src).expect("render");
    assert_eq!((summary.rendered, summary.cached), (0, 2));
    // Larger than the adapter can draw: refused before anything is drawn.
    let max = ctx.device.limits().max_texture_dimension_2d;
    let too_big = ClipJob {
        width: (max / 4 + 2) & !1,
        supersample: 4,
        ..job(0..1, ClipOutput::PngSequence(dir.join("big")), None)
    };
    let err = run(&ctx, &too_big, &mut src).expect_err("too large");
    assert!(matches!(err, ClipError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("4x4 supersampling"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cache_re_renders_only_frames_whose_content_changed() {
    let Some(ctx) = gpu() else { return };
    let dir = crate::common::temp_dir("clip", "cache");
    let cache = FrameCache::open(&dir.join("cache"), 1 << 30).expect("cache");
    let out = dir.join("clip.mp4");
    let frames = 0..24;
    let rendered_frames = |calls: &Arc<Mutex<Vec<u32>>>| {
        // The source is asked once per frame for the keys, and again for each frame rendered.
        let calls = calls.lock().expect("calls");
        let mut twice: Vec<u32> = frames
            .clone()
            .filter(|f| calls.iter().filter(|c| *c == f).count() == 2)
            .collect();
        twice.sort();
        twice
    };

    let calls = Arc::new(Mutex::new(Vec::new()));
    let j = job(
        frames.clone(),
        ClipOutput::Mp4(out.clone()),
        Some(cache.clone()),
    );
    let s = run(&ctx, &j, &mut source(None, Arc::clone(&calls))).expect("first");
    assert_eq!((s.rendered, s.cached), (24, 0));
    assert_eq!(rendered_frames(&calls).len(), 24);

    // The same render again: the whole clip comes from the cache.
    let calls = Arc::new(Mutex::new(Vec::new()));
    let s = run(&ctx, &j, &mut source(None, Arc::clone(&calls))).expect("again");
    assert_eq!(s.rendered, 0);
    assert!(s.clip_from_cache);
    assert!(rendered_frames(&calls).is_empty());
    assert!(out.is_file());

    // The same frames as PNGs: every frame from the frame cache.
    let pngs = dir.join("pngs");
    let p = job(
        frames.clone(),
        ClipOutput::PngSequence(pngs.clone()),
        Some(cache.clone()),
    );
    let s = run(
        &ctx,
        &p,
        &mut source(None, Arc::new(Mutex::new(Vec::new()))),
    )
    .expect("pngs");
    assert_eq!((s.rendered, s.cached), (0, 24));

    // An edit that shows only in frames 10-20 re-renders exactly those.
    let calls = Arc::new(Mutex::new(Vec::new()));
    let s = run(&ctx, &j, &mut source(Some(10..=20), Arc::clone(&calls))).expect("edited");
    assert_eq!((s.rendered, s.cached), (11, 13));
    assert_eq!(rendered_frames(&calls), (10..=20).collect::<Vec<_>>());
    let decoded = worldsmith::clip::decode_mp4(&out).expect("decode");
    assert_eq!(decoded.len(), 24);

    // A damaged entry is re-rendered, not a panic.
    let mut entries = Vec::new();
    collect(&dir.join("cache/frames"), &mut entries);
    assert!(entries.len() >= 35, "{} frame entries", entries.len());
    entries.sort();
    let (scene, view) =
        source(Some(10..=20), Arc::new(Mutex::new(Vec::new())))(0).expect("frame 0");
    let key = worldsmith::clip::frame_key(&scene, &view, &quick(), 96, 64).hex();
    let victim = entries
        .iter()
        .find(|e| e.to_string_lossy().contains(&key))
        .expect("frame 0's entry");
    let mut bytes = std::fs::read(victim).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(victim, &bytes).expect("write");
    let s = run(
        &ctx,
        &p,
        &mut source(Some(10..=20), Arc::new(Mutex::new(Vec::new()))),
    )
    .expect("damaged");
    assert_eq!((s.rendered, s.cached), (1, 23));
    std::fs::remove_dir_all(&dir).ok();
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn cancel_leaves_no_output() {
    let Some(ctx) = gpu() else { return };
    let dir = crate::common::temp_dir("clip", "cancel");
    for output in [
        ClipOutput::Mp4(dir.join("clip.mp4")),
        ClipOutput::PngSequence(dir.join("frames")),
    ] {
        let progress = Arc::new(ClipProgress::default());
        let mut inner = source(None, Arc::new(Mutex::new(Vec::new())));
        let p = Arc::clone(&progress);
        let mut src = move |f: u32| {
            if f == 3 {
                p.cancel();
            }
            inner(f)
        };
        let mut renderer = Renderer::new(&ctx);
        let result = render_clip(
            &ctx,
            &mut renderer,
            &job(0..10, output, None),
            &mut src,
            &progress,
        );
        assert!(matches!(result, Err(ClipError::Cancelled)), "{result:?}");
        let snapshot = progress.snapshot();
        assert!(
            snapshot.rendered <= 4,
            "stopped within a frame: {snapshot:?}"
        );
        let left: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn chunks_join_into_the_single_render_without_re_encoding() {
    let Some(ctx) = gpu() else { return };
    let dir = crate::common::temp_dir("clip", "join");
    let mut src = source(None, Arc::new(Mutex::new(Vec::new())));
    let chunks: Vec<PathBuf> = [0..3, 3..6, 6..8]
        .into_iter()
        .enumerate()
        .map(|(i, frames)| {
            let path = dir.join(format!("chunk_{i}.mp4"));
            run(
                &ctx,
                &job(frames, ClipOutput::Mp4(path.clone()), None),
                &mut src,
            )
            .expect("chunk");
            path
        })
        .collect();
    let single = dir.join("single.mp4");
    run(
        &ctx,
        &job(0..8, ClipOutput::Mp4(single.clone()), None),
        &mut src,
    )
    .expect("single");
    let joined = dir.join("joined.mp4");
    assert_eq!(worldsmith::clip::join(&chunks, &joined).expect("join"), 8);
    // The joined file holds the chunks' samples byte for byte.
    let chunk_bytes: u64 = chunks
        .iter()
        .map(|c| std::fs::metadata(c).expect("meta").len())
        .sum();
    let joined_bytes = std::fs::metadata(&joined).expect("meta").len();
    assert!(
        joined_bytes < chunk_bytes,
        "{joined_bytes} vs {chunk_bytes}"
    );
    let info = worldsmith::clip::probe_mp4(&joined).expect("probe");
    assert_eq!(
        (info.frames, info.width, info.height, info.fps),
        (8, 96, 64, 24)
    );
    let a = worldsmith::clip::decode_mp4(&joined).expect("decode joined");
    let b = worldsmith::clip::decode_mp4(&single).expect("decode single");
    assert_eq!((a.len(), b.len()), (8, 8));
    let first_chunk = worldsmith::clip::decode_mp4(&chunks[1]).expect("decode chunk");
    for k in 0..8 {
        let db = psnr(&a[k], &b[k]);
        assert!(db > 35.0, "frame {k}: joined vs single {db:.1} dB");
    }
    assert_eq!(a[3], first_chunk[0], "samples are copied, not re-encoded");
    if let Some(probe) = tool("ffprobe") {
        let p = ffprobe(&probe, &joined);
        assert_eq!(p.frames, 8);
        assert!((p.duration - 8.0 / 24.0).abs() <= 0.001, "{}", p.duration);
    }

    // Chunks of another size do not join.
    let other = dir.join("other.mp4");
    let mut j = job(0..2, ClipOutput::Mp4(other.clone()), None);
    j.width = 64;
    run(&ctx, &j, &mut src).expect("other");
    let e = worldsmith::clip::join(&[chunks[0].clone(), other.clone()], &dir.join("bad.mp4"))
        .expect_err("mismatch");
    assert!(
        e.to_string().contains("other.mp4") && e.to_string().contains("64x64"),
        "{e}"
    );
    assert!(!dir.join("bad.mp4").exists());
    // Odd sizes are refused before anything renders.
    let mut j = job(0..2, ClipOutput::Mp4(dir.join("odd.mp4")), None);
    j.width = 95;
    let e = run(&ctx, &j, &mut src).expect_err("odd");
    assert!(e.to_string().contains("95x64"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The last line of stderr that is ours (lavapipe prints XDG warnings).
fn message(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("error"))
        .filter(|l| !l.contains("XDG_RUNTIME_DIR"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn cli_errors_name_the_problem() {
    let dir = crate::common::temp_dir("clip", "cli");
    let out = dir.join("x.mp4");
    let out = out.to_str().expect("utf-8");
    for (args, code, needle) in [
        (vec!["render", "--frames", "5-2", "--out", out], 2, "'5-2'"),
        (
            vec!["render", "--frames", "0-300", "--out", out],
            1,
            "outside shot 'Fly-over' (frames 0-239)",
        ),
        (
            vec!["render", "--size", "161x96", "--out", out],
            1,
            "161x96",
        ),
        (
            vec!["render", "--shot", "Nope", "--out", out],
            1,
            "no shot named 'Nope' (shots: Fly-over, Walk-through)",
        ),
        (
            vec!["render", "--variant", "Nope", "--out", out],
            1,
            "no variant named 'Nope'",
        ),
        (
            vec!["render", "--out", "/nonexistent-folder/x.mp4"],
            1,
            "/nonexistent-folder does not exist",
        ),
        (
            vec!["render", "--out", "clip.avi"],
            1,
            "'.avi' is not an output",
        ),
        (
            vec!["join", "/nonexistent-folder/a.mp4", "--out", out],
            1,
            "/nonexistent-folder/a.mp4",
        ),
    ] {
        let o = worldsmith(&args);
        let m = message(&o);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {m}");
        assert!(m.contains(needle), "{args:?}: {m}");
        if code == 1 {
            assert_eq!(m.lines().count(), 1, "{args:?}: one line: {m}");
        }
    }
    assert!(!Path::new(out).exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// A headless clip render on a machine with no graphical session (a farm worker) prints its
/// progress and result, not the libraries' chatter: neither OpenH264's parameter warnings
/// (routed to `log` at debug level) nor libwayland's `XDG_RUNTIME_DIR` errors from Mesa's
/// device-select layer (skipped there).
#[test]
fn headless_render_prints_no_library_chatter() {
    let dir = crate::common::temp_dir("clip", "quiet");
    let out = dir.join("quiet.mp4");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_worldsmith"))
        .args(["render", "--no-cache", "--frames", "0-1", "--size", "64x36"])
        .arg("--out")
        .arg(&out)
        .env(
            "WGPU_BACKEND",
            std::env::var("WGPU_BACKEND").unwrap_or_else(|_| "vulkan".into()),
        )
        .env_remove("RUST_LOG")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .env_remove("DISPLAY")
        .output()
        .expect("run worldsmith");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(out.is_file());
    for chatter in ["OpenH264", "XDG_RUNTIME_DIR"] {
        assert!(!err.contains(chatter), "stderr has {chatter}:\n{err}");
    }
    assert!(err.contains("wrote"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The tools/openjd venv scripts/check makes, or `openjd` on PATH.
fn openjd() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/openjd/venv/bin/openjd");
    for candidate in [venv, PathBuf::from("openjd")] {
        if std::process::Command::new(&candidate)
            .arg("--help")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(candidate);
        }
    }
    assert!(
        !on_ci(),
        "openjd is missing on CI (scripts/check installs it in tools/openjd/venv)"
    );
    eprintln!("SKIPPED: openjd not found (run scripts/check, or pip install openjd-cli)");
    None
}

#[test]
fn openjd_template_renders_chunks_and_joins_them() {
    if gpu().is_none() {
        return;
    }
    let (Some(openjd), Some(probe)) = (openjd(), tool("ffprobe")) else {
        return;
    };
    let dir = crate::common::temp_dir("clip", "openjd");
    let project = dir.join("world.wsproj");
    let p = project.to_str().expect("utf-8");
    let o = worldsmith(&["new", "--out", p]);
    assert!(o.status.success(), "{}", message(&o));
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).expect("out");
    let exe = env!("CARGO_BIN_EXE_worldsmith");
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("farm/worldsmith-render.openjd.yaml");
    let extra = "--no-cache --shadow-map-size 512";
    let o = std::process::Command::new(&openjd)
        .arg("run")
        .arg(&template)
        .args(["-p", &format!("Project={}", project.display())])
        .args([
            "-p",
            "Shot=Walk-through",
            "-p",
            "FirstFrame=10",
            "-p",
            "LastFrame=15",
        ])
        .args(["-p", "ChunkSize=2", "-p", "Size=96x64"])
        .args(["-p", &format!("OutputDir={}", out_dir.display())])
        .args([
            "-p",
            &format!("Worldsmith={exe}"),
            "-p",
            &format!("ExtraArgs={extra}"),
        ])
        .env(
            "WGPU_BACKEND",
            std::env::var("WGPU_BACKEND").unwrap_or_else(|_| "vulkan".into()),
        )
        .output()
        .expect("openjd");
    let log = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "openjd run failed:\n{log}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        log.contains("Chunks run: 4"),
        "three render chunks and the join:\n{log}"
    );
    let joined = out_dir.join("clip.mp4");
    assert_eq!(ffprobe(&probe, &joined).frames, 6);
    assert!(
        !out_dir.join("clip.mp4.chunks").exists(),
        "chunks are removed after the join"
    );

    let single = dir.join("single.mp4");
    let single_s = single.to_str().expect("utf-8");
    let o = worldsmith(&[
        "render",
        p,
        "--shot",
        "Walk-through",
        "--frames",
        "10-15",
        "--size",
        "96x64",
        "--out",
        single_s,
        "--no-cache",
        "--shadow-map-size",
        "512",
    ]);
    assert!(o.status.success(), "{}", message(&o));
    let a = worldsmith::clip::decode_mp4(&joined).expect("joined");
    let b = worldsmith::clip::decode_mp4(&single).expect("single");
    assert_eq!((a.len(), b.len()), (6, 6));
    for k in 0..6 {
        let db = psnr(&a[k], &b[k]);
        assert!(
            db > 35.0,
            "frame {k}: farm vs single-process render {db:.1} dB"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
