//! The UI's static files, embedded at build time from `ui/dist`.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[cfg(ui_built)]
#[derive(rust_embed::Embed)]
#[folder = "../../../ui/dist"]
struct Ui;

#[cfg(ui_built)]
fn file(path: &str) -> Option<(String, std::borrow::Cow<'static, [u8]>)> {
    let f = Ui::get(path)?;
    Some((f.metadata.mimetype().to_string(), f.data))
}

#[cfg(not(ui_built))]
fn file(path: &str) -> Option<(String, std::borrow::Cow<'static, [u8]>)> {
    (path == "index.html").then(|| {
        let page = "<!doctype html><title>Readyroom</title><p>The UI was not built into this binary. \
                    Run <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>, then rebuild.</p>";
        ("text/html; charset=utf-8".to_string(), std::borrow::Cow::Borrowed(page.as_bytes()))
    })
}

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    // Unknown paths get the app shell so client-side routes reload fine.
    let found = file(path).or_else(|| {
        if path.contains('.') {
            None
        } else {
            file("index.html")
        }
    });
    match found {
        Some((mime, body)) => {
            let cache = if path.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, cache.to_string()),
                ],
                body,
            )
                .into_response()
        }
        None => crate::problem::problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            "No such file.",
            "notFound",
        ),
    }
}
