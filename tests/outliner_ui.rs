//! The outliner driven like a user would (egui_kittest: clicks, keys, drags, no window):
//! each test asserts what changed in the selection or the scene.

use egui::{Key, Modifiers, Pos2, accesskit::Role};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use glam::Vec3;
use worldsmith::edit::History;
use worldsmith::edit::ops::Operation;
use worldsmith::scene::{NodeId, NodeKind, Scene, Transform};
use worldsmith::ui::{UiAction, outliner_ui};

/// What the outliner works on: the scene, the selection and the undo history.
struct State {
    scene: Scene,
    selection: Vec<NodeId>,
    history: History,
    /// Operations and framing asked for (the editor runs them; here they are only recorded).
    asked: Vec<UiAction>,
}

/// Buildings/House_03/Roof, Buildings/House_04, Lights.
fn state() -> State {
    let mut scene = Scene::new("ui test");
    let buildings = scene.add_node(None, "Buildings", Transform::IDENTITY, NodeKind::Empty);
    let house = scene.add_node(
        Some(buildings),
        "House_03",
        Transform::from_translation(Vec3::new(10.0, 0.0, 0.0)),
        NodeKind::Empty,
    );
    scene.add_node(
        Some(house),
        "Roof",
        Transform::from_translation(Vec3::new(0.0, 3.0, 0.0)),
        NodeKind::Empty,
    );
    scene.add_node(
        Some(buildings),
        "House_04",
        Transform::IDENTITY,
        NodeKind::Empty,
    );
    scene.add_node(None, "Lights", Transform::IDENTITY, NodeKind::Empty);
    State {
        scene,
        selection: Vec::new(),
        history: History::default(),
        asked: Vec::new(),
    }
}

fn harness(state: State) -> Harness<'static, State> {
    harness_sized(state, egui::vec2(320.0, 400.0))
}

fn harness_sized(state: State, size: egui::Vec2) -> Harness<'static, State> {
    Harness::builder()
        .with_size(size)
        .with_step_dt(1.0 / 60.0)
        // Tooltips wait a few frames before showing.
        .with_max_steps(64)
        .build_ui_state(
            |ui, s: &mut State| {
                if let Some(action) = outliner_ui(ui, &s.scene, &mut s.selection) {
                    match action {
                        UiAction::Edit(command) => {
                            s.history.execute(&mut s.scene, command);
                        }
                        asked @ (UiAction::Operation(_) | UiAction::FrameSelected) => {
                            s.asked.push(asked);
                        }
                        other => panic!("unexpected action {other:?}"),
                    }
                }
            },
            state,
        )
}

fn id(h: &Harness<'_, State>, name: &str) -> NodeId {
    h.state().scene.find(name).expect(name)
}

/// The middle of the row's toggle `n` from the right end (0 = eye, 1 = padlock).
fn toggle_pos(h: &Harness<'_, State>, name: &str, n: f32) -> Pos2 {
    let rect = h.get_by_label(name).rect();
    Pos2::new(rect.right() - 11.0 - 22.0 * n, rect.center().y)
}

fn click_at(h: &mut Harness<'_, State>, pos: Pos2) {
    h.hover_at(pos);
    h.drag_at(pos);
    h.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run();
}

#[test]
fn clicks_select_and_modifier_clicks_add_or_toggle() {
    let mut h = harness(state());
    h.run();
    h.get_by_label("House_03").click();
    h.run();
    assert_eq!(h.state().selection, vec![id(&h, "House_03")]);
    h.get_by_label("Lights").click_modifiers(Modifiers::SHIFT);
    h.run();
    assert_eq!(
        h.state().selection,
        vec![id(&h, "House_03"), id(&h, "Lights")],
        "Shift-click adds, the new node is active"
    );
    h.get_by_label("House_03")
        .click_modifiers(Modifiers::COMMAND);
    h.run();
    assert_eq!(
        h.state().selection,
        vec![id(&h, "Lights")],
        "Ctrl-click toggles"
    );
    h.get_by_label("Buildings").click();
    h.run();
    assert_eq!(h.state().selection, vec![id(&h, "Buildings")]);
}

#[test]
fn the_eye_hides_and_the_padlock_locks_as_undoable_edits() {
    let mut h = harness(state());
    h.run();
    let lights = id(&h, "Lights");
    let eye = toggle_pos(&h, "Lights", 0.0);
    click_at(&mut h, eye);
    assert!(!h.state().scene.node(lights).unwrap().visible);
    assert!(h.state().selection.is_empty(), "the eye does not select");
    let lock = toggle_pos(&h, "Lights", 1.0);
    click_at(&mut h, lock);
    assert!(h.state().scene.node(lights).unwrap().locked);
    assert_eq!(h.state().history.undo_label(), Some("Lock Lights"));
    let s = h.state_mut();
    assert!(s.history.undo(&mut s.scene));
    assert!(s.history.undo(&mut s.scene));
    let node = s.scene.node(lights).unwrap();
    assert!(node.visible && !node.locked);
}

