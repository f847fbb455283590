//! PLY (Stanford polygon format) into a triangle mesh, a point cloud or 3D Gaussian splats.
//!
//! All three encodings (ASCII, binary little- and big-endian) are read through a `BufReader`,
//! never slurped: the header (at most [`MAX_HEADER_BYTES`]) says what each row holds, every
//! element count is checked against the bytes left in the file before anything is allocated,
//! every list length against the bytes left, and every face index against the vertex count.
//! Properties are found by name, never by position, so writers may reorder or add them.
//! Binary vertex rows of fixed size (the multi-gigabyte splat case) are read in large blocks
//! and decoded in parallel straight into the final structure-of-arrays.
//!
//! What the file holds decides what it becomes ([`PlyContent`]):
//! - a `vertex` element with the INRIA 3DGS properties (`f_dc_*`, `opacity`, `scale_*`,
//!   `rot_*`) is a [`SplatCloud`];
//! - otherwise a `face` element with at least one face makes a [`Mesh`] (polygons are
//!   fan-triangulated);
//! - otherwise the vertices are a [`PointCloud`].
//!
//! Frames: splat data is kept exactly as the file has it, in the OpenCV/COLMAP frame of 3DGS
//! training (x right, y down, z forward). [`import_ply`] puts it under a node rotated by
//! [`GL_FROM_CV`] into worldsmith's Y-up, -Z-forward frame, so the node can be edited or
//! aligned without touching millions of splats. Meshes and point clouds are taken as Y-up.

mod compressed;

use super::{ImportError, Imported, Progress};
use crate::scene::color::srgb_to_linear;
use crate::scene::{
    Image, Material, Mesh, NodeKind, PointCloud, SH_C0, Sampler, Scene, SplatCloud, TextureRef,
    Transform,
};
use glam::{DVec4, Quat};
use half::f16;
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::Path;

/// Longest header accepted; real headers are a few hundred bytes.
pub const MAX_HEADER_BYTES: u64 = 64 * 1024;

/// Rotation taking the OpenCV/COLMAP camera frame of 3DGS PLY files (x right, y down,
/// z forward) to worldsmith's frame (x right, y up, z backward): half a turn about x.
/// Equal to `Quat::from_rotation_x(PI)`, written out so that it can be a constant.
pub const GL_FROM_CV: Quat = Quat::from_xyzw(1.0, 0.0, 0.0, 0.0);

/// Bytes read and decoded at once on the fast binary path.
const BLOCK_BYTES: usize = 8 << 20;
/// Rows per parallel task on the fast binary path.
const ROWS_PER_TASK: usize = 16 * 1024;
/// Rows between progress updates and cancel checks on the row-by-row paths.
const ROWS_PER_CHECK: u64 = 64 * 1024;
/// Longest ASCII token accepted (the longest decimal `f64` is far shorter).
const MAX_TOKEN_BYTES: usize = 128;

/// What a PLY file holds, in worldsmith's data types.
#[derive(Debug)]
pub enum PlyContent {
    /// Triangles (from a `face` element), with vertex colours converted to linear.
    Mesh(Mesh),
    /// Vertices without faces; with the segments of an `edge` element (`vertex1`,
    /// `vertex2`) when the file has one, a line set.
    Points(PointCloud),
    /// INRIA-layout Gaussian splats, raw OpenCV frame (see [`GL_FROM_CV`]).
    Splats(SplatCloud),
}

/// Reads the PLY file at `path`, reporting progress in bytes and stopping when cancelled.
/// Returns the content and the recoverable problems (each naming the file).
pub fn read_ply(
    path: &Path,
    progress: &Progress,
) -> Result<(PlyContent, Vec<String>), ImportError> {
    read_ply_file(path, progress).map(|read| (read.content, read.warnings))
}

/// [`read_ply_bytes`] of a file already in memory; `path` only names it in messages.
pub fn read_ply_bytes(
    path: &Path,
    bytes: &[u8],
    progress: &Progress,
) -> Result<(PlyContent, Vec<String>), ImportError> {
    read_ply_memory(path, bytes, progress).map(|read| (read.content, read.warnings))
}

/// What a PLY file holds, its warnings and the texture files its header names.
struct PlyRead {
    content: PlyContent,
    warnings: Vec<String>,
    texture_files: Vec<String>,
    /// The `texnumber` of each triangle of a mesh, where its faces have one.
    triangle_textures: Vec<u32>,
}

fn read_ply_file(path: &Path, progress: &Progress) -> Result<PlyRead, ImportError> {
    let io_error = |error| ImportError::io(path, error);
    let handle = File::open(path).map_err(io_error)?;
    let len = handle.metadata().map_err(io_error)?.len();
    read_ply_from(path, handle, len, progress)
}

fn read_ply_memory(path: &Path, bytes: &[u8], progress: &Progress) -> Result<PlyRead, ImportError> {
    read_ply_from(
        path,
        std::io::Cursor::new(bytes),
        bytes.len() as u64,
        progress,
    )
}

/// Reads PLY data of `len` bytes from `source`; `path` names it in messages.
fn read_ply_from<R: Read + Seek>(
    path: &Path,
    source: R,
    len: u64,
    progress: &Progress,
) -> Result<PlyRead, ImportError> {
    let file_name = path.display().to_string();
    progress.begin(len);
    // A small file gets a buffer of its own size, not the 1 MiB that large splat files need.
    let capacity = usize::try_from(len).map_or(1 << 20, |len| len.clamp(64, 1 << 20));
    let mut reader = BufReader::with_capacity(capacity, source);
    let mut warnings = Vec::new();
    let header = parse_header(&file_name, &mut reader, &mut warnings)?;
    let plan = plan(&file_name, &header, &mut warnings)?;
    let mut body = Body {
        reader,
        format: header.format,
        pos: header.len,
        len,
        line: header.lines + 1,
        file: file_name,
        path,
        progress,
        token: Vec::new(),
        extra_values: None,
    };
    progress.set_done(body.pos);
    let (content, triangle_textures) = body.read(&header, plan, &mut warnings)?;
    progress.set_done(len);
    Ok(PlyRead {
        content,
        warnings,
        texture_files: header.texture_files,
        triangle_textures,
    })
}

/// Imports a PLY file as a scene with one node named after the file.
pub(super) fn import_ply(path: &Path, progress: &Progress) -> Result<Imported, ImportError> {
    Ok(scene_from(path, read_ply_file(path, progress)?))
}

/// [`import_ply`] of a file already in memory; `path` names it and locates its textures.
pub(super) fn import_ply_bytes(
    path: &Path,
    bytes: &[u8],
    progress: &Progress,
) -> Result<Imported, ImportError> {
    Ok(scene_from(path, read_ply_memory(path, bytes, progress)?))
}

/// Largest texture file read for a PLY mesh (the decoder has its own limits on pixels).
const MAX_TEXTURE_FILE_BYTES: u64 = 512 << 20;

/// The texture image `name` (a `comment TextureFile` line) of the PLY file at `path`: a
/// file in the PLY's folder or below it, decoded to RGBA8. The problem names the file.
fn texture_image(path: &Path, name: &str) -> Result<Image, String> {
    let relative = Path::new(name);
    if !relative
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!(
            "texture file '{name}' is not inside the PLY file's folder; it is not read"
        ));
    }
    let file = path.parent().unwrap_or(Path::new("")).join(relative);
    let size = std::fs::metadata(&file)
        .map_err(|e| format!("texture file {}: {e}", file.display()))?
        .len();
    if size > MAX_TEXTURE_FILE_BYTES {
        return Err(format!(
            "texture file {} is {size} bytes, more than the {} MiB read for a texture",
            file.display(),
            MAX_TEXTURE_FILE_BYTES >> 20
        ));
    }
    let bytes =
        std::fs::read(&file).map_err(|e| format!("texture file {}: {e}", file.display()))?;
    let rgba = super::gltf::decode_rgba(&bytes)
        .map_err(|e| format!("texture file {}: {e}", file.display()))?;
    let (w, h) = rgba.dimensions();
    let image = Image::new(name, w, h, rgba.into_raw())
        .ok_or_else(|| format!("texture file {}: not a usable image size", file.display()))?;
    Ok(match super::encoded_source(bytes) {
        Some(source) => image.with_source(source),
        None => image,
    })
}

