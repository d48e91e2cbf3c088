//! A repository's open issues as the last listing left them, kept in the cache directory so
//! that the next run asks GitHub only for what changed since (issue 16).
//!
//! A run either lists every open issue (the *full* listing, as without a cache) or only the
//! issues updated since the snapshot was taken (`state=all&since=…&sort=updated`: the
//! *delta*), and merges that into the snapshot as it reads it. [`plan_refresh`] decides which,
//! purely: a full listing when there is no usable snapshot, when one is asked for (`--full`),
//! when project-sync left work for the next run, or when the last full listing is older than
//! the resync period (`CODEX_FULL_RESYNC_HOURS`), so that what a delta cannot see (an issue
//! deleted or transferred, an item removed from the Project) never drifts for longer than that.
//!
//! Nothing edited during a listing is missed: `taken_at` is the server's time when the listing
//! began, less [`MARGIN`], and the next delta asks for everything updated since then, so an
//! issue edited while it was being listed (or a minute before) is listed again.
//!
//! The file is JSON Lines, read and written one line at a time (a run never holds every issue):
//! a [`Header`], then one line per open issue in the shape GitHub sends it ([`Issue::to_json`],
//! read back by [`Issue::from_json`]: one parser), one `{"pr": N}` line per open pull request,
//! and an `{"end": N}` line counting the lines between. It is replaced atomically; a file that
//! cannot be read, of another format, cut short, or for another repository or server is no
//! snapshot (the run lists everything and says why).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::config::RepoSlug;
use crate::github::Issue;

/// The snapshot file's format; a file of another format is no snapshot.
pub const FORMAT: u32 = 1;

/// How far before a listing's start the next delta begins: covers an edit made while the
/// listing ran and clocks that disagree by less than this.
pub const MARGIN: Duration = Duration::seconds(60);

/// The longest line read (an issue line is well under 2 KB; a longer one means the file is
/// not ours).
const MAX_LINE: usize = 1 << 20;

/// The header line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT`].
    pub format: u32,
    /// The REST API base URL the snapshot was listed from.
    pub api: String,
    /// `owner/name`.
    pub repo: String,
    /// Everything updated before this is in the snapshot.
    pub taken_at: DateTime<Utc>,
    /// When the last full listing began.
    pub full_at: DateTime<Utc>,
}

/// One item of the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An open issue, as listed.
    Issue(Box<Issue>),
    /// An open pull request's number.
    PullRequest(u64),
}

impl Item {
    /// Its number.
    pub fn number(&self) -> u64 {
        match self {
            Item::Issue(i) => i.number.0,
            Item::PullRequest(n) => *n,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct PullRequestLine {
    pr: u64,
}

#[derive(Serialize, Deserialize)]
struct EndLine {
    end: u64,
}

/// Why a run lists everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FullReason {
    /// No snapshot in the cache directory (the first run).
    None,
    /// The snapshot could not be used: why.
    Unusable(String),
    /// Asked for (`--full`).
    Asked,
    /// Project-sync left work for the next run (writes deferred or failed): it lists
    /// everything so that nothing left undone waits for the resync.
    Pending,
    /// The last full listing began this long ago, at least the resync period.
    Due(Duration),
}

impl std::fmt::Display for FullReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FullReason::None => f.write_str("no snapshot yet"),
            FullReason::Unusable(why) => write!(f, "the snapshot is unusable ({why})"),
            FullReason::Asked => f.write_str("--full"),
            FullReason::Pending => f.write_str("the last project-sync left work undone"),
            FullReason::Due(age) if age.num_hours() < 0 => {
                f.write_str("the last full listing is dated in the future")
            }
            FullReason::Due(age) => {
                write!(f, "the last full listing is {} hours old", age.num_hours())
            }
        }
    }
}

/// What a run lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// Every open issue.
    Full(FullReason),
    /// What was updated since this time, merged into the snapshot.
    Delta(DateTime<Utc>),
    /// Nothing: the snapshot was listed earlier in this run and the run has written nothing
    /// since, so it is read as it is.
    Reuse,
}

/// What [`plan_refresh`] looks at besides the snapshot's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshInputs {
    /// The server's time now.
    pub now: DateTime<Utc>,
    /// The resync period: a snapshot whose last full listing is at least this old is listed
    /// in full again.
    pub every: Duration,
    /// `--full`.
    pub full_asked: bool,
    /// Project-sync left work undone last time (only project-sync passes true).
    pub pending: bool,
    /// The snapshot was written earlier in this run, and the run has made no write since.
    pub fresh_this_run: bool,
}

