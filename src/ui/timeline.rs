//! The timeline panel (bottom dock): the shot list and the active shot's settings, the
//! transport (play, loop, step, jump, auto-key, look through the shot camera, camera from
//! view), a ruler with the playhead, the dope sheet (one row per animated channel, grouped
//! by node, material or environment, with a diamond per key) and a curve editor for one
//! channel component. Everything that changes the document comes back as
//! [`TimelineAction`]s; the view (zoom, pan, which curve) is the panel's own state.

use super::UiAction;
use crate::edit::timeline::KeyRef;
use crate::scene::{
    Channel, FRAME_RATES, Handles, Interpolation, MAX_SHOT_FRAMES, MAX_SHOT_SIDE, NodeKind, Scene,
    Shot, ShotId, Track, Value,
};
use egui::{Color32, Pos2, Rect, Sense, Stroke, Ui, pos2, vec2};

/// What the user asked of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum TimelineAction {
    /// Make this shot the active one (and show its variant).
    SelectShot(ShotId),
    /// A new shot seen through the selected camera, or through a new camera at the view.
    AddShot,
    RenameShot(ShotId, String),
    DuplicateShot(ShotId),
    /// Move to this position in the list.
    MoveShot(ShotId, usize),
    DeleteShot(ShotId),
    /// Replace a shot's settings (fps, length, size, camera, variant); keys untouched.
    SetShot(Box<Shot>),
    /// Put the playhead on this frame.
    Seek(u32),
    /// Move the playhead by this many frames (clamped to the shot).
    Step(i32),
    ToStart,
    ToEnd,
    /// Start or stop playback.
    Play(bool),
    Loop(bool),
    /// Look through the shot's camera (`None`: only while playing).
    LookThrough(Option<bool>),
    AutoKey(bool),
    /// Show rendered frames from the render cache in the viewport (Preview render).
    Preview(bool),
    /// Select keys: replace the selection, add to it, or toggle them.
    SelectKeys(Vec<KeyRef>, SelectMode),
    /// One frame of a key drag: the selection moved by this many frames from where the
    /// drag started (one undo step per drag).
    DragKeys(f32),
    /// The key drag is over.
    DragKeysEnd,
    DeleteKeys,
    CopyKeys,
    /// Paste the copied keys at the playhead.
    PasteKeys,
    SetInterpolation(Interpolation),
    SetHandles(Handles),
    /// Curve editor: a key moved to `frame` with `component` = `value`.
    CurveMoveKey {
        key: KeyRef,
        component: usize,
        frame: f32,
        value: f32,
    },
    /// Curve editor: a key's handle dragged to `slope` (value per frame).
    CurveSlope {
        key: KeyRef,
        component: usize,
        slope: f32,
    },
    /// Key these channels at the playhead with the values shown (Key buttons, `I`).
    Key(Vec<Channel>),
    /// Remove the keys of these channels on the playhead's frame.
    Unkey(Vec<Channel>),
    /// The shot camera's transform ← the viewport view (keyed if the camera is animated).
    SetCameraToView,
    /// Key the shot camera at the viewport view.
    KeyCameraFromView,
}

/// How a key selection combines with the current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectMode {
    Replace,
    Add,
    Toggle,
}

/// What the panel shows besides the scene.
pub struct TimelinePanel<'a> {
    /// The scene as shown (names, camera and variant lists, values for curves).
    pub shown: &'a Scene,
    pub frame: u32,
    pub playing: bool,
    pub looping: bool,
    /// `None`: look through the shot camera only while playing.
    pub look_through: Option<bool>,
    pub auto_key: bool,
    /// New frames shown per second while playing.
    pub achieved_fps: Option<f32>,
    pub can_paste: bool,
    pub selected: &'a [KeyRef],
    /// Per frame of the active shot: rendered into the cache, stale, or not rendered
    /// (empty while unknown).
    pub marks: &'a [FrameMark],
    /// Preview render is on.
    pub preview: bool,
}

/// A frame's state in the render cache, as the ruler marks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameMark {
    /// Never rendered (in this session or the cache).
    Unrendered,
    /// Rendered, and the cache has it for the scene as it is now.
    Cached,
    /// Rendered earlier, but an edit since changed it: a render redraws it.
    Stale,
}

/// The panel's view state: zoom and pan of the time axis, the curve shown, drags.
#[derive(Clone, Debug)]
pub struct TimelineView {
    /// Frame at the left edge of the key area.
    pub first_frame: f32,
    /// Horizontal zoom.
    pub px_per_frame: f32,
    /// The curve editor is shown instead of the dope sheet.
    pub curves: bool,
    /// Only the transport line is shown.
    pub collapsed: bool,
    /// The channel and component in the curve editor.
    pub curve: Option<(Channel, usize)>,
    /// How far the dope sheet's rows are scrolled up, in points.
    pub row_scroll: f32,
    /// The shot the axis was last fitted to, and the key area's width then.
    fitted: Option<(ShotId, u32)>,
    fit_width: f32,
    /// The user zoomed or panned since: the axis stays as they left it.
    zoomed: bool,
    renaming: Option<(ShotId, String)>,
    drag: Option<Drag>,
}

impl Default for TimelineView {
    fn default() -> Self {
        Self {
            first_frame: -4.0,
            px_per_frame: 4.0,
            curves: false,
            collapsed: false,
            curve: None,
            row_scroll: 0.0,
            fitted: None,
            fit_width: 0.0,
            zoomed: false,
            renaming: None,
            drag: None,
        }
    }
}

#[derive(Clone, Debug)]
enum Drag {
    Scrub,
    Keys {
        from_frame: f32,
    },
    Box {
        from: Pos2,
    },
    Pan {
        from: Pos2,
        first_frame: f32,
        row_scroll: f32,
    },
    CurveKey {
        key: KeyRef,
        component: usize,
    },
    CurveHandle {
        key: KeyRef,
        component: usize,
    },
    /// The plot's value range, frozen while a curve key or handle is dragged.
    CurveRange(f32, f32),
}

/// Width of the column of track names.
const NAMES_W: f32 = 170.0;
const RULER_H: f32 = 22.0;
const ROW_H: f32 = 18.0;
/// Keys in the dope sheet and the key buttons.
pub const KEY_COLOR: Color32 = Color32::from_rgb(0xe8, 0xc8, 0x4a);
const SELECTED_KEY: Color32 = Color32::from_rgb(0xff, 0x8c, 0x1a);
const PLAYHEAD: Color32 = Color32::from_rgb(0x4a, 0x9e, 0xff);
const AUTO_KEY_RED: Color32 = Color32::from_rgb(0xe0, 0x3a, 0x3a);
/// Ruler marks of frames in the render cache, and of stale ones.
const CACHED: Color32 = Color32::from_rgb(0x4c, 0xb0, 0x50);
const STALE: Color32 = Color32::from_rgb(0xf0, 0x9a, 0x2a);

/// Resolution presets of the shot settings.
pub const SIZE_PRESETS: [(&str, [u32; 2]); 6] = [
    ("720p", [1280, 720]),
    ("1080p", [1920, 1080]),
    ("1440p", [2560, 1440]),
    ("4K UHD", [3840, 2160]),
    ("Square 1080", [1080, 1080]),
    ("Vertical 1080", [1080, 1920]),
];