/// The mesh of a PLY file as nodes: one named `name`, or with several texture files (a
/// face `texnumber` picks one) a node `name` with one child per texture the faces use. A
/// texture (MeshLab, OpenMVS: photogrammetry), like vertex colours in generated worlds,
/// holds the captured look with its lighting baked in: shown as captured (unlit).
fn add_mesh_nodes(
    scene: &mut Scene,
    path: &Path,
    name: &str,
    mesh: Mesh,
    texture_files: &[String],
    triangle_textures: &[u32],
    warnings: &mut Vec<String>,
) {
    let file = path.display().to_string();
    let textured = !texture_files.is_empty() && !mesh.uvs.is_empty();
    if !texture_files.is_empty() && mesh.uvs.is_empty() {
        warnings.push(format!(
            "{file}: the header names a texture file but the mesh has no texture coordinates; \
             it is not shown"
        ));
    }
    let parts =
        if textured && texture_files.len() > 1 && triangle_textures.len() * 3 == mesh.indices.len()
        {
            mesh_parts_by_texture(&mesh, triangle_textures)
        } else {
            vec![(0, mesh)]
        };
    let mut images = HashMap::new();
    let mut out_of_range = 0;
    let single = parts.len() == 1;
    let parent =
        (!single).then(|| scene.add_node(None, name, Transform::IDENTITY, NodeKind::Empty));
    let mut colours_left_out = false;
    for (texture, mut part) in parts {
        let texture_file = texture_files.get(texture as usize).filter(|_| textured);
        if textured && texture_file.is_none() {
            out_of_range += part.indices.len() / 3;
        }
        let image = texture_file.and_then(|texture_file| {
            *images
                .entry(texture)
                .or_insert_with(|| match texture_image(path, texture_file) {
                    Ok(image) => Some(scene.add_image(image)),
                    Err(problem) => {
                        warnings.push(format!("{file}: {problem}"));
                        None
                    }
                })
        });
        if image.is_some() && !part.colors.is_empty() {
            part.colors.clear();
            colours_left_out = true;
        }
        let material = match image {
            Some(image) => Material {
                unlit: true,
                base_color_texture: Some(TextureRef::new(image, Sampler::default())),
                ..Material::named(
                    texture_file.map_or("Captured texture", String::as_str),
                    [1.0; 4],
                    1.0,
                )
            },
            None if part.colors.is_empty() => Material::default(),
            None => Material {
                unlit: true,
                ..Material::named("Captured colour", [1.0; 4], 1.0)
            },
        };
        let node_name = match (single, texture_file) {
            (true, _) => name.to_owned(),
            (false, Some(texture_file)) => Path::new(texture_file).file_stem().map_or_else(
                || format!("{name}_{texture}"),
                |s| s.to_string_lossy().into_owned(),
            ),
            (false, None) => format!("{name}_{texture}"),
        };
        let material = scene.add_material(material);
        let mesh = scene.add_mesh(part);
        scene.add_node(
            parent,
            &node_name,
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        );
    }
    if colours_left_out {
        warnings.push(format!(
            "{file}: the vertex colours are left out where the texture shows the colours"
        ));
    }
    if out_of_range > 0 {
        warnings.push(format!(
            "{file}: {out_of_range} faces' texnumber names no texture file of the header (it \
             names {}); they show untextured",
            texture_files.len()
        ));
    }
}

/// `mesh` split by the texture each triangle uses (`triangle_textures`, one per triangle),
/// in order of texture number, each part with only its own vertices.
fn mesh_parts_by_texture(mesh: &Mesh, triangle_textures: &[u32]) -> Vec<(u32, Mesh)> {
    let mut textures: Vec<u32> = triangle_textures.to_vec();
    textures.sort_unstable();
    textures.dedup();
    textures
        .into_iter()
        .map(|texture| {
            let mut new_index = HashMap::new();
            let mut source = Vec::new();
            let indices = (mesh.indices.chunks_exact(3).zip(triangle_textures))
                .filter(|&(_, &t)| t == texture)
                .flat_map(|(triangle, _)| triangle.iter().copied())
                .map(|i| {
                    *new_index.entry(i).or_insert_with(|| {
                        source.push(i as usize);
                        (source.len() - 1) as u32
                    })
                })
                .collect();
            let part = Mesh::new(
                gather(&mesh.positions, &source),
                gather(&mesh.normals, &source),
                gather(&mesh.uvs, &source),
                gather(&mesh.colors, &source),
                indices,
            );
            (texture, part)
        })
        .collect()
}

/// The vertex attribute `values` of the vertices `source` names, in that order (an attribute
/// the mesh does not have stays empty).
fn gather<T: Copy>(values: &[T], source: &[usize]) -> Vec<T> {
    if values.is_empty() {
        Vec::new()
    } else {
        source.iter().map(|&i| values[i]).collect()
    }
}

/// One node named after the file holding `read`'s content.
fn scene_from(path: &Path, read: PlyRead) -> Imported {
    let PlyRead {
        content,
        mut warnings,
        texture_files,
        triangle_textures,
    } = read;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Imported".into());
    let mut scene = Scene::new(&name);
    match content {
        PlyContent::Mesh(mesh) => add_mesh_nodes(
            &mut scene,
            path,
            &name,
            mesh,
            &texture_files,
            &triangle_textures,
            &mut warnings,
        ),
        PlyContent::Points(cloud) => {
            let lines = !cloud.segments.is_empty();
            let cloud = scene.add_point_cloud(cloud);
            let kind = if lines {
                NodeKind::Lines {
                    cloud,
                    width_px: crate::scene::DEFAULT_LINE_WIDTH_PX,
                }
            } else {
                NodeKind::Points {
                    cloud,
                    point_size_px: crate::scene::DEFAULT_POINT_SIZE_PX,
                }
            };
            scene.add_node(None, &name, Transform::IDENTITY, kind);
        }
        PlyContent::Splats(cloud) => {
            let cloud = scene.add_splat_cloud(cloud);
            scene.add_node(
                None,
                &name,
                Transform::IDENTITY.with_rotation(GL_FROM_CV),
                NodeKind::Splats { cloud },
            );
        }
    }
    Imported { scene, warnings }
}

// ---------------------------------------------------------------------------------------------
// Header

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Ascii,
    BinaryLe,
    BinaryBe,
}

/// A PLY scalar type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Scalar {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    #[default]
    F32,
    F64,
}

impl Scalar {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "char" | "int8" => Self::I8,
            "uchar" | "uint8" => Self::U8,
            "short" | "int16" => Self::I16,
            "ushort" | "uint16" => Self::U16,
            "int" | "int32" => Self::I32,
            "uint" | "uint32" => Self::U32,
            "float" | "float32" => Self::F32,
            "double" | "float64" => Self::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Self::I8 | Self::U8 => 1,
            Self::I16 | Self::U16 => 2,
            Self::I32 | Self::U32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    fn is_integer(self) -> bool {
        !matches!(self, Self::F32 | Self::F64)
    }

