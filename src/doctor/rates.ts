/**
 * Rates for `--watch`: how fast TIME_WAIT entries and connections appear, per destination.
 * A TIME_WAIT entry shows its remaining lifetime (R6: 60 s in all), so the entries younger than
 * the interval are exactly those created during it (minus any recycled meanwhile); established
 * connections are compared between the two samples.
 */
import { TIME_WAIT_MS } from '../model/index.js';
import { type Snapshot, ST } from '../procnet/index.js';
import type { DoctorReport } from './report.js';
import { type Rates, rateKey } from './warnings.js';

/** Rates between the previous report and a new snapshot (with its report built without rates). */
export function measureRates(
  prev: DoctorReport,
  next: DoctorReport,
  snap: Snapshot,
  intervalSec: number,
): Rates {
  const t = snap.tcp;
  const young = TIME_WAIT_MS - intervalSec * 1000;
  const tw = new Map<string, number>();
  for (let i = 0; i < t.count; i++) {
    if (t.state[i] !== ST.TIME_WAIT || (t.whenMs[i] ?? 0) <= young) continue;
    const key = rateKey(
      snap.addrs.text(t.laddr[i] ?? 0),
      snap.addrs.endpoint(t.raddr[i] ?? 0, t.rport[i] ?? 0),
    );
    tw.set(key, (tw.get(key) ?? 0) + 1);
  }
  const timeWaitPerSec = new Map<string, number>();
  for (const [k, n] of tw) timeWaitPerSec.set(k, n / intervalSec);
  const before = new Map(prev.destinations.map((d) => [rateKey(d.source, d.destination), d.established]));
  const establishedPerSec = new Map<string, number>();
  for (const d of next.destinations) {
    const k = rateKey(d.source, d.destination);
    establishedPerSec.set(k, (d.established - (before.get(k) ?? 0)) / intervalSec);
  }
  return { intervalSec, timeWaitPerSec, establishedPerSec };
}
