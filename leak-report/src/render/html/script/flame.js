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