    /// Fraction of full scale for a colour channel: 0..=255 for 8-bit and other integer
    /// types, 0..=65535 for 16-bit unsigned, 0..=1 for floats.
    fn unit(self, v: f32) -> f32 {
        match self {
            Self::U16 => v / 65535.0,
            Self::F32 | Self::F64 => v,
            _ => v / 255.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Scalar(Scalar),
    List { count: Scalar, item: Scalar },
}

#[derive(Clone, Debug)]
struct Property {
    name: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
struct Element {
    name: String,
    count: u64,
    properties: Vec<Property>,
}

impl Element {
    /// Bytes per binary row when every property is a scalar.
    fn fixed_row_size(&self) -> Option<usize> {
        self.properties.iter().try_fold(0, |size, p| match p.kind {
            Kind::Scalar(s) => Some(size + s.size()),
            Kind::List { .. } => None,
        })
    }

    /// The fewest bytes a binary row can take (lists empty).
    fn min_row_size(&self) -> u64 {
        self.properties
            .iter()
            .map(|p| match p.kind {
                Kind::Scalar(s) | Kind::List { count: s, .. } => s.size() as u64,
            })
            .sum()
    }

    /// The scalar property `name`, with its byte offset in a fixed-size row.
    fn field(&self, name: &str) -> Option<Field> {
        let mut offset = 0;
        for (index, p) in self.properties.iter().enumerate() {
            match p.kind {
                Kind::Scalar(ty) if p.name == name => return Some(Field { index, offset, ty }),
                Kind::Scalar(ty) => offset += ty.size(),
                Kind::List { .. } => {}
            }
        }
        None
    }

    fn fields<const N: usize>(&self, names: [&str; N]) -> Option<[Field; N]> {
        let mut out = [Field::default(); N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = self.field(name)?;
        }
        Some(out)
    }
}

#[derive(Debug)]
struct Header {
    format: Format,
    elements: Vec<Element>,
    /// Image files named by `comment TextureFile …` lines (MeshLab, OpenMVS), in order: a
    /// face's `texnumber` picks one.
    texture_files: Vec<String>,
    /// Bytes up to and including the `end_header` line.
    len: u64,
    lines: u64,
}

fn header_error(file: &str, line: u64, problem: impl Into<String>) -> ImportError {
    ImportError::PlyHeader {
        file: file.into(),
        line,
        problem: problem.into(),
    }
}

fn parse_header(
    file: &str,
    reader: &mut impl BufRead,
    warnings: &mut Vec<String>,
) -> Result<Header, ImportError> {
    let mut limited = reader.take(MAX_HEADER_BYTES);
    let mut raw = Vec::new();
    let (mut len, mut line) = (0u64, 0u64);
    let mut format = None;
    let mut elements: Vec<Element> = Vec::new();
    let mut texture_files = Vec::new();
    loop {
        raw.clear();
        let n = limited
            .read_until(b'\n', &mut raw)
            .map_err(|error| ImportError::Io {
                file: file.into(),
                error,
            })?;
        len += n as u64;
        line += 1;
        if n == 0 || !raw.ends_with(b"\n") && len >= MAX_HEADER_BYTES {
            let problem = if len == 0 {
                "the file is empty".to_string()
            } else if len >= MAX_HEADER_BYTES {
                format!("no end_header in the first {} KiB", MAX_HEADER_BYTES / 1024)
            } else {
                "the file ends before end_header".to_string()
            };
            return Err(header_error(file, line, problem));
        }
        let Ok(text) = std::str::from_utf8(&raw) else {
            return Err(header_error(
                file,
                line,
                if line == 1 {
                    "not a PLY file (it does not start with 'ply')"
                } else {
                    "the header is not text"
                },
            ));
        };
        let mut words = text.split_ascii_whitespace();
        let keyword = words.next();
        if line == 1 {
            if keyword != Some("ply") || words.next().is_some() {
                return Err(header_error(
                    file,
                    line,
                    "not a PLY file (it does not start with 'ply')",
                ));
            }
            continue;
        }
        match keyword {
            Some("comment") if words.next() == Some("TextureFile") => {
                let name = text.trim();
                let name = name
                    .strip_prefix("comment")
                    .map(str::trim_start)
                    .and_then(|n| n.strip_prefix("TextureFile"))
                    .map(str::trim)
                    .unwrap_or_default();
                if !name.is_empty() {
                    texture_files.push(name.to_owned());
                }
            }
            None | Some("comment" | "obj_info") => {}
            Some("format") => {
                let (Some(name), version) = (words.next(), words.next()) else {
                    return Err(header_error(file, line, "'format' without an encoding"));
                };
                format = Some(match name {
                    "ascii" => Format::Ascii,
                    "binary_little_endian" => Format::BinaryLe,
                    "binary_big_endian" => Format::BinaryBe,
                    _ => {
                        return Err(header_error(
                            file,
                            line,
                            format!(
                                "unknown format '{name}' (expected ascii, binary_little_endian \
                                 or binary_big_endian)"
                            ),
                        ));
                    }
                });
                if version != Some("1.0") {
                    warnings.push(format!(
                        "{file}: PLY version {} read as 1.0",
                        version.unwrap_or("(none)")
                    ));
                }
            }
            Some("element") => {
                let (Some(name), Some(count)) = (words.next(), words.next()) else {
                    return Err(header_error(
                        file,
                        line,
                        "'element' needs a name and a count",
                    ));
                };
                let Ok(count) = count.parse::<u64>() else {
                    return Err(header_error(
                        file,
                        line,
                        format!("element '{name}' has count '{count}', not a whole number"),
                    ));
                };
                elements.push(Element {
                    name: name.into(),
                    count,
                    properties: Vec::new(),
                });
            }
            Some("property") => {
                let Some(element) = elements.last_mut() else {
                    return Err(header_error(file, line, "'property' before any 'element'"));
                };
                let words: Vec<&str> = words.collect();
                let scalar = |name: &str| {
                    Scalar::parse(name).ok_or_else(|| {
                        header_error(file, line, format!("unknown property type '{name}'"))
                    })
                };
                let (kind, name) = match words.as_slice() {
                    ["list", count, item, name] => {
                        let count = scalar(count)?;
                        if !count.is_integer() {
                            return Err(header_error(
                                file,
                                line,
                                format!("list '{name}' has a non-integer count type"),
                            ));
                        }
                        (
                            Kind::List {
                                count,
                                item: scalar(item)?,
                            },
                            *name,
                        )
                    }
                    [ty, name] if *ty != "list" => (Kind::Scalar(scalar(ty)?), *name),
                    _ => {
                        return Err(header_error(
                            file,
                            line,
                            "expected 'property TYPE NAME' or 'property list COUNT ITEM NAME'",
                        ));
                    }
                };
                element.properties.push(Property {
                    name: name.into(),
                    kind,
                });
            }
            Some("end_header") => break,
            Some(other) => {
                return Err(header_error(
                    file,
                    line,
                    format!("unknown header keyword '{other}'"),
                ));
            }
        }
    }
    let Some(format) = format else {
        return Err(header_error(file, line, "the header has no 'format' line"));
    };
    Ok(Header {
        format,
        elements,
        texture_files,
        len,
        lines: line,
    })
}

// ---------------------------------------------------------------------------------------------
// What to read

/// Where one scalar property sits in a row: its index among the element's properties and, for
/// rows of fixed size, its byte offset.
#[derive(Clone, Copy, Debug, Default)]
struct Field {
    index: usize,
    offset: usize,
    ty: Scalar,
}

/// The colour properties of a vertex, if any.
#[derive(Clone, Copy, Debug)]
struct ColorFields {
    rgb: [Field; 3],
    alpha: Option<Field>,
}

#[derive(Debug)]
struct SplatFields {
    position: [Field; 3],
    dc: [Field; 3],
    opacity: Field,
    scale: [Field; 3],
    /// File order w, x, y, z.
    rotation: [Field; 4],
    sh_degree: u8,
    /// `f_rest_*` in our splat-major order: entry `k · 3 + c` is coefficient `k`, channel `c`.
    rest: Vec<Field>,
}

#[derive(Debug)]
struct MeshFields {
    position: [Field; 3],
    normal: Option<[Field; 3]>,
    color: Option<ColorFields>,
    uv: Option<[Field; 2]>,
}

#[derive(Debug)]
struct PointFields {
    position: [Field; 3],
    normal: Option<[Field; 3]>,
    color: Option<ColorFields>,
}

#[derive(Debug)]
enum Plan {
    Splats(SplatFields),
    Mesh {
        vertex: MeshFields,
        /// Index of the `face` element and of its index-list property.
        face: usize,
        indices: usize,
        /// The face's `texcoord` list (MeshLab, OpenMVS): u, v per corner.
        texcoord: Option<usize>,
        /// The face's `texnumber`: which of the header's texture files it uses.
        texnumber: Option<usize>,
    },
    Points {
        vertex: PointFields,
        /// Index of the `edge` element and its two vertex-index properties, if any.
        edges: Option<(usize, EdgeFields)>,
    },
    /// PlayCanvas / SuperSplat compressed splats.
    Compressed(Box<compressed::CompressedFields>),
}

fn ply_error(file: &str, problem: impl Into<String>) -> ImportError {
    ImportError::Ply {
        file: file.into(),
        problem: problem.into(),
    }
}

fn plan(file: &str, header: &Header, warnings: &mut Vec<String>) -> Result<Plan, ImportError> {
    if let Some(fields) = compressed::plan_compressed(file, header, warnings) {
        return fields.map(|f| Plan::Compressed(Box::new(f)));
    }
    let Some(vertex) = header.elements.iter().find(|e| e.name == "vertex") else {
        return Err(ply_error(file, "the file has no 'vertex' element"));
    };
    let Some(position) = vertex.fields(["x", "y", "z"]) else {
        return Err(ply_error(
            file,
            "the vertex element has no scalar x, y and z properties",
        ));
    };
    if vertex.count == 0 {
        warnings.push(format!("{file}: the file has no vertices"));
    }
    let normal = vertex.fields(["nx", "ny", "nz"]);
    if let (Some(dc), Some([opacity]), Some(scale), Some(rotation)) = (
        vertex.fields(["f_dc_0", "f_dc_1", "f_dc_2"]),
        vertex.fields(["opacity"]),
        vertex.fields(["scale_0", "scale_1", "scale_2"]),
        vertex.fields(["rot_0", "rot_1", "rot_2", "rot_3"]),
    ) {
        let (sh_degree, rest) = sh_rest_fields(file, vertex, warnings);
        return Ok(Plan::Splats(SplatFields {
            position,
            dc,
            opacity,
            scale,
            rotation,
            sh_degree,
            rest,
        }));
    }
    let color = color_fields(vertex);
    if let Some(face) = header
        .elements
        .iter()
        .position(|e| e.name == "face" && e.count > 0)
    {
        let properties = header
            .elements
            .get(face)
            .map(|e| e.properties.as_slice())
            .unwrap_or_default();
        let Some(indices) = ["vertex_indices", "vertex_index"]
            .iter()
            .find_map(|name| properties.iter().position(|p| p.name == *name))
        else {
            return Err(ply_error(
                file,
                "the face element has no vertex_indices list",
            ));
        };
        if !matches!(
            properties.get(indices).map(|p| p.kind),
            Some(Kind::List { .. })
        ) {
            return Err(ply_error(
                file,
                "the face property vertex_indices is not a list",
            ));
        }
        let uv = [
            ["u", "v"],
            ["s", "t"],
            ["texture_u", "texture_v"],
            ["texture_s", "texture_t"],
        ]
        .into_iter()
        .find_map(|names| vertex.fields(names));
        let texcoord = properties
            .iter()
            .position(|p| p.name == "texcoord" && matches!(p.kind, Kind::List { .. }));
        let texnumber = properties
            .iter()
            .position(|p| p.name == "texnumber" && matches!(p.kind, Kind::Scalar(_)));
        return Ok(Plan::Mesh {
            vertex: MeshFields {
                position,
                normal,
                color,
                uv,
            },
            face,
            indices,
            texcoord,
            texnumber,
        });
    }
    let edges = header
        .elements
        .iter()
        .position(|e| e.name == "edge" && e.count > 0)
        .and_then(|i| {
            let ends = header.elements.get(i)?.fields(["vertex1", "vertex2"]);
            if ends.is_none() {
                warnings.push(format!(
                    "{file}: the edge element has no scalar vertex1 and vertex2; read as points"
                ));
            }
            Some((i, EdgeFields { ends: ends? }))
        });
    Ok(Plan::Points {
        vertex: PointFields {
            position,
            normal,
            color,
        },
        edges,
    })
}

fn color_fields(vertex: &Element) -> Option<ColorFields> {
    [
        ["red", "green", "blue", "alpha"],
        ["r", "g", "b", "a"],
        [
            "diffuse_red",
            "diffuse_green",
            "diffuse_blue",
            "diffuse_alpha",
        ],
    ]
    .into_iter()
    .find_map(|[r, g, b, a]| {
        Some(ColorFields {
            rgb: vertex.fields([r, g, b])?,
            alpha: vertex.field(a),
        })
    })
}

/// Number of higher-order SH coefficients per channel for `degree`.
fn rest_per_channel(degree: u8) -> usize {
    SplatCloud::sh_rest_coefficients(degree)
}

/// The SH degree the `f_rest_*` properties allow, and those properties in our splat-major
/// order. The file stores them channel-major: all red coefficients, then green, then blue.
fn sh_rest_fields(file: &str, vertex: &Element, warnings: &mut Vec<String>) -> (u8, Vec<Field>) {
    let declared = vertex
        .properties
        .iter()
        .filter(|p| p.name.starts_with("f_rest_"))
        .count();
    let contiguous = (0..declared)
        .take_while(|i| vertex.field(&format!("f_rest_{i}")).is_some())
        .count();
    if contiguous != declared {
        warnings.push(format!(
            "{file}: {declared} f_rest_ properties but only f_rest_0..{contiguous} are numbered \
             in order as scalars; using those"
        ));
    }
    let stride = contiguous / 3;
    let degree = (0..=3u8)
        .rev()
        .find(|&d| rest_per_channel(d) <= stride)
        .unwrap_or(0);
    let n = rest_per_channel(degree);
    if contiguous != 3 * n {
        warnings.push(format!(
            "{file}: {contiguous} f_rest_ properties do not match an SH degree (0, 9, 24 or \
             45 expected); using degree {degree}"
        ));
    }
    let mut rest = Vec::with_capacity(3 * n);
    for k in 0..n {
        for c in 0..3 {
            if let Some(f) = vertex.field(&format!("f_rest_{}", c * stride + k)) {
                rest.push(f);
            }
        }
    }
    (degree, rest)
}

// ---------------------------------------------------------------------------------------------
// Rows and decoders

/// One vertex row, whatever its encoding.
trait Row {
    fn get(&self, field: Field) -> f32;
    /// The value at full precision (every `uint` exactly).
    fn get_f64(&self, field: Field) -> f64;
}

/// A binary row of fixed size; `BE` = big-endian.
struct BinRow<'a, const BE: bool>(&'a [u8]);

fn array<const N: usize>(bytes: &[u8], offset: usize) -> [u8; N] {
    bytes
        .get(offset..offset + N)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; N])
}

