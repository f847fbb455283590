//! Buildings: houses around the village square and a ruin on the hills.
//!
//! Every part is the shared unit box or unit cylinder scaled by its node (so the renderer can
//! instance them), except the roofs: one gable-roof mesh per house type, because a sloped
//! face's normal would not survive a non-uniform scale.

use super::noise::{Rng, stream};
use super::terrain::{Heightfield, Layout, WATER_LEVEL};
use super::{Circle, Kit, Parts, shapes};
use crate::scene::{Material, MaterialId, MeshId, NodeId, Scene, Transform};
use glam::{Quat, Vec2, Vec3};
use std::f32::consts::{FRAC_PI_2, TAU};

/// A house design; placed houses pick one.
#[derive(Debug)]
pub(crate) struct HouseType {
    /// Outer wall size (x = width along the ridge, y = depth front to back), metres.
    footprint: Vec2,
    wall_height: f32,
    roof_height: f32,
    storeys: u32,
}

const HOUSE_TYPES: [HouseType; 3] = [
    // Cottage.
    HouseType {
        footprint: Vec2::new(6.0, 5.0),
        wall_height: 2.8,
        roof_height: 2.2,
        storeys: 1,
    },
    // Longhouse.
    HouseType {
        footprint: Vec2::new(9.0, 5.5),
        wall_height: 3.0,
        roof_height: 2.5,
        storeys: 1,
    },
    // Town house.
    HouseType {
        footprint: Vec2::new(6.5, 6.0),
        wall_height: 5.6,
        roof_height: 2.8,
        storeys: 2,
    },
];

const ROOF_OVERHANG: f32 = 0.45;
const STOREY_HEIGHT: f32 = 2.8;
const DOOR_SIZE: Vec3 = Vec3::new(1.0, 2.1, 0.1);
/// The foundation sticks out this far around the walls.
const PLINTH: f32 = 0.15;

/// A placed house. Its local frame has the origin at floor level in the middle of the
/// footprint, the door on the +Z wall and the ridge along X.
#[derive(Debug)]
pub(crate) struct House {
    /// Footprint centre (x, z).
    pub(crate) centre: Vec2,
    /// Floor level: the top of the foundation, just above the highest ground underneath.
    pub(crate) floor: f32,
    /// Rotation about +Y, radians.
    pub(crate) yaw: f32,
    design: &'static HouseType,
    lowest_ground: f32,
    door_x: f32,
    style: Style,
}

#[derive(Clone, Copy, Debug)]
struct Style {
    walls: usize,
    roof: usize,
    chimney: bool,
}

impl House {
    pub(crate) fn rotation(&self) -> Quat {
        Quat::from_rotation_y(self.yaw)
    }

    /// World position of a point in the house's local frame.
    pub(crate) fn to_world(&self, local: Vec3) -> Vec3 {
        self.rotation() * local + Vec3::new(self.centre.x, self.floor, self.centre.y)
    }

    /// World direction the front door faces.
    pub(crate) fn front(&self) -> Vec3 {
        self.rotation() * Vec3::Z
    }

    /// Where a lamp over the door hangs, in world space: just above the door frame, a little
    /// out from the wall.
    pub(crate) fn over_door(&self) -> Vec3 {
        self.to_world(Vec3::new(
            self.door_x,
            DOOR_SIZE.y + 0.45,
            self.design.footprint.y * 0.5 + 0.35,
        ))
    }

    fn half_extents(&self) -> Vec2 {
        self.design.footprint * 0.5 + Vec2::splat(PLINTH)
    }

    /// The ground the house and its doorstep occupy.
    pub(crate) fn keep_out(&self) -> Circle {
        Circle {
            centre: self.centre,
            radius: self.half_extents().length() + 1.0,
        }
    }
}

/// What the rest of the generator needs to know about the buildings.
pub(crate) struct Settlement {
    pub(crate) houses: Vec<House>,
    pub(crate) ruin: Circle,
}

struct Palette {
    walls: [MaterialId; 3],
    roofs: [MaterialId; 2],
    door: MaterialId,
    glass: MaterialId,
    foundation: MaterialId,
    chimney: MaterialId,
    ruin: MaterialId,
}

