//! The integrity scanner's rules (reference section 16.1): the kinds of finding, what a
//! maintainer can do about each, and the pure comparisons behind them. [`crate::jobs::integrity`]
//! gathers the inputs and applies nothing: the scanner never writes.

use std::collections::BTreeMap;

use crate::numbers::Numbers;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What kind of defect a finding is. The order is the telemetry's and the dashboard's.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Listed by REST (an issue, not a pull request), not enumerated by GraphQL.
    RestOnly,
    /// Enumerated by GraphQL, not listed by REST.
    GraphqlOnly,
    /// A total disagrees with the repository's own count (no number).
    CountMismatch,
    /// A listed item without a usable number, or not an object (no number).
    Unreadable,
    /// `labels` missing, null or not an array.
    LabelsMissing,
    /// A label without a name, or neither a string nor an object.
    LabelMalformed,
    /// A milestone without a number, or not an object.
    MilestoneMalformed,
    /// A milestone number that is not among the repository's milestones.
    MilestoneUnknown,
    /// `created_at` or `updated_at` missing or unparseable.
    DateInvalid,
    /// A `state` or `state_reason` Codex does not know.
    StateUnknown,
    /// No title.
    TitleMissing,
    /// Answered 301 when read by number: moved to another repository.
    Transferred,
    /// Answered 410: deleted.
    Deleted,
    /// Answered 404: no longer visible to this token.
    NotVisible,
    /// Answered 200 by number, but the listing did not return it.
    Unlisted,
    /// A Project item whose issue no longer exists.
    ProjectItemOrphaned,
    /// A Project item whose issue is in another repository.
    ProjectItemForeign,
    /// An archived Project item (it cannot be updated).
    ProjectItemArchived,
    /// The Project is at 80% of its item limit or beyond (no number).
    ProjectNearLimit,
    /// A managed label present under another case (no number).
    LabelCase,
    /// An open issue carrying both track labels.
    TrackConflict,
    /// An issue carries a label that is not in the repository's label list.
    LabelUndefined,
}

/// How the dashboard groups the kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingGroup {
    /// REST against GraphQL and the repository's counts.
    Visibility,
    /// The issue payloads.
    Shape,
    /// Issues gone since the last scan.
    Gone,
    /// The Codex Project.
    Projects,
    /// Labels.
    Labels,
}

impl FindingKind {
    /// Every kind, in order.
    pub const ALL: [FindingKind; 22] = [
        FindingKind::RestOnly,
        FindingKind::GraphqlOnly,
        FindingKind::CountMismatch,
        FindingKind::Unreadable,
        FindingKind::LabelsMissing,
        FindingKind::LabelMalformed,
        FindingKind::MilestoneMalformed,
        FindingKind::MilestoneUnknown,
        FindingKind::DateInvalid,
        FindingKind::StateUnknown,
        FindingKind::TitleMissing,
        FindingKind::Transferred,
        FindingKind::Deleted,
        FindingKind::NotVisible,
        FindingKind::Unlisted,
        FindingKind::ProjectItemOrphaned,
        FindingKind::ProjectItemForeign,
        FindingKind::ProjectItemArchived,
        FindingKind::ProjectNearLimit,
        FindingKind::LabelCase,
        FindingKind::TrackConflict,
        FindingKind::LabelUndefined,
    ];

