//! Screen selection of splats and points, as in SuperSplat: the tool picked in the
//! inspector's "Select splats" / "Select points" section, the selection itself (one bit per
//! element, kept per cloud content so undoing a deletion brings its selection back) and the
//! section's buttons, which emit [`Operation::CloudSelected`]. The viewport side (drawing the
//! shape and selecting) is `app/cloud_select.rs`.

use super::UiAction;
use super::inspector::{fitted_slider, row_ui};
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

/// How many changes of selections can be undone.
const SELECTION_UNDO_STEPS: usize = 64;

/// What the tool marks on one cloud content: the selected elements, the hidden ones (not
/// drawn while the tool is on, never selected, left alone by the selection's edits) and the
/// locked ones (drawn, but never selected, so left alone too; SuperSplat's "Lock").
/// `None`: none marked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CloudMarks {
    pub selected: Option<Arc<ElementMask>>,
    pub hidden: Option<Arc<ElementMask>>,
    pub locked: Option<Arc<ElementMask>>,
}

impl CloudMarks {
    fn is_empty(&self) -> bool {
        empty(&self.selected) && empty(&self.hidden) && empty(&self.locked)
    }

    /// The elements that cannot be selected: hidden or locked.
    fn unselectable(&self) -> Option<ElementMask> {
        match (&self.hidden, &self.locked) {
            (None, None) => None,
            (Some(m), None) | (None, Some(m)) => Some(ElementMask::clone(m)),
            (Some(h), Some(l)) => {
                let mut m = ElementMask::clone(h);
                m.combine(l, Combine::Add);
                Some(m)
            }
        }
    }
}

/// Whether a mark marks nothing.
fn empty(m: &Option<Arc<ElementMask>>) -> bool {
    m.as_ref().is_none_or(|m| m.none())
}

/// One change of a cloud's marks, kept for undo and redo: the marks it replaced (or, on the
/// redo stack, those undo replaced) and where it falls among the scene's edits.
#[derive(Clone, Debug)]
struct SelectionStep {
    /// The cloud content the marks were made on.
    content: u64,
    /// Its marks before the change.
    marks: CloudMarks,
    /// How many edits the history held when the change was made
    /// ([`crate::edit::History::undo_len`]): Ctrl+Z takes back the change only while no edit
    /// came after it, so changes and edits are undone in the order they were made.
    at: usize,
}

/// The splat and point selection tool, what it has selected and what it hides.
#[derive(Clone, Debug)]
pub struct CloudSelection {
    /// The active tool; `None` when the viewport's left drag is the camera's and selection's.
    pub tool: Option<SelectTool>,
    /// The brush's radius in points.
    pub brush_radius: f32,
    /// X-ray: a shape selects every element whose centre it holds, hidden behind others or
    /// not; off, only those in front somewhere inside it.
    pub xray: bool,
    /// Marks per cloud content id, most recently used last.
    marks: Vec<(u64, CloudMarks)>,
    /// Bumped on every change of marks: the renderer's cue to write the bits again.
    generation: u64,
    /// The "Select by value" row.
    pub filter: ValueFilter,
    /// Changes that Ctrl+Z takes back (last on top), and those it took back.
    undo: Vec<SelectionStep>,
    redo: Vec<SelectionStep>,
    /// How many edits the history holds now (kept up to date by the editor), stamped on
    /// each change.
    edits: usize,
    /// Within a brush stroke: whether its first change was recorded (the whole stroke is
    /// one undo step).
    stroke: Option<bool>,
}

impl Default for CloudSelection {
    fn default() -> Self {
        Self {
            tool: None,
            brush_radius: 24.0,
            xray: true,
            marks: Vec::new(),
            generation: 1,
            filter: ValueFilter::default(),
            undo: Vec::new(),
            redo: Vec::new(),
            edits: 0,
            stroke: None,
        }
    }
}

impl CloudSelection {
    /// The selection made on `cloud` (as it is now), if any element of it is selected.
    pub fn selected(&self, cloud: CloudRef<'_>) -> Option<&Arc<ElementMask>> {
        self.fitting(cloud, |m| m.selected.as_ref())
    }

    /// The elements of `cloud` (as it is now) hidden by the tool, if any is.
    pub fn hidden(&self, cloud: CloudRef<'_>) -> Option<&Arc<ElementMask>> {
        self.fitting(cloud, |m| m.hidden.as_ref())
    }

