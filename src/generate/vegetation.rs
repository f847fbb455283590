//! Vegetation: trees clustered into woods by a density noise, and rocks that favour slopes.
//!
//! A handful of shared meshes (two lumpy canopies, one tiered conifer, three rocks) serve
//! every instance; variety comes from each node's rotation and scale.

use super::noise::{Noise, Rng, smoothstep, stream};
use super::shapes::{self, ico_directions, spherical_uv};
use super::terrain::{HALF_SIZE, Heightfield, WATER_LEVEL};
use super::{Circle, Kit, Parts};
use crate::scene::{Material, Mesh, MeshId, NodeId, Scene, Transform};
use glam::{Affine3A, Quat, Vec2, Vec3};

/// Trees grow from this far above the water up to the tree line.
const TREE_MIN_HEIGHT: f32 = WATER_LEVEL + 1.0;
const TREE_LINE: f32 = 21.0;
/// Steepest ground a tree grows on, as the minimum normal.y (about 28°).
const TREE_MIN_NORMAL_Y: f32 = 0.88;
/// Objects are scattered over the terrain minus this margin.
const SCATTER_HALF: f32 = HALF_SIZE - 8.0;

struct Species {
    trunk_radius: f32,
    /// Trunk top above the ground, metres (it continues 0.3 m into the ground).
    trunk_height: f32,
    canopy: MeshId,
    /// Canopy mesh origin above the ground.
    canopy_y: f32,
    /// Uniform scale of the canopy mesh.
    canopy_scale: f32,
    leaves: usize,
}

/// A unit sphere pushed in and out by noise, then squashed by `stretch`; smooth normals are
/// recomputed from the displaced triangles.
fn lumpy_sphere(noise: Noise, offset: f32, amplitude: f32, stretch: Vec3) -> Mesh {
    let (directions, faces) = ico_directions(2);
    let positions = directions
        .iter()
        .map(|d| {
            // Three planar projections stand in for 3D noise.
            let p = *d * 1.7 + Vec3::splat(offset);
            let n =
                (noise.perlin(p.x, p.y) + noise.perlin(p.y, p.z) + noise.perlin(p.z, p.x)) / 3.0;
            (*d * (1.0 + amplitude * n) * stretch).to_array()
        })
        .collect();
    let uvs = directions.iter().map(|d| spherical_uv(*d)).collect();
    Mesh::new(
        positions,
        Vec::new(),
        uvs,
        Vec::new(),
        faces.into_iter().flatten().collect(),
    )
}

/// Three stacked cones, 5.6 m tall with a 1.9 m base radius; origin at the bottom.
fn conifer_canopy() -> Mesh {
    let tier = |radius: f32, height: f32, base: f32| {
        (
            shapes::cone(radius, height, 10),
            Affine3A::from_translation(Vec3::Y * (base + height * 0.5)),
        )
    };
    shapes::merged(&[
        tier(1.9, 3.0, 0.0),
        tier(1.5, 2.6, 1.5),
        tier(1.0, 2.2, 3.4),
    ])
}

