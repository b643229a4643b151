/**
 * The fuzz loop: input i of a run with seed S is made from its own Rng (inputSeed(S, i)), so any
 * finding can be re-made alone (`npm run fuzz -- --seed S --from i --count 1`). Each input is
 * timed; one that takes over SLOW_MS is a finding too. Findings are grouped by problem.
 */
import { loadCorpus } from './corpus.js';
import { inputSeed, Rng } from './prng.js';
import { allTargets, cleanupScratch, type FuzzTarget } from './targets.js';

export const SLOW_MS = 2000;

export interface Finding {
  readonly target: string;
  readonly problem: string;
  /** The first input that showed it, and how many did. */
  readonly index: number;
  readonly input: string;
  count: number;
}

export interface FuzzReport {
  readonly seed: number;
  readonly from: number;
  count: number;
  ms: number;
  readonly perTarget: Record<string, { inputs: number; maxMs: number; totalMs: number }>;
  readonly findings: Finding[];
}

export interface FuzzOptions {
  readonly seed: number;
  readonly count: number;
  readonly from?: number;
  readonly root: string;
  /** Called before each input (the watchdog's heartbeat). */
  readonly onInput?: (index: number) => void;
  /** Stop after this much wall time (the report then says how many inputs ran). */
  readonly maxMs?: number;
}

function pickTarget(rng: Rng, targets: readonly FuzzTarget[], total: number): FuzzTarget {
  let x = rng.next() * total;
  for (const t of targets) {
    x -= t.weight;
    if (x < 0) return t;
  }
  return targets[targets.length - 1] as FuzzTarget;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const corpus = loadCorpus(opts.root);
  const targets = allTargets(opts.root);
  const total = targets.reduce((a, t) => a + t.weight, 0);
  const from = opts.from ?? 0;
  const report: FuzzReport = { seed: opts.seed, from, count: 0, ms: 0, perTarget: {}, findings: [] };
  const byProblem = new Map<string, Finding>();
  const t0 = performance.now();
  for (let i = from; i < from + opts.count; i++) {
    if (opts.maxMs !== undefined && (i - from) % 1000 === 0 && performance.now() - t0 > opts.maxMs) break;
    opts.onInput?.(i);
    const rng = new Rng(inputSeed(opts.seed, i));
    const target = pickTarget(rng, targets, total);
    const start = performance.now();
    let problem: string | null;
    let input = '';
    try {
      const r = await target.run(rng, corpus);
      problem = r.problem;
      input = r.input.text;
    } catch (e) {
      problem = `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
      input = '(see the seed and index)';
    }
    const ms = performance.now() - start;
    if (problem === null && ms > SLOW_MS) problem = `slow: ${Math.round(ms)} ms for one input`;
    let stats = report.perTarget[target.name];
    if (stats === undefined) {
      stats = { inputs: 0, maxMs: 0, totalMs: 0 };
      report.perTarget[target.name] = stats;
    }
    stats.inputs++;
    stats.totalMs += ms;
    stats.maxMs = Math.max(stats.maxMs, ms);
    report.count++;
    if (problem !== null) {
      const key = `${target.name}: ${problem.slice(0, 60)}`;
      const f = byProblem.get(key);
      if (f) f.count++;
      else {
        const nf: Finding = { target: target.name, problem, index: i, input: input.slice(0, 2000), count: 1 };
        byProblem.set(key, nf);
        report.findings.push(nf);
      }
    }
  }
  report.ms = performance.now() - t0;
  cleanupScratch();
  for (const t of targets) await t.cleanup?.();
  return report;
}
