//! The frame cache on disk: each rendered frame stored under its [`FrameKey`], and each
//! encoded MP4 under the key of (all its frame keys, encoder settings), so re-rendering an
//! unchanged shot costs a file copy and an edited shot re-renders only its changed frames.
//!
//! Layout of the cache folder (default: `<project stem>.wscache/` beside a project, else
//! `$XDG_CACHE_HOME/worldsmith/frames`):
//!
//! ```text
//! frames/ab/<64 hex>.wsf   one frame: "WSF1", width u32 LE, height u32 LE, QOI bytes,
//!                          then the BLAKE3 hash of everything before it (32 bytes)
//! clips/<64 hex>.mp4       one encoded clip, and <64 hex>.b3 the BLAKE3 hash of its bytes
//! shots/<32 hex>.json      a shot's frames found rendered so far (the timeline's stale
//!                          marks), named by a hash of the shot's name for it; evicted like
//!                          the rest
//! ```
//!
//! Entries are written under a temporary name and renamed, so a reader never sees half an
//! entry; a damaged or truncated entry fails its hash and counts as a miss (and is
//! deleted). Reading an entry touches its modification time; [`FrameCache::evict`] deletes
//! the least recently used entries until the folder fits its size bound. Deleting the
//! folder at any time is safe. Frames are stored as QOI: lossless and several times faster
//! to encode and decode than PNG (BENCHMARKS.md, "Clips"), at about PNG-fast's size.

use super::key::FrameKey;
use super::{ClipError, TempFile};
use std::collections::HashSet;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// Default size bound: 4 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;

const MAGIC: &[u8; 4] = b"WSF1";

/// Largest shot record read (a 100,000-frame shot's record is ~700 kB).
const RECORD_MAX_BYTES: u64 = 4 << 20;

/// `shots/<hash>.json`: frames of a shot found rendered so far (the timeline marks frames an
/// edit made stale with it, across restarts).
#[derive(serde::Serialize, serde::Deserialize)]
struct ShotRecord {
    frames: Vec<u32>,
}

/// A frame cache folder with a size bound.
#[derive(Clone, Debug)]
pub struct FrameCache {
    dir: PathBuf,
    max_bytes: u64,
}

/// What [`FrameCache::evict`] found and removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: u64,
    pub bytes: u64,
    pub evicted: u64,
}

