//! Small windows: the New World dialog, the list of controls and About.

use super::UiAction;
use egui::{Id, Key, Ui};

/// Every mouse and keyboard control of the editor, as shown in Help ▸ Controls.
pub const CONTROLS: &[(&str, &str)] = &[
    ("Orbit", "Left drag, or Alt + left drag"),
    ("Pan", "Middle drag, or Shift + left drag"),
    ("Zoom", "Mouse wheel (over the viewport)"),
    (
        "Fly: look around",
        "Hold right mouse button and move the mouse",
    ),
    (
        "Fly: move (forward or back leaves orthographic)",
        "W / A / S / D forward, left, back, right",
    ),
    ("Fly: down / up", "Q / E"),
    ("Fly: faster", "Hold Shift"),
    ("Fly: change speed", "Mouse wheel while flying"),
    (
        "Gizmo: move / rotate / scale",
        "W / E / R, then drag a handle",
    ),
    ("Gizmo: off (select only)", "Q"),
    ("Gizmo: world / local axes", "T, or the toolbar button"),
    (
        "Gizmo: snap",
        "Snap button in the viewport toolbar; hold Ctrl while dragging to invert",
    ),
    (
        "Gizmo: pivot",
        "Toolbar: centre of the selection or the active object",
    ),
    ("Frame selected (or all)", "F"),
    ("Reset view", "Home"),
    ("Perspective / orthographic", "5"),
    ("Wireframe over the view", "Shift+Z"),
    ("Lit / solid shading", "Z"),
    (
        "Front / right / top view (orthographic until orbited)",
        "1 / 3 / 7",
    ),
    ("Back / left / bottom view", "Ctrl+1 / Ctrl+3 / Ctrl+7"),
    (
        "Select",
        "Click an object in the viewport or a node in the outliner",
    ),
    ("Add to selection", "Shift-click"),
    ("Toggle in selection", "Ctrl-click"),
    (
        "Box select",
        "B, then drag in the viewport; or Ctrl + left drag. Shift at release adds, Alt takes \
         away; B then middle drag takes away",
    ),
    (
        "X-ray: see through meshes, box select through them",
        "Alt+Z, or X-ray in the View menu (off: a box takes only what is seen in it)",
    ),
    ("Select none", "Esc or Alt+A, or click empty space"),
    ("Frame a node", "Select it, then F"),
    ("Rename", "F2, or double-click its outliner row"),
    ("Timeline: play / pause", "Space (not while typing)"),
    (
        "Timeline: previous / next frame",
        "Left / Right arrow; Shift + arrow jumps to the start / end",
    ),
    (
        "Timeline: key the selected object",
        "I (transform; a light's colour and intensity, a camera's field of view)",
    ),
    (
        "Timeline: keys",
        "Click, Shift-click or drag a box to select; drag to move; Del deletes; \
         Ctrl+C / Ctrl+V copy and paste at the playhead; right-click for interpolation",
    ),
    (
        "Timeline: zoom / pan time",
        "Mouse wheel / middle drag over the keys",
    ),
    (
        "Move under another node",
        "Drag its outliner row onto the other row (onto the title: to the top level)",
    ),
    (
        "Show / hide a node",
        "Click the eye at the right of its outliner row",
    ),
    (
        "Lock against viewport picking",
        "Click the padlock beside the eye",
    ),
    (
        "Edit a value in the inspector",
        "Drag a number or slider, or click it and type; one drag is one undo step",
    ),
    (
        "Add a shape or light",
        "Add menu (placed at the orbit pivot)",
    ),
    ("Duplicate", "Ctrl+D"),
    ("Delete", "Del or X"),
    ("Group", "Ctrl+G"),
    ("Merge meshes", "Ctrl+J"),
    ("Undo history", "Edit > History"),
    ("Undo", "Ctrl+Z"),
    ("Redo", "Ctrl+Shift+Z or Ctrl+Y"),
    (
        "Open a file or world folder",
        "Ctrl+O, or drop it on the window",
    ),
    ("Import into the world", "Ctrl+I"),
    ("Save the project", "Ctrl+S"),
    ("Save the project as a new file", "Ctrl+Shift+S"),
    ("Render the active shot", "F12"),
    ("Quit", "Ctrl+Q"),
];

