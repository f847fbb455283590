//! A built-in file browser window, used for File ▸ Open / Import when the desktop has no file
//! dialog service (no XDG desktop portal, e.g. a bare X server or a remote session).
//!
//! It lists one folder at a time: sub-folders first, then the files worldsmith can read. A
//! folder can be opened itself (world-model output folders are one world).

use super::UiAction;
use egui::{RichText, Ui};
use std::path::{Path, PathBuf};

/// File extensions the importers read (lower case, without the dot).
pub const IMPORTABLE_EXTENSIONS: &[&str] = &["gltf", "glb", "ply", "spz"];

/// What the chosen path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowsePurpose {
    /// Replace the world with the file or folder.
    Open,
    /// Add the file or folder to the world.
    Import,
    /// Use the image (equirectangular PNG, JPEG or Radiance HDR) as the environment.
    Environment,
}

impl BrowsePurpose {
    fn title(self) -> &'static str {
        match self {
            BrowsePurpose::Open => "Open",
            BrowsePurpose::Import => "Import",
            BrowsePurpose::Environment => "Environment image",
        }
    }

    /// Whether the browser lists this file for this purpose.
    pub fn accepts(self, path: &Path) -> bool {
        match self {
            BrowsePurpose::Environment => path
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .is_some_and(|e| ENVIRONMENT_EXTENSIONS.contains(&e.as_str())),
            _ => is_importable(path),
        }
    }

    /// The action that loads `path` for this purpose.
    pub fn action(self, path: PathBuf) -> UiAction {
        match self {
            BrowsePurpose::Open => UiAction::OpenPath(path),
            BrowsePurpose::Import => UiAction::ImportPath(path),
            BrowsePurpose::Environment => UiAction::LoadEnvironment(path),
        }
    }
}

/// One row of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    name: String,
    is_dir: bool,
}

/// State of the browser window.
#[derive(Clone, Debug)]
pub struct FileBrowser {
    pub purpose: BrowsePurpose,
    folder: PathBuf,
    /// The path typed or clicked (a file or folder inside `folder`, or anything typed).
    path_text: String,
    entries: Vec<Entry>,
    /// Why the folder could not be listed.
    error: Option<String>,
}

impl FileBrowser {
    /// A browser showing `folder`.
    pub fn new(purpose: BrowsePurpose, folder: &Path) -> Self {
        let mut browser = Self {
            purpose,
            folder: folder.to_owned(),
            path_text: String::new(),
            entries: Vec::new(),
            error: None,
        };
        browser.list(folder);
        browser
    }

    /// Lists `folder` (sub-folders, then importable files, each sorted by name).
    fn list(&mut self, folder: &Path) {
        match std::fs::read_dir(folder) {
            Ok(read) => {
                let mut entries: Vec<Entry> = read
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        if name.starts_with('.') {
                            return None;
                        }
                        let is_dir = e.path().is_dir();
                        (is_dir || self.purpose.accepts(&e.path()))
                            .then_some(Entry { name, is_dir })
                    })
                    .collect();
                entries.sort_by(|a, b| {
                    b.is_dir
                        .cmp(&a.is_dir)
                        .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
                });
                self.folder = folder.to_owned();
                self.entries = entries;
                self.error = None;
                self.path_text = folder.display().to_string();
            }
            Err(e) => self.error = Some(format!("{}: {e}", folder.display())),
        }
    }

    /// The folder shown.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Names listed, folders first (for tests).
    pub fn listed_names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }
}

/// Image files an environment can be made from (lower case, without the dot).
pub const ENVIRONMENT_EXTENSIONS: &[&str] = &["hdr", "png", "jpg", "jpeg"];

/// True for files with an extension the importers read.
pub fn is_importable(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .is_some_and(|e| IMPORTABLE_EXTENSIONS.contains(&e.as_str()))
}

