//! Line primitives (glTF LINES, LINE_STRIP, LINE_LOOP) open as line nodes: a point cloud
//! with segments, drawn as screen-space quads of the node's width in the colours of their
//! ends, depth-tested against meshes, picked by their segments, kept in projects and
//! written back to glTF as LINES. Also the viewport's motion paths (drawn as lines).

use crate::common::*;
use crate::import_gltf_deform::{Bin, bytes_of};
use glam::{Vec2, Vec3};
use image::RgbaImage;
use serde_json::json;
use worldsmith::edit::{Command, History};
use worldsmith::export::{ExportOptions, GltfFormat, export_gltf};
use worldsmith::import::import_path;
use worldsmith::pick::{PickOptions, PickView, Picker};
use worldsmith::project::{self, EditorState};
use worldsmith::render::RenderSettings;
use worldsmith::scene::{DEFAULT_LINE_WIDTH_PX, NodeId, NodeKind, PointCloud, Scene, Transform};

/// The hexagon of Khronos' MeshPrimitiveModes sample (centre 0, corners 1–6 clockwise from
/// the lower right) drawn by seven meshes, one per primitive mode, with that sample's
/// indices, in a row along +X; a material with an orange base colour.
pub fn primitive_modes_gltf() -> serde_json::Value {
    let mut bin = Bin::default();
    let s = 0.866_025_4f32;
    let positions = bin.push(&bytes_of(&[
        0.0, 0.0, 0.0, s, -0.5, 0.0, s, 0.5, 0.0, 0.0, 1.0, 0.0, -s, 0.5, 0.0, -s, -0.5, 0.0, 0.0,
        -1.0, 0.0,
    ]));
    let modes: [(&str, u32, Vec<u16>); 7] = [
        ("Points", 0, vec![0, 1, 2, 3, 4, 5, 6]),
        ("Lines", 1, vec![0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6]),
        ("LineLoop", 2, vec![0, 1, 2, 3, 4, 5, 6]),
        ("LineStrip", 3, vec![0, 1, 2, 3, 4, 5, 6]),
        (
            "Triangles",
            4,
            vec![0, 1, 2, 0, 2, 3, 0, 3, 4, 0, 4, 5, 0, 5, 6, 0, 6, 1],
        ),
        ("TriangleStrip", 5, vec![2, 3, 1, 4, 6, 5]),
        ("TriangleFan", 6, vec![0, 1, 2, 3, 4, 5, 6, 1]),
    ];
    let mut accessors = vec![json!({
        "bufferView": positions, "componentType": 5126, "count": 7, "type": "VEC3",
        "min": [-s, -1.0, 0.0], "max": [s, 1.0, 0.0]
    })];
    let mut meshes = Vec::new();
    let mut nodes = Vec::new();
    for (i, (name, mode, indices)) in modes.iter().enumerate() {
        let bytes: Vec<u8> = indices.iter().flat_map(|v| v.to_le_bytes()).collect();
        let view = bin.push(&bytes);
        accessors.push(json!({
            "bufferView": view, "componentType": 5123, "count": indices.len(), "type": "SCALAR"
        }));
        meshes.push(json!({ "name": name, "primitives": [{
            "attributes": { "POSITION": 0 }, "indices": i + 1, "mode": mode, "material": 0
        }] }));
        nodes.push(json!({ "name": name, "mesh": i, "translation": [i as f32 * 2.5, 0.0, 0.0] }));
    }
    json!({
        "asset": { "version": "2.0" },
        "buffers": bin.buffer(),
        "bufferViews": bin.views,
        "accessors": accessors,
        "materials": [{ "pbrMetallicRoughness": { "baseColorFactor": [1.0, 0.2158605, 0.0, 1.0] } }],
        "meshes": meshes,
        "nodes": nodes,
        "scenes": [{ "nodes": (0..7).collect::<Vec<_>>() }]
    })
}

