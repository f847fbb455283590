//! `worldsmith bench-variants`: what switching variants costs (resolve + the first frame,
//! and what it uploads) and how long the variants panel's thumbnails take to refresh.

use super::view_for;
use crate::edit::variants as vops;
use crate::render::{
    FrameInput, GpuContext, OffscreenTarget, RenderSettings, Renderer, VariantTargets,
};
use crate::scene::{Overrides, VariantId};
use clap::Args;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct BenchVariantsArgs {
    /// Seed of the built-in generated world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Viewport size for the switch measurement.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = super::parse_size)]
    pub size: (u32, u32),
    /// Variants the thumbnail refresh draws (the world's presets, then copies).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub thumbnails: u16,
    /// Thumbnail size.
    #[arg(long, value_name = "WxH", default_value = "256x144", value_parser = super::parse_size)]
    pub thumbnail_size: (u32, u32),
    /// Thumbnail refreshes timed (the median is printed).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub runs: u16,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `worldsmith bench-variants`.
pub fn bench_variants(args: &BenchVariantsArgs) -> anyhow::Result<()> {
    let ctx = GpuContext::headless()?;
    let mut scene = crate::generate::generate_world(args.seed);
    let view = view_for(&scene, None)?;
    let (w, h) = args.size;
    let target = OffscreenTarget::new(&ctx.device, w, h);
    let mut renderer = Renderer::new(&ctx);
    let settings = RenderSettings::viewport();
    let wait = |ctx: &GpuContext| {
        ctx.device.poll(wgpu::PollType::wait_indefinitely()).ok();
    };
    let frame_ms = |renderer: &mut Renderer, scene: &crate::scene::Scene| {
        let t = Instant::now();
        let stats = renderer.render(
            &FrameInput {
                scene,
                camera: view,
                settings,
                selection: &[],
                cloud_highlight: None,
            },
            &target.target(),
        );
        wait(&ctx);
        (t.elapsed().as_secs_f64() * 1000.0, stats)
    };
    frame_ms(&mut renderer, &scene);
    let (idle, _) = frame_ms(&mut renderer, &scene);
    println!(
        "adapter: {} — generated world seed {}, {w}x{h} viewport settings; unchanged frame {idle:.1} ms",
        ctx.adapter_name(),
        args.seed
    );
    println!("variant switch (resolve + first frame, uploads of that frame):");
    let ids: Vec<(String, VariantId)> = scene
        .variants()
        .list
        .iter()
        .map(|v| (v.name.clone(), v.id))
        .collect();
    for (name, id) in &ids {
        let t = Instant::now();
        let shown = scene
            .resolved_as(*id)
            .ok_or_else(|| anyhow::anyhow!("variant {name} vanished"))?;
        let resolve_ms = t.elapsed().as_secs_f64() * 1000.0;
        let (ms, stats) = frame_ms(&mut renderer, &shown);
        let u = stats.uploads;
        println!(
            "  {name:<18} resolve {resolve_ms:5.2} ms, first frame {ms:7.1} ms; uploads: {} meshes, {} textures, {} material writes, {} instance writes, {} bytes",
            u.meshes, u.textures, u.material_writes, u.instance_writes, u.bytes
        );
    }

    // Thumbnails: the world's variants, then copies with other exposures up to the count.
    let mut k = 0;
    while scene.variants().list.len() < usize::from(args.thumbnails) {
        let base = &scene.variants().list[k % ids.len().max(1)];
        let mut overrides: Overrides = base.overrides.clone();
        let ev = overrides
            .environment
            .exposure_ev100
            .unwrap_or(scene.environment.exposure_ev100);
        overrides.environment.exposure_ev100 = Some(ev - 1.0);
        let name = format!("{} brighter", base.name);
        let id = scene.reserve_variant_id();
        vops::create(&scene, id, &name, overrides).apply(&mut scene);
        k += 1;
    }
    let thumbs: Vec<Option<VariantId>> = scene
        .variants()
        .list
        .iter()
        .take(usize::from(args.thumbnails))
        .map(|v| Some(v.id))
        .collect();
    let mut targets = VariantTargets::default();
    targets.keep(&ctx.device, &thumbs, args.thumbnail_size);
    // The thumbnail settings, and the same with every mesh drawn whole, interleaved run by
    // run so that both see the same machine load.
    let thumb_settings = RenderSettings::thumbnail();
    let whole_settings = RenderSettings {
        detail: crate::render::Detail::Full,
        ..thumb_settings
    };
    let mut runs = [Vec::new(), Vec::new()];
    for run in 0..usize::from(args.runs) + 1 {
        for (which, settings) in [thumb_settings, whole_settings].into_iter().enumerate() {
            // A base edit makes every thumbnail stale, as an edit in the editor does.
            let mut env = scene.environment;
            env.sky.turbidity = 2.5 + (run * 2 + which) as f32 * 0.01;
            crate::edit::Command::SetEnvironment {
                value: Box::new(env),
            }
            .apply(&mut scene);
            let stale = targets.stale(&scene, view, settings, &thumbs);
            let t = Instant::now();
            for id in &stale {
                targets.draw(&mut renderer, &scene, *id, view, settings);
            }
            wait(&ctx);
            if run > 0 {
                runs[which].push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let (tw, th) = args.thumbnail_size;
    let [by_size, whole] = runs;
    println!(
        "thumbnail refresh: {} variants at {tw}x{th}: median {:.0} ms over {} runs (all {:.0?} ms)",
        thumbs.len(),
        median(by_size.clone()),
        by_size.len(),
        by_size
    );
    println!(
        "  the same with every mesh drawn whole (no levels of detail): median {:.0} ms (all {:.0?} ms)",
        median(whole.clone()),
        whole
    );
    Ok(())
}