#[test]
fn f2_renames_inline_enter_commits_and_escape_cancels() {
    let mut h = harness(state());
    h.run();
    let lights = id(&h, "Lights");
    h.get_by_label("Lights").click();
    h.run();
    h.key_press(Key::F2);
    h.run();
    let field = h.get_by_role_and_label(Role::TextInput, "Name");
    assert_eq!(field.value().as_deref(), Some("Lights"));
    // The whole name is selected: typing replaces it.
    field.type_text("Lamps");
    h.run();
    h.key_press(Key::Enter);
    h.run();
    assert_eq!(h.state().scene.node(lights).unwrap().name, "Lamps");
    assert_eq!(
        h.state().history.undo_label(),
        Some("Rename Lights to Lamps")
    );
    assert!(
        h.query_by_role_and_label(Role::TextInput, "Name").is_none(),
        "the field closed"
    );

    h.key_press(Key::F2);
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name")
        .type_text("Nope");
    h.run();
    h.key_press(Key::Escape);
    h.run();
    assert_eq!(h.state().scene.node(lights).unwrap().name, "Lamps");
    assert_eq!(h.state().history.undo_len(), 1);
    assert_eq!(
        h.state().selection,
        vec![lights],
        "Esc cancels the rename only"
    );
}

#[test]
fn double_click_starts_a_rename() {
    let mut h = harness(state());
    h.run();
    let row = h.get_by_label("House_04").rect().center();
    // Two clicks a frame (1/60 s) apart.
    for _ in 0..2 {
        h.hover_at(row);
        h.drag_at(row);
        h.event(egui::Event::PointerButton {
            pos: row,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: Modifiers::NONE,
        });
        h.step();
    }
    h.run();
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Name")
            .value()
            .as_deref(),
        Some("House_04")
    );
    assert_eq!(h.state().selection, vec![id(&h, "House_04")]);
}

#[test]
fn dragging_a_row_onto_another_reparents_and_keeps_the_world_pose() {
    let mut h = harness(state());
    h.run();
    let house = id(&h, "House_03");
    let lights = id(&h, "Lights");
    let world_before = h.state().scene.world_from_local(house);
    let from = h.get_by_label("House_03").rect().center();
    let to = h.get_by_label("Lights").rect().center();
    h.hover_at(from);
    h.drag_at(from);
    h.run();
    for i in 1..=8 {
        h.hover_at(from + (to - from) * (i as f32 / 8.0));
        h.run();
    }
    h.drop_at(to);
    h.run();
    let scene = &h.state().scene;
    assert_eq!(scene.node(house).unwrap().parent, Some(lights));
    assert_eq!(scene.node(lights).unwrap().children, vec![house]);
    assert!(
        scene
            .world_from_local(house)
            .abs_diff_eq(world_before, 1e-5)
    );
    assert_eq!(
        h.state().history.undo_label(),
        Some("Move House_03 into Lights")
    );
}

#[test]
fn dropping_on_the_title_line_moves_to_the_top_level() {
    let mut h = harness(state());
    h.run();
    let roof = id(&h, "Roof");
    h.state_mut().selection = vec![roof];
    h.run();
    let from = h.get_by_label("Roof").rect().center();
    let to = Pos2::new(100.0, 10.0);
    h.hover_at(from);
    h.drag_at(from);
    h.run();
    for i in 1..=8 {
        h.hover_at(from + (to - from) * (i as f32 / 8.0));
        h.run();
    }
    assert!(
        h.query_by_label("Drop here: move to the top level")
            .is_some()
    );
    h.drop_at(to);
    h.run();
    let scene = &h.state().scene;
    assert_eq!(scene.node(roof).unwrap().parent, None);
    assert_eq!(scene.roots().last(), Some(&roof));
    // House_03 was at x = 10, the roof 3 m above it: it stays there.
    let at = scene.world_from_local(roof).w_axis.truncate();
    assert!(at.abs_diff_eq(Vec3::new(10.0, 3.0, 0.0), 1e-5), "{at}");
}

#[test]
fn the_filter_shows_matches_with_their_ancestors() {
    let mut h = harness(state());
    h.run();
    assert!(h.query_by_label("Roof").is_none(), "House_03 starts closed");
    let filter = h.get_by_role_and_label(Role::TextInput, "Filter by name");
    filter.focus();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Filter by name")
        .type_text("roof");
    h.run();
    for name in ["Buildings", "House_03", "Roof"] {
        assert!(h.query_by_label(name).is_some(), "{name} shown");
    }
    assert!(h.query_by_label("Lights").is_none());
    assert!(h.query_by_label("House_04").is_none());
    h.get_by_label("Roof").click();
    h.run();
    assert_eq!(h.state().selection, vec![id(&h, "Roof")]);
}

#[test]
fn a_selection_made_elsewhere_opens_its_branch() {
    let mut h = harness(state());
    h.run();
    assert!(h.query_by_label("Roof").is_none());
    let roof = id(&h, "Roof");
    h.state_mut().selection = vec![roof];
    h.run();
    assert!(
        h.query_by_label("Roof").is_some(),
        "the viewport's pick is revealed"
    );
}

