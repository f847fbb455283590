//! The GPU compute sort of Gaussian splats against the parallel CPU radix sort: the same
//! page-local order (read back from the index buffer the draw reads) for random clouds with
//! ties, splats behind the camera and the camera inside the cloud, paged or not; the same
//! pixels; and sorts only when the view changes.

use crate::common;

use common::Rng;

use common::*;
use glam::{Mat4, Vec3, Vec4};
use worldsmith::render::{FrameInput, FrameStats, RenderSettings, Renderer, SplatSort};
use worldsmith::scene::{CameraView, NodeKind, Scene, SplatCloud, Transform};

/// `n` splats in a ball of radius 5 around the origin; one in eight repeats an earlier
/// position exactly and one in eight an earlier x (equal depth for a camera looking along
/// x), so there are many equal keys.
fn random_cloud(n: usize, seed: u64) -> SplatCloud {
    let mut rng = Rng(seed);
    let mut positions: Vec<[f32; 3]> = Vec::with_capacity(n);
    for i in 0..n {
        let earlier = positions
            .get((rng.next() * i as f32) as usize)
            .copied()
            .filter(|_| i > 0);
        let p = match (i % 8, earlier) {
            (3, Some(p)) => p,
            (5, Some(p)) => [p[0], rng.range(-5.0, 5.0), rng.range(-5.0, 5.0)],
            _ => loop {
                let p = Vec3::new(
                    rng.range(-1.0, 1.0),
                    rng.range(-1.0, 1.0),
                    rng.range(-1.0, 1.0),
                );
                if p.length_squared() <= 1.0 {
                    break (p * 5.0).to_array();
                }
            },
        };
        positions.push(p);
    }
    let colors = (0..n)
        .map(|_| [rng.next(), rng.next(), rng.next()])
        .collect();
    let scales = (0..n)
        .map(|_| [rng.range(0.02, 0.15), rng.range(0.02, 0.15), 0.05])
        .collect();
    SplatCloud::new(
        positions,
        vec![[0.0, 0.0, 0.0, 1.0]; n],
        scales,
        vec![0.6; n],
        colors,
        0,
        Vec::new(),
    )
    .expect("consistent splat arrays")
}

fn cloud_scene(n: usize, seed: u64, world_from_local: Transform) -> Scene {
    let mut scene = Scene::new("Sort");
    let cloud = scene.add_splat_cloud(random_cloud(n, seed));
    scene.add_node(None, "Cloud", world_from_local, NodeKind::Splats { cloud });
    scene
}

/// A camera inside the cloud at `eye`, looking along +x: every entry of its view matrix is
/// 0 or ±1, so the view depth is computed exactly alike by any FMA contraction.
fn axis_view(eye: Vec3) -> CameraView {
    CameraView {
        world_from_view: Mat4::from_cols(
            Vec4::new(0.0, 0.0, 1.0, 0.0),
            Vec4::new(0.0, 1.0, 0.0, 0.0),
            Vec4::new(-1.0, 0.0, 0.0, 0.0),
            eye.extend(1.0),
        ),
        fov_y_rad: 1.2,
        near: 0.05,
        ortho: None,
    }
}

fn settings(sort: SplatSort) -> RenderSettings {
    RenderSettings {
        msaa: 1,
        shadow_map_size: 512,
        splat_sort: sort,
        ..RenderSettings::final_frame()
    }
}

/// Renders one frame and reads back the sorted indices of every node and page.
fn sorted(
    r: &mut Renderer,
    scene: &Scene,
    view: CameraView,
    sort: SplatSort,
) -> (Vec<Vec<Vec<u32>>>, FrameStats) {
    let ctx = gpu().expect("checked by the caller");
    let frame = FrameInput {
        scene,
        camera: view,
        settings: settings(sort),
        selection: &[],
        cloud_highlight: None,
    };
    let (_, stats) = r.render_to_image(&ctx, &frame, 64, 36).expect("readback");
    (r.read_sorted_splats().expect("index readback"), stats)
}

/// The order the sort must produce for an unpaged cloud, computed independently: splats in
/// front of the near plane, farthest first, ties in index order.
fn reference_order(cloud: &SplatCloud, view_from_local: Mat4, near: f32) -> Vec<u32> {
    let row = view_from_local.row(2);
    let mut keyed: Vec<(u32, u32)> = cloud
        .positions
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let depth = -(row.x * p[0] + row.y * p[1] + row.z * p[2] + row.w);
            (depth.is_finite() && depth > near).then_some((!depth.to_bits(), i as u32))
        })
        .collect();
    keyed.sort_by_key(|k| k.0);
    keyed.into_iter().map(|k| k.1).collect()
}

