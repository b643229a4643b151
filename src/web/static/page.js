// The portspace page (plain JavaScript, no framework): draws the server's JSON as port grids,
// headroom bars, a script's searches, a plan's chart and plain tables. It fetches only from the
// server that sent it (the Content-Security-Policy forbids anything else). Data is inserted as
// text, never as HTML.

/** Cell colours, by category: what connect() from the grid's source to the selected destination finds. */
const PALETTE = {
  free: '#dfe6ec',
  inUse: '#1f6fb4',
  twOk: '#f5c563',
  twBlock: '#e8590c',
  other: '#8ccf9b',
  bindOwned: '#343a40',
  reserved: '#9775b8',
};
/** The search walk drawn over the cells. */
const MARKS = { skip: '#c92a2a', take: '#2b8a3e', start: '#000000' };

const CATS = [
  { id: 'free', name: 'free', rule: 'R12', why: 'free: connect() to DEST may take it' },
  {
    id: 'inUse',
    name: 'in use to this destination',
    rule: 'R14',
    why: 'the 4-tuple to DEST is taken: connect() to DEST passes over it',
  },
  {
    id: 'twOk',
    name: 'TIME_WAIT, recyclable',
    rule: 'R62',
    why: 'TIME_WAIT to DEST, older than tcp_tw_reuse_delay with tcp_tw_reuse on: connect() to DEST may recycle it',
  },
  {
    id: 'twBlock',
    name: 'TIME_WAIT, not recyclable (yet)',
    rule: 'R62',
    why: 'TIME_WAIT to DEST that connect() may not recycle (yet): it passes over it',
  },
  {
    id: 'other',
    name: 'used only towards other destinations',
    rule: 'R14',
    why: 'used only towards other destinations: the 4-tuple to DEST differs, so connect() to DEST may take it',
  },
  {
    id: 'bindOwned',
    name: 'blocked: bind-owned',
    rule: 'R12',
    why: 'bind-owned (a bind() or listen() user holds it, on any address): every autoselecting connect() passes over it, whatever the destination',
  },
  {
    id: 'reserved',
    name: 'blocked: reserved',
    rule: 'R2',
    why: 'reserved (ip_local_reserved_ports): connect() and bind(ip, 0) pass over it for every destination',
  },
];
const CAT = Object.fromEntries(CATS.map((c, i) => [c.id, i]));
const NEW_DEST = '';
const GUTTER = 46;

const $ = (id) => document.getElementById(id);
const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n));

/** An element with attributes and text or child nodes (text only: never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

async function getJson(path) {
  const r = await fetch(path, { cache: 'no-store' });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error(`${path}: ${body?.error ?? `HTTP ${r.status}`}`);
  return body;
}

function showError(e) {
  const box = $('error');
  box.textContent = e instanceof Error ? e.message : String(e);
  box.hidden = false;
}

// ---------------------------------------------------------------- the port space and its grid

/** Indexes a SpaceJson for lookups by port. */
function indexSpace(space) {
  const [lo, hi] = space.range;
  const byPort = new Map();
  for (const h of space.holders) {
    const list = byPort.get(h.port);
    if (list) list.push(h);
    else byPort.set(h.port, [h]);
  }
  return {
    lo,
    hi,
    size: hi - lo + 1,
    byPort,
    reserved: new Set(space.reserved),
    bindOwned: new Set(space.bindOwned),
    space,
  };
}

/** The category of one port for connect() from `source` to `dest` ('' = a destination nobody uses yet). */
function categoryOf(ix, source, dest, port) {
  if (ix.reserved.has(port)) return CAT.reserved;
  if (ix.bindOwned.has(port)) return CAT.bindOwned;
  const mine = (ix.byPort.get(port) ?? []).filter((h) => h.source === source && h.destination !== null);
  if (mine.length === 0) return CAT.free;
  const toDest = mine.filter((h) => h.destination === dest);
  if (toDest.some((h) => h.state !== 'TIME_WAIT' && h.state !== 'FIN_WAIT2')) return CAT.inUse;
  if (toDest.length > 0) return toDest.every((h) => h.recyclable) ? CAT.twOk : CAT.twBlock;
  return CAT.other;
}

function classify(ix, source, dest) {
  const cats = new Uint8Array(ix.size);
  const counts = CATS.map(() => 0);
  for (let p = ix.lo; p <= ix.hi; p++) {
    const c = categoryOf(ix, source, dest, p);
    cats[p - ix.lo] = c;
    counts[c]++;
  }
  return { cats, counts };
}

/**
 * Where each port's cell is: 256 ports a row (fewer for a small range); `split` puts the low
 * end's parity in the left half, the other parity in the right one. Cells are as wide as
 * `avail` (CSS px) allows, 2 to 28 px; a grid of few rows gets taller cells so it stays visible.
 */
