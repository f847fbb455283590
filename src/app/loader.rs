//! Loading a file on a worker thread: [`Loader::start`] spawns the import, [`Loader::poll`]
//! reports progress (bytes or elements, from [`Progress`]) or the result without blocking,
//! and [`Loader::cancel`] asks the import to stop at its next check and forgets the load, so
//! a late result is discarded.

use super::editor::Waker;
use crate::import::{ImportError, Imported, Progress};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Whether a loaded file replaces the world or is added to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoadMode {
    /// File ▸ Open: the file becomes the world (with a default sun when it has no light).
    Open,
    /// File ▸ Import: the file's content is added to the current world.
    Import,
    /// A recovery file a crashed session left: it becomes the world, unsaved.
    Recover,
}

/// What a load produced: the scene, and for projects the editor state saved with it.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub imported: Imported,
    /// `Some` when the file was a project (Open or Recover).
    pub project: Option<crate::project::EditorState>,
}

/// A load in flight.
struct Pending {
    path: PathBuf,
    mode: LoadMode,
    started: Instant,
    progress: Arc<Progress>,
    receiver: Receiver<Result<Loaded, ImportError>>,
}

/// What [`Loader::poll`] found.
#[derive(Debug)]
pub(crate) enum LoadPoll {
    /// Nothing is loading.
    Idle,
    /// Still loading, for this long so far; `done`/`total` in the reader's units (bytes of
    /// the file, total 0 while unknown).
    Progress {
        path: PathBuf,
        elapsed: Duration,
        done: u64,
        total: u64,
    },
    /// The load finished: the scene (opened ones with a default sun if it had no light) or
    /// the error.
    Done {
        path: PathBuf,
        mode: LoadMode,
        /// Boxed: a scene is much larger than the other variants.
        result: Box<Result<Loaded, ImportError>>,
    },
    /// The load was cancelled (reported once); its result will be dropped.
    Cancelled { path: PathBuf },
    /// The worker stopped without an answer (it panicked).
    Failed { path: PathBuf },
}

/// At most one file loading at a time; a new `start` replaces (cancels) the previous one.
pub(crate) struct Loader {
    pending: Option<Pending>,
    cancelled: Option<PathBuf>,
    waker: Waker,
}

impl Loader {
    /// `waker` is called from the worker when the result is ready.
    pub fn new(waker: Waker) -> Self {
        Self {
            pending: None,
            cancelled: None,
            waker,
        }
    }

    /// Starts importing `path` on a worker thread; a load already in flight is cancelled.
    pub fn start(&mut self, path: &Path, mode: LoadMode) -> std::io::Result<()> {
        let (sender, receiver) = mpsc::channel();
        let waker = Arc::clone(&self.waker);
        let owned = path.to_owned();
        let progress = Arc::new(Progress::new());
        let worker_progress = Arc::clone(&progress);
        std::thread::Builder::new()
            .name("import".into())
            .spawn(move || {
                let result = load(&owned, mode, &worker_progress);
                // Fails only when the load was cancelled: the result is discarded.
                sender.send(result).ok();
                waker();
            })?;
        self.cancel();
        self.cancelled = None;
        self.pending = Some(Pending {
            path: path.to_owned(),
            mode,
            started: Instant::now(),
            progress,
            receiver,
        });
        Ok(())
    }

    /// Forgets the load in flight, if any.
    pub fn cancel(&mut self) {
        if let Some(pending) = self.pending.take() {
            pending.progress.cancel();
            self.cancelled = Some(pending.path);
        }
    }

    /// True while a file is loading.
    pub fn loading(&self) -> bool {
        self.pending.is_some()
    }

    /// Checks on the load without blocking.
    pub fn poll(&mut self) -> LoadPoll {
        if let Some(path) = self.cancelled.take() {
            return LoadPoll::Cancelled { path };
        }
        let Some(pending) = &self.pending else {
            return LoadPoll::Idle;
        };
        match pending.receiver.try_recv() {
            Err(TryRecvError::Empty) => {
                let (done, total) = pending.progress.get();
                LoadPoll::Progress {
                    path: pending.path.clone(),
                    elapsed: pending.started.elapsed(),
                    done,
                    total,
                }
            }
            Ok(result) => {
                let path = pending.path.clone();
                let mode = pending.mode;
                self.pending = None;
                LoadPoll::Done {
                    path,
                    mode,
                    result: Box::new(result),
                }
            }
            Err(TryRecvError::Disconnected) => {
                let path = pending.path.clone();
                self.pending = None;
                LoadPoll::Failed { path }
            }
        }
    }
}

