//! The conditional-request cache (`--cache-dir`): GETs carry the `ETag` of the last answer in
//! `If-None-Match`, and a `304 Not Modified`, which GitHub does not count against the rate
//! limit, is answered from disk. Listings sort oldest first, so on a rerun only the pages that
//! really changed cost a request.
//!
//! One entry is two files named by a hash of the URL: the body, and a small JSON with the URL,
//! the `ETag` and the `Link` header (a 304 need not repeat it). Both are written atomically;
//! an entry whose URL does not match (a hash collision) or that cannot be read is a miss.
//! An entry whose body is not JSON (truncated by a full disk, a crash, a bad answer) is
//! removed and is a miss, so the request goes out without `If-None-Match` and its fresh
//! answer replaces it: one bad entry never fails every later run.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::pages::write_atomic;

/// A cached answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its `ETag`.
    pub etag: String,
    /// Its `Link` header, if any.
    pub link: Option<String>,
    /// Its body.
    pub body: Bytes,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    url: String,
    etag: String,
    link: Option<String>,
}

/// A cache directory.
#[derive(Debug, Clone)]
pub struct EtagCache {
    dir: PathBuf,
}

impl EtagCache {
    /// A cache in `dir` (created on first store).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        EtagCache { dir: dir.into() }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn paths(&self, url: &str) -> (PathBuf, PathBuf) {
        let hash = file_hash(url.as_bytes());
        (
            self.dir.join(format!("{hash:016x}.json")),
            self.dir.join(format!("{hash:016x}.body")),
        )
    }

    /// The entry for `url`, if there is a readable one whose body is JSON.
    pub fn get(&self, url: &str) -> Option<Entry> {
        let (meta_path, body_path) = self.paths(url);
        let meta: Meta = serde_json::from_slice(&std::fs::read(&meta_path).ok()?).ok()?;
        if meta.url != url {
            return None;
        }
        let body = std::fs::read(&body_path).ok()?;
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
            tracing::warn!(url, error = %e, "cached body is not JSON: entry dropped, asking afresh");
            // Meta first: without it the body is never trusted again.
            let _ = std::fs::remove_file(&meta_path);
            let _ = std::fs::remove_file(&body_path);
            return None;
        }
        Some(Entry {
            etag: meta.etag,
            link: meta.link,
            body: Bytes::from(body),
        })
    }

    /// Store an answer. A failure is logged, never fatal: the cache only saves requests.
    pub fn put(&self, url: &str, etag: &str, link: Option<&str>, body: &[u8]) {
        let (meta_path, body_path) = self.paths(url);
        let meta = Meta {
            url: url.to_owned(),
            etag: etag.to_owned(),
            link: link.map(str::to_owned),
        };
        let stored = serde_json::to_vec(&meta)
            .map_err(|e| crate::Error::Io {
                action: "serialising",
                path: url.to_owned(),
                source: std::io::Error::other(e),
            })
            // Body first: a reader only trusts a body its meta points at.
            .and_then(|meta| {
                write_atomic(&body_path, body).and_then(|()| write_atomic(&meta_path, &meta))
            });
        if let Err(e) = stored {
            tracing::warn!(error = %e, "could not store a cache entry");
        }
    }
}

/// FNV-1a, 64 bits, of `bytes`: a name for a cache file, stable across builds and platforms
/// (unlike std's hasher). Not a defence against collisions: a reader checks what it reads.
pub(crate) fn file_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EtagCache::new(dir.path().join("c"));
        assert_eq!(cache.get("https://x/a"), None);
        cache.put(
            "https://x/a",
            "W/\"1\"",
            Some("<https://x/b>; rel=\"next\""),
            b"[1]",
        );
        let entry = cache.get("https://x/a").unwrap();
        assert_eq!(
            (entry.etag.as_str(), entry.body.as_ref()),
            ("W/\"1\"", &b"[1]"[..])
        );
        assert_eq!(entry.link.as_deref(), Some("<https://x/b>; rel=\"next\""));
        assert_eq!(cache.get("https://x/other"), None);
        cache.put("https://x/a", "W/\"2\"", None, b"[2]");
        assert_eq!(cache.get("https://x/a").unwrap().body.as_ref(), b"[2]");
    }

    #[test]
    fn an_entry_whose_body_is_not_json_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EtagCache::new(dir.path());
        cache.put("https://x/a", "\"1\"", None, br#"[{"number": 1}]"#);
        let (meta, body) = cache.paths("https://x/a");
        std::fs::write(&body, br#"[{"numb"#).unwrap();
        assert_eq!(cache.get("https://x/a"), None);
        assert!(!meta.exists() && !body.exists(), "both files removed");
        cache.put("https://x/a", "\"2\"", None, b"[]");
        assert_eq!(cache.get("https://x/a").unwrap().etag, "\"2\"");
    }
}
