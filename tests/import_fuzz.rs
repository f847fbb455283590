//! The fuzz harnesses (`worldsmith::import::fuzz`, driven by the targets in `fuzz/`) run here
//! over their seed corpus and the Khronos samples, so CI exercises them without a fuzzer; the
//! seeds are generated here and must be valid files of each kind; `fuzz/seeds/` holds exactly
//! what this generator writes (`WORLDSMITH_BLESS=1` rewrites it); and every bug the fuzzer found
//! keeps its reproducer as a regression test.

use crate::common;

use flate2::Compression;
use flate2::write::GzEncoder;
use half::f16;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use worldsmith::import::{Imported, fuzz, import_bytes};

/// What one seed is fed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Ply,
    Spz,
    Gltf,
    Splats,
}

/// Every target, in the order the seed folders are checked.
const TARGETS: [Target; 4] = [Target::Ply, Target::Spz, Target::Gltf, Target::Splats];

impl Target {
    fn dir(self) -> &'static str {
        match self {
            Self::Ply => "fuzz_ply",
            Self::Spz => "fuzz_spz",
            Self::Gltf => "fuzz_gltf",
            Self::Splats => "fuzz_splats",
        }
    }

    fn run(self, data: &[u8]) {
        match self {
            Self::Ply => fuzz::ply(data),
            Self::Spz => fuzz::spz(data),
            Self::Gltf => fuzz::gltf(data),
            Self::Splats => fuzz::splats(data),
        }
    }
}

