//! The timeline's render-cache strip and the preview of rendered frames.
//!
//! Once edits have settled, a worker samples the active shot at every frame, computes each
//! frame's [`frame_key`] with the settings Render ▸ Render Shot would use, and looks the key
//! up in the frame cache (a file lookup; nothing is decoded). The ruler then marks every
//! frame: in the cache, stale (it was found in the cache before — in this session, or in an
//! earlier one through the shot's record in the cache folder — and an edit since changed it),
//! or not rendered. Geometry digests are memoised, so a scan of a 240-frame
//! shot costs milliseconds per frame, off the UI thread.
//!
//! Preview render shows cached frames in the viewport instead of the live view; a second
//! worker decodes them a few frames ahead of the playhead.

use super::{Editor, Waker};
use crate::clip::{FrameCache, FrameKey, ShotVariant, frame_key, shot_source};
use crate::render::RenderSettings;
use crate::scene::{Revision, ShotId};
use crate::ui::FrameMark;
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

/// Quiet time after the last edit before the strip is worked out again.
const SETTLE: Duration = Duration::from_millis(300);
/// While a render runs, the strip is worked out again this often (it fills in).
const WHILE_RENDERING: Duration = Duration::from_secs(1);
/// Frames decoded ahead of the playhead while previewing.
const PREFETCH: u32 = 6;
/// Decoded frames kept for the preview.
const DECODED_KEEP: usize = 16;

/// Everything the strip depends on.
#[derive(Clone, Debug, PartialEq)]
struct ScanInput {
    revision: Revision,
    shot: ShotId,
    settings: RenderSettings,
    supersample: u32,
    cache_dir: PathBuf,
    /// Names the shot's record of rendered frames in the cache folder: the project (or,
    /// unsaved, the world's name) and the shot id.
    record: String,
    /// Bumped whenever the cache may have gained frames (a render ran).
    cache_epoch: u64,
}

/// Per frame: its key and whether the cache has it; and the frames the shot's record says
/// were rendered before.
type ScanResult = Option<(Vec<(FrameKey, bool)>, HashSet<u32>)>;

struct Scan {
    input: ScanInput,
    cancel: Arc<AtomicBool>,
    receiver: Receiver<ScanResult>,
}

/// The strip of the active shot, and the preview's decoded frames.
#[derive(Default)]
pub(crate) struct FrameStrip {
    /// One mark per frame of the active shot (empty until the first scan finished).
    pub marks: Vec<FrameMark>,
    /// The key of each frame, as of the last scan.
    keys: Vec<FrameKey>,
    scanned: Option<ScanInput>,
    running: Option<Scan>,
    /// The newest input not scanned yet, and when it was first seen.
    pending: Option<(ScanInput, Instant)>,
    /// Frames of shots ever found in the cache: this session's scans and the shots' records
    /// (kept here too, so the marks hold when a record cannot be written).
    ever_cached: HashSet<(ShotId, u32)>,
    cache_epoch: u64,
    epoch_bumped: Option<Instant>,
    preview: Preview,
}

impl FrameStrip {
    fn apply(
        &mut self,
        input: ScanInput,
        (frames, recorded): (Vec<(FrameKey, bool)>, HashSet<u32>),
    ) {
        // `recorded` includes every frame this scan found cached.
        let shot = input.shot;
        self.ever_cached
            .extend(recorded.into_iter().map(|frame| (shot, frame)));
        self.marks = frames
            .iter()
            .enumerate()
            .map(|(i, (_, cached))| {
                if *cached {
                    FrameMark::Cached
                } else if self.ever_cached.contains(&(shot, i as u32)) {
                    FrameMark::Stale
                } else {
                    FrameMark::Unrendered
                }
            })
            .collect();
        self.keys = frames.into_iter().map(|(k, _)| k).collect();
        self.scanned = Some(input);
        // The scan saw the cache as it is now: entries that failed may be back.
        self.preview.failed.clear();
    }

    /// The cache may have gained frames (a render finished): look again.
    pub fn cache_changed(&mut self) {
        self.cache_epoch += 1;
    }

    fn clear(&mut self) {
        if let Some(scan) = self.running.take() {
            scan.cancel.store(true, Ordering::Relaxed);
        }
        self.marks.clear();
        self.keys.clear();
        self.scanned = None;
        self.pending = None;
    }

    /// The decoded preview of `frame`, if the decoder has it.
    #[cfg(test)]
    pub(crate) fn preview_image(&self, frame: u32) -> Option<Arc<egui::ColorImage>> {
        self.preview.decoded(&self.cached_key(frame)?)
    }

    /// Drops the decoded preview frames (tests: the next preview reads the cache).
    #[cfg(test)]
    pub(crate) fn forget_decoded(&mut self) {
        self.preview.decoded.clear();
        self.preview.shown = None;
    }

    /// The key of `frame` as of the last scan.
    #[cfg(test)]
    pub(crate) fn key_of(&self, frame: u32) -> Option<FrameKey> {
        self.keys.get(frame as usize).copied()
    }

