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

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::config::RepoSlug;
use crate::error::{Error, Result};
use crate::telemetry::{
    Component, Envelope, Fields, Figures, SCHEMA_VERSION, Telemetry, stored_figures,
};

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
}

/// How a pages tree is laid out: the one place that says where a repository's files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One repository per pages tree, at its root: `telemetry/<component>-<run-id>.json`,
    /// `dashboard/dashboard.json` (CONTRACT.md section 4).
    #[default]
    Single,
}

impl Layout {
    /// Where `place` of `repo` lives, relative to the root of the pages tree, with `/` between
    /// segments (the same string names the file on the gh-pages branch).
    pub fn path(self, repo: &RepoSlug, place: PagesPath<'_>) -> String {
        let base = match self {
            // One repository per tree: its files sit at the root. A tree for many repositories
            // gives each its own subtree here (`<owner>/<name>/`), and nowhere else.
            Layout::Single => {
                let _ = repo;
                String::new()
            }
        };
        match place {
            PagesPath::TelemetryDir => format!("{base}telemetry"),
            PagesPath::Telemetry { component, run_id } => {
                format!("{base}telemetry/{}-{run_id}.json", component.name())
            }
            PagesPath::DashboardDir => format!("{base}dashboard"),
            PagesPath::Dashboard => format!("{base}dashboard/dashboard.json"),
        }
    }
}

/// A repository's part of a pages directory.
#[derive(Debug, Clone)]
pub struct Pages {
    root: PathBuf,
    repo: RepoSlug,
    layout: Layout,
}

impl Pages {
    /// The pages directory at `root` (created on first write) for `repo`, in today's layout.
    pub fn new(root: impl Into<PathBuf>, repo: RepoSlug) -> Self {
        Pages {
            root: root.into(),
            repo,
            layout: Layout::Single,
        }
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
    pub fn write_telemetry<F: Serialize>(&self, telemetry: &Telemetry<F>) -> Result<PathBuf> {
        let component = telemetry.envelope.component;
        let run_id = &telemetry.envelope.run_id;
        let bytes = to_json(telemetry)?;
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

    /// Every telemetry file, valid or not. A missing directory is an empty list.
    pub fn scan(&self) -> Result<Vec<StoredTelemetry>> {
        let dir = self.telemetry_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(Error::Io {
                    action: "reading",
                    path: dir.display().to_string(),
                    source,
                });
            }
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some((component, _run)) = Component::parse_file_name(&name) else {
                continue;
            };
            let path = entry.path();
            let content = fs::read(&path)
                .map_err(|e| format!("unreadable: {e}"))
                .and_then(|bytes| parse_telemetry(&bytes, component));
            out.push(StoredTelemetry {
                path,
                component,
                content,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The latest valid telemetry of a component (by `finished_at`, then file name), and a
    /// warning for every malformed file of that component.
    pub fn latest(&self, component: Component) -> Result<(Option<StoredTelemetry>, Vec<String>)> {
        Ok(latest_of(self.scan()?, component))
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

/// Pick the latest valid file of `component` from a scan, with warnings for malformed ones.
pub fn latest_of(
    scan: Vec<StoredTelemetry>,
    component: Component,
) -> (Option<StoredTelemetry>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut best: Option<StoredTelemetry> = None;
    for stored in scan.into_iter().filter(|s| s.component == component) {
        match &stored.content {
            Err(reason) => warnings.push(format!("skipped {}: {reason}", stored.file_name())),
            Ok(_) => {
                let newer = match &best {
                    None => true,
                    Some(b) => {
                        (stored.finished_at(), stored.file_name())
                            > (b.finished_at(), b.file_name())
                    }
                };
                if newer {
                    best = Some(stored);
                }
            }
        }
    }
    (best, warnings)
}

/// Parse and check a telemetry document: JSON object, our schema version, the component its
/// file name says, a valid envelope, then the component's fields with their types (fields it
/// does not know are ignored).
pub fn parse_telemetry(bytes: &[u8], component: Component) -> std::result::Result<Stored, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    let envelope: Envelope =
        serde_json::from_value(value.clone()).map_err(|e| format!("bad envelope ({e})"))?;
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
    let mut file = fs::File::create(&tmp).map_err(io)?;
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
    use crate::telemetry::{ApiSummary, CleanerFields, Status};

    fn widgets() -> RepoSlug {
        RepoSlug::parse("acme/widgets").unwrap()
    }

    #[test]
    fn the_single_layout_is_the_contracts() {
        let pages = Pages::new("/srv/pages", widgets());
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
            envelope: Envelope {
                schema_version: SCHEMA_VERSION,
                component,
                status: Status::Ok,
                run_id: run.into(),
                repo: "acme/widgets".into(),
                started_at: finished.parse().unwrap(),
                finished_at: finished.parse().unwrap(),
                dry_run: false,
                warnings: vec![],
                errors: vec![],
                api: ApiSummary::default(),
            },
            fields: CleanerFields::default(),
        }
    }

    #[test]
    fn never_overwrites_a_telemetry_file() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::new(dir.path(), widgets());
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
        let pages = Pages::new(dir.path(), widgets());
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
        let pages = Pages::new(dir.path(), widgets());
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
    fn file_names_map_to_components() {
        assert_eq!(
            Component::parse_file_name("self-test-123.json"),
            Some((Component::SelfTest, "123"))
        );
        assert_eq!(
            Component::parse_file_name("sync-20261123T000000Z.json"),
            Some((Component::Sync, "20261123T000000Z"))
        );
        assert_eq!(Component::parse_file_name("sync-.json"), None);
        assert_eq!(Component::parse_file_name("dashboard.json"), None);
        assert_eq!(Component::parse_file_name("sync-1.json.tmp"), None);
    }

    #[test]
    fn missing_directory_is_empty() {
        let pages = Pages::new("/nonexistent/codex/pages", widgets());
        assert!(pages.scan().unwrap().is_empty());
    }
}