/// The scalar of type `ty` at `offset` in `bytes` (0 where the bytes are missing).
fn scalar_at<const BE: bool>(bytes: &[u8], offset: usize, ty: Scalar) -> f64 {
    macro_rules! num {
        ($t:ty) => {{
            let a = array(bytes, offset);
            f64::from(if BE {
                <$t>::from_be_bytes(a)
            } else {
                <$t>::from_le_bytes(a)
            })
        }};
    }
    match ty {
        Scalar::I8 => num!(i8),
        Scalar::U8 => num!(u8),
        Scalar::I16 => num!(i16),
        Scalar::U16 => num!(u16),
        Scalar::I32 => num!(i32),
        Scalar::U32 => num!(u32),
        Scalar::F32 => num!(f32),
        Scalar::F64 => num!(f64),
    }
}

impl<const BE: bool> Row for BinRow<'_, BE> {
    #[inline]
    fn get(&self, field: Field) -> f32 {
        if field.ty == Scalar::F32 {
            let a = array(self.0, field.offset);
            if BE {
                f32::from_be_bytes(a)
            } else {
                f32::from_le_bytes(a)
            }
        } else {
            scalar_at::<BE>(self.0, field.offset, field.ty) as f32
        }
    }

    fn get_f64(&self, field: Field) -> f64 {
        scalar_at::<BE>(self.0, field.offset, field.ty)
    }
}

/// A row already parsed into one value per property (ASCII, or binary rows with lists).
struct ValuesRow<'a>(&'a [f64]);

impl Row for ValuesRow<'_> {
    fn get(&self, field: Field) -> f32 {
        self.get_f64(field) as f32
    }

    fn get_f64(&self, field: Field) -> f64 {
        self.0.get(field.index).copied().unwrap_or(0.0)
    }
}

/// Turns vertex rows into output arrays; `Out` can be built in parts and appended in order.
trait Decode: Sync {
    type Out: Send;
    fn with_capacity(&self, n: usize) -> Self::Out;
    fn decode<R: Row>(&self, row: &R, out: &mut Self::Out);
    fn append(out: &mut Self::Out, part: Self::Out);
}

fn finite_or_zero(v: f32, bad: &mut bool) -> f32 {
    if v.is_finite() {
        v
    } else {
        *bad = true;
        0.0
    }
}

fn read3<R: Row>(row: &R, fields: &[Field; 3], bad: &mut bool) -> [f32; 3] {
    fields.map(|f| finite_or_zero(row.get(f), bad))
}

/// A unit normal, or +Y where the file's is zero or not finite.
fn unit_normal<R: Row>(row: &R, fields: &[Field; 3], bad: &mut bool) -> [f32; 3] {
    let n = glam::Vec3::from(read3(row, fields, bad));
    n.try_normalize().unwrap_or(glam::Vec3::Y).to_array()
}

/// RGBA as fractions of full scale (not clamped).
fn color_units<R: Row>(row: &R, c: &ColorFields, bad: &mut bool) -> [f32; 4] {
    let [r, g, b] = c.rgb.map(|f| f.ty.unit(finite_or_zero(row.get(f), bad)));
    let a = c
        .alpha
        .map_or(1.0, |f| f.ty.unit(finite_or_zero(row.get(f), bad)));
    [r, g, b, a]
}

#[derive(Default)]
struct SplatOut {
    positions: Vec<[f32; 3]>,
    rotations: Vec<[f32; 4]>,
    scales: Vec<[f32; 3]>,
    opacities: Vec<f32>,
    colors: Vec<[f32; 3]>,
    sh_rest: Vec<f16>,
    /// Splats with a non-finite value somewhere (replaced by 0 or clamped).
    non_finite: u64,
    /// Splats whose rotation had zero length (replaced by the identity).
    zero_rotations: u64,
}

impl Decode for SplatFields {
    type Out = SplatOut;

    fn with_capacity(&self, n: usize) -> SplatOut {
        SplatOut {
            positions: Vec::with_capacity(n),
            rotations: Vec::with_capacity(n),
            scales: Vec::with_capacity(n),
            opacities: Vec::with_capacity(n),
            colors: Vec::with_capacity(n),
            sh_rest: Vec::with_capacity(n * self.rest.len()),
            ..Default::default()
        }
    }

    #[inline]
    fn decode<R: Row>(&self, row: &R, out: &mut SplatOut) {
        let mut bad = false;
        out.positions.push(read3(row, &self.position, &mut bad));
        out.colors
            .push(read3(row, &self.dc, &mut bad).map(|dc| 0.5 + SH_C0 * dc));
        let opacity = row.get(self.opacity);
        bad |= !opacity.is_finite();
        out.opacities.push(if opacity.is_nan() {
            0.0
        } else {
            1.0 / (1.0 + (-opacity).exp())
        });
        out.scales.push(self.scale.map(|f| {
            let scale = row.get(f).exp();
            finite_or_zero(scale, &mut bad)
        }));
        let [w, x, y, z] = self.rotation.map(|f| f64::from(row.get(f)));
        let q = DVec4::new(x, y, z, w);
        let length = q.length();
        out.rotations.push(if !length.is_finite() {
            bad = true;
            [0.0, 0.0, 0.0, 1.0]
        } else if length < 1e-12 {
            out.zero_rotations += 1;
            [0.0, 0.0, 0.0, 1.0]
        } else {
            (q / length).as_vec4().to_array()
        });
        for &f in &self.rest {
            let v = finite_or_zero(row.get(f), &mut bad);
            out.sh_rest.push(SplatCloud::sh_half(v));
        }
        out.non_finite += u64::from(bad);
    }

