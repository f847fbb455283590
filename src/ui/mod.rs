//! `ui` draws the editor's panels with egui: the menu bar, the outliner, the inspector, the
//! timeline, the status bar, the viewport image and the small dialogs.
//!
//! Every function here takes a `&mut egui::Ui` and ends in `_ui`. They read the [`Scene`]
//! and never mutate it: what a user asks for comes back as [`UiAction`]s for the app to apply,
//! and the only state they change directly is UI state (the selection, overlay toggles,
//! which dialog is open). The viewport is the only place that knows an egui `TextureId`;
//! it knows nothing of wgpu or winit.
//!
//! [`Scene`]: crate::scene::Scene

mod cloud_select;
mod dialogs;
mod file_browser;
mod gizmo;
mod history;
mod icons;
mod inspector;
mod log;
mod menu;
mod outliner;
mod region;
mod relight;
mod render;
mod selection;
mod status;
mod timeline;
mod variants;
mod viewport;

pub use cloud_select::{CloudMarks, CloudRef, CloudSelection, CloudTools, SelectTool};
pub use dialogs::{
    CONTROLS, Dialogs, NewWorldDialog, RecoveryPrompt, SaveChoice, SavePrompt, dialogs_ui,
};
pub use file_browser::{
    BrowsePurpose, ENVIRONMENT_EXTENSIONS, ExportChoices, ExportKind, FileBrowser,
    IMPORTABLE_EXTENSIONS, TEXTURE_EXTENSIONS, file_browser_ui, is_importable, is_world_folder,
};
pub use gizmo::{
    GizmoMode, GizmoSettings, GizmoSpace, PivotMode, SNAP_DEGREES, SNAP_METRES, SNAP_SCALE,
    gizmo_toolbar_ui, paint_gizmo,
};
pub use history::history_window_ui;
pub use inspector::{inspector_keyed_ui, inspector_ui, set_inspector_max_width};
pub use log::{LOG_CAPACITY, LogEntry, LogLevel, loading_ui, log_window_ui, notice_ui, push_log};
pub use menu::{MAX_PATH_SPAN, menu_bar_ui, view_axis_key};
pub use outliner::outliner_ui;
pub use region::{SplatRegionTool, paint_region};
pub use render::{
    RenderFormat, RenderPanelState, RenderStatus, RunningRender, render_menu_ui, render_window_ui,
};
pub use selection::{ClickMode, apply_box, apply_click};
pub use status::{StatusInfo, drawn_summary, status_bar_ui};
pub use timeline::{
    FrameMark, KEY_COLOR, Keying, SIZE_PRESETS, SelectMode, TimelineAction, TimelinePanel,
    TimelineView, key_button_ui, timeline_ui,
};
pub use variants::{
    MAX_COMPARE, VARIANT_COLOR, VariantAction, VariantsPanel, compare_view_ui, overrides_strip_ui,
    variants_ui,
};
pub use viewport::{
    ViewportOverlay, preview_frame_ui, shot_frame_rect, shot_guides_ui, viewport_overlay_ui,
    viewport_ui,
};

use crate::scene::NodeId;
use std::path::PathBuf;

/// What the user asked for through a panel, a menu or a shortcut; the app applies it.
#[derive(Clone, Debug, PartialEq)]
pub enum UiAction {
    /// Change the scene (undoable).
    Edit(crate::edit::Command),
    /// One frame of a drag that changes the scene: the frames of one drag are one undo step.
    EditDrag(crate::edit::Command),
    /// An editing operation on the selection (Add, Duplicate, Delete, Split…).
    Operation(crate::edit::ops::Operation),
    /// Edit ▸ History: undo or redo until this many steps are left to undo.
    JumpToHistory(usize),
    /// Edit ▸ Undo.
    Undo,
    /// Edit ▸ Redo.
    Redo,
    /// Replace the world by the one generated from `seed`.
    NewWorld { seed: u64 },
    /// Open the file at this index of File ▸ Open Recent (most recent first).
    OpenRecent(usize),
    /// Ask for a file (or, with `folder`, a world-model output folder) to open or import:
    /// the desktop's file dialog, or the built-in browser where there is none.
    ShowFileDialog {
        purpose: BrowsePurpose,
        folder: bool,
    },
    /// Replace the world with this file or world folder.
    OpenPath(PathBuf),
    /// Add this file or world folder to the world.
    ImportPath(PathBuf),
    /// Use this equirectangular image as the environment (sky and its light).
    LoadEnvironment(PathBuf),
    /// Every selected mesh uses this material.
    AssignMaterial(crate::scene::MaterialId),
    /// Give this node its own copy of its material.
    MakeMaterialUnique(NodeId),
    /// Load this image into a material's texture slot.
    AssignTexture {
        material: crate::scene::MaterialId,
        slot: crate::scene::TextureSlot,
        path: PathBuf,
    },
    /// Stop waiting for the file being loaded; its result is discarded.
    CancelLoad,
    /// File ▸ Save: to the project's file, or ask for one.
    Save,
    /// Save the project to this file (File ▸ Save As…).
    SaveAs(PathBuf),
    /// Export the world, the selection or the active splat layer to this file (File ▸ Export).
    Export {
        kind: ExportKind,
        path: PathBuf,
        choices: ExportChoices,
    },
    /// The answer to "save changes before …?".
    SavePromptAnswer(SaveChoice),
    /// The answer to "recover unsaved work?": true = recover, false = discard it.
    RecoveryAnswer(bool),
    /// Close the editor.
    Quit,
    /// Clear the selection.
    SelectNone,
    /// Select these nodes (those still in the scene), the last one active.
    Select(Vec<NodeId>),
    /// Frame the selection (or everything when nothing is selected).
    FrameSelected,
    /// Frame the whole world.
    FrameAll,
    /// Back to the initial view (the scene's main camera, or the whole world).
    ResetView,
    /// Put the viewport camera at a scene camera's pose and field of view.
    ViewThroughCamera(NodeId),
    /// Look at the pivot straight from a side of the world (Blender's Numpad 1/3/7, Ctrl for
    /// the opposite side).
    ViewAlong(crate::scene::ViewAxis),
    /// Switch the viewport between perspective and orthographic (Blender's Numpad 5).
    ToggleOrthographic,
    /// Show or hide the meshes' wireframe over the viewport (Shift+Z).
    ToggleWireframe,
    /// X-ray (Alt+Z): meshes drawn see-through and box selections take objects hidden behind
    /// others too; or opaque meshes and only what is seen.
    ToggleXray,
    /// Switch the viewport between lit and solid shading (Z).
    ToggleSolid,
    /// Something about variants (switch, add, rename, compare, reset a value to the base).
    Variant(VariantAction),
    /// Render ▸ Render Shot (the active shot) or Render All Shots, in the background.
    RenderShots { all: bool },
    /// Stop the running render and drop the queued ones.
    CancelRenders,
    /// Something about shots, the playhead or keys (the timeline panel, key buttons, `I`).
    Timeline(TimelineAction),
}

