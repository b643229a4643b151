// `portspace tour`, the README's first command, run as a user would (the built CLI): model only,
// with the kernel where this machine allows (skipped with the reason otherwise), the linux-4.1
// column, and the usage errors. Expected texts come from spec sections 10 and 11.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { cli, ensureBuilt, hasAnsi, json, noStack } from './cli-helpers.js';

before(() => ensureBuilt());

interface ClaimJson {
  id: string;
  claim: string;
  article: string;
  kernel: string | null;
  kernelReason?: string;
  model: string;
  linux41: string;
  agree: boolean;
  agreeBasis: string;
  verdict: string;
  held: { kernel: boolean | null; model: boolean; linux41: boolean };
}

const IDS = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'RA1', 'RA2', 'TW1'];

function claims(doc: Record<string, unknown>): Map<string, ClaimJson> {
  const list = doc.claims as ClaimJson[];
  return new Map(list.map((c) => [c.id, c]));
}

test('tour --no-kernel --json: every claim, the model agrees with the 6.18 scripts, kernel null with a reason', () => {
  const r = cli(['tour', '--no-kernel', '--json']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const doc = json(r);
  assert.deepEqual(doc.kernel, { available: false, reason: 'skipped with --no-kernel' });
  const c = claims(doc);
  assert.deepEqual([...c.keys()], IDS);
  for (const x of c.values()) {
    assert.equal(x.kernel, null, x.id);
    assert.equal(x.kernelReason, 'skipped with --no-kernel');
    assert.equal(x.agree, true, `${x.id}: ${x.model}`);
    assert.equal(x.agreeBasis, 'expectations');
    assert.ok(x.article.length > 0 && x.model.length > 0 && x.linux41.length > 0, x.id);
  }
  // Section 11: A1 and A7 no longer hold. A6's spread: the model cannot name the listener (R81)
  // but knows every listener is eligible and one 4-tuple keeps reaching one listener.
  assert.equal(c.get('A1')?.verdict, 'outdated');
  assert.equal(c.get('A7')?.verdict, 'outdated');
  assert.match(c.get('A6')?.model ?? '', /2 listeners: every flow may reach any of them/);
  assert.match(c.get('A6')?.model ?? '', /re-sent 4-tuple reaches the same one \(200\/200\)/);
  // Section 10, the article's kernel: 61000 is in its range; one global hint gives consecutive ports
  // towards one destination; bind(0) with SO_REUSEADDR shares; ip_autobind_reuse does not exist.
  assert.match(c.get('A1')?.linux41 ?? '', /61000/);
  assert.doesNotMatch(c.get('A1')?.model ?? '', /61000/);
  assert.match(c.get('A7')?.linux41 ?? '', /one destination: \d+, \d+, \d+ \(gaps 1, 1\)/);
  assert.match(c.get('A5')?.linux41 ?? '', /bind\(0\) with SO_REUSEADDR: shared \(40000\)/);
  assert.match(c.get('A5')?.linux41 ?? '', /ip_autobind_reuse: ENOENT/);
  assert.match(c.get('A5')?.model ?? '', /bind\(0\) with SO_REUSEADDR: EADDRINUSE/);
  assert.equal(c.get('A1')?.held.linux41, false);
});

test('tour where the kernel cannot run: kernel null with the reason, exit by the model alone', () => {
  const r = cli(['tour', '--json', '--claim', 'A2'], { PORTSPACE_SKIP_KERNEL: '1' });
  assert.equal(r.status, 0, r.stderr);
  const doc = json(r);
  assert.deepEqual(doc.kernel, {
    available: false,
    reason: 'kernel runs disabled by PORTSPACE_SKIP_KERNEL=1',
  });
  assert.equal(claims(doc).get('A2')?.kernel, null);
});

test('tour --claim a7 prints the table as text, without colour when piped', () => {
  const r = cli(['tour', '--claim', 'a7', '--no-kernel']); // ids are matched without regard to case
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /A7 +port search order: no longer holds on 6\.18/);
  assert.match(r.stdout, /article: +The search starts from one global hint/);
  assert.match(r.stdout, /model 4\.1: +one destination/);
  assert.match(r.stdout, /id +claim +on 6\.18 +model as expected/);
  assert.equal(hasAnsi(r.stdout + r.stderr), false);
  const forced = cli(['tour', '--claim', 'A1', '--no-kernel'], { FORCE_COLOR: '1' });
  assert.equal(hasAnsi(forced.stdout), true);
  const off = cli(['tour', '--claim', 'A1', '--no-kernel'], { FORCE_COLOR: '1', NO_COLOR: '1' });
  assert.equal(hasAnsi(off.stdout), false);
});

