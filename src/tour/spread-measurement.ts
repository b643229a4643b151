/**
 * Claim A6's second half, "SO_REUSEPORT spreads connections round-robin", as a tour
 * measurement. The kernel side opens a real group of TCP listeners in a private namespace and
 * sends it many flows from distinct loopback sources (src/kernel/reuseport-spread.ts): counts per
 * listener, the alternation rate (round-robin would be 1.0) and whether a re-sent 4-tuple reaches
 * the same listener. The model cannot name the listener (the kernel hashes with a secret, R81),
 * so its side checks what it can know: every listener of the group is eligible for every flow,
 * and one 4-tuple keeps reaching one listener while the group is unchanged.
 */
import { measureSpread } from '../kernel/reuseport-spread.js';
import { Netns, type Profile, type SockId } from '../model/index.js';
import type { SpreadReport } from '../run/spread-stats.js';
import type { KernelObservation, Measurement, MeasureOptions, Observation } from './measurement.js';

const GROUP_PORT = 21440;
/** Re-sent flows for the stability check. */
const RESEND = 200;
/**
 * Far above what a hash gives with a few members (expected 1 - 1/n; with 2 members and 1,000
 * flows the standard deviation is about 0.016) and far below round-robin's 1.0.
 */
const ROUND_ROBIN_LIKE = 0.9;

const count = (n: number): string => n.toLocaleString('en-US');

/** The model's side: group formation (R80) and what R81 lets it predict. */
function modelSide(profile: Profile, seed: number, members: number, flows: number): Observation {
  const ns = new Netns({ seed, profile });
  const ids: SockId[] = [];
  const notes: string[] = [];
  for (let m = 0; m < members; m++) {
    const s = ns.socket('tcp4');
    if (!s.ok) return { held: false, summary: `socket: ${s.errno}`, notes: [s.reason] };
    ns.setsockopt(s.sock, 'SO_REUSEPORT', 1);
    const b = ns.bind(s.sock, '127.0.0.1', GROUP_PORT);
    const l = b.ok ? ns.listen(s.sock) : b;
    if (!l.ok) return { held: false, summary: `listener ${m}: ${l.errno}`, notes: [l.reason] };
    ids.push(s.sock);
  }
  const firstPick: SockId[] = [];
  let allEligible = 0;
  for (let i = 0; i < flows; i++) {
    const d = ns.deliver('tcp', source(i), { addr: '127.0.0.1', port: GROUP_PORT });
    if (!d.ok) return { held: false, summary: `flow ${i}: ${d.errno}`, notes: [d.reason] };
    if (ids.every((id) => d.eligible.includes(id))) allEligible++;
    firstPick.push(d.sock);
  }
  let stable = 0;
  const resend = Math.min(RESEND, flows);
  for (let i = 0; i < resend; i++) {
    const d = ns.deliver('tcp', source(i), { addr: '127.0.0.1', port: GROUP_PORT });
    if (d.ok && d.sock === firstPick[i]) stable++;
  }
  if (allEligible < flows) notes.push(`${flows - allEligible} flows could not reach every listener`);
  if (stable < resend) notes.push(`${resend - stable} re-sent flows reached another listener`);
  return {
    held: allEligible === flows && stable === resend,
    summary: `${members} listeners: every flow may reach any of them (a keyed hash of the 4-tuple picks, R81); a re-sent 4-tuple reaches the same one (${stable}/${resend})`,
    notes,
  };
}

/** Flow i's source: distinct loopback addresses and ports (the same shape as the kernel side). */
function source(i: number): { addr: string; port: number } {
  return { addr: `127.0.0.${2 + (i % 200)}`, port: 20_000 + Math.floor(i / 200) };
}

function kernelSummary(r: SpreadReport): string {
  return `${r.members} listeners, ${count(r.flows)} flows: ${r.counts.map(count).join('/')} (chi-square p = ${r.pValue.toFixed(2)}), alternation ${r.alternationRate.toFixed(2)} (round-robin: 1.00), same listener on re-send ${Math.round(r.stablePerFlow * 100)}%`;
}

/** A6's spread on `members` listeners with `flows` flows. */
export function spreadMeasurement(members: number, flows: number): Measurement {
  return {
    label: `spread (${members} listeners, ${count(flows)} flows)`,
    async model(profile: Profile, opts: MeasureOptions): Promise<Observation> {
      return modelSide(profile, opts.seed, members, flows);
    },
    async kernel(opts: MeasureOptions): Promise<KernelObservation> {
      const model = modelSide('linux-6.18', opts.seed, members, flows);
      let r: SpreadReport;
      try {
        r = await measureSpread({ proto: 'tcp', members, flows, resend: Math.min(RESEND, flows) });
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        return { held: false, summary: `(no result: ${why})`, notes: [`spread: ${why}`], agree: false };
      }
      const notes: string[] = [];
      const everyone = r.counts.every((c) => c > 0);
      if (!everyone) notes.push(`kernel: a listener got no flow (${r.counts.join('/')})`);
      if (r.stablePerFlow < 1)
        notes.push(`kernel: ${r.stablePerFlow} of re-sent flows reached the same listener`);
      if (r.alternationRate >= ROUND_ROBIN_LIKE)
        notes.push(`kernel: alternation ${r.alternationRate.toFixed(2)} looks round-robin`);
      const held = everyone && r.stablePerFlow === 1 && r.alternationRate < ROUND_ROBIN_LIKE;
      // Agreement: the kernel's behaviour is what the model predicts (any listener, stable per flow).
      return { held, summary: kernelSummary(r), notes, agree: held && model.held };
    },
  };
}
