//! [`MultipartConfig`]: the limits and spooling of multipart uploads.

use std::path::PathBuf;

/// How multipart bodies are read: per-part and count limits, and where file parts spool.
///
/// Put one in the app's state to change the defaults for every route
/// (`App::new().state(MultipartConfig::default().max_parts(10))`); without one, the defaults
/// hold. The limit on the whole body is the route's body limit (`App::body_limit`, or
/// `body_limit = ..` on the route), as for every body extractor.
///
/// ```
/// use oxapi::MultipartConfig;
///
/// let config = MultipartConfig::default()
///     .part_limit(50 * 1024 * 1024)
///     .max_parts(4)
///     .spool_threshold(64 * 1024)
///     .spool_dir("/var/tmp/uploads");
/// assert_eq!(config.max_parts_value(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct MultipartConfig {
    part_limit: u64,
    max_parts: usize,
    spool_threshold: usize,
    spool_dir: Option<PathBuf>,
}

/// The default limit on one part: 1 GiB (the route's body limit usually binds first).
pub const DEFAULT_PART_LIMIT: u64 = 1024 * 1024 * 1024;
/// The default number of parts a body may have.
pub const DEFAULT_MAX_PARTS: usize = 100;
/// The default size past which an [`UploadFile`](crate::UploadFile) moves to a temporary file:
/// 1 MiB, as FastAPI's `SpooledTemporaryFile`.
pub const DEFAULT_SPOOL_THRESHOLD: usize = 1024 * 1024;

impl Default for MultipartConfig {
    fn default() -> Self {
        Self {
            part_limit: DEFAULT_PART_LIMIT,
            max_parts: DEFAULT_MAX_PARTS,
            spool_threshold: DEFAULT_SPOOL_THRESHOLD,
            spool_dir: None,
        }
    }
}

impl MultipartConfig {
    /// The largest part, in bytes; a part over it is refused with 413.
    #[must_use]
    pub fn part_limit(mut self, bytes: u64) -> Self {
        self.part_limit = bytes;
        self
    }

    /// The most parts a body may have; one more is refused with 413.
    #[must_use]
    pub fn max_parts(mut self, parts: usize) -> Self {
        self.max_parts = parts;
        self
    }

    /// The size past which an [`UploadFile`](crate::UploadFile) is written to a temporary
    /// file instead of kept in memory. `0` spools every file.
    #[must_use]
    pub fn spool_threshold(mut self, bytes: usize) -> Self {
        self.spool_threshold = bytes;
        self
    }

    /// The directory temporary files are made in (default: the system's temporary directory).
    #[must_use]
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool_dir = Some(dir.into());
        self
    }

    /// The largest part, in bytes.
    pub fn part_limit_value(&self) -> u64 {
        self.part_limit
    }

    /// The most parts a body may have.
    pub fn max_parts_value(&self) -> usize {
        self.max_parts
    }

    /// The size past which a file part spools to disk.
    pub fn spool_threshold_value(&self) -> usize {
        self.spool_threshold
    }

    /// The directory temporary files are made in.
    pub fn spool_dir_value(&self) -> PathBuf {
        self.spool_dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}
