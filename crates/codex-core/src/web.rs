//! Which server an API URL names, and where links for people point (CONTRACT.md sections 2
//! and 4): the GraphQL default and the web host are derived here and nowhere else.
//!
//! - `https://api.github.com`: GraphQL `https://api.github.com/graphql`, web `https://github.com`.
//! - GitHub Enterprise Cloud with data residency, `https://api.SUBDOMAIN.ghe.com`: GraphQL
//!   `https://api.SUBDOMAIN.ghe.com/graphql`, web `https://SUBDOMAIN.ghe.com`.
//! - GitHub Enterprise Server, an API URL whose path ends in `/api/v3`: GraphQL
//!   `scheme://host[:port]/api/graphql` (GHES serves no `/api/v3/graphql`), web
//!   `scheme://host[:port]`.
//! - Anything else: GraphQL `<api-url>/graphql`, web the API URL's origin.
//!
//! A link a server answered with (an issue's `html_url`) is shown only when [`WebBase::accept`]
//! finds it on that web host: servers are not trusted to say where people should click.

use url::Url;

use crate::config::{RepoSlug, join};

/// What an API URL says about its server.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Server {
    /// `api.github.com`.
    GitHubCom,
    /// `api.SUBDOMAIN.ghe.com` (data residency): the web host without `api.`.
    GheCom(Url),
    /// GitHub Enterprise Server: the origin serving `/api/v3`.
    Enterprise(Url),
    /// Anything else (a proxy, a test double).
    Other,
}

fn server(api_url: &Url) -> Server {
    let host = api_url.host_str().unwrap_or_default();
    if host == "api.github.com" {
        return Server::GitHubCom;
    }
    if let Some(web_host) = host.strip_prefix("api.")
        && web_host.ends_with(".ghe.com")
        && web_host.len() > ".ghe.com".len()
    {
        let mut web = origin(api_url);
        if web.set_host(Some(web_host)).is_ok() {
            return Server::GheCom(web);
        }
    }
    if api_url.path().trim_end_matches('/').ends_with("/api/v3") {
        return Server::Enterprise(origin(api_url));
    }
    Server::Other
}

/// `scheme://host[:port]` of a URL (no path, no query).
fn origin(url: &Url) -> Url {
    let mut origin = url.clone();
    origin.set_path("");
    origin.set_query(None);
    origin.set_fragment(None);
    origin
}

/// The GraphQL endpoint when none is given (`--graphql-url` / `GITHUB_GRAPHQL_URL` win).
pub fn default_graphql_url(api_url: &Url) -> Url {
    match server(api_url) {
        Server::Enterprise(root) => join(&root, "api/graphql"),
        Server::GitHubCom | Server::GheCom(_) | Server::Other => join(api_url, "graphql"),
    }
}

/// The web host of the server an API URL belongs to: where links for people point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebBase(Url);

impl WebBase {
    /// Derived from the API URL (module docs).
    pub fn from_api_url(api_url: &Url) -> WebBase {
        let base = match server(api_url) {
            Server::GitHubCom => Url::parse("https://github.com").expect("a constant URL is valid"),
            Server::Enterprise(root) | Server::GheCom(root) => root,
            Server::Other => origin(api_url),
        };
        WebBase(base)
    }

    /// `scheme://host[:port]`, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The repository's page: `<web>/OWNER/NAME`.
    pub fn repo(&self, repo: &RepoSlug) -> String {
        join(&self.0, &format!("{}/{}", repo.owner, repo.name)).to_string()
    }

    /// An issue's page: `<web>/OWNER/NAME/issues/N`.
    pub fn issue(&self, repo: &RepoSlug, number: u64) -> String {
        format!("{}/issues/{number}", self.repo(repo))
    }

    /// An issue's link for people: its `html_url` when [`accept`](Self::accept)ed, else
    /// derived from the web host.
    pub fn issue_link(&self, repo: &RepoSlug, number: u64, html_url: Option<&str>) -> String {
        html_url
            .and_then(|u| self.accept(u))
            .unwrap_or_else(|| self.issue(repo, number))
    }

