//! The editor's side of variants: the scene the active variant shows (resolved once per
//! change, not per frame), where edits go, the compare set, and the actions of the variants
//! panel turned into undoable commands.

use super::editor::Editor;
use crate::edit::Command;
use crate::edit::variants as ops;
use crate::scene::{NodeKind, Overrides, Revision, Scene, VariantId};
use crate::ui::{MAX_COMPARE, VariantAction};
use std::collections::HashMap;

/// Variant state that is not part of the document.
#[derive(Default)]
pub(crate) struct VariantState {
    /// The scene as the active variant shows it, and the base revision it was made from.
    view: Option<(Revision, Scene)>,
    /// Edits go to the base even while a variant is shown.
    pub edit_base: bool,
    /// Variants ticked for side-by-side comparison, in the order ticked.
    pub compare: Vec<VariantId>,
    /// The viewport shows `compare` side by side.
    pub comparing: bool,
    /// Thumbnail textures the app rendered, by variant (`None`: the base).
    pub thumbnails: HashMap<Option<VariantId>, egui::TextureId>,
    /// The compare cells' textures, in compare order.
    pub compare_textures: Vec<(VariantId, egui::TextureId)>,
}

/// The scene on screen: the active variant's, or the base (a free function, so callers can
/// borrow other editor fields beside it).
pub(crate) fn shown<'a>(scene: &'a Scene, state: &'a VariantState) -> &'a Scene {
    match &state.view {
        Some((revision, view)) if *revision == scene.revision() => view,
        _ => scene,
    }
}

/// The scene whose values the inspector shows and edits, and the variant it edits: the shown
/// scene while edits go to the active variant, the base otherwise.
pub(crate) fn edited<'a>(
    scene: &'a Scene,
    state: &'a VariantState,
) -> (&'a Scene, Option<&'a crate::scene::Variant>) {
    match scene.variants().active() {
        Some(variant) if !state.edit_base => (shown(scene, state), Some(variant)),
        _ => (scene, None),
    }
}

impl Editor {
    /// The scene on screen: the active shot at the playhead, the active variant's, or the
    /// base.
    pub fn shown(&self) -> &Scene {
        super::timeline_state::shown(&self.scene, &self.variant_state, &self.timeline)
    }

    /// Brings the shown scene up to date with the base after a change (cheap when nothing
    /// changed: one revision compare).
    pub fn sync_view(&mut self) {
        let revision = self.scene.revision();
        if self
            .variant_state
            .view
            .as_ref()
            .is_some_and(|(r, _)| *r == revision)
        {
            // The playhead may have moved.
            self.sync_timeline();
            return;
        }
        self.variant_state.view = self.scene.resolved().map(|view| (revision, view));
        // The compare set keeps only variants that still exist.
        let variants = self.scene.variants();
        self.variant_state
            .compare
            .retain(|id| variants.get(*id).is_some());
        if self.variant_state.compare.len() < 2 {
            self.variant_state.comparing = false;
        }
        self.sync_timeline();
    }

    /// The variant edits go to; `None`: the base.
    pub fn edit_target(&self) -> Option<VariantId> {
        if self.variant_state.edit_base {
            return None;
        }
        self.scene.variants().active
    }

    /// `command` as it applies to the edit target (see [`ops::route`]), after animated values
    /// became keys at the playhead (see [`crate::edit::timeline::route`]); one undo step.
    pub(crate) fn routed(&self, command: Command) -> Command {
        let label = command.label(&self.scene);
        let (keys, rest) = self.route_keys(command);
        let rest = rest.map(|command| match self.edit_target() {
            Some(variant) => ops::route(&self.scene, variant, command),
            None => command,
        });
        match (keys, rest) {
            (Some(keys), None) => keys,
            (None, Some(rest)) => rest,
            (keys, rest) => Command::Batch {
                label,
                commands: keys.into_iter().chain(rest).collect(),
            },
        }
    }

