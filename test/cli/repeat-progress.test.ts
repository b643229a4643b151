// Issue 15: a repeat that does not end soon shows progress on stderr instead of 120 s of silence,
// and stops at its budget. The clock is a counter (each read advances it), so nothing depends
// on timing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repeatProgress } from '../../src/cli/repeat-progress.js';
import { ModelBackend } from '../../src/run/model-backend.js';
import { runScript } from '../../src/run/runner.js';
import { parseScriptOrThrow } from '../../src/script/index.js';

// Rounds that never fail: socket + close, 1,000,000 times.
const SCRIPT = 'repeat 1000000 {\n  s = socket(tcp4)\n  close(s)\n}\n';

function fakeClock(stepMs: number): () => number {
  let t = 0;
  return () => {
    t += stepMs;
    return t;
  };
}

test('a long repeat: progress lines every 10 s on a pipe, none in the first 2 s, stopped by the budget', async () => {
  let err = '';
  const clock = fakeClock(5);
  const progress = repeatProgress({ write: (s: string) => (err += s), isTTY: false }, clock);
  const r = await runScript(parseScriptOrThrow(SCRIPT, 'loop.pst'), new ModelBackend(), {
    now: clock,
    loopBudgetMs: 60_000,
    onRound: progress.onRound,
  });
  const lines = err.trimEnd().split('\n');
  assert.ok(lines.length >= 3, err);
  for (const l of lines)
    assert.match(
      l,
      /^portspace: loop\.pst:1:1 repeat 1,000,000: round [\d,]+, \d+ s \(the loop stops after 60 s\)$/,
    );
  assert.ok(!lines.some((l) => / [01] s /.test(l)), 'nothing in the first 2 s');
  const rec = r.records.find((x) => x.kind === 'repeat');
  assert.equal(rec?.kind === 'repeat' ? rec.stoppedBy : '', 'budget');
});

test('on a terminal one line is redrawn and cleared at the end; a short loop shows nothing', async () => {
  let err = '';
  const clock = fakeClock(5);
  const progress = repeatProgress({ write: (s: string) => (err += s), isTTY: true }, clock);
  await runScript(parseScriptOrThrow(SCRIPT, 'loop.pst'), new ModelBackend(), {
    now: clock,
    loopBudgetMs: 5_000,
    onRound: progress.onRound,
  });
  progress.stop();
  assert.ok(!err.includes('\n'));
  assert.ok(err.startsWith('\r\u001b[2Kportspace: loop.pst:1:1 repeat 1,000,000: round'));
  assert.ok(err.endsWith('\r\u001b[2K'));
  let quiet = '';
  const p2 = repeatProgress({ write: (s: string) => (quiet += s), isTTY: false }, fakeClock(1));
  await runScript(
    parseScriptOrThrow('repeat 100 {\n  s = socket(tcp4)\n  close(s)\n}\n', 'short.pst'),
    new ModelBackend(),
    {
      now: fakeClock(1),
      onRound: p2.onRound,
    },
  );
  assert.equal(quiet, '');
});