#[test]
fn a_right_click_selects_the_row_and_offers_the_edit_operations() {
    let mut h = harness(state());
    h.run();
    h.get_by_label("House_03").click();
    h.run();
    // On a row outside the selection: that row alone is selected, and the menu opens.
    h.get_by_label("Lights").click_secondary();
    h.run();
    assert_eq!(h.state().selection, vec![id(&h, "Lights")]);
    // No mesh selected: the Mesh submenu is disabled.
    assert!(h.get_by_label("Mesh").accesskit_node().is_disabled());
    assert!(
        !h.get_by_label("Place on Grid")
            .accesskit_node()
            .is_disabled()
    );
    h.get_by_label("Place on Grid").click();
    h.run();
    assert!(
        matches!(
            h.state().asked.as_slice(),
            [UiAction::Operation(Operation::PlaceOnGrid)]
        ),
        "{:?}",
        h.state().asked
    );
    assert!(
        h.query_by_label("Place on Grid").is_none(),
        "the menu closed"
    );
    // On a row inside a selection of several: the selection stays.
    h.get_by_label("House_03").click_modifiers(Modifiers::SHIFT);
    h.run();
    h.get_by_label("House_03").click_secondary();
    h.run();
    assert_eq!(
        h.state().selection,
        vec![id(&h, "Lights"), id(&h, "House_03")]
    );
    h.get_by_label("Origin to Geometry").click();
    h.run();
    assert!(matches!(
        h.state().asked.last(),
        Some(UiAction::Operation(Operation::OriginToGeometry))
    ));
    h.get_by_label("House_03").click_secondary();
    h.run();
    // (A button's accessible label ends with its shortcut.)
    h.get_by_label_contains("Frame Selected").click();
    h.run();
    assert!(matches!(
        h.state().asked.last(),
        Some(UiAction::FrameSelected)
    ));
    // Rename starts the inline editor on the row.
    h.get_by_label("Lights").click_secondary();
    h.run();
    h.get_by_label_contains("Rename").click();
    h.run();
    assert!(
        h.query_by_role_and_label(Role::TextInput, "Name").is_some(),
        "the inline rename field is open"
    );
}

/// Where the outliner painted the text `text` (its full string, before any "…").
fn painted_text(h: &Harness<'_, State>, text: &str) -> egui::Rect {
    h.output()
        .shapes
        .iter()
        .find_map(|clipped| match &clipped.shape {
            egui::Shape::Text(shape) if shape.galley.job.text == text => {
                Some(shape.visual_bounding_rect())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no text {text:?} painted"))
}

#[test]
fn a_long_name_ends_with_an_ellipsis_before_the_toggles_and_shows_whole_on_hover() {
    let long = "node_damagedHelmet_-6514_with_a_name_longer_than_the_panel";
    let mut s = state();
    s.scene
        .add_node(None, long, Transform::IDENTITY, NodeKind::Empty);
    let mut h = harness(s);
    h.run();
    let row = h.get_by_label(long).rect();
    let name = painted_text(&h, long);
    let padlock_left = toggle_pos(&h, long, 1.0).x - 11.0;
    assert!(
        name.right() < padlock_left,
        "the name runs to x = {} under the padlock at {padlock_left} (row {row:?})",
        name.right()
    );
    assert!(
        name.width() > 0.5 * (padlock_left - row.left()),
        "the name keeps the room it has: {name:?}"
    );
    // A short name is painted whole.
    let lights = painted_text(&h, "Lights");
    assert!(lights.right() < padlock_left);

    // Hovering the name shows it whole.
    h.hover_at(name.center());
    for _ in 0..40 {
        h.step();
    }
    h.run();
    assert!(
        h.query_all_by_label_contains(long).count() >= 2,
        "a tooltip with the whole name shows beside the row"
    );
}

/// Whether the outliner painted the text `text`.
fn painted(h: &Harness<'_, State>, text: &str) -> bool {
    h.output().shapes.iter().any(|clipped| {
        matches!(&clipped.shape, egui::Shape::Text(shape) if shape.galley.job.text == text)
    })
}

#[test]
fn the_visible_count_shortens_and_then_goes_in_a_narrow_column() {
    for (width, long, short) in [
        (320.0, true, false),
        (125.0, false, true),
        (80.0, false, false),
    ] {
        let mut h = harness_sized(state(), egui::vec2(width, 300.0));
        h.run();
        assert_eq!(painted(&h, "5 of 5 visible"), long, "{width}");
        assert_eq!(painted(&h, "5/5"), short, "{width}");
        for text in ["5 of 5 visible", "5/5"]
            .into_iter()
            .filter(|t| painted(&h, t))
        {
            let right = painted_text(&h, text).right();
            assert!(right <= width, "{text} runs to {right} in {width}");
        }
    }
}
