//! `fcrscan report` and `fcrscan show` over the fixture in tests/data/report/ (see its README):
//! PII redaction in several scripts, markup safety, selection options, the FCR section, the
//! terminal view, and the browser test in tests/browser/ (headless Chromium).
//!
//! Expectations come from tests/data/report/EXPECTED.tsv, written by hand from the transcripts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use fcrscan::report::redact::{PiiKind, Segment, display_text, find_pii, redact_text, segment};

use crate::util::{Workspace, read_table, repo, stderr};

/// One call of EXPECTED.tsv.
struct Expected {
    call_id: String,
    flagged: bool,
    categories: Vec<String>,
    cues: Vec<String>,
    pii: Vec<String>,
}

fn expected() -> Vec<Expected> {
    let text = std::fs::read_to_string(repo().join("tests/data/report/EXPECTED.tsv"))
        .expect("EXPECTED.tsv");
    let list = |v: &str, sep: char| {
        if v == "-" {
            Vec::new()
        } else {
            v.split(sep).map(str::to_string).collect()
        }
    };
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Expected {
                call_id: f[0].into(),
                flagged: f[1] == "true",
                categories: list(f[2], ','),
                cues: list(f[3], '|'),
                pii: list(f[4], '|'),
            }
        })
        .collect()
}

/// Scans the fixture with its own lexicon into `ws/out`.
fn scan_fixture(ws: &Workspace) -> PathBuf {
    scan_fixture_into(ws, "out", &[])
}

/// Scans the fixture into the workspace's directory `out`, with `args` added.
fn scan_fixture_into(ws: &Workspace, out: &str, args: &[&str]) -> PathBuf {
    let data = repo().join("tests/data/report");
    let calls = data.join("calls");
    let phrases = data.join("phrases.tsv");
    let mut all = vec![
        "scan",
        calls.to_str().unwrap(),
        "--phrases",
        phrases.to_str().unwrap(),
        "--out",
        out,
        "-q",
    ];
    all.extend_from_slice(args);
    let o = ws.run(&all);
    assert!(o.status.success(), "scan failed: {}", stderr(&o));
    ws.path(out)
}

/// Runs `fcrscan report out --out NAME ARGS…` and returns the page.
fn report(ws: &Workspace, name: &str, args: &[&str]) -> String {
    let mut all = vec!["report", "out", "--out", name, "-q"];
    all.extend_from_slice(args);
    let o = ws.run(&all);
    assert!(o.status.success(), "report {args:?} failed: {}", stderr(&o));
    std::fs::read_to_string(ws.path(name)).expect("the report was written")
}

/// The data block of a report, parsed.
fn data(page: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"report-data\">";
    let start = page.find(open).expect("a data block") + open.len();
    let end = start + page[start..].find("</script>").expect("the block ends");
    serde_json::from_str(&page[start..end]).expect("the data block is JSON")
}

