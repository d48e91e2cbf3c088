//! `Link` header parsing, pure and separate from the page loop that uses it.
//!
//! GitHub's `next` links are followed exactly as given: for issues they point at
//! `/repositories/{id}/issues` and carry `after=` cursors, and building `page=` numbers instead
//! fails past page 100 with a 422.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use url::Url;

use crate::error::{Error, Result};

/// The most pages one listing may read when the server does not say how many there are:
/// 10,000 pages of 100 is a million issues and pull requests, several times the largest
/// repositories on GitHub.
pub const MAX_PAGES: u64 = 10_000;

/// The guard every page loop carries, so that a listing ends whatever the server's `Link`
/// headers say: a page already read is never asked for again ([`Error::PaginationLoop`]), and
/// no more pages are read than the repository can hold ([`Error::PageCap`]).
///
/// The cap is [`MAX_PAGES`] until the first page's `Link` rel="last" names the number of
/// pages; then it is that number plus a margin of a quarter and 10 pages (for items created
/// while the listing runs), never above [`MAX_PAGES`]. It costs no request: the repository's
/// `open_issues_count` would, and it counts the same issues and pull requests the listing
/// returns.
#[derive(Debug, Clone)]
pub struct PageGuard {
    id: u64,
    visited: HashSet<String>,
    pages: u64,
    cap: u64,
    last: Option<u64>,
}

impl Default for PageGuard {
    fn default() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        PageGuard {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            visited: HashSet::new(),
            pages: 0,
            cap: MAX_PAGES,
            last: None,
        }
    }
}

impl PageGuard {
    /// A guard for a new listing.
    pub fn new() -> Self {
        PageGuard::default()
    }

    /// Admit `url` as the next page to read, or say why the listing must stop.
    pub fn enter(&mut self, url: &Url) -> Result<()> {
        if self.visited.contains(url.as_str()) {
            return Err(Error::PaginationLoop {
                url: url.to_string(),
            });
        }
        if self.pages >= self.cap {
            return Err(Error::PageCap {
                url: url.to_string(),
                cap: self.cap,
            });
        }
        self.visited.insert(url.as_str().to_owned());
        self.pages += 1;
        Ok(())
    }

    /// Learn the number of pages from a page's `Link` header (the first page's only).
    pub fn observe(&mut self, link_header: Option<&str>) {
        if self.pages != 1 {
            return;
        }
        if let Some(last) = link_header.and_then(last_page) {
            self.cap = page_cap(last);
            self.last = Some(last);
        }
    }

    /// This listing's identity, distinct from every other guard's in the process (progress
    /// adds up the pages of a run's listings by it).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Pages admitted so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// The number of pages the first page's `Link` rel="last" named, if it did.
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// The current cap.
    pub fn cap(&self) -> u64 {
        self.cap
    }
}

/// The cap for a listing whose server says it has `last` pages.
pub fn page_cap(last: u64) -> u64 {
    last.saturating_add(last / 4)
        .saturating_add(10)
        .min(MAX_PAGES)
}

/// The page number of the `rel="last"` link, when it carries a `page=` parameter.
pub fn last_page(header: &str) -> Option<u64> {
    let (url, _) = links(header)
        .into_iter()
        .find(|(_, rels)| rels.split_whitespace().any(|r| r == "last"))?;
    let url = Url::parse(&url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
}

/// The URL of the `rel="next"` link, if any.
pub fn next_link(header: &str) -> Option<String> {
    links(header)
        .into_iter()
        .find(|(_, rels)| rels.split_whitespace().any(|r| r == "next"))
        .map(|(url, _)| url)
}

/// Every `<url>; rel="…"` pair of a `Link` header, in order. Tolerates spaces, unquoted
/// `rel` values, other parameters and commas inside the URL.
pub fn links(header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = header;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        let url = after[..end].trim().to_owned();
        let params_and_more = &after[end + 1..];
        // Parameters run until the next link starts (a ',' followed by '<').
        let next_start = find_next_link(params_and_more);
        let params = &params_and_more[..next_start];
        let mut rel = String::new();
        for param in params.split(';') {
            let param = param.trim().trim_end_matches(',').trim();
            if let Some((key, value)) = param.split_once('=')
                && key.trim().eq_ignore_ascii_case("rel")
            {
                rel = value.trim().trim_matches('"').to_owned();
            }
        }
        if !url.is_empty() {
            out.push((url, rel));
        }
        rest = &params_and_more[next_start..];
    }
    out
}

