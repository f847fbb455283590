//! The editor's side of the timeline: the playhead, playback by the wall clock, the active
//! shot sampled at the playhead (cached: an unchanged frame costs one compare), looking
//! through the shot camera, key selection and clipboard, and the timeline panel's actions
//! turned into undoable commands (`Command::SetTimeline`, batched with what else changes).

use super::editor::Editor;
use crate::edit::Command;
use crate::edit::timeline::{self as ops, Clip, KeyRef, Playhead};
use crate::scene::{
    Aabb, Camera, CameraView, Channel, Node, NodeId, NodeKind, OrbitCamera, Revision, Scene, Shot,
    ShotId, Subtree, Transform, VariantId,
};
use crate::ui::{SelectMode, TimelineAction, TimelineView};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Playback started at `from` when the wall clock read `started`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Playback {
    pub started: Instant,
    pub from: u32,
}

/// The frame to show `elapsed` after playback started on frame `from`: `from + ⌊elapsed ×
/// fps⌋`, so a slow display drops frames instead of slowing the shot down. Past the end it
/// wraps around with `looping`, else it holds the last frame and playback stops (`false`).
pub(crate) fn playback_frame(
    from: u32,
    elapsed: Duration,
    fps: u32,
    frames: u32,
    looping: bool,
) -> (u32, bool) {
    let frames = frames.max(1);
    let advanced = elapsed.as_nanos() * u128::from(fps) / 1_000_000_000;
    let frame = u128::from(from) + advanced;
    if frame < u128::from(frames) {
        (frame as u32, true)
    } else if looping {
        ((frame % u128::from(frames)) as u32, true)
    } else {
        (frames - 1, false)
    }
}

/// The scene as the active shot shows it at a frame, and what it was made from.
struct Sampled {
    revision: Revision,
    shot: ShotId,
    frame: u32,
    variant: Option<VariantId>,
    scene: Scene,
}

/// Timeline state that is not part of the document.
pub(crate) struct TimelineState {
    /// The viewport shows the active shot's animation (off: the scene as before timelines).
    pub enabled: bool,
    /// The playhead.
    pub frame: u32,
    pub playback: Option<Playback>,
    pub looping: bool,
    /// Look through the shot's camera: `None` = while playing.
    pub look_through: Option<bool>,
    pub auto_key: bool,
    /// Preview render: the viewport shows the shot's frames from the render cache.
    pub preview: bool,
    pub selected: Vec<KeyRef>,
    pub clipboard: Clip,
    /// The panel's zoom, pan, curve choice and drags.
    pub view: TimelineView,
    /// The shot (and keys) as they were when a key drag began.
    drag: Option<(Shot, Vec<KeyRef>)>,
    sampled: Option<Sampled>,
    /// When new frames were shown during playback (for the achieved rate).
    shown_at: VecDeque<Instant>,
    /// The free viewport camera while the view looks through the shot camera, and the
    /// scene bounds used to place its pivot.
    free_camera: Option<(OrbitCamera, Aabb)>,
    /// While looking through: the shot camera's exact view (roll included; the field of
    /// view widened when the shot is wider than the viewport, so its whole frame shows),
    /// and the shot's aspect ratio.
    through: Option<(CameraView, f32)>,
    /// The timeline panel had the last click (Delete, Ctrl+C/V act on keys).
    pub focused: bool,
}

impl Default for TimelineState {
    fn default() -> Self {
        Self {
            enabled: true,
            frame: 0,
            playback: None,
            looping: true,
            look_through: None,
            auto_key: false,
            preview: false,
            selected: Vec::new(),
            clipboard: Vec::new(),
            view: TimelineView::default(),
            drag: None,
            sampled: None,
            shown_at: VecDeque::new(),
            free_camera: None,
            through: None,
            focused: false,
        }
    }
}

/// A variant id no scene has: sampling "as" it shows the base.
const BASE: VariantId = VariantId(u64::MAX);

impl TimelineState {
    /// A fresh state for a new world, keeping whether the timeline is on.
    pub fn reset(enabled: bool) -> Self {
        Self {
            enabled,
            ..Self::default()
        }
    }

    /// The shot the viewport shows, if the timeline is on and there is one.
    pub fn live_shot<'a>(&self, scene: &'a Scene) -> Option<&'a Shot> {
        if !self.enabled {
            return None;
        }
        scene.timeline().active_shot()
    }

    pub fn playing(&self) -> bool {
        self.playback.is_some()
    }

    /// Whether the viewport looks through the shot camera now (always while previewing
    /// rendered frames, so frames not rendered yet show the same view live).
    pub fn looking_through(&self) -> bool {
        self.preview || self.look_through.unwrap_or(self.playing())
    }

    /// New frames shown per second over the last second of playback.
    pub fn achieved_fps(&self) -> Option<f32> {
        let (first, last) = (self.shown_at.front()?, self.shown_at.back()?);
        let span = last.duration_since(*first).as_secs_f32();
        (self.shown_at.len() >= 3 && span > 0.0).then(|| (self.shown_at.len() - 1) as f32 / span)
    }

    fn sampled_for(&self, scene: &Scene) -> Option<&Scene> {
        let shot = self.live_shot(scene)?;
        let s = self.sampled.as_ref()?;
        (s.revision == scene.revision()
            && s.shot == shot.id
            && s.frame == self.frame
            && s.variant == scene.variants().active)
            .then_some(&s.scene)
    }
}

/// The vertical field of view that shows the whole frame of a shot seen with `fov_y_rad`:
/// the same in a viewport at least as wide as the shot (the shot's frame then spans the
/// viewport's height); wider in a narrower viewport, so the frame spans its width.
pub(crate) fn fov_to_show_shot(fov_y_rad: f32, shot_aspect: f32, viewport_aspect: f32) -> f32 {
    if !(shot_aspect > viewport_aspect && viewport_aspect > 0.0 && fov_y_rad.is_finite()) {
        return fov_y_rad;
    }
    let widened = 2.0 * ((fov_y_rad * 0.5).tan() * shot_aspect / viewport_aspect).atan();
    widened.min(179f32.to_radians())
}

/// The scene on screen: the active shot at the playhead when the timeline is live, else the
/// variant's (or the base).
pub(crate) fn shown<'a>(
    scene: &'a Scene,
    variants: &'a super::variant_state::VariantState,
    timeline: &'a TimelineState,
) -> &'a Scene {
    timeline
        .sampled_for(scene)
        .unwrap_or_else(|| super::variant_state::shown(scene, variants))
}

