//! The viewport: the rendered scene image filling the central panel, with a small overlay
//! (camera mode, fly speed, an axes hint). This is the only UI code that knows a
//! `TextureId`; the app renders into the texture and reads the returned `Response` for input.

use egui::{Align2, Color32, FontId, Rect, Response, Sense, Stroke, Ui, pos2, vec2};
use glam::{Quat, Vec3};

/// What the viewport overlay shows.
#[derive(Clone, Copy, Debug)]
pub struct ViewportOverlay<'a> {
    /// "Orbit" or "Fly".
    pub mode: &'a str,
    /// The viewport camera's projection, e.g. "Perspective 50°" or "Top · Orthographic
    /// 12.4 m" (see `OrbitCamera::projection_label`).
    pub projection: &'a str,
    /// Shown briefly after the fly speed changed, in metres per second.
    pub fly_speed: Option<f32>,
    /// Rotation of the camera (`world_from_view` without translation), for the axes hint.
    pub camera_rotation: Quat,
    /// A message over the image, e.g. while a new world is generated.
    pub busy: Option<&'a str>,
    /// The variant shown, and whether edits go to it (false: to the base).
    pub variant: Option<(&'a str, bool)>,
}

/// Shows `texture` over all the space left in `ui` and returns its response (it senses clicks
/// and drags from every mouse button).
pub fn viewport_ui(ui: &mut Ui, texture: egui::TextureId) -> Response {
    let rect = ui.available_rect_before_wrap();
    let image = egui::Image::from_texture(egui::load::SizedTexture::new(texture, rect.size()))
        .fit_to_exact_size(rect.size())
        .sense(Sense::click_and_drag());
    ui.put(rect, image)
}

/// The part of the viewport `rect` that a shot of `aspect` (width / height) covers when the
/// viewport looks through its camera: its full height, or its full width for a shot wider
/// than the viewport (whose field of view is then widened to match).
pub fn shot_frame_rect(rect: Rect, aspect: f32) -> Rect {
    let aspect = if aspect.is_finite() && aspect > 0.0 {
        aspect
    } else {
        1.0
    };
    let viewport_aspect = rect.width() / rect.height().max(1.0);
    let size = if aspect <= viewport_aspect {
        vec2(rect.height() * aspect, rect.height())
    } else {
        vec2(rect.width(), rect.width() / aspect)
    };
    Rect::from_center_size(rect.center(), size)
}

/// A rendered frame (Preview render) over the viewport: black around it, the image in the
/// shot's `frame`.
pub fn preview_frame_ui(ui: &Ui, rect: Rect, frame: Rect, texture: egui::TextureId) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::BLACK);
    painter.image(
        texture,
        frame,
        Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
        Color32::WHITE,
    );
}

/// Frame guides while looking through a shot camera: the viewport dimmed outside the shot's
/// `frame`, its outline, and `label` just above its bottom edge.
pub fn shot_guides_ui(ui: &Ui, rect: Rect, frame: Rect, label: &str) {
    let painter = ui.painter_at(rect);
    let dim = Color32::from_black_alpha(150);
    for band in [
        Rect::from_min_max(rect.min, pos2(rect.max.x, frame.min.y)),
        Rect::from_min_max(pos2(rect.min.x, frame.max.y), rect.max),
        Rect::from_min_max(
            pos2(rect.min.x, frame.min.y),
            pos2(frame.min.x, frame.max.y),
        ),
        Rect::from_min_max(
            pos2(frame.max.x, frame.min.y),
            pos2(rect.max.x, frame.max.y),
        ),
    ] {
        if band.width() > 0.5 && band.height() > 0.5 {
            painter.rect_filled(band, 0.0, dim);
        }
    }
    painter.rect_stroke(
        frame.shrink(0.5),
        0.0,
        Stroke::new(1.0, Color32::from_white_alpha(110)),
        egui::StrokeKind::Inside,
    );
    plate(
        &painter,
        frame.center_bottom() - vec2(0.0, 8.0),
        Align2::CENTER_BOTTOM,
        label,
        Color32::from_gray(235),
    );
}