/// The width of `text` in `font` laid out on one line (to plan a row before drawing it).
pub(crate) fn text_width(painter: &egui::Painter, text: &str, font: egui::FontId) -> f32 {
    painter
        .layout_no_wrap(text.to_owned(), font, egui::Color32::WHITE)
        .size()
        .x
}

/// `text` laid out on one line no wider than `width` (never negative), ending in "…" where it
/// is cut (`Galley::elided`), for names painted in a fixed column.
pub(crate) fn elided_galley(
    painter: &egui::Painter,
    text: String,
    font: egui::FontId,
    color: egui::Color32,
    width: f32,
) -> std::sync::Arc<egui::Galley> {
    let mut job = egui::text::LayoutJob::simple_singleline(text, font, color);
    job.wrap = egui::text::TextWrapping::truncate_at_width(width.max(0.0));
    painter.layout_job(job)
}

/// Every shape of a pass's output with the clip rectangle it is drawn in, `Shape::Vec`s
/// opened: for tests that look at what the editor drew (texts, the viewport image).
#[cfg(test)]
pub(crate) fn flat_shapes(
    shapes: Vec<egui::epaint::ClippedShape>,
) -> Vec<(egui::Rect, egui::Shape)> {
    let mut flat = Vec::new();
    let mut stack: Vec<_> = shapes.into_iter().map(|c| (c.clip_rect, c.shape)).collect();
    while let Some((clip, shape)) = stack.pop() {
        match shape {
            egui::Shape::Vec(shapes) => stack.extend(shapes.into_iter().map(|s| (clip, s))),
            shape => flat.push((clip, shape)),
        }
    }
    flat
}

/// Runs `passes` egui passes of `add` in a fresh context (later passes settle what the first
/// laid out by guess), for tests of one panel's widgets.
#[cfg(test)]
pub(crate) fn run_passes(passes: usize, mut add: impl FnMut(&mut egui::Ui)) {
    let ctx = egui::Context::default();
    for _ in 0..passes {
        let mut output = ctx.run_ui(egui::RawInput::default(), &mut add);
        output.textures_delta.clear();
    }
}

#[cfg(test)]
mod tests {
    /// Every non-ASCII character the UI code writes (labels, tooltips, log lines) has a glyph
    /// in egui's fonts: a missing one shows as an empty box (as "→" once did).
    #[test]
    fn ui_text_only_uses_characters_the_fonts_have() {
        let ctx = egui::Context::default();
        let mut output = ctx.run_ui(egui::RawInput::default(), |_| {});
        output.textures_delta.clear();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        for dir in ["ui", "app", "app/editor"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("source folder") {
                let path = entry.expect("entry").path();
                if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 20, "{} files", files.len());
        let mut missing = Vec::new();
        for path in &files {
            let text = std::fs::read_to_string(path).expect("read");
            for (n, line) in text.lines().enumerate() {
                // Comments are not shown; string literals and format strings are.
                let code = line.split("//").next().unwrap_or("");
                let shown = if line.trim_start().starts_with("//") {
                    ""
                } else {
                    code
                };
                for c in shown.chars().filter(|c| !c.is_ascii()) {
                    let font = egui::FontId::proportional(13.0);
                    if !ctx.fonts_mut(|f| f.has_glyph(&font, c)) {
                        missing.push(format!("{}:{} '{c}'", path.display(), n + 1));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no glyph for: {missing:#?}");
    }
}
