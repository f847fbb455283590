//! The outliner: the scene hierarchy as a collapsible tree, with a name filter.
//!
//! Only the rows on screen are laid out (`ScrollArea::show_rows`), so a world with tens of
//! thousands of nodes costs no more per frame than one with fifty. Which branches are open,
//! the filter and a rename in progress are UI state kept in egui's memory; the selection
//! belongs to the caller.
//!
//! Click selects (Shift adds, Ctrl toggles), F2 or a double click renames inline (Enter
//! commits, Esc cancels), dragging a row onto another moves it under that node (onto the
//! title line, which says so while dragging: to the top level), the eye shows/hides and the
//! padlock locks against viewport picking. When the active node changes elsewhere (a click in
//! the viewport), its branch opens and the tree scrolls to it.

use super::UiAction;
use super::icons::{NodeIcon, node_icon_in, paint_icon, paint_tree_arrow};
use super::selection::{ClickMode, apply_click};
use crate::edit::Command;
use crate::scene::{Node, NodeId, Scene};
use egui::{Align2, Button, FontId, Id, Key, Modifiers, Sense, Ui, pos2, vec2};
use std::collections::HashSet;

const ROW_HEIGHT: f32 = 20.0;
const INDENT: f32 = 14.0;
const ARROW_WIDTH: f32 = 14.0;
const ICON_SIZE: f32 = 14.0;
/// Width of the show/hide and lock toggles at the right end of each row.
const EYE_WIDTH: f32 = 22.0;

/// Outliner state that lives in egui memory between frames.
#[derive(Clone, Default)]
struct OutlinerMemory {
    /// Nodes whose open/closed state differs from the default (see [`open_by_default`]).
    toggled: HashSet<NodeId>,
    filter: String,
    /// Name and node count of the scene `toggled` refers to; a new world resets it.
    scene_key: (String, usize),
    /// The active node when the outliner last drew; a change made elsewhere reveals it.
    last_active: Option<NodeId>,
    /// The inline rename under way.
    renaming: Option<Renaming>,
    /// Scroll offset and height of the tree's view last frame (points).
    scroll_offset: f32,
    view_height: f32,
}

#[derive(Clone)]
struct Renaming {
    node: NodeId,
    text: String,
    /// The text field has had keyboard focus (it is requested on the first frame).
    focused: bool,
}

/// One line of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Row {
    id: NodeId,
    depth: usize,
    has_children: bool,
    open: bool,
    /// False for an ancestor shown only because something below it matches the filter.
    matched: bool,
}

