//! What entry texts may hold: bounded lengths (so the view always fits the
//! host's output cap) and no control characters.

use arcade_sdk::Error;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 40;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 140;
/// Longest image URL, in bytes.
pub const MAX_IMAGE_URL_BYTES: usize = 256;
/// Longest rejection reason, in characters.
pub const MAX_REASON_CHARS: usize = 140;

/// A payload problem, `field: what is wrong`.
pub fn invalid(message: &str) -> Error {
    Error::invalid_input("invalid_payload", message)
}

/// Optional text, trimmed; empty is none. At most `max` characters and no
/// control characters (line breaks allowed if `multiline`).
pub fn text(
    field: &str,
    value: Option<String>,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, Error> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(invalid(&format!(
            "{field}: must be at most {max} characters"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && c == '\n'))
    {
        return Err(invalid(&format!(
            "{field}: must not hold control characters"
        )));
    }
    Ok(Some(value))
}

/// An `http(s)` URL of at most [`MAX_IMAGE_URL_BYTES`] printable ASCII bytes.
pub fn image_url(url: String) -> Result<String, Error> {
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.len() > MAX_IMAGE_URL_BYTES || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(&format!(
            "image_url: must be an http(s) URL of at most {MAX_IMAGE_URL_BYTES} bytes without spaces"
        )));
    }
    Ok(url)
}
