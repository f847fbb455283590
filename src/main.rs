//! The `worldsmith` binary: parses the command line and dispatches. Errors print as one line
//! naming the problem, with a non-zero exit code; nothing panics on bad input.

use clap::Parser as _;
use worldsmith::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    quiet_device_select_without_a_display();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Still(args)) => worldsmith::cli::still(args),
        Some(Command::Stills(args)) => worldsmith::cli::stills(args),
        Some(Command::BenchVariants(args)) => worldsmith::cli::bench_variants(args),
        Some(Command::Bench(args)) => worldsmith::cli::bench(args),
        Some(Command::BenchImport(args)) => worldsmith::cli::bench_import(args),
        Some(Command::New(args)) => worldsmith::cli::new_project(args),
        Some(Command::BenchProject(args)) => worldsmith::cli::bench_project(args),
        Some(Command::BenchPick(args)) => worldsmith::cli::bench_pick(args),
        Some(Command::BenchEdit(args)) => worldsmith::cli::bench_edit(args),
        Some(Command::Export(args)) => worldsmith::cli::export(args),
        Some(Command::BenchExport(args)) => worldsmith::cli::bench_export(args),
        Some(Command::Render(args)) => worldsmith::cli::render::render(args),
        Some(Command::Join(args)) => worldsmith::cli::render::join(args),
        Some(Command::BenchClip(args)) => worldsmith::cli::render::bench_clip(args),
        None => worldsmith::app::run_editor(worldsmith::app::EditorOptions {
            path: cli.editor.path.clone(),
            seed: cli.editor.seed,
            exit_after_frames: cli.editor.exit_after_frames,
            screenshot: cli.editor.screenshot.clone(),
            window_size: cli.editor.window_size,
            select: cli.editor.select.clone(),
            windows: cli.editor.show_window.clone(),
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e)
            if matches!(
                e.downcast_ref::<worldsmith::clip::ClipError>(),
                Some(worldsmith::clip::ClipError::Cancelled)
            ) =>
        {
            eprintln!("worldsmith: cancelled; no output was written");
            std::process::ExitCode::from(worldsmith::cli::render::EXIT_CANCELLED)
        }
        Err(e) => {
            eprintln!("worldsmith: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Mesa's Vulkan device-select layer asks a Wayland compositor which GPU drives the display
/// while the Vulkan instance is created; with no graphical session at all (a render-farm
/// worker, a container, a plain SSH shell) libwayland answers by printing `error:
/// XDG_RUNTIME_DIR is invalid or not set in the environment.` twice on every run, before a
/// headless still or clip has done anything wrong. There is no display whose GPU the layer
/// could prefer then, so the layer is skipped there (`NODEVICE_SELECT=1`, the switch its
/// loader manifest names), unless the user set one of its variables (`MESA_VK_DEVICE_SELECT`,
/// `DRI_PRIME`) or the switch themselves. The adapter is still chosen by wgpu's
/// `WGPU_ADAPTER_NAME` / `WGPU_POWER_PREF` rules, as everywhere.
fn quiet_device_select_without_a_display() {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let graphical = [
        "XDG_RUNTIME_DIR",
        "WAYLAND_DISPLAY",
        "WAYLAND_SOCKET",
        "DISPLAY",
    ]
    .into_iter()
    .any(set);
    let chosen = ["NODEVICE_SELECT", "MESA_VK_DEVICE_SELECT", "DRI_PRIME"]
        .into_iter()
        .any(set);
    if !graphical && !chosen {
        // SAFETY: the first statement of `main`, before any thread is started.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}
