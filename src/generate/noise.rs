//! Seeded randomness for the generator: a SplitMix64 generator and 2D gradient (Perlin) noise.
//!
//! Written here rather than taken from a crate so that a seed keeps producing the same world
//! whatever versions the dependency tree resolves to: `scene_hash(generate_world(7))` is part
//! of the contract.

use std::f32::consts::{FRAC_1_SQRT_2, SQRT_2, TAU};

/// Independent random streams, one per part of the world, so that drawing one more number in
/// one part never reshuffles the others.
pub(crate) mod stream {
    pub(crate) const LAYOUT: u64 = 1;
    pub(crate) const RELIEF: u64 = 2;
    pub(crate) const RIDGES: u64 = 3;
    pub(crate) const TERRAIN_TINT: u64 = 4;
    pub(crate) const DETAIL: u64 = 5;
    pub(crate) const BUILDINGS: u64 = 6;
    pub(crate) const VEGETATION: u64 = 7;
    pub(crate) const FOREST: u64 = 8;
    pub(crate) const LIGHTS: u64 = 9;
}

/// The SplitMix64 finaliser: a bijective 64-bit mix with full avalanche.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64: small, fast, and good enough for placing trees.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// The generator for one `stream` of `seed`.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        Self {
            state: mix(seed ^ mix(stream.wrapping_mul(GOLDEN_GAMMA))),
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform in `[lo, hi)`.
    pub(crate) fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.f32()
    }

    /// Uniform integer in `lo..=hi`.
    pub(crate) fn range_usize(&mut self, lo: usize, hi: usize) -> usize {
        let span = hi.saturating_sub(lo) as u64 + 1;
        lo + (self.next_u64() % span) as usize
    }

    pub(crate) fn chance(&mut self, probability: f32) -> bool {
        self.f32() < probability
    }

    /// Uniform angle in `[0, 2π)` radians.
    pub(crate) fn angle(&mut self) -> f32 {
        self.range(0.0, TAU)
    }
}

const GRADIENTS: [[f32; 2]; 8] = [
    [1.0, 0.0],
    [-1.0, 0.0],
    [0.0, 1.0],
    [0.0, -1.0],
    [FRAC_1_SQRT_2, FRAC_1_SQRT_2],
    [-FRAC_1_SQRT_2, FRAC_1_SQRT_2],
    [FRAC_1_SQRT_2, -FRAC_1_SQRT_2],
    [-FRAC_1_SQRT_2, -FRAC_1_SQRT_2],
];

/// 2D gradient noise on a seeded integer lattice.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Noise {
    seed: u64,
}

