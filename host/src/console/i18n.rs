//! The console's words: one catalogue (`host/console/messages.json`,
//! every key in zh-CN and English), read once. zh-CN is the default; the
//! `arcade_lang` cookie picks English.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The catalogue's text, embedded.
pub const CATALOGUE: &str = include_str!("../../console/messages.json");

/// The cookie that holds the chosen language.
pub const LANG_COOKIE: &str = "arcade_lang";

/// A console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文, the default.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Lang {
    /// From a cookie or query value; anything else is the default.
    pub fn parse(tag: &str) -> Lang {
        match tag {
            "en" => Lang::En,
            _ => Lang::ZhCn,
        }
    }

    /// The BCP 47 tag, for `<html lang>` and the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }

    /// A message; the key itself if the catalogue lacks it (a test makes
    /// sure it never does).
    pub fn t(self, key: &str) -> &'static str {
        MESSAGES
            .get(key)
            .map(|[zh, en]| match self {
                Lang::ZhCn => zh.as_str(),
                Lang::En => en.as_str(),
            })
            .unwrap_or_else(|| missing(key))
    }
}

static MESSAGES: LazyLock<HashMap<String, [String; 2]>> =
    LazyLock::new(|| parse(CATALOGUE).expect("the console's message catalogue is valid"));

fn missing(key: &str) -> &'static str {
    tracing::warn!(key, "console message missing from the catalogue");
    Box::leak(key.to_owned().into_boxed_str())
}

/// `{"key": {"zh-CN": "...", "en": "..."}}`: every key in both languages.
pub fn parse(text: &str) -> Result<HashMap<String, [String; 2]>, String> {
    let raw: HashMap<String, HashMap<String, String>> =
        serde_json::from_str(text).map_err(|e| format!("not a catalogue: {e}"))?;
    raw.into_iter()
        .map(|(key, mut by_lang)| {
            let mut take = |lang: &str| {
                by_lang
                    .remove(lang)
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| format!("{key}: no {lang} text"))
            };
            let pair = [take("zh-CN")?, take("en")?];
            match by_lang.keys().next() {
                Some(extra) => Err(format!("{key}: unknown language {extra}")),
                None => Ok((key, pair)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{CATALOGUE, Lang, parse};

    #[test]
    fn every_key_has_both_languages() {
        let messages = parse(CATALOGUE).unwrap();
        assert!(messages.len() > 50, "{}", messages.len());
        assert_eq!(Lang::En.t("sign_in"), "Sign in");
        assert_eq!(Lang::ZhCn.t("sign_in"), "登录");
        assert!(
            parse(r#"{"a": {"en": "A"}}"#)
                .unwrap_err()
                .contains("no zh-CN")
        );
    }

    /// Every `t("...")` in the templates and the console's code names a
    /// key of the catalogue.
    #[test]
    fn every_key_used_is_in_the_catalogue() {
        let messages = parse(CATALOGUE).unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["templates/console", "src/console", "src/console/pages"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                // This file names keys only in examples.
                if path.is_file() && !path.ends_with("i18n.rs") {
                    files.push(path);
                }
            }
        }
        let mut used = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // `.t("key")` and `{{ t("key") }}`, not `asset("...")`.
            let pieces = text.split("t(\"").collect::<Vec<_>>();
            for (before, piece) in pieces.iter().zip(&pieces[1..]) {
                if !before.ends_with(['.', ' ']) {
                    continue;
                }
                let key = piece.split('"').next().unwrap();
                if key.is_empty() || key.contains(' ') {
                    continue;
                }
                used += 1;
                assert!(
                    messages.contains_key(key),
                    "{}: {key} is not in the catalogue",
                    file.display()
                );
            }
        }
        assert!(used > 50, "{used}");
    }
}
