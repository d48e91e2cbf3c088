//! Every request our client sends, and every answer it relies on, checked against GitHub's
//! published OpenAPI description; every GraphQL document against GitHub's schema. The sandbox
//! records the exchanges, so this checks the client's side of each conversation.

use codex_conformance::{Exchanges, GraphqlSpec};
use codex_core::github::graphql::DOCUMENTS;
use codex_core::github::{IssueLister, IssueQuery, Written};
use codex_core::{IssueNumber, MilestoneNumber};
use codex_sandbox::{SandboxOptions, Scenario};

use codex_core::github::{ClientOptions, GitHub};

use crate::common::{APP_ID, app_credentials, app_options, client, options, repo, sandbox};

#[test]
fn every_graphql_document_is_valid_against_githubs_schema() {
    let spec = GraphqlSpec::load();
    for doc in DOCUMENTS {
        spec.validate(doc)
            .unwrap_or_else(|e| panic!("{doc}\n{e:#?}"));
    }
    // The batched Project additions, at every size a run sends.
    for n in 1..=codex_core::github::graphql::PROJECT_BATCH {
        let doc = codex_core::github::graphql::add_project_items_document(n);
        spec.validate(&doc)
            .unwrap_or_else(|e| panic!("{doc}\n{e:#?}"));
    }
}

