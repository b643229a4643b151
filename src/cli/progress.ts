/**
 * A one-line progress bar on stderr, drawn only when stderr is a TTY (a pipe or a CI log gets
 * nothing, so stdout and `--json` stay clean). Hand-written rather than a package: the CLI needs
 * one bar, redrawn in place with `\r`, that can step aside for a log line; that is ~60 lines,
 * typed, and adds nothing to install (cli-progress would also need @types/cli-progress).
 */
import type { Paint, Stream } from './output.js';

export interface ProgressOptions {
  readonly stream: Stream;
  readonly total: number;
  readonly label: string;
  /** Draw at all; default: when the stream is a TTY. */
  readonly enabled?: boolean;
  readonly paint?: Paint;
  /** Minimum ms between redraws (default 80). */
  readonly intervalMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

export class Progress {
  private done = 0;
  private label: string;
  private drawn = false;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private readonly started: number;
  private readonly enabled: boolean;
  private readonly now: () => number;

  constructor(private readonly opts: ProgressOptions) {
    this.label = opts.label;
    this.enabled = opts.enabled ?? opts.stream.isTTY === true;
    this.now = opts.now ?? Date.now;
    this.started = this.now();
  }

  get active(): boolean {
    return this.enabled;
  }

  /** Sets the count of finished items (capped at the total) and redraws if due. */
  update(done: number, label?: string): void {
    this.done = Math.min(Math.max(done, 0), this.opts.total);
    if (label !== undefined) this.label = label;
    this.draw(false);
  }

  tick(label?: string): void {
    this.update(this.done + 1, label);
  }

  /** Writes a full line above the bar (the bar is cleared, then redrawn). */
  log(text: string): void {
    if (!this.enabled) {
      this.opts.stream.write(`${text}\n`);
      return;
    }
    this.clear();
    this.opts.stream.write(`${text}\n`);
    this.draw(true);
  }

  /** Removes the bar; call once at the end. */
  stop(): void {
    this.clear();
  }

  render(width: number): string {
    const { total } = this.opts;
    const pct = total === 0 ? 100 : Math.floor((this.done / total) * 100);
    const secs = ((this.now() - this.started) / 1000).toFixed(1);
    const tail = ` ${this.done}/${total} ${pct}% ${secs} s`;
    const barWidth = Math.max(10, Math.min(30, width - this.label.length - tail.length - 4));
    const filled = total === 0 ? barWidth : Math.round((this.done / total) * barWidth);
    const paint = this.opts.paint ?? ((_s: string, t: string) => t);
    const bar =
      (filled > 0 ? paint('green', '#'.repeat(filled)) : '') +
      (filled < barWidth ? paint('dim', '-'.repeat(barWidth - filled)) : '');
    return `${this.label} [${bar}]${tail}`;
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const t = this.now();
    if (!force && t - this.lastDraw < (this.opts.intervalMs ?? 80) && this.done < this.opts.total) return;
    this.lastDraw = t;
    this.opts.stream.write(`\r\u001b[2K${this.render(this.opts.stream.columns || 80)}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.opts.stream.write('\r\u001b[2K');
    this.drawn = false;
  }
}