/// Decide what to list (pure).
pub fn plan_refresh(header: Result<Option<&Header>, &str>, inputs: RefreshInputs) -> Refresh {
    let header = match header {
        Err(why) => return Refresh::Full(FullReason::Unusable(why.to_owned())),
        Ok(None) => return Refresh::Full(FullReason::None),
        Ok(Some(h)) => h,
    };
    if inputs.fresh_this_run {
        return Refresh::Reuse;
    }
    if inputs.full_asked {
        return Refresh::Full(FullReason::Asked);
    }
    if inputs.pending {
        return Refresh::Full(FullReason::Pending);
    }
    let age = inputs.now - header.full_at;
    // A period of 0 is every run, whatever the clocks say: the server's clock is read to the
    // second and the last listing's time to the millisecond, so a run within a second of it
    // can see a small negative age.
    if inputs.every <= Duration::zero() || age >= inputs.every || age < -MARGIN {
        // A full listing "in the future" means a clock went wrong: list everything again.
        return Refresh::Full(FullReason::Due(age));
    }
    Refresh::Delta(header.taken_at)
}

/// The file a snapshot of `repo` on `api` lives in under `cache_dir`: one per server and
/// repository, named so that neither can reach outside the directory.
pub fn path(cache_dir: &Path, api: &str, repo: &RepoSlug) -> PathBuf {
    let hash = crate::github::cache::file_hash(format!("{api}\n{repo}").as_bytes());
    cache_dir.join("snapshots").join(format!(
        "{}-{}-{hash:016x}.jsonl",
        safe(&repo.owner),
        safe(&repo.name)
    ))
}

/// The marker project-sync leaves beside a snapshot when it left work undone (see
/// [`FullReason::Pending`]).
pub fn pending_path(snapshot: &Path) -> PathBuf {
    snapshot.with_extension("sync-pending")
}

/// A snapshot being read, one item at a time.
pub struct Reader {
    header: Header,
    lines: std::io::Lines<BufReader<std::fs::File>>,
    line: u64,
    items: u64,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("header", &self.header)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// Open the snapshot of `repo` on `api` at `path`: `Ok(None)` when there is none, `Err`
    /// (why, one line) when the file cannot be used.
    pub fn open(path: &Path, api: &str, repo: &RepoSlug) -> Result<Option<Reader>, String> {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot open it: {e}")),
        };
        check_end(&file)?;
        let mut lines = BufReader::new(file).lines();
        let first = next_line(&mut lines)?.ok_or("empty file")?;
        let header: Header =
            serde_json::from_str(&first).map_err(|e| format!("unreadable header: {e}"))?;
        if header.format != FORMAT {
            return Err(format!("format {}, expected {FORMAT}", header.format));
        }
        if header.api != api || header.repo != repo.to_string() {
            return Err("it is of another repository or server".to_owned());
        }
        Ok(Some(Reader {
            header,
            lines,
            line: 1,
            items: 0,
        }))
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next item, `None` after the last; `Err` (why) when the file turns out to be
    /// damaged, cut short included.
    pub fn next_item(&mut self) -> Result<Option<Item>, String> {
        self.line += 1;
        let line = self.line;
        let text = next_line(&mut self.lines)?
            .ok_or_else(|| format!("cut short after {} lines", line - 1))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("line {line}: {e}"))?;
        if let Some(end) = value.get("end") {
            if end.as_u64() != Some(self.items) {
                return Err(format!(
                    "line {line}: counts {end} items, {} read",
                    self.items
                ));
            }
            return Ok(None);
        }
        self.items += 1;
        if let Some(n) = value.get("pr") {
            let n = n.as_u64().ok_or_else(|| format!("line {line}: bad pr"))?;
            return Ok(Some(Item::PullRequest(n)));
        }
        let issue = Issue::from_json(&value).map_err(|m| format!("line {line}: {}", m.reason))?;
        Ok(Some(Item::Issue(Box::new(issue))))
    }
}

/// A whole file ends with its `{"end": N}` line: checked before anything is read, so that a
/// file cut short (a full disk, a killed run) is found before the run relies on it.
fn check_end(file: &std::fs::File) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = file;
    let len = file
        .metadata()
        .map_err(|e| format!("unreadable: {e}"))?
        .len();
    let tail_len = len.min(64);
    let mut tail = vec![0; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len))
        .and_then(|_| file.read_exact(&mut tail))
        .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop))
        .map_err(|e| format!("unreadable: {e}"))?;
    let tail = String::from_utf8_lossy(&tail);
    let last = tail
        .trim_end_matches('\n')
        .rsplit('\n')
        .next()
        .unwrap_or_default();
    match serde_json::from_str::<EndLine>(last) {
        Ok(_) if tail.ends_with('\n') => Ok(()),
        _ => Err("cut short: no end line".to_owned()),
    }
}

