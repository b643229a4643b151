/**
 * `portspace explain FILE [--json]`: runs one script on the model and shows, for every call, the
 * model's reasoning: for a port search (bind(0), listen autobind, connect autoselection) the
 * window, where the scan started, every port passed over grouped into runs with the reason and
 * rule, and the port taken or why none was; for a failure the rule, the reason and the sockets in
 * the way.
 *
 * Inside repeat loops calls run untraced (tracing every round of a capacity loop would be
 * quadratic). The search that ended a loop is the interesting one, so it is re-walked exactly:
 * the calls so far are replayed on a second model with the same seed (the model is
 * deterministic), and that twin traces the failing call. The script's own model never makes an
 * extra call, so its random choices stay those of `portspace run`.
 */

import type { OwnerRef, Profile, Result, TraceEvent } from '../../model/index.js';
import type { Call, Outcome } from '../../run/calls.js';
import { ModelBackend } from '../../run/model-backend.js';
import { type RunReport, runScript, type StepRecord } from '../../run/runner.js';
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

type Detail = Result<object> & { readonly trace?: readonly TraceEvent[] };

/** Consecutive ports passed over for the same reason (and, for 4-tuples, the same destination). */
export interface SkipRun {
  readonly from: number;
  readonly to: number;
  readonly step: 1 | 2;
  readonly count: number;
  readonly reason: string;
  readonly rule: string;
  /** The destination of the 4-tuples / TIME_WAIT entries in the way, when there is one. */
  readonly towards: string | null;
  /** The first socket (or TIME_WAIT entry) in the way, as the model labels it. */
  readonly example: string | null;
}

export interface PassJson {
  readonly pass: number;
  readonly offset: number;
  readonly startPort: number;
  readonly skipped: SkipRun[];
  /** Set while grouping. */
  took: number | null;
}

export interface PhaseJson {
  readonly label: string;
  readonly lo: number;
  readonly hi: number;
  readonly step: 1 | 2;
  readonly passes: PassJson[];
}

export interface SearchJson {
  readonly phases: PhaseJson[];
  readonly took: number | null;
  /** Every phase ran out of ports. */
  readonly exhausted: boolean;
  /** Ports passed over in all. */
  readonly skipped: number;
}

export interface FailureJson {
  readonly errno: string;
  readonly rule: string;
  readonly reason: string;
  readonly blocking: readonly string[];
}

function towardsOf(label: string | null): string | null {
  if (label === null) return null;
  const m = / -> (\S+)/.exec(label);
  return m?.[1] ?? null;
}

/** Groups a trace into phases, passes and runs of skipped ports. */
export function groupTrace(trace: readonly TraceEvent[]): SearchJson {
  const phases: PhaseJson[] = [];
  let phase: PhaseJson | null = null;
  let pass: PassJson | null = null;
  let took: number | null = null;
  let exhausted = false;
  let skipped = 0;
  for (const e of trace) {
    switch (e.kind) {
      case 'phase':
        phase = { label: e.label, lo: e.lo, hi: e.hi, step: e.step, passes: [] };
        phases.push(phase);
        pass = null;
        break;
      case 'pass':
        pass = { pass: e.pass, offset: e.offset, startPort: e.startPort, skipped: [], took: null };
        phase?.passes.push(pass);
        break;
      case 'skip': {
        skipped++;
        if (pass === null) break;
        const step = phase?.step ?? 1;
        const towards = e.reason === '4-tuple' || e.reason === 'time-wait-too-young' ? towardsOf(e.by) : null;
        const last = pass.skipped[pass.skipped.length - 1];
        if (
          last !== undefined &&
          last.to + step === e.port &&
          last.reason === e.reason &&
          last.rule === e.rule &&
          last.towards === towards
        ) {
          pass.skipped[pass.skipped.length - 1] = { ...last, to: e.port, count: last.count + 1 };
        } else {
          pass.skipped.push({
            from: e.port,
            to: e.port,
            step,
            count: 1,
            reason: e.reason,
            rule: e.rule,
            towards,
            example: e.by,
          });
        }
        break;
      }
      case 'take':
        took = e.port;
        if (pass !== null) pass.took = e.port;
        break;
      case 'exhausted':
        exhausted = true;
        break;
    }
  }
  return { phases, took, exhausted, skipped };
}