impl FrameCache {
    /// Opens (creating) the cache folder `dir`, bounded to `max_bytes`.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Self, ClipError> {
        for sub in ["frames", "clips"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| {
                ClipError::file(dir, format!("could not create the cache folder: {e}"))
            })?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            max_bytes,
        })
    }

    /// The default cache folder for a command's input: `<stem>.wscache` beside a project
    /// file; for anything else (the generated world, imported files),
    /// `$XDG_CACHE_HOME/worldsmith/frames` (or `~/.cache/worldsmith/frames`).
    pub fn default_dir(input: Option<&Path>) -> PathBuf {
        if let Some(input) = input
            && input
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("wsproj"))
        {
            let stem = input
                .file_stem()
                .map_or_else(|| "project".into(), |s| s.to_string_lossy().into_owned());
            return input.with_file_name(format!("{stem}.wscache"));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        base.join("worldsmith").join("frames")
    }

    /// The cache folder `dir` for lookups only: nothing is created until something is
    /// stored (a missing folder has no entries).
    pub fn peek(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether there is an entry for `key` (not read or checked: [`FrameCache::get`] does).
    pub fn contains(&self, key: &FrameKey) -> bool {
        self.frame_path(key).is_file()
    }

    fn frame_path(&self, key: &FrameKey) -> PathBuf {
        let hex = key.hex();
        self.dir
            .join("frames")
            .join(&hex[..2])
            .join(format!("{hex}.wsf"))
    }

    /// The cached frame for `key`, if there is an intact one of `width`×`height`. A damaged
    /// entry is deleted and reported as a miss.
    pub fn get(&self, key: &FrameKey, width: u32, height: u32) -> Option<image::RgbaImage> {
        let path = self.frame_path(key);
        let bytes = std::fs::read(&path).ok()?;
        match decode_entry(&bytes, width, height) {
            Ok(Some(image)) => {
                touch(&path);
                Some(image)
            }
            // Intact, but of another size (keys include the size, so only by misuse).
            Ok(None) => None,
            Err(Damaged) => {
                log::warn!(
                    "{}: damaged frame cache entry, re-rendering",
                    path.display()
                );
                std::fs::remove_file(&path).ok();
                None
            }
        }
    }

    /// Stores `frame` under `key`.
    pub fn put(&self, key: &FrameKey, frame: &image::RgbaImage) -> Result<(), ClipError> {
        use image::ImageEncoder as _;
        let path = self.frame_path(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ClipError::file(parent, e))?;
        }
        let mut bytes = Vec::with_capacity(frame.as_raw().len() / 3);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&frame.width().to_le_bytes());
        bytes.extend_from_slice(&frame.height().to_le_bytes());
        image::codecs::qoi::QoiEncoder::new(&mut bytes)
            .write_image(
                frame.as_raw(),
                frame.width(),
                frame.height(),
                image::ExtendedColorType::Rgba8,
            )
            .map_err(|e| ClipError::file(&path, e))?;
        let hash = blake3::hash(&bytes);
        bytes.extend_from_slice(hash.as_bytes());
        write_atomic(&path, &bytes)
    }

    fn record_path(&self, name: &str) -> PathBuf {
        let hash = blake3::hash(name.as_bytes()).to_hex();
        self.dir.join("shots").join(format!("{}.json", &hash[..32]))
    }

    /// The frames the record `name` (whatever names a shot: project and shot id) lists as
    /// found rendered; none for a missing, oversized or damaged record.
    pub fn shot_record(&self, name: &str) -> HashSet<u32> {
        let path = self.record_path(name);
        let small = std::fs::metadata(&path).is_ok_and(|m| m.len() <= RECORD_MAX_BYTES);
        small
            .then(|| std::fs::read(&path).ok())
            .flatten()
            .and_then(|bytes| serde_json::from_slice::<ShotRecord>(&bytes).ok())
            .map(|r| r.frames.into_iter().collect())
            .unwrap_or_default()
    }

    /// Replaces the record `name` with `frames`.
    pub fn set_shot_record(&self, name: &str, frames: &HashSet<u32>) -> Result<(), ClipError> {
        let path = self.record_path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ClipError::file(parent, e))?;
        }
        let mut frames: Vec<u32> = frames.iter().copied().collect();
        frames.sort_unstable();
        let json =
            serde_json::to_vec(&ShotRecord { frames }).map_err(|e| ClipError::file(&path, e))?;
        write_atomic(&path, &json)
    }

    fn clip_paths(&self, key: &FrameKey) -> (PathBuf, PathBuf) {
        let hex = key.hex();
        let dir = self.dir.join("clips");
        (
            dir.join(format!("{hex}.mp4")),
            dir.join(format!("{hex}.b3")),
        )
    }

    /// Copies the cached clip for `key` to `out` (atomically) if there is an intact one.
    /// Returns whether it did.
    pub fn get_clip(&self, key: &FrameKey, out: &Path) -> Result<bool, ClipError> {
        let (mp4, sum) = self.clip_paths(key);
        let Ok(expected) = std::fs::read(&sum) else {
            return Ok(false);
        };
        let Ok(mut src) = std::fs::File::open(&mp4) else {
            return Ok(false);
        };
        let temp = TempFile::new(out);
        let mut dst = std::fs::File::create(&temp.temp)
            .map_err(|e| ClipError::file(out, format!("could not create: {e}")))?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(_) => return Ok(false),
            };
            hasher.update(&buf[..n]);
            dst.write_all(&buf[..n])
                .map_err(|e| ClipError::file(out, e))?;
        }
        if hasher.finalize().as_bytes().as_slice() != expected.as_slice() {
            log::warn!("{}: damaged clip cache entry, re-encoding", mp4.display());
            std::fs::remove_file(&mp4).ok();
            std::fs::remove_file(&sum).ok();
            return Ok(false);
        }
        dst.sync_all().map_err(|e| ClipError::file(out, e))?;
        drop(dst);
        temp.commit()?;
        touch(&mp4);
        touch(&sum);
        Ok(true)
    }

    /// Stores a copy of the finished clip `file` under `key`.
    pub fn put_clip(&self, key: &FrameKey, file: &Path) -> Result<(), ClipError> {
        let (mp4, sum) = self.clip_paths(key);
        let bytes = std::fs::read(file).map_err(|e| ClipError::file(file, e))?;
        write_atomic(&mp4, &bytes)?;
        write_atomic(&sum, blake3::hash(&bytes).as_bytes())
    }

    /// Deletes least-recently-used entries until the cache holds at most its bound
    /// (temporaries of crashed writers older than an hour go too).
    pub fn evict(&self) -> Result<CacheStats, ClipError> {
        let mut files = Vec::new();
        collect_files(&self.dir, &mut files);
        let now = std::time::SystemTime::now();
        let mut stats = CacheStats::default();
        files.retain(|(path, _, modified)| {
            let stale_temp = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".tmp-"))
                && now
                    .duration_since(*modified)
                    .is_ok_and(|age| age.as_secs() > 3600);
            if stale_temp {
                std::fs::remove_file(path).ok();
            }
            !stale_temp
        });
        stats.entries = files.len() as u64;
        stats.bytes = files.iter().map(|(_, len, _)| len).sum();
        if stats.bytes <= self.max_bytes {
            return Ok(stats);
        }
        files.sort_by_key(|(_, _, modified)| *modified);
        for (path, len, _) in files {
            if stats.bytes <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                stats.bytes -= len;
                stats.entries -= 1;
                stats.evicted += 1;
            }
        }
        Ok(stats)
    }
}

