//! The web pages of discussions and pull requests, repo settings and gated access, driven as a
//! browser would: a session cookie, forms with the session's CSRF token and a same-site Origin.
//! (askama escapes `<` and `>` as `&#60;` and `&#62;`.)

mod support;

use axum::http::StatusCode;
use stoa_core::ports::TokenRole;
use support::web::{Browser, get, html, location, send_form};
use support::{BASE, CommitTarget, TestApp, TestResponse};

/// Commits inline files to `main` through the JSON commit API, opening a PR if asked.
async fn commit(app: &TestApp, token: &str, repo: &str, files: &[(&str, &[u8])], create_pr: bool) -> TestResponse {
    let query = if create_pr { "?create_pr=1" } else { "" };
    let response = app.commit_to(token, CommitTarget { query, ..CommitTarget::model(repo) }, files, None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", String::from_utf8_lossy(&response.body));
    response
}

/// alice (with a public repo alice/r holding a README) and bob, both signed in.
async fn setup(app: &TestApp, readme: &str) -> (Browser, Browser, String, String) {
    let alice = Browser::sign_up(app, "alice").await;
    let bob = Browser::sign_up(app, "bob").await;
    let alice_token = app.user("alice", TokenRole::Write).await;
    let bob_token = app.user("bob", TokenRole::Write).await;
    assert_eq!(app.create_repo(&alice_token, "r", false).await.status, StatusCode::OK);
    commit(app, &alice_token, "alice/r", &[("README.md", readme.as_bytes()), ("weights.bin", b"weights")], false).await;
    (alice, bob, alice_token, bob_token)
}

#[tokio::test]
async fn discussions_are_listed_opened_commented_closed_and_reopened() {
    let app = TestApp::new().await;
    let (alice, bob, _, _) = setup(&app, "# r\n").await;

    let empty = get(&app, "/alice/r/discussions", Some(&alice)).await;
    assert_eq!(empty.status, StatusCode::OK);
    let page = html(&empty);
    assert!(page.contains(r#"<ul id="discussions">"#) && page.contains(r#"id="new-discussion""#), "{page}");
    let anonymous = html(&get(&app, "/alice/r/discussions", None).await);
    assert!(!anonymous.contains(r#"id="new-discussion""#));
    assert_eq!(get(&app, "/alice/r/discussions/new", None).await.status, StatusCode::UNAUTHORIZED);

    // Opening: the title and description are escaped and sanitised.
    let form = html(&get(&app, "/alice/r/discussions/new", Some(&bob)).await);
    assert!(form.contains(r#"<form id="new-discussion""#));
    let hostile = "<script>alert(1)</script> broken card";
    let fields = [("title", hostile), ("description", "Look <script>alert(2)</script> **here**")];
    assert_eq!(bob.post_form_as_is(&app, "/alice/r/discussions/new", &fields).await.status, StatusCode::FORBIDDEN);
    let opened = bob.post_form(&app, "/alice/r/discussions/new", &fields).await;
    assert_eq!(location(&opened), "/alice/r/discussions/1");
    let too_short = bob.post_form(&app, "/alice/r/discussions/new", &[("title", "x")]).await;
    assert_eq!(too_short.status, StatusCode::BAD_REQUEST);
    assert!(html(&too_short).contains(r#"class="error""#));

    let page = html(&get(&app, "/alice/r/discussions/1", None).await);
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62; broken card"), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains(r#"class="comment-body""#) && page.contains("<strong>here</strong>"), "{page}");
    assert!(page.contains("status-open"));
    assert!(!page.contains(r#"id="comment""#), "anonymous viewers get no comment form");

    let list = html(&get(&app, "/alice/r/discussions", None).await);
    assert!(list.contains(r#"class="discussion-link" href="/alice/r/discussions/1""#), "{list}");
    assert!(list.contains("&#60;script&#62;"));

    // Comments: anyone signed in; without the CSRF token, refused.
    let comment = [("comment", "Agreed, <b>fix</b> it")];
    assert_eq!(
        alice.post_form_as_is(&app, "/alice/r/discussions/1/comment", &comment).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send_form(&app, "/alice/r/discussions/1/comment", None, Some(BASE), &comment).await.status,
        StatusCode::FORBIDDEN
    );
    let commented = alice.post_form(&app, "/alice/r/discussions/1/comment", &comment).await;
    assert!(location(&commented).starts_with("/alice/r/discussions/1#event-"));
    let page = html(&get(&app, "/alice/r/discussions/1", Some(&alice)).await);
    assert!(page.contains("Agreed, <b>fix</b> it"), "{page}");
    assert!(page.contains(r#"<form id="comment""#) && page.contains(r#"<form id="status""#));
    assert_eq!(page.matches(r#"class="event comment""#).count(), 2);

    // Closing: the author or a writer; others are refused.
    let eve = Browser::sign_up(&app, "eve").await;
    let close = [("status", "closed")];
    assert_eq!(eve.post_form(&app, "/alice/r/discussions/1/status", &close).await.status, StatusCode::FORBIDDEN);
    assert!(!html(&get(&app, "/alice/r/discussions/1", Some(&eve)).await).contains(r#"<form id="status""#));
    location(&bob.post_form(&app, "/alice/r/discussions/1/status", &close).await);
    let page = html(&get(&app, "/alice/r/discussions/1", None).await);
    assert!(page.contains("status-closed") && page.contains("closed this"), "{page}");
    let open_list = html(&get(&app, "/alice/r/discussions?status=open", None).await);
    assert!(!open_list.contains("discussion-link"));
    let closed_list = html(&get(&app, "/alice/r/discussions?status=closed&type=discussion", None).await);
    assert!(closed_list.contains("discussion-link"));
    assert!(!html(&get(&app, "/alice/r/discussions?type=pull_request", None).await).contains("discussion-link"));

    location(&alice.post_form(&app, "/alice/r/discussions/1/status", &[("status", "open")]).await);
    let page = html(&get(&app, "/alice/r/discussions/1", None).await);
    assert!(page.contains("reopened this"));
    assert!(html(&get(&app, "/alice/r/discussions?status=open", None).await).contains("discussion-link"));

    // Renaming (escaped like the title it replaces).
    location(&alice.post_form(&app, "/alice/r/discussions/1/title", &[("title", "A <i>better</i> title")]).await);
    let page = html(&get(&app, "/alice/r/discussions/1", None).await);
    assert!(page.contains("A &#60;i&#62;better&#60;/i&#62; title"));
    assert_eq!(get(&app, "/alice/r/discussions/9", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pull_requests_show_their_diff_and_merge_by_writers_only() {
    let app = TestApp::new().await;
    let (alice, bob, _, bob_token) = setup(&app, "# r\n").await;
    let opened = commit(&app, &bob_token, "alice/r", &[("new.txt", b"hello from bob\n")], true).await;
    let pr_url = opened.json()["pullRequestUrl"].as_str().expect("PR url").to_owned();
    assert_eq!(pr_url, format!("{BASE}/alice/r/discussions/1"));

    let page = html(&get(&app, "/alice/r/discussions/1", Some(&bob)).await);
    assert!(page.contains("refs/pr/1") && page.contains("git push origin pr/1:refs/pr/1"), "{page}");
    assert!(page.contains(r#"href="/alice/r/discussions/1?tab=files""#) && !page.contains("diff-file"));
    let page = html(&get(&app, "/alice/r/discussions/1?tab=files", Some(&bob)).await);
    assert!(page.contains(r#"class="diff-file""#) && page.contains("new.txt"), "{page}");
    assert!(page.contains(r#"<span class="diff-add">+hello from bob"#), "{page}");
    assert!(!page.contains(r#"<form id="merge""#), "bob cannot merge");
    let list = html(&get(&app, "/alice/r/discussions?type=pull_request", None).await);
    assert!(list.contains("discussion-link") && list.contains("PR"));

    assert_eq!(bob.post_form(&app, "/alice/r/discussions/1/merge", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(alice.post_form_as_is(&app, "/alice/r/discussions/1/merge", &[]).await.status, StatusCode::FORBIDDEN);
    let before = app.call("GET", "/alice/r/resolve/main/new.txt", None, Vec::new()).await;
    assert_eq!(before.status, StatusCode::NOT_FOUND);

    let page = html(&get(&app, "/alice/r/discussions/1", Some(&alice)).await);
    assert!(page.contains(r#"<form id="merge""#));
    location(&alice.post_form(&app, "/alice/r/discussions/1/merge", &[]).await);
    let merged = app.call("GET", "/alice/r/resolve/main/new.txt", None, Vec::new()).await;
    assert_eq!(merged.status, StatusCode::OK);
    assert_eq!(merged.body, b"hello from bob\n");
    let page = html(&get(&app, "/alice/r/discussions/1", Some(&alice)).await);
    assert!(page.contains("status-merged") && !page.contains(r#"<form id="merge""#), "{page}");
    // Merging again is refused with the domain's reason.
    let again = alice.post_form(&app, "/alice/r/discussions/1/merge", &[]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_conflicting_merge_shows_the_conflict() {
    let app = TestApp::new().await;
    let (alice, _, alice_token, bob_token) = setup(&app, "# r\n").await;
    commit(&app, &bob_token, "alice/r", &[("README.md", b"# bob's card\n")], true).await;
    commit(&app, &alice_token, "alice/r", &[("README.md", b"# alice's card\n")], false).await;
    let page = html(&get(&app, "/alice/r/discussions/1", Some(&alice)).await);
    assert!(page.contains(r#"id="conflicts""#) && page.contains("README.md"), "{page}");
    let refused = alice.post_form(&app, "/alice/r/discussions/1/merge", &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(html(&refused).contains("conflicts"));
}

#[tokio::test]
async fn owners_change_settings_rename_and_delete() {
    let app = TestApp::new().await;
    let (alice, bob, alice_token, _) = setup(&app, "# r\n").await;

    let page = get(&app, "/alice/r/settings", Some(&alice)).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = html(&page);
    for id in ["visibility", "gating", "discussions", "rename", "delete"] {
        assert!(page.contains(&format!(r#"<form id="{id}""#)), "{id}: {page}");
    }
    assert!(page.contains(r#"data-confirm="Delete alice/r for good?""#));
    assert_eq!(get(&app, "/alice/r/settings", Some(&bob)).await.status, StatusCode::FORBIDDEN);
    let anonymous = get(&app, "/alice/r/settings", None).await;
    assert_eq!(anonymous.status, StatusCode::NOT_FOUND, "{}", html(&anonymous));
    let by_bob = bob.post_form(&app, "/alice/r/settings/visibility", &[("private", "1")]).await;
    assert_eq!(by_bob.status, StatusCode::FORBIDDEN);
    let forged = alice.post_form_as_is(&app, "/alice/r/settings/visibility", &[("private", "1")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Visibility.
    let saved = alice.post_form(&app, "/alice/r/settings/visibility", &[("private", "1")]).await;
    assert_eq!(location(&saved), "/alice/r/settings?saved=visibility");
    // Anonymous API callers of a private repo are asked to authenticate, as on the Hub.
    assert_eq!(app.call("GET", "/api/models/alice/r", None, Vec::new()).await.status, StatusCode::UNAUTHORIZED);
    assert!(html(&get(&app, "/alice/r/settings?saved=visibility", Some(&alice)).await).contains(r#"class="notice""#));
    location(&alice.post_form(&app, "/alice/r/settings/visibility", &[("private", "0")]).await);
    assert_eq!(app.call("GET", "/api/models/alice/r", None, Vec::new()).await.status, StatusCode::OK);

    // Gating, then discussions off.
    location(&alice.post_form(&app, "/alice/r/settings/gating", &[("gated", "manual")]).await);
    let info = app.call("GET", "/api/models/alice/r", None, Vec::new()).await.json();
    assert_eq!(info["gated"], "manual");
    let page = html(&get(&app, "/alice/r/settings", Some(&alice)).await);
    assert!(page.contains(r#"<option value="manual" selected>"#) && page.contains("/alice/r/settings/access-requests"));
    let bad = alice.post_form(&app, "/alice/r/settings/gating", &[("gated", "sometimes")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    location(&alice.post_form(&app, "/alice/r/settings/gating", &[("gated", "false")]).await);
    assert_eq!(app.call("GET", "/api/models/alice/r", None, Vec::new()).await.json()["gated"], false);
    location(&alice.post_form(&app, "/alice/r/settings/discussions", &[("discussions", "disable")]).await);
    let list = html(&get(&app, "/alice/r/discussions", Some(&alice)).await);
    assert!(!list.contains(r#"id="new-discussion""#) && list.contains("disabled"));
    location(&alice.post_form(&app, "/alice/r/settings/discussions", &[("discussions", "enable")]).await);

    // Rename.
    let renamed = alice.post_form(&app, "/alice/r/settings/rename", &[("new_name", "alice/r2")]).await;
    assert_eq!(location(&renamed), "/alice/r2");
    assert_eq!(app.call("GET", "/api/models/alice/r2", None, Vec::new()).await.status, StatusCode::OK);
    let taken = alice.post_form(&app, "/alice/r2/settings/rename", &[("new_name", "bob/r2")]).await;
    assert_eq!(taken.status, StatusCode::FORBIDDEN, "not alice's namespace");

    // Delete: the full name must be typed.
    let wrong = alice.post_form(&app, "/alice/r2/settings/delete", &[("confirm", "alice/r")]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(html(&wrong).contains(r#"class="error""#));
    assert_eq!(app.call("GET", "/api/models/alice/r2", None, Vec::new()).await.status, StatusCode::OK);
    let deleted = alice.post_form(&app, "/alice/r2/settings/delete", &[("confirm", "alice/r2")]).await;
    assert_eq!(location(&deleted), "/alice");
    assert_eq!(
        app.call("GET", "/api/models/alice/r2", Some(&alice_token), Vec::new()).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn gated_access_is_asked_reviewed_and_granted() {
    let app = TestApp::new().await;
    let card = "---\nextra_gated_fields:\n  Company: text\n  I agree to the terms: checkbox\n---\n# r\n";
    let (alice, bob, _, _) = setup(&app, card).await;
    let bob_reader = app.user("bob", TokenRole::Read).await;
    location(&alice.post_form(&app, "/alice/r/settings/gating", &[("gated", "manual")]).await);
    let gated = app.call("GET", "/alice/r/resolve/main/weights.bin", Some(&bob_reader), Vec::new()).await;
    assert_eq!(gated.status, StatusCode::FORBIDDEN);

    let answers = [("field:Company", "<b>Acme</b>"), ("field:I agree to the terms", "on")];
    assert_eq!(
        send_form(&app, "/alice/r/ask-access", None, Some(BASE), &answers).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(bob.post_form_as_is(&app, "/alice/r/ask-access", &answers).await.status, StatusCode::FORBIDDEN);
    let unticked = bob.post_form(&app, "/alice/r/ask-access", &answers[..1]).await;
    assert_eq!(unticked.status, StatusCode::BAD_REQUEST);
    assert_eq!(location(&bob.post_form(&app, "/alice/r/ask-access", &answers).await), "/alice/r");
    assert!(html(&get(&app, "/alice/r/ask-access", Some(&bob)).await).contains("waiting"));
    let still = app.call("GET", "/alice/r/resolve/main/weights.bin", Some(&bob_reader), Vec::new()).await;
    assert_eq!(still.status, StatusCode::FORBIDDEN);

    assert_eq!(get(&app, "/alice/r/settings/access-requests", Some(&bob)).await.status, StatusCode::FORBIDDEN);
    let review = get(&app, "/alice/r/settings/access-requests", Some(&alice)).await;
    assert_eq!(review.status, StatusCode::OK);
    let page = html(&review);
    assert!(
        page.contains(r#"<table id="access-requests">"#) && page.contains(r#"<tr class="request request-pending">"#)
    );
    assert!(page.contains("&#60;b&#62;Acme&#60;/b&#62;") && page.contains(">bob</a>"), "{page}");
    assert!(page.contains(r#"class="accept inline""#) && page.contains(r#"class="reject inline""#));

    let accept = [("user", "bob"), ("status", "accepted"), ("from", "pending")];
    let by_bob = bob.post_form(&app, "/alice/r/settings/access-requests", &accept).await;
    assert_eq!(by_bob.status, StatusCode::FORBIDDEN);
    let accepted = alice.post_form(&app, "/alice/r/settings/access-requests", &accept).await;
    assert_eq!(location(&accepted), "/alice/r/settings/access-requests?status=pending");
    let page = html(&get(&app, "/alice/r/settings/access-requests?status=accepted", Some(&alice)).await);
    assert!(page.contains("request-accepted") && !page.contains(r#"class="accept inline""#));

    let granted = app.call("GET", "/alice/r/resolve/main/weights.bin", Some(&bob_reader), Vec::new()).await;
    assert_eq!(granted.status, StatusCode::OK);
    assert_eq!(granted.body, b"weights");
    assert!(html(&get(&app, "/alice/r/ask-access", Some(&bob)).await).contains("You have access"));
}

#[tokio::test]
async fn auto_gating_accepts_at_once() {
    let app = TestApp::new().await;
    let (alice, bob, _, _) = setup(&app, "# no form\n").await;
    location(&alice.post_form(&app, "/alice/r/settings/gating", &[("gated", "auto")]).await);
    location(&bob.post_form(&app, "/alice/r/ask-access", &[]).await);
    let bob_reader = app.user("bob", TokenRole::Read).await;
    let granted = app.call("GET", "/alice/r/resolve/main/weights.bin", Some(&bob_reader), Vec::new()).await;
    assert_eq!(granted.status, StatusCode::OK);
    let again = bob.post_form(&app, "/alice/r/ask-access", &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}
