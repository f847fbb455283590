//! Geometry algorithms behind the mesh commands: split into connected parts, merge, flip
//! and recompute normals, bake a transform. Pure functions from meshes to new meshes (a
//! [`Mesh`] is immutable; an edit replaces it).
//!
//! "Connected" means sharing a vertex *position*: generated and imported meshes duplicate
//! vertices along UV and normal seams, and a cube must stay one part, not six faces.

use crate::scene::{Aabb, Mesh};
use glam::{Mat3, Mat4, Vec3};
use std::collections::HashMap;

/// Triangles (as index triples) that reference only existing vertices.
fn triangles(mesh: &Mesh) -> impl Iterator<Item = (usize, [u32; 3])> + '_ {
    let n = mesh.positions.len();
    mesh.indices
        .chunks_exact(3)
        .enumerate()
        .filter(move |(_, t)| t.iter().all(|i| (*i as usize) < n))
        .map(|(k, t)| (k, [t[0], t[1], t[2]]))
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let up = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = up;
            x = up;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (lo, hi) = (a.min(b), a.max(b));
            self.0[hi as usize] = lo;
        }
    }
}

/// The connected parts of a mesh: for each part, the indices of its triangles, in order of
/// their first triangle.
pub fn connected_parts(mesh: &Mesh) -> Vec<Vec<u32>> {
    let weld = Mesh::weld_map(&mesh.positions);
    let mut sets = UnionFind((0..mesh.positions.len() as u32).collect());
    for (_, [a, b, c]) in triangles(mesh) {
        let (a, b, c) = (weld[a as usize], weld[b as usize], weld[c as usize]);
        sets.union(a, b);
        sets.union(b, c);
    }
    let mut part_of_root: HashMap<u32, usize> = HashMap::new();
    let mut parts: Vec<Vec<u32>> = Vec::new();
    for (k, [a, ..]) in triangles(mesh) {
        let root = sets.find(weld[a as usize]);
        let part = *part_of_root.entry(root).or_insert_with(|| {
            parts.push(Vec::new());
            parts.len() - 1
        });
        parts[part].push(k as u32);
    }
    parts
}

/// A new mesh with only the given triangles and the vertices they use (all attributes kept).
pub fn extract(mesh: &Mesh, triangle_ids: &[u32]) -> Mesh {
    let mut remap: HashMap<u32, u32> = HashMap::new();
    let mut order: Vec<u32> = Vec::new();
    let mut indices = Vec::with_capacity(triangle_ids.len() * 3);
    for t in triangle_ids {
        let base = *t as usize * 3;
        let Some(tri) = mesh.indices.get(base..base + 3) else {
            continue;
        };
        if tri.iter().any(|i| *i as usize >= mesh.positions.len()) {
            continue;
        }
        for i in tri {
            let next = order.len() as u32;
            let new = *remap.entry(*i).or_insert_with(|| {
                order.push(*i);
                next
            });
            indices.push(new);
        }
    }
    fn pick<T: Copy>(src: &[T], order: &[u32]) -> Vec<T> {
        if src.is_empty() {
            return Vec::new();
        }
        order
            .iter()
            .filter_map(|i| src.get(*i as usize).copied())
            .collect()
    }
    let mut out = Mesh::new(
        pick(&mesh.positions, &order),
        pick(&mesh.normals, &order),
        pick(&mesh.uvs, &order),
        pick(&mesh.colors, &order),
        indices,
    );
    out.uvs1 = pick(&mesh.uvs1, &order);
    out.tangents = pick(&mesh.tangents, &order);
    out
}

/// `mesh` with every vertex moved by `m`: positions by the matrix, normals by its inverse
/// transpose, tangents by its linear part; a mirroring matrix also reverses the winding so
/// the front faces stay in front.
pub fn transformed(mesh: &Mesh, m: Mat4) -> Mesh {
    let linear = Mat3::from_mat4(m);
    let normal_matrix = linear.inverse().transpose();
    let mirrored = linear.determinant() < 0.0;
    let positions = mesh
        .positions
        .iter()
        .map(|p| m.transform_point3(Vec3::from(*p)).to_array())
        .collect();
    let normals = mesh
        .normals
        .iter()
        .map(|n| {
            (normal_matrix * Vec3::from(*n))
                .normalize_or(Vec3::Y)
                .to_array()
        })
        .collect();
    let mut indices = mesh.indices.clone();
    if mirrored {
        for t in indices.chunks_exact_mut(3) {
            t.swap(1, 2);
        }
    }
    let mut out = Mesh::new(
        positions,
        normals,
        mesh.uvs.clone(),
        mesh.colors.clone(),
        indices,
    );
    out.uvs1 = mesh.uvs1.clone();
    out.tangents = mesh
        .tangents
        .iter()
        .map(|t| {
            let xyz = (linear * Vec3::new(t[0], t[1], t[2])).normalize_or(Vec3::X);
            let w = if mirrored { -t[3] } else { t[3] };
            [xyz.x, xyz.y, xyz.z, w]
        })
        .collect();
    out.primitive = None;
    out
}

