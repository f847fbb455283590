//! The outliner: the scene hierarchy as a collapsible tree, with a name filter.
//!
//! Only the rows on screen are laid out (`ScrollArea::show_rows`), so a world with tens of
//! thousands of nodes costs no more per frame than one with fifty. Which branches are open is
//! UI state kept in egui's memory; the selection belongs to the caller.

use super::UiAction;
use super::icons::{node_icon, paint_icon, paint_tree_arrow};
use crate::scene::{Node, NodeId, Scene};
use egui::{Align2, FontId, Id, Sense, Ui, pos2, vec2};
use std::collections::HashSet;

const ROW_HEIGHT: f32 = 20.0;
const INDENT: f32 = 14.0;
const ARROW_WIDTH: f32 = 14.0;
const ICON_SIZE: f32 = 14.0;
/// Width of the show/hide toggle at the right end of each row.
const EYE_WIDTH: f32 = 22.0;

/// Outliner state that lives in egui memory between frames.
#[derive(Clone, Default)]
struct OutlinerMemory {
    /// Nodes whose open/closed state differs from the default (see [`open_by_default`]).
    toggled: HashSet<NodeId>,
    filter: String,
    /// Name and node count of the scene `toggled` refers to; a new world resets it.
    scene_key: (String, usize),
}

/// One line of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Row {
    id: NodeId,
    depth: usize,
    has_children: bool,
    open: bool,
    /// A filter result, shown flat with the name of its parent.
    flat: bool,
}

/// Shows the hierarchy of `scene`; a click selects one node, Shift/Ctrl-click toggles a node
/// in the selection, and a double click asks to frame it.
pub fn outliner_ui(ui: &mut Ui, scene: &Scene, selection: &mut Vec<NodeId>) -> Option<UiAction> {
    let memory_id = Id::unique("worldsmith_outliner");
    let mut memory: OutlinerMemory = ui.data_mut(|d| d.remove_temp(memory_id).unwrap_or_default());
    let scene_key = (scene.name.clone(), scene.node_count());
    if memory.scene_key != scene_key {
        memory.toggled.clear();
        memory.scene_key = scene_key;
    }

    let walk = scene.walk();
    let visible = walk.iter().filter(|wn| wn.visible).count();
    ui.horizontal_wrapped(|ui| {
        ui.strong("Outliner");
        ui.weak(format!("{visible} of {} visible", walk.len()))
            .on_hover_text("Visible nodes / all nodes in the scene");
    });
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .add_enabled(
                    !memory.filter.is_empty(),
                    egui::Button::new("Clear").small(),
                )
                .clicked()
            {
                memory.filter.clear();
            }
            // Whatever width is left, so the panel never grows to fit its own contents.
            ui.add(
                egui::TextEdit::singleline(&mut memory.filter)
                    .hint_text("Filter by name")
                    .desired_width(ui.available_width()),
            );
        });
    });
    ui.separator();

    let rows = if memory.filter.trim().is_empty() {
        tree_rows(scene, &memory.toggled)
    } else {
        filtered_rows(scene, memory.filter.trim())
    };
    drop(walk);

    let mut action = None;
    if rows.is_empty() {
        ui.weak(if scene.node_count() == 0 {
            "The scene is empty."
        } else {
            "No node matches the filter."
        });
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
            ui.spacing_mut().item_spacing.y = 0.0;
            for row in rows.get(range).unwrap_or_default() {
                let Some(node) = scene.node(row.id) else {
                    continue;
                };
                if let Some(a) = row_ui(ui, scene, node, row, selection, &mut memory.toggled) {
                    action = Some(a);
                }
            }
        });

    ui.data_mut(|d| d.insert_temp(memory_id, memory));
    action
}

