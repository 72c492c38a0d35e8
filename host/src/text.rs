//! Text and numbers every backend can keep.
//!
//! Postgres `text` and `jsonb` cannot hold U+0000, so no string Arcade
//! stores may contain it: not in ids, names, user ids, payloads, configs,
//! nor in anything a plugin returns. Requests carrying one are refused up
//! front with `422 invalid_text` naming the field; a plugin output
//! carrying one fails that call as `plugin_bad_output`.
//!
//! Numbers in an activity config must fit a signed 64-bit integer: stock,
//! limits and amounts end up in `BIGINT` columns and `s64` fields.

use serde_json::Value;

use crate::error::Error;
use crate::sandbox::ConfigProblem;

/// The code of a request refused for U+0000 in it.
pub const INVALID_TEXT: &str = "invalid_text";

/// Whether `s` can be stored.
pub fn storable(s: &str) -> bool {
    !s.contains('\0')
}

/// `422 invalid_text` unless `s` can be stored; `field` names it.
pub fn check(field: &str, s: &str) -> Result<(), Error> {
    if storable(s) {
        return Ok(());
    }
    Err(nul_error(field))
}

/// `422 invalid_text` if any string or object key in `value` (found under
/// `field`) contains U+0000; the message names the first such one.
pub fn check_json(field: &str, value: &Value) -> Result<(), Error> {
    match find_nul(value, field) {
        None => Ok(()),
        Some(path) => Err(nul_error(&path)),
    }
}

/// The path of the first string or key in `value` containing U+0000, with
/// `at` as the path of `value` itself.
pub fn find_nul(value: &Value, at: &str) -> Option<String> {
    match value {
        Value::String(s) if !storable(s) => Some(at.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, &format!("{at}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            let path = join(at, &k.escape_debug().to_string());
            if storable(k) {
                find_nul(v, &path)
            } else {
                Some(path)
            }
        }),
        _ => None,
    }
}

/// Every number in `config` that does not fit a signed 64-bit integer, as
/// config problems (field paths as plugins report them).
pub fn out_of_range(config: &Value) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    collect_out_of_range(config, "", &mut problems);
    problems
}

fn collect_out_of_range(value: &Value, at: &str, out: &mut Vec<ConfigProblem>) {
    match value {
        Value::Number(n) => {
            // 2^63 as a float: the first magnitude an i64 cannot hold.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            let fits = n.is_i64()
                || n.as_f64()
                    .is_some_and(|f| !n.is_u64() && (-LIMIT..LIMIT).contains(&f));
            if !fits {
                out.push(ConfigProblem {
                    field: at.to_owned(),
                    message: format!(
                        "{n} is out of range: numbers must lie between -2^63 and 2^63-1"
                    ),
                });
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_out_of_range(v, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(fields) => {
            for (k, v) in fields {
                collect_out_of_range(v, &join(at, k), out);
            }
        }
        _ => {}
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

fn nul_error(field: &str) -> Error {
    let field = if field.is_empty() { "the body" } else { field };
    Error::invalid(
        INVALID_TEXT,
        format!("{field} contains the character U+0000, which cannot be stored"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_first_nul_with_its_path() {
        let v = json!({"a": [1, {"b": "ok"}, {"c": "x\u{0}y"}]});
        assert_eq!(find_nul(&v, "config").as_deref(), Some("config.a[2].c"));
        let key = json!({"k\u{0}": 1});
        assert_eq!(find_nul(&key, "").as_deref(), Some("k\\0"));
        assert_eq!(find_nul(&json!({"a": "b"}), ""), None);
    }

    #[test]
    fn numbers_must_fit_i64() {
        let v: Value = serde_json::from_str(
            r#"{"ok": [-9223372036854775808, 9223372036854775807, 1.5, -1],
                "big": 9223372036854775808, "huge": 1e30, "neg": -1e30}"#,
        )
        .unwrap();
        let fields: Vec<_> = out_of_range(&v).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["big", "huge", "neg"]);
    }
}
