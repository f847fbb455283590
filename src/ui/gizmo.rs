//! The viewport's transform gizmo, as far as the UI is concerned: the settings a user picks
//! (mode, space, pivot, snapping), the small toolbar over the viewport that shows and changes
//! them, and the painting of the gizmo's draw data. The interaction itself (what a drag does
//! to the selected nodes) lives in `app::gizmo`.

use egui::{Color32, Rect, Ui, vec2};

/// What a drag on the gizmo does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GizmoMode {
    /// No gizmo: the viewport only selects and navigates (Q).
    Select,
    /// Move along an axis, in a plane or in the view plane (W).
    #[default]
    Translate,
    /// Turn about an axis or the view direction (E).
    Rotate,
    /// Scale along an axis, in a plane or uniformly (R).
    Scale,
}

impl GizmoMode {
    /// Every mode, in toolbar order, with its label and shortcut.
    pub const ALL: [(GizmoMode, &'static str, egui::Key); 4] = [
        (GizmoMode::Select, "Select", egui::Key::Q),
        (GizmoMode::Translate, "Move", egui::Key::W),
        (GizmoMode::Rotate, "Rotate", egui::Key::E),
        (GizmoMode::Scale, "Scale", egui::Key::R),
    ];
}

/// Which axes the gizmo shows and drags along.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GizmoSpace {
    /// The world's X, Y and Z.
    #[default]
    World,
    /// The active node's own axes.
    Local,
}

/// The point a multi-object rotation or scale turns about (and where the gizmo sits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PivotMode {
    /// The centre of the selected objects' origins.
    #[default]
    Median,
    /// The origin of the active (last selected) object.
    Active,
}

/// The gizmo's settings, changed by the toolbar and the W/E/R/Q/T keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GizmoSettings {
    pub mode: GizmoMode,
    pub space: GizmoSpace,
    pub pivot: PivotMode,
    /// Snap to steps; holding Ctrl inverts it for one drag.
    pub snap: bool,
}

/// Snapping steps: translation in metres, rotation in degrees, scale as a factor.
pub const SNAP_METRES: f32 = 0.5;
pub const SNAP_DEGREES: f32 = 15.0;
pub const SNAP_SCALE: f32 = 0.1;

/// Height of the viewport's top-left label, below which the toolbar sits.
const TOOLBAR_TOP: f32 = 34.0;

/// The gizmo toolbar in the viewport's top-left corner (under the camera label): mode,
/// space, pivot and snapping. Changes `settings` directly (it is view state, not scene data).
pub fn gizmo_toolbar_ui(ui: &mut Ui, viewport: Rect, settings: &mut GizmoSettings) {
    // One line, wrapped onto more where the viewport is narrow.
    let rect = Rect::from_min_size(
        viewport.left_top() + vec2(10.0, TOOLBAR_TOP),
        vec2((viewport.width() - 20.0).max(0.0), 3.0 * 28.0),
    );
    if rect.width() < 60.0 || rect.top() + 28.0 > viewport.bottom() {
        return;
    }
    ui.scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| {
        egui::Frame::new()
            .fill(Color32::from_black_alpha(160))
            .corner_radius(3.0)
            .inner_margin(egui::Margin::symmetric(4, 2))
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.spacing_mut().item_spacing.x = 2.0;
                    for (mode, label, key) in GizmoMode::ALL {
                        let hint = format!("{label} ({})", key.name());
                        if ui
                            .selectable_label(settings.mode == mode, label)
                            .on_hover_text(hint)
                            .clicked()
                        {
                            settings.mode = mode;
                        }
                    }
                    ui.separator();
                    let space = match settings.space {
                        GizmoSpace::World => "World",
                        GizmoSpace::Local => "Local",
                    };
                    if ui
                        .button(space)
                        .on_hover_text("Gizmo axes: world or the active object's own (T)")
                        .clicked()
                    {
                        settings.space = match settings.space {
                            GizmoSpace::World => GizmoSpace::Local,
                            GizmoSpace::Local => GizmoSpace::World,
                        };
                    }
                    let pivot = match settings.pivot {
                        PivotMode::Median => "Pivot: median",
                        PivotMode::Active => "Pivot: active",
                    };
                    if ui
                        .button(pivot)
                        .on_hover_text(
                            "Rotate and scale several objects about their centre or about \
                             the active (last selected) object",
                        )
                        .clicked()
                    {
                        settings.pivot = match settings.pivot {
                            PivotMode::Median => PivotMode::Active,
                            PivotMode::Active => PivotMode::Median,
                        };
                    }
                    ui.toggle_value(&mut settings.snap, "Snap")
                        .on_hover_text(format!(
                            "Snap to {SNAP_METRES} m, {SNAP_DEGREES}° and {SNAP_SCALE}× steps \
                         (hold Ctrl while dragging to invert)"
                        ));
                });
            });
    });
}

/// Paints the gizmo's triangles (positions in egui points, linear premultiplied colours, as
/// `transform_gizmo` hands them out) over the viewport.
pub fn paint_gizmo(ui: &Ui, viewport: Rect, draw: transform_gizmo::GizmoDrawData) {
    if draw.indices.is_empty() {
        return;
    }
    let vertices = draw
        .vertices
        .into_iter()
        .zip(draw.colors)
        .map(|(pos, [r, g, b, a])| egui::epaint::Vertex {
            pos: egui::pos2(pos[0], pos[1]),
            uv: egui::epaint::WHITE_UV,
            color: egui::Rgba::from_rgba_premultiplied(r, g, b, a).into(),
        })
        .collect();
    let mesh = egui::Mesh {
        indices: draw.indices,
        vertices,
        texture_id: egui::TextureId::default(),
    };
    ui.painter_at(viewport).add(egui::Shape::mesh(mesh));
}
