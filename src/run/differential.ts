/**
 * The differential runner: one script on a fresh model and a fresh kernel in lockstep, every call
 * compared (issue 3). The kernel goes first; then the model:
 *  - ok / errno must be equal;
 *  - where the kernel chose a port at random (the model's `outcomesFor` is non-null), the kernel's
 *    port must be one of the model's candidates (a kernel failure of the search needs `mayFail`),
 *    and the model then follows the kernel's choice, so both stay in the same state;
 *  - deliver (R80-R82): the kernel's receiver must be among the model's eligible sockets (the
 *    reuseport group, or the one best receiver), the same 4-tuple must reach the same member
 *    while the model says the group is unchanged, and the model then adopts the kernel's member;
 *  - everywhere else ports, addresses and peers must be equal.
 * The first divergence ends the run (the states differ from then on). The script's own
 * expectations are checked on both sides too: a wrong expectation is a failure, not a divergence.
 */

import type { Call, Outcome } from '../calls/index.js';
import type { Netns, Outcomes, Result, TraceEvent } from '../model/index.js';
import { canonicalAddr } from '../script/addr.js';
import type { Pos, Script, Step } from '../script/ast.js';
import { printCallStatement, printScript } from '../script/print.js';
import { sameOptval } from '../script/sockopt-syntax.js';
import type { Backend } from './backend.js';
import { matchExpect, printOutcome } from './match.js';
import type { ExecOptions } from './model-backend.js';
import { type CallContext, type RunReport, runScript } from './runner.js';
import { sortRules } from './spec-rules.js';

/** What the differential runner needs of the model: ModelBackend, or a decorator around it. */
export interface DiffModel {
  readonly ns: Netns;
  outcomesFor(call: Call): Outcomes | null;
  makesChoice(call: Call): boolean;
  isPossible(call: Call, result: number | 'fail'): boolean;
  execSync(call: Call, opts?: ExecOptions): Outcome & { readonly detail?: Result<object> };
  close(): Promise<void>;
}

export interface DiffOptions {
  readonly makeModel: () => DiffModel;
  readonly makeKernel: () => Promise<Backend>;
  /** Wall-clock limit of each repeat loop (see RunOptions.loopBudgetMs). Default 60 000 ms. */
  readonly budgetMs?: number;
  /**
   * Run ns.checkInvariants() after each of the first N calls (it is O(state), so capacity loops
   * would make it quadratic). true = every call, false = never. Default 300.
   */
  readonly invariants?: boolean | number;
}

/** The model's side of a divergence: its answer, its candidates, and why. */
export interface ModelExplanation {
  readonly rule: string | null;
  readonly reason: string | null;
  readonly conflictsWith: readonly string[];
  /** The search port by port (bind(0), listen autobind, connect autoselection), as text lines. */
  readonly trace: readonly string[];
}

export interface Divergence {
  /** 0-based index of the call among the executed calls (loop bodies count every round). */
  readonly index: number;
  readonly pos: Pos;
  readonly round: number | null;
  /** The call as executed, e.g. `connect(c#3, 127.0.0.1:5000)`. */
  readonly call: string;
  /** What disagreed, in one sentence. */
  readonly message: string;
  readonly kernel: Outcome;
  /** The model's answer; null when it could not even follow (the kernel's port was impossible). */
  readonly model: Outcome | null;
  /** The model's candidate set for a random call, null for a determined call. */
  readonly candidates: Outcomes | null;
  readonly explanation: ModelExplanation;
  /** The script up to and including the step of this call, printed. */
  readonly script: string;
}

export interface DiffReport {
  readonly file: string;
  readonly calls: number;
  readonly agreements: number;
  /** 0 or 1: the run stops at the first. */
  readonly divergences: number;
  readonly divergence: Divergence | null;
  /** Failed expectations, per side (a divergence is not counted here). */
  readonly failures: { readonly kernel: readonly string[]; readonly model: readonly string[] };
  /** Model invariant violations (ns.checkInvariants), with the call after which they appeared. */
  readonly invariantErrors: readonly string[];
  /** Spec rules the run exercised: the script header's tags and the model's report of each call (Netns.lastCallRules). */
  readonly rulesCovered: readonly string[];
  /** A harness error (kernel helper died, bad call): the run stopped there. Not a divergence. */
  readonly error: string | null;
  /** The runner's report of the kernel side (loop results included). */
  readonly kernelReport: RunReport | null;
  readonly ms: number;
}

