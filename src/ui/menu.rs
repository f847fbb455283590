//! The menu bar: File, Edit, Add, View, Render and Help.

use super::{BrowsePurpose, Dialogs, NewWorldDialog, UiAction};
use crate::edit::ops::{Operation, Reshade};
use crate::render::{Matcap, Overlays, SolidColor, SolidLighting};
use crate::scene::{LightKind, NodeId, NodeKind, Primitive, Scene, ViewAxis};
use egui::containers::menu::{MenuButton, MenuConfig};
use egui::{Button, PopupCloseBehavior, Ui};
use std::path::PathBuf;

/// Shows the menu bar. Overlay toggles and dialog visibility change in place; everything
/// else is pushed to `actions`.
#[expect(
    clippy::too_many_arguments,
    reason = "one read-only input per menu; bundling them would only rename the list"
)]
pub fn menu_bar_ui(
    ui: &mut Ui,
    scene: &Scene,
    seed: u64,
    orthographic: bool,
    xray: bool,
    selection: &[NodeId],
    overlays: &mut Overlays,
    dialogs: &mut Dialogs,
    recent: &[PathBuf],
    undo_redo: &[Option<String>; 2],
    actions: &mut Vec<UiAction>,
) {
    let has_selection = !selection.is_empty();
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("New World…").clicked() {
                dialogs.new_world = Some(NewWorldDialog::new(seed));
            }
            if ui
                .add(Button::new("Open…").shortcut_text("Ctrl+O"))
                .on_hover_text(
                    "Open a project (.wsproj), a glTF/GLB, PLY, SPZ, .splat, .ksplat or .sog file, or a \
                     world-model output folder or SOG folder",
                )
                .clicked()
            {
                actions.push(UiAction::ShowFileDialog {
                    purpose: BrowsePurpose::Open,
                    folder: false,
                });
            }
            if ui
                .button("Open World Folder…")
                .on_hover_text(
                    "Open a world-model output folder (HY-World, HunyuanWorld, Marble): every \
                     layer and camera in it becomes part of one World node; or a SOG folder \
                     (meta.json and its WebP images) as one splat node",
                )
                .clicked()
            {
                actions.push(UiAction::ShowFileDialog {
                    purpose: BrowsePurpose::Open,
                    folder: true,
                });
            }
            if ui
                .add(Button::new("Import…").shortcut_text("Ctrl+I"))
                .on_hover_text("Add a file or world folder to the current world")
                .clicked()
            {
                actions.push(UiAction::ShowFileDialog {
                    purpose: BrowsePurpose::Import,
                    folder: false,
                });
            }
            ui.add_enabled_ui(!recent.is_empty(), |ui| {
                ui.menu_button("Open Recent", |ui| {
                    for (index, path) in recent.iter().enumerate() {
                        let name = path.file_name().map_or_else(
                            || path.display().to_string(),
                            |n| n.to_string_lossy().into_owned(),
                        );
                        if ui
                            .button(name)
                            .on_hover_text(path.display().to_string())
                            .clicked()
                        {
                            actions.push(UiAction::OpenRecent(index));
                        }
                    }
                })
                .response
                .on_disabled_hover_text(
                    "No files opened yet. Use File > Open or drop a file on the window.",
                );
            });
            ui.separator();
            if ui
                .add(Button::new("Save").shortcut_text("Ctrl+S"))
                .on_hover_text("Save the project (.wsproj)")
                .clicked()
            {
                actions.push(UiAction::Save);
            }
            if ui
                .add(Button::new("Save As…").shortcut_text("Ctrl+Shift+S"))
                .on_hover_text("Save the project to a new file")
                .clicked()
            {
                actions.push(UiAction::ShowFileDialog {
                    purpose: BrowsePurpose::SaveAs,
                    folder: false,
                });
            }
            export_menu_ui(ui, scene, has_selection, actions);
            ui.separator();
            if ui
                .add(Button::new("Quit").shortcut_text("Ctrl+Q"))
                .clicked()
            {
                actions.push(UiAction::Quit);
            }
        });

        ui.menu_button("Edit", |ui| {
            let [undo_label, redo_label] = undo_redo;
            let undo = undo_label
                .as_ref()
                .map_or_else(|| "Undo".to_owned(), |l| format!("Undo {l}"));
            if ui
                .add_enabled(
                    undo_label.is_some(),
                    Button::new(undo).shortcut_text("Ctrl+Z"),
                )
                .clicked()
            {
                actions.push(UiAction::Undo);
            }
            let redo = redo_label
                .as_ref()
                .map_or_else(|| "Redo".to_owned(), |l| format!("Redo {l}"));
            if ui
                .add_enabled(
                    redo_label.is_some(),
                    Button::new(redo).shortcut_text("Ctrl+Shift+Z"),
                )
                .clicked()
            {
                actions.push(UiAction::Redo);
            }
            if ui.button("History…").clicked() {
                dialogs.history_open = true;
            }
            ui.separator();
            operation_items_ui(ui, scene, selection, actions);
            ui.separator();
            if ui
                .add_enabled(
                    has_selection,
                    Button::new("Select None").shortcut_text("Esc"),
                )
                .clicked()
            {
                actions.push(UiAction::SelectNone);
            }
            ui.separator();
            if ui
                .add(Button::new("Frame Selected").shortcut_text("F"))
                .clicked()
            {
                actions.push(UiAction::FrameSelected);
            }
            if ui.button("Frame All").clicked() {
                actions.push(UiAction::FrameAll);
            }
        });

        ui.menu_button("Add", |ui| {
            add_items_ui(ui, actions);
        });

        // The View menu stays open while its settings change (several overlays toggled in one
        // visit, as Blender's overlay popover) and closes on a click outside it or on one of
        // its commands.
        let keep_open = MenuConfig::new().close_behavior(PopupCloseBehavior::CloseOnClickOutside);
        MenuButton::new("View").config(keep_open).ui(ui, |ui| {
            // Taller than a small window (640×420): what does not fit scrolls, below the
            // menu bar, instead of running off the bottom of the screen.
            menu_scroll_area(ui).show(ui, |ui| {
                    view_menu_items_ui(
                        ui,
                        scene,
                        xray,
                        orthographic,
                        overlays,
                        dialogs,
                        actions,
                    )
                });
        });

        ui.menu_button("Render", |ui| {
            super::render_menu_ui(ui, scene, &mut dialogs.render_open, actions);
        });

        ui.menu_button("Help", |ui| {
            if ui.button("Controls").clicked() {
                dialogs.controls_open = true;
            }
            if ui.button("About worldsmith").clicked() {
                dialogs.about_open = true;
            }
        });
    });
}

