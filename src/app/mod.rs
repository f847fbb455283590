//! `app` runs the editor window: the winit event loop, the egui frame, the viewport render
//! target and the surface it all lands on.
//!
//! It owns the frame loop and the editor's state; the panels themselves live in
//! [`crate::ui`], the drawing of the scene in [`crate::render`]. It draws only when something
//! asks for it (input, egui animations, fly mode, a finished world generation, the
//! `--exit-after-frames` test mode), so an idle editor uses no CPU.

mod autosave;
mod cloud_select;
mod editor;
mod file_dialog;
mod gizmo;
mod gpu_window;
mod loader;
mod recent;
mod timeline_state;
mod variant_state;
mod variant_views;
mod viewport_input;
mod viewport_select;

use anyhow::Context as _;
use editor::{Editor, Waker};
use gpu_window::GpuWindow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use winit::application::ApplicationHandler;
use winit::event::{DeviceEvent, DeviceId, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy};
use winit::window::{CursorGrabMode, Window, WindowId};

use crate::generate::generate_world;
use crate::render::{FrameInput, OffscreenTarget, Overlays, RenderSettings, Renderer};
use crate::scene::{CameraView, NodeId, Revision, Scene};

/// How the editor starts.
#[derive(Clone, Debug, Default)]
pub struct EditorOptions {
    /// A glTF/GLB file to open (loaded on a worker thread once the window is up); without
    /// one the generated world is shown.
    pub path: Option<PathBuf>,
    /// Seed of the built-in world to open.
    pub seed: u64,
    /// Quit by itself after this many frames were presented (tests, screenshots).
    pub exit_after_frames: Option<u64>,
    /// Save a PNG of the whole window (egui + viewport) just before exiting.
    pub screenshot: Option<PathBuf>,
    /// Initial inner window size in logical pixels.
    pub window_size: Option<(u32, u32)>,
    /// Select the node with this name at start (e.g. for documentation screenshots).
    pub select: Option<String>,
    /// Windows open at start (e.g. for documentation screenshots).
    pub windows: Vec<StartWindow>,
}

/// A window the editor can open at start (`--show-window`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StartWindow {
    /// Help ▸ Controls.
    Controls,
    /// Help ▸ About.
    About,
    /// View ▸ Log.
    Log,
    /// Edit ▸ History.
    History,
    /// Render ▸ Render Window.
    Render,
    /// File ▸ New World.
    NewWorld,
}

impl StartWindow {
    /// Opens this window in `dialogs` (New World offering `seed`, as File ▸ New World does).
    pub fn open(self, dialogs: &mut crate::ui::Dialogs, seed: u64) {
        match self {
            Self::Controls => dialogs.controls_open = true,
            Self::About => dialogs.about_open = true,
            Self::Log => dialogs.log_open = true,
            Self::History => dialogs.history_open = true,
            Self::Render => dialogs.render_open = true,
            Self::NewWorld => dialogs.new_world = Some(crate::ui::NewWorldDialog::new(seed)),
        }
    }
}

/// Window size when none is given, in logical pixels.
const DEFAULT_WINDOW_SIZE: (u32, u32) = (1600, 900);
/// The smallest the window can be made: the panels' contents and a usable viewport fit
/// (`editor::PanelSizes`).
const MIN_WINDOW_SIZE: (u32, u32) = (640, 420);
/// How soon to try again when the surface had to be reconfigured instead of drawn.
const RETRY_DELAY: Duration = Duration::from_millis(16);

