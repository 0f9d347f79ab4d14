// The page's base: helpers, the data and its frames, the header, the summary cards
// and the layers table.

const PAGE = 200; // sites rendered per page of the table
const ROW = 18; // flamegraph row height, px
const MIN_WIDTH = 0.5; // narrower frames (and their subtrees) are not drawn
const LABEL_WIDTH = 28; // narrower frames get no text, only a tooltip

// ---- Small helpers ----------------------------------------------------------------

const $ = (id) => document.getElementById(id);

/** Creates an element; `text` sets textContent, `class` the class, others attributes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  return node;
}

// One formatter for all numbers: toLocaleString builds a new one per call, which
// costs more than the rest of drawing a flamegraph frame.
const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const TENTHS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const AXIS = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** `10,496` */
const fmt = (n) => INTEGER.format(Math.round(Number(n)));

/** `0`, `512 B`, `10.3 KiB`: the same rounding as the text report's `human`. */
function human(bytes) {
  if (bytes == null) return 'unknown';
  if (bytes === 0) return '0';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let divisor = 1024;
  for (let i = 0; ; i++) {
    const tenths = Math.round((bytes * 10) / divisor);
    if (tenths < 10240 || i + 1 === units.length) return `${(tenths / 10).toFixed(1)} ${units[i]}`;
    divisor *= 1024;
  }
}

const plural = (n, word) => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
const pct = (part, whole) => `${whole > 0 ? ((100 * part) / whole).toFixed(1) : '0.0'}%`;
const ms = (ns) => `${TENTHS.format(ns / 1e6)} ms`;
const duration = (ns) => (ns >= 1e9 ? `${(ns / 1e9).toFixed(2)} s` : ms(ns));

/** Runs `fn` once typing has paused, so a keystroke never waits for a 100k-row pass. */
function debounce(fn, wait) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

// ---- The data ---------------------------------------------------------------------

const data = JSON.parse($('memleak-data').textContent);
const frames = data.frames || [];
const stacks = data.stacks || [];

