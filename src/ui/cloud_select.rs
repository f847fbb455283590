//! Screen selection of splats and points, as in SuperSplat: the tool picked in the
//! inspector's "Select splats" / "Select points" section, the selection itself (one bit per
//! element, kept per cloud content so undoing a deletion brings its selection back) and the
//! section's buttons, which emit [`Operation::CloudSelected`]. The viewport side (drawing the
//! shape and selecting) is `app/cloud_select.rs`.

use super::UiAction;
use crate::edit::ops::{Operation, Region, RegionAction};
use crate::scene::{Combine, ElementMask, NodeId, PointCloud, SplatCloud};
use egui::Ui;
use std::sync::Arc;

/// The cloud a selection is made on.
#[derive(Clone, Copy, Debug)]
pub enum CloudRef<'a> {
    Splats(&'a SplatCloud),
    Points(&'a PointCloud),
}

impl CloudRef<'_> {
    pub fn content_id(self) -> u64 {
        match self {
            Self::Splats(c) => c.content_id(),
            Self::Points(c) => c.content_id(),
        }
    }

    pub fn len(self) -> usize {
        self.positions().len()
    }

    pub fn is_empty(self) -> bool {
        self.positions().is_empty()
    }

    /// Element centres in the cloud's frame.
    pub fn positions<'b>(self) -> &'b [[f32; 3]]
    where
        Self: 'b,
    {
        match self {
            Self::Splats(c) => &c.positions,
            Self::Points(c) => &c.positions,
        }
    }

    /// What the elements are called.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Splats(_) => "splats",
            Self::Points(_) => "points",
        }
    }

    fn framing_size(self) -> f32 {
        crate::scene::framing_bounds_of(self.positions())
            .size()
            .max_element()
    }
}

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

/// A per-element value to select by (floaters are faint, huge or far out; SfM strays far
/// out). Opacity and size are splats' only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplatValue {
    /// Opacity, 0..=1.
    Opacity,
    /// The largest standard deviation, in the cloud's units.
    Size,
    /// Distance of the centre from the middle of the cloud's central part (1st–99th
    /// percentile box), in the cloud's units.
    Distance,
}

impl SplatValue {
    const ALL: [SplatValue; 3] = [Self::Opacity, Self::Size, Self::Distance];

    fn label(self) -> &'static str {
        match self {
            Self::Opacity => "Opacity",
            Self::Size => "Size (largest σ)",
            Self::Distance => "Distance from centre",
        }
    }
}

/// "Select splats whose `value` is below (or above) `threshold`".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueFilter {
    pub value: SplatValue,
    pub below: bool,
    pub threshold: f32,
}

impl Default for ValueFilter {
    fn default() -> Self {
        Self {
            value: SplatValue::Opacity,
            below: true,
            threshold: 0.1,
        }
    }
}

impl ValueFilter {
    /// A sensible start for selecting by `value` on `cloud`.
    fn starting(value: SplatValue, cloud: CloudRef<'_>) -> Self {
        match value {
            SplatValue::Opacity => Self::default(),
            SplatValue::Size => Self {
                value,
                below: false,
                threshold: cloud.framing_size() * 0.05,
            },
            SplatValue::Distance => Self {
                value,
                below: false,
                threshold: cloud.framing_size(),
            },
        }
    }

    /// The elements of `cloud` the filter takes (a NaN value is taken either way: it is
    /// garbage to clean up). Points have only a distance.
    pub fn select(&self, cloud: CloudRef<'_>) -> ElementMask {
        let positions = cloud.positions();
        let center = crate::scene::framing_bounds_of(positions).center();
        let value = |i: usize| -> f32 {
            match (self.value, cloud) {
                (SplatValue::Opacity, CloudRef::Splats(c)) => c.opacities[i],
                (SplatValue::Size, CloudRef::Splats(c)) => {
                    c.scales[i].into_iter().fold(f32::NAN, f32::max)
                }
                _ => glam::Vec3::from(positions[i]).distance(center),
            }
        };
        let t = self.threshold;
        ElementMask::from_fn(cloud.len(), |i| {
            let v = value(i);
            v.is_nan() || if self.below { v < t } else { v > t }
        })
    }
}