fn kind_of<'s>(scene: &'s Scene, name: &str) -> &'s NodeKind {
    &scene.node(scene.find(name).expect(name)).expect(name).kind
}

fn segments_of(scene: &Scene, name: &str) -> Vec<[u32; 2]> {
    let NodeKind::Lines { cloud, width_px } = *kind_of(scene, name) else {
        panic!("'{name}' is not a line node: {:?}", kind_of(scene, name))
    };
    assert_eq!(width_px, DEFAULT_LINE_WIDTH_PX);
    scene.point_cloud(cloud).expect("cloud").segments.clone()
}

#[test]
fn the_seven_primitive_modes_open_with_their_topology() {
    let dir = crate::common::temp_dir("lines", "modes");
    let path = dir.join("MeshPrimitiveModes.gltf");
    std::fs::write(&path, serde_json::to_vec(&primitive_modes_gltf()).unwrap()).unwrap();
    let imported = import_path(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let scene = &imported.scene;

    let NodeKind::Points { cloud, .. } = *kind_of(scene, "Points") else {
        panic!("Points: {:?}", kind_of(scene, "Points"))
    };
    assert_eq!(scene.point_cloud(cloud).unwrap().len(), 7);
    assert_eq!(
        segments_of(scene, "Lines"),
        [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0, 6]]
    );
    assert_eq!(
        segments_of(scene, "LineLoop"),
        [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 0]]
    );
    assert_eq!(
        segments_of(scene, "LineStrip"),
        [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6]]
    );
    for (name, triangles) in [("Triangles", 6), ("TriangleStrip", 4), ("TriangleFan", 6)] {
        let NodeKind::Mesh { mesh, .. } = *kind_of(scene, name) else {
            panic!("{name}: {:?}", kind_of(scene, name))
        };
        assert_eq!(
            scene.mesh(mesh).unwrap().triangle_count(),
            triangles,
            "{name}"
        );
    }
    // The material's base colour (linear 1, 0.216, 0) as sRGB bytes on every vertex.
    let NodeKind::Lines { cloud, .. } = *kind_of(scene, "LineLoop") else {
        unreachable!()
    };
    let colors = &scene.point_cloud(cloud).unwrap().colors;
    assert_eq!(colors.len(), 7);
    assert!(
        colors.iter().all(|c| *c == [255, 128, 0, 255]),
        "{colors:?}"
    );

    // Indexed POINTS show only the vertices their indices name (here 1, 3, 5 of 7): the
    // Points mesh's indices become a second buffer's [1, 3, 5].
    let mut gltf = primitive_modes_gltf();
    let mut bin = Bin::default();
    let indices: Vec<u8> = [1u16, 3, 5, 0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let view = bin.push(&indices);
    let extra = bin.buffer()[0].clone();
    gltf["buffers"].as_array_mut().unwrap().push(extra);
    let mut v = bin.views[view].clone();
    v["buffer"] = 1.into();
    gltf["bufferViews"].as_array_mut().unwrap().push(v);
    let last = gltf["bufferViews"].as_array().unwrap().len() - 1;
    gltf["accessors"][1]["bufferView"] = last.into();
    gltf["accessors"][1]["count"] = 3.into();
    std::fs::write(&path, serde_json::to_vec(&gltf).unwrap()).unwrap();
    let imported = import_path(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let NodeKind::Points { cloud, .. } = *kind_of(&imported.scene, "Points") else {
        panic!("Points")
    };
    let s = 0.866_025_4f32;
    assert_eq!(
        imported.scene.point_cloud(cloud).unwrap().positions,
        [[s, -0.5, 0.0], [0.0, 1.0, 0.0], [-s, -0.5, 0.0]]
    );
    std::fs::remove_dir_all(&dir).ok();
}

const W: u32 = 160;
const H: u32 = 120;

/// A red square outline (a loop of four segments) of side 2 around the origin in the
/// z = 0 plane, `width_px` wide.
fn square_scene(width_px: f32) -> (Scene, NodeId) {
    let mut scene = Scene::new("Lines");
    let corners = vec![
        [-1.0, -1.0, 0.0],
        [1.0, -1.0, 0.0],
        [1.0, 1.0, 0.0],
        [-1.0, 1.0, 0.0],
    ];
    let (cloud, dropped) = PointCloud::new(corners, vec![[255, 0, 0, 255]; 4], Vec::new())
        .with_segments(vec![[0, 1], [1, 2], [2, 3], [3, 0], [3, 9]]);
    assert_eq!(dropped, 1, "the segment to a missing point is left out");
    let cloud = scene.add_point_cloud(cloud);
    let id = scene.add_node(
        None,
        "Square",
        Transform::IDENTITY,
        NodeKind::Lines { cloud, width_px },
    );
    (scene, id)
}

fn front_view() -> worldsmith::scene::CameraView {
    look(Vec3::new(0.0, 0.0, 4.0), Vec3::ZERO, 50.0)
}

fn is_red(p: &image::Rgba<u8>) -> bool {
    p[0] > 200 && p[1] < 60 && p[2] < 60
}

fn red_pixels(img: &RgbaImage) -> usize {
    img.pixels().filter(|p| is_red(p)).count()
}

/// The pixel the world point `p` falls in.
fn pixel_of(view: worldsmith::scene::CameraView, p: Vec3) -> (u32, u32) {
    let c = view.clip_from_world(W as f32 / H as f32) * p.extend(1.0);
    (
        ((c.x / c.w * 0.5 + 0.5) * W as f32) as u32,
        ((0.5 - c.y / c.w * 0.5) * H as f32) as u32,
    )
}

#[test]
fn lines_render_in_their_colour_at_their_width() {
    let Some(ctx) = gpu() else { return };
    let view = front_view();
    let (thin, _) = square_scene(2.0);
    let img = render(&ctx, &thin, view, W, H);
    // The middle of each side is drawn in the line's own colour (shown as given, like a
    // point cloud's), the square's inside and the frame's corner are not.
    for side in [
        Vec3::new(0.0, -1.0, 0.0),
        Vec3::new(1.0, 0.0, 0.0),
        Vec3::new(0.0, 1.0, 0.0),
        Vec3::new(-1.0, 0.0, 0.0),
    ] {
        let (x, y) = pixel_of(view, side);
        let near = (x.saturating_sub(1)..=x + 1)
            .flat_map(|x| (y.saturating_sub(1)..=y + 1).map(move |y| (x, y)))
            .any(|(x, y)| is_red(img.get_pixel(x, y)));
        assert!(near, "no red line pixel near {side} ({x}, {y})");
    }
    let (cx, cy) = pixel_of(view, Vec3::ZERO);
    assert!(!is_red(img.get_pixel(cx, cy)), "the inside is not drawn");
    assert!(!is_red(img.get_pixel(2, 2)));
    // Four sides of ~2 px: about 4 × side length × 2 pixels.
    let side_px = pixel_of(view, Vec3::new(1.0, 0.0, 0.0)).0 - cx;
    let thin_count = red_pixels(&img);
    let expected = 4.0 * 2.0 * side_px as f32 * 2.0;
    assert!(
        (thin_count as f32) > expected * 0.6 && (thin_count as f32) < expected * 1.6,
        "{thin_count} red pixels for ~{expected}"
    );
    // Four times as wide: about four times the pixels.
    let (wide, _) = square_scene(8.0);
    let wide_count = red_pixels(&render(&ctx, &wide, view, W, H));
    let ratio = wide_count as f32 / thin_count as f32;
    assert!((3.0..5.0).contains(&ratio), "{wide_count} vs {thin_count}");
}

#[test]
fn meshes_hide_lines_behind_them_and_lines_cross_the_near_plane() {
    let Some(ctx) = gpu() else { return };
    let view = front_view();
    let (mut scene, _) = square_scene(3.0);
    // A sunlit grey wall in front of the square's left half.
    add_sun(&mut scene, Vec3::new(0.3, 0.8, 1.0), 20_000.0, false);
    add_mesh(
        &mut scene,
        "Wall",
        worldsmith::generate::shapes::cuboid(Vec3::new(1.5, 3.0, 0.1)),
        worldsmith::scene::Material::default(),
        Transform::from_translation(Vec3::new(-1.0, 0.0, 1.0)),
    );
    let img = render(&ctx, &scene, view, W, H);
    let (lx, ly) = pixel_of(view, Vec3::new(-1.0, 0.0, 0.0));
    let (rx, ry) = pixel_of(view, Vec3::new(1.0, 0.0, 0.0));
    let red_near = |x: u32, y: u32| {
        (x.saturating_sub(2)..=x + 2)
            .flat_map(|x| (y.saturating_sub(2)..=y + 2).map(move |y| (x, y)))
            .filter(|&(x, y)| is_red(img.get_pixel(x, y)))
            .count()
    };
    assert_eq!(red_near(lx, ly), 0, "the left side is behind the wall");
    assert!(red_near(rx, ry) > 0, "the right side is in view");

    // A segment from behind the camera to far in front of it, right of the view axis:
    // its visible part runs from the frame's right edge towards the vanishing point.
    let mut scene = Scene::new("Through");
    let (cloud, _) = PointCloud::new(
        vec![[0.5, 0.0, 10.0], [0.5, 0.0, -40.0]],
        vec![[255, 0, 0, 255]; 2],
        Vec::new(),
    )
    .with_segments(vec![[0, 1]]);
    let cloud = scene.add_point_cloud(cloud);
    scene.add_node(
        None,
        "Rail",
        Transform::IDENTITY,
        NodeKind::Lines {
            cloud,
            width_px: 3.0,
        },
    );
    let img = render(&ctx, &scene, view, W, H);
    let row = H / 2;
    let reds: Vec<u32> = (0..W)
        .filter(|&x| (row - 2..=row + 2).any(|y| is_red(img.get_pixel(x, y))))
        .collect();
    assert!(
        reds.len() as u32 > W / 3,
        "the rail covers {} columns: {reds:?}",
        reds.len()
    );
    assert!(
        reds.iter().all(|&x| x >= W / 2 - 2),
        "only right of centre: {reds:?}"
    );
    assert!(
        reds.contains(&(W - 1)),
        "it reaches the frame's edge: {reds:?}"
    );
}

#[test]
fn a_selected_line_node_is_outlined() {
    let Some(ctx) = gpu() else { return };
    let view = front_view();
    let (scene, id) = square_scene(2.0);
    let orange = |img: &RgbaImage| img.pixels().filter(|p| outline_orange(p)).count();
    let plain = render_with(&ctx, &scene, view, W, H, RenderSettings::viewport(), &[]);
    let selected = render_with(&ctx, &scene, view, W, H, RenderSettings::viewport(), &[id]);
    assert!(
        orange(&selected) > orange(&plain) + 100,
        "{} outline pixels vs {}",
        orange(&selected),
        orange(&plain)
    );
}

#[test]
fn clicking_a_segment_picks_its_node() {
    let (scene, id) = square_scene(2.0);
    assert_eq!(scene.segment_count(), 4);
    let view = front_view();
    let pick_view = PickView::new(view, W as f32, H as f32);
    let mut picker = Picker::default();
    let at = |p: Vec3| {
        let (x, y) = pixel_of(view, p);
        Vec2::new(x as f32 + 0.5, y as f32 + 0.5)
    };
    let options = PickOptions::default();
    let hit = picker.pick(&scene, &pick_view, at(Vec3::new(1.0, 0.3, 0.0)), options);
    assert_eq!(hit.map(|h| h.node), Some(id));
    // A pixel beside the line (within the slack) still picks it; the middle does not.
    let beside = at(Vec3::new(1.0, 0.3, 0.0)) + Vec2::new(2.0, 0.0);
    assert_eq!(
        picker
            .pick(&scene, &pick_view, beside, options)
            .map(|h| h.node),
        Some(id)
    );
    assert_eq!(
        picker.pick(&scene, &pick_view, at(Vec3::ZERO), options),
        None
    );
    // Box selection takes it when a corner is inside.
    let (x, y) = pixel_of(view, Vec3::new(1.0, 1.0, 0.0));
    let b = picker.box_select(
        &scene,
        &pick_view,
        Vec2::new(x as f32 - 4.0, y as f32 - 4.0),
        Vec2::new(x as f32 + 4.0, y as f32 + 4.0),
        options,
    );
    assert_eq!(b, vec![id]);
}

#[test]
fn line_width_edits_undo_and_projects_keep_lines() {
    let (mut scene, id) = square_scene(2.0);
    let mut history = History::default();
    assert!(history.execute(
        &mut scene,
        Command::SetPointSize {
            node: id,
            size_px: 6.0
        }
    ));
    assert_eq!(scene.node(id).unwrap().kind.draw_size_px(), Some(6.0));
    assert!(history.undo(&mut scene));
    assert_eq!(scene.node(id).unwrap().kind.draw_size_px(), Some(2.0));
    assert!(history.redo(&mut scene));

    let dir = crate::common::temp_dir("lines", "project");
    let path = dir.join("lines.wsproj");
    project::save(&path, &scene, &EditorState::default()).expect("save");
    let loaded = project::load(&path).expect("load").scene;
    let id = loaded.find("Square").expect("Square");
    let NodeKind::Lines { cloud, width_px } = loaded.node(id).unwrap().kind else {
        panic!("{:?}", loaded.node(id).unwrap().kind)
    };
    assert_eq!(width_px, 6.0);
    let cloud = loaded.point_cloud(cloud).unwrap();
    assert_eq!(cloud.segments, [[0, 1], [1, 2], [2, 3], [3, 0]]);
    assert_eq!(cloud.colors.len(), 4);

    // A damaged project whose segment names a point the cloud does not have is refused,
    // naming the file and the cloud.
    let mut c = crate::project::split(&std::fs::read(&path).unwrap());
    let segments = &c.json["scene"]["point_clouds"][0]["segments"];
    assert_eq!(segments["type"], "u32x2", "{segments}");
    let at = segments["offset"].as_u64().unwrap() as usize;
    c.bin[at..at + 4].copy_from_slice(&99u32.to_le_bytes());
    let e = crate::project::refused(
        &dir,
        "beyond.wsproj",
        &crate::project::join(&c, project::FORMAT_VERSION),
    );
    assert!(e.to_string().contains("segments join points beyond"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn lines_export_to_gltf_as_lines_and_come_back() {
    let (scene, _) = square_scene(2.0);
    let dir = crate::common::temp_dir("lines", "export");
    let path = dir.join("square.gltf");
    export_gltf(
        &scene,
        &path,
        &ExportOptions {
            format: GltfFormat::Separate,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let primitive = &json["meshes"][0]["primitives"][0];
    assert_eq!(primitive["mode"], 1, "{primitive}");
    let indices = primitive["indices"].as_u64().expect("indices") as usize;
    assert_eq!(json["accessors"][indices]["count"], 8);
    crate::export::validate(&[&path]);
    let back = import_path(&path).unwrap_or_else(|e| panic!("{e}")).scene;
    assert_eq!(
        segments_of(&back, "Square"),
        [[0, 1], [1, 2], [2, 3], [3, 0]]
    );
    let NodeKind::Lines { cloud, .. } = *kind_of(&back, "Square") else {
        unreachable!()
    };
    assert_eq!(
        back.point_cloud(cloud).unwrap().colors,
        vec![[255, 0, 0, 255]; 4]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn supersampled_frames_keep_line_widths_and_point_sizes() {
    let Some(ctx) = gpu() else { return };
    let view = front_view();
    let (mut scene, _) = square_scene(4.0);
    // A red point cloud of 6 px discs inside the square.
    crate::common::add_point_node(
        &mut scene,
        "Dots",
        Transform::IDENTITY,
        PointCloud::new(
            vec![[-0.4, 0.0, 0.0], [0.4, 0.0, 0.0]],
            vec![[255, 0, 0, 255]; 2],
            Vec::new(),
        ),
        6.0,
    );
    let plain = render(&ctx, &scene, view, W, H);
    // Red coverage in linear light (edges count by how red they are).
    let coverage = |img: &RgbaImage| -> f32 {
        img.pixels()
            .filter(|p| p[1] < 80 && p[2] < 80)
            .map(|p| (f32::from(p[0]) / 255.0).powf(2.2))
            .sum()
    };
    let sharp = coverage(&plain);
    for factor in [2, 3] {
        let big = render_with(
            &ctx,
            &scene,
            view,
            W * factor,
            H * factor,
            RenderSettings {
                supersample: factor,
                ..RenderSettings::final_frame()
            },
            &[],
        );
        let down = worldsmith::clip::supersample::downsample(&big, factor);
        let ratio = coverage(&down) / sharp;
        assert!(
            (0.85..1.15).contains(&ratio),
            "×{factor}: red coverage {} vs {sharp}",
            coverage(&down)
        );
    }
}

/// A square's corners with colours and its four sides as a PLY `edge` element, plus two
/// hostile edges (a missing vertex, a negative index), in `format`.
pub fn square_ply(format: &str) -> Vec<u8> {
    let corners = [
        [-1.0f32, -1.0, 0.0],
        [1.0, -1.0, 0.0],
        [1.0, 1.0, 0.0],
        [-1.0, 1.0, 0.0],
    ];
    let edges: [[i32; 2]; 6] = [[0, 1], [1, 2], [2, 3], [3, 0], [3, 9], [-1, 2]];
    let mut out = format!(
        "ply\nformat {format} 1.0\nelement vertex 4\nproperty float x\nproperty float y\n\
         property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n\
         element edge 6\nproperty int vertex1\nproperty int vertex2\nend_header\n"
    )
    .into_bytes();
    let big = format == "binary_big_endian";
    for p in corners {
        if format == "ascii" {
            out.extend(format!("{} {} {} 255 0 0\n", p[0], p[1], p[2]).bytes());
        } else {
            for v in p {
                out.extend(if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                });
            }
            out.extend([255, 0, 0]);
        }
    }
    for e in edges {
        if format == "ascii" {
            out.extend(format!("{} {}\n", e[0], e[1]).bytes());
        } else {
            for v in e {
                out.extend(if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                });
            }
        }
    }
    out
}

#[test]
fn ply_edges_open_as_lines_in_every_encoding_and_export_back() {
    let dir = crate::common::temp_dir("lines", "ply");
    for format in ["ascii", "binary_little_endian", "binary_big_endian"] {
        let path = dir.join(format!("square_{format}.ply"));
        std::fs::write(&path, square_ply(format)).unwrap();
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{format}: {e}"));
        let warnings = imported.warnings.join("\n");
        assert!(
            warnings.contains("2 edges named a vertex that is not one of the 4 vertices"),
            "{format}: {warnings}"
        );
        assert!(
            warnings.contains(&format!("square_{format}.ply")),
            "{warnings}"
        );
        let scene = imported.scene;
        let name = format!("square_{format}");
        let NodeKind::Lines { cloud, .. } = *kind_of(&scene, &name) else {
            panic!("{format}: {:?}", kind_of(&scene, &name))
        };
        let cloud = scene.point_cloud(cloud).unwrap();
        assert_eq!(cloud.segments, [[0, 1], [1, 2], [2, 3], [3, 0]], "{format}");
        assert_eq!(cloud.colors, vec![[255, 0, 0, 255]; 4], "{format}");
    }
    // Export a moved line node as PLY: edges written, positions in world space.
    let (mut scene, id) = square_scene(2.0);
    scene.set_transform(id, Transform::from_translation(Vec3::new(0.0, 5.0, 0.0)));
    let out = dir.join("exported.ply");
    worldsmith::export::export_cloud(&scene, id, &out, worldsmith::export::SplatFormat::Ply)
        .unwrap_or_else(|e| panic!("{e}"));
    let back = import_path(&out).unwrap_or_else(|e| panic!("{e}"));
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    let NodeKind::Lines { cloud, .. } = *kind_of(&back.scene, "exported") else {
        panic!("{:?}", kind_of(&back.scene, "exported"))
    };
    let cloud = back.scene.point_cloud(cloud).unwrap();
    assert_eq!(cloud.segments, [[0, 1], [1, 2], [2, 3], [3, 0]]);
    assert_eq!(cloud.positions[2], [1.0, 6.0, 0.0]);
    // An edge element without vertex1/vertex2 leaves the points as points, with a warning.
    let odd = String::from_utf8(square_ply("ascii"))
        .unwrap()
        .replace("vertex1", "a")
        .replace("vertex2", "b");
    let path = dir.join("odd.ply");
    std::fs::write(&path, odd).unwrap();
    let imported = import_path(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        imported
            .warnings
            .join("\n")
            .contains("no scalar vertex1 and vertex2"),
        "{:?}",
        imported.warnings
    );
    assert!(matches!(
        kind_of(&imported.scene, "odd"),
        NodeKind::Points { .. }
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn line_nodes_apply_transforms_duplicate_and_delete_with_undo() {
    use worldsmith::edit::ops;
    let (mut scene, id) = square_scene(2.0);
    scene.set_transform(
        id,
        Transform::from_translation(Vec3::new(0.0, 5.0, 0.0)).with_scale(Vec3::splat(2.0)),
    );
    let mut history = History::default();
    // Apply transforms bakes the placement into the points; the segments stay.
    let command = ops::apply_transform(&mut scene, &[id]).expect("apply");
    assert!(history.execute(&mut scene, command));
    let cloud_of = |scene: &Scene, id: NodeId| {
        let id = scene
            .node(id)
            .unwrap()
            .kind
            .point_cloud()
            .expect("a line node");
        scene.point_cloud(id).unwrap().clone()
    };
    let baked = cloud_of(&scene, id);
    assert_eq!(scene.node(id).unwrap().transform, Transform::IDENTITY);
    assert_eq!(baked.positions[2], [2.0, 7.0, 0.0]);
    assert_eq!(baked.segments, [[0, 1], [1, 2], [2, 3], [3, 0]]);
    assert!(matches!(
        scene.node(id).unwrap().kind,
        NodeKind::Lines { .. }
    ));
    // Duplicate: a second line node drawing the same segments.
    let (command, copies) = ops::duplicate(&mut scene, &[id]).expect("duplicate");
    assert!(history.execute(&mut scene, command));
    let [copy] = copies.as_slice() else {
        panic!("{copies:?}")
    };
    assert_eq!(cloud_of(&scene, *copy).segments, baked.segments);
    // Undo both: the original placement and points are back, the copy gone.
    assert!(history.undo(&mut scene));
    assert!(scene.node(*copy).is_none());
    assert!(history.undo(&mut scene));
    assert_eq!(cloud_of(&scene, id).positions[2], [1.0, 1.0, 0.0]);
    assert_eq!(
        scene.node(id).unwrap().transform.translation,
        Vec3::new(0.0, 5.0, 0.0)
    );
}

/// A "Drone" under a "Rig" lifted 1 m, flown by the active shot from x = −2 (frame 0) to
/// x = 2 (frame 23); a "Post" that stands still.
fn drone_scene() -> (Scene, NodeId, NodeId) {
    use worldsmith::scene::{Key, Shot, Timeline, Value};
    let mut scene = Scene::new("Drone");
    let rig = scene.add_node(
        None,
        "Rig",
        Transform::from_translation(Vec3::new(0.0, 1.0, 0.0)),
        NodeKind::Empty,
    );
    let drone = scene.add_node(Some(rig), "Drone", Transform::IDENTITY, NodeKind::Empty);
    let post = scene.add_node(None, "Post", Transform::IDENTITY, NodeKind::Empty);
    let id = scene.reserve_shot_id();
    let mut shot = Shot {
        frames: 24,
        ..Shot::new(id, "Fly")
    };
    shot.track_mut(worldsmith::scene::Channel::Transform(drone))
        .set_keys([
            Key::new(
                0.0,
                Value::Transform(Transform::from_translation(Vec3::new(-2.0, 0.0, 0.0))),
            ),
            Key::new(
                23.0,
                Value::Transform(Transform::from_translation(Vec3::new(2.0, 0.0, 0.0))),
            ),
        ]);
    scene.set_timeline(Timeline {
        shots: vec![shot],
        active: Some(id),
    });
    (scene, drone, post)
}

#[test]
fn selected_animated_nodes_show_their_motion_path() {
    let (scene, drone, post) = drone_scene();
    let shot = &scene.timeline().shots[0];
    let path = worldsmith::scene::motion_path(&scene, shot, drone).expect("a path");
    assert_eq!(path.points.len(), 24);
    assert!(path.points[0].abs_diff_eq(Vec3::new(-2.0, 1.0, 0.0), 1e-5));
    assert!(path.points[23].abs_diff_eq(Vec3::new(2.0, 1.0, 0.0), 1e-5));
    // Along the way (eased keys): at y = 1, moving right every frame.
    assert!(
        path.points
            .iter()
            .all(|p| (p.y - 1.0).abs() < 1e-5 && p.z.abs() < 1e-5)
    );
    assert!(
        path.points.windows(2).all(|w| w[1].x > w[0].x),
        "{:?}",
        path.points
    );
    assert_eq!(path.keys.len(), 2);
    assert!(
        worldsmith::scene::motion_path(&scene, shot, post).is_none(),
        "it stands still"
    );

    // In the viewport: the path's colour along y = 1 between its ends, only when selected,
    // never in a final frame.
    let Some(ctx) = gpu() else { return };
    let view = front_view();
    let path_pixels = |img: &RgbaImage| {
        let (x0, y) = pixel_of(view, Vec3::new(-1.5, 1.0, 0.0));
        let (x1, _) = pixel_of(view, Vec3::new(1.5, 1.0, 0.0));
        (x0..=x1)
            .filter(|&x| {
                (y.saturating_sub(1)..=y + 1).any(|y| {
                    // Orange, however much of the 1 px line the pixel's samples cover.
                    let p = img.get_pixel(x, y);
                    p[0] > 90 && i32::from(p[0]) - i32::from(p[2]) > 50 && p[1] > p[2]
                })
            })
            .count() as u32
            * 100
            / (x1 - x0 + 1)
    };
    let selected = render_with(
        &ctx,
        &scene,
        view,
        W,
        H,
        RenderSettings::viewport(),
        &[drone],
    );
    let plain = render_with(&ctx, &scene, view, W, H, RenderSettings::viewport(), &[]);
    let final_frame = render_with(
        &ctx,
        &scene,
        view,
        W,
        H,
        RenderSettings::final_frame(),
        &[drone],
    );
    assert!(
        path_pixels(&selected) > 90,
        "{}% of the path drawn",
        path_pixels(&selected)
    );
    assert_eq!(path_pixels(&plain), 0);
    assert_eq!(path_pixels(&final_frame), 0);
}