fn find_next_link(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b',' {
            let tail = s[i + 1..].trim_start();
            if tail.starts_with('<') {
                return i;
            }
        }
        i += 1;
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn a_page_already_read_ends_the_listing() {
        let mut guard = PageGuard::new();
        guard.enter(&url("https://x/r?page=1")).unwrap();
        guard.enter(&url("https://x/r?page=2")).unwrap();
        let err = guard.enter(&url("https://x/r?page=1")).unwrap_err();
        assert!(
            matches!(err, Error::PaginationLoop { ref url } if url == "https://x/r?page=1"),
            "{err:?}"
        );
        assert!(err.to_string().contains("pagination loop"), "{err}");
        assert!(!err.to_string().contains('\n'));
        assert_eq!(guard.pages(), 2);
    }

    #[test]
    fn the_cap_follows_the_first_pages_last_link_with_a_margin() {
        let mut guard = PageGuard::new();
        assert_eq!(guard.cap(), MAX_PAGES);
        guard.enter(&url("https://x/r")).unwrap();
        guard.observe(Some(
            r#"<https://x/r?after=a>; rel="next", <https://x/r?page=8>; rel="last""#,
        ));
        assert_eq!(guard.cap(), 8 + 2 + 10);
        assert_eq!(guard.last(), Some(8));
        for n in 2..=20 {
            guard
                .enter(&url(&format!("https://x/r?after={n}")))
                .unwrap();
            // Later pages' `last` does not move the cap.
            guard.observe(Some(r#"<https://x/r?page=100000>; rel="last""#));
        }
        let err = guard.enter(&url("https://x/r?after=21")).unwrap_err();
        assert!(matches!(err, Error::PageCap { cap: 20, .. }), "{err:?}");
    }

    #[test]
    fn caps_stay_within_the_fixed_maximum() {
        assert_eq!(page_cap(0), 10);
        assert_eq!(page_cap(100), 135);
        assert_eq!(page_cap(u64::MAX), MAX_PAGES);
        assert_eq!(
            last_page(r#"<https://x/r?page=3&per_page=100>; rel="last""#),
            Some(3)
        );
        assert_eq!(last_page(r#"<https://x/r?after=abc>; rel="next""#), None);
        assert_eq!(last_page(r#"<https://x/r?page=x>; rel="last""#), None);
    }

    #[test]
    fn github_cursor_links() {
        let header = r#"<https://api.github.com/repositories/1300192/issues?state=all&per_page=100&after=Y3Vyc29yOnYyOpLPAAABjDQ>; rel="next", <https://api.github.com/repositories/1300192/issues?state=all&per_page=100&before=Y3Vyc29y>; rel="prev""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some(
                "https://api.github.com/repositories/1300192/issues?state=all&per_page=100&after=Y3Vyc29yOnYyOpLPAAABjDQ"
            )
        );
    }

    #[test]
    fn page_links_in_any_order() {
        let header = r#"<https://x/r?page=1>; rel="first", <https://x/r?page=9>; rel="last", <https://x/r?page=3>; rel="next""#;
        assert_eq!(next_link(header).as_deref(), Some("https://x/r?page=3"));
        assert_eq!(links(header).len(), 3);
    }

    #[test]
    fn no_next_on_the_last_page() {
        assert_eq!(
            next_link(r#"<https://x/r?page=1>; rel="first", <https://x/r?page=8>; rel="prev""#),
            None
        );
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("garbage"), None);
        assert_eq!(next_link("<unterminated; rel=\"next\""), None);
    }

    #[test]
    fn tolerant_of_spacing_case_unquoted_and_commas_in_urls() {
        assert_eq!(
            next_link("<https://x/a?l=a,b>;rel=next").as_deref(),
            Some("https://x/a?l=a,b")
        );
        assert_eq!(
            next_link(" < https://x/a > ; REL = \"next\" ").as_deref(),
            Some("https://x/a")
        );
        assert_eq!(
            next_link(r#"<https://x/a>; rel="prev next""#).as_deref(),
            Some("https://x/a")
        );
        assert_eq!(
            next_link(r#"<https://x/a>; title="a, b"; rel="next""#).as_deref(),
            Some("https://x/a")
        );
    }
}