/// Opens the editor window and runs until it is closed.
pub fn run_editor(options: EditorOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    // Generate the world while the window and the GPU start up (a file given on the command
    // line is loaded once the window is up, with progress shown).
    let seed = options.seed;
    let world = if options.path.is_none() {
        Some(
            std::thread::Builder::new()
                .name("generate-world".into())
                .spawn(move || generate_world(seed))
                .context("could not start the world generator thread")?,
        )
    } else {
        None
    };

    let event_loop = EventLoop::<UserEvent>::with_user_event()
        .build()
        .context("could not connect to a display (is DISPLAY or WAYLAND_DISPLAY set?)")?;
    event_loop.set_control_flow(ControlFlow::Wait);
    let mut app = App {
        proxy: event_loop.create_proxy(),
        options,
        started,
        world,
        running: None,
        error: None,
        screenshot_written: None,
        exit_pending: false,
    };
    event_loop
        .run_app(&mut app)
        .context("the editor's event loop failed")?;
    if let Some(error) = app.error {
        // Not a clean exit: unsaved work stays in the recovery file.
        return Err(error);
    }
    if let Some(running) = &mut app.running {
        running.editor.shutdown();
    }
    if let Some(path) = &app.screenshot_written {
        println!("screenshot saved to {}", path.display());
    }
    Ok(())
}

/// Wake-ups sent to the event loop from other threads.
#[derive(Debug)]
enum UserEvent {
    /// Something finished in the background (a generated world): draw a frame.
    Wake,
}

struct App {
    options: EditorOptions,
    started: Instant,
    proxy: EventLoopProxy<UserEvent>,
    /// The first world, being generated; taken when the window opens.
    world: Option<JoinHandle<Scene>>,
    running: Option<Running>,
    error: Option<anyhow::Error>,
    screenshot_written: Option<PathBuf>,
    /// The user asked to quit; one more frame may be needed for the screenshot.
    exit_pending: bool,
}

/// Resolution scale of viewport frames drawn while the camera moves on a software adapter.
const NAVIGATION_SCALE: f32 = 0.5;
/// How long the camera must rest before the full-quality viewport frame is drawn.
const REFINE_AFTER: Duration = Duration::from_millis(200);
/// Pause between two background thumbnail renders, so input keeps flowing.
const THUMBNAIL_PACE: Duration = Duration::from_millis(15);

/// What the viewport image was last rendered from; the same key means the same pixels.
#[derive(Clone, Debug, PartialEq)]
struct ViewKey {
    camera: CameraView,
    /// Drawn at reduced resolution while the camera moves (software adapters).
    navigating: bool,
    size: (u32, u32),
    /// `RenderSettings::pixels_per_point`'s bits (the window moved to another display).
    pixels_per_point: u32,
    overlays: Overlays,
    selection: Vec<NodeId>,
    /// The key of the selected splats or points shown tinted, and where the gizmo shows
    /// them moved (bits of the matrix).
    cloud_highlight: Option<(u64, [u32; 16])>,
    revision: Revision,
    scene_epoch: u64,
}

/// The open editor window.
struct Running {
    gpu: GpuWindow,
    egui_ctx: egui::Context,
    egui_state: egui_winit::State,
    renderer: Renderer,
    target: OffscreenTarget,
    /// Reduced-resolution target used while the camera moves on a software adapter.
    nav_target: OffscreenTarget,
    /// Which target the egui texture shows: (navigating, width, height).
    shown: (bool, u32, u32),
    last_camera_change: Instant,
    viewport_texture: egui::TextureId,
    rendered: Option<ViewKey>,
    /// Variant thumbnails and compare cells.
    variant_views: variant_views::VariantViews,
    editor: Editor,
    presented_frames: u64,
    /// Frames presented while no file was loading: what `--exit-after-frames` counts, so a
    /// file given on the command line is shown before the editor quits.
    settled_frames: u64,
    repaint_at: Option<Instant>,
    title: String,
    cursor_grabbed: bool,
}

