//! The ground: where the village and lake go ([`Layout`]), the heightfield shaped around them
//! ([`Heightfield`]), its mesh with height- and slope-blended vertex colours, and the tiling
//! detail texture that modulates it.

use super::noise::{Noise, Rng, lerp, smooth_max, smoothstep, stream};
use crate::scene::{Image, Mesh};
use glam::{Quat, Vec2, Vec3};
use std::f32::consts::PI;

/// The terrain spans `[-HALF_SIZE, HALF_SIZE]` metres in x and z.
pub(crate) const HALF_SIZE: f32 = 100.0;
/// Grid cells per side: 256² cells, two triangles each.
pub(crate) const CELLS: usize = 256;
const VERTS: usize = CELLS + 1;
const SPACING: f32 = 2.0 * HALF_SIZE / CELLS as f32;
/// Height of the lake surface, metres.
pub(crate) const WATER_LEVEL: f32 = 0.0;
/// Metres per UV unit on the terrain: a texture with `uv_scale` 1 repeats every 4 m.
pub(crate) const METRES_PER_UV: f32 = 4.0;
const SNOW_LINE: f32 = 28.0;

// Linear-space albedos.
const GRASS: Vec3 = Vec3::new(0.10, 0.20, 0.05);
const DRY_GRASS: Vec3 = Vec3::new(0.17, 0.21, 0.07);
const EARTH: Vec3 = Vec3::new(0.24, 0.19, 0.13);
const SAND: Vec3 = Vec3::new(0.45, 0.40, 0.30);
const SILT: Vec3 = Vec3::new(0.20, 0.19, 0.13);
const ROCK: Vec3 = Vec3::new(0.25, 0.23, 0.21);
const SNOW: Vec3 = Vec3::new(0.85, 0.87, 0.90);

/// Where the big features go; everything else is placed relative to them. The village and
/// the lake sit on opposite sides of the centre, both well inside the mountain rim.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Centre of the village square (x, z).
    pub(crate) village: Vec2,
    /// Centre of the lake (x, z).
    pub(crate) lake: Vec2,
    /// Mean radius of the lake basin; the shoreline lies at about 0.7–0.85 of it.
    pub(crate) lake_radius: f32,
    /// (amplitude, phase) of the 2nd, 3rd and 5th harmonics that make the shore irregular.
    shore_wobble: [(f32, f32); 3],
    /// Bearing (radians from +X towards +Z) of the low pass through the mountain rim.
    pass_bearing: f32,
}

impl Layout {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed, stream::LAYOUT);
        let bearing = rng.angle();
        let village = Vec2::from_angle(bearing) * rng.range(22.0, 30.0);
        let lake = Vec2::from_angle(bearing + PI + rng.range(-0.3, 0.3)) * rng.range(36.0, 40.0);
        let lake_radius = rng.range(19.0, 24.0);
        let shore_wobble = [0; 3].map(|_| (rng.range(0.02, 0.06), rng.angle()));
        // Off to one side of the village–lake axis.
        let side = if rng.chance(0.5) { 1.0 } else { -1.0 };
        let pass_bearing = bearing + side * rng.range(1.2, 2.0);
        Self {
            village,
            lake,
            lake_radius,
            shore_wobble,
            pass_bearing,
        }
    }

    /// Basin radius in the direction `angle` (radians about the lake centre, from +X to +Z).
    pub(crate) fn lake_radius_at(&self, angle: f32) -> f32 {
        let wobble: f32 = self
            .shore_wobble
            .iter()
            .zip([2.0, 3.0, 5.0])
            .map(|((amplitude, phase), harmonic)| amplitude * (harmonic * angle + phase).sin())
            .sum();
        self.lake_radius * (1.0 + wobble)
    }

    /// A radius that covers the basin in every direction.
    pub(crate) fn lake_extent(&self) -> f32 {
        let wobble: f32 = self.shore_wobble.iter().map(|(a, _)| a).sum();
        self.lake_radius * (1.0 + wobble)
    }

    /// Basin radius in the direction of `p` seen from the lake centre.
    pub(crate) fn lake_radius_towards(&self, p: Vec2) -> f32 {
        let d = p - self.lake;
        self.lake_radius_at(d.y.atan2(d.x))
    }
}