/// Which dialogs are open.
#[derive(Debug, Default)]
pub struct Dialogs {
    /// File ▸ New World…, while open.
    pub new_world: Option<NewWorldDialog>,
    /// Help ▸ Controls.
    pub controls_open: bool,
    /// Help ▸ About.
    pub about_open: bool,
    /// View ▸ Log.
    pub log_open: bool,
    /// Edit ▸ History.
    pub history_open: bool,
    /// The built-in file browser (File ▸ Open / Import without a desktop file dialog).
    pub file_browser: Option<super::FileBrowser>,
    /// "Save changes before …?", while asked.
    pub save_prompt: Option<SavePrompt>,
    /// "Recover unsaved work?", while asked (at start after a crash).
    pub recovery: Option<RecoveryPrompt>,
    /// Render ▸ Render Window (opens by itself when a render starts).
    pub render_open: bool,
}

impl Dialogs {
    /// True while a modal dialog takes the keyboard (global shortcuts must stay quiet).
    pub fn modal_open(&self) -> bool {
        self.new_world.is_some() || self.save_prompt.is_some() || self.recovery.is_some()
    }
}

/// What the save prompt says: whose changes, and what happens next.
#[derive(Clone, Debug, PartialEq)]
pub struct SavePrompt {
    /// The project's name, e.g. `demo` or the scene's name when never saved.
    pub name: String,
    /// What follows the answer, e.g. "closing", "opening another world".
    pub before: String,
}

/// The save prompt's answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveChoice {
    Save,
    DontSave,
    Cancel,
}

/// What the recovery prompt says about the work a crashed session left.
#[derive(Clone, Debug, PartialEq)]
pub struct RecoveryPrompt {
    /// The recovery file.
    pub file: std::path::PathBuf,
    /// When it was written, in words ("3 minutes ago").
    pub age: String,
    pub size_mb: f64,
}

/// State of the New World dialog.
#[derive(Debug)]
pub struct NewWorldDialog {
    seed_text: String,
    focus_requested: bool,
}

impl NewWorldDialog {
    /// Opens the dialog with `seed` filled in.
    pub fn new(seed: u64) -> Self {
        Self {
            seed_text: seed.to_string(),
            focus_requested: false,
        }
    }
}

