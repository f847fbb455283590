//! The inspector: the values of the active (last selected) node, or a summary of the scene
//! when nothing is selected. Values that can be edited emit [`Command`]s (through
//! `UiAction::Edit` / `UiAction::EditDrag`); the rest are read-only until their editing lands.

use super::UiAction;
use super::icons::{node_icon_in, paint_icon};
use super::timeline::{Keying, key_button_ui};
use super::variants::{VARIANT_COLOR, overrides_strip_ui};
use crate::edit::variants::OverrideTarget;
use crate::edit::{Command, POINT_SIZE_RANGE_PX};
use crate::scene::{
    AlphaMode, Camera, Channel, Light, LightKind, Material, MaterialId, Mesh, MeshId, Node, NodeId,
    NodeKind, Primitive, Scene, TextureRef, ToneMapper, Transform, Variant,
};
use egui::{Color32, Id, RichText, Ui, vec2};
use glam::{EulerRot, Quat, Vec3};

/// Shows the active node of `selection` (the last one), or the scene summary.
///
/// `variant` is the variant edits go to (`scene` is then the scene as it shows it): values it
/// overrides are marked, each with a reset to the base.
pub fn inspector_ui(
    ui: &mut Ui,
    scene: &Scene,
    variant: Option<&Variant>,
    selection: &[NodeId],
    cloud_tools: &mut super::CloudTools,
    actions: &mut Vec<UiAction>,
) {
    inspector_keyed_ui(ui, scene, variant, selection, cloud_tools, None, actions);
}

/// Where the editor tells the inspector how wide its contents may be (`set_inspector_max_width`).
const INSPECTOR_MAX_WIDTH_ID: &str = "worldsmith_inspector_max_width";

/// Where the inspector notes how far right its contents may reach (see [`room`]).
const INSPECTOR_RIGHT_ID: &str = "worldsmith_inspector_right";

/// How wide the inspector's contents may make its panel (points, without the panel's
/// margins): rows wider than this scroll sideways. Without it the panel follows its contents.
pub fn set_inspector_max_width(ctx: &egui::Context, width: f32) {
    ctx.data_mut(|d| d.insert_temp(Id::unique(INSPECTOR_MAX_WIDTH_ID), width));
}

/// [`inspector_ui`] with a key toggle beside every keyable value, for the active shot at
/// the playhead (`scene` is then the shot as sampled there).
pub fn inspector_keyed_ui(
    ui: &mut Ui,
    scene: &Scene,
    variant: Option<&Variant>,
    selection: &[NodeId],
    cloud_tools: &mut super::CloudTools,
    keying: Option<&Keying<'_>>,
    actions: &mut Vec<UiAction>,
) {
    ui.horizontal(|ui| {
        ui.strong("Inspector");
        if let Some(v) = variant {
            ui.add(
                egui::Label::new(
                    RichText::new(format!("editing variant '{}'", v.name)).color(VARIANT_COLOR),
                )
                .truncate(),
            )
            .on_hover_text(
                "Lighting, colour adjust, light placement and material values go to this \
                     variant; geometry, names and textures go to the base (all variants)",
            );
        }
    });
    ui.separator();
    // The panel widens to its widest row, as far as it may (`set_inspector_max_width`);
    // where a row is wider still, it scrolls sideways rather than spread over the viewport.
    let wide_id = Id::unique("worldsmith_inspector_content_width");
    let (max_width, content_width) = ui.data(|d| {
        (
            d.get_temp::<f32>(Id::unique(INSPECTOR_MAX_WIDTH_ID)),
            d.get_temp::<f32>(wide_id),
        )
    });
    let sideways = max_width
        .zip(content_width)
        .is_some_and(|(max, content)| content > max);
    let output = egui::ScrollArea::new([sideways, true])
        .auto_shrink([false, false])
        .show(ui, |ui| {
            // How far right the panel may still widen: rows of X, Y, Z values go one under
            // another where even that is too little (`xyz_ui`).
            let right = max_width.map_or(f32::INFINITY, |max| {
                ui.max_rect().left() + max.max(ui.available_width())
            });
            ui.data_mut(|d| d.insert_temp(Id::unique(INSPECTOR_RIGHT_ID), right));
            let Some(active) = selection.last() else {
                scene_summary_ui(ui, scene, variant, keying, actions);
                return;
            };
            let Some(node) = scene.node(*active) else {
                ui.weak("The selected node is no longer in the scene.");
                return;
            };
            if selection.len() > 1 {
                ui.weak(format!(
                    "{} nodes selected; showing the last one.",
                    selection.len()
                ));
            }
            overrides_strip_ui(
                ui,
                variant,
                &[
                    (OverrideTarget::Visible(node.id), "visibility"),
                    (OverrideTarget::Grade(node.id), "colour adjust"),
                ],
                actions,
            );
            node_ui(ui, scene, variant, node, cloud_tools, keying, actions);
        });
    ui.data_mut(|d| d.insert_temp(wide_id, output.content_size.x));
}

/// `v` with `digits` significant digits and no trailing zeros ("0", "0.0125", "12.5",
/// "120000"), where a slider's own formatting shows "0.000000".
fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// `v` to three significant digits, thousands as "k" and millions as "M" from ten thousand
/// up ("950", "12.3k", "150k", "1M").
fn compact_number(v: f64) -> String {
    if !v.is_finite() || v.abs() < 1.0e4 {
        return significant(v, 3);
    }
    let thousands = significant(v / 1.0e3, 3);
    // 999,999 rounds to "1000k": that is "1M".
    if thousands.parse::<f64>().is_ok_and(|k| k.abs() < 1.0e3) {
        return format!("{thousands}k");
    }
    format!("{}M", significant(v / 1.0e6, 3))
}

/// A number as typed, with an optional "k" (thousands) or "M" (millions) after it.
fn parse_compact_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, scale) = match text.chars().last()? {
        'k' | 'K' => (&text[..text.len() - 1], 1.0e3),
        'm' | 'M' => (&text[..text.len() - 1], 1.0e6),
        _ => (text, 1.0),
    };
    let v: f64 = number.trim().parse().ok()?;
    v.is_finite().then_some(v * scale)
}

/// A value's label with its key toggle in front (when a shot is active).
fn keyed_label(
    ui: &mut Ui,
    keying: Option<&Keying<'_>>,
    channels: &[Channel],
    label: &str,
    actions: &mut Vec<UiAction>,
) {
    ui.horizontal(|ui| {
        if let Some(k) = keying {
            key_button_ui(ui, k, channels, actions);
        }
        ui.label(label);
    });
}

fn node_ui(
    ui: &mut Ui,
    scene: &Scene,
    variant: Option<&Variant>,
    node: &Node,
    cloud_tools: &mut super::CloudTools,
    keying: Option<&Keying<'_>>,
    actions: &mut Vec<UiAction>,
) {
    ui.horizontal(|ui| {
        let icon = node_icon_in(scene, node);
        let (rect, _) = ui.allocate_exact_size(vec2(16.0, 16.0), egui::Sense::hover());
        paint_icon(ui.painter(), rect, icon, icon.color());
        heading_ui(ui, &node.name);
    });
    grid_ui(ui, "inspector_node", |ui| {
        let skinned = scene.skinned_by(node.id);
        if skinned.is_empty() {
            value_row_ui(ui, "Type", node.kind.label());
        } else {
            // A joint: which skinned meshes it moves.
            value_row_ui(ui, "Type", &format!("{} (joint)", node.kind.label()));
            let names: Vec<&str> = skinned
                .iter()
                .filter_map(|id| scene.node(*id))
                .map(|n| n.name.as_str())
                .collect();
            value_row_ui(ui, "Moves", &names.join(", "));
            ui.label("Pose");
            let reset = crate::edit::ops::reset_joint(scene, node.id);
            if ui
                .add_enabled(reset.is_some(), egui::Button::new("Reset to rest"))
                .on_hover_text("Put this joint back where the file bound the mesh")
                .clicked()
                && let Some(command) = reset
            {
                actions.push(edit_action(ui, command));
            }
            ui.end_row();
        }
        let parent = node
            .parent
            .and_then(|p| scene.node(p))
            .map_or("(none — root)", |p| p.name.as_str());
        value_row_ui(ui, "Parent", parent);
        value_row_ui(ui, "Children", &node.children.len().to_string());
        keyed_label(ui, keying, &[Channel::Visible(node.id)], "Visible", actions);
        ui.label(yes_no(node.visible));
        ui.end_row();
    });

    egui::CollapsingHeader::new("Transform")
        .default_open(true)
        .show(ui, |ui| transform_ui(ui, scene, node, keying, actions));

    if matches!(
        node.kind,
        NodeKind::Mesh { .. }
            | NodeKind::Points { .. }
            | NodeKind::Lines { .. }
            | NodeKind::Splats { .. }
    ) {
        egui::CollapsingHeader::new("Colour adjust")
            .default_open(!node.grade.is_identity())
            .show(ui, |ui| grade_ui(ui, node, actions));
    }
    if crate::edit::ops::relightable(scene, node.id) {
        egui::CollapsingHeader::new("Relighting")
            .default_open(!node.relight.is_default())
            .show(ui, |ui| {
                overrides_strip_ui(
                    ui,
                    variant,
                    &[(OverrideTarget::Relight(node.id), "relit amount")],
                    actions,
                );
                super::relight::relight_ui(ui, node, actions)
            });
    }

    match &node.kind {
        NodeKind::Empty => {}
        NodeKind::Mesh { mesh, material } => {
            egui::CollapsingHeader::new("Mesh")
                .default_open(true)
                .show(ui, |ui| match scene.mesh(*mesh) {
                    Some(m) => mesh_ui(ui, scene, node.id, *mesh, m, actions),
                    None => {
                        ui.weak(format!("Mesh {} is missing.", mesh.0));
                    }
                });
            if let Some(morph) = scene.morph(node.id) {
                egui::CollapsingHeader::new("Shape keys")
                    .default_open(true)
                    .show(ui, |ui| {
                        morph_ui(ui, scene, node.id, morph, keying, actions)
                    });
            }
            egui::CollapsingHeader::new("Material")
                .default_open(true)
                .show(ui, |ui| match scene.material(*material) {
                    Some(m) => {
                        overrides_strip_ui(
                            ui,
                            variant,
                            &[
                                (OverrideTarget::MaterialSwap(node.id), "material swap"),
                                (OverrideTarget::Material(*material), "material values"),
                            ],
                            actions,
                        );
                        material_ui(ui, scene, node.id, *material, m, keying, actions)
                    }
                    None => {
                        ui.weak(format!("Material {} is missing.", material.0));
                    }
                });
        }
        NodeKind::Light(light) => {
            egui::CollapsingHeader::new("Light")
                .default_open(true)
                .show(ui, |ui| {
                    overrides_strip_ui(
                        ui,
                        variant,
                        &[
                            (OverrideTarget::Light(node.id), "light values"),
                            (OverrideTarget::Placement(node.id), "placement"),
                        ],
                        actions,
                    );
                    light_ui(ui, node.id, light, keying, actions);
                    if light.kind == LightKind::Directional {
                        sun_position_ui(ui, scene, node, actions);
                    }
                });
        }
        NodeKind::Camera(camera) => {
            egui::CollapsingHeader::new("Camera")
                .default_open(true)
                .show(ui, |ui| camera_ui(ui, node.id, camera, keying, actions));
        }
        NodeKind::Points {
            cloud,
            point_size_px,
        } => {
            egui::CollapsingHeader::new("Point cloud")
                .default_open(true)
                .show(ui, |ui| match scene.point_cloud(*cloud) {
                    Some(c) => {
                        if let Some(action) = points_ui(ui, node.id, c, *point_size_px) {
                            actions.push(action);
                        }
                        super::cloud_select::cloud_select_ui(
                            ui,
                            node.id,
                            super::CloudRef::Points(c),
                            &mut cloud_tools.select,
                            actions,
                        );
                    }
                    None => {
                        ui.weak(format!("Point cloud {} is missing.", cloud.0));
                    }
                });
        }
        NodeKind::Lines { cloud, width_px } => {
            egui::CollapsingHeader::new("Lines")
                .default_open(true)
                .show(ui, |ui| match scene.point_cloud(*cloud) {
                    Some(c) => {
                        if let Some(action) = lines_ui(ui, node.id, c, *width_px) {
                            actions.push(action);
                        }
                    }
                    None => {
                        ui.weak(format!("Line set {} is missing.", cloud.0));
                    }
                });
        }
        NodeKind::Splats { cloud } => {
            egui::CollapsingHeader::new("Gaussian splats")
                .default_open(true)
                .show(ui, |ui| match scene.splat_cloud(*cloud) {
                    Some(c) => {
                        splats_ui(ui, c);
                        super::cloud_select::cloud_select_ui(
                            ui,
                            node.id,
                            super::CloudRef::Splats(c),
                            &mut cloud_tools.select,
                            actions,
                        );
                        egui::CollapsingHeader::new("Region: delete, crop, separate")
                            .default_open(false)
                            .show(ui, |ui| {
                                super::region::splat_region_ui(ui, node.id, c, cloud_tools, actions)
                            });
                    }
                    None => {
                        ui.weak(format!("Splat cloud {} is missing.", cloud.0));
                    }
                });
        }
    }
}

