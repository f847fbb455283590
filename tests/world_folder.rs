//! World-model output folders: a synthetic HY-World-style folder (splats, points, a mesh layer,
//! a panorama and camera_params.json whose cameras must look at known points) imports as one
//! World node in the Y-up frame.

use crate::common;

use glam::{Mat4, Vec3};
use std::path::{Path, PathBuf};
use worldsmith::import::{ImportError, import_path};
use worldsmith::scene::{NodeKind, Scene};

/// OpenCV world point of the red marker the cameras look at: 1 m up (−y) and 6 m forward.
const TARGET_CV: [f32; 3] = [0.0, -1.0, 6.0];

/// An ASCII PLY point cloud: a red cluster at [`TARGET_CV`] and a grey floor 1 m below the
/// first camera (OpenCV +y is down).
fn write_points(path: &Path) {
    let mut points = Vec::new();
    for i in 0..20 {
        for j in 0..20 {
            let (x, z) = (i as f32 * 0.5 - 5.0, j as f32 * 0.5 + 1.0);
            points.push(format!("{x} 1 {z} 128 128 128"));
        }
    }
    for k in 0..27 {
        let d = |n: i32| (n - 1) as f32 * 0.05;
        let (a, b, c) = (k % 3, (k / 3) % 3, k / 9);
        points.push(format!(
            "{} {} {} 255 0 0",
            TARGET_CV[0] + d(a),
            TARGET_CV[1] + d(b),
            TARGET_CV[2] + d(c)
        ));
    }
    let header = format!(
        "ply\nformat ascii 1.0\nelement vertex {}\nproperty float x\nproperty float y\n\
         property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n\
         end_header\n",
        points.len()
    );
    std::fs::write(path, header + &points.join("\n") + "\n").expect("write points");
}

/// A camera at `eye` (OpenCV world) looking at `target`, as an OpenCV c2w row-major matrix:
/// columns are the camera's x (right), y (down), z (forward) axes and its position.
fn opencv_c2w(eye: Vec3, target: Vec3) -> [[f32; 4]; 4] {
    let z = (target - eye).normalize();
    // OpenCV "down" is world +y: right = down × forward, then the camera's down completes
    // the right-handed frame.
    let x = Vec3::Y.cross(z).normalize();
    let y = z.cross(x);
    [
        [x.x, y.x, z.x, eye.x],
        [x.y, y.y, z.y, eye.y],
        [x.z, y.z, z.z, eye.z],
        [0.0, 0.0, 0.0, 1.0],
    ]
}

fn write_cameras(path: &Path, cameras: &[(&str, Vec3)]) {
    let target = Vec3::from(TARGET_CV);
    let extrinsics: Vec<serde_json::Value> = cameras
        .iter()
        .map(|(id, eye)| {
            let id: serde_json::Value = id
                .parse::<u64>()
                .map_or_else(|_| (*id).into(), serde_json::Value::from);
            serde_json::json!({"camera_id": id, "matrix": opencv_c2w(*eye, target)})
        })
        .collect();
    // 512×384 image, fy = 384 / (2 tan(30°)) → 60° vertical field of view.
    let fy = 192.0 / 30f32.to_radians().tan();
    let intrinsics: Vec<serde_json::Value> = cameras
        .iter()
        .map(|(id, _)| {
            let id: serde_json::Value = id
                .parse::<u64>()
                .map_or_else(|_| (*id).into(), serde_json::Value::from);
            serde_json::json!({"camera_id": id,
                "matrix": [[fy, 0.0, 256.0], [0.0, fy, 192.0], [0.0, 0.0, 1.0]]})
        })
        .collect();
    let json = serde_json::json!({
        "num_cameras": cameras.len(),
        "extrinsics": extrinsics,
        "intrinsics": intrinsics,
    });
    std::fs::write(path, serde_json::to_vec_pretty(&json).expect("json")).expect("write");
}

/// Sky blue above the horizon row, earth brown below.
fn write_panorama(path: &Path) {
    let img = image::RgbaImage::from_fn(128, 64, |_, y| {
        if y < 32 {
            image::Rgba([110, 160, 230, 255])
        } else {
            image::Rgba([90, 70, 50, 255])
        }
    });
    img.save(path).expect("write panorama");
}

