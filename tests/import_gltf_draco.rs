//! KHR_draco_mesh_compression: Draco-compressed primitives decode to the mesh that was
//! compressed (within the quantization the writer chose), render like the original, and a
//! hostile stream or accessor is an error naming the file and primitive. Files are written by
//! the tests with the `draco-core` encoder, at the quantization Blender's exporter uses.

use crate::common;

use common::{DracoAttribute, DracoStream};
use draco_core::{DataType, GeometryAttributeType as Kind};
use glam::{Vec2, Vec3};
use serde_json::{Value, json};
use worldsmith::import::import_path;

/// Quantization bits of Blender's glTF exporter's Draco defaults: positions, normals, UVs.
const BITS: (i32, i32, i32) = (14, 10, 12);

/// The helmet's one primitive as the original file stores it.
struct Helmet {
    positions: Vec<Vec3>,
    normals: Vec<Vec3>,
    uvs: Vec<Vec2>,
    indices: Vec<u32>,
}

fn helmet() -> (Vec<u8>, Helmet) {
    let bytes = std::fs::read(common::testdata().join("DamagedHelmet.glb")).expect("helmet");
    let document = gltf::Gltf::from_slice(&bytes).expect("helmet parses");
    let bin = document.blob.clone().expect("BIN chunk");
    let primitive = document
        .meshes()
        .next()
        .and_then(|m| m.primitives().next())
        .expect("a primitive");
    let reader = primitive.reader(|_| Some(bin.as_slice()));
    let helmet = Helmet {
        positions: reader
            .read_positions()
            .expect("positions")
            .map(Vec3::from)
            .collect(),
        normals: reader
            .read_normals()
            .expect("normals")
            .map(Vec3::from)
            .collect(),
        uvs: reader
            .read_tex_coords(0)
            .expect("uvs")
            .into_f32()
            .map(Vec2::from)
            .collect(),
        indices: reader.read_indices().expect("indices").into_u32().collect(),
    };
    (bytes, helmet)
}

/// DamagedHelmet.glb with its primitive replaced by a Draco stream (positions, normals, UVs)
/// read into new accessors without buffer views, as Blender writes it; images, materials and
/// the rest as they were. Returns the file and the stream.
fn draco_helmet() -> (Vec<u8>, DracoStream) {
    let (bytes, helmet) = helmet();
    let glb = gltf::Glb::from_slice(&bytes).expect("GLB");
    let mut json: Value = serde_json::from_slice(&glb.json).expect("JSON chunk");
    let mut bin = glb.bin.expect("BIN chunk").into_owned();
    let floats = |kind, components, values: Vec<f32>, bits| DracoAttribute {
        kind,
        components,
        data_type: DataType::Float32,
        normalized: false,
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        quantization_bits: Some(bits),
    };
    let flat3 = |v: &[Vec3]| v.iter().flat_map(|p| p.to_array()).collect();
    let stream = common::draco_encode(
        helmet.positions.len(),
        &[
            floats(Kind::Position, 3, flat3(&helmet.positions), BITS.0),
            floats(Kind::Normal, 3, flat3(&helmet.normals), BITS.1),
            floats(
                Kind::TexCoord,
                2,
                helmet.uvs.iter().flat_map(|p| p.to_array()).collect(),
                BITS.2,
            ),
        ],
        &helmet.indices,
    );
    bin.resize(bin.len().next_multiple_of(4), 0);
    let view = json["bufferViews"].as_array().expect("views").len();
    json["bufferViews"]
        .as_array_mut()
        .expect("views")
        .push(json!({ "buffer": 0, "byteOffset": bin.len(), "byteLength": stream.bytes.len() }));
    bin.extend(&stream.bytes);
    // Float vertices (32 bytes each) and u16 indices, as the original stores them.
    let raw = helmet.positions.len() * 32 + helmet.indices.len() * 2;
    assert!(
        stream.bytes.len() * 4 < raw,
        "Draco made the mesh data over 4× smaller: {} of {raw} bytes",
        stream.bytes.len()
    );
    json["buffers"][0]["byteLength"] = json!(bin.len());
    let first = json["accessors"].as_array().expect("accessors").len();
    let (min, max) = helmet
        .positions
        .iter()
        .fold((Vec3::MAX, Vec3::MIN), |(a, b), p| (a.min(*p), b.max(*p)));
    let points = stream.points;
    json["accessors"]
        .as_array_mut()
        .expect("accessors")
        .extend([
            json!({ "componentType": 5126, "count": points, "type": "VEC3",
                "min": min.to_array(), "max": max.to_array() }),
            json!({ "componentType": 5126, "count": points, "type": "VEC3" }),
            json!({ "componentType": 5126, "count": points, "type": "VEC2" }),
            json!({ "componentType": 5123, "count": helmet.indices.len(), "type": "SCALAR" }),
        ]);
    let ids = &stream.unique_ids;
    json["meshes"][0]["primitives"][0] = json!({
        "attributes": { "POSITION": first, "NORMAL": first + 1, "TEXCOORD_0": first + 2 },
        "indices": first + 3,
        "material": json["meshes"][0]["primitives"][0]["material"],
        "extensions": { "KHR_draco_mesh_compression": { "bufferView": view, "attributes": {
            "POSITION": ids[0], "NORMAL": ids[1], "TEXCOORD_0": ids[2] } } }
    });
    json["extensionsUsed"] = json!(["KHR_draco_mesh_compression"]);
    json["extensionsRequired"] = json!(["KHR_draco_mesh_compression"]);
    (
        common::glb(&serde_json::to_vec(&json).expect("JSON"), &bin),
        stream,
    )
}

