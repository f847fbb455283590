//! Editing variants: which edits a variant takes (routing), resetting overridden values to
//! the base, creating, duplicating, renaming, deleting, reordering and switching variants,
//! and the lighting presets.
//!
//! The inspector, gizmo and menus always emit plain commands (`SetLight`, `SetMaterial`,
//! `SetEnvironment`...) for the scene they show. While a variant is the edit target,
//! [`route`] turns such a command into what makes it so for that variant: an override of the
//! variant for every value a variant can hold (see [`crate::scene::Overrides`]), a base edit
//! for the rest (geometry, hierarchy, names, textures). Both land in one undo step.

use super::Command;
use crate::scene::{
    LightKind, MaterialId, NodeId, NodeKind, Overrides, Scene, Transform, Variant, VariantId,
    Variants, sun,
};
use glam::{Quat, Vec3};

/// The command that applies `command` (meant for the scene as `variant` shows it) to that
/// variant; `command` itself when `variant` does not exist.
pub fn route(scene: &Scene, variant: VariantId, command: Command) -> Command {
    let Some(v) = scene.variants().get(variant) else {
        return command;
    };
    let label = command.label(scene);
    let mut overrides = v.overrides.clone();
    let mut base = Vec::new();
    route_into(scene, &mut overrides, command, &mut base);
    overrides.tidy();
    let mut commands = Vec::with_capacity(base.len() + 1);
    if overrides != v.overrides {
        commands.push(Command::SetOverrides {
            variant,
            overrides: Box::new(overrides),
        });
    }
    commands.extend(base);
    if commands.len() == 1 {
        return commands.remove(0);
    }
    Command::Batch { label, commands }
}

fn route_into(scene: &Scene, overrides: &mut Overrides, command: Command, base: &mut Vec<Command>) {
    match command {
        Command::SetMaterial { material, value } => {
            let Some(base_material) = scene.material(material) else {
                base.push(Command::SetMaterial { material, value });
                return;
            };
            let shared = overrides
                .material_mut(material)
                .absorb(base_material, &value);
            if shared != *base_material {
                base.push(Command::SetMaterial {
                    material,
                    value: Box::new(shared),
                });
            }
        }
        Command::SetLight { node, light } if is_light(scene, node) => {
            let shown = overrides
                .node(node)
                .and_then(|o| o.light)
                .or_else(|| light_of(scene, node));
            if shown != Some(light) {
                overrides.node_mut(node).light = Some(light);
            }
        }
        Command::SetTransform { node, transform } if is_light(scene, node) => {
            let shown = overrides
                .node(node)
                .and_then(|o| o.transform)
                .or_else(|| scene.node(node).map(|n| n.transform));
            if shown != Some(transform) {
                overrides.node_mut(node).transform = Some(transform);
            }
        }
        Command::SetVisible { node, visible } if scene.node(node).is_some() => {
            let shown = overrides
                .node(node)
                .and_then(|o| o.visible)
                .or_else(|| scene.node(node).map(|n| n.visible));
            if shown != Some(visible) {
                overrides.node_mut(node).visible = Some(visible);
            }
        }
        Command::SetGrade { node, grade } if scene.node(node).is_some() => {
            let shown = overrides
                .node(node)
                .and_then(|o| o.grade)
                .or_else(|| scene.node(node).map(|n| n.grade));
            if shown != Some(grade) {
                overrides.node_mut(node).grade = Some(grade);
            }
        }
        Command::SetEnvironment { value } => {
            overrides.environment.absorb(&scene.environment, &value);
        }
        Command::SetRelight { node, relight } if scene.node(node).is_some() => {
            let Some(base_relight) = scene.node(node).map(|n| n.relight) else {
                return;
            };
            let shown = overrides
                .node(node)
                .and_then(|o| o.relight_amount)
                .unwrap_or(base_relight.amount);
            if relight.amount != shown {
                overrides.node_mut(node).relight_amount = Some(relight.amount);
            }
            if relight.captured != base_relight.captured {
                base.push(Command::SetRelight {
                    node,
                    relight: crate::scene::Relight {
                        amount: base_relight.amount,
                        ..relight
                    },
                });
            }
        }
        Command::Batch { commands, label } => {
            let mut inner = Vec::new();
            for command in commands {
                route_into(scene, overrides, command, &mut inner);
            }
            if !inner.is_empty() {
                base.push(Command::Batch {
                    label,
                    commands: inner,
                });
            }
        }
        other => base.push(other),
    }
}

