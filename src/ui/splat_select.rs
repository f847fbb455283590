//! Screen selection of splats, as in SuperSplat: the tool picked in the inspector's "Select
//! splats" section, the selection itself (one bit per splat, kept per cloud content so undoing
//! a deletion brings its selection back) and the section's buttons, which emit
//! [`Operation::SplatSelected`]. The viewport side (drawing the shape and selecting) is
//! `app/splat_select.rs`.

use super::UiAction;
use crate::edit::ops::{Operation, Region, RegionAction};
use crate::scene::{Combine, ElementMask, NodeId, SplatCloud};
use egui::Ui;
use std::sync::Arc;

/// The shape a left drag in the viewport draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectTool {
    Rect,
    Lasso,
    /// A round brush painted along the drag (adds as it goes; Ctrl takes away).
    Brush,
}

impl SelectTool {
    pub const ALL: [SelectTool; 3] = [Self::Rect, Self::Lasso, Self::Brush];

    pub fn label(self) -> &'static str {
        match self {
            Self::Rect => "Rectangle",
            Self::Lasso => "Lasso",
            Self::Brush => "Brush",
        }
    }
}

/// The splat tools' state, kept by the editor across frames.
#[derive(Clone, Debug, Default)]
pub struct SplatTools {
    /// The region edited in the inspector (drawn over the viewport).
    pub region: Option<super::SplatRegionTool>,
    /// The screen selection of splats.
    pub select: SplatSelection,
}

/// How many clouds' selections are kept (the current cloud's and a few it replaced through
/// edits, for undo).
const KEPT_SELECTIONS: usize = 8;

/// The splat selection tool and what it has selected.
#[derive(Clone, Debug)]
pub struct SplatSelection {
    /// The active tool; `None` when the viewport's left drag is the camera's and selection's.
    pub tool: Option<SelectTool>,
    /// The brush's radius in points.
    pub brush_radius: f32,
    /// Selected splats per cloud content id, most recently used last.
    masks: Vec<(u64, Arc<ElementMask>)>,
    /// Bumped on every change of a selection: the renderer's cue to write the bits again.
    generation: u64,
}

impl Default for SplatSelection {
    fn default() -> Self {
        Self {
            tool: None,
            brush_radius: 24.0,
            masks: Vec::new(),
            generation: 1,
        }
    }
}

impl SplatSelection {
    /// The selection made on `cloud` (as it is now), if any splat of it is selected.
    pub fn selected(&self, cloud: &SplatCloud) -> Option<&Arc<ElementMask>> {
        self.masks
            .iter()
            .rev()
            .find(|(id, m)| *id == cloud.content_id() && m.len() == cloud.len())
            .map(|(_, m)| m)
            .filter(|m| !m.none())
    }

    /// How many splats of `cloud` are selected.
    pub fn count(&self, cloud: &SplatCloud) -> usize {
        self.selected(cloud).map_or(0, |m| m.count())
    }

    /// Changes whenever a selection does.
    pub fn key(&self) -> u64 {
        self.generation
    }

    /// Combines `mask` (one bit per splat of `cloud`) into the cloud's selection.
    pub fn apply(&mut self, cloud: &SplatCloud, mask: &ElementMask, how: Combine) {
        if mask.len() != cloud.len() {
            return;
        }
        let mut next = match self.selected(cloud) {
            Some(m) => ElementMask::clone(m),
            None => ElementMask::new(cloud.len()),
        };
        next.combine(mask, how);
        self.set(cloud, next);
    }

    /// Replaces the cloud's selection.
    pub fn set(&mut self, cloud: &SplatCloud, mask: ElementMask) {
        if mask.len() != cloud.len() {
            return;
        }
        let id = cloud.content_id();
        self.masks.retain(|(m, _)| *m != id);
        self.masks.push((id, Arc::new(mask)));
        if self.masks.len() > KEPT_SELECTIONS {
            self.masks.remove(0);
        }
        self.generation += 1;
    }

    /// Selects every splat of the cloud, none, or the others.
    fn all(&mut self, cloud: &SplatCloud) {
        self.set(cloud, ElementMask::full(cloud.len()));
    }

    fn none(&mut self, cloud: &SplatCloud) {
        self.set(cloud, ElementMask::new(cloud.len()));
    }

    fn invert(&mut self, cloud: &SplatCloud) {
        let mut m = self
            .selected(cloud)
            .map_or_else(|| ElementMask::new(cloud.len()), |m| ElementMask::clone(m));
        m.invert();
        self.set(cloud, m);
    }

    /// Selects the splats inside a region of the cloud's frame (the region tool's box or
    /// sphere), replacing the selection, and picks the rectangle tool if none is active so the
    /// selection shows.
    pub fn select_region(&mut self, cloud: &SplatCloud, region: &Region) {
        let inside = ElementMask::from_fn(cloud.len(), |i| {
            region.contains(glam::Vec3::from(cloud.positions[i]))
        });
        self.set(cloud, inside);
        self.tool.get_or_insert(SelectTool::Rect);
    }
}

