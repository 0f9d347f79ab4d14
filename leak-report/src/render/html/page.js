// cargo-memleak HTML report: reads the JSON in #memleak-data and draws the summary, the
// flamegraphs, the timeline, the table of sites and the growing stacks. Self-contained:
// no network, no libraries, works from file://. Everything the data says is put in the
// page as text (textContent, attributes), never as markup.
'use strict';

(function () {
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

  // ---- Flamegraphs ------------------------------------------------------------------
  // Drawn as an icicle: the root "all" is at the top, callers above callees, the
  // allocating functions at the bottom. Zooming keeps the ancestors above at full width.

  /**
   * The call tree of one flamegraph, in flat arrays because it can hold a million nodes:
   * node 0 is the root, every node's parent has a smaller id (so one forward pass visits
   * parents first), and each node's children are `kids[start[n] .. start[n + 1]]`,
   * biggest first (so drawing can stop at the first one that is too narrow).
   */
  function buildTree(samples) {
    const nodeCanon = [-1];
    const parent = [-1];
    const value = [0];
    const depth = [0];
    const index = new Map(); // parent * stride + canon -> node
    const stride = canonNames.length;
    for (const [stackIndex, bytes] of samples) {
      const stack = stackOf(stackIndex);
      if (!(bytes > 0)) continue;
      value[0] += bytes;
      let node = 0;
      for (let i = stack.length - 1; i >= 0; i--) { // outermost first
        const c = canon(stack[i]);
        const key = node * stride + c;
        let child = index.get(key);
        if (child === undefined) {
          child = nodeCanon.length;
          index.set(key, child);
          nodeCanon.push(c);
          parent.push(node);
          value.push(0);
          depth.push(depth[node] + 1);
        }
        value[child] += bytes;
        node = child;
      }
    }
    return linkChildren({ canon: nodeCanon, parent, value, depth });
  }

  function linkChildren(tree) {
    const n = tree.parent.length;
    const start = new Int32Array(n + 1);
    for (let i = 1; i < n; i++) start[tree.parent[i] + 1]++;
    for (let i = 0; i < n; i++) start[i + 1] += start[i];
    const fill = start.slice(0, n);
    const kids = new Int32Array(Math.max(n - 1, 0));
    for (let i = 1; i < n; i++) kids[fill[tree.parent[i]]++] = i;
    const byValue = (a, b) => tree.value[b] - tree.value[a];
    for (let i = 0; i < n; i++) if (start[i + 1] - start[i] > 1) kids.subarray(start[i], start[i + 1]).sort(byValue);
    return Object.assign(tree, { start, kids });
  }

  /** A warm colour by kind of frame, its shade from a hash of the name (stable across runs). */
  function colour(name, location) {
    let h = 2166136261; // FNV-1a
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
    const r1 = ((h >>> 0) % 1000) / 1000;
    const r2 = ((h >>> 10) % 1000) / 1000;
    const bare = name.replace(/^</, '');
    if (name === 'all' || name.includes(' ')) return `hsl(${30 + r1 * 10}, 25%, ${78 + r2 * 6}%)`; // root, layers
    if (!location && !name.includes('::')) return `hsl(${46 + r1 * 10}, 85%, ${62 + r2 * 10}%)`; // native
    if (/^(std|core|alloc)::/.test(bare)) return `hsl(${26 + r1 * 12}, 85%, ${64 + r2 * 10}%)`; // Rust library
    return `hsl(${4 + r1 * 16}, 78%, ${64 + r2 * 10}%)`; // the program and its crates
  }

  // Colours per canonical frame, computed when first drawn; the root ("all") is last.
  const colours = new Array(canonNames.length + 1);
  function colourOf(tree, node) {
    const c = node === 0 ? canonNames.length : tree.canon[node];
    return (colours[c] ||= node === 0 ? colour('all', null) : colour(canonNames[c], canonLocs[c]));
  }

  const flame = { graphs: data.flamegraphs || [], current: null, states: new Map(), regex: null };

  /** A case-insensitive regex from the search box; plain text if it is not a valid regex. */
  function searchRegex(text) {
    if (!text) return null;
    try {
      return new RegExp(text, 'i');
    } catch (_) {
      return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    }
  }

  function stateOf(graph) {
    let state = flame.states.get(graph.id);
    if (!state) {
      state = { graph, tree: buildTree(graph.samples || []), zoom: 0 };
      flame.states.set(graph.id, state);
    }
    return state;
  }

  function frameName(tree, node) {
    return node === 0 ? 'all' : canonNames[tree.canon[node]];
  }

  function frameTitle(tree, node) {
    const c = tree.canon[node];
    const label = node === 0 ? 'all' : describe(c);
    return `${label} \u2014 ${fmt(tree.value[node])} bytes, ${pct(tree.value[node], tree.value[0])}`;
  }

  function addFrame(out, tree, node, x, width, extra) {
    const name = frameName(tree, node);
    const div = document.createElement('div');
    div.className = `frame${extra ? ` ${extra}` : ''}${width < 3 ? ' thin' : ''}`;
    div.setAttribute('style', `left:${x.toFixed(2)}px;top:${tree.depth[node] * ROW}px;width:${width.toFixed(2)}px;background:${colourOf(tree, node)}`);
    div.setAttribute('data-name', name);
    div.setAttribute('data-node', node);
    div.setAttribute('title', frameTitle(tree, node));
    if (width >= LABEL_WIDTH) div.textContent = name;
    if (flame.regex && node !== 0 && flame.regex.test(name)) div.classList.add('match');
    out.append(div);
  }

  /** Draws the current flamegraph at the container's width, from its zoomed node down. */
  function drawFlame() {
    const box = $('flame');
    const state = flame.current;
    if (!state) return;
    const { tree, zoom } = state;
    box.replaceChildren();
    if (tree.value[0] <= 0) {
      box.style.height = '';
      box.append(el('p', { class: 'empty', text: 'Nothing to draw' }));
      return;
    }
    const width = box.clientWidth;
    const out = document.createDocumentFragment();
    for (let n = tree.parent[zoom]; n !== -1; n = tree.parent[n]) addFrame(out, tree, n, 0, width, 'ancestor');
    addFrame(out, tree, zoom, 0, width, null);
    let bottom = tree.depth[zoom];
    const scale = width / tree.value[zoom];
    const todo = [[zoom, 0]];
    while (todo.length) {
      const [node, x0] = todo.pop();
      let x = x0;
      for (let k = tree.start[node]; k < tree.start[node + 1]; k++) {
        const child = tree.kids[k];
        const w = tree.value[child] * scale;
        if (w < MIN_WIDTH) break; // biggest first: the rest are narrower still
        addFrame(out, tree, child, x, w, null);
        if (tree.depth[child] > bottom) bottom = tree.depth[child];
        todo.push([child, x]);
        x += w;
      }
    }
    box.style.height = `${(bottom + 1) * ROW}px`;
    box.append(out);
  }

  function zoomTo(node) {
    const state = flame.current;
    state.zoom = node;
    updateFlameStatus();
    drawFlame();
  }

  function updateFlameStatus() {
    const state = flame.current;
    const zoomed = state && state.zoom !== 0;
    $('flame-status').textContent = zoomed ? `Zoomed to: ${frameName(state.tree, state.zoom)}` : '';
    $('flame-reset').disabled = !zoomed;
  }

  /**
   * The share of bytes under frames that match the search: a frame counts unless an
   * ancestor already matched (a recursive function is not counted twice).
   */
  function updateMatch() {
    const state = flame.current;
    const out = $('flame-match');
    if (!flame.regex || !state) {
      out.textContent = '';
      return;
    }
    const { tree } = state;
    const hits = new Uint8Array(canonNames.length);
    canonNames.forEach((name, c) => (hits[c] = flame.regex.test(name) ? 1 : 0));
    const covered = new Uint8Array(tree.parent.length);
    let bytes = 0;
    for (let n = 1; n < tree.parent.length; n++) {
      if (covered[tree.parent[n]]) covered[n] = 1;
      else if (hits[tree.canon[n]]) {
        covered[n] = 1;
        bytes += tree.value[n];
      }
    }
    out.textContent = `Matched: ${pct(bytes, tree.value[0])} of bytes`;
  }

  function applySearch() {
    flame.regex = searchRegex($('flame-search').value.trim());
    for (const div of $('flame').querySelectorAll('.frame')) {
      div.classList.toggle('match', !!flame.regex && div.dataset.node !== '0' && flame.regex.test(div.dataset.name));
    }
    updateMatch();
  }

  function showFlamegraph(id) {
    const graph = flame.graphs.find((g) => g.id === id);
    if (!graph) return;
    for (const tab of document.querySelectorAll('.flame-tab')) {
      const on = tab.dataset.id === id;
      tab.classList.toggle('active', on);
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
    }
    flame.current = stateOf(graph); // the tree is built on first show only
    $('flame').setAttribute('aria-label', `Flamegraph: ${graph.title}`);
    updateFlameStatus();
    drawFlame();
    updateMatch();
  }

  function setupFlamegraphs() {
    if (!flame.graphs.length) {
      $('flame').append(el('p', { class: 'empty', text: 'Nothing to draw' }));
      return;
    }
    for (const graph of flame.graphs) {
      const bytes = (graph.samples || []).reduce((sum, s) => sum + (s[1] > 0 ? s[1] : 0), 0);
      const tab = el('button', { type: 'button', class: 'flame-tab', role: 'tab', 'data-id': graph.id },
        el('span', { text: graph.title }), el('span', { class: 'tab-size', text: human(bytes) }));
      tab.addEventListener('click', () => showFlamegraph(graph.id));
      $('flame-tabs').append(tab);
    }
    const box = $('flame');
    box.addEventListener('click', (event) => {
      const frame = event.target.closest('.frame');
      if (frame) zoomTo(Number(frame.dataset.node));
    });
    box.addEventListener('mouseover', (event) => {
      const frame = event.target.closest('.frame');
      $('flame-info').textContent = frame ? frame.title : '';
    });
    box.addEventListener('mouseleave', () => ($('flame-info').textContent = ''));
    $('flame-reset').addEventListener('click', () => zoomTo(0));
    $('flame-search').addEventListener('input', debounce(applySearch, 150));
    showFlamegraph(flame.graphs[0].id);
  }

  // ---- Timeline ---------------------------------------------------------------------

  const CHART = { height: 240, left: 72, right: 20, top: 14, bottom: 30 };
  const timeline = { samples: [], checkpoints: [], index: 0, x: null, marker: null };

  /** 1, 2 or 5 times a power of ten, at least `raw`. */
  function niceStep(raw) {
    const power = 10 ** Math.floor(Math.log10(raw || 1));
    return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  }

  /** Ticks for a byte axis, in the binary unit that keeps the labels short. */
  function byteTicks(max) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let u = 0;
    while (u + 1 < units.length && max / 1024 ** u >= 1024) u++;
    const step = niceStep(max / 1024 ** u / 4);
    const ticks = [];
    // Up to the first tick at or above the maximum, so that the curve stays inside.
    for (let v = 0; ; v += step) {
      ticks.push([v * 1024 ** u, `${AXIS.format(v)} ${units[u]}`]);
      if (v * 1024 ** u >= max) return ticks;
    }
  }

  const rssOf = (s) => (s.layers && s.layers.rss != null ? s.layers.rss : null);

  function drawChart() {
    const { samples } = timeline;
    const box = $('timeline-chart');
    const width = Math.max(box.clientWidth, 300);
    const withRss = $('timeline-rss').checked;
    const t0 = samples[0].t_ns;
    const span = Math.max(samples[samples.length - 1].t_ns - t0, 1);
    let max = 1;
    for (const s of samples) max = Math.max(max, s.live_bytes || 0, withRss ? rssOf(s) || 0 : 0);
    const ticks = byteTicks(max);
    const top = Math.max(ticks[ticks.length - 1][0], 1);
    const plotW = width - CHART.left - CHART.right;
    const plotH = CHART.height - CHART.top - CHART.bottom;
    const x = (t) => CHART.left + ((t - t0) / span) * plotW;
    const y = (b) => CHART.top + plotH - (b / top) * plotH;
    timeline.x = x;

    const chart = svg('svg', { width, height: CHART.height, class: 'chart', role: 'img', 'aria-label': 'Live bytes over time' });
    for (const [value, label] of ticks) {
      chart.append(svg('line', { x1: CHART.left, x2: width - CHART.right, y1: y(value), y2: y(value), class: 'grid' }));
      const text = svg('text', { x: CHART.left - 8, y: y(value) + 4, class: 'axis', 'text-anchor': 'end' });
      text.textContent = label;
      chart.append(text);
    }
    const msStep = niceStep(span / 1e6 / 8);
    for (let m = 0; m <= span / 1e6 + 1e-9; m += msStep) {
      const text = svg('text', { x: x(t0 + m * 1e6), y: CHART.height - 10, class: 'axis', 'text-anchor': 'middle' });
      text.textContent = `${AXIS.format(t0 / 1e6 + m)} ms`;
      chart.append(text);
    }
    const line = samples.map((s) => `${x(s.t_ns).toFixed(1)},${y(s.live_bytes || 0).toFixed(1)}`).join(' L');
    chart.append(svg('path', { d: `M${x(t0)},${y(0)} L${line} L${x(t0 + span)},${y(0)} Z`, class: 'area' }));
    chart.append(svg('path', { d: `M${line}`, class: 'live' }));
    if (withRss) {
      const known = samples.filter((s) => rssOf(s) != null);
      if (known.length) chart.append(svg('path', { d: `M${known.map((s) => `${x(s.t_ns).toFixed(1)},${y(rssOf(s)).toFixed(1)}`).join(' L')}`, class: 'rss' }));
    }
    const peak = samples.findIndex((s) => s.kind === 'peak');
    if (peak >= 0) chart.append(svg('circle', { cx: x(samples[peak].t_ns), cy: y(samples[peak].live_bytes), r: 4, class: 'peak' }));
    timeline.marker = svg('line', { y1: CHART.top, y2: CHART.top + plotH, class: 'marker' });
    timeline.dot = svg('circle', { r: 5, class: 'marker-dot' });
    timeline.y = y;
    chart.append(timeline.marker, timeline.dot);
    box.replaceChildren(chart, chartLegend(withRss));
    placeMarker();
  }

  function chartLegend(withRss) {
    const legend = el('div', { class: 'legend' }, el('span', { class: 'key live', text: 'Live heap bytes' }));
    if (withRss) legend.append(el('span', { class: 'key rss', text: 'Resident set (RSS)' }));
    legend.append(el('span', { class: 'key peak', text: 'Peak' }));
    return legend;
  }

  function placeMarker() {
    const s = timeline.samples[timeline.index];
    if (!timeline.marker || !s) return;
    const x = timeline.x(s.t_ns);
    timeline.marker.setAttribute('x1', x);
    timeline.marker.setAttribute('x2', x);
    timeline.dot.setAttribute('cx', x);
    timeline.dot.setAttribute('cy', timeline.y(s.live_bytes || 0));
  }

  /** The index of the sample nearest to time `t` (samples are in time order). */
  function nearestSample(t) {
    const s = timeline.samples;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid].t_ns < t) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && t - s[lo - 1].t_ns < s[lo].t_ns - t ? lo - 1 : lo;
  }

  /** The last checkpoint at or before `t`, or null. */
  function checkpointAt(t) {
    const c = timeline.checkpoints;
    let lo = 0;
    let hi = c.length; // first checkpoint after t
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid].t_ns <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? c[lo - 1] : null;
  }

  function setMarker(index) {
    const n = timeline.samples.length;
    timeline.index = Math.max(0, Math.min(n - 1, Number(index) || 0));
    $('timeline-marker').value = String(timeline.index);
    placeMarker();
    renderMoment();
  }

  function renderMoment() {
    const i = timeline.index;
    const s = timeline.samples[i];
    const kind = s.kind === 'peak' ? 'peak' : s.kind === 'exit' ? 'exit' : null;
    const left = el('div', { class: 'moment' },
      el('h3', {}, el('span', { class: 'moment-time', text: `at ${ms(s.t_ns)}` }), ' ',
        kind ? el('span', { class: `tag ${kind}`, text: kind }) : null,
        el('span', { class: 'muted small', text: ` sample ${fmt(i + 1)} of ${fmt(timeline.samples.length)}` })),
      el('p', { class: 'moment-live' }, el('strong', { text: `${fmt(s.live_bytes || 0)} bytes` }),
        ` live (${human(s.live_bytes || 0)})`));
    left.append(s.layers ? layersTable([['Bytes', s.layers]], null) : el('p', { class: 'muted', text: 'No memory layers at this sample.' }));
    $('timeline-details').replaceChildren(left, topSites(s.t_ns));
  }

  function topSites(t) {
    const box = el('div', { class: 'moment-top' });
    const cp = checkpointAt(t);
    if (!cp) {
      box.append(el('h3', { text: 'Top sites' }), el('p', { class: 'muted', text: 'no checkpoint yet' }));
      return box;
    }
    box.append(el('h3', { text: `Top sites at ${ms(cp.t_ns)}` }),
      el('p', { class: 'muted small', text: `checkpoint: ${fmt(cp.total_bytes)} bytes live in all` }));
    const list = el('ol', { class: 'top-sites' });
    const biggest = Math.max(1, ...cp.top.map((e) => e[1]));
    for (const [stack, bytes] of cp.top) {
      const c = leafOf(stack);
      list.append(el('li', { class: 'top-site', title: stackOf(stack).map((f) => describe(canon(f))).join('\n') },
        el('span', { class: 'fn', text: canonNames[c] }),
        el('span', { class: 'loc', text: canonLocs[c] || '' }),
        el('span', { class: 'bytes', text: `${fmt(bytes)} bytes` })));
      // The share of the biggest, drawn as the row's background (see .top-site in the CSS).
      list.lastChild.style.setProperty('--share', `${((100 * bytes) / biggest).toFixed(1)}%`);
    }
    box.append(list);
    return box;
  }

  function setupTimeline() {
    const t = data.timeline;
    if (!t || !Array.isArray(t.samples) || t.samples.length < 2) {
      $('timeline-note').hidden = false;
      $('timeline-body').hidden = true;
      return;
    }
    timeline.samples = t.samples;
    timeline.checkpoints = t.checkpoints || [];
    const range = $('timeline-marker');
    range.max = String(t.samples.length - 1);
    // RSS is usually far above the heap; drawn by default only when the heap stays visible.
    const maxRss = t.samples.reduce((m, s) => Math.max(m, rssOf(s) || 0), 0);
    const maxLive = t.samples.reduce((m, s) => Math.max(m, s.live_bytes || 0), 1);
    const rssBox = $('timeline-rss');
    rssBox.disabled = maxRss === 0;
    rssBox.checked = maxRss > 0 && maxRss <= 10 * maxLive;
    rssBox.addEventListener('change', drawChart);
    range.addEventListener('input', () => setMarker(range.value));

    const box = $('timeline-chart');
    const fromPointer = (event) => {
      const rect = box.querySelector('svg').getBoundingClientRect();
      const s = timeline.samples;
      const t0 = s[0].t_ns;
      const span = Math.max(s[s.length - 1].t_ns - t0, 1);
      const plotW = rect.width - CHART.left - CHART.right;
      setMarker(nearestSample(t0 + ((event.clientX - rect.left - CHART.left) / plotW) * span));
    };
    box.addEventListener('pointerdown', (event) => {
      if (!event.target.closest('svg')) return;
      box.setPointerCapture(event.pointerId);
      fromPointer(event);
    });
    box.addEventListener('pointermove', (event) => {
      if (box.hasPointerCapture(event.pointerId)) fromPointer(event);
    });
    const peak = t.samples.findIndex((s) => s.kind === 'peak');
    timeline.index = peak >= 0 ? peak : t.samples.length - 1;
    drawChart();
    setMarker(timeline.index);
  }

  // ---- Sites table ------------------------------------------------------------------

  const KIND_LABELS = { definite: 'definite', indirect: 'indirect', reachable: 'reachable', runtime: 'runtime', live_at_exit: 'live at exit' };
  const sites = data.sites || [];
  const table = { order: null, view: [], shown: 0, key: 'bytes', desc: true, filter: '', haystack: null };

  const siteFn = (s) => canonNames[leafOf(s.stack)];
  const siteLoc = (s) => canonLocs[leafOf(s.stack)] || '';
  const SORT_KEYS = {
    kind: (s) => s.kind,
    bytes: (s) => s.bytes,
    blocks: (s) => s.blocks,
    function: siteFn,
    location: siteLoc,
  };

  /** Site indices in the chosen order; ties keep the data's order (biggest first). */
  function sortedOrder() {
    const get = SORT_KEYS[table.key];
    const keys = sites.map(get);
    const order = Array.from(sites, (_, i) => i);
    const sign = table.desc ? -1 : 1;
    order.sort((a, b) => (keys[a] < keys[b] ? -sign : keys[a] > keys[b] ? sign : a - b));
    return order;
  }

  function applyFilter() {
    const needle = table.filter.toLowerCase();
    if (!needle) {
      table.view = table.order;
      return;
    }
    // Lower-cased text per site, built on the first filter only.
    table.haystack ||= sites.map((s) => `${s.kind} ${KIND_LABELS[s.kind] || ''}\u0000${siteFn(s)}\u0000${siteLoc(s)}`.toLowerCase());
    table.view = table.order.filter((i) => table.haystack[i].includes(needle));
  }

  function siteRow(i) {
    const s = sites[i];
    const depth = stackOf(s.stack).length;
    const toggle = el('button', { type: 'button', class: 'stack-toggle', 'aria-expanded': 'false', 'data-site': i, text: `\u25b8 ${plural(depth, 'frame')}` });
    return el('tr', { 'data-site': i },
      el('td', {}, el('span', { class: `kind kind-${s.kind}`, text: KIND_LABELS[s.kind] || s.kind }),
        s.origin === 'native' ? el('span', { class: 'origin', text: 'native' }) : null),
      el('td', { class: 'num' }, fmt(s.bytes), s.bytes >= 1024 ? el('span', { class: 'human', text: human(s.bytes) }) : null),
      el('td', { class: 'num', text: fmt(s.blocks) }),
      el('td', { class: 'fn', text: siteFn(s) }),
      el('td', { class: 'loc', text: siteLoc(s) }),
      el('td', {}, toggle));
  }

  function toggleStack(button) {
    const row = button.closest('tr');
    const open = button.getAttribute('aria-expanded') === 'true';
    const depth = stackOf(sites[row.dataset.site].stack).length;
    button.setAttribute('aria-expanded', open ? 'false' : 'true');
    button.textContent = `${open ? '\u25b8' : '\u25be'} ${plural(depth, 'frame')}`;
    if (open) row.nextElementSibling.remove();
    else row.after(el('tr', { class: 'stack-row' }, el('td', { colspan: 6 }, stackList(sites[row.dataset.site].stack))));
  }

  function showMoreRows() {
    const body = $('sites').tBodies[0];
    const end = Math.min(table.view.length, table.shown + PAGE);
    const out = document.createDocumentFragment();
    for (let k = table.shown; k < end; k++) out.append(siteRow(table.view[k]));
    body.append(out);
    table.shown = end;
    updateSitesCount();
  }

  function updateSitesCount() {
    const remaining = table.view.length - table.shown;
    const more = $('sites-more');
    more.hidden = remaining <= 0;
    more.textContent = `Show ${fmt(Math.min(PAGE, remaining))} more`;
    let text;
    if (!sites.length) text = 'No sites live at exit';
    else if (!table.filter) text = `Showing ${fmt(table.shown)} of ${plural(sites.length, 'site')}`;
    else if (!table.view.length) text = `No sites match (${plural(sites.length, 'site')} in all)`;
    else text = `Showing ${fmt(table.shown)} of ${fmt(table.view.length)} matching (${plural(sites.length, 'site')} in all)`;
    $('sites-count').textContent = text;
  }

  function renderSites() {
    applyFilter();
    $('sites').tBodies[0].replaceChildren();
    table.shown = 0;
    showMoreRows();
    for (const th of $('sites').querySelectorAll('th[data-sort]')) {
      const on = th.dataset.sort === table.key;
      th.setAttribute('aria-sort', on ? (table.desc ? 'descending' : 'ascending') : 'none');
      th.querySelector('.arrow').textContent = on ? (table.desc ? ' \u25bc' : ' \u25b2') : '';
    }
  }

  function sortBy(key) {
    if (table.key === key) table.desc = !table.desc;
    else {
      table.key = key;
      table.desc = key === 'bytes' || key === 'blocks'; // numbers biggest first, text A to Z
    }
    table.order = sortedOrder();
    renderSites();
  }

  function setupSites() {
    // The data is biggest first already: no sort needed for the first render.
    table.order = Array.from(sites, (_, i) => i);
    for (const th of $('sites').querySelectorAll('th[data-sort]')) {
      th.tabIndex = 0;
      th.addEventListener('click', () => sortBy(th.dataset.sort));
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          sortBy(th.dataset.sort);
        }
      });
    }
    $('sites').tBodies[0].addEventListener('click', (event) => {
      const button = event.target.closest('.stack-toggle');
      if (button) toggleStack(button);
    });
    $('sites-more').addEventListener('click', showMoreRows);
    $('sites-filter').addEventListener('input', debounce(() => {
      table.filter = $('sites-filter').value.trim();
      renderSites();
    }, 150));
    renderSites();
  }

  // ---- Growth -----------------------------------------------------------------------

  function renderGrowth() {
    const growth = data.growth || [];
    if (!growth.length) {
      $('toc-growth').hidden = true;
      return;
    }
    $('growth').hidden = false;
    const head = el('tr', {}, ...['Function', 'Location', 'Growth', 'Live bytes'].map((h, i) =>
      el('th', { text: h, scope: 'col', class: i >= 2 ? 'num' : null })));
    const body = el('tbody');
    for (const g of growth) {
      const c = leafOf(g.stack);
      const details = el('details', {}, el('summary', { text: canonNames[c] }), stackList(g.stack));
      body.append(el('tr', { class: 'growth-row' },
        el('td', { class: 'fn' }, details),
        el('td', { class: 'loc', text: canonLocs[c] || '' }),
        el('td', { class: 'num', title: `${fmt(g.bytes_per_sec)} bytes/s` }, el('strong', { text: `${human(g.bytes_per_sec)}/s` })),
        el('td', { class: 'num', text: `${fmt(g.live_bytes)} bytes` })));
    }
    $('growth-table').append(el('thead', {}, head), body);
  }

  // ---- Start ------------------------------------------------------------------------

  renderHeader();
  renderCards();
  renderLayers();
  setupFlamegraphs();
  setupTimeline();
  setupSites();
  renderGrowth();

  // Redraw what depends on the width once resizing pauses.
  let lastWidth = window.innerWidth;
  window.addEventListener('resize', debounce(() => {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    drawFlame();
    if (timeline.samples.length >= 2) drawChart();
  }, 150));
})();