/// Shows the hierarchy of `scene` and handles selection (see the module docs); changes to the
/// scene come back as an action.
pub fn outliner_ui(ui: &mut Ui, scene: &Scene, selection: &mut Vec<NodeId>) -> Option<UiAction> {
    let memory_id = Id::unique("worldsmith_outliner");
    let mut memory: OutlinerMemory = ui.data_mut(|d| d.remove_temp(memory_id).unwrap_or_default());
    let scene_key = (scene.name.clone(), scene.node_count());
    if memory.scene_key != scene_key {
        memory.toggled.clear();
        memory.renaming = None;
        memory.scene_key = scene_key;
    }
    if memory
        .renaming
        .as_ref()
        .is_some_and(|r| scene.node(r.node).is_none())
    {
        memory.renaming = None;
    }

    let active = selection.last().copied();
    let mut reveal = (active != memory.last_active).then_some(active).flatten();
    let nothing_focused = ui.ctx().memory(|m| m.focused().is_none());
    if nothing_focused
        && let Some(active) = active
        && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F2))
    {
        start_rename(&mut memory, scene, active);
        reveal = Some(active);
    }
    if let Some(id) = reveal {
        open_ancestors(scene, id, &mut memory.toggled);
    }

    let mut action = None;
    // The title line; while a row is dragged it is the drop target for "move to the top
    // level" (it is always there, so nothing shifts under the pointer).
    let walk = scene.walk();
    let visible = walk.iter().filter(|wn| wn.visible).count();
    let total = walk.len();
    drop(walk);
    let (rect, response) =
        ui.allocate_exact_size(vec2(ui.available_width(), ROW_HEIGHT), Sense::hover());
    let visuals = ui.visuals().clone();
    if egui::DragAndDrop::has_payload_of_type::<NodeId>(ui.ctx()) {
        let hovered = response.dnd_hover_payload::<NodeId>().is_some();
        let fill = if hovered {
            visuals.selection.bg_fill
        } else {
            visuals.faint_bg_color
        };
        ui.painter().rect_filled(rect, 2.0, fill);
        ui.painter().text(
            rect.center(),
            Align2::CENTER_CENTER,
            "Drop here: move to the top level",
            FontId::proportional(12.0),
            visuals.text_color(),
        );
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Label, true, "Drop here: move to the top level")
        });
        if let Some(dragged) = response.dnd_release_payload::<NodeId>() {
            action = Some(UiAction::Edit(Command::Reparent {
                node: *dragged,
                parent: None,
                index: usize::MAX,
                transform: None,
            }));
        }
    } else {
        let title = ui.painter().text(
            rect.left_center(),
            Align2::LEFT_CENTER,
            "Outliner",
            FontId::proportional(14.0),
            visuals.strong_text_color(),
        );
        // The count, shortened to "354/354" and then left out where the column is narrow.
        let room = rect.right() - title.right() - 8.0;
        let count = [
            format!("{visible} of {total} visible"),
            format!("{visible}/{total}"),
        ]
        .into_iter()
        .map(|text| {
            ui.painter()
                .layout_no_wrap(text, FontId::proportional(12.0), visuals.weak_text_color())
        })
        .find(|galley| galley.size().x <= room);
        if let Some(galley) = count {
            let top = rect.center().y - galley.size().y * 0.5;
            ui.painter().galley(
                pos2(title.right() + 8.0, top),
                galley,
                visuals.weak_text_color(),
            );
        }
        response.on_hover_text("Visible nodes / all nodes in the scene");
    }
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
            let filter = ui.add(
                egui::TextEdit::singleline(&mut memory.filter)
                    .hint_text("Filter by name")
                    .desired_width(ui.available_width()),
            );
            name_for_accessibility(ui.ctx(), filter.id, "Filter by name");
        });
    });
    ui.separator();

    let rows = if memory.filter.trim().is_empty() {
        tree_rows(scene, &memory.toggled)
    } else {
        filtered_rows(scene, memory.filter.trim())
    };

    if rows.is_empty() {
        ui.weak(if scene.node_count() == 0 {
            "The scene is empty."
        } else {
            "No node matches the filter."
        });
    }
    let mut scroll = egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        // No taller than the room left (egui would take 64 points at least).
        .min_scrolled_height(0.0);
    if let Some(index) = reveal.and_then(|id| rows.iter().position(|r| r.id == id)) {
        let top = index as f32 * ROW_HEIGHT;
        let (offset, height) = (memory.scroll_offset, memory.view_height);
        if top < offset || top + ROW_HEIGHT > offset + height {
            scroll = scroll.vertical_scroll_offset((top - height / 3.0).max(0.0));
        }
    }
    let mut drawn_rename = false;
    let output = ui.scope(|ui| {
        // Rows are exactly ROW_HEIGHT apart, as `show_rows` assumes.
        ui.spacing_mut().item_spacing.y = 0.0;
        scroll.show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
            for row in rows.get(range).unwrap_or_default() {
                let Some(node) = scene.node(row.id) else {
                    continue;
                };
                let renaming = memory.renaming.as_mut().filter(|r| r.node == node.id);
                drawn_rename |= renaming.is_some();
                let out = row_ui(ui, scene, node, row, selection, renaming);
                match out {
                    RowOutput::Nothing => {}
                    RowOutput::Action(a) => action = Some(a),
                    RowOutput::ToggleOpen => {
                        if !memory.toggled.remove(&node.id) {
                            memory.toggled.insert(node.id);
                        }
                    }
                    RowOutput::StartRename => start_rename(&mut memory, scene, node.id),
                    RowOutput::EndRename(a) => {
                        memory.renaming = None;
                        if a.is_some() {
                            action = a;
                        }
                    }
                }
            }
        })
    });
    let state = output.inner;
    memory.scroll_offset = state.state.clamped_offset().y;
    memory.view_height = state.inner_rect.height();
    if !drawn_rename && memory.renaming.as_ref().is_some_and(|r| r.focused) {
        // The row scrolled out of view (or was filtered away): the edit is abandoned.
        memory.renaming = None;
    }

    memory.last_active = selection.last().copied();
    ui.data_mut(|d| d.insert_temp(memory_id, memory));
    action
}

