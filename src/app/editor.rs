//! The editor's state (scene, selection, viewport camera, overlays, dialogs) and the layout of
//! one egui frame: which panel goes where, and how [`UiAction`]s and shortcuts are applied.

use super::file_dialog::{DesktopDialog, DialogPoll, desktop_dialog_available};
use super::loader::{LoadMode, LoadPoll, Loader};
use super::viewport_input::{
    ViewportControls, frame_all, frame_nodes, initial_view, view_through_camera,
};
use super::viewport_select::ViewportSelect;
use crate::generate::generate_world;
use crate::render::{FrameStats, Overlays, RenderSettings};
use crate::scene::{NodeId, OrbitCamera, Scene};
use crate::ui::{
    self, BrowsePurpose, Dialogs, FileBrowser, LogEntry, LogLevel, StatusInfo, UiAction,
    ViewportOverlay,
};
use egui::{Key, KeyboardShortcut, Modifiers};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Wakes the event loop from another thread (a finished world generation).
pub(crate) type Waker = Arc<dyn Fn() + Send + Sync>;

/// A world being generated on a worker thread.
struct PendingWorld {
    seed: u64,
    receiver: Receiver<Scene>,
    message: String,
}

/// Everything the editor window shows and edits, independent of the GPU and the window.
pub(crate) struct Editor {
    pub scene: Scene,
    pub seed: u64,
    /// Bumped whenever `scene` is replaced, so the viewport knows to re-render.
    pub scene_epoch: u64,
    pub selection: Vec<NodeId>,
    pub camera: OrbitCamera,
    pub controls: ViewportControls,
    pub overlays: Overlays,
    pub dialogs: Dialogs,
    pub adapter_name: String,
    pub timing: FrameTiming,
    /// What the last viewport render drew.
    pub last_stats: FrameStats,
    /// Size of the viewport panel in physical pixels, as laid out this frame; `None` when the
    /// panel has no area.
    pub viewport_size_px: Option<[u32; 2]>,
    pub quit_requested: bool,
    pending_world: Option<PendingWorld>,
    /// A message for the status bar and when it expires.
    notice: Option<(String, Instant)>,
    /// An import problem shown in the viewport corner, and when it expires.
    toast: Option<(LogEntry, Instant)>,
    /// The file being loaded on a worker thread, if any.
    loader: Loader,
    /// The last [`ui::LOG_CAPACITY`] messages, for View ▸ Log.
    pub log: VecDeque<LogEntry>,
    /// Files opened, most recent first (File ▸ Open Recent).
    pub recent: Vec<PathBuf>,
    /// Where `recent` is saved between sessions; `None` keeps it in memory (tests).
    recent_file: Option<PathBuf>,
    /// The desktop file dialog, while it is open.
    desktop_dialog: Option<DesktopDialog>,
    /// Undo/redo of edits to `scene`.
    pub history: crate::edit::History,
    /// Viewport click and box selection.
    pub select: ViewportSelect,
    /// Picking acceleration structures, kept across frames (per mesh and cloud content).
    pub picker: crate::pick::Picker,
    waker: Waker,
}

/// What the viewport's loading plate shows.
struct LoadingInfo {
    file_name: String,
    elapsed_s: f32,
    done: u64,
    total: u64,
}

/// How long an import problem stays in the viewport corner.
const TOAST_TIME: Duration = Duration::from_secs(6);

impl Editor {
    pub fn new(scene: Scene, seed: u64, adapter_name: String, waker: Waker) -> Self {
        let camera = initial_view(&scene);
        Self {
            scene,
            seed,
            scene_epoch: 0,
            selection: Vec::new(),
            camera,
            controls: ViewportControls::default(),
            overlays: RenderSettings::viewport().overlays,
            dialogs: Dialogs::default(),
            adapter_name,
            timing: FrameTiming::default(),
            last_stats: FrameStats::default(),
            viewport_size_px: None,
            quit_requested: false,
            pending_world: None,
            notice: None,
            toast: None,
            loader: Loader::new(Arc::clone(&waker)),
            log: VecDeque::new(),
            recent: Vec::new(),
            recent_file: None,
            desktop_dialog: None,
            history: crate::edit::History::default(),
            select: ViewportSelect::default(),
            picker: crate::pick::Picker::default(),
            waker,
        }
    }

