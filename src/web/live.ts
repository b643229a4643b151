/**
 * The live view's data: each sample reads /proc (or a copy) afresh, builds the doctor's report
 * (headroom per (source, destination), warnings and fixes) and the port space, and from the
 * sample before it the rates: TIME_WAIT entries and connections per second (the doctor's
 * measureRates) and how fast each destination's headroom shrinks, hence the time until
 * connect() to it fails with EADDRNOTAVAIL at that pace (R14).
 */
import { aggregate, buildReport, type DoctorReport, measureRates, paramsOf } from '../doctor/index.js';
import type { Snapshot } from '../procnet/index.js';
import { type SpaceJson, spaceFromAggregate } from './space.js';

export interface ExhaustionJson {
  readonly source: string;
  readonly destination: string;
  readonly headroom: number;
  /** Headroom lost per second since the previous sample (negative: it grew). */
  readonly lossPerSec: number;
  /** headroom / lossPerSec when the headroom shrinks; null when it does not. */
  readonly secondsLeft: number | null;
}

export interface LiveJson {
  /** 1 for the first sample. */
  readonly sample: number;
  /** Seconds since the previous sample; null for the first. */
  readonly intervalSec: number | null;
  readonly report: DoctorReport;
  readonly space: SpaceJson;
  /** Per (source, destination) of the report; empty for the first sample. */
  readonly exhaustion: readonly ExhaustionJson[];
}

export interface LiveOptions {
  /** Reads one snapshot (throws with a message for the user when it cannot). */
  readonly read: () => Snapshot;
  /** Milliseconds, monotonic. */
  readonly clock: () => number;
  /** A request within this many ms of the last sample gets that sample again (bounds /proc reads). */
  readonly minIntervalMs: number;
}

const key = (source: string, destination: string) => `${source}\u0000${destination}`;

export class LiveSource {
  private last: { json: LiveJson; at: number } | null = null;
  private samples = 0;

  constructor(private readonly opts: LiveOptions) {}

  sample(): LiveJson {
    const now = this.opts.clock();
    const prev = this.last;
    if (prev !== null && now - prev.at < this.opts.minIntervalMs) return prev.json;
    const snap = this.opts.read();
    const plain = buildReport(snap);
    const intervalSec = prev === null ? null : (now - prev.at) / 1000;
    const report =
      prev === null || intervalSec === null || intervalSec <= 0
        ? plain
        : buildReport(snap, { rates: measureRates(prev.json.report, plain, snap, intervalSec) });
    const agg = aggregate(snap);
    const space = spaceFromAggregate(agg, paramsOf(snap));
    const exhaustion: ExhaustionJson[] = [];
    if (prev !== null && intervalSec !== null && intervalSec > 0) {
      const before = new Map(prev.json.report.destinations.map((d) => [key(d.source, d.destination), d]));
      for (const d of report.destinations) {
        // A destination new since the last sample started from the fresh headroom.
        const was = before.get(key(d.source, d.destination))?.headroom ?? prev.json.report.freshHeadroom;
        const lossPerSec = (was - d.headroom) / intervalSec;
        exhaustion.push({
          source: d.source,
          destination: d.destination,
          headroom: d.headroom,
          lossPerSec,
          secondsLeft: lossPerSec > 0 ? d.headroom / lossPerSec : null,
        });
      }
    }
    this.samples++;
    const json: LiveJson = { sample: this.samples, intervalSec, report, space, exhaustion };
    this.last = { json, at: now };
    return json;
  }
}
