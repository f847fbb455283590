//! Selecting in the viewport: a click picks the node under the cursor ([`crate::pick`]),
//! a box drag (after `B`, or with Ctrl held) selects what lies inside the rectangle. Plain
//! drags stay with the camera controls.
//!
//! * click: select the picked node alone; on empty space, clear the selection;
//! * Shift+click: add the picked node (it becomes the active one);
//! * Ctrl+click: toggle the picked node in the selection;
//! * `B` then left-drag, or Ctrl+left-drag: box select, replacing the selection; hold Shift
//!   when releasing to add to it instead. `Esc` disarms a pending `B`.

use crate::pick::{PickOptions, PickView, Picker};
use crate::scene::{NodeId, OrbitCamera, Scene};
use crate::ui::{ClickMode, apply_box, apply_click};
use egui::{Key, Modifiers, PointerButton, Pos2, Rect, Response, Ui};
use glam::Vec2;

/// Viewport selection state that lives across frames.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ViewportSelect {
    /// `B` was pressed: the next left drag draws a box.
    armed: bool,
    /// Where the box drag started (egui points), while one is under way.
    box_start: Option<Pos2>,
}

impl ViewportSelect {
    /// True after `B`, until the next drag or `Esc`.
    pub fn armed(&self) -> bool {
        self.armed
    }

    /// Reads this frame's viewport input on the image `response`, updates `selection` and
    /// draws the box. Returns true if the primary drag belongs to the box this frame.
    #[allow(clippy::too_many_arguments)] // The viewport's parts, each read once per frame.
    pub fn update(
        &mut self,
        ui: &Ui,
        response: &Response,
        keyboard_free: bool,
        scene: &Scene,
        camera: &OrbitCamera,
        picker: &mut Picker,
        options: PickOptions,
        selection: &mut Vec<NodeId>,
    ) -> bool {
        let (modifiers, press_origin) = ui.input(|i| (i.modifiers, i.pointer.press_origin()));
        if keyboard_free {
            ui.input_mut(|i| {
                if i.consume_key(Modifiers::NONE, Key::B) {
                    self.armed = true;
                }
                if self.armed && i.consume_key(Modifiers::NONE, Key::Escape) {
                    self.armed = false;
                }
            });
        }
        let pixels_per_point = ui.ctx().pixels_per_point();
        let rect = response.rect;
        let view = PickView::new(
            camera.view(),
            rect.width() * pixels_per_point,
            rect.height() * pixels_per_point,
        );
        let to_pixel = |p: Pos2| {
            let v = (p - rect.min) * pixels_per_point;
            Vec2::new(v.x, v.y)
        };

        if response.drag_started_by(PointerButton::Primary)
            && (self.armed || modifiers.command || modifiers.ctrl)
        {
            self.box_start = press_origin.or(response.interact_pointer_pos());
            self.armed = false;
        }
        let Some(start) = self.box_start else {
            if response.clicked_by(PointerButton::Primary)
                && let Some(pos) = response.interact_pointer_pos()
            {
                self.armed = false;
                let hit = picker.pick(scene, &view, to_pixel(pos), options);
                apply_click(
                    selection,
                    hit.map(|h| h.node),
                    ClickMode::from_modifiers(modifiers),
                );
            }
            return false;
        };
        let end = response
            .interact_pointer_pos()
            .or(ui.input(|i| i.pointer.latest_pos()))
            .unwrap_or(start);
        let screen_box = Rect::from_two_pos(start, end).intersect(rect);
        let stroke = egui::Stroke::new(1.0, egui::Color32::from_gray(240));
        let painter = ui.painter_at(rect);
        painter.rect_filled(screen_box, 0.0, egui::Color32::from_white_alpha(18));
        painter.rect_stroke(screen_box, 0.0, stroke, egui::StrokeKind::Inside);
        if response.drag_stopped_by(PointerButton::Primary) || !response.dragged() {
            self.box_start = None;
            let found = picker.box_select(
                scene,
                &view,
                to_pixel(screen_box.min),
                to_pixel(screen_box.max),
                options,
            );
            apply_box(selection, &found, modifiers.shift);
        }
        true
    }
}