fn is_light(scene: &Scene, node: NodeId) -> bool {
    light_of(scene, node).is_some()
}

fn light_of(scene: &Scene, node: NodeId) -> Option<crate::scene::Light> {
    match scene.node(node)?.kind {
        NodeKind::Light(l) => Some(l),
        _ => None,
    }
}

/// One overridden value (or group of values) of a variant, for "reset to base".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideTarget {
    Sky,
    Panorama,
    Exposure,
    ToneMapper,
    Visible(NodeId),
    Placement(NodeId),
    Light(NodeId),
    MaterialSwap(NodeId),
    Grade(NodeId),
    Relight(NodeId),
    Material(MaterialId),
}

impl OverrideTarget {
    /// Whether `overrides` hold this value.
    pub fn is_set(self, overrides: &Overrides) -> bool {
        let node = |id: NodeId| overrides.node(id);
        match self {
            OverrideTarget::Sky => overrides.environment.sky.is_some(),
            OverrideTarget::Panorama => overrides.environment.panorama.is_some(),
            OverrideTarget::Exposure => overrides.environment.exposure_ev100.is_some(),
            OverrideTarget::ToneMapper => overrides.environment.tone_mapper.is_some(),
            OverrideTarget::Visible(id) => node(id).is_some_and(|o| o.visible.is_some()),
            OverrideTarget::Placement(id) => node(id).is_some_and(|o| o.transform.is_some()),
            OverrideTarget::Light(id) => node(id).is_some_and(|o| o.light.is_some()),
            OverrideTarget::MaterialSwap(id) => node(id).is_some_and(|o| o.material.is_some()),
            OverrideTarget::Grade(id) => node(id).is_some_and(|o| o.grade.is_some()),
            OverrideTarget::Relight(id) => node(id).is_some_and(|o| o.relight_amount.is_some()),
            OverrideTarget::Material(id) => overrides.material(id).is_some_and(|m| !m.is_empty()),
        }
    }

    fn clear(self, overrides: &mut Overrides) {
        let env = &mut overrides.environment;
        match self {
            OverrideTarget::Sky => env.sky = None,
            OverrideTarget::Panorama => env.panorama = None,
            OverrideTarget::Exposure => env.exposure_ev100 = None,
            OverrideTarget::ToneMapper => env.tone_mapper = None,
            OverrideTarget::Visible(id) => overrides.node_mut(id).visible = None,
            OverrideTarget::Placement(id) => overrides.node_mut(id).transform = None,
            OverrideTarget::Light(id) => overrides.node_mut(id).light = None,
            OverrideTarget::MaterialSwap(id) => overrides.node_mut(id).material = None,
            OverrideTarget::Grade(id) => overrides.node_mut(id).grade = None,
            OverrideTarget::Relight(id) => overrides.node_mut(id).relight_amount = None,
            OverrideTarget::Material(id) => {
                overrides.materials.remove(&id);
            }
        }
        overrides.tidy();
    }
}

/// Resets one overridden value of `variant` to the base ("Reset to base").
pub fn reset_to_base(scene: &Scene, variant: VariantId, target: OverrideTarget) -> Option<Command> {
    let mut overrides = scene.variants().get(variant)?.overrides.clone();
    if !target.is_set(&overrides) {
        return None;
    }
    target.clear(&mut overrides);
    Some(Command::SetOverrides {
        variant,
        overrides: Box::new(overrides),
    })
}

