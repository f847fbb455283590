//! Mesh primitives stored Draco-compressed (KHR_draco_mesh_compression): what `gltf-pipeline
//! -d`, Blender's "Compression" export option, glTF-Transform `draco` and many web viewers'
//! assets use.
//!
//! [`rewrite`] runs on the JSON before the `gltf` crate validates it: every compressed
//! primitive gets new accessors (copies of the ones it names, with the same count, type, min
//! and max) in a buffer appended for it, and loses the extension. [`decode`] later decodes
//! the Draco stream (the pure-Rust `draco-core` decoder) and writes its faces and attributes
//! into that buffer in the accessors' own component types, so that the rest of the importer
//! reads plain accessors.
//!
//! Sizes come from the accessors and are checked against the file's size before anything is
//! allocated; the decoded point and face counts must equal the accessors' counts, and every
//! index must name a decoded point. The decoder runs behind `catch_unwind`: a stream it cannot
//! read is an error naming the primitive, never a crash.

use super::ImportError;
use gltf::json::accessor::{ComponentType, GenericComponentType};
use gltf::json::validation::Checked;
use gltf::json::{Index, Root};
use gltf::mesh::Semantic;
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The extension read here.
pub(super) const EXTENSION: &str = "KHR_draco_mesh_compression";

/// A primitive's extension object.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extension {
    buffer_view: usize,
    /// glTF attribute semantic → Draco attribute unique id.
    attributes: BTreeMap<String, u32>,
}

/// Where one accessor's decoded values go and in what layout.
#[derive(Clone, Copy, Debug)]
struct Output {
    /// Byte offset in the appended buffer.
    offset: usize,
    count: usize,
    component: ComponentType,
    components: usize,
    normalized: bool,
}

impl Output {
    fn byte_len(&self) -> usize {
        self.count * self.components * self.component.size()
    }
}

/// One compressed primitive.
struct Compressed {
    mesh: usize,
    primitive: usize,
    /// The buffer view holding the Draco stream, and where it lies: (buffer, byte offset,
    /// byte length), as the view states them (checked against the buffer when decoding).
    view: usize,
    stream: (usize, u64, u64),
    /// The buffer appended for the decoded accessors.
    buffer: usize,
    /// Bytes of that buffer.
    len: u64,
    indices: Option<Output>,
    /// (semantic, Draco unique id, where its values go).
    attributes: Vec<(String, u32, Output)>,
}

/// What [`rewrite`] did: the primitives to decode into their appended buffers.
#[derive(Default)]
pub(super) struct Plan {
    primitives: Vec<Compressed>,
}

impl Plan {
    /// Whether buffer `index` gets its bytes from [`decode`].
    pub fn fills(&self, index: usize) -> bool {
        self.primitives.iter().any(|p| p.buffer == index)
    }
}

/// Gives every Draco-compressed primitive of `root` new accessors in a buffer of its own
/// (appended to `root.buffers`) and removes the extension. A malformed extension object is an
/// error naming the primitive.
pub(super) fn rewrite(file: &str, root: &mut Root) -> Result<Plan, ImportError> {
    let mut plan = Plan::default();
    for mesh in 0..root.meshes.len() {
        for primitive in 0..root.meshes[mesh].primitives.len() {
            let others = root.meshes[mesh].primitives[primitive]
                .extensions
                .as_mut()
                .map(|e| &mut e.others);
            let Some(object) = others.and_then(|o| o.remove(EXTENSION)) else {
                continue;
            };
            let error = |problem: String| ImportError::Parse {
                file: file.into(),
                problem: format!("meshes[{mesh}].primitives[{primitive}] {EXTENSION}: {problem}"),
            };
            let extension: Extension =
                serde_json::from_value(object).map_err(|e| error(format!("unreadable: {e}")))?;
            if extension.buffer_view >= root.buffer_views.len() {
                return Err(error(format!(
                    "its data is in buffer view {} but the file has {}",
                    extension.buffer_view,
                    root.buffer_views.len()
                )));
            }
            plan.primitives
                .push(rewrite_primitive(root, mesh, primitive, extension).map_err(error)?);
        }
    }
    Ok(plan)
}

