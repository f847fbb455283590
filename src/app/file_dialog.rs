//! The desktop's own file dialog (through the XDG desktop portal, via `rfd`), run on a worker
//! thread so the editor keeps drawing while it is open.
//!
//! Where no portal answers (no D-Bus session, a bare X server, CI) the editor falls back to
//! its built-in browser ([`crate::ui::FileBrowser`]). A portal that fails returns "nothing
//! chosen" at once, which a person cannot do that fast: such an answer also opens the
//! built-in browser.

use super::editor::Waker;
use crate::ui::{BrowsePurpose, IMPORTABLE_EXTENSIONS};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Answers faster than this to "nothing chosen" mean the portal is not working.
const INSTANT_ANSWER: Duration = Duration::from_millis(400);

/// A desktop file dialog in flight.
pub(crate) struct DesktopDialog {
    pub purpose: BrowsePurpose,
    started: Instant,
    receiver: Receiver<Option<PathBuf>>,
}

/// What [`DesktopDialog::poll`] found.
pub(crate) enum DialogPoll {
    Waiting,
    Chosen(PathBuf),
    /// The user closed the dialog without choosing.
    Dismissed,
    /// The portal did not work: use the built-in browser.
    Unavailable,
}

/// True when a desktop file dialog can be asked for: a D-Bus session exists and the user did
/// not opt out with `WORLDSMITH_BUILTIN_FILE_DIALOG=1`.
pub(crate) fn desktop_dialog_available() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        && std::env::var_os("WORLDSMITH_BUILTIN_FILE_DIALOG").is_none()
}

impl DesktopDialog {
    /// Opens the desktop dialog for a file (or a folder) on a worker thread; Save As offers
    /// `suggested_name`.
    pub fn start(
        purpose: BrowsePurpose,
        folder: bool,
        suggested_name: String,
        waker: Waker,
    ) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::channel();
        let waker = Arc::clone(&waker);
        std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let title = match (purpose, folder) {
                    (BrowsePurpose::Open, false) => "Open a world file",
                    (BrowsePurpose::Open, true) => "Open a world-model output folder",
                    (BrowsePurpose::Import, false) => "Import into the world",
                    (BrowsePurpose::Import, true) => "Import a world-model output folder",
                    (BrowsePurpose::Environment, _) => "Environment image (equirectangular)",
                    (BrowsePurpose::SaveAs, _) => "Save project as",
                    (BrowsePurpose::Texture { .. }, _) => "Texture image",
                    (BrowsePurpose::Export(_), _) => "Export",
                };
                let dialog = rfd::AsyncFileDialog::new().set_title(title);
                let chosen = if purpose == BrowsePurpose::SaveAs {
                    pollster::block_on(
                        dialog
                            .add_filter("worldsmith project", &[crate::project::EXTENSION])
                            .set_file_name(suggested_name)
                            .save_file(),
                    )
                } else if folder {
                    pollster::block_on(dialog.pick_folder())
                } else if matches!(purpose, BrowsePurpose::Texture { .. }) {
                    pollster::block_on(
                        dialog
                            .add_filter("Images (PNG, JPEG, WebP)", crate::ui::TEXTURE_EXTENSIONS)
                            .pick_file(),
                    )
                } else if purpose == BrowsePurpose::Environment {
                    pollster::block_on(
                        dialog
                            .add_filter(
                                "Panoramas (HDR, PNG, JPEG, WebP)",
                                crate::ui::ENVIRONMENT_EXTENSIONS,
                            )
                            .pick_file(),
                    )
                } else {
                    pollster::block_on(
                        dialog
                            .add_filter(
                                "Projects and 3D worlds (wsproj, glTF, PLY, SPZ, splat, ksplat, SOG)",
                                IMPORTABLE_EXTENSIONS,
                            )
                            .pick_file(),
                    )
                };
                sender.send(chosen.map(|h| h.path().to_owned())).ok();
                waker();
            })?;
        Ok(Self {
            purpose,
            started: Instant::now(),
            receiver,
        })
    }

    pub fn poll(&self) -> DialogPoll {
        match self.receiver.try_recv() {
            Err(TryRecvError::Empty) => DialogPoll::Waiting,
            Ok(Some(path)) => DialogPoll::Chosen(path),
            Ok(None) if self.started.elapsed() < INSTANT_ANSWER => DialogPoll::Unavailable,
            Ok(None) => DialogPoll::Dismissed,
            Err(TryRecvError::Disconnected) => DialogPoll::Unavailable,
        }
    }
}
