/**
 * The layers of shared/DESIGN.md as one table, checked over the whole import graph of src/
 * (every import, export-from, dynamic import() and import type, read with the TypeScript parser,
 * so comments and strings never count). Replaces the three purity tests that each walked files
 * their own way (model, planner, procnet).
 *
 * - LAYERS: which folder may import which (a folder may always import itself);
 * - pure folders import no node:* module and no package, and use no clock, timer, process or
 *   Math.random (the model gets randomness and time as parameters);
 * - nothing imports cli/; outside model/ and calls/ only their index.ts is imported;
 * - fuzz/ (test generation, needs fast-check) is never loaded by a static import from outside:
 *   only cli/ loads it, by a dynamic import() in the command that uses it (types are free);
 * - the model keeps no module-level state (no top-level let/var, no module-level Map/Set):
 *   a long-running process must not leak through it.
 * The last test feeds the checker deliberately wrong imports: a checker that cannot fail is no check.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const root = new URL('../..', import.meta.url).pathname;
const src = join(root, 'src');

interface Layer {
  /** Folders (under src/) this one may import. */
  readonly may: readonly string[];
  /** No node:*, no packages, no clock, timers, process or Math.random. */
  readonly pure: boolean;
  /** Packages (not node:*) it may import. */
  readonly packages?: readonly string[];
  /** Files of a pure folder that are its I/O edge (may import node:*). */
  readonly edges?: readonly string[];
}

/** DESIGN.md's table. `index.ts` is the package's public API (src/index.ts). */
export const LAYERS: Readonly<Record<string, Layer>> = {
  calls: { may: [], pure: true },
  model: { may: ['calls'], pure: true },
  script: { may: ['calls', 'model'], pure: true },
  run: { may: ['calls', 'model', 'script'], pure: false },
  fuzz: { may: ['calls', 'model', 'script', 'run'], pure: false, packages: ['fast-check'] },
  explain: { may: ['calls', 'model', 'script', 'run'], pure: true },
  tour: { may: ['calls', 'model', 'script', 'run', 'explain', 'kernel'], pure: false },
  planner: { may: ['calls', 'model'], pure: true },
  procnet: { may: ['calls', 'model'], pure: true, edges: ['procnet/reader.ts'] },
  kernel: { may: ['calls', 'model', 'script', 'run'], pure: false },
  doctor: { may: ['calls', 'model', 'procnet', 'planner'], pure: false },
  // The connector reads the host's /proc (ports others hold) and registers prom-client metrics;
  // undici is the HTTP client it plugs into.
  connector: { may: ['calls', 'model', 'procnet'], pure: false, packages: ['undici', 'prom-client'] },
  // portspace load is the connector's proof: it drives the connector against the kernel's own
  // strategies in a private namespace (a use case over one adapter, not an adapter of its own).
  load: { may: ['calls', 'model', 'procnet', 'connector'], pure: false },
  web: { may: ['calls', 'model', 'script', 'run', 'explain', 'planner', 'procnet', 'doctor'], pure: false },
  cli: {
    may: [
      'calls',
      'model',
      'script',
      'run',
      'fuzz',
      'explain',
      'tour',
      'planner',
      'procnet',
      'kernel',
      'doctor',
      'connector',
      'load',
      'web',
    ],
    pure: false,
  },
  'index.ts': {
    may: [
      'calls',
      'model',
      'script',
      'run',
      'explain',
      'tour',
      'planner',
      'procnet',
      'doctor',
      'connector',
      'web',
    ],
    pure: false,
  },
};

/** Folders whose internals stay inside: others import their index.ts only. */
const PUBLIC_INDEX_ONLY = ['model', 'calls'];
/** Globals a pure module must not touch (time, timers, the process, the global RNG). */
const IMPURE_GLOBALS = new Set([
  'Date',
  'performance',
  'process',
  'require',
  'setTimeout',
  'setInterval',
  'setImmediate',
]);
/** Module-level state the model may keep, with the reason. */
const MODEL_STATE_ALLOWED: Readonly<Record<string, string>> = {
  'model/netns.ts cores':
    "a WeakMap from a Netns to its state, for the model's own tests: an entry dies with its Netns",
};

export interface ImportRef {
  /** The module specifier as written. */
  readonly spec: string;
  /** The resolved file under src/ (relative, e.g. 'model/index.ts'), or null for node:* and packages. */
  readonly target: string | null;
  readonly typeOnly: boolean;
  readonly dynamic: boolean;
  readonly line: number;
}

export interface SourceFacts {
  readonly file: string;
  readonly imports: readonly ImportRef[];
  /** Uses of impure globals and Math.random, as `name (line N)`. */
  readonly impure: readonly string[];
  /** Top-level let/var and module-level Map/Set/WeakMap/WeakSet, by name. */
  readonly moduleState: readonly string[];
}

