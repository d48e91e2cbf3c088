//! The pages directory (a checkout of gh-pages): telemetry files and the dashboard.
//!
//! Where a file goes is decided in one place, [`Layout::path`], a function of the repository,
//! the component and the run id. Today's layout ([`Layout::Single`]) is one repository per
//! pages tree: `<pages>/telemetry/<component>-<run-id>.json` and `<pages>/dashboard/…`.
//!
//! Writes are atomic: a temporary file in the same directory, then a rename (or, for
//! telemetry, a hard link, which fails rather than overwrite: an existing telemetry file is
//! never replaced). Reading skips malformed files with a warning, so one bad file never blanks
//! the dashboard.
//!
//! A pages tree is a checkout anyone with push access to gh-pages can shape, so it is not
//! trusted (CONTRACT.md section 4): [`Pages::check_usable`] refuses an unusable tree before
//! any API work; `telemetry/` and `dashboard/` are written only when they are real
//! directories inside the tree and never through a symlink; only regular files are read, up
//! to a size cap, through a symlink only when it stays inside the tree; and a telemetry file
//! that finished in the future (by more than [`CLOCK_SKEW`]) is never the latest.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{ConfigError, RepoSlug};
use crate::error::{Error, Result};
use crate::telemetry::{
    Component, Envelope, Fields, Figures, LIST_LIMIT, Omitted, PIECE_LIMIT, Piece, SCHEMA_VERSION,
    Telemetry, stored_figures,
};

/// The most a telemetry file may hold; a bigger one is skipped with a warning, unread.
pub const TELEMETRY_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// The most `dashboard/dashboard.json` may hold (six latest documents and their history); a
/// bigger previous dashboard is not read.
pub const DASHBOARD_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How far past `now` a telemetry file's `finished_at` may be (clocks of runners differ)
/// before the file is ignored when choosing the latest.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// A valid telemetry file, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Its envelope.
    pub envelope: Envelope,
    /// Its headline figures, from its typed fields.
    pub figures: Figures,
    /// The document as written (fields a newer writer added included), for the dashboard.
    pub document: Value,
}

impl Stored {
    /// The document as its component's typed telemetry.
    pub fn read<F: Fields>(&self) -> std::result::Result<Telemetry<F>, String> {
        Telemetry::from_value(&self.document)
    }
}

/// A telemetry file found on disk.
#[derive(Debug, Clone)]
pub struct StoredTelemetry {
    /// Its path.
    pub path: PathBuf,
    /// Its component (from the file name).
    pub component: Component,
    /// The file read back as its component's telemetry, or why it is unusable.
    pub content: std::result::Result<Stored, String>,
}

impl StoredTelemetry {
    /// `finished_at`, when the file is valid.
    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.content.as_ref().ok().map(|s| s.envelope.finished_at)
    }

    /// True when the file is valid and says it finished after `now` + [`CLOCK_SKEW`]: it is
    /// not trusted as the latest (else it would stay the latest until that date).
    pub fn from_the_future(&self, now: DateTime<Utc>) -> bool {
        self.finished_at().is_some_and(|at| at > now + CLOCK_SKEW)
    }

    /// The file name.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// A place in a repository's part of the pages tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagesPath<'a> {
    /// The directory of the telemetry files.
    TelemetryDir,
    /// One run's telemetry file: `<component>-<run-id>.json`.
    Telemetry {
        /// The component that ran.
        component: Component,
        /// The run id (with a `-rN` suffix for a rerun that found the name taken).
        run_id: &'a str,
    },
    /// The directory of the dashboard page and its data.
    DashboardDir,
    /// The dashboard's data, `dashboard.json`.
    Dashboard,
    /// The directory of the pieces of bounded lists, `dashboard/details`.
    DetailsDir,
    /// One piece of a bounded list: `dashboard/details/<component>-<list>-<index>.json`.
    Piece {
        /// The component whose list it is.
        component: Component,
        /// The list's name (`details`, `main`, …).
        list: &'a str,
        /// Its place, from 1.
        index: u64,
    },
}

/// How a pages tree is laid out: the one place that says where a repository's files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One repository per pages tree, at its root: `telemetry/<component>-<run-id>.json`,
    /// `dashboard/dashboard.json` (CONTRACT.md section 4).
    #[default]
    Single,
    /// Several repositories per pages tree, each in its own subtree `<owner>/<name>/`, the
    /// organisation overview at the root (CONTRACT.md section 4).
    PerRepository,
}

impl Layout {
    /// Where `place` of `repo` lives, relative to the root of the pages tree, with `/` between
    /// segments (the same string names the file on the gh-pages branch).
    pub fn path(self, repo: &RepoSlug, place: PagesPath<'_>) -> String {
        let base = match self {
            // One repository per tree: its files sit at the root. A tree for many repositories
            // gives each its own subtree here (`<owner>/<name>/`), and nowhere else.
            Layout::Single => String::new(),
            Layout::PerRepository => format!("{}/{}/", repo.owner, repo.name),
        };
        match place {
            PagesPath::TelemetryDir => format!("{base}telemetry"),
            PagesPath::Telemetry { component, run_id } => {
                format!("{base}telemetry/{}-{run_id}.json", component.name())
            }
            PagesPath::DashboardDir => format!("{base}dashboard"),
            PagesPath::Dashboard => format!("{base}dashboard/dashboard.json"),
            PagesPath::DetailsDir => format!("{base}dashboard/details"),
            PagesPath::Piece {
                component,
                list,
                index,
            } => format!(
                "{base}dashboard/details/{}-{list}-{index}.json",
                component.name()
            ),
        }
    }
}

/// A repository's part of a pages directory.
#[derive(Debug, Clone)]
pub struct Pages {
    root: PathBuf,
    repo: RepoSlug,
    layout: Layout,
    now: DateTime<Utc>,
}

impl Pages {
    /// The pages directory at `root` (created on first write) for `repo`, in today's layout,
    /// read as of `now` (a telemetry file finished after `now` + [`CLOCK_SKEW`] is never the
    /// latest).
    pub fn new(root: impl Into<PathBuf>, repo: RepoSlug, now: DateTime<Utc>) -> Self {
        Pages {
            root: root.into(),
            repo,
            layout: Layout::Single,
            now,
        }
    }

