//! Typed REST calls Codex needs, each a thin layer over [`GitHub`] that returns our models.

use http::Method;
use serde_json::{Value, json};

use crate::config::RepoSlug;
use crate::error::{Error, Result};
use crate::github::client::{GitHub, Retry, Written};
use crate::github::model::{Issue, IssueNumber, Label, Milestone, MilestoneNumber};

impl GitHub {
    fn repo_path(repo: &RepoSlug, rest: &str) -> String {
        if rest.is_empty() {
            format!("repos/{}/{}", repo.owner, repo.name)
        } else {
            format!("repos/{}/{}/{}", repo.owner, repo.name, rest)
        }
    }

    /// Every item of a paginated array endpoint (labels, milestones): small lists only.
    pub async fn list_all(&self, path_and_query: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut next = Some(self.url(path_and_query.split('?').next().unwrap_or_default()));
        if let (Some(url), Some((_, query))) = (next.as_mut(), path_and_query.split_once('?')) {
            url.set_query(Some(query));
        }
        let mut guard = crate::github::pagination::PageGuard::new();
        while let Some(url) = next.take() {
            let (body, following) = self.get_page(&url, &mut guard).await?;
            next = following;
            match body {
                Value::Array(items) => out.extend(items),
                _ => {
                    return Err(Error::Decode {
                        url: url.to_string(),
                        message: "expected a list".into(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// `GET /repos/{owner}/{repo}` as raw JSON (permissions, id, default branch).
    pub async fn repository(&self, repo: &RepoSlug) -> Result<Value> {
        self.get_json(&Self::repo_path(repo, "")).await
    }

    /// Every label of the repository.
    pub async fn labels(&self, repo: &RepoSlug) -> Result<Vec<Label>> {
        let items = self
            .list_all(&Self::repo_path(repo, "labels?per_page=100"))
            .await?;
        Ok(items.iter().filter_map(Label::from_json).collect())
    }

    /// Every milestone, open and closed.
    pub async fn milestones(&self, repo: &RepoSlug) -> Result<Vec<Milestone>> {
        let items = self
            .list_all(&Self::repo_path(repo, "milestones?state=all&per_page=100"))
            .await?;
        Ok(items.iter().filter_map(Milestone::from_json).collect())
    }

    /// The issue a 301 points at (`Location`), read once; `None` when the location is not on
    /// this client's API (a hostile or misconfigured server does not get to send the token
    /// elsewhere).
    pub async fn issue_at(&self, location: &str) -> Result<Option<Issue>> {
        let Ok(url) = url::Url::parse(location) else {
            return Ok(None);
        };
        let base = self.api_url();
        if url.origin() != base.origin() || !url.path().starts_with(base.path()) {
            return Ok(None);
        }
        let value = self.get(&url).await?.json()?;
        Ok(Issue::from_json(&value).ok())
    }

    /// One issue. 301 (transferred) and 410 (deleted) come back as [`Error::Moved`] and
    /// [`Error::Gone`].
    pub async fn issue(&self, repo: &RepoSlug, number: IssueNumber) -> Result<Issue> {
        let url = self.url(&Self::repo_path(repo, &format!("issues/{number}")));
        let value = self.get(&url).await?.json()?;
        Issue::from_json(&value).map_err(|m| Error::Decode {
            url: url.to_string(),
            message: m.reason,
        })
    }

    /// Create an issue.
    pub async fn create_issue(
        &self,
        repo: &RepoSlug,
        title: &str,
        body: &str,
        labels: &[&str],
        milestone: Option<MilestoneNumber>,
    ) -> Result<Written<Issue>> {
        let mut payload = json!({ "title": title, "body": body, "labels": labels });
        if let Some(m) = milestone {
            payload["milestone"] = json!(m.0);
        }
        let path = Self::repo_path(repo, "issues");
        // Never blindly: a create whose answer was lost may have been applied.
        let written = self
            .write(Method::POST, &path, &payload, Retry::Never)
            .await?;
        self.map_issue(&path, written)
    }

    /// Add labels, keeping every label already there (`POST …/labels` never replaces the
    /// set, so a label a person adds meanwhile survives). Returns the issue's labels after.
    pub async fn add_labels(
        &self,
        repo: &RepoSlug,
        number: IssueNumber,
        labels: &[String],
    ) -> Result<Written<Vec<String>>> {
        let path = Self::repo_path(repo, &format!("issues/{number}/labels"));
        Ok(
            match self
                .write(
                    Method::POST,
                    &path,
                    &json!({ "labels": labels }),
                    Retry::Safe,
                )
                .await?
            {
                Written::DryRun => Written::DryRun,
                Written::Done(value) => Written::Done(
                    value
                        .as_array()
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(Label::from_json)
                                .map(|l| l.name)
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
            },
        )
    }

    /// Set only the milestone (the request carries nothing else, so no other field can be
    /// clobbered).
    pub async fn set_milestone(
        &self,
        repo: &RepoSlug,
        number: IssueNumber,
        milestone: MilestoneNumber,
    ) -> Result<Written<Issue>> {
        let path = Self::repo_path(repo, &format!("issues/{number}"));
        let body = json!({ "milestone": milestone.0 });
        let written = self.write(Method::PATCH, &path, &body, Retry::Safe).await?;
        self.map_issue(&path, written)
    }

    /// Close an issue with a reason (`completed` or `not_planned`).
    pub async fn close_issue(
        &self,
        repo: &RepoSlug,
        number: IssueNumber,
        reason: &str,
    ) -> Result<Written<Issue>> {
        let path = Self::repo_path(repo, &format!("issues/{number}"));
        let body = json!({ "state": "closed", "state_reason": reason });
        let written = self.write(Method::PATCH, &path, &body, Retry::Safe).await?;
        self.map_issue(&path, written)
    }

    /// Create a label.
    pub async fn create_label(
        &self,
        repo: &RepoSlug,
        name: &str,
        color: &str,
        description: &str,
    ) -> Result<Written<Value>> {
        let body = json!({ "name": name, "color": color, "description": description });
        // A repeat after a lost answer would meet 422 "already exists": not retried.
        self.write(
            Method::POST,
            &Self::repo_path(repo, "labels"),
            &body,
            Retry::Never,
        )
        .await
    }

    /// Create an open milestone.
    pub async fn create_milestone(
        &self,
        repo: &RepoSlug,
        title: &str,
        description: &str,
    ) -> Result<Written<Value>> {
        let body = json!({ "title": title, "state": "open", "description": description });
        self.write(
            Method::POST,
            &Self::repo_path(repo, "milestones"),
            &body,
            Retry::Never,
        )
        .await
    }

    /// True when the branch exists.
    pub async fn branch_exists(&self, repo: &RepoSlug, branch: &str) -> Result<bool> {
        match self
            .get_json(&Self::repo_path(repo, &format!("branches/{branch}")))
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Names in a directory of a branch, or `None` when the directory does not exist.
    pub async fn directory(
        &self,
        repo: &RepoSlug,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<Vec<String>>> {
        let mut url = self.url(&Self::repo_path(repo, &format!("contents/{path}")));
        url.query_pairs_mut().append_pair("ref", git_ref);
        match self.get(&url).await.and_then(|r| r.json()) {
            Ok(Value::Array(items)) => Ok(Some(
                items
                    .iter()
                    .filter_map(|i| i.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect(),
            )),
            Ok(_) => Ok(None),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Names of the repository's Actions variables (needs a token that may read them).
    pub async fn variable_names(&self, repo: &RepoSlug) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut url = self.url(&Self::repo_path(repo, "actions/variables"));
        url.query_pairs_mut().append_pair("per_page", "30");
        let mut next = Some(url);
        let mut guard = crate::github::pagination::PageGuard::new();
        while let Some(url) = next.take() {
            let (value, following) = self.get_page(&url, &mut guard).await?;
            next = following;
            for v in value
                .get("variables")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = v.get("name").and_then(Value::as_str) {
                    names.push(name.to_owned());
                }
            }
        }
        Ok(names)
    }
}

impl GitHub {
    /// The issue a write to `path` answered with.
    fn map_issue(&self, path: &str, written: Written<Value>) -> Result<Written<Issue>> {
        Ok(match written {
            Written::DryRun => Written::DryRun,
            Written::Done(value) => {
                Written::Done(Issue::from_json(&value).map_err(|m| Error::Decode {
                    url: self.url(path).to_string(),
                    message: m.reason,
                })?)
            }
        })
    }
}
