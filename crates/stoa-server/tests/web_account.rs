//! The web's frame: security headers, CSRF and origin checks on forms, sign-up, login and
//! logout through the pages, the home page's lists, error pages.

mod support;

use axum::http::StatusCode;
use stoa_core::ports::TokenRole;
use support::web::{get, get_with_cookie, html, location, send_form};
use support::{BASE, TestApp, TestResponse};

/// The anonymous CSRF token a GET of `path` hands out (cookie and form field carry the same).
async fn anonymous_csrf(app: &TestApp, path: &str) -> String {
    let page = get(app, path, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = page.header("set-cookie").expect("a CSRF cookie for anonymous forms");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let value = cookie.trim_start_matches("stoa_csrf=").split(';').next().expect("value").to_owned();
    assert!(html(&page).contains(&format!("name=\"csrf\" value=\"{value}\"")), "the form carries the cookie's token");
    value
}

fn session_of(response: &TestResponse) -> String {
    let cookie = response.header("set-cookie").expect("a session cookie");
    assert!(cookie.starts_with("stoa_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    cookie.split(';').next().expect("pair").to_owned()
}

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy() {
    let app = TestApp::new().await;
    let home = get(&app, "/", None).await;
    assert_eq!(home.status, StatusCode::OK);
    let csp = home.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(home.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(home.header("x-frame-options").as_deref(), Some("DENY"));
    let css = get(&app, "/static/stoa.css", None).await;
    assert_eq!(css.header("content-type").as_deref(), Some("text/css; charset=utf-8"));
    let missing = get(&app, "/no-such-user/no-such-repo", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("x-error-code").as_deref(), Some("RepoNotFound"));
    assert!(html(&missing).contains("<main id=\"content\">"), "an error page, not JSON");
}

#[tokio::test]
async fn sign_up_needs_the_csrf_token_and_this_origin() {
    let app = TestApp::new().await;
    let csrf = anonymous_csrf(&app, "/join").await;
    let cookie = format!("stoa_csrf={csrf}");
    let fields = [("csrf", csrf.as_str()), ("username", "carol"), ("password", "correct horse battery")];
    let no_token = send_form(&app, "/join", Some(&cookie), Some(BASE), &fields[1..]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert_eq!(no_token.header("x-error-code").as_deref(), Some("Forbidden"));
    let other_site = send_form(&app, "/join", Some(&cookie), Some("https://evil.example"), &fields).await;
    assert_eq!(other_site.status, StatusCode::FORBIDDEN);
    let no_cookie = send_form(&app, "/join", None, Some(BASE), &fields).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.call("POST", "/api/login", None, br#"{"username":"carol","password":"correct horse battery"}"#.to_vec())
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "no account was made"
    );

    let joined = send_form(&app, "/join", Some(&cookie), Some(BASE), &fields).await;
    location(&joined);
    let session = session_of(&joined);
    let home = get_with_cookie(&app, "/", Some(&session)).await;
    let page = html(&home);
    assert!(page.contains("id=\"user-menu\"") && page.contains(">carol</a>"), "signed in: {page}");
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
    let refused = send_form(&app, "/login", Some(&cookie), Some(BASE), &wrong).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(html(&refused).contains("Wrong username or password"));
    let right = [
        ("csrf", csrf.as_str()),
        ("username", "dave"),
        ("password", "a long enough password"),
        ("next", "//evil.example/"),
    ];
    let signed_in = send_form(&app, "/login", Some(&cookie), Some(BASE), &right).await;
    assert_eq!(location(&signed_in), "/", "no open redirect");
    let session = session_of(&signed_in);

    // The session's own CSRF token (not the anonymous one) is what its forms carry.
    let home = html(&get_with_cookie(&app, "/", Some(&session)).await);
    let token = home.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("token");
    assert_ne!(token, csrf);
    let stale = send_form(&app, "/logout", Some(&session), Some(BASE), &[("csrf", csrf.as_str())]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    location(&send_form(&app, "/logout", Some(&session), Some(BASE), &[("csrf", token)]).await);
    let after = html(&get_with_cookie(&app, "/", Some(&session)).await);
    assert!(after.contains("id=\"login-link\""), "the session ended");
}

#[tokio::test]
async fn home_lists_what_the_viewer_may_see() {
    let app = TestApp::new().await;
    let token = app.user("erin", TokenRole::Write).await;
    assert_eq!(app.create_repo(&token, "open-model", false).await.status, StatusCode::OK);
    assert_eq!(app.create_repo(&token, "secret-model", true).await.status, StatusCode::OK);
    let page = html(&get(&app, "/", None).await);
    assert!(page.contains("href=\"/erin/open-model\""), "{page}");
    assert!(!page.contains("secret-model"), "a private repo is not listed to others");
}
