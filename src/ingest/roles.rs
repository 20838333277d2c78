//! Speaker roles (issue #6): who is the agent and who is the customer, decided in order:
//!
//! 1. **Given by the format** (canonical JSON, labelled text, Contact Lens, Call Analytics, PCA,
//!    per-channel files named `agent`/`customer`): kept, `role_source = given`,
//!    `role_confidence = 1`.
//! 2. **A channel map** (`--agent-channel N`, [`apply_channel_map`], run at ingest): the turns
//!    labelled `ch_N` (or exactly `N`) are the agent, every other labelled turn the customer;
//!    `role_source = channel_map`.
//! 3. **Inferred** ([`resolve_roles`], run by the scanner after matching, because it reads the
//!    matcher's `agent_cue` hits): the lexicons' `agent_cue` phrases in every language are what
//!    agents say and customers do not — openings ("thank you for calling", "상담사 ○○입니다",
//!    "请问有什么可以帮您"), identification requests ("can I have your account number"),
//!    closings ("is there anything else I can help you with"). Of the two labels that speak the
//!    most words, the one with more cue hits is the agent; in voice calls the first speaker gets
//!    a quarter of a cue (agents answer inbound calls), which only breaks ties. A call without any
//!    cue hit keeps unknown roles: guessing from who spoke first alone would make customer cues
//!    count for agents as often as not.
//!
//! **Swapped channels.** Roles that come from a channel assignment — `--agent-channel`, per-channel
//! file names, PCA `SpeakerLabels`, Call Analytics `ParticipantRole`, Gridspace `speaker_role` —
//! are checked against the cues: when the "customer" side says at least one cue and more than
//! twice as many as the "agent" side (1 vs 0, 3 vs 1), agent and customer are swapped and
//! `roles_swapped` is set, unless `--trust-channel-map`, which keeps the map and lowers
//! `role_confidence` instead. Roles Amazon Connect records itself (Contact Lens) and roles
//! written in the transcript (canonical JSON) are not second-guessed.
//!
//! Confidence of an inference: `0.5 + 0.5 · (a − b) / (a + b + 1)` for cue scores `a > b`, so one
//! cue against none gives 0.75 and three against none 0.875.

use crate::lexicon::Category;
use crate::matcher::Hit;
use crate::model::{Call, RoleSource, Speaker};

/// How role resolution behaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoleOptions {
    /// Keep channel-mapped roles even when the conversation contradicts them.
    pub trust_channel_map: bool,
}

/// Weight of speaking first, in cue hits (voice calls only).
const FIRST_SPEAKER_WEIGHT: f64 = 0.25;
/// Confidence of a channel map that the conversation does not contradict.
const CHANNEL_MAP_CONFIDENCE: f32 = 0.9;

/// Whether `label` names the agent channel `agent` (`ch_0`, `0`, `channel 0`, or the label itself).
fn is_agent_label(label: &str, agent: &str) -> bool {
    let agent = agent.trim();
    label.eq_ignore_ascii_case(agent)
        || label
            .strip_prefix("ch_")
            .is_some_and(|n| n == agent.trim_start_matches("ch_").trim_start_matches("ch"))
}

/// Applies `--agent-channel` to a call whose roles are not given. Returns whether it applied
/// (some turn is on the agent channel).
pub fn apply_channel_map(call: &mut Call, agent_channel: &str) -> bool {
    if roles_given(call)
        || !call
            .turns
            .iter()
            .any(|t| is_agent_label(&t.speaker_label, agent_channel))
    {
        return false;
    }
    for t in &mut call.turns {
        if t.speaker_label.is_empty() {
            continue;
        }
        t.speaker = if is_agent_label(&t.speaker_label, agent_channel) {
            Speaker::Agent
        } else {
            Speaker::Customer
        };
    }
    call.role_source = RoleSource::ChannelMap;
    call.role_confidence = CHANNEL_MAP_CONFIDENCE;
    true
}

/// Whether the call's roles are given by its format (and present on at least one turn).
fn roles_given(call: &Call) -> bool {
    call.role_source == RoleSource::Given
        && call.turns.iter().any(|t| t.speaker != Speaker::Unknown)
}

/// Cue hits per turn speaker or label: the evidence.
fn cue_counts<'a>(call: &'a Call, hits: &[Hit]) -> Vec<(&'a str, f64, usize)> {
    // (label, score, words), in order of first appearance.
    let mut by_label: Vec<(&str, f64, usize)> = Vec::new();
    for t in &call.turns {
        if t.speaker_label.is_empty() {
            continue;
        }
        let words = t.text.split_whitespace().count();
        match by_label.iter_mut().find(|(l, _, _)| *l == t.speaker_label) {
            Some(e) => e.2 += words,
            None => by_label.push((&t.speaker_label, 0.0, words)),
        }
    }
    for h in hits.iter().filter(|h| h.category == Category::AgentCue) {
        let Some(t) = call.turns.get(h.turn as usize) else {
            continue;
        };
        if let Some(e) = by_label.iter_mut().find(|(l, _, _)| *l == t.speaker_label) {
            e.1 += 1.0;
        }
    }
    by_label
}

