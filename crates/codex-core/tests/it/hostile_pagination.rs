//! Listings against a small hostile server written for these tests: a `Link` loop, the same
//! page served under different URLs, an endless run of new pages, and an answer that never
//! comes. Every listing ends, with an error naming what went wrong, each number counted once,
//! and a bounded number of requests.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codex_core::Error;
use codex_core::config::{CommonArgs, Config, Needs};
use codex_core::github::{ClientOptions, GitHub, IssueLister, IssueQuery};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::{TOKEN, repo};

/// What the server does with one request.
enum Reply {
    /// A 200 with these issue numbers and this `Link` header.
    Page {
        numbers: Vec<u64>,
        link: Option<String>,
    },
    /// Read the request, then never answer.
    Hang,
}

/// A server on 127.0.0.1:0 answering every request with `handler(base, target)`, where
/// `target` is the request's path and query exactly as sent.
struct Hostile {
    base: String,
    targets: Arc<Mutex<Vec<String>>>,
}

impl Hostile {
    async fn start(handler: impl Fn(&str, &str) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let targets = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let (b, t) = (base.clone(), Arc::clone(&targets));
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (base, targets, handler) = (b.clone(), Arc::clone(&t), Arc::clone(&handler));
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head);
                    let target = head
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned();
                    targets.lock().unwrap().push(target.clone());
                    match handler(&base, &target) {
                        Reply::Hang => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        Reply::Page { numbers, link } => {
                            let body =
                                Value::Array(numbers.into_iter().map(issue).collect()).to_string();
                            let link = link.map(|l| format!("link: {l}\r\n")).unwrap_or_default();
                            let answer = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                 content-length: {}\r\nconnection: close\r\n{link}\r\n{body}",
                                body.len()
                            );
                            let _ = socket.write_all(answer.as_bytes()).await;
                            let _ = socket.shutdown().await;
                        }
                    }
                });
            }
        });
        Hostile { base, targets }
    }

    fn requests(&self) -> usize {
        self.targets.lock().unwrap().len()
    }

    /// A client configured as a component would be, from these environment variables.
    fn client(&self, vars: &[(&str, &str)]) -> GitHub {
        let args = CommonArgs {
            repo: Some("acme/widgets".into()),
            api_url: Some(self.base.clone()),
            ..CommonArgs::default()
        };
        let vars: Vec<(String, String)> = vars
            .iter()
            .chain(&[("GH_CI_PAT", TOKEN)])
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let lookup = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let cfg = Config::resolve(&args, &lookup, Needs { token: true }, chrono::Utc::now())
            .expect("configuration");
        GitHub::new(ClientOptions::from_config(&cfg)).unwrap()
    }
}

fn issue(number: u64) -> Value {
    json!({
        "number": number,
        "node_id": format!("I_{number}"),
        "title": format!("issue {number}"),
        "state": "open",
        "labels": [],
        "milestone": null,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "user": {"login": "someone"},
    })
}

fn next(url: &str) -> Option<String> {
    Some(format!("<{url}>; rel=\"next\""))
}

/// True for the first request of an issue listing.
fn is_first(target: &str) -> bool {
    target.starts_with("/repos/acme/widgets/issues?")
}

