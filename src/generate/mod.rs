//! `generate` owns the built-in seeded world generator: [`generate_world`] turns a seed into a
//! complete [`Scene`] — terrain, lake, village, ruin, trees and rocks, lights and cameras —
//! about 200 m × 200 m, and [`shapes`] holds the primitive mesh builders it shares with the
//! "Add primitive" commands.
//!
//! It only creates new scenes through `Scene`'s public API: it never edits an existing scene
//! and knows nothing of the GPU or the UI. The same seed always gives the same world (equal
//! [`crate::scene::scene_hash`]): every random draw comes from the generator's own seeded
//! streams, one per part of the world.

mod buildings;
mod lighting;
mod noise;
pub mod shapes;
mod shots;
mod terrain;
mod vegetation;

use crate::scene::{
    AlphaMode, Camera, Environment, Material, MaterialId, MeshId, NodeId, NodeKind, Sampler, Scene,
    TextureRef, Transform,
};
use buildings::House;
use glam::{Vec2, Vec3};
use noise::{Rng, stream};
use terrain::{HALF_SIZE, Heightfield, Layout, WATER_LEVEL};

/// Generates the built-in world for `seed`. Roots, in order: `Terrain`, `Water`,
/// `Buildings`, `Vegetation`, `Lights`, `Cameras`.
pub fn generate_world(seed: u64) -> Scene {
    let layout = Layout::new(seed);
    let ground = Heightfield::generate(seed, &layout);
    let mut scene = Scene::new(&format!("Generated world (seed {seed})"));
    scene.environment = Environment::default();
    let kit = Kit {
        unit_box: scene.add_mesh(shapes::cube(1.0)),
        unit_cylinder: scene.add_mesh(shapes::cylinder(1.0, 1.0, 12)),
    };

    add_terrain(&mut scene, seed, &layout, &ground);
    add_water(&mut scene, &layout);

    let buildings = add_root(&mut scene, "Buildings");
    let settlement = buildings::build(&mut scene, buildings, kit, &layout, &ground, seed);
    let mut light_rng = Rng::new(seed, stream::LIGHTS);
    let lamps = lighting::plan_lamps(&layout, &settlement.houses, &mut light_rng);
    let views = plan_cameras(&layout, &ground, &settlement.houses);

    let keep_out: Vec<Circle> = settlement
        .houses
        .iter()
        .map(House::keep_out)
        .chain([settlement.ruin])
        .chain(lighting::lamp_keep_out(&lamps))
        .chain([
            // The village square.
            Circle {
                centre: layout.village,
                radius: 8.0,
            },
            // Where the lake camera stands.
            Circle {
                centre: Vec2::new(views.lake.0.x, views.lake.0.z),
                radius: 3.0,
            },
        ])
        .collect();
    let vegetation = add_root(&mut scene, "Vegetation");
    vegetation::build(&mut scene, vegetation, kit, &ground, &keep_out, seed);

    let lights = add_root(&mut scene, "Lights");
    lighting::build(
        &mut scene,
        lights,
        kit,
        &ground,
        &lamps,
        &settlement.houses,
        &mut light_rng,
    );

    let cameras = add_root(&mut scene, "Cameras");
    for (name, (eye, target)) in [
        ("Main", views.main),
        ("Street", views.street),
        ("Lake", views.lake),
    ] {
        scene.add_node(
            Some(cameras),
            name,
            Transform::looking_at(eye, target),
            NodeKind::Camera(Camera::default()),
        );
    }
    // Re-lit versions of the same world, ready to compare (the base stays shown).
    crate::edit::variants::starter_variants(&mut scene);
    // Two shots ready to play and render.
    let street_target = views.street.1;
    shots::add_starter_shots(&mut scene, cameras, &layout, &ground, street_target);
    scene
}