fn hy_world_folder(test: &str) -> PathBuf {
    let dir = crate::common::temp_dir("world-folder", test).join("case_01");
    std::fs::create_dir_all(&dir).expect("mkdir");
    write_points(&dir.join("points.ply"));
    worldsmith::import::ply::write_synthetic_splat_ply(&dir.join("gaussians.ply"), 500, 0, 3)
        .expect("write splats");
    write_cameras(
        &dir.join("camera_params.json"),
        &[("0", Vec3::ZERO), ("image_0002", Vec3::new(4.0, -2.0, 2.0))],
    );
    write_panorama(&dir.join("panorama.png"));
    std::fs::copy(common::testdata().join("Box.glb"), dir.join("collider.glb"))
        .expect("copy Box.glb");
    std::fs::write(dir.join("notes.txt"), "not a layer").expect("write");
    dir
}

fn child_named<'a>(
    scene: &'a Scene,
    parent: worldsmith::scene::NodeId,
    name: &str,
) -> &'a worldsmith::scene::Node {
    let parent = scene.node(parent).expect("parent");
    parent
        .children
        .iter()
        .filter_map(|c| scene.node(*c))
        .find(|n| n.name == name)
        .unwrap_or_else(|| {
            let names: Vec<_> = parent
                .children
                .iter()
                .filter_map(|c| scene.node(*c))
                .map(|n| n.name.clone())
                .collect();
            panic!("no child '{name}' under '{}': {names:?}", parent.name)
        })
}

#[test]
fn a_hy_world_folder_imports_every_layer_and_camera_in_the_y_up_frame() {
    let dir = hy_world_folder("layers");
    let imported = import_path(&dir).expect("folder imports");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let scene = &imported.scene;
    assert_eq!(scene.roots().len(), 1);
    let world = scene.node(scene.roots()[0]).expect("world");
    assert_eq!(world.name, "World");

    // Every layer is a named child; splats sit in the folder's OpenCV frame (no own turn).
    let splats = child_named(scene, world.id, "gaussians (splats)");
    let points = child_named(scene, world.id, "points (points)");
    child_named(scene, world.id, "collider");
    let cameras = child_named(scene, world.id, "Cameras");
    assert_eq!(
        world.children.len(),
        4,
        "notes.txt and the panorama are not layers"
    );
    let splat_node = scene.node(splats.children[0]).expect("splat node");
    assert!(matches!(splat_node.kind, NodeKind::Splats { .. }));
    assert!(
        splat_node
            .transform
            .rotation
            .abs_diff_eq(glam::Quat::IDENTITY, 1e-5),
        "{:?}",
        splat_node.transform
    );

    // The red marker ends up 1 m up and 6 m in front (−Z) of the first camera.
    let red_world = red_marker(scene, points);
    assert!(
        red_world.abs_diff_eq(Vec3::new(0.0, 1.0, -6.0), 1e-3),
        "{red_world}"
    );
    // The floor (OpenCV y = +1, below) is below in Y-up.
    let points_node = scene.node(points.children[0]).expect("points node");
    let NodeKind::Points { cloud, .. } = points_node.kind else {
        panic!("not points: {:?}", points_node.kind)
    };
    let first = scene.point_cloud(cloud).expect("cloud").positions[0];
    let floor = scene
        .world_from_local(points_node.id)
        .transform_point3(Vec3::from(first));
    assert!((floor.y + 1.0).abs() < 1e-4, "{floor}");

    // Cameras are named after their ids, look at the marker, keep their field of view.
    check_cameras(
        scene,
        cameras,
        red_world,
        &["camera_0000", "image_0002", "Captured path"],
    );

    // The recorded trajectory is a shot: the path camera passes through each recorded
    // camera, CAPTURED_PATH_SPACING frames apart, and moves smoothly between them.
    let timeline = scene.timeline();
    assert_eq!(timeline.shots().len(), 1);
    let shot = &timeline.shots()[0];
    assert_eq!(shot.name, "Captured path");
    let spacing = worldsmith::import::world::CAPTURED_PATH_SPACING;
    assert_eq!(shot.frames, spacing + 1);
    let path_camera = shot.camera.expect("shot camera");
    assert_eq!(
        scene.node(path_camera).map(|n| n.name.as_str()),
        Some("Captured path")
    );
    let eye_at = |frame: f32| {
        let sampled = scene.sampled(shot.id, frame, None).expect("sampled");
        sampled
            .camera_view(path_camera)
            .expect("camera view")
            .position()
    };
    let recorded_eye = |i: usize| {
        scene
            .world_from_local(cameras.children[i])
            .transform_point3(Vec3::ZERO)
    };
    assert!(eye_at(0.0).abs_diff_eq(recorded_eye(0), 1e-4));
    assert!(eye_at(spacing as f32).abs_diff_eq(recorded_eye(1), 1e-4));
    let mid = eye_at(spacing as f32 / 2.0);
    let halfway = (recorded_eye(0) + recorded_eye(1)) / 2.0;
    assert!(mid.abs_diff_eq(halfway, 1e-3), "{mid} vs {halfway}");
    assert!(
        recorded_eye(0).distance(recorded_eye(1)) > 0.1,
        "the cameras differ"
    );

    // The panorama is the sky.
    let panorama = scene.environment.panorama.expect("panorama sky");
    assert_eq!(scene.image(panorama.image).map(|i| i.width), Some(128));
}

