/**
 * The package a user installs: `npm pack`, `npm install --omit=dev` of the tarball into an empty
 * folder, then every command and the library from there. Packs from a copy of the repository
 * (its prepack build writes the copy's dist/, never the dist/ that test/cli uses in parallel).
 * The installed folder has production dependencies only: a static import of a devDependency
 * (fast-check) anywhere an ordinary command loads it fails here.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const fixture = join(root, 'test', 'fixtures', 'proc', 'captured');
/** What `npm pack` reads: the package's files plus what its prepack build needs. */
const SOURCES = [
  'package.json',
  'README.md',
  'LICENSE',
  'tsconfig.base.json',
  'tsconfig.build.json',
  'src',
  'native',
  'examples',
  'docs',
  'scripts',
];

let tmp = '';
let app = '';
let pkgDir = '';
let tarEntries: string[] = [];

function sh(cmd: string, args: readonly string[], cwd: string, timeout = 90_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The installed bin, as `npx portspace` runs it (the npm bin link). */
function portspace(...args: string[]): SpawnSyncReturns<string> {
  return sh(join(app, 'node_modules', '.bin', 'portspace'), args, app);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('the packed tarball installed into an empty folder (production dependencies only)', () => {
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'portspace-pack-'));
    const copy = join(tmp, 'repo');
    for (const s of SOURCES) cpSync(join(root, s), join(copy, s), { recursive: true });
    // The build's tsc comes from the repository's devDependencies.
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const packs = join(tmp, 'packs');
    mkdirSync(packs);
    must(sh('npm', ['pack', '--pack-destination', packs, '--no-fund', '--no-audit'], copy), 'npm pack');
    const [tgz] = readdirSync(packs).filter((n) => n.endsWith('.tgz'));
    assert.ok(tgz, `npm pack wrote no .tgz into ${packs}`);
    tarEntries = must(sh('tar', ['tzf', join(packs, tgz)], tmp), 'tar tzf')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(/^package\//, ''));
    app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    must(
      sh(
        'npm',
        ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock', join(packs, tgz)],
        app,
      ),
      'npm install',
    );
    pkgDir = join(app, 'node_modules', 'portspace');
  });
  after(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  test('the tarball holds LICENSE, README, docs, examples and the helper source, and no helper binary', () => {
    for (const f of [
      'LICENSE',
      'README.md',
      'package.json',
      'docs/script-language.md',
      'docs/examples/r11-two-port-range.pst',
      'examples/article/a01-default-range.pst',
      'native/portspace-helper.c',
      'native/build.sh',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
    ])
      assert.ok(tarEntries.includes(f), `${f} is missing from the tarball`);
    const native = tarEntries.filter((f) => f.startsWith('native/'));
    assert.deepEqual(native.sort(), [
      'native/build.sh',
      'native/noport/binding.gyp',
      'native/noport/noport.c',
      'native/portspace-helper.c',
    ]);
    assert.deepEqual(
      tarEntries.filter(
        (f) =>
          !/^(dist|docs|examples|native)\/|^(LICENSE|README\.md|package\.json|scripts\/build-noport\.mjs)$/.test(
            f,
          ),
      ),
      [],
      'files outside dist/, docs/, examples/, native/ (and the install script)',
    );
    assert.match(readFileSync(join(pkgDir, 'LICENSE'), 'utf8'), /^MIT License/);
  });

  test('no production dependency is missing, and no development one was installed', () => {
    const installed = readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'));
    // portspace and the connector's dependencies (undici, prom-client and what they need).
    for (const dep of ['portspace', 'undici', 'prom-client']) assert.ok(installed.includes(dep), dep);
    for (const dev of ['fast-check', 'typescript', 'tsx', '@biomejs', 'playwright-core'])
      assert.equal(existsSync(join(app, 'node_modules', dev)), false, dev);
  });

  test('every source map resolves (or there is none)', () => {
    for (const f of files(join(pkgDir, 'dist')).filter((p) => p.endsWith('.js'))) {
      const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(f, 'utf8'));
      if (m?.[1] === undefined) continue;
      const map = join(dirname(f), m[1]);
      assert.ok(existsSync(map), `${relative(pkgDir, f)} points at a missing ${m[1]}`);
      const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
      for (const s of sources)
        assert.ok(existsSync(join(dirname(map), s)), `${relative(pkgDir, map)} names a missing ${s}`);
    }
  });

  test('portspace --help and --version', () => {
    assert.match(must(portspace('--help'), '--help'), /^usage: portspace <command>/);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(must(portspace('--version'), '--version').trim(), pkg.version);
  });

  test('every docs/ or examples/ path that a --help names is in the installed package', () => {
    const help = must(portspace('--help'), '--help');
    const commands = [...help.matchAll(/^ {2}(\w+) {2,}/gm)]
      .map((m) => m[1] ?? '')
      .filter((c) => c !== 'help');
    assert.ok(commands.includes('tour') && commands.includes('doctor'), help);
    const named = new Set<string>();
    for (const c of commands) {
      const text = must(portspace(c, '--help'), `${c} --help`);
      for (const m of text.matchAll(/(?:^|[\s(])((?:docs|examples|native)\/[\w./-]*)/g))
        named.add(m[1] ?? '');
    }
    assert.ok(named.size >= 3, `expected the help texts to name examples, got ${[...named]}`);
    for (const p of named) assert.ok(existsSync(join(pkgDir, p)), `--help names ${p}, not in the package`);
  });

  test('portspace tour --no-kernel', () => {
    const out = must(portspace('tour', '--no-kernel'), 'tour --no-kernel');
    assert.match(out, /the model does what all \d+ claims' scripts expect/);
  });

  test('portspace doctor --proc FIXTURE --json', () => {
    const report = JSON.parse(must(portspace('doctor', '--proc', fixture, '--json'), 'doctor')) as {
      destinations: unknown[];
    };
    assert.ok(Array.isArray(report.destinations) && report.destinations.length > 0, JSON.stringify(report));
  });

  test('portspace run and explain on the shipped examples', () => {
    const example = join(pkgDir, 'docs', 'examples', 'r11-two-port-range.pst');
    assert.match(must(portspace('run', example), 'run'), /^PASS: all \d+ expectations held/m);
    assert.match(must(portspace('explain', example), 'explain'), /explained by the model/);
  });

  test('a missing script file: exit 2, and the hint names the installed docs/examples/', () => {
    const r = portspace('run', 'no-such.pst');
    assert.equal(r.status, 2, r.stderr);
    const hint = /; (\S+) has some\)/.exec(r.stderr)?.[1];
    assert.ok(hint !== undefined && existsSync(resolve(app, hint)), `no usable hint in: ${r.stderr}`);
  });

  test('diff --random without fast-check: a clear error (exit 3), no stack trace', () => {
    const r = portspace('diff', '--random', '1', '--json');
    assert.equal(r.status, 3, `${r.stdout}\n${r.stderr}`);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.equal(error.code, 'PORTSPACE_DEPENDENCY_MISSING');
    assert.match(error.message, /npm install fast-check/);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
  });

  test('a plain-JS import of the library and its subpath exports', () => {
    writeFileSync(
      join(app, 'library.mjs'),
      `import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Netns, parseScript, printScript, runScript, ModelBackend, runExact, HEADLINE_PLAN,
  readProcSnapshot, buildReport, explainScript } from 'portspace';
import { Netns as ModelNetns } from 'portspace/model';
import { parseScriptOrThrow } from 'portspace/script';
import { runFast } from 'portspace/planner';

assert.equal(Netns, ModelNetns);
const ns = new Netns();
const a = ns.socket('tcp4');
const b = ns.socket('tcp4');
assert.ok(a.ok && b.ok);
assert.equal(ns.bind(a.sock, '127.0.0.1', 8080).ok, true);
const clash = ns.bind(b.sock, '127.0.0.1', 8080);
assert.equal(clash.ok, false);
assert.equal(clash.errno, 'EADDRINUSE');

const file = 'node_modules/portspace/docs/examples/r11-two-port-range.pst';
const script = parseScriptOrThrow(readFileSync(file, 'utf8'), file);
assert.equal(parseScript(printScript(script), 'again.pst').ok, true);
const report = await runScript(script, new ModelBackend());
assert.equal(report.ok, true);
const explained = await explainScript(script);
assert.ok(explained.steps.some((x) => x.search !== null));

const doctor = buildReport(readProcSnapshot(${JSON.stringify(fixture)}));
assert.ok(doctor.destinations.length > 0);
assert.equal(typeof runExact, 'function');
assert.equal(typeof runFast, 'function');
assert.equal(typeof HEADLINE_PLAN, 'object');
console.log('library ok');
`,
    );
    assert.match(must(sh(process.execPath, ['library.mjs'], app), 'node library.mjs'), /library ok/);
  });

  test("the README's library example runs from the installed package", () => {
    // The first js block after "**The library**": what a user copies first.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const from = readme.indexOf('**The library**');
    const block = /```js\n([\s\S]*?)\n```/.exec(readme.slice(from));
    assert.ok(from >= 0 && block?.[1], 'README.md has the library section and its js block');
    writeFileSync(join(app, 'readme-example.mjs'), block[1]);
    const out = must(sh(process.execPath, ['readme-example.mjs'], app), 'node readme-example.mjs');
    assert.match(out, /ok: true/);
    assert.match(out, /headroom: 1/);
  });

  test('the types resolve through the exports map (tsc, nodenext)', () => {
    writeFileSync(
      join(app, 'types.ts'),
      `import { Netns, type Result } from 'portspace';
import type { SocketKind } from 'portspace/model';
import { parseScript } from 'portspace/script';
import { runExact } from 'portspace/planner';
const kind: SocketKind = 'tcp4';
const ns = new Netns();
const s = ns.socket(kind);
const r: Result<{ port: number }> = s.ok ? ns.bind(s.sock, '127.0.0.1', 0) : s;
export const ok: boolean = r.ok && parseScript('', 'x.pst').ok && typeof runExact === 'function';
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          // Only the user's file is checked; the package's .d.ts files are read as far as it uses them.
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: ['types.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    must(sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app), 'tsc in the installed folder');
  });
});
