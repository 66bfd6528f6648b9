//! The Tier-1 API driven in-process through the real router and real stores.

mod support;

use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use stoa_core::lfs::Sha256Oid;
use stoa_core::ports::{CommitIntent, MetaStore, TokenRole};
use support::{BASE, TestApp};

#[tokio::test]
async fn repo_creation_is_case_insensitive_and_409_carries_url() {
    let app = TestApp::new().await;
    let token = app.user("alice", TokenRole::Write).await;
    let created = app.create_repo(&token, "My-Model", false).await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.json()["url"], format!("{BASE}/alice/My-Model"));
    let again = app.create_repo(&token, "my-model", false).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["url"], format!("{BASE}/alice/my-model"));
    assert_eq!(again.header("x-error-code").as_deref(), Some("Conflict"));
    let info = app.call("GET", "/api/models/ALICE/my-model", None, Vec::new()).await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(info.json()["id"], "alice/My-Model");
    assert_eq!(info.json()["siblings"][0]["rfilename"], ".gitattributes");
    let invalid = app.create_repo(&token, "bad--name", false).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(invalid.header("x-error-message").is_some());
}

#[tokio::test]
async fn resolve_serves_exact_ranges_and_hub_headers() {
    let app = TestApp::new().await;
    let token = app.user("alice", TokenRole::Write).await;
    app.create_repo(&token, "m", false).await;
    let content: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let commit = app.commit(&token, "alice/m", &[("data/file.txt", &content)], None).await;
    assert_eq!(commit.status, StatusCode::OK, "{}", String::from_utf8_lossy(&commit.body));
    let sha = commit.json()["commitOid"].as_str().expect("oid").to_owned();
    assert_eq!(commit.json()["commitUrl"], format!("{BASE}/alice/m/commit/{sha}"));

    let head = app.call("HEAD", "/alice/m/resolve/main/data/file.txt", None, Vec::new()).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("x-repo-commit"), Some(sha.clone()));
    assert_eq!(head.header("content-length").as_deref(), Some("5000"));
    assert!(head.header("etag").is_some());
    assert!(head.body.is_empty());

    let request = axum::http::Request::get(format!("/alice/m/resolve/{}/data/file.txt", &sha[..7]))
        .header("range", "bytes=10-19")
        .body(axum::body::Body::empty())
        .expect("request");
    let partial = app.send(request).await;
    assert_eq!(partial.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(partial.header("content-range").as_deref(), Some("bytes 10-19/5000"));
    assert_eq!(partial.body, content[10..20]);

    let request = axum::http::Request::get("/alice/m/resolve/main/data/file.txt")
        .header("range", "bytes=5000-")
        .body(axum::body::Body::empty())
        .expect("request");
    let past_end = app.send(request).await;
    assert_eq!(past_end.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(past_end.header("content-range").as_deref(), Some("bytes */5000"));

    let missing = app.call("HEAD", "/alice/m/resolve/main/nope.txt", None, Vec::new()).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("x-error-code").as_deref(), Some("EntryNotFound"));
    assert_eq!(missing.header("x-repo-commit"), Some(sha));
    let bad_revision = app.call("GET", "/alice/m/resolve/nobranch/data/file.txt", None, Vec::new()).await;
    assert_eq!(bad_revision.header("x-error-code").as_deref(), Some("RevisionNotFound"));
    assert!(bad_revision.header("x-request-id").is_some());
}

