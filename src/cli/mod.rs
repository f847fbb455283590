//! The command line: argument types (clap) and the headless commands (`still`, `bench`).
//! The binary (`src/main.rs`) only parses and dispatches; errors become one-line messages.

pub mod bench_variants;
mod contact_sheet;
pub mod render;
pub mod stills;

pub use bench_variants::bench_variants;
pub use stills::stills;

use crate::render::{FrameInput, GpuContext, RenderSettings, Renderer, SplatSort};
use crate::scene::{CameraView, Scene, VariantId};
use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;

mod export;
pub use export::{BenchExportArgs, ExportArgs, SplatArg, bench_export, export};

/// worldsmith: an editor for generated 3D worlds.
///
/// With no command, opens the editor on PATH (a .gltf, .glb, .ply, .spz, .splat, .ksplat or .sog file, or a
/// world-model output folder) or, without one, on the built-in generated world.
#[derive(Debug, Parser)]
#[command(name = "worldsmith", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub editor: EditorArgs,
}

/// Options of the editor window (used when no command is given).
#[derive(Debug, Args)]
pub struct EditorArgs {
    /// A project (.wsproj), a file (.gltf, .glb, .ply, .spz, .splat, .ksplat, .sog) or a world-model output folder
    /// to open instead of the generated world.
    #[arg(value_name = "PATH", value_parser = parse_existing_file)]
    pub path: Option<PathBuf>,
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Quit by itself after this many frames (for tests and screenshots).
    #[arg(long, value_name = "N")]
    pub exit_after_frames: Option<u64>,
    /// Save a PNG of the window before quitting (with --exit-after-frames).
    #[arg(long, value_name = "PATH", requires = "exit_after_frames")]
    pub screenshot: Option<PathBuf>,
    /// Initial window size, e.g. 1600x900 (at least 640x420, the smallest the window can be made).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub window_size: Option<(u32, u32)>,
    /// Select the node with this name at start (in the opened file, once it has loaded).
    #[arg(long, value_name = "NAME")]
    pub select: Option<String>,
    /// Open this window at start (e.g. for screenshots); repeat for several.
    #[arg(long, value_name = "WINDOW", value_enum)]
    pub show_window: Vec<crate::app::StartWindow>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render one still image headless (no window) to a PNG: of a file or world folder, or
    /// of the generated world when no input is given.
    Still(StillArgs),
    /// Render every chosen variant × camera headless to PNGs in a folder, plus a labelled
    /// contact sheet.
    Stills(stills::StillsArgs),
    /// Time a variant switch (resolve + first frame, and what it uploads) and a refresh of
    /// the variants panel's thumbnails on the default world.
    BenchVariants(bench_variants::BenchVariantsArgs),
    /// Render frames of the default world and print ms/frame, triangles, draw calls, adapter.
    Bench(BenchArgs),
    /// Import one file or world folder, upload it and draw one frame; print the import time,
    /// the first frame's time (GPU upload + draw) and the process's peak memory.
    BenchImport(BenchImportArgs),
    /// Time viewport picking (CPU ray casts) on the default world plus a dense mesh: the BVH
    /// build once, then picks at random pixels; print median and p95 per pick and the CPU.
    BenchPick(BenchPickArgs),
    /// Edit-to-pixel: time and count the uploads of the frame after a material, light,
    /// colour and transform edit on the default world plus a dense mesh, and the memory one
    /// undo step of a geometry edit of that mesh holds.
    BenchEdit(BenchEditArgs),
    /// Generate the built-in world for a seed and save it as a project (.wsproj).
    New(NewArgs),
    /// Save and load a project of the generated world (or of INPUT) several times; print
    /// the save and load times and the file size.
    BenchProject(BenchProjectArgs),
    /// Export the generated world (or a project, file or world folder) as glTF (.glb, or
    /// .gltf with files beside it), or one splat layer as .ply / .spz.
    Export(ExportArgs),
    /// Time GLB export of the generated world (or INPUT); print the median and the size.
    BenchExport(BenchExportArgs),
    /// Render a shot (or a frame range of it) to an MP4 or a folder of PNG frames, through
    /// the on-disk frame cache. Exit codes: 0 done, 1 error, 2 usage, 3 cancelled.
    Render(render::RenderArgs),
    /// Join MP4 chunks of one shot (rendered with the same settings) into one MP4 without
    /// re-encoding.
    Join(render::JoinArgs),
    /// Clip throughput (frames/s) of the generated world's first shot, split into render,
    /// readback and encode, and the frame cache's format costs.
    BenchClip(render::BenchClipArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The project file to write (.wsproj); an existing one is replaced atomically and kept
    /// as NAME.wsproj.bak.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct BenchProjectArgs {
    /// A file or world folder to import and save as a project instead of the generated world.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Save/load rounds (the median is printed).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// Folder for the project file (default: the system's temporary folder); it is deleted
    /// afterwards.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchPickArgs {
    /// Seed of the built-in generated world (and of the random pixels).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Triangles in the whole scene: a bumpy grid mesh in front of the camera makes up what
    /// the world lacks.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(1..=MAX_SYNTHETIC))]
    pub triangles: u32,
    /// Number of timed picks.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub picks: u32,
    /// Viewport size the pixels are drawn from.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Add a seeded synthetic cloud of this many Gaussian splats in front of the camera
    /// (as `bench --splats`); its BVH is built with the meshes', and the splat selection
    /// tool's rectangle, lasso and brush are timed over it.
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=MAX_SYNTHETIC))]
    pub splats: u32,
}

#[derive(Debug, Args)]
pub struct BenchImportArgs {
    /// The file (.gltf, .glb, .ply, .spz, .splat, .ksplat, .sog) or world-model folder to import.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Size of the frame drawn after the import.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    pub size: (u32, u32),
}

#[derive(Debug, Args)]
pub struct StillArgs {
    /// A project (.wsproj), a file (.gltf, .glb, .ply, .spz, .splat, .ksplat, .sog) or a world-model output folder
    /// to render instead of the generated world.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Image size in pixels, e.g. 1280x720.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Output PNG path.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Render from the camera node with this name (e.g. Main, Street, Lake).
    #[arg(long, value_name = "NAME")]
    pub camera: Option<String>,
    /// Render straight from one side, orthographic, framing everything: a plan (top) or an
    /// elevation (front, back, left, right).
    #[arg(long, value_name = "SIDE", conflicts_with = "camera")]
    pub view: Option<ViewSide>,
    /// Render this variant ("base" for the base scene). Default: the variant a project was
    /// saved showing, else the base.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Draw every mesh's edges over the image, as the viewport's wireframe overlay does (to
    /// show a generated or imported mesh's topology).
    #[arg(long)]
    pub wireframe: bool,
    /// With --wireframe: how much the edges cover the image, 0 to 1 (default 0.55).
    #[arg(long, requires = "wireframe", value_name = "0..1", value_parser = opacity)]
    pub wire_opacity: Option<f32>,
    /// Solid shading, as the viewport's: every mesh in clay grey under a studio light before
    /// a neutral backdrop, whatever its materials and the lights.
    #[arg(long)]
    pub solid: bool,
    /// With --solid: what colours the meshes: clay grey, a random colour per object, the
    /// materials' base colours and vertex colours, or also their base colour textures.
    #[arg(long, requires = "solid", value_enum, value_name = "COLOR")]
    pub solid_color: Option<SolidColorArg>,
    /// With --solid: the colours as they are, without the studio light (Blender's Flat
    /// lighting).
    #[arg(long, requires = "solid")]
    pub flat: bool,
    /// With --solid: shade by a MatCap instead of the studio light (Blender's MatCap
    /// lighting): ceramic, metal, wax, toon or normals.
    #[arg(long, requires = "solid", conflicts_with = "flat", value_name = "NAME", value_parser = matcap)]
    pub matcap: Option<crate::render::Matcap>,
    /// With --solid: each object in its own colour (short for --solid-color random).
    #[arg(long, requires = "solid", conflicts_with = "solid_color")]
    pub random_colors: bool,
    /// X-ray, as the viewport's (Alt+Z): every mesh drawn see-through, so that what lies
    /// behind shows (half opaque in solid shading; lit, at half its own alpha).
    #[arg(long)]
    pub xray: bool,
    /// With --xray: how opaque the meshes stay, 0 to 1 (default 0.5).
    #[arg(long, requires = "xray", value_name = "0..1", value_parser = opacity)]
    pub xray_alpha: Option<f32>,
}

