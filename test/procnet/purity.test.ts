// procnet's parsing is a pure layer (DESIGN: "procnet/ ... parsing (pure) + a thin reader"): only
// reader.ts touches files; every other file imports no node:* module and reads no process state.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const dir = new URL('../../src/procnet/', import.meta.url).pathname;

test('procnet parsing files import no node:* module and touch no process state (reader.ts does the I/O)', () => {
  const offenders: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.ts') || name === 'reader.ts') continue;
    const text = readFileSync(join(dir, name), 'utf8');
    if (/from\s+['"]node:/.test(text)) offenders.push(`${name} imports node:*`);
    if (/\bprocess\.|\brequire\(/.test(text)) offenders.push(`${name} uses process state`);
    if (/from\s+['"]\.\/reader\.js['"]/.test(text)) offenders.push(`${name} imports the reader`);
  }
  assert.deepEqual(offenders, []);
});