#[tokio::test]
async fn a_link_back_to_the_first_page_ends_the_listing_with_an_error() {
    let server = Hostile::start(|base, target| {
        if is_first(target) {
            Reply::Page {
                numbers: (1..=100).collect(),
                link: next(&format!("{base}/page2")),
            }
        } else {
            // Page 2 points back at page 1, exactly as it was asked for.
            Reply::Page {
                numbers: (101..=150).collect(),
                link: next(&format!("{base}/repos/acme/widgets/issues?state=open&sort=created&direction=asc&per_page=100")),
            }
        }
    })
    .await;
    let gh = server.client(&[]);
    let mut lister = IssueLister::new(&gh, &repo(), &IssueQuery::open());
    let mut numbers = Vec::new();
    let err = loop {
        match lister.next_page().await {
            Ok(Some(page)) => numbers.extend(page.issues.iter().map(|i| i.number.0)),
            Ok(None) => panic!("a loop must not end as a complete listing"),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(err, Error::PaginationLoop { ref url } if url.ends_with("/repos/acme/widgets/issues?state=open&sort=created&direction=asc&per_page=100")),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("pagination loop"), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert_eq!(
        numbers,
        (1..=150).collect::<Vec<_>>(),
        "each page read once"
    );
    assert_eq!(
        server.requests(),
        2,
        "the page already read is not asked for again"
    );
    assert_eq!(gh.stats().requests, 2);
    assert!(
        lister.next_page().await.unwrap().is_none(),
        "the listing is over"
    );
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_page_served_twice_under_different_urls_counts_once() {
    let server = Hostile::start(|base, target| {
        if is_first(target) {
            Reply::Page {
                numbers: (1..=100).collect(),
                link: next(&format!("{base}/again?after=a")),
            }
        } else if target.starts_with("/again") {
            // Page 1 again, under another URL, then a page half new.
            Reply::Page {
                numbers: (1..=100).collect(),
                link: next(&format!("{base}/half?after=b")),
            }
        } else {
            Reply::Page {
                numbers: (51..=150).collect(),
                link: None,
            }
        }
    })
    .await;
    let gh = server.client(&[]);
    let mut lister = IssueLister::new(&gh, &repo(), &IssueQuery::open());
    let mut numbers = Vec::new();
    while let Some(page) = lister.next_page().await.unwrap() {
        numbers.extend(page.issues.iter().map(|i| i.number.0));
    }
    assert_eq!(numbers, (1..=150).collect::<Vec<_>>(), "every number once");
    assert_eq!(lister.items(), 150);
    assert_eq!(lister.duplicates(), 150, "100 + 50 dropped");
    assert_eq!(lister.pages(), 3);
    assert_eq!(server.requests(), 3);

    // `collect`, which the cleaner uses, sees the same.
    let all = IssueLister::new(&gh, &repo(), &IssueQuery::open())
        .collect()
        .await
        .unwrap();
    let unique: HashSet<u64> = all.issues.iter().map(|i| i.number.0).collect();
    assert_eq!((all.issues.len(), unique.len()), (150, 150));
}

#[tokio::test]
async fn endless_new_pages_stop_at_the_cap_the_first_page_implies() {
    let server = Hostile::start(|base, target| {
        let k: u64 = target
            .strip_prefix("/p/")
            .and_then(|k| k.parse().ok())
            .unwrap_or(1);
        // The first page says there are 2 pages; every page links to a new one.
        let mut link = format!("<{base}/p/{}>; rel=\"next\"", k + 1);
        if is_first(target) {
            link.push_str(&format!(", <{base}/p/x?page=2>; rel=\"last\""));
        }
        Reply::Page {
            numbers: (k * 100 - 99..=k * 100).collect(),
            link: Some(link),
        }
    })
    .await;
    let gh = server.client(&[]);
    let err = IssueLister::new(&gh, &repo(), &IssueQuery::open())
        .collect()
        .await
        .unwrap_err();
    // 2 pages, a quarter of that (0) and 10 more.
    assert!(matches!(err, Error::PageCap { cap: 12, .. }), "{err:?}");
    assert!(err.to_string().contains("12 pages"), "{err}");
    assert_eq!(server.requests(), 12);
}

#[tokio::test]
async fn small_lists_are_guarded_too() {
    let server = Hostile::start(|base, _| Reply::Page {
        numbers: vec![1],
        link: next(&format!("{base}/repos/acme/widgets/labels?per_page=100")),
    })
    .await;
    let gh = server.client(&[]);
    let err = gh.labels(&repo()).await.unwrap_err();
    assert!(matches!(err, Error::PaginationLoop { .. }), "{err:?}");
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn an_answer_that_never_comes_ends_the_listing_with_an_error() {
    let server = Hostile::start(|base, target| {
        if is_first(target) {
            Reply::Page {
                numbers: (1..=100).collect(),
                link: next(&format!("{base}/slow")),
            }
        } else {
            Reply::Hang
        }
    })
    .await;
    let gh = server.client(&[
        ("CODEX_HTTP_TIMEOUT_SECS", "1"),
        ("CODEX_MAX_RETRIES", "1"),
        ("CODEX_RETRY_BASE_MS", "10"),
    ]);
    let started = Instant::now();
    let mut lister = IssueLister::new(&gh, &repo(), &IssueQuery::open());
    let first = lister.next_page().await.unwrap().unwrap();
    assert_eq!(first.issues.len(), 100);
    let err = tokio::time::timeout(Duration::from_secs(30), lister.next_page())
        .await
        .expect("the listing ends, it does not hang")
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("/slow"), "{err}");
    assert_eq!(
        server.requests(),
        3,
        "the page, then the hanging one and its one retry"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}