/// Shows `variant` (`None`: the base scene). Switching is an undo step, so undoing an edit
/// made in a variant first brings that variant back on screen.
pub fn switch(scene: &Scene, variant: Option<VariantId>) -> Option<Command> {
    let mut variants = scene.variants().clone();
    if variants.active == variant || variant.is_some_and(|id| variants.get(id).is_none()) {
        return None;
    }
    variants.active = variant;
    Some(Command::SetVariants {
        variants: Box::new(variants),
    })
}

/// A new variant named `name` (made unique) with `overrides`, placed after the active one
/// (or last) and shown. `id` comes from [`Scene::reserve_variant_id`].
pub fn create(scene: &Scene, id: VariantId, name: &str, overrides: Overrides) -> Command {
    insert_after_active(scene.variants().clone(), id, name, overrides)
}

/// `variants` with a new variant after its active one (or last), shown.
fn insert_after_active(
    mut variants: Variants,
    id: VariantId,
    name: &str,
    overrides: Overrides,
) -> Command {
    let at = variants
        .active
        .and_then(|a| variants.list.iter().position(|v| v.id == a))
        .map_or(variants.list.len(), |i| i + 1);
    let name = variants.unique_name(name.trim());
    variants.list.insert(
        at,
        Variant {
            id,
            name,
            overrides,
        },
    );
    variants.active = Some(id);
    Command::SetVariants {
        variants: Box::new(variants),
    }
}

/// A copy of `source` ("Noon copy") right after it, shown.
pub fn duplicate(scene: &Scene, id: VariantId, source: VariantId) -> Option<Command> {
    let v = scene.variants().get(source)?;
    let mut variants = scene.variants().clone();
    variants.active = Some(source);
    Some(insert_after_active(
        variants,
        id,
        &format!("{} copy", v.name),
        v.overrides.clone(),
    ))
}

/// Renames a variant (names stay unique; an empty name is refused).
pub fn rename(scene: &Scene, variant: VariantId, name: &str) -> Option<Command> {
    let name = name.trim();
    let mut variants = scene.variants().clone();
    let current = variants.get(variant)?.name.clone();
    if name.is_empty() || name == current {
        return None;
    }
    let name = variants.unique_name(name);
    variants.get_mut(variant)?.name = name;
    Some(Command::SetVariants {
        variants: Box::new(variants),
    })
}

/// Deletes a variant; the base is shown if it was active.
pub fn delete(scene: &Scene, variant: VariantId) -> Option<Command> {
    let mut variants = scene.variants().clone();
    let at = variants.list.iter().position(|v| v.id == variant)?;
    variants.list.remove(at);
    if variants.active == Some(variant) {
        variants.active = None;
    }
    Some(Command::SetVariants {
        variants: Box::new(variants),
    })
}

/// Moves a variant to position `to` in the list.
pub fn reorder(scene: &Scene, variant: VariantId, to: usize) -> Option<Command> {
    let mut variants = scene.variants().clone();
    let from = variants.list.iter().position(|v| v.id == variant)?;
    let to = to.min(variants.list.len() - 1);
    if from == to {
        return None;
    }
    let v = variants.list.remove(from);
    variants.list.insert(to, v);
    Some(Command::SetVariants {
        variants: Box::new(variants),
    })
}