/// Tint, brightness and saturation of what the node draws (one drag is one undo step).
fn grade_ui(ui: &mut Ui, node: &Node, actions: &mut Vec<UiAction>) {
    let grade = node.grade;
    let mut new = grade;
    grid_ui(ui, "inspector_grade", |ui| {
        ui.label("Tint");
        color_edit_ui(ui, &mut new.tint);
        ui.end_row();
        ui.label("Brightness");
        fitted_slider(
            ui,
            "0.000",
            slider(&mut new.brightness, 0.0..=4.0).logarithmic(true),
        );
        ui.end_row();
        ui.label("Saturation");
        fitted_slider(ui, "0.000", slider(&mut new.saturation, 0.0..=2.0));
        ui.end_row();
    });
    if ui
        .add_enabled(!grade.is_identity(), egui::Button::new("Reset"))
        .clicked()
    {
        new = crate::scene::ColorGrade::default();
    }
    if new != grade {
        actions.push(edit_action(
            ui,
            Command::SetGrade {
                node: node.id,
                grade: new,
            },
        ));
    }
}

fn size_of_bounds(b: crate::scene::Aabb) -> Vec3 {
    if b.is_empty() { Vec3::ZERO } else { b.size() }
}

/// The action for a widget that changed a value: while a pointer button is held (a slider or
/// drag-value drag, a colour-picker drag) every frame's change is part of one undo step.
fn edit_action(ui: &Ui, command: Command) -> UiAction {
    if ui.input(|i| i.pointer.any_down()) {
        UiAction::EditDrag(command)
    } else {
        UiAction::Edit(command)
    }
}

/// Point-cloud facts and its point-size slider (a drag is one undo step).
fn points_ui(
    ui: &mut Ui,
    node: NodeId,
    cloud: &crate::scene::PointCloud,
    point_size_px: f32,
) -> Option<UiAction> {
    grid_ui(ui, "inspector_points", |ui| {
        value_row_ui(ui, "Points", &thousands(cloud.len() as u64));
        ui.label("Bounds size");
        vec3_ui(ui, size_of_bounds(cloud.bounds()), 2, " m");
        ui.end_row();
        value_row_ui(ui, "Colours", yes_no(!cloud.colors.is_empty()));
        value_row_ui(ui, "Normals", yes_no(!cloud.normals.is_empty()));
        draw_size_ui(ui, node, "Point size", point_size_px)
    })
}

/// Line-set facts and its line-width slider (a drag is one undo step).
fn lines_ui(
    ui: &mut Ui,
    node: NodeId,
    cloud: &crate::scene::PointCloud,
    width_px: f32,
) -> Option<UiAction> {
    grid_ui(ui, "inspector_lines", |ui| {
        value_row_ui(ui, "Segments", &thousands(cloud.segments.len() as u64));
        value_row_ui(ui, "Vertices", &thousands(cloud.len() as u64));
        ui.label("Bounds size");
        vec3_ui(ui, size_of_bounds(cloud.bounds()), 2, " m");
        ui.end_row();
        value_row_ui(ui, "Colours", yes_no(!cloud.colors.is_empty()));
        draw_size_ui(ui, node, "Line width", width_px)
    })
}

/// A grid row with the slider for a point node's disc size or a line node's width.
fn draw_size_ui(ui: &mut Ui, node: NodeId, label: &str, before: f32) -> Option<UiAction> {
    ui.label(label);
    let mut size_px = before;
    let response = fitted_slider(
        ui,
        "64.0 px",
        slider(&mut size_px, POINT_SIZE_RANGE_PX)
            .logarithmic(true)
            .max_decimals(1)
            .suffix(" px"),
    );
    ui.end_row();
    (response.changed() && size_px != before)
        .then(|| edit_action(ui, Command::SetPointSize { node, size_px }))
}

fn splats_ui(ui: &mut Ui, cloud: &crate::scene::SplatCloud) {
    grid_ui(ui, "inspector_splats", |ui| {
        value_row_ui(ui, "Splats", &thousands(cloud.len() as u64));
        ui.label("Bounds size");
        vec3_ui(ui, size_of_bounds(cloud.bounds()), 2, " m");
        ui.end_row();
        value_row_ui(ui, "SH degree", &cloud.sh_degree.to_string());
        // Trained with the antialiasing filter (SPZ flag): drawn with compensated opacity.
        value_row_ui(ui, "Antialiased", yes_no(cloud.antialiased));
        value_row_ui(
            ui,
            "Memory",
            &format!("{:.1} MB", cloud.byte_size() as f64 / 1e6),
        );
    });
}

/// Euler angles in degrees, XYZ order as Blender shows them (extrinsic X, then Y, then Z).
///
/// Every rotation has two such triples, (x, y, z) and (x ± 180°, 180° − y, z ± 180°); this
/// returns the one with the smaller X and Z, so a turn about Y reads (0, 100.6, 0) rather than
/// (180, 79.4, 180).
pub(crate) fn euler_xyz_deg(rotation: Quat) -> Vec3 {
    let (x, y, z) = rotation.to_euler(EulerRot::XYZEx);
    let a = Vec3::new(x, y, z) * (180.0 / std::f32::consts::PI);
    let wrap = |v: f32| (v + 180.0).rem_euclid(360.0) - 180.0;
    let b = Vec3::new(wrap(a.x + 180.0), wrap(180.0 - a.y), wrap(a.z + 180.0));
    let best = if b.x.abs() + b.z.abs() + 1e-3 < a.x.abs() + a.z.abs() {
        b
    } else {
        a
    };
    // Adding zero turns −0 into +0, so an untouched axis never reads "-0.0°".
    best + Vec3::ZERO
}

/// The axes' names and colours (as the gizmo draws them).
const AXES: [(&str, Color32); 3] = [
    ("X", Color32::from_rgb(0xe8, 0x5c, 0x5c)),
    ("Y", Color32::from_rgb(0x7c, 0xc8, 0x5a)),
    ("Z", Color32::from_rgb(0x5c, 0x8c, 0xe8)),
];

/// Three cells, one per axis, side by side where `beside` points fit in what is left of the
/// row (counting how much the inspector may still widen), else one under another with the
/// axis' name in front of each, as in Blender's sidebar: a narrow inspector shows every
/// value whole instead of scrolling sideways. `beside` is worked out from the widest value
/// a row usually holds rather than the values now shown, so dragging a value from 9.9 to 10
/// does not move the fields under the pointer.
/// `cell` is told whether the cells are stacked.
fn xyz_ui(ui: &mut Ui, beside: f32, mut cell: impl FnMut(&mut Ui, usize, bool)) {
    // The right edge is the one noted before the rows were laid out: a row wider than the
    // panel widens the Ui it is in, and later rows would take that for room.
    if ui.cursor().left() + beside <= inspector_right(ui).unwrap_or(f32::INFINITY) {
        ui.horizontal(|ui| (0..3).for_each(|axis| cell(ui, axis, false)));
    } else {
        ui.vertical(|ui| {
            for (axis, (name, color)) in AXES.iter().enumerate() {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(*name).color(*color).small().strong());
                    cell(ui, axis, true);
                });
            }
        });
    }
}

/// The width of a drag value showing `widest` (with its suffix), as a row of them is
/// planned (`vec3_edit_ui`).
fn drag_field_width(ui: &Ui, widest: &str) -> f32 {
    let text = super::text_width(
        ui.painter(),
        widest,
        egui::TextStyle::Body.resolve(ui.style()),
    );
    (text + 2.0 * ui.spacing().button_padding.x).max(ui.spacing().interact_size.x)
}

/// How far right the inspector's rows may reach, as noted before they were laid out
/// (`INSPECTOR_RIGHT_ID`); `None` outside the inspector.
fn inspector_right(ui: &Ui) -> Option<f32> {
    ui.data(|d| d.get_temp::<f32>(Id::unique(INSPECTOR_RIGHT_ID)))
}

/// The width left from the cursor to the inspector's right edge. A row wider than the panel
/// widens the Ui it is in, so the Ui's own edge is no measure of the room once one has.
pub(crate) fn room(ui: &Ui) -> f32 {
    inspector_right(ui).map_or(ui.available_width(), |right| right - ui.cursor().left())
}

