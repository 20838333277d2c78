#!/usr/bin/env python3
"""Deterministic multilingual call-transcript corpus for fcrscan benchmarks (standard library only).

Writes canonical JSON Lines, one call per line:

    {"call_id": "call-00000001", "customer_id": "cust-0000001", "agent_id": "ag-0042",
     "queue": "billing", "channel": "voice", "language": "en", "started_at": "2026-11-02T09:14:05Z",
     "duration_s": 812.4, "turns": [{"speaker": "agent", "start_s": 0.3, "end_s": 4.1, "text": "..."}, ...]}

Calls are in 12 languages (en 40%, es pt de fr id vi ko ja zh hi ar about 5.5% each), in three
speech-to-text styles (voice: clean 30%, lower case 30%, raw lower case without punctuation 40%;
chat: clean 60%, lower case 40%), about 15 kB and 110 turns each by default, and 18% of calls come
from a customer who already called in the previous 7 days. Cue sentences (repeat contact,
escalation, negative and positive sentiment) are planted in customer turns only, and only in the
call's own language; every planted sentence holds exactly one phrase of benches/phrases.tsv, and
the neutral conversation around it holds none, so a scan with that phrase list must flag exactly
the planted calls.

Besides the corpus it writes:
  <out>.truth.json  counts: calls, turns, bytes, languages, styles, repeat customers, and per
                    category the calls with a planted cue ("calls_with_cue") and the planted cue
                    turns ("cue_turns", one phrase occurrence each);
  <out>.truth.tsv   call_id, repeat_contact, escalation (1 when planted, else 0).

The same seed gives byte-identical output. The sentence pools are built from a fixed internal
seed, so --self-check verifies every sentence any seed can produce.

    python3 benches/gen_corpus.py --mb 100 --out bench-data/corpus.jsonl
    python3 benches/gen_corpus.py --calls 100000 --mean-kb 1.8 --split-dir bench-data/split --out bench-data/split.jsonl
    python3 benches/gen_corpus.py --write-phrases benches/phrases.tsv
    python3 benches/gen_corpus.py --self-check
"""
import argparse
import bisect
import calendar
import hashlib
import json
import os
import random
import re
import sys
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus_text as CT  # noqa: E402

VERSION = 1
POOL_SEED = 0x5EED_FC25          # fixed: the sentence pools never depend on --seed
TURN_POOL = 1200                 # composed neutral turns per (language, style, speaker)
CUE_POOL = 240                   # composed cue turns per (language, style, category)
SLOT_VARIANTS = 6                # slot fillings per template
CATS = CT.CATEGORIES
STYLES = ("clean", "lower", "raw")
UNSPACED = ("ja", "zh")          # sentences are joined without a space
CJK_LANGS = ("ja", "ko", "zh")   # phrases match regardless of spacing
LANG_WEIGHTS = [40.0 if lang == "en" else 60.0 / 11 for lang in CT.LANGUAGES]
STYLE_WEIGHTS = {"voice": (0.3, 0.3, 0.4), "chat": (0.6, 0.4, 0.0)}
P_CHAT = 0.2
P_REPEAT_CUSTOMER = 0.18
REPEAT_WINDOW_S = 7 * 86400
# Probability that a call gets a cue of each category: (caller called within 7 days, otherwise).
CUE_RATE = {
    "repeat_contact": (0.60, 0.075),
    "escalation": (0.12, 0.035),
    "sentiment_negative": (0.45, 0.27),
    "sentiment_positive": (0.38, 0.47),
}
CUE_COUNT = ((1, 2, 3), (0.70, 0.22, 0.08))   # cue turns per planted category
GAPS = (2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 10, 12, 15, 20, 35)  # tenths of a second between turns
CHARS_PER_S = {"ja": 6.0, "zh": 5.0, "ko": 7.0, "hi": 13.0, "ar": 12.0}
START_EPOCH = calendar.timegm((2026, 11, 2, 8, 0, 0, 0, 0, 0))
HEADER_BYTES = 215               # a record's bytes outside its turns, about

# ------------------------------------------------------------------------------- rendering

_PUNCT = ".,?!;:¿¡…。、，？！；：،؟।\"“”«»()"
_PUNCT_RE = re.compile(r"(?<!\d)[.,]|[.,](?!\d)|[?!;:¿¡…。、，？！；：،؟।\"“”«»()]")
_SPACES_RE = re.compile(r"\s+")