function geometry(ix, layout, avail) {
  const cols = Math.min(256, ix.size + (ix.size % 2));
  const gap = layout === 'split' ? 8 : 0;
  const cw = Math.max(2, Math.min(28, Math.floor((avail - GUTTER - gap) / cols)));
  const rows = Math.ceil(ix.size / cols);
  const ch = rows <= 40 ? Math.max(cw, Math.min(28, Math.floor(200 / rows))) : cw;
  const half = cols / 2;
  const line = cw >= 8 ? 1 : 0;
  const width = GUTTER + cols * cw + gap;
  const height = rows * ch;
  const xy = (port) => {
    const off = port - ix.lo;
    const r = Math.floor(off / cols);
    const c = off % cols;
    const x = layout === 'split' ? (c & 1) * (half * cw + gap) + (c >> 1) * cw : c * cw;
    return { x: GUTTER + x, y: r * ch };
  };
  const portAt = (x, y) => {
    const r = Math.floor(y / ch);
    const gx = x - GUTTER;
    if (r < 0 || r >= rows || gx < 0) return null;
    let c;
    if (layout === 'split') {
      if (gx < half * cw) c = 2 * Math.floor(gx / cw);
      else if (gx >= half * cw + gap) c = 2 * Math.floor((gx - half * cw - gap) / cw) + 1;
      else return null;
    } else c = Math.floor(gx / cw);
    if (c < 0 || c >= cols) return null;
    const p = ix.lo + r * cols + c;
    return p <= ix.hi ? p : null;
  };
  const center = (port) => {
    const { x, y } = xy(port);
    return { x: x + Math.floor((cw - line) / 2), y: y + Math.floor((ch - line) / 2) };
  };
  return { cols, cw, ch, rows, gap, half, line, width, height, xy, portAt, center };
}

/**
 * One grid: a canvas per source address. `marks` (a search walk) = { skipped: Map port->reason,
 * taken, start } or null.
 */
function drawGrid(canvas, g, ix, cats, marks) {
  canvas.width = g.width;
  canvas.height = Math.max(g.height, 12);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const colours = CATS.map((c) => PALETTE[c.id]);
  const w = g.cw - g.line;
  const h = g.ch - g.line;
  for (let p = ix.lo; p <= ix.hi; p++) {
    const { x, y } = g.xy(p);
    ctx.fillStyle = colours[cats[p - ix.lo]];
    ctx.fillRect(x, y, w, h);
  }
  ctx.fillStyle = '#5f6b76';
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  const every = Math.max(1, Math.ceil(12 / g.ch));
  for (let r = 0; r < g.rows; r += every) ctx.fillText(String(ix.lo + r * g.cols), 0, r * g.ch);
  if (marks) drawMarks(ctx, g, marks);
}

function drawMarks(ctx, g, marks) {
  // An inner square (a dot on small cells) over the cell's colour.
  const ix = Math.max(g.cw >= 4 ? 1 : 0, Math.floor(g.cw / 4));
  const iy = Math.max(g.ch >= 4 ? 1 : 0, Math.floor(g.ch / 4));
  const iw = Math.max(1, g.cw - g.line - 2 * ix);
  const ih = Math.max(1, g.ch - g.line - 2 * iy);
  ctx.fillStyle = MARKS.skip;
  for (const p of marks.skipped.keys()) {
    const { x, y } = g.xy(p);
    ctx.fillRect(x + ix, y + iy, iw, ih);
  }
  if (marks.taken !== null) {
    const { x, y } = g.xy(marks.taken);
    ctx.fillStyle = MARKS.take;
    ctx.fillRect(x + ix, y + iy, iw, ih);
  }
  ctx.strokeStyle = MARKS.start;
  ctx.lineWidth = 1;
  for (const p of marks.starts) {
    const { x, y } = g.xy(p);
    ctx.strokeRect(x + 0.5, y + 0.5, g.cw - g.line - 1, g.ch - g.line - 1);
  }
}

function legend(box) {
  box.replaceChildren(
    ...CATS.map((c) => {
      const sw = el('span', { class: 'sw' });
      sw.style.background = PALETTE[c.id];
      return el('span', {}, sw, `${c.name} (${c.rule})`);
    }),
  );
}