/// The cloud tools' state, kept by the editor across frames: the splat region and the
/// selection of splats or points.
#[derive(Clone, Debug, Default)]
pub struct CloudTools {
    /// The region edited in the inspector (drawn over the viewport).
    pub region: Option<super::SplatRegionTool>,
    /// The screen selection of splats and points.
    pub select: CloudSelection,
}

/// How many clouds' selections are kept (the current cloud's and a few it replaced through
/// edits, for undo).
const KEPT_SELECTIONS: usize = 8;

/// The splat and point selection tool and what it has selected.
#[derive(Clone, Debug)]
pub struct CloudSelection {
    /// The active tool; `None` when the viewport's left drag is the camera's and selection's.
    pub tool: Option<SelectTool>,
    /// The brush's radius in points.
    pub brush_radius: f32,
    /// Selected elements per cloud content id, most recently used last.
    masks: Vec<(u64, Arc<ElementMask>)>,
    /// Bumped on every change of a selection: the renderer's cue to write the bits again.
    generation: u64,
    /// The "Select by value" row.
    pub filter: ValueFilter,
}

impl Default for CloudSelection {
    fn default() -> Self {
        Self {
            tool: None,
            brush_radius: 24.0,
            masks: Vec::new(),
            generation: 1,
            filter: ValueFilter::default(),
        }
    }
}

impl CloudSelection {
    /// The selection made on `cloud` (as it is now), if any element of it is selected.
    pub fn selected(&self, cloud: CloudRef<'_>) -> Option<&Arc<ElementMask>> {
        self.masks
            .iter()
            .rev()
            .find(|(id, m)| *id == cloud.content_id() && m.len() == cloud.len())
            .map(|(_, m)| m)
            .filter(|m| !m.none())
    }

    /// How many elements of `cloud` are selected.
    pub fn count(&self, cloud: CloudRef<'_>) -> usize {
        self.selected(cloud).map_or(0, |m| m.count())
    }

    /// Changes whenever a selection does.
    pub fn key(&self) -> u64 {
        self.generation
    }

    /// Combines `mask` (one bit per element of `cloud`) into the cloud's selection.
    pub fn apply(&mut self, cloud: CloudRef<'_>, mask: &ElementMask, how: Combine) {
        if mask.len() != cloud.len() {
            return;
        }
        let mut next = self.current(cloud);
        next.combine(mask, how);
        self.set(cloud, next);
    }

    /// A copy of the cloud's selection (none selected if there is none).
    fn current(&self, cloud: CloudRef<'_>) -> ElementMask {
        self.selected(cloud)
            .map_or_else(|| ElementMask::new(cloud.len()), |m| ElementMask::clone(m))
    }

