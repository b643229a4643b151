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
  lines.push(
    `${verdict}: ${report.passed} passed, ${report.failed} failed; ${report.calls} calls, ${report.checked} expectations, ${report.ms} ms`,
  );
  return lines.join('\n');
}