class Stop extends Error {}

/** The errno of a failed port search, per call: TCP connect EADDRNOTAVAIL, UDP autobind EAGAIN (R93). */
const RANDOM_SEARCH_FAILURE: Readonly<Record<string, readonly string[]>> = {
  connect: ['EADDRNOTAVAIL', 'EAGAIN'],
  sendto: ['EAGAIN'],
  bind: ['EADDRINUSE'],
  listen: ['EADDRINUSE'],
};

/** Canonical text of an address, for comparisons. */
function canon(a: string | undefined): string | undefined {
  return a === undefined ? undefined : (canonicalAddr(a) ?? a);
}

/** '' when the two outcomes agree, else what differs. */
export function compareOutcomes(call: Call, k: Outcome, m: Outcome): string {
  const show = (o: Outcome) => printOutcome(call, o);
  if (k.ok !== m.ok) return `kernel ${show(k)}, model ${show(m)}`;
  if (!k.ok || !m.ok) {
    const ke = k.ok ? '' : k.errno;
    const me = m.ok ? '' : m.errno;
    return ke === me ? '' : `kernel -1 ${ke}, model -1 ${me}`;
  }
  if (call.op === 'deliver') {
    return k.member === m.member ? '' : `receiver: kernel ${show(k)}, model ${show(m)}`;
  }
  if (call.op === 'getsockopt')
    return sameOptval(k.optval, m.optval) ? '' : `value: kernel ${show(k)}, model ${show(m)}`;
  if (call.op === 'accept') {
    const kp = k.peer;
    const mp = m.peer;
    if (kp === undefined || mp === undefined) return kp === mp ? '' : 'one side reported no peer';
    if (kp.port !== mp.port || canon(kp.addr) !== canon(mp.addr))
      return `peer: kernel ${show(k)}, model ${show(m)}`;
    return '';
  }
  if ((k.port ?? 0) !== (m.port ?? 0)) return `port: kernel ${show(k)}, model ${show(m)}`;
  if (k.addr !== undefined && m.addr !== undefined && canon(k.addr) !== canon(m.addr))
    return `address: kernel ${show(k)}, model ${show(m)}`;
  return '';
}

function traceLines(trace: readonly TraceEvent[] | undefined): string[] {
  if (!trace) return [];
  const out: string[] = [];
  for (const e of trace) {
    switch (e.kind) {
      case 'phase':
        out.push(`${e.label}: ports ${e.lo}..${e.hi} step ${e.step}`);
        break;
      case 'pass':
        out.push(`  pass ${e.pass} from offset ${e.offset} (port ${e.startPort})`);
        break;
      case 'skip':
        out.push(`    skip ${e.port}: ${e.reason} (${e.rule})${e.by ? ` by ${e.by}` : ''}`);
        break;
      case 'take':
        out.push(`    take ${e.port} (i = ${e.i})`);
        break;
      case 'exhausted':
        out.push('  exhausted');
        break;
    }
  }
  return out;
}

function explain(detail: Result<object> | undefined): ModelExplanation {
  const d = detail as (Result<object> & { trace?: TraceEvent[] }) | undefined;
  if (!d) return { rule: null, reason: null, conflictsWith: [], trace: [] };
  const trace = traceLines(d.trace);
  if (d.ok) return { rule: null, reason: null, conflictsWith: [], trace };
  return { rule: d.rule, reason: d.reason, conflictsWith: d.conflictsWith.map((o) => o.label), trace };
}

/** Strips `detail` (model-only) from an outcome, for reports. */
function bare(o: Outcome & { detail?: unknown }): Outcome {
  if (!o.ok) return { ok: false, errno: o.errno };
  const { detail: _d, ...rest } = o;
  return rest;
}

/** The top-level steps up to and including the one at (or containing) `pos`. */
export function scriptUpTo(script: Script, pos: Pos, note: string): string {
  const contains = (s: Step): boolean =>
    s.kind === 'call' ? s.pos.line === pos.line : s.pos.line <= pos.line && pos.line <= s.endPos.line;
  const steps: Step[] = [];
  for (const s of script.steps) {
    if (s.pos.line > pos.line) break;
    steps.push(s);
    if (contains(s)) break;
  }
  return printScript({ ...script, steps, footer: [`^ ${note}`] });
}

