// The sites table, the growing stacks, and the start: every part drawn, and redrawn
// on resize.

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