/// The key that aligns the view with `axis` (Blender's numpad keys, which egui reports as
/// the digits), and whether it takes Ctrl: 1 front, 3 right, 7 top; Ctrl for the opposite.
pub fn view_axis_key(axis: ViewAxis) -> (bool, egui::Key) {
    use egui::Key;
    match axis {
        ViewAxis::Front => (false, Key::Num1),
        ViewAxis::Back => (true, Key::Num1),
        ViewAxis::Right => (false, Key::Num3),
        ViewAxis::Left => (true, Key::Num3),
        ViewAxis::Top => (false, Key::Num7),
        ViewAxis::Bottom => (true, Key::Num7),
    }
}

/// Add ▸ shapes and lights, placed at the viewport's pivot.
fn add_items_ui(ui: &mut Ui, actions: &mut Vec<UiAction>) {
    for shape in Primitive::ALL {
        if ui.button(shape.name()).clicked() {
            actions.push(UiAction::Operation(Operation::AddPrimitive(shape)));
        }
    }
    ui.separator();
    let spot = LightKind::Spot {
        inner_cone_rad: 20f32.to_radians(),
        outer_cone_rad: 30f32.to_radians(),
    };
    for (label, kind) in [
        ("Sun", LightKind::Directional),
        ("Point light", LightKind::Point),
        ("Spot light", spot),
    ] {
        if ui.button(label).clicked() {
            actions.push(UiAction::Operation(Operation::AddLight(kind)));
        }
    }
}

