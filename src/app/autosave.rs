//! Autosave of unsaved work to this process's recovery file ([`crate::project::recovery`]):
//! after [`AUTOSAVE_EDITS`] edits or [`AUTOSAVE_AFTER`] since the first unsaved edit, the
//! scene (a cheap clone: geometry is shared through `Arc`) is written on a worker thread, so
//! the editor never waits for the disk. The file goes away after a save, when the work is
//! discarded, and on a clean exit; one left by a process that is gone is offered for
//! recovery at the next launch.

use super::editor::Waker;
use crate::project::{self, Backup, EditorState, ProjectError};
use crate::scene::Scene;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Edits after which unsaved work is autosaved at once.
pub(crate) const AUTOSAVE_EDITS: u32 = 20;
/// Longest time unsaved work waits for an autosave.
pub(crate) const AUTOSAVE_AFTER: Duration = Duration::from_secs(60);

/// What an autosave worker reports.
pub(crate) struct Written {
    pub result: Result<u64, ProjectError>,
}

/// The autosave state of one editor.
pub(crate) struct Autosave {
    /// This process's recovery file.
    pub file: PathBuf,
    /// Edits since the last autosave (or save).
    edits: u32,
    /// When the first of those edits happened.
    since: Option<Instant>,
    worker: Option<Receiver<Written>>,
    /// A crashed session's recovery file whose work was recovered here: deleted once this
    /// session's own autosave, a save or a clean exit has taken over.
    pub recovered_from: Option<PathBuf>,
}

impl Autosave {
    pub fn new(dir: &Path) -> Self {
        Self {
            file: project::recovery::own_file(dir),
            edits: 0,
            since: None,
            worker: None,
            recovered_from: None,
        }
    }

    /// One more change to the scene.
    pub fn note_edit(&mut self) {
        self.edits += 1;
        self.since.get_or_insert_with(Instant::now);
    }

    /// Autosave as soon as possible (recovered work is not yet in our own file).
    pub fn due_now(&mut self) {
        self.edits = self.edits.max(AUTOSAVE_EDITS);
        self.since.get_or_insert_with(Instant::now);
    }

    /// The work was saved or discarded: forget pending edits and delete the recovery files.
    pub fn reset(&mut self) {
        self.edits = 0;
        self.since = None;
        std::fs::remove_file(&self.file).ok();
        if let Some(old) = self.recovered_from.take() {
            std::fs::remove_file(old).ok();
        }
    }

    /// Starts an autosave when one is due and `dirty`; returns how long until the next one
    /// would be due (for a timed repaint), and any message for the log.
    pub fn tick(
        &mut self,
        dirty: bool,
        scene: &Scene,
        state: EditorState,
        waker: &Waker,
    ) -> (Option<Duration>, Option<String>) {
        let mut message = None;
        if let Some(receiver) = &self.worker {
            match receiver.try_recv() {
                Err(TryRecvError::Empty) => return (None, None),
                Ok(Written { result: Ok(bytes) }) => {
                    self.worker = None;
                    if dirty {
                        log::info!(
                            "autosaved {} ({:.1} MB)",
                            self.file.display(),
                            bytes as f64 / 1e6
                        );
                        if let Some(old) = self.recovered_from.take() {
                            std::fs::remove_file(old).ok();
                        }
                    } else {
                        // Saved or discarded while the autosave ran.
                        std::fs::remove_file(&self.file).ok();
                    }
                }
                Ok(Written { result: Err(e) }) => {
                    self.worker = None;
                    message = Some(format!("autosave failed: {e}"));
                }
                Err(TryRecvError::Disconnected) => {
                    self.worker = None;
                    message = Some("autosave failed: the worker stopped".to_owned());
                }
            }
        }
        if !dirty || self.edits == 0 {
            return (None, message);
        }
        let since = self.since.unwrap_or_else(Instant::now);
        let wait = AUTOSAVE_AFTER.saturating_sub(since.elapsed());
        if self.edits < AUTOSAVE_EDITS && !wait.is_zero() {
            return (Some(wait), message);
        }
        let (sender, receiver) = mpsc::channel();
        let file = self.file.clone();
        let scene = scene.clone();
        let waker = std::sync::Arc::clone(waker);
        let spawned = std::thread::Builder::new()
            .name("autosave".into())
            .spawn(move || {
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir).ok();
                }
                let result = project::save_with(&file, &scene, &state, Backup::None);
                sender.send(Written { result }).ok();
                waker();
            });
        match spawned {
            Ok(_) => {
                self.worker = Some(receiver);
                self.edits = 0;
                self.since = None;
            }
            Err(e) => message = Some(format!("autosave failed: no worker thread: {e}")),
        }
        (None, message)
    }

    /// Waits for an autosave in flight (at exit), so it cannot recreate the file later.
    pub fn wait(&mut self) {
        if let Some(receiver) = self.worker.take() {
            receiver.recv_timeout(Duration::from_secs(30)).ok();
        }
    }
}
