//! The web pages driven as a browser would: a session cookie, forms carrying the session's CSRF
//! token and sent from this hub's Origin, and small readers of the pages answered.

use axum::body::Body;
use axum::http::{Request, StatusCode};

use super::{BASE, TestApp, TestResponse};

/// The password every test account gets.
pub(crate) const PASSWORD: &str = "a long enough password";

/// A signed-in browser: its session cookie (`stoa_session=…`) and the session's CSRF token.
pub(crate) struct Browser {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

impl Browser {
    /// Signs `name` up through `POST /api/signup`, then signs in.
    pub(crate) async fn sign_up(app: &TestApp, name: &str) -> Self {
        let joined = app.call("POST", "/api/signup", None, credentials(name)).await;
        assert_eq!(joined.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&joined.body));
        Self::sign_in(app, name).await
    }

    /// A new session for an existing account, through `POST /api/login`.
    pub(crate) async fn sign_in(app: &TestApp, name: &str) -> Self {
        let login = app.call("POST", "/api/login", None, credentials(name)).await;
        assert_eq!(login.status, StatusCode::OK, "{}", String::from_utf8_lossy(&login.body));
        let set_cookie = login.header("set-cookie").expect("session cookie");
        let cookie = set_cookie.split(';').next().expect("cookie pair").to_owned();
        let csrf = login.json()["csrfToken"].as_str().expect("csrf token").to_owned();
        Self { cookie, csrf }
    }

    /// Posts an urlencoded form as the session's page would: its CSRF token first, then `fields`.
    pub(crate) async fn post_form(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let mut with_token = vec![("csrf", self.csrf.as_str())];
        with_token.extend_from_slice(fields);
        self.post_form_as_is(app, path, &with_token).await
    }

    /// Posts `fields` as they are (no CSRF token added), with the session cookie and this Origin.
    pub(crate) async fn post_form_as_is(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        send_form(app, path, Some(&self.cookie), Some(BASE), fields).await
    }

    /// Posts `body` of `content_type` with the session cookie and this Origin.
    pub(crate) async fn post(&self, app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> TestResponse {
        post(app, path, content_type, Some(&self.cookie), Some(BASE), body).await
    }
}

fn credentials(name: &str) -> Vec<u8> {
    serde_json::json!({"username": name, "password": PASSWORD}).to_string().into_bytes()
}

/// GETs `path`, with the browser's session cookie if there is one.
pub(crate) async fn get(app: &TestApp, path: &str, browser: Option<&Browser>) -> TestResponse {
    get_with_cookie(app, path, browser.map(|browser| browser.cookie.as_str())).await
}

/// GETs `path`, sending `cookie` (`name=value`) if given.
pub(crate) async fn get_with_cookie(app: &TestApp, path: &str, cookie: Option<&str>) -> TestResponse {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    app.send(request.body(Body::empty()).expect("request")).await
}

/// POSTs `fields` urlencoded as they are, with `cookie` and `origin` headers only when given.
pub(crate) async fn send_form(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    fields: &[(&str, &str)],
) -> TestResponse {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    post(app, path, "application/x-www-form-urlencoded", cookie, origin, body.into_bytes()).await
}

async fn post(
    app: &TestApp,
    path: &str,
    content_type: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    body: Vec<u8>,
) -> TestResponse {
    let mut request = Request::post(path).header("content-type", content_type);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    app.send(request.body(Body::from(body)).expect("request")).await
}

/// The page's text (pages are UTF-8).
pub(crate) fn html(response: &TestResponse) -> String {
    String::from_utf8(response.body.clone()).expect("utf-8 page")
}

/// The target of a `303 See Other`, asserting that is what `response` is.
pub(crate) fn location(response: &TestResponse) -> String {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&response.body));
    response.header("location").expect("location")
}