/// Moves one primitive's indices and compressed attributes to new accessors in a new buffer.
fn rewrite_primitive(
    root: &mut Root,
    mesh: usize,
    primitive: usize,
    extension: Extension,
) -> Result<Compressed, String> {
    let stream = {
        let view = &root.buffer_views[extension.buffer_view];
        let offset = view.byte_offset.map_or(0, |o| o.0);
        (view.buffer.value(), offset, view.byte_length.0)
    };
    let buffer = root.buffers.len();
    let mut len = 0usize;
    // A copy of accessor `index` laid out at the end of the new buffer.
    let mut relocate = |root: &mut Root, index: Index<gltf::json::Accessor>, what: &str| {
        let mut accessor = root.accessors.get(index.value()).cloned().ok_or_else(|| {
            format!(
                "{what} refers to accessor {} but the file has {}",
                index.value(),
                root.accessors.len()
            )
        })?;
        let (Checked::Valid(GenericComponentType(component)), Checked::Valid(kind)) =
            (accessor.component_type, accessor.type_)
        else {
            return Err(format!("{what}'s accessor has an invalid type"));
        };
        let count = usize::try_from(accessor.count.0).map_err(|_| "count too large".to_string())?;
        let output = Output {
            offset: len.next_multiple_of(4),
            count,
            component,
            components: kind.multiplicity(),
            normalized: accessor.normalized,
        };
        let byte_len = count
            .checked_mul(output.components * component.size())
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(|| format!("{what}'s accessor of {count} values is too large"))?;
        len = output.offset + byte_len;
        let view =
            super::gltf::append_view(root, buffer, Some(output.offset as u64), byte_len as u64);
        // The original, if it has no data of its own (as Draco files write it), reads the
        // decoded values too: gltf-json refuses an accessor with neither a view nor sparse
        // values, even one no primitive uses any more.
        let original = &mut root.accessors[index.value()];
        if original.buffer_view.is_none() && original.sparse.is_none() {
            original.buffer_view = Some(Index::new(view as u32));
            original.byte_offset = None;
        }
        accessor.buffer_view = Some(Index::new(view as u32));
        accessor.byte_offset = None;
        accessor.sparse = None;
        let new = Index::new(root.accessors.len() as u32);
        root.accessors.push(accessor);
        Ok((new, output))
    };

    let indices = match root.meshes[mesh].primitives[primitive].indices {
        Some(index) => {
            let (new, output) = relocate(root, index, "indices")?;
            if !matches!(
                output.component,
                ComponentType::U8 | ComponentType::U16 | ComponentType::U32
            ) || output.components != 1
            {
                return Err("indices are not unsigned integer scalars".into());
            }
            root.meshes[mesh].primitives[primitive].indices = Some(new);
            Some(output)
        }
        None => None,
    };
    let mut attributes = Vec::new();
    for (semantic, id) in extension.attributes {
        // A name the primitive does not use (or no glTF semantic at all) has nothing to fill.
        let key = serde_json::from_value::<Checked<Semantic>>(semantic.clone().into())
            .unwrap_or(Checked::Invalid);
        let Some(&original) = root.meshes[mesh].primitives[primitive].attributes.get(&key) else {
            continue;
        };
        let (new, output) = relocate(root, original, &semantic)?;
        root.meshes[mesh].primitives[primitive]
            .attributes
            .insert(key, new);
        attributes.push((semantic, id, output));
    }
    let appended = super::gltf::append_buffer(root, len as u64);
    debug_assert_eq!(appended, buffer);
    Ok(Compressed {
        mesh,
        primitive,
        view: extension.buffer_view,
        stream,
        buffer,
        len: len as u64,
        indices,
        attributes,
    })
}

/// Decodes every primitive [`rewrite`] planned, in parallel, into the buffer appended for it:
/// `buffers` holds every buffer of the document, those [`Plan::fills`] empty.
pub(super) fn decode(file: &str, plan: &Plan, buffers: &mut [Vec<u8>]) -> Result<(), ImportError> {
    let allowed = super::gltf::expansion_budget(buffers);
    let error = |p: &Compressed, problem: String| ImportError::Parse {
        file: file.into(),
        problem: format!(
            "meshes[{}].primitives[{}] {EXTENSION}: {problem}",
            p.mesh, p.primitive
        ),
    };
    let mut total = 0u64;
    for p in &plan.primitives {
        total = total.saturating_add(p.len);
        if total > allowed {
            return Err(error(
                p,
                format!(
                    "Draco-compressed primitives would decode to more than {allowed} bytes, \
                     more than this file may expand to"
                ),
            ));
        }
    }
    let decoded: Vec<Result<Vec<u8>, ImportError>> = plan
        .primitives
        .par_iter()
        .map(|p| {
            let (buffer, offset, length) = p.stream;
            let stream = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(offset.saturating_add(length)).ok())
                .and_then(|(start, end)| buffers.get(buffer)?.get(start..end))
                .ok_or_else(|| {
                    error(p, format!("buffer view {} lies outside its buffer", p.view))
                })?;
            decode_primitive(p, stream).map_err(|problem| error(p, problem))
        })
        .collect();
    for (bytes, p) in decoded.into_iter().zip(&plan.primitives) {
        buffers[p.buffer] = bytes?;
    }
    Ok(())
}

