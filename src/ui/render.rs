//! Render ▸ menu and the Render window: output folder, format and quality of clip renders,
//! the running render's progress (frames, cached, ETA) with Cancel, and what finished.

use super::UiAction;
use crate::scene::Scene;
use egui::Ui;
use std::path::PathBuf;
use std::time::Duration;

/// What clip renders write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RenderFormat {
    /// H.264 MP4 (yuv420p).
    #[default]
    Mp4,
    /// A folder of `frame_NNNN.png`.
    Png,
}

/// The Render window's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderPanelState {
    /// `None`: `renders/` beside the project.
    pub folder: Option<PathBuf>,
    pub format: RenderFormat,
    /// Shadow cascade resolution of clip frames.
    pub shadow_map_size: u32,
    /// Supersampling factor of clip frames (1: off).
    pub supersample: u32,
    /// The folder field's text while it is edited.
    folder_text: Option<String>,
}

impl Default for RenderPanelState {
    fn default() -> Self {
        Self {
            folder: None,
            format: RenderFormat::Mp4,
            shadow_map_size: 4096,
            supersample: 1,
            folder_text: None,
        }
    }
}

/// The render queue as the window shows it.
#[derive(Clone, Debug, Default)]
pub struct RenderStatus {
    /// Shot, output, frames done, total, cached, elapsed, ETA.
    pub running: Option<RunningRender>,
    pub waiting: Vec<String>,
    /// Shot and the result line, newest last.
    pub finished: Vec<(String, Result<String, String>)>,
    /// The frame cache's folder.
    pub cache_dir: PathBuf,
}

#[derive(Clone, Debug)]
pub struct RunningRender {
    pub shot: String,
    pub output: PathBuf,
    pub done: u32,
    pub total: u32,
    pub cached: u32,
    pub elapsed: Duration,
    pub eta: Option<Duration>,
}

/// Render ▸ items.
pub fn render_menu_ui(ui: &mut Ui, scene: &Scene, open: &mut bool, actions: &mut Vec<UiAction>) {
    let active = scene.timeline().active_shot().map(|s| s.name.clone());
    let has_shots = !scene.timeline().shots().is_empty();
    let label = match &active {
        Some(name) => format!("Render Shot '{name}'"),
        None => "Render Shot".to_owned(),
    };
    if ui
        .add_enabled(
            active.is_some(),
            egui::Button::new(label).shortcut_text("F12"),
        )
        .on_disabled_hover_text("Add a shot in the timeline first.")
        .clicked()
    {
        actions.push(UiAction::RenderShots { all: false });
    }
    if ui
        .add_enabled(has_shots, egui::Button::new("Render All Shots"))
        .clicked()
    {
        actions.push(UiAction::RenderShots { all: true });
    }
    ui.separator();
    if ui.button("Render Window…").clicked() {
        *open = true;
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The Render window.
pub fn render_window_ui(
    ctx: &egui::Context,
    open: &mut bool,
    panel: &mut RenderPanelState,
    default_folder: &std::path::Path,
    status: &RenderStatus,
    actions: &mut Vec<UiAction>,
) {
    egui::Window::new("Render")
        .open(open)
        .resizable(false)
        .default_width(380.0)
        .show(ctx, |ui| {
            egui::Grid::new("render settings")
                .num_columns(2)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    ui.label("Output folder");
                    let shown = panel
                        .folder
                        .clone()
                        .unwrap_or_else(|| default_folder.to_path_buf())
                        .display()
                        .to_string();
                    let text = panel.folder_text.get_or_insert(shown);
                    let edit = ui.add(egui::TextEdit::singleline(text).desired_width(260.0));
                    if edit.lost_focus() {
                        let t = text.trim().to_owned();
                        panel.folder = (!t.is_empty()).then(|| PathBuf::from(t));
                        panel.folder_text = None;
                    }
                    ui.end_row();
                    ui.label("Format");
                    ui.horizontal(|ui| {
                        ui.radio_value(&mut panel.format, RenderFormat::Mp4, "MP4 (H.264)");
                        ui.radio_value(&mut panel.format, RenderFormat::Png, "PNG sequence");
                    });
                    ui.end_row();
                    ui.label("Shadow quality");
                    egui::ComboBox::from_id_salt("render shadows")
                        .selected_text(format!("{0}²", panel.shadow_map_size))
                        .show_ui(ui, |ui| {
                            for size in [2048, 4096, 8192] {
                                ui.selectable_value(
                                    &mut panel.shadow_map_size,
                                    size,
                                    format!("{size}²"),
                                );
                            }
                        });
                    ui.end_row();
                    ui.label("Anti-aliasing");
                    let label = |n: u32| match n {
                        1 => "MSAA 4×".to_owned(),
                        n => format!("MSAA 4× + {n}×{n} supersampling"),
                    };
                    egui::ComboBox::from_id_salt("render supersampling")
                        .selected_text(label(panel.supersample))
                        .show_ui(ui, |ui| {
                            for n in 1..=3 {
                                ui.selectable_value(&mut panel.supersample, n, label(n))
                                    .on_hover_text(
                                        "Each frame is drawn at this multiple of the width and \
                                         height and averaged down in linear light: smoother \
                                         foliage, shadow edges and thin lines, at n² times the \
                                         drawing time.",
                                    );
                            }
                        });
                    ui.end_row();
                });
            ui.label(
                egui::RichText::new(format!(
                    "Frames are cached in {}: re-rendering after an edit redraws only the frames \
                     it changed; the timeline marks them. The folder is safe to delete.",
                    status.cache_dir.display()
                ))
                .small()
                .weak(),
            );
            ui.separator();
            match &status.running {
                Some(r) => {
                    ui.label(format!("Rendering '{}' to {}", r.shot, r.output.display()));
                    let fraction = if r.total > 0 {
                        r.done as f32 / r.total as f32
                    } else {
                        0.0
                    };
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .text(format!("{} / {} frames", r.done, r.total))
                            .show_percentage(),
                    );
                    ui.horizontal(|ui| {
                        ui.label(format!(
                            "{} from the cache · elapsed {} · ETA {}",
                            r.cached,
                            secs(r.elapsed),
                            r.eta.map_or_else(|| "…".to_owned(), secs)
                        ));
                        if ui.button("Cancel").clicked() {
                            actions.push(UiAction::CancelRenders);
                        }
                    });
                }
                None => {
                    ui.label(egui::RichText::new("Nothing rendering.").weak());
                }
            }
            if !status.waiting.is_empty() {
                ui.label(format!("Queued: {}", status.waiting.join(", ")));
            }
            for (shot, result) in status.finished.iter().rev().take(6) {
                match result {
                    Ok(line) => ui.label(egui::RichText::new(line).small()),
                    Err(line) => ui.label(
                        egui::RichText::new(format!("{shot}: {line}"))
                            .small()
                            .color(ui.visuals().warn_fg_color),
                    ),
                };
            }
            ui.separator();
            ui.horizontal(|ui| {
                if ui.button("Render Shot").clicked() {
                    actions.push(UiAction::RenderShots { all: false });
                }
                if ui.button("Render All Shots").clicked() {
                    actions.push(UiAction::RenderShots { all: true });
                }
            });
        });
}