// Frames are merged by function+location: the table may repeat a pair under several
// indices, so each index maps to one canonical id (`canon`). The last id stands for
// an index that is out of range.
const canonNames = [];
const canonLocs = [];
const canonOf = (() => {
  const ids = new Map();
  const of = new Int32Array(frames.length);
  frames.forEach((frame, i) => {
    const key = `${frame.function}\u0000${frame.location ?? ''}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = canonNames.length;
      ids.set(key, id);
      canonNames.push(String(frame.function));
      canonLocs.push(frame.location ?? null);
    }
    of[i] = id;
  });
  return of;
})();
const UNKNOWN = canonNames.length;
canonNames.push('??');
canonLocs.push(null);
const canon = (frameIndex) => (frameIndex >= 0 && frameIndex < canonOf.length ? canonOf[frameIndex] : UNKNOWN);

const stackOf = (index) => stacks[index] || [];
/** The allocating function of a stack (its innermost frame). */
const leafOf = (index) => canon(stackOf(index)[0]);
const describe = (c) => (canonLocs[c] ? `${canonNames[c]} (${canonLocs[c]})` : canonNames[c]);

/** The frames of a stack as an ordered list, innermost first. */
function stackList(index) {
  const list = el('ol', { class: 'stack', start: 0 });
  for (const f of stackOf(index)) {
    const c = canon(f);
    list.append(el('li', {}, el('span', { class: 'fn', text: canonNames[c] }), ' ',
      el('span', { class: 'loc', text: canonLocs[c] || '' })));
  }
  return list;
}

// ---- Header and summary -----------------------------------------------------------

function exitText(p) {
  if (p.exit_signal != null) return `killed by signal ${p.exit_signal}`;
  if (p.exit_code != null) return `exit code ${p.exit_code}`;
  return 'unknown';
}

/** Shell-like quoting so that arguments with spaces stay readable. */
const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);

function renderHeader() {
  const p = data.program || {};
  $('title').textContent = data.title || 'memory report';
  const facts = [
    ['Program', [p.exe || '?', ...(p.args || [])].map(quote).join(' ')],
    ['Exit', exitText(p)],
    ['Build', p.build || 'unknown'],
    ['Tracking', p.mode === 'preload' ? 'preloaded (LD_PRELOAD)' : p.mode === 'inprocess' ? 'in-process' : p.mode || 'unknown'],
    ['Run time', p.elapsed_ns != null ? duration(p.elapsed_ns) : 'unknown'],
  ];
  for (const [term, value] of facts) {
    $('program').append(el('div', {}, el('dt', { text: term }), el('dd', { text: value, class: term === 'Program' ? 'mono' : null })));
  }
  const v = data.verdict || {};
  const verdict = $('verdict');
  verdict.className = v.has_leaks ? 'leaks' : 'clean';
  verdict.textContent = v.message || (v.has_leaks ? 'leaks found' : 'no leaks found');
  if (v.sampled) {
    verdict.after(el('p', { id: 'sampled-note', class: 'note', text: 'Allocations were sampled: the numbers are estimates.' }));
  }
}

function renderCards() {
  for (const entry of data.summary || []) {
    $('cards').append(el('div', { class: entry.bytes ? 'card' : 'card zero', 'data-key': entry.key },
      el('div', { class: 'card-label', text: entry.label }),
      el('div', { class: 'card-bytes', text: `${fmt(entry.bytes)} bytes` }),
      el('div', { class: 'card-human', text: entry.bytes >= 1024 ? human(entry.bytes) : '\u00a0' }),
      el('div', { class: 'card-blocks', text: plural(entry.blocks, 'block') })));
  }
}

const LAYER_ROWS = [
  ['rss', 'Resident set (RSS)'],
  ['tracked_heap', 'Tracked heap'],
  ['tracker_overhead', 'Tracker overhead'],
  ['malloc_overhead', 'Malloc per-block overhead'],
  ['native', 'Native (malloc, not via Rust)'],
  ['allocator_free', 'Malloc free space'],
  ['other_anonymous', 'Other anonymous'],
  ['file_backed', 'File-backed'],
  ['not_resident', 'Counted, not resident (apart)'],
  ['swap', 'Swap (apart)'],
];

/** A table of layers, one column per [heading, LAYERS] pair, with bars relative to RSS. */
function layersTable(columns, id) {
  const head = el('tr', {}, el('th', { text: 'Layer', scope: 'col' }),
    ...columns.map(([title]) => el('th', { text: title, scope: 'col', class: 'num' })));
  const body = el('tbody');
  for (const [key, label] of LAYER_ROWS) {
    const row = el('tr', { 'data-layer': key, class: key === 'rss' ? 'total' : null }, el('th', { text: label, scope: 'row' }));
    for (const [, layers] of columns) {
      const value = layers ? layers[key] : null;
      const cell = el('td', { class: 'num' });
      if (value == null) cell.append(el('span', { class: 'unknown', text: 'unknown' }));
      else {
        cell.title = `${fmt(value)} bytes`;
        cell.append(human(value));
        if (key !== 'rss' && layers.rss > 0) {
          const width = Math.min(100, (100 * value) / layers.rss);
          cell.title = `${fmt(value)} bytes, ${pct(value, layers.rss)} of RSS`;
          cell.append(el('span', { class: 'track' }, el('span', { class: 'bar', style: `width:${width.toFixed(1)}%` })));
        }
      }
      row.append(cell);
    }
    body.append(row);
  }
  return el('table', { id, class: 'layers' }, el('thead', {}, head), body);
}

function renderLayers() {
  const { at_peak: peak, at_exit: exit } = data.layers || {};
  const box = $('layers-box');
  if (!peak && !exit) {
    box.append(el('p', { id: 'layers', class: 'muted', text: 'No memory layers: the profile has no footprint.' }));
    return;
  }
  const columns = [];
  if (peak) columns.push([`At the peak (${ms(peak.t_ns)})`, peak]);
  if (exit) columns.push([`At exit (${ms(exit.t_ns)})`, exit]);
  box.append(layersTable(columns, 'layers'));
}