/// The camera nodes under `cameras` are called `names`, keep the 60° field of view they
/// were written with, look at `target` (world space) and stand upright.
fn check_cameras(scene: &Scene, cameras: &worldsmith::scene::Node, target: Vec3, names: &[&str]) {
    let found: Vec<&str> = cameras
        .children
        .iter()
        .filter_map(|c| scene.node(*c))
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(found, names);
    for id in &cameras.children {
        let node = scene.node(*id).expect("camera");
        let NodeKind::Camera(camera) = node.kind else {
            panic!("not a camera")
        };
        assert!((camera.fov_y_rad.to_degrees() - 60.0).abs() < 0.01);
        let world_from_camera: Mat4 = scene.world_from_local(*id);
        let eye = world_from_camera.transform_point3(Vec3::ZERO);
        let forward = world_from_camera.transform_vector3(Vec3::NEG_Z).normalize();
        let up = world_from_camera.transform_vector3(Vec3::Y).normalize();
        let to_target = (target - eye).normalize();
        assert!(
            forward.dot(to_target) > 0.9999,
            "{}: looks along {forward}, marker is along {to_target}",
            node.name
        );
        assert!(up.y > 0.5, "{}: camera up {up} is not up", node.name);
    }
}

/// The world position of the red marker [`write_points`] puts in the point cloud under the
/// layer node `points`.
fn red_marker(scene: &Scene, points: &worldsmith::scene::Node) -> Vec3 {
    let points_node = scene.node(points.children[0]).expect("points node");
    let NodeKind::Points { cloud, .. } = points_node.kind else {
        panic!("not points: {:?}", points_node.kind)
    };
    let cloud = scene.point_cloud(cloud).expect("cloud");
    let red = cloud
        .positions
        .iter()
        .zip(&cloud.colors)
        .filter(|(_, c)| c[0] == 255 && c[1] == 0)
        .fold(Vec3::ZERO, |acc, (p, _)| acc + Vec3::from(*p))
        / 27.0;
    scene.world_from_local(points_node.id).transform_point3(red)
}

