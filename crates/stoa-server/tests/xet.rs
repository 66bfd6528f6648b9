//! The Xet CAS refuses bad input and bad credentials without storing anything. The happy path
//! is proven with the real hf_xet client in tests/compat.

mod support;

use axum::http::StatusCode;
use stoa_core::ports::TokenRole;
use support::TestApp;

async fn cas_token(app: &TestApp, token: Option<&str>, kind: &str) -> String {
    let response = app.call("GET", &format!("/api/models/alice/m/xet-{kind}-token/main"), token, Vec::new()).await;
    assert_eq!(response.status, StatusCode::OK, "{}", String::from_utf8_lossy(&response.body));
    response.json()["accessToken"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn cas_routes_refuse_bad_input_and_credentials() {
    let app = TestApp::new().await;
    let alice = app.user("alice", TokenRole::Write).await;
    let bob = app.user("bob", TokenRole::Write).await;
    app.create_repo(&alice, "m", false).await;
    let write = cas_token(&app, Some(&alice), "write").await;
    let read = cas_token(&app, None, "read").await;
    let hash = "a".repeat(64);
    let xorb_path = format!("/xet/v1/xorbs/default/{hash}");

    assert_eq!(app.call("POST", &xorb_path, None, vec![1, 2, 3]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.call("POST", &xorb_path, Some(&read), vec![1, 2, 3]).await.status, StatusCode::FORBIDDEN);
    let garbage = app.call("POST", &xorb_path, Some(&write), vec![0u8; 100]).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&garbage.body));
    assert!(garbage.header("x-error-message").is_some());
    let bad_name = app.call("POST", "/xet/v1/xorbs/default/not-hex", Some(&write), vec![0u8; 10]).await;
    assert_eq!(bad_name.status, StatusCode::BAD_REQUEST);
    let shard = app.call("POST", "/xet/v1/shards", Some(&write), vec![0u8; 200]).await;
    assert_eq!(shard.status, StatusCode::BAD_REQUEST);

    // Nothing was stored: a plan for any file is a 404, and so is a commit of its SHA-256.
    let plan = app.call("GET", &format!("/xet/v1/reconstructions/{hash}"), Some(&read), Vec::new()).await;
    assert_eq!(plan.status, StatusCode::NOT_FOUND);
    let fetch = app.call("GET", &format!("/xet/fetch/{hash}?range=0-10&exp=9999999999&sig=00"), None, Vec::new()).await;
    assert_eq!(fetch.status, StatusCode::FORBIDDEN, "unsigned fetches are refused");

    // Tokens are scoped: bob cannot get a write token for alice's repo, and optional routes 404.
    let denied = app.call("GET", "/api/models/alice/m/xet-write-token/main", Some(&bob), Vec::new()).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let grants = app.call("POST", &format!("/xet/v1/xorb-grants/default/{hash}"), Some(&write), Vec::new()).await;
    assert_eq!(grants.status, StatusCode::NOT_FOUND, "404 (not 501) lets the client fall back");
    let dedup = app.call("GET", &format!("/xet/v1/chunks/default/{hash}"), Some(&write), Vec::new()).await;
    assert_eq!(dedup.status, StatusCode::NOT_FOUND);
}
