/**
 * How old a TIME_WAIT row of /proc/net/tcp is. The file shows the time left on the entry's timer
 * (`tm->when`), and TIME_WAIT lasts a fixed 60 s (R6, the model's TIME_WAIT_MS), so the age is
 * what is gone of those 60 s: the clock tcp_tw_reuse_delay reads (R4, R62).
 */
import { TIME_WAIT_MS } from '../model/index.js';

export function timeWaitAgeMs(remainingMs: number): number {
  return TIME_WAIT_MS - remainingMs;
}