/// The panel.
pub fn timeline_ui(
    ui: &mut Ui,
    scene: &Scene,
    panel: &TimelinePanel<'_>,
    view: &mut TimelineView,
    actions: &mut Vec<UiAction>,
) {
    let mut act = |a: TimelineAction| actions.push(UiAction::Timeline(a));
    let shot = scene.timeline().active_shot();
    transport_ui(ui, shot, panel, view, &mut act);
    if view.collapsed {
        return;
    }
    ui.separator();
    egui::Panel::left("timeline_shots")
        .resizable(true)
        .default_size(250.0)
        .size_range(180.0..=420.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    shot_list_ui(ui, scene, view, &mut act);
                    if let Some(shot) = shot {
                        ui.separator();
                        shot_settings_ui(ui, panel.shown, shot, &mut act);
                    }
                });
        });
    let Some(shot) = shot else {
        ui.centered_and_justified(|ui| {
            ui.weak("No shots yet. Press + Shot to add one seen through the current view.");
        });
        return;
    };
    // A new shot (or length), or a resized panel the user has not zoomed: the whole shot
    // fits the key area.
    let width = (ui.available_rect_before_wrap().width() - NAMES_W).max(100.0);
    if view.fitted != Some((shot.id, shot.frames)) {
        view.fitted = Some((shot.id, shot.frames));
        view.zoomed = false;
        view.fit_width = 0.0;
    }
    if !view.zoomed && (width - view.fit_width).abs() > 0.5 {
        view.fit_width = width;
        // Margins that hold the playhead's frame badge at the first frame and the ruler's
        // number at the last (written right of its tick), whatever the panel's width.
        const LEFT_PX: f32 = 16.0;
        const RIGHT_PX: f32 = 30.0;
        view.px_per_frame =
            ((width - LEFT_PX - RIGHT_PX).max(50.0) / shot.frames.max(1) as f32).clamp(0.05, 60.0);
        view.first_frame = -LEFT_PX / view.px_per_frame;
    }
    if view.curves {
        curve_editor_ui(ui, panel, shot, view, &mut act);
    } else {
        dope_sheet_ui(ui, panel, shot, view, &mut act);
    }
}

/// A painted icon for the transport buttons.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Icon {
    ToStart,
    StepBack,
    Play,
    Pause,
    StepForward,
    ToEnd,
    Loop,
    Record,
    Camera,
    /// A triangle pointing down (shown: click to collapse) or up.
    Fold(bool),
}

/// A small square button showing `icon`, highlighted when `on`; `label` names it for
/// screen readers and tests.
fn icon_button(ui: &mut Ui, icon: Icon, on: bool, label: &str, tip: &str) -> egui::Response {
    // Not focusable: Space plays the timeline, it must not also press a focused button.
    let (rect, response) = ui.allocate_exact_size(vec2(26.0, 20.0), Sense::CLICK);
    response
        .widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, on, label.to_owned()));
    let visuals = ui.style().interact_selectable(&response, on);
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, visuals.weak_bg_fill);
    let c = rect.center();
    let col = if icon == Icon::Record && on {
        AUTO_KEY_RED
    } else {
        visuals.fg_stroke.color
    };
    let tri = |painter: &egui::Painter, x: f32, dir: f32| {
        painter.add(egui::Shape::convex_polygon(
            vec![
                pos2(x - 4.0 * dir, c.y - 5.0),
                pos2(x + 4.0 * dir, c.y),
                pos2(x - 4.0 * dir, c.y + 5.0),
            ],
            col,
            Stroke::NONE,
        ));
    };
    let bar = |painter: &egui::Painter, x: f32| {
        painter.rect_filled(
            Rect::from_center_size(pos2(x, c.y), vec2(2.0, 10.0)),
            0.0,
            col,
        );
    };
    match icon {
        Icon::Fold(down) => {
            let d = if down { 1.0 } else { -1.0 };
            painter.add(egui::Shape::convex_polygon(
                vec![
                    pos2(c.x - 5.0, c.y - 3.0 * d),
                    pos2(c.x + 5.0, c.y - 3.0 * d),
                    pos2(c.x, c.y + 3.0 * d),
                ],
                col,
                Stroke::NONE,
            ));
        }
        Icon::ToStart => {
            bar(&painter, c.x - 5.0);
            tri(&painter, c.x + 1.0, -1.0);
        }
        Icon::StepBack => {
            tri(&painter, c.x - 1.0, -1.0);
            bar(&painter, c.x + 5.0);
        }
        Icon::Play => tri(&painter, c.x + 1.0, 1.0),
        Icon::Pause => {
            bar(&painter, c.x - 3.0);
            bar(&painter, c.x + 3.0);
        }
        Icon::StepForward => {
            bar(&painter, c.x - 5.0);
            tri(&painter, c.x + 1.0, 1.0);
        }
        Icon::ToEnd => {
            tri(&painter, c.x - 1.0, 1.0);
            bar(&painter, c.x + 5.0);
        }
        Icon::Loop => {
            let r = Rect::from_center_size(c, vec2(14.0, 9.0));
            painter.rect_stroke(r, 4.0, Stroke::new(1.5, col), egui::StrokeKind::Middle);
            painter.add(egui::Shape::convex_polygon(
                vec![
                    pos2(r.right() - 3.0, r.top() - 3.5),
                    pos2(r.right() + 0.5, r.top()),
                    pos2(r.right() - 3.0, r.top() + 3.5),
                ],
                col,
                Stroke::NONE,
            ));
        }
        Icon::Record => {
            if on {
                painter.circle_filled(c, 5.0, col);
            } else {
                painter.circle_stroke(c, 4.5, Stroke::new(1.5, col));
            }
        }
        Icon::Camera => {
            let body = Rect::from_center_size(c - vec2(2.0, 0.0), vec2(11.0, 9.0));
            painter.rect_filled(body, 1.5, col);
            painter.add(egui::Shape::convex_polygon(
                vec![
                    pos2(body.right(), c.y),
                    pos2(body.right() + 5.0, c.y - 4.0),
                    pos2(body.right() + 5.0, c.y + 4.0),
                ],
                col,
                Stroke::NONE,
            ));
        }
    }
    response.on_hover_text(tip)
}

fn transport_ui(
    ui: &mut Ui,
    shot: Option<&Shot>,
    panel: &TimelinePanel<'_>,
    view: &mut TimelineView,
    act: &mut impl FnMut(TimelineAction),
) {
    if view.collapsed {
        ui.horizontal(|ui| transport_buttons_ui(ui, shot, panel, view, act));
        return;
    }
    // The view switch at the right end first, so that the buttons wrap onto a second line
    // before they would run under it.
    // (Both start one line high: their items are centred in it, not in the whole panel.)
    let line = |ui: &Ui| {
        vec2(
            ui.available_size_before_wrap().x,
            ui.spacing().interact_size.y,
        )
    };
    ui.allocate_ui_with_layout(
        line(ui),
        egui::Layout::right_to_left(egui::Align::Center),
        |ui| {
            ui.selectable_value(&mut view.curves, true, "Curves");
            ui.selectable_value(&mut view.curves, false, "Dope sheet");
            ui.allocate_ui_with_layout(
                line(ui),
                egui::Layout::left_to_right(egui::Align::Center).with_main_wrap(true),
                |ui| {
                    transport_buttons_ui(ui, shot, panel, view, act);
                    // The render counts come and go as the frame strip is worked out: at the
                    // end of the buttons, so that they move nothing when they do.
                    render_counts_ui(ui, panel.marks);
                },
            );
        },
    );
}

