//! The repo reading pages: the card (sanitised, highlighted), the gated access form, the file
//! browser, file views, raw downloads (never inline HTML), history and diffs, and privacy.

mod support;

use axum::http::StatusCode;
use stoa_core::ports::TokenRole;
use support::TestApp;
use support::web::{Browser, get, html, location};

/// A person with a browser session and an API token.
async fn person(app: &TestApp, name: &str) -> (Browser, String) {
    (Browser::sign_up(app, name).await, app.user(name, TokenRole::Write).await)
}

async fn commit(app: &TestApp, token: &str, repo: &str, files: &[(&str, &[u8])]) {
    let response = app.commit(token, repo, files, None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", String::from_utf8_lossy(&response.body));
}

#[tokio::test]
async fn the_card_is_rendered_with_highlighted_code_and_metadata() {
    let app = TestApp::new().await;
    let (browser, token) = person(&app, "alice").await;
    app.create_repo(&token, "m", false).await;
    let card = "---\nlicense: apache-2.0\npipeline_tag: text-generation\nlibrary_name: transformers\n\
                language: [en, fr]\ntags: [chat]\n---\n# My model\n\nSome **text**.\n\n\
                ```python\ndef f(x):\n    return '<b>'\n```\n";
    commit(&app, &token, "alice/m", &[("README.md", card.as_bytes())]).await;
    let page = get(&app, "/alice/m", Some(&browser)).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = html(&page);
    let article = text.split("<article id=\"card\"").nth(1).expect("article#card");
    assert!(article.contains("<h1>My model</h1>"), "{article}");
    assert!(article.contains("<span class=\"hl-"), "the code block is highlighted: {article}");
    assert!(article.contains("&lt;b&gt;") && !article.contains("<b>"), "code is escaped: {article}");
    assert!(!article.contains("license: apache"), "the front matter is not part of the body");
    let aside = text.split("<aside id=\"metadata\"").nth(1).expect("aside#metadata");
    for wanted in
        ["apache-2.0", "text-generation", "transformers", "fr", "chat", "git clone http://hub.test:8080/alice/m"]
    {
        assert!(aside.contains(wanted), "{wanted} missing from {aside}");
    }
    assert!(text.contains("nav id=\"repo-tabs\""));
}

#[tokio::test]
async fn a_hostile_card_renders_nothing_active() {
    let app = TestApp::new().await;
    let (_, token) = person(&app, "mallory").await;
    app.create_repo(&token, "x", false).await;
    let card = "# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n\
                <svg onload=alert(4)><circle/></svg>\n\n<math><mi>x</mi></math>\n\n<iframe src=\"https://evil.example\"></iframe>\n\n\
                <style>body{display:none}</style>\n\n<form action=\"https://evil.example\"><input name=a></form>\n\n\
                <span class=\"evil hl-keyword\" style=\"color:red\">s</span>\n";
    commit(&app, &token, "mallory/x", &[("README.md", card.as_bytes())]).await;
    let page = get(&app, "/mallory/x", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = html(&page);
    let article = text.split("<article id=\"card\"").nth(1).expect("card").split("</article>").next().expect("end");
    for forbidden in
        ["<script", "onerror", "javascript:", "<svg", "onload", "<math", "<iframe", "<style", "style=", "<form", "evil"]
    {
        assert!(!article.contains(forbidden), "{forbidden} survived: {article}");
    }
    assert!(article.contains("<h1>Hi</h1>"));
    let csp = page.header("content-security-policy").expect("CSP");
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn a_repo_without_a_card_says_so() {
    let app = TestApp::new().await;
    let (browser, token) = person(&app, "bob").await;
    app.create_repo(&token, "empty", false).await;
    // A new repo holds only `.gitattributes`.
    let page = html(&get(&app, "/bob/empty", Some(&browser)).await);
    assert!(page.contains("No card yet") && page.contains("href=\"/bob/empty/upload/main\""), "{page}");
    let anonymous = html(&get(&app, "/bob/empty", None).await);
    assert!(anonymous.contains("No card yet") && !anonymous.contains("/bob/empty/upload/main"));
}

#[tokio::test]
async fn gated_repos_show_the_access_form() {
    let app = TestApp::new().await;
    let (_, owner) = person(&app, "gina").await;
    let (viewer, _) = person(&app, "victor").await;
    app.create_repo(&owner, "g", false).await;
    let card = "---\nextra_gated_prompt: \"Please **agree** <script>x</script>\"\nextra_gated_fields:\n  Company: text\n  \
                I agree: checkbox\n  Use:\n    type: select\n    options: [Research, Other]\n---\n# Gated\n";
    commit(&app, &owner, "gina/g", &[("README.md", card.as_bytes())]).await;
    let settings =
        app.call("PUT", "/api/models/gina/g/settings", Some(&owner), br#"{"gated":"manual"}"#.to_vec()).await;
    assert_eq!(settings.status, StatusCode::OK, "{}", String::from_utf8_lossy(&settings.body));
    let page = html(&get(&app, "/gina/g", Some(&viewer)).await);
    let form = page
        .split("<form id=\"request-access\"")
        .nth(1)
        .expect("form#request-access")
        .split("</form>")
        .next()
        .expect("end");
    assert!(form.contains("action=\"/gina/g/ask-access\""), "{form}");
    assert!(form.contains("name=\"csrf\""));
    assert!(
        form.contains("name=\"field:Company\"") && form.contains("type=\"checkbox\" name=\"field:I agree\""),
        "{form}"
    );
    assert!(form.contains("<option value=\"Research\">"), "{form}");
    assert!(page.contains("<strong>agree</strong>") && !page.contains("<script>x"), "the prompt is sanitised Markdown");
    let anonymous = html(&get(&app, "/gina/g", None).await);
    assert!(!anonymous.contains("id=\"request-access\"") && anonymous.contains("id=\"login-to-request\""));
    assert!(anonymous.contains("<h1>Gated</h1>"), "the card stays readable");
    // Files need access; the blob page refuses.
    assert_eq!(get(&app, "/gina/g/blob/main/README.md", Some(&viewer)).await.status, StatusCode::OK);
    assert_eq!(get(&app, "/gina/g/blob/main/.gitattributes", Some(&viewer)).await.status, StatusCode::OK);
    commit(&app, &owner, "gina/g", &[("secret.txt", b"hidden")]).await;
    assert_eq!(get(&app, "/gina/g/raw/main/secret.txt", Some(&viewer)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&app, "/gina/g/blob/main/secret.txt", Some(&viewer)).await.status, StatusCode::FORBIDDEN);

    // Once asked, the form gives way to the pending notice.
    let victor = app.user("victor", TokenRole::Write).await;
    let answers = serde_json::json!({"fields": {"Company": "ACME", "I agree": true, "Use": "Research"}});
    let asked = app
        .call("POST", "/api/models/gina/g/user-access-request/request", Some(&victor), answers.to_string().into_bytes())
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", String::from_utf8_lossy(&asked.body));
    let pending = html(&get(&app, "/gina/g", Some(&viewer)).await);
    assert!(pending.contains("id=\"access-pending\"") && !pending.contains("id=\"request-access\""), "{pending}");
}

#[tokio::test]
async fn the_file_browser_lists_a_folder() {
    let app = TestApp::new().await;
    let (browser, token) = person(&app, "carl").await;
    app.create_repo(&token, "m", false).await;
    commit(
        &app,
        &token,
        "carl/m",
        &[("src/b.py", b"print(1)\n"), ("src/a.py", b"x = 1\n"), ("src/nested/c.txt", b"c"), ("w.bin", b"abc")],
    )
    .await;
    let page = get(&app, "/carl/m/tree/main/src", Some(&browser)).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = html(&page);
    let table = text.split("<table id=\"files\">").nth(1).expect("table#files").split("</table>").next().expect("end");
    let links: Vec<&str> =
        table.split("class=\"entry-link\" href=\"").skip(1).map(|rest| rest.split('"').next().expect("href")).collect();
    assert_eq!(links, ["/carl/m/tree/main/src/nested", "/carl/m/blob/main/src/a.py", "/carl/m/blob/main/src/b.py"]);
    assert_eq!(table.matches("<tr class=\"entry").count(), 3);
    assert!(table.contains("<td class=\"size\">6 B</td>"), "{table}");
    assert!(
        text.contains("id=\"upload-link\" class=\"button\" href=\"/carl/m/upload/main\""),
        "writers get the upload link"
    );
    assert!(text.contains("data-autosubmit"), "a branch switcher");
    let root = html(&get(&app, "/carl/m/tree/main", None).await);
    assert!(root.contains("class=\"badge badge-lfs\""), "w.bin is an LFS file: {root}");
    assert!(!root.contains("id=\"upload-link\""), "no upload link for anonymous viewers");
    assert_eq!(location(&get(&app, "/carl/m/tree/main/src?rev=v1", None).await), "/carl/m/tree/v1/src");
    assert_eq!(get(&app, "/carl/m/tree/main/nope", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn blobs_are_highlighted_and_raw_files_never_render_inline() {
    let app = TestApp::new().await;
    let (_, token) = person(&app, "dora").await;
    app.create_repo(&token, "m", false).await;
    let page_html = b"<html><script>alert(document.cookie)</script></html>";
    commit(
        &app,
        &token,
        "dora/m",
        &[
            ("train.py", b"def train():\n    return \"<script>\"\n"),
            ("page.html", page_html),
            ("logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"),
            ("pic.png", b"\x89PNG\r\n\x1a\n0000"),
            ("notes.txt", b"hello"),
        ],
    )
    .await;
    let blob = get(&app, "/dora/m/blob/main/train.py", None).await;
    assert_eq!(blob.status, StatusCode::OK);
    let text = html(&blob);
    let code = text.split("<pre class=\"code\"").nth(1).expect("pre.code");
    assert!(code.contains("hl-") && code.contains("&lt;script&gt;") && !code.contains("<script>"), "{code}");
    assert!(text.contains("id=\"raw-link\" href=\"/dora/m/raw/main/train.py\""));
    let image = html(&get(&app, "/dora/m/blob/main/pic.png", None).await);
    assert!(image.contains("<img id=\"file-image\" src=\"/dora/m/raw/main/pic.png\""), "{image}");

    for path in ["page.html", "logo.svg"] {
        let raw = get(&app, &format!("/dora/m/raw/main/{path}"), None).await;
        assert_eq!(raw.status, StatusCode::OK);
        assert_eq!(raw.header("content-type").as_deref(), Some("application/octet-stream"), "{path}");
        assert!(raw.header("content-disposition").expect("disposition").starts_with("attachment"), "{path}");
        assert_eq!(raw.header("x-content-type-options").as_deref(), Some("nosniff"));
        assert!(raw.header("content-security-policy").expect("CSP").contains("sandbox"));
    }
    let raw = get(&app, "/dora/m/raw/main/page.html", None).await;
    assert_eq!(raw.body, page_html, "the bytes, unchanged");
    let text_raw = get(&app, "/dora/m/raw/main/notes.txt", None).await;
    assert_eq!(text_raw.header("content-type").as_deref(), Some("text/plain; charset=utf-8"));
    assert!(text_raw.header("content-disposition").is_none());
    let png = get(&app, "/dora/m/raw/main/pic.png", None).await;
    assert_eq!(png.header("content-type").as_deref(), Some("image/png"));
    let lfs = get(&app, "/dora/m/blob/main/pic.png", None).await;
    assert_eq!(lfs.status, StatusCode::OK);
}

#[tokio::test]
async fn lfs_files_show_metadata_and_stream_raw() {
    let settings = stoa_core::HubSettings { max_git_blob_bytes: 1_000, ..Default::default() };
    let app = TestApp::with_settings(settings).await;
    let (_, token) = person(&app, "luna").await;
    app.create_repo(&token, "m", false).await;
    let big: Vec<u8> = (0..5_000u32).map(|n| (n % 7) as u8).collect();
    commit(&app, &token, "luna/m", &[("weights.bin", &big)]).await;
    let page = html(&get(&app, "/luna/m/blob/main/weights.bin", None).await);
    assert!(page.contains("class=\"sha256\"") && page.contains("5.00 kB"), "{page}");
    let raw = get(&app, "/luna/m/raw/main/weights.bin", None).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.body, big);
    assert_eq!(raw.header("content-type").as_deref(), Some("application/octet-stream"));
}

#[tokio::test]
async fn private_repos_are_missing_for_others() {
    let app = TestApp::new().await;
    let (owner_browser, owner) = person(&app, "olga").await;
    let (other, _) = person(&app, "oscar").await;
    app.create_repo(&owner, "secret", true).await;
    commit(&app, &owner, "olga/secret", &[("a.txt", b"a")]).await;
    for path in [
        "/olga/secret",
        "/olga/secret/tree/main",
        "/olga/secret/blob/main/a.txt",
        "/olga/secret/raw/main/a.txt",
        "/olga/secret/commits/main",
        "/olga/secret/refs",
    ] {
        assert_eq!(get(&app, path, Some(&other)).await.status, StatusCode::NOT_FOUND, "{path} for another user");
        assert_eq!(get(&app, path, None).await.status, StatusCode::NOT_FOUND, "{path} for anonymous");
        assert_eq!(get(&app, path, Some(&owner_browser)).await.status, StatusCode::OK, "{path} for the owner");
    }
}

#[tokio::test]
async fn commits_and_a_commit_diff() {
    let app = TestApp::new().await;
    let (_, token) = person(&app, "hank").await;
    app.create_repo(&token, "m", false).await;
    commit(&app, &token, "hank/m", &[("a.txt", b"one\ntwo\n")]).await;
    commit(&app, &token, "hank/m", &[("a.txt", b"one\nthree <b>\n"), ("b.txt", b"new\n")]).await;
    let list = html(&get(&app, "/hank/m/commits/main", None).await);
    let items = list.split("<ul id=\"commits\"").nth(1).expect("ul#commits").split("</ul>").next().expect("end");
    assert_eq!(items.matches("<li class=\"commit\">").count(), 3, "two commits and the initial one: {items}");
    let first =
        items.split("class=\"commit-link\" href=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("link");
    assert!(first.starts_with("/hank/m/commit/"));
    let diff = get(&app, first, None).await;
    assert_eq!(diff.status, StatusCode::OK);
    let text = html(&diff);
    assert_eq!(text.matches("<div class=\"diff-file\">").count(), 2, "{text}");
    assert!(text.contains("<span class=\"diff-del\">-two</span>"), "{text}");
    assert!(text.contains("<span class=\"diff-add\">+three &#60;b&#62;</span>"), "escaped: {text}");
    assert!(text.contains("class=\"diff-hunk\""));
    assert!(text.contains("id=\"parent-link\""));
    // The root commit lists its files.
    let last =
        items.split("class=\"commit-link\" href=\"").nth(3).and_then(|rest| rest.split('"').next()).expect("root");
    let root = html(&get(&app, last, None).await);
    assert!(root.contains("root commit") && root.contains("<div class=\"diff-file\">"), "{root}");
    let refs = html(&get(&app, "/hank/m/refs", None).await);
    assert!(refs.contains("href=\"/hank/m/tree/main\"") && refs.contains("href=\"/hank/m/commits/main\""));
}

/// A safetensors file: header length, JSON header, then the tensor bytes.
fn safetensors(elements: usize) -> Vec<u8> {
    let header = format!(r#"{{"w":{{"dtype":"F32","shape":[{elements}],"data_offsets":[0,{}]}}}}"#, elements * 4);
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend(std::iter::repeat_n(0u8, elements * 4));
    bytes
}

#[tokio::test]
async fn the_side_panel_shows_scan_figures_and_the_base_model() {
    let app = TestApp::new().await;
    let (_, token) = person(&app, "sara").await;
    app.create_repo(&token, "base", false).await;
    app.create_repo(&token, "tuned", false).await;
    let card = "---\nbase_model: sara/base\ndatasets: [sara/corpus]\n---\n# Tuned\n";
    commit(&app, &token, "sara/tuned", &[("README.md", card.as_bytes()), ("model.safetensors", &safetensors(1500))])
        .await;
    let pending = html(&get(&app, "/sara/tuned", None).await);
    assert!(pending.contains("scan pending"), "{pending}");
    app.hub.run_due_jobs("test").await.expect("scan jobs run");
    let page = html(&get(&app, "/sara/tuned", None).await);
    let aside = page.split("<aside id=\"metadata\"").nth(1).expect("aside");
    assert!(aside.contains("1.5k params") && aside.contains("F32: 1.5k"), "{aside}");
    assert!(aside.contains("no issues found"), "{aside}");
    assert!(aside.contains("<a class=\"base-model\" href=\"/sara/base\">sara/base</a>"), "{aside}");
    assert!(aside.contains("href=\"/datasets/sara/corpus\""), "{aside}");
    let tree = html(&get(&app, "/sara/tuned/tree/main", None).await);
    assert!(tree.contains("class=\"badge scan-badge scan-safe\""), "{tree}");
    let blob = html(&get(&app, "/sara/tuned/blob/main/model.safetensors", None).await);
    assert!(blob.contains("scan-safe") && blob.contains("class=\"sha256\""), "{blob}");
}

#[tokio::test]
async fn quarantined_files_are_neither_shown_nor_served() {
    use stoa_core::scan::policy::{Action, ScanPolicy};
    let app = TestApp::new().await;
    let (_, token) = person(&app, "quinn").await;
    let policy = ScanPolicy { dangerous: Action::Quarantine, unscannable: Action::Warn };
    app.hub.set_scan_policy("quinn", policy).await.expect("policy set");
    app.create_repo(&token, "m", false).await;
    // Protocol 2 pickle calling `os.system`: a dangerous import.
    commit(
        &app,
        &token,
        "quinn/m",
        &[("evil.pkl", b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.")],
    )
    .await;
    app.hub.run_due_jobs("test").await.expect("scan jobs run");
    let tree = html(&get(&app, "/quinn/m/tree/main", None).await);
    assert!(tree.contains("scan-badge scan-unsafe"), "{tree}");
    let blob = html(&get(&app, "/quinn/m/blob/main/evil.pkl", None).await);
    assert!(blob.contains("class=\"error quarantined\"") && blob.contains("os.system"), "{blob}");
    let raw = get(&app, "/quinn/m/raw/main/evil.pkl", None).await;
    assert_eq!(raw.status, StatusCode::FORBIDDEN);
    assert_eq!(raw.header("x-error-code").as_deref(), Some("FileQuarantined"));
}