/** What the hover shows for one port. */
function hoverText(ix, source, dest, port) {
  const c = CATS[categoryOf(ix, source, dest, port)];
  const d = dest === NEW_DEST ? 'a new destination' : dest;
  const parity =
    (port - ix.lo) % 2 === 0
      ? 'the low end\u2019s parity: connect() tries it first (R11)'
      : 'the other parity: bind(ip, 0) tries it first (R40)';
  const lines = [
    `port ${port} \u00b7 from ${source} to ${d}`,
    `${c.why.replaceAll('DEST', d)} (${c.rule})`,
    `${parity}`,
  ];
  const holders = ix.byPort.get(port) ?? [];
  if (holders.length > 0) {
    lines.push('on this port:');
    for (const h of holders.slice(0, 8))
      lines.push(
        `  ${h.label}${h.state === 'TIME_WAIT' ? (h.recyclable ? ' (recyclable now)' : ' (not recyclable yet)') : ''}`,
      );
    if (holders.length > 8) lines.push(`  ... and ${holders.length - 8} more`);
  } else lines.push('no socket on this port');
  return lines.join('\n');
}

const tooltip = () => $('tooltip');

function attachHover(canvas, state) {
  canvas.addEventListener('mousemove', (ev) => {
    const r = canvas.getBoundingClientRect();
    const port = state.g.portAt(ev.clientX - r.left, ev.clientY - r.top);
    const tip = tooltip();
    if (port === null) {
      tip.hidden = true;
      return;
    }
    tip.textContent = hoverText(state.ix, state.source, state.dest, port);
    tip.hidden = false;
    tip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - 380)}px`;
    tip.style.top = `${ev.clientY + 14}px`;
  });
  canvas.addEventListener('mouseleave', () => {
    tooltip().hidden = true;
  });
}

/** Grids of every source into `box`; returns their states (for hover, marks and tests). */
function renderGrids(box, space, dest, layout, marksFor) {
  const ix = indexSpace(space);
  const sources = space.sources.length > 0 ? space.sources : ['(any source)'];
  // A hidden view has no width yet: it is drawn again when shown (select).
  const g = geometry(ix, layout, box.clientWidth || document.documentElement.clientWidth - 40);
  const states = [];
  const children = [];
  for (const source of sources) {
    const { cats, counts } = classify(ix, source, dest);
    const canvas = el('canvas', { 'data-source': source, 'aria-label': `ports of ${source}` });
    const state = { ix, g, source, dest, canvas, counts, cats };
    drawGrid(canvas, g, ix, cats, marksFor ? marksFor(source) : null);
    attachHover(canvas, state);
    const d = dest === NEW_DEST ? 'a new destination' : dest;
    const countText = CATS.map((c, i) => `${c.name} ${fmt(counts[i])}`).join(' \u00b7 ');
    const head = el('div', { class: 'head', text: `source ${source} \u2192 ${d}` });
    const low = ix.lo % 2 === 0 ? 'even' : 'odd';
    const high = ix.lo % 2 === 0 ? 'odd' : 'even';
    const halves = el('div', {
      class: 'halves',
      text:
        layout === 'split'
          ? `left: ${low} ports, connect() takes these first (R11) \u00b7 right: ${high} ports, bind(ip, 0) takes these first (R40)`
          : `in port order: ${low} ports (connect() first, R11) and ${high} ports (bind(ip, 0) first, R40) alternate`,
    });
    children.push(
      el(
        'div',
        { class: 'grid', 'data-source': source },
        head,
        el('div', { class: 'counts', text: countText }),
        halves,
        canvas,
      ),
    );
    states.push(state);
  }
  box.replaceChildren(...children);
  return states;
}

/** Draws the grids again with other marks (a search walk frame), keeping their elements. */
function redrawGrids(states, marksFor) {
  for (const s of states) drawGrid(s.canvas, s.g, s.ix, s.cats, marksFor(s.source));
}

function fillDestinations(select, space, preferred) {
  const prev = select.value;
  const options = [...space.destinations];
  if (preferred && preferred !== NEW_DEST && !options.includes(preferred)) options.unshift(preferred);
  select.replaceChildren(
    ...options.map((d) => el('option', { value: d, text: d })),
    el('option', { value: NEW_DEST, text: '(a new destination)' }),
  );
  const want = [preferred, prev].find(
    (v) => v !== undefined && v !== null && (v === NEW_DEST || options.includes(v)),
  );
  select.value = want ?? options[0] ?? NEW_DEST;
  return select.value;
}

// ---------------------------------------------------------------- live host

const live = { data: null, states: [], timer: null, pinned: null };

function duration(sec) {
  if (sec === null || sec === undefined) return 'not shrinking';
  if (sec < 120) return `${sec.toFixed(1)} s`;
  if (sec < 7200) return `${(sec / 60).toFixed(1)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

/** `headroom steady`, `losing 3.0 ports/s: exhausted in 2.3 min`, `gaining 1.0 ports/s`. */
function exhaustionText(ex) {
  if (Math.abs(ex.lossPerSec) < 0.005) return 'headroom steady';
  if (ex.lossPerSec < 0) return `headroom gaining ${(-ex.lossPerSec).toFixed(2)} ports/s`;
  return `headroom losing ${ex.lossPerSec.toFixed(2)} ports/s: exhausted in ${duration(ex.secondsLeft)}`;
}

function exhaustionOf(d, source, destination) {
  return d.exhaustion.find((e) => e.source === source && e.destination === destination) ?? null;
}

function renderLive() {
  const d = live.data;
  if (!d) return;
  const r = d.report;
  const preferred = live.pinned ?? r.destinations[0]?.destination ?? NEW_DEST;
  const dest = fillDestinations($('live-dest'), d.space, preferred);
  const layout = $('live-layout').value;
  $('live-status').textContent =
    `sample ${d.sample}${d.intervalSec === null ? '' : `, ${d.intervalSec.toFixed(1)} s after the last`} \u00b7 ip_local_port_range ${r.range[0]}-${r.range[1]} (${fmt(r.rangeSize)} ports, ${fmt(r.candidatePorts)} candidates) \u00b7 tcp_tw_reuse=${r.sysctls.twReuse}`;
  live.states = renderGrids($('live-grids'), d.space, dest, layout, null);
  const bars = r.destinations.map((row) => {
    const ratio = r.candidatePorts === 0 ? 0 : row.headroom / r.candidatePorts;
    const fill = el('div', { class: `fill ${ratio < 0.1 ? 'critical' : ratio < 0.25 ? 'low' : 'ok'}` });
    fill.style.width = `${Math.max(0, Math.min(100, ratio * 100)).toFixed(2)}%`;
    const ex = exhaustionOf(d, row.source, row.destination);
    const rate = d.report.rates?.destinations.find(
      (x) => x.source === row.source && x.destination === row.destination,
    );
    const bits = [
      `headroom ${fmt(row.headroom)}${row.headroomMax > row.headroom ? `-${fmt(row.headroomMax)}` : ''} of ${fmt(r.candidatePorts)}`,
      `ESTABLISHED ${fmt(row.established)}`,
      `TIME_WAIT ${fmt(row.timeWait)} (${fmt(row.recyclableTimeWait)} recyclable)`,
    ];
    if (row.bindHeld > 0) bits.push(`bind-held ${fmt(row.bindHeld)}`);
    if (rate) bits.push(`${rate.timeWaitPerSec.toFixed(1)} TIME_WAIT/s`);
    if (ex) bits.push(exhaustionText(ex));
    const label = el('button', {
      type: 'button',
      class: 'l',
      text: `${row.source} \u2192 ${row.destination}`,
      title: 'show this destination on the grid',
    });
    label.addEventListener('click', () => {
      live.pinned = row.destination;
      renderLive();
    });
    return el(
      'div',
      { class: 'bar', 'data-pair': `${row.source} ${row.destination}` },
      label,
      el('div', { class: 'track', role: 'img', 'aria-label': `headroom ${row.headroom}` }, fill),
      el('div', { class: 'text', text: bits.join(' \u00b7 ') }),
      // The doctor's fixes measured on this pair (each names the pair it gains on).
      ...r.warnings.flatMap((w) =>
        w.fixes
          .filter((f) => f.per.includes(`(${row.source} -> ${row.destination})`))
          .map((f) =>
            el('div', { class: 'text bar-fix', text: `${w.code}: ${f.fix}: +${fmt(f.gain)} here` }),
          ),
      ),
    );
  });
  if (bars.length === 0)
    bars.push(
      el('p', {
        text: `no outgoing connections; a new destination has ${fmt(r.freshHeadroom)} connections of headroom`,
      }),
    );
  $('live-headroom').replaceChildren(...bars);
  $('live-warnings').replaceChildren(
    ...(r.warnings.length === 0
      ? [el('p', { text: 'no warnings' })]
      : r.warnings.map((w) =>
          el(
            'div',
            { class: `warning ${w.severity}` },
            el('span', { class: 'code', text: `${w.code}` }),
            ` (${w.rule}): ${w.message}`,
            ...w.fixes.map((f) =>
              el('div', {
                class: 'fix',
                text: `fix: ${f.fix}: +${fmt(f.gain)} connection${f.gain === 1 ? '' : 's'} ${f.per}`,
              }),
            ),
          ),
        )),
  );
  $('live-notes').replaceChildren(
    ...[...new Set([...r.notes, ...d.space.notes])].map((n) => el('li', { text: n })),
  );
  if (currentView === 'table') renderTables();
}

async function refreshLive() {
  try {
    live.data = await getJson('/api/live');
    $('error').hidden = true;
    renderLive();
  } catch (e) {
    showError(e);
  }
}

// ---------------------------------------------------------------- script stepping

const script = { data: null, index: 0, spaces: new Map(), states: [], walk: null, pinned: null };

async function spaceOf(i) {
  let s = script.spaces.get(i);
  if (!s) {
    s = await getJson(`/api/script/step/${i}`);
    script.spaces.set(i, s);
  }
  return s;
}

/** The walk of a search as a list of events in scan order: start, skip (with its run), take. */
function walkEvents(search) {
  const events = [];
  let run = 0;
  for (const ph of search.phases)
    for (const pa of ph.passes) {
      events.push({ kind: 'start', port: pa.startPort, pass: pa.pass, phase: ph.label });
      for (const r of pa.skipped) {
        for (let k = 0, p = r.from; k < r.count; k++, p += r.step) {
          events.push({ kind: 'skip', port: p, reason: r.reason, run });
        }
        run++;
      }
      if (pa.took !== null) events.push({ kind: 'take', port: pa.took });
    }
  return events;
}

function marksUpTo(events, n) {
  const m = { skipped: new Map(), taken: null, starts: [] };
  for (const e of events.slice(0, n)) {
    if (e.kind === 'skip') m.skipped.set(e.port, e.reason);
    else if (e.kind === 'take') m.taken = e.port;
    else m.starts.push(e.port);
  }
  return m;
}

function stepText(s) {
  const lines = [
    `line ${s.line}: ${s.call}${s.expected ? ` = ${s.expected}` : ''}`,
    `result: ${s.result} ${s.pass ? '(as expected)' : '(NOT as expected)'}`,
  ];
  if (s.failure) {
    lines.push(`${s.failure.errno} by rule ${s.failure.rule}: ${s.failure.reason}`);
    for (const b of s.failure.blocking.slice(0, 6)) lines.push(`  in the way: ${b}`);
    if (s.failure.blocking.length > 6) lines.push(`  ... and ${s.failure.blocking.length - 6} more`);
  }
  if (s.replayed) lines.push('(the search that ended the loop, re-walked on a replaying twin)');
  return lines.join('\n');
}

function runsList(s) {
  const items = [];
  if (!s.search) return [el('li', { text: 'no port search in this step' })];
  let k = 0;
  let run = 0;
  for (const ph of s.search.phases) {
    items.push(
      el('li', { text: `${ph.label}: window ${ph.lo}-${ph.hi}${ph.step === 2 ? ', every other port' : ''}` }),
    );
    for (const pa of ph.passes) {
      items.push(el('li', { text: `  pass ${pa.pass + 1} starts at ${pa.startPort} (offset ${pa.offset})` }));
      const texts = s.search.runTexts[k++] ?? [];
      for (const t of texts) items.push(el('li', { 'data-run': run++, text: `    passed over ${t}` }));
      items.push(
        el('li', { text: pa.took !== null ? `    took ${pa.took}` : '    no port left in this pass' }),
      );
    }
  }
  if (s.search.took === null && s.search.exhausted)
    items.push(
      el('li', { text: `no port taken: every candidate was passed over (${fmt(s.search.skipped)} ports)` }),
    );
  return items;
}

function marksFor(s, space, marks) {
  return (source) =>
    marks && (s.focus.source === null || s.focus.source === source || !space.sources.includes(s.focus.source))
      ? marks
      : null;
}

/** Draws the step's grids (`fresh`: new elements, else a redraw) with the first `shown` walk events. */
function drawStep(events, shown, fresh) {
  const s = script.data.steps[script.index];
  const space = script.spaces.get(script.index);
  if (!space) return;
  const pick = marksFor(s, space, events ? marksUpTo(events, shown) : null);
  if (fresh)
    script.states = renderGrids(
      $('script-grids'),
      space,
      $('script-dest').value,
      $('script-layout').value,
      pick,
    );
  else redrawGrids(script.states, pick);
  const status = $('walk-status');
  if (!events) status.textContent = '';
  else {
    const skipped = events.slice(0, shown).filter((e) => e.kind === 'skip').length;
    const total = events.filter((e) => e.kind === 'skip').length;
    const last = events[shown - 1];
    const end = s.search.took !== null ? `, took ${s.search.took}` : ', none taken';
    status.textContent = `search: ${fmt(skipped)} of ${fmt(total)} ports passed over${shown >= events.length ? end : ''}`;
    for (const li of document.querySelectorAll('#search-runs li[data-run]'))
      li.classList.toggle('active', last?.kind === 'skip' && String(last.run) === li.dataset.run);
  }
}

/** Animates the search over ~1.5 s (any length), then leaves the whole walk drawn. */
function animateWalk() {
  const s = script.data.steps[script.index];
  if (script.walk) cancelAnimationFrame(script.walk);
  script.walk = null;
  if (!s.search) {
    document.body.dataset.walk = 'none';
    return drawStep(null, 0, true);
  }
  const events = walkEvents(s.search);
  drawStep(events, 0, true);
  const t0 = performance.now();
  const total = 1500;
  const frame = (t) => {
    const shown = Math.min(events.length, Math.max(1, Math.ceil(((t - t0) / total) * events.length)));
    drawStep(events, shown, false);
    if (shown < events.length) script.walk = requestAnimationFrame(frame);
    else {
      script.walk = null;
      document.body.dataset.walk = 'done';
    }
  };
  document.body.dataset.walk = 'running';
  script.walk = requestAnimationFrame(frame);
}

async function showStep(i) {
  const steps = script.data.steps;
  if (steps.length === 0) return;
  script.index = Math.max(0, Math.min(steps.length - 1, i));
  const s = steps[script.index];
  const space = await spaceOf(script.index);
  $('step-pos').textContent = `step ${script.index + 1} of ${steps.length}`;
  for (const li of $('script-steps').children)
    li.classList.toggle('current', Number(li.dataset.index) === script.index);
  $('step-detail').textContent = stepText(s);
  fillDestinations(
    $('script-dest'),
    space,
    script.pinned ?? s.focus.destination ?? space.destinations[0] ?? NEW_DEST,
  );
  $('search-runs').replaceChildren(...runsList(s));
  animateWalk();
  if (currentView === 'table') renderTables();
}

async function loadScript() {
  script.data = await getJson('/api/script');
  const list = $('script-steps');
  list.replaceChildren(
    ...script.data.steps.map((s) => {
      const li = el('li', {
        'data-index': s.index,
        class: s.pass ? '' : 'fail',
        text: `${s.call} \u2192 ${s.result}`,
      });
      li.addEventListener('click', () => showStep(s.index));
      return li;
    }),
  );
  $('step-first').addEventListener('click', () => showStep(0));
  $('step-prev').addEventListener('click', () => showStep(script.index - 1));
  $('step-next').addEventListener('click', () => showStep(script.index + 1));
  $('step-last').addEventListener('click', () => showStep(script.data.steps.length - 1));
  $('step-walk').addEventListener('click', () => animateWalk());
  $('script-dest').addEventListener('change', () => {
    script.pinned = $('script-dest').value;
    animateWalk();
  });
  $('script-layout').addEventListener('change', () => animateWalk());
  document.addEventListener('keydown', (e) => {
    if (currentView !== 'script' || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'ArrowRight') showStep(script.index + 1);
    if (e.key === 'ArrowLeft') showStep(script.index - 1);
  });
  await showStep(0);
}

// ---------------------------------------------------------------- plan

const plan = { data: null };
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function planChart(p) {
  const main = p.strategies.find((s) => s.name === p.plan.strategy) ?? p.strategies[0];
  const W = 980;
  const H = 360;
  const L = 64;
  const R = 250;
  const T = 16;
  const B = 40;
  const pw = W - L - R;
  const ph = H - T - B;
  const dur = p.plan.durationMs;
  const ymax = Math.max(
    1,
    main.capacityMax,
    ...p.strategies.flatMap((s) => s.series.map((b) => Math.max(b.unitInUse, b.timeWait))),
  );
  const x = (ms) => L + (ms / dur) * pw;
  const y = (v) => T + ph - (v / ymax) * ph;
  const root = svg('svg', {
    width: W,
    height: H,
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': 'ports in use and TIME_WAIT over time',
  });
  root.append(svg('rect', { width: W, height: H, fill: '#ffffff' }));
  for (let k = 0; k <= 4; k++) {
    const v = Math.round((ymax * k) / 4);
    root.append(svg('line', { x1: L, x2: L + pw, y1: y(v), y2: y(v), stroke: '#e3e7eb' }));
    root.append(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)));
    root.append(
      svg('text', { x: x((dur * k) / 4), y: T + ph + 16, 'text-anchor': 'middle' }, `${(dur * k) / 4000} s`),
    );
  }
  root.append(svg('line', { x1: L, x2: L + pw, y1: T + ph, y2: T + ph, stroke: '#333' }));
  root.append(svg('line', { x1: L, x2: L, y1: T, y2: T + ph, stroke: '#333' }));
  root.append(
    svg('line', {
      x1: L,
      x2: L + pw,
      y1: y(main.capacity),
      y2: y(main.capacity),
      stroke: '#d62728',
      'stroke-dasharray': '6 4',
    }),
  );
  const lines = [
    {
      key: 'unitInUse',
      colour: '#1f6fb4',
      name: `ports in use, fullest ${main.capacityUnit === 'source' ? 'source' : 'pair'}`,
      width: 5,
    },
    { key: 'timeWait', colour: '#e8590c', name: 'TIME_WAIT entries (all)', width: 2 },
    { key: 'open', colour: '#2b8a3e', name: 'open connections (all)', width: 2 },
  ];
  const step = dur / Math.max(1, main.series.length);
  for (const l of lines) {
    const pts = main.series
      .map(
        (b, i) =>
          `${x(i * step).toFixed(1)},${y(b[l.key]).toFixed(1)} ${x((i + 1) * step).toFixed(1)},${y(b[l.key]).toFixed(1)}`,
      )
      .join(' ');
    // The fullest unit's line is wide and drawn first: where TIME_WAIT equals it, both show.
    root.append(svg('polyline', { points: pts, fill: 'none', stroke: l.colour, 'stroke-width': l.width }));
  }
  main.series.forEach((b, i) => {
    if (b.failed > 0)
      root.append(
        svg('rect', {
          x: x(i * step),
          y: T + ph - 6,
          width: Math.max(1, pw / main.series.length),
          height: 6,
          fill: '#d62728',
        }),
      );
  });
  const legendItems = [
    ...lines,
    {
      colour: '#d62728',
      name: `capacity ${fmt(main.capacity)}${main.capacityMax > main.capacity ? `-${fmt(main.capacityMax)}` : ''} (dashed)`,
    },
    { colour: '#d62728', name: 'failed attempts (ticks at 0)' },
  ];
  legendItems.forEach((l, k) => {
    root.append(svg('rect', { x: L + pw + 12, y: T + 6 + k * 20, width: 12, height: 12, fill: l.colour }));
    root.append(svg('text', { x: L + pw + 30, y: T + 16 + k * 20 }, l.name));
  });
  root.append(
    svg('text', { x: L + pw / 2, y: H - 6, 'text-anchor': 'middle' }, `virtual time (strategy ${main.name})`),
  );
  return root;
}