/// The transport line's buttons, left to right: fold, play controls, playhead, camera keys.
fn transport_buttons_ui(
    ui: &mut Ui,
    shot: Option<&Shot>,
    panel: &TimelinePanel<'_>,
    view: &mut TimelineView,
    act: &mut impl FnMut(TimelineAction),
) {
    let (label, tip) = if view.collapsed {
        ("Expand timeline", "Show the shots and keys")
    } else {
        ("Collapse timeline", "Show only this line")
    };
    if icon_button(ui, Icon::Fold(!view.collapsed), false, label, tip).clicked() {
        view.collapsed = !view.collapsed;
    }
    ui.strong("Timeline");
    ui.add_space(8.0);
    ui.add_enabled_ui(shot.is_some(), |ui| {
        ui.spacing_mut().item_spacing.x = 3.0;
        if icon_button(
            ui,
            Icon::ToStart,
            false,
            "Jump to start",
            "Jump to start (Shift+Left)",
        )
        .clicked()
        {
            act(TimelineAction::ToStart);
        }
        if icon_button(
            ui,
            Icon::StepBack,
            false,
            "Previous frame",
            "Previous frame (Left arrow)",
        )
        .clicked()
        {
            act(TimelineAction::Step(-1));
        }
        let (icon, label) = if panel.playing {
            (Icon::Pause, "Pause")
        } else {
            (Icon::Play, "Play")
        };
        if icon_button(ui, icon, panel.playing, label, "Play / pause (Space)").clicked() {
            act(TimelineAction::Play(!panel.playing));
        }
        if icon_button(
            ui,
            Icon::StepForward,
            false,
            "Next frame",
            "Next frame (Right arrow)",
        )
        .clicked()
        {
            act(TimelineAction::Step(1));
        }
        if icon_button(
            ui,
            Icon::ToEnd,
            false,
            "Jump to end",
            "Jump to end (Shift+Right)",
        )
        .clicked()
        {
            act(TimelineAction::ToEnd);
        }
        ui.add_space(6.0);
        if icon_button(
            ui,
            Icon::Loop,
            panel.looping,
            "Loop",
            "Loop: play the shot over and over (off: stop at the end)",
        )
        .clicked()
        {
            act(TimelineAction::Loop(!panel.looping));
        }
        if icon_button(
            ui,
            Icon::Record,
            panel.auto_key,
            "Auto-key",
            "Auto-key: every edit of a keyable value writes a key at the playhead. \
             Values the shot already animates are keyed either way.",
        )
        .clicked()
        {
            act(TimelineAction::AutoKey(!panel.auto_key));
        }
        let looking = panel.look_through.unwrap_or(panel.playing);
        if icon_button(
            ui,
            Icon::Camera,
            looking,
            "Look through shot camera",
            "Look through the shot's camera (automatic: only while playing; \
             right-click for automatic)",
        )
        .on_hover_text(match panel.look_through {
            None => "now: automatic",
            Some(true) => "now: always",
            Some(false) => "now: never",
        })
        .clicked()
        {
            act(TimelineAction::LookThrough(Some(!looking)));
        }
        if ui
            .selectable_label(panel.preview, "Preview")
            .on_hover_text(
                "Preview render: the viewport plays the shot's rendered frames from the \
                 render cache (frames not rendered yet show the live view through the shot \
                 camera). Render > Render Shot (F12) fills the cache.",
            )
            .clicked()
        {
            act(TimelineAction::Preview(!panel.preview));
        }
        ui.add_space(8.0);
        let Some(shot) = shot else {
            return;
        };
        let mut frame = panel.frame;
        if ui
            .add(
                egui::DragValue::new(&mut frame)
                    .range(0..=shot.last_frame())
                    .prefix("frame "),
            )
            .on_hover_text("The playhead's frame: drag, or click to type")
            .changed()
        {
            act(TimelineAction::Seek(frame));
        }
        // Whole on one line (the line wraps before it rather than through it).
        ui.add(
            egui::Label::new(
                egui::RichText::new(format!(
                    "/ {}  {}",
                    shot.last_frame(),
                    shot.timecode(panel.frame)
                ))
                .monospace(),
            )
            .extend(),
        )
        .on_hover_text("Last frame, and the playhead's timecode HH:MM:SS:FF");
        if panel.playing {
            let text = match panel.achieved_fps {
                Some(fps) => format!("{fps:.1} / {} fps", shot.fps),
                None => format!("… / {} fps", shot.fps),
            };
            ui.add(egui::Label::new(egui::RichText::new(text).monospace()).extend())
                .on_hover_text("New frames shown per second (frames are dropped, not slowed)");
        }
        ui.add_space(8.0);
        let has_camera = shot.camera.is_some();
        if ui
            .add_enabled(has_camera, egui::Button::new("Set camera to view"))
            .on_hover_text(
                "Move the shot camera to the viewport's view (keyed at the playhead if the \
                 camera is animated)",
            )
            .clicked()
        {
            act(TimelineAction::SetCameraToView);
        }
        if ui
            .add_enabled(has_camera, egui::Button::new("Key camera from view"))
            .on_hover_text("Key the shot camera at the viewport's view on this frame")
            .clicked()
        {
            act(TimelineAction::KeyCameraFromView);
        }
    });
}

fn shot_list_ui(
    ui: &mut Ui,
    scene: &Scene,
    view: &mut TimelineView,
    act: &mut impl FnMut(TimelineAction),
) {
    let timeline = scene.timeline();
    let active = timeline.active_shot().map(|s| s.id);
    ui.horizontal(|ui| {
        ui.strong("Shots");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("+ Shot")
                .on_hover_text(
                    "A new shot seen through the selected camera, or through a new camera at \
                     the viewport's view",
                )
                .clicked()
            {
                act(TimelineAction::AddShot);
            }
        });
    });
    let count = timeline.shots().len();
    for (i, shot) in timeline.shots().iter().enumerate() {
        if let Some((id, name)) = &mut view.renaming
            && *id == shot.id
        {
            let response = ui.text_edit_singleline(name);
            response.request_focus();
            if response.lost_focus() {
                if ui.input(|i| !i.key_pressed(egui::Key::Escape)) && !name.trim().is_empty() {
                    act(TimelineAction::RenameShot(shot.id, name.trim().to_owned()));
                }
                view.renaming = None;
            }
            continue;
        }
        let response = ui.selectable_label(Some(shot.id) == active, shot_row_text(shot));
        // Also on the active shot: it shows the shot's variant again.
        if response.clicked() {
            act(TimelineAction::SelectShot(shot.id));
        }
        if response.double_clicked() {
            view.renaming = Some((shot.id, shot.name.clone()));
        }
        response.context_menu(|ui| {
            if ui.button("Rename").clicked() {
                view.renaming = Some((shot.id, shot.name.clone()));
                ui.close();
            }
            if ui.button("Duplicate").clicked() {
                act(TimelineAction::DuplicateShot(shot.id));
                ui.close();
            }
            if ui
                .add_enabled(i > 0, egui::Button::new("Move up"))
                .clicked()
            {
                act(TimelineAction::MoveShot(shot.id, i - 1));
                ui.close();
            }
            if ui
                .add_enabled(i + 1 < count, egui::Button::new("Move down"))
                .clicked()
            {
                act(TimelineAction::MoveShot(shot.id, i + 1));
                ui.close();
            }
            ui.separator();
            if ui.button("Delete").clicked() {
                act(TimelineAction::DeleteShot(shot.id));
                ui.close();
            }
        });
    }
}