fn listed(page: &str) -> BTreeSet<String> {
    data(page)["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn ids(pred: impl Fn(&Expected) -> bool) -> BTreeSet<String> {
    expected()
        .into_iter()
        .filter(|e| e.flagged && pred(e))
        .map(|e| e.call_id)
        .collect()
}

/// `(kind, text)` of every PII span found in `text`.
fn pii(text: &str) -> Vec<(PiiKind, String)> {
    let chars: Vec<char> = text.chars().collect();
    find_pii(text)
        .into_iter()
        .map(|s| (s.kind, chars[s.char_start..s.char_end].iter().collect()))
        .collect()
}

#[test]
fn card_numbers_are_luhn_checked_in_every_digit_script() {
    use PiiKind::*;
    let cases: &[(&str, &str, PiiKind, &str)] = &[
        (
            "ascii groups",
            "card 4111 1111 1111 1111 exp 09",
            Card,
            "4111 1111 1111 1111",
        ),
        (
            "hyphens",
            "카드 번호는 5500-0000-0000-0004 이고요",
            Card,
            "5500-0000-0000-0004",
        ),
        (
            "asr commas",
            "it's 4539, 1488, 0343, 6467 yeah",
            Card,
            "4539, 1488, 0343, 6467",
        ),
        ("amex 15", "amex 378282246310005.", Card, "378282246310005"),
        (
            "full-width",
            "番号は４１１１１１１１１１１１１１１１です",
            Card,
            "４１１１１１１１１１１１１１１１",
        ),
        (
            "arabic-indic",
            "رقم البطاقة ٤١١١١١١١١١١١١١١١ من فضلك",
            Card,
            "٤١١١١١١١١١١١١١١١",
        ),
        (
            "devanagari",
            "कार्ड ४१११ ११११ ११११ ११११ है",
            Card,
            "४१११ ११११ ११११ ११११",
        ),
        (
            "spoken",
            "four one one one one one one one one one one one one one one one",
            Card,
            "four one one one one one one one one one one one one one one one",
        ),
        (
            "spoken es",
            "cuatro cinco tres nueve uno cuatro ocho ocho cero tres cuatro tres seis cuatro seis siete",
            Card,
            "cuatro cinco tres nueve uno cuatro ocho ocho cero tres cuatro tres seis cuatro seis siete",
        ),
        // Sixteen digits failing the Luhn check: not a card, still never shown.
        (
            "not luhn",
            "ref 4111 1111 1111 1112",
            Number,
            "4111 1111 1111 1112",
        ),
    ];
    for (name, text, kind, span) in cases {
        assert_eq!(pii(text), [(*kind, span.to_string())], "{name}: {text}");
    }
}

#[test]
fn emails_are_found_written_and_spoken_between_any_script() {
    use PiiKind::Email;
    let cases: &[(&str, &str, &str)] = &[
        (
            "plain",
            "mail me at jane.doe+bills@example.co.uk.",
            "jane.doe+bills@example.co.uk",
        ),
        (
            "accented",
            "es maría.lópez@correo.es y",
            "maría.lópez@correo.es",
        ),
        ("inside han", "邮箱是wang_lei@qq.com吧", "wang_lei@qq.com"),
        (
            "inside kana",
            "メールはtaro.yamada@example.jpです",
            "taro.yamada@example.jp",
        ),
        (
            "full-width at",
            "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
            "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
        ),
        (
            "devanagari around",
            "ईमेल rahul.sharma@example.in है",
            "rahul.sharma@example.in",
        ),
        (
            "arabic around",
            "الإيميل ahmed@example.com.eg شكرا",
            "ahmed@example.com.eg",
        ),
        (
            "spoken en",
            "it's jane dot doe at example dot com thanks",
            "jane dot doe at example dot com",
        ),
        (
            "spoken es",
            "mi correo es pepe punto garcia arroba gmail punto com",
            "pepe punto garcia arroba gmail punto com",
        ),
        (
            "spoken pt",
            "é joao arroba uol ponto com ponto br",
            "joao arroba uol ponto com ponto br",
        ),
    ];
    for (name, text, span) in cases {
        assert_eq!(pii(text), [(Email, span.to_string())], "{name}: {text}");
    }
}

#[test]
fn phone_numbers_and_long_digit_runs_are_redacted_dates_and_amounts_are_not() {
    use PiiKind::*;
    let cases: &[(&str, &str, PiiKind, &str)] = &[
        (
            "us",
            "call me on (415) 555-0132 please",
            Phone,
            "(415) 555-0132",
        ),
        ("uk", "ring +44 20 7946 0958.", Phone, "+44 20 7946 0958"),
        (
            "es pairs",
            "mi teléfono es 612 34 56 78 esto",
            Phone,
            "612 34 56 78",
        ),
        (
            "ja full-width",
            "電話番号は０９０－１２３４－５６７８です",
            Phone,
            "０９０－１２３４－５６７８",
        ),
        ("ar", "رقمي ٠١٠٠١٢٣٤٥٦٧ ولو", Phone, "٠١٠٠١٢٣٤٥٦٧"),
        ("zh", "我的手机号是138 0013 8000，", Phone, "138 0013 8000"),
        ("vi", "số của tôi là 0912 345 678", Phone, "0912 345 678"),
        (
            "spoken en",
            "it's oh two oh seven nine four six oh nine five eight",
            Phone,
            "oh two oh seven nine four six oh nine five eight",
        ),
        (
            "account",
            "nomor rekening saya 1234567890, saya",
            Number,
            "1234567890",
        ),
        (
            "full-width run",
            "会員番号は１２３４５６７８です",
            Number,
            "１２３４５６７８",
        ),
        (
            "devanagari run",
            "मेरा नंबर ९८७६५४३२१० है",
            Number,
            "९८७६५४३२१०",
        ),
        ("otp", "the code is 482913", Number, "482913"),
        (
            "han numerals",
            "号码是一三八零零一三八零零零",
            Number,
            "一三八零零一三八零零零",
        ),
    ];
    for (name, text, kind, span) in cases {
        assert_eq!(pii(text), [(*kind, span.to_string())], "{name}: {text}");
    }
    for keep in [
        "on 2026-11-02 at 10:30",
        "le 02.11.2026 à 14h",
        "we paid 1,250,000.50 last year",
        "R$ 1.250.000,00 no total",
        "last four 0000 and 12 items in 2025",
        "第二次打电话 一下 三月",
        "one two three four five",
    ] {
        assert_eq!(pii(keep), [], "{keep}");
    }
}

#[test]
fn redaction_never_shifts_or_breaks_a_highlighted_cue() {
    // (text, cue span in characters, the cue as it must be highlighted, the whole as displayed)
    let cases: &[(&str, (usize, usize), &str, &str)] = &[
        (
            "jane@example.com i called last week",
            (19, 35),
            "called last week",
            "[email] i called last week",
        ),
        (
            "先週も電話した０９０－１２３４－５６７８",
            (0, 7),
            "先週も電話した",
            "先週も電話した[phone]",
        ),
        (
            "رقمي ٠١٠٠١٢٣٤٥٦٧ عايز أكلم المدير",
            (22, 33),
            "أكلم المدير",
            "رقمي [phone] عايز أكلم المدير",
        ),
        (
            "मेरा नंबर ९८७६५४३२१० है, पहले भी फोन किया था",
            (30, 44),
            "भी फोन किया था",
            "मेरा नंबर [number] है, पहले भी फोन किया था",
        ),
        (
            "4111111111111111 tôi đã gọi",
            (17, 27),
            "tôi đã gọi",
            "[card] tôi đã gọi",
        ),
    ];
    for (text, (s, e), cue, shown) in cases {
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(
            chars[*s..*e].iter().collect::<String>(),
            *cue,
            "the case's span is right: {text}"
        );
        let segs = segment(text, &[(*s, *e)], true);
        let marks: Vec<&Segment> = segs
            .iter()
            .filter(|g| matches!(g, Segment::Mark { .. }))
            .collect();
        assert_eq!(
            marks,
            [&Segment::Mark {
                hits: vec![0],
                text: cue.to_string()
            }],
            "{text}"
        );
        assert_eq!(display_text(&segs), *shown);
    }
    // PII that overlaps a cue is masked inside it, one for one: the cue keeps its length.
    let segs = segment("account 12345678 closed", &[(8, 23)], true);
    assert_eq!(
        segs[1],
        Segment::Mark {
            hits: vec![0],
            text: "•••••••• closed".into()
        }
    );
    assert_eq!(redact_text("cust-en-77"), "cust-en-77");
}

#[test]
fn report_is_one_offline_file_with_no_pii_and_no_live_markup() {
    let ws = Workspace::new();
    scan_fixture(&ws);
    let page = report(&ws, "review.html", &[]);
    for e in expected() {
        for p in &e.pii {
            assert!(
                !page.contains(p.as_str()),
                "{}: {p} is in the report",
                e.call_id
            );
        }
    }
    // Exactly two script elements: the data block and the page's own script.
    assert_eq!(page.matches("<script").count(), 2);
    assert_eq!(page.matches("</script").count(), 2);
    // The markup around the data block (the block itself holds the payloads as JSON strings).
    let open = page
        .find("<script type=\"application/json\"")
        .expect("a data block");
    let close = open + page[open..].find("</script>").expect("the block ends");
    let markup = format!("{}{}", &page[..open], &page[close..]);
    for live in [
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "<a ",
        "<link rel=\"stylesheet\"",
        "@import",
        "url(",
        "src=",
        "https://",
        "<svg onload",
    ] {
        assert!(!markup.contains(live), "{live} in the report's markup");
    }
    // The only URLs are the SVG namespace (an identifier, never fetched) and the data: favicon.
    assert_eq!(
        page.matches("http://").count(),
        page.matches("http://www.w3.org/2000/svg").count()
    );
    assert!(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; script-src &#39;sha256-"));
    // Hostile metadata in the server-rendered charts is escaped text.
    assert!(page.contains("&lt;b onmouseover=window.__pwned=1&gt;retention&lt;/b&gt;"));
    // Payloads survive as data, with every `<` escaped.
    let d = data(&page);
    let hostile = d["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "rep-en-hostile")
        .expect("listed");
    assert_eq!(hostile["agent"], "agt-\"><svg onload=window.__pwned=1>");
    assert!(page.contains("\\u003cscript\\u003ewindow.__pwned=1;alert(1)\\u003c/script\\u003e"));
    assert_eq!(d["redacted"], true);
}

#[test]
fn no_redact_shows_the_pii_the_default_hides() {
    let ws = Workspace::new();
    scan_fixture(&ws);
    let page = report(&ws, "raw.html", &["--no-redact"]);
    let d = data(&page).to_string();
    let all: Vec<String> = expected().into_iter().flat_map(|e| e.pii).collect();
    let shown: Vec<&String> = all.iter().filter(|p| d.contains(p.as_str())).collect();
    assert_eq!(
        shown.len(),
        all.len(),
        "missing: {:?}",
        all.iter()
            .filter(|p| !d.contains(p.as_str()))
            .collect::<Vec<_>>()
    );
    assert!(page.contains("PII <strong>not redacted</strong>"));
    // --redact after --no-redact wins, as the last of a pair does.
    let page = report(&ws, "again.html", &["--no-redact", "--redact"]);
    assert!(!page.contains("4111 1111 1111 1111"));
}

#[test]
fn report_lists_flagged_calls_by_severity_with_cues_highlighted() {
    let ws = Workspace::new();
    scan_fixture(&ws);
    let page = report(&ws, "review.html", &[]);
    assert_eq!(listed(&page), ids(|_| true));
    let d = data(&page);
    let calls = d["calls"].as_array().unwrap();
    // Escalation first, then repeat contact only, strongly negative last.
    let first_without = |flag: &str| {
        calls
            .iter()
            .position(|c| !c["sev"].as_array().unwrap().iter().any(|s| s == flag))
    };
    let last_with = |flag: &str| {
        calls
            .iter()
            .rposition(|c| c["sev"].as_array().unwrap().iter().any(|s| s == flag))
    };
    assert!(last_with("escalation") < first_without("escalation"));
    assert_eq!(
        calls.last().unwrap()["sev"],
        serde_json::json!(["strongly_negative"])
    );
    for e in expected().iter().filter(|e| e.flagged) {
        let call = calls
            .iter()
            .find(|c| c["id"] == e.call_id.as_str())
            .unwrap();
        let cats: Vec<&str> = call["cats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let mut want: Vec<&str> = e.categories.iter().map(String::as_str).collect();
        let mut got = cats.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{}", e.call_id);
        let marks: Vec<String> = call["ex"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|x| x["x"].as_array().unwrap().iter())
            .filter_map(|s| s.get("t").and_then(|t| t.as_str()).map(str::to_string))
            .collect();
        for cue in &e.cues {
            assert!(
                marks.iter().any(|m| m.contains(cue.as_str())),
                "{}: cue {cue} not highlighted in {marks:?}",
                e.call_id
            );
        }
    }
}

#[test]
fn report_options_select_dates_queues_agents_categories_and_a_limit() {
    let ws = Workspace::new();
    scan_fixture(&ws);
    let escalation = report(&ws, "a.html", &["--category", "escalation"]);
    assert_eq!(
        listed(&escalation),
        ids(|e| e.categories.iter().any(|c| c == "escalation"))
    );
    let both = report(&ws, "b.html", &["--category", "escalation,repeat_contact"]);
    assert_eq!(
        listed(&both),
        ids(|e| e
            .categories
            .iter()
            .any(|c| c == "escalation" || c == "repeat_contact"))
    );
    let day = report(
        &ws,
        "c.html",
        &["--date", "2026-11-03", "--queue", "retention"],
    );
    assert_eq!(listed(&day), ["rep-id-001"].map(String::from).into());
    // Queue names are matched exactly, whatever they hold.
    let odd = report(
        &ws,
        "c2.html",
        &[
            "--queue",
            "retention",
            "--queue",
            "<b onmouseover=window.__pwned=1>retention</b>",
        ],
    );
    assert_eq!(
        listed(&odd),
        ["rep-en-hostile-meta", "rep-id-001"]
            .map(String::from)
            .into()
    );
    let agent = report(
        &ws,
        "d.html",
        &["--agent", "agt-en-114", "--agent", "agt-ja-003"],
    );
    assert_eq!(
        listed(&agent),
        ["rep-en-spoken", "rep-en-terrible", "rep-ja-001"]
            .map(String::from)
            .into()
    );
    let lang = report(&ws, "e.html", &["--language", "ja,ar"]);
    assert_eq!(
        listed(&lang),
        ["rep-ar-001", "rep-ja-001"].map(String::from).into()
    );
    let top = report(&ws, "f.html", &["--limit", "2"]);
    assert_eq!(data(&top)["calls"].as_array().unwrap().len(), 2);
    assert!(top.contains("showing the 2 most severe"));
    let range = report(&ws, "g.html", &["--from", "2026-11-03"]);
    assert!(range.contains("<title>Call review: 2026-11-03</title>"));
}

#[test]
fn report_rejects_bad_dates_and_unknown_categories() {
    let ws = Workspace::new();
    scan_fixture(&ws);
    let o = ws.run(&["report", "out", "--out", "r.html", "--date", "2026-02-30"]);
    assert_eq!(o.status.code(), Some(2), "a usage error");
    assert!(
        stderr(&o).contains("--date \"2026-02-30\" is not a date: expected YYYY-MM-DD"),
        "{}",
        stderr(&o)
    );
    let o = ws.run(&[
        "report",
        "out",
        "--out",
        "r.html",
        "--category",
        "escalations",
    ]);
    assert!(
        stderr(&o).contains("--category \"escalations\" is not a category"),
        "{}",
        stderr(&o)
    );
    let o = ws.run(&[
        "report",
        "out",
        "--out",
        "r.html",
        "--from",
        "2026-11-04",
        "--to",
        "2026-11-02",
    ]);
    assert!(
        stderr(&o).contains("--from 2026-11-04 is after --to 2026-11-02"),
        "{}",
        stderr(&o)
    );
    let o = ws.run(&[
        "report",
        "out",
        "--out",
        "r.html",
        "--date",
        "2026-11-02",
        "--from",
        "2026-11-01",
    ]);
    assert_eq!(o.status.code(), Some(2), "--date conflicts with --from");
    let o = ws.run(&["report", "nowhere", "--out", "r.html"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("nowhere holds no calls table"),
        "{}",
        stderr(&o)
    );
    assert!(!ws.path("r.html").exists(), "nothing is written on error");
}

/// Wilson bounds as the page prints them, for the oracle below.
fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

#[test]
fn fcr_section_appears_once_the_fcr_table_exists() {
    let ws = Workspace::new();
    let out = scan_fixture(&ws);
    // A dataset without the fcr table (written before linking existed, or by a scan that does
    // not link) gets no FCR section.
    let _ = std::fs::remove_dir_all(out.join("fcr"));
    let before = report(&ws, "before.html", &[]);
    assert!(!before.contains("FCR operational") && !before.contains("chart-fcr"));
    let o = ws.run(&["link", "out", "--window", "1h"]);
    assert!(o.status.success(), "link failed: {}", stderr(&o));
    let after = report(&ws, "after.html", &[]);
    assert!(
        after.contains("FCR operational")
            && after.contains("FCR phrase-based")
            && after.contains("id=\"chart-fcr\"")
    );
    // Oracle: the cell rows of the fcr table, read by the test helper, summed here.
    let cells: Vec<_> = read_table(&out, "fcr")
        .into_iter()
        .filter(|r| r.get("level").is_none_or(|l| l.str() == "cell"))
        .collect();
    let sum = |name: &str| cells.iter().map(|r| r[name].int() as u64).sum::<u64>();
    let (resolved, unresolved) = (sum("resolved"), sum("unresolved"));
    assert!(
        unresolved >= 1,
        "rep-en-followup makes rep-en-hostile unresolved"
    );
    let n = resolved + unresolved;
    let rate = fcrscan::aggregate::fcr::Rate::of(resolved, n).expect("decided first contacts");
    let want = format!(
        "FCR operational</span><span class=\"value\">{}</span><span class=\"detail\">{resolved} of {n} · 95% CI {}–{}",
        percent(rate.value),
        percent(rate.low),
        percent(rate.high)
    );
    assert!(after.contains(&want), "want {want}");
    let (contacts, repeats) = (sum("contacts"), sum("phrase_repeats"));
    assert_eq!(contacts, expected().len() as u64);
    assert!(after.contains(&format!(
        "FCR phrase-based</span><span class=\"value\">{}",
        percent((contacts - repeats) as f64 / contacts as f64)
    )));
}

fn show(ws: &Workspace, args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fcrscan"));
    cmd.current_dir(ws.dir.path())
        .arg("show")
        .arg("out")
        .args(args)
        .env_remove("NO_COLOR");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("running fcrscan show");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr(&o),
    )
}

#[test]
fn show_prints_one_call_with_cues_marked_and_pii_redacted() {
    let ws = Workspace::new();
    scan_fixture(&ws);
    let (code, out, err) = show(&ws, &["rep-ja-001"], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert!(
        out.starts_with("call rep-ja-001 · 2026-11-02 01:12 UTC · 4:00 · queue internet-support"),
        "{out}"
    );
    assert!(out.contains("あの、[先週も電話した]んですけど"), "{out}");
    assert!(
        out.contains("カード番号は[card]で、電話番号は[phone]です"),
        "{out}"
    );
    assert!(
        out.contains("ほんとに[ひどい]ので、[上司の方に代わって]もらえますか"),
        "{out}"
    );
    assert!(out.contains("↳ escalation: 上司の方に代わって"), "{out}");
    for e in expected() {
        for p in &e.pii {
            assert!(!out.contains(p.as_str()));
        }
    }
    let (_, raw, _) = show(&ws, &["rep-ja-001", "--no-redact"], &[]);
    assert!(
        raw.contains("４１１１１１１１１１１１１１１１")
            && raw.contains("０９０－１２３４－５６７８")
    );

    let (_, coloured, _) = show(&ws, &["rep-es-001", "--color", "always"], &[]);
    assert!(
        coloured.contains("\x1b[1;4;33mya llamé\x1b[0m"),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("mi teléfono es \x1b[2m[phone]\x1b[0m esto es"),
        "{coloured:?}"
    );
    let (_, plain, _) = show(
        &ws,
        &["rep-es-001", "--color", "auto"],
        &[("NO_COLOR", "1")],
    );
    assert!(!plain.contains('\x1b'));

    // The agent's cue is shown but marked as not counted.
    let (_, hostile, _) = show(&ws, &["rep-en-hostile"], &[]);
    assert!(
        hostile.contains("↳ repeat_contact: called last week · not counted (agent)"),
        "{hostile}"
    );
    assert!(
        hostile.contains("sure it's [card] and my email is [email] </textarea><img"),
        "{hostile}"
    );
}

#[test]
fn show_neutralises_terminal_control_and_names_a_missing_call() {
    let ws = Workspace::new();
    scan_fixture(&ws);
    let (_, out, _) = show(&ws, &["rep-en-hostile-meta"], &[]);
    assert!(out.contains("channel chat\u{FFFD}<i>"), "{out}");
    assert!(!out.contains('\u{202E}'));
    let (code, out, err) = show(&ws, &["REP-JA-001"], &[]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert!(
        err.contains("call REP-JA-001 is not in out") && err.contains("case-sensitive"),
        "{err}"
    );
}

/// Why the browser test cannot run here, if it cannot.
fn browser_missing(browser_dir: &Path, chromium: &Path) -> Option<String> {
    if Command::new("node")
        .arg("--version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        return Some("`node` is not on PATH (install Node.js 20 or later)".into());
    }
    if !chromium.exists() {
        return Some(format!(
            "{} does not exist (apt-get install -y chromium, or set CHROMIUM)",
            chromium.display()
        ));
    }
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        return Some(format!(
            "playwright-core is not installed (run `npm ci` in {})",
            browser_dir.display()
        ));
    }
    None
}

/// Acceptance for issue 7: the report in headless Chromium. Runs when node, Chromium and
/// tests/browser/node_modules are present; set FCRSCAN_REQUIRE_BROWSER=1 (as CI does) to fail
/// instead of skipping when they are not.
#[test]
fn report_works_in_headless_chromium() {
    let browser_dir = repo().join("tests/browser");
    let chromium =
        PathBuf::from(std::env::var_os("CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()));
    if let Some(why) = browser_missing(&browser_dir, &chromium) {
        let required = std::env::var_os("FCRSCAN_REQUIRE_BROWSER").is_some_and(|v| v == "1");
        assert!(
            !required,
            "FCRSCAN_REQUIRE_BROWSER=1 but the browser test cannot run: {why}. See tests/browser/CI.md."
        );
        eprintln!("skipping the browser test: {why}");
        return;
    }
    let ws = Workspace::new();
    scan_fixture(&ws);
    report(&ws, "review.html", &[]);
    report(&ws, "raw.html", &["--no-redact"]);
    scan_fixture_into(&ws, "out-seoul", &["--timezone", "Asia/Seoul"]);
    let written = ws.run(&["report", "out-seoul", "--out", "seoul.html", "-q"]);
    assert!(written.status.success(), "{}", stderr(&written));
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    std::fs::create_dir_all(&shots).unwrap();
    let screenshot = shots.join("report.png");
    let o = Command::new("node")
        .current_dir(&browser_dir)
        .arg("report.test.mjs")
        .arg(ws.path("review.html"))
        .arg(repo().join("tests/data/report/EXPECTED.tsv"))
        .arg(&screenshot)
        .arg(ws.path("raw.html"))
        .arg(ws.path("seoul.html"))
        .env("CHROMIUM", &chromium)
        .output()
        .expect("running node");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "browser test failed:\n{stdout}\n{}",
        stderr(&o)
    );
    assert!(stdout.contains("all browser checks passed"), "{stdout}");
    let png = std::fs::read(&screenshot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "the screenshot is a real PNG"
    );
}