    /// Runs a variant panel action.
    pub(crate) fn apply_variant_action(&mut self, action: VariantAction) {
        let scene = &self.scene;
        let command = match action {
            VariantAction::Switch(id) => {
                let switch = ops::switch(scene, id);
                // The live shot shows the variant on screen (and renders with it).
                match self.timeline.live_shot(scene).filter(|s| s.variant != id) {
                    Some(shot) => {
                        let shot = crate::scene::Shot {
                            variant: id,
                            ..shot.clone()
                        };
                        let label = format!("Show variant in shot {}", shot.name);
                        let timeline = crate::edit::timeline::with_shot(scene.timeline(), shot);
                        Some(Command::Batch {
                            label: label.clone(),
                            commands: switch
                                .into_iter()
                                .chain(crate::edit::timeline::set(scene, timeline, &label))
                                .collect(),
                        })
                    }
                    None => switch,
                }
            }
            VariantAction::NewFromCurrent => {
                let overrides = scene
                    .variants()
                    .active()
                    .map(|v| v.overrides.clone())
                    .unwrap_or_default();
                let name = scene
                    .variants()
                    .active()
                    .map_or("Variant".to_owned(), |v| format!("{} copy", v.name));
                let id = self.scene.reserve_variant_id();
                Some(ops::create(&self.scene, id, &name, overrides))
            }
            VariantAction::NewFromPreset(preset) => {
                let overrides = ops::preset_overrides(scene, preset, &Overrides::default());
                let id = self.scene.reserve_variant_id();
                Some(ops::create(&self.scene, id, preset.name(), overrides))
            }
            VariantAction::ApplyPreset(preset) => {
                scene.variants().active().map(|v| Command::SetOverrides {
                    variant: v.id,
                    overrides: Box::new(ops::preset_overrides(scene, preset, &v.overrides)),
                })
            }
            VariantAction::Duplicate(source) => {
                let id = self.scene.reserve_variant_id();
                ops::duplicate(&self.scene, id, source)
            }
            VariantAction::Rename(id, name) => ops::rename(scene, id, &name),
            VariantAction::Delete(id) => ops::delete(scene, id),
            VariantAction::Move(id, to) => ops::reorder(scene, id, to),
            VariantAction::Reset(target) => self
                .edit_target()
                .and_then(|variant| ops::reset_to_base(scene, variant, target)),
            VariantAction::ResetAll(id) => Some(Command::SetOverrides {
                variant: id,
                overrides: Box::default(),
            }),
            VariantAction::EditBase(base) => {
                self.variant_state.edit_base = base;
                None
            }
            VariantAction::ToggleCompare(id) => {
                let compare = &mut self.variant_state.compare;
                if let Some(at) = compare.iter().position(|c| *c == id) {
                    compare.remove(at);
                } else if compare.len() < MAX_COMPARE {
                    compare.push(id);
                }
                if compare.len() < 2 {
                    self.variant_state.comparing = false;
                }
                None
            }
            VariantAction::Compare(on) => {
                self.variant_state.comparing = on && self.variant_state.compare.len() >= 2;
                None
            }
        };
        if let Some(command) = command
            && self.history.execute(&mut self.scene, command)
        {
            self.scene_changed();
        }
    }