    /// The key of `frame` if the last scan found it in the cache.
    fn cached_key(&self, frame: u32) -> Option<FrameKey> {
        let i = frame as usize;
        (self.marks.get(i) == Some(&FrameMark::Cached))
            .then(|| self.keys.get(i).copied())
            .flatten()
    }
}

impl Editor {
    /// Collects a finished scan and starts the next one when its inputs changed and have
    /// been quiet for a moment. Returns when to look again (a repaint is due then).
    pub(crate) fn update_frame_strip(&mut self, now: Instant) -> Option<Duration> {
        let Some(shot) = self.timeline.live_shot(&self.scene).cloned() else {
            self.frame_strip.clear();
            return None;
        };
        if self.rendering() {
            let strip = &mut self.frame_strip;
            if strip
                .epoch_bumped
                .is_none_or(|t| now.duration_since(t) >= WHILE_RENDERING)
            {
                strip.cache_epoch += 1;
                strip.epoch_bumped = Some(now);
            }
        }
        let input = ScanInput {
            revision: self.scene.revision(),
            shot: shot.id,
            settings: self.clip_settings(),
            supersample: self.render_panel.supersample,
            cache_dir: self.cache_dir(),
            record: format!(
                "{}\n{}",
                self.project_path
                    .as_deref()
                    .map_or_else(|| self.scene.name.clone(), |p| p.display().to_string()),
                shot.id.0
            ),
            cache_epoch: self.frame_strip.cache_epoch,
        };
        let strip = &mut self.frame_strip;
        if let Some(scan) = &strip.running {
            match scan.receiver.try_recv() {
                Err(TryRecvError::Empty) => {}
                Ok(Some(frames)) => {
                    if let Some(scan) = strip.running.take() {
                        strip.apply(scan.input, frames);
                    }
                }
                Ok(None) | Err(TryRecvError::Disconnected) => strip.running = None,
            }
        }
        if strip.scanned.as_ref() == Some(&input) {
            strip.pending = None;
            return None;
        }
        if strip.running.as_ref().is_some_and(|s| s.input == input) {
            // Its waker brings the result.
            return None;
        }
        let first_seen = match &strip.pending {
            Some((pending, at)) if *pending == input => *at,
            _ => {
                strip.pending = Some((input.clone(), now));
                now
            }
        };
        // Another shot shows at once; edits of this one wait until they settle.
        let same_shot = strip.scanned.as_ref().is_some_and(|s| s.shot == input.shot);
        let due = first_seen + if same_shot { SETTLE } else { Duration::ZERO };
        if now < due {
            return Some(due - now);
        }
        if let Some(old) = strip.running.take() {
            old.cancel.store(true, Ordering::Relaxed);
        }
        strip.pending = None;
        if strip.scanned.as_ref().is_some_and(|s| s.shot != input.shot) {
            strip.marks.clear();
            strip.keys.clear();
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = mpsc::channel();
        let mut source = shot_source(&self.scene, &shot, ShotVariant::Own);
        let cache = FrameCache::peek(&input.cache_dir);
        let record = input.record.clone();
        let (settings, supersample) = (input.settings, input.supersample);
        let [w, h] = shot.size;
        let frames = shot.frames;
        let stop = Arc::clone(&cancel);
        let waker = Arc::clone(&self.waker);
        let spawned = std::thread::Builder::new()
            .name("frame strip".into())
            .spawn(move || {
                let mut recorded = cache.shot_record(&record);
                let mut out = Vec::with_capacity(frames as usize);
                for frame in 0..frames {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok((scene, camera)) = source(frame) else {
                        sender.send(None).ok();
                        waker();
                        return;
                    };
                    let key = frame_key(&scene, &camera, &settings, w, h).supersampled(supersample);
                    out.push((key, cache.contains(&key)));
                }
                let before = recorded.len();
                recorded.extend(
                    out.iter()
                        .enumerate()
                        .filter(|(_, (_, cached))| *cached)
                        .map(|(i, _)| i as u32),
                );
                if recorded.len() != before
                    && let Err(e) = cache.set_shot_record(&record, &recorded)
                {
                    // Only the marks after a restart suffer.
                    log::debug!("shot record: {e}");
                }
                sender.send(Some((out, recorded))).ok();
                waker();
            });
        match spawned {
            Ok(_) => {
                strip.running = Some(Scan {
                    input,
                    cancel,
                    receiver,
                })
            }
            Err(e) => log::warn!("could not start the frame strip thread: {e}"),
        }
        None
    }

    /// Starts the scan now if one is due (tests: no waiting for the settle time).
    #[cfg(test)]
    pub(crate) fn scan_frame_strip_now(&mut self) {
        self.update_frame_strip(Instant::now());
        let far = Instant::now() + Duration::from_secs(3600);
        self.update_frame_strip(far);
        let start = Instant::now();
        while self.frame_strip.running.is_some() && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(10));
            self.update_frame_strip(far);
        }
    }

    /// The cached frame to show in the viewport instead of the live view while Preview
    /// render is on: the playhead's frame once decoded (while playing, the last decoded one
    /// until the next arrives). Also asks for the frames ahead. `None`: show the live view.
    pub(crate) fn preview_texture(&mut self, ctx: &egui::Context) -> Option<PreviewFrame> {
        if !self.timeline.preview {
            self.frame_strip.preview.shown = None;
            return None;
        }
        let shot = self.timeline.live_shot(&self.scene)?;
        let (frame, last, size) = (self.timeline.frame, shot.last_frame(), shot.size);
        let dir = self.cache_dir();
        let playing = self.timeline.playing();
        let strip = &mut self.frame_strip;
        let wanted: Vec<FrameKey> = (0..=PREFETCH)
            .map(|i| {
                if self.timeline.looping {
                    (frame + i) % (last + 1)
                } else {
                    (frame + i).min(last)
                }
            })
            .filter_map(|f| strip.cached_key(f))
            .collect();
        let current = strip.cached_key(frame);
        strip.preview.receive();
        if std::mem::take(&mut strip.preview.failed_since_scan) {
            // Entries went missing (deleted, evicted or damaged): the strip looks again.
            strip.cache_changed();
        }
        let preview = &mut strip.preview;
        for key in wanted {
            preview.request(&dir, key, size, &self.waker);
        }
        if let Some(key) = current
            && preview.shown.as_ref().is_none_or(|(k, _)| *k != key)
            && let Some(image) = preview.decoded(&key)
        {
            match &mut preview.shown {
                Some((k, texture)) => {
                    *k = key;
                    texture.set(image, egui::TextureOptions::LINEAR);
                }
                None => {
                    preview.shown = Some((
                        key,
                        ctx.load_texture("preview frame", image, egui::TextureOptions::LINEAR),
                    ));
                }
            }
        }
        let (key, texture) = preview.shown.as_ref()?;
        let exact = current == Some(*key);
        (exact || (playing && current.is_some())).then(|| PreviewFrame {
            texture: texture.id(),
            exact,
        })
    }
}

