//! Deciding a call's lexicon language: the record's tag when given, else identified from the
//! text — by script first (Hangul, Kana, Han, Devanagari, Arabic decide on their own), then
//! Hindi and Arabic written in Latin letters (Hinglish and Arabizi, told by their words), then
//! by a language identifier restricted to the Latin-script lexicon languages.

use whatlang::{Detector, Lang as WLang};

use crate::lexicon::Lang;
use crate::model::{Call, LanguageSource};

/// The language of a call as the rest of the pipeline uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallLanguage {
    /// The lexicon language, when there is one for this call.
    pub lexicon: Option<Lang>,
    /// What goes in the `language` column: the lexicon code, else the tag's primary subtag,
    /// else `und`.
    pub code: String,
    /// How it was decided.
    pub source: LanguageSource,
}

/// How much text identification looks at: enough to decide, bounded so long calls cost the same.
const SAMPLE_BYTES: usize = 2048;

/// Decides the language of `call`.
pub fn call_language(call: &Call, detector: &Detector) -> CallLanguage {
    if let Some(tag) = call.language_tag.as_deref() {
        if is_indian_english(tag) && romanised_language(&sample(call)) == Some("hi") {
            // Chat platforms in India tag their locale, en-IN, whatever the customer writes.
            if let Some(hi) = Lang::from_code("hi") {
                return CallLanguage {
                    lexicon: Some(hi),
                    code: hi.code().to_string(),
                    source: LanguageSource::Detected,
                };
            }
        }
        return match Lang::from_bcp47(tag).or_else(|| Lang::from_name(tag)) {
            Some(l) => {
                let l = chinese_script_of_text(call, tag, l);
                CallLanguage {
                    lexicon: Some(l),
                    code: l.code().to_string(),
                    source: LanguageSource::Given,
                }
            }
            None => {
                let primary = tag
                    .split(['-', '_'])
                    .next()
                    .unwrap_or(tag)
                    .to_ascii_lowercase();
                CallLanguage {
                    lexicon: None,
                    code: primary,
                    source: LanguageSource::Given,
                }
            }
        };
    }
    match identify(call, detector) {
        Some(l) => CallLanguage {
            lexicon: Some(l),
            code: l.code().to_string(),
            source: LanguageSource::Detected,
        },
        None => CallLanguage {
            lexicon: None,
            code: "und".to_string(),
            source: LanguageSource::Unknown,
        },
    }
}

/// A detector restricted to the Latin-script lexicon languages (built once per run).
pub fn latin_detector() -> Detector {
    Detector::with_allowlist(vec![
        WLang::Eng,
        WLang::Spa,
        WLang::Por,
        WLang::Deu,
        WLang::Fra,
        WLang::Ind,
        WLang::Vie,
    ])
}

/// Whether `tag` is English as written in India (`en-IN`): Hinglish chats carry it, as
/// their platform's locale.
fn is_indian_english(tag: &str) -> bool {
    let mut parts = tag.trim().split(['-', '_']);
    parts.next().is_some_and(|p| p.eq_ignore_ascii_case("en"))
        && parts.any(|p| p.eq_ignore_ascii_case("in"))
}

/// A Chinese tag without a script or region (`zh`, `cmn`, `chinese`: what Whisper and many
/// engines write for both scripts) does not say which of the two lexicons the text can match,
/// simplified or traditional characters: the text decides, and the tag's default stands when
/// it cannot tell.
fn chinese_script_of_text(call: &Call, tag: &str, given: Lang) -> Lang {
    let names_script_or_region = tag.trim().contains(['-', '_']);
    if !given.code().starts_with("zh") || names_script_or_region {
        return given;
    }
    // Decided by the first characters that tell the scripts apart: a few suffice, and this is
    // asked of every call so tagged.
    let (mut simplified, mut traditional, mut bytes) = (0usize, 0usize, 0usize);
    'turns: for turn in &call.turns {
        for c in turn.text.chars() {
            match chinese_form(c) {
                Some(ChineseForm::Simplified) => simplified += 1,
                Some(ChineseForm::Traditional) => traditional += 1,
                None => {}
            }
            bytes += c.len_utf8();
            if simplified.abs_diff(traditional) >= 4 || bytes >= SAMPLE_BYTES {
                break 'turns;
            }
        }
    }
    let code = match traditional.cmp(&simplified) {
        std::cmp::Ordering::Greater => "zh-Hant",
        std::cmp::Ordering::Less => "zh-Hans",
        std::cmp::Ordering::Equal => return given,
    };
    Lang::from_code(code).unwrap_or(given)
}

