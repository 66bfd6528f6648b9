//! Web pages: search with facets and sort, user and org pages, access tokens, the new-repo
//! form, and uploading files through the page (commit, pull request, CSRF refusal).

mod support;

use axum::http::StatusCode;
use stoa_core::identity::OrgRole;
use stoa_core::identity::orgs::CreateOrg;
use stoa_core::ports::TokenRole;
use support::web::{Browser, get, html, location};
use support::{CommitTarget, TestApp, TestResponse};

/// Whether `page` shows `text` escaped (askama writes numeric entities) and never raw.
fn shows_escaped(page: &str, text: &str) -> bool {
    let numeric = text.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;");
    let named = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    !page.contains(text) && (page.contains(&numeric) || page.contains(&named))
}

/// The inner HTML of the first element opened by `open` (up to the matching `close` tag text).
fn section<'a>(page: &'a str, open: &str, close: &str) -> &'a str {
    let start = page.find(open).unwrap_or_else(|| panic!("{open} in page: {page}"));
    let rest = &page[start..];
    &rest[..rest.find(close).unwrap_or(rest.len())]
}

/// Commits files to `main` of a repo of any type through the JSON API.
async fn commit(app: &TestApp, token: &str, plural: &str, repo: &str, files: &[(&str, &[u8])]) {
    let response = app.commit_to(token, CommitTarget { plural, ..CommitTarget::model(repo) }, files, None).await;
    assert_eq!(response.status, StatusCode::OK, "commit to {repo}: {}", html(&response));
}

async fn create(app: &TestApp, token: &str, kind: &str, name: &str, private: bool) {
    let body = serde_json::json!({"name": name, "type": kind, "private": private}).to_string().into_bytes();
    let response = app.call("POST", "/api/repos/create", Some(token), body).await;
    assert_eq!(response.status, StatusCode::OK, "create {name}: {}", html(&response));
}

const MODEL_CARD: &str =
    "---\nlicense: mit\npipeline_tag: text-classification\nlibrary_name: transformers\nlanguage: en\n---\n# A model\n";
const DATASET_CARD: &str = "---\nlicense: apache-2.0\ntask_categories:\n- translation\nlanguage:\n- fr\n---\n# Data\n";

