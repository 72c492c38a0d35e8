//! `GET /docs`: Swagger UI over `/openapi.json`. The UI's script and
//! stylesheet are vendored (`host/swagger-ui/`, their version and source
//! in `SOURCES.md`, their checksums in `SHA256SUMS`, checked by a test)
//! and embedded, so the page works without any network but the server's.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::service::Arcade;

/// `(name, content type, bytes)` of each vendored file.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../../swagger-ui/swagger-ui.css"),
    ),
];

/// The page: the UI pointed at this server's document.
const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Arcade API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
});
</script>
</body>
</html>
"##;

/// The docs routes.
pub(super) fn routes() -> Router<Arc<Arcade>> {
    Router::new()
        .route("/docs", get(page))
        .route("/docs/{name}", get(asset))
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// A vendored file. They change only with the binary, so an hour's cache
/// is safe and a new build is picked up soon.
async fn asset(Path(name): Path<String>) -> Response {
    let Some((_, kind, bytes)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return crate::error::Error::http(404, "not_found", format!("no docs asset {name}"))
            .into_response();
    };
    let mut r = ([(header::CONTENT_TYPE, *kind)], *bytes).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r.headers_mut().insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::FILES;

    /// The embedded files are the ones `SHA256SUMS` (and `SOURCES.md`)
    /// name: a changed byte fails here, not in a browser.
    #[test]
    fn vendored_files_match_their_checksums() {
        let sums = include_str!("../../swagger-ui/SHA256SUMS");
        let sources = include_str!("../../swagger-ui/SOURCES.md");
        let mut checked = 0;
        for line in sums.lines().filter(|l| !l.trim().is_empty()) {
            let (sum, name) = line.split_once("  ").expect("`<sha256>  <name>` lines");
            let (_, _, bytes) = FILES
                .iter()
                .find(|(n, _, _)| *n == name.trim())
                .unwrap_or_else(|| panic!("{name} is listed but not embedded"));
            assert_eq!(
                hex::encode(Sha256::digest(bytes)),
                sum,
                "{name} differs from SHA256SUMS"
            );
            assert!(sources.contains(sum), "SOURCES.md does not record {sum}");
            checked += 1;
        }
        assert_eq!(checked, FILES.len(), "every embedded file is listed");
    }
}
