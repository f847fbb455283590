//! Primitive mesh builders, shared by the world generator and the "Add primitive" commands.
//!
//! Every builder returns a [`Mesh`] centred on the origin (the gable roof stands on it), with
//! counter-clockwise front faces (glTF), outward unit normals — one per face at hard edges,
//! smooth across curved surfaces — and UVs in `[0, 1]`. Sizes are in metres. Segment counts
//! are raised to the smallest value that still makes a closed shape.

use crate::scene::{Mesh, Primitive};
use glam::{Affine3A, Mat3, Vec2, Vec3};
use std::collections::HashMap;
use std::f32::consts::{PI, TAU};

/// Accumulates vertices and triangles.
#[derive(Default)]
struct Builder {
    positions: Vec<[f32; 3]>,
    normals: Vec<[f32; 3]>,
    uvs: Vec<[f32; 2]>,
    indices: Vec<u32>,
}

impl Builder {
    fn vertex(&mut self, position: Vec3, normal: Vec3, uv: Vec2) -> u32 {
        let index = self.positions.len() as u32;
        self.positions.push(position.to_array());
        self.normals.push(normal.normalize_or(Vec3::Y).to_array());
        self.uvs.push(uv.to_array());
        index
    }

    fn triangle(&mut self, a: u32, b: u32, c: u32) {
        self.indices.extend([a, b, c]);
    }

    /// A flat quad. `corners` run counter-clockwise seen from the front, starting at the
    /// texture's bottom-left: bottom-left, bottom-right, top-right, top-left.
    fn quad(&mut self, corners: [Vec3; 4], normal: Vec3) {
        let [a, b, c, d] = corners;
        let a = self.vertex(a, normal, Vec2::new(0.0, 1.0));
        let b = self.vertex(b, normal, Vec2::new(1.0, 1.0));
        let c = self.vertex(c, normal, Vec2::new(1.0, 0.0));
        let d = self.vertex(d, normal, Vec2::new(0.0, 0.0));
        self.triangle(a, b, c);
        self.triangle(a, c, d);
    }

    /// Triangles over a `(columns + 1) × (rows + 1)` vertex grid stored row by row from
    /// `first`, where +column and +row span the front face like u and v on [`Builder::quad`].
    fn grid(&mut self, first: u32, columns: u32, rows: u32) {
        let stride = columns + 1;
        for row in 0..rows {
            for column in 0..columns {
                let a = first + row * stride + column;
                let (b, d) = (a + 1, a + stride);
                let c = d + 1;
                self.triangle(a, b, c);
                self.triangle(a, c, d);
            }
        }
    }

    fn build(self) -> Mesh {
        Mesh::new(
            self.positions,
            self.normals,
            self.uvs,
            Vec::new(),
            self.indices,
        )
    }
}

/// Unit direction in the XZ plane at `angle` radians, starting at +Z and turning towards +X.
fn around_y(angle: f32) -> Vec3 {
    Vec3::new(angle.sin(), 0.0, angle.cos())
}

/// A box of `size` (x, y, z) with flat faces; each face maps the whole texture.
pub fn cuboid(size: Vec3) -> Mesh {
    let half = size.abs() * 0.5;
    let mut builder = Builder::default();
    // (normal, texture right, texture up) with right × up = normal.
    let faces = [
        (Vec3::X, Vec3::NEG_Z, Vec3::Y),
        (Vec3::NEG_X, Vec3::Z, Vec3::Y),
        (Vec3::Y, Vec3::X, Vec3::NEG_Z),
        (Vec3::NEG_Y, Vec3::X, Vec3::Z),
        (Vec3::Z, Vec3::X, Vec3::Y),
        (Vec3::NEG_Z, Vec3::NEG_X, Vec3::Y),
    ];
    for (normal, right, up) in faces {
        let (centre, du, dv) = (normal * half, right * half, up * half);
        builder.quad(
            [
                centre - du - dv,
                centre + du - dv,
                centre + du + dv,
                centre - du + dv,
            ],
            normal,
        );
    }
    builder.build()
}