impl Palette {
    fn new(scene: &mut Scene) -> Self {
        let mut add = |name: &str, rgb: [f32; 3], roughness: f32| {
            scene.add_material(Material::named(
                name,
                [rgb[0], rgb[1], rgb[2], 1.0],
                roughness,
            ))
        };
        let walls = [
            add("Plaster", [0.68, 0.63, 0.55], 0.9),
            add("Whitewash", [0.78, 0.76, 0.72], 0.85),
            add("Timber", [0.32, 0.20, 0.11], 0.8),
        ];
        let roofs = [
            add("Terracotta", [0.42, 0.14, 0.07], 0.75),
            add("Slate", [0.10, 0.11, 0.13], 0.6),
        ];
        let door = add("Door wood", [0.22, 0.12, 0.06], 0.7);
        let foundation = add("Fieldstone", [0.32, 0.30, 0.28], 0.95);
        let chimney = add("Brick", [0.33, 0.13, 0.08], 0.9);
        let ruin = add("Weathered sandstone", [0.45, 0.40, 0.31], 0.9);
        // Lit windows: dark glass that glows warm, bright enough to read at night.
        let glass = scene.add_material(Material {
            name: "Window (lit)".into(),
            base_color: [0.03, 0.03, 0.035, 1.0],
            roughness: 0.08,
            emissive: [1.0, 0.7, 0.35],
            emissive_strength: 3.0,
            ..Default::default()
        });
        Self {
            walls,
            roofs,
            door,
            glass,
            foundation,
            chimney,
            ruin,
        }
    }
}

/// One of `items`, uniformly.
fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> Option<&'a T> {
    items.get(rng.range_usize(0, items.len().saturating_sub(1)))
}

/// Places and models 4–7 houses and one ruin under `root`.
pub(crate) fn build(
    scene: &mut Scene,
    root: NodeId,
    kit: Kit,
    layout: &Layout,
    terrain: &Heightfield,
    seed: u64,
) -> Settlement {
    let mut rng = Rng::new(seed, stream::BUILDINGS);
    let houses = place_houses(layout, terrain, &mut rng);
    let palette = Palette::new(scene);
    let mut roof_meshes: [Option<MeshId>; HOUSE_TYPES.len()] = [None; HOUSE_TYPES.len()];
    for (k, house) in houses.iter().enumerate() {
        let design_index = HOUSE_TYPES
            .iter()
            .position(|t| std::ptr::eq(t, house.design))
            .unwrap_or(0);
        let roof = match roof_meshes.get(design_index).copied().flatten() {
            Some(mesh) => mesh,
            None => {
                let mesh = scene.add_mesh(shapes::gable_roof(roof_size(house.design)));
                if let Some(slot) = roof_meshes.get_mut(design_index) {
                    *slot = Some(mesh);
                }
                mesh
            }
        };
        add_house(
            &mut Parts::new(scene, root, kit),
            &format!("House_{:02}", k + 1),
            house,
            roof,
            &palette,
        );
    }
    let ruin = place_ruin(layout, terrain, &houses, &mut rng);
    add_ruin(
        &mut Parts::new(scene, root, kit),
        &ruin,
        palette.ruin,
        &mut rng,
    );
    Settlement {
        houses,
        ruin: Circle {
            centre: ruin.centre,
            radius: RUIN_HALF.length() + 1.5,
        },
    }
}

fn roof_size(design: &HouseType) -> Vec3 {
    Vec3::new(
        design.footprint.x + 2.0 * ROOF_OVERHANG,
        design.roof_height,
        design.footprint.y + 2.0 * ROOF_OVERHANG,
    )
}

/// Houses in a ring around the square, doors facing it, on ground flat enough to need only
/// a low foundation.
fn place_houses(layout: &Layout, terrain: &Heightfield, rng: &mut Rng) -> Vec<House> {
    let count = rng.range_usize(4, 7);
    let first_bearing = rng.angle();
    let mut houses: Vec<House> = Vec::with_capacity(count);
    let mut attempts = 0;
    while houses.len() < count && attempts < 2000 {
        attempts += 1;
        let Some(design) = pick(rng, &HOUSE_TYPES) else {
            break;
        };
        let slot = houses.len() as f32 / count as f32 * TAU;
        let bearing = first_bearing + slot + rng.range(-0.35, 0.35);
        let half = design.footprint * 0.5 + Vec2::splat(PLINTH);
        // Keep at least 7 m of open square in front of every house; wander outwards when
        // the ring is crowded.
        let distance = half.length() + 7.0 + rng.range(0.0, 5.0) + (attempts % 80) as f32 * 0.15;
        let centre = layout.village + Vec2::from_angle(bearing) * distance;
        let to_square = layout.village - centre;
        let yaw = to_square.x.atan2(to_square.y) + rng.range(-0.3, 0.3);
        let clear = houses
            .iter()
            .all(|h| h.centre.distance(centre) > h.keep_out().radius + half.length() + 0.5);
        if !clear {
            continue;
        }
        let (low, high) = terrain.footprint(centre, half, yaw);
        let ground = terrain.height_at(centre.x, centre.y);
        if high - low > 1.2 || high - ground > 0.35 || low < WATER_LEVEL + 0.8 {
            continue;
        }
        let door_limit = design.footprint.x * 0.5 - DOOR_SIZE.x;
        let style = Style {
            walls: rng.range_usize(0, 2),
            roof: rng.range_usize(0, 1),
            chimney: rng.chance(0.6),
        };
        houses.push(House {
            centre,
            floor: high + 0.05,
            yaw,
            design,
            lowest_ground: low,
            door_x: rng.range(-door_limit, door_limit) * 0.6,
            style,
        });
    }
    houses
}