fn shot_settings_ui(ui: &mut Ui, scene: &Scene, shot: &Shot, act: &mut impl FnMut(TimelineAction)) {
    let mut new = shot.clone();
    egui::Grid::new("shot_settings")
        .num_columns(2)
        .spacing([10.0, 4.0])
        .show(ui, |ui| {
            ui.label("Frame rate");
            egui::ComboBox::from_id_salt("shot_fps")
                .selected_text(format!("{} fps", new.fps))
                .show_ui(ui, |ui| {
                    for fps in FRAME_RATES {
                        ui.selectable_value(&mut new.fps, fps, format!("{fps} fps"));
                    }
                });
            ui.end_row();
            ui.label("Length");
            ui.horizontal(|ui| {
                ui.add(
                    egui::DragValue::new(&mut new.frames)
                        .range(1..=MAX_SHOT_FRAMES)
                        .clamp_existing_to_range(false)
                        .suffix(" frames"),
                );
                let mut secs = new.duration_secs();
                // Up to the longest shot at this rate (two and a half hours at 24 fps).
                let longest = f64::from(MAX_SHOT_FRAMES) / f64::from(new.fps);
                if ui
                    .add(
                        egui::DragValue::new(&mut secs)
                            .range(0.01..=longest)
                            .clamp_existing_to_range(false)
                            .speed(0.05)
                            .max_decimals(2)
                            .suffix(" s"),
                    )
                    .changed()
                {
                    new.frames =
                        ((secs * f64::from(new.fps)).round() as u32).clamp(1, MAX_SHOT_FRAMES);
                }
            });
            ui.end_row();
            ui.label("Resolution");
            ui.horizontal(|ui| {
                let preset = SIZE_PRESETS
                    .iter()
                    .find(|(_, s)| *s == new.size)
                    .map_or("Custom", |(n, _)| n);
                egui::ComboBox::from_id_salt("shot_size")
                    .selected_text(preset)
                    .show_ui(ui, |ui| {
                        for (name, size) in SIZE_PRESETS {
                            let [w, h] = size;
                            ui.selectable_value(&mut new.size, size, format!("{name} ({w}×{h})"));
                        }
                    });
                for side in 0..2 {
                    let mut v = new.size[side];
                    if ui
                        .add(
                            egui::DragValue::new(&mut v)
                                .range(2..=MAX_SHOT_SIDE)
                                .clamp_existing_to_range(false)
                                .speed(2.0),
                        )
                        .on_hover_text("Even sizes only (H.264 4:2:0)")
                        .changed()
                    {
                        new.size[side] = (v / 2 * 2).clamp(2, MAX_SHOT_SIDE);
                    }
                    if side == 0 {
                        ui.label("×");
                    }
                }
            });
            ui.end_row();
            ui.label("Camera");
            let cameras: Vec<_> = scene
                .nodes()
                .filter(|n| matches!(n.kind, NodeKind::Camera(_)))
                .map(|n| (n.id, n.name.clone()))
                .collect();
            let name = new
                .camera
                .and_then(|c| scene.node(c))
                .map_or("(viewport)".to_owned(), |n| n.name.clone());
            egui::ComboBox::from_id_salt("shot_camera")
                .selected_text(name)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut new.camera, None, "(viewport)");
                    for (id, name) in cameras {
                        ui.selectable_value(&mut new.camera, Some(id), name);
                    }
                });
            ui.end_row();
            ui.label("Variant");
            let variants = scene.variants();
            let name = new
                .variant
                .and_then(|v| variants.get(v))
                .map_or("Base", |v| v.name.as_str());
            egui::ComboBox::from_id_salt("shot_variant")
                .selected_text(name)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut new.variant, None, "Base");
                    for v in &variants.list {
                        ui.selectable_value(&mut new.variant, Some(v.id), v.name.as_str());
                    }
                });
            ui.end_row();
        });
    if new != *shot {
        act(TimelineAction::SetShot(Box::new(new)));
    }
}

/// Maps frames to x in the key area and back.
#[derive(Clone, Copy)]
struct Axis {
    left: f32,
    first_frame: f32,
    px_per_frame: f32,
}

impl Axis {
    fn x(&self, frame: f32) -> f32 {
        self.left + (frame - self.first_frame) * self.px_per_frame
    }

    fn frame(&self, x: f32) -> f32 {
        self.first_frame + (x - self.left) / self.px_per_frame
    }
}

/// Zoom (wheel) about the pointer and pan (horizontal wheel, middle drag) the time axis.
fn zoom_and_pan(ui: &Ui, response: &egui::Response, axis: Axis, view: &mut TimelineView) {
    if response.hovered() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta, i.zoom_delta()));
        let pointer = response.hover_pos();
        let mut factor = zoom;
        if scroll.y != 0.0 {
            factor *= (scroll.y / 200.0).exp();
        }
        if factor != 1.0
            && let Some(p) = pointer
        {
            let at = axis.frame(p.x);
            view.zoomed = true;
            view.px_per_frame = (view.px_per_frame * factor).clamp(0.05, 60.0);
            view.first_frame = at - (p.x - axis.left) / view.px_per_frame;
        }
        if scroll.x != 0.0 {
            view.zoomed = true;
            view.first_frame -= scroll.x / view.px_per_frame;
        }
    }
    if response.drag_started_by(egui::PointerButton::Middle)
        && let Some(p) = response.interact_pointer_pos()
    {
        view.zoomed = true;
        view.drag = Some(Drag::Pan {
            from: p,
            first_frame: view.first_frame,
            row_scroll: view.row_scroll,
        });
    }
    if let Some(Drag::Pan {
        from,
        first_frame,
        row_scroll,
    }) = view.drag
    {
        if let Some(p) = ui.input(|i| i.pointer.interact_pos()) {
            view.first_frame = first_frame - (p.x - from.x) / view.px_per_frame;
            // The dope sheet's rows follow too (clamped where they are drawn).
            view.row_scroll = row_scroll - (p.y - from.y);
        }
        if !ui.input(|i| i.pointer.middle_down()) {
            view.drag = None;
        }
    }
}

/// The space left in `ui`, its time axis (starting `left_w` in from the left) and the ruler
/// drawn along its top.
fn axis_and_ruler_ui(
    ui: &mut Ui,
    left_w: f32,
    shot: &Shot,
    panel: &TimelinePanel<'_>,
    view: &mut TimelineView,
    act: &mut impl FnMut(TimelineAction),
) -> (Rect, Axis, Rect) {
    let full = ui.available_rect_before_wrap();
    let axis = Axis {
        left: full.left() + left_w,
        first_frame: view.first_frame,
        px_per_frame: view.px_per_frame,
    };
    let ruler = Rect::from_min_max(
        pos2(axis.left, full.top()),
        pos2(full.right(), full.top() + RULER_H),
    );
    ruler_ui(ui, ruler, axis, shot, panel, view, act);
    (full, axis, ruler)
}

/// The ruler: frame numbers, the shot's range, the playhead; click or drag to scrub.
fn ruler_ui(
    ui: &mut Ui,
    rect: Rect,
    axis: Axis,
    shot: &Shot,
    panel: &TimelinePanel<'_>,
    view: &mut TimelineView,
    act: &mut impl FnMut(TimelineAction),
) {
    let (frame, marks) = (panel.frame, panel.marks);
    let mut response = ui.interact(rect, ui.scope_id().with("ruler"), Sense::click_and_drag());
    if !marks.is_empty()
        && let Some(p) = response.hover_pos()
    {
        let f = axis.frame(p.x).round();
        let state =
            (f >= 0.0)
                .then(|| marks.get(f as usize))
                .flatten()
                .map_or("outside the shot", |m| match m {
                    FrameMark::Cached => "rendered (in the render cache)",
                    FrameMark::Stale => "stale: changed since it was rendered",
                    FrameMark::Unrendered => "not rendered",
                });
        response = response.on_hover_text(format!("Frame {f:.0}: {state}\n\n{MARKS_LEGEND}"));
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, "Playhead ruler"));
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    painter.rect_filled(rect, 0.0, visuals.extreme_bg_color);
    let range = Rect::from_x_y_ranges(
        axis.x(0.0)..=axis.x(shot.frames as f32 - 1.0),
        rect.y_range(),
    );
    painter.rect_filled(range.intersect(rect), 0.0, visuals.faint_bg_color);
    // Rendered and stale frames: a strip along the ruler's foot, one run per colour.
    let foot = rect.bottom() - 4.0..=rect.bottom();
    let mut start = 0;
    while start < marks.len() {
        let mark = marks[start];
        let end = marks[start..]
            .iter()
            .position(|m| *m != mark)
            .map_or(marks.len(), |n| start + n);
        if let Some(color) = mark_color(mark) {
            let run = Rect::from_x_y_ranges(
                axis.x(start as f32 - 0.5)..=axis.x(end as f32 - 0.5),
                foot.clone(),
            );
            painter.rect_filled(run.intersect(rect), 0.0, color);
        }
        start = end;
    }
    let step = tick_step(axis.px_per_frame);
    let text = visuals.weak_text_color();
    let first = (axis.frame(rect.left()) / step as f32).floor() as i64 * step as i64;
    let mut f = first.max(0);
    while (f as f32) <= axis.frame(rect.right()) {
        let x = axis.x(f as f32);
        painter.line_segment(
            [pos2(x, rect.bottom() - 6.0), pos2(x, rect.bottom())],
            Stroke::new(1.0, text),
        );
        // A number runs right of its tick; one the ruler's end would cut is left out, as
        // one its start would cut is (`first` is the first tick at or left of the start).
        let number = painter.layout_no_wrap(f.to_string(), egui::FontId::monospace(10.0), text);
        if x + 2.0 >= rect.left() && x + 2.0 + number.size().x <= rect.right() {
            painter.galley(pos2(x + 2.0, rect.top() + 2.0), number, text);
        }
        f += step as i64;
    }
    if (response.drag_started_by(egui::PointerButton::Primary) || response.clicked())
        && response.interact_pointer_pos().is_some()
    {
        view.drag = Some(Drag::Scrub);
    }
    if matches!(view.drag, Some(Drag::Scrub))
        && let Some(p) = ui.input(|i| i.pointer.interact_pos())
    {
        let f = axis.frame(p.x).round().clamp(0.0, shot.last_frame() as f32) as u32;
        if f != frame {
            act(TimelineAction::Seek(f));
        }
        if !ui.input(|i| i.pointer.primary_down()) {
            view.drag = None;
        }
    }
    // The playhead's frame in a tag on the ruler.
    let x = axis.x(frame as f32);
    if rect.x_range().contains(x) {
        // Above the strip of rendered frames, which stays visible under the playhead.
        let tag = Rect::from_min_max(
            pos2(x - 15.0, rect.top() + 1.0),
            pos2(x + 15.0, rect.bottom() - 5.0),
        );
        painter.rect_filled(tag, 3.0, PLAYHEAD);
        painter.text(
            tag.center(),
            egui::Align2::CENTER_CENTER,
            frame.to_string(),
            egui::FontId::monospace(11.0),
            Color32::WHITE,
        );
    }
}