#[tokio::test]
async fn private_repos_are_indistinguishable_from_missing_ones() {
    let app = TestApp::new().await;
    let alice = app.user("alice", TokenRole::Write).await;
    let bob = app.user("bob", TokenRole::Write).await;
    app.create_repo(&alice, "secret", true).await;
    for path in ["/api/models/alice/secret", "/api/models/alice/missing", "/api/models/gpt2/revision/main"] {
        let anonymous = app.call("GET", path, None, Vec::new()).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(anonymous.header("x-error-code").as_deref(), Some("RepoNotFound"));
        let other = app.call("GET", path, Some(&bob), Vec::new()).await;
        assert_eq!(other.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(other.header("x-error-code").as_deref(), Some("RepoNotFound"));
        assert_eq!(other.json()["error"], "Repository not found");
    }
    assert_eq!(app.call("GET", "/api/models/alice/secret", Some(&alice), Vec::new()).await.status, StatusCode::OK);
    let listed = app.call("GET", "/api/models?author=alice", Some(&bob), Vec::new()).await;
    assert_eq!(listed.json().as_array().map(Vec::len), Some(0));
    let invalid = app.call("GET", "/api/models", Some("hf_notarealtoken"), Vec::new()).await;
    assert_eq!(invalid.status, StatusCode::UNAUTHORIZED);
    assert_eq!(invalid.header("x-error-message").as_deref(), Some("Invalid credentials in Authorization header"));
}

#[tokio::test]
async fn writes_need_write_access() {
    let app = TestApp::new().await;
    let alice = app.user("alice", TokenRole::Write).await;
    let bob = app.user("bob", TokenRole::Write).await;
    let reader = app.user("alice", TokenRole::Read).await;
    app.create_repo(&alice, "m", false).await;
    let before = app.head_sha(None, "alice/m").await;
    assert_eq!(app.commit(&bob, "alice/m", &[("a.txt", b"x")], None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.commit(&reader, "alice/m", &[("a.txt", b"x")], None).await.status, StatusCode::FORBIDDEN);
    let anonymous = app.call("POST", "/api/models/alice/m/commit/main", None, b"{}".to_vec()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.head_sha(None, "alice/m").await, before);
}

#[tokio::test]
async fn bad_commits_change_nothing() {
    let app = TestApp::new().await;
    let token = app.user("alice", TokenRole::Write).await;
    app.create_repo(&token, "m", false).await;
    let before = app.head_sha(None, "alice/m").await;
    let header = r#"{"key":"header","value":{"summary":"s"}}"#;
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (format!("{header}\n{{not json"), StatusCode::BAD_REQUEST, "malformed line"),
        (
            format!(
                "{header}\n{{\"key\":\"file\",\"value\":{{\"path\":\"a\",\"content\":\"!!!\",\"encoding\":\"base64\"}}}}"
            ),
            StatusCode::BAD_REQUEST,
            "bad base64",
        ),
        (
            format!(
                "{header}\n{{\"key\":\"file\",\"value\":{{\"path\":\"../x\",\"content\":\"eA==\",\"encoding\":\"base64\"}}}}"
            ),
            StatusCode::BAD_REQUEST,
            "traversal",
        ),
        (
            format!(
                "{header}\n{{\"key\":\"file\",\"value\":{{\"path\":\"/etc/x\",\"content\":\"eA==\",\"encoding\":\"base64\"}}}}"
            ),
            StatusCode::BAD_REQUEST,
            "absolute path",
        ),
        (
            format!(
                "{header}\n{{\"key\":\"file\",\"value\":{{\"path\":\".git/config\",\"content\":\"eA==\",\"encoding\":\"base64\"}}}}"
            ),
            StatusCode::BAD_REQUEST,
            ".git path",
        ),
        (
            format!(
                "{header}\n{{\"key\":\"file\",\"value\":{{\"path\":\"{}\",\"content\":\"eA==\",\"encoding\":\"base64\"}}}}",
                "a/".repeat(600)
            ),
            StatusCode::BAD_REQUEST,
            "over-long path",
        ),
        (
            format!(
                "{header}\n{{\"key\":\"lfsFile\",\"value\":{{\"path\":\"w.bin\",\"algo\":\"sha256\",\"oid\":\"{}\",\"size\":3}}}}",
                "a".repeat(64)
            ),
            StatusCode::BAD_REQUEST,
            "lfs object never uploaded",
        ),
        (
            format!("{header}\n{{\"key\":\"deletedFile\",\"value\":{{\"path\":\"missing.txt\"}}}}"),
            StatusCode::NOT_FOUND,
            "delete missing",
        ),
        (format!("{header}\n{{\"key\":\"frobnicate\",\"value\":{{}}}}"), StatusCode::BAD_REQUEST, "unknown key"),
        ("{\"key\":\"file\",\"value\":{}}".to_owned(), StatusCode::BAD_REQUEST, "no header"),
        (
            format!(
                "{header}\n{{\"key\":\"file\",\"value\":{{\"path\":\"a.txt\",\"content\":\"eA==\",\"encoding\":\"base64\"}}}}\n{{\"key\":\"file\",\"value\":{{\"path\":\"b.txt\",\"content\":\"eA"
            ),
            StatusCode::BAD_REQUEST,
            "truncated body",
        ),
    ];
    for (body, status, case) in cases {
        let response = app.call("POST", "/api/models/alice/m/commit/main", Some(&token), body.into_bytes()).await;
        assert_eq!(response.status, status, "{case}: {}", String::from_utf8_lossy(&response.body));
        assert!(response.header("x-error-code").is_some(), "{case}");
        assert!(response.header("x-error-message").is_some(), "{case}");
        assert_eq!(app.head_sha(None, "alice/m").await, before, "{case} changed the repo");
    }
    let stale = app.commit(&token, "alice/m", &[("a.txt", b"1")], Some(&before)).await;
    assert_eq!(stale.status, StatusCode::OK);
    let conflict = app.commit(&token, "alice/m", &[("a.txt", b"2")], Some(&before)).await;
    assert_eq!(conflict.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        conflict.json()["error"],
        "The branch was updated since you opened this page. Please refresh and try again."
    );
    let unchanged = app.commit(&token, "alice/m", &[("a.txt", b"1")], None).await;
    assert_eq!(unchanged.status, StatusCode::OK);
    assert_eq!(unchanged.json()["commitOid"], stale.json()["commitOid"], "a no-op commit returns the head");
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex_encode(&Sha256::digest(bytes))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn relative(href: &str) -> String {
    href.strip_prefix(BASE).expect("hrefs are built from the public URL").to_owned()
}

async fn lfs_batch(
    app: &TestApp,
    token: &str,
    repo: &str,
    operation: &str,
    oid: &str,
    size: usize,
) -> serde_json::Value {
    let body = serde_json::json!({
        "operation": operation, "transfers": ["basic", "multipart"], "hash_algo": "sha256",
        "objects": [{"oid": oid, "size": size}]
    });
    let response = app
        .call("POST", &format!("/{repo}.git/info/lfs/objects/batch"), Some(token), body.to_string().into_bytes())
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", String::from_utf8_lossy(&response.body));
    response.json()
}

#[tokio::test]
async fn lfs_upload_is_verified_and_objects_stay_in_their_repo() {
    let app = TestApp::new().await;
    let alice = app.user("alice", TokenRole::Write).await;
    let bob = app.user("bob", TokenRole::Write).await;
    app.create_repo(&alice, "m", false).await;
    app.create_repo(&bob, "other", false).await;
    let content = vec![7u8; 300_000];
    let oid = sha256_hex(&content);

    let batch = lfs_batch(&app, &alice, "alice/m", "upload", &oid, content.len()).await;
    let href = relative(batch["objects"][0]["actions"]["upload"]["href"].as_str().expect("upload href"));
    let wrong = app.call("PUT", &href, None, vec![8u8; 300_000]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "content not matching the oid is refused");
    let short = app.call("PUT", &href, None, vec![7u8; 1000]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST, "truncated upload is refused");
    let forged = app.call("PUT", &href.replace("sig=", "sig=00"), None, content.clone()).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call("PUT", &href, None, content.clone()).await.status, StatusCode::OK);
    let verify = serde_json::json!({"oid": oid, "size": content.len()}).to_string().into_bytes();
    assert_eq!(
        app.call("POST", "/alice/m.git/info/lfs/objects/verify", Some(&alice), verify).await.status,
        StatusCode::OK
    );

    let line = serde_json::json!({"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": oid, "size": content.len()}});
    let body = format!("{{\"key\":\"header\",\"value\":{{\"summary\":\"lfs\"}}}}\n{line}\n");
    let commit = app.call("POST", "/api/models/alice/m/commit/main", Some(&alice), body.clone().into_bytes()).await;
    assert_eq!(commit.status, StatusCode::OK, "{}", String::from_utf8_lossy(&commit.body));
    let download = app.call("GET", "/alice/m/resolve/main/w.bin", None, Vec::new()).await;
    assert_eq!(download.body, content);
    assert_eq!(download.header("x-linked-etag"), Some(format!("\"{oid}\"")));
    assert_eq!(download.header("x-linked-size").as_deref(), Some("300000"));
    let info = app.call("GET", "/api/models/alice/m?blobs=true", None, Vec::new()).await.json();
    let sibling = info["siblings"].as_array().expect("siblings").iter().find(|s| s["rfilename"] == "w.bin").cloned();
    assert_eq!(sibling.expect("w.bin listed")["lfs"]["sha256"], oid);

    // Knowing the hash is not enough: bob must prove possession before linking it.
    let stolen = app.call("POST", "/api/models/bob/other/commit/main", Some(&bob), body.into_bytes()).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);
    let bob_download = lfs_batch(&app, &bob, "bob/other", "download", &oid, content.len()).await;
    assert_eq!(bob_download["objects"][0]["error"]["code"], 404);
    let bob_upload = lfs_batch(&app, &bob, "bob/other", "upload", &oid, content.len()).await;
    assert!(bob_upload["objects"][0]["actions"]["upload"].is_object(), "bob is asked to upload the bytes");
    let alice_download = lfs_batch(&app, &alice, "alice/m", "download", &oid, content.len()).await;
    let href = relative(alice_download["objects"][0]["actions"]["download"]["href"].as_str().expect("download href"));
    assert_eq!(app.call("GET", &href, None, Vec::new()).await.body, content);
}