/// The first turns of `call`, up to about [`SAMPLE_BYTES`].
fn sample(call: &Call) -> String {
    let mut sample = String::with_capacity(SAMPLE_BYTES + 64);
    for t in &call.turns {
        if sample.len() >= SAMPLE_BYTES {
            break;
        }
        sample.push_str(&t.text);
        sample.push('\n');
    }
    sample
}

fn identify(call: &Call, detector: &Detector) -> Option<Lang> {
    let sample = sample(call);
    let counts = ScriptCounts::of(&sample);
    let code = if counts.hangul > 0 && counts.hangul * 5 >= counts.letters() {
        "ko"
    } else if counts.kana > 0 && counts.kana * 10 >= counts.letters() {
        "ja"
    } else if counts.han > 0 && counts.han * 5 >= counts.letters() {
        if counts.traditional > counts.simplified {
            "zh-Hant"
        } else {
            "zh-Hans"
        }
    } else if counts.devanagari * 5 >= counts.letters() && counts.devanagari > 0 {
        "hi"
    } else if counts.arabic * 5 >= counts.letters() && counts.arabic > 0 {
        "ar"
    } else if let Some(code) = (counts.latin > 0)
        .then(|| romanised_language(&sample))
        .flatten()
    {
        code
    } else if counts.latin > 0 {
        let info = detector.detect(&sample)?;
        match info.lang() {
            WLang::Eng => "en",
            WLang::Spa => "es",
            WLang::Por => "pt",
            WLang::Deu => "de",
            WLang::Fra => "fr",
            WLang::Ind => "id",
            WLang::Vie => "vi",
            _ => return None,
        }
    } else {
        return None;
    };
    Lang::from_code(code)
}

/// A lexicon language also written in Latin letters in chats, which the language identifier
/// does not know: it took such calls for Indonesian or English, whose lexicons cannot find
/// their cues, while the language's own lexicon has them in both scripts. Told by its words:
/// at least three different ones, making at least a tenth of the words.
struct Romanised {
    code: &'static str,
    /// Frequent words of the language in Latin letters that are not words of the Latin-script
    /// lexicon languages, sorted.
    words: &'static [&'static str],
    /// Whether digits written for letters (Arabizi's `3ayez`, `ma7adesh`, `2abl`) mark it.
    digit_letters: bool,
}

/// Hindi (Hinglish) and Arabic (Arabizi), the two with Latin-script phrases in their
/// lexicons.
///
/// Left out of the Hindi words for being words elsewhere: `main`, `par`, `se`, `ke`, `ko`,
/// `tak`, `pada`, `bola`, `pata`, `wo`, `jo` (English, French, Spanish, Indonesian, German), and
/// `thi`, `tha`, `mai` (Vietnamese written without accents); `hai` stays, as one word alone
/// decides nothing. Left out of the Arabic ones: `el`, `fi`, `min`, `law`, `bas`, `eh`, `ana`,
/// `men`, `mesh`, `abi` (Spanish, English, French, Indonesian words).
const ROMANISED: [Romanised; 2] = [
    Romanised {
        code: "hi",
        words: &[
            "aap", "aapka", "aapke", "aapki", "aapko", "abhi", "accha", "acha", "achha", "apka",
            "apke", "apki", "apko", "apna", "apne", "apni", "aur", "bahut", "bataiye", "batao",
            "bataya", "bhai", "bhi", "bilkul", "bohot", "chahiye", "dijiye", "diya", "dobara",
            "gaya", "gaye", "gayi", "haan", "hai", "hain", "hoga", "hogi", "hoon", "hota", "hote",
            "hoti", "hua", "hui", "humne", "jaldi", "kab", "kaise", "karenge", "karke", "karna",
            "karo", "karunga", "kijiye", "kitna", "kitni", "kiya", "kiye", "kuch", "kya", "kyon",
            "kyun", "lekin", "liya", "maine", "matlab", "mera", "mere", "meri", "mujhe", "mujhko",
            "nahi", "nahin", "nhi", "padega", "pahle", "pehle", "raha", "rahe", "rahi", "sakta",
            "sakte", "sakti", "samajh", "theek", "thik", "wala", "wale", "wali",
        ],
        digit_letters: false,
    },
    Romanised {
        code: "ar",
        words: &[
            "2abl",
            "3ala",
            "3alashan",
            "3andi",
            "3andy",
            "3awez",
            "3awz",
            "3ayez",
            "3ayz",
            "3ayza",
            "3shan",
            "5alas",
            "7aga",
            "a7san",
            "ahlan",
            "akalem",
            "akalemkom",
            "ba2a",
            "bardo",
            "bdi",
            "beta3",
            "biddi",
            "bta3",
            "delwa2ty",
            "dilwa2ti",
            "emta",
            "enta",
            "ento",
            "enty",
            "etasalt",
            "ettasalt",
            "ezay",
            "feen",
            "howa",
            "inshallah",
            "inta",
            "inti",
            "intu",
            "izzay",
            "kalemt",
            "kalemtoko",
            "kamaan",
            "kaman",
            "kda",
            "keda",
            "khalas",
            "kida",
            "leh",
            "lesa",
            "lessa",
            "lsa",
            "ma3",
            "ma3lesh",
            "ma3lish",
            "ma7adesh",
            "mafeesh",
            "mafi",
            "mafish",
            "momken",
            "msh",
            "mumken",
            "mumkin",
            "shokran",
            "shukran",
            "tayeb",
            "tayyeb",
            "wallah",
            "wallahi",
            "ya3ni",
            "yaani",
            "yalla",
            "yallah",
        ],
        digit_letters: true,
    },
];