    fn append(out: &mut SplatOut, part: SplatOut) {
        out.positions.extend_from_slice(&part.positions);
        out.rotations.extend_from_slice(&part.rotations);
        out.scales.extend_from_slice(&part.scales);
        out.opacities.extend_from_slice(&part.opacities);
        out.colors.extend_from_slice(&part.colors);
        out.sh_rest.extend_from_slice(&part.sh_rest);
        out.non_finite += part.non_finite;
        out.zero_rotations += part.zero_rotations;
    }
}

#[derive(Default)]
struct MeshOut {
    positions: Vec<[f32; 3]>,
    normals: Vec<[f32; 3]>,
    uvs: Vec<[f32; 2]>,
    colors: Vec<[f32; 4]>,
    non_finite: u64,
}

impl Decode for MeshFields {
    type Out = MeshOut;

    fn with_capacity(&self, n: usize) -> MeshOut {
        let some = |present: bool| if present { n } else { 0 };
        MeshOut {
            positions: Vec::with_capacity(n),
            normals: Vec::with_capacity(some(self.normal.is_some())),
            uvs: Vec::with_capacity(some(self.uv.is_some())),
            colors: Vec::with_capacity(some(self.color.is_some())),
            non_finite: 0,
        }
    }

    fn decode<R: Row>(&self, row: &R, out: &mut MeshOut) {
        let mut bad = false;
        out.positions.push(read3(row, &self.position, &mut bad));
        if let Some(normal) = &self.normal {
            out.normals.push(unit_normal(row, normal, &mut bad));
        }
        if let Some([u, v]) = self.uv {
            let u = finite_or_zero(row.get(u), &mut bad);
            let v = finite_or_zero(row.get(v), &mut bad);
            // PLY's v points up, glTF's (and ours) down.
            out.uvs.push([u, 1.0 - v]);
        }
        if let Some(color) = &self.color {
            let [r, g, b, a] = color_units(row, color, &mut bad).map(|c| c.clamp(0.0, 1.0));
            out.colors
                .push([srgb_to_linear(r), srgb_to_linear(g), srgb_to_linear(b), a]);
        }
        out.non_finite += u64::from(bad);
    }

    fn append(out: &mut MeshOut, part: MeshOut) {
        out.positions.extend_from_slice(&part.positions);
        out.normals.extend_from_slice(&part.normals);
        out.uvs.extend_from_slice(&part.uvs);
        out.colors.extend_from_slice(&part.colors);
        out.non_finite += part.non_finite;
    }
}

#[derive(Default)]
struct PointOut {
    positions: Vec<[f32; 3]>,
    colors: Vec<[u8; 4]>,
    normals: Vec<[f32; 3]>,
    non_finite: u64,
}

impl Decode for PointFields {
    type Out = PointOut;

    fn with_capacity(&self, n: usize) -> PointOut {
        let some = |present: bool| if present { n } else { 0 };
        PointOut {
            positions: Vec::with_capacity(n),
            colors: Vec::with_capacity(some(self.color.is_some())),
            normals: Vec::with_capacity(some(self.normal.is_some())),
            non_finite: 0,
        }
    }

    fn decode<R: Row>(&self, row: &R, out: &mut PointOut) {
        let mut bad = false;
        out.positions.push(read3(row, &self.position, &mut bad));
        if let Some(normal) = &self.normal {
            out.normals.push(unit_normal(row, normal, &mut bad));
        }
        if let Some(color) = &self.color {
            out.colors.push(
                color_units(row, color, &mut bad)
                    .map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8),
            );
        }
        out.non_finite += u64::from(bad);
    }

    fn append(out: &mut PointOut, part: PointOut) {
        out.positions.extend_from_slice(&part.positions);
        out.colors.extend_from_slice(&part.colors);
        out.normals.extend_from_slice(&part.normals);
        out.non_finite += part.non_finite;
    }
}

/// The two vertex indices of an `edge` row.
#[derive(Debug)]
struct EdgeFields {
    ends: [Field; 2],
}

struct EdgeOut {
    segments: Vec<[u32; 2]>,
    /// Rows whose indices are negative, fractional or too large for a `u32`.
    invalid: u64,
}

impl Decode for EdgeFields {
    type Out = EdgeOut;

    fn with_capacity(&self, n: usize) -> EdgeOut {
        EdgeOut {
            segments: Vec::with_capacity(n),
            invalid: 0,
        }
    }

    fn decode<R: Row>(&self, row: &R, out: &mut EdgeOut) {
        let index = |f: Field| {
            let v = row.get_f64(f);
            (v >= 0.0 && v < f64::from(u32::MAX) && v.fract() == 0.0).then_some(v as u32)
        };
        match (index(self.ends[0]), index(self.ends[1])) {
            (Some(a), Some(b)) => out.segments.push([a, b]),
            _ => out.invalid += 1,
        }
    }

    fn append(out: &mut EdgeOut, part: EdgeOut) {
        out.segments.extend_from_slice(&part.segments);
        out.invalid += part.invalid;
    }
}

/// Decodes a block of whole fixed-size rows, in parallel when it is large.
fn decode_block<D: Decode, const BE: bool>(
    decoder: &D,
    block: &[u8],
    row_size: usize,
    out: &mut D::Out,
) {
    let rows = block.len() / row_size.max(1);
    if rows < 2 * ROWS_PER_TASK {
        for row in block.chunks_exact(row_size) {
            decoder.decode(&BinRow::<BE>(row), out);
        }
        return;
    }
    let parts: Vec<D::Out> = block
        .par_chunks(ROWS_PER_TASK * row_size)
        .map(|chunk| {
            let mut part = decoder.with_capacity(chunk.len() / row_size);
            for row in chunk.chunks_exact(row_size) {
                decoder.decode(&BinRow::<BE>(row), &mut part);
            }
            part
        })
        .collect();
    for part in parts {
        D::append(out, part);
    }
}

// ---------------------------------------------------------------------------------------------
// Body

/// The file after its header, read through a buffer, with the position and (ASCII) line
/// known for error messages.
struct Body<'a, R> {
    reader: BufReader<R>,
    format: Format,
    pos: u64,
    len: u64,
    /// Line number of the next ASCII token.
    line: u64,
    file: String,
    path: &'a Path,
    progress: &'a Progress,
    token: Vec<u8>,
    /// Where an ASCII row first held more values than the header declares: (element, line).
    extra_values: Option<(String, u64)>,
}