    /// The telemetry's word for it (`rest_only`, …).
    pub fn key(self) -> &'static str {
        match self {
            FindingKind::RestOnly => "rest_only",
            FindingKind::GraphqlOnly => "graphql_only",
            FindingKind::CountMismatch => "count_mismatch",
            FindingKind::Unreadable => "unreadable",
            FindingKind::LabelsMissing => "labels_missing",
            FindingKind::LabelMalformed => "label_malformed",
            FindingKind::MilestoneMalformed => "milestone_malformed",
            FindingKind::MilestoneUnknown => "milestone_unknown",
            FindingKind::DateInvalid => "date_invalid",
            FindingKind::StateUnknown => "state_unknown",
            FindingKind::TitleMissing => "title_missing",
            FindingKind::Transferred => "transferred",
            FindingKind::Deleted => "deleted",
            FindingKind::NotVisible => "not_visible",
            FindingKind::Unlisted => "unlisted",
            FindingKind::ProjectItemOrphaned => "project_item_orphaned",
            FindingKind::ProjectItemForeign => "project_item_foreign",
            FindingKind::ProjectItemArchived => "project_item_archived",
            FindingKind::ProjectNearLimit => "project_near_limit",
            FindingKind::LabelCase => "label_case",
            FindingKind::TrackConflict => "track_conflict",
            FindingKind::LabelUndefined => "label_undefined",
        }
    }

    /// Its group.
    pub fn group(self) -> FindingGroup {
        use FindingKind::*;
        match self {
            RestOnly | GraphqlOnly | CountMismatch => FindingGroup::Visibility,
            Unreadable | LabelsMissing | LabelMalformed | MilestoneMalformed | MilestoneUnknown
            | DateInvalid | StateUnknown | TitleMissing => FindingGroup::Shape,
            Transferred | Deleted | NotVisible | Unlisted => FindingGroup::Gone,
            ProjectItemOrphaned | ProjectItemForeign | ProjectItemArchived | ProjectNearLimit => {
                FindingGroup::Projects
            }
            LabelCase | TrackConflict | LabelUndefined => FindingGroup::Labels,
        }
    }

    /// What a maintainer can do about it, one sentence.
    pub fn remedy(self) -> &'static str {
        use FindingKind::*;
        match self {
            RestOnly => {
                "GitHub's search index lags behind: tools that list through GraphQL (the gh CLI, Projects' views) miss this issue until it catches up; editing the issue (a label, the title) reindexes it. Codex goes by REST and acts on it."
            }
            GraphqlOnly => {
                "The REST listing did not return this issue: check it opens on the web; if it does, it is a GitHub-side inconsistency worth reporting to GitHub Support. Codex does not act on what only GraphQL shows."
            }
            CountMismatch => {
                "A total disagrees with the repository's own count: usually an index catching up. If it persists over several scans, compare the listings and report it to GitHub Support."
            }
            Unreadable => {
                "The listing returned an item Codex cannot read (no number): usually a proxy or a server fault; if it repeats, capture the response and report it."
            }
            LabelsMissing => {
                "The issue's labels were not in the payload: open it on the web to see its labels; Codex reads them separately before any change."
            }
            LabelMalformed => {
                "A label came without a name: check the repository's labels (Settings → Labels) and the issue's labels on the web."
            }
            MilestoneMalformed => {
                "The issue's milestone could not be read: open the issue and set its milestone again."
            }
            MilestoneUnknown => {
                "The issue points at a milestone that no longer exists: set a current milestone on it (project-sync leaves an existing milestone alone)."
            }
            DateInvalid => {
                "A creation or update date is missing or unreadable: activity cannot age this issue; editing it sets a new update time."
            }
            StateUnknown => {
                "GitHub sent a state or close reason Codex does not know yet: the issue is kept as text and treated as not open; upgrade Codex if this persists."
            }
            TitleMissing => "The issue has no title: give it one.",
            Transferred => {
                "The issue was moved to another repository: follow it there; its Project item moved with it."
            }
            Deleted => {
                "The issue was deleted: nothing to repair here; remove any reference to it (Project items, links)."
            }
            NotVisible => {
                "The issue no longer answers to this token: it may be in a repository the token cannot see, or the token lost access; check the token's permissions."
            }
            Unlisted => {
                "The issue answers by number but the listing skipped it: GitHub-side inconsistency; editing the issue usually brings it back."
            }
            ProjectItemOrphaned => {
                "A Project item points at an issue that no longer exists: delete the item from the Project."
            }
            ProjectItemForeign => {
                "A Project item points at an issue in another repository (often a transferred one): remove it, or keep it if that repository is managed too."
            }
            ProjectItemArchived => {
                "The item is archived in the Project, so Codex cannot update it: restore it from the Project's archived items if it should be tracked."
            }
            ProjectNearLimit => {
                "The Project is near its item limit: archive or delete done items, or start a new Project, before additions start failing."
            }
            LabelCase => {
                "A Codex label exists under another case: rename it to the exact name (Settings → Labels) so every tool agrees."
            }
            TrackConflict => {
                "The issue carries both track labels: remove the one that does not apply (Codex never removes a label)."
            }
            LabelUndefined => {
                "The issue carries a label the repository's label list lacks: recreate the label, or remove it from the issue."
            }
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.key())
    }
}