/// Meshes shared by many nodes, each scaled per node: a 1 m cube and a cylinder of radius 1 m
/// and height 1 m, both centred on the origin.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kit {
    pub(crate) unit_box: MeshId,
    pub(crate) unit_cylinder: MeshId,
}

/// A circle on the ground (x, z) that scattered objects keep out of.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Circle {
    pub(crate) centre: Vec2,
    pub(crate) radius: f32,
}

impl Circle {
    /// Whether a disc of radius `margin` at `p` overlaps this circle.
    pub(crate) fn contains(&self, p: Vec2, margin: f32) -> bool {
        self.centre.distance(p) < self.radius + margin
    }
}

/// Adds named child nodes under one parent, using the shared [`Kit`] meshes.
pub(crate) struct Parts<'s> {
    pub(crate) scene: &'s mut Scene,
    pub(crate) parent: NodeId,
    pub(crate) kit: Kit,
}

impl<'s> Parts<'s> {
    pub(crate) fn new(scene: &'s mut Scene, parent: NodeId, kit: Kit) -> Self {
        Self { scene, parent, kit }
    }

    /// The same builder, adding under `parent` instead.
    pub(crate) fn under(&mut self, parent: NodeId) -> Parts<'_> {
        Parts {
            scene: self.scene,
            parent,
            kit: self.kit,
        }
    }

    pub(crate) fn group(&mut self, name: &str, transform: Transform) -> NodeId {
        self.scene
            .add_node(Some(self.parent), name, transform, NodeKind::Empty)
    }

    pub(crate) fn mesh(
        &mut self,
        name: &str,
        mesh: MeshId,
        material: MaterialId,
        transform: Transform,
    ) -> NodeId {
        self.scene.add_node(
            Some(self.parent),
            name,
            transform,
            NodeKind::Mesh { mesh, material },
        )
    }

    /// An axis-aligned box of `size` centred on `centre` (parent space).
    pub(crate) fn block(
        &mut self,
        name: &str,
        material: MaterialId,
        centre: Vec3,
        size: Vec3,
    ) -> NodeId {
        let transform = Transform::from_translation(centre).with_scale(size);
        self.mesh(name, self.kit.unit_box, material, transform)
    }

    /// An upright cylinder standing on `base` (parent space).
    pub(crate) fn column(
        &mut self,
        name: &str,
        material: MaterialId,
        base: Vec3,
        radius: f32,
        height: f32,
    ) -> NodeId {
        let transform = Transform::from_translation(base + Vec3::Y * height * 0.5)
            .with_scale(Vec3::new(radius, height, radius));
        self.mesh(name, self.kit.unit_cylinder, material, transform)
    }
}

fn add_root(scene: &mut Scene, name: &str) -> NodeId {
    scene.add_node(None, name, Transform::IDENTITY, NodeKind::Empty)
}

/// The `Terrain` root is the ground mesh itself. Its material is white so the vertex colours
/// show through, with a tiling detail texture on top.
fn add_terrain(scene: &mut Scene, seed: u64, layout: &Layout, ground: &Heightfield) {
    let mesh = scene.add_mesh(ground.mesh(seed, layout));
    let detail = terrain::detail_image(seed).map(|image| scene.add_image(image));
    let material = scene.add_material(Material {
        name: "Terrain".into(),
        base_color: [1.0; 4],
        roughness: 0.9,
        base_color_texture: detail.map(|image| TextureRef::new(image, Sampler::default())),
        // The mesh's UVs are already metres / 4: one repeat every 4 m.
        uv_scale: [1.0, 1.0],
        ..Default::default()
    });
    scene.add_node(
        None,
        "Terrain",
        Transform::IDENTITY,
        NodeKind::Mesh { mesh, material },
    );
}