/// One seed: its target, file name, the bytes the harness gets, and the file they stand for
/// (extension, bytes) with what must be in it once imported.
struct Seed {
    target: Target,
    name: String,
    input: Vec<u8>,
    file: (&'static str, Vec<u8>),
    expect: Expect,
}

/// What a seed's file must import to.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Triangles in the (only) mesh.
    Triangles(usize),
    /// Triangles in each mesh, in order.
    MeshParts(&'static [usize]),
    Points(usize),
    Splats(usize),
    /// Meshes, lights and cameras in the scene.
    Scene {
        meshes: usize,
        lights: usize,
        cameras: usize,
    },
}

// ---------------------------------------------------------------------------------------------
// PLY

#[derive(Clone, Copy, PartialEq)]
enum Enc {
    Ascii,
    Le,
    Be,
}

/// A property: scalar `(type, name)` or list `(count type, item type, name)`.
enum Prop {
    Scalar(&'static str, String),
    List(&'static str, &'static str, String),
}

/// One value of a row: a scalar or a list.
enum Val {
    S(f64),
    L(Vec<f64>),
}

struct El {
    name: &'static str,
    props: Vec<Prop>,
    rows: Vec<Vec<Val>>,
}

fn scalars(ty: &'static str, names: &[&str]) -> Vec<Prop> {
    names
        .iter()
        .map(|n| Prop::Scalar(ty, (*n).to_string()))
        .collect()
}

fn put(out: &mut Vec<u8>, ty: &str, v: f64, enc: Enc) {
    macro_rules! bin {
        ($t:ty) => {{
            let x = v as $t;
            out.extend_from_slice(&if enc == Enc::Be {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        }};
    }
    match (enc, ty) {
        (Enc::Ascii, _) => out.extend_from_slice(format!("{v} ").as_bytes()),
        (_, "uchar") => bin!(u8),
        (_, "char") => bin!(i8),
        (_, "ushort") => bin!(u16),
        (_, "short") => bin!(i16),
        (_, "int") => bin!(i32),
        (_, "uint") => bin!(u32),
        (_, "float") => bin!(f32),
        (_, "double") => bin!(f64),
        _ => panic!("type {ty}"),
    }
}

fn ply_bytes(enc: Enc, elements: &[El]) -> Vec<u8> {
    let format = match enc {
        Enc::Ascii => "ascii",
        Enc::Le => "binary_little_endian",
        Enc::Be => "binary_big_endian",
    };
    let mut out = format!("ply\nformat {format} 1.0\ncomment seed for fuzz_ply\n").into_bytes();
    for el in elements {
        out.extend_from_slice(format!("element {} {}\n", el.name, el.rows.len()).as_bytes());
        for p in &el.props {
            let line = match p {
                Prop::Scalar(ty, name) => format!("property {ty} {name}\n"),
                Prop::List(count, item, name) => format!("property list {count} {item} {name}\n"),
            };
            out.extend_from_slice(line.as_bytes());
        }
    }
    out.extend_from_slice(b"end_header\n");
    for el in elements {
        for row in &el.rows {
            for (p, v) in el.props.iter().zip(row) {
                match (p, v) {
                    (Prop::Scalar(ty, _), Val::S(x)) => put(&mut out, ty, *x, enc),
                    (Prop::List(count, item, _), Val::L(xs)) => {
                        put(&mut out, count, xs.len() as f64, enc);
                        for x in xs {
                            put(&mut out, item, *x, enc);
                        }
                    }
                    _ => panic!("row does not match the properties of {}", el.name),
                }
            }
            if enc == Enc::Ascii {
                out.push(b'\n');
            }
        }
    }
    out
}

/// Five vertices (position, normal, uchar colour, uv), an element to skip, a quad and a
/// triangle: 3 triangles.
fn mesh_elements() -> Vec<El> {
    let mut vertex = scalars("float", &["x", "y", "z", "nx", "ny", "nz"]);
    vertex.extend(scalars("uchar", &["red", "green", "blue", "alpha"]));
    vertex.extend(scalars("float", &["s", "t"]));
    let corners = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [2.0, 0.5]];
    let rows = corners
        .iter()
        .enumerate()
        .map(|(i, [x, y])| {
            [*x, *y, -0.5, 0.0, 0.0, 1.0]
                .into_iter()
                .chain([40.0 * i as f64, 200.0, 17.0, 255.0])
                .chain([x / 2.0, *y])
                .map(Val::S)
                .collect()
        })
        .collect();
    vec![
        El {
            name: "vertex",
            props: vertex,
            rows,
        },
        El {
            name: "edge",
            props: scalars("int", &["vertex1", "vertex2"]),
            rows: vec![vec![Val::S(0.0), Val::S(1.0)]],
        },
        El {
            name: "face",
            props: vec![
                Prop::List("uchar", "int", "vertex_indices".into()),
                Prop::Scalar("uchar", "flags".into()),
            ],
            rows: vec![
                vec![Val::L(vec![0.0, 1.0, 2.0, 3.0]), Val::S(1.0)],
                vec![Val::L(vec![1.0, 4.0, 2.0]), Val::S(0.0)],
            ],
        },
    ]
}

/// Four points with float colours and normals.
fn point_elements() -> Vec<El> {
    let mut vertex = scalars("double", &["x", "y", "z"]);
    vertex.extend(scalars("float", &["nx", "ny", "nz", "r", "g", "b"]));
    let rows = (0..4)
        .map(|i| {
            let f = f64::from(i);
            [f, -f, 0.25 * f, 0.0, 1.0, 0.0, 0.1 * f, 0.5, 1.0]
                .into_iter()
                .map(Val::S)
                .collect()
        })
        .collect();
    vec![El {
        name: "vertex",
        props: vertex,
        rows,
    }]
}

/// `n` INRIA-layout splats with SH degree `degree` (normals included, as trainers write them).
fn splat_elements(n: usize, degree: usize) -> Vec<El> {
    let rest = 3 * ((degree + 1) * (degree + 1) - 1);
    let mut names: Vec<String> = [
        "x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2",
    ]
    .map(String::from)
    .to_vec();
    names.extend((0..rest).map(|i| format!("f_rest_{i}")));
    names.extend(
        [
            "opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3",
        ]
        .map(String::from),
    );
    let rows = (0..n)
        .map(|i| {
            let f = i as f64;
            let mut row = vec![f, 0.5 - f, 2.0 + f, 0.0, 0.0, 0.0, 0.3, -0.2, 0.1 * f];
            row.extend((0..rest).map(|k| (k as f64 - 4.0) * 0.05));
            row.extend([f - 1.0, -4.0, -3.5, -5.0, 1.0, 0.1 * f, -0.2, 0.3]);
            row.into_iter().map(Val::S).collect()
        })
        .collect();
    vec![El {
        name: "vertex",
        props: names
            .into_iter()
            .map(|n| Prop::Scalar("float", n))
            .collect(),
        rows,
    }]
}

fn ply_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>, expect: Expect| {
        seeds.push(Seed {
            target: Target::Ply,
            name: name.into(),
            input: bytes.clone(),
            file: ("ply", bytes),
            expect,
        });
    };
    for (enc, tag) in [(Enc::Ascii, "ascii"), (Enc::Le, "le"), (Enc::Be, "be")] {
        add(
            &format!("mesh_{tag}.ply"),
            ply_bytes(enc, &mesh_elements()),
            Expect::Triangles(3),
        );
        add(
            &format!("points_{tag}.ply"),
            ply_bytes(enc, &point_elements()),
            Expect::Points(4),
        );
        let degree = match enc {
            Enc::Ascii => 0,
            Enc::Le => 1,
            Enc::Be => 2,
        };
        add(
            &format!("splats_{tag}_sh{degree}.ply"),
            ply_bytes(enc, &splat_elements(3, degree)),
            Expect::Splats(3),
        );
    }
    // A coloured square outline as an `edge` element (line set), with two bad edges.
    add(
        "edges_ascii.ply",
        crate::lines::square_ply("ascii"),
        Expect::Points(4),
    );
    add(
        "edges_be.ply",
        crate::lines::square_ply("binary_big_endian"),
        Expect::Points(4),
    );
    // A quad with 16-bit indices behind a 32-bit count, and no other vertex data.
    let quad = vec![
        El {
            name: "vertex",
            props: scalars("float", &["x", "y", "z"]),
            rows: [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
                .iter()
                .map(|[x, y]| vec![Val::S(*x), Val::S(*y), Val::S(0.0)])
                .collect(),
        },
        El {
            name: "face",
            props: vec![Prop::List("uint", "ushort", "vertex_index".into())],
            rows: vec![vec![Val::L(vec![0.0, 1.0, 2.0, 3.0])]],
        },
    ];
    add(
        "quad_u16_le.ply",
        ply_bytes(Enc::Le, &quad),
        Expect::Triangles(2),
    );
    // A MeshLab/OpenMVS textured quad and triangle: two texture files (absent beside the
    // seed, so warned about), per-corner texcoord lists, texnumber per face.
    let mut textured = mesh_elements();
    textured[0].props.truncate(10);
    textured[0].rows.iter_mut().for_each(|row| row.truncate(10));
    textured[2] = El {
        name: "face",
        props: vec![
            Prop::List("uchar", "int", "vertex_indices".into()),
            Prop::List("uchar", "float", "texcoord".into()),
            Prop::Scalar("int", "texnumber".into()),
        ],
        rows: vec![
            vec![
                Val::L(vec![0.0, 1.0, 2.0, 3.0]),
                Val::L(vec![0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0]),
                Val::S(0.0),
            ],
            vec![
                Val::L(vec![1.0, 4.0, 2.0]),
                Val::L(vec![0.5, 0.5, 0.25, 0.75, 1.0, 1.0]),
                Val::S(1.0),
            ],
        ],
    };
    for (enc, tag) in [(Enc::Ascii, "ascii"), (Enc::Le, "le")] {
        let bytes = ply_bytes(enc, &textured);
        let comment = b"comment seed for fuzz_ply\n";
        let at = bytes
            .windows(comment.len())
            .position(|w| w == comment)
            .expect("the seed comment");
        let mut with_textures = bytes[..at].to_vec();
        with_textures.extend_from_slice(
            b"comment TextureFile atlas0.png\ncomment TextureFile atlas 1.png\n",
        );
        with_textures.extend_from_slice(&bytes[at..]);
        add(
            &format!("textured_{tag}.ply"),
            with_textures,
            Expect::MeshParts(&[2, 1]),
        );
    }
    add(
        "splats_compressed_sh1.ply",
        ply_bytes(Enc::Le, &compressed_splat_elements()),
        Expect::Splats(3),
    );
    seeds
}

/// Three PlayCanvas/SuperSplat compressed splats (one chunk with colour bounds, packed words
/// written out, SH degree 1 as bytes), so mutations reach the packed-word decoder.
fn compressed_splat_elements() -> Vec<El> {
    let chunk = [
        -1.0, -2.0, -3.0, 1.0, 2.0, 3.0, -5.0, -5.0, -5.0, -1.0, -1.0, -1.0, 0.0, 0.1, 0.2, 1.0,
        0.9, 0.8,
    ];
    // position 11-10-11, rotation 2-10-10-10 (largest index, three others), scale 11-10-11,
    // colour 8-8-8-8 (r, g, b, opacity).
    let packed: [[u32; 4]; 3] = [
        [0, 512 << 20 | 512 << 10 | 512, 0, 0x0000_00ff],
        [
            1024 << 21 | 512 << 11 | 1024,
            3 << 30 | 700 << 20 | 300 << 10 | 512,
            2047 << 21 | 1023 << 11 | 2047,
            0x8040_c080,
        ],
        [
            u32::MAX,
            1 << 30 | 100 << 20 | 900 << 10 | 512,
            12345,
            0xffff_ff00,
        ],
    ];
    let sh_names: Vec<String> = (0..9).map(|i| format!("f_rest_{i}")).collect();
    vec![
        El {
            name: "chunk",
            props: common::compressed_ply_chunk_names(true)
                .into_iter()
                .map(|n| Prop::Scalar("float", n))
                .collect(),
            rows: vec![chunk.iter().map(|&v| Val::S(v)).collect()],
        },
        El {
            name: "vertex",
            props: common::COMPRESSED_PLY_PACKED
                .into_iter()
                .map(|n| Prop::Scalar("uint", n.into()))
                .collect(),
            rows: packed
                .iter()
                .map(|words| words.iter().map(|&w| Val::S(f64::from(w))).collect())
                .collect(),
        },
        El {
            name: "sh",
            props: sh_names
                .into_iter()
                .map(|n| Prop::Scalar("uchar", n))
                .collect(),
            rows: (0..3u32)
                .map(|i| {
                    (0..9u32)
                        .map(|k| Val::S(f64::from((i * 80 + k * 20) % 256)))
                        .collect()
                })
                .collect(),
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// SPZ

/// The decompressed stream of an SPZ file with `n` splats (12 fractional bits).
fn spz_stream(version: u32, n: u32, sh_degree: u8, flags: u8) -> Vec<u8> {
    let mut out = 0x5053_474e_u32.to_le_bytes().to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&[sh_degree, 12, flags, 0]);
    for i in 0..n {
        for c in 0..3 {
            let p = i as f32 * 0.5 - c as f32;
            if version == 1 {
                out.extend_from_slice(&f16::from_f32(p).to_le_bytes());
            } else {
                out.extend_from_slice(&((p * 4096.0) as i32).to_le_bytes()[..3]);
            }
        }
    }
    out.extend((0..n).map(|i| (100 + 40 * i) as u8));
    out.extend((0..3 * n).map(|i| (60 + 20 * i) as u8));
    out.extend((0..3 * n).map(|i| (90 + 3 * i) as u8));
    for i in 0..n {
        if version >= 3 {
            out.extend_from_slice(&((3u32 << 30) | (i * 0x2_0101)).to_le_bytes());
        } else {
            out.extend_from_slice(&[128, (100 + i) as u8, 140]);
        }
    }
    let d = usize::from(sh_degree) + 1;
    out.extend((0..n as usize * 3 * (d * d - 1)).map(|i| (i * 7 % 256) as u8));
    if flags & 2 != 0 {
        // One extension record: type, length, payload.
        out.extend_from_slice(&0xadbe_0002_u32.to_le_bytes());
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&1.5f32.to_le_bytes());
    }
    out
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(raw).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

fn spz_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (version, n, degree, flags) in [
        (1, 3, 0, 0),
        (2, 4, 1, 1),
        (3, 3, 2, 0),
        (3, 2, 3, 2),
        (3, 2, 4, 0),
    ] {
        let stream = spz_stream(version, n, degree, flags);
        let file = gzip(&stream);
        let name = format!("v{version}_sh{degree}_flags{flags}");
        seeds.push(Seed {
            target: Target::Spz,
            name: format!("{name}.spz"),
            input: file.clone(),
            file: ("spz", file.clone()),
            expect: Expect::Splats(n as usize),
        });
        let mut input = vec![fuzz::SPZ_STREAM];
        input.extend_from_slice(&stream);
        seeds.push(Seed {
            target: Target::Spz,
            name: format!("{name}.stream"),
            input,
            file: ("spz", file),
            expect: Expect::Splats(n as usize),
        });
    }
    // Version 4: plain header, extension records and table of contents, Zstandard streams.
    for (n, degree, flags) in [(3, 0, 0), (2, 3, 3)] {
        let file = common::spz_v4(&spz_stream(3, n, degree, flags));
        seeds.push(Seed {
            target: Target::Spz,
            name: format!("v4_sh{degree}_flags{flags}.spz"),
            input: file.clone(),
            file: ("spz", file),
            expect: Expect::Splats(n as usize),
        });
    }
    seeds
}

// ---------------------------------------------------------------------------------------------
// glTF

/// A 2×2 RGBA PNG.
fn tiny_png() -> Vec<u8> {
    let image =
        image::RgbaImage::from_raw(2, 2, (0..16).map(|i| i * 16).collect()).expect("2x2 pixels");
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode png");
    png
}

/// Buffer bytes of the seed scene: 4 positions, 4 normals, 4 uvs, 6 u16 indices (one quad as
/// a triangle list, the same four as a strip), and a sparse override of position 1.
fn gltf_buffer() -> Vec<u8> {
    let mut b = Vec::new();
    for p in [
        [0.0f32, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [1.0, 1.0, 0.0],
        [0.0, 1.0, 0.0],
    ] {
        b.extend(p.iter().flat_map(|c| c.to_le_bytes())); // 0..48
    }
    for _ in 0..4 {
        b.extend([0.0f32, 0.0, 1.0].iter().flat_map(|c| c.to_le_bytes())); // 48..96
    }
    for uv in [[0.0f32, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]] {
        b.extend(uv.iter().flat_map(|c| c.to_le_bytes())); // 96..128
    }
    for i in [0u16, 1, 2, 0, 2, 3] {
        b.extend(i.to_le_bytes()); // 128..140
    }
    b.extend(1u16.to_le_bytes()); // 140..142 sparse index
    b.extend([0, 0]); // 142..144 padding
    b.extend([1.5f32, 0.0, 0.0].iter().flat_map(|c| c.to_le_bytes())); // 144..156
    b
}

/// A scene with a textured, normal-mapped, anisotropic, iridescent and translucent quad (triangle list and
/// strip), a sparse accessor, a light, a camera, a hierarchy, material variants and an animation
/// (linear translation, step rotation, a KHR_animation_pointer roughness); `buffer_uri` `None` = GLB BIN.
fn gltf_json(buffer_uri: Option<&str>, len: usize, image_uri: &str) -> String {
    let uri = buffer_uri.map_or_else(String::new, |u| format!(r#""uri":"{u}","#));
    format!(
        r#"{{"asset":{{"version":"2.0"}},
"extensionsUsed":["KHR_lights_punctual","KHR_materials_variants","KHR_texture_transform","KHR_animation_pointer",
 "KHR_materials_anisotropy","KHR_materials_iridescence","KHR_materials_diffuse_transmission"],
"extensions":{{"KHR_lights_punctual":{{"lights":[{{"type":"spot","intensity":5,"spot":{{"outerConeAngle":0.7}}}}]}},
 "KHR_materials_variants":{{"variants":[{{"name":"plain"}},{{"name":"red"}}]}}}},
"scene":0,"scenes":[{{"nodes":[0]}}],
"nodes":[{{"name":"root","children":[1,2,3],"rotation":[0,0.7071068,0,0.7071068]}},
 {{"mesh":0,"translation":[1,2,3]}},
 {{"camera":0,"matrix":[1,0,0,0,0,1,0,0,0,0,1,0,0,0,5,1]}},
 {{"extensions":{{"KHR_lights_punctual":{{"light":0}}}},"scale":[2,2,2]}}],
"cameras":[{{"type":"perspective","perspective":{{"yfov":0.8,"znear":0.1,"zfar":100}}}}],
"meshes":[{{"name":"quad","primitives":[
 {{"attributes":{{"POSITION":0,"NORMAL":1,"TEXCOORD_0":2}},"indices":3,"material":0,
   "extensions":{{"KHR_materials_variants":{{"mappings":[{{"material":1,"variants":[1]}}]}}}}}},
 {{"attributes":{{"POSITION":4}},"mode":5,"indices":5}}]}}],
"materials":[{{"name":"textured","pbrMetallicRoughness":{{"baseColorTexture":{{"index":0,
   "extensions":{{"KHR_texture_transform":{{"scale":[2,2]}}}}}}}},"normalTexture":{{"index":0}},
   "extensions":{{"KHR_materials_anisotropy":{{"anisotropyStrength":0.6,"anisotropyRotation":0.4,
     "anisotropyTexture":{{"index":0}}}},
    "KHR_materials_iridescence":{{"iridescenceFactor":1,"iridescenceIor":1.4,
     "iridescenceThicknessMaximum":500,"iridescenceThicknessTexture":{{"index":0}}}},
    "KHR_materials_diffuse_transmission":{{"diffuseTransmissionFactor":0.4,
     "diffuseTransmissionColorFactor":[1,0.8,0.5],"diffuseTransmissionTexture":{{"index":0}}}}}}}},
 {{"name":"red","pbrMetallicRoughness":{{"baseColorFactor":[1,0,0,1]}},"alphaMode":"MASK"}}],
"textures":[{{"source":0,"sampler":0}}],"samplers":[{{"wrapS":33648,"magFilter":9728}}],
"images":[{{"uri":"{image_uri}"}}],
"buffers":[{{{uri}"byteLength":{len}}}],
"bufferViews":[{{"buffer":0,"byteOffset":0,"byteLength":48}},{{"buffer":0,"byteOffset":48,"byteLength":48}},
 {{"buffer":0,"byteOffset":96,"byteLength":32}},{{"buffer":0,"byteOffset":128,"byteLength":12}},
 {{"buffer":0,"byteOffset":140,"byteLength":2}},{{"buffer":0,"byteOffset":144,"byteLength":12}}],
"accessors":[{{"bufferView":0,"componentType":5126,"count":4,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}},
 {{"bufferView":1,"componentType":5126,"count":4,"type":"VEC3"}},
 {{"bufferView":2,"componentType":5126,"count":4,"type":"VEC2"}},
 {{"bufferView":3,"componentType":5123,"count":6,"type":"SCALAR"}},
 {{"bufferView":0,"componentType":5126,"count":4,"type":"VEC3","min":[0,0,0],"max":[1.5,1,0],
   "sparse":{{"count":1,"indices":{{"bufferView":4,"componentType":5123}},"values":{{"bufferView":5}}}}}},
 {{"bufferView":3,"componentType":5123,"count":4,"type":"SCALAR"}},
 {{"bufferView":0,"byteOffset":8,"componentType":5126,"count":2,"type":"SCALAR","min":[0],"max":[1]}},
 {{"bufferView":0,"componentType":5126,"count":2,"type":"VEC3"}},
 {{"bufferView":1,"componentType":5126,"count":2,"type":"VEC4"}}],
"animations":[{{"name":"move","channels":[{{"sampler":0,"target":{{"node":1,"path":"translation"}}}},
  {{"sampler":1,"target":{{"node":1,"path":"rotation"}}}},
  {{"sampler":2,"target":{{"path":"pointer","extensions":{{"KHR_animation_pointer":
   {{"pointer":"/materials/0/pbrMetallicRoughness/roughnessFactor"}}}}}}}}],
 "samplers":[{{"input":6,"output":7}},{{"input":6,"output":8,"interpolation":"STEP"}},{{"input":6,"output":6}}]}}]}}"#
    )
}

fn gltf_seeds() -> Vec<Seed> {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let buffer = gltf_buffer();
    let image = format!("data:image/png;base64,{}", b64(&tiny_png()));
    let data_uri = format!("data:application/octet-stream;base64,{}", b64(&buffer));
    let expect = Expect::Scene {
        meshes: 2,
        lights: 1,
        cameras: 1,
    };
    let embedded = gltf_json(Some(&data_uri), buffer.len(), &image).into_bytes();
    let binary_json = gltf_json(None, buffer.len(), &image).into_bytes();
    let file = common::glb(&binary_json, &buffer);
    // Quantized and meshopt-compressed (with filters and a fallback buffer), as gltfpack -c.
    let meshopt = common::meshopt_quad_glb(|_| {});
    // Draco-compressed (KHR_draco_mesh_compression), as Blender's exporter writes it.
    let draco = common::draco_quad_glb(|_| {});
    // A Basis Universal texture (KHR_texture_basisu: UASTC, Zstandard) in the BIN chunk.
    let (ktx2, _) = common::ktx2_triangle_glb();
    // Gaussian splats as glTF attributes (KHR_gaussian_splatting), and as one SPZ blob
    // (KHR_gaussian_splatting_compression_spz_2).
    let (json, bin) = crate::import_gltf_splats::splat_gltf(|_| {});
    let splats = common::glb(&serde_json::to_vec(&json).expect("JSON"), &bin);
    let spz = gzip(&spz_stream(2, 4, 1, 0));
    let spz = common::glb(common::spz_splats_gltf_json(4, spz.len()).as_bytes(), &spz);
    // A skinned arm bent at rest, also morphed (its normals as a half-weighted target).
    let mut arm = crate::import_gltf_deform::arm_gltf();
    arm["meshes"][0]["weights"] = serde_json::json!([0.5]);
    arm["meshes"][0]["primitives"][0]["targets"] = serde_json::json!([{ "POSITION": 1 }]);
    let arm = serde_json::to_vec(&arm).expect("JSON");
    // A quad with two named morph targets and LINEAR, STEP and CUBICSPLINE weight animations.
    let face = serde_json::to_vec(&crate::morphs::face_gltf()).expect("JSON");
    // A coloured, morphed POINTS primitive (a point cloud).
    let mut points = crate::import_gltf_points::points_gltf();
    points["meshes"].as_array_mut().expect("meshes").truncate(1);
    points["nodes"].as_array_mut().expect("nodes").truncate(1);
    points["scenes"][0]["nodes"] = serde_json::json!([0]);
    let points = serde_json::to_vec(&points).expect("JSON");
    // The seven primitive modes: points, line sets (LINES, LINE_LOOP, LINE_STRIP), meshes.
    let modes = serde_json::to_vec(&crate::lines::primitive_modes_gltf()).expect("JSON");
    let mut parts = vec![fuzz::GLB_PARTS];
    parts.extend_from_slice(&(binary_json.len() as u16).to_le_bytes());
    parts.extend_from_slice(&binary_json);
    parts.extend_from_slice(&buffer);
    vec![
        Seed {
            target: Target::Gltf,
            name: "scene_embedded.gltf".into(),
            input: embedded.clone(),
            file: ("gltf", embedded),
            expect,
        },
        Seed {
            target: Target::Gltf,
            name: "scene.glb".into(),
            input: file.clone(),
            file: ("glb", file.clone()),
            expect,
        },
        Seed {
            target: Target::Gltf,
            name: "scene.parts".into(),
            input: parts,
            file: ("glb", file),
            expect,
        },
        Seed {
            target: Target::Gltf,
            name: "quad_meshopt.glb".into(),
            input: meshopt.clone(),
            file: ("glb", meshopt),
            expect: Expect::Triangles(2),
        },
        Seed {
            target: Target::Gltf,
            name: "quad_draco.glb".into(),
            input: draco.clone(),
            file: ("glb", draco),
            expect: Expect::Triangles(2),
        },
        Seed {
            target: Target::Gltf,
            name: "triangle_ktx2.glb".into(),
            input: ktx2.clone(),
            file: ("glb", ktx2),
            expect: Expect::Triangles(1),
        },
        Seed {
            target: Target::Gltf,
            name: "arm_skinned.gltf".into(),
            input: arm.clone(),
            file: ("gltf", arm),
            expect: Expect::Triangles(4),
        },
        Seed {
            target: Target::Gltf,
            name: "face_morphs.gltf".into(),
            input: face.clone(),
            file: ("gltf", face),
            expect: Expect::Triangles(2),
        },
        Seed {
            target: Target::Gltf,
            name: "points.gltf".into(),
            input: points.clone(),
            file: ("gltf", points),
            expect: Expect::Points(3),
        },
        Seed {
            target: Target::Gltf,
            name: "primitive_modes.gltf".into(),
            input: modes.clone(),
            file: ("gltf", modes),
            expect: Expect::MeshParts(&[6, 4, 6]),
        },
        Seed {
            target: Target::Gltf,
            name: "splats.glb".into(),
            input: splats.clone(),
            file: ("glb", splats),
            expect: Expect::Splats(3),
        },
        Seed {
            target: Target::Gltf,
            name: "splats_spz.glb".into(),
            input: spz.clone(),
            file: ("glb", spz),
            expect: Expect::Splats(4),
        },
    ]
}

/// `.splat` records, the reference `.ksplat` files (`tests/data/README.md`) and the
/// reference SOG bundle, as it is and as entries for a fresh zip.
fn splats_seeds() -> Vec<Seed> {
    let with_kind = |kind: u8, bytes: &[u8]| {
        let mut input = vec![kind];
        input.extend_from_slice(bytes);
        input
    };
    let mut seeds = Vec::new();
    // Three 32-byte records: centre, scale, RGBA, orientation bytes (w x y z).
    let mut records = Vec::new();
    for i in 0..3u8 {
        let f = f32::from(i);
        for v in [f, -f, 0.5 * f, 0.1, 0.2, 0.05] {
            records.extend_from_slice(&f32::to_le_bytes(v));
        }
        records.extend_from_slice(&[200, 100 + i, 50, 255, 255, 128, 128, 128]);
    }
    seeds.push(Seed {
        target: Target::Splats,
        name: "three.splat".into(),
        input: with_kind(fuzz::SPLATS_SPLAT, &records),
        file: ("splat", records),
        expect: Expect::Splats(3),
    });
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for name in [
        "reference_l1_sh2.ksplat",
        "reference_l2_sh2_sections.ksplat",
    ] {
        let bytes = std::fs::read(data.join("ksplat").join(name)).expect("reference ksplat");
        seeds.push(Seed {
            target: Target::Splats,
            name: name.into(),
            input: with_kind(fuzz::SPLATS_KSPLAT, &bytes),
            file: ("ksplat", bytes),
            expect: Expect::Splats(64),
        });
    }
    let sog = std::fs::read(data.join("sog/reference_sh3.sog")).expect("reference sog");
    seeds.push(Seed {
        target: Target::Splats,
        name: "reference_sh3.sog".into(),
        input: with_kind(fuzz::SPLATS_SOG, &sog),
        file: ("sog", sog.clone()),
        expect: Expect::Splats(64),
    });
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&sog)).expect("zip");
    let mut parts = vec![fuzz::SPLATS_SOG_PARTS];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("name").into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).expect("read entry");
        parts.push(name.len() as u8);
        parts.extend_from_slice(name.as_bytes());
        parts.extend_from_slice(&(data.len() as u32).to_le_bytes());
        parts.extend_from_slice(&data);
    }
    let rebuilt = fuzz::zip_from_parts(&parts[1..]);
    seeds.push(Seed {
        target: Target::Splats,
        name: "reference_sh3.sog-parts".into(),
        input: parts,
        file: ("sog", rebuilt),
        expect: Expect::Splats(64),
    });
    seeds
}

fn seeds() -> Vec<Seed> {
    let mut all = ply_seeds();
    all.extend(spz_seeds());
    all.extend(gltf_seeds());
    all.extend(splats_seeds());
    all
}

fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds")
}