def render(text, style, lang):
    """One sentence (or turn) in an ASR style: clean (as written), lower, raw (lower, no punctuation)."""
    if style == "clean":
        return text
    low = text.lower()
    if style == "lower":
        return low
    sep = "" if lang in UNSPACED else " "
    return _SPACES_RE.sub(" ", _PUNCT_RE.sub(sep, low)).strip()


def with_disfluency(text, disfl, style, lang):
    """Prefixes a hesitation ("um", "eh", "嗯") to a lower-case or raw turn."""
    if style == "raw":
        return disfl + ("" if lang in UNSPACED else " ") + text
    comma = {"ja": "、", "zh": "，", "ar": "، "}.get(lang, ", ")
    return disfl + comma + text


def cap(s):
    return s[:1].upper() + s[1:]


def fill_slots(template, slots, rnd):
    def one(m):
        name = m.group(1)
        if name == "n4":
            return "%04d" % rnd.randrange(10000)
        return rnd.choice(slots[name])
    return re.sub(r"\{(\w+)\}", one, template)


def expand(templates, slots, rnd):
    """Each template with up to SLOT_VARIANTS slot fillings: a list (per template) of sentences."""
    out = []
    for t in templates:
        if "{" not in t:
            out.append([t])
            continue
        seen = {}
        for _ in range(SLOT_VARIANTS * 3):
            seen.setdefault(fill_slots(t, slots, rnd), None)
            if len(seen) == SLOT_VARIANTS:
                break
        out.append(list(seen))
    return out


def pick(groups, rnd):
    g = groups[rnd.randrange(len(groups))]
    return g[rnd.randrange(len(g))]


class Pools:
    """Every text the generator can write, pre-rendered and pre-escaped.

    An item is (json_string, duration_tenths, text_bytes, text).
    """

    def __init__(self):
        rnd = random.Random(POOL_SEED)
        self.items = {}      # (lang, style, kind) -> [item]; kind: agent_open, agent, ..., cue:<category>
        self.cue_text = {}   # (lang, style, text) -> category, for verification
        self.cue_phrase = {}  # (lang, style, text) -> phrase index
        self.phrases = []    # (lang, category, clean form)
        for lang in CT.LANGUAGES:
            spec = CT.LANGS[lang]
            for cat in CATS:
                for p in spec["cues"][cat]:
                    self.phrases.append((lang, cat, p))
        for lang in CT.LANGUAGES:
            self._build_lang(lang, CT.LANGS[lang], rnd)

    def _item(self, text, lang, rnd):
        rate = CHARS_PER_S.get(lang, 15.0)
        dur = int((len(text) / rate + 0.4) * 10 * rnd.uniform(0.85, 1.15)) + 1
        return (json.dumps(text, ensure_ascii=False), dur, len(text.encode("utf-8")), text)

    def _build_lang(self, lang, spec, rnd):
        slots = spec["slots"]
        sep = "" if lang in UNSPACED else " "
        groups = {k: expand(spec[k], slots, rnd) for k in
                  ("agent_open", "agent", "agent_close", "customer_reason", "customer", "customer_close")}
        disfl = spec["disfluencies"]
        pindex = {}
        for i, (plang, cat, p) in enumerate(self.phrases):
            if plang == lang:
                pindex[(cat, p)] = i
        for style in STYLES:
            for kind in ("agent_open", "agent_close", "customer_reason", "customer_close"):
                self.items[(lang, style, kind)] = [
                    self._item(render(s, style, lang), lang, rnd) for g in groups[kind] for s in g]
            for speaker, p_disfl in (("agent", 0.06), ("customer", 0.22)):
                pool = []
                for _ in range(TURN_POOL):
                    n = rnd.choices((1, 2, 3), (0.42, 0.40, 0.18))[0]
                    text = sep.join(render(pick(groups[speaker], rnd), style, lang) for _ in range(n))
                    if style != "clean" and rnd.random() < p_disfl:
                        text = with_disfluency(text, rnd.choice(disfl), style, lang)
                    pool.append(self._item(text, lang, rnd))
                self.items[(lang, style, speaker)] = pool
            for cat in CATS:
                phrases = spec["cues"][cat]
                pre, post = spec["cue_pre"][cat], spec["cue_post"][cat]
                pool = []
                for k in range(CUE_POOL):
                    p = phrases[k % len(phrases)]  # every phrase is planted, equally often
                    sentence = render(cap(rnd.choice(pre) + p + rnd.choice(post)), style, lang)
                    shape = rnd.random()
                    if shape < 0.25:
                        text = render(pick(groups["customer"], rnd), style, lang) + sep + sentence
                    elif shape < 0.5:
                        text = sentence + sep + render(pick(groups["customer"], rnd), style, lang)
                    else:
                        text = sentence
                    if style != "clean" and rnd.random() < 0.25:
                        text = with_disfluency(text, rnd.choice(disfl), style, lang)
                    pool.append(self._item(text, lang, rnd))
                    self.cue_text[(lang, style, text)] = cat
                    self.cue_phrase[(lang, style, text)] = pindex[(cat, p)]
                self.items[(lang, style, "cue:" + cat)] = pool

    def mean_bytes(self, lang, kinds):
        """Mean bytes of one turn's JSON (text, speaker and times) drawn from these pools, over the
        voice style mix."""
        total = 0.0
        for style, w in zip(STYLES, STYLE_WEIGHTS["voice"]):
            for kind in kinds:
                pool = self.items[(lang, style, kind)]
                overhead = 60 if kind.startswith("customer") else 57
                total += w / len(kinds) * (sum(len(it[0].encode("utf-8")) for it in pool) / len(pool) + overhead)
        return total

    def pairs_for(self, lang, mean_kb):
        """Mean number of (agent, customer) turn pairs that makes a call mean_kb * 1000 bytes long."""
        ends = 4 * self.mean_bytes(lang, ("agent_open", "customer_reason", "agent_close", "customer_close"))
        mid = 2 * self.mean_bytes(lang, ("agent", "customer"))
        return max(2.0, 2 + (mean_kb * 1000 - HEADER_BYTES - ends) / mid)