/// One finding: a kind, the issue (when there is one), what was seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// The kind.
    pub kind: FindingKind,
    /// The issue's number, when the finding is about one.
    pub number: Option<u64>,
    /// What was seen, one sentence.
    pub detail: String,
    /// Where a transferred issue lives now (its web page), when known.
    pub moved_to: Option<String>,
}

impl Found {
    /// A finding about issue `number`.
    pub fn issue(kind: FindingKind, number: u64, detail: impl Into<String>) -> Self {
        Found {
            kind,
            number: Some(number),
            detail: detail.into(),
            moved_to: None,
        }
    }

    /// A finding about the repository as a whole.
    pub fn repository(kind: FindingKind, detail: impl Into<String>) -> Self {
        Found {
            kind,
            number: None,
            detail: detail.into(),
            moved_to: None,
        }
    }
}

/// REST against GraphQL, number by number: REST-only issues (pull requests are not in
/// GraphQL's `issues`, so they are left out), GraphQL-only numbers, and GraphQL's own total.
/// REST is the source of truth; the difference is reported, never acted on.
pub fn compare_listings(
    rest_issues: &Numbers,
    rest_pull_requests: &Numbers,
    graphql: &Numbers,
    graphql_total: Option<u64>,
) -> Vec<Found> {
    let mut out = Vec::new();
    for n in rest_issues.iter().filter(|&n| !graphql.contains(n)) {
        out.push(Found::issue(
            FindingKind::RestOnly,
            n,
            format!("#{n} is listed by REST but GraphQL's repository.issues does not return it"),
        ));
    }
    for n in graphql
        .iter()
        .filter(|&n| !rest_issues.contains(n) && !rest_pull_requests.contains(n))
    {
        out.push(Found::issue(
            FindingKind::GraphqlOnly,
            n,
            format!("#{n} is returned by GraphQL but the REST listing does not return it"),
        ));
    }
    if let Some(total) = graphql_total
        && total != graphql.len() as u64
    {
        out.push(Found::repository(
            FindingKind::CountMismatch,
            format!(
                "GraphQL enumerated {} issues but counts {total}",
                graphql.len()
            ),
        ));
    }
    out
}

/// The REST listing's open items (issues and pull requests) against the repository's own
/// `open_issues_count` (which counts both).
pub fn compare_open_count(listed_open: u64, repository_open: Option<u64>) -> Option<Found> {
    let counted = repository_open?;
    (counted != listed_open).then(|| {
        Found::repository(
            FindingKind::CountMismatch,
            format!(
                "REST listed {listed_open} open issues and pull requests; the repository counts {counted}"
            ),
        )
    })
}

/// The most numbers checked one by one in a scan.
pub const MAX_CHECKS: usize = 200;

/// Where the numbers to check one by one come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// The previous scan's managed issues.
    Previous,
    /// No previous scan: the gaps in the numbering up to the highest listed number.
    Gaps,
}