/// An entry whose hash, header or QOI data is wrong.
struct Damaged;

fn decode_entry(
    bytes: &[u8],
    width: u32,
    height: u32,
) -> Result<Option<image::RgbaImage>, Damaged> {
    let split = bytes.len().checked_sub(32).ok_or(Damaged)?;
    let (body, hash) = bytes.split_at(split);
    if blake3::hash(body).as_bytes().as_slice() != hash {
        return Err(Damaged);
    }
    let rest = body.strip_prefix(MAGIC).ok_or(Damaged)?;
    let (w, rest) = rest.split_first_chunk::<4>().ok_or(Damaged)?;
    let (h, qoi) = rest.split_first_chunk::<4>().ok_or(Damaged)?;
    if (u32::from_le_bytes(*w), u32::from_le_bytes(*h)) != (width, height) {
        return Ok(None);
    }
    let decoded = image::load_from_memory_with_format(qoi, image::ImageFormat::Qoi)
        .map_err(|_| Damaged)?
        .into_rgba8();
    if decoded.dimensions() != (width, height) {
        return Err(Damaged);
    }
    Ok(Some(decoded))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ClipError> {
    let temp = TempFile::new(path);
    std::fs::write(&temp.temp, bytes).map_err(|e| ClipError::file(path, e))?;
    temp.commit()
}

fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        f.set_modified(std::time::SystemTime::now()).ok();
    }
}