/// A 3DGS training run's output folder as INRIA's `train.py` leaves it: `cameras.json`, the
/// structure-from-motion points as `input.ply`, splats saved at two iterations and `cfg_args`.
#[test]
fn a_3dgs_training_folder_opens_its_last_splats_points_and_cameras() {
    let dir = crate::common::temp_dir("world-folder", "training").join("garden");
    std::fs::create_dir_all(&dir).expect("mkdir");
    write_points(&dir.join("input.ply"));
    for (iteration, count) in [(7000, 100), (30000, 500)] {
        let folder = dir.join(format!("point_cloud/iteration_{iteration}"));
        std::fs::create_dir_all(&folder).expect("mkdir");
        worldsmith::import::ply::write_synthetic_splat_ply(
            &folder.join("point_cloud.ply"),
            count,
            0,
            3,
        )
        .expect("write splats");
    }
    std::fs::write(dir.join("cfg_args"), "Namespace(sh_degree=3)").expect("write");
    // `camera_to_JSON` in gaussian-splatting's utils/camera_utils.py: the camera-to-world
    // rotation's rows and the camera centre, focal lengths in pixels.
    let target = Vec3::from(TARGET_CV);
    let fy = 192.0 / 30f32.to_radians().tan();
    let entries: Vec<serde_json::Value> = [
        ("DSC0001", Vec3::ZERO),
        ("DSC0002", Vec3::new(4.0, -2.0, 2.0)),
    ]
    .iter()
    .enumerate()
    .map(|(id, (name, eye))| {
        let c2w = opencv_c2w(*eye, target);
        let rotation: Vec<[f32; 3]> = c2w[..3].iter().map(|r| [r[0], r[1], r[2]]).collect();
        serde_json::json!({"id": id, "img_name": name, "width": 512, "height": 384,
                "position": eye.to_array(), "rotation": rotation, "fy": fy, "fx": fy})
    })
    .collect();
    std::fs::write(
        dir.join("cameras.json"),
        serde_json::to_vec(&entries).expect("json"),
    )
    .expect("write");
    assert!(worldsmith::ui::is_world_folder(&dir));

    let imported = import_path(&dir).expect("folder imports");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let scene = &imported.scene;
    let world = scene.node(scene.roots()[0]).expect("world");
    let names: Vec<&str> = world
        .children
        .iter()
        .filter_map(|c| scene.node(*c))
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "input (points)",
            "point_cloud iteration_30000 (splats)",
            "Cameras"
        ],
        "the last iteration's splats only"
    );
    let splats = child_named(scene, world.id, "point_cloud iteration_30000 (splats)");
    let counts: Vec<usize> = scene.splat_clouds().map(|(_, c)| c.len()).collect();
    assert_eq!(counts, [500]);
    let splat_node = scene.node(splats.children[0]).expect("splat node");
    assert!(
        splat_node
            .transform
            .rotation
            .abs_diff_eq(glam::Quat::IDENTITY, 1e-5),
        "the splats share the cameras' frame: {:?}",
        splat_node.transform
    );
    // The marker is 1 m up and 6 m in front of the first camera, which looks at it.
    let red_world = red_marker(scene, child_named(scene, world.id, "input (points)"));
    assert!(
        red_world.abs_diff_eq(Vec3::new(0.0, 1.0, -6.0), 1e-3),
        "{red_world}"
    );
    let cameras = child_named(scene, world.id, "Cameras");
    check_cameras(
        scene,
        cameras,
        red_world,
        &["DSC0001", "DSC0002", "Captured path"],
    );
}

/// A COLMAP sparse model as `colmap mapper` writes it (binary): one PINHOLE camera of
/// 512×384 pixels at a 60° vertical field of view, the images `eyes` looking at
/// [`TARGET_CV`], and the red marker's 27 points and a grey floor row as 3D points.
fn write_colmap(model: &Path, eyes: &[(&str, Vec3)]) {
    std::fs::create_dir_all(model).expect("mkdir");
    let f = 192.0 / 30f64.to_radians().tan();
    let mut cameras = 1u64.to_le_bytes().to_vec();
    cameras.extend_from_slice(&7u32.to_le_bytes()); // camera id
    cameras.extend_from_slice(&1u32.to_le_bytes()); // PINHOLE
    cameras.extend_from_slice(&512u64.to_le_bytes());
    cameras.extend_from_slice(&384u64.to_le_bytes());
    for v in [f, f, 256.0, 192.0] {
        cameras.extend_from_slice(&f64::to_le_bytes(v));
    }
    std::fs::write(model.join("cameras.bin"), cameras).expect("write");

    let mut images = (eyes.len() as u64).to_le_bytes().to_vec();
    // Written in reverse id order: cameras come out in id order.
    for (id, (name, eye)) in eyes.iter().enumerate().rev() {
        let c2w = opencv_c2w(*eye, Vec3::from(TARGET_CV));
        let world_from_camera = glam::Mat3::from_cols_array_2d(&[
            [c2w[0][0], c2w[1][0], c2w[2][0]],
            [c2w[0][1], c2w[1][1], c2w[2][1]],
            [c2w[0][2], c2w[1][2], c2w[2][2]],
        ]);
        let camera_from_world = world_from_camera.transpose();
        let q = glam::Quat::from_mat3(&camera_from_world);
        let t = -(camera_from_world * *eye);
        images.extend_from_slice(&(id as u32 + 1).to_le_bytes());
        for v in [q.w, q.x, q.y, q.z, t.x, t.y, t.z] {
            images.extend_from_slice(&f64::to_le_bytes(f64::from(v)));
        }
        images.extend_from_slice(&7u32.to_le_bytes());
        images.extend_from_slice(name.as_bytes());
        images.push(0);
        images.extend_from_slice(&2u64.to_le_bytes());
        for k in 0..2 {
            for v in [10.0 * k as f64, 20.0] {
                images.extend_from_slice(&v.to_le_bytes());
            }
            images.extend_from_slice(&u64::MAX.to_le_bytes());
        }
    }
    std::fs::write(model.join("images.bin"), images).expect("write");

    let mut points = Vec::new();
    let mut n = 0u64;
    let mut point = |p: [f32; 3], rgb: [u8; 3]| {
        points.extend_from_slice(&n.to_le_bytes());
        for v in p {
            points.extend_from_slice(&f64::to_le_bytes(f64::from(v)));
        }
        points.extend_from_slice(&rgb);
        points.extend_from_slice(&0.5f64.to_le_bytes());
        points.extend_from_slice(&1u64.to_le_bytes());
        points.extend_from_slice(&1u32.to_le_bytes());
        points.extend_from_slice(&0u32.to_le_bytes());
        n += 1;
    };
    for k in 0..27 {
        let d = |i: i32| (i - 1) as f32 * 0.05;
        let (a, b, c) = (k % 3, (k / 3) % 3, k / 9);
        point(
            [
                TARGET_CV[0] + d(a),
                TARGET_CV[1] + d(b),
                TARGET_CV[2] + d(c),
            ],
            [255, 0, 0],
        );
    }
    for i in 0..10 {
        point([i as f32 - 5.0, 1.0, 4.0], [128, 128, 128]);
    }
    let mut file = n.to_le_bytes().to_vec();
    file.extend_from_slice(&points);
    std::fs::write(model.join("points3D.bin"), file).expect("write");
}