/// `--wire-opacity`: a number from 0 to 1.
fn opacity(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("'{s}' is not an opacity from 0 to 1")),
    }
}

/// `--matcap`: a MatCap's name, in any case.
fn matcap(s: &str) -> Result<crate::render::Matcap, String> {
    crate::render::Matcap::from_name(s).ok_or_else(|| {
        let names: Vec<String> = crate::render::Matcap::ALL
            .iter()
            .map(|m| m.label().to_lowercase())
            .collect();
        format!("'{s}' is not a MatCap ({})", names.join(", "))
    })
}

/// `--solid-color`'s values (the View menu's Solid colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SolidColorArg {
    Clay,
    Random,
    Material,
    Texture,
}

impl From<SolidColorArg> for crate::render::SolidColor {
    fn from(c: SolidColorArg) -> Self {
        use crate::render::SolidColor;
        match c {
            SolidColorArg::Clay => SolidColor::Clay,
            SolidColorArg::Random => SolidColor::Random,
            SolidColorArg::Material => SolidColor::Material,
            SolidColorArg::Texture => SolidColor::Texture,
        }
    }
}

/// A side of the scene `still --view` renders from (glTF axes: +Y up, +Z front).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ViewSide {
    Top,
    Bottom,
    Front,
    Back,
    Left,
    Right,
}

impl ViewSide {
    pub fn axis(self) -> crate::scene::ViewAxis {
        use crate::scene::ViewAxis;
        match self {
            ViewSide::Top => ViewAxis::Top,
            ViewSide::Bottom => ViewAxis::Bottom,
            ViewSide::Front => ViewAxis::Front,
            ViewSide::Back => ViewAxis::Back,
            ViewSide::Left => ViewAxis::Left,
            ViewSide::Right => ViewAxis::Right,
        }
    }
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Frames rendered per size (after 3 warm-up frames).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub frames: u32,
    /// Comma-separated sizes.
    #[arg(long, value_delimiter = ',', default_value = "1280x720,1920x1080", value_parser = parse_size)]
    pub sizes: Vec<(u32, u32)>,
    /// Extra idle copies of the world's trees to add (checks frame time does not grow with
    /// idle objects through re-uploads).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub extra_idle_nodes: u32,
    /// Orbit the camera 1° per frame (shadow maps then redraw every frame) instead of a
    /// fixed view.
    #[arg(long)]
    pub orbit: bool,
    /// Keep the shadow cascades fitted on the first frame instead of refitting them to each
    /// view, as the viewport's camera-motion frames on software adapters do (`Renderer::
    /// hold_shadows`; with --orbit).
    #[arg(long)]
    pub hold_shadows: bool,
    /// Shade every pixel with every point and spot light instead of the lights listed for its
    /// screen tile (`Renderer::cull_lights`; same pictures, to measure what the lists save).
    #[arg(long)]
    pub no_light_culling: bool,
    /// Also print each render pass's GPU time (timestamp queries: median per pass over the
    /// timed frames), where the adapter has them.
    #[arg(long)]
    pub gpu_passes: bool,
    /// MSAA samples (1 or 4).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=4))]
    pub msaa: u32,
    /// Shadow map resolution per cascade.
    #[arg(long, default_value_t = 2048)]
    pub shadow_map_size: u32,
    /// Draw the viewport's ground grid, as the editor does (splats are then drawn in two
    /// parts, those beyond the grid's plane before it and the rest after).
    #[arg(long)]
    pub grid: bool,
    /// Draw the viewport's wireframe overlay (every mesh's edges).
    #[arg(long)]
    pub wireframe: bool,
    /// Solid shading (clay grey under a studio light), as the viewport's.
    #[arg(long)]
    pub solid: bool,
    /// With --solid: the meshes' colours (see `still --solid-color`).
    #[arg(long, requires = "solid", value_enum, value_name = "COLOR")]
    pub solid_color: Option<SolidColorArg>,
    /// X-ray (every mesh see-through), as the viewport's Alt+Z.
    #[arg(long)]
    pub xray: bool,
    /// Add a seeded synthetic cloud of this many Gaussian splats (a blob in front of the
    /// camera, over the terrain). With `--orbit` they are re-sorted every frame.
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=MAX_SYNTHETIC))]
    pub splats: u32,
    /// Add a seeded synthetic line set of this many segments (random-walk wires in front of
    /// the camera, 1.5 px wide).
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=MAX_SYNTHETIC))]
    pub lines: u32,
    /// Add a seeded synthetic point cloud of this many points (a scanned-looking shell
    /// of rock in front of the camera, drawn as 2 px discs).
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=MAX_SYNTHETIC))]
    pub points: u32,
    /// Spherical-harmonics degree (0..=3) of the synthetic splats.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub sh_degree: u8,
    /// The synthetic splats' opacities are spread evenly from this up to 1 (a trained
    /// capture holds many fainter ones than the default's).
    #[arg(long, default_value_t = 0.3, value_name = "0..1", value_parser = opacity)]
    pub splat_min_opacity: f32,
    /// Where the frames sort splats: `auto` (GPU compute on real GPUs, CPU on CPU
    /// adapters), `cpu` or `gpu`. With `--splats`, CPU and GPU sort times are also compared
    /// directly.
    #[arg(long, default_value = "auto", value_enum)]
    pub splat_sort: SplatSortArg,
}

/// `--splat-sort` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SplatSortArg {
    Auto,
    Cpu,
    Gpu,
}

impl From<SplatSortArg> for SplatSort {
    fn from(a: SplatSortArg) -> Self {
        match a {
            SplatSortArg::Auto => SplatSort::Auto,
            SplatSortArg::Cpu => SplatSort::Cpu,
            SplatSortArg::Gpu => SplatSort::Gpu,
        }
    }
}

/// Largest accepted image side; GPUs guarantee 8192.
pub const MAX_SIDE: u32 = 8192;

/// Parses `WxH` (e.g. `1280x720`).
pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("'{s}' is not a size like 1280x720"))?;
    let parse = |v: &str, what: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("'{s}': {what} '{v}' is not a whole number"))
    };
    let (w, h) = (parse(w, "width")?, parse(h, "height")?);
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!(
            "'{s}': width and height must be between 1 and {MAX_SIDE}"
        ));
    }
    Ok((w, h))
}

/// Accepts the editor's PATH only if something exists there (the import reports what it is),
/// so a mistyped command (`worldsmith stil`)
/// is a usage error rather than an editor window with a failed import.
pub fn parse_existing_file(s: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(s);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "'{s}' is neither an existing file or folder nor a command (commands: still, export, new, render, join, bench, \
             bench-import, bench-project)"
        ))
    }
}

