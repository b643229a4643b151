#!/usr/bin/env node
// Collects test files itself: on Node 20, `node --test test/` does not find .ts files and
// would pass with zero tests. Fails when no test file is found.
// Usage: node scripts/run-tests.mjs [filter...]   (a filter is a substring of the path)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = collect(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(
    `run-tests: no test files found under test/${filters.length ? ` matching ${filters.join(', ')}` : ''}`,
  );
  process.exit(1);
}
// test/support/fixed-seed.ts fixes fast-check's seed in every test process (Node passes --import on).
const preload = ['--import', 'tsx', '--import', './test/support/fixed-seed.ts'];
const result = spawnSync(process.execPath, [...preload, '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