fn add_house(parts: &mut Parts<'_>, name: &str, house: &House, roof: MeshId, palette: &Palette) {
    let design = house.design;
    let (width, depth) = (design.footprint.x, design.footprint.y);
    let wall_height = design.wall_height;
    let group = parts.group(
        name,
        Transform::from_translation(house.to_world(Vec3::ZERO)).with_rotation(house.rotation()),
    );
    let mut parts = parts.under(group);
    let walls = palette
        .walls
        .get(house.style.walls)
        .copied()
        .unwrap_or(palette.walls[0]);
    let roof_material = palette
        .roofs
        .get(house.style.roof)
        .copied()
        .unwrap_or(palette.roofs[0]);

    // Foundation: from just below the lowest ground up to the floor.
    let bottom = house.lowest_ground - house.floor - 0.3;
    parts.block(
        "Foundation",
        palette.foundation,
        Vec3::new(0.0, bottom * 0.5, 0.0),
        Vec3::new(width + 2.0 * PLINTH, -bottom, depth + 2.0 * PLINTH),
    );
    parts.block(
        "Walls",
        walls,
        Vec3::new(0.0, wall_height * 0.5, 0.0),
        Vec3::new(width, wall_height, depth),
    );
    parts.mesh(
        "Roof",
        roof,
        roof_material,
        Transform::from_translation(Vec3::Y * wall_height),
    );
    parts.block(
        "Door",
        palette.door,
        Vec3::new(house.door_x, DOOR_SIZE.y * 0.5, depth * 0.5 + 0.03),
        DOOR_SIZE,
    );

    // Windows: a pane each side of the door, two at the back, one per gable wall; again on
    // every upper storey.
    let pane = Vec3::new(0.9, 1.0, 0.08);
    let mut windows: Vec<(Vec3, Vec3)> = Vec::new();
    let front_z = depth * 0.5 + 0.02;
    let side_x = width * 0.5 + 0.02;
    for storey in 0..design.storeys {
        let y = 1.5 + storey as f32 * STOREY_HEIGHT;
        let front_xs = if storey == 0 {
            vec![house.door_x - 1.6, house.door_x + 1.6]
        } else {
            vec![-width * 0.25, width * 0.25]
        };
        for x in front_xs {
            if x.abs() + pane.x * 0.5 < width * 0.5 - 0.3 {
                windows.push((Vec3::new(x, y, front_z), pane));
            }
        }
        for x in [-width * 0.25, width * 0.25] {
            windows.push((Vec3::new(x, y, -front_z), pane));
        }
        for x in [-side_x, side_x] {
            windows.push((Vec3::new(x, y, 0.0), Vec3::new(pane.z, pane.y, pane.x)));
        }
    }
    for (k, (centre, size)) in windows.into_iter().enumerate() {
        parts.block(&format!("Window_{}", k + 1), palette.glass, centre, size);
    }

    if house.style.chimney {
        // On the back slope, rising 0.9 m above the roof where it pierces it.
        let (x, z) = (width * 0.28, -depth * 0.22);
        let run = depth * 0.5 + ROOF_OVERHANG;
        let roof_y = wall_height + design.roof_height * (1.0 - z.abs() / run);
        let (low, high) = (wall_height + 0.2, roof_y + 0.9);
        parts.block(
            "Chimney",
            palette.chimney,
            Vec3::new(x, (low + high) * 0.5, z),
            Vec3::new(0.55, high - low, 0.55),
        );
    }
}

/// Half extents (x, z) of the ruin's stone platform.
const RUIN_HALF: Vec2 = Vec2::new(4.8, 3.8);

struct RuinSite {
    centre: Vec2,
    floor: f32,
    yaw: f32,
    lowest_ground: f32,
}

