//! The console's static files, embedded in the binary: htmx and Chart.js
//! (vendored, `host/console/assets/`, their versions and sources in
//! `SOURCES.md`, their checksums in `SHA256SUMS`, checked by a test), and
//! the console's own stylesheet and script. Pages link them with their
//! checksum in the query, so a response may be cached for a year: a new
//! build links a new URL.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// `(name, content type, bytes)` of each file.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../console/assets/htmx.min.js"),
    ),
    (
        "chart.umd.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../console/assets/chart.umd.min.js"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("../../console/assets/console.css"),
    ),
    (
        "schema-form.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../console/assets/schema-form.js"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../console/assets/console.js"),
    ),
];

/// Each file's sha256, hex, in `FILES` order.
static SUMS: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(_, _, b)| hex::encode(Sha256::digest(b)))
        .collect()
});

/// The URL of `name`, with its checksum as the version.
pub fn url(name: &str) -> String {
    let i = FILES
        .iter()
        .position(|(n, _, _)| *n == name)
        .unwrap_or_else(|| panic!("no console asset {name}"));
    format!("/console/assets/{name}?v={}", &SUMS[i][..12])
}

/// `GET /console/assets/{name}`.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(i) = FILES.iter().position(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let (_, kind, bytes) = FILES[i];
    let etag = format!("\"{}\"", &SUMS[i][..32]);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, kind)], bytes).into_response()
    };
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a header"),
    );
    h.insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::{FILES, SUMS};

    /// The vendored files are the ones `SHA256SUMS` (and `SOURCES.md`)
    /// name: a changed byte fails here, not in a browser.
    #[test]
    fn vendored_files_match_their_checksums() {
        let sums = include_str!("../../console/assets/SHA256SUMS");
        let mut checked = 0;
        for line in sums.lines().filter(|l| !l.trim().is_empty()) {
            let (sum, name) = line.split_once("  ").expect("`<sha256>  <name>` lines");
            let i = FILES
                .iter()
                .position(|(n, _, _)| *n == name.trim())
                .unwrap_or_else(|| panic!("{name} is listed but not embedded"));
            assert_eq!(SUMS[i], sum, "{name} differs from SHA256SUMS");
            checked += 1;
        }
        assert_eq!(checked, 2, "htmx and Chart.js are both listed");
        let sources = include_str!("../../console/assets/SOURCES.md");
        for sum in sums.lines().filter_map(|l| l.split_whitespace().next()) {
            assert!(sources.contains(sum), "SOURCES.md does not record {sum}");
        }
    }
}
