//! The inspector driven like a user would (egui_kittest, no window): dragging a slider
//! changes the scene and the whole drag is one undo step.

use egui::{Modifiers, Pos2, accesskit::Role};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use worldsmith::edit::History;
use worldsmith::scene::{NodeId, NodeKind, PointCloud, Scene, Transform};
use worldsmith::ui::{UiAction, inspector_ui};

struct State {
    scene: Scene,
    selection: Vec<NodeId>,
    history: History,
    region: worldsmith::ui::CloudTools,
}

/// A point node's disc size or a line node's width.
fn point_size(s: &State) -> f32 {
    s.scene
        .node(s.selection[0])
        .and_then(|n| n.kind.draw_size_px())
        .unwrap_or(f32::NAN)
}

/// The inspector of `state`'s selection in a 360 × 700 panel; its edits go through the
/// state's history as the editor's do.
fn harness(state: State) -> Harness<'static, State> {
    panel_harness(state, egui::vec2(360.0, 700.0), None)
}

/// [`harness`] in a panel of `size` whose contents may widen it to `max_width` (as the
/// editor's inspector panel may grow to its share of the window; `None`: without limit).
fn panel_harness(
    state: State,
    size: egui::Vec2,
    max_width: Option<f32>,
) -> Harness<'static, State> {
    Harness::builder()
        .with_size(size)
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(64)
        // The inspector labels its sliders with a grid cell beside them, which AccessKit
        // does not link to the widget yet; this test is about the edit, not that check.
        .with_accessibility_check(false)
        .build_ui_state(
            move |ui, s: &mut State| {
                if let Some(max) = max_width {
                    worldsmith::ui::set_inspector_max_width(ui.ctx(), max);
                }
                let mut actions = Vec::new();
                inspector_ui(
                    ui,
                    &s.scene,
                    None,
                    &s.selection,
                    &mut s.region,
                    &mut actions,
                );
                for action in actions {
                    match action {
                        UiAction::Edit(c) => {
                            s.history.execute(&mut s.scene, c);
                        }
                        UiAction::EditDrag(c) => {
                            s.history.execute_merging(&mut s.scene, c);
                        }
                        other => panic!("unexpected action {other:?}"),
                    }
                }
                // As the editor does: a released pointer ends the drag's undo step.
                if !ui.input(|i| i.pointer.any_down()) {
                    s.history.end_gesture();
                }
            },
            state,
        )
}

#[test]
fn dragging_the_point_size_slider_is_one_undo_step() {
    drag_size_slider(|cloud| NodeKind::Points {
        cloud,
        point_size_px: 2.0,
    });
}

#[test]
fn dragging_the_line_width_slider_is_one_undo_step() {
    drag_size_slider(|cloud| NodeKind::Lines {
        cloud,
        width_px: 2.0,
    });
}