    /// The pages of a configuration's repository, in its layout.
    pub fn of(config: &crate::Config, now: DateTime<Utc>) -> Self {
        Pages {
            layout: config.layout,
            ..Pages::new(config.pages_dir.clone(), config.repo.clone(), now)
        }
    }

    /// The tree can take this run's files: the root exists (or is created) and is a writable
    /// directory (a probe file is created and removed), and `telemetry/` and `dashboard/`, where
    /// present, are writable directories inside the tree, not symlinks. Checked before any API
    /// work: an unusable tree is bad configuration (exit 2), not a run that loses its telemetry.
    pub fn check_usable(&self) -> std::result::Result<(), ConfigError> {
        let reject = |message: String| ConfigError {
            subject: format!("--pages-dir / {}", crate::env::CODEX_PAGES_DIR),
            message,
        };
        let root = &self.root;
        match fs::metadata(root) {
            Ok(meta) if !meta.is_dir() => {
                return Err(reject(format!(
                    "{} is {}, not a directory",
                    root.display(),
                    kind(&meta.file_type())
                )));
            }
            Ok(_) => {}
            // Missing (or under something that is not a directory): create it, or say why not.
            Err(_) => {
                fs::create_dir_all(root)
                    .map_err(|e| reject(format!("{} cannot be created: {e}", root.display())))?;
            }
        }
        probe(root).map_err(|e| reject(format!("{} is not writable: {e}", root.display())))?;
        for place in [PagesPath::TelemetryDir, PagesPath::DashboardDir] {
            let dir = self.path(place);
            match fs::symlink_metadata(&dir) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(reject(format!("{} cannot be read: {e}", dir.display()))),
                Ok(_) => {}
            }
            self.inside_dir(&dir).map_err(reject)?;
            probe(&dir).map_err(|e| reject(format!("{} is not writable: {e}", dir.display())))?;
        }
        Ok(())
    }

    /// The root of the pages tree.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The repository whose files these are.
    pub fn repo(&self) -> &RepoSlug {
        &self.repo
    }

    /// `place` on disk: the root joined with [`Pages::relative`].
    pub fn path(&self, place: PagesPath<'_>) -> PathBuf {
        self.root.join(self.relative(place))
    }

    /// `place` relative to the root, `/`-separated: its path on the gh-pages branch.
    pub fn relative(&self, place: PagesPath<'_>) -> String {
        self.layout.path(&self.repo, place)
    }

    /// The directory of the telemetry files (`<root>/telemetry`).
    pub fn telemetry_dir(&self) -> PathBuf {
        self.path(PagesPath::TelemetryDir)
    }

    /// One run's telemetry file (`<root>/telemetry/<component>-<run-id>.json`).
    pub fn telemetry_path(&self, component: Component, run_id: &str) -> PathBuf {
        self.path(PagesPath::Telemetry { component, run_id })
    }

    /// The dashboard's directory (`<root>/dashboard`).
    pub fn dashboard_dir(&self) -> PathBuf {
        self.path(PagesPath::DashboardDir)
    }

    /// The dashboard's data (`<root>/dashboard/dashboard.json`).
    pub fn dashboard_path(&self) -> PathBuf {
        self.path(PagesPath::Dashboard)
    }

    /// Write a run's telemetry at [`Pages::telemetry_path`]. When that name is taken (a rerun
    /// with the same id), the run id gets `-r2`, `-r3`, …: nothing is overwritten.
    /// `telemetry/` must be a real directory inside the tree (it is created when missing).
    pub fn write_telemetry<F: Serialize>(&self, telemetry: &Telemetry<F>) -> Result<PathBuf> {
        let component = telemetry.envelope.component;
        let run_id = &telemetry.envelope.run_id;
        let bytes = to_json(telemetry)?;
        self.ensure_dir(PagesPath::TelemetryDir)?;
        for attempt in 1..=100 {
            let path = if attempt == 1 {
                self.telemetry_path(component, run_id)
            } else {
                self.telemetry_path(component, &format!("{run_id}-r{attempt}"))
            };
            if write_new(&path, &bytes)? {
                return Ok(path);
            }
        }
        Err(Error::Io {
            action: "finding a free telemetry file name for",
            path: self.telemetry_path(component, run_id).display().to_string(),
            source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        })
    }

    /// Replace [`Pages::dashboard_path`] with `bytes`, atomically, as
    /// [`Pages::write_dashboard_file`] does.
    pub fn write_dashboard_data(&self, bytes: &[u8]) -> Result<PathBuf> {
        self.replace_in_dashboard(self.dashboard_path(), bytes)
    }

    /// Replace `dashboard/<name>` (a page file) with `bytes`, atomically. `dashboard/` must be
    /// a real directory inside the tree (it is created when missing), and the file must not be
    /// a symlink or anything but a regular file: the tree is never written through a symlink.
    pub fn write_dashboard_file(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        self.replace_in_dashboard(self.dashboard_dir().join(name), bytes)
    }

    /// Write `rest`, the entries a bounded list of `component` left out (in the list's order,
    /// after its first [`LIST_LIMIT`]), as piece files of at most [`PIECE_LIMIT`] entries each,
    /// each carrying `run_id`, replacing the previous run's atomically; pieces of the list
    /// beyond the new count (a previous run's) are deleted. Every string passes the redaction
    /// point, as telemetry does. Gives back what the telemetry says beside the list.
    pub fn write_pieces<T: Serialize>(
        &self,
        component: Component,
        list: &str,
        run_id: &str,
        rest: &[T],
    ) -> Result<Omitted> {
        let pieces = Omitted::pieces_for(rest.len());
        let redactor = crate::redact::redactor();
        for (i, chunk) in rest.chunks(PIECE_LIMIT).enumerate() {
            let index = i as u64 + 1;
            let path = self.path(PagesPath::Piece {
                component,
                list,
                index,
            });
            let piece = Piece {
                schema_version: SCHEMA_VERSION,
                component,
                list: list.to_owned(),
                run_id: run_id.to_owned(),
                piece: index,
                pieces,
                offset: (LIST_LIMIT + i * PIECE_LIMIT) as u64,
                entries: chunk.iter().collect::<Vec<&T>>(),
            };
            let mut value = serde_json::to_value(&piece).map_err(|e| Error::Io {
                action: "serialising",
                path: path.display().to_string(),
                source: std::io::Error::other(e),
            })?;
            crate::redact::scrub_json(&redactor, &mut value);
            // Compact: pieces are read by the page only, and they are most of a run's bytes.
            let mut bytes = value.to_string().into_bytes();
            bytes.push(b'\n');
            self.replace_in(PagesPath::DetailsDir, path, &bytes)?;
        }
        self.remove_pieces_after(component, list, pieces)?;
        Ok(Omitted {
            count: rest.len() as u64,
            pieces,
        })
    }

    /// The `omitted.count` entries of `component`'s `list` that run `run_id` wrote as
    /// `omitted.pieces` piece files ([`Pages::write_pieces`]), in order; or why they cannot be
    /// had: counts that do not agree, a piece missing, unreadable, not a piece of that list
    /// and run, out of place, or holding more than [`PIECE_LIMIT`] entries. A poisoned tree
    /// cannot make a reader hold more than the count says.
    pub fn read_pieces<T: serde::de::DeserializeOwned>(
        &self,
        component: Component,
        list: &str,
        run_id: &str,
        omitted: Omitted,
    ) -> std::result::Result<Vec<T>, String> {
        let pieces = omitted.pieces;
        let count = usize::try_from(omitted.count).unwrap_or(usize::MAX);
        if pieces != Omitted::pieces_for(count) {
            return Err(format!(
                "{count} entries do not make {pieces} pieces of {PIECE_LIMIT}"
            ));
        }
        let mut entries = Vec::with_capacity(count);
        for index in 1..=pieces {
            let place = PagesPath::Piece {
                component,
                list,
                index,
            };
            let name = self.relative(place);
            let bytes = self
                .read(place)
                .map_err(|e| format!("{name}: {e}"))?
                .ok_or_else(|| format!("{name} is missing"))?;
            let piece: Piece<T> =
                serde_json::from_slice(&bytes).map_err(|e| format!("{name}: {e}"))?;
            if piece.component != component
                || piece.list != list
                || piece.run_id != run_id
                || piece.piece != index
                || piece.pieces != pieces
                || piece.entries.len() > PIECE_LIMIT
                || entries.len() + piece.entries.len() > count
            {
                return Err(format!(
                    "{name} is not piece {index} of {pieces} of run {run_id}"
                ));
            }
            entries.extend(piece.entries);
        }
        if entries.len() != count {
            return Err(format!(
                "{} entries in the pieces, {count} in the telemetry",
                entries.len()
            ));
        }
        Ok(entries)
    }

    /// Delete the pieces of `component`'s `list` numbered above `keep` (a previous run's).
    fn remove_pieces_after(&self, component: Component, list: &str, keep: u64) -> Result<()> {
        let dir = self.path(PagesPath::DetailsDir);
        let Some(entries) = read_dir_if_present(&dir)? else {
            return Ok(());
        };
        let prefix = format!("{}-{list}-", component.name());
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let index = name
                .strip_prefix(&prefix)
                .and_then(|r| r.strip_suffix(".json"))
                .filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|k| k.parse::<u64>().ok());
            if index.is_some_and(|k| k > keep) {
                // A symlink is removed, never followed.
                fs::remove_file(entry.path()).map_err(|source| Error::Io {
                    action: "removing",
                    path: entry.path().display().to_string(),
                    source,
                })?;
            }
        }
        Ok(())
    }

    fn replace_in_dashboard(&self, path: PathBuf, bytes: &[u8]) -> Result<PathBuf> {
        self.replace_in(PagesPath::DashboardDir, path, bytes)
    }

    /// Replace `path`, a file of the directory `dir`, with `bytes`, atomically; refused when it
    /// is a symlink or anything but a regular file.
    fn replace_in(&self, dir: PagesPath<'_>, path: PathBuf, bytes: &[u8]) -> Result<PathBuf> {
        self.ensure_dir(dir)?;
        match fs::symlink_metadata(&path) {
            Ok(meta) if !meta.file_type().is_file() => {
                return Err(refuse(
                    &path,
                    format!("it is {}, not a regular file", kind(&meta.file_type())),
                ));
            }
            _ => {}
        }
        write_atomic(&path, bytes)?;
        Ok(path)
    }

    /// The bytes of `place` (a file: [`PagesPath::Telemetry`] or [`PagesPath::Dashboard`]),
    /// `Ok(None)` when it does not exist, or why it was not read: not a regular file, a
    /// symlink out of the tree, or more than its cap ([`TELEMETRY_MAX_BYTES`],
    /// [`DASHBOARD_MAX_BYTES`]).
    pub fn read(&self, place: PagesPath<'_>) -> std::result::Result<Option<Vec<u8>>, String> {
        let cap = match place {
            PagesPath::Dashboard => DASHBOARD_MAX_BYTES,
            _ => TELEMETRY_MAX_BYTES,
        };
        let path = self.path(place);
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("unreadable: {e}")),
            Ok(_) => {}
        }
        let root = fs::canonicalize(&self.root).map_err(|e| format!("unreadable: {e}"))?;
        read_regular(&path, &root, cap).map(Some)
    }

    /// Every telemetry file, valid or not, in file name order. A missing directory is an
    /// empty list; a `telemetry/` that leads out of the tree is an error. A file that is not a
    /// regular file, a symlink out of the tree, or more than [`TELEMETRY_MAX_BYTES`] is listed
    /// as unusable, unread.
    ///
    /// Every valid file's document is held: a reader that needs a few of them, or only their
    /// envelopes and figures, uses [`Pages::scan_each`] instead.
    pub fn scan(&self) -> Result<Vec<StoredTelemetry>> {
        let mut out = Vec::new();
        self.scan_each(|stored| out.push(stored))?;
        Ok(out)
    }

    /// [`Pages::scan`], one file at a time: each file is read, parsed and handed to `each`
    /// (in file name order) before the next is read, so what stays in memory is what `each`
    /// keeps.
    pub fn scan_each(&self, mut each: impl FnMut(StoredTelemetry)) -> Result<()> {
        self.scan_each_filtered(None, &mut each)
    }

    /// [`Pages::scan_each`] of the files of `only` (every component's when `None`).
    fn scan_each_filtered(
        &self,
        only: Option<Component>,
        each: &mut dyn FnMut(StoredTelemetry),
    ) -> Result<()> {
        let dir = self.telemetry_dir();
        match fs::symlink_metadata(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            _ => {}
        }
        let root = fs::canonicalize(&self.root).map_err(|source| Error::Io {
            action: "reading",
            path: self.root.display().to_string(),
            source,
        })?;
        // Read through a symlinked `telemetry/` only when it stays inside the tree.
        let real = fs::canonicalize(&dir).map_err(|source| Error::Io {
            action: "reading",
            path: dir.display().to_string(),
            source,
        })?;
        if !real.starts_with(&root) {
            return Err(refuse_read(&dir, "it leads out of the pages tree"));
        }
        let Some(entries) = read_dir_if_present(&dir)? else {
            return Ok(());
        };
        // The names first (small), sorted; then the files, one at a time.
        let mut files: Vec<(PathBuf, Component)> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let (component, _run) = Component::parse_file_name(&name)?;
                only.is_none_or(|c| c == component)
                    .then(|| (entry.path(), component))
            })
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, component) in files {
            let content = read_regular(&path, &root, TELEMETRY_MAX_BYTES)
                .and_then(|bytes| parse_telemetry(&bytes, component));
            each(StoredTelemetry {
                path,
                component,
                content,
            });
        }
        Ok(())
    }

    /// The latest valid telemetry of a component (by `finished_at`, then file name), and a
    /// warning for every malformed file of that component and every file from the future.
    pub fn latest(&self, component: Component) -> Result<(Option<StoredTelemetry>, Vec<String>)> {
        // Only the component's files are read, and only the latest so far is kept.
        let mut picker = Latest::new(component, self.now);
        self.scan_each_of(component, |stored| picker.offer(stored))?;
        Ok(picker.finish())
    }

    /// [`Pages::scan_each`] of one component's files: the others are not read.
    fn scan_each_of(
        &self,
        component: Component,
        mut each: impl FnMut(StoredTelemetry),
    ) -> Result<()> {
        self.scan_each_filtered(Some(component), &mut each)
    }

    /// [`Pages::latest`], typed: the latest valid telemetry of `F`'s component, and a warning
    /// for every malformed file of it.
    pub fn latest_typed<F: Fields>(&self) -> Result<(Option<Telemetry<F>>, Vec<String>)> {
        let (latest, mut warnings) = self.latest(F::COMPONENT)?;
        let typed = latest.and_then(|s| {
            match s
                .content
                .as_ref()
                .map_err(Clone::clone)
                .and_then(Stored::read)
            {
                Ok(t) => Some(t),
                Err(reason) => {
                    warnings.push(format!("skipped {}: {reason}", s.file_name()));
                    None
                }
            }
        });
        Ok((typed, warnings))
    }
}

