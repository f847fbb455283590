//! PLY import as a user meets it: one mesh gives the same triangles, colours and UVs in all
//! three encodings; point clouds keep their colours; INRIA splats decode to the values the
//! 3DGS formulas give; and damaged or hostile files fail with a message naming the file
//! (never a panic). The files are written here by a small writer independent of the reader.
#![allow(clippy::needless_range_loop)] // Checks index several parallel arrays by one index.

use crate::common;

use glam::Quat;
use std::path::{Path, PathBuf};
use worldsmith::import::ply::{PlyContent, read_ply, write_synthetic_splat_ply};
use worldsmith::import::{ImportError, Progress, import_path};
use worldsmith::scene::{Mesh, NodeKind, PointCloud, SplatCloud};

const SH_C0: f64 = 0.282_094_791_773_878_14;

// ---------------------------------------------------------------------------------------------
// An independent PLY writer

#[derive(Clone, Copy, Debug, PartialEq)]
enum Enc {
    Ascii,
    Le,
    Be,
}

#[derive(Clone, Debug)]
enum Ty {
    Scalar(&'static str),
    List(&'static str, &'static str),
}

#[derive(Clone, Debug)]
enum V {
    One(f64),
    Many(Vec<f64>),
}

#[derive(Clone, Debug)]
struct El {
    name: &'static str,
    props: Vec<(String, Ty)>,
    rows: Vec<Vec<V>>,
}

fn put(out: &mut Vec<u8>, ty: &str, v: f64, enc: Enc) {
    macro_rules! put {
        ($t:ty) => {{
            let x = v as $t;
            match enc {
                Enc::Ascii => out.extend_from_slice(format!("{x} ").as_bytes()),
                Enc::Le => out.extend_from_slice(&x.to_le_bytes()),
                Enc::Be => out.extend_from_slice(&x.to_be_bytes()),
            }
        }};
    }
    match ty {
        "char" | "int8" => put!(i8),
        "uchar" | "uint8" => put!(u8),
        "short" | "int16" => put!(i16),
        "ushort" | "uint16" => put!(u16),
        "int" | "int32" => put!(i32),
        "uint" | "uint32" => put!(u32),
        "float" | "float32" => put!(f32),
        "double" | "float64" => put!(f64),
        other => panic!("writer: unknown type {other}"),
    }
}

/// `elements` as the bytes of a PLY file.
fn ply_bytes(enc: Enc, elements: &[El]) -> Vec<u8> {
    let format = match enc {
        Enc::Ascii => "ascii",
        Enc::Le => "binary_little_endian",
        Enc::Be => "binary_big_endian",
    };
    let mut out = format!("ply\nformat {format} 1.0\ncomment written by the test\n").into_bytes();
    for e in elements {
        out.extend_from_slice(format!("element {} {}\n", e.name, e.rows.len()).as_bytes());
        for (name, ty) in &e.props {
            let line = match ty {
                Ty::Scalar(t) => format!("property {t} {name}\n"),
                Ty::List(c, i) => format!("property list {c} {i} {name}\n"),
            };
            out.extend_from_slice(line.as_bytes());
        }
    }
    out.extend_from_slice(b"end_header\n");
    for e in elements {
        for row in &e.rows {
            for ((_, ty), v) in e.props.iter().zip(row) {
                match (ty, v) {
                    (Ty::Scalar(t), V::One(x)) => put(&mut out, t, *x, enc),
                    (Ty::List(c, i), V::Many(xs)) => {
                        put(&mut out, c, xs.len() as f64, enc);
                        for x in xs {
                            put(&mut out, i, *x, enc);
                        }
                    }
                    _ => panic!("writer: value does not match its property"),
                }
            }
            if enc == Enc::Ascii {
                out.push(b'\n');
            }
        }
    }
    out
}

fn scalar(name: &str, ty: &'static str) -> (String, Ty) {
    (name.to_string(), Ty::Scalar(ty))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

fn read(path: &Path) -> Result<(PlyContent, Vec<String>), ImportError> {
    read_ply(path, &Progress::new())
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn srgb_eotf(c: f64) -> f64 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn close(a: f32, b: f64, tolerance: f64) -> bool {
    (f64::from(a) - b).abs() <= tolerance * (1.0 + b.abs())
}

// ---------------------------------------------------------------------------------------------
// Meshes

struct MeshCase {
    positions: Vec<[f64; 3]>,
    normals: Vec<[f64; 3]>,
    colors: Vec<[u8; 4]>,
    uvs: Vec<[f64; 2]>,
    faces: Vec<Vec<u32>>,
}

fn mesh_case() -> MeshCase {
    let positions: Vec<[f64; 3]> = (0..9)
        .map(|i| {
            let i = f64::from(i);
            [i * 0.5, (i * 1.25).sin(), -i * 0.75]
        })
        .collect();
    let normals = (0..9)
        .map(|i| {
            let a = f64::from(i) * 0.7;
            [a.cos() * 0.6, 0.8, a.sin() * 0.6]
        })
        .collect();
    let colors = (0..9u8)
        .map(|i| [i * 30, 255 - i * 20, i * 7 + 3, 200 + i])
        .collect();
    let uvs = (0..9)
        .map(|i| [f64::from(i) * 0.125, 1.0 - f64::from(i) * 0.0625])
        .collect();
    let faces = vec![
        vec![0, 1, 2, 3],
        vec![4, 5, 6, 7],
        vec![0, 1, 5, 8, 4],
        vec![1, 2], // degenerate: skipped with a warning
        vec![8, 7, 6],
    ];
    MeshCase {
        positions,
        normals,
        colors,
        uvs,
        faces,
    }
}

/// The mesh with properties in an unusual order, extra properties, an extra element between
/// vertices and faces (with a list), and an extra list before the face indices.
fn mesh_elements(case: &MeshCase) -> Vec<El> {
    let vertex = El {
        name: "vertex",
        props: vec![
            scalar("red", "uchar"),
            scalar("quality", "float"),
            scalar("z", "float"),
            scalar("nx", "float"),
            scalar("x", "float"),
            scalar("green", "uchar"),
            scalar("ny", "float"),
            scalar("u", "float"),
            scalar("y", "double"),
            scalar("blue", "uchar"),
            scalar("nz", "float"),
            scalar("v", "float"),
            scalar("alpha", "uchar"),
        ],
        rows: (0..case.positions.len())
            .map(|i| {
                let [x, y, z] = case.positions[i];
                let [nx, ny, nz] = case.normals[i];
                let [r, g, b, a] = case.colors[i].map(f64::from);
                let [u, v] = case.uvs[i];
                [r, 0.5, z, nx, x, g, ny, u, y, b, nz, v, a]
                    .into_iter()
                    .map(V::One)
                    .collect()
            })
            .collect(),
    };
    let extra = El {
        name: "material_weights",
        props: vec![
            ("weights".into(), Ty::List("uchar", "double")),
            scalar("id", "short"),
        ],
        rows: vec![
            vec![V::Many(vec![0.25, 0.5, 0.75]), V::One(3.0)],
            vec![V::Many(vec![]), V::One(-4.0)],
        ],
    };
    let face = El {
        name: "face",
        props: vec![
            ("texcoord".into(), Ty::List("uchar", "float")),
            scalar("flags", "int"),
            ("vertex_indices".into(), Ty::List("uchar", "uint")),
        ],
        rows: case
            .faces
            .iter()
            .map(|f| {
                vec![
                    V::Many(vec![0.5; 2 * f.len()]),
                    V::One(7.0),
                    V::Many(f.iter().map(|&i| f64::from(i)).collect()),
                ]
            })
            .collect(),
    };
    vec![vertex, extra, face]
}

fn as_mesh(content: PlyContent) -> Mesh {
    match content {
        PlyContent::Mesh(m) => m,
        other => panic!("expected a mesh, got {other:?}"),
    }
}

#[test]
fn one_mesh_in_three_encodings() {
    let dir = crate::common::temp_dir("ply", "mesh");
    let case = mesh_case();
    let mut meshes = Vec::new();
    for enc in [Enc::Ascii, Enc::Le, Enc::Be] {
        let path = write(
            &dir,
            &format!("mesh-{enc:?}.ply"),
            &ply_bytes(enc, &mesh_elements(&case)),
        );
        let (content, warnings) = read(&path).unwrap_or_else(|e| panic!("{enc:?}: {e}"));
        assert_eq!(warnings.len(), 1, "{enc:?}: {warnings:?}");
        assert!(
            warnings[0].contains("mesh-") && warnings[0].contains("1 faces"),
            "{warnings:?}"
        );
        meshes.push(as_mesh(content));
    }
    let expected_indices: Vec<u32> = vec![
        0, 1, 2, 0, 2, 3, // quad
        4, 5, 6, 4, 6, 7, // quad
        0, 1, 5, 0, 5, 8, 0, 8, 4, // pentagon
        8, 7, 6, // triangle
    ];
    for (m, enc) in meshes.iter().zip(["ascii", "le", "be"]) {
        assert_eq!(m.indices, expected_indices, "{enc}");
        assert_eq!(m.triangle_count(), 8, "{enc}");
        assert_eq!(m.vertex_count(), 9, "{enc}");
        for i in 0..9 {
            for k in 0..3 {
                assert!(
                    close(m.positions[i][k], case.positions[i][k], 1e-6),
                    "{enc}"
                );
                assert!(close(m.normals[i][k], case.normals[i][k], 1e-5), "{enc}");
                let srgb = f64::from(case.colors[i][k]) / 255.0;
                assert!(close(m.colors[i][k], srgb_eotf(srgb), 1e-5), "{enc}");
            }
            assert!(close(
                m.colors[i][3],
                f64::from(case.colors[i][3]) / 255.0,
                1e-6
            ));
            assert!(close(m.uvs[i][0], case.uvs[i][0], 1e-6), "{enc}");
            assert!(close(m.uvs[i][1], 1.0 - case.uvs[i][1], 1e-6), "{enc}");
        }
    }
    // The three encodings give bit-identical data.
    for m in &meshes[1..] {
        assert_eq!(m.positions, meshes[0].positions);
        assert_eq!(m.normals, meshes[0].normals);
        assert_eq!(m.colors, meshes[0].colors);
        assert_eq!(m.uvs, meshes[0].uvs);
        assert_eq!(m.indices, meshes[0].indices);
    }
}

#[test]
fn a_coloured_mesh_imports_unlit_and_a_plain_one_lit_with_smooth_normals() {
    let dir = crate::common::temp_dir("ply", "mesh-scene");
    let case = mesh_case();
    let path = write(
        &dir,
        "layer0.ply",
        &ply_bytes(Enc::Le, &mesh_elements(&case)),
    );
    let imported = import_path(&path).expect("import");
    let node = imported.scene.nodes().next().expect("one node");
    assert_eq!(node.name, "layer0");
    let NodeKind::Mesh { material, .. } = node.kind else {
        panic!("not a mesh node: {:?}", node.kind);
    };
    let material = imported.scene.material(material).expect("material");
    assert!(material.unlit && material.name == "Captured colour");

    // Positions and faces only: lit default material, normals computed.
    let plain = [
        El {
            name: "vertex",
            props: vec![
                scalar("x", "float"),
                scalar("y", "float"),
                scalar("z", "float"),
            ],
            rows: [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]
                .iter()
                .map(|p| p.iter().map(|&v| V::One(v)).collect())
                .collect(),
        },
        El {
            name: "face",
            props: vec![("vertex_index".into(), Ty::List("int", "int"))],
            rows: vec![vec![V::Many(vec![0.0, 1.0, 2.0])]],
        },
    ];
    let path = write(&dir, "plain.ply", &ply_bytes(Enc::Ascii, &plain));
    let imported = import_path(&path).expect("import plain");
    let node = imported.scene.nodes().next().expect("one node");
    let NodeKind::Mesh { mesh, material } = node.kind else {
        panic!("not a mesh node");
    };
    assert!(!imported.scene.material(material).expect("material").unlit);
    let mesh = imported.scene.mesh(mesh).expect("mesh");
    assert!(mesh.colors.is_empty() && mesh.uvs.is_empty());
    for n in &mesh.normals {
        assert!(
            close(n[1], 1.0, 1e-6),
            "smooth normal of a y=0 triangle: {n:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Point clouds

fn as_points(content: PlyContent) -> PointCloud {
    match content {
        PlyContent::Points(p) => p,
        other => panic!("expected points, got {other:?}"),
    }
}

#[test]
fn point_clouds_keep_uchar_and_float_colours() {
    let dir = crate::common::temp_dir("ply", "points");
    let positions = [[1.0, 2.0, 3.0], [-4.5, 0.25, 1e6], [0.0, -0.0, 7.0]];
    let uchar = El {
        name: "vertex",
        props: ["x", "y", "z"]
            .map(|n| scalar(n, "float"))
            .into_iter()
            .chain(["red", "green", "blue"].map(|n| scalar(n, "uchar")))
            .collect(),
        rows: positions
            .iter()
            .zip([[255.0, 0.0, 12.0], [1.0, 2.0, 3.0], [128.0, 64.0, 32.0]])
            .map(|(p, c)| p.iter().chain(&c).map(|&v| V::One(v)).collect())
            .collect(),
    };
    // Empty face element: still a point cloud.
    let no_faces = El {
        name: "face",
        props: vec![("vertex_indices".into(), Ty::List("uchar", "int"))],
        rows: vec![],
    };
    for enc in [Enc::Ascii, Enc::Le, Enc::Be] {
        let path = write(
            &dir,
            "points.ply",
            &ply_bytes(enc, &[uchar.clone(), no_faces.clone()]),
        );
        let (content, warnings) = read(&path).expect("points");
        assert!(warnings.is_empty(), "{warnings:?}");
        let cloud = as_points(content);
        assert_eq!(cloud.len(), 3);
        assert_eq!(cloud.positions[1], [-4.5, 0.25, 1e6]);
        assert_eq!(
            cloud.colors,
            vec![[255, 0, 12, 255], [1, 2, 3, 255], [128, 64, 32, 255]]
        );
        assert!(cloud.normals.is_empty());
    }

    let float = El {
        name: "vertex",
        props: ["r", "g", "b", "a", "x", "y", "z", "nx", "ny", "nz"]
            .map(|n| scalar(n, if n == "b" { "double" } else { "float" }))
            .into_iter()
            .collect(),
        rows: [
            [0.5, 1.2, -0.1, 1.0, 1.0, 2.0, 3.0, 0.0, 0.0, 2.0],
            [0.0, 1.0, 0.2, 0.5, 4.0, 5.0, 6.0, 0.0, -1.0, 0.0],
        ]
        .iter()
        .map(|r| r.iter().map(|&v| V::One(v)).collect())
        .collect(),
    };
    let path = write(&dir, "float points.ply", &ply_bytes(Enc::Le, &[float]));
    let (content, _) = read(&path).expect("float points");
    let cloud = as_points(content);
    // round(0.5 · 255) = 128; 1.2 and -0.1 clamp; 0.2 · 255 = 51.
    assert_eq!(cloud.colors, vec![[128, 255, 0, 255], [0, 255, 51, 128]]);
    assert_eq!(cloud.normals, vec![[0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]);

    let imported = import_path(&path).expect("import");
    let node = imported.scene.nodes().next().expect("node");
    assert_eq!(node.name, "float points");
    assert!(matches!(
        node.kind,
        NodeKind::Points { point_size_px, .. } if point_size_px == 2.0
    ));
}

// ---------------------------------------------------------------------------------------------
// Splats

/// One splat's raw file values.
#[derive(Clone)]
struct RawSplat {
    position: [f64; 3],
    dc: [f64; 3],
    opacity: f64,
    scale: [f64; 3],
    /// File order w, x, y, z.
    rot: [f64; 4],
    /// Channel-major, as the file stores them: all R coefficients, then G, then B.
    rest: Vec<f64>,
}

fn raw_splats(n: usize, degree: usize) -> Vec<RawSplat> {
    let coefs = (degree + 1) * (degree + 1) - 1;
    (0..n)
        .map(|i| {
            let f = i as f64;
            RawSplat {
                position: [f * 0.5 - 1.0, 2.0 - f, f * f * 0.1],
                dc: [0.3 * f - 0.5, -0.2 * f, 1.0],
                opacity: f - 1.5,
                scale: [-3.0 + 0.1 * f, -2.0, 0.5],
                rot: if i == 2 {
                    [0.0, 0.0, 0.0, 0.0] // zero-length: identity with a warning
                } else {
                    [1.0 + f, 0.5, -0.25 * f, 2.0]
                },
                // Distinct small integers + 1/4: exact in f16, so the layout is checked exactly.
                rest: (0..3 * coefs)
                    .map(|j| (i * 200 + j) as f64 * 0.25 - 20.0)
                    .collect(),
            }
        })
        .collect()
}

/// The splats with the INRIA properties in a shuffled order, extra properties (normals, an
/// extra per-splat value, doubles) and the `f_rest_*` properties in reverse order.
fn splat_element(splats: &[RawSplat]) -> El {
    let rest = splats.first().map_or(0, |s| s.rest.len());
    let mut names: Vec<(String, &'static str)> = vec![
        ("rot_2".into(), "float"),
        ("scale_1".into(), "float"),
        ("f_dc_2".into(), "float"),
        ("x".into(), "double"),
        ("nx".into(), "float"),
        ("opacity".into(), "float"),
        ("rot_0".into(), "float"),
        ("filter_3D".into(), "float"),
        ("y".into(), "float"),
        ("f_dc_0".into(), "float"),
        ("scale_0".into(), "double"),
        ("rot_3".into(), "float"),
        ("z".into(), "float"),
        ("ny".into(), "float"),
        ("f_dc_1".into(), "float"),
        ("scale_2".into(), "float"),
        ("rot_1".into(), "float"),
        ("nz".into(), "float"),
    ];
    for j in (0..rest).rev() {
        names.push((format!("f_rest_{j}"), "float"));
    }
    let value = |s: &RawSplat, name: &str| -> f64 {
        let index = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|n| n.parse::<usize>().ok())
        };
        match name {
            "x" => s.position[0],
            "y" => s.position[1],
            "z" => s.position[2],
            "opacity" => s.opacity,
            "nx" | "ny" | "nz" | "filter_3D" => 0.125,
            _ => {
                if let Some(k) = index("f_dc_") {
                    s.dc[k]
                } else if let Some(k) = index("scale_") {
                    s.scale[k]
                } else if let Some(k) = index("rot_") {
                    s.rot[k]
                } else if let Some(k) = index("f_rest_") {
                    s.rest[k]
                } else {
                    panic!("{name}")
                }
            }
        }
    };
    El {
        name: "vertex",
        props: names
            .iter()
            .map(|(n, t)| (n.clone(), Ty::Scalar(t)))
            .collect(),
        rows: splats
            .iter()
            .map(|s| names.iter().map(|(n, _)| V::One(value(s, n))).collect())
            .collect(),
    }
}

fn as_splats(content: PlyContent) -> SplatCloud {
    match content {
        PlyContent::Splats(s) => s,
        other => panic!("expected splats, got {other:?}"),
    }
}

/// Checks the decoded cloud against the 3DGS formulas evaluated here in f64.
fn check_splats(cloud: &SplatCloud, raw: &[RawSplat], degree: usize) {
    let coefs = (degree + 1) * (degree + 1) - 1;
    assert_eq!(cloud.len(), raw.len());
    assert_eq!(usize::from(cloud.sh_degree), degree);
    assert_eq!(cloud.sh_rest.len(), raw.len() * coefs * 3);
    for (i, s) in raw.iter().enumerate() {
        for k in 0..3 {
            assert!(close(cloud.positions[i][k], s.position[k], 1e-6));
            assert!(close(cloud.colors[i][k], 0.5 + SH_C0 * s.dc[k], 1e-6));
            assert!(close(cloud.scales[i][k], s.scale[k].exp(), 1e-6));
        }
        assert!(close(cloud.opacities[i], sigmoid(s.opacity), 1e-6));
        let [w, x, y, z] = s.rot;
        let len = (w * w + x * x + y * y + z * z).sqrt();
        let expected = if len == 0.0 {
            [0.0, 0.0, 0.0, 1.0]
        } else {
            [x / len, y / len, z / len, w / len]
        };
        for k in 0..4 {
            assert!(close(cloud.rotations[i][k], expected[k], 1e-6), "splat {i}");
        }
        for k in 0..coefs {
            for c in 0..3 {
                let ours = cloud.sh_rest[(i * coefs + k) * 3 + c].to_f64();
                assert_eq!(
                    ours,
                    s.rest[c * coefs + k],
                    "splat {i} coef {k} channel {c}"
                );
            }
        }
    }
}

#[test]
fn inrias_splats_decode_by_name_in_every_encoding() {
    let dir = crate::common::temp_dir("ply", "splats");
    for degree in [0, 3] {
        let raw = raw_splats(5, degree);
        for enc in [Enc::Le, Enc::Be, Enc::Ascii] {
            let path = write(
                &dir,
                &format!("gaussians-{degree}-{enc:?}.ply"),
                &ply_bytes(enc, &[splat_element(&raw)]),
            );
            let (content, warnings) = read(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(warnings[0].contains("1 splats had a zero-length rotation"));
            assert!(warnings[0].contains(&format!("gaussians-{degree}")));
            check_splats(&as_splats(content), &raw, degree);
        }
    }
}

#[test]
fn splats_import_under_a_node_turned_from_opencv_to_y_up() {
    let dir = crate::common::temp_dir("ply", "splat-node");
    let path = write(
        &dir,
        "gaussians.ply",
        &ply_bytes(Enc::Le, &[splat_element(&raw_splats(3, 1))]),
    );
    let imported = import_path(&path).expect("import");
    let node = imported.scene.nodes().next().expect("node");
    assert_eq!(node.name, "gaussians");
    let NodeKind::Splats { cloud } = node.kind else {
        panic!("not splats: {:?}", node.kind);
    };
    assert_eq!(imported.scene.splat_cloud(cloud).expect("cloud").len(), 3);
    let turn = Quat::from_rotation_x(std::f32::consts::PI);
    assert!(node.transform.rotation.dot(turn).abs() > 1.0 - 1e-6);
    // A point below the camera in OpenCV (y down) ends up below in worldsmith (y up).
    let below = node
        .transform
        .matrix()
        .transform_point3(glam::Vec3::new(0.0, 1.0, 0.0));
    assert!(below.y < -0.99, "{below}");
}

#[test]
fn sh_counts_that_match_no_degree_use_the_largest_complete_one() {
    let dir = crate::common::temp_dir("ply", "sh-odd");
    // 30 f_rest = 10 per channel: degree 2 (8 per channel) fits; stride stays 10.
    let mut raw = raw_splats(2, 2);
    for s in &mut raw {
        s.rest = (0..30).map(|j| j as f64).collect();
    }
    let path = write(&dir, "odd.ply", &ply_bytes(Enc::Le, &[splat_element(&raw)]));
    let (content, warnings) = read(&path).expect("odd SH");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("30 f_rest_") && w.contains("degree 2")),
        "{warnings:?}"
    );
    let cloud = as_splats(content);
    assert_eq!(cloud.sh_degree, 2);
    for k in 0..8 {
        for c in 0..3 {
            assert_eq!(cloud.sh_rest[k * 3 + c].to_f64(), (c * 10 + k) as f64);
        }
    }
}

#[test]
fn non_finite_splat_values_never_reach_the_scene() {
    let dir = crate::common::temp_dir("ply", "splat-nan");
    let mut raw = raw_splats(4, 1);
    raw[0].position[1] = f64::NAN;
    raw[1].opacity = f64::NAN;
    raw[1].scale[2] = f64::INFINITY;
    raw[2].rot = [f64::NAN, 0.0, 0.0, 1.0];
    raw[3].dc[0] = f64::NEG_INFINITY;
    raw[3].rest[4] = f64::NAN;
    raw[3].rest[5] = 1e9; // beyond f16: clamped
    for enc in [Enc::Le, Enc::Ascii] {
        let path = write(&dir, "nan.ply", &ply_bytes(enc, &[splat_element(&raw)]));
        let (content, warnings) = read(&path).expect("NaN values still load");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("nan.ply: 4 splats had non-finite")),
            "{warnings:?}"
        );
        let cloud = as_splats(content);
        let floats = cloud
            .positions
            .iter()
            .flatten()
            .chain(cloud.rotations.iter().flatten())
            .chain(cloud.scales.iter().flatten())
            .chain(&cloud.opacities)
            .chain(cloud.colors.iter().flatten());
        for v in floats {
            assert!(v.is_finite(), "{enc:?}: {v}");
        }
        assert!(cloud.sh_rest.iter().all(|v| v.is_finite()));
        assert_eq!(cloud.rotations[2], [0.0, 0.0, 0.0, 1.0]);
    }
}

/// The fast path (large blocks, decoded in parallel) against a row-by-row reading of the
/// file done here.
#[test]
fn a_large_synthetic_file_decodes_like_its_rows() {
    let dir = crate::common::temp_dir("ply", "synthetic");
    let path = dir.join("synthetic.ply");
    let n = 150_000;
    write_synthetic_splat_ply(&path, n, 1, 7).expect("write synthetic");
    let bytes = std::fs::read(&path).expect("read back");
    let body = bytes
        .windows(11)
        .position(|w| w == b"end_header\n")
        .expect("end_header")
        + 11;
    let row_floats = 17 + 9;
    assert_eq!(bytes.len() - body, n as usize * row_floats * 4);
    let progress = Progress::new();
    let (content, warnings) = read_ply(&path, &progress).expect("synthetic");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(progress.get(), (bytes.len() as u64, bytes.len() as u64));
    let cloud = as_splats(content);
    let raw: Vec<RawSplat> = [0, 1, 16_383, 16_384, 77_777, n as usize - 1]
        .iter()
        .map(|&i| {
            let f = |k: usize| {
                let at = body + (i * row_floats + k) * 4;
                f64::from(f32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()))
            };
            // x y z nx ny nz f_dc×3 f_rest×9 opacity scale×3 rot×4
            RawSplat {
                position: [f(0), f(1), f(2)],
                dc: [f(6), f(7), f(8)],
                rest: (9..18).map(f).collect(),
                opacity: f(18),
                scale: [f(19), f(20), f(21)],
                rot: [f(22), f(23), f(24), f(25)],
            }
        })
        .collect();
    for (s, i) in raw
        .iter()
        .zip([0, 1, 16_383, 16_384, 77_777, n as usize - 1])
    {
        let one = SplatCloud::new(
            vec![cloud.positions[i]],
            vec![cloud.rotations[i]],
            vec![cloud.scales[i]],
            vec![cloud.opacities[i]],
            vec![cloud.colors[i]],
            1,
            cloud.sh_rest[i * 9..(i + 1) * 9].to_vec(),
        )
        .expect("one splat");
        // f16 storage: compare the SH coefficients with f16 precision.
        let mut rounded = s.clone();
        for r in &mut rounded.rest {
            *r = half::f16::from_f64(*r).to_f64();
        }
        check_splats(&one, std::slice::from_ref(&rounded), 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile input

/// Reads `path`, expecting an error whose message names the file and contains `words`.
fn assert_error(path: &Path, words: &[&str]) -> String {
    let message = match read(path) {
        Ok((content, warnings)) => panic!("{}: loaded {content:?} {warnings:?}", path.display()),
        Err(e) => e.to_string(),
    };
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(message.contains(&*name), "'{message}' does not name {name}");
    for w in words {
        assert!(message.contains(w), "'{message}' does not say '{w}'");
    }
    message
}

#[test]
fn truncated_files_fail_with_named_errors() {
    let dir = crate::common::temp_dir("ply", "truncated");
    let case = mesh_case();
    let files = [
        ("mesh-le.ply", ply_bytes(Enc::Le, &mesh_elements(&case))),
        ("mesh-be.ply", ply_bytes(Enc::Be, &mesh_elements(&case))),
        (
            "splats.ply",
            ply_bytes(Enc::Le, &[splat_element(&raw_splats(4, 3))]),
        ),
    ];
    for (name, bytes) in &files {
        for cut in (0..bytes.len()).step_by(3).chain([bytes.len() - 1]) {
            let path = write(&dir, name, &bytes[..cut]);
            assert_error(&path, &[]);
        }
    }
    // ASCII cut inside a number can still parse (as a shorter number): no panic is the rule.
    let ascii = ply_bytes(Enc::Ascii, &mesh_elements(&case));
    let mut errors = 0;
    for cut in 0..ascii.len() {
        let path = write(&dir, "mesh-ascii.ply", &ascii[..cut]);
        if read(&path).is_err() {
            errors += 1;
        }
    }
    assert!(errors > ascii.len() * 9 / 10, "{errors} of {}", ascii.len());
}

/// A binary vertex-only file whose header declares `count` vertices.
fn lying_count(count: &str) -> Vec<u8> {
    let mut bytes = format!(
        "ply\nformat binary_little_endian 1.0\nelement vertex {count}\nproperty float x\n\
         property float y\nproperty float z\nend_header\n"
    )
    .into_bytes();
    bytes.extend_from_slice(&[0; 12 * 4]);
    bytes
}

#[test]
fn hostile_files_fail_with_named_errors() {
    let dir = crate::common::temp_dir("ply", "hostile");
    let w = |name: &str, bytes: &[u8]| write(&dir, name, bytes);

    assert_error(&w("empty.ply", b""), &["empty"]);
    assert_error(
        &w("huge.ply", &lying_count("4000000000")),
        &["4000000000", "left"],
    );
    assert_error(
        &w("huger.ply", &lying_count("18446744073709551615")),
        &["18446744073709551615"],
    );
    assert_error(
        &w("toolarge.ply", &lying_count("99999999999999999999")),
        &["whole number"],
    );
    assert_error(
        &w(
            "noend.ply",
            b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n",
        ),
        &["end_header"],
    );
    assert_error(
        &w(
            "format.ply",
            b"ply\nformat binary_middle_endian 1.0\nend_header\n",
        ),
        &["binary_middle_endian"],
    );
    assert_error(
        &w(
            "noxyz.ply",
            b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n1\n",
        ),
        &["x, y and z"],
    );
    assert_error(
        &w(
            "novertex.ply",
            b"ply\nformat ascii 1.0\nelement face 0\nend_header\n",
        ),
        &["no 'vertex'"],
    );
    assert_error(
        &w("word.ply", b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 abc 3\n"),
        &["abc", "line 8"],
    );

    // A face list claiming 255 indices with the data missing.
    let mut list = b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n\
        property float y\nproperty float z\nelement face 1\nproperty list uchar int \
        vertex_indices\nend_header\n"
        .to_vec();
    list.extend_from_slice(&[0; 36]);
    list.push(255);
    list.extend_from_slice(&1i32.to_le_bytes());
    assert_error(&w("list.ply", &list), &["255"]);

    // Negative list count (signed char).
    let mut negative = list.clone();
    negative = String::from_utf8_lossy(&negative)
        .replace("list uchar int", "list char int")
        .into_bytes();
    assert_error(&w("negative.ply", &negative), &["list length -1"]);

    // Face indices outside the vertices.
    let case = mesh_case();
    for (enc, name) in [(Enc::Ascii, "range-a.ply"), (Enc::Le, "range-b.ply")] {
        let mut elements = mesh_elements(&case);
        elements[2].rows[1][2] = V::Many(vec![0.0, 1.0, 9.0]);
        assert_error(&w(name, &ply_bytes(enc, &elements)), &["out of range", "9"]);
        elements[2].rows[1][2] = V::Many(vec![0.0, 4_294_967_295.0, 2.0]);
        assert_error(&w(name, &ply_bytes(enc, &elements)), &["out of range"]);
    }

    // A face element without indices.
    assert_error(
        &w("nofaces.ply", b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty int flags\nend_header\n0 0 0\n1\n"),
        &["vertex_indices"],
    );

    // Garbage of all sizes, with and without a PLY-looking start.
    let mut next = common::xorshift(0x1234_5678);
    let mut random = |n: usize| -> Vec<u8> { (0..n).map(|_| next() as u8).collect() };
    for n in [1, 3, 100, 5000, 70_000, 200_000] {
        assert_error(&w("garbage.ply", &random(n)), &[]);
        let mut ply = b"ply\n".to_vec();
        ply.extend(random(n));
        assert_error(&w("garbage2.ply", &ply), &[]);
    }
}

#[test]
fn empty_and_odd_but_valid_files_load_with_warnings() {
    let dir = crate::common::temp_dir("ply", "odd");
    let path = write(
        &dir,
        "zero.ply",
        b"ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\n\
          property float y\nproperty float z\nend_header\n",
    );
    let (content, warnings) = read(&path).expect("zero vertices");
    assert!(as_points(content).is_empty());
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("zero.ply") && w.contains("no vertices"))
    );

    // Trailing garbage after the last needed element and elements with no properties.
    let mut bytes = b"ply\nformat ascii 1.0\nelement nothing 4000000000\nelement vertex 1\n\
        property float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n"
        .to_vec();
    bytes.extend_from_slice(b"\x00\xffgarbage");
    let path = write(&dir, "trailing.ply", &bytes);
    let (content, _) = read(&path).expect("trailing");
    assert_eq!(as_points(content).positions, vec![[1.0, 2.0, 3.0]]);

    // NaN in a mesh: loads, warns, no NaN.
    let case = mesh_case();
    let mut elements = mesh_elements(&case);
    elements[0].rows[3][2] = V::One(f64::NAN);
    elements[0].rows[4][3] = V::One(f64::INFINITY);
    let path = write(&dir, "nanmesh.ply", &ply_bytes(Enc::Be, &elements));
    let (content, warnings) = read(&path).expect("NaN mesh");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("2 vertices had non-finite")),
        "{warnings:?}"
    );
    let mesh = as_mesh(content);
    assert!(
        mesh.positions
            .iter()
            .chain(&mesh.normals)
            .flatten()
            .all(|v| v.is_finite())
    );
}

#[test]
fn ascii_rows_end_at_the_end_of_their_line() {
    // The format has one element per line. MeshLab (VCG) writes ASCII faces holding more
    // values than its header declares (trimesh's fuze_ascii.ply): each row ends at its line,
    // the extra values ignored with one warning. A row wrapped over two lines still reads.
    let dir = crate::common::temp_dir("ply", "ascii-rows");
    let text = "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\n\
                property float z\nelement face 2\nproperty list uchar int vertex_indices\n\
                property uchar red\nend_header\n\
                0 0 0\n1 0 0 7 7\n1 1 0\n0 1\n0\n3 0 1 2 9 1 1 1 1\n3 0 2 3 9 1 1\n";
    let path = write(&dir, "meshlab.ply", text.as_bytes());
    let (content, warnings) = read(&path).expect("reads");
    let mesh = as_mesh(content);
    assert_eq!(
        mesh.positions,
        vec![
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0],
            [0.0, 1.0, 0.0]
        ]
    );
    assert_eq!(mesh.indices, vec![0, 1, 2, 0, 2, 3]);
    assert_eq!(
        warnings,
        vec![format!(
            "{}: vertex rows hold more values than the header declares (the first at line 12); \
             the extra values are ignored",
            path.display()
        )]
    );
}

#[test]
fn meshlab_texture_files_and_corner_texcoords_are_shown() {
    // MeshLab and OpenMVS write a textured mesh as `comment TextureFile NAME` and a face
    // `texcoord` list (u, v per corner). A vertex whose corners have different coordinates
    // (a seam) becomes one vertex per coordinate pair; v is flipped as for vertex UVs.
    let dir = crate::common::temp_dir("ply", "textured");
    let texture = image::RgbaImage::from_fn(2, 2, |x, y| {
        image::Rgba([255 * (x as u8 ^ 1), 255 * y as u8, 255 * x as u8, 255])
    });
    texture.save(dir.join("scan texture.png")).expect("png");
    let text = "ply\nformat ascii 1.0\ncomment TextureFile   scan texture.png \n\
                element vertex 4\nproperty float x\nproperty float y\nproperty float z\n\
                property uchar red\nproperty uchar green\nproperty uchar blue\n\
                element face 2\nproperty list uchar int vertex_indices\n\
                property list uchar float texcoord\nend_header\n\
                0 0 0 9 9 9\n1 0 0 9 9 9\n1 1 0 9 9 9\n0 1 0 9 9 9\n\
                3 0 1 2 6 0 0 1 0 1 1\n3 0 2 3 6 0.5 0 1 1 0 1\n";
    let path = write(&dir, "scan.ply", text.as_bytes());
    let imported = import_path(&path).expect("loads");
    let scene = &imported.scene;
    let (node, mesh) = common::first_mesh(scene);
    let corners: Vec<([f32; 3], [f32; 2])> = mesh
        .indices
        .iter()
        .map(|&i| (mesh.positions[i as usize], mesh.uvs[i as usize]))
        .collect();
    assert_eq!(
        corners,
        vec![
            ([0.0, 0.0, 0.0], [0.0, 1.0]),
            ([1.0, 0.0, 0.0], [1.0, 1.0]),
            ([1.0, 1.0, 0.0], [1.0, 0.0]),
            ([0.0, 0.0, 0.0], [0.5, 1.0]),
            ([1.0, 1.0, 0.0], [1.0, 0.0]),
            ([0.0, 1.0, 0.0], [0.0, 0.0]),
        ]
    );
    assert_eq!(
        mesh.positions.len(),
        5,
        "vertex 0 is split at the seam, 2 is shared"
    );
    assert_eq!(mesh.normals.len(), 5);
    assert!(mesh.normals.iter().all(|n| *n == [0.0, 0.0, 1.0]));
    assert!(mesh.colors.is_empty(), "the texture shows the colours");
    let NodeKind::Mesh { material, .. } = node.kind else {
        panic!("a mesh node");
    };
    let material = scene.material(material).expect("material");
    assert!(material.unlit);
    let slot = material.base_color_texture.expect("the texture");
    let image = scene.image(slot.image).expect("image");
    assert_eq!((image.width, image.height), (2, 2));
    assert_eq!(&image.rgba8[..8], &[255, 0, 0, 255, 0, 0, 255, 255]);
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("scan.ply") && w.contains("vertex colours are left out")),
        "{:?}",
        imported.warnings
    );

    // A texture named outside the PLY's folder is not read: the mesh loads in its colours.
    for name in ["../scan texture.png", "/etc/passwd"] {
        let hostile = text.replace("scan texture.png", name);
        let path = write(&dir, "outside.ply", hostile.as_bytes());
        let imported = import_path(&path).expect("loads");
        let (node, mesh) = common::first_mesh(&imported.scene);
        assert_eq!(mesh.indices.len(), 6);
        let NodeKind::Mesh { material, .. } = node.kind else {
            panic!("a mesh node");
        };
        let material = imported.scene.material(material).expect("material");
        assert!(material.base_color_texture.is_none() && material.unlit);
        assert!(
            imported
                .warnings
                .iter()
                .any(|w| w.contains("outside.ply")
                    && w.contains("is not inside the PLY file's folder")),
            "{:?}",
            imported.warnings
        );
    }
}