test('tour --profile linux-4.1: the article-era model does not do what 6.18 does (exit 1)', () => {
  const r = cli([
    'tour',
    '--profile',
    'linux-4.1',
    '--no-kernel',
    '--json',
    '--claim',
    'A1',
    '--claim',
    'A2',
  ]);
  assert.equal(r.status, 1, r.stderr);
  const c = claims(json(r));
  assert.equal(c.get('A1')?.agree, false, 'the 4.1 range has 61000');
  assert.equal(c.get('A2')?.agree, true, 'per-destination reuse is the same');
});

test('tour usage errors: exit 2, a PORTSPACE_USAGE code, no stack trace', () => {
  for (const args of [
    ['tour', '--profile', 'linux-2.6', '--json'],
    ['tour', '--claim', 'A9', '--json'],
    ['tour', 'extra.pst', '--json'],
    ['tour', '--bogus', '--json'],
  ]) {
    const r = cli(args);
    assert.equal(r.status, 2, args.join(' '));
    const err = json(r).error as { code: string; message: string };
    assert.equal(err.code, 'PORTSPACE_USAGE');
    assert.ok(noStack(r));
  }
  const h = cli(['tour', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /usage: portspace tour/);
});

test('run and explain --profile linux-4.1 (model only; with --target kernel a usage error)', () => {
  const r = cli(['run', '--profile', 'linux-4.1', '--json', 'examples/article/a01-default-range.pst']);
  assert.equal(r.status, 1, 'the 4.1 range reaches 61000, which the 6.18 script rules out');
  assert.equal(json(r).profile, 'linux-4.1');
  const k = cli([
    'run',
    '--target',
    'kernel',
    '--profile',
    'linux-4.1',
    '--json',
    'examples/article/a01-default-range.pst',
  ]);
  assert.equal(k.status, 2);
  assert.match((json(k).error as { message: string }).message, /--profile applies to the model only/);
  const e = cli([
    'explain',
    '--profile',
    'linux-4.1',
    'examples/article/a05-reuseaddr-shared-source-ports.pst',
  ]);
  assert.equal(e.status, 1);
  assert.match(e.stdout, /explained by the model \(linux-4\.1\)/);
  assert.match(e.stdout, /range exhausted \(Linux 4\.1\): the shareable port with the fewest owners/);
  const bad = cli(['explain', '--profile', 'nope', 'examples/article/a05-reuseaddr-shared-source-ports.pst']);
  assert.equal(bad.status, 2);
  assert.ok(noStack(bad));
});

test('tour --json with the kernel: model and kernel agree call by call on every claim', async (t) => {
  const a = await kernelAvailability();
  if (!a.ok) {
    console.log(`# kernel part skipped: ${a.reason}`);
    t.skip(a.reason);
    return;
  }
  const r = cli(['tour', '--json'], {}, 300_000);
  assert.equal(r.status, 0, r.stdout);
  const doc = json(r);
  assert.deepEqual(doc.kernel, { available: true });
  for (const c of claims(doc).values()) {
    assert.equal(typeof c.kernel, 'string', c.id);
    assert.equal(c.agreeBasis, 'differential');
    assert.equal(c.agree, true, `${c.id}: kernel ${c.kernel}; model ${c.model}`);
    assert.equal(c.held.kernel, true, `${c.id}: the kernel does what the 6.18 script expects`);
  }
  // Numbers the kernel fixes whatever its hash: A1's ends of the range, A2's capacity.
  assert.match(claims(doc).get('A1')?.kernel ?? '', /32768, 60999, EADDRNOTAVAIL/);
  assert.match(claims(doc).get('A2')?.kernel ?? '', /1,000 then EADDRNOTAVAIL to :21401/);
  // A6 on a real group of 2 listeners: every one of 1,000 flows reached a listener, the counts sum
  // to the flows, re-sent flows kept their listener, and the alternation is far from round-robin.
  const a6 = claims(doc).get('A6')?.kernel ?? '';
  const spread =
    /1,000 flows: (\d+)\/(\d+) .*alternation (0\.\d+) \(round-robin: 1\.00\), same listener on re-send 100%/.exec(
      a6,
    );
  assert.ok(spread, a6);
  assert.equal(Number(spread[1]) + Number(spread[2]), 1000);
  assert.ok(Number(spread[3]) < 0.9, a6);
});
