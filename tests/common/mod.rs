//! Shared test helpers: a GPU context (skips off CI when there is no adapter, fails on CI),
//! golden-image comparison with tolerance, and small test scenes.

use glam::Vec3;
use image::RgbaImage;
use std::path::PathBuf;
use std::sync::OnceLock;
use worldsmith::render::{FrameInput, GpuContext, RenderSettings, Renderer};
use worldsmith::scene::{CameraView, Light, LightKind, Material, NodeKind, Scene, Transform};

/// The shared headless GPU context, or `None` (with a printed reason) when there is no adapter
/// and we are not on CI. On CI (`CI=true`) a missing adapter fails the test.
pub fn gpu() -> Option<GpuContext> {
    static CTX: OnceLock<Result<GpuContext, String>> = OnceLock::new();
    match CTX.get_or_init(|| GpuContext::headless().map_err(|e| e.to_string())) {
        Ok(ctx) => Some(ctx.clone()),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("no GPU adapter on CI: {e}");
            }
            eprintln!("SKIPPED: no GPU adapter ({e}); install mesa-vulkan-drivers");
            None
        }
    }
}

/// Renders `scene` from `view` at `w`x`h` with final-frame settings.
pub fn render(ctx: &GpuContext, scene: &Scene, view: CameraView, w: u32, h: u32) -> RgbaImage {
    render_with(ctx, scene, view, w, h, RenderSettings::final_frame(), &[])
}

pub fn render_with(
    ctx: &GpuContext,
    scene: &Scene,
    view: CameraView,
    w: u32,
    h: u32,
    settings: RenderSettings,
    selection: &[worldsmith::scene::NodeId],
) -> RgbaImage {
    let mut r = Renderer::new(ctx);
    let frame = FrameInput {
        settings: RenderSettings {
            shadow_map_size: 1024,
            ..settings
        },
        selection,
        ..final_frame(scene, view)
    };
    r.render_to_image(ctx, &frame, w, h).expect("readback").0
}

/// A final-quality frame of `scene` from `camera` as the tests render it: 1024² shadow
/// cascades (small frames need no more), nothing selected.
pub fn final_frame(scene: &Scene, camera: CameraView) -> FrameInput<'_> {
    FrameInput {
        scene,
        camera,
        settings: RenderSettings {
            shadow_map_size: 1024,
            ..RenderSettings::final_frame()
        },
        selection: &[],
        cloud_highlight: None,
    }
}

fn luma(p: &image::Rgba<u8>) -> f64 {
    0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2])
}

