//! `codex init`: write the one workflow file a repository needs to run Codex,
//! `.github/workflows/codex.yml`, and print the steps that remain (CONTRACT.md section 7).
//! `codex init --org ORG` writes a control repository's instead,
//! `.github/workflows/codex-org.yml`: Codex over every repository of ORG.
//!
//! Deciding is pure ([`render`] makes the file, [`decide`] compares it with what is there);
//! [`main`] reads the checkout, writes atomically and reports. No token, no network.
//!
//! The file's first line is `# codex init v<version> sha256:<digest of the rest>`: a file whose
//! digest still matches was written by `codex init` and never edited, so it may be replaced by
//! a newer one; anything else is someone's work and is replaced only with `--force`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};
use codex_core::RepoSlug;
use codex_core::config::DEFAULT_PROJECT_TITLE;
use codex_core::env;
use codex_core::redact::clean;
use sha2::{Digest, Sha256};

/// Where the file goes, relative to the checkout.
pub const WORKFLOW_PATH: &str = ".github/workflows/codex.yml";

/// Where `codex init --org` puts the control repository's file, relative to the checkout.
pub const ORG_WORKFLOW_PATH: &str = ".github/workflows/codex-org.yml";

/// Codex's own repository, `OWNER/NAME`, from the package's `repository` URL.
pub fn slug() -> &'static str {
    env!("CARGO_PKG_REPOSITORY").trim_start_matches("https://github.com/")
}

/// This build's version: the release tag is `v` followed by it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit this build was released from, when the release workflow said so
/// (`CODEX_SOURCE_COMMIT` at build time) and it is a full SHA.
pub fn embedded_commit() -> Option<&'static str> {
    option_env!("CODEX_SOURCE_COMMIT").filter(|c| is_full_sha(c))
}

/// 40 lowercase hexadecimal digits: the only ref zizmor accepts as a pin.
pub fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The triggers and permissions both files share, up to the job's `uses:`.
macro_rules! triggers {
    () => {
        r#"on:
  schedule:
    - cron: "17 */6 * * *" # every 6 hours
  workflow_dispatch:
    inputs:
      dry_run:
        description: Show what Codex would do, change nothing
        type: boolean
        default: false
permissions: {}
jobs:
  codex:
"#
    };
}

/// The file after its header line. `<SLUG>`, `<COMMIT>` and `<VERSION>` are filled in.
const TEMPLATE: &str = concat!(
    "# Codex keeps this repository's issues in order: https://github.com/<SLUG>\n",
    "name: Codex\n",
    triggers!(),
    r#"    uses: <SLUG>/.github/workflows/codex.yml@<COMMIT> # v<VERSION>
    permissions:
      contents: write # telemetry and the dashboard on the gh-pages branch
      issues: write # labels, milestones, self-test issues
    with:
      dry-run: ${{ inputs.dry_run == true }}
    secrets:
      token: ${{ secrets.GH_CI_PAT }}
"#
);

/// The control repository's file after its header line (`codex init --org`): `<ORG>` too, and
/// then `<AUTH>`, the App's or the token's lines.
const ORG_TEMPLATE: &str = concat!(
    "# Codex keeps the issues of <ORG>'s repositories in order: https://github.com/<SLUG>\n",
    "name: Codex (organisation)\n",
    triggers!(),
    r#"    uses: <SLUG>/.github/workflows/codex-org.yml@<COMMIT> # v<VERSION>
    permissions:
      contents: write # every repository's telemetry and dashboard, and the overview, on gh-pages
    with:
      org: "<ORG>"
      dry-run: ${{ inputs.dry_run == true }}
<AUTH>"#
);

/// `<AUTH>` for a GitHub App: Codex mints tokens narrowed to each repository itself.
const ORG_AUTH_APP: &str = r#"      app-id: ${{ vars.CODEX_APP_ID }}
    secrets:
      app-private-key: ${{ secrets.CODEX_APP_PRIVATE_KEY }}
"#;

/// `<AUTH>` for a token: every repository's job gets it whole (it cannot be narrowed).
const ORG_AUTH_TOKEN: &str = r#"    secrets:
      token: ${{ secrets.GH_CI_PAT }}
"#;

