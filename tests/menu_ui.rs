//! The menu bar driven like a user would (egui_kittest, no window): the View menu stays open
//! while its settings change, and its commands close it.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use worldsmith::render::{Matcap, Overlays, RenderSettings, SolidLighting};
use worldsmith::scene::Scene;
use worldsmith::ui::{Dialogs, UiAction, menu_bar_ui};

struct State {
    scene: Scene,
    overlays: Overlays,
    dialogs: Dialogs,
    actions: Vec<String>,
}

fn harness() -> Harness<'static, State> {
    sized_harness(egui::vec2(900.0, 700.0))
}

fn sized_harness(size: egui::Vec2) -> Harness<'static, State> {
    scene_harness(size, Scene::new("Menus"))
}

fn scene_harness(size: egui::Vec2, scene: Scene) -> Harness<'static, State> {
    Harness::builder()
        .with_size(size)
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(64)
        .build_ui_state(
            |ui, s: &mut State| {
                let mut actions = Vec::new();
                menu_bar_ui(
                    ui,
                    &s.scene,
                    7,
                    false,
                    false,
                    &[],
                    &mut s.overlays,
                    &mut s.dialogs,
                    &[],
                    &[None, None],
                    &mut actions,
                );
                s.actions
                    .extend(actions.iter().map(|a: &UiAction| format!("{a:?}")));
            },
            State {
                scene,
                overlays: RenderSettings::viewport().overlays,
                dialogs: Dialogs::default(),
                actions: Vec::new(),
            },
        )
}

#[test]
fn the_view_menu_stays_open_while_settings_change_and_closes_on_a_command() {
    let mut h = harness();
    h.run();
    assert!(h.query_by_label("Bones").is_none(), "closed at first");
    h.get_by_label("View").click();
    h.run();
    // Three settings in one visit: the menu stays open after each.
    h.get_by_label("Grid").click();
    h.run();
    assert!(!h.state().overlays.grid, "the grid is off");
    h.get_by_label("Bones").click();
    h.run();
    assert!(!h.state().overlays.bones, "the bones are off");
    h.get_by_label("Solid (Z)").click();
    h.run();
    h.get_by_label("MatCap").click();
    h.run();
    assert_eq!(
        h.state().overlays.solid_lighting,
        SolidLighting::MatCap(Matcap::Ceramic)
    );
    // The MatCaps show at once, in the same open menu.
    h.get_by_label("Metal").click();
    h.run();
    let o = h.state().overlays;
    assert!(o.solid && o.solid_lighting == SolidLighting::MatCap(Matcap::Metal));
    assert!(h.state().actions.is_empty(), "{:?}", h.state().actions);
    // Beside it, X-ray's opacity.
    assert!(h.query_by_label("X-ray opacity").is_some());
    // X-ray is a setting too (the editor applies it): the menu stays open.
    h.get_by(|n| {
        n.role() == egui::accesskit::Role::Button
            && n.label().is_some_and(|l| l.starts_with("X-ray"))
    })
    .click();
    h.run();
    assert_eq!(h.state().actions, vec!["ToggleXray".to_owned()]);
    assert!(h.query_by_label("Bones").is_some(), "the menu stayed open");
    // A command closes it.
    h.get_by_label_contains("Reset view").click();
    h.run();
    assert_eq!(
        h.state().actions,
        vec!["ToggleXray".to_owned(), "ResetView".to_owned()]
    );
    assert!(h.query_by_label("Bones").is_none(), "the menu closed");
    // A command in a submenu closes the whole menu too.
    h.get_by_label("View").click();
    h.run();
    h.get_by_label("Align view").click();
    h.run();
    h.get_by_label_contains("Top").click();
    h.run();
    assert_eq!(h.state().actions.len(), 3, "{:?}", h.state().actions);
    assert!(
        h.state().actions[2].contains("Top"),
        "{:?}",
        h.state().actions
    );
    assert!(h.query_by_label("Bones").is_none(), "the menu closed");
}

/// Where the open menus (and submenus) are drawn.
fn open_menus(h: &Harness<'_, State>) -> Vec<egui::Rect> {
    h.ctx.memory(|m| {
        m.areas()
            .visible_layer_ids()
            .into_iter()
            .filter(|l| l.order == egui::Order::Foreground)
            .filter_map(|l| m.area_rect(l.id))
            .collect()
    })
}

/// Every menu of the menu bar opens whole inside the smallest editor window (640×420):
/// the View menu, taller than that, scrolls below the menu bar (it ran off the screen's
/// bottom, its last items out of reach), and its last item can still be clicked.
#[test]
fn every_menu_opens_inside_the_smallest_window() {
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(640.0, 420.0));
    for menu in ["File", "Edit", "Add", "View", "Render", "Help"] {
        let mut h = sized_harness(screen.size());
        h.run();
        h.get_by_label(menu).click();
        h.run();
        let popups = open_menus(&h);
        assert_eq!(popups.len(), 1, "{menu}: {popups:?}");
        let popup = popups[0];
        assert!(
            screen.contains_rect(popup) && popup.top() >= 20.0,
            "{menu}: the menu at {popup:?} leaves the screen or covers the menu bar"
        );
    }
    // The View menu's last item, scrolled to, works.
    let mut h = sized_harness(screen.size());
    h.run();
    h.get_by_label("View").click();
    h.run();
    let last = h.get_by_label("Key camera from view");
    last.scroll_to_me();
    h.run();
    let last = h.get_by_label("Key camera from view");
    assert!(
        screen.contains_rect(last.rect()),
        "scrolled into view: {:?}",
        last.rect()
    );
    // A submenu in the scrolled menu opens and its command runs.
    h.get_by_label("Align view").click();
    h.run();
    h.get_by_label_contains("Top").click();
    h.run();
    assert_eq!(h.state().actions.len(), 1, "{:?}", h.state().actions);
    assert!(
        h.state().actions[0].contains("Top"),
        "{:?}",
        h.state().actions
    );
}

/// A world folder's hundreds of cameras: View ▸ View through camera lists them within the
/// window's height (scrolling), and the last one can be chosen.
#[test]
fn hundreds_of_cameras_scroll_inside_the_window() {
    use worldsmith::scene::{Camera, NodeKind, Transform};
    let mut scene = Scene::new("World folder");
    for i in 0..300 {
        let name = format!("{i:06}.png");
        scene.add_node(
            None,
            &name,
            Transform::IDENTITY,
            NodeKind::Camera(Camera::default()),
        );
    }
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(640.0, 420.0));
    let mut h = scene_harness(screen.size(), scene);
    h.run();
    h.get_by_label("View").click();
    h.run();
    let submenu = h.get_by_label("View through camera");
    submenu.scroll_to_me();
    h.run();
    h.get_by_label("View through camera").click();
    h.run();
    let popups = open_menus(&h);
    assert_eq!(popups.len(), 2, "the menu and its submenu: {popups:?}");
    for popup in popups {
        assert!(
            screen.contains_rect(popup),
            "a menu at {popup:?} leaves the screen"
        );
    }
    let last = h.get_by_label("000299.png");
    last.scroll_to_me();
    h.run();
    let last = h.get_by_label("000299.png");
    assert!(screen.contains_rect(last.rect()), "{:?}", last.rect());
    last.click();
    h.run();
    assert_eq!(h.state().actions.len(), 1, "{:?}", h.state().actions);
    assert!(
        h.state().actions[0].starts_with("ViewThroughCamera"),
        "{:?}",
        h.state().actions
    );
}