fn confidence(a: f64, b: f64) -> f32 {
    (0.5 + 0.5 * (a - b) / (a + b + 1.0)).clamp(0.0, 1.0) as f32
}

fn is_chat(call: &Call) -> bool {
    call.channel
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("chat"))
}

/// Whether [`resolve_roles`] reads the call's `agent_cue` hits: its roles are not given, or
/// come from a channel assignment that is checked for a swap.
pub fn needs_cues(call: &Call) -> bool {
    !roles_given(call) || checkable(call)
}

/// Roles from a channel assignment, which the cues may contradict.
fn checkable(call: &Call) -> bool {
    call.role_source == RoleSource::ChannelMap
        || (call.roles_from_channel_map && call.role_source == RoleSource::Given)
}

/// Decides the roles of `call` from the matcher's hits (see the module docs). Cheap when the
/// roles are given: one pass over the turns, no allocation.
pub fn resolve_roles(call: &mut Call, hits: &[Hit], options: &RoleOptions) {
    if !needs_cues(call) {
        return;
    }
    let checkable = checkable(call);
    if checkable && call.turns.iter().any(|t| t.speaker != Speaker::Unknown) {
        check_swap(call, hits, options);
        return;
    }
    infer(call, hits);
}

fn check_swap(call: &mut Call, hits: &[Hit], options: &RoleOptions) {
    let (mut agent, mut customer) = (0.0f64, 0.0f64);
    for h in hits.iter().filter(|h| h.category == Category::AgentCue) {
        match call.turns.get(h.turn as usize).map(|t| t.speaker) {
            Some(Speaker::Agent) => agent += 1.0,
            Some(Speaker::Customer) => customer += 1.0,
            _ => {}
        }
    }
    let contradicted = customer >= 1.0 && customer > 2.0 * agent;
    let base = if call.role_source == RoleSource::Given {
        1.0
    } else {
        CHANNEL_MAP_CONFIDENCE
    };
    if !contradicted {
        call.role_confidence = if agent > customer {
            base.max(confidence(agent, customer))
        } else {
            base
        };
        return;
    }
    let swap_confidence = confidence(customer, agent);
    if options.trust_channel_map {
        call.role_confidence = 1.0 - swap_confidence;
        return;
    }
    for t in &mut call.turns {
        t.speaker = match t.speaker {
            Speaker::Agent => Speaker::Customer,
            Speaker::Customer => Speaker::Agent,
            Speaker::Unknown => Speaker::Unknown,
        };
    }
    call.roles_swapped = true;
    call.role_confidence = swap_confidence;
}