#[test]
fn faces_pick_one_of_several_texture_files_by_texnumber() {
    // OpenMVS splits a large scan's texture over several files; each face's `texnumber` says
    // which. Each texture the faces use becomes a child mesh with its own material; a face
    // naming no file shows untextured, with a warning.
    let dir = crate::common::temp_dir("ply", "texnumber");
    for (file, colour) in [
        ("atlas0.png", [255, 0, 0, 255]),
        ("atlas1.png", [0, 0, 255, 255]),
    ] {
        image::RgbaImage::from_pixel(1, 1, image::Rgba(colour))
            .save(dir.join(file))
            .expect("png");
    }
    let text = "ply\nformat ascii 1.0\ncomment TextureFile atlas0.png\n\
                comment TextureFile atlas1.png\nelement vertex 5\nproperty float x\n\
                property float y\nproperty float z\nelement face 3\n\
                property list uchar int vertex_indices\nproperty list uchar float texcoord\n\
                property int texnumber\nend_header\n\
                0 0 0\n1 0 0\n1 1 0\n0 1 0\n2 2 0\n\
                3 0 1 2 6 0 0 1 0 1 1 1\n3 0 2 3 6 0 0 1 1 0 1 0\n3 2 4 3 6 0 0 1 0 1 1 7\n";
    let path = write(&dir, "openmvs.ply", text.as_bytes());
    let imported = import_path(&path).expect("loads");
    let scene = &imported.scene;
    let root = scene.find("openmvs").expect("the file's node");
    // (node name, triangle corners, the texture's texel)
    type Part = (String, Vec<[f32; 3]>, Option<[u8; 4]>);
    let mut parts: Vec<Part> = scene
        .nodes()
        .filter(|n| n.parent == Some(root))
        .map(|node| {
            let NodeKind::Mesh { mesh, material } = node.kind else {
                panic!("{} is not a mesh", node.name);
            };
            let mesh = scene.mesh(mesh).expect("mesh");
            let corners = mesh
                .indices
                .iter()
                .map(|&i| mesh.positions[i as usize])
                .collect();
            let texel = scene
                .material(material)
                .and_then(|m| m.base_color_texture)
                .and_then(|slot| scene.image(slot.image))
                .map(|image| {
                    [
                        image.rgba8[0],
                        image.rgba8[1],
                        image.rgba8[2],
                        image.rgba8[3],
                    ]
                });
            (node.name.clone(), corners, texel)
        })
        .collect();
    parts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        parts,
        vec![
            (
                "atlas0".into(),
                vec![[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
                Some([255, 0, 0, 255])
            ),
            (
                "atlas1".into(),
                vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]],
                Some([0, 0, 255, 255])
            ),
            (
                "openmvs_7".into(),
                vec![[1.0, 1.0, 0.0], [2.0, 2.0, 0.0], [0.0, 1.0, 0.0]],
                None
            ),
        ]
    );
    assert!(
        imported.warnings.iter().any(|w| w.contains("openmvs.ply")
            && w.contains("1 faces' texnumber names no texture file of the header (it names 2)")),
        "{:?}",
        imported.warnings
    );
}

