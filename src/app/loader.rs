//! Loading a file on a worker thread: [`Loader::start`] spawns the import, [`Loader::poll`]
//! reports progress or the result without blocking, [`Loader::cancel`] forgets the load so
//! its result is discarded when it arrives (the import itself cannot be interrupted).

use super::editor::Waker;
use crate::import::{ImportError, Imported};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// A load in flight.
struct Pending {
    path: PathBuf,
    started: Instant,
    receiver: Receiver<Result<Imported, ImportError>>,
}

/// What [`Loader::poll`] found.
#[derive(Debug)]
pub(crate) enum LoadPoll {
    /// Nothing is loading.
    Idle,
    /// Still loading, for this long so far.
    Progress { path: PathBuf, elapsed: Duration },
    /// The load finished: the scene (with a default sun if it had no light) or the error.
    Done {
        path: PathBuf,
        /// Boxed: a scene is much larger than the other variants.
        result: Box<Result<Imported, ImportError>>,
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

    /// Starts importing `path` on a worker thread.
    pub fn start(&mut self, path: &Path) -> std::io::Result<()> {
        let (sender, receiver) = mpsc::channel();
        let waker = Arc::clone(&self.waker);
        let owned = path.to_owned();
        std::thread::Builder::new()
            .name("import".into())
            .spawn(move || {
                let result = crate::import::import_path(&owned).map(|mut imported| {
                    crate::import::add_default_light_if_unlit(&mut imported.scene);
                    imported
                });
                // Fails only when the load was cancelled: the result is discarded.
                sender.send(result).ok();
                waker();
            })?;
        self.cancelled = None;
        self.pending = Some(Pending {
            path: path.to_owned(),
            started: Instant::now(),
            receiver,
        });
        Ok(())
    }

    /// Forgets the load in flight, if any.
    pub fn cancel(&mut self) {
        if let Some(pending) = self.pending.take() {
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
            Err(TryRecvError::Empty) => LoadPoll::Progress {
                path: pending.path.clone(),
                elapsed: pending.started.elapsed(),
            },
            Ok(result) => {
                let path = pending.path.clone();
                self.pending = None;
                LoadPoll::Done {
                    path,
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
            .start(Path::new("/nonexistent/missing.glb"))
            .expect("spawn");
        assert!(loader.loading());
        match poll_until_settled(&mut loader) {
            LoadPoll::Done { path, result } => {
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
            .start(Path::new("/nonexistent/x.gltf"))
            .expect("spawn");
        loader.cancel();
        assert!(!loader.loading());
        assert!(matches!(loader.poll(), LoadPoll::Cancelled { .. }));
        std::thread::sleep(Duration::from_millis(50));
        assert!(matches!(loader.poll(), LoadPoll::Idle));
    }

    #[test]
    fn a_sample_file_loads_with_a_default_sun() {
        let Some(path) = crate::app::sample_asset("BoxTextured/BoxTextured.gltf") else {
            return;
        };
        let mut loader = Loader::new(Arc::new(|| {}));
        loader.start(&path).expect("spawn");
        match poll_until_settled(&mut loader) {
            LoadPoll::Done { result, .. } => match *result {
                Ok(imported) => assert!(
                    imported.scene.nodes().any(|n| n.name == "Default sun"),
                    "no default sun"
                ),
                Err(e) => panic!("{e}"),
            },
            other => panic!("unexpected {other:?}"),
        }
    }
}