/// Edit ▸ Duplicate, Delete, Group, Place on Grid, Origin to Geometry and the Mesh submenu
/// (also the outliner's context menu).
pub(super) fn operation_items_ui(
    ui: &mut Ui,
    scene: &Scene,
    selection: &[NodeId],
    actions: &mut Vec<UiAction>,
) {
    let has_selection = !selection.is_empty();
    // The Mesh operations need a mesh among the selected nodes.
    let has_mesh = selection.iter().any(|id| {
        scene
            .node(*id)
            .is_some_and(|n| matches!(n.kind, NodeKind::Mesh { .. }))
    });
    let items = [
        ("Duplicate", "Ctrl+D", Operation::Duplicate),
        ("Delete", "Del", Operation::Delete),
        ("Group", "Ctrl+G", Operation::Group),
    ];
    for (label, shortcut, operation) in items {
        if ui
            .add_enabled(has_selection, Button::new(label).shortcut_text(shortcut))
            .clicked()
        {
            actions.push(UiAction::Operation(operation));
        }
    }
    let placements = [
        (
            "Place on Grid",
            "Move the selection straight up or down so that its lowest part rests on the ground \
             grid (a cloud's lowest percentile, ignoring stray points under its floor)",
            Operation::PlaceOnGrid,
        ),
        (
            "Origin to Geometry",
            "Move each selected mesh's, point cloud's or splat cloud's origin (where its gizmo \
             sits and what it turns about) to the centre of its content, which stays where it is",
            Operation::OriginToGeometry,
        ),
    ];
    for (label, hover, operation) in placements {
        if ui
            .add_enabled(has_selection, Button::new(label))
            .on_hover_text(hover)
            .clicked()
        {
            actions.push(UiAction::Operation(operation));
        }
    }
    ui.add_enabled_ui(has_mesh, |ui| {
        ui.menu_button("Mesh", |ui| {
            mesh_items_ui(ui, actions);
        });
    });
}

/// Geometry operations on the selected meshes (Edit ▸ Mesh, and the inspector).
pub fn mesh_items_ui(ui: &mut Ui, actions: &mut Vec<UiAction>) {
    let items = [
        (
            "Split into Parts",
            "",
            "Each connected part becomes its own object, centred on itself",
            Operation::SplitParts,
        ),
        (
            "Merge Meshes",
            "Ctrl+J",
            "Join the selected meshes into the last selected one",
            Operation::MergeMeshes,
        ),
        (
            "Flip Normals",
            "",
            "Turn the faces inside out",
            Operation::Reshade(Reshade::FlipNormals),
        ),
        (
            "Smooth Normals",
            "",
            "Shade smoothly across edges",
            Operation::Reshade(Reshade::SmoothNormals),
        ),
        (
            "Flat Normals",
            "",
            "Shade every triangle flat",
            Operation::Reshade(Reshade::FlatNormals),
        ),
        (
            "Apply Transform",
            "",
            "Bake position, rotation and scale into the geometry",
            Operation::ApplyTransform,
        ),
    ];
    for (label, shortcut, hover, operation) in items {
        if ui
            .add(Button::new(label).shortcut_text(shortcut))
            .on_hover_text(hover)
            .clicked()
        {
            actions.push(UiAction::Operation(operation));
        }
    }
}

/// The scene's cameras in outliner order, with their names.
fn scene_cameras(scene: &Scene) -> Vec<(NodeId, String)> {
    scene
        .walk()
        .iter()
        .filter(|wn| matches!(wn.node.kind, NodeKind::Camera(_)))
        .map(|wn| (wn.node.id, wn.node.name.clone()))
        .collect()
}

/// File ▸ Export: glTF of the world or the selection, a splat layer as PLY or SPZ.
fn export_menu_ui(ui: &mut Ui, scene: &Scene, has_selection: bool, actions: &mut Vec<UiAction>) {
    use super::ExportKind;
    let has_clouds = scene.nodes().any(|n| n.kind.is_layer());
    ui.menu_button("Export", |ui| {
        let items = [
            (
                ExportKind::Glb,
                "glTF Binary (.glb)…",
                "The world as one .glb: hierarchy, meshes, materials, textures, lights, \
                 cameras and material variants; splat layers as files beside it",
                true,
            ),
            (
                ExportKind::GltfSeparate,
                "glTF Separate (.gltf + .bin)…",
                "The world as .gltf with its buffer and images as separate files",
                true,
            ),
            (
                ExportKind::SelectedGlb,
                "Selected as glTF…",
                "Only the selected objects (and what is under them), at their world pose",
                has_selection,
            ),
            (
                ExportKind::SplatPly,
                "Layer as PLY…",
                "The selected splat layer (3DGS PLY), point cloud or line set (PLY with \
                 edges), edits applied",
                has_clouds,
            ),
            (
                ExportKind::SplatSpz,
                "Splat Layer as SPZ…",
                "The selected splat layer as SPZ (compressed), edits applied",
                has_clouds,
            ),
        ];
        for (kind, label, hover, enabled) in items {
            if ui
                .add_enabled(enabled, Button::new(label))
                .on_hover_text(hover)
                .clicked()
            {
                actions.push(UiAction::ShowFileDialog {
                    purpose: BrowsePurpose::Export(kind),
                    folder: false,
                });
            }
        }
    });
}

