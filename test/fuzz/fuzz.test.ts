// The CI slice of `npm run fuzz` (issue 15): 20,000 generated and mutated inputs, fixed seed 1,
// fed to the .pst parser, the /proc/net and /proc/sys parsers, the CLI (in-process main()) and the
// page's HTTP server (started in-process on 127.0.0.1:0; raw requests over loopback sockets).
// Every input must pass the targets' checks (fuzzing/targets.ts): no exception but the expected
// errors, every error with its PORTSPACE_* code and place, no raw control character, no input
// slower than 2 s. A failure prints the finding with the command that re-makes its input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runFuzz } from '../../fuzzing/run.js';

test('fuzz slice: 20,000 inputs (seed 1) without a finding', { timeout: 600_000 }, async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = await runFuzz({ seed: 1, count: 20_000, root });
  assert.equal(r.count, 20_000);
  // Each target got its share (weights 58 / 32 / 4.7 / 0.3 / 5 %).
  for (const name of ['pst-parser', 'proc-net-parser', 'proc-sys-parser', 'cli-args', 'web-http'])
    assert.ok((r.perTarget[name]?.inputs ?? 0) > 20, `${name}: ${r.perTarget[name]?.inputs} inputs`);
  assert.deepEqual(
    r.findings.map(
      (f) =>
        `[${f.target}] ${f.problem} (${f.count}x; npm run fuzz -- --seed 1 --from ${f.index} --count 1): ${f.input.slice(0, 300)}`,
    ),
    [],
  );
});
