/**
 * Differential runs until the CLI exists (`portspace diff` will replace this):
 *   npx tsx scripts/diff.ts --random 2000 [--seed N] [--budget-ms 240000] [--concurrency 8] [--json]
 *   npx tsx scripts/diff.ts FILE.pst...  [--json]
 * Exit 0: no divergence; 1: divergences (or harness errors, or failed expectations in files);
 * 2: bad input. Without kernel access it prints why and exits 0 with "kernel": null.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { kernelAvailability } from '../src/kernel/availability.js';
import { KernelBackend } from '../src/kernel/kernel-backend.js';
import { TCP_RULES } from '../src/run/coverage.js';
import { type DiffOptions, diffScript, formatDivergence } from '../src/run/differential.js';
import { ModelBackend } from '../src/run/model-backend.js';
import { randomDiff } from '../src/run/random-diff.js';
import { parseScript } from '../src/script/index.js';

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: tsx scripts/diff.ts --random N [--seed N] [--json] | FILE.pst... [--json]\n`,
  );
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      random: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      'budget-ms': { type: 'string' },
      concurrency: { type: 'string' },
      'no-shrink': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
    },
  });
}
try {
  args = parse();
} catch (e) {
  usage(e instanceof Error ? e.message : String(e));
}
const { values, positionals } = args;
const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) usage(`--${name} must be a non-negative integer, got ${v}`);
  return Number(v);
};
const count = int('random', values.random);
const seed = int('seed', values.seed);
const budgetMs = int('budget-ms', values['budget-ms']);
const concurrency = int('concurrency', values.concurrency);
if (count === undefined && positionals.length === 0) usage('give --random N or script files');
if (count !== undefined && positionals.length > 0) usage('give either --random N or script files, not both');

const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o, null, 2)}\n`);
const say = (s: string) => {
  if (values.json) process.stderr.write(`${s}\n`);
  else process.stdout.write(`${s}\n`);
};

const availability = await kernelAvailability();
if (!availability.ok) {
  say(`kernel checks skipped: ${availability.reason}`);
  if (values.json)
    out({
      kernel: null,
      reason: availability.reason,
      scripts: 0,
      calls: 0,
      divergences: 0,
      rulesCovered: [],
      firstDivergence: null,
    });
  process.exit(0);
}
const base: DiffOptions = {
  makeModel: () => new ModelBackend(),
  makeKernel: () => KernelBackend.start({ acceptWaitMs: 20 }),
};

if (count !== undefined) {
  const s = await randomDiff({
    ...base,
    count,
    ...(seed === undefined ? {} : { seed }),
    ...(budgetMs === undefined ? {} : { budgetMs }),
    ...(concurrency === undefined ? {} : { concurrency }),
    shrink: !values['no-shrink'],
    ...(values['no-write'] ? { regressionsDir: null } : {}),
    log: say,
  });
  if (values.json) {
    out({
      kernel: 'linux',
      seed: s.seed,
      scripts: s.scripts,
      calls: s.calls,
      divergences: s.divergences,
      errors: s.errors,
      rulesCovered: s.rulesCovered,
      rulesMissing: s.rulesMissing,
      firstDivergence: s.firstDivergence,
      firstError: s.firstError,
      ms: s.ms,
      scriptsPerSecond: Number(s.scriptsPerSecond.toFixed(2)),
      budgetExhausted: s.budgetExhausted,
    });
  } else {
    say(
      `seed ${s.seed}: ${s.scripts} scripts, ${s.calls} calls, ${s.divergences} divergences, ${s.errors} errors, ${(s.ms / 1000).toFixed(1)} s (${s.scriptsPerSecond.toFixed(1)} scripts/s)`,
    );
    say(`rules covered (${s.rulesCovered.length}): ${s.rulesCovered.join(' ')}`);
    if (s.rulesMissing.length > 0) say(`TCP rules not hit: ${s.rulesMissing.join(' ')}`);
    if (s.firstDivergence) say(s.firstDivergence.report);
  }
  process.exit(s.divergences > 0 || s.errors > 0 ? 1 : 0);
}

let divergences = 0;
let failures = 0;
let errors = 0;
let calls = 0;
const rules = new Set<string>();
const reports: unknown[] = [];
let first: unknown = null;
for (const file of positionals) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    usage(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = parseScript(text, file);
  if (!parsed.ok) usage(parsed.errors.map((e) => e.format()).join('\n'));
  const r = await diffScript(parsed.script, base);
  calls += r.calls;
  divergences += r.divergences;
  if (r.error !== null) errors++;
  const f = r.failures.kernel.length + r.failures.model.length;
  failures += f;
  for (const x of r.rulesCovered) rules.add(x);
  if (r.divergence !== null) first ??= r.divergence;
  reports.push({
    file,
    calls: r.calls,
    divergences: r.divergences,
    failures: r.failures,
    error: r.error,
    ms: r.ms,
  });
  if (!values.json) {
    const verdict = r.divergence ? 'DIVERGED' : r.error ? 'ERROR' : f > 0 ? 'FAIL' : 'ok';
    say(`${verdict}  ${file}: ${r.calls} calls, ${r.ms} ms`);
    if (r.divergence) say(formatDivergence(r.divergence));
    if (r.error) say(`  ${r.error}`);
    for (const m of [
      ...r.failures.kernel.map((x) => `kernel: ${x}`),
      ...r.failures.model.map((x) => `model: ${x}`),
    ])
      say(`  ${m}`);
  }
}
const covered = [...rules].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)) || a.localeCompare(b));
if (values.json) {
  out({
    kernel: 'linux',
    scripts: positionals.length,
    calls,
    divergences,
    failures,
    errors,
    rulesCovered: covered,
    rulesMissing: TCP_RULES.filter((r) => !rules.has(r)),
    firstDivergence: first,
    reports,
  });
} else {
  say(
    `${positionals.length} scripts, ${calls} calls, ${divergences} divergences, ${failures} failed expectations, ${errors} errors`,
  );
}
process.exit(divergences > 0 || errors > 0 || failures > 0 ? 1 : 0);