#[tokio::test]
async fn search_by_text_facets_and_sort() {
    let app = TestApp::new().await;
    let token = app.user("alice", TokenRole::Write).await;
    for name in ["bert-tiny", "bert-large", "gpt-small"] {
        create(&app, &token, "model", name, false).await;
    }
    commit(&app, &token, "models", "alice/bert-tiny", &[("README.md", MODEL_CARD.as_bytes())]).await;
    create(&app, &token, "dataset", "opus", false).await;
    create(&app, &token, "dataset", "plain", false).await;
    commit(&app, &token, "datasets", "alice/opus", &[("README.md", DATASET_CARD.as_bytes())]).await;

    let by_text = get(&app, "/models?search=bert", None).await;
    assert_eq!(by_text.status, StatusCode::OK);
    let page = html(&by_text);
    let results = section(&page, "<ul id=\"results\"", "</ul>");
    assert!(results.contains("class=\"repo-link\" href=\"/alice/bert-tiny\""), "{results}");
    assert!(results.contains("href=\"/alice/bert-large\"") && !results.contains("gpt-small"), "{results}");
    assert!(page.contains("name=\"search\" value=\"bert\""), "the header and form show the query");
    assert!(page.contains("<form id=\"search\" method=\"get\""));

    // Facets count the tags of the matches; each value is a link that adds the filter.
    let all = html(&get(&app, "/models", None).await);
    let facets = section(&all, "<aside id=\"facets\"", "</aside>");
    assert!(facets.contains("href=\"/models?pipeline_tag=text-classification\""), "{facets}");
    assert!(facets.contains("href=\"/models?license=mit\"") && facets.contains("href=\"/models?language=en\""));
    assert!(facets.contains("href=\"/models?library=transformers\""), "{facets}");
    let filtered = html(&get(&app, "/models?pipeline_tag=text-classification", None).await);
    let results = section(&filtered, "<ul id=\"results\"", "</ul>");
    assert!(results.contains("/alice/bert-tiny") && !results.contains("bert-large"), "{results}");
    let facets = section(&filtered, "<aside id=\"facets\"", "</aside>");
    assert!(facets.contains("class=\"remove-filter\" href=\"/models\""), "the active filter can be removed: {facets}");
    let none = html(&get(&app, "/models?pipeline_tag=translation&search=bert", None).await);
    assert!(!section(&none, "<ul id=\"results\"", "</ul>").contains("repo-link"));

    // Datasets filter on their task_categories / language tags.
    let datasets = html(&get(&app, "/datasets?pipeline_tag=translation", None).await);
    let results = section(&datasets, "<ul id=\"results\"", "</ul>");
    assert!(results.contains("/datasets/alice/opus") && !results.contains("plain"), "{results}");
    let by_language = html(&get(&app, "/datasets?language=fr", None).await);
    assert!(section(&by_language, "<ul id=\"results\"", "</ul>").contains("/datasets/alice/opus"));
    assert!(
        section(&html(&get(&app, "/datasets", None).await), "<aside id=\"facets\"", "</aside>")
            .contains("href=\"/datasets?pipeline_tag=translation\"")
    );

    // Sort by likes: the liked repo comes first.
    let liked = app.call("POST", "/api/models/alice/gpt-small/like", Some(&token), Vec::new()).await;
    assert_eq!(liked.status, StatusCode::OK, "{}", html(&liked));
    let by_likes = html(&get(&app, "/models?sort=likes", None).await);
    let results = section(&by_likes, "<ul id=\"results\"", "</ul>");
    let first = results.find("gpt-small").expect("listed");
    assert!(first < results.find("bert-tiny").expect("listed"), "{results}");
    assert!(by_likes.contains("<option value=\"likes\" selected>"));
}

#[tokio::test]
async fn search_pages_thirty_results_at_a_time() {
    let app = TestApp::new().await;
    let token = app.user("paul", TokenRole::Write).await;
    for index in 0..32 {
        create(&app, &token, "model", &format!("m{index:02}"), false).await;
    }
    let first = html(&get(&app, "/models?sort=created", None).await);
    assert_eq!(section(&first, "<ul id=\"results\"", "</ul>").matches("class=\"repo-link\"").count(), 30);
    assert!(first.contains("id=\"next-page\" rel=\"next\" href=\"/models?sort=created&#38;p=1\""), "{first}");
    let second = html(&get(&app, "/models?sort=created&p=1", None).await);
    assert_eq!(section(&second, "<ul id=\"results\"", "</ul>").matches("class=\"repo-link\"").count(), 2);
    assert!(!second.contains("id=\"next-page\""));
}

