//! The web's frame: security headers, CSRF and origin checks on forms, sign-up, login and
//! logout through the pages, the home page's lists, error pages.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use stoa_core::ports::TokenRole;
use support::{BASE, TestApp, TestResponse};

/// The anonymous CSRF token a GET of `path` hands out (cookie and form field carry the same).
async fn anonymous_csrf(app: &TestApp, path: &str) -> String {
    let page = app.call("GET", path, None, Vec::new()).await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = page.header("set-cookie").expect("a CSRF cookie for anonymous forms");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let value = cookie.trim_start_matches("stoa_csrf=").split(';').next().expect("value").to_owned();
    let html = String::from_utf8_lossy(&page.body).into_owned();
    assert!(html.contains(&format!("name=\"csrf\" value=\"{value}\"")), "the form carries the cookie's token");
    value
}

async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: &str,
    origin: Option<&str>,
    fields: &[(&str, &str)],
) -> TestResponse {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    app.send(request.body(Body::from(body)).expect("request")).await
}

fn session_of(response: &TestResponse) -> String {
    let cookie = response.header("set-cookie").expect("a session cookie");
    assert!(cookie.starts_with("stoa_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    cookie.split(';').next().expect("pair").to_owned()
}

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy() {
    let app = TestApp::new().await;
    let home = app.call("GET", "/", None, Vec::new()).await;
    assert_eq!(home.status, StatusCode::OK);
    let csp = home.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(home.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(home.header("x-frame-options").as_deref(), Some("DENY"));
    let css = app.call("GET", "/static/stoa.css", None, Vec::new()).await;
    assert_eq!(css.header("content-type").as_deref(), Some("text/css; charset=utf-8"));
    let missing = app.call("GET", "/no-such-user/no-such-repo", None, Vec::new()).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("x-error-code").as_deref(), Some("RepoNotFound"));
    assert!(String::from_utf8_lossy(&missing.body).contains("<main id=\"content\">"), "an error page, not JSON");
}

#[tokio::test]
async fn sign_up_needs_the_csrf_token_and_this_origin() {
    let app = TestApp::new().await;
    let csrf = anonymous_csrf(&app, "/join").await;
    let cookie = format!("stoa_csrf={csrf}");
    let fields = [("csrf", csrf.as_str()), ("username", "carol"), ("password", "correct horse battery")];
    let no_token = post_form(&app, "/join", &cookie, Some(BASE), &fields[1..]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert_eq!(no_token.header("x-error-code").as_deref(), Some("Forbidden"));
    let other_site = post_form(&app, "/join", &cookie, Some("https://evil.example"), &fields).await;
    assert_eq!(other_site.status, StatusCode::FORBIDDEN);
    let no_cookie = post_form(&app, "/join", "", Some(BASE), &fields).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.call("POST", "/api/login", None, br#"{"username":"carol","password":"correct horse battery"}"#.to_vec())
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "no account was made"
    );

    let joined = post_form(&app, "/join", &cookie, Some(BASE), &fields).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    let session = session_of(&joined);
    let request = Request::builder().uri("/").header("cookie", &session).body(Body::empty()).expect("request");
    let home = app.send(request).await;
    let html = String::from_utf8_lossy(&home.body);
    assert!(html.contains("id=\"user-menu\"") && html.contains(">carol</a>"), "signed in: {html}");
    assert!(home.header("set-cookie").is_none(), "a session needs no anonymous token");
}

#[tokio::test]
async fn login_and_logout() {
    let app = TestApp::new().await;
    let signup = br#"{"username":"dave","password":"a long enough password"}"#.to_vec();
    assert_eq!(app.call("POST", "/api/signup", None, signup).await.status, StatusCode::CREATED);
    let csrf = anonymous_csrf(&app, "/login").await;
    let cookie = format!("stoa_csrf={csrf}");
    let wrong = [("csrf", csrf.as_str()), ("username", "dave"), ("password", "wrong password!")];
    let refused = post_form(&app, "/login", &cookie, Some(BASE), &wrong).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&refused.body).contains("Wrong username or password"));
    let right = [
        ("csrf", csrf.as_str()),
        ("username", "dave"),
        ("password", "a long enough password"),
        ("next", "//evil.example/"),
    ];
    let signed_in = post_form(&app, "/login", &cookie, Some(BASE), &right).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.header("location").as_deref(), Some("/"), "no open redirect");
    let session = session_of(&signed_in);

    // The session's own CSRF token (not the anonymous one) is what its forms carry.
    let request = Request::builder().uri("/").header("cookie", &session).body(Body::empty()).expect("request");
    let home = String::from_utf8_lossy(&app.send(request).await.body).into_owned();
    let token = home.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("token");
    assert_ne!(token, csrf);
    let stale = post_form(&app, "/logout", &session, Some(BASE), &[("csrf", csrf.as_str())]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    let out = post_form(&app, "/logout", &session, Some(BASE), &[("csrf", token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let request = Request::builder().uri("/").header("cookie", &session).body(Body::empty()).expect("request");
    let after = String::from_utf8_lossy(&app.send(request).await.body).into_owned();
    assert!(after.contains("id=\"login-link\""), "the session ended");
}

#[tokio::test]
async fn home_lists_what_the_viewer_may_see() {
    let app = TestApp::new().await;
    let token = app.user("erin", TokenRole::Write).await;
    assert_eq!(app.create_repo(&token, "open-model", false).await.status, StatusCode::OK);
    assert_eq!(app.create_repo(&token, "secret-model", true).await.status, StatusCode::OK);
    let home = app.call("GET", "/", None, Vec::new()).await;
    let html = String::from_utf8_lossy(&home.body);
    assert!(html.contains("href=\"/erin/open-model\""), "{html}");
    assert!(!html.contains("secret-model"), "a private repo is not listed to others");
}
