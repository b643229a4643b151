/**
 * `portspace run FILE... [--target model|kernel] [--json]`: runs scripts on one backend (a fresh
 * model, or a fresh kernel namespace, per file), shows every call with its result, and checks
 * every expectation. Exit 0 when all hold, 1 when one fails, 2 on bad input, 3 when the kernel
 * is unavailable or failed mid-run.
 */
import { KernelBackend } from '../../kernel/kernel-backend.js';
import type { Profile } from '../../model/index.js';
import type { Backend } from '../../run/backend.js';
import { ModelBackend } from '../../run/model-backend.js';
import { verdictCounts } from '../../run/report.js';
import { type RunReport, runScript, type StepRecord } from '../../run/runner.js';
import type { Script } from '../../script/ast.js';
import {
  type Command,
  loadScripts,
  outcomeJson,
  outcomeText,
  parseCommandArgs,
  plural,
  profileOption,
  requireKernel,
} from '../common.js';
import { CliError, EXIT, usageError } from '../errors.js';
import type { Output } from '../output.js';
import { type RepeatProgress, repeatProgress } from '../repeat-progress.js';

const HELP = `usage: portspace run FILE... [--target model|kernel] [--json] [--profile linux-6.18|linux-4.1]

Runs each .pst script on a fresh model (default) or a fresh kernel network namespace, shows every
call with its result, and checks the expectations written after '='.

options:
  --target model|kernel  where to run (default: model); kernel needs root, unshare and iproute2
  --profile P            the model's kernel: linux-6.18 (default) or linux-4.1 (the 2014 article's
                         era: one global connect hint, bind(0) sharing; see README); model only
  --json                 one JSON document on stdout instead of text
  -h, --help             this text

exit codes: 0 every expectation held, 1 one failed, 2 bad input (unknown option, missing file,
parse error at file:line:col), 3 kernel unavailable or the kernel harness failed

examples:
  portspace run docs/examples/r11-two-port-range.pst
  portspace run --target kernel docs/examples/*.pst
  portspace run --profile linux-4.1 examples/article/a07-port-search-order.pst`;

export interface StepJson {
  readonly kind: 'call' | 'repeat';
  readonly line: number;
  readonly col: number;
  readonly call: string;
  readonly result: string | null;
  readonly outcome: ReturnType<typeof outcomeJson>;
  readonly expected: string;
  readonly pass: boolean;
  readonly message: string;
  readonly round?: number;
  readonly rounds?: number;
  readonly stoppedBy?: string;
}

export function stepJson(r: StepRecord): StepJson {
  const base = {
    kind: r.kind,
    line: r.pos.line,
    col: r.pos.col,
    call: r.call,
    result: r.kind === 'repeat' ? r.message : r.outcome === null ? null : outcomeText(r.outcome),
    outcome: outcomeJson(r.outcome),
    expected: r.expected,
    pass: r.pass,
    message: r.message,
  };
  if (r.kind === 'repeat') return { ...base, rounds: r.rounds, stoppedBy: r.stoppedBy };
  return r.round === null ? base : { ...base, round: r.round };
}

export function reportJson(r: RunReport) {
  return {
    file: r.file,
    backend: r.backend,
    rules: r.rules,
    ok: r.ok,
    passed: r.passed,
    failed: r.failed,
    calls: r.calls,
    checked: r.checked,
    aborted: r.aborted,
    ms: r.ms,
    steps: r.records.map(stepJson),
  };
}

/** The text form of one step: `  ok    file:3:1  bind(s, 127.0.0.1:5000) -> 5000`. */
export function stepLine(file: string, r: StepRecord, out: Output): string {
  const p = out.paint;
  const mark = r.pass ? p('green', 'ok  ') : p('red', 'FAIL');
  const where = p('dim', `${file}:${r.pos.line}:${r.pos.col}`);
  const round = r.kind === 'call' && r.round !== null ? p('dim', ` [round ${r.round}]`) : '';
  if (r.kind === 'repeat') {
    const expected = r.expected === '' ? '' : ` ${r.expected}`;
    return `  ${mark}  ${where}  ${r.call}${expected}: ${r.pass ? r.message : p('red', r.message)}`;
  }
  const result = r.outcome === null ? p('red', '(no result)') : outcomeText(r.outcome);
  const expect = r.pass ? '' : `  ${p('red', r.message)}`;
  return `  ${mark}  ${where}${round}  ${r.call} -> ${p('bold', result)}${expect}`;
}