/// How a control repository's workflow calls the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Auth {
    // A GitHub App: its id in the variable CODEX_APP_ID, its key in the secret
    // CODEX_APP_PRIVATE_KEY (recommended: tokens narrowed to each repository). (No doc
    // comments here: clap would turn `--help` into its long form.)
    App,
    // A token in the secret GH_CI_PAT (given whole to every repository's job).
    Token,
}

const HEADER_PREFIX: &str = "# codex init v";

/// The file `codex init` writes: the header line, then the template filled in.
pub fn render(slug: &str, version: &str, commit: &str) -> String {
    stamp(version, fill(TEMPLATE, slug, version, commit))
}

/// The file `codex init --org ORG` writes for a control repository (`org` already checked by
/// [`valid_login`]).
pub fn render_org(slug: &str, version: &str, commit: &str, org: &str, auth: Auth) -> String {
    let auth = match auth {
        Auth::App => ORG_AUTH_APP,
        Auth::Token => ORG_AUTH_TOKEN,
    };
    let body = fill(ORG_TEMPLATE, slug, version, commit)
        .replace("<ORG>", org)
        .replace("<AUTH>", auth);
    stamp(version, body)
}

fn fill(template: &str, slug: &str, version: &str, commit: &str) -> String {
    template
        .replace("<SLUG>", slug)
        .replace("<COMMIT>", commit)
        .replace("<VERSION>", version)
}

/// The header line (version and digest of the rest), then the body.
fn stamp(version: &str, body: String) -> String {
    format!("{HEADER_PREFIX}{version} sha256:{}\n{body}", digest(&body))
}

/// A GitHub account name (organisation or user): 1 to 39 letters, digits and single hyphens,
/// neither first nor last.
pub fn valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 39
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--")
}

fn digest(body: &str) -> String {
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(body.as_bytes()) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// The version of `codex init` that wrote `text`, when its header is there and its digest
/// still matches the rest (line endings a checkout may have changed to CRLF count as LF).
pub fn unedited_version(text: &str) -> Option<&str> {
    let (header, body) = text.split_once('\n')?;
    let (version, hex) = header
        .trim_end_matches('\r')
        .strip_prefix(HEADER_PREFIX)?
        .split_once(" sha256:")?;
    (!version.is_empty() && digest(&body.replace("\r\n", "\n")) == hex).then_some(version)
}

/// Why the file at the path is not this `codex init`'s to replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Theirs {
    /// Written by `codex init` (this version), then edited.
    Edited {
        /// The version in its header.
        version: String,
    },
    /// Not written by `codex init` (no header of ours).
    Other,
    /// Written, unedited, by a newer `codex init`: replacing it would downgrade the pin.
    Newer {
        /// The version in its header.
        version: String,
    },
}

/// What to do with the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing there: write the file.
    Create,
    /// The same bytes are there: leave them.
    UpToDate,
    /// A file `codex init` (this version or an older one) wrote and nobody edited: replace it.
    Upgrade {
        /// The version that wrote it.
        from: String,
    },
    /// Someone's file, replaced because of `--force`.
    Overwrite(Theirs),
    /// Someone's file: leave it (exit 1).
    Refuse(Theirs),
}

/// Decide what to do with `new` when `existing` is at the path.
pub fn decide(existing: Option<&str>, new: &str, force: bool) -> Action {
    let Some(existing) = existing else {
        return Action::Create;
    };
    if existing == new {
        return Action::UpToDate;
    }
    let theirs = if let Some(version) = unedited_version(existing) {
        let newer = match (release(version), unedited_version(new).and_then(release)) {
            (Some(there), Some(ours)) => there > ours,
            _ => false,
        };
        if !newer {
            return Action::Upgrade {
                from: version.to_owned(),
            };
        }
        Theirs::Newer {
            version: version.to_owned(),
        }
    } else {
        match existing
            .lines()
            .next()
            .and_then(|h| h.strip_prefix(HEADER_PREFIX))
            .and_then(|rest| rest.split_once(' '))
        {
            Some((version, _)) => Theirs::Edited {
                version: version.to_owned(),
            },
            None => Theirs::Other,
        }
    };
    if force {
        Action::Overwrite(theirs)
    } else {
        Action::Refuse(theirs)
    }
}

/// `MAJOR.MINOR.PATCH` of a version (a pre-release or build suffix ignored), to compare.
fn release(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let triple = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(triple)
}