/// Meshes combined into one, each first moved by its matrix (into the space of the result).
/// Attributes only some meshes have are filled with neutral values (UV 0, white colour);
/// tangents are kept only when every mesh has them.
pub fn merge(parts: &[(&Mesh, Mat4)]) -> Mesh {
    let any_uvs = parts.iter().any(|(m, _)| !m.uvs.is_empty());
    let any_uvs1 = parts.iter().any(|(m, _)| !m.uvs1.is_empty());
    let any_colors = parts.iter().any(|(m, _)| !m.colors.is_empty());
    let all_tangents = parts
        .iter()
        .all(|(m, _)| m.tangents.len() == m.positions.len() && !m.positions.is_empty());
    let (mut positions, mut normals, mut uvs, mut uvs1, mut colors, mut tangents, mut indices) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (mesh, m) in parts {
        let moved = transformed(mesh, *m);
        let base = positions.len() as u32;
        let n = moved.positions.len();
        indices.extend(triangles(&moved).flat_map(|(_, t)| t).map(|i| i + base));
        positions.extend(&moved.positions);
        normals.extend(&moved.normals);
        let fill = |dst: &mut Vec<_>, src: &[_], default| {
            if src.len() == n {
                dst.extend_from_slice(src);
            } else {
                dst.extend(std::iter::repeat_n(default, n));
            }
        };
        if any_uvs {
            fill(&mut uvs, &moved.uvs, [0.0; 2]);
        }
        if any_uvs1 {
            fill(&mut uvs1, &moved.uvs1, [0.0; 2]);
        }
        if any_colors {
            colors.extend(if moved.colors.len() == n {
                moved.colors.clone()
            } else {
                vec![[1.0; 4]; n]
            });
        }
        if all_tangents {
            tangents.extend(&moved.tangents);
        }
    }
    let mut out = Mesh::new(positions, normals, uvs, colors, indices);
    out.uvs1 = uvs1;
    out.tangents = tangents;
    out
}

/// The mesh seen from the other side: normals negated, winding reversed.
pub fn flipped(mesh: &Mesh) -> Mesh {
    let mut out = mesh.clone_data();
    for n in &mut out.normals {
        *n = n.map(|c| -c);
    }
    for t in out.indices.chunks_exact_mut(3) {
        t.swap(1, 2);
    }
    for t in &mut out.tangents {
        t[3] = -t[3];
    }
    out
}

/// Smooth normals: face normals weighted by the corner angle (independent of how faces are
/// cut into triangles), averaged over every vertex at the same position (so seams in UVs
/// do not show as creases).
pub fn smooth_shaded(mesh: &Mesh) -> Mesh {
    let weld = Mesh::weld_map(&mesh.positions);
    let mut acc = vec![Vec3::ZERO; mesh.positions.len()];
    for (_, [a, b, c]) in triangles(mesh) {
        let p = |i: u32| Vec3::from(mesh.positions[i as usize]);
        let n = (p(b) - p(a)).cross(p(c) - p(a)).normalize_or_zero();
        if !n.is_finite() || n == Vec3::ZERO {
            continue;
        }
        for (i, j, k) in [(a, b, c), (b, c, a), (c, a, b)] {
            let angle = (p(j) - p(i)).angle_between(p(k) - p(i));
            if angle.is_finite() {
                acc[weld[i as usize] as usize] += n * angle;
            }
        }
    }
    let mut out = mesh.clone_data();
    out.normals = weld
        .iter()
        .map(|w| acc[*w as usize].normalize_or(Vec3::Y).to_array())
        .collect();
    // Tangents were built for the old normals.
    out.tangents.clear();
    out
}

/// Flat normals: every triangle gets its own three vertices carrying its face normal.
pub fn flat_shaded(mesh: &Mesh) -> Mesh {
    let tris: Vec<[u32; 3]> = triangles(mesh).map(|(_, t)| t).collect();
    let take = |src_len: usize| src_len == mesh.positions.len();
    let mut positions = Vec::with_capacity(tris.len() * 3);
    let mut normals = Vec::with_capacity(tris.len() * 3);
    let mut uvs = Vec::new();
    let mut uvs1 = Vec::new();
    let mut colors = Vec::new();
    for [a, b, c] in &tris {
        let p = |i: u32| Vec3::from(mesh.positions[i as usize]);
        let n = (p(*b) - p(*a))
            .cross(p(*c) - p(*a))
            .normalize_or(Vec3::Y)
            .to_array();
        for i in [*a, *b, *c] {
            let i = i as usize;
            positions.push(mesh.positions[i]);
            normals.push(n);
            if take(mesh.uvs.len()) {
                uvs.push(mesh.uvs[i]);
            }
            if take(mesh.uvs1.len()) {
                uvs1.push(mesh.uvs1[i]);
            }
            if take(mesh.colors.len()) {
                colors.push(mesh.colors[i]);
            }
        }
    }
    let indices = (0..positions.len() as u32).collect();
    let mut out = Mesh::new(positions, normals, uvs, colors, indices);
    out.uvs1 = uvs1;
    out
}