export function verdictLine(r: RunReport, out: Output): string {
  const p = out.paint;
  const verdict = r.ok ? p('green', 'PASS') : p('red', 'FAIL');
  return `${verdict}: ${verdictCounts(r)}`;
}

async function makeBackend(target: 'model' | 'kernel', profile: Profile): Promise<Backend> {
  return target === 'model' ? new ModelBackend({ profile }) : KernelBackend.start();
}

export async function runOne(
  script: Script,
  target: 'model' | 'kernel',
  profile: Profile = 'linux-6.18',
  progress: RepeatProgress | null = null,
): Promise<RunReport> {
  let backend: Backend;
  try {
    backend = await makeBackend(target, profile);
  } catch (e) {
    throw new CliError(
      'PORTSPACE_KERNEL_UNAVAILABLE',
      `could not start the kernel backend for ${script.file}: ${e instanceof Error ? e.message : String(e)}`,
      EXIT.unavailable,
      { file: script.file },
      { cause: e },
    );
  }
  try {
    return await runScript(script, backend, progress === null ? {} : { onRound: progress.onRound });
  } finally {
    progress?.stop();
    await backend.close();
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run scripts on the model or the kernel and check their expectations',
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('run', argv, {
      target: { type: 'string', default: 'model' },
      profile: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    const target = values.target;
    if (target !== 'model' && target !== 'kernel')
      throw usageError(`--target must be 'model' or 'kernel', got '${String(target)}'.`);
    const profile = profileOption('run', values.profile);
    if (target === 'kernel' && values.profile !== undefined)
      throw usageError(
        `--profile applies to the model only; the kernel is what it is (Linux 6.18 here). Drop --profile or use --target model.`,
      );
    if (positionals.length === 0)
      throw usageError("give at least one script file. See 'portspace run --help'.");
    const scripts = loadScripts(positionals);
    if (target === 'kernel') await requireKernel('--target kernel');

    const reports: RunReport[] = [];
    for (const script of scripts) {
      const report = await runOne(script, target, profile, repeatProgress(out.stderr));
      reports.push(report);
      if (!values.json) {
        const rules = report.rules.length > 0 ? out.paint('dim', ` (${report.rules.join(', ')})`) : '';
        const on = target === 'model' && profile !== 'linux-6.18' ? `model (${profile})` : report.backend;
        out.line(`${out.paint('bold', report.file)} on ${on}${rules}`);
        for (const r of report.records) out.line(stepLine(report.file, r, out));
        if (report.aborted !== null) out.line(`  ${out.paint('red', 'ABORTED')}: ${report.aborted}`);
        out.line(verdictLine(report, out));
        out.line();
      }
    }
    const aborted = reports.filter((r) => r.aborted !== null);
    const failed = reports.filter((r) => !r.ok);
    if (values.json) {
      out.json({
        target,
        ...(target === 'model' ? { profile } : {}),
        ok: failed.length === 0,
        files: reports.length,
        passed: reports.length - failed.length,
        failed: failed.length,
        reports: reports.map(reportJson),
      });
    } else if (reports.length > 1) {
      out.line(
        `${plural(reports.length, 'script')}: ${reports.length - failed.length} passed, ${failed.length} failed`,
      );
    }
    if (aborted.length > 0) {
      if (!values.json)
        out.err(
          `portspace run: the ${target} backend failed during ${aborted.map((r) => r.file).join(', ')}; the run stopped there (see ABORTED above).`,
        );
      return EXIT.unavailable;
    }
    return failed.length === 0 ? EXIT.ok : EXIT.failed;
  },
};