/// Colour of a frame's mark on the ruler (none for a frame never rendered).
fn mark_color(mark: FrameMark) -> Option<Color32> {
    match mark {
        FrameMark::Unrendered => None,
        FrameMark::Cached => Some(CACHED),
        FrameMark::Stale => Some(STALE),
    }
}

/// "180 / 240 rendered · 12 stale" at the end of the transport line's buttons, where they
/// fit on its last line: a line of their own would take the shots' and keys' room in a
/// small window (the ruler's strip shows the same, and its tooltip says which frame is what).
fn render_counts_ui(ui: &mut Ui, marks: &[FrameMark]) {
    if marks.is_empty() {
        return;
    }
    let count = |m: FrameMark| marks.iter().filter(|x| **x == m).count();
    let (cached, stale) = (count(FrameMark::Cached), count(FrameMark::Stale));
    let small = |text: String, color: Color32| {
        egui::Label::new(egui::RichText::new(text).color(color).small()).extend()
    };
    let stale = (stale > 0).then(|| small(format!("{stale} stale"), STALE));
    let color = if cached > 0 {
        CACHED
    } else {
        ui.visuals().weak_text_color()
    };
    let rendered = small(format!("{cached} / {} rendered", marks.len()), color);
    let font = egui::TextStyle::Small.resolve(ui.style());
    let width = |label: &egui::Label| super::text_width(ui.painter(), label.text(), font.clone());
    let mut needed = 8.0 + width(&rendered);
    if let Some(label) = &stale {
        needed += ui.spacing().item_spacing.x + width(label);
    }
    if needed > ui.available_size_before_wrap().x {
        return;
    }
    ui.add_space(8.0);
    if let Some(label) = stale {
        ui.add(label);
    }
    ui.add(rendered).on_hover_text(MARKS_LEGEND);
}

const MARKS_LEGEND: &str = "Under the ruler: green frames are rendered and in the render cache \
                            as the scene is now; orange frames were rendered but an edit since \
                            changed them (a render redraws only those); unmarked frames were \
                            never rendered.";

/// Frames between ruler labels, so labels stay about 50 px apart.
fn tick_step(px_per_frame: f32) -> u32 {
    [
        1u32, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 50_000,
    ]
    .into_iter()
    .find(|s| *s as f32 * px_per_frame >= 50.0)
    .unwrap_or(100_000)
}

/// One row of the dope sheet.
struct Row {
    label: String,
    /// A group header (node, material, environment) summarising its tracks.
    header: bool,
    /// The tracks whose keys the row shows (one, or all of a group).
    channels: Vec<Channel>,
}

/// The group a channel belongs to, and its display name; `None` when its target is gone.
fn group_of(scene: &Scene, channel: Channel) -> Option<(u8, u64, String)> {
    if let Some(n) = channel.node() {
        return scene.node(n).map(|node| (0, n.0, node.name.clone()));
    }
    if let Some(m) = channel.material() {
        return scene
            .material(m)
            .map(|mat| (1, m.0, format!("Material {}", mat.name)));
    }
    Some((2, 0, "Environment".to_owned()))
}

/// The dope sheet's rows: per node/material/environment a header, then its channels.
fn rows(scene: &Scene, shot: &Shot) -> Vec<Row> {
    let mut tracks: Vec<(u8, u64, String, Channel)> = shot
        .tracks
        .iter()
        .filter(|t| !t.is_empty())
        .filter_map(|t| group_of(scene, t.channel).map(|(k, id, name)| (k, id, name, t.channel)))
        .collect();
    tracks.sort_by(|a, b| (a.0, &a.2, a.1, a.3).cmp(&(b.0, &b.2, b.1, b.3)));
    let mut out: Vec<Row> = Vec::new();
    let mut group = None;
    for (kind, id, name, channel) in tracks {
        if group != Some((kind, id)) {
            group = Some((kind, id));
            out.push(Row {
                label: name,
                header: true,
                channels: Vec::new(),
            });
        }
        if let Some(header) = out.iter_mut().rev().find(|r| r.header) {
            header.channels.push(channel);
        }
        out.push(Row {
            label: channel.title(scene),
            header: false,
            channels: vec![channel],
        });
    }
    out
}

fn is_selected(selected: &[KeyRef], channel: Channel, frame: f32) -> bool {
    selected
        .iter()
        .any(|k| k.channel == channel && (k.frame - frame).abs() < 1e-3)
}

fn diamond(painter: &egui::Painter, c: Pos2, r: f32, fill: Color32, stroke: Stroke) {
    painter.add(egui::Shape::convex_polygon(
        vec![
            pos2(c.x, c.y - r),
            pos2(c.x + r, c.y),
            pos2(c.x, c.y + r),
            pos2(c.x - r, c.y),
        ],
        fill,
        stroke,
    ));
}

/// The keys of `rows` under `pos` (a header row gives the keys of all its tracks on that
/// frame).
fn keys_at(shot: &Shot, row: &Row, frame: f32) -> Vec<KeyRef> {
    row.channels
        .iter()
        .filter_map(|c| shot.track(*c))
        .filter_map(|t| {
            t.keys()
                .iter()
                .find(|k| (k.frame - frame).abs() < 1e-3)
                .map(|k| KeyRef {
                    channel: t.channel,
                    frame: k.frame,
                })
        })
        .collect()
}

/// The key frame of `row` nearest to `x` within `radius` px.
fn frame_near(shot: &Shot, row: &Row, axis: Axis, x: f32, radius: f32) -> Option<f32> {
    row.channels
        .iter()
        .filter_map(|c| shot.track(*c))
        .flat_map(|t| t.keys().iter().map(|k| k.frame))
        .map(|f| (f, (axis.x(f) - x).abs()))
        .filter(|(_, d)| *d <= radius)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(f, _)| f)
}

