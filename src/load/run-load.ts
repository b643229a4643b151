/**
 * The load use case: for each strategy asked for, the model's prediction, then a run in a fresh
 * private network namespace (run-strategy.ts), then the report. A stop (Ctrl-C, SIGTERM, through
 * `signal`) ends the running strategy cleanly (its report is marked interrupted) and skips the rest.
 */
import { predict } from './prediction.js';
import { failedReport, type LoadReport, loadReport, type StrategyReport, strategyReport } from './report.js';
import { LoadRunError, type Progress, runStrategy } from './run-strategy.js';
import type { LoadOptions, Strategy } from './types.js';

export interface LoadHooks {
  readonly onStrategy?: (strategy: Strategy, index: number) => void;
  readonly onProgress?: (strategy: Strategy, p: Progress) => void;
  readonly onDone?: (report: StrategyReport) => void;
  readonly signal?: AbortSignal;
}

export async function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadReport> {
  const reports: StrategyReport[] = [];
  for (const [i, strategy] of options.strategies.entries()) {
    if (hooks.signal?.aborted) break;
    hooks.onStrategy?.(strategy, i);
    const prediction = predict(options, strategy);
    let report: StrategyReport;
    try {
      const run = await runStrategy(options, strategy, {
        onProgress: (p) => hooks.onProgress?.(strategy, p),
        ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
      });
      report = strategyReport(run, prediction);
    } catch (e) {
      if (!(e instanceof LoadRunError)) throw e;
      report = failedReport(strategy, options.connections, prediction, e.message);
    }
    reports.push(report);
    hooks.onDone?.(report);
  }
  return loadReport(options, reports, hooks.signal?.aborted === true);
}