/// Mean and standard deviation of luminance (0..255).
pub fn luma_stats(img: &RgbaImage) -> (f64, f64) {
    let n = f64::from(img.width() * img.height());
    let mean = img.pixels().map(luma).sum::<f64>() / n;
    let var = img.pixels().map(|p| (luma(p) - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Panics if the frame is black, blown out or flat.
pub fn assert_not_degenerate(name: &str, img: &RgbaImage) {
    let (mean, std) = luma_stats(img);
    assert!(
        mean > 8.0,
        "{name}: frame is (nearly) black, mean luma {mean:.1}"
    );
    assert!(
        mean < 247.0,
        "{name}: frame is (nearly) white, mean luma {mean:.1}"
    );
    assert!(std > 6.0, "{name}: frame is flat, luma std dev {std:.1}");
}

/// Result of comparing two images.
#[derive(Debug)]
pub struct Diff {
    /// Fraction of pixels whose largest channel difference exceeds the threshold.
    pub bad_fraction: f64,
    /// Mean absolute channel difference (0..255).
    pub mean_abs: f64,
    /// Largest channel difference anywhere (colour channels, 0..255).
    pub max_abs: u8,
    pub image: RgbaImage,
}

/// Per-pixel threshold on the largest channel difference.
pub const PIXEL_THRESHOLD: u8 = 24;
/// Allowed fraction of pixels over the threshold.
pub const MAX_BAD_FRACTION: f64 = 0.005;
/// Allowed mean absolute channel difference.
pub const MAX_MEAN_ABS: f64 = 2.0;

pub fn diff(a: &RgbaImage, b: &RgbaImage) -> Diff {
    assert_eq!(a.dimensions(), b.dimensions(), "image sizes differ");
    let mut bad = 0u64;
    let mut sum = 0u64;
    let mut max_abs = 0u8;
    let mut out = RgbaImage::new(a.width(), a.height());
    for ((pa, pb), po) in a.pixels().zip(b.pixels()).zip(out.pixels_mut()) {
        let mut worst = 0u8;
        for c in 0..3 {
            let d = pa[c].abs_diff(pb[c]);
            sum += u64::from(d);
            worst = worst.max(d);
        }
        max_abs = max_abs.max(worst);
        if worst > PIXEL_THRESHOLD {
            bad += 1;
            *po = image::Rgba([255, 0, 255, 255]);
        } else {
            let g = (luma(pa) * 0.3) as u8;
            *po = image::Rgba([g, g, g, 255]);
        }
    }
    let n = f64::from(a.width() * a.height());
    Diff {
        bad_fraction: bad as f64 / n,
        mean_abs: sum as f64 / (n * 3.0),
        max_abs,
        image: out,
    }
}

pub fn within_tolerance(d: &Diff) -> bool {
    d.bad_fraction <= MAX_BAD_FRACTION && d.mean_abs <= MAX_MEAN_ABS
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn failure_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/golden-failures")
}

/// Compares `actual` with `tests/golden/<name>.png`. `WORLDSMITH_BLESS=1` rewrites the golden.
/// A missing golden is written and the test fails asking for review. On mismatch the actual
/// and diff images go to `target/golden-failures/`.
pub fn check_golden(name: &str, actual: &RgbaImage) {
    assert_not_degenerate(name, actual);
    let path = golden_dir().join(format!("{name}.png"));
    let bless = std::env::var("WORLDSMITH_BLESS").is_ok_and(|v| v == "1");
    if bless {
        actual.save(&path).expect("write golden");
        eprintln!("blessed {}", path.display());
        return;
    }
    let Ok(expected) = image::open(&path) else {
        actual.save(&path).expect("write golden");
        panic!(
            "{name}: no golden existed; wrote {} — review it, then re-run",
            path.display()
        );
    };
    let expected = expected.to_rgba8();
    let d = diff(&expected, actual);
    if !within_tolerance(&d) {
        let dir = failure_dir();
        std::fs::create_dir_all(&dir).ok();
        actual.save(dir.join(format!("{name}.actual.png"))).ok();
        d.image.save(dir.join(format!("{name}.diff.png"))).ok();
        panic!(
            "{name}: differs from golden: {:.3}% pixels over threshold (max {:.3}%), mean abs \
             {:.2} (max {MAX_MEAN_ABS}); see {}",
            d.bad_fraction * 100.0,
            MAX_BAD_FRACTION * 100.0,
            d.mean_abs,
            dir.display()
        );
    }
}

/// A view from `eye` looking at `target`.
pub fn look(eye: Vec3, target: Vec3, fov_deg: f32) -> CameraView {
    let t = Transform::looking_at(eye, target);
    CameraView {
        world_from_view: glam::Mat4::from_rotation_translation(t.rotation, t.translation),
        fov_y_rad: fov_deg.to_radians(),
        near: 0.05,
        ortho: None,
    }
}

/// Adds a sun shining from `to_sun` (towards the sun) with `lux`.
pub fn add_sun(scene: &mut Scene, to_sun: Vec3, lux: f32, shadows: bool) {
    scene.add_node(
        None,
        "Sun",
        Transform::pointing(-to_sun),
        NodeKind::Light(Light {
            kind: LightKind::Directional,
            color: [1.0, 0.97, 0.92],
            intensity: lux,
            range: None,
            cast_shadows: shadows,
        }),
    );
}

/// Runs the `worldsmith` binary with `args` (lavapipe's Vulkan unless `WGPU_BACKEND` says
/// otherwise) and returns what it did.
pub fn worldsmith<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_worldsmith"))
        .args(args)
        .env(
            "WGPU_BACKEND",
            std::env::var("WGPU_BACKEND").unwrap_or_else(|_| "vulkan".into()),
        )
        .output()
        .expect("run worldsmith")
}

/// Runs `worldsmith still --size SIZE --out OUT EXTRA…` (of the generated world unless
/// `extra` names an input) and reads back the PNG it wrote.
pub fn still_png(out: &std::path::Path, size: &str, extra: &[&str]) -> RgbaImage {
    let mut args = vec![
        "still",
        "--size",
        size,
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let run = worldsmith(&args);
    assert!(
        run.status.success(),
        "worldsmith {args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    image::open(out).expect("png").to_rgba8()
}

/// Adds a mesh node with a new material.
/// An unlit material of one linear colour (opaque): what a test shows exactly, whatever the
/// lights.
pub fn unlit(name: &str, rgb: [f32; 3]) -> Material {
    Material {
        name: name.into(),
        base_color: [rgb[0], rgb[1], rgb[2], 1.0],
        unlit: true,
        ..Default::default()
    }
}

pub fn add_mesh(
    scene: &mut Scene,
    name: &str,
    mesh: worldsmith::scene::Mesh,
    material: Material,
    t: Transform,
) -> worldsmith::scene::NodeId {
    let mesh = scene.add_mesh(mesh);
    let material = scene.add_material(material);
    scene.add_node(None, name, t, NodeKind::Mesh { mesh, material })
}

/// A fresh, empty folder for one test's files ([`temp_dir_path`]), removed first if an
/// earlier run left it behind.
pub fn temp_dir(group: &str, name: &str) -> PathBuf {
    let dir = temp_dir_path(group, name);
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Where [`temp_dir`] puts a test's files: `worldsmith-{group}-{name}-{pid}` in the system's
/// temporary folder (for messages that name them).
pub fn temp_dir_path(group: &str, name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("worldsmith-{group}-{name}-{}", std::process::id()))
}

/// The shared sample assets: `../shared/testdata/gltf` beside the repository (as on CI), or
/// `WORLDSMITH_TESTDATA` (a folder holding `gltf/`) when set.
pub fn testdata() -> std::path::PathBuf {
    let dir = std::env::var_os("WORLDSMITH_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata")
        })
        .join("gltf");
    assert!(
        dir.is_dir(),
        "sample assets not found at {}: keep the shared/ folder beside the checkout, or set \
         WORLDSMITH_TESTDATA to a folder that holds gltf/",
        dir.display()
    );
    dir
}

/// A small deterministic generator (tests build their data in code): an LCG whose top 24 bits
/// give a float in [0, 1).
pub struct Rng(pub u64);

/// Marsaglia's xorshift64 from `seed` (non-zero): the mutation and garbage tests' byte source,
/// the same sequence on every run.
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

impl Rng {
    pub fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 40) as f32) / (1u64 << 24) as f32
    }

    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next()
    }

    /// A point in the unit ball.
    pub fn in_ball(&mut self) -> Vec3 {
        loop {
            let p = Vec3::new(
                self.range(-1.0, 1.0),
                self.range(-1.0, 1.0),
                self.range(-1.0, 1.0),
            );
            if p.length_squared() <= 1.0 {
                return p;
            }
        }
    }

    /// A random rotation (Euler angles uniform in [0, 6.3) rad; not uniform on SO(3), which
    /// the tests do not need).
    pub fn rotation(&mut self) -> glam::Quat {
        glam::Quat::from_euler(
            glam::EulerRot::XYZ,
            self.range(0.0, 6.3),
            self.range(0.0, 6.3),
            self.range(0.0, 6.3),
        )
    }
}