/// A cached frame shown by Preview render.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PreviewFrame {
    pub texture: egui::TextureId,
    /// It is the playhead's frame (false: a frame shown while the next one decodes).
    pub exact: bool,
}

type DecodeRequest = (PathBuf, FrameKey, [u32; 2]);
/// Requests to the decoder thread, and its decoded frames.
type Decoder = (
    Sender<DecodeRequest>,
    Receiver<(FrameKey, Option<egui::ColorImage>)>,
);

/// Decodes cached frames on a worker thread.
#[derive(Default)]
struct Preview {
    worker: Option<Decoder>,
    requested: HashSet<FrameKey>,
    /// Entries that could not be read (deleted or damaged since the scan): not asked again.
    failed: HashSet<FrameKey>,
    /// An entry failed since the strip last looked: the cache changed under it.
    failed_since_scan: bool,
    /// Decoded frames, oldest first.
    decoded: VecDeque<(FrameKey, Arc<egui::ColorImage>)>,
    shown: Option<(FrameKey, egui::TextureHandle)>,
}

impl Preview {
    fn request(&mut self, dir: &std::path::Path, key: FrameKey, size: [u32; 2], waker: &Waker) {
        if self.requested.contains(&key)
            || self.failed.contains(&key)
            || self.decoded.iter().any(|(k, _)| *k == key)
        {
            return;
        }
        if self.worker.is_none() {
            self.worker = start_decoder(Arc::clone(waker));
        }
        if let Some((sender, _)) = &self.worker
            && sender.send((dir.to_path_buf(), key, size)).is_ok()
        {
            self.requested.insert(key);
        }
    }

    fn receive(&mut self) {
        let Some((_, receiver)) = &self.worker else {
            return;
        };
        while let Ok((key, image)) = receiver.try_recv() {
            self.requested.remove(&key);
            match image {
                Some(image) => {
                    self.decoded.push_back((key, Arc::new(image)));
                    while self.decoded.len() > DECODED_KEEP {
                        self.decoded.pop_front();
                    }
                }
                None => {
                    self.failed.insert(key);
                    self.failed_since_scan = true;
                }
            }
        }
    }

    fn decoded(&self, key: &FrameKey) -> Option<Arc<egui::ColorImage>> {
        self.decoded
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, image)| Arc::clone(image))
    }
}

/// The decoder thread: requests in, decoded frames (or `None` for a damaged or evicted
/// entry) out, each waking the UI; it ends when the editor drops its sender.
fn start_decoder(waker: Waker) -> Option<Decoder> {
    let (requests, inbox) = mpsc::channel::<DecodeRequest>();
    let (outbox, results) = mpsc::channel();
    std::thread::Builder::new()
        .name("preview decode".into())
        .spawn(move || {
            for (dir, key, [w, h]) in inbox {
                let image = FrameCache::peek(&dir).get(&key, w, h).map(|rgba| {
                    egui::ColorImage::from_rgba_unmultiplied(
                        [w as usize, h as usize],
                        rgba.as_raw(),
                    )
                });
                if outbox.send((key, image)).is_err() {
                    return;
                }
                waker();
            }
        })
        .map_err(|e| log::warn!("could not start the preview decoder: {e}"))
        .ok()?;
    Some((requests, results))
}