impl Noise {
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        Self {
            seed: mix(seed ^ mix(stream.wrapping_mul(GOLDEN_GAMMA) ^ 0xA076_1D64_78BD_642F)),
        }
    }

    fn gradient(&self, ix: i32, iz: i32, layer: u32) -> [f32; 2] {
        let cell = (u64::from(ix as u32) << 32) | u64::from(iz as u32);
        let layer_seed = self
            .seed
            .wrapping_add(u64::from(layer).wrapping_mul(GOLDEN_GAMMA));
        let h = mix(layer_seed ^ mix(cell));
        // The top three bits pick one of the eight gradients.
        GRADIENTS[(h >> 61) as usize]
    }

    /// Perlin noise of one lattice `layer`, roughly in `[-1, 1]`. A positive `period` wraps
    /// the lattice so the result tiles every `period` units.
    fn layer(&self, x: f32, z: f32, layer: u32, period: i32) -> f32 {
        let (x0, z0) = (x.floor(), z.floor());
        let (fx, fz) = (x - x0, z - z0);
        let (ix, iz) = (x0 as i32, z0 as i32);
        let corner = |dx: i32, dz: i32| {
            let (cx, cz) = if period > 0 {
                ((ix + dx).rem_euclid(period), (iz + dz).rem_euclid(period))
            } else {
                (ix + dx, iz + dz)
            };
            let g = self.gradient(cx, cz, layer);
            g[0] * (fx - dx as f32) + g[1] * (fz - dz as f32)
        };
        let (u, v) = (fade(fx), fade(fz));
        let near = lerp(corner(0, 0), corner(1, 0), u);
        let far = lerp(corner(0, 1), corner(1, 1), u);
        // Unit gradients give at most ±√½; scale to about ±1.
        lerp(near, far, v) * SQRT_2
    }

    /// Plain Perlin noise, roughly in `[-1, 1]`, one feature per unit.
    pub(crate) fn perlin(&self, x: f32, z: f32) -> f32 {
        self.layer(x, z, 0, 0)
    }

    /// Fractal Brownian motion: `octaves` layers, each at twice the frequency and half the
    /// amplitude of the last; normalised to roughly `[-1, 1]`.
    pub(crate) fn fbm(&self, x: f32, z: f32, octaves: u32) -> f32 {
        let (mut x, mut z) = (x, z);
        let (mut sum, mut amplitude, mut total) = (0.0, 1.0, 0.0);
        for octave in 0..octaves {
            sum += amplitude * self.layer(x, z, octave, 0);
            total += amplitude;
            amplitude *= 0.5;
            // Rotate while doubling so the octaves' lattices never line up.
            (x, z) = (1.6 * x - 1.2 * z, 1.2 * x + 1.6 * z);
        }
        if total > 0.0 { sum / total } else { 0.0 }
    }

    /// Like [`Noise::fbm`] but tiling every `period` units (the lattice wraps per octave).
    pub(crate) fn fbm_tiling(&self, x: f32, z: f32, period: i32, octaves: u32) -> f32 {
        let (mut sum, mut amplitude, mut total, mut scale) = (0.0, 1.0, 0.0, 1.0);
        for octave in 0..octaves {
            let octave_period = period.saturating_mul(1 << octave.min(16));
            sum += amplitude * self.layer(x * scale, z * scale, octave, octave_period);
            total += amplitude;
            amplitude *= 0.5;
            scale *= 2.0;
        }
        if total > 0.0 { sum / total } else { 0.0 }
    }

    /// Ridged multifractal noise in `[0, 1]`: sharp crests where plain noise crosses zero,
    /// which reads as mountain ridges.
    pub(crate) fn ridged(&self, x: f32, z: f32, octaves: u32) -> f32 {
        let (mut x, mut z) = (x, z);
        let (mut sum, mut amplitude, mut total) = (0.0, 1.0, 0.0);
        for octave in 0..octaves {
            // A softened |n| rounds the crest over a few metres instead of a one-cell crease.
            let n = self.layer(x, z, octave, 0);
            let ridge = 1.0 - ((n * n + 0.02).sqrt() - 0.02f32.sqrt()).min(1.0);
            sum += amplitude * ridge * ridge;
            total += amplitude;
            amplitude *= 0.5;
            (x, z) = (1.6 * x - 1.2 * z, 1.2 * x + 1.6 * z);
        }
        if total > 0.0 { sum / total } else { 0.0 }
    }
}

/// Perlin's quintic fade curve.
fn fade(t: f32) -> f32 {
    t * t * t * (t * (t * 6.0 - 15.0) + 10.0)
}

pub(crate) fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// Hermite step from 0 at `edge0` to 1 at `edge1`.
pub(crate) fn smoothstep(edge0: f32, edge1: f32, x: f32) -> f32 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A maximum with a rounded corner of width `k`, so clamping a height leaves no crease.
pub(crate) fn smooth_max(a: f32, b: f32, k: f32) -> f32 {
    let h = (k - (a - b).abs()).max(0.0) / k;
    a.max(b) + h * h * k * 0.25
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_seeded_and_in_range() {
        let draw = |seed| {
            let mut rng = Rng::new(seed, stream::LAYOUT);
            (0..100).map(|_| rng.f32()).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
        assert!(draw(5).iter().all(|v| (0.0..1.0).contains(v)));
        let mut rng = Rng::new(1, 2);
        assert!((0..1000).all(|_| (4..=7).contains(&rng.range_usize(4, 7))));
    }

    #[test]
    fn noise_is_bounded_and_tiles() {
        let noise = Noise::new(9, stream::DETAIL);
        for k in 0..2000 {
            let (x, z) = (k as f32 * 0.173, k as f32 * 0.291 - 40.0);
            assert!(noise.perlin(x, z).abs() <= 1.01);
            assert!(noise.fbm(x, z, 5).abs() <= 1.01);
            assert!((0.0..=1.0).contains(&noise.ridged(x, z, 4)));
            let a = noise.fbm_tiling(x, z, 8, 4);
            let b = noise.fbm_tiling(x + 8.0, z - 16.0, 8, 4);
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }
}
