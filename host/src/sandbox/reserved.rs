//! Error codes a plugin may not use. A platform reading
//! `{"error":{"code"}}` must be able to tell the host's verdicts
//! (authentication, idempotency, activity state, plugin failures,
//! saturation, storage) from a mechanic's own refusals, so a guest refusal
//! with one of these codes is not passed on: it becomes
//! `plugin_bad_output`.
//!
//! Three host codes are deliberately shared with mechanics because they
//! mean the same thing wherever they come from: `invalid_payload` (the
//! action's payload is wrong), `unknown_action` (the action does not
//! exist) and `invalid_config` (the activity's config is not acceptable;
//! the SDK answers it when a stored config no longer parses). First-party
//! mechanics and the SDK use them.

/// Prefixes of host codes: every code starting with one is reserved.
pub const RESERVED_PREFIXES: &[&str] = &[
    "activity_",
    "idempotency_",
    "plugin_",
    "storage_",
    "internal_",
    "tenant_",
    "tier_",
    "revision_",
    "group_",
    "outcome_",
    "reward_",
    "route_",
    "key_",
    "body_",
    "export_",
    "fulfilment_",
    "simulation_",
    "webhook_",
];

/// Host codes reserved whole.
pub const RESERVED_CODES: &[&str] = &[
    "unauthorized",
    "forbidden",
    "not_found",
    "overloaded",
    "contention",
    "payload_too_large",
    "unsupported_media_type",
    "unknown_plugin",
    "invalid_json",
    "invalid_form",
    "rate_limited",
    "invalid_rate_limit",
    "invalid_body",
    "invalid_query",
    "invalid_limit",
    "invalid_limits",
    "invalid_schedule",
    "invalid_timezone",
    "invalid_name",
    "invalid_user_id",
    "view_query_unsupported",
    "invalid_idempotency_key",
    "invalid_label",
    "invalid_text",
    "invalid_path",
    "invalid_role",
    "invalid_tier",
    "invalid_tiers",
    "invalid_tags",
    "invalid_members",
    "too_many_events",
    "tier_in_use",
    "invalid_reason",
    "invalid_range",
    "invalid_kind",
    "invalid_status",
    "invalid_cursor",
    "invalid_fulfilment",
    "config_unchanged",
    "stock_below_claimed",
    "stock_short",
    "invalid_stock_share",
    "invalid_selection",
    "invalid_costs",
    "invalid_conversion",
    "over_budget",
    "invalid_budget",
    "invalid_audience",
    "invalid_simulation",
    "method_not_allowed",
    "uri_too_long",
    "headers_too_large",
    "invalid_url",
    "invalid_event_types",
    "invalid_description",
    "invalid_overlap",
    "invalid_state",
    "invalid_replay",
];

/// Host codes a mechanic may also use, with the same meaning.
pub const SHARED_CODES: &[&str] = &["invalid_payload", "unknown_action", "invalid_config"];

/// Whether a guest may not use `code`.
pub fn is_reserved(code: &str) -> bool {
    RESERVED_CODES.contains(&code) || RESERVED_PREFIXES.iter().any(|p| code.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The first string literal after each occurrence of `call` in `src`.
    fn literals_after<'a>(src: &'a str, call: &str) -> Vec<&'a str> {
        let mut out = Vec::new();
        let mut rest = src;
        while let Some(at) = rest.find(call) {
            rest = &rest[at + call.len()..];
            let trimmed = rest.trim_start();
            if let Some(lit) = trimmed.strip_prefix('"')
                && let Some(end) = lit.find('"')
            {
                out.push(&lit[..end]);
            }
        }
        out
    }

    fn is_code_shaped(s: &str) -> bool {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("read src dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                out.push((path.display().to_string(), text));
            }
        }
    }

    /// Every code the host can put in an error response, found in its
    /// source: the arguments of the error constructors, the `*_not_found`
    /// nouns, and the match arms of the `code()` functions.
    fn host_codes() -> Vec<(String, String)> {
        let mut files = Vec::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut codes = Vec::new();
        for (path, text) in &files {
            for call in ["invalid(", "conflict("] {
                for lit in literals_after(text, call) {
                    codes.push((lit.to_owned(), path.clone()));
                }
            }
            for call in ["not_found(", "NotFound("] {
                for lit in literals_after(text, call) {
                    codes.push((format!("{lit}_not_found"), path.clone()));
                }
            }
            if let Some(at) = text.find("fn code(&self)") {
                let body = &text[at..];
                let body = &body[..body.find("\n    }\n").unwrap_or(body.len())];
                for lit in literals_after(body, "=> ") {
                    codes.push((lit.to_owned(), path.clone()));
                }
            }
        }
        codes.retain(|(c, _)| is_code_shaped(c));
        codes
    }

    #[test]
    fn every_host_code_is_reserved_or_shared() {
        let codes = host_codes();
        // The scan must see the codes it is meant to guard.
        for known in [
            "unauthorized",
            "activity_paused",
            "idempotency_in_flight",
            "plugin_trap",
            "overloaded",
            "storage_error",
            "tenant_not_found",
            "invalid_json",
        ] {
            assert!(
                codes.iter().any(|(c, _)| c == known),
                "the scan missed {known}"
            );
        }
        for (code, path) in &codes {
            assert!(
                is_reserved(code) || SHARED_CODES.contains(&code.as_str()),
                "{path} emits {code:?}, which a plugin could impersonate: reserve it"
            );
        }
    }

    #[test]
    fn mechanic_codes_stay_free() {
        for code in [
            "sold_out",
            "daily_limit_reached",
            "team_not_found",
            "invalid_payload",
            "unknown_action",
            "already_checked_in",
        ] {
            assert!(!is_reserved(code), "{code}");
        }
        for code in [
            "plugin_trap",
            "overloaded",
            "activity_paused",
            "idempotency_x",
        ] {
            assert!(is_reserved(code), "{code}");
        }
    }

    #[test]
    fn first_party_plugins_use_no_reserved_code() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        sources(&root.join("plugins"), &mut files);
        sources(&root.join("sdk/src"), &mut files);
        assert!(files.len() > 5, "plugin sources found");
        let mut seen = Vec::new();
        for (path, text) in &files {
            for call in ["invalid_input(", "rejected(", "not_found(", "code:"] {
                for lit in literals_after(text, call) {
                    if !is_code_shaped(lit) {
                        continue;
                    }
                    assert!(!is_reserved(lit), "{path} uses the reserved code {lit:?}");
                    seen.push(lit);
                }
            }
        }
        for expected in ["sold_out", "already_checked_in", "invalid_payload"] {
            assert!(seen.contains(&expected), "the scan missed {expected}");
        }
    }
}
