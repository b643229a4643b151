/**
 * `npm run fuzz [-- --count N --seed S --from I --json]`: feeds the .pst parser, the /proc/net and
 * /proc/sys parsers and the CLI's argument handling with generated and mutated inputs (default
 * 1,000,000, seed 1), in a child process watched for hangs: a child that reports no new input for
 * HANG_MS is killed, the input it was on is a finding, and the run goes on after it. Loaded only
 * by this script (and the CI slice in test/fuzz).
 */
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type FuzzReport, runFuzz } from './run.js';

const HANG_MS = 10_000;
const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    from: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    child: { type: 'boolean', default: false },
    'max-seconds': { type: 'string' },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const from = Number(values.from);
if (![count, seed, from].every((n) => Number.isSafeInteger(n) && n >= 0)) {
  console.error('fuzz: --count, --seed and --from take integers >= 0');
  process.exit(2);
}

if (values.child) {
  // Heartbeat on fd 3 (sync: the parent must see it even if this process then hangs).
  const maxSeconds = values['max-seconds'] === undefined ? undefined : Number(values['max-seconds']);
  const report = await runFuzz({
    seed,
    count,
    from,
    root,
    onInput: (i) => writeSync(3, `${i}\n`),
    ...(maxSeconds === undefined ? {} : { maxMs: maxSeconds * 1000 }),
  });
  process.stdout.write(JSON.stringify(report));
  process.exit(0);
}

/** Runs [start, end) in a child; on a hang, returns the report so far with the hang as a finding. */
function child(
  start: number,
  end: number,
): Promise<{ report: FuzzReport | null; hungAt: number | null; last: number }> {
  return new Promise((resolve) => {
    const c = spawn(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--child',
        '--seed',
        String(seed),
        '--from',
        String(start),
        '--count',
        String(end - start),
        ...(values['max-seconds'] === undefined ? [] : ['--max-seconds', values['max-seconds']]),
      ],
      { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] },
    );
    let out = '';
    let last = start - 1;
    let beat = Date.now();
    let buf = '';
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    (c.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.lastIndexOf('\n');
      if (nl < 0) return;
      const lines = buf.slice(0, nl).split('\n');
      buf = buf.slice(nl + 1);
      last = Number(lines[lines.length - 1]);
      beat = Date.now();
    });
    let hungAt: number | null = null;
    const dog = setInterval(() => {
      if (Date.now() - beat > HANG_MS) {
        hungAt = last;
        c.kill('SIGKILL');
      }
    }, 1000);
    // 'close', not 'exit': 'exit' can come before the last of the child's stdout is read (a
    // 200,000-input run lost its report that way and counted as a dead child).
    c.on('close', () => {
      clearInterval(dog);
      let report: FuzzReport | null = null;
      try {
        report = hungAt === null ? (JSON.parse(out) as FuzzReport) : null;
      } catch {
        report = null;
      }
      resolve({ report, hungAt, last });
    });
  });
}

const t0 = performance.now();
const total: FuzzReport = { seed, from, count: 0, ms: 0, perTarget: {}, findings: [] };
let start = from;
const end = from + count;
const hangs: number[] = [];
while (start < end) {
  const r = await child(start, end);
  if (r.report !== null) {
    total.count += r.report.count;
    total.findings.push(...r.report.findings);
    for (const [k, v] of Object.entries(r.report.perTarget)) {
      let t = total.perTarget[k];
      if (t === undefined) {
        t = { inputs: 0, maxMs: 0, totalMs: 0 };
        total.perTarget[k] = t;
      }
      t.inputs += v.inputs;
      t.totalMs += v.totalMs;
      t.maxMs = Math.max(t.maxMs, v.maxMs);
    }
    break;
  }
  // The child hung (or died): the input it was on is a finding; go on after it.
  const at = r.hungAt ?? r.last + 1;
  hangs.push(at);
  total.findings.push({
    target: '?',
    problem: r.hungAt === null ? 'the child process died' : `hang: no progress for ${HANG_MS / 1000} s`,
    index: at,
    input: `npm run fuzz -- --seed ${seed} --from ${at} --count 1`,
    count: 1,
  });
  total.count += at + 1 - start;
  start = at + 1;
}
total.ms = performance.now() - t0;

if (values.json) console.log(JSON.stringify(total, null, 2));
else {
  console.log(
    `fuzz: ${total.count.toLocaleString('en-US')} inputs (seed ${seed}) in ${(total.ms / 1000).toFixed(1)} s${total.count < count ? ` (stopped by --max-seconds before ${count.toLocaleString('en-US')})` : ''}`,
  );
  for (const [k, v] of Object.entries(total.perTarget))
    console.log(
      `  ${k}: ${v.inputs.toLocaleString('en-US')} inputs, mean ${(v.totalMs / v.inputs).toFixed(3)} ms, max ${v.maxMs.toFixed(0)} ms`,
    );
  console.log(total.findings.length === 0 ? 'no findings' : `${total.findings.length} finding(s):`);
  for (const f of total.findings)
    console.log(
      `  [${f.target}] ${f.problem} (${f.count}x; first at input ${f.index}: npm run fuzz -- --seed ${seed} --from ${f.index} --count 1)\n    input: ${JSON.stringify(f.input.slice(0, 300))}`,
    );
}
process.exitCode = total.findings.length === 0 ? 0 : 1;
