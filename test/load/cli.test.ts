// `portspace load` at the command line: bad input is a usage error (exit 2, PORTSPACE_USAGE)
// that says what was wrong, and without a namespace to run in the command says why and exits
// with the "kernel unavailable" code (3). Calls the command itself with a captured Output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCommand } from '../../src/cli/commands/load.js';
import { CliError } from '../../src/cli/errors.js';
import { Output } from '../../src/cli/output.js';

async function load(args: string[]): Promise<CliError> {
  const sink = { write: () => true };
  try {
    await loadCommand.run(args, new Output(sink, sink, {}));
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  assert.fail(`load ${args.join(' ')} did not fail`);
}

test('load: bad input is a usage error naming the option', async () => {
  const cases: [string[], RegExp][] = [
    [[], /needs --to/],
    [['--to', '10.0.0.1:80'], /not a loopback address/],
    [['--to', '127.0.0.1:9000', '--sources', '10.0.0.2'], /not a usable loopback address/],
    [['--to', '127.0.0.1:9000', '--sources', '::1'], /not of the destination's family/],
    [['--to', '127.0.0.1:9000', '--strategy', 'magic'], /--strategy must be/],
    [['--to', '127.0.0.1:9000', '--strategy', 'explicit'], /--strategy must be/],
    [['--to', '127.0.0.1:9000', '--per-worker', '20000'], /20,000 files/],
    [['--to', '127.0.0.1:9000', '--connections', '0'], /--connections must be an integer >= 1/],
    [['--to', '127.0.0.1:9000', '--connections', '600000'], /at most 500,000/],
    [['--to', '127.0.0.1:9000', '--range', '80-90'], /1024 <= LO/],
    [['--to', '127.0.0.1:9000', '--hold', 'x'], /--hold must be a number/],
    [['--to', '127.0.0.1:9000', 'extra'], /takes no arguments/],
  ];
  for (const [args, re] of cases) {
    const e = await load(args);
    assert.equal(e.code, 'PORTSPACE_USAGE', args.join(' '));
    assert.equal(e.exitCode, 2);
    assert.match(e.message, re, args.join(' '));
  }
});

test('load: without a namespace to run in, it says why and exits 3', async () => {
  const before = process.env.PORTSPACE_SKIP_KERNEL;
  process.env.PORTSPACE_SKIP_KERNEL = '1';
  try {
    const e = await load(['--to', '127.0.0.1:9000', '--connections', '10']);
    assert.equal(e.code, 'PORTSPACE_KERNEL_UNAVAILABLE');
    assert.equal(e.exitCode, 3);
    assert.match(e.message, /PORTSPACE_SKIP_KERNEL=1/);
  } finally {
    if (before === undefined) delete process.env.PORTSPACE_SKIP_KERNEL;
    else process.env.PORTSPACE_SKIP_KERNEL = before;
  }
});