// ---------------------------------------------------------------------------------------------
// Tests

fn assert_expected(seed: &Seed, imported: &Imported) {
    let scene = &imported.scene;
    let count =
        |f: fn(&worldsmith::scene::NodeKind) -> bool| scene.nodes().filter(|n| f(&n.kind)).count();
    use worldsmith::scene::NodeKind as K;
    match seed.expect {
        Expect::Triangles(t) => {
            let triangles: Vec<usize> = scene.meshes().map(|(_, m)| m.triangle_count()).collect();
            assert_eq!(triangles, [t], "{}", seed.name);
        }
        Expect::MeshParts(parts) => {
            let triangles: Vec<usize> = scene.meshes().map(|(_, m)| m.triangle_count()).collect();
            assert_eq!(triangles, parts, "{}", seed.name);
        }
        Expect::Points(n) => {
            let points: Vec<usize> = scene.point_clouds().map(|(_, c)| c.len()).collect();
            assert_eq!(points, [n], "{}", seed.name);
        }
        Expect::Splats(n) => {
            let splats: Vec<usize> = scene.splat_clouds().map(|(_, c)| c.len()).collect();
            assert_eq!(splats, [n], "{}", seed.name);
        }
        Expect::Scene {
            meshes,
            lights,
            cameras,
        } => {
            assert_eq!(
                count(|k| matches!(k, K::Mesh { .. })),
                meshes,
                "{}",
                seed.name
            );
            assert_eq!(count(|k| matches!(k, K::Light(_))), lights, "{}", seed.name);
            assert_eq!(
                count(|k| matches!(k, K::Camera(_))),
                cameras,
                "{}",
                seed.name
            );
            assert_eq!(scene.images().count(), 1, "{}: the PNG decodes", seed.name);
            let shots = &scene.timeline().shots;
            assert!(
                shots.len() == 1
                    && shots[0]
                        .tracks
                        .iter()
                        .map(|t| t.keys().len())
                        .sum::<usize>()
                        == 27,
                "{}: the animation (linear and step: sampled on each frame of 1 s; a roughness \
                 pointer: two keys) is a shot",
                seed.name
            );
            assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
        }
    }
}

