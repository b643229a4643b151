/**
 * The SVG chart: ports in use by the fullest capacity unit over time (what runs out, R14, R23)
 * for one or more strategies (a line each), the unit's capacity as a dashed red line, failed
 * slices as red ticks along the bottom. Returns the document as a string; the CLI writes it
 * (the planner does no I/O).
 */
import type { StrategyResult } from './plan-types.js';

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd'];

function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** `unit` names what the y axis counts, like "(source, destination)". */
export function svgChart(
  results: readonly StrategyResult[],
  durationMs: number,
  title: string,
  unit = '(source, destination)',
): string {
  const W = 800;
  const H = 360;
  const left = 70;
  const right = 150;
  const topPad = 40;
  const bottom = 50;
  const pw = W - left - right;
  const ph = H - topPad - bottom;
  const capacity = Math.max(0, ...results.map((r) => r.capacity));
  const ymax = Math.max(1, capacity, ...results.flatMap((r) => r.series.map((b) => b.unitInUse)));
  const x = (ms: number) => left + (ms / durationMs) * pw;
  const y = (v: number) => topPad + ph - (v / ymax) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14">${esc(title)}</text>`,
    `<line x1="${left}" y1="${topPad + ph}" x2="${left + pw}" y2="${topPad + ph}" stroke="#333"/>`,
    `<line x1="${left}" y1="${topPad}" x2="${left}" y2="${topPad + ph}" stroke="#333"/>`,
  );
  for (let k = 0; k <= 4; k++) {
    const v = Math.round((ymax * k) / 4);
    parts.push(
      `<line x1="${left - 4}" y1="${y(v)}" x2="${left + pw}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
    );
    const ms = (durationMs * k) / 4;
    parts.push(`<text x="${x(ms)}" y="${topPad + ph + 18}" text-anchor="middle">${ms / 1000} s</text>`);
  }
  parts.push(
    `<text x="${left + pw / 2}" y="${H - 10}" text-anchor="middle">virtual time</text>`,
    `<text transform="translate(16 ${topPad + ph / 2}) rotate(-90)" text-anchor="middle">ports in use per ${esc(unit)}</text>`,
    `<line x1="${left}" y1="${y(capacity)}" x2="${left + pw}" y2="${y(capacity)}" stroke="#d62728" stroke-dasharray="6 4"/>`,
  );
  results.forEach((r, k) => {
    const colour = COLOURS[k % COLOURS.length] ?? '#000';
    const step = durationMs / Math.max(1, r.series.length);
    const pts = r.series.map(
      (b) =>
        `${x(b.startMs).toFixed(1)},${y(b.unitInUse).toFixed(1)} ${x(b.startMs + step).toFixed(1)},${y(b.unitInUse).toFixed(1)}`,
    );
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const b of r.series)
      if (b.failed > 0)
        parts.push(
          `<rect x="${x(b.startMs).toFixed(1)}" y="${topPad + ph + 2 + k * 4}" width="${Math.max(1, (step / durationMs) * pw).toFixed(1)}" height="3" fill="#d62728"/>`,
        );
    const ly = topPad + 10 + k * 36;
    parts.push(
      `<line x1="${left + pw + 12}" y1="${ly}" x2="${left + pw + 32}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${left + pw + 38}" y="${ly + 4}">${esc(r.name)}</text>`,
      `<text x="${left + pw + 38}" y="${ly + 18}" fill="#555">failed ${(r.failedFraction * 100).toFixed(1)}%</text>`,
    );
  });
  parts.push(
    `<text x="${left + pw + 12}" y="${topPad + ph - 14}" fill="#555">dashed: capacity ${capacity}</text>`,
    `<text x="${left + pw + 12}" y="${topPad + ph}" fill="#d62728">red: failures</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