    /// Starts loading `path` on a worker thread to replace the world; the current scene
    /// stays until it succeeds.
    pub fn open(&mut self, path: &Path) {
        self.load(path, LoadMode::Open);
    }

    /// Starts loading `path` on a worker thread, to replace the world or add to it.
    pub(crate) fn load(&mut self, path: &Path, mode: LoadMode) {
        match self.loader.start(path, mode) {
            Ok(()) => self.log(LogLevel::Info, format!("{}: loading…", path.display())),
            Err(e) => self.report(
                LogLevel::Error,
                format!("{}: could not start loading: {e}", path.display()),
            ),
        }
    }

    /// Reads File ▸ Open Recent from `file` and saves it there after each load; a corrupt
    /// file is logged and replaced.
    pub fn load_recent(&mut self, file: Option<PathBuf>) {
        if let Some(file) = &file {
            match super::recent::load(file) {
                Ok(paths) => self.recent = paths,
                Err(e) => self.log(LogLevel::Warning, e),
            }
        }
        self.recent_file = file;
    }

    /// True while a file is loading.
    pub fn loading(&self) -> bool {
        self.loader.loading()
    }

    fn log(&mut self, level: LogLevel, text: String) {
        match level {
            LogLevel::Info => log::info!("{text}"),
            LogLevel::Warning => log::warn!("{text}"),
            LogLevel::Error => log::error!("{text}"),
        }
        ui::push_log(&mut self.log, level, text);
    }

    /// Logs `text` and shows it in the viewport corner for a while.
    fn report(&mut self, level: LogLevel, text: String) {
        self.toast = Some((
            LogEntry {
                level,
                text: text.clone(),
            },
            Instant::now() + TOAST_TIME,
        ));
        self.log(level, text);
    }

    /// Asks for a file or folder: the desktop dialog where there is one, else the built-in
    /// browser.
    fn show_file_dialog(&mut self, purpose: BrowsePurpose, folder: bool) {
        if self.desktop_dialog.is_some() {
            return;
        }
        if desktop_dialog_available() {
            match DesktopDialog::start(purpose, folder, Arc::clone(&self.waker)) {
                Ok(dialog) => {
                    self.desktop_dialog = Some(dialog);
                    return;
                }
                Err(e) => self.log(
                    LogLevel::Warning,
                    format!("could not open the desktop file dialog: {e}"),
                ),
            }
        }
        self.show_file_browser(purpose);
    }

    fn show_file_browser(&mut self, purpose: BrowsePurpose) {
        let folder = self
            .recent
            .first()
            .and_then(|p| p.parent())
            .map(Path::to_owned)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        self.dialogs.file_browser = Some(FileBrowser::new(purpose, &folder));
    }

    fn poll_desktop_dialog(&mut self) {
        let Some(dialog) = &self.desktop_dialog else {
            return;
        };
        let purpose = dialog.purpose;
        match dialog.poll() {
            DialogPoll::Waiting => return,
            DialogPoll::Chosen(path) => self.apply(purpose.action(path)),
            DialogPoll::Dismissed => {}
            DialogPoll::Unavailable => {
                self.log(
                    LogLevel::Info,
                    "no desktop file dialog answered; using the built-in browser".into(),
                );
                self.show_file_browser(purpose);
            }
        }
        self.desktop_dialog = None;
    }

