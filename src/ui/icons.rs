//! Node-type icons, painted as vector shapes.
//!
//! egui 0.37's `default_fonts` ship no emoji or symbol font (that needs the
//! `monochrome_emoji_fonts` feature), so glyphs like U+2600 would render as boxes. Shapes
//! drawn with the painter look the same on every machine and at every scale.

use crate::scene::{LightKind, Node, NodeKind, Scene};
use egui::{Color32, Painter, Pos2, Rect, Shape, Stroke, pos2, vec2};

/// Which icon a node shows in the outliner and inspector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeIcon {
    Group,
    Mesh,
    Sun,
    PointLight,
    SpotLight,
    Camera,
    Points,
    Lines,
    Splats,
    /// A group that is a joint of a skin.
    Bone,
}

/// The icon for `node` in `scene`: its kind's, or a bone for a group that is a skin's joint.
pub fn node_icon_in(scene: &Scene, node: &Node) -> NodeIcon {
    if node.kind == NodeKind::Empty && !scene.skinned_by(node.id).is_empty() {
        NodeIcon::Bone
    } else {
        node_icon(&node.kind)
    }
}

/// The icon for a node kind.
pub fn node_icon(kind: &NodeKind) -> NodeIcon {
    match kind {
        NodeKind::Empty => NodeIcon::Group,
        NodeKind::Mesh { .. } => NodeIcon::Mesh,
        NodeKind::Light(light) => match light.kind {
            LightKind::Directional => NodeIcon::Sun,
            LightKind::Point => NodeIcon::PointLight,
            LightKind::Spot { .. } => NodeIcon::SpotLight,
        },
        NodeKind::Camera(_) => NodeIcon::Camera,
        NodeKind::Points { .. } => NodeIcon::Points,
        NodeKind::Lines { .. } => NodeIcon::Lines,
        NodeKind::Splats { .. } => NodeIcon::Splats,
    }
}

impl NodeIcon {
    /// Tint per type, readable on both light and dark panels.
    pub fn color(self) -> Color32 {
        match self {
            NodeIcon::Group => Color32::from_rgb(0xd8, 0xb2, 0x5c),
            NodeIcon::Mesh => Color32::from_rgb(0xe0, 0x8a, 0x3c),
            NodeIcon::Sun | NodeIcon::PointLight | NodeIcon::SpotLight => {
                Color32::from_rgb(0xf2, 0xd5, 0x4b)
            }
            NodeIcon::Camera => Color32::from_rgb(0x8f, 0xc3, 0xd8),
            NodeIcon::Points | NodeIcon::Lines | NodeIcon::Splats => {
                Color32::from_rgb(0x9c, 0xd0, 0x7a)
            }
            NodeIcon::Bone => Color32::from_rgb(0xc8, 0xcd, 0xda),
        }
    }
}

