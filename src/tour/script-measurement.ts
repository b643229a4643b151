/**
 * A claim measured by a .pst script: on the model (any profile) it is a plain run; on the kernel
 * it is a differential run (src/run/differential.ts), so "agree" means the linux-6.18 model gave
 * the kernel's answer to every call. Both sides record every call with its outcome, and a
 * claim-specific summarizer turns that record into one line.
 */

import type { Call, Outcome } from '../calls/index.js';
import { KernelBackend } from '../kernel/kernel-backend.js';
import type { Profile } from '../model/index.js';
import type { Backend } from '../run/backend.js';
import { diffScript } from '../run/differential.js';
import { ModelBackend } from '../run/model-backend.js';
import { type RunReport, runScript } from '../run/runner.js';
import type { Script } from '../script/ast.js';
import type { KernelObservation, Measurement, MeasureOptions, Observation } from './measurement.js';

/** One executed call (backend socket names: `c1`, or `c#7` inside loops) and its outcome. */
export interface CallResult {
  readonly call: Call;
  readonly outcome: Outcome;
}

/** What a script run leaves for its summarizer. */
export interface ScriptTrace {
  readonly report: RunReport;
  readonly calls: readonly CallResult[];
}

export type Summarize = (t: ScriptTrace) => string;

/** A Backend that records every call it executes. */
class Recording implements Backend {
  readonly name: Backend['name'];
  constructor(
    private readonly inner: Backend,
    readonly log: CallResult[],
  ) {
    this.name = inner.name;
  }

  async exec(call: Call): Promise<Outcome> {
    const outcome = await this.inner.exec(call);
    this.log.push({ call, outcome });
    return outcome;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function failures(report: RunReport): string[] {
  return report.records
    .filter((r) => !r.pass)
    .map(
      (r) => `${report.file}:${r.pos.line}: ${r.call}${r.expected ? ` = ${r.expected}` : ''}: ${r.message}`,
    );
}

export function scriptMeasurement(script: Script, summarize: Summarize): Measurement {
  const label = script.file.replace(/^.*examples\//, 'examples/');
  return {
    label,
    async model(profile: Profile, opts: MeasureOptions): Promise<Observation> {
      const log: CallResult[] = [];
      const backend = new Recording(new ModelBackend({ seed: opts.seed, profile }), log);
      try {
        const report = await runScript(script, backend, { loopBudgetMs: opts.budgetMs });
        const notes = failures(report);
        if (report.aborted !== null) notes.push(`aborted: ${report.aborted}`);
        return { held: report.ok, summary: summarize({ report, calls: log }), notes };
      } finally {
        await backend.close();
      }
    },
    async kernel(opts: MeasureOptions): Promise<KernelObservation> {
      const log: CallResult[] = [];
      const d = await diffScript(script, {
        makeModel: () => new ModelBackend({ seed: opts.seed }),
        makeKernel: async () => new Recording(await KernelBackend.start(), log),
        budgetMs: opts.budgetMs,
      });
      const notes = [
        ...d.failures.kernel.map((f) => `kernel: ${f}`),
        ...d.failures.model.map((f) => `model: ${f}`),
      ];
      if (d.divergence)
        notes.push(`model and kernel diverge at ${d.divergence.call}: ${d.divergence.message}`);
      if (d.error) notes.push(`error: ${d.error}`);
      const report = d.kernelReport;
      const summary =
        report === null || d.error !== null
          ? `(no result: ${d.error ?? 'the run stopped'})`
          : summarize({ report, calls: log });
      return {
        held: report !== null && d.error === null && d.failures.kernel.length === 0 && report.ok,
        summary,
        notes,
        agree: d.divergence === null && d.error === null,
      };
    },
  };
}
