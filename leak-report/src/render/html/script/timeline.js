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