fn dope_sheet_ui(
    ui: &mut Ui,
    panel: &TimelinePanel<'_>,
    shot: &Shot,
    view: &mut TimelineView,
    act: &mut impl FnMut(TimelineAction),
) {
    let (full, axis, ruler) = axis_and_ruler_ui(ui, NAMES_W, shot, panel, view, act);
    let rows = rows(panel.shown, shot);
    let keys_rect = Rect::from_min_max(pos2(full.left(), ruler.bottom()), full.max);
    let area = Rect::from_min_max(pos2(axis.left, keys_rect.top()), keys_rect.max);
    let response = ui.interact(
        area,
        ui.scope_id().with("dope_sheet"),
        Sense::click_and_drag(),
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Group, true, "Dope sheet keys"));
    ui.allocate_rect(full, Sense::hover());
    let painter = ui.painter_at(keys_rect);
    let visuals = ui.visuals().clone();
    painter.rect_filled(area, 0.0, visuals.extreme_bg_color);
    // Shot range and frame grid.
    let range = Rect::from_x_y_ranges(
        axis.x(0.0)..=axis.x(shot.last_frame() as f32),
        area.y_range(),
    );
    painter.rect_filled(range.intersect(area), 0.0, visuals.faint_bg_color);
    // Rows scroll vertically: the wheel over the names, or a middle drag anywhere.
    let rows_height = rows.len() as f32 * ROW_H + 4.0;
    let max_scroll = (rows_height - keys_rect.height()).max(0.0);
    let names = Rect::from_x_y_ranges(keys_rect.left()..=axis.left, keys_rect.y_range());
    if ui.rect_contains_pointer(names) {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        view.row_scroll -= scroll;
    }
    view.row_scroll = view.row_scroll.clamp(0.0, max_scroll);
    let rows_top = keys_rect.top() + 2.0 - view.row_scroll;
    let row_rect = |i: usize| {
        Rect::from_min_size(
            pos2(keys_rect.left(), rows_top + i as f32 * ROW_H),
            vec2(keys_rect.width(), ROW_H),
        )
    };
    if rows.is_empty() {
        painter.text(
            area.center(),
            egui::Align2::CENTER_CENTER,
            "Nothing animated in this shot yet: select an object and press I, or use the key \
             buttons in the inspector.",
            egui::FontId::proportional(12.0),
            visuals.weak_text_color(),
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let r = row_rect(i);
        if r.top() > keys_rect.bottom() {
            break;
        }
        if r.bottom() < keys_rect.top() {
            continue;
        }
        if i % 2 == 1 {
            painter.rect_filled(
                Rect::from_x_y_ranges(keys_rect.x_range(), r.y_range()),
                0.0,
                visuals.faint_bg_color.gamma_multiply(0.6),
            );
        }
        let (font, color, indent) = if row.header {
            (
                egui::FontId::proportional(12.5),
                visuals.strong_text_color(),
                4.0,
            )
        } else {
            (egui::FontId::proportional(12.0), visuals.text_color(), 16.0)
        };
        // A name too long for the column ends in "…" before the keys.
        let galley = super::elided_galley(
            &painter,
            row.label.clone(),
            font,
            color,
            axis.left - 4.0 - (r.left() + indent),
        );
        painter
            .with_clip_rect(Rect::from_x_y_ranges(
                keys_rect.left()..=axis.left - 4.0,
                r.y_range(),
            ))
            .galley(
                pos2(r.left() + indent, r.center().y - galley.size().y * 0.5),
                galley,
                color,
            );
        let mut frames: Vec<(f32, bool)> = Vec::new();
        for c in &row.channels {
            if let Some(t) = shot.track(*c) {
                for k in t.keys() {
                    let sel = is_selected(panel.selected, *c, k.frame);
                    match frames.iter_mut().find(|(f, _)| (*f - k.frame).abs() < 1e-3) {
                        Some(entry) => entry.1 |= sel,
                        None => frames.push((k.frame, sel)),
                    }
                }
            }
        }
        let radius = if row.header { 5.0 } else { 4.5 };
        for (f, sel) in frames {
            let x = axis.x(f);
            if !area.x_range().contains(x) {
                continue;
            }
            let fill = if sel {
                SELECTED_KEY
            } else if row.header {
                KEY_COLOR.gamma_multiply(0.7)
            } else {
                KEY_COLOR
            };
            diamond(
                &painter,
                pos2(x, r.center().y),
                radius,
                fill,
                Stroke::new(1.0, Color32::from_black_alpha(160)),
            );
        }
    }
    if max_scroll > 0.0 {
        // Where the visible rows are among all of them.
        let track = keys_rect.height();
        let thumb_h = (track * keys_rect.height() / rows_height).max(12.0);
        let thumb_top = keys_rect.top() + (track - thumb_h) * view.row_scroll / max_scroll;
        painter.rect_filled(
            Rect::from_min_size(pos2(keys_rect.right() - 5.0, thumb_top), vec2(4.0, thumb_h)),
            2.0,
            visuals.widgets.inactive.bg_fill,
        );
    }
    // The keys under a point: a key row's key, or a header's keys on that frame.
    let keys_under = |p: Pos2| -> Option<Vec<KeyRef>> {
        let i = ((p.y - rows_top) / ROW_H).floor();
        let row = rows.get(usize::try_from(i as i64).ok()?)?;
        let f = frame_near(shot, row, axis, p.x, 6.0)?;
        Some(keys_at(shot, row, f)).filter(|k| !k.is_empty())
    };
    let hovered_keys = response.hover_pos().and_then(keys_under);
    // Playhead.
    let x = axis.x(panel.frame as f32);
    if area.x_range().contains(x) {
        painter.line_segment(
            [pos2(x, area.top()), pos2(x, area.bottom())],
            Stroke::new(1.5, PLAYHEAD),
        );
    }
    zoom_and_pan(ui, &response, axis, view);
    let shift = ui.input(|i| i.modifiers.shift);
    let pointer_frame = |p: Pos2| axis.frame(p.x);
    if response.drag_started_by(egui::PointerButton::Primary)
        && let Some(p) = ui.input(|i| i.pointer.press_origin())
    {
        match keys_under(p) {
            Some(keys) => {
                let already = keys
                    .iter()
                    .all(|k| is_selected(panel.selected, k.channel, k.frame));
                if !already {
                    let mode = if shift {
                        SelectMode::Add
                    } else {
                        SelectMode::Replace
                    };
                    act(TimelineAction::SelectKeys(keys, mode));
                }
                view.drag = Some(Drag::Keys {
                    from_frame: pointer_frame(p),
                });
            }
            _ => view.drag = Some(Drag::Box { from: p }),
        }
    } else if response.clicked() {
        match &hovered_keys {
            Some(keys) => {
                let mode = if shift {
                    SelectMode::Toggle
                } else {
                    SelectMode::Replace
                };
                act(TimelineAction::SelectKeys(keys.clone(), mode));
            }
            _ if !shift => act(TimelineAction::SelectKeys(Vec::new(), SelectMode::Replace)),
            _ => {}
        }
    }
    if response.secondary_clicked()
        && let Some(keys) = &hovered_keys
        && !keys
            .iter()
            .all(|k| is_selected(panel.selected, k.channel, k.frame))
    {
        act(TimelineAction::SelectKeys(
            keys.clone(),
            SelectMode::Replace,
        ));
    }
    let released = !ui.input(|i| i.pointer.primary_down());
    match view.drag.clone() {
        Some(Drag::Keys { from_frame }) => {
            if let Some(p) = ui.input(|i| i.pointer.interact_pos()) {
                act(TimelineAction::DragKeys(
                    (pointer_frame(p) - from_frame).round(),
                ));
            }
            if released {
                act(TimelineAction::DragKeysEnd);
                view.drag = None;
            }
        }
        Some(Drag::Box { from }) => {
            if let Some(p) = ui.input(|i| i.pointer.interact_pos()) {
                let rect = Rect::from_two_pos(from, p);
                painter.rect(
                    rect,
                    0.0,
                    PLAYHEAD.gamma_multiply(0.15),
                    Stroke::new(1.0, PLAYHEAD),
                    egui::StrokeKind::Inside,
                );
                if released {
                    let mut keys = Vec::new();
                    for (i, row) in rows.iter().enumerate().filter(|(_, r)| !r.header) {
                        let y = row_rect(i).center().y;
                        if !rect.y_range().contains(y) {
                            continue;
                        }
                        for c in &row.channels {
                            if let Some(t) = shot.track(*c) {
                                keys.extend(
                                    t.keys()
                                        .iter()
                                        .filter(|k| rect.x_range().contains(axis.x(k.frame)))
                                        .map(|k| KeyRef {
                                            channel: *c,
                                            frame: k.frame,
                                        }),
                                );
                            }
                        }
                    }
                    let mode = if shift {
                        SelectMode::Add
                    } else {
                        SelectMode::Replace
                    };
                    act(TimelineAction::SelectKeys(keys, mode));
                }
            }
            if released {
                view.drag = None;
            }
        }
        _ => {}
    }
    response.context_menu(|ui| {
        key_menu_ui(ui, panel, act);
    });
}

