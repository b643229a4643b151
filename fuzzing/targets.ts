/**
 * What the fuzzer feeds and what it checks. A target makes one input from an Rng and runs it;
 * it returns null when every check held, or the problem. Checks: no exception other than the
 * expected error types; every error carries a PORTSPACE_* code and a place (file:line:col, the
 * option or the argument); no raw control character reaches the terminal; bounded results.
 *
 * The page's HTTP endpoints are the target in web-target.ts (5 % of the inputs). More targets plug
 * in through registerTarget before runFuzz; a target holding something open (a server) closes it
 * in cleanup(), which runFuzz awaits at the end of a run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddressTable,
  type ParseIssues,
  ProcNetParser,
  readPortSysctls,
  SocketTable,
  SYSCTL_FILES,
} from '../src/procnet/index.js';
import { parseScript, printScript } from '../src/script/index.js';
// The CLI run in this process with its output captured: the same helper the CLI tests use.
import { runInProcess } from '../test/cli/in-process.js';
import type { Corpus } from './corpus.js';
import { generateLine, mutateProcNet, mutateScript, mutateSysctl, NUMBERS, ODD } from './mutate.js';
import type { Rng } from './prng.js';
import { webTarget } from './web-target.js';

export interface FuzzInput {
  /** What was fed, for the report (text, or argv joined). */
  readonly text: string;
}

export interface FuzzTarget {
  readonly name: string;
  /** Share of the inputs this target gets (weights are normalised). */
  readonly weight: number;
  /** Makes one input and checks it: null when fine, else the problem. */
  run(rng: Rng, corpus: Corpus): Promise<{ input: FuzzInput; problem: string | null }>;
  /** Releases what run() opened (runFuzz awaits it once, at the end of a run). */
  cleanup?(): Promise<void>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never be printed raw
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f\u009b]/;

const scriptTarget: FuzzTarget = {
  name: 'pst-parser',
  weight: 58,
  async run(rng, corpus) {
    const text = rng.chance(0.9)
      ? mutateScript(rng, corpus.scripts)
      : Array.from({ length: 1 + rng.int(8) }, () => generateLine(rng)).join('\n');
    const input = { text };
    const lines = text.split(/\r?\n/).length;
    const r = parseScript(text, 'fuzz.pst');
    if (!r.ok) {
      if (r.errors.length === 0) return { input, problem: 'parse failed with no error' };
      for (const e of r.errors) {
        if (e.code !== 'PORTSPACE_SCRIPT_PARSE')
          return { input, problem: `error without its code: ${e.code}` };
        if (e.file !== 'fuzz.pst' || e.line < 1 || e.line > lines + 1 || e.col < 1)
          return { input, problem: `error without a place: ${e.file}:${e.line}:${e.col}` };
        if (e.message === '') return { input, problem: 'error without a message' };
        if (RAW.test(e.format()))
          return { input, problem: `raw control character in: ${JSON.stringify(e.format())}` };
      }
      return { input, problem: null };
    }
    // A script that parses prints back to one that parses to the same text (round trip).
    const printed = printScript(r.script);
    const again = parseScript(printed, 'fuzz.pst');
    if (!again.ok) return { input, problem: `printed script does not parse: ${again.errors[0]?.format()}` };
    if (printScript(again.script) !== printed)
      return { input, problem: 'print(parse(print(s))) differs from print(s)' };
    return { input, problem: null };
  },
};

const procNetTarget: FuzzTarget = {
  name: 'proc-net-parser',
  weight: 32,
  async run(rng, corpus) {
    const base = rng.pick(corpus.procNet);
    const text = mutateProcNet(rng, base.text);
    const input = { text };
    const issues: ParseIssues = { unreadable: 0, examples: [] };
    const table = new SocketTable('tcp');
    const p = new ProcNetParser('net/tcp', base.family, table, new AddressTable(true), issues);
    p.feed(new TextEncoder().encode(text));
    p.finish();
    // Every data line is read or counted as unreadable, each unreadable one with its place.
    if (p.stats.parsed + issues.unreadable !== p.stats.dataLines)
      return {
        input,
        problem: `${p.stats.dataLines} data lines, ${p.stats.parsed} read + ${issues.unreadable} unreadable`,
      };
    if (table.count !== p.stats.parsed) return { input, problem: 'table count differs from lines read' };
    for (const e of issues.examples) {
      // The place: a line and column, and an excerpt that reaches the column.
      const reaches = e.text.startsWith('...') || e.col <= e.text.length + 1 || e.col <= 121;
      if (e.line < 2 || e.col < 1 || !reaches)
        return { input, problem: `unreadable line without a place: ${e.line}:${e.col}` };
      if (e.reason === '') return { input, problem: 'unreadable line without a reason' };
    }
    for (let i = 0; i < table.count; i++)
      if ((table.lport[i] ?? -1) > 65535 || (table.rport[i] ?? -1) > 65535)
        return { input, problem: 'a port above 65535 was read' };
    return { input, problem: null };
  },
};

