//! The status bar: adapter, frame timing, what the last frame drew, the selection size.

use super::inspector::thousands;
use crate::render::FrameStats;
use egui::Ui;

/// What the status bar shows.
#[derive(Clone, Copy, Debug)]
pub struct StatusInfo<'a> {
    /// GPU adapter and backend, e.g. "llvmpipe (…) (Vulkan)".
    pub adapter_name: &'a str,
    /// Frames per second over the recent frames (smoothed); `None` when idle.
    pub fps: Option<f32>,
    /// CPU time of one frame (UI, scene render submit, paint), smoothed, in milliseconds.
    pub frame_ms: f32,
    /// What the last scene render drew.
    pub stats: FrameStats,
    /// Number of selected nodes.
    pub selected: usize,
    /// A transient message, e.g. "Generating world 42…".
    pub message: Option<&'a str>,
}

/// Shows the status bar contents (put it in a thin bottom panel).
pub fn status_bar_ui(ui: &mut Ui, info: &StatusInfo<'_>) {
    ui.horizontal_centered(|ui| {
        ui.weak(info.adapter_name)
            .on_hover_text("GPU adapter (backend)");
        ui.separator();
        let fps = info
            .fps
            .map_or_else(|| "idle".to_owned(), |fps| format!("{fps:.0} fps"));
        ui.label(format!("{fps} · {:.1} ms", info.frame_ms))
            .on_hover_text("Frames per second while redrawing, and CPU time per frame");
        ui.separator();
        ui.label(drawn_summary(&info.stats))
            .on_hover_text("Drawn by the last viewport render");
        ui.separator();
        ui.label(format!("{} selected", info.selected));
        if let Some(message) = info.message {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.spinner();
                ui.label(message);
            });
        }
    });
}

/// "163,332 tris · 2,000 segments · 56 draw calls": triangles always, points, line segments
/// and splats when the frame drew any (the status bar, `worldsmith still`).
pub fn drawn_summary(stats: &FrameStats) -> String {
    let mut parts = vec![format!("{} tris", thousands(stats.triangles))];
    for (n, what) in [
        (stats.points, "points"),
        (stats.segments, "segments"),
        (stats.splats, "splats"),
    ] {
        if n > 0 {
            parts.push(format!("{} {what}", thousands(n)));
        }
    }
    parts.push(format!("{} draw calls", stats.draw_calls));
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drawn_counts_name_what_the_frame_drew() {
        let mut stats = FrameStats {
            triangles: 12,
            draw_calls: 3,
            ..Default::default()
        };
        assert_eq!(drawn_summary(&stats), "12 tris · 3 draw calls");
        stats.segments = 5;
        stats.splats = 1_000_000;
        assert_eq!(
            drawn_summary(&stats),
            "12 tris · 5 segments · 1,000,000 splats · 3 draw calls"
        );
    }
}