/// Resolves `--camera NAME` (or the default view).
pub fn view_for(scene: &Scene, camera: Option<&str>) -> anyhow::Result<CameraView> {
    match camera {
        None => Ok(crate::render::default_view(scene)),
        Some(name) => scene.camera_view_named(name).with_context(|| {
            let names: Vec<String> = scene.cameras().into_iter().map(|(_, n)| n).collect();
            format!(
                "no camera named '{name}' in the scene (cameras: {})",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            )
        }),
    }
}

/// The scene of a command's INPUT (a project, file or world folder; import warnings go to
/// stderr), or the generated world for `seed` when there is none.
pub fn load_input(input: Option<&std::path::Path>, seed: u64) -> anyhow::Result<Scene> {
    Ok(match input {
        Some(input) => {
            let imported = crate::import::import_path(input)?;
            for warning in &imported.warnings {
                eprintln!("worldsmith: warning: {warning}");
            }
            let mut scene = imported.scene;
            // A project keeps the exposure it was saved with: it is the user's.
            if crate::project::is_project_path(input) {
                crate::import::add_default_light_if_unlit(&mut scene);
            } else {
                crate::import::prepare_opened_scene(&mut scene);
            }
            scene
        }
        None => crate::generate::generate_world(seed),
    })
}

/// The variant called `name`: `None` for `base` (any case), else its id; an error that lists
/// the scene's variants when none has that name.
pub(crate) fn variant_by_name(scene: &Scene, name: &str) -> anyhow::Result<Option<VariantId>> {
    if name.eq_ignore_ascii_case("base") {
        return Ok(None);
    }
    match scene.variants().find(name) {
        Some(v) => Ok(Some(v.id)),
        None => {
            let names: Vec<&str> = std::iter::once("base")
                .chain(scene.variants().list.iter().map(|v| v.name.as_str()))
                .collect();
            bail!(
                "no variant named '{name}' in the scene (variants: {})",
                names.join(", ")
            )
        }
    }
}

/// The scene as the variant named `name` shows it (`"base"`: the base scene); with no name,
/// as the scene's active variant shows it.
pub fn as_variant(scene: Scene, name: Option<&str>) -> anyhow::Result<Scene> {
    let id = match name {
        None => scene.variants().active,
        Some(name) => variant_by_name(&scene, name)?,
    };
    Ok(match id.and_then(|id| scene.resolved_as(id)) {
        Some(shown) => shown,
        None => scene,
    })
}

/// Fails with a message naming `out` when the folder it would be written into is missing.
pub(crate) fn check_out_folder(out: &std::path::Path) -> anyhow::Result<()> {
    if let Some(parent) = out.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        bail!(
            "{}: the folder {} does not exist",
            out.display(),
            parent.display()
        );
    }
    Ok(())
}

