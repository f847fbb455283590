//! The inspector's "Relighting" section for captured content (splat clouds, meshes with an
//! unlit material): a slider from "as captured" to "relit" by the scene's lights, the
//! "Estimate captured lighting" operation and a readout of the fitted model.

use super::UiAction;
use super::inspector::{fitted_slider, row_ui, slider};
use crate::edit::Command;
use crate::edit::ops::Operation;
use crate::scene::{CapturedLight, Node, Relight};
use egui::Ui;

/// Emits `SetRelight` (a slider drag is one undo step) or the estimate operation.
pub fn relight_ui(ui: &mut Ui, node: &Node, actions: &mut Vec<UiAction>) {
    let relight = node.relight;
    let mut amount = relight.amount;
    row_ui(ui, |ui| {
        ui.label("As captured");
        // The rail fits between the two labels.
        fitted_slider(
            ui,
            "Relit",
            slider(&mut amount, 0.0..=1.0).show_value(false),
        )
        .on_hover_text("Mix between the captured colour and its albedo lit by the scene");
        ui.label("Relit");
    });
    if amount != relight.amount {
        let command = Command::SetRelight {
            node: node.id,
            relight: Relight { amount, ..relight },
        };
        actions.push(if ui.input(|i| i.pointer.any_down()) {
            UiAction::EditDrag(command)
        } else {
            UiAction::Edit(command)
        });
    }
    row_ui(ui, |ui| {
        if ui
            .button("Estimate captured lighting")
            .on_hover_text(
                "Fit the lighting baked into the colours (ambient + one direction over the \
                 normals), so relighting divides it out",
            )
            .clicked()
        {
            actions.push(UiAction::Operation(Operation::EstimateCapturedLight {
                node: node.id,
            }));
        }
        if ui
            .add_enabled(
                relight.captured != CapturedLight::UNKNOWN,
                egui::Button::new("Forget"),
            )
            .on_hover_text("Treat the captured colour as the albedo")
            .clicked()
        {
            actions.push(UiAction::Edit(Command::SetRelight {
                node: node.id,
                relight: Relight {
                    captured: CapturedLight::UNKNOWN,
                    ..relight
                },
            }));
        }
    });
    ui.weak(captured_summary(&relight.captured));
}

/// "Captured light: 35 % ambient, key from (0.12, 0.94, -0.31)" (local axes).
pub fn captured_summary(captured: &CapturedLight) -> String {
    if *captured == CapturedLight::UNKNOWN {
        return "Captured light: unknown (albedo = captured colour)".to_owned();
    }
    let reference = captured.reference();
    let share = if reference > 0.0 {
        captured.ambient / reference * 100.0
    } else {
        0.0
    };
    let d = captured.key_direction();
    format!(
        "Captured light: {share:.0} % ambient, key from ({:.2}, {:.2}, {:.2}) in local axes",
        d.x, d.y, d.z
    )
}