/// The mesh moved so that the centre of its bounds is the origin, and that centre (to put
/// into the node's transform so nothing moves in the world).
pub fn recentred(mesh: &Mesh) -> (Mesh, Vec3) {
    let bounds: Aabb = mesh.bounds();
    if bounds.is_empty() {
        return (mesh.clone_data(), Vec3::ZERO);
    }
    let centre = bounds.center();
    (transformed(mesh, Mat4::from_translation(-centre)), centre)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::shapes;

    fn two_cubes() -> Mesh {
        let a = shapes::cube(1.0);
        let b = transformed(&shapes::cube(1.0), Mat4::from_translation(Vec3::X * 3.0));
        merge(&[(&a, Mat4::IDENTITY), (&b, Mat4::IDENTITY)])
    }

    #[test]
    fn a_cube_with_seams_is_one_part_and_two_cubes_are_two() {
        let cube = shapes::cube(1.0);
        assert_eq!(
            cube.vertex_count(),
            24,
            "the cube has split vertices at its edges"
        );
        assert_eq!(connected_parts(&cube).len(), 1);
        let both = two_cubes();
        let parts = connected_parts(&both);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), 12);
        assert_eq!(parts[1].len(), 12);
        let second = extract(&both, &parts[1]);
        assert_eq!(second.vertex_count(), 24);
        assert_eq!(second.triangle_count(), 12);
        assert!((second.bounds().center() - Vec3::X * 3.0).length() < 1e-5);
        let (centred, centre) = recentred(&second);
        assert!((centre - Vec3::X * 3.0).length() < 1e-5);
        assert!(centred.bounds().center().length() < 1e-5);
    }

    #[test]
    fn merge_fills_missing_attributes() {
        let mut coloured = shapes::cube(1.0);
        coloured.colors = vec![[1.0, 0.0, 0.0, 1.0]; coloured.vertex_count()];
        let plain = shapes::plane(glam::Vec2::ONE, 1);
        let merged = merge(&[(&coloured, Mat4::IDENTITY), (&plain, Mat4::IDENTITY)]);
        assert_eq!(
            merged.vertex_count(),
            coloured.vertex_count() + plain.vertex_count()
        );
        assert_eq!(merged.colors.len(), merged.vertex_count());
        assert_eq!(merged.colors[0], [1.0, 0.0, 0.0, 1.0]);
        assert_eq!(merged.colors[merged.vertex_count() - 1], [1.0; 4]);
        assert_eq!(
            merged.triangle_count(),
            coloured.triangle_count() + plain.triangle_count()
        );
    }

    #[test]
    fn flip_reverses_winding_and_normals() {
        let cube = shapes::cube(1.0);
        let f = flipped(&cube);
        assert_eq!(f.normals[0], cube.normals[0].map(|c| -c));
        assert_eq!(f.indices[1], cube.indices[2]);
        assert_eq!(flipped(&f).indices, cube.indices);
    }

    #[test]
    fn smooth_and_flat_normals() {
        let cube = shapes::cube(1.0);
        let smooth = smooth_shaded(&cube);
        // Every corner of a cube averages three faces: the normal points along a diagonal.
        for n in &smooth.normals {
            let n = Vec3::from(*n);
            assert!(
                (n.abs() - Vec3::splat(1.0 / 3f32.sqrt())).length() < 1e-4,
                "{n}"
            );
        }
        let flat = flat_shaded(&smooth);
        assert_eq!(flat.vertex_count(), 36);
        for tri in flat.indices.chunks_exact(3) {
            let n = Vec3::from(flat.normals[tri[0] as usize]);
            assert!(
                (n.abs().max_element() - 1.0).abs() < 1e-5,
                "axis-aligned {n}"
            );
        }
    }

    #[test]
    fn mirroring_keeps_faces_outward() {
        let cube = shapes::cube(1.0);
        let m = transformed(&cube, Mat4::from_scale(Vec3::new(-1.0, 1.0, 1.0)));
        for tri in m.indices.chunks_exact(3) {
            let p = |i: u32| Vec3::from(m.positions[i as usize]);
            let geometric = (p(tri[1]) - p(tri[0])).cross(p(tri[2]) - p(tri[0]));
            let n = Vec3::from(m.normals[tri[0] as usize]);
            assert!(geometric.dot(n) > 0.0);
        }
    }

    #[test]
    fn broken_indices_are_skipped() {
        let mut mesh = shapes::cube(1.0);
        mesh.indices.extend([0, 1, 999]);
        assert_eq!(
            connected_parts(&mesh).iter().map(Vec::len).sum::<usize>(),
            12
        );
        assert_eq!(flat_shaded(&mesh).triangle_count(), 12);
    }
}
