/**
 * Progress of a long `repeat` on stderr, so a loop that does not end soon is not silence until its
 * wall-clock budget (120 s) runs out. Nothing is shown for loops that finish within 2 s. On a
 * terminal one line is redrawn (4 times a second at most); in a pipe or a log a line is written
 * every 10 s. Driven by the runner's onRound hook; the clock is injectable for tests.
 */
import { fmt } from '../doctor/text.js';
import type { RoundEvent } from '../run/runner.js';
import type { Stream } from './output.js';

const QUIET_MS = 2000;

export interface RepeatProgress {
  onRound(r: RoundEvent): void;
  /** Ends the redrawn line, if one is showing. */
  stop(): void;
}

export function repeatProgress(stream: Stream, now: () => number = Date.now): RepeatProgress {
  const tty = stream.isTTY === true;
  const every = tty ? 250 : 10_000;
  let last = 0;
  let showing = false;
  return {
    onRound(r) {
      if (r.elapsedMs < QUIET_MS) return;
      const t = now();
      if (t - last < every) return;
      last = t;
      const text = `portspace: ${r.file}:${r.pos.line}:${r.pos.col} repeat ${fmt(r.max)}: round ${fmt(r.round)}, ${(r.elapsedMs / 1000).toFixed(0)} s (the loop stops after ${(r.budgetMs / 1000).toFixed(0)} s)`;
      if (tty) {
        stream.write(`\r\u001b[2K${text}`);
        showing = true;
      } else stream.write(`${text}\n`);
    },
    stop() {
      if (showing) stream.write('\r\u001b[2K');
      showing = false;
    },
  };
}