    /// Takes the loader's news: progress for the UI, or a finished scene to show.
    fn poll_loader(&mut self) -> Option<LoadingInfo> {
        match self.loader.poll() {
            LoadPoll::Idle => None,
            LoadPoll::Progress {
                path,
                elapsed,
                done,
                total,
            } => Some(LoadingInfo {
                file_name: file_name(&path),
                elapsed_s: elapsed.as_secs_f32(),
                done,
                total,
            }),
            LoadPoll::Cancelled { path } => {
                self.report(
                    LogLevel::Info,
                    format!("{}: loading cancelled", path.display()),
                );
                None
            }
            LoadPoll::Failed { path } => {
                self.report(
                    LogLevel::Error,
                    format!("{}: the loader stopped without a result", path.display()),
                );
                None
            }
            LoadPoll::Done { path, mode, result } => {
                match *result {
                    Ok(imported) => {
                        let nodes = imported.scene.node_count();
                        let warnings = imported.warnings.len();
                        for warning in imported.warnings {
                            self.log(LogLevel::Warning, warning);
                        }
                        match mode {
                            LoadMode::Open => {
                                let seed = self.seed;
                                self.set_scene(imported.scene, seed);
                                frame_all(&mut self.camera, &self.scene);
                            }
                            LoadMode::Import => {
                                let roots = self.scene.merge(imported.scene, None);
                                self.scene_epoch += 1;
                                if !frame_nodes(&mut self.camera, &self.scene, &roots) {
                                    frame_all(&mut self.camera, &self.scene);
                                }
                                self.selection = roots;
                            }
                        }
                        self.recent.retain(|p| p != &path);
                        self.recent.insert(0, path.clone());
                        self.recent.truncate(super::recent::RECENT_CAPACITY);
                        if let Some(file) = &self.recent_file
                            && let Err(e) = super::recent::save(file, &self.recent)
                        {
                            self.log(LogLevel::Warning, e);
                        }
                        let verb = match mode {
                            LoadMode::Open => "loaded",
                            LoadMode::Import => "imported",
                        };
                        let line = format!("{verb} {}: {nodes} nodes", file_name(&path));
                        println!("{line}");
                        if warnings > 0 {
                            self.report(
                                LogLevel::Warning,
                                format!("{line}, {warnings} warnings (see View > Log)"),
                            );
                        } else {
                            self.log(LogLevel::Info, line);
                        }
                    }
                    Err(error) => self.report(LogLevel::Error, error.to_string()),
                }
                None
            }
        }
    }

