/**
 * The terminal chart: ports in use by the fullest capacity unit over time (what runs out, R14,
 * R23) as a block chart (Unicode eighth blocks), one column per time slice, scaled to the
 * unit's capacity when given, with a row under it marking the slices where attempts failed.
 * Colour comes from the caller's paint function (plain text off a terminal).
 */
import type { SeriesBin } from './plan-types.js';

const BLOCKS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export type Painter = (style: 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold', text: string) => string;

export interface TextChartOptions {
  readonly width?: number;
  readonly height?: number;
  readonly durationMs: number;
  /** Ports one unit can hold: the top of the axis (when the series stays below it). */
  readonly capacity?: number;
  readonly paint?: Painter;
}

/** Merges slices into `width` columns (maxima for levels, sums for counts). */
export function columns(series: readonly SeriesBin[], width: number): SeriesBin[] {
  if (series.length <= width) return [...series];
  const out: SeriesBin[] = [];
  for (let c = 0; c < width; c++) {
    const from = Math.floor((c * series.length) / width);
    const to = Math.floor(((c + 1) * series.length) / width);
    const part = series.slice(from, Math.max(to, from + 1));
    out.push({
      startMs: part[0]?.startMs ?? 0,
      inUse: Math.max(...part.map((b) => b.inUse)),
      unitInUse: Math.max(...part.map((b) => b.unitInUse)),
      timeWait: Math.max(...part.map((b) => b.timeWait)),
      open: Math.max(...part.map((b) => b.open)),
      attempts: part.reduce((n, b) => n + b.attempts, 0),
      failed: part.reduce((n, b) => n + b.failed, 0),
    });
  }
  return out;
}

export function textChart(series: readonly SeriesBin[], opts: TextChartOptions): string[] {
  const paint: Painter = opts.paint ?? ((_s, t) => t);
  const height = opts.height ?? 8;
  const cols = columns(series, opts.width ?? 60);
  const top = Math.max(1, opts.capacity ?? 0, ...cols.map((b) => b.unitInUse));
  const label = (n: number) => n.toLocaleString('en-US');
  const pad = Math.max(label(top).length, 4);
  const lines: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    let cells = '';
    for (const b of cols) {
      const eighths = Math.round((b.unitInUse / top) * height * 8) - row * 8;
      cells += BLOCKS[Math.max(0, Math.min(8, eighths))] ?? ' ';
    }
    const axis = row === height - 1 ? label(top).padStart(pad) : ' '.repeat(pad);
    lines.push(`${axis} ┤${paint('cyan', cells)}`);
  }
  lines.push(`${'0'.padStart(pad)} ┼${'─'.repeat(cols.length)}`);
  const fails = cols.map((b) => (b.failed > 0 ? 'x' : ' ')).join('');
  lines.push(`${'fail'.padStart(pad)}  ${paint('red', fails)}`);
  const end = `${opts.durationMs / 1000} s`;
  lines.push(`${' '.repeat(pad)}  0 s${end.padStart(Math.max(1, cols.length - 3))}`);
  return lines;
}