/// Starting lighting setups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Noon,
    GoldenHour,
    Overcast,
    BlueHour,
    Night,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Noon,
        Preset::GoldenHour,
        Preset::Overcast,
        Preset::BlueHour,
        Preset::Night,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Noon => "Noon",
            Preset::GoldenHour => "Golden hour",
            Preset::Overcast => "Overcast",
            Preset::BlueHour => "Blue hour",
            Preset::Night => "Night with lamps",
        }
    }

    fn look(self) -> Look {
        match self {
            // Clear midday sun, ~100 klx, white, short shadows.
            Preset::Noon => Look {
                sun_elevation_deg: 62.0,
                sun_kelvin: 5800.0,
                sun_lux: 100_000.0,
                sun_shadows: true,
                turbidity: 2.2,
                sky_intensity: 1.0,
                exposure_ev100: 15.0,
                lamps_on: false,
            },
            // Low warm sun, long shadows, hazier sky.
            Preset::GoldenHour => Look {
                sun_elevation_deg: 7.0,
                sun_kelvin: 2900.0,
                sun_lux: 25_000.0,
                sun_shadows: true,
                turbidity: 4.0,
                sky_intensity: 1.0,
                exposure_ev100: 11.8,
                lamps_on: false,
            },
            // Sun behind cloud: a weak, cool, shadowless key and a hazy sky doing the work.
            Preset::Overcast => Look {
                sun_elevation_deg: 50.0,
                sun_kelvin: 7000.0,
                sun_lux: 6_000.0,
                sun_shadows: false,
                turbidity: 10.0,
                sky_intensity: 1.0,
                exposure_ev100: 11.6,
                lamps_on: false,
            },
            // Sun just set: a dim blue sky and the lamps coming on.
            Preset::BlueHour => Look {
                sun_elevation_deg: 1.0,
                sun_kelvin: 12_000.0,
                sun_lux: 400.0,
                sun_shadows: false,
                turbidity: 2.5,
                sky_intensity: 0.5,
                exposure_ev100: 5.5,
                lamps_on: true,
            },
            // Moonlight (a faint cool key) and the lamps.
            Preset::Night => Look {
                sun_elevation_deg: 40.0,
                sun_kelvin: 9_000.0,
                sun_lux: 1.0,
                sun_shadows: true,
                turbidity: 2.0,
                sky_intensity: 0.002,
                exposure_ev100: 1.0,
                lamps_on: true,
            },
        }
    }
}

struct Look {
    sun_elevation_deg: f32,
    sun_kelvin: f32,
    sun_lux: f32,
    sun_shadows: bool,
    turbidity: f32,
    sky_intensity: f32,
    exposure_ev100: f32,
    lamps_on: bool,
}

/// The overrides that give `scene` a preset's look, on top of `existing` (values the preset
/// does not set stay as they were): the sun's height, colour and strength (its compass
/// direction kept), the sky, the exposure, and whether the point and spot lights (at their
/// base values, or at zero intensity) and the glowing fixtures below them are on.
pub fn preset_overrides(scene: &Scene, preset: Preset, existing: &Overrides) -> Overrides {
    let look = preset.look();
    let mut o = existing.clone();
    let mut sky = existing.environment.sky.unwrap_or(scene.environment.sky);
    sky.turbidity = look.turbidity;
    sky.intensity = look.sky_intensity;
    o.environment.sky = Some(sky);
    o.environment.exposure_ev100 = Some(look.exposure_ev100);
    for wn in scene.walk() {
        let node = wn.node;
        let NodeKind::Light(base_light) = node.kind else {
            continue;
        };
        let mut light = o.node(node.id).and_then(|n| n.light).unwrap_or(base_light);
        match light.kind {
            LightKind::Directional => {
                let world_from_node = scene.world_from_local(node.id);
                let to_sun = -world_from_node.transform_vector3(Vec3::NEG_Z);
                let (azimuth, _) = sun::azimuth_elevation_of(to_sun.normalize_or(Vec3::Y));
                let to_sun = sun::direction_from_azimuth_elevation(azimuth, look.sun_elevation_deg);
                let world_rotation = Transform::pointing(-to_sun).rotation;
                let parent_rotation = node.parent.map_or(Quat::IDENTITY, |p| {
                    scene.world_from_local(p).to_scale_rotation_translation().1
                });
                let mut transform = o
                    .node(node.id)
                    .and_then(|n| n.transform)
                    .unwrap_or(node.transform);
                transform.rotation = (parent_rotation.inverse() * world_rotation).normalize();
                light.color = sun::color_temperature(look.sun_kelvin);
                light.intensity = look.sun_lux;
                light.cast_shadows = look.sun_shadows;
                let n = o.node_mut(node.id);
                n.transform = Some(transform);
                n.light = Some(light);
                n.visible = Some(true);
            }
            LightKind::Point | LightKind::Spot { .. } => {
                // Off is zero intensity, not hidden: hiding would hide the lamp post too.
                let n = o.node_mut(node.id);
                n.visible = None;
                n.light = (!look.lamps_on).then_some(crate::scene::Light {
                    intensity: 0.0,
                    ..base_light
                });
                // The lamp's glowing glass (meshes below the light) goes dark with it.
                for child in scene.subtree_ids(node.id) {
                    if let Some(NodeKind::Mesh { material, .. }) =
                        scene.node(child).map(|c| &c.kind)
                        && let Some(m) = scene.material(*material)
                        && m.emissive.iter().any(|c| *c > 0.0)
                        && m.emissive_strength > 0.0
                    {
                        o.material_mut(*material).emissive_strength = Some(if look.lamps_on {
                            m.emissive_strength
                        } else {
                            0.0
                        });
                    }
                }
            }
        }
    }
    o.tidy();
    o
}