/// Half a quantization step of `bits` over `range`, plus float rounding.
fn half_step(range: f32, bits: i32) -> f32 {
    range / ((1 << bits) - 1) as f32 * 0.5 * 1.001 + 1e-6
}

/// Total area of the triangles `indices` makes of `positions`.
fn area(positions: &[Vec3], indices: &[u32]) -> f64 {
    indices
        .chunks_exact(3)
        .map(|t| {
            let [a, b, c] = [0, 1, 2].map(|k| positions[t[k] as usize]);
            f64::from((b - a).cross(c - a).length()) * 0.5
        })
        .sum()
}

/// How far a decoded vertex may be from the one compressed, attribute by attribute.
#[derive(Clone, Copy)]
struct Tolerance {
    position: f32,
    uv: f32,
    normal_degrees: f32,
}

/// Vertex attributes to match one against another.
struct Vertices {
    positions: Vec<Vec3>,
    normals: Vec<Vec3>,
    uvs: Vec<Vec2>,
}

impl Vertices {
    /// Checks that every vertex of `others` lies within `tolerance` of one of these (found
    /// through a grid over positions); returns the worst (position, uv, normal°) error of the
    /// closest matches.
    fn matched_by(&self, others: &Vertices, tolerance: Tolerance) -> (f32, f32, f32) {
        let cell = tolerance.position * 4.0;
        let key = |p: Vec3| (p / cell).floor().as_ivec3();
        let mut grid: std::collections::HashMap<glam::IVec3, Vec<usize>> = Default::default();
        for (i, p) in self.positions.iter().enumerate() {
            grid.entry(key(*p)).or_default().push(i);
        }
        let errors = |i: usize, v: usize| {
            let dp = (self.positions[i] - others.positions[v])
                .abs()
                .max_element();
            let duv = (self.uvs[i] - others.uvs[v]).abs().max_element();
            // asin of the cross product: precise at small angles, where acos is not.
            let dn = self.normals[i]
                .normalize()
                .cross(others.normals[v].normalize())
                .length()
                .min(1.0)
                .asin()
                .to_degrees();
            (dp, duv, dn)
        };
        let mut worst = (0f32, 0f32, 0f32);
        for v in 0..others.positions.len() {
            let k = key(others.positions[v]);
            let neighbours = (-1..=1).flat_map(|x| {
                (-1..=1).flat_map(move |y| (-1..=1).map(move |z| k + glam::IVec3::new(x, y, z)))
            });
            let best = neighbours
                .flat_map(|cell| grid.get(&cell).into_iter().flatten())
                .map(|&i| errors(i, v))
                .filter(|&(dp, duv, dn)| {
                    dp <= tolerance.position
                        && duv <= tolerance.uv
                        && dn <= tolerance.normal_degrees
                })
                .min_by(|a, b| a.0.total_cmp(&b.0));
            let Some((dp, duv, dn)) = best else {
                let nearest = (0..self.positions.len())
                    .map(|i| errors(i, v))
                    .min_by(|a, b| (a.0 + a.1).total_cmp(&(b.0 + b.1)));
                panic!(
                    "vertex {v} at {} (uv {}, normal {}) has no counterpart; the nearest is off \
                     by (position, uv, normal°) {nearest:?}",
                    others.positions[v], others.uvs[v], others.normals[v]
                );
            };
            worst = (worst.0.max(dp), worst.1.max(duv), worst.2.max(dn));
        }
        worst
    }
}