/// The height function before sampling.
struct Relief<'a> {
    layout: &'a Layout,
    hills: Noise,
    ridges: Noise,
    village_height: f32,
}

impl<'a> Relief<'a> {
    fn new(seed: u64, layout: &'a Layout) -> Self {
        let mut relief = Self {
            layout,
            hills: Noise::new(seed, stream::RELIEF),
            ridges: Noise::new(seed, stream::RIDGES),
            village_height: 0.0,
        };
        relief.village_height = relief.natural(layout.village);
        relief
    }

    /// Rolling hills inside a rim of ridged mountains, kept above the water everywhere.
    fn natural(&self, p: Vec2) -> f32 {
        let hills = 3.5
            + 5.0 * self.hills.fbm(p.x / 70.0, p.y / 70.0, 5)
            + 0.6 * self.hills.perlin(p.x / 13.0 + 31.7, p.y / 13.0 - 12.9);
        // The rim's foot wanders in and out with direction and drops to a low pass on one
        // side, so the valley reads as a valley rather than a crater.
        let reach = p.length() + 28.0 * self.ridges.fbm(p.x / 70.0 + 7.3, p.y / 70.0 - 3.1, 3);
        let pass = smoothstep(0.6, 0.95, (p.y.atan2(p.x) - self.layout.pass_bearing).cos());
        let rim = smoothstep(50.0, 98.0, reach).powf(1.4)
            * (20.0 + 16.0 * self.ridges.ridged(p.x / 40.0, p.y / 40.0, 4))
            * (1.0 - 0.7 * pass);
        smooth_max(hills + rim, WATER_LEVEL + 1.6, 1.5)
    }

    /// The natural relief, flattened around the village and carved into a basin for the lake.
    fn height(&self, p: Vec2) -> f32 {
        let mut h = self.natural(p);
        let village = 1.0 - smoothstep(16.0, 34.0, p.distance(self.layout.village));
        h = lerp(
            h,
            self.village_height + (h - self.village_height) * 0.08,
            village,
        );
        // Parabolic basin: 3.5 m deep at the centre, crossing the water level at t ≈ 0.84
        // of the local radius; blended out by 1.45 radii.
        let t = p.distance(self.layout.lake) / self.layout.lake_radius_towards(p);
        let basin = WATER_LEVEL - 3.5 + 5.0 * t * t;
        lerp(h, basin, 1.0 - smoothstep(0.55, 1.45, t))
    }
}

/// A square heightfield sampled on a regular grid, with smooth per-vertex normals.
pub(crate) struct Heightfield {
    /// `VERTS × VERTS` heights, row by row along +z.
    heights: Vec<f32>,
    normals: Vec<Vec3>,
}

/// World (x, z) of grid vertex (`i`, `j`).
fn grid_point(i: usize, j: usize) -> Vec2 {
    Vec2::new(
        -HALF_SIZE + i as f32 * SPACING,
        -HALF_SIZE + j as f32 * SPACING,
    )
}

/// Grid cell index and fraction within it along one axis, clamped to the terrain.
fn cell(coordinate: f32) -> (usize, f32) {
    let g = ((coordinate + HALF_SIZE) / SPACING).clamp(0.0, CELLS as f32);
    let i = (g.floor() as usize).min(CELLS - 1);
    (i, g - i as f32)
}

impl Heightfield {
    pub(crate) fn generate(seed: u64, layout: &Layout) -> Self {
        let relief = Relief::new(seed, layout);
        let heights = (0..VERTS * VERTS)
            .map(|k| relief.height(grid_point(k % VERTS, k / VERTS)))
            .collect();
        let mut field = Self {
            heights,
            normals: Vec::new(),
        };
        field.normals = (0..VERTS * VERTS)
            .map(|k| field.grid_normal(k % VERTS, k / VERTS))
            .collect();
        field
    }

