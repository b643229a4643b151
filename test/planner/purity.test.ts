// The planner is a pure layer (DESIGN): it imports only the model and itself, and has no clock,
// no Math.random, no I/O and no process state of its own; time is virtual, output is values.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const dir = join(root, 'src/planner');

test('D1 the planner imports only src/model and itself, and uses no clock, randomness or I/O', () => {
  const offenders: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? '';
      const target = spec.startsWith('.') ? resolve(dirname(file), spec) : spec;
      if (!target.startsWith(dir) && !target.startsWith(join(root, 'src/model')))
        offenders.push(`${name} imports ${spec}`);
    }
    const code = text
      .split('\n')
      .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
      .join('\n');
    for (const bad of [
      /Math\.random/,
      /\bDate\b/,
      /performance\.now/,
      /\bprocess\./,
      /setTimeout|setInterval/,
    ])
      if (bad.test(code)) offenders.push(`${relative(root, file)}: ${bad}`);
  }
  assert.deepEqual(offenders, []);
});