/// The scene the inspector shows and edits, and the variant edits go to (see
/// [`super::variant_state::edited`]); animated values as at the playhead.
pub(crate) fn edited<'a>(
    scene: &'a Scene,
    variants: &'a super::variant_state::VariantState,
    timeline: &'a TimelineState,
) -> (&'a Scene, Option<&'a crate::scene::Variant>) {
    let (edited, variant) = super::variant_state::edited(scene, variants);
    let base_under_variant = variants.edit_base && scene.variants().active.is_some();
    match timeline.sampled_for(scene) {
        Some(sampled) if !base_under_variant => (sampled, variant),
        _ => (edited, variant),
    }
}

impl Editor {
    /// Brings the sampled shot up to date (cheap when nothing changed) and keeps the
    /// playhead inside the shot.
    pub(crate) fn sync_timeline(&mut self) {
        let Some(shot) = self.timeline.live_shot(&self.scene) else {
            self.timeline.sampled = None;
            self.timeline.playback = None;
            return;
        };
        let (id, last) = (shot.id, shot.last_frame());
        if self.timeline.frame > last {
            self.timeline.frame = last;
        }
        if self.timeline.sampled_for(&self.scene).is_some() {
            return;
        }
        let variant = self.scene.variants().active;
        let frame = self.timeline.frame;
        self.timeline.sampled = self
            .scene
            .sampled(id, frame as f32, Some(variant.unwrap_or(BASE)))
            .map(|scene| Sampled {
                revision: self.scene.revision(),
                shot: id,
                frame,
                variant,
                scene,
            });
    }

    /// A world just opened: show the active shot's variant (a view choice, like switching in
    /// the variants panel, but not an undo step: nothing was edited yet).
    pub(crate) fn show_shot_variant(&mut self) {
        let Some(variant) = self.timeline.live_shot(&self.scene).map(|s| s.variant) else {
            return;
        };
        if self.scene.variants().active != variant {
            let mut variants = self.scene.variants().clone();
            variants.active = variant;
            self.scene.set_variants(variants);
            self.sync_view();
        }
    }