const sysctlTarget: FuzzTarget = {
  name: 'proc-sys-parser',
  weight: 4.7,
  async run(rng, corpus) {
    const texts: Record<string, string | null> = {};
    for (const name of SYSCTL_FILES) {
      if (rng.chance(0.3)) continue;
      const real = corpus.sysctls.find((s) => s.name === name)?.text ?? '0\n';
      texts[name] = rng.chance(0.5) ? mutateSysctl(rng, real) : real;
    }
    const input = { text: JSON.stringify(texts) };
    const r = readPortSysctls(texts);
    const [lo, hi] = r.values.range;
    if (!(lo >= 1 && lo <= hi && hi <= 65535))
      return { input, problem: `range ${lo}-${hi} is not a range Linux holds (R1)` };
    if (r.values.reserved.some((p) => p < 0 || p > 65535))
      return { input, problem: 'reserved port out of range (R2)' };
    return { input, problem: null };
  },
};

/** Option values: valid ones, bounds, and the odd strings. */
function value(rng: Rng, valid: readonly string[]): string {
  const r = rng.int(10);
  if (r < 6) return rng.pick(valid);
  if (r < 8) return rng.pick(NUMBERS);
  return rng.pick([...ODD, '', '-', '--', '--json', 'abc', '1,000,000', '1_000', 'NaN', 'Infinity', '-0']);
}

let scratch: string | null = null;
function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'portspace-fuzz-'));
  return scratch;
}

/** Removes the scratch directory the CLI target wrote into (runFuzz calls it at the end). */
export function cleanupScratch(): void {
  if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  scratch = null;
}

/**
 * argv for a command, from its options. Kept cheap and side-effect free: the model only (no
 * kernel), plans of at most a few thousand attempts, doctor without --listen and with --watch
 * only for one sample, files written only under a scratch directory; tour, diff and spread get
 * --help or a wrong option (their runs take seconds to minutes and need the kernel).
 */