/// Draws the overlay over the viewport image at `rect`. Call it after the camera took this
/// frame's input, so the overlay shows the state the image is rendered with.
pub fn viewport_overlay_ui(ui: &Ui, rect: Rect, overlay: &ViewportOverlay<'_>) {
    let painter = ui.painter_at(rect);
    let text = Color32::from_gray(235);
    let label = plate(
        &painter,
        rect.left_top() + vec2(10.0, 8.0),
        Align2::LEFT_TOP,
        &format!("{} · {}", overlay.mode, overlay.projection),
        text,
    );
    // Notes on the right: the first in the label's line where it fits beside it, the others
    // up from the bottom-right corner (the gizmo toolbar runs under the label, the axes sit
    // bottom left).
    let mut notes: Vec<(String, Color32)> = Vec::new();
    if let Some((name, editing)) = overlay.variant {
        let target = if editing { "the variant" } else { "the base" };
        notes.push((
            format!("Variant: {name} · edits go to {target}"),
            super::VARIANT_COLOR,
        ));
    }
    if let Some(speed) = overlay.fly_speed {
        notes.push((format!("Fly speed {speed:.1} m/s"), text));
    }
    let mut top_free = true;
    let mut bottom = rect.bottom() - 8.0;
    for (note, color) in &notes {
        let width = super::text_width(&painter, note, plate_font());
        if top_free && rect.right() - 10.0 - width > label.right() + 10.0 {
            top_free = false;
            plate(
                &painter,
                rect.right_top() + vec2(-10.0, 8.0),
                Align2::RIGHT_TOP,
                note,
                *color,
            );
        } else {
            let drawn = plate(
                &painter,
                egui::pos2(rect.right() - 10.0, bottom),
                Align2::RIGHT_BOTTOM,
                note,
                *color,
            );
            bottom = drawn.top() - 6.0;
        }
    }
    if let Some(busy) = overlay.busy {
        plate(
            &painter,
            rect.center_top() + vec2(0.0, 8.0),
            Align2::CENTER_TOP,
            busy,
            text,
        );
    }
    axes_ui(&painter, rect, overlay.camera_rotation);
}

/// The font of the viewport's notes.
fn plate_font() -> FontId {
    FontId::proportional(12.0)
}

/// `text` anchored at `pos` on a translucent plate that keeps it readable over bright sky;
/// returns the plate's rectangle.
fn plate(
    painter: &egui::Painter,
    pos: egui::Pos2,
    align: Align2,
    text: &str,
    color: Color32,
) -> Rect {
    let galley = painter.layout_no_wrap(text.to_owned(), plate_font(), color);
    let text_rect = align.anchor_size(pos, galley.size());
    let plate = text_rect.expand2(vec2(5.0, 2.0));
    painter.rect_filled(plate, 3.0, Color32::from_black_alpha(160));
    painter.galley(text_rect.min, galley, color);
    plate
}

/// World axes as seen from the camera, bottom left: X red, Y green, Z blue.
fn axes_ui(painter: &egui::Painter, rect: Rect, camera_rotation: Quat) {
    let origin = pos2(rect.left() + 34.0, rect.bottom() - 34.0);
    let view_from_world = camera_rotation.inverse();
    let axes = [
        (Vec3::X, "X", Color32::from_rgb(0xe8, 0x5c, 0x5c)),
        (Vec3::Y, "Y", Color32::from_rgb(0x7c, 0xc8, 0x5a)),
        (Vec3::Z, "Z", Color32::from_rgb(0x5c, 0x8c, 0xe8)),
    ];
    painter.circle_filled(origin, 27.0, Color32::from_black_alpha(70));
    // Draw the axis pointing away from the viewer first so nearer ones stay on top.
    let mut order: Vec<_> = axes
        .iter()
        .map(|(axis, name, color)| (view_from_world * *axis, *name, *color))
        .collect();
    order.sort_by(|a, b| a.0.z.total_cmp(&b.0.z));
    for (dir_in_view, name, color) in order {
        // Screen y grows downwards, view y upwards.
        let tip = origin + vec2(dir_in_view.x, -dir_in_view.y) * 18.0;
        painter.line_segment([origin, tip], Stroke::new(2.0, color));
        painter.text(
            origin + vec2(dir_in_view.x, -dir_in_view.y) * 25.0,
            Align2::CENTER_CENTER,
            name,
            FontId::proportional(11.0),
            color,
        );
    }
}