    /// Replaces the cloud's selection.
    pub fn set(&mut self, cloud: CloudRef<'_>, mask: ElementMask) {
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

    /// Selects every element of the cloud, none, or the others.
    pub fn all(&mut self, cloud: CloudRef<'_>) {
        self.set(cloud, ElementMask::full(cloud.len()));
    }

    pub fn none(&mut self, cloud: CloudRef<'_>) {
        self.set(cloud, ElementMask::new(cloud.len()));
    }

    fn invert(&mut self, cloud: CloudRef<'_>) {
        let mut m = self.current(cloud);
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
        self.set(CloudRef::Splats(cloud), inside);
        self.tool.get_or_insert(SelectTool::Rect);
    }
}

/// The "Select splats" / "Select points" section of a splat or point node's inspector: the
/// tool, the selection's size, all/none/invert, select by value, and delete / keep only /
/// separate of the selection.
pub fn cloud_select_ui(
    ui: &mut Ui,
    node: NodeId,
    cloud: CloudRef<'_>,
    state: &mut CloudSelection,
    actions: &mut Vec<UiAction>,
) {
    egui::CollapsingHeader::new(format!("Select {}", cloud.noun()))
        .default_open(true)
        .show(ui, |ui| selection_ui(ui, node, cloud, state, actions));
}

/// The inside of [`cloud_select_ui`]'s section.
fn selection_ui(
    ui: &mut Ui,
    node: NodeId,
    cloud: CloudRef<'_>,
    state: &mut CloudSelection,
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
    let noun = cloud.noun();
    if state.tool.is_some() {
        ui.weak(format!(
            "Drag in the viewport over the {noun}' centres: Shift adds, Ctrl takes away, \
             Alt+drag orbits. The gizmo moves the selected {noun} (W move, E rotate, Q \
             hides it). A selects all, Alt+A none, R/L/B pick the tool, Del deletes the \
             selected {noun}, Esc ends the tool."
        ));
    }
    let selected = state.count(cloud);
    super::inspector::part_of_label(ui, selected, cloud.len(), &format!("{noun} selected"));
    ui.horizontal(|ui| {
        if ui
            .button("All")
            .on_hover_text(format!("Select every one of the {noun}"))
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
            .on_hover_text(format!(
                "Select the {noun} that are not selected, and only those"
            ))
            .clicked()
        {
            state.invert(cloud);
            state.tool.get_or_insert(SelectTool::Rect);
        }
    });
    value_filter_ui(ui, cloud, state);
    ui.horizontal(|ui| {
        for (label, hover, action) in [
            (
                "Delete",
                "Remove the selected {noun} (Del)",
                RegionAction::Delete,
            ),
            (
                "Keep only",
                "Remove the {noun} that are not selected",
                RegionAction::Crop,
            ),
            (
                "Separate",
                "Move the selected {noun} into a new node",
                RegionAction::Separate,
            ),
        ] {
            let button = ui
                .add_enabled(selected > 0, egui::Button::new(label))
                .on_hover_text(hover.replace("{noun}", noun));
            if button.clicked()
                && let Some(mask) = state.selected(cloud)
            {
                actions.push(UiAction::Operation(Operation::CloudSelected {
                    node,
                    selected: Arc::clone(mask),
                    action,
                }));
            }
        }
    });
}

/// "Select by value": faint, huge or far-out splats (floaters) or far-out points (strays),
/// replacing or added to the selection.
fn value_filter_ui(ui: &mut Ui, cloud: CloudRef<'_>, state: &mut CloudSelection) {
    let f = &mut state.filter;
    let values: &[SplatValue] = match cloud {
        CloudRef::Splats(_) => &SplatValue::ALL,
        CloudRef::Points(_) => &[SplatValue::Distance],
    };
    if !values.contains(&f.value) {
        *f = ValueFilter::starting(SplatValue::Distance, cloud);
    }
    ui.horizontal(|ui| {
        ui.label("Where");
        egui::ComboBox::from_id_salt("splat_select_value")
            .selected_text(f.value.label())
            .show_ui(ui, |ui| {
                for &v in values {
                    let before = f.value;
                    ui.selectable_value(&mut f.value, v, v.label());
                    if before != f.value {
                        *f = ValueFilter::starting(v, cloud);
                    }
                }
            });
        egui::ComboBox::from_id_salt("splat_select_cmp")
            .width(70.0)
            .selected_text(if f.below { "below" } else { "above" })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.below, true, "below");
                ui.selectable_value(&mut f.below, false, "above");
            });
        let speed = match f.value {
            SplatValue::Opacity => 0.005,
            _ => f64::from(f.threshold.abs().max(0.01)) * 0.01,
        };
        let mut drag = egui::DragValue::new(&mut f.threshold)
            .speed(speed)
            .max_decimals(3);
        drag = match f.value {
            SplatValue::Opacity => drag.range(0.0..=1.0),
            _ => drag.range(0.0..=f32::MAX).suffix(" m"),
        };
        ui.add(drag);
    });
    ui.horizontal(|ui| {
        let select = ui.button("Select").on_hover_text(format!(
            "Replace the selection with the {} that match",
            cloud.noun()
        ));
        let add = ui.button("Add").on_hover_text(format!(
            "Add the {} that match to the selection",
            cloud.noun()
        ));
        if select.clicked() || add.clicked() {
            let mask = state.filter.select(cloud);
            let how = if add.clicked() {
                Combine::Add
            } else {
                Combine::Replace
            };
            state.apply(cloud, &mask, how);
            state.tool.get_or_insert(SelectTool::Rect);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splats(n: usize) -> SplatCloud {
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
        let a = splats(10);
        let a = CloudRef::Splats(&a);
        let mut s = CloudSelection::default();
        assert_eq!(s.count(a), 0);
        let key = s.key();
        s.apply(a, &ElementMask::from_fn(10, |i| i < 4), Combine::Replace);
        assert_eq!(s.count(a), 4);
        assert_ne!(s.key(), key, "a change moves the key");
        s.apply(a, &ElementMask::from_fn(10, |i| i >= 8), Combine::Add);
        assert_eq!(s.count(a), 6);
        s.apply(a, &ElementMask::from_fn(10, |i| i == 0), Combine::Subtract);
        assert_eq!(s.count(a), 5);
        s.invert(a);
        assert_eq!(s.count(a), 5);
        assert!(s.selected(a).is_some_and(|m| m.get(0) && !m.get(1)));
        // Another cloud (an edit's result) has its own; the first one's stays for undo.
        let b = splats(7);
        let b = CloudRef::Splats(&b);
        assert_eq!(s.count(b), 0);
        s.all(b);
        assert_eq!(s.count(b), 7);
        assert_eq!(s.count(a), 5);
        // A mask of the wrong length is not taken.
        s.apply(b, &ElementMask::full(3), Combine::Replace);
        assert_eq!(s.count(b), 7);
        s.none(b);
        assert!(s.selected(b).is_none());
        // Only the last few clouds are remembered.
        for n in 20..20 + KEPT_SELECTIONS {
            s.all(CloudRef::Splats(&splats(n)));
        }
        assert_eq!(s.count(a), 0);
    }

    #[test]
    fn value_filters_take_faint_huge_and_far_splats() {
        // Splats at x = 0..10; opacity i/10, size 0.1·i.
        let mut c = splats(10);
        for i in 0..10 {
            c.opacities[i] = i as f32 / 10.0;
            c.scales[i] = [0.01, 0.1 * i as f32, 0.02];
        }
        c.opacities[9] = f32::NAN;
        let count = |f: ValueFilter| f.select(CloudRef::Splats(&c)).count();
        assert_eq!(
            count(ValueFilter::default()),
            1 + 1,
            "opacity 0 and the NaN"
        );
        let above = |value, threshold| ValueFilter {
            value,
            below: false,
            threshold,
        };
        assert_eq!(
            count(above(SplatValue::Opacity, 0.65)),
            2 + 1,
            "0.7, 0.8 and the NaN"
        );
        assert_eq!(count(above(SplatValue::Size, 0.55)), 4, "0.6 … 0.9");
        // The central box spans about 0..9 (centre ≈ 4.5): 3.0 away leaves out 2..=7.
        assert_eq!(count(above(SplatValue::Distance, 3.0)), 4, "0, 1, 8, 9");
        // Points have a distance only.
        let points = PointCloud::new(c.positions.clone(), Vec::new(), Vec::new());
        let far = above(SplatValue::Distance, 3.0).select(CloudRef::Points(&points));
        assert_eq!(far.count(), 4);
        assert!(far.get(0) && far.get(9) && !far.get(5));
    }

    #[test]
    fn select_region_takes_the_splats_inside() {
        let a = splats(10);
        let mut s = CloudSelection::default();
        s.select_region(
            &a,
            &Region::Sphere {
                center: glam::Vec3::new(2.0, 0.0, 0.0),
                radius: 1.5,
            },
        );
        assert_eq!(s.count(CloudRef::Splats(&a)), 3);
        assert_eq!(s.tool, Some(SelectTool::Rect));
    }
}