    fn grid(&self, i: usize, j: usize) -> f32 {
        self.heights
            .get(j.min(CELLS) * VERTS + i.min(CELLS))
            .copied()
            .unwrap_or(WATER_LEVEL)
    }

    /// Central differences (one-sided at the border).
    fn grid_normal(&self, i: usize, j: usize) -> Vec3 {
        let (i0, i1) = (i.saturating_sub(1), (i + 1).min(CELLS));
        let (j0, j1) = (j.saturating_sub(1), (j + 1).min(CELLS));
        let dx = (self.grid(i1, j) - self.grid(i0, j)) / ((i1 - i0) as f32 * SPACING);
        let dz = (self.grid(i, j1) - self.grid(i, j0)) / ((j1 - j0) as f32 * SPACING);
        Vec3::new(-dx, 1.0, -dz).normalize()
    }

    /// Height of the terrain mesh's surface at (`x`, `z`): interpolated on the same triangles
    /// the mesh draws, so objects placed with it touch the rendered ground. Clamped at the
    /// edges.
    pub(crate) fn height_at(&self, x: f32, z: f32) -> f32 {
        let ((i, fx), (j, fz)) = (cell(x), cell(z));
        if fx + fz <= 1.0 {
            let a = self.grid(i, j);
            a + (self.grid(i + 1, j) - a) * fx + (self.grid(i, j + 1) - a) * fz
        } else {
            let d = self.grid(i + 1, j + 1);
            d + (self.grid(i, j + 1) - d) * (1.0 - fx) + (self.grid(i + 1, j) - d) * (1.0 - fz)
        }
    }

    /// Smooth surface normal at (`x`, `z`).
    pub(crate) fn normal_at(&self, x: f32, z: f32) -> Vec3 {
        let ((i, fx), (j, fz)) = (cell(x), cell(z));
        let n = |i: usize, j: usize| {
            self.normals
                .get(j.min(CELLS) * VERTS + i.min(CELLS))
                .copied()
                .unwrap_or(Vec3::Y)
        };
        let near = n(i, j).lerp(n(i + 1, j), fx);
        let far = n(i, j + 1).lerp(n(i + 1, j + 1), fx);
        near.lerp(far, fz).normalize_or(Vec3::Y)
    }

    /// Lowest and highest ground under a rectangle of `half` extents (x, z) centred on
    /// `centre` and turned by `yaw` radians about +Y.
    pub(crate) fn footprint(&self, centre: Vec2, half: Vec2, yaw: f32) -> (f32, f32) {
        const STEPS: usize = 8;
        let rotation = Quat::from_rotation_y(yaw);
        let (mut low, mut high) = (f32::INFINITY, f32::NEG_INFINITY);
        for a in 0..=STEPS {
            for b in 0..=STEPS {
                let local = Vec3::new(
                    half.x * (2.0 * a as f32 / STEPS as f32 - 1.0),
                    0.0,
                    half.y * (2.0 * b as f32 / STEPS as f32 - 1.0),
                );
                let p = rotation * local;
                let h = self.height_at(centre.x + p.x, centre.y + p.z);
                low = low.min(h);
                high = high.max(h);
            }
        }
        (low, high)
    }

    /// The terrain mesh: one vertex per grid point, UVs in metres / [`METRES_PER_UV`], and
    /// linear vertex colours blending grass, earth, sand, silt, rock and snow by height,
    /// slope and distance to the village square.
    pub(crate) fn mesh(&self, seed: u64, layout: &Layout) -> Mesh {
        let tint = Noise::new(seed, stream::TERRAIN_TINT);
        let count = VERTS * VERTS;
        let (mut positions, mut uvs, mut colors) = (
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
        );
        for (k, (&h, &normal)) in self.heights.iter().zip(&self.normals).enumerate() {
            let p = grid_point(k % VERTS, k / VERTS);
            positions.push([p.x, h, p.y]);
            uvs.push((p / METRES_PER_UV).to_array());
            let colour = ground_colour(p, h, normal, tint, layout);
            colors.push([colour.x, colour.y, colour.z, 1.0]);
        }
        let normals = self.normals.iter().map(|n| n.to_array()).collect();
        let mut indices = Vec::with_capacity(CELLS * CELLS * 6);
        for j in 0..CELLS {
            for i in 0..CELLS {
                // a → b runs along +z, a → c along +x: (a, b, c) is counter-clockwise seen
                // from above.
                let a = (j * VERTS + i) as u32;
                let (b, c) = (a + VERTS as u32, a + 1);
                let d = b + 1;
                indices.extend([a, b, c, c, b, d]);
            }
        }
        Mesh::new(positions, normals, uvs, colors, indices)
    }
}