# ------------------------------------------------------------------------------- generation

def phrase_rows(pools):
    return [(p.lower(), cat, lang) for lang, cat, p in pools.phrases]


def write_phrases(pools, path):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("phrase\tcategory\tlanguage\n")
        for p, cat, lang in phrase_rows(pools):
            f.write(f"{p}\t{cat}\t{lang}\n")


class Generator:
    def __init__(self, pools, seed, mean_kb, calls_per_day):
        self.p = pools
        self.rnd = random.Random(seed)
        self.mean_pairs = {lang: pools.pairs_for(lang, mean_kb) for lang in CT.LANGUAGES}
        self.mean_gap_s = 86400.0 / calls_per_day
        self.times = [f"{i // 10}.{i % 10}" for i in range(100000)]
        self.max_step = max(it[1] for items in pools.items.values() for it in items) + max(GAPS)
        self.epoch = float(START_EPOCH)
        self.recent = []     # (epoch, customer_id, language, queue) of earlier calls
        self.recent_lo = 0
        self.n_customers = 0
        self.n = 0

    def _time(self, i):
        t = self.times
        while i >= len(t):
            t.extend(f"{k // 10}.{k % 10}" for k in range(len(t), 2 * len(t)))
        return t[i]

    def call(self):
        """Returns (record line as str, info dict)."""
        rnd, P = self.rnd, self.p
        self.n += 1
        # arrival: business hours 07:00-21:00 UTC, exponential gaps
        self.epoch += rnd.expovariate(1.0 / self.mean_gap_s) * (14 / 24)
        tod = (self.epoch - 0) % 86400
        if tod >= 21 * 3600:
            self.epoch += 86400 - tod + 7 * 3600
        while self.recent_lo < len(self.recent) and self.recent[self.recent_lo][0] < self.epoch - REPEAT_WINDOW_S:
            self.recent_lo += 1
        repeat = False
        if self.recent_lo < len(self.recent) and rnd.random() < P_REPEAT_CUSTOMER:
            _, cust, lang, queue = self.recent[rnd.randrange(self.recent_lo, len(self.recent))]
            repeat = True
        else:
            self.n_customers += 1
            cust = "cust-%07d" % self.n_customers
            lang = rnd.choices(CT.LANGUAGES, LANG_WEIGHTS)[0]
            queue = rnd.choice(CT.QUEUES)
        self.recent.append((self.epoch, cust, lang, queue))
        channel = "chat" if rnd.random() < P_CHAT else "voice"
        style = rnd.choices(STYLES, STYLE_WEIGHTS[channel])[0]
        pairs = max(2, round(2 + (self.mean_pairs[lang] - 2) * (0.4 + 1.2 * rnd.random())))
        mid = pairs - 2
        # agent turns: open, mid general, close; customer turns: reason, mid general, close
        agent = [rnd.choice(P.items[(lang, style, "agent_open")])]
        agent += rnd.choices(P.items[(lang, style, "agent")], k=mid)
        agent.append(rnd.choice(P.items[(lang, style, "agent_close")]))
        cust_turns = [rnd.choice(P.items[(lang, style, "customer_reason")])]
        cust_turns += rnd.choices(P.items[(lang, style, "customer")], k=mid)
        cust_turns.append(rnd.choice(P.items[(lang, style, "customer_close")]))
        # cues: customer turns 0 .. pairs-2 (not the good-bye)
        free = list(range(pairs - 1))
        planted = [0, 0, 0, 0]
        for ci, cat in enumerate(CATS):
            if rnd.random() < CUE_RATE[cat][0 if repeat else 1]:
                k = rnd.choices(CUE_COUNT[0], CUE_COUNT[1])[0]
                pool = P.items[(lang, style, "cue:" + cat)]
                for _ in range(k):
                    if not free:
                        break
                    slot = free.pop(rnd.randrange(len(free)))
                    cust_turns[slot] = pool[rnd.randrange(len(pool))]
                    planted[ci] += 1
        gaps = rnd.choices(GAPS, k=2 * pairs)
        t = 0
        parts = []
        tb = 0
        T = self.times
        if len(T) <= 2 * pairs * self.max_step:
            self._time(2 * pairs * self.max_step)
            T = self.times
        for i in range(pairs):
            it = agent[i]
            s = t + gaps[2 * i]
            t = s + it[1]
            parts.append(f'{{"speaker":"agent","start_s":{T[s]},"end_s":{T[t]},"text":{it[0]}}}')
            tb += it[2]
            it = cust_turns[i]
            s = t + gaps[2 * i + 1]
            t = s + it[1]
            parts.append(f'{{"speaker":"customer","start_s":{T[s]},"end_s":{T[t]},"text":{it[0]}}}')
            tb += it[2]
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(self.epoch)))
        call_id = "call-%08d" % self.n
        line = (f'{{"call_id":"{call_id}","customer_id":"{cust}","agent_id":"ag-{rnd.randrange(1, 241):04d}",'
                f'"queue":"{queue}","channel":"{channel}","language":"{lang}","started_at":"{started}",'
                f'"duration_s":{T[t]},"turns":[' + ",".join(parts) + "]}\n")
        return line, {"call_id": call_id, "lang": lang, "style": style, "channel": channel, "repeat": repeat,
                      "planted": planted, "turns": 2 * pairs, "text_bytes": tb}