/// Scatters 70–95 trees and 25–45 rocks under `root`, avoiding water, steep or high ground
/// and the `keep_out` circles.
pub(crate) fn build(
    scene: &mut Scene,
    root: NodeId,
    kit: Kit,
    terrain: &Heightfield,
    keep_out: &[Circle],
    seed: u64,
) {
    let mut rng = Rng::new(seed, stream::VEGETATION);
    let shape_noise = Noise::new(seed, stream::VEGETATION);
    let forest = Noise::new(seed, stream::FOREST);

    let mut material = |name: &str, rgb: [f32; 3], roughness: f32| {
        scene.add_material(Material::named(
            name,
            [rgb[0], rgb[1], rgb[2], 1.0],
            roughness,
        ))
    };
    let bark = material("Bark", [0.18, 0.12, 0.07], 0.9);
    let leaves = [
        material("Leaves", [0.06, 0.16, 0.04], 0.8),
        material("Leaves (autumn)", [0.20, 0.17, 0.04], 0.8),
        material("Needles", [0.03, 0.09, 0.04], 0.85),
    ];
    let rock_materials = [
        material("Granite", [0.27, 0.26, 0.25], 0.85),
        material("Mossy rock", [0.17, 0.19, 0.12], 0.9),
    ];

    let species = [
        Species {
            trunk_radius: 0.18,
            trunk_height: 2.9,
            canopy: scene.add_mesh(lumpy_sphere(shape_noise, 0.0, 0.22, Vec3::ONE)),
            canopy_y: 4.1,
            canopy_scale: 1.9,
            leaves: 0,
        },
        Species {
            trunk_radius: 0.16,
            trunk_height: 3.4,
            canopy: scene.add_mesh(lumpy_sphere(
                shape_noise,
                17.0,
                0.25,
                Vec3::new(0.85, 1.25, 0.85),
            )),
            canopy_y: 4.9,
            canopy_scale: 1.7,
            leaves: 0,
        },
        Species {
            trunk_radius: 0.16,
            trunk_height: 1.4,
            canopy: scene.add_mesh(conifer_canopy()),
            canopy_y: 0.9,
            canopy_scale: 1.0,
            leaves: 2,
        },
    ];
    let rocks: Vec<MeshId> = [
        (31.0, Vec3::new(1.0, 0.6, 0.8)),
        (57.0, Vec3::new(1.0, 0.75, 1.0)),
        (83.0, Vec3::new(1.2, 0.5, 0.9)),
    ]
    .into_iter()
    .map(|(offset, stretch)| scene.add_mesh(lumpy_sphere(shape_noise, offset, 0.3, stretch)))
    .collect();

    let mut parts = Parts::new(scene, root, kit);
    let blocked = |p: Vec2, margin: f32| keep_out.iter().any(|c| c.contains(p, margin));

    let tree_count = rng.range_usize(70, 95);
    let mut trees: Vec<Vec2> = Vec::with_capacity(tree_count);
    for _ in 0..10_000 {
        if trees.len() >= tree_count {
            break;
        }
        let p = Vec2::new(
            rng.range(-SCATTER_HALF, SCATTER_HALF),
            rng.range(-SCATTER_HALF, SCATTER_HALF),
        );
        // Woods and clearings: mostly where the forest noise is high.
        let density = 0.12 + 0.88 * smoothstep(-0.15, 0.35, forest.fbm(p.x / 40.0, p.y / 40.0, 3));
        if !rng.chance(density) {
            continue;
        }
        let ground = terrain.height_at(p.x, p.y);
        if !(TREE_MIN_HEIGHT..TREE_LINE).contains(&ground)
            || terrain.normal_at(p.x, p.y).y < TREE_MIN_NORMAL_Y
            || blocked(p, 1.0)
            || trees.iter().any(|q| q.distance_squared(p) < 3.5 * 3.5)
        {
            continue;
        }
        // Conifers take over with altitude.
        let conifer_share = 0.15 + 0.7 * smoothstep(4.0, 14.0, ground);
        let kind = if rng.chance(conifer_share) {
            2
        } else {
            rng.range_usize(0, 1)
        };
        let Some(species) = species.get(kind) else {
            continue;
        };
        let leaf = if species.leaves == 0 && rng.chance(0.2) {
            1
        } else {
            species.leaves
        };
        let leaf = leaves.get(leaf).copied().unwrap_or(leaves[0]);
        trees.push(p);
        let tree = parts.group(
            &format!("Tree_{:02}", trees.len()),
            Transform::from_translation(Vec3::new(p.x, ground, p.y))
                .with_rotation(Quat::from_rotation_y(rng.angle()))
                .with_scale(Vec3::splat(rng.range(0.8, 1.3))),
        );
        let mut tree_parts = parts.under(tree);
        tree_parts.column(
            "Trunk",
            bark,
            Vec3::Y * -0.3,
            species.trunk_radius,
            species.trunk_height + 0.3,
        );
        tree_parts.mesh(
            "Canopy",
            species.canopy,
            leaf,
            Transform::from_translation(Vec3::Y * species.canopy_y)
                .with_scale(Vec3::splat(species.canopy_scale)),
        );
    }

    let rock_count = rng.range_usize(25, 45);
    let mut placed: Vec<Vec2> = Vec::with_capacity(rock_count);
    for _ in 0..10_000 {
        if placed.len() >= rock_count {
            break;
        }
        let p = Vec2::new(
            rng.range(-SCATTER_HALF, SCATTER_HALF),
            rng.range(-SCATTER_HALF, SCATTER_HALF),
        );
        let ground = terrain.height_at(p.x, p.y);
        let slope = 1.0 - terrain.normal_at(p.x, p.y).y;
        // Rocks like slopes and shores, and shun the village.
        if !rng.chance(0.25 + 0.75 * smoothstep(0.05, 0.25, slope))
            || ground < WATER_LEVEL + 0.4
            || blocked(p, 0.5)
            || trees.iter().any(|q| q.distance_squared(p) < 2.0 * 2.0)
            || placed.iter().any(|q| q.distance_squared(p) < 3.0 * 3.0)
        {
            continue;
        }
        let scale = if rng.chance(0.1) {
            rng.range(1.8, 2.8)
        } else {
            rng.range(0.35, 1.4)
        };
        let Some(&mesh) = rocks.get(rng.range_usize(0, rocks.len() - 1)) else {
            continue;
        };
        let material = rock_materials
            .get(rng.range_usize(0, 1))
            .copied()
            .unwrap_or(rock_materials[0]);
        placed.push(p);
        parts.mesh(
            &format!("Rock_{:02}", placed.len()),
            mesh,
            material,
            // Half buried, tipped a little.
            Transform::from_translation(Vec3::new(p.x, ground - 0.2 * scale, p.y))
                .with_rotation(
                    Quat::from_rotation_y(rng.angle())
                        * Quat::from_rotation_x(rng.range(-0.25, 0.25)),
                )
                .with_scale(Vec3::splat(scale)),
        );
    }
}