    /// Material picker while a variant is the edit target: the selected meshes show
    /// `material` in that variant (a swap); the base keeps its assignments.
    pub(crate) fn assign_material_in_variant(
        &mut self,
        variant: VariantId,
        material: crate::scene::MaterialId,
    ) -> Option<Command> {
        let v = self.scene.variants().get(variant)?;
        let mut overrides = v.overrides.clone();
        for id in &self.selection {
            if let Some(NodeKind::Mesh { material: base, .. }) =
                self.scene.node(*id).map(|n| &n.kind)
            {
                // Swapping back to the base material is no override at all.
                overrides.node_mut(*id).material = (*base != material).then_some(material);
            }
        }
        overrides.tidy();
        Some(Command::SetOverrides {
            variant,
            overrides: Box::new(overrides),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Light, NodeKind};
    use crate::ui::UiAction;
    use std::sync::Arc;

    fn editor() -> Editor {
        let mut e = Editor::new(
            crate::generate::generate_world(5),
            5,
            "test".into(),
            Arc::new(|| {}),
        );
        // Variants on their own: the viewport shows no shot.
        e.timeline.enabled = false;
        e.sync_view();
        e
    }

    fn sun_light(scene: &Scene) -> (crate::scene::NodeId, Light) {
        let id = scene.find("Sun").expect("sun");
        let NodeKind::Light(l) = scene.node(id).expect("node").kind else {
            panic!("sun is not a light")
        };
        (id, l)
    }

    #[test]
    fn inspector_edits_go_to_the_shown_variant_or_the_base() {
        let mut e = editor();
        let night = e.scene.variants().list[4].id;
        e.apply(UiAction::Variant(VariantAction::Switch(Some(night))));
        assert_eq!(e.edit_target(), Some(night));
        let (sun, base_light) = sun_light(&e.scene);
        let (_, night_light) = sun_light(e.shown());
        assert_ne!(base_light, night_light, "the night has its own moon");

        // An inspector edit of the shown light lands in the variant.
        let brighter = Light {
            intensity: night_light.intensity * 2.0,
            ..night_light
        };
        e.apply(UiAction::Edit(Command::SetLight {
            node: sun,
            light: brighter,
        }));
        assert_eq!(sun_light(e.shown()).1, brighter);
        assert_eq!(sun_light(&e.scene).1, base_light, "the base keeps its sun");

        // Edits to the base while the variant is shown: a value the variant overrides stays
        // as the variant has it on screen; one it leaves alone changes for every variant.
        e.apply(UiAction::Variant(VariantAction::EditBase(true)));
        assert_eq!(e.edit_target(), None);
        let mut env = e.scene.environment;
        env.exposure_ev100 = 20.0;
        env.tone_mapper = crate::scene::ToneMapper::Linear;
        e.apply(UiAction::Edit(Command::SetEnvironment {
            value: Box::new(env),
        }));
        assert_eq!(e.scene.environment.exposure_ev100, 20.0);
        assert_ne!(e.shown().environment.exposure_ev100, 20.0, "overridden");
        assert_eq!(
            e.shown().environment.tone_mapper,
            crate::scene::ToneMapper::Linear,
            "not overridden: flows into the variant"
        );

        // Reset to base, then undo everything back to the start.
        e.apply(UiAction::Variant(VariantAction::EditBase(false)));
        e.apply(UiAction::Variant(VariantAction::Reset(
            crate::edit::variants::OverrideTarget::Light(sun),
        )));
        assert_eq!(sun_light(e.shown()).1, base_light);
        while e.history.undo(&mut e.scene) {}
        e.sync_view();
        assert_eq!(e.scene.variants().active, None);
        assert_eq!(
            e.shown().revision(),
            e.scene.revision(),
            "the base is shown"
        );
        assert_eq!(
            e.scene.environment,
            crate::generate::generate_world(5).environment
        );
    }

    #[test]
    fn panel_actions_add_rename_compare_and_delete() {
        let mut e = editor();
        let before = e.scene.variants().list.len();
        e.apply(UiAction::Variant(VariantAction::NewFromPreset(
            crate::edit::variants::Preset::BlueHour,
        )));
        let added = e.scene.variants().active.expect("the new variant is shown");
        assert_eq!(e.scene.variants().list.len(), before + 1);
        assert_eq!(e.scene.variants().get(added).unwrap().name, "Blue hour 2");
        e.apply(UiAction::Variant(VariantAction::Rename(
            added,
            "Dusk".into(),
        )));
        assert_eq!(e.scene.variants().get(added).unwrap().name, "Dusk");
        let noon = e.scene.variants().list[0].id;
        e.apply(UiAction::Variant(VariantAction::ToggleCompare(noon)));
        e.apply(UiAction::Variant(VariantAction::Compare(true)));
        assert!(!e.variant_state.comparing, "one variant is no comparison");
        e.apply(UiAction::Variant(VariantAction::ToggleCompare(added)));
        e.apply(UiAction::Variant(VariantAction::Compare(true)));
        assert!(e.variant_state.comparing);
        e.apply(UiAction::Variant(VariantAction::Delete(added)));
        assert!(!e.variant_state.comparing, "deleting leaves one to compare");
        assert_eq!(e.variant_state.compare, vec![noon]);
        assert_eq!(e.scene.variants().active, None);
        // A material swap from the picker lands in the shown variant.
        e.apply(UiAction::Variant(VariantAction::Switch(Some(noon))));
        let (node, mesh_material) = e
            .scene
            .nodes()
            .find_map(|n| match n.kind {
                NodeKind::Mesh { material, .. } => Some((n.id, material)),
                _ => None,
            })
            .expect("a mesh");
        let other = e
            .scene
            .materials()
            .map(|(id, _)| id)
            .find(|id| *id != mesh_material)
            .expect("another material");
        e.selection = vec![node];
        e.apply(UiAction::AssignMaterial(other));
        let shown_material = match e.shown().node(node).unwrap().kind {
            NodeKind::Mesh { material, .. } => material,
            _ => unreachable!(),
        };
        assert_eq!(shown_material, other);
        assert!(matches!(
            e.scene.node(node).unwrap().kind,
            NodeKind::Mesh { material, .. } if material == mesh_material
        ));
    }
}
