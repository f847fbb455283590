//! The `worldsmith` binary: parses the command line and dispatches. Errors print as one line
//! naming the problem, with a non-zero exit code; nothing panics on bad input.

use clap::Parser as _;
use worldsmith::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
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