    /// Moves the playhead by the wall clock while playing; keeps the viewport camera on the
    /// shot camera while looking through it. Returns whether playback goes on (repaint).
    pub(crate) fn advance_timeline(&mut self, now: Instant) -> bool {
        let mut playing = false;
        if let (Some(playback), Some(shot)) =
            (self.timeline.playback, self.timeline.live_shot(&self.scene))
        {
            let elapsed = now.saturating_duration_since(playback.started);
            let (frame, go_on) = playback_frame(
                playback.from,
                elapsed,
                shot.fps,
                shot.frames,
                self.timeline.looping,
            );
            if frame != self.timeline.frame {
                self.timeline.frame = frame;
                let shown_at = &mut self.timeline.shown_at;
                shown_at.push_back(now);
                while shown_at
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) > Duration::from_secs(1))
                {
                    shown_at.pop_front();
                }
            }
            if !go_on {
                self.timeline.playback = None;
            }
            playing = go_on;
        } else {
            self.timeline.playback = None;
        }
        self.sync_timeline();
        self.follow_shot_camera();
        playing
    }

    /// While looking through the shot camera, the viewport camera sits on it; when that
    /// ends, the free camera comes back.
    fn follow_shot_camera(&mut self) {
        self.timeline.through = None;
        let shot = self
            .timeline
            .live_shot(&self.scene)
            .filter(|s| s.camera.is_some() && self.timeline.looking_through());
        let Some((camera, [shot_w, shot_h])) = shot.and_then(|s| Some((s.camera?, s.size))) else {
            if let Some((free, _)) = self.timeline.free_camera.take() {
                self.camera = free;
            }
            return;
        };
        if self.timeline.free_camera.is_none() {
            self.timeline.free_camera = Some((self.camera, self.scene.framing_bounds()));
        }
        let shown = self.shown();
        let (Some(&NodeKind::Camera(cam)), Some((_, bounds))) = (
            shown.node(camera).map(|n| &n.kind),
            self.timeline.free_camera.as_ref(),
        ) else {
            return;
        };
        let world_from_view = shown.world_from_local(camera);
        let shot_aspect = shot_w as f32 / shot_h.max(1) as f32;
        let viewport_aspect = self
            .viewport_size_px
            .map_or(shot_aspect, |[w, h]| w as f32 / h.max(1) as f32);
        let fov = fov_to_show_shot(cam.fov_y_rad, shot_aspect, viewport_aspect);
        // An orthographic camera's frame widens by the same factor.
        let widen = (fov * 0.5).tan() / (cam.fov_y_rad * 0.5).tan();
        let shown_camera = Camera {
            fov_y_rad: fov,
            ortho_half_height: cam.ortho_half_height.map(|h| h * widen),
            ..cam
        };
        let mut orbit = self.camera;
        super::viewport_input::look_through(&mut orbit, world_from_view, &shown_camera, bounds);
        let through = shown.camera_view(camera).map(|mut exact| {
            exact.fov_y_rad = fov;
            if let Some(o) = &mut exact.ortho {
                o.half_height *= widen;
            }
            (exact, shot_aspect)
        });
        self.camera = orbit;
        self.timeline.through = through;
    }

    /// The view the viewport shows: the shot camera's while looking through it, else the
    /// free camera's. Rendering, picking, the gizmo and overlays all use it.
    pub(crate) fn view(&self) -> CameraView {
        self.timeline
            .through
            .map_or_else(|| self.camera.view(), |(view, _)| view)
    }

    /// The shot's aspect ratio while the viewport looks through its camera (for the frame
    /// guides).
    pub(crate) fn shot_aspect_through(&self) -> Option<f32> {
        self.timeline.through.map(|(_, aspect)| aspect)
    }

    /// The shot as it was when the curve drag of `key` began (this frame's `shot` if it
    /// begins now): each frame of the drag applies to it, so the drag is one undo step.
    fn curve_drag_origin(&mut self, shot: Shot, key: KeyRef) -> Shot {
        self.timeline
            .drag
            .get_or_insert_with(|| (shot, vec![key]))
            .0
            .clone()
    }

    /// Where edits key: the live shot and the playhead.
    fn playhead(&self) -> Option<Playhead> {
        let shot = self.timeline.live_shot(&self.scene)?;
        Some(Playhead {
            shot: shot.id,
            frame: self.timeline.frame as f32,
            auto_key: self.timeline.auto_key,
        })
    }

    /// `command` with its animated values turned into keys at the playhead (see
    /// [`ops::route`]), before variant routing; `None` for the keys or the rest when there
    /// are none.
    pub(crate) fn route_keys(&self, command: Command) -> (Option<Command>, Option<Command>) {
        let Some(at) = self.playhead() else {
            return (None, Some(command));
        };
        let Some(shown) = self.timeline.sampled_for(&self.scene) else {
            return (None, Some(command));
        };
        let rest = if self.edit_target().is_some() {
            super::variant_state::shown(&self.scene, &self.variant_state)
        } else {
            &self.scene
        };
        let label = command.label(shown);
        let routed = ops::route(&self.scene, rest, shown, at, command);
        let keys = routed.timeline.map(|timeline| Command::SetTimeline {
            timeline: Box::new(timeline),
            label: format!("Key {label}"),
        });
        (keys, routed.rest)
    }

    /// Runs `command` as one undo step (merged with the previous frame when `drag`).
    fn run_timeline(&mut self, command: Option<Command>, drag: bool) {
        let Some(command) = command else {
            return;
        };
        let done = if drag {
            self.history.execute_merging(&mut self.scene, command)
        } else {
            self.history.execute(&mut self.scene, command)
        };
        if done {
            self.scene_changed();
        }
    }

    fn set_shot(&self, shot: Shot, label: &str) -> Option<Command> {
        ops::set(
            &self.scene,
            ops::with_shot(self.scene.timeline(), shot),
            label,
        )
    }

    /// The viewport's view as a local transform of `node` (under its parent).
    fn view_transform(&self, node: NodeId) -> Transform {
        let near = match self.shown().node(node).map(|n| &n.kind) {
            Some(NodeKind::Camera(c)) => c.near,
            _ => Camera::default().near,
        };
        let world_from_view = self.camera.eye_pose(&self.shown().bounds(), near);
        let parent = self
            .scene
            .node(node)
            .and_then(|n| n.parent)
            .map(|p| self.scene.world_from_local(p))
            .unwrap_or(glam::Mat4::IDENTITY);
        let mut t = Transform::from_matrix(parent.inverse() * world_from_view);
        t.scale = glam::Vec3::ONE;
        t
    }

    /// Runs a timeline panel action.
    pub(crate) fn apply_timeline_action(&mut self, action: TimelineAction) {
        let live = self.timeline.live_shot(&self.scene).cloned();
        match action {
            TimelineAction::SelectShot(id) => {
                let Some(shot) = self.scene.timeline().shot(id) else {
                    return;
                };
                let mut timeline = self.scene.timeline().clone();
                timeline.active = Some(id);
                let label = format!("Show shot {}", shot.name);
                let mut commands: Vec<Command> = ops::set(&self.scene, timeline, &label)
                    .into_iter()
                    .collect();
                commands.extend(crate::edit::variants::switch(&self.scene, shot.variant));
                self.timeline.selected.clear();
                self.timeline.playback = None;
                self.run_timeline(Some(Command::Batch { label, commands }), false);
            }
            TimelineAction::AddShot => self.add_shot(),
            TimelineAction::RenameShot(id, name) => {
                let mut timeline = self.scene.timeline().clone();
                let unique = timeline.unique_name(&name);
                if let Some(s) = timeline.shot_mut(id)
                    && s.name != name
                {
                    s.name = unique;
                }
                let c = ops::set(&self.scene, timeline, &format!("Rename shot to {name}"));
                self.run_timeline(c, false);
            }
            TimelineAction::DuplicateShot(id) => {
                let mut timeline = self.scene.timeline().clone();
                let Some(at) = timeline.shots.iter().position(|s| s.id == id) else {
                    return;
                };
                let mut copy = timeline.shots[at].clone();
                copy.id = self.scene.reserve_shot_id();
                copy.name = timeline.unique_name(&format!("{} copy", copy.name));
                let label = format!("Duplicate shot {}", timeline.shots[at].name);
                timeline.active = Some(copy.id);
                timeline.shots.insert(at + 1, copy);
                let c = ops::set(&self.scene, timeline, &label);
                self.run_timeline(c, false);
            }
            TimelineAction::MoveShot(id, to) => {
                let mut timeline = self.scene.timeline().clone();
                let Some(from) = timeline.shots.iter().position(|s| s.id == id) else {
                    return;
                };
                let shot = timeline.shots.remove(from);
                let label = format!("Move shot {}", shot.name);
                timeline.shots.insert(to.min(timeline.shots.len()), shot);
                let c = ops::set(&self.scene, timeline, &label);
                self.run_timeline(c, false);
            }
            TimelineAction::DeleteShot(id) => {
                let mut timeline = self.scene.timeline().clone();
                let Some(at) = timeline.shots.iter().position(|s| s.id == id) else {
                    return;
                };
                let shot = timeline.shots.remove(at);
                if timeline.active == Some(id) {
                    timeline.active = timeline
                        .shots
                        .get(at.min(timeline.shots.len().saturating_sub(1)))
                        .map(|s| s.id);
                }
                let c = ops::set(&self.scene, timeline, &format!("Delete shot {}", shot.name));
                self.timeline.selected.clear();
                self.run_timeline(c, false);
            }
            TimelineAction::SetShot(shot) => {
                let Some(old) = self.scene.timeline().shot(shot.id) else {
                    return;
                };
                let label = format!("Edit shot {}", old.name);
                let variant_changed = old.variant != shot.variant;
                let is_live = live.as_ref().is_some_and(|l| l.id == shot.id);
                let mut commands: Vec<Command> =
                    self.set_shot(*shot.clone(), &label).into_iter().collect();
                if variant_changed && is_live {
                    commands.extend(crate::edit::variants::switch(&self.scene, shot.variant));
                }
                self.run_timeline(Some(Command::Batch { label, commands }), true);
            }
            TimelineAction::Seek(frame) => {
                self.timeline.frame = frame;
                if let Some(p) = &mut self.timeline.playback {
                    *p = Playback {
                        started: Instant::now(),
                        from: frame,
                    };
                }
            }
            TimelineAction::Step(by) => {
                self.timeline.playback = None;
                let last = live.as_ref().map_or(0, |s| s.last_frame());
                self.timeline.frame = (i64::from(self.timeline.frame) + i64::from(by))
                    .clamp(0, i64::from(last)) as u32;
            }
            TimelineAction::ToStart => {
                self.timeline.playback = None;
                self.timeline.frame = 0;
            }
            TimelineAction::ToEnd => {
                self.timeline.playback = None;
                self.timeline.frame = live.as_ref().map_or(0, |s| s.last_frame());
            }
            TimelineAction::Play(on) => {
                self.timeline.shown_at.clear();
                self.timeline.playback = match (&live, on) {
                    (Some(shot), true) => {
                        if self.timeline.frame >= shot.last_frame() {
                            self.timeline.frame = 0;
                        }
                        Some(Playback {
                            started: Instant::now(),
                            from: self.timeline.frame,
                        })
                    }
                    _ => None,
                };
            }
            TimelineAction::Loop(on) => self.timeline.looping = on,
            TimelineAction::LookThrough(on) => self.timeline.look_through = on,
            TimelineAction::AutoKey(on) => self.timeline.auto_key = on,
            TimelineAction::Preview(on) => self.timeline.preview = on,
            TimelineAction::SelectKeys(keys, mode) => {
                let selected = &mut self.timeline.selected;
                match mode {
                    SelectMode::Replace => *selected = keys,
                    SelectMode::Add => {
                        for k in keys {
                            if !selected.contains(&k) {
                                selected.push(k);
                            }
                        }
                    }
                    SelectMode::Toggle => {
                        for k in keys {
                            match selected.iter().position(|s| *s == k) {
                                Some(i) => {
                                    selected.remove(i);
                                }
                                None => selected.push(k),
                            }
                        }
                    }
                }
            }
            TimelineAction::DragKeys(delta) => {
                let Some(shot) = live else {
                    return;
                };
                let (origin, keys) = self
                    .timeline
                    .drag
                    .get_or_insert_with(|| (shot, self.timeline.selected.clone()))
                    .clone();
                let (moved, refs) = ops::move_keys(&origin, &keys, delta);
                self.timeline.selected = refs;
                let c = self.set_shot(moved, "Move keys");
                self.run_timeline(c, true);
            }
            TimelineAction::DragKeysEnd => self.timeline.drag = None,
            TimelineAction::DeleteKeys => {
                if let Some(shot) = live {
                    let c = self.set_shot(
                        ops::delete_keys(&shot, &self.timeline.selected),
                        "Delete keys",
                    );
                    self.timeline.selected.clear();
                    self.run_timeline(c, false);
                }
            }
            TimelineAction::CopyKeys => {
                if let Some(shot) = live {
                    self.timeline.clipboard = ops::copy_keys(&shot, &self.timeline.selected);
                }
            }
            TimelineAction::PasteKeys => {
                if let Some(shot) = live
                    && !self.timeline.clipboard.is_empty()
                {
                    let (pasted, refs) = ops::paste_keys(
                        &shot,
                        &self.timeline.clipboard,
                        self.timeline.frame as f32,
                    );
                    self.timeline.selected = refs;
                    let c = self.set_shot(pasted, "Paste keys");
                    self.run_timeline(c, false);
                }
            }
            TimelineAction::SetInterpolation(i) => {
                if let Some(shot) = live {
                    let c = self.set_shot(
                        ops::set_interpolation(&shot, &self.timeline.selected, i),
                        &format!("Interpolation {}", i.label()),
                    );
                    self.run_timeline(c, false);
                }
            }
            TimelineAction::SetHandles(h) => {
                if let Some(shot) = live {
                    let c = self.set_shot(
                        ops::set_handles(&shot, &self.timeline.selected, h),
                        &format!("Handles {}", h.label()),
                    );
                    self.run_timeline(c, false);
                }
            }
            TimelineAction::CurveMoveKey {
                key,
                component,
                frame,
                value,
            } => {
                let Some(shot) = live else {
                    return;
                };
                let origin = self.curve_drag_origin(shot, key);
                let (moved, at) = ops::move_key_to(&origin, key, frame, component, value);
                self.timeline.selected = vec![at];
                let c = self.set_shot(moved, "Move key");
                self.run_timeline(c, true);
            }
            TimelineAction::CurveSlope {
                key,
                component,
                slope,
            } => {
                let Some(shot) = live else {
                    return;
                };
                let origin = self.curve_drag_origin(shot, key);
                let c = self.set_shot(
                    ops::set_slope(&origin, key, component, slope),
                    "Edit handle",
                );
                self.run_timeline(c, true);
            }
            TimelineAction::Key(channels) => {
                let (Some(shot), Some(shown)) = (live, self.timeline.sampled_for(&self.scene))
                else {
                    return;
                };
                let keyed = ops::key_values(&shot, shown, &channels, self.timeline.frame as f32);
                let label = match channels.as_slice() {
                    [one] => format!("Key {}", one.label()),
                    _ => format!("Key {} values", channels.len()),
                };
                let c = self.set_shot(keyed, &label);
                self.run_timeline(c, false);
            }
            TimelineAction::Unkey(channels) => {
                let Some(shot) = live else {
                    return;
                };
                let mut out = shot;
                for c in &channels {
                    out = ops::unkey(&out, *c, self.timeline.frame as f32);
                }
                let c = self.set_shot(out, "Remove key");
                self.run_timeline(c, false);
            }
            TimelineAction::SetCameraToView => {
                let Some(camera) = live.and_then(|s| s.camera) else {
                    return;
                };
                let transform = self.view_transform(camera);
                let mut commands = vec![Command::SetTransform {
                    node: camera,
                    transform,
                }];
                if let Some(&NodeKind::Camera(cam)) = self.shown().node(camera).map(|n| &n.kind)
                    && self.camera.scene_camera(cam) != cam
                {
                    commands.push(Command::SetKind {
                        node: camera,
                        kind: Box::new(NodeKind::Camera(self.camera.scene_camera(cam))),
                    });
                }
                let command = self.routed(Command::Batch {
                    label: "Set camera to view".into(),
                    commands,
                });
                self.run_timeline(Some(command), false);
            }
            TimelineAction::KeyCameraFromView => {
                let Some(shot) = live else {
                    return;
                };
                let Some(camera) = shot.camera else {
                    return;
                };
                let transform = self.view_transform(camera);
                let mut keyed = shot;
                keyed.key(
                    Channel::Transform(camera),
                    self.timeline.frame as f32,
                    crate::scene::Value::Transform(transform),
                );
                let c = self.set_shot(keyed, "Key camera from view");
                self.run_timeline(c, false);
            }
        }
    }

    /// + Shot: seen through the selected camera, or through a new camera at the view.
    fn add_shot(&mut self) {
        let selected_camera = self.selection.last().copied().filter(|id| {
            matches!(
                self.scene.node(*id).map(|n| &n.kind),
                Some(NodeKind::Camera(_))
            )
        });
        let mut commands = Vec::new();
        let mut timeline = self.scene.timeline().clone();
        let name = timeline.unique_name("Shot");
        let camera = match selected_camera {
            Some(c) => c,
            None => {
                let id = NodeId(self.scene.reserve_id());
                let parent = self.scene.find("Cameras").filter(|c| {
                    matches!(self.scene.node(*c).map(|n| &n.kind), Some(NodeKind::Empty))
                });
                let world_from_parent = parent
                    .map(|p| self.scene.world_from_local(p))
                    .unwrap_or(glam::Mat4::IDENTITY);
                let eye = self
                    .camera
                    .eye_pose(&self.shown().bounds(), Camera::default().near);
                let mut transform = Transform::from_matrix(world_from_parent.inverse() * eye);
                transform.scale = glam::Vec3::ONE;
                let node = Node::new(
                    id,
                    &format!("{name} camera"),
                    transform,
                    NodeKind::Camera(self.camera.scene_camera(Camera::default())),
                );
                commands.push(Command::InsertNodes {
                    trees: vec![Subtree::single(parent, usize::MAX, node)],
                });
                id
            }
        };
        let id = self.scene.reserve_shot_id();
        let template = timeline.active_shot().cloned();
        let shot = Shot {
            camera: Some(camera),
            variant: self.scene.variants().active,
            fps: template.as_ref().map_or(24, |s| s.fps),
            size: template.as_ref().map_or([1920, 1080], |s| s.size),
            ..Shot::new(id, &name)
        };
        timeline.shots.push(shot);
        timeline.active = Some(id);
        commands.push(Command::SetTimeline {
            timeline: Box::new(timeline),
            label: format!("Add shot {name}"),
        });
        self.timeline.frame = 0;
        self.timeline.selected.clear();
        self.run_timeline(
            Some(Command::Batch {
                label: format!("Add shot {name}"),
                commands,
            }),
            false,
        );
    }
}