fn collect_files(dir: &Path, out: &mut Vec<(PathBuf, u64, std::time::SystemTime)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_dir() {
            collect_files(&path, out);
        } else {
            let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            out.push((path, meta.len(), modified));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shot_records_round_trip_and_bad_ones_read_as_empty() {
        let dir = std::env::temp_dir().join(format!("ws-record-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        let cache = FrameCache::peek(&dir);
        let name = "project.wsproj\n3";
        assert_ne!(
            cache.record_path(name),
            cache.record_path("project.wsproj\n4"),
            "one record per shot"
        );
        assert!(cache.shot_record(name).is_empty(), "missing");
        let frames: HashSet<u32> = [0, 5, 239].into_iter().collect();
        cache.set_shot_record(name, &frames).expect("write");
        assert_eq!(cache.shot_record(name), frames);
        let path = cache.record_path(name);
        std::fs::write(&path, b"{\"frames\": [1, -2, \"x\"]").expect("write");
        assert!(cache.shot_record(name).is_empty(), "damaged");
        std::fs::write(&path, vec![b' '; RECORD_MAX_BYTES as usize + 1]).expect("write");
        assert!(cache.shot_record(name).is_empty(), "oversized");
        std::fs::remove_dir_all(&dir).ok();
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ws-cache-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        dir
    }

    fn frame(seed: u8) -> image::RgbaImage {
        image::RgbaImage::from_fn(8, 6, |x, y| {
            image::Rgba([seed, x as u8 * 30, y as u8 * 40, 255])
        })
    }

    #[test]
    fn frames_round_trip_and_damage_is_a_miss() {
        let dir = temp_dir("roundtrip");
        let cache = FrameCache::open(&dir, DEFAULT_MAX_BYTES).expect("open");
        let key = FrameKey([7; 32]);
        assert!(cache.get(&key, 8, 6).is_none());
        cache.put(&key, &frame(1)).expect("put");
        assert_eq!(cache.get(&key, 8, 6), Some(frame(1)));
        assert!(cache.get(&key, 8, 8).is_none(), "another size is a miss");
        // Flip one byte in the middle, then truncate: both are misses, never a panic.
        let path = cache.frame_path(&key);
        let mut bytes = std::fs::read(&path).expect("read");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        std::fs::write(&path, &bytes).expect("write");
        assert!(cache.get(&key, 8, 6).is_none(), "bit flip");
        cache.put(&key, &frame(1)).expect("put");
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 5]).expect("truncate");
        assert!(cache.get(&key, 8, 6).is_none(), "truncated");
        std::fs::write(&path, b"").expect("empty");
        assert!(cache.get(&key, 8, 6).is_none(), "empty");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn eviction_drops_the_least_recently_used_first() {
        let dir = temp_dir("evict");
        let cache = FrameCache::open(&dir, DEFAULT_MAX_BYTES).expect("open");
        let keys: Vec<FrameKey> = (0..4u8).map(|i| FrameKey([i; 32])).collect();
        for (i, key) in keys.iter().enumerate() {
            cache.put(key, &frame(i as u8)).expect("put");
            let past =
                std::time::SystemTime::now() - std::time::Duration::from_secs(100 - i as u64);
            let f = std::fs::File::options()
                .append(true)
                .open(cache.frame_path(key))
                .expect("open");
            f.set_modified(past).expect("mtime");
        }
        // Reading key 0 makes it the most recently used.
        assert!(cache.get(&keys[0], 8, 6).is_some());
        let len = |k: &FrameKey| std::fs::metadata(cache.frame_path(k)).expect("meta").len();
        let small = FrameCache::open(&dir, len(&keys[0]) + len(&keys[3])).expect("open");
        let stats = small.evict().expect("evict");
        assert_eq!((stats.entries, stats.evicted), (2, 2));
        assert!(
            small.get(&keys[0], 8, 6).is_some(),
            "recently read survives"
        );
        assert!(small.get(&keys[3], 8, 6).is_some(), "newest survives");
        assert!(small.get(&keys[1], 8, 6).is_none());
        assert!(small.get(&keys[2], 8, 6).is_none());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn projects_get_a_cache_beside_them() {
        assert_eq!(
            FrameCache::default_dir(Some(Path::new("/a/b/shot.wsproj"))),
            PathBuf::from("/a/b/shot.wscache")
        );
        assert!(
            FrameCache::default_dir(None).ends_with("worldsmith/frames"),
            "{:?}",
            FrameCache::default_dir(None)
        );
    }
}