function renderPlan() {
  const p = plan.data;
  const c = p.plan;
  const dests = c.destinations.map((d) =>
    d.addr.includes(':') ? `[${d.addr}]:${d.port}` : `${d.addr}:${d.port}`,
  );
  const head = [
    `plan: ${fmt(c.rate)} new connections/s for ${c.durationMs / 1000} s, each open ${c.holdMs / 1000} s, the ${c.closer} closes first`,
    `from ${c.sources.join(', ')} to ${dests.join(', ')}; ip_local_port_range ${c.range[0]}-${c.range[1]}, tcp_tw_reuse ${c.twReuse}; engine ${p.engine}`,
    ...p.strategies.map(
      (s) =>
        `${s.name}: ${s.firstFailureAtSec === null ? 'no failure' : `first failure at ${s.firstFailureAtSec} s (${s.failedCall}() ${s.errno})`}; failed ${fmt(s.failed)} of ${fmt(s.attempts)}; peak in use ${fmt(s.peakInUse)} of ${fmt(s.capacity)}; peak TIME_WAIT ${fmt(s.peakTimeWait)}`,
    ),
  ];
  $('plan-head').textContent = head.join('\n');
  $('plan-chart').replaceChildren(planChart(p));
  $('plan-advice').replaceChildren(
    ...p.advice.map((a) => el('li', { text: `${a.helps ? '+' : '='} ${a.text}` })),
  );
}