/// The lexicon language `sample` is written in when it is one of [`ROMANISED`].
fn romanised_language(sample: &str) -> Option<&'static str> {
    ROMANISED
        .iter()
        .find(|lang| lang.is_written_in(sample))
        .map(|lang| lang.code)
}

impl Romanised {
    fn is_written_in(&self, sample: &str) -> bool {
        let (mut words, mut marked) = (0usize, 0usize);
        let mut seen: Vec<&str> = Vec::new();
        for word in sample
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| w.bytes().any(|b| b.is_ascii_alphabetic()))
        {
            words += 1;
            let lower = word.bytes().map(|b| b.to_ascii_lowercase());
            let marker = match self
                .words
                .binary_search_by(|w| w.bytes().cmp(lower.clone()))
            {
                Ok(i) => Some(self.words[i]),
                Err(_) if self.digit_letters && has_digit_letters(word) => Some(word),
                Err(_) => None,
            };
            if let Some(marker) = marker {
                marked += 1;
                if !seen.iter().any(|s| s.eq_ignore_ascii_case(marker)) {
                    seen.push(marker);
                }
            }
        }
        seen.len() >= 3 && marked * 10 >= words
    }
}

/// A word with a digit standing for a letter, as Arabizi writes ع (3), ح (7), ء (2), خ (5),
/// ق (9): one digit between or before letters, in a word of at least three letters (`3ayez`,
/// `ma7adesh`, `2abl`), which `3rd`, `mp3`, `b2b`, `covid19` and hexadecimal identifiers are
/// not.
fn has_digit_letters(word: &str) -> bool {
    let bytes = word.as_bytes();
    let letters = bytes.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = bytes.len() - letters;
    // Identifiers (`2b8ba020`, order numbers) have more digits, or only hexadecimal letters.
    let not_hex = bytes
        .iter()
        .any(|b| b.is_ascii_alphabetic() && !b.is_ascii_hexdigit());
    let lone_digit_before_letter = bytes.windows(2).enumerate().any(|(i, w)| {
        matches!(w[0], b'2' | b'3' | b'5' | b'7' | b'9')
            && w[1].is_ascii_alphabetic()
            && (i == 0 || !bytes[i - 1].is_ascii_digit())
    });
    // `word` is ASCII: it was split at every other character.
    let ordinal = (2..=4).contains(&word.len())
        && ["st", "nd", "rd", "th"]
            .iter()
            .any(|end| word[word.len() - 2..].eq_ignore_ascii_case(end));
    letters >= 3 && digits <= 2 && not_hex && lone_digit_before_letter && !ordinal
}

