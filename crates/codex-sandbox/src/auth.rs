//! Tokens and what they may do, by prefix, as GitHub treats them: `ghp_` classic PAT (admin,
//! answers carry `x-oauth-scopes`), `github_pat_` fine-grained (admin on the repository),
//! `ghs_` the Actions `GITHUB_TOKEN` (push, but no organisation Projects, no variables, no issue
//! deletion), anything containing `readonly` (pull only), and any other token (admin).

/// The kind of a bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `ghp_…`: classic personal access token with `repo, project, workflow`.
    Classic,
    /// `github_pat_…`: fine-grained token, admin on the repository.
    FineGrained,
    /// `ghs_…`: the `GITHUB_TOKEN` of a workflow run.
    Actions,
    /// Contains `readonly`: pull access only.
    ReadOnly,
    /// Anything else: admin.
    Admin,
    /// A verified GitHub App JWT (only on the App endpoints).
    AppJwt,
    /// A live installation access token minted by the sandbox's App: push, variables, Projects,
    /// within its [`Reach`].
    Installation,
}

/// What an installation token may touch: its repositories (`owner/name`, lower case) and its
/// permissions (name and level, as GitHub names them: `issues` → `write`).
#[derive(Debug)]
pub(crate) struct Reach {
    pub(crate) repos: Vec<String>,
    /// Minted for named repositories (`repository_selection: "selected"`), not all of its
    /// installation's.
    pub(crate) narrowed: bool,
    pub(crate) permissions: Vec<(String, Access)>,
}

/// A permission level, ordered: `admin` includes `write`, which includes `read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    Read,
    Write,
    Admin,
}

impl Access {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }
}

/// The caller of one request.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) raw: String,
    pub(crate) kind: TokenKind,
    /// `None`: every repository.
    pub(crate) reach: Option<std::sync::Arc<Reach>>,
}

impl Token {
    /// Reads `Authorization: token X` or `Bearer X`; `None` when absent or empty.
    pub(crate) fn from_header(value: Option<&str>) -> Option<Self> {
        let v = value?.trim();
        let (scheme, raw) = v.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("token") && !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        let kind = if raw.contains("readonly") {
            TokenKind::ReadOnly
        } else if raw.starts_with("ghp_") {
            TokenKind::Classic
        } else if raw.starts_with("github_pat_") {
            TokenKind::FineGrained
        } else if raw.starts_with("ghs_") {
            TokenKind::Actions
        } else {
            TokenKind::Admin
        };
        Some(Self {
            raw: raw.to_owned(),
            kind,
            reach: None,
        })
    }

    pub(crate) fn can_push(&self) -> bool {
        self.kind != TokenKind::ReadOnly
    }

    pub(crate) fn is_admin(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Classic | TokenKind::FineGrained | TokenKind::Admin
        )
    }

    /// Whether the token may touch the repository `owner/name`.
    pub(crate) fn reaches(&self, owner: &str, name: &str) -> bool {
        self.reach.as_ref().is_none_or(|r| {
            let full = format!("{owner}/{name}").to_ascii_lowercase();
            r.repos.contains(&full)
        })
    }

    /// Whether the token holds `permission` at `level` or above (tokens other than an
    /// installation's hold every permission; their kind decides).
    pub(crate) fn may(&self, permission: &str, level: Access) -> bool {
        self.reach.as_ref().is_none_or(|r| {
            r.permissions
                .iter()
                .any(|(name, has)| name == permission && *has >= level)
        })
    }

    /// Whether the token sees organisation Projects (not the Actions token, nor an installation
    /// without `organization_projects: read`).
    pub(crate) fn sees_org_projects(&self) -> bool {
        !self.is_actions() && self.may("organization_projects", Access::Read)
    }

    pub(crate) fn is_actions(&self) -> bool {
        self.kind == TokenKind::Actions
    }

    /// The account the token acts as.
    pub(crate) fn login(&self) -> &'static str {
        match self.kind {
            TokenKind::Actions => "github-actions[bot]",
            TokenKind::ReadOnly => "reader",
            TokenKind::AppJwt | TokenKind::Installation => "codex-sandbox[bot]",
            _ => "octocat",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_prefix() {
        let k = |h: &str| Token::from_header(Some(h)).map(|t| t.kind);
        assert_eq!(k("token ghp_abc"), Some(TokenKind::Classic));
        assert_eq!(k("Bearer github_pat_x"), Some(TokenKind::FineGrained));
        assert_eq!(k("bearer ghs_x"), Some(TokenKind::Actions));
        assert_eq!(k("token ghp_readonly_1"), Some(TokenKind::ReadOnly));
        assert_eq!(k("token whatever"), Some(TokenKind::Admin));
        assert_eq!(k("token "), None);
        assert_eq!(k("Basic abc"), None);
        assert!(Token::from_header(None).is_none());
    }
}