/// Pick the latest valid file of `component` from a scan, as of `now`, with warnings for
/// malformed ones and for ones that finished after `now` + [`CLOCK_SKEW`] (ignored).
pub fn latest_of(
    scan: Vec<StoredTelemetry>,
    component: Component,
    now: DateTime<Utc>,
) -> (Option<StoredTelemetry>, Vec<String>) {
    let mut picker = Latest::new(component, now);
    for stored in scan {
        picker.offer(stored);
    }
    picker.finish()
}

/// [`latest_of`], fed one file at a time: it keeps the latest valid file of its component
/// offered so far (the others are dropped when offered) and the warnings, in the order the
/// files came.
#[derive(Debug)]
pub struct Latest {
    component: Component,
    now: DateTime<Utc>,
    best: Option<StoredTelemetry>,
    warnings: Vec<String>,
}

impl Latest {
    /// Nothing offered yet: the latest of `component` as of `now`.
    pub fn new(component: Component, now: DateTime<Utc>) -> Self {
        Latest {
            component,
            now,
            best: None,
            warnings: Vec::new(),
        }
    }

    /// Consider `stored` (a file of another component is ignored).
    pub fn offer(&mut self, stored: StoredTelemetry) {
        if stored.component != self.component {
            return;
        }
        match &stored.content {
            Err(reason) => self
                .warnings
                .push(format!("skipped {}: {reason}", stored.file_name())),
            Ok(s) if stored.from_the_future(self.now) => self.warnings.push(format!(
                "ignored {}: it says it finished at {}, in the future",
                stored.file_name(),
                s.envelope.finished_at.to_rfc3339()
            )),
            Ok(_) => {
                let newer = match &self.best {
                    None => true,
                    Some(b) => {
                        (stored.finished_at(), stored.file_name())
                            > (b.finished_at(), b.file_name())
                    }
                };
                if newer {
                    self.best = Some(stored);
                }
            }
        }
    }