#[tokio::test]
async fn profiles_list_repos_the_viewer_may_see() {
    let app = TestApp::new().await;
    let alice = Browser::sign_up(&app, "alice").await;
    let token = app.user("alice", TokenRole::Write).await;
    create(&app, &token, "model", "open-model", false).await;
    create(&app, &token, "dataset", "open-data", false).await;
    create(&app, &token, "model", "hidden-model", true).await;

    let seen_by_others = get(&app, "/alice", None).await;
    assert_eq!(seen_by_others.status, StatusCode::OK);
    let page = html(&seen_by_others);
    assert!(page.contains("<h1>alice"), "{page}");
    let repos = section(&page, "<ul id=\"repos\"", "</ul>");
    assert!(repos.contains("href=\"/alice/open-model\"") && repos.contains("href=\"/datasets/alice/open-data\""));
    assert!(!page.contains("hidden-model"), "a private repo is not listed to others");
    let own = html(&get(&app, "/alice", Some(&alice)).await);
    assert!(section(&own, "<ul id=\"repos\"", "</ul>").contains("href=\"/alice/hidden-model\""));

    let missing = get(&app, "/nobody-here", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Organisations: members are listed to members only.
    let org = CreateOrg {
        name: "acme".to_owned(),
        fullname: Some("Acme <Labs>".to_owned()),
        members: vec![("alice".to_owned(), OrgRole::Admin)],
        private_by_default: false,
    };
    app.hub.create_org(org).await.expect("org created");
    let alice = Browser::sign_in(&app, "alice").await;
    let body = serde_json::json!({"name": "org-model", "organization": "acme"}).to_string().into_bytes();
    assert_eq!(app.call("POST", "/api/repos/create", Some(&token), body).await.status, StatusCode::OK);
    let anonymous = html(&get(&app, "/acme", None).await);
    assert!(shows_escaped(&anonymous, "Acme <Labs>"), "the full name is escaped: {anonymous}");
    assert!(section(&anonymous, "<ul id=\"repos\"", "</ul>").contains("href=\"/acme/org-model\""));
    assert!(!anonymous.contains("id=\"members\""));
    let member = html(&get(&app, "/acme", Some(&alice)).await);
    assert!(section(&member, "<section id=\"members\"", "</section>").contains("href=\"/alice\""), "{member}");
    let own = html(&get(&app, "/alice", Some(&alice)).await);
    assert!(own.contains("href=\"/acme\""), "a user sees their organisations");
}

#[tokio::test]
async fn tokens_are_shown_once_and_revoked() {
    let app = TestApp::new().await;
    let anonymous = get(&app, "/settings/tokens", None).await;
    assert_eq!(location(&anonymous), "/login?next=/settings/tokens");

    let bob = Browser::sign_up(&app, "bob").await;
    let empty = get(&app, "/settings/tokens", Some(&bob)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(html(&empty).contains("<form id=\"new-token\""));

    let no_csrf = bob.post_form_as_is(&app, "/settings/tokens", &[("name", "ci"), ("role", "write")]).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let fields = [("name", "<script>alert(1)</script>"), ("role", "write")];
    let created = bob.post_form(&app, "/settings/tokens", &fields).await;
    assert_eq!(created.status, StatusCode::OK, "the page answers, not a redirect");
    let page = html(&created);
    assert!(shows_escaped(&page, "<script>alert(1)</script>"), "{page}");
    assert!(page.contains("button type=\"button\" data-copy=\"new-token-secret\""));
    let secret = page
        .split("<code id=\"new-token-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret is shown")
        .to_owned();
    assert!(secret.starts_with("hf_"), "{secret}");
    let whoami = app.call("GET", "/api/whoami-v2", Some(&secret), Vec::new()).await;
    assert_eq!(whoami.status, StatusCode::OK);
    assert_eq!(whoami.json()["name"], "bob");

    let listed = html(&get(&app, "/settings/tokens", Some(&bob)).await);
    assert!(!listed.contains(&secret), "shown once");
    let table = section(&listed, "<table id=\"tokens\"", "</table>");
    assert_eq!(table.matches("<tr class=\"token\"").count(), 1);
    assert!(table.contains("write"));
    let revoke_url = table
        .split("class=\"revoke-token inline\" method=\"post\" action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a revoke form")
        .to_owned();
    assert!(revoke_url.starts_with("/settings/tokens/") && revoke_url.ends_with("/delete"));
    let refused = bob.post_form_as_is(&app, &revoke_url, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call("GET", "/api/whoami-v2", Some(&secret), Vec::new()).await.status, StatusCode::OK);
    let revoked = bob.post_form(&app, &revoke_url, &[]).await;
    assert_eq!(location(&revoked), "/settings/tokens");
    assert_eq!(app.call("GET", "/api/whoami-v2", Some(&secret), Vec::new()).await.status, StatusCode::UNAUTHORIZED);
    let after = html(&get(&app, "/settings/tokens", Some(&bob)).await);
    assert!(!after.contains("<tr class=\"token\""));

    let bad_role = bob.post_form(&app, "/settings/tokens", &[("name", "x"), ("role", "admin")]).await;
    assert_eq!(bad_role.status, StatusCode::BAD_REQUEST);
    assert!(html(&bad_role).contains("class=\"error\""));
}

#[tokio::test]
async fn the_new_repo_form_creates_and_reports_duplicates() {
    let app = TestApp::new().await;
    let anonymous = get(&app, "/new", None).await;
    assert_eq!(location(&anonymous), "/login?next=/new");

    let carol = Browser::sign_up(&app, "carol").await;
    let form = html(&get(&app, "/new", Some(&carol)).await);
    assert!(form.contains("<form id=\"new-repo\"") && form.contains("<option value=\"carol\""), "{form}");
    let fields = |kind: &'static str, name: &'static str| {
        [("type", kind), ("owner", "carol"), ("name", name), ("visibility", "private"), ("space_sdk", "gradio")]
    };
    let send = async |fields: [(&str, &str); 5]| carol.post_form(&app, "/new", &fields).await;
    let created = send(fields("model", "my-model")).await;
    assert_eq!(location(&created), "/carol/my-model");
    let info = app.call("GET", "/api/models/carol/my-model", None, Vec::new()).await;
    assert_eq!(info.status, StatusCode::UNAUTHORIZED, "made private as asked (hidden from anonymous callers)");

    let duplicate = send(fields("model", "my-model")).await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let page = html(&duplicate);
    assert!(page.contains("class=\"error\"") && page.contains("already exists"), "{page}");
    assert!(page.contains("name=\"name\" value=\"my-model\""), "the values are kept");

    let space = send(fields("space", "my-space")).await;
    assert_eq!(space.header("location").as_deref(), Some("/spaces/carol/my-space"));
    let invalid = send(fields("dataset", "bad--<b>name</b>")).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    let page = html(&invalid);
    assert!(page.contains("class=\"error\"") && !page.contains("<b>name</b>"), "escaped: {page}");
    let elsewhere = {
        let mut fields = fields("model", "theirs");
        fields[1].1 = "someone-else";
        send(fields).await
    };
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    assert!(html(&elsewhere).contains("class=\"error\""));
}

enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "----stoa-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, content) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(content);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, path: &str, browser: &Browser, parts: &[Part<'_>]) -> TestResponse {
    let (content_type, body) = multipart(parts);
    browser.post(app, path, &content_type, body).await
}

async fn tree(app: &TestApp, token: &str, repo: &str, revision: &str) -> Vec<serde_json::Value> {
    let uri = format!("/api/models/{repo}/tree/{revision}?recursive=true");
    let response = app.call("GET", &uri, Some(token), Vec::new()).await;
    assert_eq!(response.status, StatusCode::OK, "{}", html(&response));
    response.json().as_array().expect("entries").clone()
}

#[tokio::test]
async fn uploads_commit_files_with_lfs_for_the_big_ones() {
    let app = TestApp::new().await;
    let dana = Browser::sign_up(&app, "dana").await;
    let token = app.user("dana", TokenRole::Write).await;
    create(&app, &token, "model", "m", false).await;

    let form = get(&app, "/dana/m/upload/main", Some(&dana)).await;
    assert_eq!(form.status, StatusCode::OK);
    let page = html(&form);
    let form_html = section(&page, "<form id=\"upload\"", "</form>");
    assert!(
        form_html.contains("enctype=\"multipart/form-data\"") && form_html.contains("action=\"/dana/m/upload/main\"")
    );
    let csrf_at = form_html.find("name=\"csrf\"").expect("csrf field");
    assert!(csrf_at < form_html.find("name=\"files\"").expect("files field"), "the token comes first");
    assert!(form_html.contains("type=\"file\" name=\"files\" multiple"));
    assert_eq!(get(&app, "/dana/m/upload/no-such-branch", Some(&dana)).await.status, StatusCode::NOT_FOUND);

    let weights = vec![7u8; 4096];
    let parts = [
        Part::Text("csrf", &dana.csrf),
        Part::File("notes.txt", b"hello from the page\n"),
        Part::File("weights.bin", &weights),
        Part::File("bytes.raw", &[0xff, 0xfe, 0x00, 0x80]),
        Part::Text("path", "sub/dir"),
        Part::Text("summary", ""),
        Part::Text("description", ""),
    ];
    let done = upload(&app, "/dana/m/upload/main", &dana, &parts).await;
    assert_eq!(location(&done), "/dana/m/tree/main");
    let entries = tree(&app, &token, "dana/m", "main").await;
    let entry = |path: &str| entries.iter().find(|entry| entry["path"] == path).cloned().expect(path);
    assert!(entry("sub/dir/notes.txt").get("lfs").is_none(), "small text stays in git");
    assert_eq!(entry("sub/dir/weights.bin")["lfs"]["size"], 4096, "*.bin follows .gitattributes: LFS");
    let commits = app.call("GET", "/api/models/dana/m/commits/main", Some(&token), Vec::new()).await;
    assert_eq!(commits.json()[0]["title"], "Upload 3 files");
    let raw = app.call("GET", "/dana/m/resolve/main/sub/dir/notes.txt", None, Vec::new()).await;
    assert_eq!(raw.body, b"hello from the page\n");
    let raw = app.call("GET", "/dana/m/resolve/main/sub/dir/bytes.raw", None, Vec::new()).await;
    assert_eq!(raw.body, [0xff, 0xfe, 0x00, 0x80], "bytes are kept as they are");

    // Larger than the git-blob limit: LFS whatever its name.
    let big = vec![b'x'; 10 * 1000 * 1000 + 1];
    let parts = [Part::Text("csrf", &dana.csrf), Part::File("big.txt", &big), Part::Text("summary", "Big one")];
    assert_eq!(upload(&app, "/dana/m/upload/main", &dana, &parts).await.status, StatusCode::SEE_OTHER);
    let entries = tree(&app, &token, "dana/m", "main").await;
    let big_entry = entries.iter().find(|entry| entry["path"] == "big.txt").expect("big.txt");
    assert_eq!(big_entry["lfs"]["size"], 10_000_001);

    // A `.gitattributes` uploaded with other files sets their LFS rules in the same commit.
    let rules = b"*.dat filter=lfs diff=lfs merge=lfs -text\n";
    let parts = [Part::Text("csrf", &dana.csrf), Part::File(".gitattributes", rules), Part::File("x.dat", b"data")];
    assert_eq!(upload(&app, "/dana/m/upload/main", &dana, &parts).await.status, StatusCode::SEE_OTHER);
    let entries = tree(&app, &token, "dana/m", "main").await;
    let dat = entries.iter().find(|entry| entry["path"] == "x.dat").expect("x.dat");
    assert_eq!(dat["lfs"]["size"], 4, "{dat}");
}

#[tokio::test]
async fn uploads_can_open_a_pull_request() {
    let app = TestApp::new().await;
    let erin = Browser::sign_up(&app, "erin").await;
    let token = app.user("erin", TokenRole::Write).await;
    create(&app, &token, "model", "m", false).await;
    let before = app.head_sha(Some(&token), "erin/m").await;
    let parts = [
        Part::Text("csrf", &erin.csrf),
        Part::File("proposal.txt", b"please merge"),
        Part::Text("path", ""),
        Part::Text("summary", "A <b>proposal</b>"),
        Part::Text("description", "why"),
        Part::Text("create_pr", "1"),
    ];
    let done = upload(&app, "/erin/m/upload/main", &erin, &parts).await;
    assert_eq!(location(&done), "/erin/m/discussions/1");
    assert_eq!(app.head_sha(Some(&token), "erin/m").await, before, "main is unchanged");
    let entries = tree(&app, &token, "erin/m", "refs%2Fpr%2F1").await;
    assert!(entries.iter().any(|entry| entry["path"] == "proposal.txt"));
    let discussion = app.call("GET", "/api/models/erin/m/discussions/1", Some(&token), Vec::new()).await;
    assert_eq!(discussion.json()["isPullRequest"], true);
}

#[tokio::test]
async fn uploads_need_the_csrf_token_first_and_write_rights() {
    let app = TestApp::new().await;
    let fay = Browser::sign_up(&app, "fay").await;
    let token = app.user("fay", TokenRole::Write).await;
    create(&app, &token, "model", "m", false).await;
    let before = app.head_sha(Some(&token), "fay/m").await;

    let without = upload(&app, "/fay/m/upload/main", &fay, &[Part::File("a.txt", b"a")]).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    let late = [Part::File("a.txt", b"a"), Part::Text("csrf", &fay.csrf)];
    assert_eq!(
        upload(&app, "/fay/m/upload/main", &fay, &late).await.status,
        StatusCode::FORBIDDEN,
        "token must come first"
    );
    let wrong = [Part::Text("csrf", "not-the-token"), Part::File("a.txt", b"a")];
    assert_eq!(upload(&app, "/fay/m/upload/main", &fay, &wrong).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.head_sha(Some(&token), "fay/m").await, before, "nothing committed");

    // A bad path is told on the form (400), nothing committed.
    let bad = [Part::Text("csrf", &fay.csrf), Part::File("a.txt", b"a"), Part::Text("path", "../up")];
    let refused = upload(&app, "/fay/m/upload/main", &fay, &bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let page = html(&refused);
    assert!(page.contains("class=\"error\"") && page.contains("<form id=\"upload\""), "{page}");
    let names: Vec<String> = (0..101).map(|index| format!("f{index}.txt")).collect();
    let mut many = vec![Part::Text("csrf", &fay.csrf)];
    many.extend(names.iter().map(|name| Part::File(name, b"x")));
    let too_many = upload(&app, "/fay/m/upload/main", &fay, &many).await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    assert!(html(&too_many).contains("at most 100 files"));
    let no_files = upload(&app, "/fay/m/upload/main", &fay, &[Part::Text("csrf", &fay.csrf)]).await;
    assert_eq!(no_files.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.head_sha(Some(&token), "fay/m").await, before);

    // Another signed-in user may not upload; anonymous visitors are asked to log in.
    let gus = Browser::sign_up(&app, "gus").await;
    assert_eq!(get(&app, "/fay/m/upload/main", Some(&gus)).await.status, StatusCode::FORBIDDEN);
    let parts = [Part::Text("csrf", &gus.csrf), Part::File("a.txt", b"a")];
    assert_eq!(upload(&app, "/fay/m/upload/main", &gus, &parts).await.status, StatusCode::FORBIDDEN);
    let anonymous = get(&app, "/fay/m/upload/main", None).await;
    assert_eq!(location(&anonymous), "/login?next=%2Ffay%2Fm%2Fupload%2Fmain");
    assert_eq!(app.head_sha(Some(&token), "fay/m").await, before);
}

#[tokio::test]
async fn hostile_search_text_is_escaped() {
    let app = TestApp::new().await;
    let page = get(&app, "/models?search=%3Cscript%3Ealert(1)%3C%2Fscript%3E&license=%22%3E%3Cb%3E", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = html(&page);
    assert!(shows_escaped(&text, "<script>alert(1)</script>"), "{text}");
    assert!(shows_escaped(&text, "\"><b>"), "{text}");
}