fn skip_without_gpu_sort(r: &Renderer) -> bool {
    if !r.gpu_splat_sort_supported() {
        eprintln!("SKIPPED: this adapter cannot run the GPU splat sort");
        return true;
    }
    false
}

#[test]
fn gpu_order_equals_cpu_order_with_ties_and_the_camera_inside() {
    let Some(ctx) = gpu() else { return };
    let mut r = Renderer::new(&ctx);
    if skip_without_gpu_sort(&r) {
        return;
    }
    // 150 001 splats: several rounds per workgroup and a ragged last round.
    let n = 150_001;
    let node_from = Transform::from_translation(Vec3::new(0.5, -0.25, 2.0));
    let scene = cloud_scene(n, 3, node_from);
    let view = axis_view(Vec3::new(0.75, 0.5, 2.0));
    let (cpu, cpu_stats) = sorted(&mut r, &scene, view, SplatSort::Cpu);
    let (gpu_order, gpu_stats) = sorted(&mut r, &scene, view, SplatSort::Gpu);
    assert_eq!((cpu_stats.splat_sorts, cpu_stats.gpu_splat_sorts), (1, 0));
    assert_eq!((gpu_stats.splat_sorts, gpu_stats.gpu_splat_sorts), (0, 1));

    let (_, cloud) = scene.splat_clouds().next().expect("one cloud");
    let view_from_local = view.view_from_world() * node_from.matrix();
    let expected = reference_order(cloud, view_from_local, view.near);
    // The camera is inside: a good part of the cloud is behind it, and there are ties.
    assert!(
        expected.len() > n / 4 && expected.len() < n * 3 / 4,
        "{} of {n} visible",
        expected.len()
    );
    let keys: Vec<u32> = expected
        .iter()
        .map(|&i| {
            let p = cloud.positions[i as usize];
            let row = view_from_local.row(2);
            !(-(row.x * p[0] + row.y * p[1] + row.z * p[2] + row.w)).to_bits()
        })
        .collect();
    let ties = keys.windows(2).filter(|w| w[0] == w[1]).count();
    assert!(ties > 1000, "only {ties} equal keys");

    assert_eq!(cpu.len(), 1);
    assert_eq!(cpu[0].len(), 1);
    assert!(cpu[0][0] == expected, "CPU sort differs from the reference");
    let first_difference = gpu_order[0][0]
        .iter()
        .zip(&expected)
        .position(|(a, b)| a != b);
    assert_eq!(
        (gpu_order[0][0].len(), first_difference),
        (expected.len(), None),
        "GPU order differs from the CPU order"
    );
}

#[test]
fn gpu_order_equals_cpu_order_for_oblique_views_and_pages() {
    let Some(ctx) = gpu() else { return };
    let mut r = Renderer::new(&ctx);
    if skip_without_gpu_sort(&r) {
        return;
    }
    // 70 000 splats in pages of 16 384 (5 pages), seen from outside and from inside.
    r.limit_cloud_page_bytes(16_384 * 32);
    let scene = cloud_scene(70_000, 9, Transform::IDENTITY);
    for (eye, target) in [
        (Vec3::new(9.0, 4.0, 12.0), Vec3::ZERO),
        (Vec3::new(0.3, -0.2, 0.1), Vec3::new(1.0, 0.4, -2.0)),
        (Vec3::new(-2.0, 1.0, 4.6), Vec3::new(3.0, -1.0, -4.0)),
    ] {
        let view = look(eye, target, 60.0);
        let (cpu, cpu_stats) = sorted(&mut r, &scene, view, SplatSort::Cpu);
        let (gpu_order, gpu_stats) = sorted(&mut r, &scene, view, SplatSort::Gpu);
        assert_eq!(cpu_stats.splat_sorts, 5, "{cpu_stats:?}");
        assert_eq!(gpu_stats.gpu_splat_sorts, 5, "{gpu_stats:?}");
        assert_eq!(cpu.len(), 1);
        assert_eq!(gpu_order[0].len(), 5);
        let visible: usize = cpu[0].iter().map(Vec::len).sum();
        assert!(visible > 1000, "{visible} visible from {eye}");
        for (page, (c, g)) in cpu[0].iter().zip(&gpu_order[0]).enumerate() {
            let first_difference = c.iter().zip(g).position(|(a, b)| a != b);
            assert_eq!(
                (g.len(), first_difference),
                (c.len(), None),
                "page {page} from {eye}: GPU order differs from the CPU order"
            );
        }
    }
}