/// Runs on the worker: projects (opened or recovered) keep their editor state and are shown
/// as saved; other opened files get a default sun when they have no light.
fn load(path: &Path, mode: LoadMode, progress: &Progress) -> Result<Loaded, ImportError> {
    let as_project = mode == LoadMode::Recover
        || (mode == LoadMode::Open && crate::project::is_project_path(path));
    if as_project {
        let project = crate::project::load_with(path, progress).map_err(|e| match e {
            crate::project::ProjectError::Cancelled { file } => ImportError::Cancelled { file },
            other => other.into(),
        })?;
        return Ok(Loaded {
            imported: Imported {
                scene: project.scene,
                warnings: Vec::new(),
            },
            project: Some(project.editor),
        });
    }
    let mut imported = crate::import::import_path_with(path, progress)?;
    if mode == LoadMode::Open {
        crate::import::prepare_opened_scene(&mut imported.scene);
    }
    Ok(Loaded {
        imported,
        project: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll_until_settled(loader: &mut Loader) -> LoadPoll {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            match loader.poll() {
                LoadPoll::Progress { .. } if Instant::now() < until => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => return other,
            }
        }
    }

    #[test]
    fn a_missing_file_reports_an_error_naming_it() {
        let mut loader = Loader::new(Arc::new(|| {}));
        assert!(matches!(loader.poll(), LoadPoll::Idle));
        loader
            .start(Path::new("/nonexistent/missing.glb"), LoadMode::Open)
            .expect("spawn");
        assert!(loader.loading());
        match poll_until_settled(&mut loader) {
            LoadPoll::Done { path, result, .. } => {
                assert!(path.ends_with("missing.glb"));
                let Err(error) = *result else {
                    panic!("a missing file loaded");
                };
                assert!(error.to_string().contains("missing.glb"), "{error}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(!loader.loading());
        assert!(matches!(loader.poll(), LoadPoll::Idle));
    }

    #[test]
    fn cancel_reports_once_and_discards_the_result() {
        let mut loader = Loader::new(Arc::new(|| {}));
        loader
            .start(Path::new("/nonexistent/x.gltf"), LoadMode::Open)
            .expect("spawn");
        loader.cancel();
        assert!(!loader.loading());
        assert!(matches!(loader.poll(), LoadPoll::Cancelled { .. }));
        std::thread::sleep(Duration::from_millis(50));
        assert!(matches!(loader.poll(), LoadPoll::Idle));
    }

    #[test]
    fn an_import_gets_no_default_sun() {
        let Some(path) = crate::app::sample_asset("Box.glb") else {
            return;
        };
        let mut loader = Loader::new(Arc::new(|| {}));
        loader.start(&path, LoadMode::Import).expect("spawn");
        match poll_until_settled(&mut loader) {
            LoadPoll::Done { result, mode, .. } => {
                assert_eq!(mode, LoadMode::Import);
                let loaded = (*result).expect("Box.glb imports");
                assert!(
                    !loaded
                        .imported
                        .scene
                        .nodes()
                        .any(|n| n.name == "Default sun")
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_sample_file_loads_with_a_default_sun() {
        let Some(path) = crate::app::sample_asset("BoxTextured/BoxTextured.gltf") else {
            return;
        };
        let mut loader = Loader::new(Arc::new(|| {}));
        loader.start(&path, LoadMode::Open).expect("spawn");
        match poll_until_settled(&mut loader) {
            LoadPoll::Done { result, .. } => match *result {
                Ok(loaded) => assert!(
                    loaded
                        .imported
                        .scene
                        .nodes()
                        .any(|n| n.name == "Default sun"),
                    "no default sun"
                ),
                Err(e) => panic!("{e}"),
            },
            other => panic!("unexpected {other:?}"),
        }
    }
}
