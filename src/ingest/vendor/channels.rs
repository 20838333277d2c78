//! One file per audio channel: engines without multichannel support (Whisper is the common
//! case) are run once per channel of a stereo call recording, giving `<call>.agent.json` and
//! `<call>.customer.json`, or `<call>_ch0.json` and `<call>_ch1.json`. Those files are one call.
//!
//! - **Grouping happens at discovery** ([`group_channel_files`]): files in the same directory
//!   whose names (extensions removed) match the channel pattern with the same call part become
//!   one work item, placed where the first of them was. The input order is sorted, so the
//!   grouping, and therefore the output order, is deterministic. A name that matches alone stays
//!   a single file; two files claiming the same channel are not grouped.
//! - **Merging** ([`merge_channels`]): each file is parsed by its own format; the turns of all
//!   channels are interleaved by start time (ties keep channel order) and the words follow their
//!   turns. `agent`/`customer`/`caller` name the role of the whole file (a channel map, checked
//!   for a swap); `chN`/`channelN` label the turns `ch_N` for `--agent-channel`.
//! - **Never half-read**: when any channel file is rejected, the call is not written; each
//!   channel file becomes a reject saying why.
//!
//! The default pattern is [`DEFAULT_CHANNEL_FILE_PATTERN`]; `--channel-file-pattern` replaces it
//! (named groups `call` and `channel`).

use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;
use regex::Regex;

use crate::ingest::{FileKind, InputFile, Reject, RejectReason, file_kind, file_stem_id};
use crate::model::{Call, RoleSource, SourceRef, Speaker};

/// File names (without extensions) of one channel of a call: `<call>.agent`, `<call>_customer`,
/// `<call>-caller`, `<call>_ch0`, `<call>.channel1`, case-insensitive.
pub const DEFAULT_CHANNEL_FILE_PATTERN: &str =
    r"(?i)^(?P<call>.+?)[._-](?P<channel>agent|customer|caller|ch_?\d+|channel_?\d+)$";

/// The default channel-file pattern, compiled.
pub fn default_pattern() -> Regex {
    Regex::new(DEFAULT_CHANNEL_FILE_PATTERN).expect("the built-in pattern is valid")
}

/// The files of one call, one per channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelGroup {
    /// The call part of the names: the call_id.
    pub call_id: String,
    /// The first file's name with the channel part removed (`calls/c1.json` for
    /// `calls/c1.agent.json`): what `--call-id-from` is matched against.
    pub name: String,
    /// (channel part as written, file), in input order.
    pub parts: Vec<(String, InputFile)>,
}

/// A unit of whole-file work: a file, or the channel files of one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkItem {
    /// One file.
    File(InputFile),
    /// Several files that are one call.
    Channels(ChannelGroup),
}

/// Groups channel files (see the module docs). `pattern` `None` disables grouping.
pub fn group_channel_files(files: Vec<InputFile>, pattern: Option<&Regex>) -> Vec<WorkItem> {
    let Some(pattern) = pattern else {
        return files.into_iter().map(WorkItem::File).collect();
    };
    // Each file's (directory, call, channel), on the pool: this pass over every file comes
    // before the first one is read (100,000 files: 60 ms on one thread).
    let keys: Vec<Option<(PathBuf, String, String)>> = files
        .par_iter()
        .map(|f| {
            (file_kind(&f.path) == FileKind::WholeFile)
                .then(|| file_stem_id(&f.path))
                .and_then(|stem| {
                    let caps = pattern.captures(&stem)?;
                    let call = caps.name("call")?.as_str().to_string();
                    let channel = caps.name("channel")?.as_str().to_string();
                    (!call.is_empty()).then(|| {
                        (
                            f.path.parent().map(PathBuf::from).unwrap_or_default(),
                            call,
                            channel,
                        )
                    })
                })
        })
        .collect();
    // (directory, call) → positions of the matching files.
    let mut members: HashMap<(PathBuf, String), Vec<usize>> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        if let Some((dir, call, _)) = key {
            members
                .entry((dir.clone(), call.clone()))
                .or_default()
                .push(i);
        }
    }
    let grouped: HashMap<(PathBuf, String), Vec<usize>> = members
        .into_iter()
        .filter(|(_, idx)| {
            let mut channels: Vec<String> = idx
                .iter()
                .filter_map(|&i| keys[i].as_ref().map(|k| k.2.to_ascii_lowercase()))
                .collect();
            let n = channels.len();
            channels.sort();
            channels.dedup();
            n >= 2 && channels.len() == n
        })
        .collect();
    let mut slots: Vec<Option<InputFile>> = files.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for i in 0..slots.len() {
        let Some(file) = slots[i].take() else {
            continue;
        };
        let group = keys[i].as_ref().and_then(|(dir, call, _)| {
            grouped
                .get(&(dir.clone(), call.clone()))
                .map(|idx| (call, idx))
        });
        match group {
            Some((call, idx)) => {
                let mut parts = vec![(
                    keys[i].as_ref().map(|k| k.2.clone()).unwrap_or_default(),
                    file,
                )];
                for &j in &idx[1..] {
                    if let Some(f) = slots[j].take() {
                        parts.push((keys[j].as_ref().map(|k| k.2.clone()).unwrap_or_default(), f));
                    }
                }
                let first = &parts[0].1;
                let file_name = first
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let stem = file_stem_id(&first.path);
                let name = format!("{call}{}", file_name.get(stem.len()..).unwrap_or(""));
                out.push(WorkItem::Channels(ChannelGroup {
                    call_id: call.clone(),
                    name,
                    parts,
                }));
            }
            None => out.push(WorkItem::File(file)),
        }
    }
    out
}

