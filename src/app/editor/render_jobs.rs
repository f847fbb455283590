//! Render ▸ Render Shot / Render All Shots: clips rendered on a worker thread with its own
//! headless GPU device and renderer, from a snapshot of the scene (geometry shared through
//! `Arc`), through the same `clip::render_clip` as `worldsmith render`, into the same frame
//! cache (beside the project), so the CLI and the editor reuse each other's frames. The
//! editor keeps drawing and editing; the Render window shows progress, ETA and Cancel.

use super::Editor;
use crate::clip::{
    ClipError, ClipJob, ClipOutput, ClipProgress, ClipSummary, EncoderSettings, FrameCache,
    ShotVariant, shot_source,
};
use crate::render::{GpuContext, RenderSettings, Renderer};
use crate::scene::{Scene, ShotId};
use crate::ui::{LogLevel, RenderFormat, RenderStatus, RunningRender};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// A shot being rendered.
pub(crate) struct RenderRun {
    pub shot: String,
    pub output: PathBuf,
    /// Frames the job renders (known before the worker reports any progress).
    pub frames: u32,
    pub progress: Arc<ClipProgress>,
    receiver: Receiver<Result<ClipSummary, ClipError>>,
}

/// Shots waiting, the one rendering, and what finished.
#[derive(Default)]
pub(crate) struct RenderQueue {
    pub waiting: Vec<ShotId>,
    pub running: Option<RenderRun>,
    /// (shot, output, result line) of finished renders, newest last.
    pub finished: Vec<(String, PathBuf, Result<String, String>)>,
    /// The frame cache's folder; `None`: the default beside the project (as the CLI's).
    pub cache_dir: Option<PathBuf>,
}

/// A file-system-safe version of a shot name (the `stills` rule; an empty name is `shot`).
pub(crate) fn file_stem(name: &str) -> String {
    if name.is_empty() {
        "shot".into()
    } else {
        crate::cli::stills::file_stem(name)
    }
}

impl Editor {
    /// The folder renders go to: the Render window's, else `renders/` beside the project (or
    /// in the working folder for an unsaved world).
    pub(crate) fn render_folder(&self) -> PathBuf {
        if let Some(f) = &self.render_panel.folder {
            return f.clone();
        }
        let base = self
            .project_path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("renders")
    }

    /// The settings Render ▸ Render Shot renders frames with (the Render window's shadow
    /// quality on top of [`RenderSettings::clip`]); frame keys depend on them.
    pub(crate) fn clip_settings(&self) -> RenderSettings {
        RenderSettings {
            shadow_map_size: self.render_panel.shadow_map_size,
            ..RenderSettings::clip()
        }
    }

    /// The frame cache's folder: beside the project (as the CLI's), or the user cache folder
    /// for an unsaved world.
    pub(crate) fn cache_dir(&self) -> PathBuf {
        self.render_queue
            .cache_dir
            .clone()
            .unwrap_or_else(|| FrameCache::default_dir(self.project_path.as_deref()))
    }

    /// Queues the active shot, or every shot.
    pub(crate) fn queue_renders(&mut self, all: bool) {
        let timeline = self.scene.timeline();
        let shots: Vec<ShotId> = if all {
            timeline.shots().iter().map(|s| s.id).collect()
        } else {
            timeline.active_shot().map(|s| s.id).into_iter().collect()
        };
        if shots.is_empty() {
            self.log(
                LogLevel::Warning,
                "There is no shot to render: add one in the timeline.".into(),
            );
            return;
        }
        self.render_queue.waiting.extend(shots);
        self.dialogs.render_open = true;
        self.start_next_render();
    }

    /// Cancels the running render and everything queued.
    pub(crate) fn cancel_renders(&mut self) {
        self.render_queue.waiting.clear();
        if let Some(run) = &self.render_queue.running {
            run.progress.cancel();
        }
    }

    fn start_next_render(&mut self) {
        if self.render_queue.running.is_some() {
            return;
        }
        while !self.render_queue.waiting.is_empty() {
            let id = self.render_queue.waiting.remove(0);
            let Some(shot) = self.scene.timeline().shot(id).cloned() else {
                continue;
            };
            match self.start_render(&shot) {
                Ok(run) => {
                    self.render_queue.running = Some(run);
                    return;
                }
                Err(message) => {
                    self.log(
                        LogLevel::Error,
                        format!("Render of shot '{}': {message}", shot.name),
                    );
                }
            }
        }
    }