#[test]
fn every_seed_is_a_valid_file_and_passes_its_harness() {
    let seeds = seeds();
    for target in TARGETS {
        assert!(
            seeds.iter().filter(|s| s.target == target).count() >= 3,
            "{target:?} has too few seeds"
        );
    }
    for seed in &seeds {
        let (ext, bytes) = &seed.file;
        let path = PathBuf::from(format!("seed.{ext}"));
        let imported = import_bytes(&path, bytes)
            .unwrap_or_else(|e| panic!("seed {} does not import: {e}", seed.name));
        assert_expected(seed, &imported);
        seed.target.run(&seed.input);
    }
}

#[test]
fn committed_seeds_are_the_generated_ones() {
    let bless = std::env::var("WORLDSMITH_BLESS").is_ok_and(|v| v == "1");
    let seeds = seeds();
    for target in TARGETS {
        let dir = seed_dir().join(target.dir());
        if bless {
            std::fs::remove_dir_all(&dir).ok();
            std::fs::create_dir_all(&dir).expect("create the seed folder");
        }
        let mut committed: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| {
                e.expect("list seeds")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        committed.sort();
        let mut generated = Vec::new();
        for seed in seeds.iter().filter(|s| s.target == target) {
            let path = dir.join(&seed.name);
            if bless {
                std::fs::write(&path, &seed.input).expect("write seed");
                committed.push(seed.name.clone());
                committed.sort();
            }
            let on_disk = std::fs::read(&path).unwrap_or_default();
            assert!(
                on_disk == seed.input,
                "{} differs from the generator: rerun with WORLDSMITH_BLESS=1",
                path.display()
            );
            generated.push(seed.name.clone());
        }
        generated.sort();
        assert_eq!(committed, generated, "stale files in {}", dir.display());
    }
    let total: u64 = seeds.iter().map(|s| s.input.len() as u64).sum();
    assert!(total < 256 * 1024, "the committed seeds take {total} bytes");
}

#[test]
fn khronos_samples_pass_the_gltf_harness() {
    let mut files = 0;
    let mut stack = vec![common::testdata()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("list testdata") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "glb" || e == "gltf") {
                fuzz::gltf(&std::fs::read(&path).expect("read sample"));
                files += 1;
            }
        }
    }
    assert!(files >= 5, "only {files} samples");
}