/// Shows whichever dialogs are open.
pub fn dialogs_ui(
    ui: &mut Ui,
    dialogs: &mut Dialogs,
    adapter_name: &str,
    actions: &mut Vec<UiAction>,
) {
    let ctx = ui.ctx().clone();
    actions.extend(super::file_browser::file_browser_ui(
        ui,
        &mut dialogs.file_browser,
    ));
    if let Some(prompt) = &dialogs.save_prompt {
        let mut answer = None;
        let modal = egui::Modal::new(Id::unique("save_prompt")).show(&ctx, |ui| {
            ui.set_width(340.0);
            ui.heading("Unsaved changes");
            ui.label(format!(
                "Save the changes to {} before {}?",
                prompt.name, prompt.before
            ));
            ui.label("Your changes are lost if you don't save them.");
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() {
                    answer = Some(SaveChoice::Save);
                }
                if ui.button("Don't Save").clicked() {
                    answer = Some(SaveChoice::DontSave);
                }
                if ui.button("Cancel").clicked() {
                    answer = Some(SaveChoice::Cancel);
                }
            });
        });
        if answer.is_none() && modal.should_close() {
            answer = Some(SaveChoice::Cancel);
        }
        if let Some(answer) = answer {
            dialogs.save_prompt = None;
            actions.push(UiAction::SavePromptAnswer(answer));
        }
    }
    if let Some(prompt) = &dialogs.recovery {
        let mut answer = None;
        egui::Modal::new(Id::unique("recovery_prompt")).show(&ctx, |ui| {
            ui.set_width(360.0);
            ui.heading("Recover unsaved work?");
            ui.label(format!(
                "worldsmith did not close normally last time. Work it had not saved was kept \
                 ({:.1} MB, autosaved {}).",
                prompt.size_mb, prompt.age
            ));
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui.button("Recover").clicked() {
                    answer = Some(true);
                }
                if ui
                    .button("Discard")
                    .on_hover_text("Delete the autosaved work")
                    .clicked()
                {
                    answer = Some(false);
                }
            });
        });
        if let Some(answer) = answer {
            dialogs.recovery = None;
            actions.push(UiAction::RecoveryAnswer(answer));
        }
    }
    if let Some(dialog) = &mut dialogs.new_world {
        let mut close = false;
        let modal = egui::Modal::new(Id::unique("new_world_dialog")).show(&ctx, |ui| {
            ui.set_width(280.0);
            ui.heading("New World");
            ui.label("Generate a new world from a seed. The current world is replaced.");
            ui.add_space(6.0);
            let seed = parse_seed(&dialog.seed_text);
            let mut submit = false;
            ui.horizontal(|ui| {
                ui.label("Seed");
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut dialog.seed_text)
                        .desired_width(150.0)
                        .hint_text("0 – 18446744073709551615"),
                );
                if !dialog.focus_requested {
                    edit.request_focus();
                    dialog.focus_requested = true;
                }
                if edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                    submit = true;
                }
                if ui.button("Random").clicked() {
                    dialog.seed_text = random_seed().to_string();
                }
            });
            if seed.is_none() {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "The seed must be a whole number from 0 to 18446744073709551615.",
                );
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(seed.is_some(), egui::Button::new("OK"))
                    .clicked()
                {
                    submit = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
            if submit && let Some(seed) = seed {
                actions.push(UiAction::NewWorld { seed });
                close = true;
            }
        });
        if close || modal.should_close() {
            dialogs.new_world = None;
        }
    }

    let screen = ctx.content_rect();
    let center = screen.center();
    // Fifty-odd rows: at most the window's height less room for the title bar (they scroll),
    // and the descriptions wrap in a column of at most 340 points.
    let (what_width, how_width) = (240.0_f32, 340.0_f32.min(screen.width() * 0.5));
    egui::Window::new("Controls")
        .open(&mut dialogs.controls_open)
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(center)
        .resizable(false)
        .collapsible(false)
        .show(&ctx, |ui| {
            let height = (screen.height() - 80.0).max(120.0);
            egui::ScrollArea::vertical()
                .max_height(height)
                .min_scrolled_height(height.min(560.0))
                .show(ui, |ui| {
                    egui::Grid::new("controls_grid")
                        .num_columns(2)
                        .striped(true)
                        .spacing([16.0, 4.0])
                        .show(ui, |ui| {
                            for (what, how) in CONTROLS {
                                for (text, width) in [(what, what_width), (how, how_width)] {
                                    ui.scope(|ui| {
                                        ui.set_max_width(width);
                                        ui.add(egui::Label::new(*text).wrap());
                                    });
                                }
                                ui.end_row();
                            }
                        });
                });
        });

    egui::Window::new("About worldsmith")
        .open(&mut dialogs.about_open)
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(center)
        .resizable(false)
        .collapsible(false)
        .show(&ctx, |ui| {
            ui.heading(format!("worldsmith {}", env!("CARGO_PKG_VERSION")));
            ui.label(env!("CARGO_PKG_DESCRIPTION"));
            ui.add_space(6.0);
            egui::Grid::new("about_grid")
                .num_columns(2)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    ui.label("GPU adapter");
                    ui.label(adapter_name);
                    ui.end_row();
                    ui.label("Built with");
                    ui.label("wgpu 30 · egui 0.37 · winit 0.30");
                    ui.end_row();
                    ui.label("License");
                    ui.label(env!("CARGO_PKG_LICENSE"));
                    ui.end_row();
                });
        });
}

/// A seed typed by the user: decimal, surrounding spaces and `_` separators allowed.
fn parse_seed(text: &str) -> Option<u64> {
    text.trim().replace('_', "").parse().ok()
}

/// A seed that differs from run to run (no `rand` dependency needed for this).
fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // Stack address adds a little per-process entropy; SplitMix64 spreads the bits.
    let local = 0u8;
    splitmix64(nanos ^ (std::ptr::addr_of!(local) as u64).rotate_left(32)) % 1_000_000
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_leniently_but_reject_junk() {
        assert_eq!(parse_seed(" 42 "), Some(42));
        assert_eq!(parse_seed("1_000"), Some(1000));
        assert_eq!(parse_seed("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_seed("18446744073709551616"), None);
        assert_eq!(parse_seed("-1"), None);
        assert_eq!(parse_seed("abc"), None);
        assert_eq!(parse_seed(""), None);
    }

    #[test]
    fn splitmix_spreads_neighbouring_inputs() {
        assert_ne!(splitmix64(1), splitmix64(2));
        assert_ne!(splitmix64(1) % 1_000_000, splitmix64(2) % 1_000_000);
    }
}