    /// Lays out one frame: menu bar, status bar, outliner, inspector, viewport, dialogs.
    /// `viewport_texture` shows the scene render (the app renders into it after this call).
    pub fn ui(&mut self, ui: &mut egui::Ui, viewport_texture: egui::TextureId) {
        self.poll_pending_world();
        self.poll_desktop_dialog();
        let loading = self.poll_loader();
        let before = (self.selection.clone(), self.overlays, self.scene_epoch);
        let camera_before = self.camera;
        let mut actions = Vec::new();

        egui::Panel::top("menu_bar").show(ui, |ui| {
            ui::menu_bar_ui(
                ui,
                &self.scene,
                self.seed,
                !self.selection.is_empty(),
                &mut self.overlays,
                &mut self.dialogs,
                &self.recent,
                &self.history,
                &mut actions,
            );
        });

        let message = self
            .pending_world
            .as_ref()
            .map(|p| p.message.as_str())
            .or_else(|| self.notice.as_ref().map(|(text, _)| text.as_str()));
        egui::Panel::bottom("status_bar")
            .resizable(false)
            .exact_size(24.0)
            .show(ui, |ui| {
                ui::status_bar_ui(
                    ui,
                    &StatusInfo {
                        adapter_name: &self.adapter_name,
                        fps: self.timing.fps(),
                        frame_ms: self.timing.cpu_ms(),
                        stats: self.last_stats,
                        selected: self.selection.len(),
                        message,
                    },
                );
            });
        // The bottom dock between the status bar and the viewport is reserved for the
        // timeline; it is added here (before the side panels) once the timeline exists.

        egui::Panel::left("outliner")
            .resizable(true)
            .default_size(250.0)
            .size_range(160.0..=600.0)
            .show(ui, |ui| {
                if let Some(action) = ui::outliner_ui(ui, &self.scene, &mut self.selection) {
                    actions.push(action);
                }
            });

        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(340.0)
            .size_range(220.0..=700.0)
            .show(ui, |ui| {
                ui::inspector_ui(ui, &self.scene, &self.selection, &mut actions);
            });

        let keyboard_free = !ui.ctx().egui_wants_keyboard_input() && !self.dialogs.modal_open();
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let response = ui::viewport_ui(ui, viewport_texture);
            let boxing = !self.controls.flying()
                && self.select.update(
                    ui,
                    &response,
                    keyboard_free,
                    &self.scene,
                    &self.camera,
                    &mut self.picker,
                    crate::pick::PickOptions {
                        icons: self.overlays.icons,
                    },
                    &mut self.selection,
                );
            self.controls
                .update(&mut self.camera, &response, keyboard_free, !boxing);
            let now = ui.input(|i| i.time);
            let overlay = ViewportOverlay {
                mode: if self.select.armed() {
                    "Box select (drag)"
                } else {
                    self.controls.mode_label()
                },
                fov_y_deg: self.camera.fov_y_rad.to_degrees(),
                fly_speed: self
                    .controls
                    .speed_hint_visible(now)
                    .then_some(self.camera.fly_speed),
                camera_rotation: self.camera.rotation(),
                busy: self.pending_world.as_ref().map(|p| p.message.as_str()),
            };
            ui::viewport_overlay_ui(ui, response.rect, &overlay);
            if let Some(l) = &loading {
                actions.extend(ui::loading_ui(
                    ui,
                    response.rect,
                    &l.file_name,
                    l.elapsed_s,
                    (l.done, l.total),
                ));
            }
            if let Some((entry, _)) = &self.toast {
                ui::notice_ui(ui, response.rect, entry);
            }
            let size_px = response.rect.size() * ui.ctx().pixels_per_point();
            let (w, h) = (size_px.x.round(), size_px.y.round());
            self.viewport_size_px = (w >= 1.0 && h >= 1.0).then_some([w as u32, h as u32]);
        });

        ui::dialogs_ui(ui, &mut self.dialogs, &self.adapter_name, &mut actions);
        ui::log_window_ui(ui, &mut self.dialogs.log_open, &self.log);
        self.shortcuts(ui.ctx(), keyboard_free, &mut actions);

        let acted = !actions.is_empty();
        for action in actions {
            self.apply(action);
        }
        if !ui.input(|i| i.pointer.any_down()) {
            // A drag that edited the scene is over: its frames are one undo step.
            self.history.end_gesture();
        }
        if self.camera != camera_before {
            log::trace!("viewport camera {:?}", self.camera);
        }
        // Panels drawn earlier in this pass showed the old state: draw once more.
        if acted || before != (self.selection.clone(), self.overlays, self.scene_epoch) {
            ui.ctx().request_repaint();
        }
        if loading.is_some() {
            // The elapsed time ticks; the worker's waker brings the result.
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
        if let Some((_, until)) = &self.toast {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.toast = None;
            } else {
                ui.ctx().request_repaint_after(left);
            }
        }
        if let Some((_, until)) = &self.notice {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.notice = None;
            } else {
                ui.ctx().request_repaint_after(left);
            }
        }
    }

    /// Keyboard shortcuts that work anywhere in the window (not while typing).
    fn shortcuts(&self, ctx: &egui::Context, keyboard_free: bool, actions: &mut Vec<UiAction>) {
        let popup_open = ctx.any_popup_open();
        ctx.input_mut(|i| {
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Q)) {
                actions.push(UiAction::Quit);
            }
            if i.consume_shortcut(&KeyboardShortcut::new(
                Modifiers::COMMAND | Modifiers::SHIFT,
                Key::Z,
            )) || i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Y))
            {
                actions.push(UiAction::Redo);
            }
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Z)) {
                actions.push(UiAction::Undo);
            }
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)) {
                actions.push(UiAction::ShowFileDialog {
                    purpose: BrowsePurpose::Open,
                    folder: false,
                });
            }
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::I)) {
                actions.push(UiAction::ShowFileDialog {
                    purpose: BrowsePurpose::Import,
                    folder: false,
                });
            }
            if !keyboard_free {
                return;
            }
            if (!popup_open && i.consume_key(Modifiers::NONE, Key::Escape))
                || i.consume_key(Modifiers::ALT, Key::A)
            {
                actions.push(UiAction::SelectNone);
            }
            if i.consume_key(Modifiers::NONE, Key::F) {
                actions.push(UiAction::FrameSelected);
            }
            if i.consume_key(Modifiers::NONE, Key::Home) {
                actions.push(UiAction::ResetView);
            }
        });
    }

    /// Applies one action from the UI.
    pub fn apply(&mut self, action: UiAction) {
        match action {
            UiAction::NewWorld { seed } => self.start_new_world(seed),
            UiAction::OpenRecent(index) => {
                if let Some(path) = self.recent.get(index).cloned() {
                    self.open(&path);
                }
            }
            UiAction::Edit(command) => {
                if self.history.execute(&mut self.scene, command) {
                    self.scene_epoch += 1;
                }
            }
            UiAction::EditDrag(command) => {
                if self.history.execute_merging(&mut self.scene, command) {
                    self.scene_epoch += 1;
                }
            }
            UiAction::Undo => {
                if self.history.undo(&mut self.scene) {
                    self.scene_epoch += 1;
                } else {
                    self.notify("Nothing to undo.");
                }
            }
            UiAction::Redo => {
                if self.history.redo(&mut self.scene) {
                    self.scene_epoch += 1;
                } else {
                    self.notify("Nothing to redo.");
                }
            }
            UiAction::ShowFileDialog { purpose, folder } => {
                self.show_file_dialog(purpose, folder);
            }
            UiAction::OpenPath(path) => self.load(&path, LoadMode::Open),
            UiAction::ImportPath(path) => self.load(&path, LoadMode::Import),
            UiAction::CancelLoad => self.loader.cancel(),
            UiAction::Quit => self.quit_requested = true,
            UiAction::SelectNone => self.selection.clear(),
            UiAction::FrameSelected => {
                let framed = !self.selection.is_empty()
                    && frame_nodes(&mut self.camera, &self.scene, &self.selection);
                if !framed {
                    frame_all(&mut self.camera, &self.scene);
                }
            }
            UiAction::FrameAll => {
                frame_all(&mut self.camera, &self.scene);
            }
            UiAction::ResetView => self.camera = initial_view(&self.scene),
            UiAction::ViewThroughCamera(id) => {
                if !view_through_camera(&mut self.camera, &self.scene, id) {
                    self.notify("That node is not a camera.");
                }
            }
        }
    }

    fn notify(&mut self, text: &str) {
        self.notice = Some((text.to_owned(), Instant::now() + Duration::from_secs(4)));
    }

    /// Generates the world for `seed` on a worker thread; the UI stays live meanwhile.
    fn start_new_world(&mut self, seed: u64) {
        let (sender, receiver) = mpsc::channel();
        let waker = Arc::clone(&self.waker);
        let spawned = std::thread::Builder::new()
            .name("generate-world".into())
            .spawn(move || {
                sender.send(generate_world(seed)).ok();
                waker();
            });
        match spawned {
            Ok(_) => {
                self.pending_world = Some(PendingWorld {
                    seed,
                    receiver,
                    message: format!("Generating world {seed}…"),
                });
            }
            Err(e) => {
                log::error!("could not start the world generator thread: {e}");
                self.notify(&format!("Could not generate world {seed}: {e}"));
            }
        }
    }

    fn poll_pending_world(&mut self) {
        let Some(pending) = &self.pending_world else {
            return;
        };
        match pending.receiver.try_recv() {
            Ok(scene) => {
                let seed = pending.seed;
                self.pending_world = None;
                self.set_scene(scene, seed);
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                let seed = pending.seed;
                self.pending_world = None;
                log::error!("the world generator for seed {seed} stopped without a world");
                self.notify(&format!("Generating world {seed} failed (see the log)."));
            }
        }
    }

    /// Replaces the world, clears the selection and frames the new world.
    pub fn set_scene(&mut self, scene: Scene, seed: u64) {
        self.scene = scene;
        self.seed = seed;
        self.scene_epoch += 1;
        self.selection.clear();
        self.history.clear();
        self.camera = initial_view(&self.scene);
    }

    /// The window title for the current scene.
    pub fn title(&self) -> String {
        format!("worldsmith — {}", self.scene.name)
    }
}