impl<R: Read + Seek> Body<'_, R> {
    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn error(&self, problem: impl std::fmt::Display) -> ImportError {
        let at = match self.format {
            Format::Ascii => format!("line {}", self.line),
            _ => format!("byte {}", self.pos),
        };
        ply_error(&self.file, format!("{problem} (at {at})"))
    }

    fn checkpoint(&self) -> Result<(), ImportError> {
        self.progress.set_done(self.pos);
        self.progress.check(self.path)
    }

    /// The file's content, and the `texnumber` of each triangle of a mesh whose faces have one.
    fn read(
        &mut self,
        header: &Header,
        plan: Plan,
        warnings: &mut Vec<String>,
    ) -> Result<(PlyContent, Vec<u32>), ImportError> {
        if let Plan::Compressed(fields) = &plan {
            let content = self.read_compressed(header, fields, warnings)?;
            return Ok((content, Vec::new()));
        }
        let vertex_index = header
            .elements
            .iter()
            .position(|e| e.name == "vertex")
            .unwrap_or(usize::MAX);
        let vertex_count = header.elements.get(vertex_index).map_or(0, |e| e.count);
        // The element read after the vertices: a mesh's faces or a line set's edges.
        let second_index = match &plan {
            Plan::Mesh { face, .. } => *face,
            Plan::Points {
                edges: Some((edge, _)),
                ..
            } => *edge,
            _ => usize::MAX,
        };
        let mut vertex_out = None;
        let mut faces = None;
        let mut edges: Option<EdgeOut> = None;
        for (i, element) in header.elements.iter().enumerate() {
            let second_read = faces.is_some() || edges.is_some();
            if vertex_out.is_some() && (second_index == usize::MAX || second_read) {
                break; // Everything needed is read; what follows does not matter.
            }
            if i == vertex_index {
                vertex_out = Some(match &plan {
                    Plan::Splats(d) => Decoded::Splats(self.vertices(element, d)?),
                    Plan::Mesh { vertex, .. } => Decoded::Mesh(self.vertices(element, vertex)?),
                    Plan::Points { vertex, .. } => Decoded::Points(self.vertices(element, vertex)?),
                    // Dispatched to `read_compressed` above.
                    Plan::Compressed(_) => return Err(self.error("compressed splat rows")),
                });
            } else if i == second_index
                && let Plan::Mesh {
                    indices,
                    texcoord,
                    texnumber,
                    ..
                } = &plan
            {
                let read = self.faces(element, *indices, *texcoord, *texnumber, vertex_count)?;
                faces = Some(read);
            } else if i == second_index
                && let Plan::Points {
                    edges: Some((_, fields)),
                    ..
                } = &plan
            {
                edges = Some(self.vertices(element, fields)?);
            } else {
                self.skip_element(element)?;
            }
        }
        let file = &self.file;
        if let Some((element, line)) = &self.extra_values {
            warnings.push(format!(
                "{file}: {element} rows hold more values than the header declares (the first at \
                 line {line}); the extra values are ignored"
            ));
        }
        let non_finite = |what: &str, n: u64, warnings: &mut Vec<String>| {
            if n > 0 {
                warnings.push(format!(
                    "{file}: {n} {what} had non-finite values (replaced by 0 or clamped)"
                ));
            }
        };
        let mut triangle_textures = Vec::new();
        let content = match vertex_out {
            Some(Decoded::Splats(out)) => {
                non_finite("splats", out.non_finite, warnings);
                if out.zero_rotations > 0 {
                    warnings.push(format!(
                        "{file}: {} splats had a zero-length rotation (replaced by the identity)",
                        out.zero_rotations
                    ));
                }
                let sh_degree = match &plan {
                    Plan::Splats(d) => d.sh_degree,
                    _ => 0,
                };
                let cloud = SplatCloud::new(
                    out.positions,
                    out.rotations,
                    out.scales,
                    out.opacities,
                    out.colors,
                    sh_degree,
                    out.sh_rest,
                )
                .map_err(|e| ply_error(file, e.to_string()))?;
                PlyContent::Splats(cloud)
            }
            Some(Decoded::Mesh(out)) => {
                non_finite("vertices", out.non_finite, warnings);
                let mut faces = faces.unwrap_or_default();
                triangle_textures = std::mem::take(&mut faces.textures);
                if faces.degenerate > 0 {
                    warnings.push(format!(
                        "{file}: {} faces with fewer than 3 vertices were skipped",
                        faces.degenerate
                    ));
                }
                if faces.bad_texcoords > 0 {
                    warnings.push(format!(
                        "{file}: {} faces' texcoord lists do not hold two values per corner; \
                         those corners read 0, 0",
                        faces.bad_texcoords
                    ));
                }
                // Vertex coordinates, where the file has them, are kept (no seams to split).
                if out.uvs.is_empty()
                    && faces.corner_uvs.len() == faces.indices.len()
                    && !faces.indices.is_empty()
                {
                    PlyContent::Mesh(faces.mesh_with_corner_uvs(out))
                } else {
                    PlyContent::Mesh(Mesh::new(
                        out.positions,
                        out.normals,
                        out.uvs,
                        out.colors,
                        faces.indices,
                    ))
                }
            }
            Some(Decoded::Points(out)) => {
                non_finite("points", out.non_finite, warnings);
                let cloud = PointCloud::new(out.positions, out.colors, out.normals);
                let Some(edges) = edges else {
                    return Ok((PlyContent::Points(cloud), triangle_textures));
                };
                let n = cloud.len();
                let (cloud, beyond) = cloud.with_segments(edges.segments);
                let dropped = beyond as u64 + edges.invalid;
                if dropped > 0 {
                    warnings.push(format!(
                        "{file}: {dropped} edges named a vertex that is not one of the {n} \
                         vertices; left out"
                    ));
                }
                PlyContent::Points(cloud)
            }
            None => return Err(ply_error(file, "the file has no 'vertex' element")),
        };
        Ok((content, triangle_textures))
    }

    /// Checks that `count` rows of at least `min_row_bytes` each fit in what is left of the
    /// file, and returns `count` as a `usize`.
    fn check_count(&self, element: &Element, min_row_bytes: u64) -> Result<usize, ImportError> {
        let needed = element.count.checked_mul(min_row_bytes.max(1));
        // An ASCII file's last row needs no separator after its last value.
        let slack = u64::from(self.format == Format::Ascii);
        let remaining = self.remaining();
        match needed {
            Some(needed) if needed <= remaining + slack => {}
            _ => {
                return Err(self.error(format!(
                    "{} count {} needs at least {} but the file has {} left",
                    element.name,
                    element.count,
                    needed.map_or_else(|| "more than 2^64 bytes".into(), bytes_text),
                    bytes_text(remaining)
                )));
            }
        }
        usize::try_from(element.count).map_err(|_| self.error("count too large"))
    }

    /// Least bytes a row of `element` takes in this encoding.
    fn min_row_bytes(&self, element: &Element) -> u64 {
        match self.format {
            // A one-character token and a separator per property.
            Format::Ascii => 2 * element.properties.len() as u64,
            _ => element.min_row_size(),
        }
    }

    fn vertices<D: Decode>(
        &mut self,
        element: &Element,
        decoder: &D,
    ) -> Result<D::Out, ImportError> {
        let min_row = self.min_row_bytes(element);
        let count = self.check_count(element, min_row)?;
        let mut out = decoder.with_capacity(count);
        match (self.format, element.fixed_row_size()) {
            (Format::BinaryLe, Some(row_size)) if row_size > 0 => {
                self.fixed_rows(count, row_size, |block| {
                    decode_block::<D, false>(decoder, block, row_size, &mut out);
                })?;
            }
            (Format::BinaryBe, Some(row_size)) if row_size > 0 => {
                self.fixed_rows(count, row_size, |block| {
                    decode_block::<D, true>(decoder, block, row_size, &mut out);
                })?;
            }
            _ => {
                let mut values = vec![0.0; element.properties.len()];
                for i in 0..count as u64 {
                    if i % ROWS_PER_CHECK == 0 {
                        self.checkpoint()?;
                    }
                    self.row_values(element, i, &mut values)?;
                    self.end_row(&element.name)?;
                    decoder.decode(&ValuesRow(&values), &mut out);
                }
            }
        }
        self.checkpoint()?;
        Ok(out)
    }

    /// Reads `count` rows of `row_size` bytes in large blocks, handing each block to `decode`.
    fn fixed_rows(
        &mut self,
        count: usize,
        row_size: usize,
        mut decode: impl FnMut(&[u8]),
    ) -> Result<(), ImportError> {
        let rows_per_block = (BLOCK_BYTES / row_size).max(1);
        let mut block = vec![0u8; rows_per_block.min(count) * row_size];
        let mut left = count;
        while left > 0 {
            let rows = left.min(rows_per_block);
            let Some(bytes) = block.get_mut(..rows * row_size) else {
                break;
            };
            if let Err(error) = self.reader.read_exact(bytes) {
                return Err(self.read_error(error, "vertex rows"));
            }
            self.pos += bytes.len() as u64;
            decode(bytes);
            left -= rows;
            self.checkpoint()?;
        }
        Ok(())
    }

    fn read_error(&self, error: std::io::Error, what: &str) -> ImportError {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            self.error(format!("the file ends early while reading {what}"))
        } else {
            ImportError::Io {
                file: self.file.clone(),
                error,
            }
        }
    }

    /// Reads one row into one value per property; lists are skipped (their slot keeps 0).
    fn row_values(
        &mut self,
        element: &Element,
        row: u64,
        values: &mut [f64],
    ) -> Result<(), ImportError> {
        for (p, slot) in element.properties.iter().zip(values.iter_mut()) {
            match p.kind {
                Kind::Scalar(ty) => *slot = self.scalar(ty, &element.name, row)?,
                Kind::List { count, item } => {
                    let n = self.list_len(count, item, &element.name, row)?;
                    self.skip_scalars(item, n, &element.name, row)?;
                }
            }
        }
        Ok(())
    }

    /// Reads one scalar of type `ty`.
    fn scalar(&mut self, ty: Scalar, element: &str, row: u64) -> Result<f64, ImportError> {
        match self.format {
            Format::Ascii => {
                if !self.next_token()? {
                    return Err(
                        self.error(format!("the file ends early while reading {element} {row}"))
                    );
                }
                let text = std::str::from_utf8(&self.token).unwrap_or("");
                let value = if ty.is_integer() {
                    text.parse::<i64>().ok().map(|v| v as f64)
                } else {
                    text.parse::<f64>().ok()
                };
                value.ok_or_else(|| {
                    self.error(format!(
                        "{element} {row}: expected a number, found '{}'",
                        String::from_utf8_lossy(&self.token)
                    ))
                })
            }
            Format::BinaryLe | Format::BinaryBe => {
                let mut buf = [0u8; 8];
                let bytes = buf.get_mut(..ty.size()).unwrap_or_default();
                if let Err(error) = self.reader.read_exact(bytes) {
                    return Err(self.read_error(error, &format!("{element} {row}")));
                }
                self.pos += ty.size() as u64;
                Ok(if self.format == Format::BinaryBe {
                    scalar_at::<true>(&buf, 0, ty)
                } else {
                    scalar_at::<false>(&buf, 0, ty)
                })
            }
        }
    }

    /// Reads a list length and checks that that many items can still be in the file.
    fn list_len(
        &mut self,
        count: Scalar,
        item: Scalar,
        element: &str,
        row: u64,
    ) -> Result<u64, ImportError> {
        let n = self.scalar(count, element, row)?;
        if !(n >= 0.0 && n.fract() == 0.0) {
            return Err(self.error(format!("{element} {row}: list length {n} is not valid")));
        }
        let n = n as u64;
        let item_bytes = match self.format {
            Format::Ascii => 1,
            _ => item.size() as u64,
        };
        if n.saturating_mul(item_bytes) > self.remaining() {
            return Err(self.error(format!(
                "{element} {row}: a list of {n} items does not fit in the {} left",
                bytes_text(self.remaining())
            )));
        }
        Ok(n)
    }

    fn skip_scalars(
        &mut self,
        ty: Scalar,
        n: u64,
        element: &str,
        row: u64,
    ) -> Result<(), ImportError> {
        match self.format {
            Format::Ascii => {
                for _ in 0..n {
                    if !self.next_token()? {
                        return Err(self
                            .error(format!("the file ends early while reading {element} {row}")));
                    }
                }
                Ok(())
            }
            _ => self.skip_bytes(n.saturating_mul(ty.size() as u64), element),
        }
    }

    fn skip_bytes(&mut self, n: u64, what: &str) -> Result<(), ImportError> {
        if n > self.remaining() {
            return Err(self.error(format!("the file ends early while reading {what}")));
        }
        let Ok(offset) = i64::try_from(n) else {
            return Err(self.error("skip too large"));
        };
        self.reader
            .seek_relative(offset)
            .map_err(|error| ImportError::Io {
                file: self.file.clone(),
                error,
            })?;
        self.pos += n;
        Ok(())
    }

    /// Skips an element this reader does not need.
    fn skip_element(&mut self, element: &Element) -> Result<(), ImportError> {
        if element.properties.is_empty() || element.count == 0 {
            return Ok(());
        }
        if self.format != Format::Ascii
            && let Some(row_size) = element.fixed_row_size()
        {
            let bytes = element.count.checked_mul(row_size as u64);
            return match bytes {
                Some(bytes) => self.skip_bytes(bytes, &element.name),
                None => Err(self.error(format!(
                    "{} count {} does not fit in the file",
                    element.name, element.count
                ))),
            };
        }
        let min_row = self.min_row_bytes(element);
        let count = self.check_count(element, min_row)? as u64;
        let mut values = vec![0.0; element.properties.len()];
        for row in 0..count {
            if row % ROWS_PER_CHECK == 0 {
                self.checkpoint()?;
            }
            self.row_values(element, row, &mut values)?;
            self.end_row(&element.name)?;
        }
        Ok(())
    }

    /// Reads the face element: fan-triangulated indices, checked against the vertex count,
    /// and with a `texcoord` list property each corner's texture coordinates.
    fn faces(
        &mut self,
        element: &Element,
        index_property: usize,
        texcoord_property: Option<usize>,
        texnumber_property: Option<usize>,
        vertex_count: u64,
    ) -> Result<Faces, ImportError> {
        let min_row = self.min_row_bytes(element);
        let count = self.check_count(element, min_row)? as u64;
        // A real polygon has at least 3 indices: size the index buffer for what can fit.
        let smallest_triangle = match self.format {
            Format::Ascii => 8,
            _ => min_row + 2 * 4,
        };
        let plausible = (self.remaining() / smallest_triangle).min(count);
        let capacity = usize::try_from(plausible * 3).unwrap_or(0);
        let mut faces = Faces {
            indices: Vec::with_capacity(capacity),
            corner_uvs: Vec::with_capacity(if texcoord_property.is_some() {
                capacity
            } else {
                0
            }),
            ..Faces::default()
        };
        let mut polygon: Vec<u32> = Vec::new();
        let mut uvs: Vec<f64> = Vec::new();
        for row in 0..count {
            if row % ROWS_PER_CHECK == 0 {
                self.checkpoint()?;
            }
            polygon.clear();
            uvs.clear();
            let mut texture = 0;
            for (p, property) in element.properties.iter().enumerate() {
                match property.kind {
                    Kind::Scalar(ty) => {
                        let value = self.scalar(ty, "face", row)?;
                        if Some(p) == texnumber_property {
                            // A negative or fractional number names no file (as one too large).
                            texture = if value >= 0.0 && value.fract() == 0.0 {
                                value.min(f64::from(u32::MAX)) as u32
                            } else {
                                u32::MAX
                            };
                        }
                    }
                    Kind::List { count, item } => {
                        let n = self.list_len(count, item, "face", row)?;
                        if p == index_property {
                            for _ in 0..n {
                                let index = self.scalar(item, "face", row)?;
                                if !(index >= 0.0
                                    && index.fract() == 0.0
                                    && index < vertex_count as f64)
                                {
                                    return Err(self.error(format!(
                                        "face {row}: vertex index {index} is out of range (the \
                                         file has {vertex_count} vertices)"
                                    )));
                                }
                                polygon.push(index as u32);
                            }
                        } else if Some(p) == texcoord_property {
                            for _ in 0..n {
                                uvs.push(self.scalar(item, "face", row)?);
                            }
                        } else {
                            self.skip_scalars(item, n, "face", row)?;
                        }
                    }
                }
            }
            self.end_row("face")?;
            let [first, rest @ ..] = polygon.as_slice() else {
                faces.degenerate += 1;
                continue;
            };
            if rest.len() < 2 {
                faces.degenerate += 1;
                continue;
            }
            let corner = |i: usize| -> [f32; 2] {
                match (uvs.get(2 * i), uvs.get(2 * i + 1)) {
                    (Some(&u), Some(&v)) if u.is_finite() && v.is_finite() => {
                        [u as f32, 1.0 - v as f32]
                    }
                    _ => [0.0; 2],
                }
            };
            if texcoord_property.is_some() && uvs.len() != 2 * polygon.len() {
                faces.bad_texcoords += 1;
            }
            for (k, pair) in rest.windows(2).enumerate() {
                faces.indices.push(*first);
                faces.indices.extend_from_slice(pair);
                if texcoord_property.is_some() {
                    faces
                        .corner_uvs
                        .extend([corner(0), corner(k + 1), corner(k + 2)]);
                }
                if texnumber_property.is_some() {
                    faces.textures.push(texture);
                }
            }
        }
        self.checkpoint()?;
        Ok(faces)
    }

    /// Ends an ASCII row at the end of its line (the format has one element per line), so a
    /// row with more values than the header declares (MeshLab writes some such files) costs
    /// only those values; the first such row is remembered for a warning. A row that runs on
    /// over lines still reads, token by token.
    fn end_row(&mut self, element: &str) -> Result<(), ImportError> {
        if self.format != Format::Ascii {
            return Ok(());
        }
        let mut extra = false;
        loop {
            let buf = filled(&mut self.reader, &self.file)?;
            if buf.is_empty() {
                break;
            }
            let newline = buf.iter().position(|&b| b == b'\n');
            let used = newline.map_or(buf.len(), |at| at + 1);
            extra |= buf[..used].iter().any(|b| !b.is_ascii_whitespace());
            self.reader.consume(used);
            self.pos += used as u64;
            if newline.is_some() {
                self.line += 1;
                break;
            }
        }
        if extra && self.extra_values.is_none() {
            self.extra_values = Some((element.to_owned(), self.line - 1));
        }
        Ok(())
    }

    /// Reads the next whitespace-separated ASCII token into `self.token`; false at the end.
    fn next_token(&mut self) -> Result<bool, ImportError> {
        self.token.clear();
        loop {
            let buf = filled(&mut self.reader, &self.file)?;
            if buf.is_empty() {
                return Ok(!self.token.is_empty());
            }
            let mut used = 0;
            let mut done = false;
            for &b in buf {
                if b.is_ascii_whitespace() {
                    if !self.token.is_empty() {
                        done = true;
                        break;
                    }
                    if b == b'\n' {
                        self.line += 1;
                    }
                } else {
                    if self.token.len() >= MAX_TOKEN_BYTES {
                        done = true;
                        break;
                    }
                    self.token.push(b);
                }
                used += 1;
            }
            self.reader.consume(used);
            self.pos += used as u64;
            if self.token.len() >= MAX_TOKEN_BYTES {
                return Err(self.error(format!("a value longer than {MAX_TOKEN_BYTES} characters")));
            }
            if done {
                return Ok(true);
            }
        }
    }
}

