//! Frames of a timeline shot as a [`FrameSource`](super::FrameSource): the scene sampled at
//! each frame (its variant resolved) and the view through the shot's camera. Used by
//! `worldsmith render` and by Render ▸ Render Shot in the editor, so both cache the same
//! frames under the same keys.

use anyhow::Context as _;

use crate::scene::{CameraView, Scene, Shot, VariantId};

/// Which variant a shot renders with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShotVariant {
    /// The shot's own variant (or the base when it has none).
    #[default]
    Own,
    /// The base scene, whatever the shot's variant.
    Base,
    /// This variant instead of the shot's.
    Variant(VariantId),
}

/// A frame source for `shot` of `scene` (both copied; geometry is shared through `Arc`):
/// the sampled scene and the shot camera's view at each frame (the scene's default view when
/// the shot has no camera).
pub fn shot_source(
    scene: &Scene,
    shot: &Shot,
    variant: ShotVariant,
) -> impl FnMut(u32) -> anyhow::Result<(Scene, CameraView)> + Send + 'static {
    let shot = shot.clone();
    let id = shot.id;
    let (scene, variant) = match variant {
        ShotVariant::Base if shot.variant.is_some() => {
            // Sample a copy whose shot shows no variant.
            let mut copy = scene.clone();
            let mut timeline = copy.timeline().clone();
            if let Some(s) = timeline.shot_mut(id) {
                s.variant = None;
            }
            copy.set_timeline(timeline);
            (copy, None)
        }
        ShotVariant::Variant(v) => (scene.clone(), Some(v)),
        ShotVariant::Own | ShotVariant::Base => (scene.clone(), None),
    };
    move |frame: u32| {
        let sampled = scene
            .sampled(id, frame as f32, variant)
            .with_context(|| format!("shot '{}' is gone", shot.name))?;
        let view = sampled
            .shot_camera_view(&shot)
            .unwrap_or_else(|| crate::render::default_view(&sampled));
        Ok((sampled, view))
    }
}