#[test]
fn harnesses_survive_empty_and_tiny_inputs() {
    for data in [
        &b""[..],
        b"\0",
        b"\0\0",
        b"\0\xff\xff",
        b"ply",
        b"glTF",
        b"{",
        b"NGSP",
    ] {
        fuzz::ply(data);
        fuzz::spz(data);
        fuzz::gltf(data);
    }
}

// ---------------------------------------------------------------------------------------------
// Regressions: what the fuzzer found

/// fuzz_spz, first minutes: an SPZ version 1 file stores centres as float16, which can encode
/// NaN and infinity; they reached the scene (and the renderer's bounds and depth sort).
#[test]
fn spz_v1_non_finite_centres_are_replaced_and_named() {
    // The fuzzer's input: SPZ_STREAM, then a v1 stream of 3 splats whose first centre holds
    // 0x7e00 (NaN) in z.
    let crash: [u8; 65] = [
        0x00, 0x4e, 0x47, 0x53, 0x50, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x0c,
        0x00, 0x00, 0x00, 0x00, 0x00, 0xbc, 0x00, 0x7e, 0x00, 0xc0, 0x00, 0x38, 0x00, 0xb8, 0x00,
        0xbe, 0x00, 0x3c, 0x00, 0x00, 0x00, 0xbc, 0xa0, 0x73, 0x4b, 0xbb, 0x50, 0x64, 0x78, 0x8c,
        0xa0, 0xb4, 0xc8, 0xdc, 0x5a, 0x5d, 0x60, 0x63, 0x66, 0x6f, 0x72, 0x80, 0x64, 0x80, 0x80,
        0x8c, 0x8c, 0x65, 0x66, 0x8c,
    ];
    fuzz::spz(&crash);

    // The same by construction: +inf in y of splat 0, NaN in z of splat 2, the rest kept.
    let mut stream = spz_stream(1, 3, 0, 0);
    stream[16 + 2..16 + 4].copy_from_slice(&f16::INFINITY.to_le_bytes());
    stream[16 + 12 + 4..16 + 12 + 6].copy_from_slice(&f16::NAN.to_le_bytes());
    let imported = import_bytes(Path::new("nan.spz"), &gzip(&stream)).expect("imports");
    let clouds: Vec<_> = imported
        .scene
        .splat_clouds()
        .map(|(_, c)| c.clone())
        .collect();
    let [cloud] = clouds.as_slice() else {
        panic!("{} clouds", clouds.len())
    };
    assert_eq!(cloud.positions[0], [0.0, 0.0, -2.0]);
    assert_eq!(cloud.positions[1], [0.5, -0.5, -1.5]);
    assert_eq!(cloud.positions[2], [1.0, 0.0, 0.0]);
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.starts_with("nan.spz: 2 splats had a non-finite centre")),
        "{:?}",
        imported.warnings
    );
}