/// The reader's buffer, refilled when empty (empty only at the end), retrying interrupted
/// reads; an I/O error names the file.
fn filled<'r, R: Read>(reader: &'r mut BufReader<R>, file: &str) -> Result<&'r [u8], ImportError> {
    loop {
        match reader.fill_buf() {
            Ok(_) => break,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                return Err(ImportError::Io {
                    file: file.into(),
                    error,
                });
            }
        }
    }
    Ok(reader.buffer())
}

enum Decoded {
    Splats(SplatOut),
    Mesh(MeshOut),
    Points(PointOut),
}

#[derive(Default)]
struct Faces {
    indices: Vec<u32>,
    /// Texture coordinates per corner (per entry of `indices`), from a `texcoord` list; empty
    /// without one.
    corner_uvs: Vec<[f32; 2]>,
    degenerate: u64,
    /// Faces whose `texcoord` list does not hold two values per corner (read as 0, 0).
    bad_texcoords: u64,
    /// Each triangle's `texnumber`, from a face property of that name; empty without one.
    textures: Vec<u32>,
}

impl Faces {
    /// The mesh with each corner's texture coordinates: a vertex is copied for each distinct
    /// pair of coordinates its corners have (seams), as glTF and the GPU need them per vertex.
    fn mesh_with_corner_uvs(self, out: MeshOut) -> Mesh {
        let mut vertex_of: HashMap<(u32, [u32; 2]), u32> = HashMap::new();
        let mut source = Vec::new();
        let mut uvs = Vec::new();
        let indices = (self.indices.iter().zip(&self.corner_uvs))
            .map(|(&vertex, &uv)| {
                *vertex_of
                    .entry((vertex, uv.map(f32::to_bits)))
                    .or_insert_with(|| {
                        source.push(vertex as usize);
                        uvs.push(uv);
                        (source.len() - 1) as u32
                    })
            })
            .collect();
        // Normals the file lacks are smoothed over the welded mesh, so seams do not show.
        let normals = if out.normals.len() == out.positions.len() {
            gather(&out.normals, &source)
        } else {
            let welded = Mesh::new(
                out.positions.clone(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                self.indices.clone(),
            );
            gather(&welded.normals, &source)
        };
        Mesh::new(
            gather(&out.positions, &source),
            normals,
            uvs,
            gather(&out.colors, &source),
            indices,
        )
    }
}

/// "12 MB", "340 bytes": sizes for messages.
fn bytes_text(n: u64) -> String {
    match n {
        0..10_000 => format!("{n} bytes"),
        10_000..10_000_000 => format!("{} kB", n / 1000),
        10_000_000..10_000_000_000 => format!("{} MB", n / 1_000_000),
        _ => format!("{} GB", n / 1_000_000_000),
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic data

/// A seeded stream of floats in [0, 1) (splitmix64: small, fast and good enough for synthetic
/// test and benchmark data).
pub fn unit_floats(seed: u64) -> impl FnMut() -> f32 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Writes a binary little-endian INRIA-layout splat PLY of `count` pseudo-random splats
/// (deterministic for a `seed`) with `sh_degree` (0..=3) bands of SH, for benchmarks and
/// tests: centres in a 20-unit cube, log scales around -4, any rotation, any opacity.
pub fn write_synthetic_splat_ply(
    path: &Path,
    count: u64,
    sh_degree: u8,
    seed: u64,
) -> std::io::Result<()> {
    let rest = 3 * rest_per_channel(sh_degree);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut header = format!(
        "ply\nformat binary_little_endian 1.0\ncomment worldsmith synthetic splats, seed \
         {seed}\nelement vertex {count}\nproperty float x\nproperty float y\nproperty float \
         z\nproperty float nx\nproperty float ny\nproperty float nz\n"
    );
    for name in ["f_dc_0", "f_dc_1", "f_dc_2"] {
        header += &format!("property float {name}\n");
    }
    for i in 0..rest {
        header += &format!("property float f_rest_{i}\n");
    }
    for name in [
        "opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3",
    ] {
        header += &format!("property float {name}\n");
    }
    header += "end_header\n";
    out.write_all(header.as_bytes())?;
    let mut next = unit_floats(seed);
    let mut row = Vec::with_capacity(4 * (17 + rest));
    for _ in 0..count {
        row.clear();
        let mut push = |v: f32| row.extend_from_slice(&v.to_le_bytes());
        for _ in 0..3 {
            push(next() * 20.0 - 10.0);
        }
        for _ in 0..3 {
            push(0.0);
        }
        for _ in 0..3 {
            push(next() * 4.0 - 2.0);
        }
        for _ in 0..rest {
            push(next() * 0.4 - 0.2);
        }
        push(next() * 10.0 - 5.0);
        for _ in 0..3 {
            push(next() * 2.0 - 5.0);
        }
        for _ in 0..4 {
            push(next() * 2.0 - 1.0);
        }
        out.write_all(&row)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn header(text: &str) -> Result<Header, ImportError> {
        parse_header("t.ply", &mut Cursor::new(text.as_bytes()), &mut Vec::new())
    }

    #[test]
    fn gl_from_cv_turns_down_into_up_and_forward_into_minus_z() {
        let q = Quat::from_rotation_x(std::f32::consts::PI);
        assert!(GL_FROM_CV.abs_diff_eq(q, 1e-6) || GL_FROM_CV.abs_diff_eq(-q, 1e-6));
        let y_down_in_cv = glam::Vec3::Y;
        let z_forward_in_cv = glam::Vec3::Z;
        assert!((GL_FROM_CV * y_down_in_cv).abs_diff_eq(-glam::Vec3::Y, 1e-6));
        assert!((GL_FROM_CV * z_forward_in_cv).abs_diff_eq(-glam::Vec3::Z, 1e-6));
        assert!((GL_FROM_CV * glam::Vec3::X).abs_diff_eq(glam::Vec3::X, 1e-6));
    }

    #[test]
    fn header_with_every_type_and_a_list() {
        let h = header(
            "ply\r\nformat binary_big_endian 1.0\r\ncomment hi\r\nobj_info x\r\nelement vertex 2\r\n\
             property char a\nproperty uint8 b\nproperty short c\nproperty ushort d\n\
             property int32 e\nproperty uint f\nproperty float32 g\nproperty double h\n\
             element face 1\nproperty list uchar int vertex_indices\nend_header\n",
        )
        .unwrap();
        assert_eq!(h.format, Format::BinaryBe);
        let v = &h.elements[0];
        assert_eq!(v.fixed_row_size(), Some(1 + 1 + 2 + 2 + 4 + 4 + 4 + 8));
        assert_eq!(v.field("h").unwrap().offset, 18);
        assert_eq!(v.field("h").unwrap().ty, Scalar::F64);
        assert_eq!(h.elements[1].fixed_row_size(), None);
        assert_eq!(h.elements[1].min_row_size(), 1);
    }

    #[test]
    fn header_errors_name_the_line() {
        for (text, line, words) in [
            ("", 1, "empty"),
            ("plx\n", 1, "not a PLY"),
            (
                "ply\nformat ascii 1.0\nelement vertex\n",
                3,
                "name and a count",
            ),
            (
                "ply\nformat ascii 1.0\nelement vertex -1\n",
                3,
                "whole number",
            ),
            ("ply\nformat ebcdic 1.0\n", 2, "unknown format"),
            ("ply\nformat ascii 1.0\nproperty float x\n", 3, "before any"),
            (
                "ply\nformat ascii 1.0\nelement v 1\nproperty quad x\n",
                4,
                "quad",
            ),
            (
                "ply\nformat ascii 1.0\nelement v 1\nproperty list float int i\n",
                4,
                "count",
            ),
            (
                "ply\nformat ascii 1.0\nelement v 1\n",
                4,
                "ends before end_header",
            ),
            ("ply\nelement v 1\nend_header\n", 3, "no 'format'"),
            ("ply\nformat ascii 1.0\nbogus\n", 3, "bogus"),
        ] {
            let e = header(text).unwrap_err();
            match &e {
                ImportError::PlyHeader { line: l, .. } => assert_eq!(*l, line, "{text:?}: {e}"),
                other => panic!("{text:?}: {other}"),
            }
            let message = e.to_string();
            assert!(
                message.contains("t.ply") && message.contains(words),
                "{message}"
            );
        }
        let long = format!("ply\n{}", "comment aaaaaaaaaaaaaaaaaa\n".repeat(5000));
        assert!(header(&long).unwrap_err().to_string().contains("64 KiB"));
    }

    #[test]
    fn srgb_eotf_endpoints() {
        assert_eq!(srgb_to_linear(0.0), 0.0);
        assert!((srgb_to_linear(1.0) - 1.0).abs() < 1e-6);
        assert!((srgb_to_linear(0.5) - 0.214_041).abs() < 1e-5);
    }

    #[test]
    fn sh_degree_from_rest_count() {
        for (count, degree, warns) in [
            (0, 0, false),
            (9, 1, false),
            (24, 2, false),
            (45, 3, false),
            (12, 1, true),
            (72, 3, true),
        ] {
            let mut text = "ply\nformat ascii 1.0\nelement vertex 0\n".to_string();
            for i in 0..count {
                text += &format!("property float f_rest_{i}\n");
            }
            text += "end_header\n";
            let h = header(&text).unwrap();
            let mut warnings = Vec::new();
            let (d, rest) = sh_rest_fields("t.ply", &h.elements[0], &mut warnings);
            assert_eq!((d, warnings.is_empty()), (degree, !warns), "{count}");
            assert_eq!(rest.len(), 3 * rest_per_channel(degree));
            // Coefficient k of channel c sits at f_rest_{c · stride + k}.
            let stride = count / 3;
            if let Some(f) = rest.get(3 + 2) {
                assert_eq!(f.index, 2 * stride + 1);
            }
        }
    }
}
