//! The operator console: the static files under `console/`, compiled into the binary
//! (`rust-embed`, also in debug builds), served at `/console/`; `GET /` redirects
//! there. The console is a browser app on the admin API and reads nothing else: it
//! holds no state on the server and needs no build step (plain ES modules).
//!
//! Every file is sent with the console's security headers: a Content-Security-Policy
//! that allows only this origin's scripts, styles and API (no inline script, no
//! framing), `nosniff`, no referrer. Files are revalidated on every load (`no-cache`
//! with a strong ETag from the file's hash), so an upgraded server never runs with a
//! cached script of the previous version.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::error::{ApiError, ErrorCode};

/// The files of `console/` (its browser tests live in `tests/console/`).
#[derive(RustEmbed)]
#[folder = "console/"]
struct ConsoleFiles;

/// The policy every console response carries. `connect-src 'self'` covers the admin
/// API and its event streams; `img-src data:` the charts' exported images.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(to_console))
        .route("/console", web::get().to(to_console))
        .route("/console/", web::get().to(console_page))
        .route("/console/{file:.*}", web::get().to(console_file));
}

/// `GET /` and `GET /console`: 308 to `/console/` (relative module paths resolve there).
#[utoipa::path(
    get,
    path = "/",
    operation_id = "get_root",
    tag = "console",
    responses((status = 308, description = "Redirect to the operator console, `/console/`")),
)]
pub async fn to_console() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/console/")).finish()
}

/// The console's page; its scripts, styles and the charting library are served under
/// `/console/` too (relative links), with the same headers.
#[utoipa::path(
    get,
    path = "/console/",
    operation_id = "get_console_page",
    tag = "console",
    responses((status = 200, description = "The operator console (HTML; the admin token is pasted into it, no auth to load it)",
               content_type = "text/html", body = String)),
)]
pub async fn console_page(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    serve(&req, "index.html")
}

/// One file of the console.
async fn console_file(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    serve(&req, file.as_str())
}

fn serve(req: &HttpRequest, name: &str) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("no console file {name}"));
    let found = ConsoleFiles::get(name).ok_or_else(not_found)?;
    let etag = format!("\"{}\"", hex::encode(found.metadata.sha256_hash()));
    let unchanged = if_none_match(req, &etag);
    let mut resp = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    resp.insert_header((header::CONTENT_TYPE, found.metadata.mimetype()))
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if unchanged {
        return Ok(resp.finish());
    }
    Ok(resp.body(found.data.into_owned()))
}

/// Whether the request's `If-None-Match` names `etag` (or is `*`).
fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}