/// A structure-from-motion dataset: `images/` and COLMAP's `sparse/0` model, no splats yet.
#[test]
fn a_colmap_model_opens_as_cameras_and_points() {
    let dir = crate::common::temp_dir("world-folder", "colmap").join("garden");
    std::fs::create_dir_all(dir.join("images")).expect("mkdir");
    write_colmap(
        &dir.join("sparse/0"),
        &[
            ("0001.jpg", Vec3::ZERO),
            ("0002.jpg", Vec3::new(4.0, -2.0, 2.0)),
        ],
    );
    assert!(worldsmith::ui::is_world_folder(&dir));
    let imported = import_path(&dir).expect("folder imports");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let scene = &imported.scene;
    let world = scene.node(scene.roots()[0]).expect("world");
    let points = child_named(scene, world.id, "points3D (points)");
    let counts: Vec<usize> = scene.point_clouds().map(|(_, c)| c.len()).collect();
    assert_eq!(counts, [37]);
    let red_world = red_marker(scene, points);
    assert!(
        red_world.abs_diff_eq(Vec3::new(0.0, 1.0, -6.0), 1e-3),
        "{red_world}"
    );
    check_cameras(
        scene,
        child_named(scene, world.id, "Cameras"),
        red_world,
        &["0001.jpg", "0002.jpg", "Captured path"],
    );

    // Damaged models: the folder still opens, each problem a warning naming the file.
    let model = dir.join("sparse/0");
    let images = std::fs::read(model.join("images.bin")).expect("read");
    let points3d = std::fs::read(model.join("points3D.bin")).expect("read");
    for cut in [0, 7, 40, images.len() - 1] {
        std::fs::write(model.join("images.bin"), &images[..cut]).expect("write");
        let imported = import_path(&dir).expect("folder imports");
        assert!(
            imported.warnings.iter().any(|w| w.contains("images.bin")),
            "cut at {cut}: {:?}",
            imported.warnings
        );
    }
    std::fs::write(model.join("images.bin"), &images).expect("write");
    let mut huge = points3d.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(model.join("points3D.bin"), &huge).expect("write");
    let imported = import_path(&dir).expect("folder imports");
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("points3D.bin") && w.contains("do not fit")),
        "{:?}",
        imported.warnings
    );
    for cut in (0..points3d.len()).step_by(17) {
        std::fs::write(model.join("points3D.bin"), &points3d[..cut]).expect("write");
        let imported = import_path(&dir).expect("folder imports");
        assert!(
            imported.warnings.iter().any(|w| w.contains("points3D.bin")),
            "cut at {cut}: {:?}",
            imported.warnings
        );
    }
}

