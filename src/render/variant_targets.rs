//! Offscreen targets that show variants of one scene from one camera: the variants panel's
//! live thumbnails and the viewport's side-by-side compare view. Each remembers what it last
//! drew, so only targets whose variant, base scene or camera changed are drawn again, one at a
//! time if the caller likes (thumbnails refresh in the background, a frame each).

use super::{FrameInput, FrameStats, OffscreenTarget, RenderSettings, Renderer};
use crate::scene::{CameraView, Overrides, Revision, Scene, VariantId};
use std::collections::BTreeMap;

/// What a target last drew: the base scene's content (its revision, minus which variant is
/// active and the variant list, which do not change this variant's pixels), the variant's
/// overrides, the camera and settings.
#[derive(Clone, Debug, PartialEq)]
struct Drawn {
    revision: Revision,
    overrides: Option<Overrides>,
    camera: CameraView,
    settings: RenderSettings,
}

struct Entry {
    target: OffscreenTarget,
    drawn: Option<Drawn>,
}

/// What changed in [`VariantTargets::keep`]: targets made (new or resized; show their new
/// texture) and targets dropped.
#[derive(Debug, Default, PartialEq)]
pub struct TargetChanges {
    pub created: Vec<Option<VariantId>>,
    pub removed: Vec<Option<VariantId>>,
}

/// One offscreen target per variant (`None`: the base scene).
#[derive(Default)]
pub struct VariantTargets {
    entries: BTreeMap<Option<VariantId>, Entry>,
}

impl VariantTargets {
    /// Keeps a `width`×`height` target for each of `ids` and drops the others.
    pub fn keep(
        &mut self,
        device: &wgpu::Device,
        ids: &[Option<VariantId>],
        (width, height): (u32, u32),
    ) -> TargetChanges {
        let mut changes = TargetChanges::default();
        let before: Vec<_> = self.entries.keys().copied().collect();
        for id in before {
            if !ids.contains(&id) {
                self.entries.remove(&id);
                changes.removed.push(id);
            }
        }
        for id in ids {
            let fits = self
                .entries
                .get(id)
                .is_some_and(|e| (e.target.width, e.target.height) == (width, height));
            if !fits {
                self.entries.insert(
                    *id,
                    Entry {
                        target: OffscreenTarget::new(device, width, height),
                        drawn: None,
                    },
                );
                changes.created.push(*id);
            }
        }
        changes
    }

    pub fn target(&self, id: Option<VariantId>) -> Option<&OffscreenTarget> {
        self.entries.get(&id).map(|e| &e.target)
    }

    /// Whether the target for `id` has been drawn at least once.
    pub fn is_drawn(&self, id: Option<VariantId>) -> bool {
        self.entries.get(&id).is_some_and(|e| e.drawn.is_some())
    }

    /// Targets whose picture is out of date, in `ids` order.
    pub fn stale(
        &self,
        scene: &Scene,
        camera: CameraView,
        settings: RenderSettings,
        ids: &[Option<VariantId>],
    ) -> Vec<Option<VariantId>> {
        ids.iter()
            .copied()
            .filter(|id| {
                self.entries.get(id).is_some_and(|e| {
                    e.drawn.as_ref() != Some(&drawn_key(scene, *id, camera, settings))
                })
            })
            .collect()
    }

    /// Draws the target of `id` (the base scene or a variant of `scene`) through the one
    /// render path. `None` if there is no such target or variant.
    pub fn draw(
        &mut self,
        renderer: &mut Renderer,
        scene: &Scene,
        id: Option<VariantId>,
        camera: CameraView,
        settings: RenderSettings,
    ) -> Option<FrameStats> {
        let entry = self.entries.get_mut(&id)?;
        let resolved;
        let shown = match id {
            None => scene,
            Some(variant) => {
                resolved = scene.resolved_as(variant)?;
                &resolved
            }
        };
        let stats = renderer.render(
            &FrameInput {
                scene: shown,
                camera,
                settings,
                selection: &[],
                cloud_highlight: None,
            },
            &entry.target.target(),
        );
        entry.drawn = Some(drawn_key(scene, id, camera, settings));
        Some(stats)
    }
}

fn drawn_key(
    scene: &Scene,
    id: Option<VariantId>,
    camera: CameraView,
    settings: RenderSettings,
) -> Drawn {
    let revision = Revision {
        variants: 0,
        timeline: 0,
        ..scene.revision()
    };
    Drawn {
        revision,
        overrides: id.and_then(|id| scene.variants().get(id).map(|v| v.overrides.clone())),
        camera,
        settings,
    }
}

impl RenderSettings {
    /// Small previews (variant thumbnails): no MSAA, no overlays, 512² shadow cascades
    /// (plenty for 256×144, and a quarter of the 2048² raster cost per thumbnail; the
    /// renderer reallocates them once when a refresh starts and once when the viewport
    /// draws again, as thumbnails are drawn back to back).
    pub fn thumbnail() -> Self {
        Self {
            msaa: 1,
            shadow_map_size: 512,
            detail: super::Detail::BySize,
            ..Self::final_frame()
        }
    }
}