/// fuzz_splats, first minutes (55 inputs): a `.ksplat` file's SH coefficients are floats that
/// can be NaN or infinite; they reached the scene. Now they are 0, and the splat is counted in
/// the warning.
#[test]
fn ksplat_non_finite_sh_coefficients_are_replaced_and_named() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ksplat");
    let level1 = std::fs::read(data.join("reference_l1_sh2.ksplat")).expect("reference");
    // The first splat of the only section: after the partly filled buckets' lengths and the
    // bucket centres; its SH after 10 half floats and 4 colour bytes.
    let word = |at: usize| u32::from_le_bytes(level1[at..at + 4].try_into().unwrap()) as usize;
    let buckets = word(4096 + 12) * usize::from(u16::from_le_bytes([level1[4116], level1[4117]]));
    let first_sh = 4096 + 1024 + word(4096 + 36) * 4 + buckets + 24;
    for (value, name) in [(f16::NAN, "nan.ksplat"), (f16::INFINITY, "inf.ksplat")] {
        let mut bytes = level1.clone();
        bytes[first_sh + 2..first_sh + 4].copy_from_slice(&value.to_le_bytes());
        let mut input = vec![fuzz::SPLATS_KSPLAT];
        input.extend_from_slice(&bytes);
        fuzz::splats(&input);
        let imported = import_bytes(Path::new(name), &bytes).expect("imports");
        let clean = import_bytes(Path::new("clean.ksplat"), &level1).expect("imports");
        let sh = |imported: &Imported| {
            imported
                .scene
                .splat_clouds()
                .flat_map(|(_, c)| c.sh_rest.clone())
                .collect::<Vec<_>>()
        };
        let (got, want) = (sh(&imported), sh(&clean));
        assert!(got.iter().all(|v| v.is_finite()));
        // Stored channel by channel: the second value is coefficient 1 of red, at 1 · 3 + 0.
        assert_eq!(got[3], f16::ZERO);
        let differ = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(differ, 1, "only that value changes");
        assert!(
            imported.warnings.iter().any(|w| w.starts_with(&format!(
                "{name}: 1 splats had a non-finite or negative centre, scale or SH"
            ))),
            "{:?}",
            imported.warnings
        );
    }
}