#[test]
fn a_draco_compressed_helmet_decodes_to_the_original_within_its_quantization() {
    let dir = crate::common::temp_dir("draco", "helmet");
    let (file, stream) = draco_helmet();
    let draco = common::load(&dir, "DracoHelmet.glb", file);
    let original = import_path(&common::testdata().join("DamagedHelmet.glb"))
        .expect("helmet")
        .scene;
    let (_, helmet) = helmet();
    let mesh = common::only_mesh(&draco);
    assert_eq!(mesh.positions.len(), stream.points);
    assert_eq!(mesh.indices.len(), helmet.indices.len(), "every triangle");
    assert_eq!(draco.images().count(), 5, "textures untouched");

    // Every decoded vertex is an original vertex within half a quantization step of each
    // attribute, and every original vertex is decoded.
    let (min, max) = helmet
        .positions
        .iter()
        .fold((Vec3::MAX, Vec3::MIN), |(a, b), p| (a.min(*p), b.max(*p)));
    let position_tolerance = half_step((max - min).max_element(), BITS.0);
    let (uv_min, uv_max) = helmet
        .uvs
        .iter()
        .fold((Vec2::MAX, Vec2::MIN), |(a, b), p| (a.min(*p), b.max(*p)));
    let uv_tolerance = half_step((uv_max - uv_min).max_element(), BITS.2);
    // 10-bit octahedral normals: half a grid cell's diagonal (√2/1023 ≈ 1.4e-3) times the
    // octahedral map's largest stretch (≤ √6) is ≈ 0.19°; Draco's integer rounding of the
    // octahedron's centre adds a little (0.203° seen on the helmet).
    let normal_tolerance_degrees = 0.25;
    let tolerance = Tolerance {
        position: position_tolerance,
        uv: uv_tolerance,
        normal_degrees: normal_tolerance_degrees,
    };
    let decoded = Vertices {
        positions: mesh.positions.iter().map(|p| Vec3::from(*p)).collect(),
        normals: mesh.normals.iter().map(|p| Vec3::from(*p)).collect(),
        uvs: mesh.uvs.iter().map(|p| Vec2::from(*p)).collect(),
    };
    let source = Vertices {
        positions: helmet.positions.clone(),
        normals: helmet.normals.clone(),
        uvs: helmet.uvs.clone(),
    };
    let worst = source.matched_by(&decoded, tolerance);
    // Every original vertex a triangle uses (Draco keeps no others) is decoded too.
    let used: std::collections::BTreeSet<u32> = helmet.indices.iter().copied().collect();
    let used = Vertices {
        positions: used.iter().map(|&i| helmet.positions[i as usize]).collect(),
        normals: used.iter().map(|&i| helmet.normals[i as usize]).collect(),
        uvs: used.iter().map(|&i| helmet.uvs[i as usize]).collect(),
    };
    decoded.matched_by(&used, tolerance);
    let (worst_position, worst_uv, worst_normal) = worst;
    println!(
        "worst errors: position {worst_position:.2e} m (tolerance {position_tolerance:.2e}), \
         uv {worst_uv:.2e}, normal {worst_normal:.3}°"
    );

    // Connectivity: the same surface (a wrong index would tear or fold it).
    let (a, b) = (
        area(&helmet.positions, &helmet.indices),
        area(&decoded.positions, &mesh.indices),
    );
    assert!(
        (a - b).abs() < a * 1e-3,
        "surface area {b} m² against the original's {a} m²"
    );
    assert_eq!(
        mesh.tangents.len(),
        mesh.positions.len(),
        "MikkTSpace tangents for the normal map"
    );

    let Some(got) = common::render_framed(draco, &original) else {
        return;
    };
    let want = common::render_framed(original.clone(), &original).expect("adapter");
    common::assert_not_degenerate("Draco helmet", &got);
    let close = common::diff(&want, &got);
    if !common::within_tolerance(&close) {
        let failures = std::env::temp_dir().join("worldsmith-draco-failures");
        std::fs::create_dir_all(&failures).ok();
        got.save(failures.join("draco_helmet_actual.png")).ok();
        want.save(failures.join("draco_helmet_expected.png")).ok();
        panic!(
            "the Draco helmet differs from the original: {:.4} % of pixels off by > {}, mean \
             {:.3} (images in {})",
            close.bad_fraction * 100.0,
            common::PIXEL_THRESHOLD,
            close.mean_abs,
            failures.display()
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_draco_quad_decodes_to_known_values_in_each_accessor_type() {
    let dir = crate::common::temp_dir("draco", "quad");
    let scene = common::load(&dir, "quad.glb", common::draco_quad_glb(|_| {}));
    let mesh = common::only_mesh(&scene);
    assert_eq!(mesh.positions.len(), 4);
    assert_eq!(mesh.indices.len(), 6);
    let step = half_step(1.0, 14);
    let mut seen = [false; 4];
    for v in 0..4 {
        let p = mesh.positions[v];
        let corner = common::DRACO_QUAD
            .iter()
            .position(|(c, ..)| (c[0] - p[0]).abs() <= step && (c[1] - p[1]).abs() <= step)
            .unwrap_or_else(|| panic!("vertex {v} at {p:?} is no corner of the quad"));
        seen[corner] = true;
        let (_, uv, colour) = common::DRACO_QUAD[corner];
        assert!(p[2].abs() <= step, "{p:?}");
        let uv_step = half_step(1.0, 12);
        assert!(
            (mesh.uvs[v][0] - uv[0]).abs() <= uv_step && (mesh.uvs[v][1] - uv[1]).abs() <= uv_step,
            "corner {corner}: uv {:?}, expected {uv:?}",
            mesh.uvs[v]
        );
        // u8 normalized colours are stored losslessly: exactly c / 255.
        let want = colour.map(|c| f32::from(c) / 255.0);
        assert_eq!(mesh.colors[v], want, "corner {corner}'s colour");
        let n = Vec3::from(mesh.normals[v]);
        assert!(n.abs_diff_eq(Vec3::Z, 1e-3), "normal {n}");
    }
    assert_eq!(seen, [true; 4], "every corner decoded");
    // Both triangles face +z, as the stream's winding says.
    for t in mesh.indices.chunks_exact(3) {
        let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(mesh.positions[t[k] as usize]));
        assert!((b - a).cross(c - a).z > 0.4, "triangle {t:?} faces +z");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// The quad's KHR_draco_mesh_compression object.
fn extension(json: &mut Value) -> &mut Value {
    &mut json["meshes"][0]["primitives"][0]["extensions"]["KHR_draco_mesh_compression"]
}

#[test]
fn hostile_draco_primitives_are_named_errors() {
    let dir = crate::common::temp_dir("draco", "hostile");
    let import = |name: &str, bytes: Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        match import_path(&path) {
            Ok(_) => panic!("{name} imported"),
            Err(e) => e.to_string(),
        }
    };
    let named = |error: &str, name: &str, words: &[&str]| {
        assert!(
            error.contains(name)
                && error.contains("meshes[0].primitives[0] KHR_draco_mesh_compression")
                && words.iter().all(|w| error.contains(w)),
            "{name}: {error}"
        );
    };

    // A corrupt stream: bytes past the header flipped, then the stream cut short.
    let good = common::draco_quad_glb(|_| {});
    let stream = common::glb_bin_start(&good);
    let mut flipped = good.clone();
    for byte in &mut flipped[stream + 12..] {
        *byte ^= 0xA5;
    }
    let error = import("flipped.glb", flipped);
    named(&error, "flipped.glb", &["Draco"]);
    let short = common::draco_quad_glb(|json| {
        json["bufferViews"][0]["byteLength"] = json!(9);
    });
    named(&import("short.glb", short), "short.glb", &["Draco"]);

    // Accessor counts that disagree with the stream.
    let points = common::draco_quad_glb(|json| json["accessors"][1]["count"] = json!(5));
    named(
        &import("points.glb", points),
        "points.glb",
        &["4 points", "NORMAL", "5"],
    );
    let indices = common::draco_quad_glb(|json| json["accessors"][4]["count"] = json!(9));
    named(
        &import("indices.glb", indices),
        "indices.glb",
        &["2 triangles", "9 indices"],
    );
    // An attribute id the stream does not have, and a stream view the file lacks.
    let id = common::draco_quad_glb(|json| extension(json)["attributes"]["COLOR_0"] = json!(77));
    named(
        &import("id.glb", id),
        "id.glb",
        &["COLOR_0", "attribute 77"],
    );
    let view = common::draco_quad_glb(|json| extension(json)["bufferView"] = json!(9));
    named(&import("view.glb", view), "view.glb", &["buffer view 9"]);
    let unreadable =
        common::draco_quad_glb(|json| *extension(json) = json!({ "bufferView": "zero" }));
    named(
        &import("unreadable.glb", unreadable),
        "unreadable.glb",
        &["unreadable"],
    );

    // Counts far past what the file could hold are refused before anything is allocated:
    // over the per-file budget (64 MiB + 256× a ~100-byte file), and past any address space.
    let budget = common::draco_quad_glb(|json| json["accessors"][0]["count"] = json!(20_000_000));
    named(
        &import("budget.glb", budget),
        "budget.glb",
        &["more than", "bytes"],
    );
    let huge = common::draco_quad_glb(|json| {
        json["accessors"][0]["count"] = json!(u64::MAX / 2);
    });
    named(&import("huge.glb", huge), "huge.glb", &["too large"]);
    std::fs::remove_dir_all(dir).ok();
}
