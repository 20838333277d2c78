//! The languages fcrscan ships lexicons for, and the mapping from BCP-47 tags to them.

use std::fmt;

/// A lexicon language: an index into [`LANGUAGES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lang(pub u8);

/// The lexicon languages, by directory name under `phrases/`. Chinese is split by script
/// because simplified and traditional speakers use different characters and words.
pub const LANGUAGES: &[&str] = &[
    "en", "es", "pt", "de", "fr", "id", "vi", "ko", "ja", "zh-Hans", "zh-Hant", "hi", "ar",
];

impl Lang {
    /// The directory name of this language (`en`, `zh-Hant`).
    pub fn code(self) -> &'static str {
        LANGUAGES[self.0 as usize]
    }

    /// The language whose directory is named exactly `code`.
    pub fn from_code(code: &str) -> Option<Lang> {
        LANGUAGES
            .iter()
            .position(|&l| l == code)
            .map(|i| Lang(i as u8))
    }

    /// Maps a BCP-47 tag to a lexicon language by primary subtag and script:
    /// `pt-BR` → `pt`; `zh`, `zh-CN`, `zh-SG`, `zh-Hans-CN` → `zh-Hans`; `zh-TW`, `zh-HK`,
    /// `zh-MO`, `zh-Hant` → `zh-Hant`; `in` (the old code for Indonesian) → `id`. Also accepts
    /// `_` as a separator and any case. Returns `None` for languages without a lexicon.
    pub fn from_bcp47(tag: &str) -> Option<Lang> {
        let mut parts = tag.trim().split(['-', '_']);
        let primary = parts.next()?.to_ascii_lowercase();
        let primary = match primary.as_str() {
            "in" => "id",
            "iw" => return None,
            "cmn" | "yue" | "zho" | "chi" => "zh",
            "eng" => "en",
            "spa" => "es",
            "por" => "pt",
            "deu" | "ger" => "de",
            "fra" | "fre" => "fr",
            "ind" => "id",
            "vie" => "vi",
            "kor" => "ko",
            "jpn" => "ja",
            "hin" => "hi",
            "ara" => "ar",
            other => other,
        };
        if primary == "zh" {
            let traditional =
                tag.split(['-', '_']).skip(1).any(|p| {
                    matches!(p.to_ascii_lowercase().as_str(), "hant" | "tw" | "hk" | "mo")
                }) || tag.trim().eq_ignore_ascii_case("yue");
            return Lang::from_code(if traditional { "zh-Hant" } else { "zh-Hans" });
        }
        Lang::from_code(primary)
    }

    /// Maps a language name as some engines write it (Whisper: `english`, `korean`) to a
    /// lexicon language.
    pub fn from_name(name: &str) -> Option<Lang> {
        let code = match name.trim().to_ascii_lowercase().as_str() {
            "english" => "en",
            "spanish" | "castilian" => "es",
            "portuguese" => "pt",
            "german" => "de",
            "french" => "fr",
            "indonesian" => "id",
            "vietnamese" => "vi",
            "korean" => "ko",
            "japanese" => "ja",
            "chinese" | "mandarin" => "zh-Hans",
            "cantonese" => "zh-Hant",
            "hindi" => "hi",
            "arabic" => "ar",
            _ => return Lang::from_bcp47(name),
        };
        Lang::from_code(code)
    }

    /// Whether this language separates words with spaces (word-boundary checks apply).
    pub fn is_spaced(self) -> bool {
        !matches!(self.code(), "ko" | "ja" | "zh-Hans" | "zh-Hant")
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcp47_tags_map_by_primary_subtag_and_script() {
        let cases = [
            ("en", Some("en")),
            ("en-US", Some("en")),
            ("pt-BR", Some("pt")),
            ("pt_PT", Some("pt")),
            ("zh", Some("zh-Hans")),
            ("zh-CN", Some("zh-Hans")),
            ("zh-Hans-SG", Some("zh-Hans")),
            ("zh-TW", Some("zh-Hant")),
            ("zh-Hant", Some("zh-Hant")),
            ("zh-HK", Some("zh-Hant")),
            ("ko-KR", Some("ko")),
            ("in-ID", Some("id")),
            ("ar-EG", Some("ar")),
            ("pl-PL", None),
            ("", None),
        ];
        for (tag, want) in cases {
            assert_eq!(Lang::from_bcp47(tag).map(Lang::code), want, "tag {tag:?}");
        }
    }

    #[test]
    fn whisper_language_names_map_to_lexicons() {
        assert_eq!(Lang::from_name("Korean").map(Lang::code), Some("ko"));
        assert_eq!(Lang::from_name("ja").map(Lang::code), Some("ja"));
        assert_eq!(Lang::from_name("klingon"), None);
    }
}