impl Editor {
    /// Space plays or pauses. Taken at the start of the frame, before any widget sees it, so
    /// a focused button is not pressed by it as well.
    pub(crate) fn timeline_play_key(&self, ui: &egui::Ui, actions: &mut Vec<crate::ui::UiAction>) {
        let free = !ui.ctx().egui_wants_keyboard_input() && !self.dialogs.modal_open();
        if free
            && self.timeline.live_shot(&self.scene).is_some()
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Space))
        {
            actions.push(crate::ui::UiAction::Timeline(TimelineAction::Play(
                !self.timeline.playing(),
            )));
        }
    }

    /// Timeline keys while no text field has the keyboard (Space is taken earlier, see
    /// [`Editor::timeline_play_key`]): ←/→ step,
    /// Shift+←/→ jump, `I` keys the selection; after a click in the timeline, Delete / X,
    /// Ctrl+C and Ctrl+V act on keys. Returns true when a key was taken from the shortcuts
    /// that follow (Delete of nodes).
    pub(crate) fn timeline_shortcuts(
        &self,
        i: &mut egui::InputState,
        actions: &mut Vec<crate::ui::UiAction>,
    ) -> bool {
        use egui::{Key, Modifiers};
        if self.timeline.live_shot(&self.scene).is_none() {
            return false;
        }
        let mut act = |a: TimelineAction| actions.push(crate::ui::UiAction::Timeline(a));
        if i.consume_key(Modifiers::SHIFT, Key::ArrowLeft) {
            act(TimelineAction::ToStart);
        }
        if i.consume_key(Modifiers::SHIFT, Key::ArrowRight) {
            act(TimelineAction::ToEnd);
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowLeft) {
            act(TimelineAction::Step(-1));
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowRight) {
            act(TimelineAction::Step(1));
        }
        if i.consume_key(Modifiers::NONE, Key::I) {
            let channels: Vec<Channel> = self
                .selection
                .iter()
                .flat_map(|n| ops::insert_key_channels(&self.scene, *n))
                .collect();
            if !channels.is_empty() {
                act(TimelineAction::Key(channels));
            }
        }
        if !self.timeline.focused {
            return false;
        }
        let copy = i.consume_key(Modifiers::COMMAND, Key::C)
            || i.events.iter().any(|e| matches!(e, egui::Event::Copy));
        if copy && !self.timeline.selected.is_empty() {
            act(TimelineAction::CopyKeys);
        }
        let paste = i.consume_key(Modifiers::COMMAND, Key::V)
            || i.events.iter().any(|e| matches!(e, egui::Event::Paste(_)));
        if paste {
            act(TimelineAction::PasteKeys);
        }
        if !self.timeline.selected.is_empty()
            && (i.consume_key(Modifiers::NONE, Key::Delete)
                || i.consume_key(Modifiers::NONE, Key::X))
        {
            act(TimelineAction::DeleteKeys);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{NodeKind, Value};
    use crate::ui::UiAction;
    use std::sync::Arc;

    /// The whole editor (egui_kittest, 1400×800) on a scene of empty nodes named `names`,
    /// each with a transform key at `frame` in one 48-frame shot, after three frames.
    fn keyed_shot_harness(
        names: &[String],
        frame: f32,
    ) -> (egui_kittest::Harness<'static, Editor>, Vec<NodeId>) {
        let mut scene = Scene::new("keyed");
        let nodes: Vec<NodeId> = names
            .iter()
            .map(|name| scene.add_node(None, name, Transform::IDENTITY, NodeKind::Empty))
            .collect();
        let id = scene.reserve_shot_id();
        let mut shot = Shot {
            frames: 48,
            ..Shot::new(id, "Keyed")
        };
        for n in &nodes {
            shot.key(
                Channel::Transform(*n),
                frame,
                Value::Transform(Transform::IDENTITY),
            );
        }
        scene.set_timeline(crate::scene::Timeline {
            shots: vec![shot],
            active: Some(id),
        });
        let e = Editor::new(scene, 1, "test".into(), Arc::new(|| {}));
        let mut h = egui_kittest::Harness::builder()
            .with_size(egui::vec2(1400.0, 800.0))
            .with_step_dt(1.0 / 60.0)
            .with_max_steps(100)
            .with_accessibility_check(false)
            .build_ui_state(|ui, e: &mut Editor| e.ui(ui, egui::TextureId::User(0)), e);
        h.run_steps(3);
        (h, nodes)
    }

    #[test]
    fn a_long_track_name_ends_with_an_ellipsis_before_the_keys() {
        use egui_kittest::kittest::Queryable as _;
        let long = "Architectural_visualisation_exterior_facade_panel_high_detail";
        let (h, _) = keyed_shot_harness(&[long.to_owned()], 0.0);
        let keys = h.get_by_label("Dope sheet keys").rect();
        let drawn: Vec<(egui::Rect, bool)> = h
            .output()
            .shapes
            .iter()
            .filter_map(|c| match &c.shape {
                egui::Shape::Text(t) if t.galley.job.text == long && c.clip_rect.left() > 100.0 => {
                    Some((t.visual_bounding_rect(), t.galley.elided))
                }
                _ => None,
            })
            .collect();
        // The track's row (the outliner's row is at the window's left edge).
        let [(rect, elided)] = drawn[..] else {
            panic!("the track's name drawn {} times", drawn.len());
        };
        assert!(elided, "the name is shortened");
        assert!(
            rect.right() <= keys.left(),
            "the name runs to {} over the keys from {}",
            rect.right(),
            keys.left()
        );
    }

    #[test]
    fn dope_sheet_rows_scroll_and_keys_in_scrolled_rows_are_hit() {
        use egui_kittest::kittest::Queryable as _;
        let names: Vec<String> = (0..30).map(|i| format!("Node {i:02}")).collect();
        let (mut h, nodes) = keyed_shot_harness(&names, 10.0);
        let area = h.get_by_label("Dope sheet keys").rect();
        // 30 nodes: 60 rows of 18 points, far more than the panel shows.
        assert!(area.height() < 60.0 * 18.0, "{area:?}");
        assert_eq!(h.state().timeline.view.row_scroll, 0.0);
        // A middle drag upwards scrolls the rows, no further than the last one.
        let from = area.center();
        let button = |pos, pressed| egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Middle,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        h.hover_at(from);
        h.event(button(from, true));
        h.run_steps(1);
        for step in 1..=10 {
            h.hover_at(from - egui::vec2(0.0, 200.0 * step as f32));
            h.run_steps(1);
        }
        h.event(button(from - egui::vec2(0.0, 2000.0), false));
        h.run_steps(2);
        let max = 60.0 * 18.0 + 4.0 - area.height();
        let scroll = h.state().timeline.view.row_scroll;
        assert!(
            (scroll - max).abs() < 1.0,
            "scrolled {scroll}, bottom at {max}"
        );
        // The last row (Node 29's transform) is now at the bottom: its key is clickable there.
        let view = &h.state().timeline.view;
        let at = egui::pos2(
            area.left() + (10.0 - view.first_frame) * view.px_per_frame,
            area.bottom() - 2.0 - 9.0,
        );
        h.hover_at(at);
        h.run_steps(1);
        h.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers: egui::Modifiers::NONE,
        });
        h.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: egui::Modifiers::NONE,
        });
        h.run_steps(3);
        assert_eq!(
            h.state().timeline.selected,
            vec![KeyRef {
                channel: Channel::Transform(nodes[29]),
                frame: 10.0
            }]
        );
    }

    #[test]
    fn looking_through_keeps_the_shot_cameras_roll_and_widens_for_a_narrow_viewport() {
        use crate::scene::Camera;
        let mut scene = Scene::new("roll");
        let rotation = glam::Quat::from_rotation_y(0.4)
            * glam::Quat::from_rotation_x(-0.2)
            * glam::Quat::from_rotation_z(0.3);
        let eye = glam::Vec3::new(3.0, 2.0, 8.0);
        let camera = scene.add_node(
            None,
            "Rolled",
            Transform {
                translation: eye,
                rotation,
                ..Transform::IDENTITY
            },
            NodeKind::Camera(Camera {
                fov_y_rad: 0.6,
                ..Camera::default()
            }),
        );
        let id = scene.reserve_shot_id();
        let shot = Shot {
            size: [1920, 1080],
            camera: Some(camera),
            ..Shot::new(id, "Rolled shot")
        };
        scene.set_timeline(crate::scene::Timeline {
            shots: vec![shot],
            active: Some(id),
        });
        let mut e = Editor::new(scene, 1, "test".into(), Arc::new(|| {}));
        e.viewport_size_px = Some([800, 800]);
        let free = e.view();
        e.apply(UiAction::Timeline(TimelineAction::LookThrough(Some(true))));
        e.advance_timeline(std::time::Instant::now());
        let view = e.view();
        let expected = glam::Mat4::from_rotation_translation(rotation, eye);
        assert!(
            view.world_from_view.abs_diff_eq(expected, 1e-4),
            "{:?} vs {expected:?}",
            view.world_from_view
        );
        // A square viewport shows a 16:9 shot's full width: the field of view is widened.
        let widened = fov_to_show_shot(0.6, 16.0 / 9.0, 1.0);
        assert!(
            (view.fov_y_rad - widened).abs() < 1e-5,
            "{}",
            view.fov_y_rad
        );
        assert_eq!(e.shot_aspect_through(), Some(16.0 / 9.0));
        // The orbit camera sits at the eye, looking the same way (it cannot roll).
        assert!((e.camera.eye() - eye).length() < 1e-3);
        // Looking through ends: the free camera and its view come back.
        e.apply(UiAction::Timeline(TimelineAction::LookThrough(Some(false))));
        e.advance_timeline(std::time::Instant::now());
        assert_eq!(e.view(), free);
        assert_eq!(e.shot_aspect_through(), None);

        // An orthographic shot camera: seen orthographic, its frame widened alike.
        e.apply(UiAction::Edit(crate::edit::Command::SetKind {
            node: camera,
            kind: Box::new(NodeKind::Camera(Camera {
                fov_y_rad: 0.6,
                ortho_half_height: Some(2.0),
                ..Camera::default()
            })),
        }));
        e.apply(UiAction::Timeline(TimelineAction::LookThrough(Some(true))));
        e.advance_timeline(std::time::Instant::now());
        let half_height = e.view().ortho.expect("orthographic").half_height;
        let widen = (widened * 0.5).tan() / 0.3f32.tan();
        assert!((half_height - 2.0 * widen).abs() < 1e-4, "{half_height}");
        assert!(e.camera.ortho, "the orbit camera too");
        e.apply(UiAction::Timeline(TimelineAction::LookThrough(Some(false))));
        e.advance_timeline(std::time::Instant::now());
        assert!(e.view().ortho.is_none());

        // Set camera to view from an orthographic view: the camera takes its frame and
        // stands at the orbit's eye.
        e.camera.ortho = true;
        e.apply(UiAction::Timeline(TimelineAction::SetCameraToView));
        let Some(&NodeKind::Camera(set)) = e.scene.node(camera).map(|n| &n.kind) else {
            unreachable!()
        };
        assert_eq!(set.ortho_half_height, Some(e.camera.ortho_half_height()));
        let at = e.scene.world_from_local(camera).w_axis.truncate();
        assert!(
            (at - e.camera.eye()).length() < 1e-3,
            "{at} vs {}",
            e.camera.eye()
        );
        // A tower reaching past the orbit's eye (which the orthographic view shows): the
        // camera steps back along the view until the tower is beyond its near plane.
        let towards_eye = e.camera.rotation() * glam::Vec3::Z;
        let tower_at = e.camera.eye() + towards_eye * 5.0;
        let mesh = e.scene.add_mesh(crate::generate::shapes::cube(1.0));
        let material = e.scene.add_material(crate::scene::Material::default());
        e.scene.add_node(
            None,
            "Tower",
            Transform::from_translation(tower_at),
            NodeKind::Mesh { mesh, material },
        );
        e.apply(UiAction::Timeline(TimelineAction::SetCameraToView));
        let pose = e.scene.world_from_local(camera);
        let at = pose.w_axis.truncate();
        let tower_depth = (at - tower_at).dot(towards_eye) - 0.5 * 3f32.sqrt();
        assert!(
            tower_depth >= set.near && tower_depth < 1.0,
            "the tower's nearest corner is {tower_depth} m in front of the camera"
        );
        let view = CameraView::from_camera(pose, &set);
        let p = e.camera.pivot + e.camera.rotation() * glam::Vec3::new(0.7, -0.4, 0.0);
        let (a, b) = (
            e.camera.view().clip_from_world(1.0).project_point3(p),
            view.clip_from_world(1.0).project_point3(p),
        );
        assert!(
            (a.truncate() - b.truncate()).length() < 1e-3,
            "same frame: {a} vs {b}"
        );
    }

    #[test]
    fn looking_through_frames_the_whole_shot_in_any_viewport() {
        let fov = 40f32.to_radians();
        let half_width = |fov: f32, aspect: f32| (fov * 0.5).tan() * aspect;
        // A viewport wider than the shot: same field of view, the frame spans its height.
        assert_eq!(fov_to_show_shot(fov, 16.0 / 9.0, 2.4), fov);
        let r = egui::Rect::from_min_size(egui::pos2(10.0, 0.0), egui::vec2(960.0, 400.0));
        let f = crate::ui::shot_frame_rect(r, 16.0 / 9.0);
        assert!((f.height() - 400.0).abs() < 1e-3 && (f.width() - 400.0 * 16.0 / 9.0).abs() < 1e-3);
        assert!((f.center() - r.center()).length() < 1e-3);
        // A narrower viewport: widened so the shot's horizontal extent is the viewport's.
        let (shot, viewport) = (16.0 / 9.0, 1.2);
        let wide = fov_to_show_shot(fov, shot, viewport);
        assert!(wide > fov);
        assert!((half_width(wide, viewport) - half_width(fov, shot)).abs() < 1e-5);
        let r = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(600.0, 500.0));
        let f = crate::ui::shot_frame_rect(r, shot);
        assert!((f.width() - 600.0).abs() < 1e-3);
        // The frame's height is the shot's vertical field of view inside the widened one.
        let expected = 500.0 * (fov * 0.5).tan() / (wide * 0.5).tan();
        assert!(
            (f.height() - expected).abs() < 0.01,
            "{} vs {expected}",
            f.height()
        );
        // Degenerate sizes keep the field of view.
        assert_eq!(fov_to_show_shot(fov, shot, 0.0), fov);
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_playhead_follows_the_wall_clock_dropping_frames_and_loops() {
        // frame = from + ⌊t × fps⌋.
        assert_eq!(playback_frame(0, ms(1000), 24, 240, false), (24, true));
        assert_eq!(playback_frame(0, ms(999), 24, 240, false), (23, true));
        assert_eq!(playback_frame(10, ms(500), 30, 240, false), (25, true));
        // A display that shows only every 100 ms skips frames instead of slowing down.
        let seen: Vec<u32> = (0..5)
            .map(|i| playback_frame(0, ms(100 * i), 24, 240, false).0)
            .collect();
        assert_eq!(seen, vec![0, 2, 4, 7, 9]);
        // After 10 s of a 10 s shot: the end, or around again.
        assert_eq!(playback_frame(0, ms(10_000), 24, 240, false), (239, false));
        assert_eq!(playback_frame(0, ms(10_000), 24, 240, true), (0, true));
        assert_eq!(playback_frame(230, ms(1000), 24, 240, true), (14, true));
        assert_eq!(playback_frame(0, ms(3_600_000), 60, 100, true), (0, true));
    }

    fn editor() -> Editor {
        Editor::new(
            crate::generate::generate_world(3),
            3,
            "test".into(),
            Arc::new(|| {}),
        )
    }

    #[test]
    fn playback_shows_the_shot_sampled_at_the_wall_clock_frame_through_its_camera() {
        let mut e = editor();
        let fly = e
            .scene
            .timeline()
            .shot_named("Fly-over")
            .expect("shot")
            .clone();
        e.apply(UiAction::Timeline(TimelineAction::SelectShot(fly.id)));
        assert_eq!(e.scene.variants().active, fly.variant, "the shot's variant");
        let free = e.camera;
        let t0 = Instant::now();
        e.timeline.playback = Some(Playback {
            started: t0,
            from: 0,
        });
        assert!(e.advance_timeline(t0 + ms(1500)));
        assert_eq!(e.timeline.frame, 36, "1.5 s at 24 fps");
        let expected = e.scene.sampled(fly.id, 36.0, None).expect("sampled");
        let shown = e.shown();
        assert_eq!(shown.revision(), expected.revision());
        assert_eq!(
            crate::scene::scene_hash(shown),
            crate::scene::scene_hash(&expected)
        );
        let camera = fly.camera.expect("camera");
        assert_ne!(
            shown.node(camera).unwrap().transform,
            e.scene.node(camera).unwrap().transform,
            "the camera is animated"
        );
        // Looking through the shot camera while playing.
        let eye = shown.world_from_local(camera).w_axis.truncate();
        assert!((e.camera.eye() - eye).length() < 1e-3);
        // The same frame again costs nothing: the very same scene.
        let before: *const Scene = e.shown();
        e.advance_timeline(t0 + ms(1510));
        assert_eq!(before, e.shown() as *const Scene);
        // 11 s later: looped around (240 frames).
        e.advance_timeline(t0 + ms(11_500));
        assert_eq!(e.timeline.frame, (11_500 * 24 / 1000) % 240);
        // Stop: the free camera comes back.
        e.apply(UiAction::Timeline(TimelineAction::Play(false)));
        e.advance_timeline(Instant::now());
        assert_eq!(e.camera, free);
        // Without loop, playback stops on the last frame.
        e.timeline.looping = false;
        e.timeline.playback = Some(Playback {
            started: t0,
            from: 200,
        });
        assert!(!e.advance_timeline(t0 + ms(5000)));
        assert_eq!(e.timeline.frame, 239);
        assert!(!e.timeline.playing());
    }

    #[test]
    fn inspector_edits_of_animated_values_key_them_and_the_rest_edits_the_base() {
        let mut e = editor();
        let fly = e
            .scene
            .timeline()
            .shot_named("Fly-over")
            .expect("shot")
            .clone();
        let camera = fly.camera.expect("camera");
        e.apply(UiAction::Timeline(TimelineAction::SelectShot(fly.id)));
        e.apply(UiAction::Timeline(TimelineAction::Seek(100)));
        let base = e.scene.node(camera).unwrap().transform;
        let moved = Transform::from_translation(glam::Vec3::new(1.0, 2.0, 3.0));
        e.apply(UiAction::Edit(Command::SetTransform {
            node: camera,
            transform: moved,
        }));
        assert_eq!(e.scene.node(camera).unwrap().transform, base);
        assert_eq!(e.shown().node(camera).unwrap().transform, moved);
        let track = e
            .scene
            .timeline()
            .shot(fly.id)
            .unwrap()
            .track(Channel::Transform(camera));
        assert_eq!(track.map(|t| t.keys().len()), Some(6));
        // The same field of view edit: not animated, auto-key off → the base.
        let NodeKind::Camera(cam) = e.scene.node(camera).unwrap().kind else {
            unreachable!()
        };
        let wider = Camera {
            fov_y_rad: 1.0,
            ..cam
        };
        e.apply(UiAction::Edit(Command::SetKind {
            node: camera,
            kind: Box::new(NodeKind::Camera(wider)),
        }));
        assert_eq!(e.scene.node(camera).unwrap().kind, NodeKind::Camera(wider));
        // Auto-key on: the next change keys instead.
        e.apply(UiAction::Timeline(TimelineAction::AutoKey(true)));
        e.apply(UiAction::Edit(Command::SetKind {
            node: camera,
            kind: Box::new(NodeKind::Camera(Camera {
                fov_y_rad: 0.5,
                ..cam
            })),
        }));
        assert_eq!(e.scene.node(camera).unwrap().kind, NodeKind::Camera(wider));
        let fov = e
            .scene
            .timeline()
            .shot(fly.id)
            .unwrap()
            .track(Channel::FieldOfView(camera));
        assert_eq!(fov.map(|t| t.sample(0.0)), Some(Some(Value::Float(0.5))));
    }

    /// The whole editor driven like a user would (egui_kittest): add a shot, step, key with
    /// the inspector's key button and `I`, drag a key in the dope sheet, then undo it all.
    #[test]
    fn the_timeline_panel_adds_shots_keys_and_drags_keys_undoably() {
        use egui_kittest::Harness;
        use egui_kittest::kittest::Queryable as _;
        let mut scene = Scene::new("ui");
        let cube = scene.add_node(None, "Cube", Transform::IDENTITY, NodeKind::Empty);
        let mut e = Editor::new(scene, 1, "test".into(), Arc::new(|| {}));
        e.selection = vec![cube];
        let start = e.scene.timeline().clone();
        let nodes = e.scene.node_count();
        let mut h = Harness::builder()
            .with_size(egui::vec2(1500.0, 950.0))
            .with_step_dt(1.0 / 60.0)
            .with_max_steps(100)
            .with_accessibility_check(false)
            .build_ui_state(|ui, e: &mut Editor| e.ui(ui, egui::TextureId::User(0)), e);
        h.run_steps(2);
        h.get_by_label("+ Shot").click();
        h.run_steps(3);
        let shot = h
            .state()
            .scene
            .timeline()
            .active_shot()
            .expect("a shot")
            .clone();
        assert_eq!(shot.name, "Shot");
        assert_eq!(h.state().scene.node_count(), nodes + 1, "a new camera");
        let shot_camera = shot.camera.expect("camera");
        assert_eq!(
            h.state().scene.node(shot_camera).unwrap().name,
            "Shot camera"
        );

        // Step to frame 2 and press the transform's key button.
        h.state_mut().selection = vec![cube];
        h.get_by_label("Next frame").click();
        h.run_steps(2);
        h.get_by_label("Next frame").click();
        h.run_steps(2);
        assert_eq!(h.state().timeline.frame, 2);
        h.get_by_label("Key Transform").click();
        h.run_steps(3);
        let keys = |h: &Harness<'_, Editor>| -> Vec<f32> {
            h.state()
                .scene
                .timeline()
                .active_shot()
                .and_then(|s| s.track(Channel::Transform(cube)))
                .map(|t| t.keys().iter().map(|k| k.frame).collect())
                .unwrap_or_default()
        };
        assert_eq!(keys(&h), vec![2.0]);

        // Frame 12: move the cube (an inspector edit keys it), then I on frame 20.
        h.state_mut()
            .apply(UiAction::Timeline(TimelineAction::Seek(12)));
        let moved = Transform::from_translation(glam::Vec3::new(4.0, 0.0, 0.0));
        h.state_mut().apply(UiAction::Edit(Command::SetTransform {
            node: cube,
            transform: moved,
        }));
        h.run_steps(2);
        assert_eq!(keys(&h), vec![2.0, 12.0]);
        h.state_mut()
            .apply(UiAction::Timeline(TimelineAction::Seek(20)));
        h.run_steps(2);
        h.key_press(egui::Key::I);
        h.run_steps(3);
        assert_eq!(keys(&h), vec![2.0, 12.0, 20.0]);
        assert_eq!(
            h.state().shown().node(cube).unwrap().transform,
            moved,
            "held after the last key"
        );

        // Drag the key on frame 12 to frame 16 in the dope sheet (the Transform row).
        let sheet = h.get_by_label("Dope sheet keys").rect();
        let view = h.state().timeline.view.clone();
        let x = |f: f32| sheet.left() + (f - view.first_frame) * view.px_per_frame;
        let y = sheet.top() + 2.0 + 1.5 * 18.0;
        h.hover_at(egui::pos2(x(12.0), y));
        h.run_steps(1);
        h.drag_at(egui::pos2(x(12.0), y));
        h.run_steps(1);
        for i in 1..=8 {
            h.hover_at(egui::pos2(x(12.0 + i as f32 * 0.5), y));
            h.run_steps(1);
        }
        h.drop_at(egui::pos2(x(16.0), y));
        h.run_steps(3);
        assert_eq!(keys(&h), vec![2.0, 16.0, 20.0]);
        let shot = h.state().scene.timeline().active_shot().unwrap().clone();
        let at16 = shot.track(Channel::Transform(cube)).unwrap().sample(16.0);
        assert_eq!(at16, Some(Value::Transform(moved)));
        assert_eq!(
            h.state().history.undo_label(),
            Some("Move keys"),
            "the drag is one step"
        );

        // Undo everything: back to no shots and no new camera.
        let e = h.state_mut();
        while e.history.undo(&mut e.scene) {}
        assert_eq!(e.scene.timeline(), &start);
        assert_eq!(e.scene.node_count(), nodes);
    }
}