/// Shows the browser window; returns the action for the chosen path. Closing the window or
/// choosing sets `browser` to `None`.
pub fn file_browser_ui(ui: &Ui, browser: &mut Option<FileBrowser>) -> Option<UiAction> {
    let b = browser.as_mut()?;
    let mut open = true;
    let mut chosen: Option<PathBuf> = None;
    let mut navigate: Option<PathBuf> = None;
    egui::Window::new(format!("{} file or world folder", b.purpose.title()))
        .id(egui::Id::unique("file_browser"))
        .open(&mut open)
        .collapsible(false)
        .default_size([520.0, 420.0])
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(b.folder.parent().is_some(), egui::Button::new("Up"))
                    .on_hover_text("Parent folder")
                    .clicked()
                {
                    navigate = b.folder.parent().map(Path::to_owned);
                }
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut b.path_text)
                        .desired_width(f32::INFINITY)
                        .hint_text("/path/to/world.glb"),
                );
                if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    let typed = PathBuf::from(b.path_text.trim());
                    if typed.is_dir() && !is_world_folder(&typed) {
                        navigate = Some(typed);
                    } else {
                        chosen = Some(typed);
                    }
                }
            });
            if let Some(error) = &b.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.separator();
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .max_height(ui.available_height() - 34.0)
                .show(ui, |ui| {
                    if b.entries.is_empty() {
                        ui.weak("No folders or importable files (.gltf .glb .ply .spz) here.");
                    }
                    for entry in &b.entries {
                        let label = if entry.is_dir {
                            RichText::new(format!("{}/", entry.name)).strong()
                        } else {
                            RichText::new(&entry.name)
                        };
                        let path = b.folder.join(&entry.name);
                        let selected = b.path_text == path.display().to_string();
                        let response = ui.selectable_label(selected, label);
                        if response.clicked() {
                            b.path_text = path.display().to_string();
                        }
                        if response.double_clicked() {
                            if entry.is_dir {
                                navigate = Some(path);
                            } else {
                                chosen = Some(path);
                            }
                        }
                    }
                });
            ui.separator();
            ui.horizontal(|ui| {
                let typed = PathBuf::from(b.path_text.trim());
                let label = if typed.is_dir() {
                    format!("{} folder as one world", b.purpose.title())
                } else {
                    b.purpose.title().to_owned()
                };
                if ui
                    .add_enabled(!b.path_text.trim().is_empty(), egui::Button::new(label))
                    .clicked()
                {
                    chosen = Some(typed);
                }
                ui.weak("Double-click a folder to enter it, a file to load it.");
            });
        });
    if let Some(folder) = navigate {
        b.list(&folder);
    }
    let purpose = b.purpose;
    if !open || chosen.is_some() {
        *browser = None;
    }
    chosen.map(|path| purpose.action(path))
}

/// True when `folder` directly holds layers a world-model output has (splats, meshes, point
/// clouds or camera parameters), so Enter on it loads it instead of entering it.
pub fn is_world_folder(folder: &Path) -> bool {
    std::fs::read_dir(folder).is_ok_and(|read| {
        read.filter_map(Result::ok).any(|e| {
            let path = e.path();
            is_importable(&path) || e.file_name() == "camera_params.json"
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_folders_first_then_importable_files() {
        let dir = std::env::temp_dir().join(format!("ws-browser-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("b_world")).expect("mkdir");
        std::fs::create_dir_all(dir.join("A_folder")).expect("mkdir");
        for name in ["z.glb", "m.PLY", "notes.txt", ".hidden.glb", "a.spz"] {
            std::fs::write(dir.join(name), b"x").expect("write");
        }
        let browser = FileBrowser::new(BrowsePurpose::Import, &dir);
        assert_eq!(
            browser.listed_names(),
            vec!["A_folder", "b_world", "a.spz", "m.PLY", "z.glb"]
        );
        assert!(is_world_folder(&dir));
        assert!(!is_world_folder(&dir.join("A_folder")));
        assert_eq!(
            BrowsePurpose::Import.action(dir.join("z.glb")),
            UiAction::ImportPath(dir.join("z.glb"))
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_missing_folder_shows_an_error_not_a_panic() {
        let browser = FileBrowser::new(BrowsePurpose::Open, Path::new("/nonexistent/folder"));
        assert!(browser.listed_names().is_empty());
        assert!(
            browser
                .error
                .as_deref()
                .is_some_and(|e| e.contains("/nonexistent/folder"))
        );
    }
}