/// `OWNER/NAME` of a github.com remote URL (`https://github.com/O/N.git`,
/// `git@github.com:O/N.git`, `ssh://git@github.com/O/N`); `None` for any other host.
pub fn github_remote(url: &str) -> Option<RepoSlug> {
    let url = url.trim();
    let (rest, scp) = match url.split_once("://") {
        Some(("https" | "http" | "ssh" | "git", rest)) => (rest, false),
        Some(_) => return None,
        None => (url, true),
    };
    // Userinfo (which may hold a token) is dropped, never shown.
    let rest = match rest.split_once('@') {
        Some((user, host)) if !user.contains('/') => host,
        _ => rest,
    };
    let path = if scp {
        rest.strip_prefix("github.com:")?
    } else {
        rest.strip_prefix("github.com/")?
    };
    let path = path.trim_end_matches('/');
    RepoSlug::parse(path.strip_suffix(".git").unwrap_or(path)).ok()
}

/// The steps that remain after the file is in place.
pub fn next_steps(repo: Option<&RepoSlug>) -> String {
    let (slug, owner) = match repo {
        Some(r) => (r.to_string(), r.owner.clone()),
        None => ("OWNER/NAME".to_owned(), "OWNER".to_owned()),
    };
    format!(
        "\
Next steps:
  1. Store a token as the secret {pat} (classic: scopes repo and project; fine-grained: Issues
     and Contents read and write, and Projects read and write on the Project's organisation):
       gh secret set {pat} --repo {slug}
  2. Create the Project Codex keeps the issues in (or name an existing one with the Actions
     variables {title_var} and, if another account owns it, {owner_var}:
     gh variable set {title_var} --repo {slug} --body \"TITLE\"):
       gh project create --owner {owner} --title \"{title}\"
  3. With that token in {pat}, see what Codex would create, then create it (its telemetry
     goes to a scratch directory, not into this checkout):
       codex diagnostics --repo {slug} --repair --dry-run --pages-dir /tmp/codex-pages
       codex diagnostics --repo {slug} --repair --pages-dir /tmp/codex-pages
  4. Commit and push the workflow:
       git add {WORKFLOW_PATH} && git commit -m \"Run Codex\" && git push
  5. Optionally, a first run that changes nothing:
       gh workflow run codex.yml --repo {slug} -f dry_run=true
  6. After the first real run has created the gh-pages branch, publish the dashboard:
       gh api -X POST repos/{slug}/pages -f 'source[branch]=gh-pages' -f 'source[path]=/'
",
        pat = env::GH_CI_PAT,
        title_var = env::CODEX_PROJECT_TITLE,
        owner_var = env::CODEX_PROJECT_OWNER,
        title = DEFAULT_PROJECT_TITLE,
    )
}

/// The steps that remain after the control repository's file is in place (`codex init --org`).
pub fn next_steps_org(org: &str, auth: Auth, repo: Option<&RepoSlug>) -> String {
    let control = repo.map_or_else(|| "OWNER/NAME".to_owned(), ToString::to_string);
    let credentials = match auth {
        Auth::App => format!(
            "  1. Create a GitHub App owned by {org} with the permissions docs/setup.md lists under
     \"GitHub App\", install it on {org}'s repositories to manage, and store its id and
     private key in this repository (gh-pages is pushed with the workflow's own token):
       gh variable set {app_id} --repo {control} --body \"APP_ID\"
       gh secret set {app_key} --repo {control} < app-private-key.pem
     Codex mints an installation token narrowed to each repository for that repository's job.",
            app_id = env::CODEX_APP_ID,
            app_key = env::CODEX_APP_PRIVATE_KEY,
        ),
        Auth::Token => format!(
            "  1. Store a token reaching every repository to manage as the secret {pat} (classic: scopes
     repo and project). Every repository's job gets the whole token: it cannot be narrowed to
     one repository, so prefer a GitHub App (codex init --org {org} --auth app):
       gh secret set {pat} --repo {control}",
            pat = env::GH_CI_PAT,
        ),
    };
    format!(
        "\
Next steps:
{credentials}
  2. See which repositories Codex would manage (with the same credentials in the environment):
       codex discover --org {org}
  3. Commit and push the workflow:
       git add {ORG_WORKFLOW_PATH} && git commit -m \"Run Codex over {org}\" && git push
  4. Optionally, a first run that changes nothing:
       gh workflow run codex-org.yml --repo {control} -f dry_run=true
  5. After the first real run has created the gh-pages branch, publish the overview:
       gh api -X POST repos/{control}/pages -f 'source[branch]=gh-pages' -f 'source[path]=/'
"
    )
}

/// Arguments of `codex init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The checkout of the repository to manage
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Pin this commit of Codex (its full 40-character SHA) instead of the one this build was
    /// released from
    #[arg(long = "ref", value_name = "SHA")]
    git_ref: Option<String>,
    /// Write a control repository's .github/workflows/codex-org.yml instead: Codex over every
    /// repository of this organisation or user
    #[arg(long, value_name = "ORG")]
    org: Option<String>,
    /// With --org: call the API as a GitHub App (CODEX_APP_ID, CODEX_APP_PRIVATE_KEY;
    /// recommended) or with a token (GH_CI_PAT) [default: app]
    #[arg(long, value_enum, value_name = "HOW", requires = "org")]
    auth: Option<Auth>,
    /// The managed (with --org: the control) repository, for the printed steps [default: the
    /// checkout's github.com `origin` remote]
    #[arg(long, env = env::GITHUB_REPOSITORY, value_name = "OWNER/NAME")]
    repo: Option<String>,
    /// Replace a file someone edited or wrote, and write where there is no `.git`
    #[arg(long)]
    force: bool,
    /// Print the file on stdout and write nothing
    #[arg(long)]
    dry_run: bool,
}

/// Exit 2 with one line.
fn usage(message: &str) -> ExitCode {
    eprintln!("{}", clean(&format!("error: {message}")));
    ExitCode::from(2)
}

/// Run `codex init`: 0 written or up to date, 1 refused (someone's file) or not writable,
/// 2 bad input. Messages go to stderr; stdout carries only the file, with `--dry-run`.
pub fn main(args: &InitArgs) -> ExitCode {
    let commit = match &args.git_ref {
        Some(r) if is_full_sha(r) => r.as_str(),
        Some(r) => {
            return usage(&format!(
                "--ref: expected the full 40-character commit SHA (lowercase hex) of a Codex \
                 release, got {r:?}; a tag or branch name would fail zizmor's pinning rule \
                 (unpinned-uses)"
            ));
        }
        None => match embedded_commit() {
            Some(c) => c,
            None => {
                return usage(&format!(
                    "this build of codex does not know the commit of its release; pass --ref \
                     with the full commit SHA of tag v{VERSION} \
                     (gh api repos/{}/commits/v{VERSION} --jq .sha)",
                    slug()
                ));
            }
        },
    };
    let dir = &args.dir;
    if !dir.is_dir() {
        return usage(&format!("--dir: {} is not a directory", dir.display()));
    }
    if !args.force && !dir.join(".git").exists() {
        return usage(&format!(
            "--dir: {} is not the top of a git checkout (no .git there); run codex init in the \
             checkout of the repository to manage, or pass --force",
            dir.display()
        ));
    }
    let repo = match args
        .repo
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(r) => match RepoSlug::parse(r) {
            Ok(slug) => Some(slug),
            Err(e) => return usage(&format!("--repo / {}: {e}", env::GITHUB_REPOSITORY)),
        },
        None => origin_remote(dir),
    };

    let org = match args.org.as_deref().map(str::trim) {
        Some(org) if valid_login(org) => Some(org),
        Some(org) => {
            return usage(&format!(
                "--org: expected a GitHub organisation or user name (letters, digits and single \
                 hyphens, not first or last, at most 39), got {org:?}"
            ));
        }
        None => None,
    };
    let auth = args.auth.unwrap_or(Auth::App);
    let (new, path) = match org {
        Some(org) => (
            render_org(slug(), VERSION, commit, org, auth),
            dir.join(ORG_WORKFLOW_PATH),
        ),
        None => (render(slug(), VERSION, commit), dir.join(WORKFLOW_PATH)),
    };
    let existing = match std::fs::read(&path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            eprintln!(
                "{}",
                clean(&format!("error: cannot read {}: {e}", path.display()))
            );
            return ExitCode::FAILURE;
        }
    };
    let action = decide(existing.as_deref(), &new, args.force);
    let shown = path.display();
    let pin = format!("{}@{commit}, v{VERSION}", slug());
    let would = if args.dry_run { "would be " } else { "" };
    let message = match &action {
        Action::Create => format!("{shown}: {would}created ({pin})"),
        Action::UpToDate => format!("{shown}: up to date ({pin})"),
        Action::Upgrade { from } => {
            format!("{shown}: {would}updated from codex init v{from} ({pin})")
        }
        Action::Overwrite(theirs) => format!(
            "{shown}: {would}replaced (--force); it {} ({pin})",
            describe(theirs)
        ),
        Action::Refuse(theirs) => format!(
            "error: {shown} {}; left unchanged (compare with codex init --dry-run, or replace \
             it with --force)",
            describe(theirs)
        ),
    };
    if args.dry_run {
        // Not print!: a closed pipe is an error to report, not a panic.
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout
            .write_all(new.as_bytes())
            .and_then(|()| stdout.flush())
        {
            eprintln!("{}", clean(&format!("error: cannot write to stdout: {e}")));
            return ExitCode::FAILURE;
        }
    } else if matches!(
        action,
        Action::Create | Action::Upgrade { .. } | Action::Overwrite(_)
    ) && let Err(e) = write_atomically(&path, new.as_bytes())
    {
        eprintln!("{}", clean(&format!("error: cannot write {shown}: {e}")));
        return ExitCode::FAILURE;
    }
    eprintln!("{}", clean(&message));
    if matches!(action, Action::Refuse(_)) {
        return ExitCode::FAILURE;
    }
    match org {
        Some(org) => eprint!("{}", next_steps_org(org, auth, repo.as_ref())),
        None => eprint!("{}", next_steps(repo.as_ref())),
    }
    ExitCode::SUCCESS
}