#[tokio::test]
async fn multipart_uploads_assemble_and_verify() {
    let app = TestApp::new().await;
    let token = app.user("alice", TokenRole::Write).await;
    app.create_repo(&token, "m", false).await;
    let content: Vec<u8> = (0..2_500_000u32).map(|n| (n % 251) as u8).collect();
    let oid = sha256_hex(&content);
    let batch = lfs_batch(&app, &token, "alice/m", "upload", &oid, content.len()).await;
    assert_eq!(batch["transfer"], "multipart");
    let action = &batch["objects"][0]["actions"]["upload"];
    let chunk: usize = action["header"]["chunk_size"].as_str().expect("chunk size").parse().expect("number");
    let mut parts = Vec::new();
    for (index, piece) in content.chunks(chunk).enumerate() {
        let href = relative(action["header"][(index + 1).to_string()].as_str().expect("part url"));
        let response = app.call("PUT", &href, None, piece.to_vec()).await;
        assert_eq!(response.status, StatusCode::OK);
        parts.push(serde_json::json!({"partNumber": index + 1, "etag": response.header("etag").expect("part etag")}));
    }
    assert_eq!(parts.len(), 3);
    let completion = serde_json::json!({"oid": oid, "parts": parts}).to_string().into_bytes();
    let href = relative(action["href"].as_str().expect("completion href"));
    let done = app.call("POST", &href, None, completion).await;
    assert_eq!(done.status, StatusCode::OK, "{}", String::from_utf8_lossy(&done.body));
    let again = lfs_batch(&app, &token, "alice/m", "upload", &oid, content.len()).await;
    assert!(again["objects"][0].get("actions").is_none(), "already stored: nothing to send");
}