function reasonText(run: SkipRun): string {
  const many = run.count > 1;
  const to = run.towards === null ? '' : ` towards ${run.towards}`;
  switch (run.reason) {
    case 'reserved':
      return `reserved (net.ipv4.ip_local_reserved_ports)`;
    case 'bind-owned':
      return `owned by bind()/listen() users, which connect() never shares`;
    case '4-tuple':
      return run.rule === 'R62'
        ? `held by TIME_WAIT entr${many ? 'ies' : 'y'}${to} that cannot be recycled`
        : `held by ${many ? '4-tuples' : 'a 4-tuple'}${to}`;
    case 'time-wait-too-young':
      return `held by TIME_WAIT entr${many ? 'ies' : 'y'}${to}, too young to reuse`;
    case 'more-owners':
      return `shareable, but another shareable port has fewer owners (Linux 4.1 bind(0))`;
    case 'conflict':
      return `in use by ${many ? 'sockets that conflict' : 'a socket that conflicts'} with this bind`;
    default:
      return run.reason;
  }
}

/** `40000-40998 even: 500 ports held by 4-tuples towards 127.0.0.1:5000 (R14)`. */
export function runText(run: SkipRun): string {
  const parity = run.step === 2 ? (run.from % 2 === 0 ? ' even' : ' odd') : '';
  const ports = run.count === 1 ? `${run.from}` : `${run.from}-${run.to}${parity}`;
  const head =
    run.count === 1 ? `${ports}: ${reasonText(run)}` : `${ports}: ${run.count} ports ${reasonText(run)}`;
  const example = run.example === null ? '' : run.count === 1 ? `: ${run.example}` : `, e.g. ${run.example}`;
  return `${head} (${run.rule})${example}`;
}

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

function failureOf(d: Detail | undefined): FailureJson | null {
  if (d === undefined || d.ok) return null;
  return {
    errno: d.errno,
    rule: d.rule,
    reason: d.reason,
    blocking: d.conflictsWith.map((o: OwnerRef) => o.label),
  };
}

export function failureLines(f: FailureJson, out: Output): string[] {
  const lines = [`${out.paint('red', f.errno)} by rule ${out.paint('bold', f.rule)}: ${f.reason}`];
  for (const b of f.blocking.slice(0, MAX_BLOCKERS)) lines.push(`  in the way: ${b}`);
  if (f.blocking.length > MAX_BLOCKERS)
    lines.push(`  ... and ${f.blocking.length - MAX_BLOCKERS} more in the way`);
  return lines;
}

interface Explained {
  readonly record: StepRecord;
  readonly search: SearchJson | null;
  readonly failure: FailureJson | null;
  /** For a loop: the search of the call that ended it was re-walked on a replayed twin. */
  readonly replayed: boolean;
}

const SEARCH_OPS = new Set(['bind', 'listen', 'connect', 'sendto']);

export async function explainScript(
  script: Parameters<typeof runScript>[0],
  profile: Profile = 'linux-6.18',
): Promise<{ report: RunReport; steps: Explained[] }> {
  const model = new ModelBackend({ profile });
  /** Every call as executed, for replays. */
  const executed: Call[] = [];
  /** Loop-ending search failures, keyed by the index of the failing call in `executed`. */
  const loopTraces = new Map<Outcome, Detail>();

  const report = await runScript(script, model, {
    execCall: async (call, ctx) => {
      const traced = ctx.round === null;
      const o = model.execSync(call, traced ? { trace: true } : {});
      executed.push(call);
      if (!traced && !o.ok && SEARCH_OPS.has(call.op)) {
        // Ends the loop: re-walk this search on a twin that replays every call before it.
        const twin = new ModelBackend({ profile });
        for (const c of executed.slice(0, -1)) twin.execSync(c);
        const again = twin.execSync(call, { trace: true });
        if (!again.ok && again.errno === o.errno && again.detail) loopTraces.set(o, again.detail as Detail);
      }
      return o;
    },
  });

  const steps: Explained[] = report.records.map((record) => {
    const o = record.outcome as (Outcome & { detail?: Detail }) | null;
    const detail = o === null ? undefined : (loopTraces.get(o) ?? o.detail);
    const trace = detail?.trace;
    const search = trace !== undefined && trace.length > 0 ? groupTrace(trace) : null;
    return { record, search, failure: failureOf(detail), replayed: o !== null && loopTraces.has(o) };
  });
  return { report, steps };
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
