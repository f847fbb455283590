//! The benchmarks' GPU time per render pass (`Renderer::time_gpu_passes`, `bench
//! --gpu-passes`): every pass a frame runs is timed under its label, in order, and nothing is
//! timed unless asked for.

use crate::common;

use worldsmith::generate::generate_world;
use worldsmith::render::{FrameInput, OffscreenTarget, RenderSettings, Renderer};

#[test]
fn each_pass_of_a_frame_is_timed_under_its_label_in_order() {
    let Some(ctx) = common::gpu() else { return };
    let scene = generate_world(7);
    let camera = worldsmith::render::default_view(&scene);
    let target = OffscreenTarget::new(&ctx.device, 96, 54);
    let mut r = Renderer::new(&ctx);
    let selected = [scene.find("Terrain").expect("terrain")];
    let frame = FrameInput {
        scene: &scene,
        camera,
        settings: RenderSettings {
            shadow_map_size: 512,
            ..RenderSettings::viewport()
        },
        selection: &selected,
        cloud_highlight: None,
    };
    // Off by default: no times.
    r.render(&frame, &target.target());
    assert_eq!(r.gpu_pass_times(), None);
    if !r.time_gpu_passes(true) {
        assert!(
            !ctx.device
                .features()
                .contains(wgpu::Features::TIMESTAMP_QUERY),
            "the device has timestamp queries, the timer must use them"
        );
        eprintln!("SKIPPED: no timestamp queries on this adapter");
        return;
    }
    // A new view: the three shadow cascades are drawn again, then the selection mask, the
    // opaque pass, the display pass (grid, icons) and tone mapping.
    let moved = FrameInput {
        camera: worldsmith::scene::CameraView {
            world_from_view: glam::Mat4::from_translation(glam::Vec3::new(3.0, 0.0, 0.0))
                * camera.world_from_view,
            ..camera
        },
        ..frame
    };
    let stats = r.render(&moved, &target.target());
    assert_eq!(stats.shadow_passes, 3, "{stats:?}");
    let times = r.gpu_pass_times().expect("times");
    let labels: Vec<&str> = times.passes.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        labels,
        [
            "shadow cascade",
            "shadow cascade",
            "shadow cascade",
            "selection mask",
            "opaque",
            "display",
            "tone map"
        ],
        "{times:?}"
    );
    assert_eq!(times.untimed, 0);
    assert!(
        times
            .passes
            .iter()
            .all(|(_, ms)| ms.is_finite() && *ms >= 0.0),
        "{times:?}"
    );
    assert!(times.total_ms() > 0.0, "{times:?}");
    let by_label = times.by_label();
    assert_eq!(by_label.len(), 5, "{by_label:?}");
    assert_eq!(by_label[0].0, "shadow cascade");

    // The same view again: shadows are kept, so only the other passes run and are timed.
    r.render(&moved, &target.target());
    let again = r.gpu_pass_times().expect("times");
    let labels: Vec<&str> = again.passes.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        labels,
        ["selection mask", "opaque", "display", "tone map"],
        "{again:?}"
    );

    // Off again: frames are not timed.
    assert!(!r.time_gpu_passes(false));
    r.render(&moved, &target.target());
    assert_eq!(r.gpu_pass_times(), None);
}