    fn start_render(&mut self, shot: &crate::scene::Shot) -> Result<RenderRun, String> {
        let folder = self.render_folder();
        std::fs::create_dir_all(&folder)
            .map_err(|e| format!("{}: could not create the folder: {e}", folder.display()))?;
        let stem = file_stem(&shot.name);
        let output = match self.render_panel.format {
            RenderFormat::Mp4 => ClipOutput::Mp4(folder.join(format!("{stem}.mp4"))),
            RenderFormat::Png => ClipOutput::PngSequence(folder.join(stem)),
        };
        let [w, h] = shot.size;
        let job = ClipJob {
            frames: (0..shot.frames).collect(),
            width: w,
            height: h,
            settings: self.clip_settings(),
            supersample: self.render_panel.supersample,
            encoder: EncoderSettings::new(shot.fps),
            output: output.clone(),
            cache: FrameCache::open(&self.cache_dir(), crate::clip::cache::DEFAULT_MAX_BYTES)
                .map_err(|e| e.to_string())
                .ok(),
        };
        let scene: Scene = self.scene.clone();
        let progress = Arc::new(ClipProgress::default());
        let (sender, receiver) = mpsc::channel();
        let waker = Arc::clone(&self.waker);
        let thread_progress = Arc::clone(&progress);
        let shot_copy = shot.clone();
        std::thread::Builder::new()
            .name("render".into())
            .spawn(move || {
                let result = (|| {
                    let ctx = GpuContext::headless()?;
                    let mut renderer = Renderer::new(&ctx);
                    let mut source = shot_source(&scene, &shot_copy, ShotVariant::Own);
                    crate::clip::render_clip(
                        &ctx,
                        &mut renderer,
                        &job,
                        &mut source,
                        &thread_progress,
                    )
                })();
                sender.send(result).ok();
                waker();
            })
            .map_err(|e| format!("could not start the render thread: {e}"))?;
        Ok(RenderRun {
            shot: shot.name.clone(),
            output: output.path().to_path_buf(),
            frames: shot.frames,
            progress,
            receiver,
        })
    }

    /// The queue as the Render window shows it.
    pub(crate) fn render_status(&self) -> RenderStatus {
        let q = &self.render_queue;
        RenderStatus {
            running: q.running.as_ref().map(|r| {
                let p = r.progress.snapshot();
                RunningRender {
                    shot: r.shot.clone(),
                    output: r.output.clone(),
                    done: p.done,
                    total: r.frames,
                    cached: p.cached,
                    elapsed: p.elapsed,
                    eta: p.eta,
                }
            }),
            waiting: q
                .waiting
                .iter()
                .filter_map(|id| self.scene.timeline().shot(*id).map(|s| s.name.clone()))
                .collect(),
            finished: q
                .finished
                .iter()
                .map(|(shot, _, line)| (shot.clone(), line.clone()))
                .collect(),
            cache_dir: self.cache_dir(),
        }
    }

    /// Whether a render is running (the window keeps redrawing to show its progress).
    pub(crate) fn rendering(&self) -> bool {
        self.render_queue.running.is_some()
    }

    /// Logs a finished render and starts the next one.
    pub(crate) fn poll_renders(&mut self) {
        let Some(run) = &self.render_queue.running else {
            return;
        };
        let result = match run.receiver.try_recv() {
            Err(TryRecvError::Empty) => return,
            Ok(result) => result,
            Err(TryRecvError::Disconnected) => {
                Err(ClipError::Encoder("the render thread stopped".into()))
            }
        };
        let Some(run) = self.render_queue.running.take() else {
            return;
        };
        self.frame_strip.cache_changed();
        let line = match result {
            Ok(s) => {
                let msg = format!(
                    "Rendered shot '{}' to {} ({} frames: {} rendered, {} from the cache, {:.1} s)",
                    run.shot,
                    run.output.display(),
                    s.frames,
                    s.rendered,
                    s.cached,
                    s.wall_s
                );
                self.log(LogLevel::Info, msg.clone());
                Ok(msg)
            }
            Err(ClipError::Cancelled) => {
                let msg = format!("Render of shot '{}' cancelled", run.shot);
                self.log(LogLevel::Warning, msg.clone());
                Err(msg)
            }
            Err(e) => {
                let msg = format!("Render of shot '{}' failed: {e}", run.shot);
                self.log(LogLevel::Error, msg.clone());
                Err(msg)
            }
        };
        self.render_queue
            .finished
            .push((run.shot, run.output, line));
        self.start_next_render();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Camera, Channel, Material, NodeKind, Shot, Timeline, Transform, Value};
    use glam::Vec3;
    use std::time::{Duration, Instant};

    /// Keys `camera` on `frame` at x = `x`, looking straight ahead and a little down.
    fn key_camera(shot: &mut Shot, camera: crate::scene::NodeId, frame: f32, x: f32) {
        let eye = Vec3::new(x, 1.0, 4.0);
        shot.key(
            Channel::Transform(camera),
            frame,
            Value::Transform(Transform::looking_at(
                eye,
                eye + Vec3::new(0.0, -0.25, -1.0),
            )),
        );
    }

