// The plan view: ports in use, TIME_WAIT and open connections over time (SVG), and the advice.
import { $, el, fmt } from './common.js';

export const plan = { data: null };
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

export function renderPlan() {
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