impl ApplicationHandler<UserEvent> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.running.is_some() {
            return;
        }
        match self.open_window(event_loop) {
            Ok(running) => {
                running.gpu.window.request_redraw();
                self.running = Some(running);
            }
            Err(error) => {
                self.error = Some(error);
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        if matches!(event, WindowEvent::RedrawRequested) {
            if let Err(error) = self.redraw(event_loop) {
                self.error = Some(error);
                event_loop.exit();
            }
            return;
        }
        let Some(running) = &mut self.running else {
            return;
        };
        let window = Arc::clone(&running.gpu.window);
        let response = running.egui_state.on_window_event(&window, &event);
        match event {
            WindowEvent::CloseRequested if running.editor.is_dirty() && !self.exit_pending => {
                // Ask whether to save first; the answer quits (or not).
                running.editor.apply(crate::ui::UiAction::Quit);
                window.request_redraw();
            }
            WindowEvent::CloseRequested => {
                let screenshot_due =
                    self.options.screenshot.is_some() && self.screenshot_written.is_none();
                if screenshot_due && running.gpu.drawable() {
                    // One more frame, captured, then exit.
                    self.exit_pending = true;
                    window.request_redraw();
                } else {
                    event_loop.exit();
                }
            }
            WindowEvent::DroppedFile(path) => {
                running.editor.open(&path);
                window.request_redraw();
            }
            WindowEvent::Resized(size) => {
                running.gpu.resize(size);
                window.request_redraw();
            }
            WindowEvent::ScaleFactorChanged { .. } => {
                running.gpu.resize(window.inner_size());
                window.request_redraw();
            }
            _ => {}
        }
        if response.repaint {
            window.request_redraw();
        }
    }

    fn device_event(&mut self, _: &ActiveEventLoop, _: DeviceId, event: DeviceEvent) {
        // Raw mouse motion drives fly-mode look, also when the cursor is held at an edge.
        let Some(running) = &mut self.running else {
            return;
        };
        if let DeviceEvent::MouseMotion { delta } = event
            && running.editor.controls.flying()
            && running.egui_state.on_mouse_motion(delta)
        {
            running.gpu.window.request_redraw();
        }
    }

    fn user_event(&mut self, _: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::Wake => {
                if let Some(running) = &self.running {
                    running.gpu.window.request_redraw();
                }
            }
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let Some(running) = &mut self.running else {
            return;
        };
        let continuous = self.options.exit_after_frames.is_some() || self.exit_pending;
        if continuous && running.gpu.drawable() {
            running.gpu.window.request_redraw();
            event_loop.set_control_flow(ControlFlow::Wait);
            return;
        }
        match running.repaint_at {
            Some(at) if at <= Instant::now() => {
                running.repaint_at = None;
                running.gpu.window.request_redraw();
                event_loop.set_control_flow(ControlFlow::Wait);
            }
            Some(at) => event_loop.set_control_flow(ControlFlow::WaitUntil(at)),
            None => event_loop.set_control_flow(ControlFlow::Wait),
        }
    }
}