/// The open part of the tree, depth first, in scene order.
fn tree_rows(scene: &Scene, toggled: &HashSet<NodeId>) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut stack: Vec<(NodeId, usize)> = scene.roots().iter().rev().map(|id| (*id, 0)).collect();
    while let Some((id, depth)) = stack.pop() {
        let Some(node) = scene.node(id) else {
            continue;
        };
        let open = open_by_default(node, depth) != toggled.contains(&id);
        let has_children = !node.children.is_empty();
        rows.push(Row {
            id,
            depth,
            has_children,
            open,
            flat: false,
        });
        // Guard against a malformed hierarchy (a cycle would otherwise never end).
        if open && depth < 256 {
            stack.extend(node.children.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    rows
}

/// An eye (open) or a closed eye (a lid line with lashes) centred in `rect`.
fn paint_eye(painter: &egui::Painter, rect: egui::Rect, open: bool, color: egui::Color32) {
    let c = rect.center();
    let (w, h) = (7.0, 4.0);
    let stroke = egui::Stroke::new(1.2, color);
    let arc = |sign: f32| -> Vec<egui::Pos2> {
        (0..=12)
            .map(|i| {
                let t = i as f32 / 12.0 * std::f32::consts::PI;
                pos2(c.x - w * t.cos(), c.y + sign * h * t.sin())
            })
            .collect()
    };
    if open {
        painter.add(egui::Shape::line(arc(-1.0), stroke));
        painter.add(egui::Shape::line(arc(1.0), stroke));
        painter.circle_filled(c, 2.0, color);
    } else {
        painter.add(egui::Shape::line(arc(1.0), stroke));
        for dx in [-4.0, 0.0, 4.0] {
            painter.line_segment(
                [pos2(c.x + dx, c.y + h), pos2(c.x + dx * 1.2, c.y + h + 2.5)],
                stroke,
            );
        }
    }
}

/// Roots with a handful of children start open, so every root stays in view; big groups
/// (a forest of trees) and everything deeper start closed.
fn open_by_default(node: &Node, depth: usize) -> bool {
    depth == 0 && node.children.len() <= 12
}

/// All nodes whose name contains `filter` (case-insensitive), flat, in scene order.
fn filtered_rows(scene: &Scene, filter: &str) -> Vec<Row> {
    let needle = filter.to_lowercase();
    scene
        .walk()
        .iter()
        .filter(|wn| wn.node.name.to_lowercase().contains(&needle))
        .map(|wn| Row {
            id: wn.node.id,
            depth: 0,
            has_children: false,
            open: false,
            flat: true,
        })
        .collect()
}

fn row_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: &Node,
    row: &Row,
    selection: &mut Vec<NodeId>,
    toggled: &mut HashSet<NodeId>,
) -> Option<UiAction> {
    let (rect, response) =
        ui.allocate_exact_size(vec2(ui.available_width(), ROW_HEIGHT), Sense::click());
    let selected = selection.contains(&node.id);
    let visuals = ui.visuals();
    let painter = ui.painter_at(rect);
    if selected {
        painter.rect_filled(rect, 2.0, visuals.selection.bg_fill);
    } else if response.hovered() {
        painter.rect_filled(rect, 2.0, visuals.widgets.hovered.weak_bg_fill);
    }

    let x = rect.left() + 2.0 + row.depth as f32 * INDENT;
    let arrow_rect = egui::Rect::from_min_size(pos2(x, rect.top()), vec2(ARROW_WIDTH, ROW_HEIGHT));
    let text_color = if selected {
        visuals.selection.stroke.color
    } else if node.visible {
        visuals.text_color()
    } else {
        visuals.weak_text_color()
    };
    if row.has_children {
        paint_tree_arrow(&painter, arrow_rect, row.open, visuals.weak_text_color());
    }
    let icon = node_icon(&node.kind);
    let icon_rect = egui::Rect::from_center_size(
        pos2(x + ARROW_WIDTH + ICON_SIZE * 0.5 + 1.0, rect.center().y),
        vec2(ICON_SIZE, ICON_SIZE),
    );
    paint_icon(&painter, icon_rect, icon, icon.color());
    let text_pos = pos2(icon_rect.right() + 5.0, rect.center().y);
    let name_rect = painter.text(
        text_pos,
        Align2::LEFT_CENTER,
        &node.name,
        FontId::proportional(13.0),
        text_color,
    );
    if row.flat
        && let Some(parent) = node.parent.and_then(|p| scene.node(p))
    {
        // Filter results are flat: say where each one lives.
        painter.text(
            pos2(name_rect.right() + 6.0, rect.center().y),
            Align2::LEFT_CENTER,
            format!("in {}", parent.name),
            FontId::proportional(11.0),
            visuals.weak_text_color(),
        );
    }

    // Show/hide toggle at the right end: an open eye when visible, a closed one when hidden.
    let eye_rect = egui::Rect::from_min_size(
        pos2(rect.right() - EYE_WIDTH, rect.top()),
        vec2(EYE_WIDTH, ROW_HEIGHT),
    );
    let eye_hovered = response.hover_pos().is_some_and(|p| eye_rect.contains(p));
    let eye_color = if eye_hovered {
        visuals.strong_text_color()
    } else if node.visible {
        visuals.text_color()
    } else {
        visuals.weak_text_color()
    };
    paint_eye(&painter, eye_rect, node.visible, eye_color);

    let response = response.on_hover_text(if eye_hovered {
        if node.visible { "Hide" } else { "Show" }
    } else {
        node.kind.label()
    });
    let mut action = None;
    let on_eye = response
        .interact_pointer_pos()
        .is_some_and(|p| eye_rect.contains(p));
    if response.clicked() && on_eye {
        return Some(UiAction::Edit(crate::edit::Command::SetVisible {
            node: node.id,
            visible: !node.visible,
        }));
    }
    if response.clicked() {
        let on_arrow = row.has_children
            && response
                .interact_pointer_pos()
                .is_some_and(|p| arrow_rect.contains(p));
        if on_arrow {
            if !toggled.remove(&node.id) {
                toggled.insert(node.id);
            }
        } else {
            let modifiers = ui.input(|i| i.modifiers);
            if modifiers.shift || modifiers.command || modifiers.ctrl {
                toggle_in_selection(selection, node.id);
            } else {
                selection.clear();
                selection.push(node.id);
            }
        }
    }
    if response.double_clicked() {
        selection.clear();
        selection.push(node.id);
        action = Some(UiAction::FrameSelected);
    }
    action
}

/// Adds `id` to the selection, or removes it if it is already there (Shift/Ctrl-click).
fn toggle_in_selection(selection: &mut Vec<NodeId>, id: NodeId) {
    if let Some(pos) = selection.iter().position(|s| *s == id) {
        selection.remove(pos);
    } else {
        selection.push(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{NodeKind, Transform};

    fn sample() -> (Scene, NodeId, NodeId, NodeId) {
        let mut scene = Scene::new("test");
        let group = scene.add_node(None, "Buildings", Transform::IDENTITY, NodeKind::Empty);
        let house = scene.add_node(
            Some(group),
            "House_03",
            Transform::IDENTITY,
            NodeKind::Empty,
        );
        let roof = scene.add_node(Some(house), "Roof", Transform::IDENTITY, NodeKind::Empty);
        scene.add_node(None, "Lights", Transform::IDENTITY, NodeKind::Empty);
        (scene, group, house, roof)
    }

    #[test]
    fn roots_are_open_and_deeper_branches_closed_by_default() {
        let (scene, group, house, _) = sample();
        let rows = tree_rows(&scene, &HashSet::new());
        let ids: Vec<NodeId> = rows.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 3, "Buildings, House_03, Lights");
        assert_eq!(ids[0], group);
        assert_eq!(ids[1], house);
        assert_eq!(rows[1].depth, 1);
        assert!(rows[1].has_children && !rows[1].open);
    }

    #[test]
    fn toggling_opens_a_branch_and_closes_a_root() {
        let (scene, group, house, roof) = sample();
        let rows = tree_rows(&scene, &HashSet::from([house]));
        assert!(rows.iter().any(|r| r.id == roof && r.depth == 2));
        let rows = tree_rows(&scene, &HashSet::from([group]));
        assert_eq!(rows.len(), 2, "Buildings (closed) and Lights");
    }

    #[test]
    fn filter_matches_names_case_insensitively() {
        let (scene, _, house, _) = sample();
        let rows = filtered_rows(&scene, "house");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, house);
    }

    #[test]
    fn modifier_click_toggles_membership() {
        let mut selection = vec![NodeId(1)];
        toggle_in_selection(&mut selection, NodeId(2));
        assert_eq!(selection, vec![NodeId(1), NodeId(2)]);
        toggle_in_selection(&mut selection, NodeId(1));
        assert_eq!(selection, vec![NodeId(2)]);
    }
}