/// A row of widgets that wraps at the inspector's right edge ([`room`]): in a narrow panel
/// its last widgets go on the next line instead of past the edge.
pub(crate) fn row_ui<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    // Placed at the top of what is left, as `Ui::vertical` is: a grid centres an allocated
    // Ui in its cell by the height asked for (one line), and the lines a narrow row wraps
    // onto then ran into the grid's next row.
    let rect = egui::Rect::from_min_size(
        ui.available_rect_before_wrap().min,
        vec2(room(ui).max(0.0), ui.spacing().interact_size.y),
    );
    let layout = egui::Layout::left_to_right(egui::Align::Center).with_main_wrap(true);
    ui.scope_builder(egui::UiBuilder::new().max_rect(rect).layout(layout), add)
        .inner
}

/// The inspector's two-column grid of labels and values, kept inside the inspector's right
/// edge ([`room`]): its last column's values (truncated names, stacked X/Y/Z fields, sliders)
/// fit the panel, not a Ui an earlier row made wider.
pub(crate) fn grid_ui<R>(ui: &mut Ui, id_salt: &str, add: impl FnOnce(&mut Ui) -> R) -> R {
    let rect = egui::Rect::from_min_size(
        ui.cursor().min,
        vec2(room(ui).max(0.0), ui.available_size_before_wrap().y),
    );
    let builder = egui::UiBuilder::new()
        .id_salt(id_salt)
        .max_rect(rect)
        .layout(egui::Layout::top_down(egui::Align::Min));
    ui.scope_builder(builder, |ui| {
        egui::Grid::new(id_salt)
            .num_columns(2)
            .spacing([12.0, 4.0])
            .show(ui, add)
            .inner
    })
    .inner
}

/// A slider over `range` that keeps a shown value outside it (a file's normal scale of 3, a
/// 200,000-lux sun): only the user's drags and typing are held to the range. egui's default
/// clamps the value it shows, which edited the scene just by selecting it.
pub(crate) fn slider<Num: egui::emath::Numeric>(
    value: &mut Num,
    range: std::ops::RangeInclusive<Num>,
) -> egui::Slider<'_> {
    egui::Slider::new(value, range).clamping(egui::SliderClamping::Edits)
}

/// A colour button that writes `color` only when the user changes it: egui's picker
/// round-trips the colour it shows (a light's 0.9 came back 0.8999999), which edited the
/// scene just by selecting it.
fn color_edit_ui(ui: &mut Ui, color: &mut [f32; 3]) -> egui::Response {
    let mut shown = *color;
    let response = ui.color_edit_button_rgb(&mut shown);
    if response.changed() {
        *color = shown;
    }
    response
}

/// A drag value for a fraction from 0 to 1 (a strength, a roughness). Showing a file's
/// value outside that range does not edit it; dragging or typing keeps within it.
fn fraction_drag(value: &mut f32) -> egui::DragValue<'_> {
    egui::DragValue::new(value)
        .speed(0.01)
        .range(0.0..=1.0)
        .clamp_existing_to_range(false)
}

/// The shortest rail a [`fitted_slider`] gets; below it the slider is hard to aim at.
const MIN_SLIDER_WIDTH: f32 = 24.0;

/// Adds `slider` with its rail as long as the room left on its line ([`room`]) allows beside
/// its value field, at most the usual slider width. `widest` is the widest value the slider
/// shows (its suffix and any text after it included), so the rail keeps its length while a
/// drag changes the value.
pub(crate) fn fitted_slider(ui: &mut Ui, widest: &str, slider: egui::Slider<'_>) -> egui::Response {
    let usual = ui.spacing().slider_width;
    let value = drag_field_width(ui, widest) + ui.spacing().item_spacing.x;
    // In a row ([`row_ui`]) without room left for it, the slider starts the next line: a
    // slider is laid out as one widget, and a row wraps before a widget, not inside it.
    let row_start = ui.max_rect().left() + 0.5;
    if ui.layout().main_wrap()
        && ui.cursor().left() > row_start
        && room(ui) - value < MIN_SLIDER_WIDTH
    {
        ui.end_row();
    }
    ui.spacing_mut().slider_width =
        (room(ui) - value).clamp(MIN_SLIDER_WIDTH, usual.max(MIN_SLIDER_WIDTH));
    let response = ui.add(slider);
    ui.spacing_mut().slider_width = usual;
    response
}

/// Three drag values side by side, each planned `field` wide, or one under another in a
/// narrow inspector (`xyz_ui`); true when one changed.
fn vec3_edit_ui(
    ui: &mut Ui,
    v: &mut Vec3,
    speed: f64,
    decimals: usize,
    suffix: &str,
    field: f32,
) -> bool {
    let beside = 3.0 * field + 2.0 * ui.spacing().item_spacing.x;
    let mut changed = false;
    let mut values = [&mut v.x, &mut v.y, &mut v.z];
    xyz_ui(ui, beside, |ui, axis, stacked| {
        let mut drag = egui::DragValue::new(&mut *values[axis])
            .speed(speed)
            .max_decimals(decimals)
            .suffix(suffix);
        // One under another, a field fills the column (a wider value still shows whole).
        if stacked {
            drag = drag.min_size(egui::vec2(
                ui.available_width(),
                ui.spacing().interact_size.y,
            ));
        }
        changed |= ui
            .add(drag)
            .on_hover_text(format!("{}: drag, or click to type", AXES[axis].0))
            .changed();
    });
    changed
}

/// Editable translation, rotation (XYZ Euler degrees) and scale; the world position is shown.
fn transform_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: &Node,
    keying: Option<&Keying<'_>>,
    actions: &mut Vec<UiAction>,
) {
    let t = node.transform;
    let world_from_local = scene.world_from_local(node.id);
    let world_position = world_from_local.w_axis.truncate();
    // Drag speed follows the object's size so small and huge worlds both feel right.
    let size = scene.bounds_of(&[node.id]);
    let speed = if size.is_empty() {
        0.01
    } else {
        (size.size().max_element() as f64 * 0.005).clamp(0.001, 10.0)
    };
    // The three rows go one under another together: each field planned as wide as a
    // translation of tens of metres.
    let field = drag_field_width(ui, "-00.000 m");
    grid_ui(ui, "inspector_transform", |ui| {
        let mut new = t;
        keyed_label(
            ui,
            keying,
            &[Channel::Transform(node.id)],
            "Translation",
            actions,
        );
        let mut translation = t.translation;
        if vec3_edit_ui(ui, &mut translation, speed, 3, " m", field) {
            new.translation = translation;
        }
        ui.end_row();
        ui.label("Rotation (XYZ)");
        let before_deg = euler_xyz_deg(t.rotation);
        let mut deg = before_deg;
        if vec3_edit_ui(ui, &mut deg, 0.5, 1, "°", field) && deg != before_deg {
            let r = deg * (std::f32::consts::PI / 180.0);
            new.rotation = Quat::from_euler(EulerRot::XYZEx, r.x, r.y, r.z);
        }
        ui.end_row();
        ui.label("Scale");
        let mut scale = t.scale;
        if vec3_edit_ui(ui, &mut scale, 0.01, 3, "", field) {
            new.scale = scale;
        }
        ui.end_row();
        ui.label("World position");
        vec3_ui(ui, world_position, 3, " m");
        ui.end_row();
        if new != t {
            actions.push(edit_action(
                ui,
                Command::SetTransform {
                    node: node.id,
                    transform: new,
                },
            ));
        }
    });
}

fn mesh_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: NodeId,
    id: MeshId,
    mesh: &Mesh,
    actions: &mut Vec<UiAction>,
) {
    let size = size_of_bounds(mesh.bounds());
    let users = scene.users_of_mesh(id);
    grid_ui(ui, "inspector_mesh", |ui| {
        value_row_ui(ui, "Vertices", &thousands(mesh.vertex_count() as u64));
        value_row_ui(ui, "Triangles", &thousands(mesh.triangle_count() as u64));
        ui.label("Bounds size");
        vec3_ui(ui, size, 2, " m");
        ui.end_row();
        value_row_ui(ui, "Vertex colours", yes_no(!mesh.colors.is_empty()));
        value_row_ui(ui, "UVs", yes_no(!mesh.uvs.is_empty()));
        value_row_ui(ui, "Tangents", yes_no(!mesh.tangents.is_empty()));
        if users > 1 {
            value_row_ui(ui, "Used by", &format!("{users} objects"));
        }
        // A skinned mesh is posed by its joints: moving them (or a shot) moves it.
        if let Some(skin) = scene.skin(node) {
            value_row_ui(
                ui,
                "Skin",
                &format!("follows {} joints", thousands(skin.joints.len() as u64)),
            );
        }
    });
    // Posing and keying a character starts from its joints.
    if let Some(skin) = scene.skin(node) {
        row_ui(ui, |ui| {
            if ui
                .button("Select joints")
                .on_hover_text("Select the joints that move this mesh (then I keys them all)")
                .clicked()
            {
                actions.push(UiAction::Select(skin.joints.clone()));
            }
            let reset = crate::edit::ops::reset_pose(scene, node);
            if ui
                .add_enabled(reset.is_some(), egui::Button::new("Reset pose"))
                .on_hover_text("Put every joint back where the file bound the mesh (its rest pose)")
                .clicked()
                && let Some(command) = reset
            {
                actions.push(edit_action(ui, command));
            }
        });
    }
    if let Some(shape) = mesh.primitive {
        primitive_ui(ui, scene, id, shape, actions);
    }
    ui.menu_button("Mesh operations", |ui| {
        super::menu::mesh_items_ui(ui, actions)
    });
}

/// The parameters of a shape from Add ▸ (a drag is one undo step).
fn primitive_ui(
    ui: &mut Ui,
    scene: &Scene,
    mesh: MeshId,
    shape: Primitive,
    actions: &mut Vec<UiAction>,
) {
    use crate::generate::shapes::MAX_PRIMITIVE_SEGMENTS as MAX;
    let mut new = shape;
    let length = |ui: &mut Ui, label: &str, v: &mut f32| {
        ui.label(label);
        ui.add(
            egui::DragValue::new(v)
                .speed(0.01)
                .range(0.001..=1.0e6)
                .clamp_existing_to_range(false)
                .suffix(" m"),
        );
        ui.end_row();
    };
    let count = |ui: &mut Ui, label: &str, v: &mut u32, min: u32| {
        ui.label(label);
        ui.add(
            egui::DragValue::new(v)
                .speed(0.2)
                .range(min..=MAX)
                .clamp_existing_to_range(false),
        );
        ui.end_row();
    };
    ui.label(RichText::new(format!("{} parameters", shape.name())).strong());
    grid_ui(ui, "inspector_primitive", |ui| match &mut new {
        Primitive::Cube { size } => length(ui, "Size", size),
        Primitive::UvSphere {
            radius,
            segments,
            rings,
        } => {
            length(ui, "Radius", radius);
            count(ui, "Segments", segments, 3);
            count(ui, "Rings", rings, 2);
        }
        Primitive::Plane { size, subdivisions } => {
            length(ui, "Size", size);
            count(ui, "Subdivisions", subdivisions, 1);
        }
        Primitive::Cylinder {
            radius,
            height,
            segments,
        }
        | Primitive::Cone {
            radius,
            height,
            segments,
        } => {
            length(ui, "Radius", radius);
            length(ui, "Height", height);
            count(ui, "Segments", segments, 3);
        }
        Primitive::Torus {
            major_radius,
            minor_radius,
            major_segments,
            minor_segments,
        } => {
            length(ui, "Ring radius", major_radius);
            length(ui, "Tube radius", minor_radius);
            count(ui, "Ring segments", major_segments, 3);
            count(ui, "Tube segments", minor_segments, 3);
        }
    });
    if new != shape
        && let Some(command) = crate::edit::ops::set_primitive(scene, mesh, new)
    {
        actions.push(edit_action(ui, command));
    }
}