    /// A link a server gave, when it is safe to show: it parses, is `https` (or `http` when the
    /// web host itself is), carries no credentials, and is on the web host (same host and
    /// port, the scheme's default port counted). Returned as the parsed URL writes itself (percent-encoded).
    pub fn accept(&self, link: &str) -> Option<String> {
        let url = Url::parse(link.trim()).ok()?;
        let scheme_ok = url.scheme() == "https" || url.scheme() == self.0.scheme();
        let same_place = url.host_str().is_some()
            && url.host_str() == self.0.host_str()
            && url.port_or_known_default() == self.0.port_or_known_default();
        (scheme_ok && same_place && url.username().is_empty() && url.password().is_none())
            .then(|| url.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn graphql_default_follows_the_server() {
        for (api, graphql) in [
            ("https://api.github.com", "https://api.github.com/graphql"),
            ("https://api.github.com/", "https://api.github.com/graphql"),
            (
                "https://ghe.example.com/api/v3",
                "https://ghe.example.com/api/graphql",
            ),
            (
                "https://ghe.example.com/api/v3/",
                "https://ghe.example.com/api/graphql",
            ),
            (
                "http://127.0.0.1:8080/api/v3",
                "http://127.0.0.1:8080/api/graphql",
            ),
            (
                "https://ghe.example.com:8443/api/v3",
                "https://ghe.example.com:8443/api/graphql",
            ),
            // not GHES: the path prefix is kept
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/graphql"),
            (
                "https://proxy.example.com/github",
                "https://proxy.example.com/github/graphql",
            ),
            (
                "https://ghe.example.com/api/v3x",
                "https://ghe.example.com/api/v3x/graphql",
            ),
            (
                "https://ghe.example.com/api/v4",
                "https://ghe.example.com/api/v4/graphql",
            ),
        ] {
            assert_eq!(default_graphql_url(&url(api)).as_str(), graphql, "{api}");
        }
    }

    #[test]
    fn web_host_follows_the_server() {
        for (api, web) in [
            ("https://api.github.com", "https://github.com"),
            ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
            (
                "https://ghe.example.com:8443/api/v3/",
                "https://ghe.example.com:8443",
            ),
            ("http://127.0.0.1:8080/api/v3", "http://127.0.0.1:8080"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            (
                "https://proxy.example.com/github",
                "https://proxy.example.com",
            ),
        ] {
            assert_eq!(WebBase::from_api_url(&url(api)).as_str(), web, "{api}");
        }
        let repo = RepoSlug::parse("acme/widgets").unwrap();
        let ghes = WebBase::from_api_url(&url("https://ghe.example.com/api/v3"));
        assert_eq!(ghes.repo(&repo), "https://ghe.example.com/acme/widgets");
        assert_eq!(
            ghes.issue(&repo, 7),
            "https://ghe.example.com/acme/widgets/issues/7"
        );
        let dotcom = WebBase::from_api_url(&url("https://api.github.com"));
        assert_eq!(dotcom.repo(&repo), "https://github.com/acme/widgets");
    }

    #[test]
    fn only_links_on_the_web_host_are_accepted() {
        let ghes = WebBase::from_api_url(&url("https://ghe.example.com/api/v3"));
        let ok = "https://ghe.example.com/acme/widgets/issues/7";
        assert_eq!(ghes.accept(ok).as_deref(), Some(ok));
        assert_eq!(
            ghes.accept("https://GHE.example.com:443/acme/widgets/issues/7")
                .as_deref(),
            Some(ok)
        );
        for bad in [
            "https://github.com/acme/widgets/issues/7",
            "https://ghe.example.com.evil.example/acme/widgets/issues/7",
            "https://ghe.example.com:8443/acme/widgets/issues/7",
            "http://ghe.example.com/acme/widgets/issues/7",
            "javascript:alert(1)",
            "data:text/html,hi",
            "https://user:pass@ghe.example.com/acme/widgets/issues/7",
            "https://x@ghe.example.com/acme/widgets/issues/7",
            "//ghe.example.com/acme/widgets/issues/7",
            "/acme/widgets/issues/7",
            "",
        ] {
            assert_eq!(ghes.accept(bad), None, "{bad}");
        }
        // a server on plain http (the sandbox) links on plain http, or https on its own port
        let local = WebBase::from_api_url(&url("http://127.0.0.1:8080/api/v3"));
        let issue = "http://127.0.0.1:8080/acme/widgets/issues/1";
        assert_eq!(local.accept(issue).as_deref(), Some(issue));
        assert_eq!(local.accept("http://127.0.0.1:9090/a/b/issues/1"), None);
        assert_eq!(local.accept("http://localhost:8080/a/b/issues/1"), None);
        // a refused link falls back to the derived one
        let repo = RepoSlug::parse("acme/widgets").unwrap();
        assert_eq!(
            ghes.issue_link(&repo, 7, Some("https://evil.example/phish")),
            ok
        );
        assert_eq!(ghes.issue_link(&repo, 7, None), ok);
        assert_eq!(ghes.issue_link(&repo, 7, Some(ok)), ok);
    }
}