#[tokio::test]
async fn every_rest_request_and_answer_conforms() {
    let sb = sandbox(SandboxOptions {
        scenario: Scenario::Demo,
        off_spec: false,
        record: true,
        ..SandboxOptions::default()
    })
    .await;
    let gh = client(&sb, false);
    let r = repo();

    // Everything the components call, once.
    gh.repository(&r).await.unwrap();
    gh.labels(&r).await.unwrap();
    // An issue's own labels (read when the issue's payload did not show them all).
    gh.list_all("repos/acme/widgets/issues/1/labels?per_page=100")
        .await
        .unwrap();
    let milestones = gh.milestones(&r).await.unwrap();
    let main = milestones
        .iter()
        .find(|m| m.title == "Codex Main Track")
        .unwrap()
        .number;
    let all = IssueLister::new(&gh, &r, &IssueQuery::open())
        .collect()
        .await
        .unwrap();
    let target = all
        .issues
        .iter()
        .find(|i| i.milestone.is_none())
        .expect("an issue without milestone");
    gh.issue(&r, target.number).await.unwrap();
    gh.add_labels(&r, target.number, &["codex".into()])
        .await
        .unwrap();
    gh.set_milestone(&r, target.number, main).await.unwrap();
    let Written::Done(created) = gh
        .create_issue(
            &r,
            "Codex self-test conformance",
            "body",
            &["codex", "codex-selftest"],
            Some(MilestoneNumber(main.0)),
        )
        .await
        .unwrap()
    else {
        panic!("not a dry run")
    };
    gh.close_issue(&r, created.number, "not_planned")
        .await
        .unwrap();
    gh.create_label(&r, "conformance-label", "ededed", "made by a test")
        .await
        .unwrap();
    gh.create_milestone(&r, "Conformance milestone", "made by a test")
        .await
        .unwrap();
    assert!(gh.branch_exists(&r, "gh-pages").await.unwrap());
    assert!(!gh.branch_exists(&r, "no-such-branch").await.unwrap());
    assert!(
        gh.directory(&r, "telemetry", "gh-pages")
            .await
            .unwrap()
            .is_some()
    );
    gh.variable_names(&r).await.unwrap();
    let newest = IssueQuery {
        state: "all",
        newest_first: true,
        ..IssueQuery::open()
    };
    IssueLister::new(&gh, &r, &newest)
        .next_page()
        .await
        .unwrap();
    let moved = sb.state()["repos"][0]["transferred"][0]["number"]
        .as_u64()
        .unwrap();
    // The integrity scanner follows a transfer once, on the same API.
    match gh.issue(&r, IssueNumber(moved)).await {
        Err(codex_core::Error::Moved { location, .. }) => {
            let there = gh
                .issue_at(&location)
                .await
                .unwrap()
                .expect("the moved issue");
            assert!(there.html_url.unwrap().contains("/acme/gadgets/issues/"));
        }
        other => panic!("not a 301: {other:?}"),
    }
    let project = gh
        .find_project("acme", "Codex Dual-Track Development")
        .await
        .unwrap()
        .expect("project");
    let members = gh.project_content_ids(&project.id).await.unwrap();
    // The integrity scanner's GraphQL: issue numbers, and the Project's items in detail.
    let numbers = gh.issue_numbers("acme", "widgets").await.unwrap();
    assert_eq!(numbers.total, Some(numbers.numbers.len() as u64));
    let (total, read, archived) = gh
        .project_items(&project.id, |items| {
            (items.total, items.len(), items.iter().any(|(a, _)| a))
        })
        .await
        .unwrap();
    assert_eq!(total, read as u64);
    assert!(archived, "the demo's archived item");
    let outside = all
        .issues
        .iter()
        .find(|i| !members.contains(i.node_id.as_deref().unwrap()))
        .unwrap();
    gh.add_project_item(&project.id, outside.node_id.as_deref().unwrap())
        .await
        .unwrap();
    // Several additions in one document, one of them already there.
    let outside: Vec<String> = all
        .issues
        .iter()
        .filter_map(|i| i.node_id.clone())
        .filter(|id| !members.contains(id))
        .take(3)
        .collect();
    match gh.add_project_items(&project.id, &outside).await.unwrap() {
        Written::Done(outcomes) => {
            assert_eq!(outcomes.len(), 3);
            assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
        }
        Written::DryRun => panic!("not a dry run"),
    }
    gh.delete_issue(created.node_id.as_deref().unwrap())
        .await
        .unwrap();

    // A GitHub App's side: its JWT exchanges, and a read with an installation token.
    let app_sb = sandbox(SandboxOptions {
        scenario: Scenario::Demo,
        off_spec: false,
        record: true,
        app: Some(app_options()),
        ..SandboxOptions::default()
    })
    .await;
    let app = GitHub::new(ClientOptions {
        credentials: Some(codex_core::Credentials::App(app_credentials())),
        repo: Some(r.clone()),
        ..options(&app_sb)
    })
    .unwrap();
    app.repository(&r).await.unwrap();
    let info = app.app_info().await.unwrap().expect("an App");
    assert_eq!(info.id, APP_ID);
    let installed = app.app_installations().await.unwrap();
    assert!(
        installed.iter().any(|i| i.account == "acme"),
        "{installed:?}"
    );
    let granted = app.app_permissions().await.unwrap().expect("an App");
    assert_eq!(granted.get("issues").map(String::as_str), Some("write"));

    // Listing an organisation's repositories: with a token, and with the App installed there.
    let org_sb = sandbox(SandboxOptions {
        scenario: Scenario::Org,
        off_spec: false,
        record: true,
        repos: 3,
        issues_per_repo: 2,
        app: Some(app_options()),
        ..SandboxOptions::default()
    })
    .await;
    let by_org = codex_core::select::Selection {
        source: codex_core::select::Source::Org("acme".into()),
        filters: codex_core::select::Filters::default(),
    };
    let listed = codex_core::select::discover(&client(&org_sb, false), &by_org)
        .await
        .unwrap();
    assert_eq!(listed.listed, 3);
    let org_app = GitHub::new(ClientOptions {
        credentials: Some(codex_core::Credentials::App(app_credentials())),
        repo: None,
        ..options(&org_sb)
    })
    .unwrap();
    let listed = codex_core::select::discover(&org_app, &by_org)
        .await
        .unwrap();
    assert_eq!((listed.listed, listed.installation_id), (3, Some(1)));

    let mut seen = Exchanges::load();
    for ex in sb
        .exchanges()
        .into_iter()
        .chain(app_sb.exchanges())
        .chain(org_sb.exchanges())
    {
        seen.check(
            &ex.method,
            &ex.path,
            &ex.query,
            ex.request_body.as_ref(),
            ex.status,
            ex.response_body.as_ref(),
        );
    }
    let (problems, operations) = (&seen.problems, &seen.operations);
    assert!(problems.is_empty(), "{problems:#?}");
    // Every documented operation in the subset was exercised.
    let documented: std::collections::BTreeSet<String> = seen
        .rest()
        .operations()
        .map(|(_, _, op)| op.to_owned())
        .collect();
    let missed: Vec<_> = documented.difference(operations).collect();
    assert!(
        missed.iter().all(|op| *op == "rate-limit/get"),
        "not exercised: {missed:?}"
    );
}