/// fuzz_gltf, first minutes: a GLB header whose total length is below its own 12 bytes made
/// the `gltf` crate subtract with overflow (a panic in debug builds, where dependencies keep
/// overflow checks).
#[test]
fn a_glb_length_shorter_than_its_header_is_an_error() {
    let mut bytes = b"glTF".to_vec();
    bytes.extend_from_slice(&2u32.to_le_bytes());
    bytes.extend_from_slice(&2u32.to_le_bytes()); // total length 2
    bytes.extend_from_slice(&8u32.to_le_bytes());
    bytes.extend_from_slice(b"JSON{}      ");
    let error = import_bytes(Path::new("short.glb"), &bytes).expect_err("refused");
    let message = error.to_string();
    assert!(
        message.starts_with(
            "short.glb: not a valid glTF file: the GLB header gives a total length of 2 bytes"
        ),
        "{message}"
    );
    fuzz::gltf(&bytes);
}

/// fuzz_gltf, 2026-12-01, after 7 minutes (1.44 million inputs): a KTX2 header claiming
/// 2³² − 1 pixels a side made the image budget's size estimate overflow (a panic with overflow
/// checks, a wrapped and too small estimate without). Now the estimate saturates and the image
/// is refused with a warning naming the file and image; the model still loads.
#[test]
fn a_ktx2_header_of_four_billion_pixels_a_side_is_a_warning() {
    let (mut glb, ktx2) = common::ktx2_triangle_glb();
    glb[ktx2 + 20..ktx2 + 28].fill(0xff); // pixelWidth, pixelHeight
    let imported = import_bytes(Path::new("huge.glb"), &glb).expect("loads without the texture");
    assert_eq!(imported.scene.images().count(), 0);
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.starts_with("huge.glb: image 0") && w.contains("GiB")),
        "{:?}",
        imported.warnings
    );
    fuzz::gltf(&glb);
}