    /// The latest valid file offered, and the warnings.
    pub fn finish(self) -> (Option<StoredTelemetry>, Vec<String>) {
        (self.best, self.warnings)
    }
}

/// Parse and check a telemetry document: JSON object, our schema version, the component its
/// file name says, a valid envelope, then the component's fields with their types (fields it
/// does not know are ignored).
pub fn parse_telemetry(bytes: &[u8], component: Component) -> std::result::Result<Stored, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    // Read from the tree in place: a clone of a big document only to read its envelope would
    // double the memory a file takes.
    let envelope = Envelope::deserialize(&value).map_err(|e| format!("bad envelope ({e})"))?;
    if envelope.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "schema_version {} (this build reads {SCHEMA_VERSION})",
            envelope.schema_version
        ));
    }
    if envelope.component != component {
        return Err(format!(
            "component {:?} in a {} file",
            envelope.component.name(),
            component.name()
        ));
    }
    let figures = stored_figures(component, &value)?;
    Ok(Stored {
        envelope,
        figures,
        document: value,
    })
}

/// Pretty JSON with a trailing newline.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Io {
        action: "serialising",
        path: "telemetry".into(),
        source: std::io::Error::other(e),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

impl Pages {
    /// `place`, a directory of the tree, created when missing; an error unless it is a real
    /// directory (not a symlink) inside the tree.
    fn ensure_dir(&self, place: PagesPath<'_>) -> Result<PathBuf> {
        let dir = self.path(place);
        create_dir(&self.root)?;
        // One level at a time from the root (`<owner>/<name>/telemetry` in a tree for several
        // repositories), never through a symlink: nothing is created outside the tree.
        let mut level = self.root.clone();
        for segment in self.relative(place).split('/') {
            level.push(segment);
            if let Err(e) = fs::create_dir(&level)
                && e.kind() != std::io::ErrorKind::AlreadyExists
            {
                return Err(Error::Io {
                    action: "creating",
                    path: level.display().to_string(),
                    source: e,
                });
            }
            if fs::symlink_metadata(&level).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(Error::Io {
                    action: "refusing to write into",
                    path: level.display().to_string(),
                    source: std::io::Error::other(
                        "a symlink: the pages tree is not written through symlinks",
                    ),
                });
            }
        }
        self.inside_dir(&dir).map_err(|reason| Error::Io {
            action: "refusing to write into",
            path: dir.display().to_string(),
            source: std::io::Error::other(reason),
        })?;
        Ok(dir)
    }

    /// `dir` exists and is a real directory (not a symlink) whose canonical path is inside the
    /// canonical root; or why not, one sentence.
    fn inside_dir(&self, dir: &Path) -> std::result::Result<(), String> {
        let meta = fs::symlink_metadata(dir)
            .map_err(|e| format!("{} cannot be read: {e}", dir.display()))?;
        if meta.file_type().is_symlink() {
            return Err(format!(
                "{} is a symlink: the pages tree is not written through symlinks",
                dir.display()
            ));
        }
        if !meta.is_dir() {
            return Err(format!(
                "{} is {}, not a directory",
                dir.display(),
                kind(&meta.file_type())
            ));
        }
        let root = fs::canonicalize(&self.root)
            .map_err(|e| format!("{} cannot be read: {e}", self.root.display()))?;
        let real =
            fs::canonicalize(dir).map_err(|e| format!("{} cannot be read: {e}", dir.display()))?;
        if !real.starts_with(&root) {
            return Err(format!("{} leads out of the pages tree", dir.display()));
        }
        Ok(())
    }
}

