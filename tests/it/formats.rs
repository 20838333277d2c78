//! Speech-to-text engine formats, speaker roles, metadata join and conversation timing (issue #6).
//!
//! Two kinds of input:
//! - **Real vendor files** in `../shared/corpora` (outside this repository; each test cites the
//!   file and where it came from, see that folder's SOURCE.md files). The expected values below
//!   were read off those files by hand or with a few lines of Python over the raw JSON, never
//!   from fcrscan's output. When the folder is absent the test says so and returns.
//! - **Our own fixtures** in `tests/data/formats/` for what the corpora lack (per-channel files,
//!   Whisper, whisperX, SRT, WebVTT, CSV/TSV, Call Analytics, swapped channels, a multi-night
//!   metadata fixture); `tests/data/formats/README.md` says why each has its shape.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fcrscan::ingest::{IngestOptions, InputFile, Reject, parse_whole_file};
use fcrscan::lexicon::Lexicon;
use fcrscan::matcher::Scratch;
use fcrscan::model::{Call, RoleSource, Speaker};
use fcrscan::scan::{ScannedCall, Scanner};

use crate::util::{Row, Value, Workspace, by_call_id, read_table, repo, stderr};

/// `../shared/corpora`, when this checkout sits beside it.
fn corpora() -> Option<PathBuf> {
    let dir = repo().join("../shared/corpora");
    dir.is_dir().then_some(dir)
}

/// A file of the shared corpora, or an early return when they are not here.
macro_rules! corpus {
    ($rel:expr) => {
        match corpora() {
            Some(dir) => dir.join($rel),
            None => {
                eprintln!("skipped: ../shared/corpora is not next to this checkout");
                return;
            }
        }
    };
}

fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/data/formats").join(rel)
}

fn input_file(path: &Path) -> InputFile {
    InputFile {
        path: path.to_path_buf(),
        name: path.display().to_string().into(),
        size_bytes: 0,
    }
}

fn parse_with(path: &Path, options: &IngestOptions) -> Vec<Result<Call, Reject>> {
    let bytes =
        fcrscan::ingest::open::read_all(path).unwrap_or_else(|r| panic!("{}: {r}", path.display()));
    parse_whole_file(&input_file(path), &bytes, options)
}

/// Parses a single-call file, failing the test on a reject.
fn parse_one(path: &Path) -> Call {
    let mut results = parse_with(path, &IngestOptions::default());
    assert_eq!(results.len(), 1, "{}", path.display());
    results
        .remove(0)
        .unwrap_or_else(|r| panic!("{}: {}", path.display(), r.reason))
}

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| {
        Scanner::new(Lexicon::embedded().expect("embedded lexicon")).expect("compiles")
    })
}

fn scan(call: Call) -> ScannedCall {
    scanner().scan(call, &mut Scratch::new())
}

fn texts(call: &Call) -> Vec<&str> {
    call.turns.iter().map(|t| t.text.as_str()).collect()
}

fn labels(call: &Call) -> Vec<&str> {
    call.turns
        .iter()
        .map(|t| t.speaker_label.as_str())
        .collect()
}

fn close(a: Option<f64>, b: f64, tol: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= tol)
}

// ---------------------------------------------------------------------------------------------
// Amazon Transcribe batch JSON

/// aws-docs-transcribe-examples/diarization-output-batch.json (AWS developer guide,
/// `doc_source/diarization-output-batch.md`): two speakers, `items[].speaker_label`, times as
/// decimal strings, punctuation items without times.
#[test]
fn transcribe_diarized_example_gives_two_speaker_turns_with_punctuation_attached() {
    let call = parse_one(&corpus!(
        "aws-docs-transcribe-examples/diarization-output-batch.json"
    ));
    assert_eq!(call.format, "aws_transcribe");
    assert_eq!(call.call_id, "diarization-output-batch");
    assert_eq!(
        texts(&call),
        ["I've been on hold for an hour.", "Sorry about that."]
    );
    assert_eq!(labels(&call), ["spk_0", "spk_1"]);
    assert_eq!(
        (call.turns[0].start_s, call.turns[0].end_s),
        (Some(4.87), Some(6.88))
    );
    assert_eq!(call.turns[1].end_s, Some(9.24));
    assert_eq!(call.effective_duration_s(), Some(9.24));
    assert_eq!(
        call.role_source,
        RoleSource::Unknown,
        "diarization labels name no role"
    );
    // 7 + 3 pronunciation items; the punctuation items are not words.
    assert_eq!(call.words.len(), 10);
}

/// aws-docs-transcribe-examples/channel-id-output-batch.json (`doc_source/channel-id-output-batch.md`):
/// channel identification, `channel_labels` and `items[].channel_label`.
#[test]
fn transcribe_channel_identified_example_labels_turns_by_channel() {
    let call = parse_one(&corpus!(
        "aws-docs-transcribe-examples/channel-id-output-batch.json"
    ));
    assert_eq!(labels(&call), ["ch_0", "ch_1"]);
    assert_eq!(
        texts(&call),
        ["I've been on hold for an hour.", "Sorry about that."]
    );
    assert_eq!(
        (call.turns[0].start_s, call.turns[1].end_s),
        (Some(4.86), Some(9.25))
    );
    assert_eq!(
        call.language_tag.as_deref(),
        Some("en-US"),
        "from the items' language_code"
    );
    // With --agent-channel 1 the channel map gives the roles.
    let options = IngestOptions {
        agent_channel: Some("1".into()),
        ..IngestOptions::default()
    };
    let mut mapped = parse_one(&corpus!(
        "aws-docs-transcribe-examples/channel-id-output-batch.json"
    ));
    fcrscan::ingest::finish_call(&mut mapped, &options, None);
    assert_eq!(
        mapped.turns.iter().map(|t| t.speaker).collect::<Vec<_>>(),
        [Speaker::Customer, Speaker::Agent]
    );
    assert_eq!(mapped.role_source, RoleSource::ChannelMap);
}

/// stt-samples-bbc-react-transcript-editor/amazon-transcribe/todayinfocus.sample.json (BBC
/// react-transcript-editor fixture): the legacy diarization shape, where only
/// `speaker_labels.segments[].items[]` carry the labels and 8 segments have an empty label.
#[test]
fn transcribe_legacy_speaker_segments_give_the_labels() {
    let call = parse_one(&corpus!(
        "stt-samples-bbc-react-transcript-editor/amazon-transcribe/todayinfocus.sample.json"
    ));
    assert_eq!(call.turns.len(), 8);
    assert_eq!(
        labels(&call),
        [
            "spk_0", "spk_1", "spk_0", "spk_1", "spk_0", "spk_1", "spk_0", "spk_1"
        ]
    );
    assert!(call.turns[0].text.starts_with(
        "Today the devastation of Cyclone e di one of the worst weather related disasters"
    ));
    assert_eq!(
        (call.turns[0].start_s, call.turns[0].end_s),
        (Some(5.24), Some(18.25))
    );
    assert!(
        call.turns[7]
            .text
            .ends_with("poured down into this into this this low flat area")
    );
    assert_eq!(call.turns[7].end_s, Some(301.363));
}

/// stt-samples-bbc-react-transcript-editor/amazon-transcribe/amazonTranscribe.sample.json: no
/// speaker labels at all (1,960 items), so turns break at silences of 1.5 s.
#[test]
fn transcribe_without_labels_splits_turns_at_long_pauses() {
    let call = parse_one(&corpus!(
        "stt-samples-bbc-react-transcript-editor/amazon-transcribe/amazonTranscribe.sample.json"
    ));
    assert_eq!(call.turns.len(), 31);
    assert!(
        call.turns
            .iter()
            .all(|t| t.speaker_label.is_empty() && t.speaker == Speaker::Unknown)
    );
    assert!(
        call.turns[0]
            .text
            .starts_with("There was a day about ten years ago when I asked a friend")
    );
    assert_eq!(
        (call.turns[0].start_s, call.turns[0].end_s),
        (Some(13.03), Some(19.55))
    );
    assert!(
        call.turns[30]
            .text
            .ends_with("their reflections of our own humanity. Thank you")
    );
    assert_eq!(call.turns[30].end_s, Some(705.995));
}