/// The flattest spot found on the hills 30–48 m from the village, away from the lake.
fn place_ruin(layout: &Layout, terrain: &Heightfield, houses: &[House], rng: &mut Rng) -> RuinSite {
    let mut best: Option<(f32, RuinSite)> = None;
    for _ in 0..300 {
        let centre = layout.village + Vec2::from_angle(rng.angle()) * rng.range(30.0, 48.0);
        let yaw = rng.angle();
        if centre.x.abs() > 82.0
            || centre.y.abs() > 82.0
            || centre.distance(layout.lake) < layout.lake_extent() * 1.45 + 6.0
            || houses
                .iter()
                .any(|h| h.keep_out().contains(centre, RUIN_HALF.length()))
        {
            continue;
        }
        let (low, high) = terrain.footprint(centre, RUIN_HALF, yaw);
        if low < WATER_LEVEL + 1.0 {
            continue;
        }
        let spread = high - low;
        if best.as_ref().is_none_or(|(s, _)| spread < *s) {
            best = Some((
                spread,
                RuinSite {
                    centre,
                    floor: high + 0.25,
                    yaw,
                    lowest_ground: low,
                },
            ));
        }
        if spread < 1.0 {
            break;
        }
    }
    best.map(|(_, site)| site).unwrap_or_else(|| {
        // Unreachable in practice: the hills always offer some spot. Fall back to the far
        // side of the village from the lake.
        let centre = layout.village + (layout.village - layout.lake).normalize_or(Vec2::X) * 30.0;
        let (low, high) = terrain.footprint(centre, RUIN_HALF, 0.0);
        RuinSite {
            centre,
            floor: high + 0.25,
            yaw: 0.0,
            lowest_ground: low,
        }
    })
}

/// A colonnade on a stone platform: two broken walls, standing and broken columns (two
/// still carrying a lintel), one fallen column and some rubble.
fn add_ruin(parts: &mut Parts<'_>, site: &RuinSite, stone: MaterialId, rng: &mut Rng) {
    let group = parts.group(
        "Ruin_01",
        Transform::from_translation(Vec3::new(site.centre.x, site.floor, site.centre.y))
            .with_rotation(Quat::from_rotation_y(site.yaw)),
    );
    let mut parts = parts.under(group);
    let bottom = site.lowest_ground - site.floor - 0.3;
    parts.block(
        "Base",
        stone,
        Vec3::new(0.0, bottom * 0.5, 0.0),
        Vec3::new(RUIN_HALF.x * 2.0, -bottom, RUIN_HALF.y * 2.0),
    );

    // Broken walls along the back and the left side, with gaps where they fell.
    let walls = [
        (
            Vec3::new(-2.2, 0.0, -3.2),
            Vec3::new(4.0, rng.range(2.2, 3.0), 0.6),
        ),
        (
            Vec3::new(1.6, 0.0, -3.2),
            Vec3::new(1.8, rng.range(0.8, 1.6), 0.6),
        ),
        (
            Vec3::new(-4.3, 0.0, -1.2),
            Vec3::new(0.6, rng.range(1.6, 2.6), 3.4),
        ),
        (
            Vec3::new(-4.3, 0.0, 1.9),
            Vec3::new(0.6, rng.range(0.5, 1.0), 1.4),
        ),
    ];
    for (k, (base, size)) in walls.into_iter().enumerate() {
        parts.block(
            &format!("Wall_{}", k + 1),
            stone,
            base + Vec3::Y * size.y * 0.5,
            size,
        );
    }

    // A front row of columns; the first two still stand full height under a lintel.
    const COLUMN_RADIUS: f32 = 0.32;
    const COLUMN_HEIGHT: f32 = 3.6;
    let row_z = 2.7;
    let xs = [-3.6, -1.2, 1.2, 3.6];
    for (k, x) in xs.into_iter().enumerate() {
        let height = if k < 2 {
            COLUMN_HEIGHT
        } else {
            rng.range(0.8, 2.8)
        };
        parts.column(
            &format!("Column_{}", k + 1),
            stone,
            Vec3::new(x, 0.0, row_z),
            COLUMN_RADIUS,
            height,
        );
    }
    parts.block(
        "Lintel",
        stone,
        Vec3::new(-2.4, COLUMN_HEIGHT + 0.25, row_z),
        Vec3::new(3.3, 0.5, 0.8),
    );
    let fallen_length = rng.range(2.0, 3.0);
    parts.mesh(
        &format!("Column_{}", xs.len() + 1),
        parts.kit.unit_cylinder,
        stone,
        Transform::from_translation(Vec3::new(1.6, COLUMN_RADIUS, 0.9))
            .with_rotation(
                Quat::from_rotation_y(rng.range(-0.4, 0.4)) * Quat::from_rotation_z(FRAC_PI_2),
            )
            .with_scale(Vec3::new(COLUMN_RADIUS, fallen_length, COLUMN_RADIUS)),
    );

    for k in 0..3 {
        let size = Vec3::new(
            rng.range(0.4, 0.9),
            rng.range(0.3, 0.6),
            rng.range(0.4, 0.9),
        );
        let at = Vec3::new(rng.range(-3.5, 3.5), size.y * 0.5, rng.range(-2.0, 1.5));
        let tilt = Quat::from_rotation_y(rng.angle()) * Quat::from_rotation_x(rng.range(-0.2, 0.2));
        parts.mesh(
            &format!("Block_{}", k + 1),
            parts.kit.unit_box,
            stone,
            Transform::from_translation(at)
                .with_rotation(tilt)
                .with_scale(size),
        );
    }
}