fn next_line(
    lines: &mut std::io::Lines<BufReader<std::fs::File>>,
) -> Result<Option<String>, String> {
    match lines.next() {
        None => Ok(None),
        Some(Err(e)) => Err(format!("unreadable: {e}")),
        Some(Ok(l)) if l.len() > MAX_LINE => Err(format!("a line of {} bytes", l.len())),
        Some(Ok(l)) => Ok(Some(l)),
    }
}

/// A snapshot being written: nothing replaces the file at `path` until [`Writer::commit`],
/// and a writer dropped before that leaves no trace.
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    temp: PathBuf,
    out: Option<BufWriter<std::fs::File>>,
    items: u64,
}

impl Writer {
    /// Start the snapshot that will replace `path`.
    pub fn create(path: &Path, header: &Header) -> std::io::Result<Writer> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let temp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut out = BufWriter::new(std::fs::File::create(&temp)?);
        let mut writer = Writer {
            path: path.to_owned(),
            temp,
            out: None,
            items: 0,
        };
        serde_json::to_writer(&mut out, header)?;
        out.write_all(b"\n")?;
        writer.out = Some(out);
        Ok(writer)
    }

    /// Add one item.
    pub fn item(&mut self, item: &Item) -> std::io::Result<()> {
        match item {
            Item::Issue(issue) => self.issue(issue),
            Item::PullRequest(pr) => self.line(&PullRequestLine { pr: *pr }),
        }
    }

    /// Add one open issue.
    pub fn issue(&mut self, issue: &Issue) -> std::io::Result<()> {
        self.line(&issue.to_json())
    }

    fn line(&mut self, value: &impl Serialize) -> std::io::Result<()> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| std::io::Error::other("closed"))?;
        serde_json::to_writer(&mut *out, value)?;
        out.write_all(b"\n")?;
        self.items += 1;
        Ok(())
    }

    /// Finish the file and put it in place.
    pub fn commit(mut self) -> std::io::Result<()> {
        let mut out = self
            .out
            .take()
            .ok_or_else(|| std::io::Error::other("closed"))?;
        serde_json::to_writer(&mut out, &EndLine { end: self.items })?;
        out.write_all(b"\n")?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&self.temp, &self.path)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A file-name-safe rendering of an owner or repository name.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn issue(n: u64) -> Item {
        Item::Issue(Box::new(
            Issue::from_json(&json!({
                "number": n, "node_id": format!("I_{n}"), "title": format!("issue {n}"),
                "state": "open", "labels": ["codex"], "milestone": {"number": 2, "title": "M"},
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z",
                "user": null, "state_reason": "reopened"
            }))
            .unwrap(),
        ))
    }

    fn repo() -> RepoSlug {
        RepoSlug::parse("acme/widgets").unwrap()
    }

    fn header() -> Header {
        Header {
            format: FORMAT,
            api: "http://api".into(),
            repo: "acme/widgets".into(),
            taken_at: t("2026-11-30T23:59:00Z"),
            full_at: t("2026-12-01T00:00:00Z"),
        }
    }

    fn inputs(now: &str) -> RefreshInputs {
        RefreshInputs {
            now: t(now),
            every: Duration::hours(24),
            full_asked: false,
            pending: false,
            fresh_this_run: false,
        }
    }

    #[test]
    fn the_plan_lists_everything_only_when_it_must() {
        let h = header();
        let now = "2026-12-01T12:00:00Z";
        assert_eq!(
            plan_refresh(Ok(Some(&h)), inputs(now)),
            Refresh::Delta(h.taken_at)
        );
        assert_eq!(
            plan_refresh(Ok(None), inputs(now)),
            Refresh::Full(FullReason::None)
        );
        assert_eq!(
            plan_refresh(Err("garbled"), inputs(now)),
            Refresh::Full(FullReason::Unusable("garbled".into()))
        );
        let asked = RefreshInputs {
            full_asked: true,
            ..inputs(now)
        };
        assert_eq!(
            plan_refresh(Ok(Some(&h)), asked),
            Refresh::Full(FullReason::Asked)
        );
        let pending = RefreshInputs {
            pending: true,
            ..inputs(now)
        };
        assert_eq!(
            plan_refresh(Ok(Some(&h)), pending),
            Refresh::Full(FullReason::Pending)
        );
        // Listed earlier this run and nothing written since: read as it is, even with --full.
        let fresh = RefreshInputs {
            fresh_this_run: true,
            ..asked
        };
        assert_eq!(plan_refresh(Ok(Some(&h)), fresh), Refresh::Reuse);
        // A day after the last full listing, and a clock that went backwards.
        assert_eq!(
            plan_refresh(Ok(Some(&h)), inputs("2026-12-02T00:00:00Z")),
            Refresh::Full(FullReason::Due(Duration::hours(24)))
        );
        assert!(matches!(
            plan_refresh(Ok(Some(&h)), inputs("2026-11-30T00:00:00Z")),
            Refresh::Full(FullReason::Due(_))
        ));
        // A resync period of 0: every run lists everything.
        let always = RefreshInputs {
            every: Duration::zero(),
            ..inputs("2026-12-01T00:00:01Z")
        };
        assert!(matches!(
            plan_refresh(Ok(Some(&h)), always),
            Refresh::Full(FullReason::Due(_))
        ));
        // ... even when the clock, read to the second, is a moment behind the last listing.
        let behind = RefreshInputs {
            every: Duration::zero(),
            now: h.full_at - Duration::milliseconds(700),
            ..inputs("2026-12-01T00:00:00Z")
        };
        assert!(matches!(
            plan_refresh(Ok(Some(&h)), behind),
            Refresh::Full(FullReason::Due(_))
        ));
    }

    #[test]
    fn a_written_snapshot_reads_back_item_by_item() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path(), "http://api", &repo());
        assert!(p.starts_with(dir.path().join("snapshots")));
        assert!(Reader::open(&p, "http://api", &repo()).unwrap().is_none());
        let items = vec![issue(1), Item::PullRequest(2), issue(5)];
        let mut w = Writer::create(&p, &header()).unwrap();
        for i in &items {
            w.item(i).unwrap();
        }
        w.commit().unwrap();
        let mut r = Reader::open(&p, "http://api", &repo()).unwrap().unwrap();
        assert_eq!(r.header(), &header());
        let mut back = Vec::new();
        while let Some(i) = r.next_item().unwrap() {
            back.push(i);
        }
        // Findings are recomputed by the parser; everything the rules read round-trips.
        for (a, b) in back.iter_mut().zip(&items) {
            if let (Item::Issue(a), Item::Issue(b)) = (a, b) {
                a.findings.clone_from(&b.findings);
            }
        }
        assert_eq!(back, items);
        // Another server or repository: never theirs, by name and by header.
        assert_ne!(path(dir.path(), "http://other", &repo()), p);
        assert!(Reader::open(&p, "http://other", &repo()).is_err());
    }

    #[test]
    fn an_unusable_file_is_no_snapshot_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let mut w = Writer::create(&p, &header()).unwrap();
        w.item(&issue(1)).unwrap();
        w.item(&issue(2)).unwrap();
        w.commit().unwrap();
        let whole = std::fs::read_to_string(&p).unwrap();
        let read_all = |p: &Path| -> Result<usize, String> {
            let mut r = Reader::open(p, "http://api", &repo())?.ok_or("none")?;
            let mut n = 0;
            while r.next_item()?.is_some() {
                n += 1;
            }
            Ok(n)
        };
        assert_eq!(read_all(&p), Ok(2));
        // Cut short: the end line is missing.
        let cut: String = whole.lines().take(2).map(|l| format!("{l}\n")).collect();
        std::fs::write(&p, cut).unwrap();
        assert!(read_all(&p).unwrap_err().contains("cut short"));
        // A line lost in the middle: the count says so.
        let lines: Vec<&str> = whole.lines().collect();
        std::fs::write(&p, format!("{}\n{}\n{}\n", lines[0], lines[1], lines[3])).unwrap();
        assert!(read_all(&p).unwrap_err().contains("counts 2 items"));
        // Another format; garbage.
        std::fs::write(&p, whole.replacen("\"format\":1", "\"format\":99", 1)).unwrap();
        assert!(read_all(&p).unwrap_err().contains("format 99"));
        std::fs::write(&p, "\u{0}\u{1}not json").unwrap();
        assert!(read_all(&p).is_err());
        // A writer dropped before its commit leaves the file it would replace alone.
        std::fs::write(&p, &whole).unwrap();
        let mut w = Writer::create(&p, &header()).unwrap();
        w.item(&issue(9)).unwrap();
        drop(w);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), whole);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
    }

    #[test]
    fn names_cannot_leave_the_directory() {
        let slug = RepoSlug::parse("acme/..x").unwrap_or_else(|_| repo());
        let p = path(Path::new("/c"), "http://api", &slug);
        assert!(p.starts_with("/c/snapshots"));
        assert_eq!(safe("../x y"), "_x_y");
    }
}
