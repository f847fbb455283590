//! The splat region tool: a box or sphere in a splat cloud's local space, edited in the
//! inspector and drawn over the viewport; the splats inside can be deleted, cropped to or
//! separated into a new node.

use super::UiAction;
use crate::edit::ops::{Operation, Region, RegionAction};
use crate::scene::{NodeId, SplatCloud};
use egui::{Color32, Painter, Rect, Stroke, Ui, pos2};
use glam::{Mat4, Vec3};

/// The region being edited, per splat node.
#[derive(Clone, Debug, PartialEq)]
pub struct SplatRegionTool {
    pub node: NodeId,
    pub region: Region,
    /// Splats inside, for (cloud content id, region): counting millions each frame would
    /// cost milliseconds, so it is counted again only when either changes.
    count: Option<(u64, Region, usize)>,
}

impl SplatRegionTool {
    /// A box around the middle quarter of the cloud.
    pub fn new(node: NodeId, cloud: &SplatCloud) -> Self {
        let b = cloud.bounds();
        let (center, half_size) = if b.is_empty() {
            (Vec3::ZERO, Vec3::ONE)
        } else {
            (b.center(), (b.size() * 0.25).max(Vec3::splat(0.01)))
        };
        Self {
            node,
            region: Region::Box { center, half_size },
            count: None,
        }
    }

    fn inside(&mut self, cloud: &SplatCloud) -> usize {
        match self.count {
            Some((id, region, n)) if id == cloud.content_id() && region == self.region => n,
            _ => {
                let n = self.region.count_inside(cloud);
                self.count = Some((cloud.content_id(), self.region, n));
                n
            }
        }
    }
}

/// The region section of a splat node's inspector.
pub fn splat_region_ui(
    ui: &mut Ui,
    node: NodeId,
    cloud: &SplatCloud,
    tools: &mut super::CloudTools,
    actions: &mut Vec<UiAction>,
) {
    let tool = &mut tools.region;
    if tool.as_ref().is_none_or(|t| t.node != node) {
        *tool = Some(SplatRegionTool::new(node, cloud));
    }
    let Some(t) = tool else { return };
    let size = cloud.bounds().size().max_element().max(0.01);
    let speed = f64::from(size) * 0.002;
    let mut is_box = matches!(t.region, Region::Box { .. });
    ui.horizontal(|ui| {
        ui.label("Shape");
        let before = is_box;
        ui.selectable_value(&mut is_box, true, "Box");
        ui.selectable_value(&mut is_box, false, "Sphere");
        if before != is_box {
            t.region = match t.region {
                Region::Box { center, half_size } => Region::Sphere {
                    center,
                    radius: half_size.max_element(),
                },
                Region::Sphere { center, radius } => Region::Box {
                    center,
                    half_size: Vec3::splat(radius),
                },
            };
        }
    });
    super::inspector::grid_ui(ui, "inspector_region", |ui| match &mut t.region {
        Region::Box { center, half_size } => {
            ui.label("Centre");
            drag3(ui, center, speed);
            ui.end_row();
            ui.label("Half size");
            drag3(ui, half_size, speed);
            *half_size = half_size.max(Vec3::ZERO);
            ui.end_row();
        }
        Region::Sphere { center, radius } => {
            ui.label("Centre");
            drag3(ui, center, speed);
            ui.end_row();
            ui.label("Radius");
            ui.add(
                egui::DragValue::new(radius)
                    .speed(speed)
                    .range(0.0..=f32::MAX),
            );
            ui.end_row();
        }
    });
    let inside = t.inside(cloud);
    super::inspector::part_of_label(ui, inside, cloud.len(), "splats inside");
    ui.horizontal(|ui| {
        let enabled = inside > 0;
        if ui
            .add_enabled(enabled, egui::Button::new("Select"))
            .on_hover_text("Select the splats inside (Select splats), to refine by hand")
            .clicked()
        {
            tools.select.select_region(cloud, &t.region);
        }
        for (label, hover, action) in [
            ("Delete", "Remove the splats inside", RegionAction::Delete),
            ("Crop", "Keep only the splats inside", RegionAction::Crop),
            (
                "Separate",
                "Move the splats inside into a new node",
                RegionAction::Separate,
            ),
        ] {
            if ui
                .add_enabled(enabled, egui::Button::new(label))
                .on_hover_text(hover)
                .clicked()
            {
                actions.push(UiAction::Operation(Operation::SplatRegion {
                    node,
                    region: t.region,
                    action,
                }));
            }
        }
    });
}

fn drag3(ui: &mut Ui, v: &mut Vec3, speed: f64) {
    ui.horizontal(|ui| {
        for c in [&mut v.x, &mut v.y, &mut v.z] {
            ui.add(egui::DragValue::new(c).speed(speed).max_decimals(3));
        }
    });
}

/// Draws the region's outline over the viewport image at `rect`; `clip_from_local` maps the
/// splat node's local space to clip space.
pub fn paint_region(painter: &Painter, rect: Rect, clip_from_local: Mat4, region: &Region) {
    let to_screen = |p: Vec3| -> Option<egui::Pos2> {
        let clip = clip_from_local * p.extend(1.0);
        // Behind the camera (reversed-Z perspective: w is the view depth).
        if clip.w <= 1e-4 {
            return None;
        }
        let ndc = clip.truncate() / clip.w;
        Some(pos2(
            rect.left() + (ndc.x * 0.5 + 0.5) * rect.width(),
            rect.top() + (0.5 - ndc.y * 0.5) * rect.height(),
        ))
    };
    let stroke = Stroke::new(1.5, Color32::from_rgb(255, 170, 40));
    let segment = |a: Vec3, b: Vec3| {
        if let (Some(a), Some(b)) = (to_screen(a), to_screen(b)) {
            painter.line_segment([a, b], stroke);
        }
    };
    match *region {
        Region::Box { center, half_size } => {
            let corner = |i: usize| {
                center
                    + half_size
                        * Vec3::new(
                            if i & 1 == 0 { -1.0 } else { 1.0 },
                            if i & 2 == 0 { -1.0 } else { 1.0 },
                            if i & 4 == 0 { -1.0 } else { 1.0 },
                        )
            };
            for i in 0..8 {
                for bit in [1, 2, 4] {
                    if i & bit == 0 {
                        segment(corner(i), corner(i | bit));
                    }
                }
            }
        }
        Region::Sphere { center, radius } => {
            let steps = 48;
            for axis in 0..3 {
                for k in 0..steps {
                    let circle = |k: usize| {
                        let a = k as f32 / steps as f32 * std::f32::consts::TAU;
                        let (s, c) = a.sin_cos();
                        let v = match axis {
                            0 => Vec3::new(0.0, c, s),
                            1 => Vec3::new(c, 0.0, s),
                            _ => Vec3::new(c, s, 0.0),
                        };
                        center + v * radius
                    };
                    segment(circle(k), circle(k + 1));
                }
            }
        }
    }
}