/// Paints `icon` into the square `rect`.
pub(crate) fn paint_icon(painter: &Painter, rect: Rect, icon: NodeIcon, color: Color32) {
    let side = rect.width().min(rect.height());
    let r = Rect::from_center_size(rect.center(), egui::Vec2::splat(side));
    let s = r.width();
    let stroke = Stroke::new((s / 12.0).max(1.0), color);
    let at = |x: f32, y: f32| pos2(r.left() + x * s, r.top() + y * s);
    match icon {
        NodeIcon::Group => {
            // A folder: tab plus body.
            let body = Rect::from_min_max(at(0.06, 0.28), at(0.94, 0.86));
            painter.rect_stroke(body, 1.5, stroke, egui::StrokeKind::Inside);
            painter.add(Shape::line(
                vec![at(0.06, 0.3), at(0.06, 0.16), at(0.4, 0.16), at(0.5, 0.28)],
                stroke,
            ));
        }
        NodeIcon::Mesh => {
            // An isometric cube.
            let top = [at(0.5, 0.08), at(0.9, 0.3), at(0.5, 0.52), at(0.1, 0.3)];
            painter.add(Shape::convex_polygon(
                top.to_vec(),
                color.gamma_multiply(0.55),
                stroke,
            ));
            painter.add(Shape::line(
                vec![
                    at(0.1, 0.3),
                    at(0.1, 0.72),
                    at(0.5, 0.94),
                    at(0.9, 0.72),
                    at(0.9, 0.3),
                ],
                stroke,
            ));
            painter.line_segment([at(0.5, 0.52), at(0.5, 0.94)], stroke);
        }
        NodeIcon::Sun => {
            let c = r.center();
            painter.circle_filled(c, s * 0.2, color);
            for i in 0..8 {
                let a = i as f32 * std::f32::consts::TAU / 8.0;
                let d = vec2(a.cos(), a.sin());
                painter.line_segment([c + d * s * 0.32, c + d * s * 0.46], stroke);
            }
        }
        NodeIcon::PointLight => {
            // A bulb with a screw base.
            painter.circle_stroke(at(0.5, 0.38), s * 0.28, stroke);
            painter.circle_filled(at(0.5, 0.38), s * 0.12, color);
            painter.line_segment([at(0.38, 0.76), at(0.62, 0.76)], stroke);
            painter.line_segment([at(0.41, 0.9), at(0.59, 0.9)], stroke);
        }
        NodeIcon::SpotLight => {
            // A cone of light from a small lamp head.
            painter.circle_filled(at(0.5, 0.16), s * 0.1, color);
            let cone = vec![at(0.5, 0.2), at(0.88, 0.88), at(0.12, 0.88)];
            painter.add(Shape::convex_polygon(
                cone,
                color.gamma_multiply(0.35),
                stroke,
            ));
        }
        NodeIcon::Camera => {
            let body = Rect::from_min_max(at(0.04, 0.28), at(0.66, 0.78));
            painter.rect_filled(body, 1.5, color.gamma_multiply(0.55));
            painter.rect_stroke(body, 1.5, stroke, egui::StrokeKind::Inside);
            let lens = vec![at(0.66, 0.53), at(0.96, 0.3), at(0.96, 0.76)];
            painter.add(Shape::convex_polygon(lens, color, Stroke::NONE));
        }
        NodeIcon::Points => {
            // A scatter of dots.
            for (x, y) in [
                (0.2, 0.3),
                (0.5, 0.18),
                (0.8, 0.32),
                (0.35, 0.55),
                (0.68, 0.6),
                (0.22, 0.82),
                (0.55, 0.85),
                (0.85, 0.8),
            ] {
                painter.circle_filled(at(x, y), s * 0.07, color);
            }
        }
        NodeIcon::Lines => {
            // A polyline with its vertices.
            let corners = [at(0.1, 0.8), at(0.36, 0.3), at(0.62, 0.66), at(0.9, 0.18)];
            painter.add(Shape::line(corners.to_vec(), stroke));
            for c in corners {
                painter.circle_filled(c, s * 0.08, color);
            }
        }
        NodeIcon::Bone => {
            // Blender's octahedral bone, head at the lower left.
            let (head, tail) = (at(0.18, 0.82), at(0.86, 0.14));
            let waist = vec![head, at(0.24, 0.52), tail, at(0.48, 0.76)];
            painter.add(Shape::convex_polygon(
                waist,
                color.gamma_multiply(0.45),
                stroke,
            ));
            painter.circle_filled(head, s * 0.1, color);
        }
        NodeIcon::Splats => {
            // Overlapping soft ellipses.
            for (x, y, rx, ry, a) in [
                (0.35, 0.4, 0.26, 0.16, 0.55),
                (0.62, 0.55, 0.3, 0.2, 0.45),
                (0.42, 0.72, 0.2, 0.12, 0.7),
            ] {
                painter.add(Shape::ellipse_filled(
                    at(x, y),
                    vec2(rx * s, ry * s),
                    color.gamma_multiply(a),
                ));
            }
        }
    }
}

/// Paints the expand/collapse arrow of a tree row: pointing right when closed, down when open.
pub(crate) fn paint_tree_arrow(painter: &Painter, rect: Rect, open: bool, color: Color32) {
    let c = rect.center();
    let h = rect.height().min(rect.width()) * 0.28;
    let points: Vec<Pos2> = if open {
        vec![
            c + vec2(-h, -h * 0.55),
            c + vec2(h, -h * 0.55),
            c + vec2(0.0, h * 0.75),
        ]
    } else {
        vec![
            c + vec2(-h * 0.55, -h),
            c + vec2(h * 0.75, 0.0),
            c + vec2(-h * 0.55, h),
        ]
    };
    painter.add(Shape::convex_polygon(points, color, Stroke::NONE));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Camera, Light};

    #[test]
    fn every_kind_has_its_own_icon() {
        let light = |kind| {
            NodeKind::Light(Light {
                kind,
                color: [1.0; 3],
                intensity: 1.0,
                range: None,
                cast_shadows: false,
            })
        };
        let icons = [
            node_icon(&NodeKind::Empty),
            node_icon(&NodeKind::Mesh {
                mesh: crate::scene::MeshId(1),
                material: crate::scene::MaterialId(2),
            }),
            node_icon(&light(LightKind::Directional)),
            node_icon(&light(LightKind::Point)),
            node_icon(&light(LightKind::Spot {
                inner_cone_rad: 0.1,
                outer_cone_rad: 0.2,
            })),
            node_icon(&NodeKind::Camera(Camera::default())),
            node_icon(&NodeKind::Points {
                cloud: crate::scene::PointCloudId(3),
                point_size_px: 2.0,
            }),
            node_icon(&NodeKind::Lines {
                cloud: crate::scene::PointCloudId(3),
                width_px: 1.5,
            }),
            node_icon(&NodeKind::Splats {
                cloud: crate::scene::SplatCloudId(4),
            }),
        ];
        for (i, a) in icons.iter().enumerate() {
            for b in &icons[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
