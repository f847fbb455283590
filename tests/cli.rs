//! The command line as a user meets it: help, bad arguments, unknown cameras, unwritable
//! output, and a real headless still.

use crate::common;

use common::worldsmith;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_documents_every_command() {
    let o = worldsmith(&["--help"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for word in [
        "still",
        "stills",
        "bench",
        "--seed",
        "--exit-after-frames",
        "--screenshot",
    ] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
    let o = worldsmith(&["still", "--help"]);
    let text = String::from_utf8_lossy(&o.stdout);
    for word in ["--size", "--out", "--camera", "--seed"] {
        assert!(text.contains(word), "still --help lacks {word}:\n{text}");
    }
}

#[test]
fn bad_arguments_exit_non_zero_with_a_clear_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["still", "--size", "12x", "--out", "x.png"], "12x"),
        (
            &["still", "--size", "0x10", "--out", "x.png"],
            "between 1 and",
        ),
        (&["still", "--seed", "minus", "--out", "x.png"], "minus"),
        (&["still"], "--out"),
        (&["render-everything"], "render-everything"),
        (&["--screenshot", "a.png"], "--exit-after-frames"),
        // Benchmarks' synthetic counts are bounded: a mistyped one is a usage error, not an
        // allocation of tens of gigabytes that aborts.
        (&["bench", "--splats", "4294967295"], "0..=20000000"),
        (&["bench", "--lines", "30000000"], "0..=20000000"),
        (&["bench", "--points", "20000001"], "0..=20000000"),
        (&["bench", "--frames", "0"], "1..=100000"),
        (&["bench-pick", "--triangles", "4000000000"], "1..=20000000"),
        (&["bench-variants", "--thumbnails", "100000"], "1..=256"),
        (
            &["stills", "--sheet-cell-width", "4000000000", "--out", "x"],
            "16..=4096",
        ),
    ];
    for (args, needle) in cases {
        let o = worldsmith(args);
        assert_eq!(o.status.code(), Some(2), "{args:?} should be a usage error");
        let e = stderr(&o);
        assert!(
            e.contains(needle),
            "{args:?}: message should mention {needle}:\n{e}"
        );
        assert!(!e.contains("panicked"), "{args:?} panicked:\n{e}");
    }
}

#[test]
fn missing_output_folder_and_unknown_camera_are_reported() {
    let o = worldsmith(&["still", "--out", "/nonexistent-dir/x.png", "--size", "8x8"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("/nonexistent-dir"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "one line: {e}");

    if common::gpu().is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ws-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let out = dir.join("x.png");
    let o = worldsmith(&[
        "still",
        "--out",
        out.to_str().expect("utf8"),
        "--size",
        "8x8",
        "--camera",
        "Drone",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("Drone") && e.contains("Main"),
        "names the camera and the choices: {e}"
    );
    assert!(!out.exists(), "no output on failure");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn still_writes_a_png_of_the_requested_size() {
    if common::gpu().is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ws-still-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let out = dir.join("world.png");
    let o = worldsmith(&[
        "still",
        "--seed",
        "7",
        "--size",
        "160x90",
        "--camera",
        "Street",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let img = image::open(&out).expect("png").to_rgba8();
    assert_eq!(img.dimensions(), (160, 90));
    common::assert_not_degenerate("still", &img);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn stills_renders_variants_by_cameras_and_a_contact_sheet() {
    if common::gpu().is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ws-stills-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let o = worldsmith(&[
        "stills",
        "--seed",
        "7",
        "--variants",
        "Noon,base",
        "--cameras",
        "Main,Lake",
        "--size",
        "96x54",
        "--sheet-cell-width",
        "96",
        "--out",
        dir.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut images = Vec::new();
    for name in ["Noon__Main", "Noon__Lake", "Base__Main", "Base__Lake"] {
        let img = image::open(dir.join(format!("{name}.png")))
            .unwrap_or_else(|e| panic!("{name}.png: {e}"))
            .to_rgba8();
        assert_eq!(img.dimensions(), (96, 54));
        common::assert_not_degenerate(name, &img);
        images.push(img);
    }
    assert_ne!(images[0], images[2], "Noon renders like the base");
    let sheet = image::open(dir.join("contact_sheet.png"))
        .expect("sheet")
        .to_rgba8();
    // Two rows and two columns of 96x54 cells, with labels around them.
    assert!(
        sheet.width() > 2 * 96 && sheet.height() > 2 * 54,
        "{:?}",
        sheet.dimensions()
    );
    assert!(
        !std::fs::read_dir(&dir).expect("list").any(|e| e
            .expect("entry")
            .path()
            .extension()
            .is_some_and(|x| x == "part")),
        "a temporary file was left behind"
    );

    let o = worldsmith(&[
        "stills",
        "--variants",
        "Dusk",
        "--out",
        dir.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no variant named 'Dusk'") && stderr(&o).contains("Noon"),
        "{}",
        stderr(&o)
    );
    let o = worldsmith(&["still", "--variant", "Dusk", "--out", "x.png"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no variant named 'Dusk'"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bench_pick_reports_build_and_pick_times() {
    let o = worldsmith(&[
        "bench-pick",
        "--triangles",
        "300000",
        "--picks",
        "50",
        "--splats",
        "20000",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for line in ["bvh build:", "median", "p95", "cpu:", "splats: 20000"] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    // The dense grid tops the world up to the asked-for count.
    assert!(
        text.lines().any(|l| l.starts_with("scene:")
            && l.split_whitespace()
                .zip(l.split_whitespace().skip(1))
                .any(|(n, w)| w == "triangles" && n.parse::<usize>().is_ok_and(|n| n >= 300_000))),
        "{text}"
    );
    // Most random pixels of the Main view land on something.
    let hits: u32 = text
        .split(['(', ' '])
        .zip(text.split(['(', ' ']).skip(1))
        .find_map(|(n, w)| (w == "hits):").then(|| n.parse().ok()).flatten())
        .unwrap_or(0);
    assert!(hits >= 40, "{hits} hits of 50:\n{text}");
}

/// `bench --gpu-passes` prints each pass's GPU time beside the frame time (lavapipe has
/// timestamp queries; an adapter without says so).
#[test]
fn bench_prints_the_gpu_time_of_each_pass() {
    if common::gpu().is_none() {
        return;
    }
    let o = worldsmith(&[
        "bench",
        "--frames",
        "2",
        "--sizes",
        "64x36",
        "--msaa",
        "1",
        "--gpu-passes",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    let Some(line) = out.lines().find(|l| l.contains("GPU time per pass")) else {
        assert!(out.contains("no timestamp queries"), "{out}");
        return;
    };
    for pass in ["opaque ", "tone map ", "passes together "] {
        assert!(line.contains(pass), "{pass:?} missing: {line}");
    }
    // The world's shadows are drawn once, in a warm-up frame, and kept: no timed cascades.
    assert!(!line.contains("shadow cascade"), "{line}");
}

/// `bench --points N` adds a synthetic cloud of exactly N points and draws them all, with
/// X-ray too (the see-through mode draws points in two passes).
#[test]
fn bench_draws_its_synthetic_points() {
    if common::gpu().is_none() {
        return;
    }
    for xray in [false, true] {
        let mut args = vec![
            "bench", "--frames", "1", "--sizes", "64x36", "--msaa", "1", "--points", "5000",
        ];
        if xray {
            args.push("--xray");
        }
        let o = worldsmith(&args);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{out}\n{}", stderr(&o));
        assert!(out.contains("points: 5000\n"), "{out}");
        assert!(out.contains("  points: 5000 drawn"), "xray {xray}: {out}");
    }
}
