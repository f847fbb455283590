//! Selection rules shared by the viewport and the outliner. The selection is an ordered
//! list of nodes; the last one is the active node (the inspector shows it).

use crate::scene::{Combine, NodeId};
use egui::Modifiers;

/// What a click with these modifiers does to the selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClickMode {
    Replace,
    Add,
    Toggle,
}

impl ClickMode {
    pub fn from_modifiers(modifiers: Modifiers) -> Self {
        if modifiers.command || modifiers.ctrl {
            ClickMode::Toggle
        } else if modifiers.shift {
            ClickMode::Add
        } else {
            ClickMode::Replace
        }
    }
}

/// Applies a click that picked `hit` (or nothing). The last element of `selection` is the
/// active node.
pub fn apply_click(selection: &mut Vec<NodeId>, hit: Option<NodeId>, mode: ClickMode) {
    match (hit, mode) {
        (None, ClickMode::Replace) => selection.clear(),
        (None, _) => {}
        (Some(id), ClickMode::Replace) => {
            selection.clear();
            selection.push(id);
        }
        (Some(id), ClickMode::Add) => {
            selection.retain(|s| *s != id);
            selection.push(id);
        }
        (Some(id), ClickMode::Toggle) => {
            if let Some(i) = selection.iter().position(|s| *s == id) {
                selection.remove(i);
            } else {
                selection.push(id);
            }
        }
    }
}

/// Applies a box selection: `found` replaces the selection, is added to it, or is taken
/// from it (what stays keeps its order, so the active node stays active unless taken).
pub fn apply_box(selection: &mut Vec<NodeId>, found: &[NodeId], how: Combine) {
    match how {
        Combine::Subtract => selection.retain(|id| !found.contains(id)),
        Combine::Replace | Combine::Add => {
            if how == Combine::Replace {
                selection.clear();
            }
            for id in found {
                if !selection.contains(id) {
                    selection.push(*id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_replace_add_toggle_and_clear() {
        let (a, b) = (NodeId(1), NodeId(2));
        let mut s = vec![a];
        apply_click(&mut s, Some(b), ClickMode::Add);
        assert_eq!(s, vec![a, b]);
        apply_click(&mut s, Some(a), ClickMode::Add);
        assert_eq!(s, vec![b, a], "Shift-click makes the node active (last)");
        apply_click(&mut s, Some(b), ClickMode::Toggle);
        assert_eq!(s, vec![a]);
        apply_click(&mut s, Some(b), ClickMode::Toggle);
        assert_eq!(s, vec![a, b]);
        apply_click(&mut s, None, ClickMode::Add);
        assert_eq!(
            s,
            vec![a, b],
            "a modifier click on nothing keeps the selection"
        );
        apply_click(&mut s, Some(a), ClickMode::Replace);
        assert_eq!(s, vec![a]);
        apply_click(&mut s, None, ClickMode::Replace);
        assert!(s.is_empty());
    }

    #[test]
    fn modifiers_choose_the_click_mode() {
        assert_eq!(
            ClickMode::from_modifiers(Modifiers::NONE),
            ClickMode::Replace
        );
        assert_eq!(ClickMode::from_modifiers(Modifiers::SHIFT), ClickMode::Add);
        assert_eq!(
            ClickMode::from_modifiers(Modifiers::CTRL),
            ClickMode::Toggle
        );
        assert_eq!(
            ClickMode::from_modifiers(Modifiers::CTRL | Modifiers::SHIFT),
            ClickMode::Toggle
        );
    }

    #[test]
    fn box_results_replace_or_add_without_duplicates() {
        let (a, b, c) = (NodeId(1), NodeId(2), NodeId(3));
        let mut s = vec![a, b];
        apply_box(&mut s, &[b, c], Combine::Add);
        assert_eq!(s, vec![a, b, c]);
        apply_box(&mut s, &[c, a], Combine::Subtract);
        assert_eq!(s, vec![b], "taken away; what stays keeps its order");
        apply_box(&mut s, &[c], Combine::Subtract);
        assert_eq!(s, vec![b], "taking what is not selected changes nothing");
        apply_box(&mut s, &[a, b, c], Combine::Add);
        assert_eq!(s, vec![b, a, c]);
        apply_box(&mut s, &[c], Combine::Replace);
        assert_eq!(s, vec![c]);
    }
}