/// The generated world's starter variants: one per preset; the base stays shown.
pub fn starter_variants(scene: &mut Scene) {
    let mut list = Vec::new();
    for preset in Preset::ALL {
        let overrides = preset_overrides(scene, preset, &Overrides::default());
        let id = scene.reserve_variant_id();
        list.push(Variant {
            id,
            name: preset.name().to_owned(),
            overrides,
        });
    }
    scene.set_variants(Variants { list, active: None });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::History;
    use crate::scene::{Light, Material, Transform};

    fn scene() -> (Scene, NodeId, NodeId, MaterialId, VariantId) {
        let mut scene = Scene::new("t");
        let sun = scene.add_node(
            None,
            "Sun",
            Transform::IDENTITY,
            NodeKind::Light(Light {
                kind: LightKind::Directional,
                color: [1.0; 3],
                intensity: 1000.0,
                range: None,
                cast_shadows: true,
            }),
        );
        let mesh = scene.add_mesh(crate::scene::Mesh::new(
            vec![[0.0; 3]; 3],
            vec![],
            vec![],
            vec![],
            vec![0, 1, 2],
        ));
        let material = scene.add_material(Material::default());
        let cube = scene.add_node(
            None,
            "Cube",
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        );
        let id = scene.reserve_variant_id();
        let command = create(&scene, id, "Night", Overrides::default());
        command.apply(&mut scene);
        (scene, sun, cube, material, id)
    }

    #[test]
    fn light_edit_in_a_variant_is_an_override_and_undoes() {
        let (mut scene, sun, _, _, id) = scene();
        let mut history = History::default();
        let base_light = light_of(&scene, sun).unwrap();
        let dim = crate::scene::Light {
            intensity: 1.0,
            ..base_light
        };
        let command = route(
            &scene,
            id,
            Command::SetLight {
                node: sun,
                light: dim,
            },
        );
        assert!(matches!(command, Command::SetOverrides { .. }));
        assert!(history.execute(&mut scene, command));
        assert_eq!(light_of(&scene, sun), Some(base_light), "base untouched");
        let shown = scene.resolved().unwrap();
        assert_eq!(light_of(&shown, sun).unwrap().intensity, 1.0);
        assert!(history.undo(&mut scene));
        assert!(scene.variants().get(id).unwrap().overrides.is_empty());
    }

    #[test]
    fn geometry_edits_in_a_variant_go_to_the_base() {
        let (scene, _, cube, _, id) = scene();
        let t = Transform::from_translation(Vec3::X);
        let command = route(
            &scene,
            id,
            Command::SetTransform {
                node: cube,
                transform: t,
            },
        );
        assert_eq!(
            command,
            Command::SetTransform {
                node: cube,
                transform: t
            }
        );
    }

    #[test]
    fn material_edit_splits_override_and_shared_values() {
        let (mut scene, _, _, material, id) = scene();
        let mut wanted = scene.material(material).unwrap().clone();
        wanted.roughness = 0.05;
        wanted.double_sided = true;
        let command = route(
            &scene,
            id,
            Command::SetMaterial {
                material,
                value: Box::new(wanted),
            },
        );
        let Command::Batch { commands, .. } = &command else {
            panic!("expected override + base edit, got {command:?}");
        };
        assert_eq!(commands.len(), 2);
        command.apply(&mut scene);
        let base = scene.material(material).unwrap();
        assert!(base.double_sided, "shared value reached the base");
        assert_ne!(base.roughness, 0.05, "overridden value did not");
        assert_eq!(
            scene
                .resolved()
                .unwrap()
                .material(material)
                .unwrap()
                .roughness,
            0.05
        );
    }

    #[test]
    fn reset_to_base_drops_one_value() {
        let (mut scene, sun, _, _, id) = scene();
        route(
            &scene,
            id,
            Command::SetVisible {
                node: sun,
                visible: false,
            },
        )
        .apply(&mut scene);
        let mut env = scene.environment;
        env.exposure_ev100 = 3.0;
        route(
            &scene,
            id,
            Command::SetEnvironment {
                value: Box::new(env),
            },
        )
        .apply(&mut scene);
        let o = &scene.variants().get(id).unwrap().overrides;
        assert_eq!(o.count(), 2);
        reset_to_base(&scene, id, OverrideTarget::Visible(sun))
            .unwrap()
            .apply(&mut scene);
        let o = &scene.variants().get(id).unwrap().overrides;
        assert_eq!(o.count(), 1);
        assert_eq!(o.environment.exposure_ev100, Some(3.0));
        assert!(reset_to_base(&scene, id, OverrideTarget::Visible(sun)).is_none());
    }

    #[test]
    fn variant_list_operations() {
        let (mut scene, _, _, _, night) = scene();
        let copy = scene.reserve_variant_id();
        duplicate(&scene, copy, night).unwrap().apply(&mut scene);
        let names: Vec<_> = scene
            .variants()
            .list
            .iter()
            .map(|v| v.name.clone())
            .collect();
        assert_eq!(names, ["Night", "Night copy"]);
        assert_eq!(scene.variants().active, Some(copy));
        rename(&scene, copy, "Night").unwrap().apply(&mut scene);
        assert_eq!(scene.variants().get(copy).unwrap().name, "Night 2");
        reorder(&scene, copy, 0).unwrap().apply(&mut scene);
        assert_eq!(scene.variants().list[0].id, copy);
        delete(&scene, copy).unwrap().apply(&mut scene);
        assert_eq!(scene.variants().active, None);
        assert_eq!(scene.variants().list.len(), 1);
        switch(&scene, Some(night)).unwrap().apply(&mut scene);
        assert_eq!(scene.variants().active, Some(night));
        assert!(switch(&scene, Some(night)).is_none());
    }

    #[test]
    fn presets_differ_and_keep_the_sun_compass_direction() {
        let (mut scene, sun, _, _, _) = scene();
        // Sun from the east, 30° up.
        let to_sun = sun::direction_from_azimuth_elevation(90.0, 30.0);
        let mut t = scene.node(sun).unwrap().transform;
        t.rotation = Transform::pointing(-to_sun).rotation;
        Command::SetTransform {
            node: sun,
            transform: t,
        }
        .apply(&mut scene);
        let noon = preset_overrides(&scene, Preset::Noon, &Overrides::default());
        let golden = preset_overrides(&scene, Preset::GoldenHour, &Overrides::default());
        assert_ne!(noon, golden);
        for o in [&noon, &golden] {
            let rot = o.node(sun).unwrap().transform.unwrap().rotation;
            let to_sun = -(rot * Vec3::NEG_Z);
            let (azimuth, _) = sun::azimuth_elevation_of(to_sun);
            assert!((azimuth - 90.0).abs() < 0.5, "azimuth {azimuth}");
        }
        let to_sun = -(golden.node(sun).unwrap().transform.unwrap().rotation * Vec3::NEG_Z);
        let (_, elevation) = sun::azimuth_elevation_of(to_sun);
        assert!((elevation - 7.0).abs() < 0.5);
    }
}