/// View ▸ Motion paths: the frames the selected nodes' paths span, the whole shot or some
/// either side of the playhead (Blender's "around frame").
fn motion_paths_ui(ui: &mut Ui, paths: &mut crate::render::PathRange) {
    ui.menu_button("Motion paths", |ui| {
        let mut around = paths.around.is_some();
        ui.radio_value(&mut around, false, "Whole shot")
            .on_hover_text("The path over every frame of the active shot");
        ui.radio_value(&mut around, true, "Around the playhead")
            .on_hover_text("The path only some frames before and after the current one");
        let mut span = paths.around.unwrap_or(DEFAULT_PATH_SPAN);
        ui.add_enabled_ui(around, |ui| {
            ui.horizontal(|ui| {
                ui.label("±");
                ui.add(
                    egui::DragValue::new(&mut span)
                        .range(1..=MAX_PATH_SPAN)
                        .suffix(" frames"),
                );
            });
        });
        paths.around = around.then_some(span);
    });
}

/// Frames either side of the playhead a motion path spans when first set "around" it.
const DEFAULT_PATH_SPAN: u32 = 24;
/// The most frames either side that the menu offers.
pub const MAX_PATH_SPAN: u32 = 10_000;

/// The View menu's choice of solid lighting: Studio, Flat or MatCap, and which MatCap.
fn solid_lighting_ui(ui: &mut Ui, lighting: &mut SolidLighting) {
    ui.horizontal(|ui| {
        ui.label("Solid lighting");
        ui.selectable_value(lighting, SolidLighting::Studio, "Studio")
            .on_hover_text("Lit by a studio light fixed to the view, to show shapes");
        ui.selectable_value(lighting, SolidLighting::Flat, "Flat")
            .on_hover_text(
                "The colours as they are, unlit: a texture's albedo exactly, or a flat map of the \
             objects with Random",
            );
        let matcap = matches!(lighting, SolidLighting::MatCap(_));
        if ui
            .selectable_label(matcap, "MatCap")
            .on_hover_text(
                "Shaded by which way each surface faces the view alone (a material capture), \
                 to read curvature and flaws",
            )
            .clicked()
            && !matcap
        {
            *lighting = SolidLighting::MatCap(Matcap::Ceramic);
        }
    });
    if matches!(lighting, SolidLighting::MatCap(_)) {
        ui.horizontal(|ui| {
            ui.label("MatCap");
            for m in Matcap::ALL {
                ui.selectable_value(lighting, SolidLighting::MatCap(m), m.label())
                    .on_hover_text(m.description());
            }
        });
    }
}

/// A labelled row with a slider for a 0–1 value shown and typed as a percentage, greyed out
/// unless `enabled` (the setting it belongs to is on).
fn percent_row_ui(ui: &mut Ui, enabled: bool, label: &str, value: &mut f32, hover: &str) {
    ui.add_enabled_ui(enabled, |ui| {
        ui.horizontal(|ui| {
            ui.label(label);
            ui.add(percent_slider(value)).on_hover_text(hover);
        });
    });
}

/// A 0–1 value shown and typed as a percentage.
fn percent_slider(value: &mut f32) -> egui::Slider<'_> {
    egui::Slider::new(value, 0.0..=1.0)
        .custom_formatter(|v, _| format!("{:.0} %", v * 100.0))
        .custom_parser(|s| {
            s.trim_end_matches('%')
                .trim()
                .parse::<f64>()
                .ok()
                .map(|v| v / 100.0)
        })
}

/// A scroll area for a menu's items that takes up to the window's height below the menu
/// bar, so that a menu taller than a small window scrolls instead of running off it. (A
/// popup offers a scroll area less than the screen's height: the minimum makes it take what
/// the window has; it still shrinks to fewer items.)
fn menu_scroll_area(ui: &Ui) -> egui::ScrollArea {
    let height = (ui.ctx().content_rect().height() - 56.0).max(120.0);
    egui::ScrollArea::vertical()
        .max_height(height)
        .min_scrolled_height(height)
}