// ---------------------------------------------------------------- tables

function table(caption, head, rows, id) {
  return el(
    'table',
    { id },
    el('caption', { text: caption }),
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col', text: h })))),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          {},
          ...r.map((c, i) =>
            el(
              i === 0 ? 'th' : 'td',
              i === 0
                ? { scope: 'row', text: String(c) }
                : typeof c === 'number'
                  ? { text: fmt(c) }
                  : { class: /^[-\d.,]+$/.test(String(c)) ? undefined : 'l', text: String(c) },
            ),
          ),
        ),
      ),
    ),
  );
}

function gridCountTable(caption, states, id) {
  return table(
    caption,
    ['source', 'destination', ...CATS.map((c) => c.name)],
    states.map((s) => [s.source, s.dest === NEW_DEST ? '(a new destination)' : s.dest, ...s.counts]),
    id,
  );
}

function renderTables() {
  const out = [];
  const d = live.data;
  if (d) {
    out.push(
      table(
        `live: headroom per (source, destination), tightest first (sample ${d.sample})`,
        [
          'source',
          'destination',
          'ESTABLISHED',
          'TIME_WAIT',
          'recyclable TIME_WAIT',
          'bind-held',
          'headroom',
          'headroom max',
          'TIME_WAIT/s',
          'headroom lost/s',
          'time to exhaustion',
        ],
        d.report.destinations.map((r) => {
          const ex = exhaustionOf(d, r.source, r.destination);
          const rate = d.report.rates?.destinations.find(
            (x) => x.source === r.source && x.destination === r.destination,
          );
          return [
            r.source,
            r.destination,
            r.established,
            r.timeWait,
            r.recyclableTimeWait,
            r.bindHeld,
            r.headroom,
            r.headroomMax,
            rate ? rate.timeWaitPerSec.toFixed(2) : '-',
            ex ? ex.lossPerSec.toFixed(2) : '-',
            ex ? duration(ex.secondsLeft) : '-',
          ];
        }),
        'table-live-headroom',
      ),
      gridCountTable('live: ports per category on the grid', live.states, 'table-live-grid'),
      table(
        'live: fixes the doctor computes',
        ['warning', 'fix', 'gain', 'per'],
        d.report.warnings.flatMap((w) => w.fixes.map((f) => [w.code, f.fix, f.gain, f.per])),
        'table-live-fixes',
      ),
    );
  }
  if (script.data) {
    out.push(
      table(
        `script ${script.data.file}: steps`,
        ['step', 'line', 'call', 'expected', 'result', 'as expected', 'ports passed over', 'port taken'],
        script.data.steps.map((s) => [
          s.index + 1,
          s.line,
          s.call,
          s.expected || '-',
          s.result,
          s.pass ? 'yes' : 'no',
          s.search ? s.search.skipped : '-',
          s.search?.took ?? '-',
        ]),
        'table-script-steps',
      ),
      gridCountTable(
        `script: ports per category after step ${script.index + 1}`,
        script.states,
        'table-script-grid',
      ),
    );
  }
  if (plan.data) {
    const p = plan.data;
    out.push(
      table(
        'plan: strategies',
        [
          'strategy',
          'attempts',
          'failed',
          'first failure (s)',
          'errno',
          'peak in use',
          'capacity',
          'peak TIME_WAIT',
          'peak open',
        ],
        p.strategies.map((s) => [
          s.name,
          s.attempts,
          s.failed,
          s.firstFailureAtSec ?? '-',
          s.errno ?? '-',
          s.peakInUse,
          s.capacity,
          s.peakTimeWait,
          s.peakOpen,
        ]),
        'table-plan-strategies',
      ),
    );
    const main = p.strategies.find((s) => s.name === p.plan.strategy) ?? p.strategies[0];
    out.push(
      table(
        `plan: ${main.name} over time`,
        ['from (s)', 'ports in use (fullest unit)', 'TIME_WAIT', 'open', 'attempts', 'failed'],
        main.series.map((b) => [b.startMs / 1000, b.unitInUse, b.timeWait, b.open, b.attempts, b.failed]),
        'table-plan-series',
      ),
    );
  }
  $('tables').replaceChildren(...out);
}