#[test]
fn mutated_files_never_panic() {
    let dir = crate::common::temp_dir("ply", "mutated");
    let case = mesh_case();
    let files = [
        ply_bytes(Enc::Le, &mesh_elements(&case)),
        ply_bytes(Enc::Ascii, &mesh_elements(&case)),
        ply_bytes(Enc::Be, &[splat_element(&raw_splats(6, 2))]),
    ];
    let mut next = common::xorshift(0x9e37_79b9);
    for (f, original) in files.iter().enumerate() {
        for round in 0..300 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = match next() % 4 {
                    0 => next() as u8,
                    1 => b'9',
                    2 => 0xff,
                    _ => b' ',
                };
            }
            let path = write(&dir, &format!("m{f}-{round}.ply"), &bytes);
            if let Err(e) = read(&path) {
                assert!(e.to_string().contains(&format!("m{f}-{round}.ply")), "{e}");
            }
            std::fs::remove_file(&path).ok();
        }
    }
}

#[test]
fn cancel_stops_the_read() {
    let dir = crate::common::temp_dir("ply", "cancel");
    let path = write(
        &dir,
        "cancel.ply",
        &ply_bytes(Enc::Le, &[splat_element(&raw_splats(3, 0))]),
    );
    let progress = Progress::new();
    progress.cancel();
    let e = read_ply(&path, &progress).expect_err("cancelled");
    assert!(matches!(e, ImportError::Cancelled { .. }), "{e}");
}