#[derive(Default)]
struct ScriptCounts {
    latin: usize,
    hangul: usize,
    kana: usize,
    han: usize,
    devanagari: usize,
    arabic: usize,
    simplified: usize,
    traditional: usize,
}

/// Common characters that differ between simplified and traditional Chinese: the simplified
/// forms, sorted for a binary search.
const SIMPLIFIED_ONLY: [char; 43] = [
    '个', '为', '么', '买', '们', '关', '办', '务', '单', '卖', '发', '号', '后', '处', '对', '帮',
    '应', '开', '报', '时', '样', '没', '现', '电', '码', '系', '经', '给', '联', '见', '让', '话',
    '该', '说', '谢', '账', '过', '还', '这', '钱', '门', '问', '题',
];

/// Their traditional forms, sorted.
const TRADITIONAL_ONLY: [char; 43] = [
    '個', '們', '務', '問', '單', '報', '對', '帳', '幫', '後', '應', '時', '樣', '沒', '為', '現',
    '發', '碼', '給', '經', '繫', '聯', '處', '號', '見', '話', '該', '說', '謝', '讓', '買', '賣',
    '辦', '這', '過', '還', '錢', '門', '開', '關', '電', '題', '麼',
];

/// Which of the two written forms of Chinese a character belongs to alone.
enum ChineseForm {
    Simplified,
    Traditional,
}

/// The form `c` is written in, when it is one of the common characters that differ.
fn chinese_form(c: char) -> Option<ChineseForm> {
    if SIMPLIFIED_ONLY.binary_search(&c).is_ok() {
        Some(ChineseForm::Simplified)
    } else if TRADITIONAL_ONLY.binary_search(&c).is_ok() {
        Some(ChineseForm::Traditional)
    } else {
        None
    }
}

impl ScriptCounts {
    fn of(text: &str) -> ScriptCounts {
        let mut counts = ScriptCounts::default();
        for c in text.chars() {
            counts.add(c);
        }
        counts
    }

