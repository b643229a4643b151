// The port grid: which category each port is in for connect() from a source to a destination
// (computed here from the holders of each port, so another destination needs no request), where
// each port's cell is (256 ports a row, split by parity), drawing, marks of a search walk, hover.
import { $, CAT, CATS, el, fmt, GUTTER, MARKS, NEW_DEST, PALETTE } from './common.js';

/** Indexes a SpaceJson for lookups by port. */
export function indexSpace(space) {
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
export function categoryOf(ix, source, dest, port) {
  if (ix.reserved.has(port)) return CAT.reserved;
  if (ix.bindOwned.has(port)) return CAT.bindOwned;
  const mine = (ix.byPort.get(port) ?? []).filter((h) => h.source === source && h.destination !== null);
  if (mine.length === 0) return CAT.free;
  const toDest = mine.filter((h) => h.destination === dest);
  if (toDest.some((h) => h.state !== 'TIME_WAIT' && h.state !== 'FIN_WAIT2')) return CAT.inUse;
  if (toDest.length > 0) return toDest.every((h) => h.recyclable) ? CAT.twOk : CAT.twBlock;
  return CAT.other;
}

export function classify(ix, source, dest) {
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
export function geometry(ix, layout, avail) {
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
export function drawGrid(canvas, g, ix, cats, marks) {
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

export function legend(box) {
  box.replaceChildren(
    ...CATS.map((c) => {
      const sw = el('span', { class: 'sw' });
      sw.style.background = PALETTE[c.id];
      return el('span', {}, sw, `${c.name} (${c.rule})`);
    }),
  );
}

/** What the hover shows for one port. */
export function hoverText(ix, source, dest, port) {
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
export function renderGrids(box, space, dest, layout, marksFor) {
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
export function redrawGrids(states, marksFor) {
  for (const s of states) drawGrid(s.canvas, s.g, s.ix, s.cats, marksFor(s.source));
}

export function fillDestinations(select, space, preferred) {
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