#[test]
fn a_folder_without_cameras_keeps_each_layer_as_it_opens_alone() {
    let dir = crate::common::temp_dir("world-folder", "marble").join("marble_export");
    std::fs::create_dir_all(&dir).expect("mkdir");
    worldsmith::import::ply::write_synthetic_splat_ply(&dir.join("world.ply"), 100, 1, 9)
        .expect("write splats");
    let imported = import_path(&dir).expect("imports");
    let scene = &imported.scene;
    let world = scene.node(scene.roots()[0]).expect("world");
    assert!(
        world
            .transform
            .rotation
            .abs_diff_eq(glam::Quat::IDENTITY, 1e-6)
    );
    let layer = child_named(scene, world.id, "world (splats)");
    let splats = scene.node(layer.children[0]).expect("splats");
    // A standalone INRIA PLY is turned from OpenCV to Y-up by its own node.
    assert!(
        splats
            .transform
            .rotation
            .abs_diff_eq(worldsmith::import::world::yup_from_opencv(), 1e-5)
    );
}

/// A Marble-style folder: a splat layer and the API's world JSON with `semantics_metadata`.
fn marble_folder(test: &str, metadata: serde_json::Value) -> PathBuf {
    let dir = crate::common::temp_dir("world-folder", test).join("marble_world");
    std::fs::create_dir_all(&dir).expect("mkdir");
    worldsmith::import::ply::write_synthetic_splat_ply(&dir.join("splats.ply"), 50, 0, 3)
        .expect("write splats");
    std::fs::write(dir.join("world.json"), metadata.to_string()).expect("write metadata");
    dir
}

#[test]
fn marble_metric_scale_and_ground_offset_place_the_world_in_metres() {
    let dir = marble_folder(
        "marble-metric",
        serde_json::json!({
            "world": { "id": "w1", "assets": { "splats": {
                "spz_urls": { "full_res": "splats.spz" },
                "semantics_metadata": { "metric_scale_factor": 2.5, "ground_plane_offset": 1.5 }
            } } }
        }),
    );
    let imported = import_path(&dir).expect("imports");
    let scene = &imported.scene;
    let world = scene.node(scene.roots()[0]).expect("world");
    assert_eq!(world.transform.scale, Vec3::splat(2.5));
    assert_eq!(world.transform.translation, Vec3::new(0.0, 1.5, 0.0));
    // Marble's raw frame is OpenCV's (y down): the World node turns it to Y-up and the
    // layer stays raw (the PLY's own turn undone).
    assert!(
        world
            .transform
            .rotation
            .abs_diff_eq(worldsmith::import::world::yup_from_opencv(), 1e-6)
    );
    let layer = child_named(scene, world.id, "splats (splats)");
    let world_from_layer = scene.world_from_local(scene.node(layer.children[0]).unwrap().id);
    // The raw ground, 1.5 m (0.6 units) below the origin along raw +y, lands on y = 0.
    let ground = world_from_layer.transform_point3(Vec3::new(0.0, 0.6, 0.0));
    assert!(ground.length() < 1e-5, "{ground}");
    // A point 1 unit up (raw −y) ends 2.5 m above the camera, 4 m above the ground.
    let p = world_from_layer.transform_point3(Vec3::NEG_Y);
    assert!((p - Vec3::new(0.0, 4.0, 0.0)).length() < 1e-5, "{p}");
    // An SPZ or GLB layer of the same folder stays in the raw frame too (no turn of its own).
    let spz = worldsmith::export::spz::write_splats(
        &dir.join("splats_500k.spz"),
        &worldsmith::scene::SplatCloud::new(
            vec![[0.0, 0.6, 0.0]],
            vec![[0.0, 0.0, 0.0, 1.0]],
            vec![[0.01; 3]],
            vec![1.0],
            vec![[0.5; 3]],
            0,
            Vec::new(),
        )
        .unwrap(),
        glam::Mat4::IDENTITY,
    );
    spz.expect("write spz");
    let imported = import_path(&dir).expect("imports");
    let scene = &imported.scene;
    let world = scene.node(scene.roots()[0]).expect("world");
    let layer = child_named(scene, world.id, "splats_500k (splats)");
    let node = scene.node(layer.children[0]).unwrap();
    assert_eq!(node.transform.rotation, glam::Quat::IDENTITY);
    let ground = scene
        .world_from_local(node.id)
        .transform_point3(Vec3::new(0.0, 0.6, 0.0));
    assert!(ground.length() < 1e-5, "{ground}");
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("world.json") && w.contains("2.5")),
        "{:?}",
        imported.warnings
    );
}