/// Editable material values (shared by every node that uses the material).
fn material_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: NodeId,
    id: MaterialId,
    m: &Material,
    keying: Option<&Keying<'_>>,
    actions: &mut Vec<UiAction>,
) {
    let users = scene
        .nodes()
        .filter(|n| matches!(n.kind, NodeKind::Mesh { material, .. } if material == id))
        .count();
    grid_ui(ui, "inspector_material", |ui| {
        let mut new = m.clone();
        value_row_ui(ui, "Name", &m.name);
        value_row_ui(ui, "Used by", &format!("{users} node(s)"));
        keyed_label(
            ui,
            keying,
            &[Channel::BaseColor(id)],
            "Base colour",
            actions,
        );
        let [r, g, b, a] = m.base_color;
        let mut rgba = egui::Rgba::from_rgba_unmultiplied(r, g, b, a);
        if egui::color_picker::color_edit_button_rgba(
            ui,
            &mut rgba,
            egui::color_picker::Alpha::OnlyBlend,
        )
        .changed()
        {
            let [r, g, b, a] = rgba.to_rgba_unmultiplied();
            new.base_color = [r, g, b, a];
        }
        ui.end_row();
        keyed_label(ui, keying, &[Channel::Metallic(id)], "Metallic", actions);
        fitted_slider(ui, "0.000", slider(&mut new.metallic, 0.0..=1.0));
        ui.end_row();
        keyed_label(ui, keying, &[Channel::Roughness(id)], "Roughness", actions);
        fitted_slider(ui, "0.000", slider(&mut new.roughness, 0.0..=1.0));
        ui.end_row();
        ui.label("IOR");
        ui.add(
            egui::DragValue::new(&mut new.ior)
                .speed(0.01)
                .range(1.0..=3.0)
                // Showing a file's out-of-range IOR must not edit it.
                .clamp_existing_to_range(false)
                .max_decimals(3),
        )
        .on_hover_text(
            "Index of refraction of the non-metal layer (KHR_materials_ior): 1.5 glass \
                 and most plastics (4 % reflection head-on), 1.33 water, 2.42 diamond",
        );
        ui.end_row();
        keyed_label(ui, keying, &[Channel::Specular(id)], "Specular", actions);
        row_ui(ui, |ui| {
            color_edit_ui(ui, &mut new.specular_color)
                .on_hover_text("Specular colour: tints the non-metal reflection");
            fitted_slider(ui, "0.000", slider(&mut new.specular, 0.0..=1.0)).on_hover_text(
                "Strength of the non-metal reflection (KHR_materials_specular): 1 as \
                         the IOR gives, 0 none (all diffuse); metals are not affected",
            );
        });
        ui.end_row();
        keyed_label(
            ui,
            keying,
            &[Channel::Transmission(id)],
            "Transmission",
            actions,
        );
        fitted_slider(ui, "0.000", slider(&mut new.transmission, 0.0..=1.0)).on_hover_text(
            "Share of light passing through instead of being diffused \
                     (KHR_materials_transmission): 1 for clear glass, tinted by the base \
                     colour, blurred by the roughness",
        );
        ui.end_row();
        if m.is_transmissive() || m.has_volume() {
            ui.label("Volume");
            row_ui(ui, |ui| {
                ui.add(
                    egui::DragValue::new(&mut new.thickness)
                        .speed(0.005)
                        .range(0.0..=1000.0)
                        .clamp_existing_to_range(false)
                        .max_decimals(3)
                        .prefix("thick "),
                )
                .on_hover_text(
                    "Thickness of the solid under the surface, in the mesh's units \
                         (KHR_materials_volume): 0 thin-walled (light passes straight \
                         through); above 0 light refracts by the IOR and is absorbed",
                );
                color_edit_ui(ui, &mut new.attenuation_color).on_hover_text(
                    "Attenuation colour: what white light turns into after the \
                             attenuation distance inside the solid",
                );
                let mut distance = m.attenuation_distance.unwrap_or(0.0);
                if ui
                    .add(
                        egui::DragValue::new(&mut distance)
                            .speed(0.01)
                            .range(0.0..=10_000.0)
                            .clamp_existing_to_range(false)
                            .custom_formatter(|v, _| {
                                if v > 0.0 {
                                    format!("{v:.3} m")
                                } else {
                                    "no absorption".to_owned()
                                }
                            }),
                    )
                    .on_hover_text(
                        "Attenuation distance in metres: how far light travels in the \
                             solid before it has turned the attenuation colour (0: none)",
                    )
                    .changed()
                {
                    new.attenuation_distance = (distance > 0.0).then_some(distance);
                }
                ui.add(
                    egui::DragValue::new(&mut new.dispersion)
                        .speed(0.01)
                        .range(0.0..=10.0)
                        .clamp_existing_to_range(false)
                        .max_decimals(3)
                        .prefix("disp "),
                )
                .on_hover_text(
                    "Dispersion (KHR_materials_dispersion, 20 / Abbe number): colour \
                         fringes through a thick solid; 0 none, 0.36 diamond, 0.7 flint glass",
                );
            });
            ui.end_row();
        }
        keyed_label(ui, keying, &[Channel::Clearcoat(id)], "Clearcoat", actions);
        row_ui(ui, |ui| {
            fitted_slider(ui, "0.000", slider(&mut new.clearcoat, 0.0..=1.0)).on_hover_text(
                "Strength of a clear lacquer over the material \
                         (KHR_materials_clearcoat): car paint, varnish",
            );
            ui.add(fraction_drag(&mut new.clearcoat_roughness).prefix("rough "))
                .on_hover_text("The lacquer's roughness");
        });
        ui.end_row();
        keyed_label(
            ui,
            keying,
            &[Channel::SheenColor(id), Channel::SheenRoughness(id)],
            "Sheen",
            actions,
        );
        row_ui(ui, |ui| {
            color_edit_ui(ui, &mut new.sheen_color).on_hover_text(
                "Sheen colour (KHR_materials_sheen): light scattered back by fibres \
                         standing off the surface, brightest at grazing angles; black for none. \
                         Velvet, felt, dusty surfaces",
            );
            ui.add(fraction_drag(&mut new.sheen_roughness).prefix("rough "))
                .on_hover_text(
                    "Sheen roughness: low gives a narrow rim at the silhouette, high a soft \
                     glow over the whole surface",
                );
        });
        ui.end_row();
        keyed_label(
            ui,
            keying,
            &[Channel::Anisotropy(id)],
            "Anisotropy",
            actions,
        );
        row_ui(ui, |ui| {
            ui.add(fraction_drag(&mut new.anisotropy_strength))
                .on_hover_text(
                    "Anisotropy strength (KHR_materials_anisotropy): stretches the highlight \
                     along one direction of the surface; 0 for a round one. Brushed metal, \
                     hair, satin",
                );
            // Assigned only when edited: showing the angle must not round-trip it.
            let mut degrees = m.anisotropy_rotation.to_degrees();
            if ui
                .add(
                    egui::DragValue::new(&mut degrees)
                        .speed(1.0)
                        .max_decimals(1)
                        .prefix("rot ")
                        .suffix("°"),
                )
                .on_hover_text(
                    "The stretch's direction: degrees counter-clockwise from the texture's \
                         u axis (the tangent) towards its v axis",
                )
                .changed()
            {
                new.anisotropy_rotation = degrees.to_radians();
            }
        });
        ui.end_row();
        keyed_label(
            ui,
            keying,
            &[Channel::Iridescence(id), Channel::IridescenceThickness(id)],
            "Iridescence",
            actions,
        );
        row_ui(ui, |ui| {
            ui.add(fraction_drag(&mut new.iridescence)).on_hover_text(
                "Iridescence (KHR_materials_iridescence): a thin film over the surface \
                     whose colours shift with the viewing angle; 0 for none. Soap bubbles, \
                     oil slicks, beetle shells, coated lenses",
            );
            ui.add(
                egui::DragValue::new(&mut new.iridescence_ior)
                    .speed(0.01)
                    .range(1.0..=3.0)
                    .clamp_existing_to_range(false)
                    .max_decimals(3)
                    .prefix("film IOR "),
            )
            .on_hover_text("The film's index of refraction (1.3 by default)");
            ui.add(
                egui::DragValue::new(&mut new.iridescence_thickness[1])
                    .speed(1.0)
                    .range(0.0..=2000.0)
                    .clamp_existing_to_range(false)
                    .max_decimals(0)
                    .suffix(" nm"),
            )
            .on_hover_text(
                "The film's thickness (with a thickness texture: where it is white; \
                     where it is black the film is as thin as its minimum, below). Thicker \
                     films cycle through more colours",
            );
            if new.iridescence_thickness_texture.is_some() {
                ui.add(
                    egui::DragValue::new(&mut new.iridescence_thickness[0])
                        .speed(1.0)
                        .range(0.0..=2000.0)
                        .clamp_existing_to_range(false)
                        .max_decimals(0)
                        .prefix("min ")
                        .suffix(" nm"),
                )
                .on_hover_text("The film's thickness where the thickness texture is black");
            }
        });
        ui.end_row();
        keyed_label(
            ui,
            keying,
            &[Channel::DiffuseTransmission(id)],
            "Translucency",
            actions,
        );
        row_ui(ui, |ui| {
            ui.add(fraction_drag(&mut new.diffuse_transmission))
                .on_hover_text(
                    "Diffuse transmission (KHR_materials_diffuse_transmission): how much \
                     light passes diffusely through to the other side; 0 for none. Leaves, \
                     paper, lamp shades, curtains lit from behind",
                );
            color_edit_ui(ui, &mut new.diffuse_transmission_color)
                .on_hover_text("The colour the light takes on its way through");
        });
        ui.end_row();
        value_row_ui(
            ui,
            "Shading",
            if m.unlit {
                "as captured (unlit)"
            } else {
                "lit (PBR)"
            },
        );
        keyed_label(ui, keying, &[Channel::Emissive(id)], "Emissive", actions);
        row_ui(ui, |ui| {
            color_edit_ui(ui, &mut new.emissive);
            if let Some(k) = keying {
                key_button_ui(ui, k, &[Channel::EmissiveStrength(id)], actions);
            }
            ui.add(
                egui::DragValue::new(&mut new.emissive_strength)
                    .speed(0.05)
                    .range(0.0..=1000.0)
                    .clamp_existing_to_range(false)
                    .prefix("× "),
            )
            .on_hover_text("Emissive strength (KHR_materials_emissive_strength)");
        });
        ui.end_row();
        ui.label("Alpha");
        let mut mode = match new.alpha_mode {
            AlphaMode::Opaque => 0,
            AlphaMode::Mask { .. } => 1,
            AlphaMode::Blend => 2,
        };
        let before = mode;
        egui::ComboBox::from_id_salt("alpha_mode")
            .selected_text(["Opaque", "Mask", "Blend"][mode])
            .show_ui(ui, |ui| {
                for (i, label) in ["Opaque", "Mask", "Blend"].into_iter().enumerate() {
                    ui.selectable_value(&mut mode, i, label);
                }
            });
        if mode != before {
            new.alpha_mode = match mode {
                0 => AlphaMode::Opaque,
                1 => AlphaMode::Mask { cutoff: 0.5 },
                _ => AlphaMode::Blend,
            };
        }
        ui.end_row();
        // A row of its own: beside the mode it left a narrow panel no room for its rail.
        if let AlphaMode::Mask { cutoff } = &mut new.alpha_mode {
            ui.label("Alpha cutoff");
            fitted_slider(ui, "0.000", slider(cutoff, 0.0..=1.0)).on_hover_text(
                "Texels less opaque than this are not drawn, the rest are drawn opaque",
            );
            ui.end_row();
        }
        ui.label("Double-sided");
        ui.checkbox(&mut new.double_sided, "");
        ui.end_row();
        if m.normal_texture.is_some() {
            ui.label("Normal strength");
            fitted_slider(ui, "0.000", slider(&mut new.normal_scale, 0.0..=2.0));
            ui.end_row();
        }
        if m.clearcoat_normal_texture.is_some() {
            ui.label("Clearcoat normal strength");
            fitted_slider(
                ui,
                "0.000",
                slider(&mut new.clearcoat_normal_scale, 0.0..=2.0),
            );
            ui.end_row();
        }
        if m.occlusion_texture.is_some() {
            ui.label("Occlusion strength");
            fitted_slider(ui, "0.000", slider(&mut new.occlusion_strength, 0.0..=1.0));
            ui.end_row();
        }
        if new != *m {
            actions.push(edit_action(
                ui,
                Command::SetMaterial {
                    material: id,
                    value: Box::new(new),
                },
            ));
        }
    });
    textures_ui(ui, scene, id, m, actions);
    material_assignment_ui(ui, scene, node, id, users, actions);
}