/// Where a GLB file's BIN chunk data starts (after the 12-byte header, the JSON chunk and the
/// BIN chunk's 8-byte header).
pub fn glb_bin_start(glb: &[u8]) -> usize {
    let json_len = u32::from_le_bytes(glb[12..16].try_into().expect("a GLB header")) as usize;
    20 + json_len + 8
}

/// The only mesh node of `scene` and its mesh.
pub fn first_mesh(scene: &Scene) -> (&worldsmith::scene::Node, &worldsmith::scene::Mesh) {
    let node = scene
        .nodes()
        .find(|n| matches!(n.kind, NodeKind::Mesh { .. }))
        .expect("a mesh node");
    let NodeKind::Mesh { mesh, .. } = node.kind else {
        unreachable!()
    };
    (node, scene.mesh(mesh).expect("mesh"))
}

/// The JSON of a glTF whose one node holds `n` Gaussian splats stored as one SPZ blob of
/// `blob_len` bytes in buffer view 0 (KHR_gaussian_splatting_compression_spz_2; the
/// primitive's accessors hold no data).
pub fn spz_splats_gltf_json(n: usize, blob_len: usize) -> String {
    format!(
        r#"{{"asset":{{"version":"2.0"}},"scene":0,"scenes":[{{"nodes":[0]}}],
        "nodes":[{{"mesh":0,"name":"Splats"}}],
        "meshes":[{{"primitives":[{{"mode":0,
            "attributes":{{"POSITION":0,"KHR_gaussian_splatting:ROTATION":1,
                           "KHR_gaussian_splatting:SCALE":2,"KHR_gaussian_splatting:OPACITY":3}},
            "extensions":{{"KHR_gaussian_splatting":{{"extensions":
                {{"KHR_gaussian_splatting_compression_spz_2":{{"bufferView":0}}}}}}}}}}]}}],
        "accessors":[
            {{"componentType":5126,"count":{n},"type":"VEC3","min":[-200,-200,-200],"max":[200,200,200]}},
            {{"componentType":5126,"count":{n},"type":"VEC4"}},
            {{"componentType":5126,"count":{n},"type":"VEC3"}},
            {{"componentType":5126,"count":{n},"type":"SCALAR"}}],
        "buffers":[{{"byteLength":{blob_len}}}],"bufferViews":[{{"buffer":0,"byteLength":{blob_len}}}],
        "extensionsUsed":["KHR_gaussian_splatting","KHR_gaussian_splatting_compression_spz_2"],
        "extensionsRequired":["KHR_gaussian_splatting","KHR_gaussian_splatting_compression_spz_2"]}}"#
    )
}