/// Right-click on keys: interpolation, handles, copy, paste, delete.
fn key_menu_ui(ui: &mut Ui, panel: &TimelinePanel<'_>, act: &mut impl FnMut(TimelineAction)) {
    let any = !panel.selected.is_empty();
    ui.add_enabled_ui(any, |ui| {
        ui.weak("Interpolation");
        for i in Interpolation::ALL {
            if ui.button(i.label()).clicked() {
                act(TimelineAction::SetInterpolation(i));
                ui.close();
            }
        }
        ui.separator();
        ui.weak("Handles");
        for (label, h) in [("Auto", Handles::Auto), ("Eased", Handles::Eased)] {
            if ui.button(label).clicked() {
                act(TimelineAction::SetHandles(h));
                ui.close();
            }
        }
        ui.separator();
        if ui
            .add(egui::Button::new("Copy").shortcut_text("Ctrl+C"))
            .clicked()
        {
            act(TimelineAction::CopyKeys);
            ui.close();
        }
    });
    if ui
        .add_enabled(
            panel.can_paste,
            egui::Button::new("Paste at playhead").shortcut_text("Ctrl+V"),
        )
        .clicked()
    {
        act(TimelineAction::PasteKeys);
        ui.close();
    }
    if ui
        .add_enabled(any, egui::Button::new("Delete").shortcut_text("Del"))
        .clicked()
    {
        act(TimelineAction::DeleteKeys);
        ui.close();
    }
}

/// The channel's name with its node or material, for the curve picker.
fn track_name(scene: &Scene, channel: Channel) -> Option<String> {
    let (_, _, group) = group_of(scene, channel)?;
    Some(if matches!(channel, Channel::Exposure) {
        "Exposure".to_owned()
    } else {
        format!("{group}: {}", channel.title(scene))
    })
}

/// Handle length in frames on each side of key `i` (a third of the gap to the neighbour).
fn handle_spans(track: &Track, i: usize) -> (f32, f32) {
    let keys = track.keys();
    let here = keys[i].frame;
    let left = i
        .checked_sub(1)
        .and_then(|p| keys.get(p))
        .map_or(0.0, |k| (here - k.frame) / 3.0);
    let right = keys.get(i + 1).map_or(0.0, |k| (k.frame - here) / 3.0);
    (left, right)
}

fn curve_editor_ui(
    ui: &mut Ui,
    panel: &TimelinePanel<'_>,
    shot: &Shot,
    view: &mut TimelineView,
    act: &mut impl FnMut(TimelineAction),
) {
    let tracks: Vec<(Channel, String)> = shot
        .tracks
        .iter()
        .filter(|t| !t.is_empty() && !matches!(t.channel, Channel::Visible(_)))
        .filter_map(|t| track_name(panel.shown, t.channel).map(|n| (t.channel, n)))
        .collect();
    if view
        .curve
        .is_none_or(|(c, _)| !tracks.iter().any(|(t, _)| *t == c))
    {
        // Default: the first selected key's track, else the first track.
        view.curve = panel
            .selected
            .first()
            .map(|k| k.channel)
            .filter(|c| tracks.iter().any(|(t, _)| t == c))
            .or(tracks.first().map(|(c, _)| *c))
            .map(|c| (c, 0));
    }
    ui.horizontal(|ui| {
        let Some((channel, component)) = &mut view.curve else {
            ui.weak("No curves: key something first (I, or a key button in the inspector).");
            return;
        };
        let name = track_name(panel.shown, *channel).unwrap_or_default();
        egui::ComboBox::from_id_salt("curve_track")
            .selected_text(name)
            .width(240.0)
            .show_ui(ui, |ui| {
                for (c, n) in &tracks {
                    if ui.selectable_label(*c == *channel, n).clicked() {
                        *channel = *c;
                        *component = 0;
                    }
                }
            });
        let names = channel.component_names();
        egui::ComboBox::from_id_salt("curve_component")
            .selected_text(names.get(*component).copied().unwrap_or("?"))
            .show_ui(ui, |ui| {
                for (i, n) in names.iter().enumerate() {
                    ui.selectable_value(component, i, *n);
                }
            });
    });
    let Some((channel, component)) = view.curve else {
        return;
    };
    let Some(track) = shot.track(channel) else {
        return;
    };
    let (full, axis, ruler) = axis_and_ruler_ui(ui, 48.0, shot, panel, view, act);
    let plot =
        Rect::from_min_max(pos2(axis.left, ruler.bottom()), full.max).shrink2(vec2(0.0, 8.0));
    let response = ui.interact(
        plot,
        ui.scope_id().with("curve_plot"),
        Sense::click_and_drag(),
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Group, true, "Curve"));
    ui.allocate_rect(full, Sense::hover());
    let painter = ui.painter_at(Rect::from_min_max(
        pos2(full.left(), plot.top() - 8.0),
        full.max,
    ));
    let visuals = ui.visuals().clone();
    painter.rect_filled(plot.expand2(vec2(0.0, 8.0)), 0.0, visuals.extreme_bg_color);
    let value_of = |v: &Value| v.components().values.get(component).copied().unwrap_or(0.0);
    // Value range: keys and the sampled curve over the visible frames, frozen while dragging.
    let (lo, hi) = match view.drag {
        Some(Drag::CurveRange(lo, hi)) => (lo, hi),
        _ => {
            let mut lo = f32::INFINITY;
            let mut hi = f32::NEG_INFINITY;
            for k in track.keys() {
                lo = lo.min(value_of(&k.value));
                hi = hi.max(value_of(&k.value));
            }
            for f in 0..=shot.last_frame() {
                if let Some(v) = track.sample(f as f32) {
                    lo = lo.min(value_of(&v));
                    hi = hi.max(value_of(&v));
                }
            }
            let pad = ((hi - lo) * 0.1).max(1e-3);
            (lo - pad, hi + pad)
        }
    };
    let y_of = |v: f32| plot.bottom() - (v - lo) / (hi - lo) * plot.height();
    let v_of = |y: f32| lo + (plot.bottom() - y) / plot.height() * (hi - lo);
    // Grid lines and value labels.
    for i in 0..=4 {
        let v = lo + (hi - lo) * i as f32 / 4.0;
        let y = y_of(v);
        painter.line_segment(
            [pos2(plot.left(), y), pos2(plot.right(), y)],
            Stroke::new(1.0, visuals.faint_bg_color),
        );
        painter.text(
            pos2(full.left() + 2.0, y),
            egui::Align2::LEFT_CENTER,
            format!("{v:.2}"),
            egui::FontId::monospace(10.0),
            visuals.weak_text_color(),
        );
    }
    // The sampled curve, one point per two pixels.
    let mut points = Vec::new();
    let mut x = plot.left();
    while x <= plot.right() {
        if let Some(v) = track.sample(axis.frame(x)) {
            points.push(pos2(x, y_of(value_of(&v))));
        }
        x += 2.0;
    }
    painter.add(egui::Shape::line(points, Stroke::new(1.5, KEY_COLOR)));
    // Keys and handles.
    let mut hits: Vec<(Pos2, Drag)> = Vec::new();
    for (i, key) in track.keys().iter().enumerate() {
        let p = pos2(axis.x(key.frame), y_of(value_of(&key.value)));
        let key_ref = KeyRef {
            channel,
            frame: key.frame,
        };
        let bezier_in = i
            .checked_sub(1)
            .and_then(|p| track.keys().get(p))
            .is_some_and(|k| k.interpolation == Interpolation::Bezier);
        if key.interpolation == Interpolation::Bezier || bezier_in {
            let slope = track.slopes(i).get(component).copied().unwrap_or(0.0);
            let (left, right) = handle_spans(track, i);
            for (span, show) in [
                (-left, bezier_in),
                (right, key.interpolation == Interpolation::Bezier),
            ] {
                if !show || span == 0.0 {
                    continue;
                }
                let h = pos2(
                    axis.x(key.frame + span),
                    y_of(value_of(&key.value) + slope * span),
                );
                painter.line_segment([p, h], Stroke::new(1.0, visuals.weak_text_color()));
                painter.circle_filled(h, 3.5, visuals.text_color());
                hits.push((
                    h,
                    Drag::CurveHandle {
                        key: key_ref,
                        component,
                    },
                ));
            }
        }
        let sel = is_selected(panel.selected, channel, key.frame);
        painter.rect_filled(
            Rect::from_center_size(p, vec2(7.0, 7.0)),
            1.0,
            if sel { SELECTED_KEY } else { Color32::WHITE },
        );
        hits.push((
            p,
            Drag::CurveKey {
                key: key_ref,
                component,
            },
        ));
    }
    let x = axis.x(panel.frame as f32);
    if plot.x_range().contains(x) {
        painter.line_segment(
            [pos2(x, plot.top() - 8.0), pos2(x, full.bottom())],
            Stroke::new(1.5, PLAYHEAD),
        );
    }
    zoom_and_pan(ui, &response, axis, view);
    let nearest = |p: Pos2| {
        hits.iter()
            .map(|(h, d)| (h.distance(p), d))
            .filter(|(d, _)| *d <= 7.0)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, d)| d.clone())
    };
    let dragging =
        ui.data(|d| d.get_temp::<(KeyRef, usize, bool)>(ui.scope_id().with("curve_drag")));
    if response.drag_started_by(egui::PointerButton::Primary)
        && let Some(p) = ui.input(|i| i.pointer.press_origin())
    {
        match nearest(p) {
            Some(Drag::CurveKey { key, component }) => {
                act(TimelineAction::SelectKeys(vec![key], SelectMode::Replace));
                ui.data_mut(|d| {
                    d.insert_temp(ui.scope_id().with("curve_drag"), (key, component, true))
                });
                view.drag = Some(Drag::CurveRange(lo, hi));
            }
            Some(Drag::CurveHandle { key, component }) => {
                ui.data_mut(|d| {
                    d.insert_temp(ui.scope_id().with("curve_drag"), (key, component, false))
                });
                view.drag = Some(Drag::CurveRange(lo, hi));
            }
            _ => {}
        }
    } else if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        match nearest(p) {
            Some(Drag::CurveKey { key, .. }) => {
                act(TimelineAction::SelectKeys(vec![key], SelectMode::Replace))
            }
            _ => act(TimelineAction::SelectKeys(Vec::new(), SelectMode::Replace)),
        }
    }
    if let Some((key, component, is_key)) = dragging
        && let Some(p) = ui.input(|i| i.pointer.interact_pos())
    {
        if is_key {
            act(TimelineAction::CurveMoveKey {
                key,
                component,
                frame: axis.frame(p.x).round(),
                value: v_of(p.y),
            });
        } else {
            let df = axis.frame(p.x) - key.frame;
            if let Some(k) = track.key_at(key.frame).and_then(|i| track.keys().get(i))
                && df.abs() > 0.05
            {
                act(TimelineAction::CurveSlope {
                    key,
                    component,
                    slope: (v_of(p.y) - value_of(&k.value)) / df,
                });
            }
        }
        if !ui.input(|i| i.pointer.primary_down()) {
            ui.data_mut(|d| d.remove::<(KeyRef, usize, bool)>(ui.scope_id().with("curve_drag")));
            view.drag = None;
            act(TimelineAction::DragKeysEnd);
        }
    }
}