/** Reads one file's imports and the facts the rules need, from its syntax tree. */
export function factsOf(file: string, text: string): SourceFacts {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: ImportRef[] = [];
  const impure: string[] = [];
  const moduleState: string[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (spec: string, typeOnly: boolean, dynamic: boolean, n: ts.Node) => {
    let target: string | null = null;
    if (spec.startsWith('.')) {
      const abs = resolve(dirname(join(src, file)), spec).replace(/\.js$/, '.ts');
      target = relative(src, abs);
    }
    imports.push({ spec, target, typeOnly, dynamic, line: lineOf(n) });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const allTypes =
        c !== undefined &&
        (c.isTypeOnly ||
          (c.name === undefined &&
            c.namedBindings !== undefined &&
            ts.isNamedImports(c.namedBindings) &&
            c.namedBindings.elements.length > 0 &&
            c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(n.moduleSpecifier.text, allTypes, false, n);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const allTypes =
        n.isTypeOnly ||
        (n.exportClause !== undefined &&
          ts.isNamedExports(n.exportClause) &&
          n.exportClause.elements.length > 0 &&
          n.exportClause.elements.every((e) => e.isTypeOnly));
      add(n.moduleSpecifier.text, allTypes, false, n);
    } else if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      n.arguments[0] &&
      ts.isStringLiteral(n.arguments[0])
    ) {
      add(n.arguments[0].text, false, true, n);
    } else if (
      ts.isImportTypeNode(n) &&
      ts.isLiteralTypeNode(n.argument) &&
      ts.isStringLiteral(n.argument.literal)
    ) {
      add(n.argument.literal.text, true, false, n);
    } else if (ts.isIdentifier(n) && IMPURE_GLOBALS.has(n.text)) {
      // A property name (`x.process`) or a declared name is not the global.
      const p = n.parent;
      const isMember = ts.isPropertyAccessExpression(p) && p.name === n;
      const isDecl =
        (ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)) &&
        p.name === n;
      if (!isMember && !isDecl && !ts.isPropertyAssignment(p)) impure.push(`${n.text} (line ${lineOf(n)})`);
    } else if (
      ts.isPropertyAccessExpression(n) &&
      ts.isIdentifier(n.expression) &&
      n.expression.text === 'Math' &&
      n.name.text === 'random'
    ) {
      impure.push(`Math.random (line ${lineOf(n)})`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    const mutable =
      (st.declarationList.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== ts.NodeFlags.Const;
    for (const d of st.declarationList.declarations) {
      const name = d.name.getText(sf);
      const init = d.initializer;
      const collection =
        init !== undefined &&
        ts.isNewExpression(init) &&
        ts.isIdentifier(init.expression) &&
        /^(Map|Set|WeakMap|WeakSet)$/.test(init.expression.text);
      if (mutable || collection) moduleState.push(name);
    }
  }
  return { file, imports, impure, moduleState };
}

/** The folder (or root file) a src-relative path belongs to. */
function layerOf(file: string): string {
  return file.includes('/') ? (file.split('/')[0] ?? file) : file;
}

/** Every rule broken by the given files, one line each: `file:line: what (rule)`. */
export function violations(all: readonly SourceFacts[]): string[] {
  const out: string[] = [];
  for (const f of all) {
    const from = layerOf(f.file);
    const layer = LAYERS[from];
    if (layer === undefined) {
      out.push(`${f.file}: folder '${from}' is not in the layer table (add it to LAYERS and DESIGN.md)`);
      continue;
    }
    const isEdge = layer.edges?.includes(f.file) ?? false;
    for (const i of f.imports) {
      const at = `src/${f.file}:${i.line}`;
      if (i.target === null) {
        const isNode = i.spec.startsWith('node:');
        if (layer.pure && !isEdge && !i.typeOnly)
          out.push(`${at}: imports '${i.spec}', but ${from}/ is pure (no node:*, no packages)`);
        else if (!isNode && !(layer.packages ?? []).includes(i.spec) && !i.typeOnly)
          out.push(`${at}: imports the package '${i.spec}', which ${from}/ may not use`);
        continue;
      }
      const to = layerOf(i.target);
      if (to === from) {
        if (layer.pure && !isEdge && !i.typeOnly && (layer.edges ?? []).includes(i.target))
          out.push(`${at}: imports src/${i.target}, the I/O edge of ${from}/, from a pure file`);
        continue;
      }
      const target = `src/${i.target}`;
      if (to === 'cli') {
        out.push(`${at}: imports ${target}: nothing imports cli/ (it is the composition root)`);
        continue;
      }
      if (!layer.may.includes(to)) {
        out.push(`${at}: imports ${target}: ${from}/ may import only ${layer.may.join(', ') || 'nothing'}`);
        continue;
      }
      if (PUBLIC_INDEX_ONLY.includes(to) && i.target !== `${to}/index.ts`)
        out.push(`${at}: imports ${target}: outside ${to}/ only ${to}/index.ts may be imported`);
      if (to === 'fuzz' && !i.typeOnly && !(i.dynamic && from === 'cli'))
        out.push(
          `${at}: imports ${target} ${i.dynamic ? 'dynamically' : 'statically'}: fuzz/ is loaded only by cli/, with import() in the command that uses it`,
        );
    }
    if (layer.pure && !isEdge)
      for (const u of f.impure) out.push(`src/${f.file}: uses ${u}, but ${from}/ is pure`);
    if (from === 'model')
      for (const name of f.moduleState)
        if (MODEL_STATE_ALLOWED[`${f.file} ${name}`] === undefined)
          out.push(`src/${f.file}: module-level state '${name}': the model keeps state in a Netns only`);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return n.endsWith('.ts') && !n.endsWith('.d.ts') ? [p] : [];
  });
}

function srcFacts(): SourceFacts[] {
  return sourceFiles(src).map((p) => factsOf(relative(src, p), readFileSync(p, 'utf8')));
}

test('every import in src/ follows the layer table of DESIGN.md', () => {
  const facts = srcFacts();
  assert.ok(facts.length > 100, `only ${facts.length} files found under src/`);
  assert.ok(
    facts.some((f) => f.file === 'model/netns.ts' && f.imports.some((i) => i.target === 'calls/index.ts')),
    'the import reader sees nothing (model/netns.ts imports calls/index.ts)',
  );
  const v = violations(facts);
  assert.deepEqual(v, [], `layer violations:\n${v.join('\n')}`);
});

test('ordinary commands do not load fuzz/: only a dynamic import() in cli/ does', () => {
  const loads = srcFacts().flatMap((f) =>
    f.imports.filter((i) => i.target?.startsWith('fuzz/') && !i.typeOnly && !f.file.startsWith('fuzz/')),
  );
  assert.ok(loads.length > 0, 'diff --random loads fuzz/random-diff.ts somewhere');
  for (const i of loads) assert.equal(i.dynamic, true, `${i.spec} is imported statically`);
});

test('the checker fails on deliberately wrong imports (test the tester)', () => {
  const wrong: [string, string, RegExp][] = [
    ['model/bad.ts', "import { readFileSync } from 'node:fs';", /is pure/],
    ['model/bad.ts', "import { runScript } from '../run/runner.js';", /model\/ may import only calls/],
    ['script/bad.ts', "import type { Backend } from '../run/backend.js';", /script\/ may import only/],
    ['planner/bad.ts', "import { coreOf } from '../model/netns.js';", /only model\/index.ts/],
    ['doctor/bad.ts', "import { EXIT } from '../cli/errors.js';", /nothing imports cli/],
    ['cli/bad.ts', "import { randomDiff } from '../fuzz/random-diff.js';", /fuzz\/ is loaded only by cli/],
    ['run/bad.ts', "const m = await import('../fuzz/random-diff.js');", /run\/ may import only calls/],
    ['kernel/bad.ts', "import fc from 'fast-check';", /package 'fast-check'/],
    ['planner/bad.ts', 'export const t = Date.now();', /uses Date/],
    ['model/bad.ts', 'export const r = () => Math.random();', /Math\.random/],
    ['model/bad.ts', 'const interned = new Map<string, number>();', /module-level state 'interned'/],
    ['model/bad.ts', 'let nextId = 1;', /module-level state 'nextId'/],
    ['newfolder/x.ts', "import { Netns } from '../model/index.js';", /not in the layer table/],
    ['procnet/parse-x.ts', "import { readProcSnapshot } from './reader.js';", /I\/O edge/],
  ];
  for (const [file, text, expected] of wrong) {
    const v = violations([factsOf(file, text)]);
    assert.equal(v.length, 1, `${file}: ${text} gave ${JSON.stringify(v)}`);
    assert.match(v[0] ?? '', expected);
  }
  // ...and leaves right ones alone: a comment or a string naming a forbidden module is not an import.
  const fine = [
    ['model/ok.ts', "// import { x } from '../run/runner.js';\nexport const s = 'node:fs';"],
    ['cli/ok.ts', "import type { RandomDiffSummary } from '../fuzz/random-diff.js';"],
    ['cli/ok.ts', "const m = await import('../fuzz/random-diff.js');"],
    ['procnet/reader.ts', "import { readFileSync } from 'node:fs';"],
    ['planner/ok.ts', "import { Netns } from '../model/index.js';\nconst o = { process: 1 };\no.process;"],
  ];
  for (const [file, text] of fine) assert.deepEqual(violations([factsOf(file ?? '', text ?? '')]), [], text);
});