/// The View menu's overlays, shading, view and camera items (in a scroll area where the
/// window is short).
fn view_menu_items_ui(
    ui: &mut Ui,
    scene: &Scene,
    xray: bool,
    orthographic: bool,
    overlays: &mut Overlays,
    dialogs: &mut Dialogs,
    actions: &mut Vec<UiAction>,
) {
    ui.checkbox(&mut overlays.grid, "Grid");
    ui.checkbox(&mut overlays.icons, "Light & camera icons");
    ui.checkbox(&mut overlays.bones, "Bones")
        .on_hover_text("Skinned meshes' joints, drawn in front; click one to select it");
    ui.checkbox(&mut overlays.outline, "Selection outline");
    if ui
        .add(
            Button::new("Wireframe")
                .selected(overlays.wireframe)
                .shortcut_text("Shift+Z"),
        )
        .on_hover_text("Every mesh's edges over the shaded view, to see its topology")
        .clicked()
    {
        actions.push(UiAction::ToggleWireframe);
    }
    percent_row_ui(
        ui,
        overlays.wireframe,
        "Wireframe opacity",
        &mut overlays.wire_opacity,
        "How much the edges cover the shaded view",
    );
    if ui
        .add(Button::new("X-ray").selected(xray).shortcut_text("Alt+Z"))
        .on_hover_text(
            "See through the meshes (drawn at the X-ray opacity below), and box \
                 selections take the objects inside the box behind others too; off, only \
                 those seen in it (while selecting splats or points: the selection tool's \
                 X-ray)",
        )
        .clicked()
    {
        actions.push(UiAction::ToggleXray);
    }
    percent_row_ui(
        ui,
        overlays.xray,
        "X-ray opacity",
        &mut overlays.xray_alpha,
        "How opaque the meshes stay in X-ray",
    );
    ui.horizontal(|ui| {
        ui.label("Shading");
        ui.selectable_value(&mut overlays.solid, false, "Lit")
            .on_hover_text("Materials, lights, shadows and the sky, as rendered");
        ui.selectable_value(&mut overlays.solid, true, "Solid (Z)")
            .on_hover_text(
                "Every mesh in clay grey under a studio light, to judge shapes \
                     whatever the materials and lighting",
            );
    });
    ui.add_enabled_ui(overlays.solid, |ui| {
        ui.horizontal(|ui| {
            ui.label("Solid colour");
            for color in SolidColor::ALL {
                ui.selectable_value(&mut overlays.solid_color, color, color.label())
                    .on_hover_text(match color {
                        SolidColor::Clay => "One grey for everything, to judge shapes",
                        SolidColor::Random => "Each object in its own colour, to tell them apart",
                        SolidColor::Material => {
                            "The materials' base colours and the vertex colours, \
                                 without textures"
                        }
                        SolidColor::Texture => {
                            "The surfaces' base colour textures, to check them and \
                                 their mapping without the scene's lighting"
                        }
                    });
            }
        });
        solid_lighting_ui(ui, &mut overlays.solid_lighting);
    });
    motion_paths_ui(ui, &mut overlays.paths);
    ui.separator();
    ui.checkbox(&mut dialogs.log_open, "Log");
    ui.separator();
    if ui
        .add(Button::new("Reset view").shortcut_text("Home"))
        .clicked()
    {
        actions.push(UiAction::ResetView);
        ui.close();
    }
    if ui
        .add(
            Button::new("Orthographic")
                .selected(orthographic)
                .shortcut_text("5"),
        )
        .on_hover_text("Switch the view between perspective and orthographic")
        .clicked()
    {
        actions.push(UiAction::ToggleOrthographic);
    }
    ui.menu_button("Align view", |ui| {
        for axis in ViewAxis::ALL {
            let (ctrl, key) = view_axis_key(axis);
            let shortcut = if ctrl {
                format!("Ctrl+{}", key.name())
            } else {
                key.name().to_owned()
            };
            if ui
                .add(Button::new(axis.name()).shortcut_text(shortcut))
                .clicked()
            {
                actions.push(UiAction::ViewAlong(axis));
                ui.close();
            }
        }
    });
    let cameras = scene_cameras(scene);
    ui.add_enabled_ui(!cameras.is_empty(), |ui| {
        ui.menu_button("View through camera", |ui| {
            // A world-model folder brings a camera per captured image (hundreds): the list
            // scrolls within the window's height.
            menu_scroll_area(ui).show(ui, |ui| {
                for (id, name) in &cameras {
                    if ui.button(name.as_str()).clicked() {
                        actions.push(UiAction::ViewThroughCamera(*id));
                        ui.close();
                    }
                }
            });
        })
        .response
        .on_disabled_hover_text("The scene has no cameras.");
    });
    ui.separator();
    let shot_camera = scene
        .timeline()
        .active_shot()
        .is_some_and(|s| s.camera.is_some());
    for (label, action) in [
        ("Set camera to view", super::TimelineAction::SetCameraToView),
        (
            "Key camera from view",
            super::TimelineAction::KeyCameraFromView,
        ),
    ] {
        if ui
            .add_enabled(shot_camera, Button::new(label))
            .on_disabled_hover_text("The active shot has no camera.")
            .clicked()
        {
            actions.push(UiAction::Timeline(action));
            ui.close();
        }
    }
}