/// fuzz_gltf, after 7 seconds (2026-12-01): glTF splat values that are not finite (or SH
/// beyond half-float range) came through as infinite SH coefficients (and could as colours,
/// centres and scales). Now they are 0 (SH clamped to the half-float range) with a warning.
#[test]
fn gaussian_splat_values_that_are_not_finite_become_zero_with_a_warning() {
    let (json, mut bin) = crate::import_gltf_splats::splat_gltf(|_| {});
    // Views: 0 positions, 2 scales, 4 SH degree 0, 5..7 SH degree 1 (float triples).
    let mut put = |view: usize, index: usize, value: f32| {
        let at = json["bufferViews"][view]["byteOffset"]
            .as_u64()
            .expect("offset") as usize
            + 4 * index;
        bin[at..at + 4].copy_from_slice(&value.to_le_bytes());
    };
    put(0, 1, f32::NAN); // splat 0, centre y
    put(2, 3, f32::INFINITY); // splat 1, scale x
    put(2, 4, -0.25); // splat 1, scale y: negative, finite
    put(4, 8, f32::NEG_INFINITY); // splat 2, degree 0 blue
    put(5, 0, 1e30); // splat 0, degree 1 coefficient 0 red: finite, beyond f16
    put(6, 4, f32::NAN); // splat 1, degree 1 coefficient 1 green
    let glb = common::glb(&serde_json::to_vec(&json).expect("JSON"), &bin);
    let imported = import_bytes(Path::new("nan.glb"), &glb).expect("imports");
    let (_, cloud) = imported.scene.splat_clouds().next().expect("a cloud");
    assert_eq!(cloud.positions[0], [-1.0, 0.0, 0.0]);
    assert_eq!(cloud.scales[1], [0.0, 0.25, 0.3]);
    assert_eq!(cloud.colors[2][2], 0.0);
    assert_eq!(cloud.sh_rest[0], half::f16::MAX);
    assert_eq!(cloud.sh_rest[9 + 3 + 1], half::f16::ZERO);
    assert!(
        imported.warnings.iter().any(|w| w.starts_with("nan.glb: ")
            && w.ends_with("3 splats had values that are not finite (replaced by 0)")),
        "{:?}",
        imported.warnings
    );
    fuzz::gltf(&glb);
}

/// fuzz_gltf, after 5 minutes: an image with neither `uri` nor `bufferView` (here a misspelt
/// `uri`), or with a `bufferView` but no `mimeType`, passes the `gltf` crate's validation and
/// then panics in its `Image::source`. Now the image is left empty with a warning.
#[test]
fn an_image_without_a_source_or_mime_type_is_a_warning() {
    for (image, problem) in [
        (r#"{"ukri":"a.png"}"#, "neither a uri nor a bufferView"),
        (r#"{"bufferView":0}"#, "a bufferView but no mimeType"),
    ] {
        let json = format!(
            r#"{{"asset":{{"version":"2.0"}},"images":[{image}],
            "buffers":[{{"uri":"data:application/octet-stream;base64,AAAAAA==","byteLength":4}}],
            "bufferViews":[{{"buffer":0,"byteLength":4}}]}}"#
        );
        let imported = import_bytes(Path::new("img.gltf"), json.as_bytes()).expect("imports");
        assert_eq!(imported.scene.images().count(), 0);
        assert!(
            imported.warnings.iter().any(|w| w
                .starts_with("img.gltf: image 0 ('Image_0') left empty")
                && w.contains(problem)),
            "{:?}",
            imported.warnings
        );
        fuzz::gltf(json.as_bytes());
    }
}

/// fuzz_gltf, minutes after glTF POINTS primitives opened as point clouds: positions that are
/// NaN or infinite (as read, or once morphed) reached the cloud (and its bounds and framing).
#[test]
fn gltf_points_that_are_not_finite_are_left_out() {
    fuzz::gltf(include_bytes!("data/fuzz/gltf_points_nan.glb"));
    fuzz::gltf(include_bytes!("data/fuzz/gltf_points_nan.gltf"));

    // By construction: the seed cloud's second point at x = +inf.
    let mut points = crate::import_gltf_points::points_gltf();
    let uri = points["buffers"][0]["uri"]
        .as_str()
        .expect("a data URI")
        .to_owned();
    let (head, data) = uri.split_once(',').expect("data URI");
    let mut bin =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).expect("base64");
    bin[12..16].copy_from_slice(&f32::INFINITY.to_le_bytes());
    points["buffers"][0]["uri"] = serde_json::json!(format!(
        "{head},{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bin)
    ));
    let json = serde_json::to_vec(&points).expect("JSON");
    let imported = import_bytes(Path::new("inf.gltf"), &json).expect("imports");
    let warnings = imported.warnings.join("\n");
    assert!(
        warnings.contains(
            "mesh 'Scan' primitive 0: 1 point(s) with coordinates that are not finite numbers \
             left out"
        ),
        "{warnings}"
    );
    let node = imported.scene.find("Cloud").expect("Cloud");
    let worldsmith::scene::NodeKind::Points { cloud, .. } =
        imported.scene.node(node).expect("node").kind
    else {
        panic!("a point cloud")
    };
    let cloud = imported.scene.point_cloud(cloud).expect("cloud");
    assert_eq!(cloud.len(), 2);
    assert_eq!(cloud.colors.len(), 2);
    assert_eq!(cloud.normals.len(), 2);
    // Points 0 and 2 are left, with their own colours.
    assert_eq!(cloud.colors, [[128, 92, 128, 255], [0, 188, 0, 255]]);
}