/// The "Select splats" section of a splat node's inspector: the tool, the selection's size,
/// all/none/invert, and delete / keep only / separate of the selected splats.
pub fn splat_select_ui(
    ui: &mut Ui,
    node: NodeId,
    cloud: &SplatCloud,
    state: &mut SplatSelection,
    actions: &mut Vec<UiAction>,
) {
    ui.horizontal(|ui| {
        ui.label("Tool");
        for tool in SelectTool::ALL {
            let on = state.tool == Some(tool);
            if ui.selectable_label(on, tool.label()).clicked() {
                state.tool = if on { None } else { Some(tool) };
            }
        }
    });
    if state.tool == Some(SelectTool::Brush) {
        ui.horizontal(|ui| {
            ui.label("Brush radius");
            ui.add(
                egui::Slider::new(&mut state.brush_radius, 2.0..=200.0)
                    .suffix(" pt")
                    .logarithmic(true),
            );
        });
    }
    if state.tool.is_some() {
        ui.weak(
            "Drag in the viewport over the splats' centres: Shift adds, Ctrl takes away, \
             Alt+drag orbits. Del deletes the selected splats, Esc ends the tool.",
        );
    }
    let selected = state.count(cloud);
    ui.label(format!(
        "{} of {} splats selected",
        super::inspector::thousands(selected as u64),
        super::inspector::thousands(cloud.len() as u64)
    ));
    ui.horizontal(|ui| {
        if ui
            .button("All")
            .on_hover_text("Select every splat")
            .clicked()
        {
            state.all(cloud);
            state.tool.get_or_insert(SelectTool::Rect);
        }
        if ui
            .add_enabled(selected > 0, egui::Button::new("None"))
            .on_hover_text("Clear the selection")
            .clicked()
        {
            state.none(cloud);
        }
        if ui
            .button("Invert")
            .on_hover_text("Select the splats that are not selected, and only those")
            .clicked()
        {
            state.invert(cloud);
            state.tool.get_or_insert(SelectTool::Rect);
        }
    });
    ui.horizontal(|ui| {
        for (label, hover, action) in [
            (
                "Delete",
                "Remove the selected splats (Del)",
                RegionAction::Delete,
            ),
            (
                "Keep only",
                "Remove every splat but the selected ones",
                RegionAction::Crop,
            ),
            (
                "Separate",
                "Move the selected splats into a new node",
                RegionAction::Separate,
            ),
        ] {
            let button = ui
                .add_enabled(selected > 0, egui::Button::new(label))
                .on_hover_text(hover);
            if button.clicked()
                && let Some(mask) = state.selected(cloud)
            {
                actions.push(UiAction::Operation(Operation::SplatSelected {
                    node,
                    selected: Arc::clone(mask),
                    action,
                }));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud(n: usize) -> SplatCloud {
        SplatCloud::new(
            (0..n).map(|i| [i as f32, 0.0, 0.0]).collect(),
            vec![[0.0, 0.0, 0.0, 1.0]; n],
            vec![[0.1; 3]; n],
            vec![1.0; n],
            vec![[0.5; 3]; n],
            0,
            Vec::new(),
        )
        .unwrap()
    }

    #[test]
    fn selections_follow_the_cloud_content_and_combine() {
        let a = cloud(10);
        let mut s = SplatSelection::default();
        assert_eq!(s.count(&a), 0);
        let key = s.key();
        s.apply(&a, &ElementMask::from_fn(10, |i| i < 4), Combine::Replace);
        assert_eq!(s.count(&a), 4);
        assert_ne!(s.key(), key, "a change moves the key");
        s.apply(&a, &ElementMask::from_fn(10, |i| i >= 8), Combine::Add);
        assert_eq!(s.count(&a), 6);
        s.apply(&a, &ElementMask::from_fn(10, |i| i == 0), Combine::Subtract);
        assert_eq!(s.count(&a), 5);
        s.invert(&a);
        assert_eq!(s.count(&a), 5);
        assert!(s.selected(&a).is_some_and(|m| m.get(0) && !m.get(1)));
        // Another cloud (an edit's result) has its own; the first one's stays for undo.
        let b = cloud(7);
        assert_eq!(s.count(&b), 0);
        s.all(&b);
        assert_eq!(s.count(&b), 7);
        assert_eq!(s.count(&a), 5);
        // A mask of the wrong length is not taken.
        s.apply(&b, &ElementMask::full(3), Combine::Replace);
        assert_eq!(s.count(&b), 7);
        s.none(&b);
        assert!(s.selected(&b).is_none());
        // Only the last few clouds are remembered.
        for n in 20..20 + KEPT_SELECTIONS {
            s.all(&cloud(n));
        }
        assert_eq!(s.count(&a), 0);
    }

    #[test]
    fn select_region_takes_the_splats_inside() {
        let a = cloud(10);
        let mut s = SplatSelection::default();
        s.select_region(
            &a,
            &Region::Sphere {
                center: glam::Vec3::new(2.0, 0.0, 0.0),
                radius: 1.5,
            },
        );
        assert_eq!(s.count(&a), 3);
        assert_eq!(s.tool, Some(SelectTool::Rect));
    }
}