/// Drags the size slider of a node of `kind` (at 2 px) and undoes the drag in one step.
fn drag_size_slider(kind: impl Fn(worldsmith::scene::PointCloudId) -> NodeKind) {
    let mut scene = Scene::new("ui test");
    let (cloud, _) = PointCloud::new(vec![[0.0; 3]; 8], Vec::new(), Vec::new())
        .with_segments(vec![[0, 1], [2, 3]]);
    let cloud = scene.add_point_cloud(cloud);
    let node = scene.add_node(None, "Scan", Transform::IDENTITY, kind(cloud));
    let state = State {
        scene,
        selection: vec![node],
        history: History::default(),
        region: Default::default(),
    };
    let mut h = harness(state);
    h.run();
    let slider = h.get_by_role(Role::Slider).rect();
    let y = slider.center().y;
    let start = Pos2::new(slider.left() + 4.0, y);
    h.hover_at(start);
    h.drag_at(start);
    h.run();
    for k in 1..=8 {
        h.hover_at(Pos2::new(slider.left() + 4.0 + k as f32 * 12.0, y));
        h.run();
    }
    h.event(egui::Event::PointerButton {
        pos: Pos2::new(slider.left() + 100.0, y),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run();
    let after = point_size(h.state());
    assert!(
        after != 2.0 && after.is_finite(),
        "the drag changed the size: {after}"
    );
    assert_eq!(h.state().history.undo_len(), 1, "one drag, one undo step");
    let s = h.state_mut();
    assert!(s.history.undo(&mut s.scene));
    assert_eq!(
        point_size(h.state()),
        2.0,
        "undo restores the size from before the drag"
    );
}

/// Two walls of splats lit from −x (the left wall, facing −x, is brighter), relighting open.
fn relight_state() -> State {
    use worldsmith::scene::{CapturedLight, Relight, SplatCloud};
    let mut positions = Vec::new();
    let mut rotations = Vec::new();
    let mut colors = Vec::new();
    for i in 0..32 {
        let y = (i % 8) as f32 * 0.2;
        let left = i < 16;
        positions.push([if left { -1.0 } else { 1.0 }, y, (i / 8) as f32 * 0.2]);
        // Shortest axis x; the estimate turns each normal away from the centre.
        rotations.push([0.0, 0.0, 0.0, 1.0]);
        colors.push(if left { [0.8; 3] } else { [0.3; 3] });
    }
    let cloud = SplatCloud::new(
        positions,
        rotations,
        vec![[0.01, 0.1, 0.1]; 32],
        vec![0.9; 32],
        colors,
        0,
        Vec::new(),
    )
    .expect("splats");
    let mut scene = Scene::new("relight ui");
    let cloud = scene.add_splat_cloud(cloud);
    let node = scene.add_node(
        None,
        "Scan",
        Transform::IDENTITY,
        NodeKind::Splats { cloud },
    );
    // A non-default value opens the section.
    scene.set_relight(
        node,
        Relight {
            amount: 0.0,
            captured: CapturedLight {
                ambient: 0.5,
                directional: [0.0, 0.5, 0.0],
            },
        },
    );
    State {
        scene,
        selection: vec![node],
        history: History::default(),
        region: Default::default(),
    }
}

#[test]
fn relighting_section_estimates_the_captured_light_and_its_slider_is_one_undo_step() {
    let mut h = Harness::builder()
        .with_size(egui::vec2(420.0, 900.0))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(64)
        .with_accessibility_check(false)
        .build_ui_state(
            |ui, s: &mut State| {
                let mut actions = Vec::new();
                inspector_ui(
                    ui,
                    &s.scene,
                    None,
                    &s.selection,
                    &mut s.region,
                    &mut actions,
                );
                for action in actions {
                    match action {
                        UiAction::Edit(c) => {
                            s.history.execute(&mut s.scene, c);
                        }
                        UiAction::EditDrag(c) => {
                            s.history.execute_merging(&mut s.scene, c);
                        }
                        UiAction::Operation(op) => {
                            let outcome = worldsmith::edit::ops::run(
                                &mut s.scene,
                                &s.selection,
                                glam::Vec3::ZERO,
                                op,
                            )
                            .expect("operation runs");
                            s.history.execute(&mut s.scene, outcome.command);
                        }
                        other => panic!("unexpected action {other:?}"),
                    }
                }
                if !ui.input(|i| i.pointer.any_down()) {
                    s.history.end_gesture();
                }
            },
            relight_state(),
        );
    h.run();
    let relight = |s: &State| s.scene.node(s.selection[0]).expect("node").relight;
    h.get_by_label("Estimate captured lighting").click();
    h.run();
    let estimated = relight(h.state()).captured;
    assert!(
        estimated.key_direction().x < -0.99,
        "lit from −x: {estimated:?}"
    );
    assert_eq!(h.state().history.undo_len(), 1);
    // The readout names the fitted model.
    h.get_by_label_contains("% ambient, key from (");

    let slider = h.get_by_role(Role::Slider).rect();
    let y = slider.center().y;
    let start = Pos2::new(slider.left() + 2.0, y);
    h.hover_at(start);
    h.drag_at(start);
    h.run();
    for k in 1..=6 {
        h.hover_at(Pos2::new(slider.left() + 2.0 + k as f32 * 10.0, y));
        h.run();
    }
    h.event(egui::Event::PointerButton {
        pos: Pos2::new(slider.left() + 62.0, y),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run();
    let amount = relight(h.state()).amount;
    assert!(amount > 0.0 && amount <= 1.0, "the drag relit: {amount}");
    assert_eq!(relight(h.state()).captured, estimated);
    assert_eq!(h.state().history.undo_len(), 2, "estimate + one drag");
    let s = h.state_mut();
    assert!(s.history.undo(&mut s.scene));
    assert_eq!(relight(h.state()).amount, 0.0);
    assert_eq!(relight(h.state()).captured, estimated);
}

/// Showing a material is not editing it: a file's IOR outside the field's range (0, which
/// KHR_materials_ior allows) and a specular colour above 1 (KHR_materials_specular allows it)
/// stay as they are, as do a volume thicker than the field's range and an attenuation
/// distance past it (KHR_materials_volume allows any), a sheen colour that an 8-bit colour
/// button would round and a sheen roughness past 1 (a hand-edited project), an anisotropy
/// past 1 turned by an angle that degrees would round, an iridescence past 1 on a film
/// thinner than nothing and thicker than the field's range, a diffuse transmission past 1
/// with a colour an 8-bit button would round, and no undo step appears.
#[test]
fn showing_a_material_with_out_of_range_values_does_not_edit_it() {
    use worldsmith::scene::Material;
    let mut scene = Scene::new("ui test");
    let mesh = scene.add_mesh(worldsmith::generate::shapes::cube(1.0));
    let original = Material {
        ior: 0.0,
        specular: 0.37,
        specular_color: [2.5, 0.3, 1.7],
        transmission: 0.2,
        thickness: 5000.0,
        attenuation_distance: Some(1.0e6),
        attenuation_color: [0.2, 0.4, 0.6],
        sheen_color: [0.123, 0.456, 0.789],
        sheen_roughness: 1.5,
        clearcoat_roughness: 1.5,
        anisotropy_strength: 1.5,
        anisotropy_rotation: 0.123_456_79,
        iridescence: 1.5,
        iridescence_ior: 0.5,
        iridescence_thickness: [-5.0, 5000.0],
        diffuse_transmission: 1.5,
        diffuse_transmission_color: [0.123, 0.456, 0.789],
        // glTF's normal scale may be any number; a slider's range is 0..2.
        normal_scale: 3.0,
        emissive_strength: 5000.0,
        normal_texture: Some(worldsmith::scene::TextureRef::new(
            scene.add_image(worldsmith::scene::Image::new("n.png", 1, 1, vec![128; 4]).unwrap()),
            Default::default(),
        )),
        ..Material::named("Mirror", [0.9, 0.9, 0.9, 1.0], 0.1)
    };
    let material = scene.add_material(original.clone());
    let node = scene.add_node(
        None,
        "Mirror cube",
        Transform::IDENTITY,
        NodeKind::Mesh { mesh, material },
    );
    let mut h = harness(State {
        scene,
        selection: vec![node],
        history: History::default(),
        region: Default::default(),
    });
    h.run();
    for label in [
        "IOR",
        "Specular",
        "Transmission",
        "Volume",
        "Clearcoat",
        "Sheen",
        "Anisotropy",
        "Iridescence",
        "Translucency",
        "Normal strength",
    ] {
        assert!(
            h.query_by_label(label).is_some(),
            "the material shows its {label}"
        );
    }
    h.run();
    assert_eq!(h.state().history.undo_len(), 0, "nothing was edited");
    assert_eq!(h.state().scene.material(material), Some(&original));
}

/// Lights, a camera and a sky whose values lie outside their fields' ranges (a 200,000-lux
/// sun, a spot's inner cone wider than its outer and a 250 km range, a 0.5° telephoto, a
/// 0.5 mm cube, a project's exposure of 30 and turbidity of 12) are shown, not clamped:
/// selecting them edits nothing.
#[test]
fn showing_lights_and_a_sky_beyond_their_sliders_does_not_edit_them() {
    use worldsmith::scene::{Light, LightKind};
    let mut scene = Scene::new("ui test");
    let light = |kind, intensity, range| {
        NodeKind::Light(Light {
            kind,
            color: [1.0, 0.9, 0.8],
            intensity,
            range,
            cast_shadows: true,
        })
    };
    let sun = scene.add_node(
        None,
        "Sun",
        Transform::IDENTITY,
        light(LightKind::Directional, 200_000.0, None),
    );
    let spot = scene.add_node(
        None,
        "Spot",
        Transform::IDENTITY,
        light(
            LightKind::Spot {
                inner_cone_rad: 0.9,
                outer_cone_rad: 0.5,
            },
            2.0e6,
            Some(250_000.0),
        ),
    );
    let camera = scene.add_node(
        None,
        "Telephoto",
        Transform::IDENTITY,
        NodeKind::Camera(worldsmith::scene::Camera {
            fov_y_rad: 0.5_f32.to_radians(),
            near: 0.01,
            far: None,
            ortho_half_height: None,
        }),
    );
    // A shape's parameters below its field's range (a 0.5 mm cube).
    let (add, tiny) = worldsmith::edit::ops::add_primitive(
        &mut scene,
        worldsmith::scene::Primitive::Cube { size: 0.0005 },
        None,
        Transform::IDENTITY,
    );
    History::default().execute(&mut scene, add);
    scene.environment_mut().exposure_ev100 = 30.0;
    scene.environment_mut().sky.turbidity = 12.0;
    scene.environment_mut().sky.intensity = 6.0;
    let original = scene.clone();
    let mut h = harness(State {
        scene,
        selection: Vec::new(),
        history: History::default(),
        region: Default::default(),
    });
    for selection in [vec![], vec![sun], vec![spot], vec![camera], vec![tiny]] {
        h.state_mut().selection = selection.clone();
        h.run();
        let shown = match selection.first() {
            None => "Sky turbidity",
            Some(&id) if id == camera => "Vertical FOV",
            Some(&id) if id == tiny => "Size",
            Some(_) => "Intensity",
        };
        assert!(h.query_by_label(shown).is_some(), "{shown} is shown");
        h.run();
        let s = h.state();
        assert_eq!(s.history.undo_len(), 0, "{selection:?}: nothing was edited");
        for id in [sun, spot, camera, tiny] {
            assert_eq!(
                s.scene.node(id).unwrap().kind,
                original.node(id).unwrap().kind
            );
        }
        assert_eq!(s.scene.environment, original.environment);
    }
}

/// The inspector of the node `node` of glTF `gltf` (written to a folder named `name`).
fn inspecting(
    name: &str,
    gltf: &serde_json::Value,
    node: &str,
) -> (Harness<'static, State>, NodeId) {
    let scene = imported(name, gltf);
    let id = scene.find(node).expect(node);
    let mut h = harness(State {
        scene,
        selection: vec![id],
        history: History::default(),
        region: Default::default(),
    });
    h.run();
    (h, id)
}

/// The scene of glTF `gltf`, written to a folder of its own named `name`.
fn imported(name: &str, gltf: &serde_json::Value) -> Scene {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("file.gltf");
    std::fs::write(&path, serde_json::to_vec(gltf).expect("json")).expect("write");
    worldsmith::import::import_path(&path)
        .expect("imports")
        .scene
}

#[test]
fn a_skinned_mesh_says_it_follows_its_joints() {
    let (mut h, _) = inspecting(
        "ws-inspector-skin",
        &crate::import_gltf_deform::arm_gltf(),
        "Arm",
    );
    assert!(h.query_by_label("Skin").is_some(), "a Skin row");
    assert!(h.query_by_label("follows 2 joints").is_some());
    // A joint says which mesh it moves.
    let elbow = h.state().scene.find("Elbow").expect("Elbow");
    h.state_mut().selection = vec![elbow];
    h.run();
    assert!(
        h.query_by_label("Group (joint)").is_some(),
        "a joint's type"
    );
    assert!(h.query_by_label("Moves").is_some() && h.query_by_label("Arm").is_some());
}

#[test]
fn shape_key_sliders_set_the_weights_in_one_undo_step() {
    let (mut h, face) = inspecting("ws-inspector-morph", &crate::morphs::face_gltf(), "Face");
    assert!(
        h.query_by_label("Shape keys").is_some(),
        "a Shape keys section"
    );
    assert!(h.query_by_label("Up").is_some() && h.query_by_label("Right").is_some());
    // The first slider of the section is "Up"'s: drag it to the right.
    let sliders: Vec<egui::Rect> = h
        .query_all_by_role(Role::Slider)
        .map(|n| n.rect())
        .collect();
    let up = *sliders
        .iter()
        .find(|r| (r.center().y - h.get_by_label("Up").rect().center().y).abs() < 8.0)
        .expect("a slider beside 'Up'");
    let y = up.center().y;
    let start = Pos2::new(up.left() + 2.0, y);
    h.hover_at(start);
    h.drag_at(start);
    h.run();
    for k in 1..=6 {
        h.hover_at(Pos2::new(up.left() + 2.0 + k as f32 * 10.0, y));
        h.run();
    }
    h.event(egui::Event::PointerButton {
        pos: Pos2::new(up.left() + 62.0, y),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run();
    let weights = |s: &State| s.scene.morph(face).expect("morph").weights.clone();
    let after = weights(h.state());
    assert!(after[0] > 0.05 && after[1] == 0.0, "Up moved: {after:?}");
    assert_eq!(h.state().history.undo_len(), 1, "one drag, one undo step");
    let s = h.state_mut();
    assert!(s.history.undo(&mut s.scene));
    assert_eq!(weights(h.state()), [0.0, 0.0]);
}

/// The centre of the widget of `role` on the same row as the label `label`.
fn beside(h: &Harness<'_, State>, role: Role, label: &str) -> Pos2 {
    let y = h.get_by_label(label).rect().center().y;
    h.query_all_by_role(role)
        .find(|n| (n.rect().center().y - y).abs() < 8.0)
        .map(|n| n.rect().center())
        .unwrap_or_else(|| panic!("a {role:?} beside '{label}'"))
}

/// The primary button pressed and released at `at` (one click, once the harness runs).
fn press_and_release(h: &mut Harness<'_, State>, at: Pos2) {
    h.hover_at(at);
    h.drag_at(at);
    h.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
}

#[test]
fn a_shape_key_checkbox_mutes_it_with_undo() {
    let (mut h, face) = inspecting("ws-inspector-mute", &crate::morphs::face_gltf(), "Face");
    let muted = |s: &State| {
        let morph = s.scene.morph(face).expect("morph");
        [morph.is_muted(0), morph.is_muted(1)]
    };
    // The checkbox on "Up"'s row, checked (in effect).
    let up = beside(&h, Role::CheckBox, "Up");
    press_and_release(&mut h, up);
    h.run();
    assert_eq!(muted(h.state()), [true, false]);
    assert_eq!(
        h.state().history.undo_label(),
        Some("Mute shape Up of Face")
    );
    let up = beside(&h, Role::CheckBox, "Up");
    press_and_release(&mut h, up);
    h.run();
    assert_eq!(muted(h.state()), [false, false], "checked again: unmuted");
    let s = h.state_mut();
    assert!(s.history.undo(&mut s.scene));
    assert_eq!(muted(h.state()), [true, false], "undo mutes it again");
}

#[test]
fn a_shape_key_menu_sets_its_slider_range_with_undo() {
    let (mut h, face) = inspecting("ws-inspector-range", &crate::morphs::face_gltf(), "Face");
    right_click(&mut h, "Up");
    // The menu's "Range max" value: click it to type.
    let at = beside(&h, Role::SpinButton, "Range max");
    press_and_release(&mut h, at);
    h.run();
    assert!(
        h.query_by_label("Range max").is_some(),
        "the menu stays open"
    );
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.event(egui::Event::Text("2.5".into()));
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    let range = |s: &State| s.scene.morph(face).expect("morph").range(0);
    assert_eq!(range(h.state()), [0.0, 2.5]);
    assert_eq!(
        h.state().history.undo_label(),
        Some("Range of shape Up of Face to 0–2.5")
    );
    let s = h.state_mut();
    assert!(s.history.undo(&mut s.scene));
    assert_eq!(range(h.state()), [0.0, 1.0]);
}

#[test]
fn double_clicking_a_shape_key_renames_it_with_undo() {
    let (mut h, face) = inspecting(
        "ws-inspector-rename-shape",
        &crate::morphs::face_gltf(),
        "Face",
    );
    let double_click = |h: &mut Harness<'static, State>, label: &str| {
        let at = h.get_by_label(label).rect().center();
        for _ in 0..2 {
            press_and_release(h, at);
            h.step();
        }
        h.run();
    };
    double_click(&mut h, "Up");
    let field = h.get_by_role_and_label(Role::TextInput, "Shape name");
    assert_eq!(field.value().as_deref(), Some("Up"));
    // The whole name is selected: typing replaces it.
    field.type_text("Brow up");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    let names = |s: &State| s.scene.morph(face).expect("morph").names.to_vec();
    assert_eq!(names(h.state()), ["Brow up", "Right"]);
    assert_eq!(
        h.state().history.undo_label(),
        Some("Rename shape Up of Face to Brow up")
    );
    assert!(
        h.query_by_label("Brow up").is_some(),
        "the new name is shown"
    );
    // F2 over a name starts a rename too; Esc cancels it.
    let right = h.get_by_label("Right").rect().center();
    h.hover_at(right);
    h.run();
    h.key_press(egui::Key::F2);
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Shape name")
        .type_text("Nope");
    h.run();
    h.key_press(egui::Key::Escape);
    h.run();
    assert_eq!(names(h.state()), ["Brow up", "Right"]);
    assert_eq!(h.state().history.undo_len(), 1);
    let s = h.state_mut();
    assert!(s.history.undo(&mut s.scene));
    assert_eq!(names(h.state()), ["Up", "Right"]);

    // The name's context menu deletes the shape key (one undo step).
    h.run();
    right_click(&mut h, "Up");
    h.get_by_label("Delete shape key").click();
    h.run();
    assert_eq!(names(h.state()), ["Right"]);
    assert_eq!(
        h.state().history.undo_label(),
        Some("Delete shape key Up of Face")
    );
    let s = h.state_mut();
    assert!(s.history.undo(&mut s.scene));
    assert_eq!(names(h.state()), ["Up", "Right"]);

    // And moves it down (one undo step); the last cannot go further.
    h.run();
    right_click(&mut h, "Up");
    h.get_by_label("Move down").click();
    h.run();
    assert_eq!(names(h.state()), ["Right", "Up"]);
    assert_eq!(
        h.state().history.undo_label(),
        Some("Move shape key Up of Face down")
    );
    right_click(&mut h, "Up");
    h.get_by_label("Move down").click();
    h.run();
    assert_eq!(names(h.state()), ["Right", "Up"], "already the last");
    assert_eq!(h.state().history.undo_len(), 1, "one move, one undo step");

    // The arrows beside the names do the same (the list arrows, as Blender's): "Up" moves
    // back up; the first key's up arrow and the last's down arrow are greyed out. (Esc
    // closes the menu the greyed-out Move down left open.)
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(
        h.get_by_label("Move Right up")
            .accesskit_node()
            .is_disabled()
            && h.get_by_label("Move Up down")
                .accesskit_node()
                .is_disabled(),
        "the ends cannot move further"
    );
    h.get_by_label("Move Up up").click();
    h.run();
    assert_eq!(names(h.state()), ["Up", "Right"]);
    assert_eq!(
        h.state().history.undo_label(),
        Some("Move shape key Up of Face up")
    );
    h.get_by_label("Move Up down").click();
    h.run();
    assert_eq!(names(h.state()), ["Right", "Up"]);
    assert_eq!(h.state().history.undo_len(), 3, "a move, an undo step");
}

/// Right-clicks the widget labelled `label` (opening its context menu).
fn right_click(h: &mut Harness<'_, State>, label: &str) {
    let at = h.get_by_label(label).rect().center();
    h.hover_at(at);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Secondary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    h.run();
}

#[test]
fn one_key_button_keys_every_shape_weight() {
    use worldsmith::ui::{Keying, TimelineAction, inspector_keyed_ui};
    let scene = imported("ws-inspector-keys", &crate::morphs::face_gltf());
    let face = scene.find("Face").expect("Face");
    let actions = std::cell::RefCell::new(Vec::new());
    let mut h = Harness::builder()
        .with_size(egui::vec2(360.0, 700.0))
        .with_accessibility_check(false)
        .build_ui(|ui| {
            let shot = &scene.timeline().shots[0];
            let keying = Keying {
                shot: Some(shot),
                frame: 30.0,
            };
            let mut region = worldsmith::ui::CloudTools::default();
            let mut out = Vec::new();
            inspector_keyed_ui(
                ui,
                &scene,
                None,
                &[face],
                &mut region,
                Some(&keying),
                &mut out,
            );
            actions.borrow_mut().extend(out);
        });
    h.run();
    assert!(h.query_by_label("All shapes").is_some());
    // The first "Key Shape weight" button is the All row's (above each shape's own).
    actions.borrow_mut().clear();
    h.query_all_by_label("Key Shape weight")
        .next()
        .expect("a key button")
        .click();
    h.run();
    let keyed: Vec<_> = actions
        .borrow()
        .iter()
        .filter_map(|a| match a {
            UiAction::Timeline(TimelineAction::Key(channels)) => Some(channels.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        keyed,
        [vec![
            worldsmith::scene::Channel::MorphWeight(face, 0),
            worldsmith::scene::Channel::MorphWeight(face, 1)
        ]]
    );
}

#[test]
fn select_joints_selects_the_rig_of_a_skinned_mesh() {
    use worldsmith::ui::inspector_ui;
    let scene = imported(
        "ws-inspector-select-joints",
        &crate::import_gltf_deform::arm_gltf(),
    );
    let arm = scene.find("Arm").expect("Arm");
    let actions = std::cell::RefCell::new(Vec::new());
    let mut h = Harness::builder()
        .with_size(egui::vec2(360.0, 700.0))
        .with_accessibility_check(false)
        .build_ui(|ui| {
            let mut region = worldsmith::ui::CloudTools::default();
            let mut out = Vec::new();
            inspector_ui(ui, &scene, None, &[arm], &mut region, &mut out);
            actions.borrow_mut().extend(out);
        });
    h.run();
    h.get_by_label("Select joints").click();
    h.run();
    let joints = vec![
        scene.find("Shoulder").expect("Shoulder"),
        scene.find("Elbow").expect("Elbow"),
    ];
    assert!(
        actions
            .borrow()
            .iter()
            .any(|a| matches!(a, UiAction::Select(nodes) if *nodes == joints)),
        "{:?}",
        actions.borrow()
    );
}

#[test]
fn a_camera_turns_orthographic_and_back_with_undo() {
    let mut scene = Scene::new("Camera");
    let camera = scene.add_node(
        None,
        "Cam",
        Transform::IDENTITY,
        NodeKind::Camera(worldsmith::scene::Camera::default()),
    );
    let mut h = harness(State {
        scene,
        selection: vec![camera],
        history: History::default(),
        region: Default::default(),
    });
    h.run();
    let lens = |s: &State| match s.scene.node(camera).map(|n| &n.kind) {
        Some(NodeKind::Camera(c)) => *c,
        other => panic!("{other:?}"),
    };
    assert!(h.query_by_label("Vertical FOV").is_some());
    let combo = beside(&h, Role::ComboBox, "Projection");
    press_and_release(&mut h, combo);
    h.run();
    h.get_by_label("Orthographic").click();
    h.run();
    // What the 50° view shows 10 m ahead: 2 · 10 · tan 25° = 9.33 m tall.
    let half_height = lens(h.state()).ortho_half_height.expect("orthographic");
    assert!((half_height - 10.0 * 25f32.to_radians().tan()).abs() < 1e-4);
    assert!(h.query_by_label("Height").is_some() && h.query_by_label("Vertical FOV").is_none());
    assert_eq!(h.state().history.undo_len(), 1);
    let s = h.state_mut();
    assert!(s.history.undo(&mut s.scene));
    assert_eq!(
        lens(h.state()).ortho_half_height,
        None,
        "undo: perspective again"
    );
}

/// The selected node's translation.
fn translation(s: &State) -> glam::Vec3 {
    s.scene
        .node(s.selection[0])
        .map_or(glam::Vec3::NAN, |n| n.transform.translation)
}

/// In a narrow inspector the transform's X, Y and Z fields go one under another, each whole
/// inside the panel (they scrolled sideways out of it before), and dragging one still edits
/// that axis alone in one undo step; in a wide one they stay side by side.
#[test]
fn a_narrow_inspector_stacks_the_transform_fields_inside_the_panel() {
    let state = || {
        let mut scene = Scene::new("ui test");
        let mut at = Transform::IDENTITY;
        at.translation = glam::Vec3::new(-32.147, 5.915, 2.098);
        let node = scene.add_node(None, "Lamp", at, NodeKind::Empty);
        State {
            scene,
            selection: vec![node],
            history: History::default(),
            region: Default::default(),
        }
    };
    // Fields of the translation, rotation and scale rows, top to bottom, left to right.
    let fields = |h: &Harness<'_, State>| {
        let mut rects: Vec<egui::Rect> = h
            .query_all_by_role(Role::SpinButton)
            .map(|n| n.rect())
            .collect();
        rects.sort_by(|a, b| {
            (a.top(), a.left())
                .partial_cmp(&(b.top(), b.left()))
                .unwrap()
        });
        rects
    };

    // The editor's inspector in a 640-point window: 220 points, no room to widen.
    let mut h = panel_harness(state(), egui::vec2(220.0, 700.0), Some(204.0));
    h.run();
    let rects = fields(&h);
    assert_eq!(
        rects.len(),
        9,
        "translation, rotation and scale fields: {rects:?}"
    );
    for r in &rects {
        assert!(
            r.right() <= 220.0,
            "a field runs out of the 220-point panel: {r:?}"
        );
    }
    for row in rects.chunks(3) {
        assert!(
            row.windows(2)
                .all(|w| w[1].top() >= w[0].bottom() - 1.0
                    && (w[1].left() - w[0].left()).abs() < 1.0),
            "one under another: {row:?}"
        );
    }
    // Drag the translation's Y field right: Y grows, X and Z stay, one undo step.
    let y_field = rects[1];
    let start = y_field.center();
    h.hover_at(start);
    h.drag_at(start);
    h.run();
    for k in 1..=6 {
        h.hover_at(start + egui::vec2(k as f32 * 8.0, 0.0));
        h.run();
    }
    h.event(egui::Event::PointerButton {
        pos: start + egui::vec2(48.0, 0.0),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run();
    let after = translation(h.state());
    assert!(after.y > 5.915, "the drag moved Y up: {after}");
    assert_eq!(
        (after.x, after.z),
        (-32.147, 2.098),
        "only Y moved: {after}"
    );
    assert_eq!(h.state().history.undo_len(), 1, "one drag, one undo step");

    // With room (a large window's inspector), the rows stay side by side.
    let mut h = panel_harness(state(), egui::vec2(360.0, 700.0), Some(470.0));
    h.run();
    let rects = fields(&h);
    assert_eq!(rects.len(), 9);
    for row in rects.chunks(3) {
        assert!(
            row.windows(2)
                .all(|w| (w[1].top() - w[0].top()).abs() < 1.0 && w[1].left() > w[0].right()),
            "side by side: {row:?}"
        );
    }
}

/// In a narrow inspector every widget of a mesh with shape keys and a textured glass
/// material stays inside the panel: rows of several widgets wrap at its edge and sliders
/// shorten their rails (the material's rows, "film IOR" and the sliders' values ran past it
/// before). A shortened slider still edits its value in one undo step.
#[test]
fn a_narrow_inspector_keeps_every_widget_inside_the_panel() {
    use worldsmith::scene::{AlphaMode, Image, Sampler, TextureRef};
    let mut scene = imported("ws-inspector-narrow", &crate::morphs::face_gltf());
    let face = scene.find("Face").expect("Face");
    let NodeKind::Mesh { material, .. } = scene.node(face).expect("face").kind else {
        panic!("Face is a mesh");
    };
    let image = Image::new(
        "T_Face_BaseColor_Albedo_4096_final_v2.png",
        1,
        1,
        vec![200; 4],
    )
    .expect("a 1×1 image");
    let image = scene.add_image(image);
    let m = scene.material_mut(material).expect("its material");
    m.base_color_texture = Some(TextureRef::new(image, Sampler::default()));
    // Glass (the volume row) with an alpha cutoff (the cutoff slider).
    m.transmission = 1.0;
    m.thickness = 0.5;
    m.alpha_mode = AlphaMode::Mask { cutoff: 0.5 };
    m.metallic = 0.0;
    // Lights at the top of their sliders: the widest values they show.
    use worldsmith::scene::{Light, LightKind};
    let lights: Vec<NodeId> = [
        (LightKind::Directional, 150_000.0),
        (
            LightKind::Spot {
                inner_cone_rad: 0.2,
                outer_cone_rad: 0.6,
            },
            1.0e6,
        ),
    ]
    .into_iter()
    .map(|(kind, intensity)| {
        let light = NodeKind::Light(Light {
            kind,
            color: [1.0; 3],
            intensity,
            range: Some(12_345.6),
            cast_shadows: true,
        });
        scene.add_node(None, "Light", Transform::IDENTITY, light)
    })
    .collect();
    let state = State {
        scene,
        selection: vec![face],
        history: History::default(),
        region: Default::default(),
    };
    // The editor's inspector in a 640-point window: 220 points, no room to widen (tall, so
    // that the pointer reaches the material's rows without scrolling).
    let mut h = panel_harness(state, egui::vec2(220.0, 2000.0), Some(204.0));
    h.run();
    // The widgets shown, and those past the panel's edge.
    let widgets = |h: &Harness<'_, State>| {
        let all: Vec<_> = [
            Role::SpinButton,
            Role::Slider,
            Role::Button,
            Role::CheckBox,
            Role::ComboBox,
            Role::Label,
        ]
        .into_iter()
        .flat_map(|role| {
            h.query_all_by_role(role)
                .map(|n| (n.rect(), n.accesskit_node().label()))
        })
        .collect();
        let outside: Vec<_> = all
            .iter()
            .filter(|(r, _)| r.right() > 220.5)
            .cloned()
            .collect();
        (all, outside)
    };
    let (all, outside) = widgets(&h);
    assert!(all.len() > 60, "only {} widgets", all.len());
    assert!(
        outside.is_empty(),
        "past the 220-point panel's edge: {outside:?}"
    );
    for label in [
        "Shape keys",
        "Textures",
        "Volume",
        "film IOR",
        "Iridescence",
    ] {
        assert!(
            h.query_all_by_label_contains(label).next().is_some(),
            "{label:?} is shown"
        );
    }
    // Drag the metallic slider's rail to its right end: metallic goes to 1 in one step.
    let y = h.get_by_label("Metallic").rect().center().y;
    let rail = h
        .query_all_by_role(Role::Slider)
        .map(|n| n.rect())
        .find(|r| (r.center().y - y).abs() < 8.0)
        .expect("a slider beside 'Metallic'");
    assert!(rail.width() >= 24.0, "a rail to aim at: {rail:?}");
    let start = Pos2::new(rail.left() + 1.0, rail.center().y);
    h.hover_at(start);
    h.drag_at(start);
    h.run();
    let end = Pos2::new(rail.right() + 20.0, rail.center().y);
    h.hover_at(end);
    h.run();
    h.event(egui::Event::PointerButton {
        pos: end,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run();
    let s = h.state();
    assert_eq!(s.scene.material(material).expect("material").metallic, 1.0);
    assert_eq!(s.history.undo_len(), 1, "one drag, one undo step");
    // A sun and a spot at their sliders' tops ("150000 lux", "1000000 cd").
    for light in lights {
        h.state_mut().selection = vec![light];
        h.run();
        let (all, outside) = widgets(&h);
        assert!(all.len() > 20, "only {} widgets", all.len());
        assert!(
            outside.is_empty(),
            "a light's widgets past the 220-point panel's edge: {outside:?}"
        );
    }
}
