//! Seeded procedural world generator (stub, being written).
pub mod shapes;
use crate::scene::Scene;

/// Generates the built-in world for `seed`.
pub fn generate_world(seed: u64) -> Scene {
    Scene::new(&format!("World {seed}"))
}