#[test]
fn unusable_marble_metadata_is_a_warning_and_leaves_scale_and_height() {
    let dir = marble_folder(
        "marble-bad",
        serde_json::json!({ "semantics_metadata": { "metric_scale_factor": -3.0, "ground_plane_offset": 1e30 } }),
    );
    let imported = import_path(&dir).expect("imports");
    let world = imported
        .scene
        .node(imported.scene.roots()[0])
        .expect("world");
    assert_eq!(world.transform.scale, Vec3::ONE);
    assert_eq!(world.transform.translation, Vec3::ZERO);
    for key in ["metric_scale_factor -3", "ground_plane_offset"] {
        assert!(
            imported.warnings.iter().any(|w| w.contains(key)),
            "no warning about {key}: {:?}",
            imported.warnings
        );
    }
    // A JSON that is not metadata (or not JSON at all) is ignored silently.
    std::fs::write(dir.join("world.json"), b"{ not json").expect("write");
    std::fs::write(dir.join("notes.json"), br#"{"title": "x"}"#).expect("write");
    let imported = import_path(&dir).expect("imports");
    let world = imported
        .scene
        .node(imported.scene.roots()[0])
        .expect("world");
    assert_eq!(world.transform.scale, Vec3::ONE);
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
}

#[test]
fn broken_layers_and_cameras_are_warnings_and_empty_folders_errors() {
    let dir = crate::common::temp_dir("world-folder", "broken").join("case");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("gaussians.ply"),
        b"ply\nformat ascii 1.0\nelement vertex 4000000000\n",
    )
    .expect("write");
    write_points(&dir.join("points.ply"));
    std::fs::write(dir.join("camera_params.json"), br#"{"extrinsics": [{"camera_id": 0, "matrix": [[2,0,0,0],[0,2,0,0],[0,0,2,0],[0,0,0,1]]}, {"camera_id": 1, "matrix": "nope"}]}"#)
        .expect("write");
    let imported = import_path(&dir).expect("the good layer still loads");
    let text = imported.warnings.join("\n");
    assert!(text.contains("gaussians.ply"), "{text}");
    assert!(
        text.contains("camera 0") && text.contains("camera 1"),
        "{text}"
    );
    assert!(imported.scene.find("points (points)").is_some());
    assert!(imported.scene.find("Cameras").is_none(), "no usable camera");

    std::fs::write(dir.join("camera_params.json"), b"{not json").expect("write");
    let imported = import_path(&dir).expect("loads");
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("camera_params.json") && w.contains("JSON")),
        "{:?}",
        imported.warnings
    );

    // A training run's cameras.json with entries that are not cameras: each is a warning
    // naming the file and the camera, the usable one still loads.
    std::fs::remove_file(dir.join("camera_params.json")).expect("remove");
    let good = serde_json::json!({"id": 0, "img_name": "good", "width": 512, "height": 384,
        "position": [0, 0, 0], "rotation": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "fy": 300, "fx": 300});
    let mut scaled = good.clone();
    scaled["img_name"] = "scaled".into();
    scaled["rotation"] = serde_json::json!([[2, 0, 0], [0, 2, 0], [0, 0, 2]]);
    let mut no_position = good.clone();
    no_position["img_name"] = "no_position".into();
    no_position
        .as_object_mut()
        .expect("object")
        .remove("position");
    let mut no_focal = good.clone();
    no_focal["img_name"] = "no_focal".into();
    no_focal.as_object_mut().expect("object").remove("fy");
    let list = serde_json::json!([good, scaled, no_position, no_focal, "junk"]);
    std::fs::write(dir.join("cameras.json"), list.to_string()).expect("write");
    let imported = import_path(&dir).expect("loads");
    let text = imported.warnings.join("\n");
    for needle in [
        "cameras.json: camera scaled: the rotation is not a rotation",
        "cameras.json: camera no_position: no finite",
        "cameras.json: camera no_focal: no usable",
        "cameras.json: camera camera_0004: no finite",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let cameras = imported.scene.find("Cameras").expect("cameras");
    let names: Vec<&str> = imported
        .scene
        .node(cameras)
        .expect("node")
        .children
        .iter()
        .filter_map(|c| imported.scene.node(*c))
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(names, ["good", "no_focal", "Captured path"]);

    let empty = crate::common::temp_dir("world-folder", "empty").join("nothing_here");
    std::fs::create_dir_all(&empty).expect("mkdir");
    std::fs::write(empty.join("readme.md"), "x").expect("write");
    match import_path(&empty) {
        Err(e @ ImportError::World { .. }) => {
            assert!(e.to_string().contains("nothing_here"), "{e}");
        }
        other => panic!("expected a world-folder error, got {other:?}"),
    }
}