/// `worldsmith still`.
pub fn still(args: &StillArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    check_out_folder(&args.out)?;
    let scene = load_input(args.input.as_deref(), args.seed)?;
    let scene = as_variant(scene, args.variant.as_deref())?;
    let (w, h) = args.size;
    let view = match args.view {
        Some(side) => crate::render::axis_view(&scene, side.axis(), w as f32 / h.max(1) as f32),
        None => view_for(&scene, args.camera.as_deref())?,
    };
    log::info!("scene ready in {:?}", t0.elapsed());
    let (ctx, mut renderer) = start_gpu(t0)?;
    let frame = FrameInput {
        scene: &scene,
        camera: view,
        settings: RenderSettings {
            overlays: crate::render::Overlays {
                wireframe: args.wireframe,
                wire_opacity: args
                    .wire_opacity
                    .unwrap_or(crate::render::DEFAULT_WIRE_OPACITY),
                solid: args.solid,
                solid_color: match args.solid_color {
                    Some(c) => c.into(),
                    None if args.random_colors => crate::render::SolidColor::Random,
                    None => crate::render::SolidColor::Clay,
                },
                solid_lighting: match args.matcap {
                    Some(m) => crate::render::SolidLighting::MatCap(m),
                    None if args.flat => crate::render::SolidLighting::Flat,
                    None => crate::render::SolidLighting::Studio,
                },
                xray: args.xray,
                xray_alpha: args.xray_alpha.unwrap_or(crate::render::XRAY_ALPHA),
                ..RenderSettings::final_frame().overlays
            },
            ..RenderSettings::final_frame()
        },
        selection: &[],
        cloud_highlight: None,
    };
    let (image, stats) = renderer.render_to_image(&ctx, &frame, w, h)?;
    log::info!("rendered and read back at {:?}", t0.elapsed());
    image
        .save_with_format(&args.out, image::ImageFormat::Png)
        .with_context(|| format!("{}: could not write the PNG", args.out.display()))?;
    log::info!("PNG written at {:?}", t0.elapsed());
    eprintln!(
        "wrote {} ({w}x{h}, {}) on {} in {:.0} ms",
        args.out.display(),
        crate::ui::drawn_summary(&stats),
        ctx.adapter_name(),
        t0.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

/// The GPU context and a renderer, started once the input has loaded: starting them beside
/// the load would save ~0.1 s, but a bad input would then also print the driver's start-up
/// notices (e.g. Mesa's about `XDG_RUNTIME_DIR` on headless machines) around its one-line
/// error.
pub(crate) fn start_gpu(t0: Instant) -> anyhow::Result<(GpuContext, Renderer)> {
    let ctx = GpuContext::headless()?;
    log::info!("adapter ready at {:?}", t0.elapsed());
    let renderer = Renderer::new(&ctx);
    log::info!("renderer ready at {:?}", t0.elapsed());
    Ok((ctx, renderer))
}

/// `worldsmith new`: the generated world saved as a project.
pub fn new_project(args: &NewArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    if !crate::project::is_project_path(&args.out) {
        bail!(
            "{}: a project file name must end in .{}",
            args.out.display(),
            crate::project::EXTENSION
        );
    }
    check_out_folder(&args.out)?;
    let scene = crate::generate::generate_world(args.seed);
    let state = crate::project::EditorState {
        seed: Some(args.seed),
        ..Default::default()
    };
    let bytes = crate::project::save(&args.out, &scene, &state)?;
    println!(
        "wrote {} (world seed {}: {} nodes, {} meshes, {} triangles; {:.1} MB) in {:.0} ms",
        args.out.display(),
        args.seed,
        scene.node_count(),
        scene.meshes().count(),
        scene.triangle_count(),
        bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

/// `worldsmith bench-project`.
pub fn bench_project(args: &BenchProjectArgs) -> anyhow::Result<()> {
    let (scene, what) = match &args.input {
        Some(input) => {
            let t = Instant::now();
            let imported = crate::import::import_path(input)?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            (
                imported.scene,
                format!(
                    "{} ({:.1} MB, imported in {ms:.0} ms)",
                    input.display(),
                    input_bytes(input) as f64 / 1e6
                ),
            )
        }
        None => (
            crate::generate::generate_world(args.seed),
            format!("generated world, seed {}", args.seed),
        ),
    };
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("bench-project-{}.wsproj", std::process::id()));
    let (points, splats) = scene.point_and_splat_count();
    println!(
        "{what}: {} nodes, {} triangles, {points} points, {splats} splats",
        scene.node_count(),
        scene.triangle_count()
    );
    let state = crate::project::EditorState::default();
    let (mut saves, mut loads) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    let result = (|| -> anyhow::Result<()> {
        for _ in 0..args.runs {
            let t = Instant::now();
            bytes = crate::project::save(&path, &scene, &state)?;
            saves.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            let loaded = crate::project::load(&path)?;
            loads.push(t.elapsed().as_secs_f64() * 1000.0);
            if loaded.scene.node_count() != scene.node_count() {
                bail!("the loaded project has a different number of nodes");
            }
        }
        Ok(())
    })();
    std::fs::remove_file(&path).ok();
    std::fs::remove_file(crate::project::backup_path(&path)).ok();
    result?;
    let (save_ms, _) = median_p95(&mut saves);
    let (load_ms, _) = median_p95(&mut loads);
    let mb = bytes as f64 / 1e6;
    println!(
        "project {mb:.1} MB: save {save_ms:.0} ms ({:.0} MB/s, incl. fsync and backup link), \
         load {load_ms:.0} ms ({:.0} MB/s); median of {} runs",
        mb / (save_ms / 1000.0).max(1e-9),
        mb / (load_ms / 1000.0).max(1e-9),
        args.runs
    );
    if let Some((_, peak)) = memory_usage() {
        println!("peak RSS: {:.0} MB", peak as f64 / 1e6);
    }
    Ok(())
}

/// Median and 95th percentile of a sample (milliseconds).
/// Most synthetic elements (splats, line segments, triangles, vertices) a benchmark makes: 20
/// million, four times HY-World's largest cloud, so a mistyped count is a usage error naming
/// the range, not an allocation that aborts the process.
const MAX_SYNTHETIC: i64 = 20_000_000;

pub fn median_p95(samples: &mut [f64]) -> (f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0);
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

/// Resident-set figures of this process from `/proc/self/status`: (current, peak) in bytes;
/// `None` where the system does not report them.
pub fn memory_usage() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Size of a file, or of the files directly in a folder.
fn input_bytes(path: &std::path::Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .map(|read| {
                read.filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    } else {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}

/// `worldsmith bench-import`.
pub fn bench_import(args: &BenchImportArgs) -> anyhow::Result<()> {
    let ctx = GpuContext::headless()?;
    let mut renderer = Renderer::new(&ctx);
    let mb = |b: u64| b as f64 / 1e6;
    let (base_rss, _) = memory_usage().unwrap_or((0, 0));
    let bytes = input_bytes(&args.input);
    let t = Instant::now();
    let imported = crate::import::import_path(&args.input)?;
    let import_ms = t.elapsed().as_secs_f64() * 1000.0;
    let after_import = memory_usage();
    let mut scene = imported.scene;
    crate::import::prepare_opened_scene(&mut scene);
    let (points, splats) = scene.point_and_splat_count();
    let view = crate::render::default_view(&scene);
    let frame = FrameInput {
        scene: &scene,
        camera: view,
        settings: RenderSettings::final_frame(),
        selection: &[],
        cloud_highlight: None,
    };
    let (w, h) = args.size;
    let target = crate::render::OffscreenTarget::new(&ctx.device, w, h);
    let turned_away = CameraView {
        world_from_view: view.world_from_view * glam::Mat4::from_rotation_y(std::f32::consts::PI),
        ..view
    };
    let mut timed_frame = |camera: CameraView| -> anyhow::Result<(f64, crate::render::FrameStats)> {
        let frame = FrameInput { camera, ..frame };
        let t = Instant::now();
        let stats = renderer.render(&frame, &target.target());
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| anyhow::anyhow!("GPU wait failed: {e}"))?;
        Ok((t.elapsed().as_secs_f64() * 1000.0, stats))
    };
    // 1. Looking away from the content: everything is uploaded (and the pipelines compiled)
    //    but nothing is drawn, so the memory peak here is "parsed and uploaded".
    let (upload_ms, uploaded) = timed_frame(turned_away)?;
    let after_upload = memory_usage();
    // 2. The default view: sorts what is in front and draws it. 3. The same view again
    //    sorts nothing: its time is the draw alone.
    let (first_frame_ms, _) = timed_frame(view)?;
    let (draw_ms, _) = timed_frame(view)?;
    println!("adapter: {}", ctx.adapter_name());
    println!(
        "{}: {:.1} MB on disk; {} nodes, {} triangles, {points} points, {splats} splats, {} warnings",
        args.input.display(),
        mb(bytes),
        scene.node_count(),
        scene.triangle_count(),
        imported.warnings.len()
    );
    println!(
        "import {import_ms:.0} ms; upload {upload_ms:.0} ms ({:.1} MB, incl. pipeline \
         compilation); import + upload {:.0} ms",
        mb(uploaded.uploads.bytes),
        import_ms + upload_ms
    );
    println!(
        "first frame {w}x{h} {first_frame_ms:.0} ms = sort {:.0} ms + draw {draw_ms:.0} ms (a second \
         frame of the same view)",
        (first_frame_ms - draw_ms).max(0.0)
    );
    if let Some((_, upload_peak)) = after_upload {
        println!(
            "peak RSS after import + upload: {:.0} MB = {:.2} × the file",
            mb(upload_peak),
            upload_peak as f64 / bytes.max(1) as f64
        );
    }
    match (after_import, memory_usage()) {
        (Some((_, import_peak)), Some((_, peak))) => println!(
            "peak RSS: {:.0} MB after import, {:.0} MB after drawing ({:.0} MB before importing: \
             GPU context and renderer; on a CPU adapter drawing adds the rasterizer's memory); \
             peak / file size = {:.2}",
            mb(import_peak),
            mb(peak),
            mb(base_rss),
            peak as f64 / bytes.max(1) as f64
        ),
        _ => println!("peak RSS: not reported on this system"),
    }
    Ok(())
}

/// `worldsmith bench`.
pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    let ctx = GpuContext::headless()?;
    let t_gen = Instant::now();
    let mut scene = crate::generate::generate_world(args.seed);
    let gen_ms = t_gen.elapsed().as_secs_f64() * 1000.0;
    if args.extra_idle_nodes > 0 {
        add_idle_copies(&mut scene, args.extra_idle_nodes);
    }
    let view = crate::render::default_view(&scene);
    if args.splats > 0 {
        let t = Instant::now();
        add_synthetic_splats(
            &mut scene,
            &view,
            SyntheticSplats {
                count: args.splats,
                sh_degree: args.sh_degree,
                min_opacity: args.splat_min_opacity,
                seed: args.seed,
            },
        )?;
        println!(
            "splats: {} (SH degree {}), generated in {:.0} ms",
            args.splats,
            args.sh_degree,
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    if args.lines > 0 {
        add_synthetic_lines(&mut scene, &view, args.lines, args.seed);
        println!("lines: {} segments", args.lines);
    }
    if args.points > 0 {
        add_synthetic_points(&mut scene, &view, args.points, args.seed);
        println!("points: {}", args.points);
    }
    println!("adapter: {}", ctx.adapter_name());
    println!(
        "world: seed {} — {} nodes, {} triangles, generated in {gen_ms:.0} ms",
        args.seed,
        scene.node_count(),
        scene.triangle_count()
    );
    let mut renderer = Renderer::new(&ctx);
    renderer.hold_shadows(args.hold_shadows);
    renderer.cull_lights(!args.no_light_culling);
    let gpu_passes = args.gpu_passes && renderer.time_gpu_passes(true);
    if args.gpu_passes && !gpu_passes {
        println!("GPU pass times: this adapter has no timestamp queries");
    }
    for &(w, h) in &args.sizes {
        let target = crate::render::OffscreenTarget::new(&ctx.device, w, h);
        let mut frame = FrameInput {
            scene: &scene,
            camera: view,
            settings: RenderSettings {
                msaa: args.msaa,
                shadow_map_size: args.shadow_map_size,
                splat_sort: args.splat_sort.into(),
                overlays: crate::render::Overlays {
                    grid: args.grid,
                    wireframe: args.wireframe,
                    solid: args.solid,
                    solid_color: args.solid_color.map(Into::into).unwrap_or_default(),
                    xray: args.xray,
                    ..RenderSettings::final_frame().overlays
                },
                ..RenderSettings::final_frame()
            },
            selection: &[],
            cloud_highlight: None,
        };
        let pivot = scene.framing_bounds().center();
        let mut last = Default::default();
        let mut uploads_after_warmup = 0u32;
        let mut shadow_passes = 0u32;
        let mut sort_ms = Vec::new();
        let mut gpu_sorts = 0u32;
        let mut first_frame_ms = 0.0;
        // Each pass label's GPU milliseconds per timed frame, in the order labels first ran,
        // and the frames' sums.
        let mut pass_ms: Vec<(&'static str, Vec<f64>)> = Vec::new();
        let mut pass_total_ms = Vec::new();
        for i in 0..3 + args.frames {
            if args.orbit {
                // Turn the camera 1° per frame around the world's centre, as a user orbiting
                // would: cascades move, so shadow maps are redrawn every frame.
                let world_from_pivot = glam::Mat4::from_translation(pivot)
                    * glam::Mat4::from_rotation_y((i as f32).to_radians())
                    * glam::Mat4::from_translation(-pivot);
                frame.camera.world_from_view = world_from_pivot * view.world_from_view;
            }
            let t = Instant::now();
            let stats = renderer.render(&frame, &target.target());
            ctx.device
                .poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| anyhow::anyhow!("GPU wait failed: {e}"))?;
            if i == 0 {
                first_frame_ms = t.elapsed().as_secs_f64() * 1000.0;
            }
            if i >= 3 {
                SAMPLES.with(|s| s.borrow_mut().push(t.elapsed().as_secs_f64() * 1000.0));
                if let Some(times) = gpu_passes.then(|| renderer.gpu_pass_times()).flatten() {
                    for (label, ms) in times.by_label() {
                        match pass_ms.iter_mut().find(|(l, _)| *l == label) {
                            Some((_, v)) => v.push(ms),
                            None => pass_ms.push((label, vec![ms])),
                        }
                    }
                    pass_total_ms.push(times.total_ms());
                }
                let u = stats.uploads;
                uploads_after_warmup += u.meshes
                    + u.textures
                    + u.material_writes
                    + u.instance_writes
                    + u.point_clouds
                    + u.splat_clouds;
                shadow_passes += stats.shadow_passes;
                gpu_sorts += stats.gpu_splat_sorts;
                if stats.splat_sorts + stats.gpu_splat_sorts > 0 {
                    sort_ms.push(stats.sort_micros as f64 / 1000.0);
                }
            }
            last = stats;
        }
        let mut samples = SAMPLES.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let (median, p95) = median_p95(&mut samples);
        println!(
            "{w}x{h}: median {median:.2} ms/frame ({:.1} fps), p95 {p95:.2} ms, {} triangles, {} draw calls, {} re-uploads and {} shadow-cascade redraws after warm-up",
            1000.0 / median.max(1e-9),
            last.triangles,
            last.draw_calls,
            uploads_after_warmup,
            shadow_passes
        );
        if !pass_total_ms.is_empty() {
            let (total, _) = median_p95(&mut pass_total_ms);
            let passes: Vec<String> = pass_ms
                .iter_mut()
                .map(|(label, v)| format!("{label} {:.2}", median_p95(v).0))
                .collect();
            println!(
                "  GPU time per pass (timestamp queries, median ms): {}; passes together {total:.2}",
                passes.join(", ")
            );
        }
        if args.lines > 0 {
            println!("  lines: {} segments drawn", last.segments);
        }
        if args.points > 0 {
            println!("  points: {} drawn", last.points);
        }
        if args.splats > 0 && sort_ms.is_empty() {
            println!(
                "  splats: {} drawn; first frame (upload + sort + draw) {first_frame_ms:.0} ms; \
                 no re-sorts after warm-up (the view holds still; --orbit re-sorts every frame)",
                last.splats
            );
        } else if args.splats > 0 {
            let (sort_median, sort_p95) = median_p95(&mut sort_ms);
            println!(
                "  splats: {} drawn; first frame (upload + sort + draw) {first_frame_ms:.0} ms; \
                 {} re-sorts after warm-up, sort median {sort_median:.2} ms, p95 {sort_p95:.2} ms \
                 of CPU time ({}; frame time minus sort is upload-free drawing)",
                last.splats,
                sort_ms.len(),
                if gpu_sorts > 0 {
                    "GPU compute sort: CPU time is recording it"
                } else {
                    "CPU radix sort"
                },
            );
        }
    }
    if args.splats > 0 {
        compare_sorts(&ctx, &scene, view, args.frames.max(5))?;
    }
    Ok(())
}

/// Sorts the splats `frames` times from views 1° apart with each sort and prints the
/// median and p95: CPU time of the CPU radix sort, GPU time of the compute sort (timestamp
/// queries where the device has them, else wall time until the GPU is idle).
fn compare_sorts(
    ctx: &GpuContext,
    scene: &Scene,
    view: CameraView,
    frames: u32,
) -> anyhow::Result<()> {
    // A small target: the draw is not what is measured.
    let target = crate::render::OffscreenTarget::new(&ctx.device, 64, 36);
    let pivot = scene.framing_bounds().center();
    let mut renderer = Renderer::new(ctx);
    let gpu = renderer.gpu_splat_sort_supported();
    let timestamps = gpu && renderer.time_gpu_splat_sorts(true);
    for sort in [SplatSort::Cpu, SplatSort::Gpu] {
        if sort == SplatSort::Gpu && !gpu {
            println!("  GPU splat sort: not supported by this adapter");
            continue;
        }
        let mut samples = Vec::new();
        let mut sorted = 0u32;
        for i in 0..frames + 1 {
            let world_from_pivot = glam::Mat4::from_translation(pivot)
                * glam::Mat4::from_rotation_y((i as f32).to_radians())
                * glam::Mat4::from_translation(-pivot);
            let frame = FrameInput {
                scene,
                camera: CameraView {
                    world_from_view: world_from_pivot * view.world_from_view,
                    ..view
                },
                settings: RenderSettings {
                    msaa: 1,
                    shadow_map_size: 256,
                    splat_sort: sort,
                    ..RenderSettings::final_frame()
                },
                selection: &[],
                cloud_highlight: None,
            };
            let stats = renderer.render(&frame, &target.target());
            let micros = if sort == SplatSort::Gpu {
                sorted = stats.gpu_splat_sorts;
                renderer.last_gpu_splat_sort_micros()
            } else {
                sorted = stats.splat_sorts;
                Some(stats.sort_micros as f64)
            };
            ctx.device
                .poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| anyhow::anyhow!("GPU wait failed: {e}"))?;
            // The first frame also uploads and builds pipelines and scratch buffers.
            if i > 0
                && let Some(m) = micros
            {
                samples.push(m / 1000.0);
            }
        }
        let (median, p95) = median_p95(&mut samples);
        let how = match sort {
            SplatSort::Gpu if timestamps => "GPU compute sort, GPU time from timestamp queries",
            SplatSort::Gpu => "GPU compute sort, wall time from submit until the GPU is idle",
            _ => "parallel CPU radix sort, CPU time",
        };
        println!(
            "  sort only ({how}): median {median:.2} ms, p95 {p95:.2} ms over {} sorts of {sorted} page(s)",
            samples.len()
        );
    }
    Ok(())
}

/// What [`add_synthetic_splats`] makes: `count` splats of SH degree `sh_degree`, opacities
/// spread evenly over `min_opacity..1`, from `seed`.
struct SyntheticSplats {
    count: u32,
    sh_degree: u8,
    min_opacity: f32,
    seed: u64,
}

/// Adds a seeded blob of Gaussian splats 25 m in front of `view` (over the terrain in the
/// default world): dense in the middle, random orientations, colours varying smoothly.
fn add_synthetic_splats(
    scene: &mut Scene,
    view: &CameraView,
    SyntheticSplats {
        count,
        sh_degree,
        min_opacity,
        seed,
    }: SyntheticSplats,
) -> anyhow::Result<()> {
    use crate::scene::{NodeKind, SplatCloud, Transform};
    use glam::{Quat, Vec3};
    let n = count as usize;
    let radius = 8.0f32;
    let center = view.position() + view.forward() * 25.0;
    let scale = radius * 0.6 / (count as f32).cbrt();
    let mut next = unit_random(seed);
    let mut positions = Vec::with_capacity(n);
    let mut rotations = Vec::with_capacity(n);
    let mut scales = Vec::with_capacity(n);
    let mut opacities = Vec::with_capacity(n);
    let mut colors = Vec::with_capacity(n);
    for _ in 0..n {
        let p = loop {
            let p = Vec3::new(next(), next(), next()) * 2.0 - 1.0;
            if p.length_squared() <= 1.0 {
                break p;
            }
        };
        positions.push((p * radius * Vec3::new(1.0, 0.6, 1.0)).to_array());
        let q = Quat::from_xyzw(next() - 0.5, next() - 0.5, next() - 0.5, next() - 0.5);
        rotations.push(q.normalize().to_array());
        scales.push([
            scale * (0.5 + next()),
            scale * (0.5 + next()),
            scale * (0.2 + next()),
        ]);
        opacities.push(min_opacity + (1.0 - min_opacity) * next());
        colors.push((p * 0.4 + 0.5).to_array());
    }
    let rest = SplatCloud::sh_rest_coefficients(sh_degree) * 3 * n;
    let sh_rest = (0..rest)
        .map(|_| half::f16::from_f32((next() - 0.5) * 0.2))
        .collect();
    let cloud = SplatCloud::new(
        positions, rotations, scales, opacities, colors, sh_degree, sh_rest,
    )
    .context("synthetic splats")?;
    let id = scene.add_splat_cloud(cloud);
    scene.add_node(
        None,
        "Synthetic splats",
        Transform::from_translation(center),
        NodeKind::Splats { cloud: id },
    );
    Ok(())
}

/// A seeded xorshift generator of numbers in [0, 1) for synthetic benchmark content.
fn unit_random(seed: u64) -> impl FnMut() -> f32 {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// `count` segments of seeded random-walk wires (1,000 polylines, steps of ~5 cm, coloured
/// by direction) in a 16 m ball 25 m in front of the camera, as one line node.
fn add_synthetic_lines(scene: &mut Scene, view: &CameraView, count: u32, seed: u64) {
    use crate::scene::{NodeKind, PointCloud, Transform};
    use glam::Vec3;
    let n = count as usize;
    let mut next = unit_random(seed);
    let wires = 1000.min(n.max(1));
    let per_wire = n.div_ceil(wires);
    let mut positions = Vec::with_capacity(n + wires);
    let mut colors = Vec::with_capacity(n + wires);
    let mut segments = Vec::with_capacity(n);
    while segments.len() < n {
        let mut p = (Vec3::new(next(), next(), next()) * 2.0 - 1.0) * 8.0;
        let mut dir = Vec3::X;
        positions.push(p.to_array());
        colors.push([255, 255, 255, 255]);
        for _ in 0..per_wire.min(n - segments.len()) {
            let turn = (Vec3::new(next(), next(), next()) * 2.0 - 1.0) * 0.6;
            dir = (dir + turn).normalize_or(Vec3::X);
            p = (p + dir * 0.05).clamp(Vec3::splat(-8.0), Vec3::splat(8.0));
            let c = (dir * 0.5 + 0.5) * 255.0;
            segments.push([positions.len() as u32 - 1, positions.len() as u32]);
            positions.push(p.to_array());
            colors.push([c.x as u8, c.y as u8, c.z as u8, 255]);
        }
    }
    let (cloud, _) = PointCloud::new(positions, colors, Vec::new()).with_segments(segments);
    let cloud = scene.add_point_cloud(cloud);
    scene.add_node(
        None,
        "Synthetic lines",
        Transform::from_translation(view.position() + view.forward() * 25.0),
        NodeKind::Lines {
            cloud,
            width_px: crate::scene::DEFAULT_LINE_WIDTH_PX,
        },
    );
}

/// `count` seeded points on a lumpy 8 m shell 25 m in front of the camera (a scanned
/// boulder's surface, shaded grey-brown by height and jitter), as one point node of
/// [`DEFAULT_POINT_SIZE_PX`](crate::scene::DEFAULT_POINT_SIZE_PX) discs.
fn add_synthetic_points(scene: &mut Scene, view: &CameraView, count: u32, seed: u64) {
    use crate::scene::{NodeKind, PointCloud, Transform};
    use glam::Vec3;
    let n = count as usize;
    let mut next = unit_random(seed ^ 0x5eed_0f90_1e70);
    let mut positions = Vec::with_capacity(n);
    let mut colors = Vec::with_capacity(n);
    while positions.len() < n {
        let d = Vec3::new(next(), next(), next()) * 2.0 - 1.0;
        let Some(dir) = d.try_normalize().filter(|_| d.length_squared() <= 1.0) else {
            continue;
        };
        let lump = 1.0 + 0.15 * (dir.x * 5.0).sin() * (dir.z * 4.0).cos() + 0.02 * next();
        let p = dir * 8.0 * lump * Vec3::new(1.0, 0.6, 1.0);
        let shade = 110.0 + 60.0 * dir.y + 40.0 * next();
        positions.push(p.to_array());
        colors.push([shade as u8, (shade * 0.9) as u8, (shade * 0.75) as u8, 255]);
    }
    let cloud = scene.add_point_cloud(PointCloud::new(positions, colors, Vec::new()));
    scene.add_node(
        None,
        "Synthetic points",
        Transform::from_translation(view.position() + view.forward() * 25.0),
        NodeKind::Points {
            cloud,
            point_size_px: crate::scene::DEFAULT_POINT_SIZE_PX,
        },
    );
}

/// The CPU model, from `/proc/cpuinfo`, and the number of logical CPUs.
pub(crate) fn cpu_name() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{model}, {cores} logical CPUs")
}

/// A `cells` × `cells` grid of bumpy terrain, `size` metres wide (2 · cells² triangles).
fn bumpy_grid(cells: u32, size: f32) -> crate::scene::Mesh {
    let n = cells + 1;
    let mut positions = Vec::with_capacity((n * n) as usize);
    for j in 0..n {
        for i in 0..n {
            let (u, v) = (i as f32 / cells as f32, j as f32 / cells as f32);
            let (x, z) = ((u - 0.5) * size, (v - 0.5) * size);
            let y =
                (x * 0.7).sin() * 0.6 + (z * 0.45).cos() * 0.8 + (x * 3.1 + z * 2.3).sin() * 0.1;
            positions.push([x, y, z]);
        }
    }
    let mut indices = Vec::with_capacity((cells * cells * 6) as usize);
    for j in 0..cells {
        for i in 0..cells {
            let a = j * n + i;
            let (b, c, d) = (a + 1, a + n, a + n + 1);
            indices.extend_from_slice(&[a, c, b, b, c, d]);
        }
    }
    crate::scene::Mesh::new(positions, Vec::new(), Vec::new(), Vec::new(), indices)
}

/// `worldsmith bench-pick`.
pub fn bench_pick(args: &BenchPickArgs) -> anyhow::Result<()> {
    use crate::pick::{PickOptions, PickView, Picker};
    use crate::scene::{Material, NodeKind, Transform};
    let mut scene = crate::generate::generate_world(args.seed);
    let view = view_for(&scene, None)?;
    let world_triangles = scene.triangle_count();
    let missing = (args.triangles as usize).saturating_sub(world_triangles);
    if missing > 0 {
        let cells = ((missing as f64 / 2.0).sqrt().ceil() as u32).max(1);
        let mesh = scene.add_mesh(bumpy_grid(cells, 60.0));
        let material = scene.add_material(Material::named("Grid", [0.5, 0.5, 0.5, 1.0], 0.8));
        scene.add_node(
            None,
            "Dense grid",
            Transform::from_translation(view.position() + view.forward() * 30.0),
            NodeKind::Mesh { mesh, material },
        );
    }
    if args.splats > 0 {
        add_synthetic_splats(
            &mut scene,
            &view,
            SyntheticSplats {
                count: args.splats,
                sh_degree: 0,
                min_opacity: 0.3,
                seed: args.seed,
            },
        )?;
    }
    let triangles = scene.triangle_count();
    let (w, h) = args.size;
    let pick_view = PickView::new(view, w as f32, h as f32);
    let mut picker = Picker::default();
    let start = Instant::now();
    let built = picker.prepare(&scene);
    let build_ms = start.elapsed().as_secs_f64() * 1000.0;

    let mut state = args.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut samples = Vec::with_capacity(args.picks as usize);
    let mut hits = 0u32;
    for _ in 0..args.picks {
        let pixel = glam::Vec2::new(next() * w as f32, next() * h as f32);
        let start = Instant::now();
        let hit = picker.pick(&scene, &pick_view, pixel, PickOptions::default());
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
        hits += u32::from(hit.is_some());
    }
    let (median, p95) = median_p95(&mut samples);
    let max = samples.last().copied().unwrap_or(0.0);
    println!(
        "scene: seed {}, {} nodes, {triangles} triangles ({world_triangles} in the world)",
        args.seed,
        scene.node_count()
    );
    if args.splats > 0 {
        println!("splats: {} in one cloud", args.splats);
    }
    println!(
        "bvh build: {build_ms:.0} ms for {built} meshes and clouds ({} nodes)",
        picker.bvh_nodes()
    );
    println!(
        "pick {}x{} from the Main camera, {} random pixels ({hits} hits): median {median:.3} ms, p95 {p95:.3} ms, max {max:.3} ms",
        w, h, args.picks
    );
    // Box selections over the middle half of the view, as a designer drags one over part of
    // the world: X-ray off rasterises the box's pixels, X-ray on takes what lies behind too.
    let (lo, hi) = (
        glam::Vec2::new(w as f32, h as f32) * 0.25,
        glam::Vec2::new(w as f32, h as f32) * 0.75,
    );
    for xray in [false, true] {
        let mut samples = Vec::with_capacity(5);
        let mut found = 0;
        for _ in 0..5 {
            let start = Instant::now();
            found = picker
                .box_select(
                    &scene,
                    &pick_view,
                    lo,
                    hi,
                    PickOptions {
                        xray,
                        ..PickOptions::default()
                    },
                )
                .len();
            samples.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        let (median, p95) = median_p95(&mut samples);
        println!(
            "box select, middle half of the view, X-ray {}: {found} nodes, median {median:.1} ms, p95 {p95:.1} ms (5 runs)",
            if xray { "on" } else { "off" }
        );
    }
    if args.splats > 0 {
        bench_screen_select(&scene, &pick_view)?;
    }
    println!("cpu: {}", cpu_name());
    Ok(())
}

/// Times the splat selection tool's shapes (`pick::select_in_shape`) over the largest splat
/// cloud: a rectangle over the middle of the view, a 64-point lasso circle, and one frame's
/// brush segment.
fn bench_screen_select(scene: &Scene, view: &crate::pick::PickView) -> anyhow::Result<()> {
    use crate::pick::{
        FrontElements, ScreenShape, project_centres, select_in_shape, select_projected,
        select_visible, surface,
    };
    use crate::scene::NodeKind;
    use glam::Vec2;
    let (node, cloud) = scene
        .nodes()
        .filter_map(|n| match n.kind {
            NodeKind::Splats { cloud } => Some((n.id, scene.splat_cloud(cloud)?)),
            _ => None,
        })
        .max_by_key(|(_, c)| c.len())
        .ok_or_else(|| anyhow::anyhow!("no splat cloud to select in"))?;
    let world_from_local = scene.world_from_local(node);
    let clip_from_local = view.clip_from_world() * world_from_local;
    let size = view.size_px();
    let center = size * 0.5;
    // X-ray off: the surface once per view, then each shape's visible splats.
    let elements = FrontElements::Splats(cloud);
    let mut surfaces = Vec::new();
    let mut front = None;
    for _ in 0..5 {
        let start = Instant::now();
        front = Some(surface(view, world_from_local, elements, |_| false));
        surfaces.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let front = front.unwrap_or_default();
    let (surface_median, surface_p95) = median_p95(&mut surfaces);
    println!(
        "select splats, X-ray off: the view's surface (pass 1) median {surface_median:.1} ms, p95 {surface_p95:.1} ms (5 runs)"
    );
    // The opaque meshes in front, rasterised once per view beside pass 1.
    let mut rasters = Vec::new();
    let mut covered = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let occluders = crate::pick::mesh_depth(scene, view);
        rasters.push(start.elapsed().as_secs_f64() * 1000.0);
        covered = occluders.covered();
    }
    let (raster_median, raster_p95) = median_p95(&mut rasters);
    println!(
        "select splats, X-ray off: the opaque meshes' depth ({} triangles in the scene, {covered} pixels covered) median {raster_median:.1} ms, p95 {raster_p95:.1} ms (5 runs)",
        scene.triangle_count()
    );
    let r = size.y * 0.3;
    let lasso: Vec<Vec2> = (0..64)
        .map(|i| {
            let a = i as f32 / 64.0 * std::f32::consts::TAU;
            center + Vec2::new(a.cos(), a.sin()) * r
        })
        .collect();
    for (what, shape) in [
        (
            "rectangle (middle half of the view)",
            ScreenShape::Rect {
                min: size * 0.25,
                max: size * 0.75,
            },
        ),
        ("lasso (64-point circle)", ScreenShape::Lasso(lasso)),
        (
            "brush segment (30 px radius, 40 px long)",
            ScreenShape::Brush {
                path: vec![center, center + Vec2::new(40.0, 0.0)],
                radius: 30.0,
            },
        ),
    ] {
        let mut samples = Vec::new();
        let mut reused = Vec::new();
        let mut selected = 0;
        let projected = project_centres(&cloud.positions, clip_from_local, size);
        for _ in 0..20 {
            let start = Instant::now();
            let mask = select_in_shape(&cloud.positions, clip_from_local, size, &shape);
            samples.push(start.elapsed().as_secs_f64() * 1000.0);
            selected = mask.count();
            // What a brush stroke's later frames cost: the centres projected once.
            let start = Instant::now();
            let again = select_projected(&projected, size, &shape);
            reused.push(start.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(again == mask, "projected once and per call disagree");
        }
        let (median, p95) = median_p95(&mut samples);
        let (reused_median, _) = median_p95(&mut reused);
        println!(
            "select splats, {what}: {selected} of {} selected, median {median:.2} ms, p95 {p95:.2} ms (20 runs); centres already projected: median {reused_median:.2} ms",
            cloud.len()
        );
        let mut visible_samples = Vec::new();
        let mut visible = 0;
        for _ in 0..5 {
            let start = Instant::now();
            let mask = select_visible(&front, view, world_from_local, elements, |_| false, &shape);
            visible_samples.push(start.elapsed().as_secs_f64() * 1000.0);
            visible = mask.count();
        }
        let (visible_median, visible_p95) = median_p95(&mut visible_samples);
        println!(
            "    X-ray off (pass 2): {visible} seen of them, median {visible_median:.1} ms, p95 {visible_p95:.1} ms (5 runs)"
        );
    }
    Ok(())
}

thread_local! {
    static SAMPLES: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Adds `count` hidden-from-nothing copies of existing mesh nodes (same meshes, new nodes),
/// spread around, to measure that idle objects cost no re-uploads.
fn add_idle_copies(scene: &mut Scene, count: u32) {
    use crate::scene::{NodeKind, Transform};
    let meshes: Vec<_> = scene
        .nodes()
        .filter_map(|n| match n.kind {
            NodeKind::Mesh { mesh, material } => Some((mesh, material)),
            _ => None,
        })
        .filter(|(mesh, _)| scene.mesh(*mesh).is_some_and(|m| m.triangle_count() < 2000))
        .take(16)
        .collect();
    if meshes.is_empty() {
        return;
    }
    let group = scene.add_node(None, "Idle copies", Transform::IDENTITY, NodeKind::Empty);
    for i in 0..count {
        let (mesh, material) = meshes[i as usize % meshes.len()];
        let x = (i % 100) as f32 * 2.0 - 100.0;
        let z = (i / 100) as f32 * 2.0 - 100.0;
        scene.add_node(
            Some(group),
            &format!("Copy_{i}"),
            Transform::from_translation(glam::Vec3::new(x, -50.0, z)),
            NodeKind::Mesh { mesh, material },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_sizes_explain() {
        assert_eq!(parse_size("1280x720"), Ok((1280, 720)));
        assert_eq!(parse_size("64X32"), Ok((64, 32)));
        for bad in ["1280", "0x10", "10x0", "axb", "99999x10", "-5x5", ""] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.contains(bad) || bad.is_empty(), "{e}");
        }
    }

    #[test]
    fn a_path_opens_the_editor_and_commands_still_parse() {
        use clap::Parser as _;
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let cli = Cli::try_parse_from(["worldsmith", file, "--seed", "3"]).expect("path");
        assert!(cli.command.is_none());
        assert_eq!(cli.editor.path, Some(PathBuf::from(file)));
        let e = Cli::try_parse_from(["worldsmith", "stil"]).expect_err("typo");
        assert!(e.to_string().contains("'stil'"), "{e}");
        let cli = Cli::try_parse_from(["worldsmith", "still", "--out", "a.png"]).expect("still");
        assert!(matches!(cli.command, Some(Command::Still(_))));
        assert!(Cli::try_parse_from(["worldsmith", "bench"]).is_ok());
        let cli = Cli::try_parse_from(["worldsmith"]).expect("no args");
        assert_eq!(cli.editor.path, None);
    }

    #[test]
    fn percentiles() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let (m, p) = median_p95(&mut v);
        assert!((50.0..=51.0).contains(&m));
        assert!((94.0..=96.0).contains(&p));
    }
}

/// `worldsmith bench-edit`: what the frame after an edit uploads and costs, and what one undo
/// step of a geometry edit keeps.
#[derive(Debug, Args)]
pub struct BenchEditArgs {
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Vertices of the dense mesh added to the world.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(3..=MAX_SYNTHETIC))]
    pub vertices: u32,
    /// Image size.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    pub size: (u32, u32),
}

pub fn bench_edit(args: &BenchEditArgs) -> anyhow::Result<()> {
    use crate::edit::{Command, History, ops};
    use crate::scene::{ColorGrade, Material, NodeKind, Transform};
    let ctx = GpuContext::headless()?;
    let mut scene = crate::generate::generate_world(args.seed);
    let view = view_for(&scene, None)?;
    let side = (f64::from(args.vertices).sqrt().ceil() as u32).max(2);
    let dense = crate::generate::shapes::plane(glam::Vec2::splat(40.0), side - 1);
    let vertices = dense.vertex_count();
    let mesh = scene.add_mesh(dense);
    let material = scene.add_material(Material::named("Dense", [0.6, 0.6, 0.6, 1.0], 0.7));
    let dense_node = scene.add_node(
        None,
        "Dense",
        Transform::from_translation(view.position() + view.forward() * 30.0),
        NodeKind::Mesh { mesh, material },
    );
    let (w, h) = args.size;
    let target = crate::render::OffscreenTarget::new(&ctx.device, w, h);
    let mut renderer = Renderer::new(&ctx);
    let settings = RenderSettings::final_frame();
    let mut history = History::default();
    let mut render = |scene: &Scene| {
        let frame = FrameInput {
            scene,
            camera: view,
            settings,
            selection: &[],
            cloud_highlight: None,
        };
        let t = Instant::now();
        let stats = renderer.render(&frame, &target.target());
        ctx.device.poll(wgpu::PollType::wait_indefinitely()).ok();
        (t.elapsed().as_secs_f64() * 1000.0, stats)
    };
    let (first_ms, _) = render(&scene);
    let (idle_ms, _) = render(&scene);
    println!(
        "adapter: {} — {} triangles, dense mesh {vertices} vertices; first frame {first_ms:.1} ms, unchanged frame {idle_ms:.1} ms",
        ctx.adapter_name(),
        scene.triangle_count()
    );
    let lamp = scene
        .nodes()
        .find(|n| matches!(n.kind, NodeKind::Light(_)))
        .map(|n| n.id)
        .ok_or_else(|| anyhow::anyhow!("the world has no light"))?;
    let mut edits: Vec<(&str, Command)> = Vec::new();
    let mut m = scene.material(material).cloned().unwrap_or_default();
    m.base_color = [0.9, 0.2, 0.1, 1.0];
    edits.push((
        "material colour",
        Command::SetMaterial {
            material,
            value: Box::new(m),
        },
    ));
    if let Some(NodeKind::Light(mut l)) = scene.node(lamp).map(|n| n.kind.clone()) {
        l.intensity *= 2.0;
        edits.push((
            "light intensity",
            Command::SetLight {
                node: lamp,
                light: l,
            },
        ));
    }
    edits.push((
        "colour adjust",
        Command::SetGrade {
            node: dense_node,
            grade: ColorGrade {
                saturation: 0.3,
                ..ColorGrade::default()
            },
        },
    ));
    let mut moved = scene
        .node(dense_node)
        .map(|n| n.transform)
        .unwrap_or_default();
    moved.translation.y += 1.0;
    edits.push((
        "transform",
        Command::SetTransform {
            node: dense_node,
            transform: moved,
        },
    ));
    for (what, command) in edits {
        history.execute(&mut scene, command);
        let (ms, stats) = render(&scene);
        let u = stats.uploads;
        println!(
            "{what:>16}: next frame {ms:6.1} ms; uploads: {} meshes, {} textures, {} material writes, {} instance writes, {} bytes",
            u.meshes, u.textures, u.material_writes, u.instance_writes, u.bytes
        );
    }
    // One undo step of a geometry edit keeps the replaced mesh, nothing else.
    let geometry_bytes: usize = scene.meshes().map(|(_, m)| m.byte_size()).sum();
    let t = Instant::now();
    let command = ops::reshade(&scene, &[dense_node], ops::Reshade::FlipNormals)?;
    history.execute(&mut scene, command);
    let edit_ms = t.elapsed().as_secs_f64() * 1000.0;
    let step = history.last_step_bytes();
    let t = Instant::now();
    history.undo(&mut scene);
    let undo_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "flip normals of {vertices} vertices: {edit_ms:.0} ms, undo {undo_ms:.1} ms; the undo step holds {:.1} MB (the old mesh) of {:.1} MB of scene geometry",
        step as f64 / 1e6,
        geometry_bytes as f64 / 1e6
    );
    Ok(())
}
