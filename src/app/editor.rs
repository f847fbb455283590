//! The editor's state (scene, selection, viewport camera, overlays, dialogs) and the layout of
//! one egui frame: which panel goes where, and how [`UiAction`]s and shortcuts are applied.

mod export;
mod frame_strip;
mod render_jobs;

use super::autosave::Autosave;
use super::file_dialog::{DesktopDialog, DialogPoll, desktop_dialog_available};
use super::loader::{LoadMode, LoadPoll, Loader};
use super::viewport_input::{
    ViewportControls, frame_all, frame_nodes, initial_view, view_through_camera,
};
use super::viewport_select::ViewportSelect;
use crate::edit::ops::Operation;
use crate::generate::generate_world;
use crate::project::{EditorState, MatcapSetting, SolidColorSetting, ViewCamera, ViewSettings};
use crate::render::{FrameStats, Matcap, Overlays, RenderSettings, SolidColor, SolidLighting};
use crate::scene::{ElementMask, NodeId, OrbitCamera, Scene};
use crate::ui::{
    self, BrowsePurpose, Dialogs, FileBrowser, LogEntry, LogLevel, RecoveryPrompt, SaveChoice,
    SavePrompt, StatusInfo, UiAction, ViewportOverlay,
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

/// An action that would lose unsaved work, held while the user answers the save prompt (or
/// while the save it asked for is under way).
#[derive(Clone, Debug, PartialEq)]
enum Guarded {
    Quit,
    NewWorld(u64),
    Open(PathBuf),
}

impl Guarded {
    /// "Save the changes to X before …?"
    fn before(&self) -> String {
        match self {
            Guarded::Quit => "closing".into(),
            Guarded::NewWorld(seed) => format!("generating world {seed}"),
            Guarded::Open(path) => format!("opening {}", file_name(path)),
        }
    }
}

/// Everything the editor window shows and edits, independent of the GPU and the window.
pub(crate) struct Editor {
    pub scene: Scene,
    pub seed: u64,
    /// Bumped whenever `scene` is replaced, so the viewport knows to re-render.
    pub scene_epoch: u64,
    /// Background work that competes with drawing for the CPU (the render-cache strip's scan)
    /// waits while this is set: the window sets it until its first frame is on screen, so a
    /// software adapter's first frame is not slowed by it.
    pub defer_background: bool,
    /// A node to select by name once the file being opened has loaded (`--select` with a
    /// file on the command line).
    pub select_after_load: Option<String>,
    pub selection: Vec<NodeId>,
    pub camera: OrbitCamera,
    pub controls: ViewportControls,
    /// The transform gizmo over the viewport (mode, space, pivot, snapping, drag state).
    pub gizmo: super::gizmo::GizmoTool,
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
    /// File ▸ Export runs in flight.
    exports: Vec<export::ExportJob>,
    /// Render ▸ clip renders: queued, running, finished.
    pub(crate) render_queue: render_jobs::RenderQueue,
    /// The timeline's cached/stale frame marks and the preview of rendered frames.
    pub(crate) frame_strip: frame_strip::FrameStrip,
    /// Preview render shows a cached frame over the whole viewport this frame: the live
    /// view is not drawn.
    pub(crate) preview_covers_viewport: bool,
    /// The Render window's settings (output folder, format, quality).
    pub(crate) render_panel: ui::RenderPanelState,
    /// Undo/redo of edits to `scene`.
    pub history: crate::edit::History,
    /// The splat region and screen selection tools (drawn over the viewport).
    pub cloud_tools: ui::CloudTools,
    /// The project file the scene was opened from or last saved to.
    pub project_path: Option<PathBuf>,
    /// Changes since the last save that the undo history does not hold (File ▸ Import,
    /// recovered work).
    changed_outside_history: bool,
    /// What the save prompt (or the save it asked for) holds back.
    after_save: Option<Guarded>,
    /// Autosave to this process's recovery file; `None` keeps nothing on disk (tests).
    autosave: Option<Autosave>,
    /// A crashed session's recovery file offered at start.
    recovery_offer: Option<PathBuf>,
    /// Viewport click and box selection.
    pub select: ViewportSelect,
    /// The cloud selection tool's drag under way.
    pub(super) select_stroke: super::cloud_select::SelectStroke,
    /// Picking acceleration structures, kept across frames (per mesh and cloud content).
    pub picker: crate::pick::Picker,
    /// The shown variant's scene, where edits go, the compare set, thumbnails.
    pub variant_state: super::variant_state::VariantState,
    /// The playhead, playback, the sampled shot, key selection (not part of the document).
    pub timeline: super::timeline_state::TimelineState,
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
            defer_background: false,
            select_after_load: None,
            selection: Vec::new(),
            camera,
            controls: ViewportControls::default(),
            gizmo: super::gizmo::GizmoTool::default(),
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
            exports: Vec::new(),
            render_queue: Default::default(),
            frame_strip: Default::default(),
            preview_covers_viewport: false,
            render_panel: Default::default(),
            history: crate::edit::History::default(),
            cloud_tools: Default::default(),
            project_path: None,
            changed_outside_history: false,
            after_save: None,
            autosave: None,
            recovery_offer: None,
            select: ViewportSelect::default(),
            select_stroke: Default::default(),
            picker: crate::pick::Picker::default(),
            variant_state: Default::default(),
            timeline: Default::default(),
            waker,
        }
    }

    /// Starts loading `path` on a worker thread to replace the world (after asking to save
    /// unsaved work); the current scene stays until it succeeds.
    pub fn open(&mut self, path: &Path) {
        self.guard(Guarded::Open(path.to_owned()));
    }

    /// True when the scene has changes that are not saved.
    pub fn is_dirty(&self) -> bool {
        self.history.is_dirty() || self.changed_outside_history
    }

    /// Runs `action` at once, or first asks whether to save the unsaved work.
    fn guard(&mut self, action: Guarded) {
        if !self.is_dirty() {
            self.perform(action);
            return;
        }
        self.dialogs.save_prompt = Some(SavePrompt {
            name: self.display_name(),
            before: action.before(),
        });
        self.after_save = Some(action);
    }

    fn perform(&mut self, action: Guarded) {
        match action {
            Guarded::Quit => self.quit_requested = true,
            Guarded::NewWorld(seed) => self.start_new_world(seed),
            Guarded::Open(path) => self.load(&path, LoadMode::Open),
        }
    }

    /// The project's name for the title and prompts: its file's name, else the scene's.
    pub fn display_name(&self) -> String {
        let stem = self
            .project_path
            .as_ref()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().into_owned());
        match stem {
            Some(stem) => stem,
            None if self.scene.name.trim().is_empty() => "Untitled".into(),
            None => self.scene.name.clone(),
        }
    }

    /// Editor state saved with the project; recovery files also name the project file.
    fn editor_state(&self, recovery: bool) -> EditorState {
        EditorState {
            seed: Some(self.seed),
            camera: ViewCamera::from_orbit(&self.camera),
            view: Some(view_settings(&self.overlays)),
            project_path: self
                .project_path
                .as_ref()
                .filter(|_| recovery)
                .map(|p| p.display().to_string()),
        }
    }

    /// File ▸ Save: to the project's file, or through Save As when it has none.
    fn save(&mut self) {
        match self.project_path.clone() {
            Some(path) => self.save_to(path),
            None => self.show_file_dialog(BrowsePurpose::SaveAs, false),
        }
    }

    /// Saves the project to `path` (the extension added when missing). Runs on this thread:
    /// the generated world takes well under a second (BENCHMARKS.md).
    fn save_to(&mut self, path: PathBuf) {
        let path = if crate::project::is_project_path(&path) {
            path
        } else {
            let mut name = path.into_os_string();
            name.push(".");
            name.push(crate::project::EXTENSION);
            PathBuf::from(name)
        };
        let started = Instant::now();
        match crate::project::save(&path, &self.scene, &self.editor_state(false)) {
            Ok(bytes) => {
                self.project_path = Some(path.clone());
                self.history.mark_saved();
                self.changed_outside_history = false;
                if let Some(autosave) = &mut self.autosave {
                    autosave.reset();
                }
                self.remember_recent(&path);
                self.log(
                    LogLevel::Info,
                    format!(
                        "saved {} ({:.1} MB) in {:.0} ms",
                        path.display(),
                        bytes as f64 / 1e6,
                        started.elapsed().as_secs_f64() * 1000.0
                    ),
                );
                self.notify(&format!("Saved {}", file_name(&path)));
                if let Some(action) = self.after_save.take() {
                    self.perform(action);
                }
            }
            Err(e) => {
                self.after_save = None;
                self.report(LogLevel::Error, e.to_string());
            }
        }
    }

    /// Turns on autosave to a recovery file in `dir`, and offers the newest recovery file a
    /// crashed session left there.
    pub fn enable_autosave(&mut self, dir: &Path) {
        self.autosave = Some(Autosave::new(dir));
        let Some(file) = crate::project::recovery::orphans(dir).into_iter().next() else {
            return;
        };
        let meta = std::fs::metadata(&file).ok();
        let age = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .map_or_else(|| "at an unknown time".to_owned(), |d| ago(d.as_secs()));
        self.dialogs.recovery = Some(RecoveryPrompt {
            file: file.clone(),
            age,
            size_mb: meta.map_or(0.0, |m| m.len() as f64 / 1e6),
        });
        self.recovery_offer = Some(file);
    }

    /// A clean exit: waits for an autosave in flight and deletes the recovery files.
    pub fn shutdown(&mut self) {
        if let Some(autosave) = &mut self.autosave {
            autosave.wait();
            autosave.reset();
        }
    }

    /// Puts `path` at the front of File ▸ Open Recent and saves the list.
    fn remember_recent(&mut self, path: &Path) {
        self.recent.retain(|p| p != path);
        self.recent.insert(0, path.to_owned());
        self.recent.truncate(super::recent::RECENT_CAPACITY);
        if let Some(file) = &self.recent_file
            && let Err(e) = super::recent::save(file, &self.recent)
        {
            self.log(LogLevel::Warning, e);
        }
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
        // Export options are checkboxes in the built-in browser.
        if desktop_dialog_available() && !matches!(purpose, BrowsePurpose::Export(_)) {
            let suggested = format!("{}.{}", self.display_name(), crate::project::EXTENSION);
            match DesktopDialog::start(purpose, folder, suggested, Arc::clone(&self.waker)) {
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
            .project_path
            .iter()
            .chain(self.recent.first())
            .find_map(|p| p.parent())
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_owned)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        let mut browser = FileBrowser::new(purpose, &folder);
        if purpose.writes() {
            browser.file_name = format!("{}.{}", self.display_name(), purpose.written_extension());
        }
        self.dialogs.file_browser = Some(browser);
    }

    fn poll_desktop_dialog(&mut self) {
        let Some(dialog) = &self.desktop_dialog else {
            return;
        };
        let purpose = dialog.purpose;
        match dialog.poll() {
            DialogPoll::Waiting => return,
            DialogPoll::Chosen(path) => self.apply(purpose.action(path)),
            DialogPoll::Dismissed => {
                if purpose == BrowsePurpose::SaveAs {
                    // The save the prompt asked for did not happen: stay.
                    self.after_save = None;
                }
            }
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
                    Ok(super::loader::Loaded { imported, project }) => {
                        let nodes = imported.scene.node_count();
                        let shots = imported.scene.timeline().shots.len();
                        let warnings = imported.warnings.len();
                        for warning in imported.warnings {
                            self.log(LogLevel::Warning, warning);
                        }
                        match mode {
                            LoadMode::Open | LoadMode::Recover => {
                                let state = project.unwrap_or_default();
                                let seed = state.seed.unwrap_or(self.seed);
                                self.set_scene(imported.scene, seed);
                                if let Some(name) = self.select_after_load.take() {
                                    match self.scene.find(&name) {
                                        Some(id) => {
                                            self.selection = vec![id];
                                            println!("selected '{name}'");
                                        }
                                        None => self.report(
                                            LogLevel::Warning,
                                            format!(
                                                "--select: {} has no node named '{name}'",
                                                file_name(&path)
                                            ),
                                        ),
                                    }
                                }
                                if let Some(view) = state.view {
                                    restore_view_settings(&mut self.overlays, view);
                                }
                                match state.camera.and_then(|c| c.to_orbit()) {
                                    Some(camera) => self.camera = camera,
                                    None => {
                                        frame_all(&mut self.camera, &self.scene);
                                    }
                                }
                                if mode == LoadMode::Recover {
                                    // Unsaved work of its project (if it had been saved).
                                    self.project_path = state.project_path.map(PathBuf::from);
                                    self.changed_outside_history = true;
                                    if let Some(autosave) = &mut self.autosave {
                                        autosave.recovered_from = Some(path.clone());
                                        autosave.due_now();
                                    }
                                } else if crate::project::is_project_path(&path) {
                                    self.project_path = Some(path.clone());
                                }
                            }
                            LoadMode::Import => {
                                // One undo step takes the whole import back out.
                                let (command, roots) =
                                    crate::edit::ops::import(&mut self.scene, imported.scene, None);
                                self.history.execute(&mut self.scene, command);
                                self.scene_epoch += 1;
                                if let Some(autosave) = &mut self.autosave {
                                    autosave.note_edit();
                                }
                                if !frame_nodes(&mut self.camera, &self.scene, &roots) {
                                    frame_all(&mut self.camera, &self.scene);
                                }
                                self.selection = roots;
                            }
                        }
                        if mode != LoadMode::Recover {
                            self.remember_recent(&path);
                        }
                        let verb = match mode {
                            LoadMode::Open => "loaded",
                            LoadMode::Import => "imported",
                            LoadMode::Recover => "recovered unsaved work from",
                        };
                        let mut line = format!("{verb} {}: {nodes} nodes", file_name(&path));
                        if shots > 0 {
                            // A file's animations become shots: say where they went.
                            line.push_str(&format!(", {shots} shot(s) on the timeline"));
                        }
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
        self.sync_view();
        self.cloud_tools.select.sync_edits(self.history.undo_len());
        if self.advance_timeline(Instant::now()) {
            // Playing: the next frame is due as soon as the display can take it.
            ui.ctx().request_repaint();
        }
        // Big splat clouds get their picking BVH on a worker thread, ready before a click.
        self.picker.warm(super::timeline_state::shown(
            &self.scene,
            &self.variant_state,
            &self.timeline,
        ));
        self.poll_pending_world();
        self.poll_desktop_dialog();
        self.poll_exports();
        self.poll_renders();
        // Deferred until the window's first frame is shown (it then asks for another).
        if !self.defer_background
            && let Some(wait) = self.update_frame_strip(Instant::now())
        {
            // The strip is worked out once edits have settled.
            ui.ctx().request_repaint_after(wait);
        }
        let preview = self.preview_texture(ui.ctx());
        self.preview_covers_viewport = preview.is_some() && !self.variant_state.comparing;
        let loading = self.poll_loader();
        let before = (self.selection.clone(), self.overlays, self.scene_epoch);
        let camera_before = self.camera;
        let mut actions = Vec::new();
        self.timeline_play_key(ui, &mut actions);

        let undo_redo = self.undo_redo_labels();
        egui::Panel::top("menu_bar").show(ui, |ui| {
            ui::menu_bar_ui(
                ui,
                &self.scene,
                self.seed,
                self.camera.ortho,
                self.xray(),
                &self.selection,
                &mut self.overlays,
                &mut self.dialogs,
                &self.recent,
                &undo_redo,
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
        // The timeline docks between the status bar and the viewport, under the side panels.
        // The panel's view state is lent out while the panel reads the timeline state.
        let mut timeline_view = std::mem::take(&mut self.timeline.view);
        let collapsed = timeline_view.collapsed;
        // Panels are sized in proportion to the window where it is small, so the viewport
        // keeps most of it (`PanelSizes`).
        let sizes = PanelSizes::for_window(ui.available_rect_before_wrap().size());
        let timeline_panel = if collapsed {
            egui::Panel::bottom("timeline_collapsed")
                .resizable(false)
                .exact_size(32.0)
        } else {
            let (default, range) = sizes.timeline;
            egui::Panel::bottom("timeline")
                .resizable(true)
                .default_size(default)
                .size_range(range)
        };
        let timeline_rect = timeline_panel
            .show(ui, |ui| {
                let shown =
                    super::timeline_state::shown(&self.scene, &self.variant_state, &self.timeline);
                ui::timeline_ui(
                    ui,
                    &self.scene,
                    &ui::TimelinePanel {
                        shown,
                        frame: self.timeline.frame,
                        playing: self.timeline.playing(),
                        looping: self.timeline.looping,
                        look_through: self.timeline.look_through,
                        auto_key: self.timeline.auto_key,
                        achieved_fps: self.timeline.achieved_fps(),
                        can_paste: !self.timeline.clipboard.is_empty(),
                        selected: &self.timeline.selected,
                        marks: &self.frame_strip.marks,
                        preview: self.timeline.preview,
                    },
                    &mut timeline_view,
                    &mut actions,
                );
            })
            .response
            .rect;
        self.timeline.view = timeline_view;
        if let Some(pressed) = ui.input(|i| {
            i.pointer
                .any_pressed()
                .then(|| i.pointer.interact_pos())
                .flatten()
        }) {
            // Delete and Ctrl+C/V act on keys after a click in the timeline.
            self.timeline.focused = timeline_rect.contains(pressed);
        }

        egui::Panel::left("outliner")
            .resizable(true)
            .default_size(sizes.outliner.0)
            .size_range(sizes.outliner.1)
            .show(ui, |ui| {
                let shown =
                    super::timeline_state::shown(&self.scene, &self.variant_state, &self.timeline);
                let (default, range) = PanelSizes::variants(ui.available_height());
                egui::Panel::bottom("variants")
                    .resizable(true)
                    .default_size(default)
                    .size_range(range)
                    .show(ui, |ui| {
                        ui::variants_ui(
                            ui,
                            &self.scene,
                            &ui::VariantsPanel {
                                thumbnails: &self.variant_state.thumbnails,
                                edit_base: self.variant_state.edit_base,
                                compare: &self.variant_state.compare,
                                comparing: self.variant_state.comparing,
                            },
                            &mut actions,
                        );
                    });
                // The outliner keeps to the space above the variants (it scrolls there).
                let rest = ui.available_rect_before_wrap();
                ui.scope_builder(egui::UiBuilder::new().max_rect(rest), |ui| {
                    ui.shrink_clip_rect(rest);
                    if let Some(action) = ui::outliner_ui(ui, shown, &mut self.selection) {
                        actions.push(action);
                    }
                });
            });

        let margins = egui::Frame::side_top_panel(ui.style())
            .total_margin()
            .sum()
            .x;
        ui::set_inspector_max_width(ui.ctx(), sizes.inspector.1.max - margins);
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(sizes.inspector.0)
            .size_range(sizes.inspector.1)
            .show(ui, |ui| {
                let (edited, variant) =
                    super::timeline_state::edited(&self.scene, &self.variant_state, &self.timeline);
                let keying = ui::Keying {
                    shot: self.timeline.live_shot(&self.scene),
                    frame: self.timeline.frame as f32,
                };
                ui::inspector_keyed_ui(
                    ui,
                    edited,
                    variant,
                    &self.selection,
                    &mut self.cloud_tools,
                    Some(&keying),
                    &mut actions,
                );
            });

        let keyboard_free = !ui.ctx().egui_wants_keyboard_input() && !self.dialogs.modal_open();
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let comparing =
                self.variant_state.comparing && self.variant_state.compare_textures.len() >= 2;
            let response = if comparing {
                let variants = self.scene.variants();
                let cells: Vec<(String, egui::TextureId)> = self
                    .variant_state
                    .compare_textures
                    .iter()
                    .filter_map(|(id, texture)| Some((variants.get(*id)?.name.clone(), *texture)))
                    .collect();
                let grid = super::variant_views::compare_grid(cells.len());
                ui::compare_view_ui(ui, &cells, grid)
            } else {
                ui::viewport_ui(ui, viewport_texture)
            };
            if !comparing {
                self.shot_frame_ui(ui, response.rect, preview.as_ref());
            }
            let view = self.view();
            // The cloud selection tool, while a splat or point node is active, owns left
            // clicks and drags (not Alt's).
            let shown =
                super::timeline_state::shown(&self.scene, &self.variant_state, &self.timeline);
            let cloud_tool = !comparing
                && self.cloud_tools.select.tool.is_some()
                && super::cloud_select::active_cloud(shown, &self.selection).is_some();
            let painting = cloud_tool
                && !self.controls.flying()
                && self.select_stroke.update(
                    ui,
                    &response,
                    keyboard_free,
                    shown,
                    &view,
                    &self.selection,
                    &mut self.picker,
                    &mut self.cloud_tools.select,
                    &mut actions,
                );
            let xray = self.overlays.xray;
            let boxing = !comparing
                && !cloud_tool
                && !self.controls.flying()
                && self.select.update(
                    ui,
                    &response,
                    keyboard_free,
                    super::timeline_state::shown(&self.scene, &self.variant_state, &self.timeline),
                    &view,
                    &mut self.picker,
                    crate::pick::PickOptions {
                        icons: self.overlays.icons,
                        bones: self.overlays.bones,
                        xray,
                    },
                    &mut self.selection,
                );
            self.controls.update(
                &mut self.camera,
                &response,
                keyboard_free,
                !boxing && !painting,
            );
            let now = ui.input(|i| i.time);
            let cloud_mode = cloud_tool.then(|| {
                let select = &self.cloud_tools.select;
                let shape = match select.tool {
                    Some(ui::SelectTool::Lasso) => "lasso",
                    Some(ui::SelectTool::Brush) => "brush",
                    _ => "rectangle",
                };
                let front = if select.xray { "" } else { " · front only" };
                format!("Cloud select: {shape} (drag){front}")
            });
            let overlay = ViewportOverlay {
                mode: if let Some(mode) = &cloud_mode {
                    mode
                } else if self.select.armed() {
                    "Box select (drag; middle drag takes away)"
                } else {
                    self.controls.mode_label()
                },
                projection: &self.view_label(),
                fly_speed: self
                    .controls
                    .speed_hint_visible(now)
                    .then_some(self.camera.fly_speed),
                camera_rotation: self.camera.rotation(),
                busy: self.pending_world.as_ref().map(|p| p.message.as_str()),
                variant: self
                    .scene
                    .variants()
                    .active()
                    .map(|v| (v.name.as_str(), !self.variant_state.edit_base)),
            };
            ui::viewport_overlay_ui(ui, response.rect, &overlay);
            let shown =
                super::timeline_state::shown(&self.scene, &self.variant_state, &self.timeline);
            if cloud_tool {
                // The gizmo moves the selected splats or points.
                if let Some(active) = super::cloud_select::active_cloud(shown, &self.selection) {
                    let select = &self.cloud_tools.select;
                    let selected = select.selected(active.1).map(|m| (m, select.key()));
                    actions.extend(self.gizmo.elements_viewport_ui(
                        ui,
                        &response,
                        shown,
                        active,
                        selected,
                        &self.view(),
                        self.controls.flying(),
                    ));
                }
            } else if !comparing {
                actions.extend(self.gizmo.viewport_ui(
                    ui,
                    &response,
                    shown,
                    &self.selection,
                    &self.view(),
                    self.controls.flying(),
                ));
            }
            // The splat region being edited, while its node is the active one.
            if let Some(tool) = &self.cloud_tools.region
                && self.selection.last() == Some(&tool.node)
            {
                let aspect = response.rect.width() / response.rect.height().max(1.0);
                let clip_from_local =
                    self.view().clip_from_world(aspect) * self.scene.world_from_local(tool.node);
                ui::paint_region(
                    &ui.painter_at(response.rect),
                    response.rect,
                    clip_from_local,
                    &tool.region,
                );
            }
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
        if self.dialogs.history_open {
            let (labels, done) = self.history.steps();
            ui::history_window_ui(
                ui,
                &mut self.dialogs.history_open,
                &labels,
                done,
                &mut actions,
            );
        }
        ui::log_window_ui(ui, &mut self.dialogs.log_open, &self.log);
        if self.dialogs.render_open {
            let status = self.render_status();
            let folder = self.render_folder();
            ui::render_window_ui(
                ui.ctx(),
                &mut self.dialogs.render_open,
                &mut self.render_panel,
                &folder,
                &status,
                &mut actions,
            );
        }
        self.shortcuts(ui.ctx(), keyboard_free, &mut actions);
        self.gizmo
            .shortcuts(ui.ctx(), keyboard_free && !self.controls.flying());

        let acted = !actions.is_empty();
        for action in actions {
            self.apply(action);
        }
        if self.after_save.is_some()
            && self.dialogs.save_prompt.is_none()
            && self.desktop_dialog.is_none()
            && self.dialogs.file_browser.is_none()
        {
            // The Save As the prompt opened was closed without saving: stay.
            self.after_save = None;
        }
        if self.autosave.is_some() {
            let dirty = self.is_dirty();
            let state = self.editor_state(true);
            if let Some(autosave) = &mut self.autosave {
                let (wait, message) = autosave.tick(dirty, &self.scene, state, &self.waker);
                if let Some(wait) = wait {
                    ui.ctx().request_repaint_after(wait);
                }
                if let Some(message) = message {
                    self.report(LogLevel::Warning, message);
                }
            }
        }
        if !ui.input(|i| i.pointer.any_down()) {
            // A drag that edited the scene is over: its frames are one undo step.
            self.history.end_gesture();
        }
        if self.camera != camera_before {
            log::trace!("viewport camera {:?}", self.camera);
        }
        // Motion paths around the playhead follow it (left at 0 otherwise, so moving the
        // playhead alone does not redraw the view for them).
        self.overlays.paths.frame = if self.overlays.paths.around.is_some() {
            self.timeline.frame
        } else {
            0
        };
        // Panels drawn earlier in this pass showed the old state: draw once more.
        if acted || before != (self.selection.clone(), self.overlays, self.scene_epoch) {
            ui.ctx().request_repaint();
        }
        if loading.is_some() {
            // The elapsed time ticks; the worker's waker brings the result.
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
        if self.rendering() && self.dialogs.render_open {
            // The render window's progress and ETA tick.
            ui.ctx().request_repaint_after(Duration::from_millis(250));
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

    /// While the viewport looks through a shot camera: the shot's frame guides, and the
    /// rendered frame over the live view when Preview render has it.
    fn shot_frame_ui(
        &self,
        ui: &egui::Ui,
        rect: egui::Rect,
        preview: Option<&frame_strip::PreviewFrame>,
    ) {
        let Some(shot) = self.timeline.live_shot(&self.scene) else {
            return;
        };
        let [w, h] = shot.size;
        let Some(aspect) = self
            .shot_aspect_through()
            .or_else(|| self.timeline.preview.then_some(w as f32 / h.max(1) as f32))
        else {
            return;
        };
        let frame_rect = ui::shot_frame_rect(rect, aspect);
        if let Some(p) = preview {
            ui::preview_frame_ui(ui, rect, frame_rect, p.texture);
        }
        let mut label = format!("{} · {w}×{h}", shot.name);
        if self.timeline.preview {
            let frame = self.timeline.frame;
            label += &match preview {
                Some(p) if p.exact => format!(" · rendered frame {frame}"),
                Some(_) => " · rendered".to_owned(),
                None => format!(" · frame {frame} not rendered: live view"),
            };
        }
        ui::shot_guides_ui(ui, rect, frame_rect, &label);
    }

    /// The nodes the viewport outlines: the selection, but for the node the cloud selection
    /// tool works on (its tint would drown in an outline drawn around every point).
    pub fn outlined(&self) -> Vec<NodeId> {
        let tool_node = self
            .cloud_tools
            .select
            .tool
            .and_then(|_| super::cloud_select::active_cloud(self.shown(), &self.selection))
            .map(|(node, _)| node);
        self.selection
            .iter()
            .copied()
            .filter(|n| Some(*n) != tool_node)
            .collect()
    }

    /// The selected splats or points the viewport shows tinted: while the cloud selection
    /// tool is on, those of the active node's cloud.
    pub fn cloud_highlight(&self) -> Option<crate::render::CloudHighlight<'_>> {
        let select = &self.cloud_tools.select;
        select.tool?;
        let (node, cloud) = super::cloud_select::active_cloud(self.shown(), &self.selection)?;
        let (selected, hidden) = (select.selected(cloud), select.hidden(cloud));
        let locked = select.locked(cloud);
        if selected.is_none() && hidden.is_none() && locked.is_none() {
            return None;
        }
        Some(crate::render::CloudHighlight {
            node,
            selected: selected.map(|m| &**m),
            hidden: hidden.map(|m| &**m),
            locked: locked.map(|m| &**m),
            key: select.key(),
            moved: self
                .gizmo
                .element_moved(node)
                .unwrap_or(glam::Mat4::IDENTITY),
        })
    }

    /// The viewport label's view part: projection, solid shading's choices, and "X-ray" while
    /// meshes are drawn see-through (also while the splat and point tool is on, whose own
    /// X-ray its mode label tells: "front only" when off).
    pub(crate) fn view_label(&self) -> String {
        let mut label = self.camera.projection_label();
        if self.overlays.solid {
            let color = match self.overlays.solid_color {
                SolidColor::Clay => String::new(),
                c => format!(" ({})", c.label()),
            };
            let flat = match self.overlays.solid_lighting {
                SolidLighting::Studio => String::new(),
                SolidLighting::Flat => ", flat".to_owned(),
                SolidLighting::MatCap(m) => format!(", {} MatCap", m.label()),
            };
            label = format!("{label} · Solid{color}{flat}");
        }
        if self.overlays.xray {
            label.push_str(" · X-ray");
        }
        label
    }

    /// Whether the splat and point selection tool is on (a tool chosen and a cloud active).
    fn cloud_tool_on(&self) -> bool {
        self.cloud_tools.select.tool.is_some()
            && super::cloud_select::active_cloud(&self.scene, &self.selection).is_some()
    }

    /// X-ray as View ▸ X-ray shows and toggles it: the splat and point selection tool's while
    /// it is on, else the box selection's.
    pub(crate) fn xray(&self) -> bool {
        if self.cloud_tool_on() {
            self.cloud_tools.select.xray
        } else {
            self.overlays.xray
        }
    }

    /// Keyboard shortcuts that work anywhere in the window (not while typing).
    fn shortcuts(&self, ctx: &egui::Context, keyboard_free: bool, actions: &mut Vec<UiAction>) {
        let popup_open = ctx.any_popup_open();
        ctx.input_mut(|i| {
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Q)) {
                actions.push(UiAction::Quit);
            }
            // Render ▸ Render Shot (as in Blender).
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::NONE, Key::F12)) {
                actions.push(UiAction::RenderShots { all: false });
            }
            if i.consume_shortcut(&KeyboardShortcut::new(
                Modifiers::COMMAND | Modifiers::SHIFT,
                Key::S,
            )) {
                actions.push(UiAction::ShowFileDialog {
                    purpose: BrowsePurpose::SaveAs,
                    folder: false,
                });
            }
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::S)) {
                actions.push(UiAction::Save);
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
            if self.timeline_shortcuts(i, actions) {
                return;
            }
            let operations = [
                (Modifiers::COMMAND, Key::D, Operation::Duplicate),
                (Modifiers::COMMAND, Key::G, Operation::Group),
                (Modifiers::COMMAND, Key::J, Operation::MergeMeshes),
                (Modifiers::NONE, Key::Delete, Operation::Delete),
                (Modifiers::NONE, Key::X, Operation::Delete),
            ];
            for (modifiers, key, operation) in operations {
                if i.consume_key(modifiers, key) {
                    actions.push(UiAction::Operation(operation));
                }
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
            if i.consume_key(Modifiers::NONE, Key::Num5) {
                actions.push(UiAction::ToggleOrthographic);
            }
            // Alt+Z first: plain Z would take it too (egui ignores an extra Alt). The splat
            // and point selection tool takes it before this for its own X-ray.
            if i.consume_key(Modifiers::ALT, Key::Z) {
                actions.push(UiAction::ToggleXray);
            } else if i.consume_key(Modifiers::SHIFT, Key::Z) {
                actions.push(UiAction::ToggleWireframe);
            } else if i.consume_key(Modifiers::NONE, Key::Z) {
                actions.push(UiAction::ToggleSolid);
            }
            for axis in crate::scene::ViewAxis::ALL {
                let (ctrl, key) = ui::view_axis_key(axis);
                let modifiers = if ctrl {
                    Modifiers::COMMAND
                } else {
                    Modifiers::NONE
                };
                if i.consume_key(modifiers, key) {
                    actions.push(UiAction::ViewAlong(axis));
                }
            }
        });
    }

    /// Applies one action from the UI.
    pub fn apply(&mut self, action: UiAction) {
        let stepping = matches!(
            action,
            UiAction::Undo | UiAction::Redo | UiAction::JumpToHistory(_)
        );
        let edits = self.history.undo_len();
        self.apply_one(action);
        if !stepping && self.history.undo_len() != edits {
            // A new edit: the selection changes undone before it cannot come back.
            self.cloud_tools.select.clear_redo();
        }
        self.cloud_tools.select.sync_edits(self.history.undo_len());
        self.sync_view();
        // Undo, redo and deletions can take selected nodes away.
        self.selection.retain(|id| self.scene.node(*id).is_some());
    }

    /// What the selection tool marked on the cloud that `operation` replaces, for the cloud
    /// that replaces it: moved elements stay selected; hidden ones stay hidden and locked
    /// ones locked, renumbered over the elements a Delete, Keep only, Separate or region edit
    /// keeps.
    fn carried_marks(&self, operation: &Operation) -> Option<(NodeId, crate::ui::CloudMarks)> {
        use crate::edit::ops::RegionAction;
        let (Operation::MoveCloudSelected { node, .. }
        | Operation::CloudSelected { node, .. }
        | Operation::SplatRegion { node, .. }) = operation
        else {
            return None;
        };
        let cloud = super::cloud_select::node_cloud(self.shown(), *node)?;
        let marks = self.cloud_tools.select.marks(cloud);
        // The elements the edit takes out or keeps (`inside` = keeps them), if it does.
        let split = match operation {
            Operation::CloudSelected {
                selected, action, ..
            } => Some((ElementMask::clone(selected), *action == RegionAction::Crop)),
            Operation::SplatRegion { region, action, .. } => {
                let inside = ElementMask::from_fn(cloud.len(), |i| {
                    region.contains(glam::Vec3::from(cloud.positions()[i]))
                });
                Some((inside, *action == RegionAction::Crop))
            }
            _ => None,
        };
        let marks = match split {
            Some((by, inside)) => crate::ui::CloudMarks {
                selected: None,
                hidden: marks.hidden.map(|h| Arc::new(h.compact(&by, inside))),
                locked: marks.locked.map(|l| Arc::new(l.compact(&by, inside))),
            },
            None => marks,
        };
        Some((*node, marks))
    }

    /// Whether Ctrl+Z (or with `redo`, Ctrl+Shift+Z) takes a change of the splat or point
    /// selection rather than an edit: only while the selection tool is on, and when no edit
    /// came after (before) it.
    fn selection_steps(&self, redo: bool) -> bool {
        let select = &self.cloud_tools.select;
        select.tool.is_some() && select.can_step(redo)
    }

    /// What Edit ▸ Undo and Redo would take, for the menu.
    pub(crate) fn undo_redo_labels(&self) -> [Option<String>; 2] {
        let label = |redo: bool| {
            if self.selection_steps(redo) {
                return Some("selection".to_owned());
            }
            let label = if redo {
                self.history.redo_label()
            } else {
                self.history.undo_label()
            };
            label.map(str::to_owned)
        };
        [label(false), label(true)]
    }

    fn apply_one(&mut self, action: UiAction) {
        match action {
            UiAction::NewWorld { seed } => self.guard(Guarded::NewWorld(seed)),
            UiAction::OpenRecent(index) => {
                if let Some(path) = self.recent.get(index).cloned() {
                    self.open(&path);
                }
            }
            UiAction::Edit(command) => {
                let command = self.routed(command);
                if self.history.execute(&mut self.scene, command) {
                    self.scene_changed();
                }
            }
            UiAction::EditDrag(command) => {
                let command = self.routed(command);
                if self.history.execute_merging(&mut self.scene, command) {
                    self.scene_changed();
                }
            }
            UiAction::Operation(operation) => {
                let place = self.camera.pivot;
                let carried = self.carried_marks(&operation);
                match crate::edit::ops::run(&mut self.scene, &self.selection, place, operation) {
                    Ok(outcome) => {
                        if self.history.execute(&mut self.scene, outcome.command) {
                            self.scene_changed();
                            if let Some(selection) = outcome.select {
                                self.selection = selection;
                            }
                            if let Some((node, marks)) = carried
                                && let Some(cloud) = super::cloud_select::node_cloud(
                                    super::timeline_state::shown(
                                        &self.scene,
                                        &self.variant_state,
                                        &self.timeline,
                                    ),
                                    node,
                                )
                            {
                                self.cloud_tools.select.carry(cloud, marks);
                            }
                        }
                        if let Some(note) = outcome.note {
                            self.notify(&note);
                        }
                    }
                    Err(e) => self.notify(&e.to_string()),
                }
            }
            UiAction::JumpToHistory(undo_len) => {
                while self.history.undo_len() > undo_len && self.history.undo(&mut self.scene) {
                    self.scene_changed();
                }
                while self.history.undo_len() < undo_len && self.history.redo(&mut self.scene) {
                    self.scene_changed();
                }
            }
            UiAction::Undo => {
                if self.selection_steps(false) {
                    self.cloud_tools.select.undo();
                } else if self.history.undo(&mut self.scene) {
                    self.scene_changed();
                } else {
                    self.notify("Nothing to undo.");
                }
            }
            UiAction::Redo => {
                if self.selection_steps(true) {
                    self.cloud_tools.select.redo();
                } else if self.history.redo(&mut self.scene) {
                    self.scene_changed();
                } else {
                    self.notify("Nothing to redo.");
                }
            }
            UiAction::Save => self.save(),
            UiAction::SaveAs(path) => self.save_to(path),
            UiAction::Export {
                kind,
                path,
                choices,
            } => self.start_export(kind, path, choices),
            UiAction::SavePromptAnswer(choice) => match choice {
                // The held action runs once the save succeeded.
                SaveChoice::Save => self.save(),
                SaveChoice::DontSave => {
                    if let Some(action) = self.after_save.take() {
                        self.perform(action);
                    }
                }
                SaveChoice::Cancel => self.after_save = None,
            },
            UiAction::RecoveryAnswer(recover) => {
                if let Some(file) = self.recovery_offer.take() {
                    if recover {
                        self.load(&file, LoadMode::Recover);
                    } else if let Err(e) = std::fs::remove_file(&file) {
                        self.log(
                            LogLevel::Warning,
                            format!("{}: could not delete: {e}", file.display()),
                        );
                    }
                }
            }
            UiAction::ShowFileDialog { purpose, folder } => {
                self.show_file_dialog(purpose, folder);
            }
            UiAction::OpenPath(path) => self.open(&path),
            UiAction::ImportPath(path) => self.load(&path, LoadMode::Import),
            UiAction::AssignMaterial(material) => {
                let result = match self.edit_target() {
                    // A swap in the variant; the base keeps its materials.
                    Some(variant) => self
                        .assign_material_in_variant(variant, material)
                        .ok_or(crate::edit::ops::OpError::NoMesh),
                    None => {
                        crate::edit::ops::assign_material(&self.scene, &self.selection, material)
                    }
                };
                self.run_command(result);
            }
            UiAction::MakeMaterialUnique(node) => {
                let result = crate::edit::ops::make_material_unique(&mut self.scene, node);
                self.run_command(result);
            }
            UiAction::AssignTexture {
                material,
                slot,
                path,
            } => {
                let result = crate::import::read_texture(&path).and_then(|image| {
                    crate::edit::ops::assign_texture(&mut self.scene, material, slot, image)
                        .map_err(|e| e.to_string())
                });
                match result {
                    Ok(command) => {
                        if self.history.execute(&mut self.scene, command) {
                            self.scene_changed();
                        }
                    }
                    Err(e) => self.report(LogLevel::Error, format!("{}: {e}", path.display())),
                }
            }
            UiAction::LoadEnvironment(path) => match crate::import::world::read_panorama(&path) {
                Ok((image, hdr)) => {
                    let command =
                        crate::edit::ops::set_environment_image(&mut self.scene, image, hdr);
                    let command = self.routed(command);
                    if self.history.execute(&mut self.scene, command) {
                        self.scene_changed();
                    }
                    self.log(
                        LogLevel::Info,
                        format!("{}: environment image set", path.display()),
                    );
                }
                Err(e) => self.report(LogLevel::Error, format!("{}: {e}", path.display())),
            },
            UiAction::CancelLoad => self.loader.cancel(),
            UiAction::Quit => self.guard(Guarded::Quit),
            UiAction::SelectNone => self.selection.clear(),
            UiAction::Select(nodes) => {
                self.selection = nodes
                    .into_iter()
                    .filter(|n| self.scene.node(*n).is_some())
                    .collect();
            }
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
            UiAction::ViewAlong(axis) => self.camera.align_view(axis),
            UiAction::ToggleOrthographic => self.camera.toggle_ortho(),
            UiAction::ToggleWireframe => self.overlays.wireframe = !self.overlays.wireframe,
            UiAction::ToggleXray => {
                if self.cloud_tool_on() {
                    self.cloud_tools.select.xray = !self.cloud_tools.select.xray;
                } else {
                    self.overlays.xray = !self.overlays.xray;
                }
            }
            UiAction::ToggleSolid => self.overlays.solid = !self.overlays.solid,
            UiAction::ViewThroughCamera(id) => {
                if !view_through_camera(&mut self.camera, &self.scene, id) {
                    self.notify("That node is not a camera.");
                }
            }
            UiAction::Variant(action) => self.apply_variant_action(action),
            UiAction::RenderShots { all } => self.queue_renders(all),
            UiAction::CancelRenders => self.cancel_renders(),
            UiAction::Timeline(action) => self.apply_timeline_action(action),
        }
    }

    /// Executes an operation's command, or says why there is none.
    fn run_command(&mut self, result: Result<crate::edit::Command, crate::edit::ops::OpError>) {
        match result {
            Ok(command) => {
                if self.history.execute(&mut self.scene, command) {
                    self.scene_changed();
                }
            }
            Err(e) => self.notify(&e.to_string()),
        }
    }

    /// An edit changed the scene: redraw, and count it towards the next autosave.
    pub(crate) fn scene_changed(&mut self) {
        self.scene_epoch += 1;
        if let Some(autosave) = &mut self.autosave {
            autosave.note_edit();
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

    /// Replaces the world (not yet saved anywhere), clears the selection and frames the new
    /// world; the previous world's unsaved work, if any, was given up.
    pub fn set_scene(&mut self, scene: Scene, seed: u64) {
        self.scene = scene;
        self.variant_state = Default::default();
        self.timeline = super::timeline_state::TimelineState::reset(self.timeline.enabled);
        self.frame_strip = Default::default();
        self.show_shot_variant();
        self.sync_view();
        self.seed = seed;
        self.scene_epoch += 1;
        self.selection.clear();
        self.history.clear();
        self.cloud_tools.select.forget_steps();
        self.project_path = None;
        self.changed_outside_history = false;
        if let Some(autosave) = &mut self.autosave {
            autosave.reset();
        }
        self.camera = initial_view(&self.scene);
    }

    /// The window title: `worldsmith — name* (path)`, the star while changes are unsaved.
    pub fn title(&self) -> String {
        let star = if self.is_dirty() { "*" } else { "" };
        match &self.project_path {
            Some(path) => format!(
                "worldsmith — {}{star} ({})",
                self.display_name(),
                path.display()
            ),
            None => format!("worldsmith — {}{star}", self.display_name()),
        }
    }
}

/// How long ago, in words: "12 seconds ago", "3 minutes ago", "2 days ago".
fn ago(secs: u64) -> String {
    let (n, unit) = match secs {
        0..60 => (secs, "second"),
        60..3600 => (secs / 60, "minute"),
        3600..86400 => (secs / 3600, "hour"),
        _ => (secs / 86400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
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

/// The View menu's choices as a project keeps them.
fn view_settings(o: &Overlays) -> ViewSettings {
    ViewSettings {
        grid: o.grid,
        icons: o.icons,
        outline: o.outline,
        bones: o.bones,
        wireframe: o.wireframe,
        wire_opacity: Some(o.wire_opacity),
        solid: o.solid,
        solid_color: match o.solid_color {
            SolidColor::Clay => SolidColorSetting::Clay,
            SolidColor::Random => SolidColorSetting::Random,
            SolidColor::Material => SolidColorSetting::Material,
            SolidColor::Texture => SolidColorSetting::Texture,
        },
        solid_flat: o.solid_lighting == SolidLighting::Flat,
        solid_matcap: match o.solid_lighting {
            SolidLighting::MatCap(m) => Some(match m {
                Matcap::Ceramic => MatcapSetting::Ceramic,
                Matcap::Metal => MatcapSetting::Metal,
                Matcap::Wax => MatcapSetting::Wax,
                Matcap::Toon => MatcapSetting::Toon,
                Matcap::Normals => MatcapSetting::Normals,
            }),
            _ => None,
        },
        solid_random: false,
        paths_around: o.paths.around,
        xray: o.xray,
        xray_alpha: Some(o.xray_alpha),
    }
}

/// A stored 0–1 value: clamped into range; absent or not a number, `default`.
fn fraction_or(stored: Option<f32>, default: f32) -> f32 {
    stored
        .filter(|a| !a.is_nan())
        .map_or(default, |a| a.clamp(0.0, 1.0))
}

/// Puts a project's View menu choices back; a motion path span outside the menu's range (a
/// hand-edited or hostile file) is brought into it.
fn restore_view_settings(o: &mut Overlays, v: ViewSettings) {
    o.grid = v.grid;
    o.icons = v.icons;
    o.outline = v.outline;
    o.bones = v.bones;
    o.wireframe = v.wireframe;
    // A hand-edited or hostile value is brought into range; absent or not a number: the default.
    o.wire_opacity = fraction_or(v.wire_opacity, crate::render::DEFAULT_WIRE_OPACITY);
    o.solid = v.solid;
    o.xray = v.xray;
    o.xray_alpha = fraction_or(v.xray_alpha, crate::render::XRAY_ALPHA);
    o.solid_lighting = match v.solid_matcap {
        Some(m) => SolidLighting::MatCap(match m {
            MatcapSetting::Ceramic => Matcap::Ceramic,
            MatcapSetting::Metal => Matcap::Metal,
            MatcapSetting::Wax => Matcap::Wax,
            MatcapSetting::Toon => Matcap::Toon,
            MatcapSetting::Normals => Matcap::Normals,
        }),
        None if v.solid_flat => SolidLighting::Flat,
        None => SolidLighting::Studio,
    };
    o.solid_color = match v.solid_color {
        // A project from before the choice of colours with random ones.
        SolidColorSetting::Clay if v.solid_random => SolidColor::Random,
        SolidColorSetting::Clay => SolidColor::Clay,
        SolidColorSetting::Random => SolidColor::Random,
        SolidColorSetting::Material => SolidColor::Material,
        SolidColorSetting::Texture => SolidColor::Texture,
    };
    o.paths.around = v.paths_around.map(|n| n.clamp(1, crate::ui::MAX_PATH_SPAN));
}

/// Default sizes and size ranges (points) of the docked panels: the designed sizes in a
/// large window; in a small one no more than a share of it (but no less than their contents
/// need), so that the viewport keeps about half of each side: a 900×600 window leaves it
/// 477×387, the smallest window (`MIN_WINDOW_SIZE`, 640×420) 270×236.
#[derive(Clone, Copy, Debug, PartialEq)]
struct PanelSizes {
    outliner: (f32, egui::Rangef),
    inspector: (f32, egui::Rangef),
    timeline: (f32, egui::Rangef),
}

impl PanelSizes {
    fn for_window(window: egui::Vec2) -> Self {
        Self {
            outliner: Self::share(window.x, 250.0, 150.0, 600.0, 0.2),
            inspector: Self::share(window.x, 340.0, 220.0, 700.0, 0.27),
            timeline: Self::share(window.y, 230.0, 140.0, 700.0, 0.3),
        }
    }

    /// The variants panel at the bottom of the outliner's column of `height`: the rest stays
    /// the outliner's.
    fn variants(height: f32) -> (f32, egui::Rangef) {
        Self::share(height, 300.0, 110.0, 800.0, 0.45)
    }

    /// A panel designed `default` in `min..=max` along a window side of `length`: its default
    /// at most `share` of the side and its maximum a quarter more, neither below `min`.
    fn share(length: f32, default: f32, min: f32, max: f32, share: f32) -> (f32, egui::Rangef) {
        let length = if length.is_finite() {
            length.max(0.0)
        } else {
            0.0
        };
        let max = max.min(length * share * 1.25).max(min);
        let default = default.min(length * share).clamp(min, max);
        (default, egui::Rangef::new(min, max))
    }
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

    /// Runs `passes` egui passes of the whole editor in a window of `size` (later passes
    /// settle what the first laid out by guess) and returns the last pass's shapes.
    fn editor_shapes(
        ctx: &egui::Context,
        editor: &mut Editor,
        size: egui::Vec2,
        passes: usize,
    ) -> Vec<egui::epaint::ClippedShape> {
        let mut shapes = Vec::new();
        for _ in 0..passes {
            let input = egui::RawInput {
                screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
                ..Default::default()
            };
            let mut output = ctx.run_ui(input, |ui| editor.ui(ui, egui::TextureId::User(0)));
            output.textures_delta.clear();
            shapes = output.shapes;
        }
        shapes
    }

    /// Runs one egui pass of the whole editor and returns the characters it drew that the
    /// fonts lack (they would render as boxes), with the text they were in.
    fn missing_glyphs(ctx: &egui::Context, editor: &mut Editor) -> Vec<(char, String)> {
        let shapes = editor_shapes(ctx, editor, egui::vec2(1600.0, 900.0), 1);
        let mut texts = Vec::new();
        for (_, shape) in ui::flat_shapes(shapes) {
            if let egui::Shape::Text(text) = shape {
                let job = &text.galley.job;
                for section in &job.sections {
                    let range = section.byte_range.start.0..section.byte_range.end.0;
                    if let Some(s) = job.text.get(range) {
                        texts.push((section.format.font_id.clone(), s.to_owned()));
                    }
                }
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
        // A variant shown and edited: its marks and reset buttons in the inspector.
        let night = e.scene.variants().list[4].id;
        e.apply(UiAction::Variant(ui::VariantAction::Switch(Some(night))));
        for kind in ["Sun light", "Point light"] {
            e.selection = e
                .scene
                .nodes()
                .find(|n| n.kind.label() == kind)
                .map(|n| vec![n.id])
                .unwrap_or_default();
            let missing = missing_glyphs(&ctx, &mut e);
            assert!(missing.is_empty(), "drawn as boxes: {missing:?}");
        }
        e.selection.clear();
        let missing = missing_glyphs(&ctx, &mut e);
        assert!(missing.is_empty(), "drawn as boxes: {missing:?}");
        e.dialogs.new_world = Some(ui::NewWorldDialog::new(3));
        e.dialogs.controls_open = true;
        e.dialogs.about_open = true;
        let missing = missing_glyphs(&ctx, &mut e);
        assert!(missing.is_empty(), "drawn as boxes: {missing:?}");
        e.dialogs.new_world = None;
        e.dialogs.save_prompt = Some(SavePrompt {
            name: "demo".into(),
            before: Guarded::Open(PathBuf::from("a.glb")).before(),
        });
        e.dialogs.file_browser = Some(FileBrowser::new(
            BrowsePurpose::SaveAs,
            &std::env::temp_dir(),
        ));
        let missing = missing_glyphs(&ctx, &mut e);
        assert!(missing.is_empty(), "drawn as boxes: {missing:?}");
        e.dialogs.save_prompt = None;
        e.dialogs.recovery = Some(RecoveryPrompt {
            file: PathBuf::from("recovery-1.wsproj"),
            age: ago(125),
            size_mb: 12.5,
        });
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
            "worldsmith — demo* (/tmp/demo.wsproj)",
            "Save As…",
            "Ctrl+Shift+S",
            "Saved demo.wsproj",
            "Box select (drag; middle drag takes away) · Perspective 50°",
            "Perspective 50° · Solid (Random), Metal MatCap · X-ray",
            "Drop here: move to the top level",
            "Lock (not pickable in the viewport)",
            "Unlock (pickable in the viewport)",
        ]) {
            let font = egui::FontId::proportional(14.0);
            let ok = ctx.fonts_mut(|f| f.has_glyphs(&font, &text.replace(' ', "")));
            assert!(ok, "drawn as boxes: {text}");
        }
    }

    /// Runs egui passes of the whole editor in a window of `size` until its layout settles and
    /// returns each text it drew where it can be seen (its drawn rectangle within its clip
    /// rectangle; again with `Rect::NOTHING` if its start or end is cut off or it wraps inside
    /// a word), and where the viewport image went.
    fn laid_out_texts(
        ctx: &egui::Context,
        editor: &mut Editor,
        size: egui::Vec2,
    ) -> (Vec<(egui::Rect, String)>, egui::Rect) {
        let shapes = editor_shapes(ctx, editor, size, 4);
        let mut texts = Vec::new();
        let mut image = None;
        for (clip, shape) in ui::flat_shapes(shapes) {
            match shape {
                egui::Shape::Text(text) if !text.galley.text().trim().is_empty() => {
                    let whole = text.visual_bounding_rect();
                    let seen = whole.intersect(clip);
                    if seen.width() > 0.5 && seen.height() > 0.5 {
                        texts.push((seen, text.galley.text().to_owned()));
                        // A text cut off at its start or end (a panel's contents run out on
                        // the left, or past its right edge), or wrapped inside a word (a
                        // "compare" drawn as "com", "pare" and "e" in a narrow column), is
                        // reported with an empty rectangle.
                        let rows = &text.galley.rows;
                        let broken = rows.windows(2).any(|pair| {
                            let end = pair[0].glyphs.last().map(|g| g.chr);
                            let start = pair[1].glyphs.first().map(|g| g.chr);
                            !pair[0].ends_with_newline
                                && end.zip(start).is_some_and(|(a, b)| {
                                    a.is_alphanumeric() && b.is_alphanumeric()
                                })
                        });
                        if broken
                            || seen.left() > whole.left() + 1.0
                            || seen.right() < whole.right() - 1.0
                        {
                            texts.push((egui::Rect::NOTHING, text.galley.text().to_owned()));
                        }
                    }
                }
                egui::Shape::Rect(r) if r.fill_texture_id() == egui::TextureId::User(0) => {
                    image = Some(r.rect.intersect(clip));
                }
                _ => {}
            }
        }
        (texts, image.expect("no viewport image drawn"))
    }

    #[test]
    fn no_two_texts_overlap_and_the_viewport_keeps_room_in_small_windows() {
        let scene = generate_world(7);
        let mut e = Editor::new(scene, 7, "llvmpipe (Vulkan)".into(), Arc::new(|| {}));
        // A variant shown (the viewport's banner, the variants panel's "Edits go to").
        let overcast = e.scene.variants().list[2].id;
        e.apply(UiAction::Variant(ui::VariantAction::Switch(Some(overcast))));
        // The timeline's render counts ("0 / 240 rendered") shown.
        e.scan_frame_strip_now();
        assert!(
            !e.frame_strip.marks.is_empty(),
            "the frame strip was scanned"
        );
        let sizes = [
            egui::vec2(1600.0, 900.0),
            egui::vec2(1280.0, 720.0),
            egui::vec2(1024.0, 640.0),
            egui::vec2(900.0, 600.0),
            egui::vec2(640.0, 420.0),
            // Narrow and tall: the inspector at its narrowest with a mesh's rows in view down
            // to its textures.
            egui::vec2(700.0, 2200.0),
            egui::vec2(700.0, 600.0),
        ];
        // Each size as the window opens at it, then the window shrunk through them all (the
        // panels keep the sizes they had where they still may).
        let shrinking = egui::Context::default();
        let runs = sizes
            .iter()
            .map(|s| (egui::Context::default(), *s))
            .chain(sizes.iter().map(|s| (shrinking.clone(), *s)));
        // The scene summary, and a node of each kind in the inspector.
        let mut selections = vec![Vec::new()];
        for kind in ["Mesh", "Sun light", "Point light", "Spot light", "Camera"] {
            let node = e.scene.nodes().find(|n| n.kind.label() == kind);
            selections.push(vec![node.expect(kind).id]);
        }
        // An imported node's long name (the inspector's heading).
        let long = e.scene.add_node(
            None,
            "node_damagedHelmet_-6514_as_exported_from_a_scan_pipeline",
            crate::scene::Transform::IDENTITY,
            crate::scene::NodeKind::Empty,
        );
        let child = e.scene.add_node(
            Some(long),
            "Child",
            crate::scene::Transform::IDENTITY,
            crate::scene::NodeKind::Empty,
        );
        selections.push(vec![long]);
        // Its child: the long name as its parent's.
        selections.push(vec![child]);
        // A splat cloud: its layer facts, relighting and splat selection tools.
        let n = 64;
        let cloud = crate::scene::SplatCloud::new(
            (0..n).map(|i| [i as f32 * 0.1, 1.0, 0.0]).collect(),
            vec![[0.0, 0.0, 0.0, 1.0]; n],
            vec![[0.1; 3]; n],
            vec![1.0; n],
            vec![[0.5; 3]; n],
            0,
            Vec::new(),
        )
        .expect("a valid cloud");
        let cloud = e.scene.add_splat_cloud(cloud);
        let splats = e.scene.add_node(
            None,
            "Splats",
            crate::scene::Transform::IDENTITY,
            crate::scene::NodeKind::Splats { cloud },
        );
        selections.push(vec![splats]);
        // A mesh whose material has a texture with a long file name (the texture rows).
        let image = crate::scene::Image::new(
            "T_Ruins_Wall_BaseColor_Albedo_4096_final_v2.png",
            1,
            1,
            vec![200; 4],
        )
        .expect("a 1×1 image");
        let image = e.scene.add_image(image);
        let textured = e.scene.find("Terrain").expect("a terrain");
        let crate::scene::NodeKind::Mesh { material, .. } = e.scene.node(textured).unwrap().kind
        else {
            panic!("the terrain is a mesh");
        };
        e.scene.material_mut(material).unwrap().base_color_texture =
            Some(crate::scene::TextureRef::new(image, Default::default()));
        for ((ctx, size), selection) in runs.flat_map(|run| {
            selections
                .iter()
                .map(move |selection| (run.clone(), selection.clone()))
        }) {
            e.selection = selection;
            let (texts, image) = laid_out_texts(&ctx, &mut e, size);
            let size = (
                size,
                e.selection
                    .first()
                    .map(|id| &e.scene.node(*id).unwrap().name),
            );
            assert!(
                texts.len() > 30,
                "{size:?}: only {} texts drawn",
                texts.len()
            );
            let cut: Vec<_> = texts
                .iter()
                .filter(|(r, _)| *r == egui::Rect::NOTHING)
                .map(|(_, t)| t)
                .collect();
            assert!(
                cut.is_empty(),
                "{size:?}: texts cut at their start or end, or broken inside a word: {cut:?}"
            );
            let texts: Vec<_> = texts
                .into_iter()
                .filter(|(r, _)| *r != egui::Rect::NOTHING)
                .collect();
            // The narrow, tall window has the mesh's inspector in view down to its texture
            // slots, so the rows checked include the material's and the textures'.
            if size.0.y > 2000.0 && size.1.is_some_and(|n| n == "Terrain") {
                for text in ["Iridescence", "Textures", "Clearcoat normal"] {
                    assert!(
                        texts.iter().any(|(_, t)| t == text),
                        "{size:?}: {text:?} is not in view"
                    );
                }
            }
            // The timeline's render counts show whole on one line where they fit (in a
            // large window), and never take the shots' room: its shot list still shows.
            let counts = texts.iter().find(|(_, t)| t.ends_with(" rendered"));
            if let Some((counts, _)) = counts {
                assert!(
                    counts.height() < 14.0,
                    "{size:?}: the render counts are broken over lines: {counts:?}"
                );
            }
            assert!(
                counts.is_some() || size.0.x < 1200.0,
                "{size:?}: no render counts"
            );
            assert!(
                texts.iter().any(|(_, t)| t == "Shots"),
                "{size:?}: the timeline's shot list is not shown"
            );
            let mut overlaps = Vec::new();
            for (i, (a, ta)) in texts.iter().enumerate() {
                for (b, tb) in &texts[i + 1..] {
                    let both = a.intersect(*b);
                    if both.width() > 1.0 && both.height() > 1.0 {
                        overlaps.push(format!("{ta:?} at {a:?} and {tb:?} at {b:?}"));
                    }
                }
            }
            assert!(
                overlaps.is_empty(),
                "{size:?}: texts drawn over each other:\n{}",
                overlaps.join("\n")
            );
            let window = size.0;
            assert!(
                image.width() >= 0.4 * window.x && image.height() >= 0.45 * window.y,
                "{size:?}: the viewport is left only {image:?}"
            );
            // Nothing else is drawn under the viewport image's corners: the panels' texts
            // stay in the panels.
            let inside = image.shrink(2.0);
            let covered: Vec<_> = texts
                .iter()
                .filter(|(r, _)| r.left() < inside.left() || r.right() > inside.right())
                .filter(|(r, _)| r.intersects(inside))
                .collect();
            assert!(
                covered.is_empty(),
                "{size:?}: texts under the viewport's edge: {covered:?}"
            );
        }
        // Wherever the transport line wraps, it wraps between its items, not through the
        // playhead's time ("/ 239" at the end of one line, "00:00:00:00" on the next, over
        // the buttons there: at 700 points wide).
        e.selection.clear();
        for width in (640..=1000).step_by(20) {
            let size = egui::vec2(width as f32, 600.0);
            let (texts, _) = laid_out_texts(&egui::Context::default(), &mut e, size);
            let time = texts.iter().find(|(_, t)| t.starts_with("/ 239"));
            let (time, _) = time.expect("the playhead's time is drawn");
            assert!(
                time.height() < 16.0,
                "{size:?}: the playhead's time is broken over lines: {time:?}"
            );
        }
    }

    /// Every window and dialog opens whole inside the window, title bar included (Help ▸
    /// Controls, fifty-odd rows, once stood 1268 points tall with its title above the
    /// screen), in the smallest window and a common one.
    #[test]
    fn every_window_opens_inside_the_smallest_editor_window() {
        use crate::app::StartWindow;
        use clap::ValueEnum as _;
        let scene = generate_world(7);
        let browsers = [BrowsePurpose::Open, BrowsePurpose::SaveAs];
        for size in [egui::vec2(640.0, 420.0), egui::vec2(1280.0, 720.0)] {
            let starts = StartWindow::value_variants().iter().map(Some);
            for (start, browser) in starts
                .map(|s| (s, None))
                .chain(browsers.iter().map(|b| (None, Some(*b))))
            {
                let mut e = Editor::new(scene.clone(), 7, "llvmpipe".into(), Arc::new(|| {}));
                if let Some(start) = start {
                    start.open(&mut e.dialogs, 7);
                }
                if let Some(purpose) = browser {
                    e.dialogs.file_browser = Some(FileBrowser::new(purpose, &std::env::temp_dir()));
                }
                let ctx = egui::Context::default();
                editor_shapes(&ctx, &mut e, size, 4);
                let windows: Vec<_> = ctx.memory(|m| {
                    m.areas()
                        .visible_layer_ids()
                        .into_iter()
                        .filter(|l| {
                            matches!(l.order, egui::Order::Middle | egui::Order::Foreground)
                        })
                        .filter_map(|l| m.area_rect(l.id))
                        .collect()
                });
                let what = (size, start, browser);
                assert!(!windows.is_empty(), "{what:?}: no window shown");
                let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
                for rect in windows {
                    assert!(
                        screen.contains_rect(rect),
                        "{what:?}: a window at {rect:?} leaves the screen"
                    );
                }
            }
        }
    }

    #[test]
    fn operations_add_duplicate_delete_and_undo_through_the_editor() {
        use crate::scene::{NodeKind, Primitive};
        let mut e = editor();
        e.camera.pivot = glam::Vec3::new(3.0, 0.0, -2.0);
        e.apply(UiAction::Operation(Operation::AddPrimitive(
            Primitive::Cube { size: 1.0 },
        )));
        let cube = e.scene.find("Cube").expect("a cube was added");
        assert_eq!(e.selection, vec![cube], "the new object is selected");
        assert_eq!(
            e.scene.node(cube).unwrap().transform.translation,
            e.camera.pivot,
            "placed at the pivot"
        );
        e.apply(UiAction::Operation(Operation::Duplicate));
        let copy = e.scene.find("Cube.001").expect("duplicated");
        assert_eq!(e.selection, vec![copy]);
        e.selection = vec![cube, copy];
        e.apply(UiAction::Operation(Operation::Delete));
        assert!(e.selection.is_empty());
        assert_eq!(e.scene.node_count(), 1);
        assert_eq!(e.history.undo_label(), Some("Delete 2 objects"));
        // Edit ▸ History: back to the original, then forward to the duplicate.
        assert_eq!(e.history.steps().0.len(), 3);
        e.apply(UiAction::JumpToHistory(0));
        assert_eq!(e.scene.node_count(), 1);
        assert!(e.scene.find("Cube").is_none());
        e.apply(UiAction::JumpToHistory(2));
        assert_eq!(e.scene.node_count(), 3);
        assert!(matches!(
            e.scene.node(copy).unwrap().kind,
            NodeKind::Mesh { .. }
        ));
        // An operation that cannot run says why and records nothing.
        e.selection.clear();
        e.apply(UiAction::Operation(Operation::Delete));
        assert_eq!(e.history.steps().1, 2);
        assert_eq!(
            e.notice.as_ref().map(|n| n.0.as_str()),
            Some("Select something first.")
        );
    }

    #[test]
    fn undo_drops_vanished_nodes_from_the_selection() {
        let mut e = editor();
        e.apply(UiAction::Operation(Operation::AddPrimitive(
            crate::scene::Primitive::ALL[1],
        )));
        assert_eq!(e.selection.len(), 1);
        e.apply(UiAction::Undo);
        assert!(e.selection.is_empty());
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

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ws-editor-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn hide(e: &mut Editor, name: &str) {
        let node = e.scene.find(name).expect("node");
        e.apply(UiAction::Edit(crate::edit::Command::SetVisible {
            node,
            visible: false,
        }));
    }

    #[test]
    fn save_marks_clean_and_the_title_shows_name_star_and_path() {
        let dir = temp_dir("save");
        let mut e = editor();
        assert!(!e.is_dirty());
        assert_eq!(e.title(), "worldsmith — t");
        hide(&mut e, "A");
        assert!(e.is_dirty());
        assert_eq!(e.title(), "worldsmith — t*");
        let path = dir.join("demo");
        e.apply(UiAction::SaveAs(path.clone()));
        let path = dir.join("demo.wsproj");
        assert_eq!(e.project_path.as_deref(), Some(path.as_path()));
        assert!(!e.is_dirty());
        assert_eq!(e.title(), format!("worldsmith — demo ({})", path.display()));
        assert_eq!(e.recent.first(), Some(&path));
        // Undo past the save point is unsaved; redo back to it is saved again.
        e.apply(UiAction::Undo);
        assert!(
            e.title().starts_with("worldsmith — demo* ("),
            "{}",
            e.title()
        );
        e.apply(UiAction::Redo);
        assert!(!e.is_dirty());
        // Ctrl+S saves to the same file: the previous one becomes the backup.
        hide(&mut e, "A");
        e.apply(UiAction::Undo);
        e.apply(UiAction::Undo);
        e.apply(UiAction::Save);
        assert!(!e.is_dirty());
        assert!(crate::project::backup_path(&path).is_file());
        let saved = crate::project::load(&path).expect("load");
        let a = saved.scene.find("A").expect("A");
        assert!(saved.scene.node(a).expect("A").visible);
        assert_eq!(saved.editor.seed, Some(1));
        assert_eq!(
            saved.editor.camera.and_then(|c| c.to_orbit()),
            Some(e.camera)
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn quit_new_world_and_open_ask_before_losing_unsaved_work() {
        let dir = temp_dir("prompt");
        let mut e = editor();
        hide(&mut e, "A");
        // Quit: Cancel stays, Don't Save quits.
        e.apply(UiAction::Quit);
        assert!(!e.quit_requested);
        let prompt = e.dialogs.save_prompt.clone().expect("asked");
        assert_eq!(prompt.before, "closing");
        e.dialogs.save_prompt = None;
        e.apply(UiAction::SavePromptAnswer(SaveChoice::Cancel));
        assert!(!e.quit_requested);
        e.apply(UiAction::Quit);
        e.dialogs.save_prompt = None;
        e.apply(UiAction::SavePromptAnswer(SaveChoice::DontSave));
        assert!(e.quit_requested);

        // New World: Save with a project file saves, then generates.
        let mut e = editor();
        let path = dir.join("w.wsproj");
        e.apply(UiAction::SaveAs(path.clone()));
        hide(&mut e, "A");
        e.apply(UiAction::NewWorld { seed: 4 });
        assert!(e.pending_world.is_none(), "held until answered");
        assert_eq!(
            e.dialogs.save_prompt.take().map(|p| p.before),
            Some("generating world 4".to_owned())
        );
        e.apply(UiAction::SavePromptAnswer(SaveChoice::Save));
        assert!(e.pending_world.is_some(), "generating after the save");
        assert!(!e.is_dirty());
        let saved = crate::project::load(&path).expect("load");
        let a = saved.scene.find("A").expect("A");
        assert!(
            !saved.scene.node(a).expect("A").visible,
            "the edit was saved"
        );

        // Open of another file with a never-saved scene: Save opens Save As; closing it
        // without saving keeps everything.
        let mut e = editor();
        hide(&mut e, "A");
        e.apply(UiAction::OpenPath(path.clone()));
        assert!(!e.loading());
        e.dialogs.save_prompt = None;
        e.apply(UiAction::SavePromptAnswer(SaveChoice::Save));
        let browser = e.dialogs.file_browser.as_ref().expect("Save As browser");
        assert_eq!(browser.purpose, BrowsePurpose::SaveAs);
        assert_eq!(browser.file_name, "t.wsproj");
        e.dialogs.file_browser = None;
        wait_for_load(&mut e);
        assert!(e.after_save.is_none(), "dismissed Save As forgets the open");
        assert!(e.scene.find("A").is_some() && e.is_dirty());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn opening_a_project_restores_its_camera_and_path() {
        let dir = temp_dir("open");
        let path = dir.join("cam.wsproj");
        let mut scene = crate::generate::generate_world(2);
        scene.name = "Two".into();
        let camera = OrbitCamera {
            pivot: glam::Vec3::new(3.0, 1.0, -2.0),
            distance: 9.0,
            yaw: 1.0,
            pitch: 0.2,
            fov_y_rad: 0.7,
            fly_speed: 5.0,
            ortho: true,
            ortho_auto: false,
        };
        let view = ViewSettings {
            grid: false,
            icons: true,
            outline: false,
            bones: true,
            wireframe: true,
            wire_opacity: Some(0.8),
            solid: true,
            solid_color: SolidColorSetting::Texture,
            solid_flat: false,
            solid_matcap: Some(MatcapSetting::Toon),
            solid_random: false,
            paths_around: Some(12),
            xray: true,
            xray_alpha: Some(0.3),
        };
        let state = EditorState {
            seed: Some(2),
            camera: ViewCamera::from_orbit(&camera),
            view: Some(view),
            project_path: None,
        };
        crate::project::save(&path, &scene, &state).expect("save");
        let mut e = editor();
        e.open(&path);
        wait_for_load(&mut e);
        assert_eq!(e.scene.name, "Two");
        assert_eq!(e.camera, camera);
        assert_eq!(view_settings(&e.overlays), view, "the View menu's choices");
        // Saved again as they are.
        e.apply(UiAction::Save);
        let saved = crate::project::load(&path).expect("load");
        assert_eq!(saved.editor.view, Some(view));
        // A hand-edited or hostile span is brought into the menu's range.
        let mut o = e.overlays;
        for (stored, kept) in [
            (Some(0), Some(1)),
            (Some(u32::MAX), Some(10_000)),
            (None, None),
        ] {
            restore_view_settings(
                &mut o,
                ViewSettings {
                    paths_around: stored,
                    ..view
                },
            );
            assert_eq!(o.paths.around, kept);
        }
        // The stored opacities, the wireframe's and X-ray's: clamped into 0–1; absent or NaN,
        // each its default.
        type Fraction = (
            fn(&mut ViewSettings, Option<f32>),
            fn(&Overlays) -> f32,
            f32,
        );
        let fractions: [Fraction; 2] = [
            (
                |v, a| v.wire_opacity = a,
                |o| o.wire_opacity,
                crate::render::DEFAULT_WIRE_OPACITY,
            ),
            (
                |v, a| v.xray_alpha = a,
                |o| o.xray_alpha,
                crate::render::XRAY_ALPHA,
            ),
        ];
        for (set, get, default) in fractions {
            for (stored, kept) in [
                (Some(7.0), 1.0),
                (Some(3.0), 1.0),
                (Some(-1.0), 0.0),
                (Some(f32::NAN), default),
                (None, default),
                (Some(0.25), 0.25),
                (Some(0.2), 0.2),
            ] {
                let mut stored_view = view;
                set(&mut stored_view, stored);
                restore_view_settings(&mut o, stored_view);
                assert_eq!(get(&o), kept, "{stored:?}");
            }
        }
        // A project from before the choice of solid colours keeps its random ones.
        for (legacy_random, color) in [(true, SolidColor::Random), (false, SolidColor::Clay)] {
            let legacy = ViewSettings {
                solid_color: SolidColorSetting::Clay,
                solid_random: legacy_random,
                ..view
            };
            restore_view_settings(&mut o, legacy);
            assert_eq!(o.solid_color, color);
        }
        assert_eq!(e.seed, 2);
        assert_eq!(e.project_path.as_deref(), Some(path.as_path()));
        assert!(!e.is_dirty());
        assert!(
            !e.scene.nodes().any(|n| n.name == "Default sun"),
            "a project is shown as saved"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn autosave_writes_a_recovery_file_that_the_next_session_recovers() {
        let dir = temp_dir("autosave");
        let mut e = editor();
        e.enable_autosave(&dir);
        assert!(e.dialogs.recovery.is_none(), "nothing to recover");
        let own = crate::project::recovery::own_file(&dir);
        let ctx = egui::Context::default();
        let frame = |e: &mut Editor| {
            ctx.run_ui(egui::RawInput::default(), |ui| {
                e.ui(ui, egui::TextureId::User(0))
            })
            .textures_delta
            .clear();
        };
        // 19 edits: nothing yet; the 20th starts an autosave on a worker.
        for i in 0..super::super::autosave::AUTOSAVE_EDITS {
            let node = e.scene.find("A").expect("A");
            e.apply(UiAction::Edit(crate::edit::Command::SetVisible {
                node,
                visible: i % 2 == 1,
            }));
            frame(&mut e);
            if i + 1 < super::super::autosave::AUTOSAVE_EDITS {
                assert!(!own.exists(), "autosaved after {} edits", i + 1);
            }
        }
        let until = Instant::now() + Duration::from_secs(30);
        while !own.exists() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        frame(&mut e);
        let recovered = crate::project::load(&own).expect("the recovery file loads");
        assert_eq!(
            crate::scene::scene_hash(&recovered.scene),
            crate::scene::scene_hash(&e.scene)
        );
        // The process "crashed": rename the file as another (dead) process's.
        let orphan = dir.join("recovery-4999999.wsproj");
        std::fs::rename(&own, &orphan).expect("rename");
        let mut next = Editor::new(Scene::new("fresh"), 1, "test".into(), Arc::new(|| {}));
        next.enable_autosave(&dir);
        assert!(next.dialogs.recovery.take().is_some(), "recovery offered");
        next.apply(UiAction::RecoveryAnswer(true));
        wait_for_load(&mut next);
        assert!(next.scene.find("A").is_some(), "the work is back");
        assert!(next.is_dirty(), "recovered work is unsaved");
        // Its own autosave takes over, then the crashed session's file goes.
        let until = Instant::now() + Duration::from_secs(30);
        while orphan.exists() && Instant::now() < until {
            frame(&mut next);
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!orphan.exists());
        assert!(own.exists());
        // Saving deletes the recovery file; so does a clean exit.
        next.apply(UiAction::SaveAs(dir.join("saved.wsproj")));
        assert!(!own.exists());
        next.shutdown();
        let left: Vec<_> = std::fs::read_dir(&dir)
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("saved.wsproj")]);

        // Discard deletes an offered file.
        std::fs::write(&orphan, b"x").expect("write");
        let mut third = editor();
        third.enable_autosave(&dir);
        third.dialogs.recovery = None;
        third.apply(UiAction::RecoveryAnswer(false));
        assert!(!orphan.exists());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(ago(1), "1 second ago");
        assert_eq!(ago(59), "59 seconds ago");
        assert_eq!(ago(125), "2 minutes ago");
        assert_eq!(ago(7200), "2 hours ago");
        assert_eq!(ago(86400), "1 day ago");
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
