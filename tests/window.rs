//! The real binary in a real window under Xvfb: it opens, draws its first frames, saves a
//! screenshot of the whole window and quits by itself. The screenshot must show a non-blank
//! viewport and the panels around it.

use crate::common;

use std::process::Command;

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the real editor under Xvfb with `args` plus `--screenshot <dir>/<name>`, asserts it
/// exited cleanly, and returns its stdout and the screenshot.
fn run_editor(
    args: &[&std::ffi::OsStr],
    dir: &std::path::Path,
    name: &str,
) -> (String, image::RgbaImage) {
    let shot = dir.join(name);
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1600x900x24"])
        .arg(env!("CARGO_BIN_EXE_worldsmith"))
        .args(args)
        // Keep File > Open Recent and the recovery files of the person running the tests
        // as they are.
        .env("XDG_CONFIG_HOME", dir)
        .env("XDG_DATA_HOME", dir)
        .arg("--screenshot")
        .arg(&shot)
        .output()
        .expect("run xvfb-run");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "editor exited with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let img = image::open(&shot)
        .unwrap_or_else(|e| panic!("screenshot {}: {e}", shot.display()))
        .to_rgba8();
    (stdout, img)
}

#[test]
fn editor_window_opens_and_draws_the_world() {
    if !have("xvfb-run") {
        assert!(!on_ci(), "xvfb-run missing on CI");
        eprintln!("SKIPPED: xvfb-run not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("worldsmith-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let args: Vec<&std::ffi::OsStr> = [
        "--seed",
        "7",
        "--window-size",
        "1400x800",
        "--exit-after-frames",
        "8",
    ]
    .iter()
    .map(std::ffi::OsStr::new)
    .collect();
    let (stdout, img) = run_editor(&args, &dir, "window.png");
    assert!(
        stdout.contains("first frame presented after"),
        "no first-frame line\nstdout:\n{stdout}"
    );
    let (w, h) = img.dimensions();
    assert!(w >= 800 && h >= 500, "window too small: {w}x{h}");
    let region = |x0: f32, x1: f32, y0: f32, y1: f32| {
        image::imageops::crop_imm(
            &img,
            (x0 * w as f32) as u32,
            (y0 * h as f32) as u32,
            ((x1 - x0) * w as f32) as u32,
            ((y1 - y0) * h as f32) as u32,
        )
        .to_image()
    };
    // Centre of the window = viewport: a rendered world has colour and detail.
    let viewport = region(0.35, 0.65, 0.3, 0.7);
    common::assert_not_degenerate("viewport", &viewport);
    // Left and right strips = outliner and inspector: dark panel with light text.
    for (name, r) in [
        ("outliner", region(0.0, 0.12, 0.1, 0.6)),
        ("inspector", region(0.88, 1.0, 0.1, 0.6)),
    ] {
        let (mean, std) = common::luma_stats(&r);
        assert!(
            std > 8.0,
            "{name} panel looks empty (luma mean {mean:.1}, std {std:.1})"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn editor_opens_a_gltf_file_given_on_the_command_line() {
    if !have("xvfb-run") {
        assert!(!on_ci(), "xvfb-run missing on CI");
        eprintln!("SKIPPED: xvfb-run not installed");
        return;
    }
    let asset = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/testdata/gltf/BoxTextured/BoxTextured.gltf");
    if !asset.is_file() {
        assert!(!on_ci(), "{} missing on CI", asset.display());
        eprintln!("SKIPPED: {} missing", asset.display());
        return;
    }
    let dir = std::env::temp_dir().join(format!("worldsmith-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // --exit-after-frames counts frames after the load finished; --select names a node of
    // the file, found once it has loaded.
    let mut args = vec![asset.as_os_str()];
    args.extend(
        [
            "--window-size",
            "1400x800",
            "--exit-after-frames",
            "4",
            "--select",
            "Node_1",
        ]
        .iter()
        .map(std::ffi::OsStr::new),
    );
    let (stdout, img) = run_editor(&args, &dir, "open.png");
    // Node_0, its mesh child Node_1, and the default sun added because the file has no light.
    assert!(
        stdout.contains("loaded BoxTextured.gltf: 3 nodes"),
        "no load line\nstdout:\n{stdout}"
    );
    assert!(
        stdout.contains("selected 'Node_1'"),
        "--select did not find the file's node\nstdout:\n{stdout}"
    );
    let (w, h) = img.dimensions();
    let viewport = image::imageops::crop_imm(
        &img,
        (0.35 * w as f32) as u32,
        (0.3 * h as f32) as u32,
        (0.3 * w as f32) as u32,
        (0.4 * h as f32) as u32,
    )
    .to_image();
    // The framed box fills the centre with its texture: colour and detail.
    common::assert_not_degenerate("viewport", &viewport);
    let recent = std::fs::read_to_string(dir.join("worldsmith").join("recent.json"))
        .expect("recent.json written");
    assert!(recent.contains("BoxTextured.gltf"), "{recent}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn editor_opens_a_project_given_on_the_command_line() {
    if !have("xvfb-run") {
        assert!(!on_ci(), "xvfb-run missing on CI");
        eprintln!("SKIPPED: xvfb-run not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("worldsmith-project-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("demo.wsproj");
    let world = worldsmith::generate::generate_world(11);
    worldsmith::project::save(&path, &world, &worldsmith::project::EditorState::default())
        .expect("save");
    let mut args = vec![path.as_os_str()];
    args.extend(
        ["--window-size", "1400x800", "--exit-after-frames", "4"]
            .iter()
            .map(std::ffi::OsStr::new),
    );
    let (stdout, img) = run_editor(&args, &dir, "project.png");
    assert!(
        stdout.contains(&format!("loaded demo.wsproj: {} nodes", world.node_count())),
        "no load line\nstdout:\n{stdout}"
    );
    let (w, h) = img.dimensions();
    let viewport = image::imageops::crop_imm(
        &img,
        (0.3 * w as f32) as u32,
        (0.2 * h as f32) as u32,
        (0.4 * w as f32) as u32,
        (0.6 * h as f32) as u32,
    )
    .to_image();
    common::assert_not_degenerate("viewport", &viewport);
    // A clean exit leaves no recovery file behind.
    let recovery = dir.join("worldsmith").join("recovery");
    let left = std::fs::read_dir(&recovery).map_or(0, |r| r.count());
    assert_eq!(left, 0, "recovery files left in {}", recovery.display());
    std::fs::remove_dir_all(&dir).ok();
}