/// The numbers to read one by one: the baseline's numbers (the previous scan's managed issues,
/// or on a first scan every gap below the highest listed number) that neither REST nor GraphQL
/// returned now. Ascending; the first [`MAX_CHECKS`] are checked, the count of the rest is
/// the second value.
pub fn numbers_to_check(
    previous_managed: Option<&Numbers>,
    listed: &Numbers,
    graphql: &Numbers,
) -> (Vec<u64>, u64) {
    let missing = |n: &u64| !listed.contains(*n) && !graphql.contains(*n);
    match previous_managed {
        Some(previous) => {
            let mut check = Vec::new();
            let mut more = 0u64;
            for n in previous.iter().filter(missing) {
                if check.len() < MAX_CHECKS {
                    check.push(n);
                } else {
                    more += 1;
                }
            }
            (check, more)
        }
        None => {
            // The gaps are counted, not walked: one number far above the rest (a server's
            // `9007199254740991`) would otherwise be a walk of that many steps.
            let max = listed.last().unwrap_or(0);
            let check: Vec<u64> = (1..=max).filter(missing).take(MAX_CHECKS).collect();
            let within = |n: &u64| (1..=max).contains(n);
            let present = listed.iter().filter(within).count() as u64
                + graphql
                    .iter()
                    .filter(|n| within(n) && !listed.contains(*n))
                    .count() as u64;
            let more = (max - present).saturating_sub(check.len() as u64);
            (check, more)
        }
    }
}

/// Issue numbers as ascending ranges: `1-40,42,45-50` (the telemetry's `managed`).
pub fn ranges(numbers: &Numbers) -> String {
    let mut out = String::new();
    let mut iter = numbers.iter().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
    }
    out
}

/// Read [`ranges`] back. `None` when the text is not such a list (or names more than a
/// million numbers: a hostile file does not get to allocate without bound).
pub fn parse_ranges(text: &str) -> Option<Numbers> {
    const MAX: u64 = 1_000_000;
    let mut out = Numbers::new();
    if text.trim().is_empty() {
        return Some(out);
    }
    let mut total = 0u64;
    for part in text.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?),
            None => {
                let n = part.parse::<u64>().ok()?;
                (n, n)
            }
        };
        if a == 0 || b < a {
            return None;
        }
        total = total.checked_add(b - a + 1)?;
        if total > MAX {
            return None;
        }
        out.extend(a..=b);
    }
    Some(out)
}

/// Managed labels present in the repository under another case: (expected, found).
pub fn label_case<'a>(
    managed: &[&'a str],
    repository_labels: &'a [String],
) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    for &want in managed {
        if repository_labels.iter().any(|l| l == want) {
            continue;
        }
        if let Some(found) = repository_labels
            .iter()
            .find(|l| l.eq_ignore_ascii_case(want))
        {
            out.push((want, found.as_str()));
        }
    }
    out
}

