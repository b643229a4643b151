// Issue 15: terminal escape sequences in a .pst file, a /proc line or an argument never reach the
// terminal raw through an error message (in-process main() with a captured Output).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInProcess } from './in-process.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for them
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f]/;

test('an ESC sequence in a script, a /proc line or an argument is printed escaped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portspace-escape-'));
  try {
    const pst = join(dir, 'bad.pst');
    writeFileSync(pst, 's = socket(tcp4\u001b[2J)\n');
    const run = await runInProcess(['run', pst]);
    assert.equal(run.code, 2);
    assert.doesNotMatch(run.stderr, RAW);
    assert.match(run.stderr, /control character \\x1b/);

    const proc = join(dir, 'proc');
    mkdirSync(join(proc, 'net'), { recursive: true });
    const good = readFileSync('test/fixtures/proc/captured/net/tcp', 'latin1');
    writeFileSync(join(proc, 'net', 'tcp'), `${good}   9: 0100007F:9C40 0100007F:1388 \u001b[31m 00000000\n`);
    const doc = await runInProcess(['doctor', '--proc', proc]);
    assert.equal(doc.code, 0, doc.stderr);
    assert.doesNotMatch(doc.stdout, RAW);
    assert.match(doc.stdout, /net\/tcp:\d+:\d+: .*\\x1b\[31m/);

    const arg = await runInProcess(['\u001b]0;pwned\u0007']);
    assert.equal(arg.code, 2);
    assert.doesNotMatch(arg.stderr, RAW);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