// ---------------------------------------------------------------------------------------------
// Amazon Connect Contact Lens and Transcribe Call Analytics

/// Reads a Contact Lens documentation example after undoing its documented defect, in a temp
/// copy: example 1 has one stray closing `}` at the end, example 2 has a `//` comment. The
/// originals are rejected (see `documentation_examples_that_are_not_json_are_rejected_with_position`).
fn repaired_contact_lens(name: &str) -> (Call, serde_json::Value) {
    let path = corpus_path(&format!("aws-docs-contact-lens-examples/{name}"));
    let text = std::fs::read_to_string(&path).unwrap();
    let repaired = if name.contains("example1") {
        let end = text
            .trim_end()
            .strip_suffix('}')
            .expect("the stray brace is the last character");
        end.to_string()
    } else {
        text.lines()
            .map(|l| l.split(" // ").next().unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("contact-lens.json");
    std::fs::write(&copy, &repaired).unwrap();
    let vendor: serde_json::Value = serde_json::from_str(&repaired).expect("valid once repaired");
    (parse_one(&copy), vendor)
}

fn corpus_path(rel: &str) -> PathBuf {
    corpora().expect("callers check corpora() first").join(rel)
}

/// The tolerance of fcrscan's talk time against Contact Lens's: 1 % of the vendor's figure.
/// Contact Lens measures talk time inside its turns; fcrscan, without word times in the file,
/// takes the turns' begin and end: agent 15.150 s vs 15.079 s (0.5 %), customer 13.640 s vs
/// 13.619 s (0.2 %).
const TALK_TIME_TOLERANCE: f64 = 0.01;
/// Talk speed depends on that talk time: 237.6 vs 239 wpm (0.6 %), 162.8 vs 163 wpm (0.1 %).
const TALK_SPEED_TOLERANCE: f64 = 0.02;

/// aws-docs-contact-lens-examples/voice-post-call-analysis.example1.jsonc and
/// .redacted.example2.jsonc (Amazon Connect admin guide, `contact-lens-example-output-files.md`):
/// `ParticipantId` joined to `Participants[]`, `LoudnessScore` (singular), and the vendor's own
/// `ConversationCharacteristics`, which fcrscan's timing must agree with.
#[test]
fn contact_lens_voice_timing_agrees_with_conversation_characteristics() {
    if corpora().is_none() {
        eprintln!("skipped: ../shared/corpora is not next to this checkout");
        return;
    }
    for name in [
        "voice-post-call-analysis.example1.jsonc",
        "voice-post-call-analysis.redacted.example2.jsonc",
    ] {
        let (call, vendor) = repaired_contact_lens(name);
        assert_eq!(call.format, "aws_contact_lens");
        assert_eq!(call.turns.len(), 10, "{name}");
        assert_eq!(call.turns[0].text, "Okay.");
        assert_eq!(call.turns[9].text, "Thank you. Sir. Have a nice evening.");
        assert_eq!(
            (call.turns[9].start_s, call.turns[9].end_s),
            (Some(30.58), Some(32.11))
        );
        assert_eq!(
            call.turns
                .iter()
                .filter(|t| t.speaker == Speaker::Agent)
                .count(),
            5
        );
        assert_eq!(call.role_source, RoleSource::Given);
        assert_eq!(call.channel.as_deref(), Some("voice"));
        let cc = &vendor["ConversationCharacteristics"];
        assert_eq!(
            call.duration_s,
            Some(cc["TotalConversationDurationMillis"].as_f64().unwrap() / 1000.0)
        );
        let scanned = scan(call);
        assert!(
            !scanned.call.roles_swapped,
            "Contact Lens roles are not second-guessed"
        );
        let t = &scanned.timing;
        for (role, ours, speed) in [
            ("AGENT", t.talk_time_agent_s, t.talk_speed_agent),
            ("CUSTOMER", t.talk_time_customer_s, t.talk_speed_customer),
        ] {
            let vendor_s = cc["TalkTime"]["DetailsByParticipant"][role]["TotalTimeMillis"]
                .as_f64()
                .unwrap()
                / 1000.0;
            assert!(
                close(ours, vendor_s, vendor_s * TALK_TIME_TOLERANCE),
                "{name} {role} talk time {ours:?} vs {vendor_s}"
            );
            let vendor_wpm = cc["TalkSpeed"]["DetailsByParticipant"][role]["AverageWordsPerMinute"]
                .as_f64()
                .unwrap();
            assert!(
                close(speed, vendor_wpm, vendor_wpm * TALK_SPEED_TOLERANCE),
                "{name} {role} talk speed {speed:?} vs {vendor_wpm}"
            );
        }
        assert_eq!(
            t.overtalk_count,
            Some(cc["Interruptions"]["TotalCount"].as_u64().unwrap() as u32)
        );
        assert_eq!(
            t.non_talk_time_s,
            Some(cc["NonTalkTime"]["TotalTimeMillis"].as_f64().unwrap() / 1000.0)
        );
    }
}

/// aws-docs-contact-lens-examples/chat-analysis.example1.json (`contact-lens-example-output-files-chat.md`):
/// chat turns with `AbsoluteTime`, `ParticipantRole`, events to skip and SYSTEM messages.
#[test]
fn contact_lens_chat_has_wall_clock_times_and_a_first_response() {
    let call = parse_one(&corpus!(
        "aws-docs-contact-lens-examples/chat-analysis.example1.json"
    ));
    assert_eq!(
        call.call_id, "b49644f6-672f-445c-b209-f76b36482830",
        "CustomerMetadata.ContactId"
    );
    assert_eq!(call.channel.as_deref(), Some("chat"));
    // 35 transcript items, 4 of them events (joined, joined, left, ended).
    assert_eq!(call.turns.len(), 31);
    assert_eq!(call.turns[0].speaker_label, "SYSTEM");
    assert_eq!(call.turns[0].speaker, Speaker::Unknown);
    assert_eq!(
        call.turns[3].text,
        "Hello, thanks for reaching Example Corp. This is Jane. How may I help you?"
    );
    assert_eq!(call.turns[3].speaker, Speaker::Agent);
    assert_eq!(call.turns[30].text, "Ok great! Have a great day.");
    // 2022-10-27T03:31:50.735Z, the first item (the customer joining).
    assert_eq!(call.started_at_us, Some(1_666_841_510_735_000));
    let scanned = scan(call);
    // Customer's first message 03:32:08.102, the agent's next message 03:32:24.123.
    assert!(
        close(scanned.timing.first_response_s, 16.021, 1e-6),
        "{:?}",
        scanned.timing.first_response_s
    );
    assert_eq!(
        scanned.timing.talk_time_agent_s, None,
        "chat messages have no duration"
    );
}

/// Our own Call Analytics post-call fixture (tests/data/formats/aws/c-5001.json): the documented
/// shape with `ParticipantRole`, `Items[]` and `LoudnessScores` (the corpora only hold an
/// elided excerpt, which is not JSON). Its roles come from the job's channel definitions, so
/// they are checked for a swap.
#[test]
fn call_analytics_turns_words_and_roles() {
    let call = parse_one(&fixture("aws/c-5001.json"));
    assert_eq!(call.format, "aws_call_analytics");
    assert_eq!(call.call_id, "c-5001");
    assert_eq!(call.turns.len(), 4);
    assert_eq!(call.turns[1].speaker, Speaker::Customer);
    assert!(call.roles_from_channel_map);
    assert_eq!(call.duration_s, Some(16.9));
    // Items are words with confidences: 14 + 16 + 13 + 3 pronunciation items.
    assert_eq!(call.words.len(), 46);
    assert!(
        call.words
            .iter()
            .all(|w| w.confidence == Some(0.96) && w.byte_span.is_some())
    );
    let scanned = scan(call);
    assert!(
        !scanned.call.roles_swapped,
        "the agent says the agent phrases"
    );
    assert!(
        scanned.score.repeat_contact,
        "\"this is the second time I'm calling\""
    );
    // The agent's second turn starts 0.6 s before the customer's first ends: an interruption.
    assert_eq!(
        (
            scanned.timing.overtalk_by_agent,
            scanned.timing.overtalk_by_customer
        ),
        (Some(1), Some(0))
    );
}

/// aws-pca-output-sample/testfile.json (aws-samples/amazon-transcribe-post-call-analytics,
/// `pca-ui/src/lambda/testfile.json`): PCA labels spk_0 the agent, but spk_1 says "Thank you
/// for calling Networks abc technical Support" — the swapped channels PCA users report.
#[test]
fn pca_sample_is_detected_as_swapped_channels() {
    let call = parse_one(&corpus!("aws-pca-output-sample/testfile.json"));
    assert_eq!(call.format, "aws_pca");
    assert_eq!(call.turns.len(), 12);
    assert_eq!(call.turns[0].text, "MM.");
    assert_eq!(
        call.turns[11].text,
        "Do you want me to just tell you the meeting I'd be?"
    );
    assert_eq!(
        call.turns[1].speaker,
        Speaker::Customer,
        "as PCA labelled it"
    );
    assert_eq!(call.duration_s, Some(28.67));
    assert_eq!(call.words.len(), 94);
    let scanned = scan(call.clone());
    assert!(scanned.call.roles_swapped);
    assert_eq!(scanned.call.role_source, RoleSource::Given);
    assert_eq!(scanned.call.turns[1].speaker, Speaker::Agent);
    // PCA's SpeakerTime (spk_0 9.879 s, spk_1 19.56 s) sums word durations that its parsed
    // output no longer has (every WordConfidence has StartTime = EndTime), so fcrscan measures
    // the segments: 11.16 s and 20.16 s. The tolerance here is 15 %, and says only that both
    // measure the same thing.
    let t = &scanned.timing;
    assert!(
        close(t.talk_time_agent_s, 19.56, 19.56 * 0.15),
        "{:?}",
        t.talk_time_agent_s
    );
    assert!(
        close(t.talk_time_customer_s, 9.879, 9.879 * 0.15),
        "{:?}",
        t.talk_time_customer_s
    );
    let trusted = Scanner::new(Lexicon::embedded().unwrap()).map(|mut s| {
        s.roles.trust_channel_map = true;
        s.scan(call, &mut Scratch::new())
    });
    let trusted = trusted.unwrap();
    assert!(!trusted.call.roles_swapped);
    assert!(trusted.call.role_confidence < 0.5);
}

// ---------------------------------------------------------------------------------------------
// Google, Azure, Deepgram, AssemblyAI, Rev.ai

/// stt-samples-bbc-react-transcript-editor/google-stt/gcpSttSpeakerDiarization.sample.json:
/// `{seconds, nanos}` times; the last result repeats all 1,766 words with `speakerTag` (the
/// earlier 56 results hold 1,764 untagged words), so only it is read.
#[test]
fn google_diarization_reads_the_last_result_only() {
    let call = parse_one(&corpus!(
        "stt-samples-bbc-react-transcript-editor/google-stt/gcpSttSpeakerDiarization.sample.json"
    ));
    assert_eq!(call.format, "google_stt");
    assert_eq!(labels(&call), ["spk_2", "spk_1", "spk_2"]);
    assert_eq!(call.turns[1].text, "I'm sure");
    assert!(
        call.turns[0]
            .text
            .starts_with("There was a day about 10 years ago")
    );
    assert!(
        call.turns[2]
            .text
            .ends_with("of our own Humanity Thank you.")
    );
    assert_eq!(
        (call.turns[0].start_s, call.turns[2].end_s),
        (Some(12.9), Some(706.0))
    );
    assert_eq!(call.words.len(), 1766);
}

/// stt-samples-bbc-react-transcript-editor/google-stt/gcpStt2022.sample.json: `"13.300s"` times,
/// per-word confidence, no diarization: one turn per result.
#[test]
fn google_string_times_and_one_turn_per_result() {
    let call = parse_one(&corpus!(
        "stt-samples-bbc-react-transcript-editor/google-stt/gcpStt2022.sample.json"
    ));
    assert_eq!(call.turns.len(), 57);
    assert!(
        call.turns[0]
            .text
            .starts_with("there was a day about 10 years ago when I asked a friend to")
    );
    assert_eq!(call.turns[0].start_s, Some(12.9));
    assert_eq!(call.turns[56].text, "thank you");
    assert_eq!(call.turns[56].end_s, Some(706.0));
    assert_eq!(call.words[0].confidence, Some(0.987_629_06));
    assert_eq!(call.language_tag.as_deref(), Some("en-us"));
}

/// azure-docs-batch-transcription-example/contenturl_0.example.json (Microsoft Learn,
/// `batch-transcription-get.md`): ticks, `nBest[0].display`, `displayWords`.
#[test]
fn azure_batch_result_uses_ticks_and_the_best_display_text() {
    let call = parse_one(&corpus!(
        "azure-docs-batch-transcription-example/contenturl_0.example.json"
    ));
    assert_eq!(call.format, "azure_batch");
    assert_eq!(
        call.call_id, "contenturl_0.example",
        "source is a placeholder, so the file name"
    );
    assert_eq!(texts(&call), ["Hello world."]);
    assert_eq!(
        (call.turns[0].start_s, call.turns[0].end_s),
        (Some(0.76), Some(2.08))
    );
    assert_eq!(call.turns[0].confidence, Some(0.564_333_8));
    assert_eq!(call.duration_s, Some(2.58));
    assert_eq!(
        call.words.iter().map(|w| w.byte_span).collect::<Vec<_>>(),
        [Some((0, 5)), Some((6, 12))]
    );
}

/// deepgram-python-sdk-fixture/listen-rest-nova3-response.json (deepgram-python-sdk test data):
/// one channel, no diarization, `punctuated_word`; the longest pause is 0.27 s, so one turn.
#[test]
fn deepgram_words_with_punctuation_make_one_turn() {
    let path = corpus!("deepgram-python-sdk-fixture/listen-rest-nova3-response.json");
    let call = parse_one(&path);
    let vendor: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(call.format, "deepgram");
    assert_eq!(call.turns.len(), 1);
    assert_eq!(
        call.turns[0].text,
        vendor["results"]["channels"][0]["alternatives"][0]["transcript"]
            .as_str()
            .unwrap()
    );
    assert_eq!(
        (call.turns[0].start_s, call.turns[0].end_s),
        (Some(0.32), Some(18.592875))
    );
    assert_eq!(call.turns[0].word_count, Some(52));
    assert_eq!(call.duration_s, Some(19.097937));
}

/// stt-samples-bbc-react-transcript-editor/assemblyai/assembly_example.json: utterances with
/// letter speakers and integer milliseconds; a customer-service call, so the roles are inferred.
#[test]
fn assemblyai_utterances_in_milliseconds_and_inferred_roles() {
    let call = parse_one(&corpus!(
        "stt-samples-bbc-react-transcript-editor/assemblyai/assembly_example.json"
    ));
    assert_eq!(call.format, "assemblyai");
    assert_eq!(labels(&call), ["A", "B", "A"]);
    assert!(call.turns[0].text.starts_with("Thank you for calling."));
    assert!(
        call.turns[2]
            .text
            .ends_with("the shipping address and the email address on the account?")
    );
    assert_eq!(
        (call.turns[0].start_s, call.turns[2].end_s),
        (Some(1.1), Some(40.16))
    );
    assert_eq!(call.duration_s, Some(40.0));
    let scanned = scan(call);
    assert_eq!(scanned.call.role_source, RoleSource::Inferred);
    assert_eq!(
        scanned
            .call
            .turns
            .iter()
            .map(|t| t.speaker)
            .collect::<Vec<_>>(),
        [Speaker::Agent, Speaker::Customer, Speaker::Agent]
    );
}

/// revai-python-sdk-fixture/transcript.json (revai-python-sdk `tests/resources`): monologues of
/// `text` and `punct` elements; punct elements carry the spaces and have no times.
#[test]
fn revai_monologues_keep_their_own_spacing() {
    let call = parse_one(&corpus!("revai-python-sdk-fixture/transcript.json"));
    assert_eq!(call.format, "revai");
    assert_eq!(labels(&call), ["spk_0", "spk_0"]);
    assert!(
        call.turns[0]
            .text
            .starts_with("Hi, my name's Jack resinger. And I'm gonna be talk")
    );
    assert!(
        call.turns[1]
            .text
            .ends_with("you invest that time, then you know, the dividends pay off.")
    );
    assert_eq!(
        (call.turns[0].start_s, call.turns[0].end_s),
        (Some(0.3), Some(43.62))
    );
    assert_eq!(call.turns[1].end_s, Some(106.33));
    assert_eq!(call.words.len(), 164 + 250);
    assert!(call.words.iter().all(|w| w.byte_span.is_some()));
    assert_eq!(
        scan(call).call.role_source,
        RoleSource::Unknown,
        "one speaker: no roles to infer"
    );
}

// ---------------------------------------------------------------------------------------------
// Harper Valley: role inference against known roles

/// harper-valley-bank-calls/transcript/*.json (Gridspace-Stanford Harper Valley, five calls):
/// the recordings keep the caller on channel 1 and the agent on channel 2, and every segment
/// says `speaker_role`. Here the roles are removed, leaving `ch_1`/`ch_2`, and inferred from
/// what is said; they must match the known roles on every turn of every call.
#[test]
fn harper_valley_roles_are_inferred_from_the_conversation_alone() {
    let dir = corpus!("harper-valley-bank-calls/transcript");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 5);
    // Turns per call: segments minus those holding only [noise] or [laughter].
    let expected_turns = [17, 13, 15, 15, 8];
    for (path, turns) in files.iter().zip(expected_turns) {
        let known = parse_one(path);
        assert_eq!(known.format, "gridspace");
        assert_eq!(known.turns.len(), turns, "{}", path.display());
        assert!(
            known
                .turns
                .iter()
                .all(|t| (t.speaker_label == "ch_2") == (t.speaker == Speaker::Agent)),
            "channel 2 is the agent"
        );
        let mut blind = known.clone();
        for t in &mut blind.turns {
            t.speaker = Speaker::Unknown;
        }
        blind.role_source = RoleSource::Unknown;
        blind.roles_from_channel_map = false;
        let scanned = scan(blind);
        assert_eq!(
            scanned.call.role_source,
            RoleSource::Inferred,
            "{}",
            path.display()
        );
        let got: Vec<Speaker> = scanned.call.turns.iter().map(|t| t.speaker).collect();
        let want: Vec<Speaker> = known.turns.iter().map(|t| t.speaker).collect();
        assert_eq!(got, want, "{}", path.display());
        assert!(
            scanned.call.role_confidence > 0.75,
            "{}: {}",
            path.display(),
            scanned.call.role_confidence
        );
        // And the given roles pass the swap check untouched.
        assert!(!scan(known).call.roles_swapped);
    }
}

// ---------------------------------------------------------------------------------------------
// Our own fixtures: Whisper, whisperX, subtitles, CSV, per-channel files, compression

/// tests/data/formats/whisper/billing-0001.json: Whisper CLI JSON of a mono recording (no
/// speakers), `language` written as a name.
#[test]
fn whisper_json_segments_words_and_language_name() {
    let call = parse_one(&fixture("whisper/billing-0001.json"));
    assert_eq!(call.format, "whisper_json");
    assert_eq!(call.turns.len(), 6);
    assert_eq!(
        call.turns[0].text,
        "thank you for calling northwind energy this is priya how can i help you today"
    );
    assert_eq!(
        (call.turns[5].start_s, call.turns[5].end_s),
        (Some(25.4), Some(27.0))
    );
    assert_eq!(
        call.language_tag.as_deref(),
        Some("en"),
        "\"english\" becomes a code"
    );
    assert!(
        call.words.iter().all(|w| w.byte_span.is_some()),
        "Whisper's leading spaces do not break alignment"
    );
    assert_eq!(
        scan(call).call.role_source,
        RoleSource::Unknown,
        "one unlabelled voice: roles unknown"
    );
}

/// tests/data/formats/whisperx/c-3001.json: diarized segments; the numerals `48213,` and
/// `2,500` have no times or score (whisperX cannot align digits).
#[test]
fn whisperx_speakers_and_words_without_times() {
    let call = parse_one(&fixture("whisperx/c-3001.json"));
    assert_eq!(call.format, "whisperx_json");
    assert_eq!(
        labels(&call),
        [
            "SPEAKER_01",
            "SPEAKER_00",
            "SPEAKER_01",
            "SPEAKER_00",
            "SPEAKER_01",
            "SPEAKER_00"
        ]
    );
    assert_eq!(
        call.words
            .iter()
            .filter(|w| w.start_s.is_none() && w.confidence.is_none())
            .count(),
        2
    );
    let scanned = scan(call);
    assert_eq!(scanned.call.turns[0].speaker, Speaker::Agent);
    assert_eq!(scanned.call.turns[1].speaker, Speaker::Customer);
    assert!(scanned.score.repeat_contact, "\"I already called twice\"");
}

/// `--min-confidence`: the whisperX fixture's word scores are 0.85 to 0.91, so at 0.95 the
/// customer's repeat-contact cue is kept in the hits table, marked, but raises no flag.
#[test]
fn hits_below_min_confidence_are_kept_but_do_not_count() {
    let ws = Workspace::new();
    let input = fixture("whisperx/c-3001.json");
    for (out, min, counted) in [("plain", None, true), ("strict", Some("0.95"), false)] {
        let mut args = vec!["scan", input.to_str().unwrap(), "--out", out, "-q"];
        if let Some(m) = min {
            args.extend(["--min-confidence", m]);
        }
        let o = ws.run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let call = &by_call_id(read_table(&ws.path(out), "calls"))["c-3001"];
        assert_eq!(call["repeat_contact"].bool(), counted, "{out}");
        let hits = read_table(&ws.path(out), "hits");
        let repeat = hits
            .iter()
            .find(|h| h["category"].str() == "repeat_contact")
            .expect("the hit is always written");
        assert_eq!(repeat["counted"].bool(), counted, "{out}");
        let conf = repeat["asr_confidence"]
            .float()
            .expect("word scores give the hit a confidence");
        assert!((0.85..=0.91).contains(&conf), "{conf}");
    }
}

/// tests/data/formats/subtitles/c-4001.srt (whisperX-style `[SPEAKER_00]:` prefixes, cues over
/// two lines) and c-4002.vtt (WebVTT voice spans naming the roles, markup, a NOTE block).
#[test]
fn srt_and_webvtt_cues_with_speakers() {
    let srt = parse_one(&fixture("subtitles/c-4001.srt"));
    assert_eq!(srt.format, "srt");
    assert_eq!(srt.turns.len(), 6);
    assert_eq!(
        srt.turns[1].text,
        "Hi, um, I booked a flight change last week and I still haven't got the confirmation email."
    );
    assert_eq!(srt.turns[1].speaker_label, "SPEAKER_01");
    assert_eq!(
        (srt.turns[4].start_s, srt.turns[4].end_s),
        (Some(18.9), Some(23.3))
    );
    assert_eq!(scan(srt).call.turns[0].speaker, Speaker::Agent);

    let vtt = parse_one(&fixture("subtitles/c-4002.vtt"));
    assert_eq!(vtt.format, "webvtt");
    assert_eq!(vtt.turns.len(), 4);
    assert_eq!(
        vtt.turns[1].text,
        "Hola, mire, ya llamé ayer por lo de la factura y sigue igual."
    );
    assert_eq!(vtt.turns[1].speaker, Speaker::Customer);
    assert_eq!(vtt.role_source, RoleSource::Given);
    assert_eq!(
        (vtt.turns[0].start_s, vtt.turns[0].end_s),
        (Some(0.3), Some(3.8))
    );
}

/// tests/data/formats/csv/turns.csv (two calls interleaved, times in ms, a quoted field with
/// doubled quotes, a row without call_id) and turns.tsv (other column names, `hh:mm:ss` times,
/// rows out of order with a turn column).
#[test]
fn csv_and_tsv_turn_tables() {
    let results = parse_with(&fixture("csv/turns.csv"), &IngestOptions::default());
    assert_eq!(results.len(), 3);
    let c1 = results[0].as_ref().unwrap();
    assert_eq!(
        (c1.call_id.as_str(), c1.turns.len(), c1.source.line),
        ("c-5101", 4, Some(2))
    );
    assert_eq!(c1.customer_id.as_deref(), Some("cust-310"));
    assert_eq!(c1.queue.as_deref(), Some("billing"));
    assert_eq!(
        (c1.turns[1].start_s, c1.turns[1].end_s),
        (Some(3.1), Some(8.4))
    );
    assert_eq!(c1.turns[3].text, "ok thanks");
    let c2 = results[1].as_ref().unwrap();
    assert_eq!(
        c2.turns[1].text,
        "my router keeps rebooting, \"again\", since the update"
    );
    let reject = results[2].as_ref().unwrap_err();
    assert_eq!(
        (reject.source.line, reject.reason.code()),
        (Some(7), "missing_call_id")
    );

    let tsv = parse_one(&fixture("csv/turns.tsv"));
    assert_eq!(tsv.call_id, "c-5201");
    assert_eq!(
        texts(&tsv),
        [
            "thanks for calling, who am I speaking with?",
            "it says my payment failed twice",
            "sorry about that, let me take a look"
        ]
    );
    assert_eq!(tsv.turns[1].speaker, Speaker::Customer, "Caller");
    assert_eq!(tsv.turns[0].start_s, Some(0.4));
}

/// tests/data/formats/per-channel/: one Whisper file per channel of two stereo calls,
/// c-2001.agent/.customer (roles by name) and c-2002_ch0/_ch1 (numbered; the agent is channel 1).
#[test]
fn per_channel_files_merge_into_one_call_interleaved_by_time() {
    let ws = Workspace::new();
    let out = ws.path("out");
    let o = ws.run(&[
        "scan",
        fixture("per-channel").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--transcripts",
        "all",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let calls = by_call_id(read_table(&out, "calls"));
    assert_eq!(calls.keys().collect::<Vec<_>>(), ["c-2001", "c-2002"]);
    assert_eq!(calls["c-2001"]["turns"].int(), 8);
    assert_eq!(calls["c-2001"]["role_source"].str(), "channel_map");
    assert!(
        calls["c-2001"]["repeat_contact"].bool(),
        "\"this is the third time i'm calling\""
    );
    assert!(
        calls["c-2001"]["escalation"].bool(),
        "\"i want to speak to a manager\""
    );
    assert_eq!(calls["c-2002"]["role_source"].str(), "inferred");
    let turns = read_table(&out, "turns");
    let c2001: Vec<(&str, &str)> = turns
        .iter()
        .filter(|t| t["call_id"].str() == "c-2001")
        .map(|t| (t["speaker"].str(), t["speaker_label"].str()))
        .collect();
    assert_eq!(
        c2001[..3],
        [
            ("agent", "agent"),
            ("customer", "customer"),
            ("agent", "agent")
        ]
    );
    let c2002: Vec<(&str, &str)> = turns
        .iter()
        .filter(|t| t["call_id"].str() == "c-2002")
        .map(|t| (t["speaker"].str(), t["speaker_label"].str()))
        .collect();
    assert_eq!(c2002[..2], [("agent", "ch_1"), ("customer", "ch_0")]);

    // --agent-channel 1 maps the numbered channels without inference.
    let out2 = ws.path("out2");
    let o = ws.run(&[
        "scan",
        fixture("per-channel").to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
        "--agent-channel",
        "1",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        by_call_id(read_table(&out2, "calls"))["c-2002"]["role_source"].str(),
        "channel_map"
    );

    // An empty --channel-file-pattern reads every file as its own call.
    let out3 = ws.path("out3");
    let o = ws.run(&[
        "scan",
        fixture("per-channel").to_str().unwrap(),
        "--out",
        out3.to_str().unwrap(),
        "--channel-file-pattern",
        "",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read_table(&out3, "calls").len(), 4);
}

/// A per-channel call whose customer file is broken is not written at all.
#[test]
fn a_broken_channel_file_rejects_the_whole_call() {
    let ws = Workspace::new();
    ws.write(
        "in/c9.agent.json",
        std::fs::read(fixture("per-channel/c-2001.agent.json")).unwrap(),
    );
    ws.write("in/c9.customer.json", "{\"segments\": [");
    let o = ws.run(&["scan", "in", "--out", "out", "-q"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(read_table(&ws.path("out"), "calls").is_empty());
    let rejects = read_table(&ws.path("out"), "rejects");
    let reasons: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r["source_file"].str(), r["reason_code"].str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("in/c9.agent.json", "invalid_field"),
            ("in/c9.customer.json", "invalid_json")
        ]
    );
}

/// Vendor files compressed with zstd and gzip are read by content, like plain ones.
#[test]
fn zstd_and_gzip_vendor_files_are_read() {
    use std::io::Write;
    let ws = Workspace::new();
    let whisper = std::fs::read(fixture("whisper/billing-0001.json")).unwrap();
    ws.write(
        "in/billing-0001.json.zst",
        zstd::encode_all(&whisper[..], 3).unwrap(),
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(fixture("csv/turns.tsv")).unwrap())
        .unwrap();
    ws.write("in/turns.tsv.gz", gz.finish().unwrap());
    let o = ws.run(&["scan", "in", "--out", "out", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    assert_eq!(calls["billing-0001"]["format"].str(), "whisper_json");
    assert_eq!(calls["billing-0001"]["turns"].int(), 6);
    assert_eq!(calls["c-5201"]["format"].str(), "csv_turns");
}

/// What Excel saves as "CSV" in a locale whose decimal separator is a comma (German, here):
/// semicolons between the columns, a byte order mark, CRLF lines. A phrase table, a metadata
/// file and a turn table saved so are read like their comma-separated forms.
#[test]
fn semicolon_separated_spreadsheet_exports_are_read() {
    let ws = Workspace::new();
    let excel = |rows: &[&str]| format!("\u{feff}{}\r\n", rows.join("\r\n"));
    ws.write(
        "phrases.csv",
        excel(&[
            "phrase;category;language",
            "\"schon; wieder angerufen\";repeat_contact;de",
            "ich habe schon angerufen;repeat_contact;de",
            "vorgesetzten;escalation;de",
        ]),
    );
    ws.write(
        "meta.csv",
        excel(&[
            "call_id;customer_id;started_at;queue",
            "k-1;kunde-7;2026-11-02 10:00:00;rechnung",
        ]),
    );
    ws.write(
        "in/k-1.csv",
        excel(&[
            "call_id;speaker;text",
            "k-1;Agent;Guten Tag, wie kann ich helfen?",
            "k-1;Kunde;Ich habe schon angerufen, bitte den Vorgesetzten",
        ]),
    );
    let o = ws.run(&[
        "scan",
        "in",
        "--phrases",
        "phrases.csv",
        "--metadata",
        "meta.csv",
        "--out",
        "out",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    let call = &calls["k-1"];
    assert_eq!(call["format"].str(), "csv_turns");
    assert_eq!(call["customer_id"].str(), "kunde-7");
    assert_eq!(call["queue"].str(), "rechnung");
    assert!(call["repeat_contact"].bool() && call["escalation"].bool());
    let listed = ws.run(&["phrases", "list", "phrases.csv"]);
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    // The quoted phrase with a semicolon in it is one phrase.
    assert!(listed.contains("de\trepeat_contact\t2"), "{listed}");
}

/// A US metadata export re-saved in Excel: month-first slashed dates and a 12-hour clock, local
/// time in New York. One night's dates do not settle the order, so the run asks for it.
#[test]
fn a_metadata_export_resaved_in_a_spreadsheet_is_read_in_its_locale() {
    let ws = Workspace::new();
    ws.write(
        "in/calls.jsonl",
        r#"{"call_id":"n1","language":"en","turns":[{"speaker":"customer","text":"hello"}]}"#,
    );
    ws.write(
        "meta.csv",
        "Contact ID,Customer,Call Start\r\nn1,cust-1,11/2/2026 11:30 PM\r\n",
    );
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "in",
            "--metadata",
            "meta.csv",
            "--timezone",
            "America/New_York",
            "--out",
            "out",
            "-q",
        ];
        args.extend(extra);
        ws.run(&args)
    };
    let o = scan(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "meta.csv:2: started_at \"11/2/2026 11:30 PM\" could be read month first or day first"
        ),
        "{}",
        stderr(&o)
    );
    let o = scan(&["--date-order", "month-first"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let call = &by_call_id(read_table(&ws.path("out"), "calls"))["n1"];
    // 23:30 EST on 2 November is 04:30 UTC on the 3rd; the call date is New York's.
    let expected = fcrscan::ingest::time::parse_rfc3339_us("2026-11-03T04:30:00Z").unwrap();
    assert_eq!(call["started_at"].int(), expected);
    assert_eq!(call["call_date"].str(), "2026-11-02");
    assert_eq!(call["customer_id"].str(), "cust-1");
    let m = crate::util::manifest(&ws.path("out"));
    assert_eq!(m["settings"]["date_order"], "month-first", "{m}");
}

/// A turn table re-saved in a spreadsheet: its start dates in the locale's form, read like a
/// metadata file's (dotted day-first; slashed, with `--date-order` when the file does not
/// settle it).
#[test]
fn a_turn_table_resaved_in_a_spreadsheet_keeps_its_start_times() {
    let ws = Workspace::new();
    ws.write(
        "in/de.csv",
        "\u{feff}call_id;speaker;text;started_at\r\nk1;Agent;Hallo;02.11.2026 10:00\r\nk1;Kunde;Ich habe schon angerufen;02.11.2026 10:00\r\n",
    );
    ws.write(
        "in/us.csv",
        "call_id,speaker,text,started_at\nu1,Agent,Hello,11/2/2026 2:05 PM\nu1,Customer,I already called,11/2/2026 2:05 PM\n",
    );
    let o = ws.run(&["scan", "in", "--out", "out", "-q"]);
    assert_eq!(o.status.code(), Some(3), "the US file's date is ambiguous");
    let rejects = read_table(&ws.path("out"), "rejects");
    assert_eq!(rejects.len(), 1);
    assert!(
        rejects[0]["reason"].str().contains("--date-order"),
        "{:?}",
        rejects[0]
    );
    let o = ws.run(&[
        "scan",
        "in",
        "--out",
        "out",
        "-q",
        "--date-order",
        "month-first",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    let at = |s: &str| fcrscan::ingest::time::parse_rfc3339_us(s).unwrap();
    assert_eq!(calls["k1"]["started_at"].int(), at("2026-11-02T10:00:00Z"));
    assert_eq!(calls["u1"]["started_at"].int(), at("2026-11-02T14:05:00Z"));
}

/// A night's directory often holds its metadata export beside the transcripts. Named with
/// `--metadata`, it is not also read as a transcript (a turn table without a text column,
/// which was rejected every night and made the run exit 3).
#[test]
fn the_metadata_file_beside_the_transcripts_is_not_read_as_one() {
    let ws = Workspace::new();
    ws.write(
        "night/calls.jsonl",
        r#"{"call_id":"m1","language":"en","turns":[{"speaker":"customer","text":"hello"}]}"#,
    );
    ws.write(
        "night/metadata.csv",
        "call_id,customer_id,started_at\nm1,cust-1,2026-11-02 10:00:00\n",
    );
    let o = ws.run(&[
        "scan",
        "night",
        "--metadata",
        "night/metadata.csv",
        "--out",
        "out",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = crate::util::manifest(&ws.path("out"));
    assert_eq!(m["counts"]["files"], 1, "{m}");
    assert_eq!(m["counts"]["records_rejected"], 0, "{m}");
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    assert_eq!(calls["m1"]["customer_id"].str(), "cust-1");
}

/// Transcripts named after their calls in upper case, an export's ids in lower case: ids are
/// compared as written, and the run's summary names the near misses so the join can be fixed.
#[test]
fn call_ids_that_differ_from_a_metadata_row_only_in_case_are_named() {
    let ws = Workspace::new();
    ws.write(
        "night/CALL-001.txt",
        "Agent: Hello, how can I help?\nCustomer: I called last week\n",
    );
    ws.write("night/call-002.txt", "Agent: Hello\nCustomer: thanks\n");
    ws.write(
        "metadata.csv",
        "call_id,customer_id\ncall-001,u1\ncall-002,u1\n",
    );
    let o = ws.run(&[
        "scan",
        "night",
        "--metadata",
        "metadata.csv",
        "--out",
        "out",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("1 transcript(s) without a row")
            && err.contains("differ from a row's only in case: CALL-001 (row call-001)"),
        "{err}"
    );
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    assert!(calls["CALL-001"]["customer_id"].is_null(), "not joined");
    assert_eq!(calls["call-002"]["customer_id"].str(), "u1");
}

/// Most speech-to-text engines number speakers (`spk_0`, `spk_1`) rather than name roles. A
/// phrase table of customer cues has no agent phrases, so role inference reads the embedded
/// agent cues: the customer is still found, and their repeat-contact cue counts.
#[test]
fn a_phrase_table_still_finds_the_customer_among_numbered_speakers() {
    let ws = Workspace::new();
    ws.write(
        "team.tsv",
        "phrase\tcategory\tlanguage\ni called last week\trepeat_contact\ten\n저번에 전화했\trepeat_contact\tko\n",
    );
    let call = |id: &str, language: &str, agent: &str, customer: &str| {
        format!(
            r#"{{"call_id":"{id}","language":"{language}","turns":[{{"speaker":"spk_0","text":"{agent}"}},{{"speaker":"spk_1","text":"{customer}"}}]}}"#
        )
    };
    ws.write(
        "in/calls.jsonl",
        [
            call(
                "en-1",
                "en",
                "Thank you for calling Acme, how can I help you today?",
                "Hi, I called last week about my bill and it is still wrong",
            ),
            call(
                "ko-1",
                "ko",
                "전화 주셔서 감사합니다, 상담사 김민지입니다. 무엇을 도와드릴까요?",
                "저번에 전화했는데 아직도 해결이 안 됐어요",
            ),
        ]
        .join("\n"),
    );
    let o = ws.run(&["scan", "in", "--phrases", "team.tsv", "--out", "out", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    for id in ["en-1", "ko-1"] {
        assert_eq!(calls[id]["role_source"].str(), "inferred", "{id}");
        assert!(calls[id]["repeat_contact"].bool(), "{id}");
    }
    // The agent cues decide roles only: they are not hits.
    let categories: Vec<String> = read_table(&ws.path("out"), "hits")
        .iter()
        .map(|r| r["category"].str().to_string())
        .collect();
    assert_eq!(categories, ["repeat_contact", "repeat_contact"]);
}

/// tests/data/formats/swapped/c-6001.json: a stereo Transcribe file whose recorder put the
/// customer on channel 0. Read with the usual `--agent-channel 0`, the agent phrases come from
/// the "customer" side, so the roles are swapped; `--trust-channel-map` keeps the map.
#[test]
fn swapped_channels_are_detected_and_trust_keeps_the_map() {
    let ws = Workspace::new();
    let input = fixture("swapped");
    let o = ws.run(&[
        "scan",
        input.to_str().unwrap(),
        "--out",
        "out",
        "--agent-channel",
        "0",
        "--transcripts",
        "all",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let call = &by_call_id(read_table(&ws.path("out"), "calls"))["c-6001"];
    assert!(call["roles_swapped"].bool());
    assert_eq!(call["role_source"].str(), "channel_map");
    assert!(
        call["repeat_contact"].bool(),
        "the real customer's \"the second time I'm calling\" counts"
    );
    let first = read_table(&ws.path("out"), "turns")
        .into_iter()
        .find(|t| t["turn"].int() == 0)
        .unwrap();
    assert_eq!(
        (first["speaker_label"].str(), first["speaker"].str()),
        ("ch_1", "agent")
    );

    let o = ws.run(&[
        "scan",
        input.to_str().unwrap(),
        "--out",
        "trusted",
        "--agent-channel",
        "0",
        "--trust-channel-map",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let call = &by_call_id(read_table(&ws.path("trusted"), "calls"))["c-6001"];
    assert!(!call["roles_swapped"].bool());
    assert!(
        !call["repeat_contact"].bool(),
        "the map says channel 0, the real customer, is the agent"
    );
    assert!(call["role_confidence"].float().unwrap() < 0.5);
}

// ---------------------------------------------------------------------------------------------
// Metadata join and --call-id-from, two nights

/// The columns that must be the same whether the calls came as engine output plus metadata or
/// as canonical JSON Lines: everything but where they came from, how roles were decided and
/// timing (measured from words in engine output, from turns in canonical JSON).
const SAME_COLUMNS: &[&str] = &[
    "call_id",
    "call_date",
    "customer_id",
    "agent_id",
    "queue",
    "channel",
    "started_at",
    "duration_s",
    "language",
    "turns",
    "repeat_contact",
    "repeat_contact_hits",
    "escalation",
    "escalation_hits",
    "sentiment",
    "sentiment_agent",
    "sentiment_start",
    "sentiment_end",
    "negative_hits",
    "positive_hits",
    "first_repeat_cue_s",
    "topics",
];

/// tests/data/formats/nights/: two nights of engine output (per-channel Whisper and SRT on
/// 2026-11-02; whisperX and Deepgram on 2026-11-03) named `YYYYMMDD_<call_id>…`, a metadata CSV
/// with the contact-center's own column names, and the same four calls as canonical JSON Lines.
/// Scanned night by night into one dataset, both give the same calls, and the same FCR
/// contacts when linking is there to compare.
#[test]
fn metadata_and_call_id_from_give_the_same_calls_as_canonical_jsonl() {
    let ws = Workspace::new();
    let nights = fixture("nights");
    let meta = nights.join("metadata.csv");
    for night in ["2026-11-02", "2026-11-03"] {
        let o = ws.run(&[
            "scan",
            nights.join(night).to_str().unwrap(),
            "--out",
            "engine",
            "--metadata",
            meta.to_str().unwrap(),
            "--column",
            "call_id=ContactId",
            "--column",
            "customer_id=CustomerNumber",
            "--column",
            "started_at=StartTime",
            "--metadata-keep",
            "Region",
            "--call-id-from",
            r"^\d{8}_(?P<call_id>c-\d+)",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // The one metadata row no transcript ever uses (c-7999), and the other night's rows.
        assert!(
            stderr(&o).contains("0 transcript(s) without a row, 3 row(s) without a transcript"),
            "{}",
            stderr(&o)
        );
        let o = ws.run(&[
            "scan",
            nights
                .join(format!("canonical-{night}.jsonl"))
                .to_str()
                .unwrap(),
            "--out",
            "canonical",
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let engine = by_call_id(read_table(&ws.path("engine"), "calls"));
    let canonical = by_call_id(read_table(&ws.path("canonical"), "calls"));
    assert_eq!(
        engine.keys().collect::<Vec<_>>(),
        ["c-7001", "c-7002", "c-7003", "c-7004"]
    );
    for (id, row) in &canonical {
        for col in SAME_COLUMNS {
            let (a, b) = (&engine[id][*col], &row[*col]);
            let same = match (a, b) {
                (Value::Float(x), Value::Float(y)) => (x - y).abs() < 1e-4,
                _ => a == b,
            };
            assert!(same, "{id}.{col}: engine {a:?} vs canonical {b:?}");
        }
        assert!(engine[id]["metadata_matched"].bool());
        assert!(
            engine[id]["extra_metadata"]
                .str()
                .starts_with("{\"Region\":")
        );
    }
    assert!(
        engine["c-7003"]["repeat_contact"].bool(),
        "\"I called yesterday about my bill\""
    );
    // FCR linking, when present, must agree too: compare every table besides the scan's own.
    for table in ["contacts", "fcr"] {
        let (e, c) = (
            read_table(&ws.path("engine"), table),
            read_table(&ws.path("canonical"), table),
        );
        let strip = |rows: Vec<Row>| -> Vec<Row> {
            rows.into_iter()
                .map(|mut r| {
                    r.retain(|k, _| {
                        !(k.contains("source")
                            || k.contains("run_id")
                            || k.contains("format")
                            || k.contains("written_at"))
                    });
                    r
                })
                .collect()
        };
        assert_eq!(strip(e), strip(c), "table {table}");
    }
}

// ---------------------------------------------------------------------------------------------
// Rejects, the catalogue, and the whole corpora folder

/// The documentation examples that are not valid JSON become rejects naming the line and the
/// likely cause: Contact Lens voice example 1 (a stray `}` on line 297), example 2 (a `//`
/// comment on line 10), the Call Analytics compiled excerpt (`...` on line 14), the PII
/// examples (a raw line break inside a string, line 9).
#[test]
fn documentation_examples_that_are_not_json_are_rejected_with_position() {
    let cases = [
        (
            "aws-docs-contact-lens-examples/voice-post-call-analysis.example1.jsonc",
            "line 297",
            "stray bracket",
        ),
        (
            "aws-docs-contact-lens-examples/voice-post-call-analysis.redacted.example2.jsonc",
            "line 10",
            "comments",
        ),
        (
            "aws-docs-transcribe-examples/call-analytics-post-call-output.compiled-excerpt.txt",
            "line 14",
            "elided",
        ),
        (
            "aws-docs-transcribe-examples/call-analytics-post-call-output.snippets.txt",
            "line 1",
            "fragment",
        ),
        (
            "aws-docs-transcribe-examples/pii-redaction-batch-output.example1.txt",
            "line 9",
            "line break",
        ),
    ];
    for (rel, at, why) in cases {
        let results = parse_with(&corpus!(rel), &IngestOptions::default());
        let reject = results[0].as_ref().expect_err(rel);
        let shown = reject.reason.to_string();
        assert_eq!(reject.reason.code(), "invalid_json", "{rel}: {shown}");
        assert!(shown.contains(at) && shown.contains(why), "{rel}: {shown}");
    }
    let streaming = parse_with(
        &corpus!("aws-docs-transcribe-examples/pii-redaction-streaming-event.example1.json"),
        &IngestOptions::default(),
    );
    assert!(
        streaming[0]
            .as_ref()
            .unwrap_err()
            .reason
            .to_string()
            .contains("streaming event")
    );
}

#[test]
fn formats_lists_every_format_name() {
    let o = Workspace::new().run(&["formats", "--names"]);
    assert_eq!(o.status.code(), Some(0));
    let names: Vec<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    for name in [
        "canonical_json",
        "text",
        "aws_transcribe",
        "aws_call_analytics",
        "aws_contact_lens",
        "aws_pca",
        "whisper_json",
        "whisperx_json",
        "srt",
        "webvtt",
        "google_stt",
        "azure_batch",
        "deepgram",
        "assemblyai",
        "revai",
        "csv_turns",
        "gridspace",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    let o = Workspace::new().run(&["scan", "x", "--out", "o", "--format", "mp3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--format \"mp3\""), "{}", stderr(&o));
}

/// `fcrscan scan ../shared/corpora`: every transcript file in a supported format is read, the
/// rest are rejected with reasons, nothing crashes, and each vendor format appears.
#[test]
fn the_corpora_folder_scans_without_a_crash_and_shows_each_format() {
    let dir = corpus!("");
    let ws = Workspace::new();
    let o = ws.run(&["scan", dir.to_str().unwrap(), "--out", "out", "-q"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "finished with rejects: {}",
        stderr(&o)
    );
    let calls = read_table(&ws.path("out"), "calls");
    let mut per_format = std::collections::BTreeMap::new();
    for c in &calls {
        *per_format.entry(c["format"].str().to_string()).or_insert(0) += 1;
    }
    let expected = [
        ("assemblyai", 1),
        ("aws_contact_lens", 1), // chat example 1; example 2 is the same contact, redacted
        ("aws_pca", 1),
        ("aws_transcribe", 4),
        ("azure_batch", 1),
        ("deepgram", 1),
        ("google_stt", 2),
        ("gridspace", 5),
        ("revai", 1),
    ];
    for (format, n) in expected {
        assert_eq!(per_format.get(format), Some(&n), "{format}: {per_format:?}");
    }
    // Turn tables: the MultiDoGO and EVI dialogue TSVs (1,413 + 60 dialogues).
    assert_eq!(per_format.get("csv_turns"), Some(&1473));
    let rejects = read_table(&ws.path("out"), "rejects");
    let reason = |file: &str| {
        rejects
            .iter()
            .find(|r| r["source_file"].str().ends_with(file))
            .map(|r| r["reason_code"].str().to_string())
    };
    assert_eq!(
        reason("chat-analysis.redacted.example2.json").as_deref(),
        Some("duplicate_call_id")
    );
    assert_eq!(
        reason("voice-post-call-analysis.example1.jsonc").as_deref(),
        Some("invalid_json")
    );
    assert_eq!(
        reason("report.example.json").as_deref(),
        Some("unsupported_format")
    );
    assert_eq!(
        reason("banking77/test.csv").as_deref(),
        Some("unsupported_format")
    );
    assert_eq!(
        reason("AFINN-en-165.txt").as_deref(),
        Some("unsupported_format")
    );
    assert_eq!(reason("val.json.zip").as_deref(), Some("binary_file"));
    assert!(rejects.iter().all(|r| !r["reason"].str().is_empty()));
}

/// A turns table exported as JSON Lines, one object per turn (a warehouse's JSON export), reads
/// into the same calls and turns as the same table in TSV; lines that are not turns are rejects
/// of their own.
#[test]
fn a_json_lines_table_of_turns_reads_like_the_same_table_in_tsv() {
    let ws = Workspace::new();
    let tsv = std::fs::read_to_string(fixture("csv/turns.tsv")).unwrap();
    let mut rows = tsv.lines().map(|l| l.split('\t').collect::<Vec<_>>());
    let header = rows.next().unwrap();
    let mut jsonl = String::new();
    for row in rows {
        let object: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .zip(&row)
            .map(|(k, v)| {
                // The turn number as a JSON number, as an export writes it.
                let value = match v.parse::<i64>() {
                    Ok(n) => serde_json::Value::from(n),
                    Err(_) => serde_json::Value::from(*v),
                };
                (k.to_string(), value)
            })
            .collect();
        jsonl.push_str(&serde_json::Value::Object(object).to_string());
        jsonl.push('\n');
    }
    let lines = jsonl.lines().count() as i64;
    jsonl.push_str("not json\n");
    jsonl.push_str(r#"{"conversation_id":"","role":"Caller","utterance":"no call"}"#);
    jsonl.push('\n');
    ws.write("tsv/turns.tsv", &tsv);
    ws.write("jsonl/turns.jsonl", &jsonl);

    let o = ws.run(&[
        "scan",
        "tsv",
        "--out",
        "out_tsv",
        "-q",
        "--transcripts",
        "all",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = ws.run(&[
        "scan",
        "jsonl",
        "--out",
        "out_jsonl",
        "-q",
        "--transcripts",
        "all",
    ]);
    assert_eq!(o.status.code(), Some(3), "two rejects\n{}", stderr(&o));
    let rejects: Vec<(i64, String)> = read_table(&ws.path("out_jsonl"), "rejects")
        .iter()
        .map(|r| (r["source_line"].int(), r["reason_code"].str().to_string()))
        .collect();
    assert_eq!(
        rejects,
        [
            (lines + 1, "invalid_json".to_string()),
            (lines + 2, "missing_call_id".to_string())
        ]
    );

    let turns = |out: &str| -> Vec<(String, i64, String, String, Option<f64>, String)> {
        let mut t: Vec<_> = read_table(&ws.path(out), "turns")
            .iter()
            .map(|r| {
                (
                    r["call_id"].str().to_string(),
                    r["turn"].int(),
                    r["speaker"].str().to_string(),
                    r["speaker_label"].str().to_string(),
                    r["start_s"].float(),
                    r["text"].str().to_string(),
                )
            })
            .collect();
        t.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        t
    };
    let from_tsv = turns("out_tsv");
    assert!(!from_tsv.is_empty());
    assert_eq!(turns("out_jsonl"), from_tsv);
    let calls = |out: &str| -> Vec<(String, bool, bool, i64, Option<f64>)> {
        read_table(&ws.path(out), "calls")
            .iter()
            .map(|r| {
                (
                    r["call_id"].str().to_string(),
                    r["repeat_contact"].bool(),
                    r["escalation"].bool(),
                    r["turns"].int(),
                    r["talk_time_customer_s"].float(),
                )
            })
            .collect()
    };
    assert_eq!(calls("out_jsonl"), calls("out_tsv"));
    // A call points at its first row: the TSV's line 2 (after the header), the JSON's line 1.
    let first_rows: Vec<i64> = read_table(&ws.path("out_jsonl"), "calls")
        .iter()
        .map(|r| r["source_line"].int())
        .collect();
    assert_eq!(first_rows, [1]);
    let formats: Vec<String> = read_table(&ws.path("out_jsonl"), "calls")
        .iter()
        .map(|r| r["format"].str().to_string())
        .collect();
    assert!(formats.iter().all(|f| f == "json_turns"), "{formats:?}");
}