def generate(a):
    t0 = time.perf_counter()
    pools = Pools()
    t_pools = time.perf_counter() - t0
    gen = Generator(pools, a.seed, a.mean_kb, a.calls_per_day)
    limit_bytes = int(a.mb * 1_000_000) if a.mb else None
    limit_calls = a.calls
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    if a.split_dir:
        os.makedirs(a.split_dir, exist_ok=True)
    stats = {"calls": 0, "turns": 0, "bytes": 0, "text_bytes": 0, "repeat_customer_calls": 0,
             "languages": {lang: 0 for lang in CT.LANGUAGES}, "styles": {s: 0 for s in STYLES},
             "channels": {"voice": 0, "chat": 0}}
    calls_with = [0, 0, 0, 0]
    cue_turns = [0, 0, 0, 0]
    any_cue = 0
    digest = hashlib.sha256()
    with open(a.out, "wb", buffering=1 << 22) as out, \
            open(a.out + ".truth.tsv", "w", encoding="utf-8", newline="\n") as tsv:
        tsv.write("call_id\trepeat_contact\tescalation\n")
        while True:
            if limit_calls is not None and stats["calls"] >= limit_calls:
                break
            if limit_bytes is not None and stats["bytes"] >= limit_bytes:
                break
            line, info = gen.call()
            b = line.encode("utf-8")
            out.write(b)
            digest.update(b)
            if a.split_dir:
                with open(os.path.join(a.split_dir, info["call_id"] + ".json"), "wb") as f:
                    f.write(b)
            pl = info["planted"]
            tsv.write(f"{info['call_id']}\t{1 if pl[0] else 0}\t{1 if pl[1] else 0}\n")
            stats["calls"] += 1
            stats["bytes"] += len(b)
            stats["turns"] += info["turns"]
            stats["text_bytes"] += info["text_bytes"]
            stats["repeat_customer_calls"] += info["repeat"]
            stats["languages"][info["lang"]] += 1
            stats["styles"][info["style"]] += 1
            stats["channels"][info["channel"]] += 1
            hit = False
            for i in range(4):
                if pl[i]:
                    calls_with[i] += 1
                    cue_turns[i] += pl[i]
                    hit = True
            any_cue += hit
    wall = time.perf_counter() - t0
    truth = {
        "generator": "benches/gen_corpus.py",
        "version": VERSION,
        "seed": a.seed,
        "args": {"mb": a.mb, "calls": a.calls, "mean_kb": a.mean_kb, "calls_per_day": a.calls_per_day,
                 "split_dir": bool(a.split_dir)},
        "file": os.path.basename(a.out),
        "sha256": digest.hexdigest(),
        **stats,
        "calls_with_cue": dict(zip(CATS, calls_with)),
        "cue_turns": dict(zip(CATS, cue_turns)),
        "calls_with_any_cue": any_cue,
        "total_cue_turns": sum(cue_turns),
        "phrases": {"file": "benches/phrases.tsv", "count": len(pools.phrases)},
        "notes": "Cues are planted in customer turns only, in the call's language; each cue turn holds exactly "
                 "one phrase occurrence and no other turn holds any, so calls_with_any_cue is the number of lines "
                 "`rg -c -i -F -f phrases.txt` counts and total_cue_turns the number `rg --count-matches` counts.",
    }
    with open(a.out + ".truth.json", "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False, indent=1)
        f.write("\n")
    mb = stats["bytes"] / 1e6
    print(f"[gen_corpus] {a.out}: {stats['calls']} calls, {stats['turns']} turns, {mb:.1f} MB in {wall:.2f} s "
          f"({mb / max(wall - t_pools, 1e-9):.1f} MB/s after {t_pools:.2f} s of set-up); "
          f"cue calls {dict(zip(CATS, calls_with))}", file=sys.stderr)
    return truth


# ------------------------------------------------------------------------------- self-check

_MARKS = {c: None for c in range(0x300, 0x370)}
_MARKS.update({c: None for c in range(0x64B, 0x660)})
_MARKS.update({0x670: None, 0x640: None})
_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uff66-\uff9f"
_CJK_SPACE_RE = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")
_APOS_RE = re.compile(r"(?<!\w)'|'(?!\w)")


class _NonWord(dict):
    """str.translate table: letters, digits and marks stay, apostrophes stay, the rest become spaces."""

    def __missing__(self, c):
        ch = chr(c)
        v = ch if (unicodedata.category(ch)[0] in "LNM" or ch == "'") else " "
        self[c] = v
        return v


_NONWORD = _NonWord()


def fold(text):
    """Folds text the way fcrscan documents it (docs/LEXICONS.md): compatibility decomposition, lower
    case, Latin accents and Arabic diacritics removed, punctuation runs to one space, an apostrophe
    kept inside a word, spaces between Han, Kana and Hangul removed."""
    s = unicodedata.normalize("NFKD", text).translate(_MARKS).lower()
    s = s.replace("ß", "ss").replace("đ", "d").replace("\u2019", "'").replace("\u02bc", "'")
    s = unicodedata.normalize("NFC", s).translate(_NONWORD)
    s = _APOS_RE.sub(" ", s)
    s = " ".join(s.split())
    return _CJK_SPACE_RE.sub("", s)


class Matcher:
    """Finds phrase occurrences in many texts at once, two ways:

    - "literal": the lower-cased phrase inside the lower-cased text, anywhere (what `rg -i -F` does);
    - "folded": the folded phrase between word boundaries in the folded text, or, for Chinese,
      Japanese and Korean phrases, anywhere in the folded text with all spaces removed (what
      fcrscan does, or stricter).
    """

    def __init__(self, phrases):
        self.phrases = phrases
        self.keys = []
        for lang, _cat, p in phrases:
            f = fold(p)
            self.keys.append((p.lower(), (f.replace(" ", ""), True) if lang in CJK_LANGS else (" " + f + " ", False)))

    def count(self, texts):
        """Per text, a dict phrase index -> occurrences (literal and folded counted separately: the
        dict values are (literal, folded))."""
        low = "\n".join(t.lower() for t in texts)
        folded = [fold(t) for t in texts]
        fol = "\n".join(" " + f + " " for f in folded)
        ns = "\n".join(f.replace(" ", "") for f in folded)
        starts = {}
        for name, big in (("low", low), ("fol", fol), ("ns", ns)):
            offs, pos = [], 0
            for piece in big.split("\n"):
                offs.append(pos)
                pos += len(piece) + 1
            starts[name] = offs
        res = [dict() for _ in texts]

        def scan(big, offs, needle, pi, slot):
            i = big.find(needle)
            while i >= 0:
                ti = bisect.bisect_right(offs, i) - 1
                d = res[ti]
                v = d.get(pi, [0, 0])
                v[slot] += 1
                d[pi] = v
                i = big.find(needle, i + 1)

        for pi, (lit, (fk, unspaced)) in enumerate(self.keys):
            scan(low, starts["low"], lit, pi, 0)
            if unspaced:
                scan(ns, starts["ns"], fk, pi, 1)
            else:
                scan(fol, starts["fol"], fk, pi, 1)
        return res


def self_check(a):
    t0 = time.perf_counter()
    pools = Pools()
    problems = []
    phrases = pools.phrases
    # 1. the phrase list: no empty, punctuated, duplicated or nested phrases
    seen = {}
    for i, (lang, cat, p) in enumerate(phrases):
        low = p.lower()
        if not low.strip() or any(ch in _PUNCT for ch in low) or low != low.strip() or "  " in low:
            problems.append(f"phrase {p!r} ({lang}/{cat}) is empty or has punctuation or stray spaces")
        if low in seen:
            problems.append(f"phrase {p!r} ({lang}/{cat}) is listed twice")
        seen[low] = i
        if fold(p) != fold(fold(p)):
            problems.append(f"fold is not idempotent on {p!r}")
    tsv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "phrases.tsv")
    want = "phrase\tcategory\tlanguage\n" + "".join(f"{p}\t{c}\t{l}\n" for p, c, l in phrase_rows(pools))
    if not os.path.exists(tsv) or open(tsv, encoding="utf-8").read() != want:
        problems.append(f"{tsv} is missing or out of date: run gen_corpus.py --write-phrases {tsv}")
    m = Matcher(phrases)
    # 2. phrases inside other phrases (one occurrence per cue turn must stay one hit)
    res = m.count([p for _, _, p in phrases])
    for i, d in enumerate(res):
        for pi, (lit, fol) in d.items():
            if pi != i:
                problems.append(f"phrase {phrases[pi][2]!r} occurs inside phrase {phrases[i][2]!r}")
    # 3. neutral text: every pooled turn of every language and style, and the record skeleton
    neutral = []
    for (lang, style, kind), items in pools.items.items():
        if not kind.startswith("cue:"):
            neutral.extend(it[3] for it in items)
    skeleton = ['{"call_id":"call-00000001","customer_id":"cust-0000001","agent_id":"ag-0001","queue":"'
                + q + '","channel":"voice","language":"en","started_at":"2026-11-02T09:14:05Z","duration_s":1.0,'
                '"turns":[{"speaker":"agent","start_s":0.1,"end_s":1.0,"text":""},{"speaker":"customer"}]}'
                for q in CT.QUEUES] + ["chat"] + list(CT.LANGUAGES)
    neutral.extend(skeleton)
    res = m.count(neutral)
    bad = 0
    for text, d in zip(neutral, res):
        for pi, (lit, fol) in d.items():
            bad += 1
            if bad <= 40:
                how = "literally" if lit else "once folded"
                problems.append(f"neutral text contains {phrases[pi][0]}/{phrases[pi][1]} phrase {phrases[pi][2]!r} "
                                f"{how}: {text!r}")
    # 4. cue turns: exactly one occurrence, of the intended phrase, literally and folded
    cue_keys = list(pools.cue_phrase.items())
    res = m.count([k[2] for k, _ in cue_keys])
    bad = 0
    for (key, want_pi), d in zip(cue_keys, res):
        lit = sum(v[0] for v in d.values())
        fol = sum(v[1] for v in d.values())
        ok = lit == 1 and fol == 1 and list(d) == [want_pi]
        if not ok:
            bad += 1
            if bad <= 40:
                found = {phrases[pi][2]: v for pi, v in d.items()}
                problems.append(f"cue turn {key[0]}/{key[1]} should hold only {phrases[want_pi][2]!r}: "
                                f"found {found} in {key[2]!r}")
    n_neutral, n_cue = len(neutral), len(cue_keys)
    # 5. end to end: generated records parse, follow the schema, and their planted cues match the truth
    gen = Generator(pools, a.seed, a.mean_kb, a.calls_per_day)
    n_calls = min(a.calls or 2000, 5000)
    h1 = hashlib.sha256()
    for _ in range(n_calls):
        line, info = gen.call()
        h1.update(line.encode("utf-8"))
        rec = json.loads(line)
        if list(rec) != ["call_id", "customer_id", "agent_id", "queue", "channel", "language", "started_at",
                         "duration_s", "turns"]:
            problems.append(f"{info['call_id']}: unexpected keys {list(rec)}")
        got = [0, 0, 0, 0]
        last_end = 0.0
        for k, t in enumerate(rec["turns"]):
            if t["speaker"] != ("agent", "customer")[k % 2] or not (last_end <= t["start_s"] <= t["end_s"]):
                problems.append(f"{info['call_id']}: turn {k} has a bad speaker or times")
                break
            last_end = t["end_s"]
            cat = pools.cue_text.get((rec["language"], info["style"], t["text"]))
            if cat is not None:
                if t["speaker"] != "customer":
                    problems.append(f"{info['call_id']}: a cue in an agent turn")
                got[CATS.index(cat)] += 1
        if got != info["planted"]:
            problems.append(f"{info['call_id']}: planted {info['planted']} but found {got}")
        if rec["duration_s"] != last_end:
            problems.append(f"{info['call_id']}: duration_s is not the last turn's end")
    gen2 = Generator(pools, a.seed, a.mean_kb, a.calls_per_day)
    h2 = hashlib.sha256()
    for _ in range(n_calls):
        h2.update(gen2.call()[0].encode("utf-8"))
    if h1.digest() != h2.digest():
        problems.append("the same seed gave different output")
    wall = time.perf_counter() - t0
    print(f"[self-check] {len(phrases)} phrases; {n_neutral} neutral texts and {n_cue} cue turns scanned "
          f"(literal and folded); {n_calls} generated calls verified; {wall:.1f} s", file=sys.stderr)
    for p in problems[:80]:
        print("  FAIL " + p, file=sys.stderr)
    if problems:
        print(f"[self-check] {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("[self-check] OK", file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--mb", type=float, help="stop once this many MB (10^6 bytes) are written")
    size.add_argument("--calls", type=int, help="number of calls")
    ap.add_argument("--out", help="output JSON Lines file (truth files are written next to it)")
    ap.add_argument("--seed", type=int, default=20261102)
    ap.add_argument("--mean-kb", type=float, default=15.0, help="mean bytes per call / 1000 (default 15)")
    ap.add_argument("--calls-per-day", type=float, default=2000.0, help="arrival rate (default 2000)")
    ap.add_argument("--split-dir", help="also write one <call_id>.json file per call into this directory")
    ap.add_argument("--write-phrases", metavar="TSV", help="write the phrase list (phrase, category, language)")
    ap.add_argument("--self-check", action="store_true",
                    help="verify the phrase list, that no neutral text holds a phrase, that each cue turn holds "
                         "exactly its phrase, and that generated calls match their truth")
    a = ap.parse_args()
    if a.write_phrases:
        write_phrases(Pools(), a.write_phrases)
        print(f"[gen_corpus] wrote {a.write_phrases}", file=sys.stderr)
    if a.self_check:
        sys.exit(self_check(a))
    if a.out:
        if a.mb is None and a.calls is None:
            a.mb = 100.0
        generate(a)
    elif not a.write_phrases:
        ap.error("--out is required (or --write-phrases / --self-check)")


if __name__ == "__main__":
    main()
