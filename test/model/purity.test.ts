// The model is pure (DESIGN "allowed imports"): no I/O, no clocks, no Math.random, and it
// imports nothing outside src/model. Its own tsconfig (types: []) already rejects node:* and
// timers at compile time; this test checks the rest mechanically, and the adapters' direction.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map(
    (m) => m[1] ?? '',
  );
}

const code = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
    .join('\n');

test('D1 the model uses no randomness, clock or process state of its own', () => {
  const offenders: string[] = [];
  for (const f of tsFiles(join(root, 'src/model'))) {
    const c = code(f);
    for (const bad of [
      /Math\.random/,
      /\bDate\b/,
      /performance\.now/,
      /\bprocess\./,
      /\brequire\(/,
      /setTimeout|setInterval/,
    ]) {
      if (bad.test(c)) offenders.push(`${relative(root, f)}: ${bad}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('D1 the model imports only its own files', () => {
  const modelDir = join(root, 'src/model');
  const offenders: string[] = [];
  for (const f of tsFiles(modelDir)) {
    for (const spec of imports(f)) {
      const target = spec.startsWith('.') ? resolve(dirname(f), spec) : spec;
      if (!target.startsWith(modelDir)) offenders.push(`${relative(root, f)} imports ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('adapters depend on the model, never the reverse, and nothing imports the CLI', () => {
  const src = join(root, 'src');
  const layer = (p: string) => relative(src, p).split('/')[0] ?? '';
  const adapters = new Set(['kernel', 'doctor', 'connector', 'web']);
  const offenders: string[] = [];
  for (const f of tsFiles(src)) {
    const from = layer(f);
    for (const spec of imports(f)) {
      if (!spec.startsWith('.')) continue;
      const to = layer(resolve(dirname(f), spec));
      if (to === from) continue;
      if (to === 'cli') offenders.push(`${relative(root, f)} imports the CLI`);
      if (adapters.has(from) && adapters.has(to) && !(from === 'web' && to === 'doctor')) {
        offenders.push(`${relative(root, f)}: adapter ${from} imports adapter ${to}`);
      }
      if (from === 'model') offenders.push(`${relative(root, f)}: the model imports ${to}`);
    }
  }
  assert.deepEqual(offenders, []);
});