// ---------------------------------------------------------------- views

let currentView = null;
const VIEW_NAMES = { live: 'Live host', script: 'Script', plan: 'Plan', table: 'Table' };

function select(view) {
  currentView = view;
  for (const b of $('tabs').children) b.setAttribute('aria-selected', String(b.dataset.view === view));
  for (const s of document.querySelectorAll('section.view')) s.hidden = s.id !== `view-${view}`;
  if (view === 'table') renderTables();
  // Grids fit the width of their view, which a hidden view does not have: draw them now.
  if (view === 'live' && live.data) renderLive();
  if (view === 'script' && script.data && script.spaces.has(script.index)) animateWalk();
  document.body.dataset.view = view;
}

async function main() {
  const meta = await getJson('/api/meta');
  $('title').textContent = meta.title;
  document.title = `portspace: ${meta.title}`;
  const views = [...meta.views, 'table'];
  $('tabs').replaceChildren(
    ...views.map((v) => {
      const b = el('button', { type: 'button', role: 'tab', 'data-view': v, text: VIEW_NAMES[v] });
      b.addEventListener('click', () => select(v));
      return b;
    }),
  );
  legend($('live-legend'));
  legend($('script-legend'));
  $('live-dest').addEventListener('change', () => {
    live.pinned = $('live-dest').value;
    renderLive();
  });
  $('live-layout').addEventListener('change', () => renderLive());
  const loads = [];
  if (meta.views.includes('live')) {
    loads.push(refreshLive());
    live.timer = setInterval(() => {
      if (!document.hidden && (currentView === 'live' || currentView === 'table')) refreshLive();
    }, meta.refreshMs);
  }
  if (meta.views.includes('script')) loads.push(loadScript());
  if (meta.views.includes('plan'))
    loads.push(
      getJson('/api/plan').then((p) => {
        plan.data = p;
        renderPlan();
      }),
    );
  const wanted = new URLSearchParams(location.search).get('view');
  select(views.includes(wanted) ? wanted : (meta.views.find((v) => v !== 'live') ?? views[0]));
  await Promise.all(loads);
  document.body.dataset.ready = 'yes';
}

/** For tests and curious users: where a port's cell is on a grid's canvas (canvas pixels). */
window.portspace = {
  palette: PALETTE,
  marks: MARKS,
  cellCenter(view, source, port) {
    const states = view === 'script' ? script.states : live.states;
    const s = states.find((x) => x.source === source);
    return s ? s.g.center(port) : null;
  },
};

main().catch(showError);