/// Starts renaming `id` inline with its current name.
fn start_rename(memory: &mut OutlinerMemory, scene: &Scene, id: NodeId) {
    if let Some(node) = scene.node(id) {
        memory.renaming = Some(Renaming {
            node: id,
            text: node.name.clone(),
            focused: false,
        });
    }
}

/// Opens every closed branch above `id`, so its row is in the tree.
fn open_ancestors(scene: &Scene, id: NodeId, toggled: &mut HashSet<NodeId>) {
    let mut ancestors = Vec::new();
    let mut cur = scene.node(id).and_then(|n| n.parent);
    while let Some(p) = cur {
        if ancestors.len() > 10_000 {
            return;
        }
        ancestors.push(p);
        cur = scene.node(p).and_then(|n| n.parent);
    }
    for (depth, a) in ancestors.iter().rev().enumerate() {
        let Some(node) = scene.node(*a) else {
            continue;
        };
        let open = open_by_default(node, depth) != toggled.contains(a);
        if !open && !toggled.remove(a) {
            toggled.insert(*a);
        }
    }
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
            matched: true,
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

/// The nodes whose name contains `filter` (case-insensitive) and their ancestors, as an open
/// tree in scene order.
fn filtered_rows(scene: &Scene, filter: &str) -> Vec<Row> {
    let needle = filter.to_lowercase();
    let walk = scene.walk();
    let matches = |n: &Node| n.name.to_lowercase().contains(&needle);
    let mut keep: HashSet<NodeId> = HashSet::new();
    for wn in walk.iter().filter(|wn| matches(wn.node)) {
        let mut cur = Some(wn.node.id);
        while let Some(id) = cur {
            if !keep.insert(id) {
                break;
            }
            cur = scene.node(id).and_then(|n| n.parent);
        }
    }
    walk.iter()
        .filter(|wn| keep.contains(&wn.node.id))
        .map(|wn| Row {
            id: wn.node.id,
            depth: wn.depth,
            has_children: false,
            open: true,
            matched: matches(wn.node),
        })
        .collect()
}

/// What a row asks the outliner to do.
enum RowOutput {
    Nothing,
    Action(UiAction),
    ToggleOpen,
    StartRename,
    /// The inline rename ended: with a command to commit it, or cancelled.
    EndRename(Option<UiAction>),
}

/// A closed or open padlock centred in `rect`.
fn paint_lock(painter: &egui::Painter, rect: egui::Rect, locked: bool, color: egui::Color32) {
    let c = rect.center();
    let stroke = egui::Stroke::new(1.2, color);
    let body = egui::Rect::from_center_size(pos2(c.x, c.y + 2.0), vec2(9.0, 6.5));
    if locked {
        painter.rect_filled(body, 1.0, color);
    } else {
        painter.rect_stroke(body, 1.0, stroke, egui::StrokeKind::Inside);
    }
    // The shackle: closed over the body, or swung open to the right.
    let (left, right) = if locked {
        (c.x - 3.0, c.x + 3.0)
    } else {
        (c.x + 1.0, c.x + 7.0)
    };
    let top = body.top() - 4.5;
    let arc: Vec<egui::Pos2> = (0..=10)
        .map(|i| {
            let t = i as f32 / 10.0 * std::f32::consts::PI;
            pos2(
                (left + right) * 0.5 - (right - left) * 0.5 * t.cos(),
                top + 1.5 - 3.0 * t.sin(),
            )
        })
        .collect();
    painter.add(egui::Shape::line(arc, stroke));
    painter.line_segment([pos2(right, top + 1.5), pos2(right, body.top())], stroke);
    if locked {
        painter.line_segment([pos2(left, top + 1.5), pos2(left, body.top())], stroke);
    }
}

fn row_ui(
    ui: &mut Ui,
    scene: &Scene,
    node: &Node,
    row: &Row,
    selection: &mut Vec<NodeId>,
    renaming: Option<&mut Renaming>,
) -> RowOutput {
    let (rect, response) = ui.allocate_exact_size(
        vec2(ui.available_width(), ROW_HEIGHT),
        Sense::click_and_drag(),
    );
    let selected = selection.contains(&node.id);
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::TreeItem, true, selected, &node.name)
    });
    response.dnd_set_drag_payload(node.id);
    let drop_hover = response
        .dnd_hover_payload::<NodeId>()
        .is_some_and(|dragged| *dragged != node.id);
    let visuals = ui.visuals().clone();
    let painter = ui.painter_at(rect);
    if selected {
        painter.rect_filled(rect, 2.0, visuals.selection.bg_fill);
    } else if response.hovered() {
        painter.rect_filled(rect, 2.0, visuals.widgets.hovered.weak_bg_fill);
    }
    if drop_hover {
        painter.rect_stroke(
            rect.shrink(1.0),
            2.0,
            visuals.selection.stroke,
            egui::StrokeKind::Inside,
        );
    }

    let x = rect.left() + 2.0 + row.depth as f32 * INDENT;
    let arrow_rect = egui::Rect::from_min_size(pos2(x, rect.top()), vec2(ARROW_WIDTH, ROW_HEIGHT));
    let text_color = if selected {
        visuals.selection.stroke.color
    } else if node.visible && row.matched {
        visuals.text_color()
    } else {
        visuals.weak_text_color()
    };
    if row.has_children {
        paint_tree_arrow(&painter, arrow_rect, row.open, visuals.weak_text_color());
    }
    let icon = node_icon_in(scene, node);
    let icon_rect = egui::Rect::from_center_size(
        pos2(x + ARROW_WIDTH + ICON_SIZE * 0.5 + 1.0, rect.center().y),
        vec2(ICON_SIZE, ICON_SIZE),
    );
    paint_icon(&painter, icon_rect, icon, icon.color());

    // Toggles at the right end: show/hide (an eye, closed when hidden), then the padlock.
    let eye_rect = egui::Rect::from_min_size(
        pos2(rect.right() - EYE_WIDTH, rect.top()),
        vec2(EYE_WIDTH, ROW_HEIGHT),
    );
    let lock_rect = eye_rect.translate(vec2(-EYE_WIDTH, 0.0));
    let hover = response.hover_pos();
    let eye_hovered = hover.is_some_and(|p| eye_rect.contains(p));
    let lock_hovered = hover.is_some_and(|p| lock_rect.contains(p));
    let toggle_color = |hovered: bool, on: bool| {
        if hovered {
            visuals.strong_text_color()
        } else if on {
            visuals.text_color()
        } else {
            visuals.weak_text_color()
        }
    };
    paint_eye(
        &painter,
        eye_rect,
        node.visible,
        toggle_color(eye_hovered, node.visible),
    );
    // An unlocked padlock is drawn faintly unless hovered, so locked rows stand out.
    let lock_color = if node.locked || lock_hovered {
        toggle_color(lock_hovered, true)
    } else {
        visuals.weak_text_color().gamma_multiply(0.6)
    };
    paint_lock(&painter, lock_rect, node.locked, lock_color);

    let text_pos = pos2(icon_rect.right() + 5.0, rect.center().y);
    if let Some(renaming) = renaming {
        let edit_rect = egui::Rect::from_min_max(
            pos2(text_pos.x - 2.0, rect.top() + 1.0),
            pos2(lock_rect.left() - 2.0, rect.bottom() - 1.0),
        );
        let id = Id::unique(("worldsmith_outliner_rename", node.id));
        let edit = ui.put(
            edit_rect,
            egui::TextEdit::singleline(&mut renaming.text)
                .id(id)
                .font(FontId::proportional(13.0))
                .hint_text("Name")
                .margin(vec2(2.0, 1.0)),
        );
        name_for_accessibility(ui.ctx(), id, "Name");
        if !renaming.focused {
            edit.request_focus();
            select_all(ui.ctx(), id, &renaming.text);
            renaming.focused = true;
            return RowOutput::Nothing;
        }
        if edit.lost_focus() {
            let cancelled = ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape));
            return RowOutput::EndRename((!cancelled).then(|| {
                UiAction::Edit(Command::Rename {
                    node: node.id,
                    name: renaming.text.clone(),
                })
            }));
        }
        return RowOutput::Nothing;
    }
    // The name ends with "…" before the toggles rather than running under them; the tooltip
    // then shows it whole.
    let galley = super::elided_galley(
        &painter,
        node.name.clone(),
        FontId::proportional(13.0),
        text_color,
        lock_rect.left() - 4.0 - text_pos.x,
    );
    let truncated = galley.elided;
    painter.galley(
        pos2(text_pos.x, text_pos.y - galley.size().y * 0.5),
        galley,
        text_color,
    );

    let kind_text;
    let response = response.on_hover_text(if eye_hovered {
        if node.visible { "Hide" } else { "Show" }
    } else if lock_hovered {
        if node.locked {
            "Unlock (pickable in the viewport)"
        } else {
            "Lock (not pickable in the viewport)"
        }
    } else {
        let kind = if icon == NodeIcon::Bone {
            "Joint (moves a skinned mesh)"
        } else {
            node.kind.label()
        };
        kind_text = if truncated {
            format!("{}\n{kind}", node.name)
        } else {
            kind.to_owned()
        };
        &kind_text
    });
    if let Some(dragged) = response.dnd_release_payload::<NodeId>()
        && *dragged != node.id
    {
        return RowOutput::Action(UiAction::Edit(Command::Reparent {
            node: *dragged,
            parent: Some(node.id),
            index: usize::MAX,
            transform: None,
        }));
    }
    // Right-click: the row is selected (unless it already is, with others) and a menu of
    // what the Edit menu does to a selection opens.
    if response.secondary_clicked() && !selected {
        selection.clear();
        selection.push(node.id);
    }
    let mut menu_output = RowOutput::Nothing;
    response.context_menu(|ui| {
        let mut actions = Vec::new();
        if ui.add(Button::new("Rename").shortcut_text("F2")).clicked() {
            menu_output = RowOutput::StartRename;
        }
        super::menu::operation_items_ui(ui, scene, selection, &mut actions);
        ui.separator();
        if ui
            .add(Button::new("Frame Selected").shortcut_text("F"))
            .clicked()
        {
            actions.push(UiAction::FrameSelected);
        }
        if let Some(action) = actions.pop() {
            menu_output = RowOutput::Action(action);
        }
        if !matches!(menu_output, RowOutput::Nothing) {
            ui.close();
        }
    });
    if !matches!(menu_output, RowOutput::Nothing) {
        return menu_output;
    }
    let pointer = response.interact_pointer_pos();
    let on = |r: egui::Rect| pointer.is_some_and(|p| r.contains(p));
    if response.clicked() && on(eye_rect) {
        return RowOutput::Action(UiAction::Edit(Command::SetVisible {
            node: node.id,
            visible: !node.visible,
        }));
    }
    if response.clicked() && on(lock_rect) {
        return RowOutput::Action(UiAction::Edit(Command::SetLocked {
            node: node.id,
            locked: !node.locked,
        }));
    }
    if response.double_clicked() && !on(arrow_rect) {
        selection.clear();
        selection.push(node.id);
        return RowOutput::StartRename;
    }
    if response.clicked() {
        if row.has_children && on(arrow_rect) {
            return RowOutput::ToggleOpen;
        }
        let modifiers = ui.input(|i| i.modifiers);
        apply_click(
            selection,
            Some(node.id),
            ClickMode::from_modifiers(modifiers),
        );
    }
    RowOutput::Nothing
}