/// `Water/Lake_Surface`: a translucent disc at the water level, wide enough to meet the shore all
/// round; the terrain hides the part outside the basin.
fn add_water(scene: &mut Scene, layout: &Layout) {
    let mesh = scene.add_mesh(shapes::disc(layout.lake_extent(), 96));
    let material = scene.add_material(Material {
        name: "Lake water".into(),
        base_color: [0.04, 0.16, 0.15, 0.7],
        metallic: 0.0,
        roughness: 0.05,
        alpha_mode: AlphaMode::Blend,
        ..Default::default()
    });
    let water = add_root(scene, "Water");
    scene.add_node(
        Some(water),
        "Lake_Surface",
        Transform::from_translation(Vec3::new(layout.lake.x, WATER_LEVEL, layout.lake.y)),
        NodeKind::Mesh { mesh, material },
    );
}

/// (eye, target) of each camera, world space.
struct Views {
    main: (Vec3, Vec3),
    street: (Vec3, Vec3),
    lake: (Vec3, Vec3),
}

fn plan_cameras(layout: &Layout, ground: &Heightfield, houses: &[House]) -> Views {
    let on_ground = |p: Vec2| Vec3::new(p.x, ground.height_at(p.x, p.y), p.y);
    let inside = |p: Vec2| p.clamp(Vec2::splat(-HALF_SIZE + 5.0), Vec2::splat(HALF_SIZE - 5.0));
    let village = on_ground(layout.village);

    // Main: behind the village as seen from the lake, ~50 m out and high, so the roofs sit
    // in front of the water.
    let axis = (layout.lake - layout.village).normalize_or(Vec2::X);
    let side = axis.perp();
    let target = on_ground(layout.village + axis * 18.0).with_y((village.y + WATER_LEVEL) * 0.5);
    let eye_xz = inside(layout.village - axis * 38.0 + side * 18.0);
    let eye_y = (ground.height_at(eye_xz.x, eye_xz.y) + 14.0).max(village.y + 26.0);
    let main = (Vec3::new(eye_xz.x, eye_y, eye_xz.y), target);

    // Street: eye level in the square, looking at the first house.
    let eye = village + Vec3::Y * 1.7;
    let street_target = houses
        .first()
        .map(|h| h.to_world(Vec3::Y * 1.8))
        .unwrap_or(eye + Vec3::X * 10.0);
    let street = (eye, street_target);

    // Lake: on the far shore, looking back across the water at the village.
    let mut stand = layout.lake + axis * layout.lake_radius_towards(layout.lake + axis) * 0.7;
    for _ in 0..80 {
        if ground.height_at(stand.x, stand.y) > WATER_LEVEL + 0.3 {
            break;
        }
        stand += axis * 0.5;
    }
    let stand = inside(stand);
    let lake = (on_ground(stand) + Vec3::Y * 1.8, village + Vec3::Y * 3.0);

    Views { main, street, lake }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{LightKind, Node, scene_hash};

    fn path(scene: &Scene, path: &str) -> Option<NodeId> {
        let mut names = path.split('/');
        let first = names.next()?;
        let mut id = *scene
            .roots()
            .iter()
            .find(|id| scene.node(**id).is_some_and(|n| n.name == first))?;
        for name in names {
            let node = scene.node(id)?;
            id = *node
                .children
                .iter()
                .find(|c| scene.node(**c).is_some_and(|n| n.name == name))?;
        }
        Some(id)
    }

    fn children<'a>(scene: &'a Scene, parent: &str) -> Vec<&'a Node> {
        let Some(id) = path(scene, parent) else {
            return Vec::new();
        };
        scene
            .node(id)
            .map(|n| n.children.iter().filter_map(|c| scene.node(*c)).collect())
            .unwrap_or_default()
    }

    fn prefixed<'a>(scene: &'a Scene, parent: &str, prefix: &str) -> Vec<&'a Node> {
        children(scene, parent)
            .into_iter()
            .filter(|n| n.name.starts_with(prefix))
            .collect()
    }

    #[test]
    fn same_seed_same_world_different_seed_different_world() {
        assert_eq!(
            scene_hash(&generate_world(7)),
            scene_hash(&generate_world(7))
        );
        assert_ne!(
            scene_hash(&generate_world(1)),
            scene_hash(&generate_world(2))
        );
    }

    #[test]
    fn hierarchy_has_the_expected_roots_and_parts() {
        let scene = generate_world(7);
        assert_eq!(scene.name, "Generated world (seed 7)");
        let roots: Vec<&str> = scene
            .roots()
            .iter()
            .filter_map(|id| scene.node(*id))
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(
            roots,
            [
                "Terrain",
                "Water",
                "Buildings",
                "Vegetation",
                "Lights",
                "Cameras"
            ]
        );
        for expected in [
            "Water/Lake_Surface",
            "Buildings/House_01/Foundation",
            "Buildings/House_01/Walls",
            "Buildings/House_01/Roof",
            "Buildings/House_01/Door",
            "Buildings/House_01/Window_1",
            "Buildings/House_04/Roof",
            "Buildings/Ruin_01/Column_1",
            "Buildings/Ruin_01/Wall_1",
            "Vegetation/Tree_01/Trunk",
            "Vegetation/Tree_01/Canopy",
            "Vegetation/Rock_01",
            "Lights/Sun",
            "Lights/Lamp_1/Post",
            "Lights/Lamp_1/Head",
            "Lights/Spot_1",
            "Cameras/Main",
            "Cameras/Street",
            "Cameras/Lake",
        ] {
            assert!(path(&scene, expected).is_some(), "missing {expected}");
        }
    }

    #[test]
    fn counts_are_in_the_brief_for_many_seeds() {
        for seed in [0, 1, 2, 7, 42, 1234, u64::MAX] {
            let scene = generate_world(seed);
            let houses = prefixed(&scene, "Buildings", "House_").len();
            assert!((4..=7).contains(&houses), "seed {seed}: {houses} houses");
            let trees = prefixed(&scene, "Vegetation", "Tree_").len();
            assert!((40..=120).contains(&trees), "seed {seed}: {trees} trees");
            let rocks = prefixed(&scene, "Vegetation", "Rock_").len();
            assert!((20..=60).contains(&rocks), "seed {seed}: {rocks} rocks");
            let kinds: Vec<LightKind> = scene
                .nodes()
                .filter_map(|n| match &n.kind {
                    NodeKind::Light(l) => Some(l.kind),
                    _ => None,
                })
                .collect();
            let count = |f: fn(&LightKind) -> bool| kinds.iter().filter(|k| f(k)).count();
            assert_eq!(count(|k| *k == LightKind::Directional), 1, "seed {seed}");
            assert!(count(|k| *k == LightKind::Point) >= 2, "seed {seed}");
            assert!(
                count(|k| matches!(k, LightKind::Spot { .. })) >= 1,
                "seed {seed}"
            );
            let triangles = scene.triangle_count();
            assert!(
                (150_000..=300_000).contains(&triangles),
                "seed {seed}: {triangles} triangles"
            );
        }
    }

    #[test]
    fn sun_comes_from_35_to_50_degrees_up() {
        let (towards_sun, light) = generate_world(7).sun().expect("a sun");
        let elevation = towards_sun.y.asin().to_degrees();
        assert!((35.0..=50.0).contains(&elevation), "{elevation}°");
        assert!(light.cast_shadows && light.intensity > 50_000.0);
    }

    #[test]
    fn meshes_are_well_formed() {
        let scene = generate_world(7);
        for (id, mesh) in scene.meshes() {
            let n = mesh.positions.len();
            assert!(mesh.indices.iter().all(|&i| (i as usize) < n), "{id:?}");
            assert_eq!(mesh.indices.len() % 3, 0);
            assert_eq!(mesh.normals.len(), n);
            assert!(mesh.uvs.is_empty() || mesh.uvs.len() == n);
            assert!(mesh.colors.is_empty() || mesh.colors.len() == n);
            for normal in &mesh.normals {
                let length = Vec3::from(*normal).length();
                assert!(
                    (length - 1.0).abs() < 1e-3,
                    "{id:?}: normal length {length}"
                );
            }
        }
        // Every mesh node points at a mesh and material that exist.
        for node in scene.nodes() {
            if let NodeKind::Mesh { mesh, material } = node.kind {
                assert!(scene.mesh(mesh).is_some() && scene.material(material).is_some());
            }
        }
        // The ground winds counter-clockwise seen from above, like its normals.
        let terrain = path(&scene, "Terrain").and_then(|id| match scene.node(id)?.kind {
            NodeKind::Mesh { mesh, .. } => scene.mesh(mesh),
            _ => None,
        });
        shapes::tests::assert_ccw_and_unit("terrain", terrain.expect("terrain mesh"));
    }

    #[test]
    fn houses_and_trees_stand_on_dry_ground() {
        for seed in [3, 7] {
            let scene = generate_world(seed);
            let layout = Layout::new(seed);
            let ground = Heightfield::generate(seed, &layout);
            let houses = prefixed(&scene, "Buildings", "House_");
            let trees = prefixed(&scene, "Vegetation", "Tree_");
            for node in houses.iter().chain(&trees) {
                let p = node.transform.translation;
                let h = ground.height_at(p.x, p.z);
                assert!(
                    (p.y - h).abs() < 0.5,
                    "{}: y {} vs ground {h}",
                    node.name,
                    p.y
                );
                assert!(p.y > WATER_LEVEL + 0.5, "{} is in the water", node.name);
            }
            // No tree inside a house.
            for tree in &trees {
                let t = tree.transform.translation;
                for house in &houses {
                    let h = house.transform.translation;
                    assert!(
                        Vec2::new(t.x - h.x, t.z - h.z).length() > 4.0,
                        "{} grows in {}",
                        tree.name,
                        house.name
                    );
                }
            }
        }
    }

    #[test]
    fn materials_for_the_renderer() {
        let scene = generate_world(7);
        let material_of = |p: &str| {
            let NodeKind::Mesh { material, .. } = scene.node(path(&scene, p)?)?.kind else {
                return None;
            };
            scene.material(material).cloned()
        };
        let terrain = material_of("Terrain").expect("terrain material");
        assert_eq!(terrain.base_color, [1.0; 4]);
        let image = terrain.base_color_texture.expect("detail texture").image;
        assert!(scene.image(image).is_some());
        let water = material_of("Water/Lake_Surface").expect("water material");
        assert_eq!(water.alpha_mode, AlphaMode::Blend);
        let window = material_of("Buildings/House_01/Window_1").expect("window material");
        assert!(window.emissive_strength >= 2.0 && window.emissive[0] > 0.9);
    }

    #[test]
    fn cameras_look_at_the_village_from_above_the_ground() {
        for seed in [1, 7, 42] {
            let scene = generate_world(seed);
            let layout = Layout::new(seed);
            let ground = Heightfield::generate(seed, &layout);
            for name in ["Cameras/Main", "Cameras/Street", "Cameras/Lake"] {
                let id = path(&scene, name).expect("camera");
                let eye = scene.world_from_local(id).transform_point3(Vec3::ZERO);
                let clearance = eye.y - ground.height_at(eye.x, eye.z);
                assert!(clearance > 1.0, "seed {seed}: {name} is {clearance} m up");
            }
            let main = scene
                .world_from_local(path(&scene, "Cameras/Main").expect("main"))
                .transform_point3(Vec3::ZERO);
            let village = Vec3::new(layout.village.x, 0.0, layout.village.y);
            let distance = main.with_y(0.0).distance(village);
            assert!(
                (30.0..=60.0).contains(&distance),
                "seed {seed}: {distance} m"
            );
        }
    }
}
