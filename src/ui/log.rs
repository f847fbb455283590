//! The log window (View ▸ Log) with the editor's recent messages, the transient notice in the
//! viewport corner, and the progress plate shown while a file loads.

use super::UiAction;
use egui::{Align2, Color32, Rect, RichText, Ui, vec2};
use std::collections::VecDeque;

/// How serious a log message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warning,
    Error,
}

/// One message in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub level: LogLevel,
    pub text: String,
}

/// Messages kept in the log window.
pub const LOG_CAPACITY: usize = 100;

/// Appends to `log`, dropping the oldest message beyond [`LOG_CAPACITY`].
pub fn push_log(log: &mut VecDeque<LogEntry>, level: LogLevel, text: String) {
    if log.len() == LOG_CAPACITY {
        log.pop_front();
    }
    log.push_back(LogEntry { level, text });
}

fn level_color(level: LogLevel) -> Color32 {
    match level {
        LogLevel::Info => Color32::from_gray(220),
        LogLevel::Warning => Color32::from_rgb(0xe8, 0xc0, 0x4c),
        LogLevel::Error => Color32::from_rgb(0xf0, 0x70, 0x60),
    }
}

/// The log window, newest message last; `open` is toggled by its close button.
pub fn log_window_ui(ui: &Ui, open: &mut bool, log: &VecDeque<LogEntry>) {
    egui::Window::new("Log")
        .open(open)
        .collapsible(true)
        .default_size(vec2(520.0, 220.0))
        .show(ui.ctx(), |ui| {
            if log.is_empty() {
                ui.weak("No messages yet.");
                return;
            }
            egui::ScrollArea::vertical()
                .stick_to_bottom(true)
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    for entry in log {
                        ui.label(RichText::new(&entry.text).color(level_color(entry.level)));
                    }
                });
        });
}

/// A short-lived message in the viewport's bottom-right corner.
pub fn notice_ui(ui: &Ui, rect: Rect, entry: &LogEntry) {
    egui::Area::new(egui::Id::unique("viewport_notice"))
        .order(egui::Order::Foreground)
        .fade_in(false)
        .pivot(Align2::RIGHT_BOTTOM)
        .fixed_pos(rect.right_bottom() + vec2(-10.0, -10.0))
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_max_width(460.0);
                ui.label(RichText::new(&entry.text).color(level_color(entry.level)));
            });
        });
}

/// "Loading NAME… 1.2 s" with a progress bar (bytes done of the total, or a spinner while the
/// total is unknown) and a Cancel button, at the top of the viewport.
pub fn loading_ui(
    ui: &Ui,
    rect: Rect,
    file_name: &str,
    elapsed_s: f32,
    (done, total): (u64, u64),
) -> Option<UiAction> {
    let mut action = None;
    egui::Area::new(egui::Id::unique("viewport_loading"))
        .order(egui::Order::Foreground)
        // Short loads would end before a fade finished; show the plate at once.
        .fade_in(false)
        .pivot(Align2::CENTER_TOP)
        .fixed_pos(rect.center_top() + vec2(0.0, 36.0))
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Loading {file_name}… {elapsed_s:.1} s"));
                    if ui.button("Cancel").clicked() {
                        action = Some(UiAction::CancelLoad);
                    }
                });
                if total > 0 {
                    let fraction = (done as f64 / total as f64).clamp(0.0, 1.0) as f32;
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .desired_width(320.0)
                            .text(format!("{} of {}", megabytes(done), megabytes(total))),
                    );
                }
            });
        });
    action
}

/// "12.3 MB".
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_last_hundred_messages() {
        let mut log = VecDeque::new();
        for i in 0..150 {
            push_log(&mut log, LogLevel::Info, format!("m{i}"));
        }
        assert_eq!(log.len(), LOG_CAPACITY);
        assert_eq!(log.front().map(|e| e.text.as_str()), Some("m50"));
        assert_eq!(log.back().map(|e| e.text.as_str()), Some("m149"));
    }
}
