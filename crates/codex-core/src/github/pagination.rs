//! `Link` header parsing, pure and separate from the page loop that uses it.
//!
//! GitHub's `next` links are followed exactly as given: for issues they point at
//! `/repositories/{id}/issues` and carry `after=` cursors, and building `page=` numbers instead
//! fails past page 100 with a 422.

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