    fn add(&mut self, c: char) {
        match c {
            'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => {
                self.latin += 1
            }
            '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' => {
                self.hangul += 1
            }
            '\u{3040}'..='\u{30FF}' => self.kana += 1,
            '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' => {
                self.han += 1;
                match chinese_form(c) {
                    Some(ChineseForm::Simplified) => self.simplified += 1,
                    Some(ChineseForm::Traditional) => self.traditional += 1,
                    None => {}
                }
            }
            '\u{0900}'..='\u{097F}' => self.devanagari += 1,
            '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' => self.arabic += 1,
            _ => {}
        }
    }

    fn letters(&self) -> usize {
        self.latin + self.hangul + self.kana + self.han + self.devanagari + self.arabic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SourceRef, Speaker, Turn};

    fn call(text: &str, tag: Option<&str>) -> Call {
        let mut c = Call::new(
            "c",
            SourceRef::file("f".into()),
            vec![Turn::new(Speaker::Customer, text)],
        );
        c.language_tag = tag.map(str::to_string);
        c
    }

    #[test]
    fn given_tags_win_and_unknown_tags_are_kept() {
        let d = latin_detector();
        assert_eq!(call_language(&call("hello", Some("pt-BR")), &d).code, "pt");
        let pl = call_language(&call("dzień dobry", Some("pl-PL")), &d);
        assert_eq!(
            (pl.lexicon, pl.code.as_str(), pl.source),
            (None, "pl", LanguageSource::Given)
        );
    }

    #[test]
    fn an_en_in_chat_in_hinglish_is_read_as_hindi() {
        let d = latin_detector();
        let hinglish = "maine pehle bhi call kiya tha, abhi tak mera refund nahi aaya";
        let got = call_language(&call(hinglish, Some("en-IN")), &d);
        assert_eq!(
            (got.code.as_str(), got.source),
            ("hi", LanguageSource::Detected)
        );
        // Indian English stays English, and other English tags are the caller's word.
        let english = "I called last week and my refund has still not come";
        let got = call_language(&call(english, Some("en-IN")), &d);
        assert_eq!(
            (got.code.as_str(), got.source),
            ("en", LanguageSource::Given)
        );
        let got = call_language(&call(hinglish, Some("en-US")), &d);
        assert_eq!(
            (got.code.as_str(), got.source),
            ("en", LanguageSource::Given)
        );
    }

    #[test]
    fn script_characters_are_sorted_and_apart() {
        assert!(SIMPLIFIED_ONLY.windows(2).all(|w| w[0] < w[1]));
        assert!(TRADITIONAL_ONLY.windows(2).all(|w| w[0] < w[1]));
        assert!(
            SIMPLIFIED_ONLY
                .iter()
                .all(|c| TRADITIONAL_ONLY.binary_search(c).is_err())
        );
    }

    #[test]
    fn romanised_words_are_sorted_for_the_binary_search() {
        for lang in &ROMANISED {
            assert!(lang.words.windows(2).all(|w| w[0] < w[1]), "{}", lang.code);
        }
    }

    #[test]
    fn digits_for_letters_are_told_from_numbers_in_words() {
        for arabizi in ["3ayez", "ma7adesh", "2abl", "delwa2ty", "mat7alletsh"] {
            assert!(has_digit_letters(arabizi), "{arabizi}");
        }
        for other in [
            "3rd", "2nd", "mp3", "b2b", "covid19", "5g", "abc", "x86", "1st",
        ] {
            assert!(!has_digit_letters(other), "{other}");
        }
    }

    #[test]
    fn a_chinese_tag_without_script_is_read_in_the_texts_script() {
        let d = latin_detector();
        let traditional = "我上次打過電話，你們說會處理";
        let simplified = "我上次打过电话，你们说会处理";
        for (text, tag, want) in [
            (traditional, "zh", "zh-Hant"),
            (traditional, "chinese", "zh-Hant"),
            (traditional, "cmn", "zh-Hant"),
            (simplified, "zh", "zh-Hans"),
            (simplified, "yue", "zh-Hans"),
            // A script or region in the tag is the caller's word.
            (traditional, "zh-CN", "zh-Hans"),
            (simplified, "zh-TW", "zh-Hant"),
            // Nothing to tell the scripts apart by: the tag's default.
            ("我", "zh", "zh-Hans"),
            ("我", "yue", "zh-Hant"),
        ] {
            let got = call_language(&call(text, Some(tag)), &d);
            assert_eq!(
                (got.code.as_str(), got.source),
                (want, LanguageSource::Given),
                "{tag} {text}"
            );
        }
    }

    #[test]
    fn scripts_decide_before_the_identifier() {
        let d = latin_detector();
        let cases = [
            ("저번에 전화했었는데 아직도 해결이 안 됐어요", "ko"),
            ("先週も電話したんですけど、まだ直っていません", "ja"),
            (
                "我上次打过电话，你们说会处理，可是到现在还没有解决",
                "zh-Hans",
            ),
            (
                "我上次打過電話，你們說會處理，可是到現在還沒有解決",
                "zh-Hant",
            ),
            ("मैंने पिछले हफ्ते भी कॉल किया था", "hi"),
            ("اتصلت بكم الأسبوع الماضي ولم يتم حل المشكلة", "ar"),
            (
                "Hola, ya llamé la semana pasada por el mismo problema y nadie me ayudó",
                "es",
            ),
            (
                "Bonjour, j'ai déjà appelé la semaine dernière pour le même problème",
                "fr",
            ),
            (
                "Saya sudah menelepon minggu lalu tapi masalahnya belum selesai juga",
                "id",
            ),
            (
                "maine pehle bhi call kiya tha, abhi tak mera refund nahi aaya",
                "hi",
            ),
            (
                "Mujhe aapke senior se baat karni hai. Kitni baar call karna padega?",
                "hi",
            ),
            // One Hindi-looking word is not Hindi: Vietnamese without accents, English.
            ("toi da goi hai lan roi ma van chua duoc giai quyet", "vi"),
            (
                "The main problem is my bill, I called last week and nothing happened",
                "en",
            ),
            (
                "ana etasalt 2abl keda w lessa el moshkela mat7alletsh, 3ayez akalem el modeer",
                "ar",
            ),
            (
                "El problema es que mi factura llegó mal, ya llamé el mes pasado",
                "es",
            ),
            ("see u 2day, call me 2morrow about the 3rd bill", "en"),
        ];
        for (text, want) in cases {
            let got = call_language(&call(text, None), &d);
            assert_eq!(got.code, want, "{text}");
            assert_eq!(got.source, LanguageSource::Detected);
        }
        assert_eq!(call_language(&call("12345 ...", None), &d).code, "und");
    }
}