#[test]
fn unsupported_extension_lists_ply() {
    let message = import_path(Path::new("scene.obj")).unwrap_err().to_string();
    assert!(message.contains(".ply"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// PlayCanvas / SuperSplat compressed splats

/// Packs `raw` as PlayCanvas' `splat-transform` writes a `.compressed.ply` (written here from
/// its description: chunks of 256, 11-10-11 positions and log scales, "smallest three"
/// rotations, 8-8-8-8 colour and opacity, SH bytes), with or without per-chunk colour bounds.
fn compressed_elements(raw: &[RawSplat], chunk_colors: bool) -> Vec<El> {
    let unorm = |v: f64, bits: u32| {
        let max = f64::from((1u32 << bits) - 1);
        (v * max + 0.5).floor().clamp(0.0, max) as u32
    };
    let normalize = |v: f64, lo: f64, hi: f64| {
        if hi - lo < 1e-5 {
            0.0
        } else {
            ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
        }
    };
    let mut chunk_rows = Vec::new();
    let mut vertex_rows = Vec::new();
    let mut sh_rows = Vec::new();
    for chunk in raw.chunks(256) {
        let bounds = |get: &dyn Fn(&RawSplat) -> f64| {
            let lo = chunk.iter().map(get).fold(f64::INFINITY, f64::min);
            let hi = chunk.iter().map(get).fold(f64::NEG_INFINITY, f64::max);
            (lo, hi)
        };
        let colour = |s: &RawSplat, c: usize| 0.5 + SH_C0 * s.dc[c];
        let p: Vec<(f64, f64)> = (0..3).map(|k| bounds(&|s| s.position[k])).collect();
        let sc: Vec<(f64, f64)> = (0..3).map(|k| bounds(&|s| s.scale[k])).collect();
        let co: Vec<(f64, f64)> = if chunk_colors {
            (0..3).map(|c| bounds(&|s| colour(s, c))).collect()
        } else {
            vec![(0.0, 1.0); 3]
        };
        let mut row: Vec<V> = p.iter().map(|b| V::One(b.0)).collect();
        row.extend(p.iter().map(|b| V::One(b.1)));
        row.extend(sc.iter().map(|b| V::One(b.0)));
        row.extend(sc.iter().map(|b| V::One(b.1)));
        if chunk_colors {
            row.extend(co.iter().map(|b| V::One(b.0)));
            row.extend(co.iter().map(|b| V::One(b.1)));
        }
        chunk_rows.push(row);
        for s in chunk {
            let t = |v: [f64; 3], b: &[(f64, f64)]| -> [f64; 3] {
                [0, 1, 2].map(|k| normalize(v[k], b[k].0, b[k].1))
            };
            let pack_111011 =
                |t: [f64; 3]| unorm(t[0], 11) << 21 | unorm(t[1], 10) << 11 | unorm(t[2], 11);
            let len = s.rot.iter().map(|c| c * c).sum::<f64>().sqrt();
            let mut q = s.rot.map(|c| c / len);
            let largest = (0..4)
                .max_by(|&a, &b| q[a].abs().total_cmp(&q[b].abs()))
                .expect("4");
            if q[largest] < 0.0 {
                q = q.map(|c| -c);
            }
            let mut rotation = largest as u32;
            for (i, c) in q.iter().enumerate() {
                if i != largest {
                    rotation = rotation << 10 | unorm(c * 0.5f64.sqrt() + 0.5, 10);
                }
            }
            let c = t([0, 1, 2].map(|k| colour(s, k)), &co);
            let color = unorm(c[0], 8) << 24
                | unorm(c[1], 8) << 16
                | unorm(c[2], 8) << 8
                | unorm(sigmoid(s.opacity), 8);
            vertex_rows.push(
                [
                    pack_111011(t(s.position, &p)),
                    rotation,
                    pack_111011(t(s.scale, &sc)),
                    color,
                ]
                .map(|w| V::One(f64::from(w)))
                .to_vec(),
            );
            sh_rows.push(
                s.rest
                    .iter()
                    .map(|v| V::One(((v / 8.0 + 0.5) * 256.0).trunc().clamp(0.0, 255.0)))
                    .collect(),
            );
        }
    }
    let chunk_props = common::compressed_ply_chunk_names(chunk_colors)
        .iter()
        .map(|n| scalar(n, "float"))
        .collect();
    let rest = raw.first().map_or(0, |s| s.rest.len());
    vec![
        El {
            name: "chunk",
            props: chunk_props,
            rows: chunk_rows,
        },
        El {
            name: "vertex",
            props: common::COMPRESSED_PLY_PACKED
                .map(|n| scalar(n, "uint"))
                .to_vec(),
            rows: vertex_rows,
        },
        El {
            name: "sh",
            props: (0..rest)
                .map(|j| scalar(&format!("f_rest_{j}"), "uchar"))
                .collect(),
            rows: sh_rows,
        },
    ]
}

#[test]
fn supersplat_compressed_splats_decode_within_their_quantization() {
    let dir = crate::common::temp_dir("ply", "compressed");
    let degree = 1;
    // 300 splats: a full chunk and a partial one, with varied values and unit-ish rotations.
    let raw: Vec<RawSplat> = (0..300)
        .map(|i| {
            let f = i as f64;
            RawSplat {
                position: [(f * 0.37).sin() * 3.0, f * 0.01 - 1.0, (f * 0.11).cos()],
                dc: [(f * 0.05).sin(), 0.3, -0.4 + f * 0.002],
                opacity: (f * 0.07).sin() * 4.0,
                scale: [-4.0 + f * 0.01, -3.0, -2.0 - (f * 0.2).sin()],
                rot: [1.0 + (f * 0.3).cos(), (f * 0.17).sin(), -0.5, f * 0.004],
                rest: (0..9)
                    .map(|j| ((i * 7 + j) % 17) as f64 * 0.2 - 1.6)
                    .collect(),
            }
        })
        .collect();
    for (name, enc, chunk_colors) in [
        ("le.compressed.ply", Enc::Le, true),
        ("old.compressed.ply", Enc::Le, false),
        ("ascii.compressed.ply", Enc::Ascii, true),
    ] {
        // Without chunk colour bounds the colour is packed within 0..1 as is.
        let raw: Vec<RawSplat> = if chunk_colors {
            raw.clone()
        } else {
            raw.iter()
                .cloned()
                .map(|mut s| {
                    s.dc = s.dc.map(|d| d.clamp(-0.5 / SH_C0, 0.5 / SH_C0));
                    s
                })
                .collect()
        };
        let path = write(
            &dir,
            name,
            &ply_bytes(enc, &compressed_elements(&raw, chunk_colors)),
        );
        let (content, warnings) = read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
        let cloud = as_splats(content);
        assert_eq!(cloud.len(), 300, "{name}");
        assert_eq!(usize::from(cloud.sh_degree), degree, "{name}");
        for (i, s) in raw.iter().enumerate() {
            let chunk = &raw[i / 256 * 256..(i / 256 * 256 + 256).min(raw.len())];
            let extent = |get: &dyn Fn(&RawSplat) -> f64| {
                let v = chunk.iter().map(get);
                v.clone().fold(f64::NEG_INFINITY, f64::max) - v.fold(f64::INFINITY, f64::min)
            };
            for k in 0..3 {
                // Half a step of 10 bits (the coarsest axis) plus float rounding.
                let step = extent(&|s| s.position[k]) / 1023.0;
                assert!(
                    close(cloud.positions[i][k], s.position[k], step * 0.5 + 1e-5),
                    "{name} splat {i} position {k}: {} vs {}",
                    cloud.positions[i][k],
                    s.position[k]
                );
                let log_step = extent(&|s| s.scale[k]) / 1023.0;
                let log = f64::from(cloud.scales[i][k]).ln();
                assert!(
                    (log - s.scale[k]).abs() <= log_step * 0.5 + 1e-5,
                    "{name} {i} scale"
                );
                let colour = 0.5 + SH_C0 * s.dc[k];
                let colour_step = if chunk_colors {
                    extent(&|s| 0.5 + SH_C0 * s.dc[k]) / 255.0
                } else {
                    1.0 / 255.0
                };
                assert!(
                    close(cloud.colors[i][k], colour, colour_step * 0.5 + 1e-5),
                    "{name} splat {i} colour {k}"
                );
            }
            assert!(close(
                cloud.opacities[i],
                sigmoid(s.opacity),
                0.5 / 255.0 + 1e-6
            ));
            let len = s.rot.iter().map(|c| c * c).sum::<f64>().sqrt();
            let [w, x, y, z] = s.rot.map(|c| c / len);
            let q = cloud.rotations[i].map(f64::from);
            let dot = (q[0] * x + q[1] * y + q[2] * z + q[3] * w).abs();
            assert!(
                dot > 1.0 - 1e-5,
                "{name} splat {i} rotation {q:?} vs {:?}",
                s.rot
            );
            for k in 0..3 {
                for c in 0..3 {
                    let ours = cloud.sh_rest[(i * 3 + k) * 3 + c].to_f64();
                    let theirs = s.rest[c * 3 + k];
                    // Half a step of 8/256 (the values stay off the ends, 0 and 255, which
                    // decode to ±4), plus f16 rounding.
                    assert!((ours - theirs).abs() <= 4.0 / 256.0 + 2e-3, "{name} {i} sh");
                }
            }
        }
    }
    // A chunk table that does not fit the splat count is an error naming both.
    let mut elements = compressed_elements(&raw, true);
    elements[0].rows.pop();
    let path = write(&dir, "short.compressed.ply", &ply_bytes(Enc::Le, &elements));
    assert_error(
        &path,
        &["short.compressed.ply", "300 splats need 2 chunks", "has 1"],
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn mutated_compressed_splats_keep_the_importers_promises() {
    // Through the fuzz harness body, which also checks what comes out (unit rotations,
    // positive finite scales, opacities in 0..=1, finite colours and SH).
    let original = ply_bytes(Enc::Le, &compressed_elements(&raw_splats(300, 1), true));
    let body = original
        .windows(11)
        .position(|w| w == b"end_header\n")
        .expect("header")
        + 11;
    let mut next = common::xorshift(0x2545_f491_4f6c_dd1d);
    for _ in 0..2000 {
        let mut bytes = original.clone();
        for _ in 0..1 + next() % 8 {
            let at = body + (next() % (bytes.len() - body) as u64) as usize;
            bytes[at] = next() as u8;
        }
        worldsmith::import::fuzz::ply(&bytes);
    }
}