function argv(rng: Rng, corpus: Corpus): string[] {
  const cmd = rng.pick([
    'run',
    'explain',
    'plan',
    'doctor',
    'demo',
    'help',
    'tour',
    'diff',
    'spread',
    'nope',
    '--help',
    '',
  ]);
  const a: string[] = cmd === '' ? [] : [cmd];
  const opt = (name: string, valid: readonly string[]) => {
    if (rng.chance(0.15)) a.push(`--${name}=${value(rng, valid)}`);
    else a.push(`--${name}`, value(rng, valid));
  };
  const flag = (name: string) => a.push(`--${name}`);
  switch (cmd) {
    case 'run':
    case 'explain': {
      // Not examples/article/full/: those run 64,512 connections on purpose (seconds each).
      if (rng.chance(0.8)) a.push(rng.pick(corpus.scriptPaths.filter((p) => !p.includes('/full/'))));
      else {
        const f = join(scratchDir(), `m${rng.int(8)}.pst`);
        writeFileSync(f, mutateScript(rng, corpus.scripts));
        a.push(f);
      }
      if (rng.chance(0.3)) opt('profile', ['linux-6.18', 'linux-4.1']);
      if (cmd === 'run' && rng.chance(0.2)) opt('target', ['model']);
      break;
    }
    case 'plan': {
      opt('from', ['10.0.0.1', '10.0.0.2', 'fd00::1']);
      opt('to', ['10.1.1.1:5432', '[fd00::2]:443', '10.1.1.1']);
      if (rng.chance(0.2)) opt('concurrent', ['100000', '5', '1e5']);
      else opt('rate', ['1', '10', '500', '1e3']);
      opt('duration', ['1', '5', '0.5']);
      for (const [name, valid] of [
        ['hold', ['0', '1', '30']],
        ['closer', ['client', 'server']],
        ['strategy', ['connect', 'noport', 'bind0', 'reuseaddr']],
        ['range', ['32768-60999', '40000 40009', '1024-65535']],
        ['reserved', ['40000', '40000-40005,40007']],
        ['tw-reuse', ['0', '1', '2']],
        ['engine', ['fast', 'exact']],
        ['seed', ['1', '7']],
        ['arrivals', ['even', 'poisson']],
      ] as const)
        if (rng.chance(0.2)) opt(name, valid);
      if (rng.chance(0.1)) flag('compare');
      if (rng.chance(0.05)) opt('svg', [join(scratchDir(), 'chart.svg')]);
      break;
    }
    case 'doctor': {
      opt('proc', [...corpus.procDirs, join(scratchDir(), 'none')]);
      if (rng.chance(0.3)) opt('to', ['127.0.0.1:5000', '[::1]:6000', '10.0.0.1:0']);
      if (rng.chance(0.2)) opt('top', ['1', '5', '1000']);
      if (rng.chance(0.1)) flag('prometheus');
      if (rng.chance(0.1)) a.push('--watch', '--count', '1');
      break;
    }
    case 'help':
      if (rng.chance(0.8)) a.push(value(rng, ['run', 'doctor', 'plan', 'help', 'tour']));
      break;
    case 'tour':
    case 'diff':
    case 'spread':
      if (rng.chance(0.5))
        opt(rng.pick(['claim', 'random', 'members', 'flows', 'profile']), ['A1', '5', '2', 'linux-4.1']);
      break;
    default:
  }
  if (rng.chance(0.3)) flag('json');
  if (rng.chance(0.05)) a.push(value(rng, ['--help', '-h', '--', 'extra']));
  // Shuffle options after the command now and then (parseArgs takes them in any order).
  if (rng.chance(0.1) && a.length > 2) {
    const i = 1 + rng.int(a.length - 1);
    const j = 1 + rng.int(a.length - 1);
    [a[i], a[j]] = [a[j] ?? '', a[i] ?? ''];
  }
  // A wrong option now and then, anywhere: parsing must refuse it before any work.
  const heavy = cmd === 'tour' || cmd === 'diff' || cmd === 'spread';
  if (!heavy && rng.chance(0.03)) a.splice(1 + rng.int(a.length), 0, '--bogus');
  // tour, diff and spread never run for real here: --help or a wrong option first.
  if (heavy) a.splice(1, 0, rng.chance(0.5) ? '--help' : '--bogus');
  return a;
}

const cliTarget: FuzzTarget = {
  name: 'cli-args',
  weight: 0.3,
  async run(rng, corpus) {
    const args = argv(rng, corpus);
    const input = { text: JSON.stringify(args) };
    const { code, stdout, stderr } = await runInProcess(args);
    if (code === 70) return { input, problem: `internal error: ${(stderr || stdout).slice(0, 300)}` };
    if (![0, 1, 2].includes(code)) return { input, problem: `exit ${code}` };
    if (/\n\s+at .*:\d+:\d+\)?\n/.test(stderr)) return { input, problem: 'a stack trace on stderr' };
    if (RAW.test(stderr))
      return { input, problem: `raw control character on stderr: ${JSON.stringify(stderr.slice(0, 200))}` };
    if (code === 2) {
      const json = (() => {
        const end = args.indexOf('--');
        return (end < 0 ? args : args.slice(0, end)).includes('--json');
      })();
      let message: string;
      if (json) {
        let e: { code?: string; message?: string } | undefined;
        try {
          e = (JSON.parse(stdout) as { error?: { code?: string; message?: string } }).error;
        } catch {
          return { input, problem: `--json error is not one JSON document: ${stdout.slice(0, 200)}` };
        }
        if (!/^PORTSPACE_[A-Z_]+$/.test(e?.code ?? ''))
          return { input, problem: `error without a PORTSPACE_* code: ${e?.code}` };
        message = e?.message ?? '';
      } else {
        if (!stderr.startsWith('portspace: ') && !stderr.startsWith('usage: '))
          return { input, problem: `error not from portspace: ${stderr.slice(0, 200)}` };
        message = stderr;
      }
      // The place: the option or argument named, a file:line:col, or the usage text.
      if (!/--[a-z]|'[^']*'|:\d+:\d+|usage:|give /.test(message))
        return { input, problem: `error without a place: ${message.slice(0, 200)}` };
    }
    return { input, problem: null };
  },
};

export const EXTRA_TARGETS: FuzzTarget[] = [];

export function registerTarget(t: FuzzTarget): void {
  EXTRA_TARGETS.push(t);
}

/** The targets of a run; `root` is the repository (the web target's fixtures). */
export function allTargets(root: string): FuzzTarget[] {
  return [scriptTarget, procNetTarget, sysctlTarget, cliTarget, webTarget(root), ...EXTRA_TARGETS];
}