/// The five texture slots: a thumbnail, the image and its sampler, Assign… and Clear.
fn textures_ui(
    ui: &mut Ui,
    scene: &Scene,
    id: MaterialId,
    m: &Material,
    actions: &mut Vec<UiAction>,
) {
    ui.label(RichText::new("Textures").strong());
    for (slot, tex) in crate::scene::TextureSlot::ALL
        .into_iter()
        .zip(m.texture_slots())
    {
        let image = tex.and_then(|t| scene.image(t.image));
        row_ui(ui, |ui| {
            match image {
                Some(image) => thumbnail_ui(ui, image),
                None => {
                    let (rect, _) = ui.allocate_exact_size(
                        vec2(THUMBNAIL_PX, THUMBNAIL_PX),
                        egui::Sense::hover(),
                    );
                    ui.painter().rect_stroke(
                        rect,
                        2.0,
                        ui.visuals().widgets.noninteractive.bg_stroke,
                        egui::StrokeKind::Inside,
                    );
                }
            }
            ui.vertical(|ui| {
                row_ui(ui, |ui| {
                    ui.label(slot.label());
                    if ui
                        .small_button("Assign…")
                        .on_hover_text("Load a PNG, JPEG or WebP image into this slot")
                        .clicked()
                    {
                        actions.push(UiAction::ShowFileDialog {
                            purpose: super::BrowsePurpose::Texture { material: id, slot },
                            folder: false,
                        });
                    }
                    if tex.is_some()
                        && ui.small_button("Clear").clicked()
                        && let Some(c) = crate::edit::ops::clear_texture(scene, id, slot)
                    {
                        actions.push(UiAction::Edit(c));
                    }
                });
                match (tex, image) {
                    (Some(t), Some(i)) => {
                        // A long file name ends in "…" (whole on hover, with its sampling).
                        let text = format!("{} ({}×{})", i.name, i.width, i.height);
                        let hover = format!("{text}\nUV {}, {}", t.uv_set, t.sampler);
                        ui.add(egui::Label::new(RichText::new(text).weak()).truncate())
                            .on_hover_text(hover);
                        if let Some(transform) = uv_transform_text(&t) {
                            ui.weak(transform);
                        }
                    }
                    (Some(_), None) => {
                        ui.weak("missing image");
                    }
                    _ => {
                        ui.weak("none");
                    }
                }
            });
        });
    }
}

/// Side of a texture thumbnail in the inspector, in points.
const THUMBNAIL_PX: f32 = 40.0;

/// A small preview of `image`, made once per image content and kept in egui's memory.
fn thumbnail_ui(ui: &mut Ui, image: &crate::scene::Image) {
    let key = egui::Id::unique(("texture_thumbnail", image.content_id()));
    let handle: Option<egui::TextureHandle> = ui.data(|d| d.get_temp(key));
    let handle = handle.unwrap_or_else(|| {
        let side = 64;
        let preview = image::RgbaImage::from_raw(image.width, image.height, image.rgba8.clone())
            .map(|full| image::imageops::thumbnail(&full, side, side))
            .unwrap_or_else(|| image::RgbaImage::new(1, 1));
        let colour = egui::ColorImage::from_rgba_unmultiplied(
            [preview.width() as usize, preview.height() as usize],
            preview.as_raw(),
        );
        let handle = ui.ctx().load_texture(
            format!("thumbnail {}", image.name),
            colour,
            egui::TextureOptions::LINEAR,
        );
        ui.data_mut(|d| d.insert_temp(key, handle.clone()));
        handle
    });
    ui.add(egui::Image::new(&handle).fit_to_exact_size(vec2(THUMBNAIL_PX, THUMBNAIL_PX)))
        .on_hover_text(format!("{} ({}×{})", image.name, image.width, image.height));
}

/// Which material the node uses: pick another (for every selected mesh), or make its
/// shared material its own.
fn material_assignment_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: NodeId,
    current: MaterialId,
    users: usize,
    actions: &mut Vec<UiAction>,
) {
    row_ui(ui, |ui| {
        let name = scene.material(current).map_or("?", |m| m.name.as_str());
        // As wide as the panel allows, a long name ending in "…".
        egui::ComboBox::from_id_salt("assign_material")
            .selected_text(format!("Material: {name}"))
            .width(room(ui).min(180.0))
            .truncate()
            .show_ui(ui, |ui| {
                let mut materials: Vec<(MaterialId, &Material)> = scene.materials().collect();
                materials.sort_by_key(|(_, m)| m.name.to_lowercase());
                for (id, m) in materials {
                    let count = scene.users_of_material(id).len();
                    if ui
                        .selectable_label(id == current, format!("{}  ({count})", m.name))
                        .clicked()
                        && id != current
                    {
                        actions.push(UiAction::AssignMaterial(id));
                    }
                }
            })
            .response
            .on_hover_text("Use another material on every selected mesh");
        if ui
            .add_enabled(users > 1, egui::Button::new("Make unique"))
            .on_hover_text("Give this object its own copy of the shared material")
            .on_disabled_hover_text("Only this object uses the material")
            .clicked()
        {
            actions.push(UiAction::MakeMaterialUnique(node));
        }
    });
}

/// A slot's KHR_texture_transform as one line, or `None` when it is the identity.
pub(crate) fn uv_transform_text(t: &TextureRef) -> Option<String> {
    let u = t.transform;
    (!u.is_identity()).then(|| {
        format!(
            "  offset {:.3} {:.3}, rotation {:.1}°, scale {:.3} {:.3}",
            u.offset[0],
            u.offset[1],
            u.rotation.to_degrees(),
            u.scale[0],
            u.scale[1]
        )
    })
}

/// The weights of a mesh's morph targets (glTF morph targets, Blender's shape keys): one
/// slider, Key button, up/down arrows and mute checkbox per target, the target's range (0–1
/// unless set in its name's menu) on the slider, any value typed in.
fn morph_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: NodeId,
    morph: &crate::scene::morph::Morph,
    keying: Option<&Keying<'_>>,
    actions: &mut Vec<UiAction>,
) {
    let mut weights = morph.weights.clone();
    grid_ui(ui, "inspector_morph", |ui| {
        // One Key button for every weight (a pose of the face), as an animator keys.
        let all: Vec<Channel> = (0..morph.weights.len())
            .map_while(|k| u16::try_from(k).ok())
            .map(|k| Channel::MorphWeight(node, k))
            .collect();
        if all.len() > 1 && keying.is_some_and(|k| k.shot.is_some()) {
            keyed_label(ui, keying, &all, "All shapes", actions);
            ui.weak("key every weight at once");
            ui.end_row();
        }
        for (k, (weight, name)) in weights.iter_mut().zip(morph.names.iter()).enumerate() {
            let Ok(index) = u16::try_from(k) else {
                break;
            };
            ui.horizontal(|ui| {
                if let Some(keying) = keying {
                    key_button_ui(ui, keying, &[Channel::MorphWeight(node, index)], actions);
                }
                // In a column of their own, whatever the names' widths.
                shape_arrows_ui(ui, scene, node, index, name, actions);
                let mut on = !morph.is_muted(k);
                if ui
                    .checkbox(&mut on, "")
                    .on_hover_text(
                        "Unchecked, the shape key is muted: it keeps its weight and keys \
                             but shapes nothing (and exports at weight 0)",
                    )
                    .changed()
                {
                    actions.push(UiAction::Edit(Command::MuteShape {
                        node,
                        index,
                        muted: !on,
                    }));
                }
                shape_name_ui(ui, scene, node, index, name, actions);
            });
            let [min, max] = morph.range(k);
            fitted_slider(
                ui,
                "-1.000",
                egui::Slider::new(weight, min..=max)
                    .clamping(egui::SliderClamping::Never)
                    .max_decimals(3),
            );
            ui.end_row();
        }
    });
    if ui
        .add_enabled(
            morph.weights.iter().any(|w| *w != 0.0),
            egui::Button::new("Clear weights"),
        )
        .on_hover_text("Set every weight to 0: the mesh as modelled")
        .clicked()
    {
        weights.iter_mut().for_each(|w| *w = 0.0);
    }
    if ui
        .add_enabled(
            morph.weights_in_effect().iter().any(|w| *w != 0.0),
            egui::Button::new("New shape from mix"),
        )
        .on_hover_text("Add a shape key that shapes the mesh as all the weights do now")
        .clicked()
        && let Ok(command) = crate::edit::ops::shape_from_mix(scene, node)
    {
        actions.push(UiAction::Edit(command));
    }
    if weights != morph.weights {
        actions.push(edit_action(ui, Command::SetMorphWeights { node, weights }));
    }
}