/// The inspector's key toggle for `channels`: filled when a key sits on the playhead's frame,
/// outlined when the shot animates them, hollow grey otherwise. Click: key the shown values,
/// or remove the keys on this frame.
pub fn key_button_ui(
    ui: &mut Ui,
    keying: &Keying<'_>,
    channels: &[Channel],
    actions: &mut Vec<UiAction>,
) {
    let Some(shot) = keying.shot else {
        return;
    };
    let on_frame = channels.iter().any(|c| {
        shot.track(*c)
            .is_some_and(|t| t.key_at(keying.frame).is_some())
    });
    let animated = channels.iter().any(|c| shot.animates(*c));
    let label = match channels.first() {
        Some(c) => format!("Key {}", c.label()),
        None => "Key".to_owned(),
    };
    let (rect, response) = ui.allocate_exact_size(vec2(16.0, 16.0), Sense::CLICK);
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::Button, true, on_frame, label.clone())
    });
    let c = rect.center();
    let painter = ui.painter();
    let hovered = response.hovered();
    if on_frame {
        diamond(
            painter,
            c,
            5.5,
            KEY_COLOR,
            Stroke::new(1.0, Color32::from_black_alpha(160)),
        );
    } else if animated {
        diamond(
            painter,
            c,
            5.0,
            Color32::TRANSPARENT,
            Stroke::new(1.5, KEY_COLOR),
        );
    } else {
        let grey = if hovered {
            ui.visuals().text_color()
        } else {
            ui.visuals().weak_text_color()
        };
        diamond(
            painter,
            c,
            5.0,
            Color32::TRANSPARENT,
            Stroke::new(1.0, grey),
        );
    }
    let tip = if on_frame {
        "Keyed on this frame: click to remove the key"
    } else if animated {
        "Animated in this shot: click to key the value on this frame (edits key it too)"
    } else {
        "Click to key this value at the playhead (I keys the selected object)"
    };
    if response.on_hover_text(tip).clicked() {
        let action = if on_frame {
            TimelineAction::Unkey(channels.to_vec())
        } else {
            TimelineAction::Key(channels.to_vec())
        };
        actions.push(UiAction::Timeline(action));
    }
}

/// The active shot and the playhead, for the inspector's key buttons.
#[derive(Clone, Copy)]
pub struct Keying<'a> {
    pub shot: Option<&'a Shot>,
    pub frame: f32,
}

/// A shot's row in the shot list: its name, frames, seconds (to the hundredth, as its
/// Length field shows them) and rate.
fn shot_row_text(shot: &Shot) -> String {
    format!(
        "{}   {} f · {:.2} s · {} fps",
        shot.name,
        shot.frames,
        shot.duration_secs(),
        shot.fps
    )
}

#[cfg(test)]
mod shot_row_tests {
    use super::*;

    /// Showing a shot's settings edits nothing, however long the shot: a two-hour shot at
    /// 24 fps (its Length field's seconds once clamped to an hour) came back shortened.
    #[test]
    fn showing_a_long_shot_s_settings_does_not_edit_it() {
        let scene = Scene::new("settings");
        for frames in [1, 240, 2 * 60 * 60 * 24, MAX_SHOT_FRAMES] {
            let mut shot = Shot::new(crate::scene::ShotId(1), "Long take");
            shot.frames = frames;
            let mut actions = 0;
            crate::ui::run_passes(3, |ui| {
                shot_settings_ui(ui, &scene, &shot, &mut |_| actions += 1);
            });
            assert_eq!(actions, 0, "{frames} frames: showing them edited the shot");
        }
    }

    /// The list and the Length field agree: 13 frames at 24 fps are 0.54 s in both (the
    /// list said 0.5 s).
    #[test]
    fn a_shot_row_gives_its_seconds_as_its_length_field_does() {
        let mut shot = Shot::new(crate::scene::ShotId(1), "Captured path");
        shot.frames = 13;
        assert_eq!(
            shot_row_text(&shot),
            "Captured path   13 f · 0.54 s · 24 fps"
        );
        shot.frames = 240;
        assert_eq!(
            shot_row_text(&shot),
            "Captured path   240 f · 10.00 s · 24 fps"
        );
    }
}