    /// The elements of `cloud` (as it is now) locked by the tool, if any is.
    pub fn locked(&self, cloud: CloudRef<'_>) -> Option<&Arc<ElementMask>> {
        self.fitting(cloud, |m| m.locked.as_ref())
    }

    /// A mask of `cloud`'s marks that fits it (its length) and has any element set.
    fn fitting<'s>(
        &'s self,
        cloud: CloudRef<'_>,
        which: impl Fn(&'s CloudMarks) -> Option<&'s Arc<ElementMask>>,
    ) -> Option<&'s Arc<ElementMask>> {
        self.stored(cloud.content_id())
            .and_then(which)
            .filter(|m| m.len() == cloud.len() && !m.none())
    }

    /// The marks of `cloud` (as it is now) that fit it.
    pub fn marks(&self, cloud: CloudRef<'_>) -> CloudMarks {
        CloudMarks {
            selected: self.selected(cloud).cloned(),
            hidden: self.hidden(cloud).cloned(),
            locked: self.locked(cloud).cloned(),
        }
    }

    /// How many elements of `cloud` are selected.
    pub fn count(&self, cloud: CloudRef<'_>) -> usize {
        self.selected(cloud).map_or(0, |m| m.count())
    }

    /// How many elements of `cloud` are hidden.
    pub fn hidden_count(&self, cloud: CloudRef<'_>) -> usize {
        self.hidden(cloud).map_or(0, |m| m.count())
    }

    /// How many elements of `cloud` are locked.
    pub fn locked_count(&self, cloud: CloudRef<'_>) -> usize {
        self.locked(cloud).map_or(0, |m| m.count())
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

    /// Replaces the cloud's selection (hidden and locked elements left out): one undo step
    /// (a brush stroke's changes make one).
    pub fn set(&mut self, cloud: CloudRef<'_>, mut mask: ElementMask) {
        if mask.len() != cloud.len() {
            return;
        }
        let mut marks = self.marks(cloud);
        if let Some(unselectable) = marks.unselectable() {
            mask.combine(&unselectable, Combine::Subtract);
        }
        marks.selected = Some(Arc::new(mask));
        self.change(cloud, marks);
    }

    /// Gives `cloud` `marks` as one undo step, unless they are what it has.
    fn change(&mut self, cloud: CloudRef<'_>, marks: CloudMarks) {
        let id = cloud.content_id();
        let before = self.marks(cloud);
        let same = |a: &Option<Arc<ElementMask>>, b: &Option<Arc<ElementMask>>| match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => empty(a) && empty(b),
        };
        if same(&before.selected, &marks.selected)
            && same(&before.hidden, &marks.hidden)
            && same(&before.locked, &marks.locked)
        {
            return;
        }
        if self.stroke != Some(true) {
            self.undo.push(SelectionStep {
                content: id,
                marks: before,
                at: self.edits,
            });
            if self.undo.len() > SELECTION_UNDO_STEPS {
                self.undo.remove(0);
            }
            self.redo.clear();
            if self.stroke.is_some() {
                self.stroke = Some(true);
            }
        }
        self.put(id, marks);
    }

    /// Gives `cloud` (an edit's result) `marks` without an undo step of their own: the
    /// edit's undo goes back to the cloud before it, whose marks are kept.
    pub fn carry(&mut self, cloud: CloudRef<'_>, marks: CloudMarks) {
        let fits = |m: &Option<Arc<ElementMask>>| m.as_ref().is_none_or(|m| m.len() == cloud.len());
        if fits(&marks.selected) && fits(&marks.hidden) && fits(&marks.locked) {
            self.put(cloud.content_id(), marks);
        }
    }

    /// The marks stored for cloud content `id`, whatever their length.
    fn stored(&self, id: u64) -> Option<&CloudMarks> {
        self.marks
            .iter()
            .rev()
            .find(|(m, _)| *m == id)
            .map(|(_, m)| m)
    }

    /// Stores `marks` as content `id`'s.
    fn put(&mut self, id: u64, marks: CloudMarks) {
        self.marks.retain(|(m, _)| *m != id);
        if !marks.is_empty() {
            self.marks.push((id, marks));
            if self.marks.len() > KEPT_SELECTIONS {
                self.marks.remove(0);
            }
        }
        self.generation += 1;
    }

    /// Tells the selection how many edits the history holds, and forgets the changes that
    /// no longer fit it: undone edits take the changes made after them along, and redone
    /// or new edits the changes undone before them.
    pub fn sync_edits(&mut self, undo_len: usize) {
        self.edits = undo_len;
        while self.undo.last().is_some_and(|s| s.at > undo_len) {
            self.undo.pop();
        }
        while self.redo.last().is_some_and(|s| s.at < undo_len) {
            self.redo.pop();
        }
    }

    /// Forgets the changes undone (a new edit was made).
    pub fn clear_redo(&mut self) {
        self.redo.clear();
    }

    /// Forgets every change (another world was opened).
    pub fn forget_steps(&mut self) {
        self.undo.clear();
        self.redo.clear();
    }

    /// Takes back the last change, if no edit came after it; true if it did.
    pub fn undo(&mut self) -> bool {
        self.step(false)
    }

    /// Makes the last change taken back again, if it comes before the next edit to redo;
    /// true if it did.
    pub fn redo(&mut self) -> bool {
        self.step(true)
    }

    /// Whether [`Self::undo`] (or with `redo`, [`Self::redo`]) has a change to take.
    pub fn can_step(&self, redo: bool) -> bool {
        let stack = if redo { &self.redo } else { &self.undo };
        stack.last().is_some_and(|s| s.at == self.edits)
    }

    fn step(&mut self, redo: bool) -> bool {
        if !self.can_step(redo) {
            return false;
        }
        let from = if redo { &mut self.redo } else { &mut self.undo };
        let Some(step) = from.pop() else {
            return false;
        };
        let back = SelectionStep {
            content: step.content,
            marks: self.stored(step.content).cloned().unwrap_or_default(),
            at: step.at,
        };
        if redo {
            self.undo.push(back);
        } else {
            self.redo.push(back);
        }
        self.put(step.content, step.marks);
        true
    }

    /// Groups the changes until [`Self::end_stroke`] into one undo step (a brush stroke).
    pub fn begin_stroke(&mut self) {
        self.stroke = Some(false);
    }

    pub fn end_stroke(&mut self) {
        self.stroke = None;
    }

    /// Selects every element of the cloud (that is not hidden or locked), none, or the
    /// others.
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

    /// The mask an edit of the selection works with: the selected elements, and for Keep
    /// only the hidden and locked ones too (it keeps what is inside, and those are kept).
    pub fn edit_mask(&self, cloud: CloudRef<'_>, action: RegionAction) -> Option<Arc<ElementMask>> {
        let selected = self.selected(cloud)?;
        match (action, self.marks(cloud).unselectable()) {
            (RegionAction::Crop, Some(kept)) => {
                let mut mask = ElementMask::clone(selected);
                mask.combine(&kept, Combine::Add);
                Some(Arc::new(mask))
            }
            _ => Some(Arc::clone(selected)),
        }
    }

    /// Hides the selected elements (`others`: those not selected instead); hidden ones are
    /// no longer selected. One undo step.
    pub fn hide(&mut self, cloud: CloudRef<'_>, others: bool) {
        let mut marks = self.marks(cloud);
        let mut hide = self.current(cloud);
        if others {
            hide.invert();
        }
        let mut hidden = marks
            .hidden
            .as_deref()
            .cloned()
            .unwrap_or_else(|| ElementMask::new(cloud.len()));
        hidden.combine(&hide, Combine::Add);
        let mut selected = self.current(cloud);
        selected.combine(&hidden, Combine::Subtract);
        marks.hidden = Some(Arc::new(hidden));
        marks.selected = Some(Arc::new(selected));
        self.change(cloud, marks);
    }

    /// Shows the hidden elements again, selected (as Blender's Alt+H; locked ones stay
    /// unselected). One undo step.
    pub fn reveal(&mut self, cloud: CloudRef<'_>) {
        let Some(hidden) = self.hidden(cloud).cloned() else {
            return;
        };
        let mut selected = self.current(cloud);
        selected.combine(&hidden, Combine::Add);
        let locked = self.locked(cloud).cloned();
        if let Some(locked) = &locked {
            selected.combine(locked, Combine::Subtract);
        }
        self.change(
            cloud,
            CloudMarks {
                selected: Some(Arc::new(selected)),
                hidden: None,
                locked,
            },
        );
    }

    /// Locks the selected elements: still drawn, but no longer selected and never selected
    /// again until unlocked, so the selection's edits leave them alone. One undo step.
    pub fn lock(&mut self, cloud: CloudRef<'_>) {
        let Some(selected) = self.selected(cloud).cloned() else {
            return;
        };
        let mut marks = self.marks(cloud);
        let mut locked = marks
            .locked
            .as_deref()
            .cloned()
            .unwrap_or_else(|| ElementMask::new(cloud.len()));
        locked.combine(&selected, Combine::Add);
        marks.locked = Some(Arc::new(locked));
        marks.selected = None;
        self.change(cloud, marks);
    }

    /// Unlocks every locked element (they stay unselected). One undo step.
    pub fn unlock(&mut self, cloud: CloudRef<'_>) {
        let mut marks = self.marks(cloud);
        if marks.locked.take().is_some() {
            self.change(cloud, marks);
        }
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
    row_ui(ui, |ui| {
        ui.label("Tool");
        for tool in SelectTool::ALL {
            let on = state.tool == Some(tool);
            if ui.selectable_label(on, tool.label()).clicked() {
                state.tool = if on { None } else { Some(tool) };
            }
        }
        ui.separator();
        ui.toggle_value(&mut state.xray, "X-ray")
            .on_hover_text(format!(
                "On: a rectangle, lasso or brush selects every one of the {noun} whose centre \
             it holds, those hidden behind others too. Off: only those in front, as you see \
             them (Alt+Z)",
                noun = cloud.noun()
            ));
    });
    if state.tool == Some(SelectTool::Brush) {
        row_ui(ui, |ui| {
            ui.label("Brush radius");
            fitted_slider(
                ui,
                "200.0 pt",
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
             Alt+drag orbits; Alt+Z toggles X-ray (off: only what is in front). The gizmo moves the selected {noun} (W move, E rotate, Q \
             hides it). A selects all, Alt+A none, R/L/B pick the tool, H hides the \
             selected {noun} (Shift+H the others, Alt+H reveals), Shift+L locks them (Alt+L \
             unlocks all), Del deletes them, Esc ends \
             the tool."
        ));
    }
    let selected = state.count(cloud);
    super::inspector::part_of_label(ui, selected, cloud.len(), &format!("{noun} selected"));
    row_ui(ui, |ui| {
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
    row_ui(ui, |ui| {
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
                && let Some(selected) = state.edit_mask(cloud, action)
            {
                actions.push(UiAction::Operation(Operation::CloudSelected {
                    node,
                    selected,
                    action,
                }));
            }
        }
    });
    hide_ui(ui, cloud, state, selected);
}

/// Hide / Hide others / Reveal: hidden elements are not drawn while the tool is on, cannot
/// be selected and are kept by Delete, Keep only and Separate. Lock / Unlock: locked ones
/// are drawn but cannot be selected, so are kept too.
fn hide_ui(ui: &mut Ui, cloud: CloudRef<'_>, state: &mut CloudSelection, selected: usize) {
    let noun = cloud.noun();
    let hidden = state.hidden_count(cloud);
    let locked = state.locked_count(cloud);
    let button = |ui: &mut Ui, enabled: bool, label: &str, hover: String| {
        ui.add_enabled(enabled, egui::Button::new(label))
            .on_hover_text(hover)
            .clicked()
    };
    let count = |ui: &mut Ui, n: usize, what: &str| {
        if n > 0 {
            ui.weak(format!("{} {what}", super::inspector::thousands(n as u64)));
        }
    };
    row_ui(ui, |ui| {
        let hover = format!(
            "Hide the selected {noun} while the tool is on (H): they are not drawn, cannot be \
             selected and stay through Delete and Keep only"
        );
        if button(ui, selected > 0, "Hide", hover) {
            state.hide(cloud, false);
        }
        let hover = format!("Hide the {noun} that are not selected (Shift+H)");
        if button(ui, selected > 0, "Hide others", hover) {
            state.hide(cloud, true);
        }
        let hover = format!("Show the hidden {noun} again, selected (Alt+H)");
        if button(ui, hidden > 0, "Reveal", hover) {
            state.reveal(cloud);
        }
        count(ui, hidden, "hidden");
    });
    row_ui(ui, |ui| {
        let hover = format!(
            "Lock the selected {noun}: they stay drawn but cannot be selected, so Delete, Keep \
             only, Separate and moves leave them alone (Shift+L)"
        );
        if button(ui, selected > 0, "Lock", hover) {
            state.lock(cloud);
        }
        let hover = format!("Make the locked {noun} selectable again (Alt+L)");
        if button(ui, locked > 0, "Unlock", hover) {
            state.unlock(cloud);
        }
        count(ui, locked, "locked");
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
    row_ui(ui, |ui| {
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
    row_ui(ui, |ui| {
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
    fn locked_elements_are_never_selected_and_kept_by_keep_only() {
        let a = splats(10);
        let a = CloudRef::Splats(&a);
        let mut s = CloudSelection::default();
        s.lock(a);
        assert_eq!(s.locked_count(a), 0, "nothing selected, nothing locked");
        s.apply(a, &ElementMask::from_fn(10, |i| i < 3), Combine::Replace);
        s.lock(a);
        assert_eq!((s.count(a), s.locked_count(a)), (0, 3));
        s.all(a);
        assert_eq!(s.count(a), 7);
        s.invert(a);
        assert_eq!(s.count(a), 0, "the locked are not the others");
        s.apply(
            a,
            &ElementMask::from_fn(10, |i| i == 1 || i == 5),
            Combine::Replace,
        );
        assert!(s.selected(a).is_some_and(|m| m.get(5) && !m.get(1)));
        // Delete takes the selected only; Keep only keeps the locked too.
        let delete = s.edit_mask(a, RegionAction::Delete).unwrap();
        assert_eq!(delete.count(), 1);
        let keep = s.edit_mask(a, RegionAction::Crop).unwrap();
        assert!((0..3).all(|i| keep.get(i)) && keep.get(5) && keep.count() == 4);
        // Each is one undo step.
        s.unlock(a);
        assert_eq!(s.locked_count(a), 0);
        assert!(s.undo());
        assert_eq!(s.locked_count(a), 3);
        assert!(s.undo() && s.undo() && s.undo());
        assert_eq!(
            (s.count(a), s.locked_count(a)),
            (0, 3),
            "back to just after the lock"
        );
        assert!(s.undo());
        assert_eq!(
            (s.count(a), s.locked_count(a)),
            (3, 0),
            "back before the lock"
        );
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
    fn selection_changes_undo_in_turn_with_the_edits() {
        let a = splats(10);
        let a = CloudRef::Splats(&a);
        let mask = |n: usize| ElementMask::from_fn(10, |i| i < n);
        let mut s = CloudSelection::default();
        s.sync_edits(0);
        s.set(a, mask(3));
        // Setting the same selection again, or none when none is, records nothing.
        s.set(a, mask(3));
        s.sync_edits(1); // An edit was made after it.
        s.set(a, mask(5));
        assert!(s.can_step(false) && !s.can_step(true));
        assert!(s.undo());
        assert_eq!(s.count(a), 3);
        // The edit came after the first change: that is Ctrl+Z's next, not the change.
        assert!(!s.can_step(false) && !s.undo());
        s.sync_edits(0); // The edit was undone.
        assert!(s.undo());
        assert_eq!(s.count(a), 0);
        assert!(!s.can_step(false));
        // Redo in the same order: the change, then the edit, then the second change.
        assert!(s.redo());
        assert_eq!(s.count(a), 3);
        assert!(!s.redo(), "the edit comes first");
        s.sync_edits(1);
        assert!(s.redo());
        assert_eq!(s.count(a), 5);
        assert!(!s.can_step(true));
        // Undoing an edit drops the changes made after it; a new change drops the redo.
        assert!(s.undo());
        s.sync_edits(0);
        assert!(s.can_step(false), "the first change is next");
        assert!(!s.can_step(true), "the edit comes before the second change");
        s.sync_edits(1); // The edit was redone.
        assert!(s.can_step(true));
        s.set(a, mask(7));
        assert!(!s.can_step(true), "a new change forgets what was undone");
        // A brush stroke's many changes are one step.
        let before = s.count(a);
        s.begin_stroke();
        for n in [8, 9, 10] {
            s.set(a, mask(n));
        }
        s.end_stroke();
        assert_eq!(s.count(a), 10);
        assert!(s.undo());
        assert_eq!(s.count(a), before);
        // Carrying a selection to an edit's result is not a change of its own.
        let b = splats(10);
        s.carry(
            CloudRef::Splats(&b),
            CloudMarks {
                selected: Some(Arc::new(mask(2))),
                hidden: None,
                locked: None,
            },
        );
        assert_eq!(s.count(CloudRef::Splats(&b)), 2);
        assert!(s.undo(), "the step before the stroke");
        assert_eq!(s.count(CloudRef::Splats(&b)), 2);
        s.forget_steps();
        assert!(!s.can_step(false) && !s.can_step(true));
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