const SHAPE_MOVE_HINT: &str = "Trade places with the neighbouring shape key (its weight, mute, \
     range and tracks go with it); exported files keep this order";

/// Which ways shape key `index` of `node` can move: [(up, whether it can), (down, …)].
fn shape_moves(scene: &Scene, node: NodeId, index: u16) -> [(bool, bool); 2] {
    let count = scene.morph(node).map_or(0, |m| m.targets.len());
    [(true, index > 0), (false, usize::from(index) + 1 < count)]
}

fn move_shape(scene: &Scene, node: NodeId, index: u16, up: bool, actions: &mut Vec<UiAction>) {
    if let Ok(command) = crate::edit::ops::move_shape(scene, node, usize::from(index), up) {
        actions.push(UiAction::Edit(command));
    }
}

/// The arrows beside a shape key's name (Blender's list arrows, the name's menu's Move up /
/// Move down): the order glTF export writes. Screen readers hear "Move NAME up".
fn shape_arrows_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: NodeId,
    index: u16,
    name: &str,
    actions: &mut Vec<UiAction>,
) {
    for (up, enabled) in shape_moves(scene, node, index) {
        let way = if up { "up" } else { "down" };
        // Drawn rather than a glyph: egui's default fonts have no up-pointing triangle.
        let sense = if enabled {
            egui::Sense::click()
        } else {
            egui::Sense::hover()
        };
        let size = egui::vec2(ui.spacing().icon_width, ui.spacing().interact_size.y);
        let (rect, response) = ui.allocate_exact_size(size, sense);
        let response = response.on_hover_text(SHAPE_MOVE_HINT);
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Button, enabled, format!("Move {name} {way}"))
        });
        if ui.is_rect_visible(rect) {
            let color = if enabled {
                ui.style().interact(&response).fg_stroke.color
            } else {
                ui.visuals()
                    .widgets
                    .noninteractive
                    .fg_stroke
                    .color
                    .gamma_multiply(0.4)
            };
            let c = rect.center();
            let r = 0.3 * rect.width().min(rect.height());
            let tip = if up { -r } else { r };
            let points = vec![
                egui::pos2(c.x, c.y + tip),
                egui::pos2(c.x + r, c.y - 0.6 * tip),
                egui::pos2(c.x - r, c.y - 0.6 * tip),
            ];
            ui.painter().add(egui::Shape::convex_polygon(
                points,
                color,
                egui::Stroke::NONE,
            ));
        }
        if response.clicked() {
            move_shape(scene, node, index, up, actions);
        }
    }
}

/// A shape key's name; double-click (or F2 while hovered) renames it in place: Enter or a
/// click elsewhere commits, Esc cancels. Its context menu renames, sets the range of, moves
/// up or down, or deletes the shape key.
fn shape_name_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: NodeId,
    index: u16,
    name: &str,
    actions: &mut Vec<UiAction>,
) {
    let state_id = egui::Id::unique(("worldsmith_rename_shape", node, index));
    let editing: Option<(String, bool)> = ui.data(|d| d.get_temp(state_id));
    let Some((mut text, focused)) = editing else {
        let label = ui
            .add(
                egui::Label::new(shape_name_text(scene, node, index, name))
                    .sense(egui::Sense::click()),
            )
            .on_hover_text(
                "Double-click to rename; right-click to rename, set its range, move or delete",
            );
        let f2 = label.hovered() && ui.input(|i| i.key_pressed(egui::Key::F2));
        let mut rename = label.double_clicked() || f2;
        // Clicks inside leave it open (the range's values are typed into); its buttons
        // close it.
        egui::Popup::context_menu(&label)
            .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
            .show(|ui| {
                if ui.button("Rename").clicked() {
                    rename = true;
                    ui.close();
                }
                shape_range_ui(ui, scene, node, index, actions);
                ui.separator();
                for (up, enabled) in shape_moves(scene, node, index) {
                    let label = if up { "Move up" } else { "Move down" };
                    if ui
                        .add_enabled(enabled, egui::Button::new(label))
                        .on_hover_text(SHAPE_MOVE_HINT)
                        .clicked()
                    {
                        move_shape(scene, node, index, up, actions);
                        ui.close();
                    }
                }
                ui.separator();
                if ui
                    .button("Delete shape key")
                    .on_hover_text("Remove this target and its weight tracks (undo brings it back)")
                    .clicked()
                {
                    // It cannot fail for a shape key shown here.
                    if let Ok(command) =
                        crate::edit::ops::delete_shape(scene, node, usize::from(index))
                    {
                        actions.push(UiAction::Edit(command));
                    }
                    ui.close();
                }
            });
        if rename {
            ui.data_mut(|d| d.insert_temp(state_id, (name.to_owned(), false)));
        }
        return;
    };
    let edit_id = state_id.with("edit");
    let edit = ui.add(
        egui::TextEdit::singleline(&mut text)
            .id(edit_id)
            .hint_text("Shape name")
            .desired_width(120.0),
    );
    super::outliner::name_for_accessibility(ui.ctx(), edit_id, "Shape name");
    if !focused {
        edit.request_focus();
        super::outliner::select_all(ui.ctx(), edit_id, &text);
        ui.data_mut(|d| d.insert_temp(state_id, (text, true)));
        return;
    }
    if edit.lost_focus() {
        let cancelled = ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape));
        ui.data_mut(|d| d.remove::<(String, bool)>(state_id));
        if !cancelled {
            actions.push(UiAction::Edit(Command::RenameShape {
                node,
                index,
                name: text,
            }));
        }
    } else {
        ui.data_mut(|d| d.insert_temp(state_id, (text, true)));
    }
}

/// A shape key's name as its row shows it: greyed and struck through while muted.
fn shape_name_text(scene: &Scene, node: NodeId, index: u16, name: &str) -> egui::RichText {
    let text = egui::RichText::new(name);
    if scene
        .morph(node)
        .is_some_and(|m| m.is_muted(usize::from(index)))
    {
        text.weak().strikethrough()
    } else {
        text
    }
}

/// A shape key's slider range (Blender's Range Min / Max), in its name's context menu:
/// each end dragged or typed, min kept below max, within ±10.
fn shape_range_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: NodeId,
    index: u16,
    actions: &mut Vec<UiAction>,
) {
    use crate::scene::morph::MAX_RANGE;
    let Some(range) = scene.morph(node).map(|m| m.range(usize::from(index))) else {
        return;
    };
    let [mut min, mut max] = range;
    row_ui(ui, |ui| {
        ui.label("Range min");
        ui.add(
            egui::DragValue::new(&mut min)
                .speed(0.01)
                .range(-MAX_RANGE..=max - 0.001)
                .max_decimals(3),
        )
        .on_hover_text("The slider's lowest weight (a typed weight may go below)");
    });
    row_ui(ui, |ui| {
        ui.label("Range max");
        ui.add(
            egui::DragValue::new(&mut max)
                .speed(0.01)
                .range(min + 0.001..=MAX_RANGE)
                .max_decimals(3),
        )
        .on_hover_text("The slider's highest weight (a typed weight may go above)");
    });
    if [min, max] != range && crate::scene::morph::valid_range([min, max]) {
        actions.push(edit_action(
            ui,
            Command::SetShapeRange {
                node,
                index,
                range: [min, max],
            },
        ));
    }
}

/// Editable light values in physical units (lux for the sun, candela for point and spot).
fn light_ui(
    ui: &mut Ui,
    node: NodeId,
    light: &Light,
    keying: Option<&Keying<'_>>,
    actions: &mut Vec<UiAction>,
) {
    grid_ui(ui, "inspector_light", |ui| {
        let mut new = *light;
        let kind = match light.kind {
            LightKind::Directional => "Directional (sun)",
            LightKind::Point => "Point",
            LightKind::Spot { .. } => "Spot",
        };
        value_row_ui(ui, "Type", kind);
        keyed_label(ui, keying, &[Channel::LightColor(node)], "Colour", actions);
        color_edit_ui(ui, &mut new.color);
        ui.end_row();
        // The temperature is how the user last picked the colour (kept per light while
        // the editor runs); the colour itself is what the light stores.
        let id = egui::Id::unique(("light_kelvin", node));
        let mut kelvin: f32 = ui.data(|d| d.get_temp(id)).unwrap_or(6500.0);
        ui.label("Temperature");
        if fitted_slider(ui, "12000 K", slider(&mut kelvin, 1000.0..=12_000.0)
                        .suffix(" K")
                        .max_decimals(0),
                )
                .on_hover_text("Set the colour from a black-body temperature: candle 1900 K, bulb 2700 K, noon sun 5500 K, overcast 6500 K")
                .changed()
            {
                new.color = crate::scene::sun::color_temperature(kelvin);
                ui.data_mut(|d| d.insert_temp(id, kelvin));
            }
        ui.end_row();
        keyed_label(
            ui,
            keying,
            &[Channel::LightIntensity(node)],
            "Intensity",
            actions,
        );
        let max = match light.kind {
            LightKind::Directional => 150_000.0,
            _ => 1.0e6,
        };
        // Thousands and millions as "k" and "M" ("150k lux", "1M cd"; typing them works
        // too): the value field stays narrow enough for a narrow panel.
        fitted_slider(
            ui,
            &format!("99.9k {}", light.unit()),
            slider(&mut new.intensity, 0.0..=max)
                .logarithmic(true)
                .custom_formatter(|v, _| compact_number(v))
                .custom_parser(parse_compact_number)
                .suffix(format!(" {}", light.unit())),
        );
        ui.end_row();
        if !matches!(light.kind, LightKind::Directional) {
            ui.label("Range");
            row_ui(ui, |ui| {
                let mut limited = new.range.is_some();
                ui.checkbox(&mut limited, "")
                    .on_hover_text("Limit the light's reach (KHR_lights_punctual range)");
                match (limited, new.range) {
                    (true, None) => new.range = Some(20.0),
                    (false, Some(_)) => new.range = None,
                    _ => {}
                }
                if let Some(range) = &mut new.range {
                    ui.add(
                        egui::DragValue::new(range)
                            .speed(0.1)
                            .range(0.01..=100_000.0)
                            .clamp_existing_to_range(false)
                            .suffix(" m"),
                    );
                } else {
                    ui.weak("∞ (no limit)");
                }
            });
            ui.end_row();
        }
        if let LightKind::Spot {
            inner_cone_rad,
            outer_cone_rad,
        } = &mut new.kind
        {
            let mut inner = inner_cone_rad.to_degrees();
            let mut outer = outer_cone_rad.to_degrees();
            keyed_label(
                ui,
                keying,
                &[Channel::SpotCone(node)],
                "Outer cone",
                actions,
            );
            let outer_changed =
                fitted_slider(ui, "90.0°", slider(&mut outer, 0.1..=90.0).suffix("°")).changed();
            ui.end_row();
            ui.label("Inner cone");
            let inner_changed =
                fitted_slider(ui, "90.0°", slider(&mut inner, 0.0..=outer).suffix("°")).changed();
            ui.end_row();
            if outer_changed || inner_changed {
                *outer_cone_rad = outer.to_radians();
                *inner_cone_rad = inner.min(outer - 0.01).max(0.0).to_radians();
            }
        }
        // Only the sun casts shadows in this renderer: no checkbox that would do nothing.
        if matches!(light.kind, LightKind::Directional) {
            ui.label("Cast shadows");
            ui.checkbox(&mut new.cast_shadows, "");
            ui.end_row();
        }
        if new != *light {
            actions.push(edit_action(ui, Command::SetLight { node, light: new }));
        }
    });
}