fn ground_colour(p: Vec2, h: f32, normal: Vec3, tint: Noise, layout: &Layout) -> Vec3 {
    let variation = tint.fbm(p.x / 9.0, p.y / 9.0, 3);
    let slope = 1.0 - normal.y;
    let mut colour = GRASS.lerp(DRY_GRASS, smoothstep(-0.3, 0.5, variation));
    let square = p.distance(layout.village) + variation * 1.5;
    colour = colour.lerp(EARTH, 0.85 * (1.0 - smoothstep(5.5, 8.5, square)));
    let beach = 1.0 - smoothstep(WATER_LEVEL + 0.5, WATER_LEVEL + 1.4, h + variation * 0.3);
    colour = colour.lerp(SAND, beach);
    colour = colour.lerp(SILT, smoothstep(0.0, 2.0, WATER_LEVEL - h));
    // Rock from about 25° and fully by 37°.
    colour = colour.lerp(ROCK, smoothstep(0.09, 0.2, slope + variation * 0.03));
    let snow = smoothstep(SNOW_LINE - 2.0, SNOW_LINE + 2.0, h + variation * 3.0)
        * (1.0 - smoothstep(0.25, 0.45, slope));
    colour.lerp(SNOW, snow)
}

/// A 128 × 128 tiling greyscale noise (sRGB values 201–255) that breaks up the flat vertex
/// colours up close without changing their overall tone.
pub(crate) fn detail_image(seed: u64) -> Option<Image> {
    const SIZE: u32 = 128;
    const PERIOD: i32 = 8;
    let noise = Noise::new(seed, stream::DETAIL);
    let mut rgba = Vec::with_capacity((SIZE * SIZE * 4) as usize);
    let to_lattice = PERIOD as f32 / SIZE as f32;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let n = noise.fbm_tiling(x as f32 * to_lattice, y as f32 * to_lattice, PERIOD, 4);
            let v = 228.0 + 27.0 * n.clamp(-1.0, 1.0);
            rgba.extend([v as u8, v as u8, (v - 3.0) as u8, 255]);
        }
    }
    Image::new("Terrain detail", SIZE, SIZE, rgba)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn height_at_matches_grid_vertices_and_the_basin_holds_water() {
        let layout = Layout::new(7);
        let field = Heightfield::generate(7, &layout);
        for (i, j) in [(0, 0), (10, 200), (128, 128), (CELLS, CELLS), (CELLS, 3)] {
            let p = grid_point(i, j);
            assert!((field.height_at(p.x, p.y) - field.grid(i, j)).abs() < 1e-4);
        }
        assert!(field.height_at(layout.lake.x, layout.lake.y) < WATER_LEVEL - 2.0);
        // Outside the basin the ground stays above the water, so the lake disc is hidden.
        for k in 0..360 {
            let direction = Vec2::from_angle(k as f32 / 360.0 * 2.0 * PI);
            let p = layout.lake + direction * layout.lake_extent();
            assert!(field.height_at(p.x, p.y) > WATER_LEVEL, "shore dips at {p}");
        }
    }

    #[test]
    fn detail_image_is_bright_and_tiles() {
        let image = detail_image(3).expect("128² RGBA8");
        assert_eq!((image.width, image.height), (128, 128));
        assert!(image.rgba8.iter().all(|&v| v >= 190));
    }
}