#[test]
fn gpu_sorted_frame_matches_cpu_sorted_frame() {
    let Some(ctx) = gpu() else { return };
    let probe = Renderer::new(&ctx);
    if skip_without_gpu_sort(&probe) {
        return;
    }
    let scene = cloud_scene(40_000, 5, Transform::IDENTITY);
    for view in [
        look(Vec3::new(4.0, 3.0, 11.0), Vec3::ZERO, 50.0),
        look(Vec3::new(0.2, 0.1, 0.4), Vec3::new(-1.0, 0.0, -3.0), 70.0),
    ] {
        let cpu = render_with(&ctx, &scene, view, 160, 90, settings(SplatSort::Cpu), &[]);
        let gpu_img = render_with(&ctx, &scene, view, 160, 90, settings(SplatSort::Gpu), &[]);
        assert_not_degenerate("GPU-sorted splats", &gpu_img);
        let worst = cpu
            .pixels()
            .zip(gpu_img.pixels())
            .map(|(a, b)| (0..4).map(|c| a[c].abs_diff(b[c])).max().unwrap_or(0))
            .max()
            .unwrap_or(0);
        assert!(
            worst <= 1,
            "GPU- and CPU-sorted frames differ by {worst}/255"
        );
    }
}

#[test]
fn gpu_sort_runs_only_when_the_view_changes() {
    let Some(ctx) = gpu() else { return };
    let mut r = Renderer::new(&ctx);
    if skip_without_gpu_sort(&r) {
        return;
    }
    r.limit_cloud_page_bytes(4096 * 32);
    let mut scene = cloud_scene(10_000, 1, Transform::IDENTITY);
    let mut view = look(Vec3::new(3.0, 2.0, 9.0), Vec3::ZERO, 50.0);
    let (_, first) = sorted(&mut r, &scene, view, SplatSort::Gpu);
    assert_eq!(
        (first.gpu_splat_sorts, first.splat_sorts),
        (3, 0),
        "{first:?}"
    );
    // Every splat of a GPU-sorted page is submitted (the cull happens on the GPU).
    assert_eq!(first.splats, 10_000);
    let (_, still) = sorted(&mut r, &scene, view, SplatSort::Gpu);
    assert_eq!(
        (still.gpu_splat_sorts, still.splat_sorts),
        (0, 0),
        "{still:?}"
    );

    view.world_from_view = Mat4::from_rotation_y(0.1) * view.world_from_view;
    let (_, moved) = sorted(&mut r, &scene, view, SplatSort::Gpu);
    assert_eq!(
        (moved.gpu_splat_sorts, moved.splat_sorts),
        (3, 0),
        "{moved:?}"
    );

    let node = scene.find("Cloud").expect("node");
    scene.set_transform(node, Transform::from_translation(Vec3::new(0.0, 0.5, 0.0)));
    let (_, node_moved) = sorted(&mut r, &scene, view, SplatSort::Gpu);
    assert_eq!(node_moved.gpu_splat_sorts, 3, "{node_moved:?}");
    assert_eq!(node_moved.uploads.splat_clouds, 0);

    // Switching to the CPU sort re-sorts there once, then neither sorts.
    let (_, cpu) = sorted(&mut r, &scene, view, SplatSort::Cpu);
    assert_eq!((cpu.gpu_splat_sorts, cpu.splat_sorts), (0, 3), "{cpu:?}");
    let (_, cpu_still) = sorted(&mut r, &scene, view, SplatSort::Cpu);
    assert_eq!((cpu_still.gpu_splat_sorts, cpu_still.splat_sorts), (0, 0));
}

#[test]
fn auto_keeps_the_cpu_sort_on_cpu_adapters() {
    let Some(ctx) = gpu() else { return };
    let mut r = Renderer::new(&ctx);
    let scene = cloud_scene(2_000, 2, Transform::IDENTITY);
    let view = look(Vec3::new(3.0, 2.0, 9.0), Vec3::ZERO, 50.0);
    let (_, stats) = sorted(&mut r, &scene, view, SplatSort::Auto);
    let on_gpu = r.gpu_splat_sort_supported() && !r.is_software();
    assert_eq!(
        (stats.gpu_splat_sorts, stats.splat_sorts),
        if on_gpu { (1, 0) } else { (0, 1) },
        "{stats:?}"
    );
}