/// A cube with edges of length `size`.
pub fn cube(size: f32) -> Mesh {
    cuboid(Vec3::splat(size))
}

/// A flat rectangle in the XZ plane facing +Y, `size` = (x, z), split into
/// `subdivisions × subdivisions` quads.
pub fn plane(size: Vec2, subdivisions: u32) -> Mesh {
    let n = subdivisions.max(1);
    let mut builder = Builder::default();
    // Rows run towards -Z so that +X × -Z = +Y faces up.
    for row in 0..=n {
        for column in 0..=n {
            let (s, t) = (column as f32 / n as f32, row as f32 / n as f32);
            let position = Vec3::new((s - 0.5) * size.x, 0.0, (0.5 - t) * size.y);
            builder.vertex(position, Vec3::Y, Vec2::new(s, 1.0 - t));
        }
    }
    builder.grid(0, n, n);
    builder.build()
}

/// A flat disc in the XZ plane facing +Y.
pub fn disc(radius: f32, segments: u32) -> Mesh {
    let segments = segments.max(3);
    let mut builder = Builder::default();
    let centre = builder.vertex(Vec3::ZERO, Vec3::Y, Vec2::splat(0.5));
    cap(&mut builder, centre, radius, 0.0, segments, Vec3::Y);
    builder.build()
}

/// A fan around `centre` (already pushed) at height `y`, facing `normal` (±Y).
fn cap(builder: &mut Builder, centre: u32, radius: f32, y: f32, segments: u32, normal: Vec3) {
    let first = builder.positions.len() as u32;
    for i in 0..segments {
        let direction = around_y(i as f32 / segments as f32 * TAU);
        let uv = Vec2::new(0.5 + 0.5 * direction.x, 0.5 - 0.5 * direction.z);
        builder.vertex(direction * radius + Vec3::Y * y, normal, uv);
    }
    for i in 0..segments {
        let a = first + i;
        let b = first + (i + 1) % segments;
        if normal.y > 0.0 {
            builder.triangle(centre, a, b);
        } else {
            builder.triangle(centre, b, a);
        }
    }
}

/// A sphere of latitude rings and longitude segments, smooth-shaded, with equirectangular UVs.
pub fn uv_sphere(radius: f32, segments: u32, rings: u32) -> Mesh {
    let (segments, rings) = (segments.max(3), rings.max(2));
    let mut builder = Builder::default();
    // Rows run from the south pole up, so +column × +row points outwards.
    for row in 0..=rings {
        let polar = PI * (1.0 - row as f32 / rings as f32);
        for column in 0..=segments {
            // Pole vertices take the middle of their column so the texture does not swirl.
            let s = if row == 0 || row == rings {
                (column as f32 + 0.5) / segments as f32
            } else {
                column as f32 / segments as f32
            };
            let direction = around_y(s * TAU) * polar.sin() + Vec3::Y * polar.cos();
            let uv = Vec2::new(s, polar / PI);
            builder.vertex(direction * radius, direction, uv);
        }
    }
    let stride = segments + 1;
    for row in 0..rings {
        for column in 0..segments {
            let a = row * stride + column;
            let (b, d) = (a + 1, a + stride);
            let c = d + 1;
            // Skip the triangle that would collapse onto a pole.
            if row != 0 {
                builder.triangle(a, b, c);
            }
            if row != rings - 1 {
                builder.triangle(a, c, d);
            }
        }
    }
    builder.build()
}