    /// A box seen by a camera that moves over a 4-frame shot.
    fn scene_with_shot() -> Scene {
        let mut scene = Scene::new("render test");
        let mesh = scene.add_mesh(crate::generate::shapes::cube(1.0));
        let material = scene.add_material(Material::named("red", [0.8, 0.1, 0.1, 1.0], 0.5));
        scene.add_node(
            None,
            "Box",
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        );
        scene.add_node(
            None,
            "Sun",
            Transform::pointing(Vec3::new(-0.4, -1.0, -0.3)),
            NodeKind::Light(crate::scene::Light {
                kind: crate::scene::LightKind::Directional,
                color: [1.0; 3],
                intensity: 50_000.0,
                range: None,
                cast_shadows: true,
            }),
        );
        let camera = scene.add_node(
            None,
            "Cam",
            Transform::looking_at(Vec3::new(0.0, 1.0, 4.0), Vec3::ZERO),
            NodeKind::Camera(Camera::default()),
        );
        let id = scene.reserve_shot_id();
        let mut shot = Shot {
            frames: 4,
            size: [64, 36],
            camera: Some(camera),
            ..Shot::new(id, "Shot: one/two")
        };
        // The camera slides sideways looking straight ahead: the box crosses the frame.
        key_camera(&mut shot, camera, 0.0, -1.0);
        key_camera(&mut shot, camera, 3.0, 1.5);
        scene.set_timeline(Timeline {
            shots: vec![shot],
            active: Some(id),
        });
        scene
    }

    /// Renders the active shot and waits for it, polling as the UI loop does.
    fn render_active_shot(editor: &mut Editor) {
        editor.queue_renders(false);
        let start = Instant::now();
        while editor.rendering() {
            assert!(start.elapsed() < Duration::from_secs(120), "render hangs");
            std::thread::sleep(Duration::from_millis(50));
            editor.poll_renders();
        }
    }

    #[test]
    fn shot_names_make_safe_file_names() {
        assert_eq!(file_stem("Shot: one/two"), "Shot__one_two");
        assert_eq!(file_stem(""), "shot");
        assert_eq!(file_stem("Fly-over_2"), "Fly-over_2");
    }