export async function diffScript(script: Script, opts: DiffOptions): Promise<DiffReport> {
  const started = Date.now();
  const model = opts.makeModel();
  const covered = new Set<string>(script.rules);
  const rulesCovered = () => sortRules(covered);
  let kernel: Backend;
  try {
    kernel = await opts.makeKernel();
  } catch (e) {
    await model.close();
    return {
      file: script.file,
      calls: 0,
      agreements: 0,
      divergences: 0,
      divergence: null,
      failures: { kernel: [], model: [] },
      invariantErrors: [],
      rulesCovered: rulesCovered(),
      error: `starting the kernel failed: ${e instanceof Error ? e.message : String(e)}`,
      kernelReport: null,
      ms: Date.now() - started,
    };
  }
  const inv = opts.invariants ?? 300;
  const invariantCalls = inv === true ? Number.POSITIVE_INFINITY : inv === false ? 0 : inv;
  let calls = 0;
  let agreements = 0;
  let divergence: Divergence | null = null;
  let error: string | null = null;
  const modelFailures: string[] = [];
  const invariantErrors: string[] = [];
  /** R81: per delivered 4-tuple, the member it reached and the model's group versions then. */
  const flows = new Map<string, { member: string; epoch: string }>();

  const execCall = async (call: Call, ctx: CallContext): Promise<Outcome> => {
    const index = calls++;
    const where = `${script.file}:${ctx.pos.line}:${ctx.pos.col}${ctx.round === null ? '' : ` [round ${ctx.round}]`}`;
    const stmt = printCallStatement(call, { kind: 'none' });
    // Decided before either side changes anything; the full candidate list is only made for a
    // divergence report (it can be the whole range).
    const random = model.makesChoice(call);
    let candidates: Outcomes | null = null;
    let k: Outcome;
    try {
      k = await kernel.exec(call);
    } catch (e) {
      error = `${where}: ${stmt}: the kernel backend failed: ${e instanceof Error ? e.message : String(e)}`;
      throw new Stop(error);
    }
    const diverge = (
      message: string,
      m: (Outcome & { detail?: Result<object> }) | null,
      detail?: Result<object>,
    ): never => {
      divergence = {
        index,
        pos: ctx.pos,
        round: ctx.round,
        call: stmt,
        message,
        kernel: k,
        model: m === null ? null : bare(m),
        candidates,
        explanation: explain(detail ?? m?.detail),
        script: scriptUpTo(script, ctx.pos, `diverged here: ${stmt}: ${message}`),
      };
      throw new Stop(message);
    };
    let m: Outcome & { detail?: Result<object> } = { ok: false, errno: 'EIO' };
    if (random) {
      let follow: number | 'fail';
      if (k.ok) follow = k.port ?? 0;
      else if (RANDOM_SEARCH_FAILURE[call.op]?.includes(k.errno)) follow = 'fail';
      else if ((call.op === 'connect' || call.op === 'sendto' || call.op === 'listen') && 'sock' in call) {
        // The search took a port and the call then failed (ECONNREFUSED, ...): TCP releases the
        // port but getsockname still shows it (R61); UDP keeps it (no route, port 0: R94); a
        // listen() after a failed connect (R52) or on a once-connected socket (tcp-disconnect.ts)
        // keeps the port its search found and returns EINVAL. Ask the kernel which one it was.
        let name: Outcome;
        try {
          name = await kernel.exec({ op: 'getsockname', sock: call.sock });
        } catch (e) {
          error = `${where}: getsockname after ${stmt} failed: ${e instanceof Error ? e.message : String(e)}`;
          throw new Stop(error);
        }
        follow = name.ok && name.port !== undefined && name.port !== 0 ? name.port : 'fail';
      } else follow = 'fail';
      if (!model.isPossible(call, follow)) {
        candidates = model.outcomesFor(call);
        const traced = model.execSync(call, { trace: true });
        const set = candidates
          ? `{${candidates.ports.join(', ')}}${candidates.mayFail ? ' or failure' : ''}`
          : '{}';
        diverge(
          follow === 'fail'
            ? `the kernel failed (-1 ${k.ok ? '' : k.errno}) but the model's search cannot fail (candidates ${set})`
            : `the kernel chose port ${follow}, not among the model's candidates ${set}`,
          null,
          traced.detail,
        );
      }
      try {
        m = model.execSync(call, { follow });
      } catch (e) {
        diverge(`the model could not follow the kernel: ${e instanceof Error ? e.message : String(e)}`, null);
      }
    } else if (call.op === 'deliver') {
      const own = model.execSync(call);
      const same = compareOutcomes(call, k, { ...own, ...(own.ok && k.ok ? { member: k.member } : {}) });
      if (same !== '') diverge(same, own);
      if (k.ok && own.ok) {
        const member = k.member ?? '';
        const eligible = own.members ?? [];
        if (!eligible.includes(member))
          diverge(
            `R80: the kernel's receiver ${member} is not among the model's eligible {${eligible.join(', ')}}`,
            own,
          );
        const key = `${call.proto} ${call.from.addr}:${call.from.port} -> ${call.to.addr}:${call.to.port}`;
        const epoch = own.epoch ?? '';
        const seen = flows.get(key);
        if (seen && epoch !== '' && seen.epoch === epoch && seen.member !== member)
          diverge(
            `R81: the same 4-tuple reached ${seen.member} before and ${member} now, with the group unchanged`,
            own,
          );
        flows.set(key, { member, epoch });
        m = model.execSync(call, { followMember: member });
      } else m = own;
    } else {
      m = model.execSync(call);
    }
    const diff = compareOutcomes(call, k, m);
    if (diff !== '') diverge(diff, m);
    agreements++;
    for (const r of model.ns.lastCallRules()) covered.add(r);
    const mc = matchExpect(call, ctx.expect, m);
    if (!mc.pass) modelFailures.push(`${where}: ${stmt}: ${mc.message}`);
    if (index < invariantCalls) {
      const bad = model.ns.checkInvariants();
      if (bad.length > 0) {
        invariantErrors.push(`${where}: after ${stmt}: ${bad.join('; ')}`);
        error = `model invariants broken after ${stmt}`;
        throw new Stop(error);
      }
    }
    return k;
  };

  let report: RunReport | null = null;
  try {
    report = await runScript(script, kernel, {
      execCall,
      loopBudgetMs: opts.budgetMs ?? 60_000,
    });
  } catch (e) {
    error ??= `the runner threw: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    await Promise.allSettled([kernel.close(), model.close()]);
  }
  const kernelFailures: string[] = [];
  if (report !== null && divergence === null && error === null) {
    for (const r of report.records) {
      if (!r.pass) kernelFailures.push(`${script.file}:${r.pos.line}:${r.pos.col}: ${r.call}: ${r.message}`);
    }
  }
  return {
    file: script.file,
    calls,
    agreements,
    divergences: divergence === null ? 0 : 1,
    divergence,
    failures: { kernel: kernelFailures, model: divergence === null && error === null ? modelFailures : [] },
    invariantErrors,
    rulesCovered: rulesCovered(),
    error,
    kernelReport: report,
    ms: Date.now() - started,
  };
}

/** A divergence as text: where, both results, the candidates, the model's explanation, the script. */
export function formatDivergence(d: Divergence): string {
  const lines = [
    `DIVERGENCE at call #${d.index} (line ${d.pos.line}${d.round === null ? '' : `, round ${d.round}`}): ${d.call}`,
    `  ${d.message}`,
    `  kernel: ${JSON.stringify(d.kernel)}`,
    `  model:  ${d.model === null ? '(could not follow)' : JSON.stringify(d.model)}`,
  ];
  if (d.candidates !== null)
    lines.push(
      `  model candidates: {${d.candidates.ports.join(', ')}}${d.candidates.mayFail ? ' or failure' : ''}`,
    );
  const e = d.explanation;
  if (e.rule !== null) lines.push(`  model says: ${e.rule}: ${e.reason ?? ''}`);
  for (const c of e.conflictsWith) lines.push(`    in the way: ${c}`);
  if (e.trace.length > 0) lines.push('  model search:', ...e.trace.map((t) => `    ${t}`));
  lines.push(
    '  script:',
    ...d.script
      .trimEnd()
      .split('\n')
      .map((l) => `    ${l}`),
  );
  return lines.join('\n');
}
