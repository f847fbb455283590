//! `worldsmith export` and `worldsmith bench-export`.

use crate::export::{ExportOptions, GltfFormat, SplatFormat};
use crate::scene::{NodeId, Scene};
use anyhow::{Context as _, bail};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A project (.wsproj), a file (.gltf, .glb, .ply, .spz, .splat, .ksplat, .sog) or a world-model output folder
    /// to export instead of the generated world.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    /// Seed of the built-in generated world (when no INPUT is given).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The file to write: .glb (binary glTF), .gltf (with .bin and images beside it), or
    /// .ply / .spz for one splat layer (or .ply for a point cloud), picked with --selection
    /// or the only one in the scene.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Export only the nodes with these names and everything under them.
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub selection: Vec<String>,
    /// Bake world transforms into the vertex data (a flat list of nodes).
    #[arg(long)]
    pub apply_transforms: bool,
    /// Also export hidden nodes.
    #[arg(long)]
    pub include_hidden: bool,
    /// Format of the splat layers written beside a glTF export.
    #[arg(long, value_enum, default_value = "ply")]
    pub splats: SplatArg,
    /// Export the scene as this variant shows it (lighting and materials baked in). Without
    /// it the base scene is written, with the variants' material changes as
    /// KHR_materials_variants.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
}

/// `--splats` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SplatArg {
    Ply,
    Spz,
}

impl From<SplatArg> for SplatFormat {
    fn from(a: SplatArg) -> Self {
        match a {
            SplatArg::Ply => SplatFormat::Ply,
            SplatArg::Spz => SplatFormat::Spz,
        }
    }
}

#[derive(Debug, Args)]
pub struct BenchExportArgs {
    /// A project, file or world folder to export instead of the generated world.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Export rounds (the median is printed).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
}

/// The scene of `input` (warnings printed), or the generated world.
fn load(input: Option<&Path>, seed: u64) -> anyhow::Result<Scene> {
    Ok(match input {
        Some(input) => {
            let imported = crate::import::import_path(input)?;
            for warning in &imported.warnings {
                eprintln!("worldsmith: warning: {warning}");
            }
            imported.scene
        }
        None => crate::generate::generate_world(seed),
    })
}

/// The nodes named `names` (each must exist).
fn find_nodes(scene: &Scene, names: &[String]) -> anyhow::Result<Vec<NodeId>> {
    names
        .iter()
        .map(|name| {
            scene.find(name).with_context(|| {
                let mut known: Vec<&str> = scene.nodes().map(|n| n.name.as_str()).collect();
                known.sort_unstable();
                known.truncate(12);
                format!(
                    "no node named '{name}' in the scene (some names: {})",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// `worldsmith export`.
pub fn export(args: &ExportArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let out = &args.out;
    super::check_out_folder(out)?;
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if !["glb", "gltf", "ply", "spz"].contains(&ext.as_str()) {
        bail!(
            "{}: the output must end in .glb, .gltf, .ply or .spz",
            out.display()
        );
    }
    let mut scene = load(args.input.as_deref(), args.seed)?;
    if let Some(name) = &args.variant {
        scene = super::as_variant(scene, Some(name))?;
    }
    let selection = find_nodes(&scene, &args.selection)?;
    let report = if ext == "ply" || ext == "spz" {
        let clouds: Vec<NodeId> = if selection.is_empty() {
            scene
                .nodes()
                .filter(|n| n.kind.is_layer())
                .map(|n| n.id)
                .collect()
        } else {
            selection.clone()
        };
        let [node] = clouds.as_slice() else {
            bail!(
                "{}: {} splat or point layers to choose from; name one with --selection",
                out.display(),
                clouds.len()
            );
        };
        let format = if ext == "spz" {
            SplatFormat::Spz
        } else {
            SplatFormat::Ply
        };
        crate::export::export_cloud(&scene, *node, out, format)?
    } else {
        let options = ExportOptions {
            selection_only: (!selection.is_empty()).then_some(selection),
            apply_transforms: args.apply_transforms,
            include_hidden: args.include_hidden,
            format: if ext == "gltf" {
                GltfFormat::Separate
            } else {
                GltfFormat::Glb
            },
            splats: args.splats.into(),
        };
        crate::export::export_gltf(&scene, out, &options)?
    };
    for warning in &report.warnings {
        eprintln!("worldsmith: warning: {warning}");
    }
    let others: Vec<String> = report
        .files
        .iter()
        .skip(1)
        .map(|f| f.display().to_string())
        .collect();
    eprintln!(
        "wrote {} ({} {}, {:.2} MB in all) in {:.0} ms{}",
        out.display(),
        report.count,
        if ext == "ply" || ext == "spz" {
            "splats/points"
        } else {
            "nodes"
        },
        report.bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64() * 1000.0,
        if others.is_empty() {
            String::new()
        } else {
            format!("; also {}", others.join(", "))
        }
    );
    Ok(())
}

/// `worldsmith bench-export`: GLB export time (median of `runs`) and size.
pub fn bench_export(args: &BenchExportArgs) -> anyhow::Result<()> {
    let scene = load(args.input.as_deref(), args.seed)?;
    let what = match &args.input {
        Some(p) => p.display().to_string(),
        None => format!("generated world, seed {}", args.seed),
    };
    let dir = std::env::temp_dir();
    let path = dir.join(format!("bench-export-{}.glb", std::process::id()));
    let mut times = Vec::new();
    let mut bytes = 0;
    let mut files = Vec::new();
    for _ in 0..args.runs {
        let t = Instant::now();
        let report = crate::export::export_gltf(&scene, &path, &ExportOptions::default())?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        bytes = report.bytes;
        files = report.files;
    }
    for f in &files {
        std::fs::remove_file(f).ok();
    }
    let (median, _) = super::median_p95(&mut times);
    println!(
        "{what}: GLB export {median:.1} ms (median of {}), {:.2} MB, {} triangles, {} images, CPU {}",
        args.runs,
        bytes as f64 / 1e6,
        scene.triangle_count(),
        scene.images().count(),
        super::cpu_name()
    );
    Ok(())
}
