//! Edit ▸ History: every undo step in order; clicking one undoes or redoes up to it.

use super::UiAction;
use egui::Ui;

/// The History window. `labels` run oldest first; the first `done` of them are applied.
pub fn history_window_ui(
    ui: &Ui,
    open: &mut bool,
    labels: &[&str],
    done: usize,
    actions: &mut Vec<UiAction>,
) {
    egui::Window::new("History")
        .open(open)
        .default_width(260.0)
        .default_height(320.0)
        .show(ui.ctx(), |ui| {
            history_list_ui(ui, labels, done, actions);
        });
}

/// The list itself: "Original" (nothing done) then one row per step; steps after the
/// current one are greyed (they can be redone).
pub fn history_list_ui(ui: &mut Ui, labels: &[&str], done: usize, actions: &mut Vec<UiAction>) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .stick_to_bottom(true)
        .show(ui, |ui| {
            let rows = std::iter::once("Original").chain(labels.iter().copied());
            for (index, label) in rows.enumerate() {
                let current = index == done;
                let text = if index > done {
                    egui::RichText::new(label).weak()
                } else {
                    egui::RichText::new(label)
                };
                let response = ui
                    .selectable_label(current, text)
                    .on_hover_text(if index > done {
                        "Redo up to here"
                    } else {
                        "Undo back to here"
                    });
                if response.clicked() && !current {
                    actions.push(UiAction::JumpToHistory(index));
                }
            }
        });
}