/// A GLB container around `json` and `bin` (each padded to 4 bytes as GLB requires).
pub fn glb(json: &[u8], bin: &[u8]) -> Vec<u8> {
    let pad = |v: &[u8], with: u8| {
        let mut v = v.to_vec();
        v.resize(v.len().next_multiple_of(4), with);
        v
    };
    let (json, bin) = (pad(json, b' '), pad(bin, 0));
    let mut out = b"glTF".to_vec();
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&((28 + json.len() + bin.len()) as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

/// A GLB quad stored as `gltfpack -c` writes it: u16 positions, octahedral-filtered i8
/// normals, normalized u16 UVs and the indices, each view compressed by meshoptimizer
/// (EXT_meshopt_compression) into the BIN chunk, with an empty fallback buffer. `edit` may
/// change the JSON first (hostile variants).
pub fn meshopt_quad_glb(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    use serde_json::json;
    let positions: [[u16; 4]; 4] = [[0, 0, 0, 0], [2, 0, 0, 0], [2, 2, 0, 0], [0, 2, 0, 0]];
    let normals = meshopt::encode_filter_oct::<i8>(&[[0.0, 0.0, 1.0, 0.0]; 4], 8);
    let uvs: [[u16; 2]; 4] = [[0, 65535], [65535, 65535], [65535, 0], [0, 0]];
    let indices = [0u32, 1, 2, 0, 2, 3];
    let streams = [
        (
            meshopt::encode_vertex_buffer(&positions),
            8,
            4,
            "ATTRIBUTES",
            "NONE",
        ),
        (
            meshopt::encode_vertex_buffer(&normals),
            4,
            4,
            "ATTRIBUTES",
            "OCTAHEDRAL",
        ),
        (
            meshopt::encode_vertex_buffer(&uvs),
            4,
            4,
            "ATTRIBUTES",
            "NONE",
        ),
        (
            meshopt::encode_index_buffer(&indices, 4),
            2,
            6,
            "TRIANGLES",
            "NONE",
        ),
    ];
    let mut bin = Vec::new();
    let mut views = Vec::new();
    let mut fallback = 0usize;
    for (encoded, stride, count, mode, filter) in streams {
        let (stride, count): (usize, usize) = (stride, count);
        let encoded = encoded.expect("meshopt encodes");
        let mut view = json!({ "buffer": 1, "byteOffset": fallback, "byteLength": stride * count,
            "extensions": { "EXT_meshopt_compression": {
                "buffer": 0, "byteOffset": bin.len(), "byteLength": encoded.len(),
                "byteStride": stride, "count": count, "mode": mode, "filter": filter } } });
        if mode == "ATTRIBUTES" {
            view["byteStride"] = json!(stride);
        }
        views.push(view);
        fallback += (stride * count).next_multiple_of(4);
        bin.extend(encoded);
        bin.resize(bin.len().next_multiple_of(4), 0);
    }
    let mut json = json!({
        "asset": { "version": "2.0" },
        "extensionsUsed": ["EXT_meshopt_compression", "KHR_mesh_quantization"],
        "extensionsRequired": ["EXT_meshopt_compression", "KHR_mesh_quantization"],
        "scene": 0, "scenes": [{ "nodes": [0] }],
        "nodes": [{ "mesh": 0, "name": "quad", "scale": [0.5, 0.5, 0.5] }],
        "meshes": [{ "primitives": [{
            "attributes": { "POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2 }, "indices": 3 }] }],
        "buffers": [
            { "byteLength": bin.len() },
            { "byteLength": fallback,
              "extensions": { "EXT_meshopt_compression": { "fallback": true } } }
        ],
        "bufferViews": views,
        "accessors": [
            { "bufferView": 0, "componentType": 5123, "count": 4, "type": "VEC3",
              "min": [0, 0, 0], "max": [2, 2, 0] },
            { "bufferView": 1, "componentType": 5120, "normalized": true, "count": 4, "type": "VEC3" },
            { "bufferView": 2, "componentType": 5123, "normalized": true, "count": 4, "type": "VEC2" },
            { "bufferView": 3, "componentType": 5123, "count": 6, "type": "SCALAR" }
        ]
    });
    edit(&mut json);
    glb(&serde_json::to_vec(&json).expect("JSON"), &bin)
}

/// The `vertex` properties of a PlayCanvas/SuperSplat compressed splat PLY.
pub const COMPRESSED_PLY_PACKED: [&str; 4] = [
    "packed_position",
    "packed_rotation",
    "packed_scale",
    "packed_color",
];

/// The `chunk` properties of a PlayCanvas/SuperSplat compressed splat PLY, in the order
/// `splat-transform` writes them: position and log-scale bounds, then (newer files) colour
/// bounds.
pub fn compressed_ply_chunk_names(colour_bounds: bool) -> Vec<String> {
    let mut names = Vec::new();
    for prefix in ["min_", "max_", "min_scale_", "max_scale_"] {
        names.extend(["x", "y", "z"].map(|axis| format!("{prefix}{axis}")));
    }
    if colour_bounds {
        for prefix in ["min_", "max_"] {
            names.extend(["r", "g", "b"].map(|c| format!("{prefix}{c}")));
        }
    }
    names
}

/// The only mesh of `scene`.
pub fn only_mesh(scene: &Scene) -> &worldsmith::scene::Mesh {
    let mut meshes = scene.meshes();
    let (_, mesh) = meshes.next().expect("a mesh");
    assert!(meshes.next().is_none(), "one mesh expected");
    mesh
}

/// World-space positions of the first mesh node's vertices.
pub fn world_positions(scene: &Scene) -> Vec<glam::Vec3> {
    let (node, mesh) = first_mesh(scene);
    let world_from_local = scene.world_from_local(node.id);
    mesh.positions
        .iter()
        .map(|p| world_from_local.transform_point3(glam::Vec3::from(*p)))
        .collect()
}

/// Writes `bytes` as `dir/name` and imports it.
pub fn load(dir: &std::path::Path, name: &str, bytes: Vec<u8>) -> Scene {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    worldsmith::import::import_path(&path)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .scene
}

/// `scene` lit by the default light, framed like `framing`, at 320×180; `None` without an
/// adapter (off CI).
pub fn render_framed(mut scene: Scene, framing: &Scene) -> Option<image::RgbaImage> {
    let ctx = gpu()?;
    assert!(worldsmith::import::add_default_light_if_unlit(&mut scene));
    let view = worldsmith::render::framing_view(framing);
    Some(render(&ctx, &scene, view, 320, 180))
}

/// One vertex attribute for [`draco_encode`]: its meaning, component count, storage
/// (`Float32`, or an integer type with `normalized`), little-endian bytes of every point's
/// value, and the quantization bits the encoder is asked for (float attributes only).
pub struct DracoAttribute {
    pub kind: draco_core::GeometryAttributeType,
    pub components: u8,
    pub data_type: draco_core::DataType,
    pub normalized: bool,
    pub bytes: Vec<u8>,
    pub quantization_bits: Option<i32>,
}

/// What [`draco_encode`] wrote: the Draco stream, the point count a glTF accessor of the
/// decoded attributes must state, and each attribute's Draco unique id (in input order).
pub struct DracoStream {
    pub bytes: Vec<u8>,
    pub points: usize,
    pub unique_ids: Vec<u32>,
}

/// A triangle mesh of `points` points compressed by the `draco-core` encoder (EdgeBreaker at
/// its default speed, as Blender's and gltf-pipeline's exporters write), the way a
/// KHR_draco_mesh_compression writer stores it.
pub fn draco_encode(points: usize, attributes: &[DracoAttribute], indices: &[u32]) -> DracoStream {
    use draco_core::{EncoderBuffer, EncoderOptions, FaceIndex, Mesh, MeshEncoder, PointAttribute};
    let mut mesh = Mesh::new();
    let mut options = EncoderOptions::new();
    for attribute in attributes {
        let mut a = PointAttribute::new();
        a.init(
            attribute.kind,
            attribute.components,
            attribute.data_type,
            attribute.normalized,
            points,
        );
        a.buffer_mut().write(0, &attribute.bytes);
        let id = mesh.add_attribute(a);
        if let Some(bits) = attribute.quantization_bits {
            options.set_attribute_int(id, "quantization_bits", bits);
        }
    }
    mesh.set_num_faces(indices.len() / 3);
    for (f, t) in indices.chunks_exact(3).enumerate() {
        mesh.set_face(FaceIndex(f as u32), [t[0].into(), t[1].into(), t[2].into()]);
    }
    let mut encoder = MeshEncoder::new();
    encoder.set_mesh(mesh);
    let mut buffer = EncoderBuffer::new();
    let info = encoder
        .encode_with_info(&options, &mut buffer)
        .expect("Draco encodes");
    DracoStream {
        bytes: buffer.data().to_vec(),
        points: info.num_encoded_points,
        unique_ids: info.attributes.iter().map(|a| a.unique_id).collect(),
    }
}

/// The corners of [`draco_quad_glb`]'s quad (z = 0), with each corner's UV and RGBA colour.
pub const DRACO_QUAD: [([f32; 2], [f32; 2], [u8; 4]); 4] = [
    ([0.0, 0.0], [0.0, 1.0], [255, 0, 0, 255]),
    ([1.0, 0.0], [1.0, 1.0], [0, 255, 0, 255]),
    ([1.0, 1.0], [1.0, 0.0], [0, 0, 255, 128]),
    ([0.0, 1.0], [0.0, 0.0], [255, 255, 255, 0]),
];

/// A GLB quad stored as Blender's exporter writes Draco-compressed meshes: one
/// KHR_draco_mesh_compression stream in the BIN chunk holding float positions (14 bits),
/// normals (10 bits), UVs (12 bits) and normalized u8 RGBA colours, read into accessors
/// without buffer views (u8 indices, u8 normalized colours). `edit` may change the JSON first
/// (hostile variants).
pub fn draco_quad_glb(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    use draco_core::{DataType, GeometryAttributeType as Kind};
    use serde_json::json;
    let f32s = |values: Vec<f32>| values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let float = |kind, components, values, bits| DracoAttribute {
        kind,
        components,
        data_type: DataType::Float32,
        normalized: false,
        bytes: f32s(values),
        quantization_bits: Some(bits),
    };
    let stream = draco_encode(
        4,
        &[
            float(
                Kind::Position,
                3,
                DRACO_QUAD
                    .iter()
                    .flat_map(|(p, ..)| [p[0], p[1], 0.0])
                    .collect(),
                14,
            ),
            float(Kind::Normal, 3, [0.0, 0.0, 1.0].repeat(4), 10),
            float(
                Kind::TexCoord,
                2,
                DRACO_QUAD.iter().flat_map(|(_, uv, _)| *uv).collect(),
                12,
            ),
            DracoAttribute {
                kind: Kind::Color,
                components: 4,
                data_type: DataType::Uint8,
                normalized: true,
                bytes: DRACO_QUAD.iter().flat_map(|(.., c)| *c).collect(),
                quantization_bits: None,
            },
        ],
        &[0, 1, 2, 0, 2, 3],
    );
    let ids = &stream.unique_ids;
    let points = stream.points;
    let mut json = json!({
        "asset": { "version": "2.0" },
        "extensionsUsed": ["KHR_draco_mesh_compression"],
        "extensionsRequired": ["KHR_draco_mesh_compression"],
        "scene": 0, "scenes": [{ "nodes": [0] }],
        "nodes": [{ "mesh": 0, "name": "quad" }],
        "meshes": [{ "primitives": [{
            "attributes": { "POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2, "COLOR_0": 3 },
            "indices": 4,
            "extensions": { "KHR_draco_mesh_compression": { "bufferView": 0, "attributes": {
                "POSITION": ids[0], "NORMAL": ids[1], "TEXCOORD_0": ids[2], "COLOR_0": ids[3] } } }
        }] }],
        "buffers": [{ "byteLength": stream.bytes.len() }],
        "bufferViews": [{ "buffer": 0, "byteLength": stream.bytes.len() }],
        "accessors": [
            { "componentType": 5126, "count": points, "type": "VEC3",
              "min": [0, 0, 0], "max": [1, 1, 0] },
            { "componentType": 5126, "count": points, "type": "VEC3" },
            { "componentType": 5126, "count": points, "type": "VEC2" },
            { "componentType": 5121, "normalized": true, "count": points, "type": "VEC4" },
            { "componentType": 5121, "count": 6, "type": "SCALAR" }
        ]
    });
    edit(&mut json);
    glb(&serde_json::to_vec(&json).expect("JSON"), &stream.bytes)
}

/// A KTX2 file of one 2D level: `vk_format` (0 for Basis Universal), the level's bytes
/// (supercompressed with Zstandard where `zstd`, scheme 2; else stored, scheme 0) and the
/// Data Format Descriptor's words after its total size.
pub fn ktx2_container(
    vk_format: u32,
    width: u32,
    height: u32,
    level: &[u8],
    zstd: bool,
    dfd: &[u32],
) -> Vec<u8> {
    let stored = if zstd {
        ruzstd_encoder::encoding::compress_to_vec(
            level,
            ruzstd_encoder::encoding::CompressionLevel::Fastest,
        )
    } else {
        level.to_vec()
    };
    let dfd_offset = 80 + 24;
    let dfd_len = 4 + 4 * dfd.len();
    let data_offset = (dfd_offset + dfd_len).next_multiple_of(16);
    let mut out = vec![
        0xAB, b'K', b'T', b'X', b' ', b'2', b'0', 0xBB, b'\r', b'\n', 0x1A, b'\n',
    ];
    let header = [
        vk_format,
        1, // typeSize: 1 for UNDEFINED and for 8-bit formats
        width,
        height,
        0,
        0,
        1,
        1,
        if zstd { 2 } else { 0 },
        dfd_offset as u32,
        dfd_len as u32,
        0,
        0,
    ];
    for field in header {
        out.extend(u32::to_le_bytes(field));
    }
    out.extend([0u8; 16]); // no supercompression global data
    for field in [data_offset as u64, stored.len() as u64, level.len() as u64] {
        out.extend(field.to_le_bytes());
    }
    out.extend((dfd_len as u32).to_le_bytes());
    for word in dfd {
        out.extend(word.to_le_bytes());
    }
    out.resize(data_offset, 0);
    out.extend(stored);
    out
}

/// A KTX2 texture of UASTC LDR 4×4 blocks (Basis Universal, as `toktx --encode uastc` and
/// `basisu -uastc -ktx2` write it), built by the KTX2 and UASTC specifications: every block
/// is UASTC mode 8, one solid RGBA colour (mode code 0b10111 in 5 bits, then R, G, B, A in 8
/// bits each, least significant bit first). `colours` gives the blocks row by row;
/// `zstd` supercompresses the level with Zstandard.
pub fn uastc_solid_ktx2(
    blocks_wide: u32,
    blocks_high: u32,
    colours: &[[u8; 4]],
    zstd: bool,
) -> Vec<u8> {
    assert_eq!(colours.len(), (blocks_wide * blocks_high) as usize);
    let level: Vec<u8> = colours
        .iter()
        .flat_map(|[r, g, b, a]| {
            let bits = 0b10111u128
                | u128::from(*r) << 5
                | u128::from(*g) << 13
                | u128::from(*b) << 21
                | u128::from(*a) << 29;
            bits.to_le_bytes()
        })
        .collect();
    // One basic descriptor block: KHR_DF_MODEL_UASTC = 166, BT.709 primaries, sRGB transfer,
    // 4×4 texels, 16 bytes per block, one RGBA sample.
    let dfd = [
        0,
        2 | 40 << 16,
        166 | 1 << 8 | 2 << 16,
        3 | 3 << 8,
        16,
        0,
        127 << 16 | 3 << 24,
        0,
        0,
        u32::MAX,
    ];
    ktx2_container(0, blocks_wide * 4, blocks_high * 4, &level, zstd, &dfd)
}

/// A plain RGBA8 KTX2 texture (`VK_FORMAT_R8G8B8A8_SRGB`, as `toktx` writes without
/// `--encode`), Zstandard-supercompressed where `zstd`.
pub fn rgba8_ktx2(image: &image::RgbaImage, zstd: bool) -> Vec<u8> {
    plain_ktx2(
        43,
        &[0, 1, 2, 15],
        image.width(),
        image.height(),
        image.as_raw(),
        zstd,
    )
}

/// A plain 8-bit KTX2 texture of VkFormat `format` whose texels hold the DFD channels
/// `channels` (0 red, 1 green, 2 blue, 15 alpha) in order, tightly packed in `texels`.
pub fn plain_ktx2(
    format: u32,
    channels: &[u32],
    width: u32,
    height: u32,
    texels: &[u8],
    zstd: bool,
) -> Vec<u8> {
    // One basic descriptor block: KHR_DF_MODEL_RGBSDA = 1, BT.709, sRGB, one texel per block,
    // one 8-bit sample per channel.
    let n = channels.len() as u32;
    let mut dfd = vec![0, 2 | (24 + n * 16) << 16, 1 | 1 << 8 | 2 << 16, 0, n, 0];
    for (c, &channel) in channels.iter().enumerate() {
        dfd.extend([(c as u32 * 8) | 7 << 16 | channel << 24, 0, 0, 255]);
    }
    ktx2_container(format, width, height, texels, zstd, &dfd)
}

/// A GLB triangle whose base colour is a Zstandard-supercompressed UASTC KTX2 texture
/// (KHR_texture_basisu, required, no fallback) stored in the BIN chunk, and the offset of the
/// KTX2 bytes in the file.
pub fn ktx2_triangle_glb() -> (Vec<u8>, usize) {
    let ktx2 = uastc_solid_ktx2(4, 4, &[[90, 60, 30, 255]; 16], true);
    let json = format!(
        r#"{{"asset":{{"version":"2.0"}},"scene":0,"scenes":[{{"nodes":[0]}}],
        "nodes":[{{"mesh":0}}],"meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}},
        "material":0}}]}}],"materials":[{{"pbrMetallicRoughness":{{"baseColorTexture":
        {{"index":0}}}}}}],"textures":[{{"extensions":{{"KHR_texture_basisu":{{"source":0}}}}}}],
        "images":[{{"bufferView":1,"mimeType":"image/ktx2"}}],
        "extensionsUsed":["KHR_texture_basisu"],"extensionsRequired":["KHR_texture_basisu"],
        "buffers":[{{"byteLength":{len}}}],
        "bufferViews":[{{"buffer":0,"byteLength":36}},
                       {{"buffer":0,"byteOffset":36,"byteLength":{k}}}],
        "accessors":[{{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3",
                       "min":[0,0,0],"max":[1,1,0]}}]}}"#,
        len = 36 + ktx2.len(),
        k = ktx2.len()
    );
    let mut bin: Vec<u8> = [0f32, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    bin.extend(&ktx2);
    let glb = glb(json.as_bytes(), &bin);
    let start = glb_bin_start(&glb) + 36;
    (glb, start)
}

/// An SPZ version 4 file from the decompressed stream of a gzip-era one (16-byte header, the
/// six sections, extension records after them), laid out as the reference's `saveSpz` writes
/// version 4: the plain 32-byte header (version set to 4), the extension records, the table of
/// contents, then one Zstandard frame per non-empty section.
pub fn spz_v4(stream: &[u8]) -> Vec<u8> {
    let word = |at: usize| u32::from_le_bytes(stream[at..at + 4].try_into().unwrap());
    let (version, n, sh_degree) = (word(4), word(8) as usize, usize::from(stream[12]));
    let position = if version == 1 { 6 } else { 9 };
    let rotation = if version >= 3 { 4 } else { 3 };
    let sh = 3 * ((sh_degree + 1) * (sh_degree + 1) - 1);
    let mut sections = Vec::new();
    let mut at = 16;
    for size in [position, 1, 3, 3, rotation, sh].map(|s| s * n) {
        if size > 0 {
            sections.push(&stream[at..at + size]);
        }
        at += size;
    }
    let ext = &stream[at..];
    let frames: Vec<Vec<u8>> = sections
        .iter()
        .map(|s| {
            ruzstd_encoder::encoding::compress_to_vec(
                *s,
                ruzstd_encoder::encoding::CompressionLevel::Fastest,
            )
        })
        .collect();
    let mut out = stream[..4].to_vec();
    out.extend_from_slice(&4u32.to_le_bytes());
    out.extend_from_slice(&stream[8..15]);
    out.push(frames.len() as u8);
    out.extend_from_slice(&(32 + ext.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(ext);
    for (frame, section) in frames.iter().zip(&sections) {
        out.extend_from_slice(&(frame.len() as u64).to_le_bytes());
        out.extend_from_slice(&(section.len() as u64).to_le_bytes());
    }
    for frame in &frames {
        out.extend_from_slice(frame);
    }
    out
}

/// One splat as a 3DGS trainer writes it to an INRIA PLY.
#[derive(Clone)]
pub struct TrainedSplat {
    pub pos: [f32; 3],
    /// `rot_0..3`: `w x y z`, not normalised.
    pub rot_wxyz: [f32; 4],
    pub log_scale: [f32; 3],
    pub f_dc: [f32; 3],
    /// Opacity before the sigmoid.
    pub logit: f32,
    /// `f_rest_0..44`, channel-major (`c · 15 + k`).
    pub rest: Vec<f32>,
}

/// Splat `i` of the PLY that the reference encoders' files in `tests/data` were made from
/// (`tests/data/README.md` has the script that writes that PLY and the commands).
pub fn reference_splat(i: usize) -> TrainedSplat {
    let t = i as f64;
    let s = |x: f64| x.sin() as f32;
    TrainedSplat {
        pos: [
            4.0 * s(t * 1.3 + 0.1),
            3.0 * s(t * 0.7 + 1.1),
            5.0 * s(t * 0.31 + 2.3),
        ],
        rot_wxyz: [
            s(t * 0.11 + 0.5),
            s(t * 0.23 + 1.5),
            s(t * 0.29 + 2.5),
            0.2 + s(t * 0.17),
        ],
        log_scale: [0.0, 1.0, 2.0].map(|c| -4.0 + 2.0 * s(t * 0.45 + c)),
        f_dc: [0.0, 1.0, 2.0].map(|c| 1.2 * s(t * 0.9 + c * 1.7)),
        logit: 3.0 * s(t * 0.21),
        rest: (0..45)
            .map(|j| 0.3 * s(t * 0.37 + j as f64 * 0.53))
            .collect(),
    }
}

/// For each splat at `positions` (64 of them, written by an encoder that reorders splats, by
/// Morton code or bucket), the reference splat ([`reference_splat`]) nearest to it. Each
/// reference splat must be matched exactly once.
pub fn match_reference_splats(positions: &[[f32; 3]]) -> Vec<TrainedSplat> {
    assert_eq!(positions.len(), 64);
    let originals: Vec<_> = (0..64).map(reference_splat).collect();
    let mut matched = [false; 64];
    positions
        .iter()
        .map(|at| {
            let distance = |j: &usize| {
                let p = &originals[*j].pos;
                (0..3).map(|c| (at[c] - p[c]).powi(2)).sum::<f32>()
            };
            let j = (0..64)
                .min_by(|a, b| distance(a).total_cmp(&distance(b)))
                .unwrap();
            assert!(!matched[j], "two splats at reference splat {j}'s position");
            matched[j] = true;
            originals[j].clone()
        })
        .collect()
}

/// The one node of `scene`, a splat node, and its cloud.
pub fn only_splats(
    scene: &worldsmith::scene::Scene,
) -> (&worldsmith::scene::Node, &worldsmith::scene::SplatCloud) {
    let nodes: Vec<_> = scene.nodes().collect();
    assert_eq!(nodes.len(), 1);
    let worldsmith::scene::NodeKind::Splats { cloud } = nodes[0].kind else {
        panic!("not splats: {:?}", nodes[0].kind);
    };
    (nodes[0], scene.splat_cloud(cloud).expect("cloud"))
}

/// Whether a pixel has the viewport's orange selection outline colour.
pub fn outline_orange(p: &image::Rgba<u8>) -> bool {
    p[0] > 220 && (150..230).contains(&p[1]) && p[2] < 130
}

/// Adds `cloud` and a top-level node "Points" drawing it as discs `point_size_px` wide.
pub fn add_points(
    scene: &mut Scene,
    cloud: worldsmith::scene::PointCloud,
    point_size_px: f32,
) -> worldsmith::scene::NodeId {
    add_point_node(scene, "Points", Transform::IDENTITY, cloud, point_size_px)
}

/// Adds `cloud` and a top-level node `name` at `t` drawing it as discs `point_size_px` wide.
pub fn add_point_node(
    scene: &mut Scene,
    name: &str,
    t: Transform,
    cloud: worldsmith::scene::PointCloud,
    point_size_px: f32,
) -> worldsmith::scene::NodeId {
    let cloud = scene.add_point_cloud(cloud);
    scene.add_node(
        None,
        name,
        t,
        NodeKind::Points {
            cloud,
            point_size_px,
        },
    )
}