#[tokio::test]
async fn large_inline_files_become_lfs_objects() {
    let settings = stoa_core::HubSettings { max_git_blob_bytes: 100_000, ..Default::default() };
    let app = TestApp::with_settings(settings).await;
    let token = app.user("alice", TokenRole::Write).await;
    app.create_repo(&token, "m", false).await;
    let big: Vec<u8> = (0..200_000u32).map(|n| (n % 7) as u8).collect();
    let response =
        app.commit(&token, "alice/m", &[("big.dat", &big), ("small.pkl", b""), ("w.bin", b"abc")], None).await;
    assert_eq!(response.status, StatusCode::OK);
    let tree =
        app.call("GET", "/api/models/alice/m/tree/main?recursive=true&expand=false", None, Vec::new()).await.json();
    let entry =
        |path: &str| tree.as_array().expect("array").iter().find(|e| e["path"] == path).cloned().expect("listed");
    assert_eq!(entry("big.dat")["lfs"]["oid"], sha256_hex(&big));
    assert_eq!(entry("big.dat")["size"], 200_000);
    assert!(entry("small.pkl").get("lfs").is_none(), "empty files stay regular");
    assert_eq!(entry("w.bin")["lfs"]["size"], 3, "files matching .gitattributes become LFS");
    let attributes = app.call("GET", "/alice/m/resolve/main/.gitattributes", None, Vec::new()).await;
    assert!(
        String::from_utf8_lossy(&attributes.body).contains("big.dat filter=lfs"),
        "a rule is added for uncovered LFS files"
    );
    assert_eq!(app.call("GET", "/alice/m/resolve/main/big.dat", None, Vec::new()).await.body, big);
}