fn infer(call: &mut Call, hits: &[Hit]) {
    let mut evidence = cue_counts(call, hits);
    let total_cues: f64 = evidence.iter().map(|e| e.1).sum();
    if evidence.len() < 2 || total_cues == 0.0 {
        call.role_source = RoleSource::Unknown;
        call.role_confidence = 0.0;
        return;
    }
    if !is_chat(call)
        && let Some(first) = call.turns.iter().find(|t| !t.speaker_label.is_empty())
        && let Some(e) = evidence.iter_mut().find(|e| e.0 == first.speaker_label)
    {
        e.1 += FIRST_SPEAKER_WEIGHT;
    }
    // The two main speakers: most words first (stable: ties keep first appearance).
    let mut main: Vec<(String, f64)> = {
        let mut by_words = evidence.clone();
        by_words.sort_by_key(|e| std::cmp::Reverse(e.2));
        by_words
            .into_iter()
            .take(2)
            .map(|(l, s, _)| (l.to_string(), s))
            .collect()
    };
    main.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (agent, a) = (&main[0].0, main[0].1);
    let (customer, b) = (&main[1].0, main[1].1);
    if a <= b {
        call.role_source = RoleSource::Unknown;
        call.role_confidence = 0.0;
        return;
    }
    for t in &mut call.turns {
        t.speaker = if &t.speaker_label == agent {
            Speaker::Agent
        } else if &t.speaker_label == customer {
            Speaker::Customer
        } else {
            Speaker::Unknown
        };
    }
    call.role_source = RoleSource::Inferred;
    call.role_confidence = confidence(a, b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SourceRef, Turn};

    fn call(turns: &[(&str, &str)]) -> Call {
        let turns = turns
            .iter()
            .map(|(label, text)| {
                let mut t = Turn::new(Speaker::Unknown, *text);
                t.speaker_label = label.to_string();
                t
            })
            .collect();
        let mut c = Call::new("c", SourceRef::file("f".into()), turns);
        c.role_source = RoleSource::Unknown;
        c
    }

    fn cue(turn: u32) -> Hit {
        Hit {
            turn,
            phrase: 0,
            category: Category::AgentCue,
            orig_start: 0,
            orig_end: 1,
            negated: false,
            intensified: false,
        }
    }

    fn speakers(c: &Call) -> Vec<Speaker> {
        c.turns.iter().map(|t| t.speaker).collect()
    }

    #[test]
    fn the_speaker_with_more_agent_cues_is_the_agent() {
        let mut c = call(&[
            ("ch_1", "yes hello"),
            ("ch_0", "thank you for calling how can i help"),
            ("ch_1", "i called last week"),
            ("ch_0", "anything else"),
        ]);
        resolve_roles(&mut c, &[cue(1), cue(3)], &RoleOptions::default());
        assert_eq!(
            speakers(&c),
            [
                Speaker::Customer,
                Speaker::Agent,
                Speaker::Customer,
                Speaker::Agent
            ]
        );
        assert_eq!(c.role_source, RoleSource::Inferred);
        // Scores 2 vs 0.25 (the customer spoke first).
        assert!((c.role_confidence - confidence(2.0, 0.25)).abs() < 1e-6);
    }

    #[test]
    fn no_cue_no_guess_and_one_speaker_is_unknown() {
        let mut c = call(&[("spk_0", "hello"), ("spk_1", "hi")]);
        resolve_roles(&mut c, &[], &RoleOptions::default());
        assert_eq!(
            (c.role_source, speakers(&c)),
            (
                RoleSource::Unknown,
                vec![Speaker::Unknown, Speaker::Unknown]
            )
        );
        let mut c = call(&[("spk_0", "thank you for calling"), ("spk_0", "bye")]);
        resolve_roles(&mut c, &[cue(0)], &RoleOptions::default());
        assert_eq!(c.role_source, RoleSource::Unknown);
    }

    #[test]
    fn a_channel_map_that_contradicts_the_conversation_is_swapped_unless_trusted() {
        let turns = [
            ("ch_0", "hello i have a problem"),
            ("ch_1", "thank you for calling acme"),
            ("ch_0", "my bill"),
            ("ch_1", "anything else"),
        ];
        let mut c = call(&turns);
        assert!(apply_channel_map(&mut c, "0"));
        assert_eq!(speakers(&c)[0], Speaker::Agent);
        resolve_roles(&mut c, &[cue(1), cue(3)], &RoleOptions::default());
        assert!(c.roles_swapped);
        assert_eq!(
            speakers(&c),
            [
                Speaker::Customer,
                Speaker::Agent,
                Speaker::Customer,
                Speaker::Agent
            ]
        );
        assert_eq!(c.role_source, RoleSource::ChannelMap);

        let mut trusted = call(&turns);
        apply_channel_map(&mut trusted, "0");
        resolve_roles(
            &mut trusted,
            &[cue(1), cue(3)],
            &RoleOptions {
                trust_channel_map: true,
            },
        );
        assert!(!trusted.roles_swapped);
        assert_eq!(speakers(&trusted)[0], Speaker::Agent);
        assert!(trusted.role_confidence < 0.5);
    }

    #[test]
    fn given_roles_are_not_second_guessed_unless_they_come_from_channels() {
        let mut c = call(&[("AGENT", "hi"), ("CUSTOMER", "thank you for calling")]);
        c.turns[0].speaker = Speaker::Agent;
        c.turns[1].speaker = Speaker::Customer;
        c.role_source = RoleSource::Given;
        let mut pca = c.clone();
        resolve_roles(&mut c, &[cue(1)], &RoleOptions::default());
        assert!(!c.roles_swapped);
        pca.roles_from_channel_map = true;
        resolve_roles(&mut pca, &[cue(1)], &RoleOptions::default());
        assert!(pca.roles_swapped);
        assert_eq!(pca.role_source, RoleSource::Given);
    }

    #[test]
    fn channel_map_labels() {
        assert!(is_agent_label("ch_0", "0"));
        assert!(is_agent_label("ch_1", "ch_1"));
        assert!(is_agent_label("agent", "agent"));
        assert!(!is_agent_label("spk_0", "0"));
        let mut c = call(&[("spk_0", "hi"), ("spk_1", "hello")]);
        assert!(
            !apply_channel_map(&mut c, "0"),
            "diarized speakers are not channels"
        );
    }
}