/// Where the sun stands: azimuth and elevation, or the position for a time of day, date and
/// latitude. Both turn the sun node (its -Z axis points away from the sun).
fn sun_position_ui(ui: &mut Ui, scene: &Scene, node: &Node, actions: &mut Vec<UiAction>) {
    use crate::scene::sun;
    let world_from_local = scene.world_from_local(node.id);
    let to_sun = -world_from_local.transform_vector3(Vec3::NEG_Z);
    let (azimuth, elevation) = sun::azimuth_elevation_of(to_sun);
    let (mut az, mut el) = (azimuth, elevation);
    let mut target = None;
    grid_ui(ui, "inspector_sun", |ui| {
        ui.label("Azimuth");
        let a = ui
            .add(
                egui::DragValue::new(&mut az)
                    .speed(0.5)
                    .range(0.0..=360.0)
                    .max_decimals(1)
                    .suffix("°"),
            )
            .on_hover_text("Compass direction of the sun: 0° north (−Z), 90° east (+X)");
        ui.end_row();
        ui.label("Elevation");
        let e = ui
            .add(
                egui::DragValue::new(&mut el)
                    .speed(0.25)
                    .range(-90.0..=90.0)
                    .max_decimals(1)
                    .suffix("°"),
            )
            .on_hover_text("Height of the sun above the horizon");
        ui.end_row();
        if (a.changed() || e.changed()) && (az, el) != (azimuth, elevation) {
            target = Some(sun::direction_from_azimuth_elevation(az, el));
        }
    });
    egui::CollapsingHeader::new("Sun from time of day")
        .default_open(false)
        .show(ui, |ui| {
            let id = egui::Id::unique(("sun_time", node.id));
            let (mut hour, mut day, mut latitude): (f32, u32, f32) =
                ui.data(|d| d.get_temp(id)).unwrap_or((15.0, 172, 45.0));
            let mut changed = false;
            grid_ui(ui, "inspector_sun_time", |ui| {
                ui.label("Time");
                changed |= fitted_slider(
                    ui,
                    "00:00",
                    slider(&mut hour, 0.0..=24.0).custom_formatter(|h, _| {
                        let minutes = (h * 60.0).round() as i64;
                        format!("{:02}:{:02}", minutes / 60, minutes % 60)
                    }),
                )
                .on_hover_text("Local solar time (12:00 = the sun is due south or north)")
                .changed();
                ui.end_row();
                ui.label("Day of year");
                changed |= fitted_slider(ui, "365", slider(&mut day, 1..=365)).changed();
                ui.end_row();
                ui.label("Latitude");
                changed |= fitted_slider(
                    ui,
                    "-90.0°",
                    slider(&mut latitude, -90.0..=90.0).suffix("°"),
                )
                .changed();
                ui.end_row();
            });
            if changed {
                ui.data_mut(|d| d.insert_temp(id, (hour, day, latitude)));
                target = Some(sun::sun_direction_at(latitude, day, hour));
            }
        });
    if let Some(to_sun) = target {
        // The new world rotation, expressed under the node's parent.
        let world_rotation = Transform::pointing(-to_sun).rotation;
        let parent_rotation = node
            .parent
            .map(|p| scene.world_from_local(p).to_scale_rotation_translation().1)
            .unwrap_or(Quat::IDENTITY);
        let mut transform = node.transform;
        transform.rotation = (parent_rotation.inverse() * world_rotation).normalize();
        actions.push(edit_action(
            ui,
            Command::SetTransform {
                node: node.id,
                transform,
            },
        ));
    }
}

/// The camera's values; the field of view is editable (one undo step per drag: the value
/// is set when the drag ends).
fn camera_ui(
    ui: &mut Ui,
    node: NodeId,
    camera: &Camera,
    keying: Option<&Keying<'_>>,
    actions: &mut Vec<UiAction>,
) {
    grid_ui(ui, "inspector_camera", |ui| {
        let set = |actions: &mut Vec<UiAction>, changed: Camera| {
            if changed != *camera {
                actions.push(UiAction::Edit(Command::SetKind {
                    node,
                    kind: Box::new(NodeKind::Camera(changed)),
                }));
            }
        };
        ui.label("Projection");
        let ortho = camera.ortho_half_height;
        egui::ComboBox::from_id_salt("camera_projection")
            .selected_text(if ortho.is_some() {
                "Orthographic"
            } else {
                "Perspective"
            })
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(ortho.is_none(), "Perspective")
                    .clicked()
                {
                    set(
                        actions,
                        Camera {
                            ortho_half_height: None,
                            ..*camera
                        },
                    );
                }
                if ui
                    .selectable_label(ortho.is_some(), "Orthographic")
                    .on_hover_text(
                        "Parallel view, no perspective: its height in metres sets its \
                             scale (first: what the field of view shows 10 m ahead)",
                    )
                    .clicked()
                    && ortho.is_none()
                {
                    set(
                        actions,
                        Camera {
                            ortho_half_height: Some(10.0 * (camera.fov_y_rad * 0.5).tan()),
                            ..*camera
                        },
                    );
                }
            });
        ui.end_row();
        if let Some(half_height) = ortho {
            // Keyed as the size glTF animates: half the height (`ymag`).
            keyed_label(ui, keying, &[Channel::OrthoSize(node)], "Height", actions);
            // Live while dragging: the drag's frames fold into one undo step.
            let mut height = half_height * 2.0;
            let response = ui.add(
                egui::DragValue::new(&mut height)
                    .range(0.001..=1.0e6)
                    .clamp_existing_to_range(false)
                    .speed(half_height * 0.01)
                    .max_decimals(3)
                    .suffix(" m"),
            );
            if response.changed() && height.is_finite() && height > 0.0 {
                set(
                    actions,
                    Camera {
                        ortho_half_height: Some(height * 0.5),
                        ..*camera
                    },
                );
            }
            ui.end_row();
            value_row_ui(ui, "Near", &format!("{:.3} m", camera.near));
            let far = camera
                .far
                .unwrap_or(camera.near + crate::scene::DEFAULT_ORTHO_DEPTH);
            value_row_ui(ui, "Far", &format!("{far:.1} m"));
            return;
        }
        keyed_label(
            ui,
            keying,
            &[Channel::FieldOfView(node)],
            "Vertical FOV",
            actions,
        );
        // Live while dragging: the drag's frames fold into one undo step.
        let mut deg = camera.fov_y_rad.to_degrees();
        let response = ui.add(
            egui::DragValue::new(&mut deg)
                .range(1.0..=170.0)
                .clamp_existing_to_range(false)
                .speed(0.2)
                .max_decimals(1)
                .suffix("°"),
        );
        if response.changed() {
            set(
                actions,
                Camera {
                    fov_y_rad: deg.to_radians(),
                    ..*camera
                },
            );
        }
        ui.end_row();
        value_row_ui(ui, "Near", &format!("{:.3} m", camera.near));
        let far = camera
            .far
            .map_or_else(|| "∞ (infinite)".to_owned(), |f| format!("{f:.1} m"));
        value_row_ui(ui, "Far", &far);
    });
}