/// The file name of `path` for messages ("BoxTextured.gltf").
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Frame rate and CPU frame time for the status bar: medians over the last frames, so one
/// slow frame (the first render, a resize) does not skew them.
#[derive(Clone, Debug, Default)]
pub(crate) struct FrameTiming {
    last_start: Option<Instant>,
    /// Seconds between recent frame starts, while frames come steadily.
    intervals_s: VecDeque<f32>,
    /// CPU milliseconds of recent frames.
    cpu_ms: VecDeque<f32>,
}

/// Gaps longer than this mean the editor was idle: no meaningful frame rate.
const IDLE_GAP: Duration = Duration::from_millis(500);
/// How many recent frames the medians look at.
const TIMING_WINDOW: usize = 31;

impl FrameTiming {
    /// Call at the start of every frame.
    pub fn begin_frame(&mut self, now: Instant) {
        if let Some(last) = self.last_start {
            let gap = now.saturating_duration_since(last);
            if gap > IDLE_GAP {
                self.intervals_s.clear();
            } else {
                push_bounded(&mut self.intervals_s, gap.as_secs_f32());
            }
        }
        self.last_start = Some(now);
    }

    /// Call at the end of every frame with the CPU time it took.
    pub fn end_frame(&mut self, cpu: Duration) {
        push_bounded(&mut self.cpu_ms, cpu.as_secs_f32() * 1000.0);
    }

