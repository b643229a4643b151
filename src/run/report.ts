/** Human-readable rendering of a RunReport. */
import type { RunReport } from './runner.js';

export interface FormatOptions {
  /** List passing steps too (default: only failures and the summary). */
  readonly verbose?: boolean;
}

export function formatReport(report: RunReport, opts: FormatOptions = {}): string {
  const rules = report.rules.length > 0 ? ` (${report.rules.join(', ')})` : '';
  const lines = [`${report.file} on ${report.backend}${rules}`];
  for (const r of report.records) {
    if (r.pass && !opts.verbose) continue;
    const where = `${report.file}:${r.pos.line}:${r.pos.col}`;
    const round = r.kind === 'call' && r.round !== null ? ` [round ${r.round}]` : '';
    const stmt = r.expected === '' ? r.call : r.kind === 'call' ? `${r.call} = ${r.expected}` : r.call;
    const detail = r.kind === 'repeat' || !r.pass ? `: ${r.message}` : '';
    lines.push(`  ${r.pass ? 'ok  ' : 'FAIL'}  ${where}${round}  ${stmt}${detail}`);
  }
  if (report.aborted !== null) lines.push(`  ABORTED: ${report.aborted}`);
  const verdict = report.ok ? 'PASS' : 'FAIL';
  lines.push(`${verdict}: ${verdictCounts(report)}`);
  return lines.join('\n');
}

const count = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * The counts after PASS/FAIL: expectations held and failed (what passes or fails is an
 * expectation, not a call: a call without one always "passes"), then calls and time.
 * `12 of 12 expectations held; 14 calls, 27 ms`, `1 of 6 expectations failed; ...`.
 */
export function verdictCounts(report: RunReport): string {
  const failed = Math.min(report.failed, report.checked);
  const head =
    report.checked === 0
      ? 'no expectations'
      : failed === 0
        ? `${report.checked === 1 ? 'the expectation' : `${report.checked === 2 ? 'both' : `all ${report.checked.toLocaleString('en-US')}`} expectations`} held`
        : `${failed.toLocaleString('en-US')} of ${count(report.checked, 'expectation')} failed`;
  return `${head}; ${count(report.calls, 'call')}, ${report.ms} ms`;
}