fn scene_summary_ui(
    ui: &mut Ui,
    scene: &Scene,
    variant: Option<&Variant>,
    keying: Option<&Keying<'_>>,
    actions: &mut Vec<UiAction>,
) {
    heading_ui(ui, &scene.name);
    ui.weak("Nothing selected: scene summary.");
    ui.add_space(4.0);
    let (mut lights, mut cameras) = (0usize, 0usize);
    for node in scene.nodes() {
        match node.kind {
            NodeKind::Light(_) => lights += 1,
            NodeKind::Camera(_) => cameras += 1,
            _ => {}
        }
    }
    grid_ui(ui, "inspector_scene", |ui| {
        value_row_ui(ui, "Nodes", &thousands(scene.node_count() as u64));
        value_row_ui(ui, "Meshes", &thousands(scene.meshes().count() as u64));
        value_row_ui(
            ui,
            "Materials",
            &thousands(scene.materials().count() as u64),
        );
        value_row_ui(ui, "Images", &thousands(scene.images().count() as u64));
        value_row_ui(ui, "Lights", &lights.to_string());
        value_row_ui(ui, "Cameras", &cameras.to_string());
        value_row_ui(ui, "Triangles", &thousands(scene.triangle_count() as u64));
        let (points, splats) = scene.point_and_splat_count();
        if points > 0 {
            value_row_ui(ui, "Points", &thousands(points as u64));
        }
        let segments = scene.segment_count();
        if segments > 0 {
            value_row_ui(ui, "Line segments", &thousands(segments as u64));
        }
        if splats > 0 {
            value_row_ui(ui, "Splats", &thousands(splats as u64));
        }
    });
    egui::CollapsingHeader::new("Environment")
        .default_open(true)
        .show(ui, |ui| {
            overrides_strip_ui(
                ui,
                variant,
                &[
                    (OverrideTarget::Exposure, "exposure"),
                    (OverrideTarget::ToneMapper, "tone mapper"),
                    (OverrideTarget::Sky, "sky"),
                    (OverrideTarget::Panorama, "environment image"),
                ],
                actions,
            );
            let env = &scene.environment;
            let mut new = *env;
            grid_ui(ui, "inspector_environment", |ui| {
                keyed_label(ui, keying, &[Channel::Exposure], "Exposure", actions);
                ui.add(
                    egui::DragValue::new(&mut new.exposure_ev100)
                        .speed(0.05)
                        .range(-6.0..=24.0)
                        .clamp_existing_to_range(false)
                        .max_decimals(2)
                        .suffix(" EV100"),
                )
                .on_hover_text("Higher is darker: sunny day ≈ 15, indoors ≈ 7, night ≈ 0");
                ui.end_row();
                ui.label("Tone mapper");
                egui::ComboBox::from_id_salt("tone_mapper")
                    .selected_text(match new.tone_mapper {
                        ToneMapper::Aces => "ACES filmic",
                        ToneMapper::Linear => "Linear (clamp)",
                    })
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut new.tone_mapper, ToneMapper::Aces, "ACES filmic");
                        ui.selectable_value(
                            &mut new.tone_mapper,
                            ToneMapper::Linear,
                            "Linear (clamp)",
                        );
                    });
                ui.end_row();
                if let Some(p) = &mut new.panorama {
                    let name = scene
                        .image(p.image)
                        .map_or("(missing image)", |i| i.name.as_str());
                    let kind = if p.hdr { "HDR panorama" } else { "panorama" };
                    value_row_ui(ui, "Sky", &format!("{kind} '{name}'"));
                    ui.label("");
                    // Two buttons: one under the other in a narrow panel.
                    ui.horizontal_wrapped(|ui| {
                        if ui.button("Replace image…").clicked() {
                            actions.push(UiAction::ShowFileDialog {
                                purpose: super::BrowsePurpose::Environment,
                                folder: false,
                            });
                        }
                        if ui
                            .button("Procedural sky")
                            .on_hover_text("Drop the image and use the sun-driven sky")
                            .clicked()
                            && let Some(c) = crate::edit::ops::clear_environment_image(scene)
                        {
                            actions.push(UiAction::Edit(c));
                        }
                    });
                    ui.end_row();
                    ui.label("Panorama turn");
                    let mut deg = p.rotation_rad.to_degrees();
                    if fitted_slider(ui, "-180.0°", slider(&mut deg, -180.0..=180.0).suffix("°"))
                        .changed()
                    {
                        p.rotation_rad = deg.to_radians();
                    }
                    ui.end_row();
                    ui.label("Panorama intensity");
                    fitted_slider(ui, "0.000", slider(&mut p.intensity, 0.0..=4.0));
                    ui.end_row();
                } else {
                    value_row_ui(ui, "Sky", "procedural (Preetham)");
                    ui.label("");
                    if ui
                        .add(egui::Button::new("Environment image…").truncate())
                        .on_hover_text(
                            "Light and surround the world with an equirectangular image \
                                 (Radiance .hdr, PNG or JPEG)",
                        )
                        .clicked()
                    {
                        actions.push(UiAction::ShowFileDialog {
                            purpose: super::BrowsePurpose::Environment,
                            folder: false,
                        });
                    }
                    ui.end_row();
                }
                ui.label("Sky turbidity");
                fitted_slider(ui, "10.0", slider(&mut new.sky.turbidity, 1.7..=10.0));
                ui.end_row();
                ui.label("Sky intensity");
                fitted_slider(ui, "0.000", slider(&mut new.sky.intensity, 0.0..=4.0));
                ui.end_row();
                ui.label("Ground albedo");
                color_edit_ui(ui, &mut new.sky.ground_albedo);
                ui.end_row();
                if let Some((towards_sun, sun)) = scene.sun() {
                    let elevation = towards_sun.y.clamp(-1.0, 1.0).asin().to_degrees();
                    value_row_ui(ui, "Sun elevation", &format!("{elevation:.1}°"));
                    value_row_ui(
                        ui,
                        "Sun illuminance",
                        &format!("{} lux", short_number(sun.intensity)),
                    );
                } else {
                    value_row_ui(ui, "Sun", "none");
                }
                if new != *env {
                    actions.push(edit_action(
                        ui,
                        Command::SetEnvironment {
                            value: Box::new(new),
                        },
                    ));
                }
            });
        });
}

/// A node's or the scene's name as the inspector's heading, ending in "…" where it is
/// wider than the panel (an imported `node_damagedHelmet_-6514` ran past its edge and made
/// the whole inspector scroll sideways); hovering it shows it whole.
fn heading_ui(ui: &mut Ui, name: &str) {
    ui.add(egui::Label::new(RichText::new(name).heading()).truncate());
}

/// A grid row of a label and a value; a value wider than the panel (a long parent or
/// material name) ends in "…" and shows whole on hover.
fn value_row_ui(ui: &mut Ui, label: &str, value: &str) {
    ui.label(label);
    ui.add(egui::Label::new(value).truncate());
    ui.end_row();
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Shows a vector as coloured X/Y/Z components, side by side or, in a narrow inspector,
/// one under another (`xyz_ui`).
fn vec3_ui(ui: &mut Ui, v: Vec3, decimals: usize, unit: &str) {
    let values = v.to_array().map(|value| format!("{value:>8.decimals$}"));
    // Gaps between a letter, its value and the unit, and before the next axis' letter.
    const GAP: f32 = 3.0;
    const AXIS_GAP: f32 = 4.0;
    let unit = unit.trim();
    let width = |text: &str, style: egui::TextStyle| {
        super::text_width(ui.painter(), text, style.resolve(ui.style()))
    };
    // Three letters, three values of eight characters, the unit and the gaps between.
    let beside = 3.0
        * (width("X", egui::TextStyle::Small) + width("-000.000", egui::TextStyle::Monospace))
        + width(unit, egui::TextStyle::Body)
        + 7.0 * GAP
        + 2.0 * AXIS_GAP;
    // One under another, the values line up at their right without the padding to eight
    // characters, which a narrow column has no room for.
    let longest = values
        .iter()
        .map(|v| v.trim_start().len())
        .max()
        .unwrap_or(0);
    let stacked_values = values
        .clone()
        .map(|v| format!("{:>longest$}", v.trim_start()));
    xyz_ui(ui, beside, |ui, axis, stacked| {
        ui.spacing_mut().item_spacing.x = GAP;
        if stacked {
            ui.monospace(&stacked_values[axis]);
        } else {
            let (name, color) = AXES[axis];
            if axis > 0 {
                ui.add_space(AXIS_GAP);
            }
            ui.label(RichText::new(name).color(color).small().strong());
            ui.monospace(&values[axis]);
        }
        if !unit.is_empty() && (stacked || axis == 2) {
            ui.weak(unit);
        }
    });
}

/// "`part` of `whole` `what`" with grouped digits (e.g. "1,204 of 120,000 splats inside").
pub(crate) fn part_of_label(ui: &mut Ui, part: usize, whole: usize, what: &str) {
    ui.label(format!(
        "{} of {} {what}",
        thousands(part as u64),
        thousands(whole as u64)
    ));
}

/// 1234567 -> "1,234,567".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A physical quantity with sensible precision: 100000 -> "100,000", 12.5 -> "12.50".
fn short_number(x: f32) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x.abs() >= 1000.0 {
        let sign = if x < 0.0 { "-" } else { "" };
        format!("{sign}{}", thousands(x.abs().round() as u64))
    } else {
        format!("{x:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The width planned for a drag value (its value field in a slider too) is the width
    /// egui gives it, prefix and suffix included, so rows planned with it fit.
    #[test]
    fn drag_field_width_is_the_width_of_the_drag_value() {
        for (prefix, value, suffix, text) in [
            ("", 0.5, "", "0.50"),
            ("cutoff ", 0.5, "", "cutoff 0.50"),
            ("", 12_000.0, " K", "12000.00 K"),
            ("film IOR ", 1.3, "", "film IOR 1.30"),
            ("× ", 1.0, "", "× 1.00"),
            ("", -32.147, " m", "-32.15 m"),
        ] {
            let mut widths = None;
            crate::ui::run_passes(2, |ui| {
                let mut v: f64 = value;
                let drawn = ui
                    .add(
                        egui::DragValue::new(&mut v)
                            .fixed_decimals(2)
                            .prefix(prefix)
                            .suffix(suffix),
                    )
                    .rect
                    .width();
                widths = Some((drawn, drag_field_width(ui, text)));
            });
            let (drawn, planned) = widths.expect("a pass ran");
            assert!(
                (drawn - planned).abs() < 1.0,
                "{text:?}: drawn {drawn} points wide, planned {planned}"
            );
        }
    }

    #[test]
    fn large_intensities_read_as_thousands_and_millions_and_parse_back() {
        for (v, text) in [
            (0.0, "0"),
            (950.0, "950"),
            (9_999.0, "9999"),
            (12_345.0, "12.3k"),
            (25_000.0, "25k"),
            (150_000.0, "150k"),
            (999_999.0, "1M"),
            (1.0e6, "1M"),
            (2.5e6, "2.5M"),
        ] {
            assert_eq!(compact_number(v), text, "{v}");
            let back = parse_compact_number(text).expect(text);
            assert!((back - v).abs() <= v * 0.005, "{text} parsed as {back}");
        }
        for (text, v) in [("150k", 150_000.0), (" 2.5 M ", 2.5e6), ("700", 700.0)] {
            assert_eq!(parse_compact_number(text), Some(v), "{text:?}");
        }
        for text in ["", "k", "abc", "1.2.3k", "inf", "NaN"] {
            assert_eq!(parse_compact_number(text), None, "{text:?}");
        }
    }

    #[test]
    fn intensities_show_three_significant_digits() {
        for (v, text) in [
            (0.0, "0"),
            (0.012_345, "0.0123"),
            (12.345, "12.3"),
            (800.0, "800"),
            (120_000.4, "120000"),
            (1.0, "1"),
            (0.5, "0.5"),
        ] {
            assert_eq!(significant(v, 3), text);
        }
    }

    #[test]
    fn euler_matches_blender_xyz_order() {
        let (x, y, z) = (10f32.to_radians(), 20f32.to_radians(), 30f32.to_radians());
        // Blender's XYZ Euler applies X first, then Y, then Z (about the fixed axes).
        let q = Quat::from_rotation_z(z) * Quat::from_rotation_y(y) * Quat::from_rotation_x(x);
        let e = euler_xyz_deg(q);
        let turn = euler_xyz_deg(Quat::from_rotation_y(100.6f32.to_radians()));
        assert!(
            (turn - Vec3::new(0.0, 100.6, 0.0)).length() < 1e-2,
            "{turn}"
        );
        let back = euler_xyz_deg(Quat::from_rotation_y(-150f32.to_radians()));
        assert!(
            (back - Vec3::new(0.0, -150.0, 0.0)).length() < 1e-2,
            "{back}"
        );
        assert!((e - Vec3::new(10.0, 20.0, 30.0)).length() < 1e-3, "{e}");
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn transform_text_only_for_non_identity_slots() {
        let mut t = TextureRef::new(crate::scene::ImageId(3), Default::default());
        assert_eq!(uv_transform_text(&t), None);
        t.transform.rotation = std::f32::consts::FRAC_PI_2;
        t.transform.scale = [2.0, 0.5];
        assert_eq!(
            uv_transform_text(&t).as_deref(),
            Some("  offset 0.000 0.000, rotation 90.0°, scale 2.000 0.500")
        );
    }
}