/// Unit directions and triangles of an icosahedron subdivided `subdivisions` times
/// (20 · 4ⁿ triangles), counter-clockwise seen from outside.
pub(crate) fn ico_directions(subdivisions: u32) -> (Vec<Vec3>, Vec<[u32; 3]>) {
    let t = (1.0 + 5f32.sqrt()) / 2.0;
    let mut directions: Vec<Vec3> = [
        (-1.0, t, 0.0),
        (1.0, t, 0.0),
        (-1.0, -t, 0.0),
        (1.0, -t, 0.0),
        (0.0, -1.0, t),
        (0.0, 1.0, t),
        (0.0, -1.0, -t),
        (0.0, 1.0, -t),
        (t, 0.0, -1.0),
        (t, 0.0, 1.0),
        (-t, 0.0, -1.0),
        (-t, 0.0, 1.0),
    ]
    .into_iter()
    .map(|(x, y, z)| Vec3::new(x, y, z).normalize())
    .collect();
    let mut faces: Vec<[u32; 3]> = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    let at = |directions: &[Vec3], i: u32| directions.get(i as usize).copied().unwrap_or(Vec3::Y);
    for face in &mut faces {
        let [a, b, c] = face.map(|i| at(&directions, i));
        if (b - a).cross(c - a).dot(a + b + c) < 0.0 {
            face.swap(1, 2);
        }
    }
    for _ in 0..subdivisions.min(7) {
        let mut midpoints: HashMap<(u32, u32), u32> = HashMap::new();
        let mut midpoint = |directions: &mut Vec<Vec3>, a: u32, b: u32| {
            *midpoints.entry((a.min(b), a.max(b))).or_insert_with(|| {
                let m = (at(directions, a) + at(directions, b)).normalize();
                directions.push(m);
                directions.len() as u32 - 1
            })
        };
        let mut finer = Vec::with_capacity(faces.len() * 4);
        for [a, b, c] in faces {
            let ab = midpoint(&mut directions, a, b);
            let bc = midpoint(&mut directions, b, c);
            let ca = midpoint(&mut directions, c, a);
            finer.extend([[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]);
        }
        faces = finer;
    }
    (directions, faces)
}

/// Equirectangular texture coordinates of a unit direction.
pub(crate) fn spherical_uv(direction: Vec3) -> [f32; 2] {
    [
        0.5 + direction.x.atan2(direction.z) / TAU,
        direction.y.clamp(-1.0, 1.0).acos() / PI,
    ]
}

/// A geodesic sphere: an icosahedron subdivided `subdivisions` times (at most 7), smooth-shaded.
/// Evenly sized triangles make it the better base for displaced organic shapes.
pub fn ico_sphere(radius: f32, subdivisions: u32) -> Mesh {
    let (directions, faces) = ico_directions(subdivisions);
    Mesh::new(
        directions
            .iter()
            .map(|d| (*d * radius).to_array())
            .collect(),
        directions.iter().map(|d| d.to_array()).collect(),
        directions.iter().map(|d| spherical_uv(*d)).collect(),
        Vec::new(),
        faces.into_iter().flatten().collect(),
    )
}

/// An upright cylinder (axis Y) with smooth sides and flat caps.
pub fn cylinder(radius: f32, height: f32, segments: u32) -> Mesh {
    let segments = segments.max(3);
    let half = height * 0.5;
    let mut builder = Builder::default();
    for row in 0..2 {
        let y = if row == 0 { -half } else { half };
        for column in 0..=segments {
            let s = column as f32 / segments as f32;
            let direction = around_y(s * TAU);
            builder.vertex(
                direction * radius + Vec3::Y * y,
                direction,
                Vec2::new(s, 1.0 - row as f32),
            );
        }
    }
    builder.grid(0, segments, 1);
    for (y, normal) in [(half, Vec3::Y), (-half, Vec3::NEG_Y)] {
        let centre = builder.vertex(Vec3::Y * y, normal, Vec2::splat(0.5));
        cap(&mut builder, centre, radius, y, segments, normal);
    }
    builder.build()
}

/// An upright cone (axis Y, apex up) with a flat base; the apex is split per segment so the
/// sides shade smoothly without a dark pole.
pub fn cone(radius: f32, height: f32, segments: u32) -> Mesh {
    let segments = segments.max(3);
    let half = height * 0.5;
    let mut builder = Builder::default();
    // The side normal leans outwards by the slope: (radial · height, radius) normalised.
    let side_normal = |angle: f32| around_y(angle) * height + Vec3::Y * radius;
    for i in 0..segments {
        let (s0, s1) = (i as f32 / segments as f32, (i + 1) as f32 / segments as f32);
        let (a0, a1, mid) = (s0 * TAU, s1 * TAU, (s0 + s1) * 0.5 * TAU);
        let base = Vec3::Y * -half;
        let a = builder.vertex(
            around_y(a0) * radius + base,
            side_normal(a0),
            Vec2::new(s0, 1.0),
        );
        let b = builder.vertex(
            around_y(a1) * radius + base,
            side_normal(a1),
            Vec2::new(s1, 1.0),
        );
        let apex = builder.vertex(
            Vec3::Y * half,
            side_normal(mid),
            Vec2::new((s0 + s1) * 0.5, 0.0),
        );
        builder.triangle(a, b, apex);
    }
    let centre = builder.vertex(Vec3::Y * -half, Vec3::NEG_Y, Vec2::splat(0.5));
    cap(&mut builder, centre, radius, -half, segments, Vec3::NEG_Y);
    builder.build()
}

/// A ring lying in the XZ plane around the Y axis: `major_radius` to the tube's centre line,
/// `minor_radius` of the tube.
pub fn torus(
    major_radius: f32,
    minor_radius: f32,
    major_segments: u32,
    minor_segments: u32,
) -> Mesh {
    let (major_segments, minor_segments) = (major_segments.max(3), minor_segments.max(3));
    let mut builder = Builder::default();
    // Rows go around the tube, columns around the ring: ring direction × tube direction
    // points out of the surface.
    for row in 0..=minor_segments {
        let t = row as f32 / minor_segments as f32;
        let (sin, cos) = (t * TAU).sin_cos();
        for column in 0..=major_segments {
            let s = column as f32 / major_segments as f32;
            let radial = around_y(s * TAU);
            let normal = radial * cos + Vec3::Y * sin;
            let position = radial * major_radius + normal * minor_radius;
            builder.vertex(position, normal, Vec2::new(s, 1.0 - t));
        }
    }
    builder.grid(0, major_segments, minor_segments);
    builder.build()
}

/// A gable roof standing on the origin: the ridge runs along X at height `size.y`, the eaves
/// lie at y = 0 and z = ±`size.z`/2, with flat triangular gables at x = ±`size.x`/2 and a
/// flat soffit underneath.
pub fn gable_roof(size: Vec3) -> Mesh {
    let Vec3 { x, y, z } = size.abs();
    let (hx, hz) = (x * 0.5, z * 0.5);
    let mut builder = Builder::default();
    // Front slope (+Z) and back slope (-Z): outward normals lean up by the pitch.
    builder.quad(
        [
            Vec3::new(-hx, 0.0, hz),
            Vec3::new(hx, 0.0, hz),
            Vec3::new(hx, y, 0.0),
            Vec3::new(-hx, y, 0.0),
        ],
        Vec3::new(0.0, hz, y),
    );
    builder.quad(
        [
            Vec3::new(hx, 0.0, -hz),
            Vec3::new(-hx, 0.0, -hz),
            Vec3::new(-hx, y, 0.0),
            Vec3::new(hx, y, 0.0),
        ],
        Vec3::new(0.0, hz, -y),
    );
    // Gables.
    for side in [1.0f32, -1.0] {
        let normal = Vec3::X * side;
        let a = builder.vertex(
            Vec3::new(side * hx, 0.0, side * hz),
            normal,
            Vec2::new(0.0, 1.0),
        );
        let b = builder.vertex(
            Vec3::new(side * hx, 0.0, -side * hz),
            normal,
            Vec2::new(1.0, 1.0),
        );
        let apex = builder.vertex(Vec3::new(side * hx, y, 0.0), normal, Vec2::new(0.5, 0.0));
        builder.triangle(a, b, apex);
    }
    // Soffit.
    builder.quad(
        [
            Vec3::new(-hx, 0.0, -hz),
            Vec3::new(hx, 0.0, -hz),
            Vec3::new(hx, 0.0, hz),
            Vec3::new(-hx, 0.0, hz),
        ],
        Vec3::NEG_Y,
    );
    builder.build()
}

/// Several meshes baked into one, each moved by its `Affine3A` (normals by the inverse
/// transpose). UVs are kept where a part has them and zero elsewhere; colours are dropped.
pub(crate) fn merged(parts: &[(Mesh, Affine3A)]) -> Mesh {
    let mut builder = Builder::default();
    for (mesh, transform) in parts {
        let first = builder.positions.len() as u32;
        let normal_from_local = Mat3::from(transform.matrix3).inverse().transpose();
        for (k, (position, normal)) in mesh.positions.iter().zip(&mesh.normals).enumerate() {
            let uv = mesh.uvs.get(k).copied().unwrap_or([0.0; 2]);
            builder.vertex(
                transform.transform_point3(Vec3::from(*position)),
                normal_from_local * Vec3::from(*normal),
                Vec2::from(uv),
            );
        }
        builder
            .indices
            .extend(mesh.indices.iter().map(|i| first + i));
    }
    builder.build()
}

/// Largest segment/ring/subdivision count Add ▸ shapes accept (a 512 × 512 sphere is 0.5 M
/// triangles: enough detail, bounded memory).
pub const MAX_PRIMITIVE_SEGMENTS: u32 = 512;

/// The mesh of a parametric shape. Non-finite or non-positive sizes fall back to a small
/// positive size and counts are clamped to `3..=MAX_PRIMITIVE_SEGMENTS` (a plane to at least
/// one subdivision), so any parameters give a valid, bounded mesh.
pub fn primitive_mesh(shape: &Primitive) -> Mesh {
    let size = |v: f32| {
        if v.is_finite() && v > 0.0 {
            v.min(1.0e6)
        } else {
            1.0e-3
        }
    };
    let count = |n: u32, min: u32| n.clamp(min, MAX_PRIMITIVE_SEGMENTS);
    let mut mesh = match *shape {
        Primitive::Cube { size: s } => cube(size(s)),
        Primitive::UvSphere {
            radius,
            segments,
            rings,
        } => uv_sphere(size(radius), count(segments, 3), count(rings, 2)),
        Primitive::Plane {
            size: s,
            subdivisions,
        } => plane(Vec2::splat(size(s)), count(subdivisions, 1)),
        Primitive::Cylinder {
            radius,
            height,
            segments,
        } => cylinder(size(radius), size(height), count(segments, 3)),
        Primitive::Cone {
            radius,
            height,
            segments,
        } => cone(size(radius), size(height), count(segments, 3)),
        Primitive::Torus {
            major_radius,
            minor_radius,
            major_segments,
            minor_segments,
        } => torus(
            size(major_radius),
            size(minor_radius),
            count(major_segments, 3),
            count(minor_segments, 3),
        ),
    };
    mesh.primitive = Some(*shape);
    mesh
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Panics unless every triangle's geometric normal (from its CCW winding) agrees with all
    /// three of its vertex normals, every normal is unit length and every index is in range.
    pub(crate) fn assert_ccw_and_unit(name: &str, mesh: &Mesh) {
        assert_eq!(mesh.indices.len() % 3, 0, "{name}");
        assert_eq!(mesh.normals.len(), mesh.positions.len(), "{name}");
        for n in &mesh.normals {
            let length = Vec3::from(*n).length();
            assert!(
                (length - 1.0).abs() < 1e-3,
                "{name}: normal length {length}"
            );
        }
        for tri in mesh.indices.chunks_exact(3) {
            let corner = |k: usize| {
                let i = tri[k] as usize;
                assert!(i < mesh.positions.len(), "{name}: index {i} out of range");
                (Vec3::from(mesh.positions[i]), Vec3::from(mesh.normals[i]))
            };
            let ((a, na), (b, nb), (c, nc)) = (corner(0), corner(1), corner(2));
            let face = (b - a).cross(c - a);
            if face.length() < 1e-9 {
                continue;
            }
            for n in [na, nb, nc] {
                assert!(
                    face.normalize().dot(n) > 0.0,
                    "{name}: triangle {tri:?} winds against its normals"
                );
            }
        }
    }

    fn all_shapes() -> Vec<(&'static str, Mesh)> {
        vec![
            ("cuboid", cuboid(Vec3::new(2.0, 1.0, 3.0))),
            ("cube", cube(1.0)),
            ("plane", plane(Vec2::new(4.0, 2.0), 3)),
            ("disc", disc(2.0, 16)),
            ("uv_sphere", uv_sphere(1.5, 16, 8)),
            ("ico_sphere", ico_sphere(1.5, 2)),
            ("cylinder", cylinder(0.5, 2.0, 12)),
            ("cone", cone(1.0, 2.0, 12)),
            ("torus", torus(2.0, 0.5, 24, 12)),
            ("gable_roof", gable_roof(Vec3::new(6.0, 2.0, 5.0))),
            (
                "merged",
                merged(&[
                    (cone(1.0, 2.0, 8), Affine3A::from_translation(Vec3::Y)),
                    (
                        cuboid(Vec3::ONE),
                        Affine3A::from_scale(Vec3::new(2.0, 0.5, 1.0)),
                    ),
                ]),
            ),
        ]
    }

    #[test]
    fn shapes_wind_counter_clockwise_with_unit_normals() {
        for (name, mesh) in all_shapes() {
            assert!(mesh.triangle_count() > 0, "{name}");
            assert_eq!(mesh.uvs.len(), mesh.positions.len(), "{name}");
            assert_ccw_and_unit(name, &mesh);
        }
    }

    #[test]
    fn box_and_spheres_normals_point_outward() {
        for (name, mesh) in [
            ("cuboid", cuboid(Vec3::new(2.0, 1.0, 3.0))),
            ("uv_sphere", uv_sphere(1.0, 12, 6)),
            ("ico_sphere", ico_sphere(1.0, 1)),
        ] {
            for (p, n) in mesh.positions.iter().zip(&mesh.normals) {
                assert!(Vec3::from(*n).dot(Vec3::from(*p)) > 0.0, "{name}");
            }
        }
        // Closed solids also enclose positive volume (divergence theorem): inverted winding
        // would make it negative.
        for (name, mesh) in all_shapes() {
            if matches!(name, "plane" | "disc") {
                continue;
            }
            let volume: f32 = mesh
                .indices
                .chunks_exact(3)
                .map(|t| {
                    let p = |k: usize| Vec3::from(mesh.positions[t[k] as usize]);
                    p(0).dot(p(1).cross(p(2))) / 6.0
                })
                .sum();
            assert!(volume > 0.0, "{name}: volume {volume}");
        }
    }

    #[test]
    fn sizes_match_parameters() {
        let b = cuboid(Vec3::new(2.0, 1.0, 3.0)).bounds();
        assert!((b.size() - Vec3::new(2.0, 1.0, 3.0)).length() < 1e-5);
        let roof = gable_roof(Vec3::new(6.0, 2.0, 5.0)).bounds();
        assert!((roof.min - Vec3::new(-3.0, 0.0, -2.5)).length() < 1e-5);
        assert!((roof.max - Vec3::new(3.0, 2.0, 2.5)).length() < 1e-5);
        assert_eq!(ico_sphere(1.0, 2).triangle_count(), 320);
        let torus = torus(2.0, 0.5, 24, 12).bounds();
        assert!((torus.max.y - 0.5).abs() < 1e-4 && (torus.max.x - 2.5).abs() < 1e-2);
    }
}