/// Per kind, how many (every kind present, 0 when none).
pub fn counts(found: &[Found]) -> BTreeMap<String, u64> {
    let mut out: BTreeMap<String, u64> = FindingKind::ALL
        .iter()
        .map(|k| (k.key().to_owned(), 0))
        .collect();
    for f in found {
        *out.entry(f.kind.key().to_owned()).or_default() += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ns: &[u64]) -> Numbers {
        ns.iter().copied().collect()
    }

    #[test]
    fn keys_are_the_serde_names_in_order() {
        for k in FindingKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.key());
            assert!(!k.remedy().is_empty() && k.remedy().ends_with('.'));
        }
        let mut sorted = FindingKind::ALL;
        sorted.sort();
        assert_eq!(sorted, FindingKind::ALL, "ALL is in declaration order");
    }

    #[test]
    fn listings_compare_number_by_number_leaving_pull_requests_out() {
        let found = compare_listings(
            &set(&[1, 2, 3, 5]),
            &set(&[4]),
            &set(&[1, 3, 4, 6]),
            Some(4),
        );
        let kinds: Vec<_> = found.iter().map(|f| (f.kind, f.number)).collect();
        assert_eq!(
            kinds,
            [
                (FindingKind::RestOnly, Some(2)),
                (FindingKind::RestOnly, Some(5)),
                (FindingKind::GraphqlOnly, Some(6)),
            ]
        );
        let found = compare_listings(&set(&[1]), &set(&[]), &set(&[1]), Some(3));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, FindingKind::CountMismatch);
        assert!(found[0].detail.contains("enumerated 1 issues but counts 3"));
        assert!(compare_listings(&set(&[1]), &set(&[]), &set(&[1]), Some(1)).is_empty());
    }

    #[test]
    fn open_count_compares_only_when_known() {
        assert_eq!(compare_open_count(3, None), None);
        assert_eq!(compare_open_count(3, Some(3)), None);
        let f = compare_open_count(3, Some(5)).unwrap();
        assert_eq!(f.number, None);
        assert!(f.detail.contains("listed 3") && f.detail.contains("counts 5"));
    }

    #[test]
    fn numbers_to_check_come_from_the_baseline_or_the_gaps() {
        let listed = set(&[1, 2, 4, 7]);
        let graphql = set(&[1, 2, 4, 5]);
        // First scan: gaps below the highest listed number, less what GraphQL saw.
        assert_eq!(numbers_to_check(None, &listed, &graphql), (vec![3, 6], 0));
        // Later scans: only the previous managed issues now missing.
        let previous = set(&[2, 3, 9]);
        assert_eq!(
            numbers_to_check(Some(&previous), &listed, &graphql),
            (vec![3, 9], 0)
        );
        let many: Numbers = (1000..1300).collect();
        let (check, more) = numbers_to_check(Some(&many), &listed, &graphql);
        assert_eq!(check.len(), MAX_CHECKS);
        assert_eq!(check[0], 1000);
        assert_eq!(more, 100);
        // A first scan with gaps past the limit counts the rest ...
        let (check, more) = numbers_to_check(None, &set(&[1, 500]), &set(&[2, 600]));
        assert_eq!(check.len(), MAX_CHECKS);
        assert_eq!(check[0], 3);
        assert_eq!(more, 500 - 3 - MAX_CHECKS as u64, "497 gaps below 500");
        // ... and one number far above the rest is counted, not walked to.
        let far = (1u64 << 53) - 1;
        let (check, more) = numbers_to_check(None, &set(&[1, 2, far]), &Numbers::new());
        assert_eq!(check, (3..3 + MAX_CHECKS as u64).collect::<Vec<_>>());
        assert_eq!(more, far - 3 - MAX_CHECKS as u64);
    }

    #[test]
    fn ranges_round_trip_and_refuse_nonsense() {
        let ns = set(&[1, 2, 3, 5, 7, 8, 100]);
        assert_eq!(ranges(&ns), "1-3,5,7-8,100");
        assert_eq!(parse_ranges(&ranges(&ns)), Some(ns));
        assert_eq!(ranges(&set(&[])), "");
        assert_eq!(parse_ranges(""), Some(set(&[])));
        for bad in ["x", "3-1", "0", "1,,2", "1-", "-2", "1-99999999999"] {
            assert_eq!(parse_ranges(bad), None, "{bad}");
        }
    }

    #[test]
    fn label_case_finds_a_managed_label_only_under_another_case() {
        let labels = vec![
            "Codex".to_owned(),
            "codex-trackmain".to_owned(),
            "bug".to_owned(),
        ];
        assert_eq!(
            label_case(
                &["codex", "codex-trackmain", "codex-trackdashboard"],
                &labels
            ),
            [("codex", "Codex")]
        );
    }

    #[test]
    fn counts_list_every_kind() {
        let c = counts(&[
            Found::issue(FindingKind::Deleted, 3, "x"),
            Found::issue(FindingKind::Deleted, 4, "y"),
        ]);
        assert_eq!(c.len(), FindingKind::ALL.len());
        assert_eq!(c["deleted"], 2);
        assert_eq!(c["rest_only"], 0);
    }
}
