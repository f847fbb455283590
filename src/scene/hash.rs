//! A content hash of a scene, for determinism checks and render caching.

use super::Scene;

/// 64-bit FNV-1a hash of the scene's serialized content (geometry, materials, hierarchy,
/// environment). Equal scenes hash equal on every machine.
pub fn scene_hash(scene: &Scene) -> u64 {
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    // Serializing into the hasher avoids building a giant string.
    serde_json::to_writer(&mut hasher, scene).ok();
    hasher.0
}

struct Fnv(u64);

impl std::io::Write for Fnv {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for b in buf {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