    #[test]
    fn render_shot_writes_the_clip_in_the_background_and_logs_it() {
        if GpuContext::headless().is_err() {
            assert!(std::env::var("CI").is_err(), "no GPU adapter under CI=true");
            eprintln!("SKIPPED: no GPU adapter");
            return;
        }
        let dir = std::env::temp_dir().join(format!("ws-render-jobs-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        let mut editor = Editor::new(scene_with_shot(), 1, "test".into(), Arc::new(|| {}));
        editor.render_panel.folder = Some(dir.clone());
        editor.render_panel.shadow_map_size = 512;
        editor.render_queue.cache_dir = Some(dir.join("cache"));
        editor.queue_renders(false);
        assert!(editor.rendering(), "started");
        assert!(editor.dialogs.render_open, "the Render window opens");
        // The editor keeps going while the worker renders; poll as the UI loop does.
        let start = Instant::now();
        while editor.rendering() {
            assert!(start.elapsed() < Duration::from_secs(120), "render hangs");
            let s = editor.render_status();
            if let Some(r) = &s.running {
                assert_eq!(r.total, 4);
                assert!(r.done <= 4);
            }
            std::thread::sleep(Duration::from_millis(50));
            editor.poll_renders();
        }
        let status = editor.render_status();
        let (shot, result) = status.finished.last().expect("a finished render");
        assert_eq!(shot, "Shot: one/two");
        let line = result.as_ref().expect("rendered");
        assert!(line.contains("4 frames"), "{line}");
        let clip = dir.join("Shot__one_two.mp4");
        let info = crate::clip::probe_mp4(&clip).expect("an MP4");
        assert_eq!(info.frames, 4);
        assert_eq!((info.width, info.height), (64, 36));
        let frames = crate::clip::decode_mp4(&clip).expect("decodes");
        assert_eq!(frames.len(), 4);
        // The camera moves: the first and last frames differ.
        let differ = frames[0]
            .pixels()
            .zip(frames[3].pixels())
            .filter(|(a, b)| (0..3).any(|c| a.0[c].abs_diff(b.0[c]) > 30))
            .count();
        assert!(differ > 20, "{differ} pixels differ");
        assert!(
            editor.log.iter().any(|e| e.text.contains("Rendered shot")),
            "logged"
        );

        // The timeline strip: every frame is in the cache now.
        use crate::ui::FrameMark::{Cached, Stale};
        editor.scan_frame_strip_now();
        assert_eq!(editor.frame_strip.marks, [Cached; 4]);
        // Preview render shows frame 2 from the cache: the decoded frame is the rendered one.
        let ctx = egui::Context::default();
        editor.apply(crate::ui::UiAction::Timeline(
            crate::ui::TimelineAction::Preview(true),
        ));
        editor.timeline.frame = 2;
        let start = Instant::now();
        let shown = loop {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no preview frame"
            );
            if let Some(p) = editor.preview_texture(&ctx) {
                break p;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(shown.exact, "the playhead's frame");
        let decoded = editor.frame_strip.preview_image(2).expect("decoded");
        assert_eq!(decoded.size, [64, 36]);
        let differ = decoded
            .pixels
            .iter()
            .zip(frames[2].pixels())
            .filter(|(a, b)| (0..3).any(|c| a.to_srgba_unmultiplied()[c].abs_diff(b.0[c]) > 40))
            .count();
        assert!(
            differ < 64 * 36 / 20,
            "preview vs the MP4's frame 2: {differ} pixels differ"
        );
        // Seeking shows the new frame once decoded.
        editor.apply(crate::ui::UiAction::Timeline(
            crate::ui::TimelineAction::Seek(3),
        ));
        let start = Instant::now();
        loop {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no preview of frame 3"
            );
            if editor.preview_texture(&ctx).is_some_and(|p| p.exact) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }

        // A damaged entry: the preview falls back to the live view without asking again and
        // again, and the strip looks again (the damaged entry is gone: stale).
        let key0 = editor.frame_strip.key_of(0).expect("key").hex();
        let entry = dir
            .join("cache/frames")
            .join(&key0[..2])
            .join(format!("{key0}.wsf"));
        std::fs::write(&entry, b"WSF1 not a frame").expect("damage the entry");
        editor.frame_strip.forget_decoded();
        editor.apply(crate::ui::UiAction::Timeline(
            crate::ui::TimelineAction::Seek(0),
        ));
        for _ in 0..100 {
            assert!(editor.preview_texture(&ctx).is_none_or(|p| !p.exact));
            std::thread::sleep(Duration::from_millis(5));
        }
        editor.scan_frame_strip_now();
        assert_eq!(editor.frame_strip.marks, [Stale, Cached, Cached, Cached]);
        assert!(!entry.exists(), "a damaged entry is deleted");
        // Re-render the damaged frame (the cache fills it again) before the next check.
        render_active_shot(&mut editor);
        editor.scan_frame_strip_now();
        assert_eq!(editor.frame_strip.marks, [Cached; 4]);

        // Move the last camera key: frames 1-3 change, frame 0 does not; after the edit
        // settles they show as stale, and re-rendering redraws exactly them.
        let mut timeline = editor.scene.timeline().clone();
        let id = timeline.active.expect("active shot");
        let shot = timeline.shot_mut(id).expect("shot");
        let camera = shot.camera.expect("camera");
        key_camera(shot, camera, 3.0, 2.5);
        editor.apply(crate::ui::UiAction::Edit(
            crate::edit::Command::SetTimeline {
                timeline: Box::new(timeline),
                label: "Move key".into(),
            },
        ));
        // Not at once: the scan waits for edits to settle.
        assert_eq!(
            editor.update_frame_strip(Instant::now()),
            Some(Duration::from_millis(300))
        );
        editor.scan_frame_strip_now();
        assert_eq!(editor.frame_strip.marks, [Cached, Stale, Stale, Stale]);
        assert!(
            editor.preview_texture(&ctx).is_none(),
            "frame 2 is stale: live view"
        );
        render_active_shot(&mut editor);
        let (_, result) = editor
            .render_status()
            .finished
            .last()
            .cloned()
            .expect("done");
        let line = result.expect("rendered");
        assert!(line.contains("3 rendered, 1 from the cache"), "{line}");
        editor.scan_frame_strip_now();
        assert_eq!(editor.frame_strip.marks, [Cached; 4]);

        // After a restart (a new editor on the same world and cache), an edit's stale frames
        // are still marked: the cache folder keeps a record of the frames found rendered.
        let mut scene = editor.scene.clone();
        let mut timeline = scene.timeline().clone();
        if let Some(shot) = timeline.shot_mut(id) {
            key_camera(shot, camera, 3.0, 3.5);
        }
        scene.set_timeline(timeline);
        let mut restarted = Editor::new(scene, 1, "test".into(), Arc::new(|| {}));
        restarted.render_panel.shadow_map_size = 512;
        restarted.render_queue.cache_dir = Some(dir.join("cache"));
        restarted.scan_frame_strip_now();
        assert_eq!(restarted.frame_strip.marks, [Cached, Stale, Stale, Stale]);
        // Nothing queued and nothing to render: a warning, no job.
        let mut empty = Editor::new(Scene::new("e"), 1, "test".into(), Arc::new(|| {}));
        empty.queue_renders(true);
        assert!(!empty.rendering());
        std::fs::remove_dir_all(&dir).ok();
    }
}
