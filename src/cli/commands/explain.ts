/**
 * `portspace explain FILE [--json]`: runs one script on the model and shows, for every call, the
 * model's reasoning (shaped by src/explain/explain.ts; this file parses arguments and renders).
 */

import { explainScript, type FailureJson, runText, type SearchJson } from '../../explain/explain.js';
import { type Command, loadScripts, parseCommandArgs, plural, profileOption } from '../common.js';
import { EXIT, usageError } from '../errors.js';
import type { Output } from '../output.js';
import { stepJson, stepLine, verdictLine } from './run.js';

const HELP = `usage: portspace explain FILE [--json] [--profile linux-6.18|linux-4.1]

Runs a .pst script on the model and explains every call: for a port search the window, where the
scan started, each port passed over (grouped into runs) with the reason and the spec rule, and the
port taken or why none was; for a failure the rule, the reason and the sockets in the way.

options:
  --profile P  the model's kernel: linux-6.18 (default) or linux-4.1 (the 2014 article's era)
  --json       one JSON document on stdout instead of text
  -h, --help   this text

exit codes: 0 every expectation held, 1 one failed, 2 bad input (unknown option, missing file,
parse error at file:line:col)

example:
  portspace explain docs/examples/r12-reserved-ports.pst
  portspace explain --profile linux-4.1 examples/article/a04-bind0-caps-per-address.pst`;

/** Blocking sockets listed per failure (the rest are counted). */
const MAX_BLOCKERS = 8;

export function searchLines(s: SearchJson, out: Output): string[] {
  const p = out.paint;
  const lines: string[] = [];
  for (const ph of s.phases) {
    const parity = ph.step === 2 ? ', every other port' : '';
    lines.push(`${ph.label}: window ${ph.lo}-${ph.hi}${parity}`);
    for (const pa of ph.passes) {
      lines.push(`  pass ${pa.pass + 1} starts at ${pa.startPort} (offset ${pa.offset})`);
      for (const r of pa.skipped) lines.push(`    passed over ${runText(r)}`);
      if (pa.took !== null) lines.push(`    ${p('green', `took ${pa.took}`)}`);
      else lines.push(`    ${p('yellow', 'no port left in this pass')}`);
    }
  }
  if (s.took === null && s.exhausted)
    lines.push(p('red', `no port taken: every candidate was passed over (${plural(s.skipped, 'port')})`));
  return lines;
}

export function failureLines(f: FailureJson, out: Output): string[] {
  const lines = [`${out.paint('red', f.errno)} by rule ${out.paint('bold', f.rule)}: ${f.reason}`];
  for (const b of f.blocking.slice(0, MAX_BLOCKERS)) lines.push(`  in the way: ${b}`);
  if (f.blocking.length > MAX_BLOCKERS)
    lines.push(`  ... and ${f.blocking.length - MAX_BLOCKERS} more in the way`);
  return lines;
}

export const explainCommand: Command = {
  name: 'explain',
  summary: "run a script on the model and show the model's reasoning for every call",
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('explain', argv, {
      profile: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const profile = profileOption('explain', values.profile);
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    if (positionals.length !== 1)
      throw usageError(
        `explain takes exactly one script file, got ${positionals.length}. See 'portspace explain --help'.`,
      );
    const [script] = loadScripts(positionals);
    if (script === undefined) throw usageError('no script given');
    const { report, steps } = await explainScript(script, profile);

    if (values.json) {
      out.json({
        file: report.file,
        backend: report.backend,
        profile,
        rules: report.rules,
        ok: report.ok,
        passed: report.passed,
        failed: report.failed,
        calls: report.calls,
        aborted: report.aborted,
        steps: steps.map((s) => ({
          ...stepJson(s.record),
          search: s.search,
          failure: s.failure,
          ...(s.replayed ? { replayed: true } : {}),
        })),
      });
    } else {
      const rules = report.rules.length > 0 ? out.paint('dim', ` (${report.rules.join(', ')})`) : '';
      const which = profile === 'linux-6.18' ? 'the model' : `the model (${profile})`;
      out.line(`${out.paint('bold', report.file)} explained by ${which}${rules}`);
      for (const s of steps) {
        out.line(stepLine(report.file, s.record, out));
        const indent = (l: string) => `        ${l}`;
        if (s.record.kind === 'repeat' && s.search !== null)
          out.line(indent(out.paint('dim', 'the search that ended the loop:')));
        if (s.search !== null) for (const l of searchLines(s.search, out)) out.line(indent(l));
        if (s.failure !== null) for (const l of failureLines(s.failure, out)) out.line(indent(l));
        const o = s.record.kind === 'call' ? s.record.outcome : null;
        if (o?.ok && o.members !== undefined && o.members.length > 1)
          out.line(
            indent(
              out.paint(
                'dim',
                `the kernel may pick any of ${o.members.join(', ')} (SO_REUSEPORT: a secret hash of the 4-tuple, R81/R82); the model picked ${o.member ?? '?'}`,
              ),
            ),
          );
      }
      if (report.aborted !== null) out.line(`  ${out.paint('red', 'ABORTED')}: ${report.aborted}`);
      out.line(verdictLine(report, out));
    }
    if (report.aborted !== null) return EXIT.internal;
    return report.ok ? EXIT.ok : EXIT.failed;
  },
};
