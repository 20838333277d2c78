// The review report's only script. It reads the data block (JSON, never markup), builds every
// node with createElement and textContent, and never assigns HTML from data: transcript text,
// metadata and phrases are untrusted. The page's Content-Security-Policy allows this script by
// its hash and nothing else, and forbids every network fetch.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('report-data').textContent);
  var calls = data.calls;
  var PAGE_SIZE = 50;
  var SEVERITY_LABELS = {
    escalation: 'escalation',
    repeat_contact: 'repeat contact',
    strongly_negative: 'strongly negative',
    several_cues: 'several cues'
  };
  var CATEGORY_ORDER = ['escalation', 'repeat_contact', 'sentiment_negative', 'sentiment_positive'];
  var state = { category: '', language: '', queue: '', agent: '', query: '', page: 0, matches: [] };

  function byId(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // A class name from a category: only [a-z0-9_], topics share one colour.
  function categoryClass(category) {
    if (/^topic_[a-z0-9_]+$/.test(category)) { return 'c-topic'; }
    return /^[a-z0-9_]+$/.test(category) ? 'c-' + category : 'c-other';
  }

  function categoryLabel(category) {
    return String(category).replace(/^topic_/, 'topic: ').replace(/_/g, ' ');
  }

  function clock(seconds) {
    if (typeof seconds !== 'number' || !isFinite(seconds) || seconds < 0) { return ''; }
    var s = Math.floor(seconds);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var rest = String(s % 60).padStart(2, '0');
    return h > 0 ? h + ':' + String(m).padStart(2, '0') + ':' + rest : m + ':' + rest;
  }

  function segmentText(seg) {
    if (typeof seg === 'string') { return seg; }
    if (seg.r) { return '[' + seg.r + ']'; }
    return seg.t || '';
  }

  // The most severe category among a mark's hits decides its colour.
  function markCategory(call, hitIds) {
    var best = null;
    var bestRank = 99;
    hitIds.forEach(function (h) {
      var hit = call.hits[h];
      if (!hit) { return; }
      var rank = CATEGORY_ORDER.indexOf(hit.c);
      if (rank < 0) { rank = 50; }
      if (rank < bestRank) { best = hit; bestRank = rank; }
    });
    return best;
  }

  function appendSegments(parent, call, segments) {
    segments.forEach(function (seg) {
      if (typeof seg === 'string') {
        parent.appendChild(document.createTextNode(seg));
      } else if (seg.r) {
        var pii = el('span', 'pii', '[' + seg.r + ']');
        pii.title = 'redacted ' + seg.r;
        parent.appendChild(pii);
      } else {
        var hits = Array.isArray(seg.h) ? seg.h : [];
        var first = markCategory(call, hits);
        var mark = el('mark', 'hit ' + (first ? categoryClass(first.c) : 'c-other'), seg.t);
        if (first && !first.k) { mark.className += ' uncounted'; }
        mark.title = hits.map(function (h) {
          var hit = call.hits[h];
          return hit ? categoryLabel(hit.c) + ': ' + hit.p + (hit.k ? '' : ' (not counted)') : '';
        }).join('\n');
        if (first) { mark.setAttribute('data-category', first.c); }
        parent.appendChild(mark);
      }
    });
  }

  function searchText(call) {
    if (call._search === undefined) {
      var parts = [call.id, call.queue, call.agent, call.customer, call.lang, call.channel];
      call.hits.forEach(function (hit) { parts.push(hit.p); });
      call.ex.forEach(function (excerpt) {
        excerpt.x.forEach(function (seg) { parts.push(segmentText(seg)); });
      });
      (call.turns || []).forEach(function (turn) {
        turn.x.forEach(function (seg) { parts.push(segmentText(seg)); });
      });
      call._search = parts.filter(function (p) { return p; }).join('\n').toLowerCase();
    }
    return call._search;
  }

  function matches(call) {
    if (state.category && call.cats.indexOf(state.category) < 0) { return false; }
    if (state.language && call.lang !== state.language) { return false; }
    if (state.queue && call.queue !== state.queue) { return false; }
    if (state.agent && call.agent !== state.agent) { return false; }
    if (state.query && searchText(call).indexOf(state.query) < 0) { return false; }
    return true;
  }

  function metaItem(list, label, value) {
    if (value === undefined || value === null || value === '') { return; }
    var item = el('span', 'meta-item');
    item.appendChild(el('span', 'meta-label', label));
    item.appendChild(document.createTextNode(' ' + value));
    list.appendChild(item);
  }

  function transcript(call, container) {
    var list = el('ol', 'turns');
    call.turns.forEach(function (turn) {
      var item = el('li', 'turn spk-' + (/^[a-z]+$/.test(turn.s) ? turn.s : 'unknown'));
      item.appendChild(el('span', 'turn-time', clock(turn.t)));
      item.appendChild(el('span', 'turn-speaker', turn.l || turn.s));
      var text = el('p', 'turn-text');
      text.dir = 'auto';
      appendSegments(text, call, turn.x);
      item.appendChild(text);
      list.appendChild(item);
    });
    container.appendChild(list);
  }

  function card(call, rank) {
    var item = el('li', 'call');
    item.id = 'call-' + rank;
    item.setAttribute('data-call-id', call.id);
    if (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(call.lang) && call.lang !== 'und') { item.lang = call.lang; }

    var head = el('div', 'call-head');
    head.appendChild(el('span', 'rank', '#' + rank));
    var id = el('code', 'call-id', call.id);
    head.appendChild(id);
    call.sev.forEach(function (reason) {
      head.appendChild(el('span', 'badge sev-' + reason, SEVERITY_LABELS[reason] || reason));
    });
    if (typeof call.sent === 'number') {
      head.appendChild(el('span', 'sentiment' + (call.sent < 0 ? ' neg' : ''), 'sentiment ' + call.sent.toFixed(2)));
    }
    item.appendChild(head);

    var meta = el('div', 'meta');
    metaItem(meta, 'started', call.start || call.date);
    metaItem(meta, 'duration', clock(call.dur));
    metaItem(meta, 'queue', call.queue);
    metaItem(meta, 'agent', call.agent);
    metaItem(meta, 'customer', call.customer);
    metaItem(meta, 'channel', call.channel);
    metaItem(meta, 'language', call.lang);
    if (call.topics.length) { metaItem(meta, 'topics', call.topics.join(', ')); }
    item.appendChild(meta);

    var excerpts = el('ul', 'hits');
    call.ex.forEach(function (excerpt) {
      var hits = excerpt.h.map(function (h) { return call.hits[h]; }).filter(function (hit) { return hit && !/^topic_/.test(hit.c); });
      if (!hits.length) { return; }
      var counted = hits.some(function (hit) { return hit.k; });
      var row = el('li', 'hit-row' + (counted ? '' : ' uncounted'));
      row.appendChild(el('span', 'hit-time', clock(excerpt.t)));
      row.appendChild(el('span', 'hit-speaker', excerpt.s));
      var chips = el('span', 'chips');
      var seen = {};
      hits.forEach(function (hit) {
        if (seen[hit.c]) { return; }
        seen[hit.c] = true;
        chips.appendChild(el('span', 'chip ' + categoryClass(hit.c), categoryLabel(hit.c)));
      });
      row.appendChild(chips);
      var text = el('span', 'excerpt');
      text.dir = 'auto';
      appendSegments(text, call, excerpt.x);
      row.appendChild(text);
      var notes = [];
      if (hits.some(function (hit) { return hit.n; })) { notes.push('negated'); }
      if (!counted) { notes.push('not counted: said by the ' + excerpt.s); }
      if (notes.length) { row.appendChild(el('span', 'hit-note', notes.join(' · '))); }
      row.title = hits.map(function (hit) { return categoryLabel(hit.c) + ': ' + hit.p + ' (' + hit.l + ')'; }).join('\n');
      excerpts.appendChild(row);
    });
    item.appendChild(excerpts);

    if (call.turns) {
      var details = el('details', 'transcript');
      details.appendChild(el('summary', null, 'Transcript (' + call.turns.length + ' turns)'));
      details.addEventListener('toggle', function () {
        if (details.open && !details._built) {
          details._built = true;
          transcript(call, details);
        }
      });
      item.appendChild(details);
    } else {
      item.appendChild(el('p', 'no-transcript', 'Transcript not stored (scan with --transcripts all or flagged).'));
    }
    return item;
  }

  function render() {
    var list = byId('call-list');
    var total = state.matches.length;
    var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    if (state.page >= pages) { state.page = pages - 1; }
    var start = state.page * PAGE_SIZE;
    var end = Math.min(total, start + PAGE_SIZE);
    var fragment = document.createDocumentFragment();
    for (var i = start; i < end; i++) {
      fragment.appendChild(card(calls[state.matches[i]], state.matches[i] + 1));
    }
    list.replaceChildren(fragment);
    byId('match-count').textContent = total === calls.length
      ? total + ' flagged calls'
      : total + ' of ' + calls.length + ' flagged calls match';
    byId('page-label').textContent = total === 0 ? 'no calls' : 'calls ' + (start + 1) + '–' + end + ' · page ' + (state.page + 1) + ' of ' + pages;
    byId('prev-page').disabled = state.page === 0;
    byId('next-page').disabled = state.page >= pages - 1;
    byId('no-match').hidden = total !== 0;
  }

  function apply() {
    state.matches = [];
    for (var i = 0; i < calls.length; i++) {
      if (matches(calls[i])) { state.matches.push(i); }
    }
    state.page = 0;
    render();
  }

  function fillSelect(id, facet, label) {
    var select = byId(id);
    var all = el('option', null, 'all ' + label);
    all.value = '';
    select.appendChild(all);
    facet.forEach(function (entry) {
      var option = el('option', null, (id === 'filter-category' ? categoryLabel(entry[0]) : entry[0]) + ' (' + entry[1] + ')');
      option.value = entry[0];
      select.appendChild(option);
    });
    select.addEventListener('change', function () {
      state[select.getAttribute('data-key')] = select.value;
      apply();
    });
  }

  fillSelect('filter-category', data.facets.categories, 'categories');
  fillSelect('filter-language', data.facets.languages, 'languages');
  fillSelect('filter-queue', data.facets.queues, 'queues');
  fillSelect('filter-agent', data.facets.agents, 'agents');

  var timer = null;
  byId('filter-search').addEventListener('input', function (event) {
    clearTimeout(timer);
    timer = setTimeout(function () {
      state.query = event.target.value.trim().toLowerCase();
      apply();
    }, 150);
  });
  byId('filter-reset').addEventListener('click', function () {
    ['filter-category', 'filter-language', 'filter-queue', 'filter-agent', 'filter-search'].forEach(function (id) { byId(id).value = ''; });
    state.category = state.language = state.queue = state.agent = state.query = '';
    apply();
  });
  byId('prev-page').addEventListener('click', function () { state.page -= 1; render(); byId('calls').scrollIntoView(); });
  byId('next-page').addEventListener('click', function () { state.page += 1; render(); byId('calls').scrollIntoView(); });
  byId('filters').hidden = false;
  apply();
  document.documentElement.setAttribute('data-ready', 'true');
})();