#[test]
fn the_cli_renders_a_folder_from_one_of_its_cameras() {
    let dir = hy_world_folder("cli");
    let out = dir.parent().expect("parent").join("from_camera.png");
    let output = common::worldsmith(&[
        "still".as_ref(),
        dir.as_os_str(),
        "--camera".as_ref(),
        "image_0002".as_ref(),
        "--size".as_ref(),
        "160x120".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    if !output.status.success() && common::gpu().is_none() {
        eprintln!("skipping: no adapter");
        return;
    }
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let img = image::open(&out).expect("png").to_rgba8();
    assert_eq!(img.dimensions(), (160, 120));
    common::assert_not_degenerate("folder_from_camera", &img);
    // The sky is the panorama, shown as captured: the top row is its sky blue.
    let top = img.get_pixel(80, 2);
    let expected = [110u8, 160, 230];
    for c in 0..3 {
        assert!(
            (top[c] as i32 - expected[c] as i32).abs() <= 3,
            "sky pixel {top:?} is not the panorama's {expected:?}"
        );
    }
}

/// A uniform HDR environment shows its linear values straight through the tone mapper
/// (pre-exposure), at any exposure, scaled by its intensity.
#[test]
fn an_hdr_environment_shows_its_linear_values() {
    let Some(ctx) = common::gpu() else { return };
    let dir = crate::common::temp_dir("world-folder", "hdr_env");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("sky.hdr");
    let linear = [0.05f32, 0.2, 0.6];
    let pixels = vec![image::Rgb(linear); 64 * 32];
    let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    image::codecs::hdr::HdrEncoder::new(file)
        .encode(&pixels, 64, 32)
        .expect("encode");
    let (image, hdr) = worldsmith::import::world::read_panorama(&path).expect("read");
    assert!(hdr);
    let to_srgb = |c: f32| {
        let c = c.clamp(0.0, 1.0);
        if c <= 0.003_130_8 {
            c * 12.92
        } else {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        }
    };
    for (ev, intensity) in [(14.0, 1.0), (3.0, 1.0), (14.0, 1.5)] {
        let mut scene = Scene::new("hdr");
        let command = worldsmith::edit::ops::set_environment_image(&mut scene, image.clone(), true);
        worldsmith::edit::History::default().execute(&mut scene, command);
        let env = scene.environment_mut();
        env.exposure_ev100 = ev;
        env.tone_mapper = worldsmith::scene::ToneMapper::Linear;
        if let Some(p) = &mut env.panorama {
            p.intensity = intensity;
        }
        let view = common::look(Vec3::ZERO, Vec3::new(0.0, 0.3, -1.0), 60.0);
        let img = common::render(&ctx, &scene, view, 64, 48);
        let px = img.get_pixel(32, 24);
        for c in 0..3 {
            let want = (to_srgb(linear[c] * intensity) * 255.0).round() as i32;
            assert!(
                (px[c] as i32 - want).abs() <= 4,
                "EV {ev}, intensity {intensity}: pixel {px:?}, channel {c} should be {want}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_point_cloud_glb_beside_the_layers_is_a_points_layer() {
    // DUSt3R, MASt3R and VGGT demos write their reconstruction as a GLB point cloud (trimesh:
    // a POINTS primitive with COLOR_0); one left in a world folder is a layer like the rest.
    let dir = crate::common::temp_dir("world-folder", "recon").join("case_02");
    std::fs::create_dir_all(&dir).expect("mkdir");
    write_points(&dir.join("points.ply"));
    let mut recon = crate::import_gltf_points::points_gltf();
    recon["meshes"].as_array_mut().expect("meshes").truncate(1);
    recon["nodes"].as_array_mut().expect("nodes").truncate(1);
    recon["scenes"][0]["nodes"] = serde_json::json!([0]);
    std::fs::write(
        dir.join("recon.gltf"),
        serde_json::to_vec(&recon).expect("JSON"),
    )
    .expect("write");
    let imported = import_path(&dir).expect("folder imports");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let scene = &imported.scene;
    let world = scene.node(scene.roots()[0]).expect("world");
    let layer = child_named(scene, world.id, "recon (points)");
    let clouds: Vec<usize> = scene
        .subtree_ids(layer.id)
        .into_iter()
        .filter_map(|id| match scene.node(id)?.kind {
            NodeKind::Points { cloud, .. } => scene.point_cloud(cloud).map(|c| c.len()),
            _ => None,
        })
        .collect();
    assert_eq!(clouds, [3]);
}