#[tokio::test]
async fn listing_searches_filters_sorts_and_paginates() {
    let app = TestApp::new().await;
    let alice = app.user("alice", TokenRole::Write).await;
    let bob = app.user("bob", TokenRole::Write).await;
    for name in ["bert-base", "bert-large", "gpt"] {
        app.create_repo(&alice, name, false).await;
    }
    app.create_repo(&bob, "bert-tiny", false).await;
    app.commit(&alice, "alice/gpt", &[("README.md", b"---\nlicense: mit\ntags: [chat]\n---\n")], None).await;
    let ids = |response: &support::TestResponse| -> Vec<String> {
        response
            .json()
            .as_array()
            .expect("array")
            .iter()
            .map(|item| item["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let search =
        app.call("GET", "/api/models?search=BERT&author=alice&sort=createdAt&direction=1", None, Vec::new()).await;
    let mut found = ids(&search);
    // Repos created within the same second tie on createdAt; compare as a set.
    found.sort();
    assert_eq!(found, vec!["alice/bert-base", "alice/bert-large"]);
    let filtered = app.call("GET", "/api/models?filter=license:mit&filter=chat", None, Vec::new()).await;
    assert_eq!(ids(&filtered), vec!["alice/gpt"]);
    let first = app.call("GET", "/api/models?limit=3&sort=lastModified", None, Vec::new()).await;
    assert_eq!(ids(&first).len(), 3);
    let link = first.header("link").expect("next page announced");
    let next = link.trim_start_matches('<').split('>').next().expect("url");
    let second = app.call("GET", &relative(next), None, Vec::new()).await;
    assert_eq!(ids(&second).len(), 1);
    assert!(second.header("link").is_none());
    let full = app.call("GET", "/api/models?search=gpt&full=true", None, Vec::new()).await.json();
    assert!(full[0]["sha"].is_string());
    assert!(full[0]["siblings"].is_array());
}

#[tokio::test]
async fn interrupted_commits_are_finished_or_dropped_on_recovery() {
    let app = TestApp::new().await;
    let token = app.user("alice", TokenRole::Write).await;
    let created = app.create_repo(&token, "m", false).await.json();
    let repo_id = created["id"].as_str().expect("internal id").to_owned();
    let head = app.head_sha(None, "alice/m").await;
    let oid = Sha256Oid::parse(&"c".repeat(64)).expect("oid");
    // A ref that moved without its metadata update (killed between the two steps)...
    let landed = CommitIntent {
        id: "landed".to_owned(),
        repo_id: repo_id.clone(),
        ref_name: "refs/heads/main".to_owned(),
        new_commit: head.clone(),
        lfs_oids: vec![oid.to_string()],
        committed_at: 1,
        is_default_branch: true,
        tags: Some(vec!["recovered".to_owned()]),
        xet_files: Vec::new(),
        activity: None,
        pr_event: None,
    };
    // ...and a commit whose ref never moved (killed before the compare-and-swap).
    let lost = CommitIntent { id: "lost".to_owned(), new_commit: "d".repeat(40), ..landed.clone() };
    app.meta.record_commit_intent(&landed).await.expect("recorded");
    app.meta.record_commit_intent(&lost).await.expect("recorded");
    assert_eq!(app.hub.recover_commit_intents().await.expect("recovers"), 1);
    assert!(app.meta.pending_commit_intents().await.expect("listed").is_empty());
    assert!(app.meta.repo_has_lfs_object(&repo_id, &oid).await.expect("lookup"));
    let listed = app.call("GET", "/api/models?filter=recovered", None, Vec::new()).await.json();
    assert_eq!(listed[0]["id"], "alice/m");
}

#[tokio::test]
async fn preupload_echoes_paths_and_honours_gitignore() {
    let app = TestApp::new().await;
    let token = app.user("alice", TokenRole::Write).await;
    app.create_repo(&token, "m", false).await;
    let body = serde_json::json!({
        "files": [
            {"path": "nested/file.bin", "size": 10, "sample": "AAAA"},
            {"path": "model.safetensors", "size": 200_000_000u64, "sample": "AAAA"},
            {"path": "café/ß.txt", "size": 3, "sample": "YWJj"}
        ],
        "gitIgnore": "nested/*\n"
    });
    let request = axum::http::Request::post("/api/models/alice/m/preupload/main")
        .header("authorization", format!("Bearer {token}"))
        .header("user-agent", "unknown/None; hf_hub/2.4.0; python/3.11.7")
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    let files = response.json()["files"].clone();
    assert_eq!(files[0]["shouldIgnore"], true);
    assert_eq!(files[0]["uploadMode"], "lfs", ".bin files follow .gitattributes");
    assert_eq!(files[1]["uploadMode"], "lfs");
    assert_eq!(files[2]["path"], "café/ß.txt");
    assert_eq!(files[2]["uploadMode"], "regular");
    let token = app.call("GET", "/api/models/alice/m/xet-write-token/main", Some(&token), Vec::new()).await;
    assert_eq!(token.status, StatusCode::OK);
    assert_eq!(token.json()["casUrl"], format!("{BASE}/xet"));
    assert!(token.json()["exp"].is_i64());
    assert_eq!(token.header("x-xet-access-token").as_deref(), token.json()["accessToken"].as_str());
    let anonymous = app.call("GET", "/api/models/alice/m/xet-write-token/main", None, Vec::new()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let reader = app.call("GET", "/api/models/alice/m/xet-read-token/main", None, Vec::new()).await;
    assert_eq!(reader.status, StatusCode::OK, "public repos hand out read tokens to anyone");
    let forged = axum::http::Request::post("/xet/v1/shards")
        .header("authorization", "Bearer stx1.w.abc.def.9999999999.00")
        .body(axum::body::Body::from(vec![0u8; 10]))
        .expect("request");
    assert_eq!(app.send(forged).await.status, StatusCode::UNAUTHORIZED);
}