/// The label and role a channel part names.
fn channel_role(part: &str) -> (String, Option<Speaker>) {
    let lower = part.to_ascii_lowercase();
    match lower.as_str() {
        "agent" => (lower, Some(Speaker::Agent)),
        "customer" | "caller" => (lower, Some(Speaker::Customer)),
        _ => {
            let n = lower
                .trim_start_matches("channel")
                .trim_start_matches("ch")
                .trim_start_matches('_');
            (super::channel_label(n), None)
        }
    }
}

/// Merges the parsed channel files of `group` into one call (see the module docs). `parsed[i]`
/// is what parsing `group.parts[i]` gave.
pub fn merge_channels(
    group: &ChannelGroup,
    parsed: Vec<Vec<Result<Call, Reject>>>,
) -> Vec<Result<Call, Reject>> {
    let failed = parsed
        .iter()
        .any(|p| p.len() != 1 || p.iter().any(Result::is_err));
    if failed {
        let mut out = Vec::new();
        let bad: Vec<String> = group
            .parts
            .iter()
            .zip(&parsed)
            .filter(|(_, p)| p.len() != 1 || p.iter().any(Result::is_err))
            .map(|(f, _)| f.1.name.to_string())
            .collect();
        for ((_, file), results) in group.parts.iter().zip(parsed) {
            let n = results.len();
            for r in results {
                match r {
                    Err(reject) => out.push(Err(reject)),
                    Ok(_) => out.push(Err(Reject {
                        source: SourceRef::file(file.name.clone()),
                        call_id: Some(group.call_id.clone()),
                        reason: RejectReason::InvalidField(if n > 1 {
                            format!(
                                "channel file holds {n} calls, expected one (call {})",
                                group.call_id
                            )
                        } else {
                            format!(
                                "call {} is not written half-read: channel file {} was rejected",
                                group.call_id,
                                bad.join(", ")
                            )
                        }),
                    })),
                }
            }
        }
        return out;
    }
    let calls: Vec<(String, Call)> = group
        .parts
        .iter()
        .map(|(part, _)| part.clone())
        .zip(parsed.into_iter().flatten().flatten())
        .collect();
    let mut turns = Vec::new();
    let mut words = Vec::new();
    let mut any_role = false;
    for (part, call) in &calls {
        let (label, role) = channel_role(part);
        any_role |= role.is_some();
        let offset = turns.len() as u32;
        for t in &call.turns {
            let mut t = t.clone();
            t.speaker_label.clone_from(&label);
            if let Some(r) = role {
                t.speaker = r;
            }
            turns.push(t);
        }
        words.extend(call.words.iter().map(|w| {
            let mut w = *w;
            w.turn += offset;
            w
        }));
    }
    let mut order: Vec<usize> = (0..turns.len()).collect();
    order.sort_by(|&a, &b| {
        turns[a]
            .start_s
            .unwrap_or(f64::INFINITY)
            .total_cmp(&turns[b].start_s.unwrap_or(f64::INFINITY))
            .then(a.cmp(&b))
    });
    let mut new_index = vec![0u32; turns.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new as u32;
    }
    let mut slots: Vec<Option<crate::model::Turn>> = turns.into_iter().map(Some).collect();
    let turns: Vec<_> = order
        .iter()
        .map(|&i| slots[i].take().expect("each turn is taken once"))
        .collect();
    for w in &mut words {
        w.turn = new_index[w.turn as usize];
    }
    words.sort_by(|a, b| {
        a.turn.cmp(&b.turn).then(
            a.start_s
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.start_s.unwrap_or(f64::INFINITY)),
        )
    });
    let first = &calls[0].1;
    let mut call = Call::new(
        group.call_id.clone(),
        SourceRef::file(group.parts[0].1.name.clone()),
        turns,
    );
    call.format = first.format;
    call.words = words;
    call.language_tag = calls.iter().find_map(|(_, c)| c.language_tag.clone());
    call.customer_id = calls.iter().find_map(|(_, c)| c.customer_id.clone());
    call.agent_id = calls.iter().find_map(|(_, c)| c.agent_id.clone());
    call.queue = calls.iter().find_map(|(_, c)| c.queue.clone());
    call.channel = calls.iter().find_map(|(_, c)| c.channel.clone());
    if let Some((_, timed)) = calls.iter().find(|(_, c)| c.started_at_us.is_some()) {
        call.started_at_us = timed.started_at_us;
        call.started_at_local = timed.started_at_local;
    }
    call.duration_s = calls
        .iter()
        .filter_map(|(_, c)| c.duration_s)
        .reduce(f64::max);
    if any_role {
        call.role_source = RoleSource::ChannelMap;
        call.role_confidence = 1.0;
    } else {
        call.role_source = RoleSource::Unknown;
        call.role_confidence = 0.0;
    }
    vec![Ok(call)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn file(path: &str) -> InputFile {
        InputFile {
            path: PathBuf::from(path),
            name: Arc::from(path),
            size_bytes: 1,
        }
    }

    #[test]
    fn channel_files_group_in_place_and_singles_stay() {
        let files = [
            "d/a.agent.json",
            "d/a.customer.json.gz",
            "d/b_ch0.json",
            "d/b_ch1.json",
            "d/c_ch0.json",
            "d/x.jsonl",
            "e/a.agent.json",
        ];
        let items = group_channel_files(
            files.iter().map(|f| file(f)).collect(),
            Some(&default_pattern()),
        );
        let shown: Vec<String> = items
            .iter()
            .map(|i| match i {
                WorkItem::File(f) => f.name.to_string(),
                WorkItem::Channels(g) => format!(
                    "{}={}",
                    g.call_id,
                    g.parts
                        .iter()
                        .map(|p| p.0.as_str())
                        .collect::<Vec<_>>()
                        .join("+")
                ),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "a=agent+customer",
                "b=ch0+ch1",
                "d/c_ch0.json",
                "d/x.jsonl",
                "e/a.agent.json"
            ]
        );
        let WorkItem::Channels(g) = &items[0] else {
            panic!()
        };
        assert_eq!(g.name, "a.json");
        assert_eq!(
            group_channel_files(
                vec![file("d/a.agent.json"), file("d/a.customer.json")],
                None
            )
            .len(),
            2
        );
    }

    #[test]
    fn merged_turns_interleave_by_time_and_take_the_file_role() {
        use crate::model::{Turn, Word};
        let mk = |texts: &[(&str, f64)]| {
            let turns: Vec<Turn> = texts
                .iter()
                .map(|(t, s)| {
                    let mut turn = Turn::new(Speaker::Unknown, *t);
                    turn.start_s = Some(*s);
                    turn.end_s = Some(s + 1.0);
                    turn
                })
                .collect();
            let mut c = Call::new("x", SourceRef::file("f".into()), turns);
            c.words = (0..texts.len() as u32)
                .map(|i| Word {
                    turn: i,
                    start_s: Some(texts[i as usize].1),
                    end_s: None,
                    confidence: None,
                    byte_span: None,
                })
                .collect();
            c
        };
        let group = ChannelGroup {
            call_id: "c1".into(),
            name: "c1.json".into(),
            parts: vec![
                ("agent".into(), file("c1.agent.json")),
                ("customer".into(), file("c1.customer.json")),
            ],
        };
        let merged = merge_channels(
            &group,
            vec![
                vec![Ok(mk(&[("hello", 0.0), ("sure", 5.0)]))],
                vec![Ok(mk(&[("hi I called before", 2.0)]))],
            ],
        );
        let call = merged.into_iter().next().unwrap().unwrap();
        let shown: Vec<(&str, Speaker)> = call
            .turns
            .iter()
            .map(|t| (t.text.as_str(), t.speaker))
            .collect();
        assert_eq!(
            shown,
            [
                ("hello", Speaker::Agent),
                ("hi I called before", Speaker::Customer),
                ("sure", Speaker::Agent)
            ]
        );
        assert_eq!(
            call.words.iter().map(|w| w.turn).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(call.words[1].start_s, Some(2.0));
        assert_eq!(call.role_source, RoleSource::ChannelMap);

        let failed = merge_channels(
            &group,
            vec![
                vec![Ok(mk(&[("hello", 0.0)]))],
                vec![Err(Reject {
                    source: SourceRef::file("c1.customer.json".into()),
                    call_id: None,
                    reason: RejectReason::EmptyTurns,
                })],
            ],
        );
        assert_eq!(failed.len(), 2);
        assert!(failed.iter().all(Result::is_err), "no half-read call");
    }
}