/// What a file system entry is, for messages: "a regular file", "a FIFO", ….
fn kind(file_type: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_symlink() {
        "a symlink"
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// The bytes of `path`, a regular file of at most `cap` bytes, reached directly or through a
/// symlink that resolves inside `root` (canonical); or why it was not read. The file's type is
/// checked before it is opened, so a FIFO or a device is never opened, and at most `cap` + 1
/// bytes are read, so a file that grows cannot exhaust memory.
pub(crate) fn read_regular(
    path: &Path,
    root: &Path,
    cap: u64,
) -> std::result::Result<Vec<u8>, String> {
    let link = fs::symlink_metadata(path).map_err(|e| format!("unreadable: {e}"))?;
    let target = if link.file_type().is_symlink() {
        let real = fs::canonicalize(path).map_err(|e| format!("a broken symlink ({e})"))?;
        if !real.starts_with(root) {
            return Err(format!(
                "a symlink out of the pages tree (to {}), not followed",
                real.display()
            ));
        }
        real
    } else {
        path.to_path_buf()
    };
    let meta = fs::metadata(&target).map_err(|e| format!("unreadable: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{}, not a regular file", kind(&meta.file_type())));
    }
    let too_big = |len: u64| format!("{len} bytes or more, over the cap of {cap} bytes: not read");
    if meta.len() > cap {
        return Err(too_big(meta.len()));
    }
    let file = fs::File::open(&target).map_err(|e| format!("unreadable: {e}"))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("unreadable: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Create and remove a probe file in `dir`: can this run write there?
/// The entries of `dir`, or `None` when it does not exist (nothing there yet).
fn read_dir_if_present(dir: &Path) -> Result<Option<fs::ReadDir>> {
    match fs::read_dir(dir) {
        Ok(entries) => Ok(Some(entries)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            action: "reading",
            path: dir.display().to_string(),
            source,
        }),
    }
}

fn probe(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(format!(
        ".codex-probe-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    fs::remove_file(&path)
}

fn refuse(path: &Path, reason: impl Into<String>) -> Error {
    Error::Io {
        action: "refusing to write",
        path: path.display().to_string(),
        source: std::io::Error::other(reason.into()),
    }
}

fn refuse_read(path: &Path, reason: impl Into<String>) -> Error {
    Error::Io {
        action: "refusing to read",
        path: path.display().to_string(),
        source: std::io::Error::other(reason.into()),
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|source| Error::Io {
        action: "creating",
        path: dir.display().to_string(),
        source,
    })
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    path.with_file_name(unique)
}

fn write_temp(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    let tmp = temp_path(path);
    let io = |source| Error::Io {
        action: "writing",
        path: tmp.display().to_string(),
        source,
    };
    // A fresh name, never an existing file or a symlink planted under it.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(tmp)
}

/// Atomically replace `path` with `bytes` (temp file + rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = write_temp(path, bytes)?;
    fs::rename(&tmp, path).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        Error::Io {
            action: "renaming into",
            path: path.display().to_string(),
            source,
        }
    })
}

/// Atomically create `path` with `bytes`, never replacing an existing file. `Ok(false)` when
/// the file already exists.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<bool> {
    let tmp = write_temp(path, bytes)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(source) => Err(Error::Io {
            action: "creating",
            path: path.display().to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::CleanerFields;

    fn widgets() -> RepoSlug {
        RepoSlug::parse("acme/widgets").unwrap()
    }

    /// The tests' "now": after every date the tests' files carry but the one from the future.
    fn now() -> DateTime<Utc> {
        "2026-03-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_single_layout_is_the_contracts() {
        let pages = Pages::new("/srv/pages", widgets(), now());
        assert_eq!(pages.repo(), &widgets());
        assert_eq!(
            pages.telemetry_path(Component::SelfTest, "42-2"),
            Path::new("/srv/pages/telemetry/self-test-42-2.json")
        );
        assert_eq!(pages.telemetry_dir(), Path::new("/srv/pages/telemetry"));
        assert_eq!(pages.dashboard_dir(), Path::new("/srv/pages/dashboard"));
        assert_eq!(
            pages.dashboard_path(),
            Path::new("/srv/pages/dashboard/dashboard.json")
        );
        // The relative form names the same files on the gh-pages branch.
        let other = RepoSlug::parse("octo/tools").unwrap();
        assert_eq!(
            Layout::Single.path(&other, PagesPath::TelemetryDir),
            "telemetry"
        );
        // Every file a component writes parses back to its component and run id.
        for component in Component::ALL {
            let path = pages.telemetry_path(component, "20261123T000000Z");
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert_eq!(
                Component::parse_file_name(&name),
                Some((component, "20261123T000000Z"))
            );
        }
    }

    fn telemetry(component: Component, run: &str, finished: &str) -> Telemetry<CleanerFields> {
        Telemetry {
            envelope: crate::telemetry::test_envelope(component, run, finished),
            fields: CleanerFields::default(),
        }
    }

    #[test]
    fn never_overwrites_a_telemetry_file() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        let first = pages
            .write_telemetry(&telemetry(Component::Cleaner, "7", "2026-01-01T00:00:00Z"))
            .unwrap();
        let original = fs::read(&first).unwrap();
        let second = pages
            .write_telemetry(&telemetry(Component::Cleaner, "7", "2026-01-02T00:00:00Z"))
            .unwrap();
        assert_eq!(first.file_name().unwrap(), "cleaner-7.json");
        assert_eq!(second.file_name().unwrap(), "cleaner-7-r2.json");
        assert_eq!(fs::read(&first).unwrap(), original);
        let leftovers: Vec<_> = fs::read_dir(pages.telemetry_dir())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn latest_by_finished_at_skipping_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        pages
            .write_telemetry(&telemetry(Component::Cleaner, "b", "2026-01-01T00:00:00Z"))
            .unwrap();
        pages
            .write_telemetry(&telemetry(Component::Cleaner, "a", "2026-01-03T00:00:00Z"))
            .unwrap();
        pages
            .write_telemetry(&telemetry(Component::Sync, "z", "2026-01-09T00:00:00Z"))
            .unwrap();
        fs::write(pages.telemetry_dir().join("cleaner-zzz.json"), b"{not json").unwrap();
        fs::write(pages.telemetry_dir().join("cleaner-yyy.json"), b"[1,2]").unwrap();
        // A sync document in a cleaner file is not the cleaner's.
        let wrong = to_json(&telemetry(Component::Sync, "x", "2026-02-01T00:00:00Z")).unwrap();
        fs::write(pages.telemetry_dir().join("cleaner-x.json"), wrong).unwrap();
        fs::write(pages.telemetry_dir().join("notes.txt"), b"ignored").unwrap();

        let (latest, warnings) = pages.latest(Component::Cleaner).unwrap();
        assert_eq!(latest.unwrap().file_name(), "cleaner-a.json");
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("cleaner-zzz.json") && w.contains("not JSON"))
        );
        let (none, _) = pages.latest(Component::Activity).unwrap();
        assert!(none.is_none());
    }

    #[test]
    fn latest_typed_reads_the_components_fields_and_skips_files_missing_them() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        let mut cleaner = telemetry(Component::Cleaner, "old", "2026-01-01T00:00:00Z");
        cleaner.fields.kept = vec![9];
        pages.write_telemetry(&cleaner).unwrap();
        // Newer, but only an envelope: not cleaner telemetry.
        let envelope_only = to_json(&cleaner.envelope).unwrap();
        fs::write(
            pages.telemetry_dir().join("cleaner-new.json"),
            envelope_only,
        )
        .unwrap();

        let (latest, warnings) = pages.latest_typed::<CleanerFields>().unwrap();
        assert_eq!(latest.unwrap().fields.kept, vec![9]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("cleaner-new.json") && warnings[0].contains("missing field"),
            "{warnings:?}"
        );
    }

    #[test]
    fn an_unusable_pages_dir_is_bad_configuration() {
        let dir = tempfile::tempdir().unwrap();
        // A missing tree is created.
        let fresh = dir.path().join("new/pages");
        Pages::new(&fresh, widgets(), now()).check_usable().unwrap();
        assert!(fresh.is_dir());
        // A file, and a path under a file (the test runs as root, whom permission bits do not
        // stop: a path under a regular file is what cannot be written by anyone).
        let file = dir.path().join("file");
        fs::write(&file, b"x").unwrap();
        for (root, says) in [
            (file.clone(), "a regular file, not a directory"),
            (file.join("pages"), "cannot be created"),
            (file.join("pages/deeper"), "cannot be created"),
        ] {
            let e = Pages::new(&root, widgets(), now())
                .check_usable()
                .unwrap_err();
            assert_eq!(e.subject, "--pages-dir / CODEX_PAGES_DIR");
            assert!(e.message.contains(says), "{root:?}: {e}");
            assert!(!e.to_string().contains('\n'));
        }
        // No probe file is left behind.
        let names: Vec<_> = fs::read_dir(&fresh).unwrap().flatten().collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_telemetry_or_dashboard_dir_is_refused_and_nothing_written_outside() {
        let outside = tempfile::tempdir().unwrap();
        for place in ["telemetry", "dashboard"] {
            let dir = tempfile::tempdir().unwrap();
            let pages = Pages::new(dir.path(), widgets(), now());
            std::os::unix::fs::symlink(outside.path(), dir.path().join(place)).unwrap();
            let e = pages.check_usable().unwrap_err();
            assert!(e.message.contains("is a symlink"), "{e}");
            let written = if place == "telemetry" {
                pages
                    .write_telemetry(&telemetry(Component::Cleaner, "7", "2026-01-01T00:00:00Z"))
                    .map(|_| ())
            } else {
                pages
                    .write_dashboard_data(b"{}")
                    .and_then(|_| pages.write_dashboard_file("index.html", b"<html>"))
                    .map(|_| ())
            };
            let e = written.unwrap_err().to_string();
            assert!(e.contains("symlink"), "{e}");
        }
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);

        // A dashboard file that is a symlink is not written through either.
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        let target = outside.path().join("victim");
        fs::write(&target, b"keep").unwrap();
        fs::create_dir(pages.dashboard_dir()).unwrap();
        std::os::unix::fs::symlink(&target, pages.dashboard_dir().join("app.js")).unwrap();
        let e = pages.write_dashboard_file("app.js", b"evil").unwrap_err();
        assert!(
            e.to_string().contains("a symlink, not a regular file"),
            "{e}"
        );
        assert_eq!(fs::read(&target).unwrap(), b"keep");
        // A telemetry file name taken by a symlink is never written through: the run takes
        // the next free name.
        fs::create_dir(pages.telemetry_dir()).unwrap();
        std::os::unix::fs::symlink(&target, pages.telemetry_dir().join("cleaner-7.json")).unwrap();
        let written = pages
            .write_telemetry(&telemetry(Component::Cleaner, "7", "2026-01-01T00:00:00Z"))
            .unwrap();
        assert_eq!(written.file_name().unwrap(), "cleaner-7-r2.json");
        assert_eq!(fs::read(&target).unwrap(), b"keep");
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_inside_the_tree_are_read_and_only_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        pages
            .write_telemetry(&telemetry(
                Component::Cleaner,
                "good",
                "2026-01-01T00:00:00Z",
            ))
            .unwrap();
        let tdir = pages.telemetry_dir();
        // A FIFO: its type is checked before it is opened, so the scan cannot hang on it.
        let fifo = tdir.join("cleaner-fifo.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // A symlink out of the tree (to an endless device), a directory, an oversized file
        // (sparse: no disk used) and a symlink to a valid file inside the tree.
        std::os::unix::fs::symlink("/dev/zero", tdir.join("cleaner-zero.json")).unwrap();
        fs::create_dir(tdir.join("cleaner-dir.json")).unwrap();
        let big = fs::File::create(tdir.join("cleaner-big.json")).unwrap();
        big.set_len(TELEMETRY_MAX_BYTES + 1).unwrap();
        let kept = dir.path().join("kept.json");
        fs::write(
            &kept,
            to_json(&telemetry(
                Component::Cleaner,
                "inside",
                "2026-01-02T00:00:00Z",
            ))
            .unwrap(),
        )
        .unwrap();
        std::os::unix::fs::symlink(&kept, tdir.join("cleaner-inside.json")).unwrap();

        let (latest, warnings) = pages.latest(Component::Cleaner).unwrap();
        assert_eq!(latest.unwrap().file_name(), "cleaner-inside.json");
        let said = |name: &str, what: &str| {
            assert!(
                warnings
                    .iter()
                    .any(|w| w.contains(name) && w.contains(what)),
                "{name}: {what} not in {warnings:?}"
            );
        };
        said("cleaner-fifo.json", "a FIFO, not a regular file");
        said("cleaner-zero.json", "a symlink out of the pages tree");
        said("cleaner-dir.json", "a directory, not a regular file");
        said("cleaner-big.json", "over the cap");
        assert_eq!(warnings.len(), 4, "{warnings:?}");

        // The previous dashboard is read the same way.
        fs::create_dir(pages.dashboard_dir()).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(pages.dashboard_path())
            .status()
            .unwrap();
        assert!(made.success());
        let e = pages.read(PagesPath::Dashboard).unwrap_err();
        assert!(e.contains("FIFO"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_telemetry_dir_is_read_only_inside_the_tree() {
        let outside = tempfile::tempdir().unwrap();
        let away = Pages::new(outside.path(), widgets(), now());
        away.write_telemetry(&telemetry(Component::Cleaner, "x", "2026-01-01T00:00:00Z"))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        std::os::unix::fs::symlink(away.telemetry_dir(), pages.telemetry_dir()).unwrap();
        let e = pages.scan().unwrap_err().to_string();
        assert!(e.contains("leads out of the pages tree"), "{e}");

        // Inside the tree it is followed.
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        let real = dir.path().join("archive");
        Pages::new(&real, widgets(), now())
            .write_telemetry(&telemetry(Component::Cleaner, "x", "2026-01-01T00:00:00Z"))
            .unwrap();
        std::os::unix::fs::symlink(real.join("telemetry"), pages.telemetry_dir()).unwrap();
        assert_eq!(pages.scan().unwrap().len(), 1);
    }

    #[test]
    fn a_file_from_the_future_is_never_the_latest() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        for (run, finished) in [
            ("past", "2026-02-28T00:00:00Z"),
            // Within the allowance for clock skew: trusted.
            ("skewed", "2026-03-01T00:04:00Z"),
            ("future", "2026-03-01T00:06:00Z"),
            ("far", "2099-01-01T00:00:00Z"),
        ] {
            pages
                .write_telemetry(&telemetry(Component::Cleaner, run, finished))
                .unwrap();
        }
        let (latest, warnings) = pages.latest(Component::Cleaner).unwrap();
        assert_eq!(latest.unwrap().file_name(), "cleaner-skewed.json");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("cleaner-far.json") && w.contains("in the future")),
            "{warnings:?}"
        );
        // Read later, the same file is trusted.
        let later = Pages::new(
            dir.path(),
            widgets(),
            "2099-01-01T00:00:00Z".parse().unwrap(),
        );
        let (latest, warnings) = later.latest(Component::Cleaner).unwrap();
        assert_eq!(latest.unwrap().file_name(), "cleaner-far.json");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn pieces_are_read_back_only_as_the_telemetry_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        let rest: Vec<u64> = (0..1500).collect();
        let omitted = pages
            .write_pieces(Component::Integrity, "blocked_issues-main", "r1", &rest)
            .unwrap();
        let read = |run: &str, omitted: Omitted| {
            pages.read_pieces::<u64>(Component::Integrity, "blocked_issues-main", run, omitted)
        };
        assert_eq!(read("r1", omitted).unwrap(), rest);
        // Another run's pieces, or counts that do not agree, are refused.
        assert!(
            read("r2", omitted)
                .unwrap_err()
                .contains("is not piece 1 of 2 of run r2")
        );
        let bigger = Omitted {
            count: 1_000_000_000,
            pieces: 2,
        };
        assert!(
            read("r1", bigger)
                .unwrap_err()
                .contains("do not make 2 pieces")
        );
        let fewer = Omitted {
            count: 1400,
            pieces: 2,
        };
        assert!(
            read("r1", fewer)
                .unwrap_err()
                .contains("is not piece 2 of 2")
        );
        let more = Omitted {
            count: 1600,
            pieces: 2,
        };
        assert!(
            read("r1", more)
                .unwrap_err()
                .contains("1500 entries in the pieces, 1600")
        );
        // A piece of more than PIECE_LIMIT entries is refused, whatever the counts say.
        let path = pages.path(PagesPath::Piece {
            component: Component::Integrity,
            list: "blocked_issues-main",
            index: 1,
        });
        let mut piece: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        piece["entries"] = (0..1001u64).collect::<Vec<_>>().into();
        fs::write(&path, piece.to_string()).unwrap();
        let (count, pieces) = (2001, 3);
        assert!(read("r1", Omitted { count, pieces }).is_err());
        assert!(
            read("r1", omitted)
                .unwrap_err()
                .contains("is not piece 1 of 2")
        );
    }

    #[test]
    fn a_bounded_lists_rest_goes_to_pieces_replaced_each_run() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        let piece = |k: u64| {
            let path = pages.path(PagesPath::Piece {
                component: Component::Sync,
                list: "details",
                index: k,
            });
            serde_json::from_slice::<Value>(&fs::read(path).unwrap()).unwrap()
        };
        // 2,345 left out: three pieces of 1,000, 1,000 and 345, each with its place.
        let rest: Vec<u64> = (0..2345).collect();
        let omitted = pages
            .write_pieces(Component::Sync, "details", "run-1", &rest)
            .unwrap();
        assert_eq!(
            omitted,
            Omitted {
                count: 2345,
                pieces: 3
            }
        );
        let details = dir.path().join("dashboard/details");
        assert!(details.join("sync-details-3.json").is_file());
        let third = piece(3);
        assert_eq!(third["run_id"], "run-1");
        assert_eq!(third["component"], "sync");
        assert_eq!(third["list"], "details");
        assert_eq!(
            (third["piece"].clone(), third["pieces"].clone()),
            (3.into(), 3.into())
        );
        assert_eq!(third["offset"], LIST_LIMIT + 2 * PIECE_LIMIT);
        assert_eq!(third["entries"].as_array().unwrap().len(), 345);
        assert_eq!(third["entries"][0], 2000);
        // Another list's pieces and other files are left alone.
        pages
            .write_pieces(Component::Sync, "track_conflicts", "run-1", &[1u64])
            .unwrap();
        fs::write(details.join("sync-details-x.json"), b"{}").unwrap();
        // The next run has less to say: its pieces replace the old, the surplus goes.
        let omitted = pages
            .write_pieces(Component::Sync, "details", "run-2", &rest[..1500])
            .unwrap();
        assert_eq!(omitted.pieces, 2);
        assert_eq!(piece(2)["run_id"], "run-2");
        assert_eq!(piece(2)["entries"].as_array().unwrap().len(), 500);
        assert!(!details.join("sync-details-3.json").exists());
        assert!(details.join("sync-track_conflicts-1.json").exists());
        assert!(details.join("sync-details-x.json").exists());
        // Nothing left out: no piece of the list remains.
        let omitted = pages
            .write_pieces::<u64>(Component::Sync, "details", "run-3", &[])
            .unwrap();
        assert_eq!(omitted, Omitted::default());
        assert!(!details.join("sync-details-1.json").exists());
        let leftovers: Vec<_> = fs::read_dir(&details)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_piece_is_never_written_through_a_symlink_and_strings_are_redacted() {
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("victim");
        fs::write(&target, b"keep").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        fs::create_dir_all(dir.path().join("dashboard/details")).unwrap();
        std::os::unix::fs::symlink(
            &target,
            dir.path().join("dashboard/details/activity-main-1.json"),
        )
        .unwrap();
        let e = pages
            .write_pieces(Component::Activity, "main", "r", &["x"])
            .unwrap_err();
        assert!(
            e.to_string().contains("a symlink, not a regular file"),
            "{e}"
        );
        assert_eq!(fs::read(&target).unwrap(), b"keep");
        // A symlinked details directory is refused too.
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        fs::create_dir(dir.path().join("dashboard")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("dashboard/details")).unwrap();
        let e = pages
            .write_pieces(Component::Activity, "main", "r", &["x"])
            .unwrap_err();
        assert!(e.to_string().contains("symlink"), "{e}");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 1);

        // Titles pass the redaction point, as telemetry's do.
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets(), now());
        let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        pages
            .write_pieces(
                Component::Activity,
                "main",
                "r",
                &[format!("leaked {token}")],
            )
            .unwrap();
        let text =
            fs::read_to_string(dir.path().join("dashboard/details/activity-main-1.json")).unwrap();
        assert!(!text.contains(token), "{text}");
    }

    #[test]
    fn missing_directory_is_empty() {
        let pages = Pages::new("/nonexistent/codex/pages", widgets(), now());
        assert!(pages.scan().unwrap().is_empty());
    }
}
