//! Every page: the dispatch from a [`Route`] to its handler, and what handlers share.

mod account;
mod home;
pub(crate) mod listing;
mod new_repo;
mod profile;
mod repo;

pub(crate) use repo::{CommitDiff, ScanInfo};
mod search;
mod tokens;

use askama::Template;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::response::Response;

use crate::Web;
use crate::form::Form;
use crate::respond::{self, WebError};
use crate::routes::Route;
use crate::session::{self, Viewer};

pub(crate) type PageResult = Result<Response, WebError>;

/// What every handler reads: the hub, the viewer and the request's head.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) web: &'a Web,
    pub(crate) viewer: &'a Viewer,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) method: &'a Method,
    /// The raw query string (`a=1&b=2`), if any.
    pub(crate) query: Option<&'a str>,
}

impl Ctx<'_> {
    pub(crate) fn hub(&self) -> &stoa_core::Hub {
        self.web.hub()
    }

    pub(crate) fn is_post(&self) -> bool {
        self.method == Method::POST
    }

    /// The query string's parameters.
    pub(crate) fn params(&self) -> Form {
        Form::parse(self.query.unwrap_or("").as_bytes())
    }

    /// Reads a posted form and checks that it came from this site (CSRF token and origin).
    pub(crate) async fn form(&self, body: Body) -> Result<Form, WebError> {
        let form = Form::read(body).await?;
        session::check_form_origin(self.web, self.headers, self.viewer, form.get("csrf"))?;
        Ok(form)
    }

    /// The header, footer and CSRF token every page template embeds.
    pub(crate) fn chrome(&self, title: impl Into<String>) -> Chrome {
        Chrome {
            title: title.into(),
            user: self.viewer.name().map(str::to_owned),
            csrf: self.viewer.csrf.clone(),
            search: String::new(),
        }
    }
}

/// The frame of every page (see `templates/base.html`).
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub(crate) title: String,
    /// The signed-in user's name.
    pub(crate) user: Option<String>,
    pub(crate) csrf: String,
    /// What the header's search box shows.
    pub(crate) search: String,
}

/// Renders a template as a 200 page.
pub(crate) fn render(template: &impl Template) -> PageResult {
    render_with(StatusCode::OK, template)
}

pub(crate) fn render_with(status: StatusCode, template: &impl Template) -> PageResult {
    let body = template.render().map_err(|error| {
        tracing::error!(error = %error, "template failed");
        WebError::new(StatusCode::INTERNAL_SERVER_ERROR, stoa_core::ErrorCode::Internal, "The page could not be drawn")
    })?;
    Ok(respond::html(status, body))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    message: &'a str,
}

fn error_page(ctx: &Ctx<'_>, error: &WebError) -> Response {
    let page = ErrorPage { chrome: ctx.chrome("Error"), status: error.status.as_u16(), message: &error.message };
    let response = render_with(error.status, &page)
        .unwrap_or_else(|_| respond::html(error.status, format!("<!doctype html><p>{}</p>", error.status)));
    respond::with_error_headers(response, error)
}

pub(crate) async fn answer(web: &Web, route: Route, request: Request<Body>) -> Response {
    if let Route::Static(name) = &route
        && let Some(asset) = crate::assets::asset(name)
    {
        return asset;
    }
    let (parts, body) = request.into_parts();
    let viewer = match session::viewer(web, &parts.headers).await {
        Ok(viewer) => viewer,
        Err(error) => {
            let anonymous =
                Viewer { principal: stoa_core::access::Principal::Anonymous, csrf: String::new(), set_cookie: None };
            let ctx = Ctx { web, viewer: &anonymous, headers: &parts.headers, method: &parts.method, query: None };
            return error_page(&ctx, &error);
        }
    };
    let ctx = Ctx { web, viewer: &viewer, headers: &parts.headers, method: &parts.method, query: parts.uri.query() };
    let result = match route {
        Route::Home => home::home(&ctx).await,
        Route::Search(repo_type) => search::search(&ctx, repo_type).await,
        Route::Join => account::join(&ctx, body).await,
        Route::Login => account::login(&ctx, body).await,
        Route::Logout => account::logout(&ctx, body).await,
        Route::NewRepo => new_repo::new_repo(&ctx, body).await,
        Route::Tokens => tokens::tokens(&ctx, body).await,
        Route::RevokeToken(id) => tokens::revoke_token(&ctx, &id, body).await,
        Route::Profile(name) => profile::profile(&ctx, &name).await,
        Route::Repo(route) => repo::answer(&ctx, route, body).await,
        Route::Static(_) => Err(WebError::not_found()),
    };
    let mut response = result.unwrap_or_else(|error| error_page(&ctx, &error));
    if let Some(cookie) = viewer.set_cookie.clone() {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