impl App {
    fn open_window(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<Running> {
        let (width, height) = self.options.window_size.unwrap_or(DEFAULT_WINDOW_SIZE);
        let attributes = Window::default_attributes()
            .with_title("worldsmith")
            .with_inner_size(winit::dpi::LogicalSize::new(
                f64::from(width.max(MIN_WINDOW_SIZE.0)),
                f64::from(height.max(MIN_WINDOW_SIZE.1)),
            ))
            .with_min_inner_size(winit::dpi::LogicalSize::new(
                f64::from(MIN_WINDOW_SIZE.0),
                f64::from(MIN_WINDOW_SIZE.1),
            ));
        let mut gpu = GpuWindow::new(event_loop, attributes)?;

        let seed = self.options.seed;
        let scene = match (self.world.take(), &self.options.path) {
            (Some(handle), _) => handle.join().map_err(|_| {
                anyhow::anyhow!("generating world {seed} failed (the generator panicked)")
            })?,
            (None, Some(_)) => Scene::new("Empty"),
            (None, None) => generate_world(seed),
        };

        let egui_ctx = egui::Context::default();
        egui_ctx.set_theme(egui::Theme::Dark);
        let egui_state = egui_winit::State::new(
            egui_ctx.clone(),
            egui::ViewportId::ROOT,
            &gpu.window,
            Some(gpu.window.scale_factor() as f32),
            gpu.window.theme(),
            Some(gpu.max_texture_side() as usize),
        );

        let renderer = Renderer::new(&gpu.gpu);
        // A 1x1 placeholder gives the viewport a texture id from the first frame on; it is
        // resized to the panel before anything is painted.
        let target = OffscreenTarget::new(&gpu.gpu.device, 1, 1);
        let nav_target = OffscreenTarget::new(&gpu.gpu.device, 1, 1);
        let viewport_texture = gpu.egui_renderer.register_native_texture(
            &gpu.gpu.device,
            &target.unorm_view,
            wgpu::FilterMode::Nearest,
        );

        // The proxy is Send; the Mutex makes the waker Sync as well.
        let proxy = Mutex::new(self.proxy.clone());
        let waker: Waker = Arc::new(move || {
            if let Ok(proxy) = proxy.lock() {
                proxy.send_event(UserEvent::Wake).ok();
            }
        });
        let mut editor = Editor::new(scene, seed, gpu.gpu.adapter_name(), waker);
        editor.defer_background = true;
        editor.show_shot_variant();
        // With a file to open, the name is looked up in it once it has loaded.
        if let Some(name) = &self.options.select {
            if self.options.path.is_some() {
                editor.select_after_load = Some(name.clone());
            } else {
                match editor.scene.find(name) {
                    Some(id) => editor.selection = vec![id],
                    None => log::warn!("--select: no node named '{name}'"),
                }
            }
        }
        for window in &self.options.windows {
            window.open(&mut editor.dialogs, seed);
        }
        editor.load_recent(recent::recent_file());
        if let Some(dir) = crate::project::recovery::recovery_dir() {
            editor.enable_autosave(&dir);
        }
        if let Some(path) = &self.options.path {
            editor.open(path);
        }
        let title = editor.title();
        gpu.window.set_title(&title);

        Ok(Running {
            gpu,
            egui_ctx,
            egui_state,
            renderer,
            target,
            viewport_texture,
            rendered: None,
            variant_views: Default::default(),
            nav_target,
            shown: (false, 1, 1),
            last_camera_change: Instant::now(),
            editor,
            presented_frames: 0,
            settled_frames: 0,
            repaint_at: None,
            title,
            cursor_grabbed: false,
        })
    }

    /// Runs one egui frame, renders the viewport if its view changed and presents.
    fn redraw(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<()> {
        let Some(running) = &mut self.running else {
            return Ok(());
        };
        if !running.gpu.drawable() {
            // Minimized: nothing to show. A `Resized` event brings us back.
            if self.exit_pending {
                event_loop.exit();
            }
            return Ok(());
        }
        let frame_start = Instant::now();
        running.editor.timing.begin_frame(frame_start);

        let raw_input = running.egui_state.take_egui_input(&running.gpu.window);
        let texture = running.viewport_texture;
        let editor = &mut running.editor;
        let mut output = running
            .egui_ctx
            .run_ui(raw_input, |ui| editor.ui(ui, texture));
        running.egui_state.handle_platform_output(
            &running.gpu.window,
            std::mem::take(&mut output.platform_output),
        );

        let ui_done = Instant::now();
        let mut refine_at = running.render_viewport();
        // Variant thumbnails: one per frame, once the camera has rested.
        let resting = running.last_camera_change.elapsed() >= REFINE_AFTER;
        let camera = running.editor.view();
        let more_thumbnails = running.variant_views.refresh_thumbnails(
            &mut running.gpu,
            &mut running.renderer,
            &mut running.editor,
            camera,
            resting,
        );
        if more_thumbnails {
            let soon = Instant::now() + THUMBNAIL_PACE;
            refine_at = Some(refine_at.map_or(soon, |t| t.min(soon)));
        }
        let render_done = Instant::now();

        let primitives = running
            .egui_ctx
            .tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
        let wants_exit = self.exit_pending
            || running.editor.quit_requested
            || self.options.exit_after_frames.is_some_and(|n| {
                !running.editor.loading() && running.settled_frames + 1 >= n.max(1)
            });
        let capture =
            wants_exit && self.options.screenshot.is_some() && self.screenshot_written.is_none();
        let painted = running.gpu.paint(
            &primitives,
            std::mem::take(&mut output.textures_delta),
            output.pixels_per_point,
            capture,
        )?;
        running.editor.timing.end_frame(frame_start.elapsed());
        log::debug!(
            "frame {}: ui {:.1} ms, viewport {:.1} ms, paint {:.1} ms",
            running.presented_frames,
            (ui_done - frame_start).as_secs_f64() * 1e3,
            (render_done - ui_done).as_secs_f64() * 1e3,
            render_done.elapsed().as_secs_f64() * 1e3,
        );

        if painted.presented {
            running.presented_frames += 1;
            if !running.editor.loading() {
                running.settled_frames += 1;
            }
            if running.presented_frames == 1 {
                running.editor.defer_background = false;
                running.egui_ctx.request_repaint();
                println!(
                    "first frame presented after {} ms",
                    self.started.elapsed().as_millis()
                );
            }
        }
        if let (Some(image), Some(path)) = (painted.capture, &self.options.screenshot) {
            image
                .save(path)
                .with_context(|| format!("{}: could not write the screenshot", path.display()))?;
            self.screenshot_written = Some(path.clone());
        }

        let frames_done = self
            .options
            .exit_after_frames
            .is_some_and(|n| running.settled_frames >= n);
        let screenshot_done =
            self.options.screenshot.is_none() || self.screenshot_written.is_some();
        if running.editor.quit_requested {
            self.exit_pending = true;
        }
        if (frames_done || self.exit_pending) && screenshot_done {
            event_loop.exit();
            return Ok(());
        }
        if self.exit_pending {
            // Quitting, but the screenshot still needs a presented frame.
            running.gpu.window.request_redraw();
        }

        let delay = output
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .map_or(Duration::MAX, |v| v.repaint_delay);
        let now = Instant::now();
        running.repaint_at = if painted.retry {
            Some(now + RETRY_DELAY)
        } else {
            now.checked_add(delay)
        };
        if let Some(t) = refine_at {
            running.repaint_at = Some(running.repaint_at.map_or(t, |r| r.min(t)));
        }
        running.sync_window();
        Ok(())
    }
}

impl Running {
    /// Sizes the viewport target to the panel and renders the scene into it when what it
    /// shows changed. Windowed and headless renders go through the same `Renderer::render`.
    ///
    /// On software adapters, frames drawn while the camera moves use half resolution and no
    /// MSAA (like Blender's navigation resolution); once the camera has rested for
    /// [`REFINE_AFTER`] the full-quality frame follows. Returns when that refine is due.
    fn render_viewport(&mut self) -> Option<Instant> {
        let [full_w, full_h] = self.editor.viewport_size_px?;
        let max = self.gpu.max_texture_side();
        let (full_w, full_h) = (full_w.clamp(1, max), full_h.clamp(1, max));
        if self.editor.preview_covers_viewport {
            // A rendered frame from the cache covers the viewport (Preview render): drawing
            // the live view behind it would only hold up the preview's playback.
            return None;
        }
        let now = Instant::now();
        let camera = self.editor.view();
        if self.rendered.as_ref().is_some_and(|k| k.camera != camera) {
            self.last_camera_change = now;
        }
        let navigating = self.renderer.is_software()
            && self.rendered.is_some()
            && now.duration_since(self.last_camera_change) < REFINE_AFTER;
        // Compare view: the ticked variants side by side, one camera (cells dropped when off).
        let comparing = self.editor.variant_state.comparing;
        let (columns, rows) = variant_views::compare_grid(self.editor.variant_state.compare.len());
        let cell = ((full_w / columns).max(1), (full_h / rows).max(1));
        let settings = RenderSettings {
            msaa: if navigating { 1 } else { 4 },
            pixels_per_point: self.egui_ctx.pixels_per_point(),
            ..RenderSettings::final_frame()
        };
        self.variant_views.render_compare(
            &mut self.gpu,
            &mut self.renderer,
            &mut self.editor,
            camera,
            cell,
            settings,
        );
        if comparing {
            // Remembered for camera-motion detection; the size no view has makes the single
            // view draw again when comparing ends.
            self.rendered = Some(ViewKey {
                camera,
                navigating,
                size: (0, 0),
                pixels_per_point: 0,
                overlays: self.editor.overlays,
                selection: Vec::new(),
                cloud_highlight: None,
                revision: self.editor.shown().revision(),
                scene_epoch: self.editor.scene_epoch,
            });
            return navigating.then(|| self.last_camera_change + REFINE_AFTER);
        }
        let (width, height) = if navigating {
            (
                ((full_w as f32 * NAVIGATION_SCALE) as u32).max(1),
                ((full_h as f32 * NAVIGATION_SCALE) as u32).max(1),
            )
        } else {
            (full_w, full_h)
        };
        let device = &self.gpu.gpu.device;
        let target = if navigating {
            &mut self.nav_target
        } else {
            &mut self.target
        };
        if (target.width, target.height) != (width, height) {
            *target = OffscreenTarget::new(device, width, height);
        }
        if self.shown != (navigating, width, height) {
            self.gpu
                .egui_renderer
                .update_egui_texture_from_wgpu_texture(
                    device,
                    &target.unorm_view,
                    if navigating {
                        wgpu::FilterMode::Linear
                    } else {
                        wgpu::FilterMode::Nearest
                    },
                    self.viewport_texture,
                );
            self.shown = (navigating, width, height);
        }

        // Widths are in UI points of the window: a reduced-resolution frame has fewer
        // pixels per point, as many as it was scaled by.
        let pixels_per_point =
            self.egui_ctx.pixels_per_point() * width as f32 / full_w.max(1) as f32;
        let editor = &mut self.editor;
        let settings = RenderSettings {
            overlays: editor.overlays,
            msaa: if navigating { 1 } else { 4 },
            pixels_per_point,
            ..RenderSettings::viewport()
        };
        let highlight = editor.cloud_highlight();
        let key = ViewKey {
            camera,
            navigating,
            size: (width, height),
            pixels_per_point: pixels_per_point.to_bits(),
            overlays: editor.overlays,
            selection: editor.outlined(),
            cloud_highlight: highlight.map(|h| (h.key, h.moved.to_cols_array().map(f32::to_bits))),
            revision: editor.shown().revision(),
            scene_epoch: editor.scene_epoch,
        };
        let refine_at = navigating.then(|| self.last_camera_change + REFINE_AFTER);
        if self.rendered.as_ref() == Some(&key) {
            return refine_at;
        }
        log::debug!("viewport render {width}x{height} (navigating: {navigating})");
        // Camera-motion frames keep the last shadow cascades; the resting frame refits them.
        self.renderer.hold_shadows(navigating);
        editor.last_stats = self.renderer.render(
            &FrameInput {
                scene: editor.shown(),
                camera,
                settings,
                selection: &key.selection,
                cloud_highlight: highlight,
            },
            &target.target(),
        );
        self.renderer.hold_shadows(false);
        self.rendered = Some(key);
        refine_at
    }

    /// Keeps the title and the cursor grab in step with the editor.
    fn sync_window(&mut self) {
        let title = self.editor.title();
        if title != self.title {
            self.gpu.window.set_title(&title);
            self.title = title;
        }
        let flying = self.editor.controls.flying();
        if flying != self.cursor_grabbed {
            let window = &self.gpu.window;
            if flying {
                // X11 cannot lock the cursor; confining it works everywhere.
                window
                    .set_cursor_grab(CursorGrabMode::Locked)
                    .or_else(|_| window.set_cursor_grab(CursorGrabMode::Confined))
                    .ok();
            } else {
                window.set_cursor_grab(CursorGrabMode::None).ok();
            }
            self.cursor_grabbed = flying;
        }
    }
}

/// A Khronos sample from `../shared/testdata/gltf` beside the checkout, for unit tests. Missing
/// samples skip the test with a printed reason, except on CI, where they fail it.
#[cfg(test)]
pub(crate) fn sample_asset(relative: &str) -> Option<PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/testdata/gltf")
        .join(relative);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
        "{} missing on CI",
        path.display()
    );
    eprintln!("SKIPPED: {} missing", path.display());
    None
}
