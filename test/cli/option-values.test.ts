// Option values that start with '-' (built CLI): node:util parseArgs refuses "--rate -1" as
// ambiguous (a negative number, or a forgotten value before another option?). The shared helper
// (src/cli/common.ts parseOptions) must say what to do for every command, not Node's first
// sentence ("argument is ambiguous").
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { cli, ensureBuilt, json, noStack } from './cli-helpers.js';

before(() => ensureBuilt());

const PLAN = ['plan', '--from', '10.0.0.1', '--to', '10.1.1.1:80', '--rate', '5'];

function refusesNegative(args: readonly string[], option: string): void {
  const r = cli(args);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.ok(noStack(r));
  assert.ok(!/ambiguous/.test(r.stderr), r.stderr);
  assert.ok(
    r.stderr.includes(
      `${option} needs a value; a negative number is not allowed here (write ${option}=VALUE to pass a value that starts with '-')`,
    ),
    r.stderr,
  );
  const j = cli([...args, '--json']);
  assert.equal(j.status, 2);
  assert.equal((json(j).error as { code: string }).code, 'PORTSPACE_USAGE');
}

test('plan: a negative number after a space says the option needs a value and how to pass one', () => {
  for (const [option, value] of [
    ['--rate', '-1'],
    ['--hold', '-5'],
    ['--seed', '-1'],
    ['--tw-reuse-delay', '-1'],
  ] as const) {
    // Later options win in parseArgs, so the bad one goes last (after the valid --rate).
    refusesNegative([...PLAN, option, value], option);
  }
});

test('the same message for other commands (the helper is shared): doctor --count -3, diff --seed -2', () => {
  refusesNegative(['doctor', '--count', '-3'], '--count');
  refusesNegative(['diff', '--seed', '-2'], '--seed');
});

test('with --rate=VALUE the value reaches the command, which judges it itself', () => {
  const r = cli(['plan', '--from', '10.0.0.1', '--to', '10.1.1.1:80', '--rate=-1']);
  assert.equal(r.status, 2);
  assert.ok(!/needs a value/.test(r.stderr), r.stderr);
  assert.match(r.stderr, /--rate '-1'/);
});