/// The decoded bytes of one primitive's appended buffer, or what is wrong with its stream.
fn decode_primitive(p: &Compressed, stream: &[u8]) -> Result<Vec<u8>, String> {
    let mesh = std::panic::catch_unwind(|| {
        let mut mesh = draco_core::Mesh::new();
        draco_core::MeshDecoder::new()
            .decode(&mut draco_core::DecoderBuffer::new(stream), &mut mesh)
            .map(|()| mesh)
    })
    .map_err(|_| "the Draco decoder failed on this stream (corrupt data)".to_string())?
    .map_err(|e| format!("corrupt Draco data: {e}"))?;

    let points = mesh.num_points();
    let mut out = vec![0u8; p.len as usize];
    if let Some(indices) = p.indices {
        let faces = mesh.faces();
        if faces.len().checked_mul(3) != Some(indices.count) {
            return Err(format!(
                "the stream has {} triangles but the indices accessor counts {} indices",
                faces.len(),
                indices.count
            ));
        }
        let max = match indices.component {
            ComponentType::U8 => u8::MAX as u32,
            ComponentType::U16 => u16::MAX as u32,
            _ => u32::MAX,
        };
        let target = &mut out[indices.offset..indices.offset + indices.byte_len()];
        let size = indices.component.size();
        for (slot, point) in target
            .chunks_exact_mut(size)
            .zip(faces.as_flattened().iter().map(|i| i.0))
        {
            if point as usize >= points || point > max {
                return Err(format!(
                    "a triangle uses point {point} of {points} (or past its {:?} indices)",
                    indices.component
                ));
            }
            slot.copy_from_slice(&point.to_le_bytes()[..size]);
        }
    } else if !mesh.faces().is_empty() {
        return Err("the stream has triangles but the primitive no indices accessor".into());
    }
    for (semantic, id, output) in &p.attributes {
        let attribute = mesh
            .attribute_by_unique_id(*id)
            .ok_or_else(|| format!("{semantic} is Draco attribute {id}, which the stream lacks"))?;
        if output.count != points {
            return Err(format!(
                "the stream has {points} points but {semantic}'s accessor counts {}",
                output.count
            ));
        }
        let mut values = attribute.read_f32s(points, output.components);
        rescale(&mut values, attribute, output);
        write_values(
            &values,
            output.component,
            &mut out[output.offset..output.offset + output.byte_len()],
        );
    }
    Ok(out)
}

/// Converts values read as the stream stores them to what `output`'s accessor means: the
/// decoder hands out a normalized integer attribute's raw integers, which a float accessor
/// reads as fractions, and a float attribute read into a normalized integer accessor is scaled
/// up. Integers read into integer accessors stay as they are.
fn rescale(values: &mut [f32], attribute: &draco_core::PointAttribute, output: &Output) {
    use draco_core::DataType;
    let integer_max = |data_type: DataType| match data_type {
        DataType::Int8 => Some(127.0),
        DataType::Uint8 => Some(255.0),
        DataType::Int16 => Some(32767.0),
        DataType::Uint16 => Some(65535.0),
        _ => None,
    };
    let accessor_max = match output.component {
        ComponentType::I8 => 127.0,
        ComponentType::U8 => 255.0,
        ComponentType::I16 => 32767.0,
        ComponentType::U16 => 65535.0,
        ComponentType::U32 | ComponentType::F32 => 1.0,
    };
    let stored = attribute.data_type();
    let factor = match output.component {
        ComponentType::F32 if attribute.normalized() => integer_max(stored).map(|m| 1.0 / m),
        _ if output.normalized && matches!(stored, DataType::Float32 | DataType::Float64) => {
            Some(accessor_max)
        }
        _ => None,
    };
    if let Some(factor) = factor {
        values.iter_mut().for_each(|v| *v *= factor);
    }
}

/// Writes `values` into `target` as `component` values (rounded and clamped to the integer
/// types, whose decoded values are whole numbers already).
fn write_values(values: &[f32], component: ComponentType, target: &mut [u8]) {
    fn put<const N: usize>(values: &[f32], target: &mut [u8], to: impl Fn(f32) -> [u8; N]) {
        for (slot, value) in target.chunks_exact_mut(N).zip(values) {
            slot.copy_from_slice(&to(*value));
        }
    }
    // `as` from f32 rounds toward zero and saturates (NaN → 0): round first.
    match component {
        ComponentType::I8 => put(values, target, |v| (v.round() as i8).to_le_bytes()),
        ComponentType::U8 => put(values, target, |v| (v.round() as u8).to_le_bytes()),
        ComponentType::I16 => put(values, target, |v| (v.round() as i16).to_le_bytes()),
        ComponentType::U16 => put(values, target, |v| (v.round() as u16).to_le_bytes()),
        ComponentType::U32 => put(values, target, |v| (v.round() as u32).to_le_bytes()),
        ComponentType::F32 => put(values, target, f32::to_le_bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_accessors_get_rounded_saturated_values() {
        let values = [-1.4, 0.6, 300.0, f32::NAN];
        let mut bytes = [0u8; 4];
        write_values(&values, ComponentType::U8, &mut bytes);
        assert_eq!(bytes, [0, 1, 255, 0]);
        let mut bytes = [0u8; 8];
        write_values(&values, ComponentType::I16, &mut bytes);
        let read: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(read, [-1, 1, 300, 0]);
    }
}