/// Gives a widget a name for screen readers (and UI tests), as a label beside it would.
pub(crate) fn name_for_accessibility(ctx: &egui::Context, id: Id, name: &str) {
    ctx.accesskit_node_builder(id, |node| node.set_label(name));
}

/// Selects all of a text field's text, so typing replaces it.
pub(crate) fn select_all(ctx: &egui::Context, id: Id, text: &str) {
    let mut state = egui::text_edit::TextEditState::load(ctx, id).unwrap_or_default();
    let end = egui::text::CCursor::new(text.chars().count());
    state
        .cursor
        .set_char_range(Some(egui::text::CCursorRange::two(
            egui::text::CCursor::new(0),
            end,
        )));
    state.store(ctx, id);
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
    fn filter_shows_matches_with_their_ancestors() {
        let (scene, group, house, roof) = sample();
        let rows = filtered_rows(&scene, "ROOF");
        let ids: Vec<NodeId> = rows.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![group, house, roof]);
        assert_eq!(rows.iter().map(|r| r.depth).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(
            rows.iter().map(|r| r.matched).collect::<Vec<_>>(),
            [false, false, true]
        );
        let rows = filtered_rows(&scene, "house");
        assert_eq!(rows.len(), 2, "Buildings and House_03");
        assert!(filtered_rows(&scene, "nothing").is_empty());
    }

    #[test]
    fn revealing_a_deep_node_opens_its_branch() {
        let (scene, _, house, roof) = sample();
        let mut toggled = HashSet::new();
        open_ancestors(&scene, roof, &mut toggled);
        assert_eq!(toggled, HashSet::from([house]));
        assert!(tree_rows(&scene, &toggled).iter().any(|r| r.id == roof));
        // Already open: nothing changes.
        open_ancestors(&scene, roof, &mut toggled);
        assert_eq!(toggled, HashSet::from([house]));
    }
}