fn describe(theirs: &Theirs) -> String {
    match theirs {
        Theirs::Edited { version } => {
            format!("was edited after codex init v{version} wrote it")
        }
        Theirs::Other => "was not written by codex init".to_owned(),
        Theirs::Newer { version } => {
            format!("was written by codex init v{version}, newer than this v{VERSION}")
        }
    }
}

/// The checkout's `origin` remote, when it is on github.com (`git` reads the checkout's own
/// configuration only: `--git-dir` stops it looking in parent directories).
fn origin_remote(dir: &Path) -> Option<RepoSlug> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(dir.join(".git"))
        .args(["remote", "get-url", "origin"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    github_remote(std::str::from_utf8(&out.stdout).ok()?)
}

/// Write `bytes` to `path` through a new temporary file in the same directory and a rename,
/// creating the directory when missing.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = parent.join(format!(".codex.yml.{}.{nanos}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn slug_is_owner_and_name() {
        assert!(env!("CARGO_PKG_REPOSITORY").starts_with("https://github.com/"));
        assert!(RepoSlug::parse(slug()).is_ok(), "{}", slug());
    }

    #[test]
    fn render_fills_every_placeholder_and_stays_short() {
        let text = render("acme/codex", "1.2.3", COMMIT);
        assert!(!text.contains("<SLUG>") && !text.contains("<COMMIT>") && !text.contains('<'));
        assert!(text.contains(&format!(
            "uses: acme/codex/.github/workflows/codex.yml@{COMMIT} # v1.2.3\n"
        )));
        assert!(text.starts_with("# codex init v1.2.3 sha256:"));
        assert!(text.lines().count() < 25, "{} lines", text.lines().count());
        assert_eq!(unedited_version(&text), Some("1.2.3"));
    }

    /// The fenced YAML block of `doc` that starts with `first_line`, without its fences.
    fn yaml_block<'a>(doc: &'a str, first_line: &str) -> &'a str {
        let fence = format!("```yaml\n{first_line}");
        let start = doc
            .find(&fence)
            .unwrap_or_else(|| panic!("no block {fence:?}"));
        let block = &doc[start + "```yaml\n".len()..];
        &block[..block.find("```").expect("the block ends")]
    }

    /// CONTRACT.md section 7 shows the file as rendered for version `V` and commit `SHA`.
    #[test]
    fn the_contract_shows_the_template() {
        let contract = include_str!("../../../docs/CONTRACT.md");
        let block = yaml_block(contract, "# codex init vV sha256:");
        let rendered = render(slug(), "V", "SHA");
        assert_eq!(
            block.lines().skip(1).collect::<Vec<_>>(),
            rendered.lines().skip(1).collect::<Vec<_>>()
        );
    }

    /// CONTRACT.md section 7 shows the control repository's file for org `ORG` and an App.
    #[test]
    fn the_contract_shows_the_org_template() {
        let contract = include_str!("../../../docs/CONTRACT.md");
        let block = yaml_block(
            contract,
            "# codex init vV sha256:<SHA-256 of every line below, hex>\n# Codex keeps the issues",
        );
        let rendered = render_org(slug(), "V", "SHA", "ORG", Auth::App);
        assert_eq!(
            block.lines().skip(1).collect::<Vec<_>>(),
            rendered.lines().skip(1).collect::<Vec<_>>()
        );
    }

    /// README's "Use it in your repository" shows the file for this version (the commit left
    /// for the reader, the header of `codex init`'s own digest left out).
    #[test]
    fn the_readme_shows_the_template_for_this_version() {
        let readme = include_str!("../../../README.md");
        let block = yaml_block(readme, "# Codex keeps this repository");
        let version = env!("CARGO_PKG_VERSION");
        let rendered = render(slug(), version, &format!("<commit of tag v{version}>"));
        assert_eq!(
            block.lines().collect::<Vec<_>>(),
            rendered.lines().skip(1).collect::<Vec<_>>()
        );
        assert!(block.lines().count() < 25);
    }

    #[test]
    fn render_org_fills_org_and_auth_and_shares_the_triggers() {
        let app = render_org("acme/codex", "1.2.3", COMMIT, "octo-org", Auth::App);
        assert!(!app.contains('<'), "{app}");
        assert!(app.contains(&format!(
            "uses: acme/codex/.github/workflows/codex-org.yml@{COMMIT} # v1.2.3\n"
        )));
        assert!(app.contains("      org: \"octo-org\"\n"));
        assert!(app.contains("app-id: ${{ vars.CODEX_APP_ID }}\n"));
        assert!(app.contains("app-private-key: ${{ secrets.CODEX_APP_PRIVATE_KEY }}\n"));
        assert!(!app.contains("GH_CI_PAT"));
        assert_eq!(unedited_version(&app), Some("1.2.3"));
        let token = render_org("acme/codex", "1.2.3", COMMIT, "octo-org", Auth::Token);
        assert!(token.contains("    secrets:\n      token: ${{ secrets.GH_CI_PAT }}\n"));
        assert!(!token.contains("app-"));
        // The schedule and dispatch input are the single-repository file's, word for word.
        let single = render("acme/codex", "1.2.3", COMMIT);
        assert!(single.contains(triggers!()) && app.contains(triggers!()));
        assert!(app.lines().count() < 30, "{} lines", app.lines().count());
    }

    #[test]
    fn logins() {
        for good in ["acme", "a", "octo-org", "A1-b2", &"x".repeat(39)] {
            assert!(valid_login(good), "{good}");
        }
        for bad in [
            "",
            "-acme",
            "acme-",
            "ac--me",
            "ac_me",
            "ac.me",
            "acme/widgets",
            "ac me",
            "${{ x }}",
            "acmé",
            &"x".repeat(40),
        ] {
            assert!(!valid_login(bad), "{bad}");
        }
    }

    #[test]
    fn org_steps_name_the_org_and_the_control_repository() {
        let repo = RepoSlug::parse("acme/control").ok();
        let app = next_steps_org("acme", Auth::App, repo.as_ref());
        assert!(app.contains("gh secret set CODEX_APP_PRIVATE_KEY --repo acme/control"));
        assert!(app.contains("gh variable set CODEX_APP_ID --repo acme/control"));
        assert!(app.contains("codex discover --org acme"));
        assert!(app.contains("gh workflow run codex-org.yml --repo acme/control -f dry_run=true"));
        let token = next_steps_org("acme", Auth::Token, None);
        assert!(token.contains("gh secret set GH_CI_PAT --repo OWNER/NAME"));
        assert!(token.contains("cannot be narrowed"));
    }

    #[test]
    fn the_digest_notices_any_edit_but_not_crlf() {
        let text = render("acme/codex", "1.0.0", COMMIT);
        let edited = text.replace("issues: write", "issues: read");
        assert_eq!(unedited_version(&edited), None);
        assert_eq!(unedited_version(&text.replace('\n', "\r\n")), Some("1.0.0"));
        assert_eq!(unedited_version("name: Codex\n"), None);
        assert_eq!(unedited_version(""), None);
    }

    #[test]
    fn decide_table() {
        let old = render("acme/codex", "0.9.0", &"a".repeat(40));
        let new = render("acme/codex", "1.0.0", COMMIT);
        let edited = new.replace("every 6 hours", "every six hours");
        let other = "name: Something else\non: push\n";
        // 1.10.0 > 1.0.0 (numerically, not as text)
        let newer = render("acme/codex", "1.10.0", &"b".repeat(40));
        let same_version_other_commit = render("acme/codex", "1.0.0", &"c".repeat(40));
        let cases: [(Option<&str>, bool, Action); 13] = [
            (None, false, Action::Create),
            (None, true, Action::Create),
            (Some(&new), false, Action::UpToDate),
            (Some(&new), true, Action::UpToDate),
            (
                Some(&old),
                false,
                Action::Upgrade {
                    from: "0.9.0".into(),
                },
            ),
            (
                Some(&old),
                true,
                Action::Upgrade {
                    from: "0.9.0".into(),
                },
            ),
            (
                Some(&edited),
                false,
                Action::Refuse(Theirs::Edited {
                    version: "1.0.0".into(),
                }),
            ),
            (
                Some(&edited),
                true,
                Action::Overwrite(Theirs::Edited {
                    version: "1.0.0".into(),
                }),
            ),
            (Some(other), false, Action::Refuse(Theirs::Other)),
            (Some(other), true, Action::Overwrite(Theirs::Other)),
            (
                Some(&newer),
                false,
                Action::Refuse(Theirs::Newer {
                    version: "1.10.0".into(),
                }),
            ),
            (
                Some(&newer),
                true,
                Action::Overwrite(Theirs::Newer {
                    version: "1.10.0".into(),
                }),
            ),
            (
                Some(&same_version_other_commit),
                false,
                Action::Upgrade {
                    from: "1.0.0".into(),
                },
            ),
        ];
        for (existing, force, expected) in cases {
            assert_eq!(
                decide(existing, &new, force),
                expected,
                "force={force} existing={existing:?}"
            );
        }
    }

    #[test]
    fn release_versions() {
        assert_eq!(release("1.2.3"), Some((1, 2, 3)));
        assert_eq!(release("1.2.3-rc.1"), Some((1, 2, 3)));
        assert_eq!(release("1.2.3+build"), Some((1, 2, 3)));
        assert!(release("1.10.0") > release("1.9.9"));
        for bad in ["1.2", "1.2.3.4", "v1.2.3", "", "1.x.3"] {
            assert_eq!(release(bad), None, "{bad}");
        }
    }

    #[test]
    fn full_sha_only() {
        assert!(is_full_sha(COMMIT));
        for bad in [
            "v1.0.0",
            "main",
            &COMMIT[..39],
            &COMMIT.to_uppercase(),
            &format!("{COMMIT}0"),
            "g123456789abcdef0123456789abcdef01234567",
        ] {
            assert!(!is_full_sha(bad), "{bad}");
        }
    }

    #[test]
    fn github_remotes() {
        for (url, expected) in [
            ("https://github.com/o/n.git", Some("o/n")),
            ("https://github.com/o/n", Some("o/n")),
            ("https://github.com/o/n/", Some("o/n")),
            (
                "https://x-access-token:ghp_x@github.com/o/n.git\n",
                Some("o/n"),
            ),
            ("git@github.com:o/my.repo.git", Some("o/my.repo")),
            ("ssh://git@github.com/o/n.git", Some("o/n")),
            ("https://gitlab.com/o/n.git", None),
            ("https://github.com.evil.example/o/n", None),
            ("git@example.com:o/n.git", None),
            ("file:///srv/o/n.git", None),
            ("/srv/github.com/o/n", None),
            ("https://github.com/o", None),
        ] {
            assert_eq!(
                github_remote(url).map(|r| r.to_string()).as_deref(),
                expected,
                "{url}"
            );
        }
    }

    #[test]
    fn steps_name_the_repository() {
        let repo = RepoSlug::parse("o/n").ok();
        let steps = next_steps(repo.as_ref());
        assert!(steps.contains("gh secret set GH_CI_PAT --repo o/n"));
        assert!(steps.contains("codex diagnostics --repo o/n --repair --dry-run"));
        assert!(steps.contains("--owner o --title \"Codex Dual-Track Development\""));
        assert!(next_steps(None).contains("--repo OWNER/NAME"));
    }
}