    /// Frames per second, or `None` when the editor redraws only now and then.
    pub fn fps(&self) -> Option<f32> {
        median(&self.intervals_s)
            .filter(|s| *s > 0.0)
            .map(|s| 1.0 / s)
    }

    /// CPU milliseconds per frame.
    pub fn cpu_ms(&self) -> f32 {
        median(&self.cpu_ms).unwrap_or(0.0)
    }
}

fn push_bounded(values: &mut VecDeque<f32>, value: f32) {
    if values.len() == TIMING_WINDOW {
        values.pop_front();
    }
    values.push_back(value);
}

fn median(values: &VecDeque<f32>) -> Option<f32> {
    let mut sorted: Vec<f32> = values.iter().copied().collect();
    sorted.sort_by(f32::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_timing_smooths_and_goes_idle_after_a_gap() {
        let mut t = FrameTiming::default();
        let start = Instant::now();
        for i in 0..50 {
            t.begin_frame(start + Duration::from_millis(20 * i));
            t.end_frame(Duration::from_millis(5));
        }
        // One slow frame does not move the medians.
        t.begin_frame(start + Duration::from_millis(20 * 50));
        t.end_frame(Duration::from_millis(400));
        let fps = t.fps().unwrap_or(0.0);
        assert!((fps - 50.0).abs() < 1.0, "{fps}");
        assert!((t.cpu_ms() - 5.0).abs() < 0.1);
        t.begin_frame(start + Duration::from_secs(60));
        assert_eq!(t.fps(), None);
    }

    fn editor() -> Editor {
        let mut scene = Scene::new("t");
        scene.add_node(
            None,
            "A",
            crate::scene::Transform::IDENTITY,
            crate::scene::NodeKind::Empty,
        );
        Editor::new(scene, 1, "test adapter".into(), Arc::new(|| {}))
    }

    /// Runs one egui pass of the whole editor and returns the characters it drew that the
    /// fonts lack (they would render as boxes), with the text they were in.
    fn missing_glyphs(ctx: &egui::Context, editor: &mut Editor) -> Vec<(char, String)> {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1600.0, 900.0),
            )),
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| editor.ui(ui, egui::TextureId::User(0)));
        output.textures_delta.clear();
        let mut texts = Vec::new();
        let mut stack: Vec<egui::Shape> = output.shapes.into_iter().map(|c| c.shape).collect();
        while let Some(shape) = stack.pop() {
            match shape {
                egui::Shape::Vec(shapes) => stack.extend(shapes),
                egui::Shape::Text(text) => {
                    let job = &text.galley.job;
                    for section in &job.sections {
                        let range = section.byte_range.start.0..section.byte_range.end.0;
                        if let Some(s) = job.text.get(range) {
                            texts.push((section.format.font_id.clone(), s.to_owned()));
                        }
                    }
                }
                _ => {}
            }
        }
        assert!(!texts.is_empty(), "the editor drew no text");
        ctx.fonts_mut(|fonts| {
            let mut missing = Vec::new();
            for (font, text) in &texts {
                for c in text.chars().filter(|c| !c.is_whitespace()) {
                    if !fonts.has_glyph(font, c) {
                        missing.push((c, text.clone()));
                    }
                }
            }
            missing
        })
    }

    #[test]
    fn every_glyph_the_editor_draws_exists_in_the_default_fonts() {
        let scene = generate_world(3);
        let ctx = egui::Context::default();
        let mut e = Editor::new(scene, 3, "llvmpipe (Vulkan)".into(), Arc::new(|| {}));
        // The scene summary, then one node of every kind, then the dialogs.
        let mut states: Vec<Vec<NodeId>> = vec![Vec::new()];
        for kind in [
            "Mesh",
            "Sun light",
            "Point light",
            "Spot light",
            "Camera",
            "Group",
        ] {
            if let Some(node) = e.scene.nodes().find(|n| n.kind.label() == kind) {
                states.push(vec![node.id]);
            }
        }
        assert!(states.len() >= 5, "the generated world lacks node kinds");
        for selection in states {
            e.selection = selection;
            let missing = missing_glyphs(&ctx, &mut e);
            assert!(missing.is_empty(), "drawn as boxes: {missing:?}");
        }
        e.dialogs.new_world = Some(ui::NewWorldDialog::new(3));
        e.dialogs.controls_open = true;
        e.dialogs.about_open = true;
        let missing = missing_glyphs(&ctx, &mut e);
        assert!(missing.is_empty(), "drawn as boxes: {missing:?}");
        // Strings shown only inside closed menus and transient messages.
        for text in ui::CONTROLS.iter().flat_map(|(a, b)| [*a, *b]).chain([
            "New World…",
            "Ctrl+Q",
            "Light & camera icons",
            "Generating world 42…",
            "Open Recent",
            "Loading DamagedHelmet.glb… 1.2 s",
            "Cancel",
            "loaded a.glb: 3 nodes, 2 warnings (see View > Log)",
            "No files opened yet. Use File > Open or drop a file on the window.",
            "Open…",
            "Open World Folder…",
            "Import…",
            "Ctrl+O",
            "Ctrl+I",
            "Undo Hide Lake_Surface",
            "Redo Show Lake_Surface",
            "Ctrl+Shift+Z",
            "Nothing to undo.",
            "12.5 MB of 340.0 MB",
            "worldsmith — World",
            "Box select (drag) · Perspective 50°",
            "Drop here: move to the top level",
            "Lock (not pickable in the viewport)",
            "Unlock (pickable in the viewport)",
        ]) {
            let font = egui::FontId::proportional(14.0);
            let ok = ctx.fonts_mut(|f| f.has_glyphs(&font, &text.replace(' ', "")));
            assert!(ok, "drawn as boxes: {text}");
        }
    }

    /// Runs egui passes until the loader has settled.
    fn wait_for_load(e: &mut Editor) {
        let ctx = egui::Context::default();
        let until = Instant::now() + Duration::from_secs(30);
        while e.loading() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
            ctx.run_ui(egui::RawInput::default(), |ui| {
                e.ui(ui, egui::TextureId::User(0))
            })
            .textures_delta
            .clear();
        }
        // One more pass takes the result.
        ctx.run_ui(egui::RawInput::default(), |ui| {
            e.ui(ui, egui::TextureId::User(0))
        })
        .textures_delta
        .clear();
    }

    #[test]
    fn a_failed_load_keeps_the_scene_and_logs_the_file() {
        let mut e = editor();
        let name = e.scene.name.clone();
        e.open(Path::new("/nonexistent/broken.glb"));
        assert!(e.loading());
        wait_for_load(&mut e);
        assert!(!e.loading());
        assert_eq!(e.scene.name, name);
        assert_eq!(e.scene_epoch, 0);
        assert!(e.recent.is_empty());
        let last = e.log.back().expect("a log message");
        assert_eq!(last.level, LogLevel::Error);
        assert!(last.text.contains("broken.glb"), "{}", last.text);
    }

    #[test]
    fn import_adds_to_the_world_and_selects_the_new_nodes() {
        let Some(path) = crate::app::sample_asset("Box.glb") else {
            return;
        };
        let mut e = editor();
        let before = e.scene.node_count();
        e.apply(UiAction::ImportPath(path.clone()));
        wait_for_load(&mut e);
        assert!(e.scene.find("A").is_some(), "the world was replaced");
        assert!(e.scene.node_count() > before);
        assert!(!e.selection.is_empty());
        for id in &e.selection {
            assert!(e.scene.node(*id).is_some());
        }
        assert!(
            !e.scene.nodes().any(|n| n.name == "Default sun"),
            "an import must not add lights"
        );
        assert_eq!(e.recent, vec![path]);
    }

    #[test]
    fn hiding_a_node_is_one_undo_step_and_a_new_world_clears_the_history() {
        let mut e = editor();
        let a = e.scene.find("A").expect("A");
        let epoch = e.scene_epoch;
        e.apply(UiAction::Edit(crate::edit::Command::SetVisible {
            node: a,
            visible: false,
        }));
        assert!(!e.scene.node(a).unwrap().visible);
        assert!(e.scene_epoch > epoch, "the viewport must redraw");
        assert_eq!(e.history.undo_label(), Some("Hide A"));
        e.apply(UiAction::Undo);
        assert!(e.scene.node(a).unwrap().visible);
        e.apply(UiAction::Redo);
        assert!(!e.scene.node(a).unwrap().visible);
        e.set_scene(Scene::new("other"), 2);
        assert_eq!(e.history.undo_len(), 0);
    }

    #[test]
    fn the_builtin_browser_opens_the_chosen_file() {
        let Some(path) = crate::app::sample_asset("Box.glb") else {
            return;
        };
        let mut e = editor();
        e.show_file_browser(BrowsePurpose::Open);
        assert!(e.dialogs.file_browser.is_some());
        e.apply(BrowsePurpose::Open.action(path));
        wait_for_load(&mut e);
        assert!(e.scene.find("A").is_none(), "Open replaces the world");
        assert_eq!(e.scene_epoch, 1);
    }

    #[test]
    fn a_loaded_file_replaces_the_scene_and_becomes_recent() {
        let Some(path) = crate::app::sample_asset("BoxTextured/BoxTextured.gltf") else {
            return;
        };
        let mut e = editor();
        e.open(&path);
        wait_for_load(&mut e);
        assert_eq!(e.scene_epoch, 1);
        assert!(e.title().contains("BoxTextured"), "{}", e.title());
        assert_eq!(e.recent, vec![path.clone()]);
        e.apply(UiAction::OpenRecent(0));
        wait_for_load(&mut e);
        assert_eq!(e.scene_epoch, 2);
        assert_eq!(e.recent, vec![path]);
    }

    #[test]
    fn select_none_and_quit_actions() {
        let mut e = editor();
        e.selection.push(NodeId(1));
        e.apply(UiAction::SelectNone);
        assert!(e.selection.is_empty());
        e.apply(UiAction::Quit);
        assert!(e.quit_requested);
    }

    #[test]
    fn new_world_replaces_the_scene_and_clears_the_selection() {
        let mut e = editor();
        e.selection.push(NodeId(1));
        e.apply(UiAction::NewWorld { seed: 7 });
        let pending = e.pending_world.take().map(|p| p.receiver.recv());
        let Some(Ok(scene)) = pending else {
            panic!("the generator thread sent no world");
        };
        e.set_scene(scene, 7);
        assert_eq!(e.seed, 7);
        assert_eq!(e.scene_epoch, 1);
        assert!(e.selection.is_empty());
        assert_eq!(e.title(), format!("worldsmith — {}", e.scene.name));
    }
}
