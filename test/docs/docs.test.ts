/**
 * Every command and code block in README.md and docs/*.md runs, so the docs cannot drift from
 * the code. The fence convention (README, "Documentation"):
 *  - ```sh: each line (a trailing `\` continues it) is a command run from the repository root
 *    with `portspace` meaning the built CLI; it must exit 0, or N when its comment says `exit N`;
 *  - ```js / ```ts: a library snippet, run as a module inside the repository, where
 *    `import 'portspace'` resolves to the built package through its own exports map;
 *  - ```pst: must parse; ```pst error: must not;
 *  - `no-run` after the language (```sh no-run): shown, not run (needs root, the kernel or
 *    minutes, or is a synopsis with placeholders). Blocks without a language are output.
 * Relative links between the pages must point at files that exist.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseScript } from '../../src/script/index.js';
import { cliPath, ensureBuilt, root } from '../cli/cli-helpers.js';

export interface Block {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly flags: readonly string[];
  readonly text: string;
}

/** The fenced blocks of a markdown text. */
export function blocksOf(file: string, markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '');
    assert.ok(i < lines.length, `${file}:${start + 1}: a code block that never closes`);
    const flags = (open[2] ?? '').split(/\s+/).filter((f) => f !== '');
    out.push({ file, line: start + 1, lang: open[1] ?? '', flags, text: body.join('\n') });
  }
  return out;
}

export interface ShellCommand {
  readonly line: number;
  readonly command: string;
  readonly exit: number;
}

/** The commands of a sh block: comments dropped, `\` continuations joined, `# exit N` read. */
export function commandsOf(b: Block): ShellCommand[] {
  const out: ShellCommand[] = [];
  const lines = b.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let text = lines[i] ?? '';
    while (text.endsWith('\\') && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i] ?? ''}`;
    const hash = text.search(/(^|\s)#/);
    const comment = hash < 0 ? '' : text.slice(hash);
    const command = (hash < 0 ? text : text.slice(0, hash)).trim();
    if (command === '') continue;
    const exit = Number(/\bexit (\d+)\b/.exec(comment)?.[1] ?? 0);
    out.push({ line: b.line + 1 + first, command, exit });
  }
  return out;
}

const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((n) => n.endsWith('.md'))
    .map((n) => `docs/${n}`),
];
const blocks = pages.flatMap((p) => blocksOf(p, readFileSync(join(root, p), 'utf8')));
const runnable = (b: Block) => !b.flags.includes('no-run');
const snippetDir = join(root, 'tmp', `docs-snippets-${process.pid}`);

describe('README.md and docs/', () => {
  before(() => {
    ensureBuilt();
    mkdirSync(snippetDir, { recursive: true });
  });
  after(() => rmSync(snippetDir, { recursive: true, force: true }));

  test('the README starts with the quick start', () => {
    const [first] = blocks;
    assert.equal(first?.file, 'README.md');
    assert.match(first?.text ?? '', /^npm ci && npm run tour\b.*\nnpm test\b/);
  });

  test('the fence convention is followed: known languages and flags only', () => {
    for (const b of blocks) {
      assert.ok(
        ['', 'sh', 'js', 'ts', 'pst', 'text'].includes(b.lang),
        `${b.file}:${b.line}: language '${b.lang}'`,
      );
      for (const f of b.flags) assert.ok(['no-run', 'error'].includes(f), `${b.file}:${b.line}: flag '${f}'`);
    }
    assert.ok(blocks.filter(runnable).filter((b) => b.lang === 'sh').length >= 4, 'few runnable sh blocks');
  });

  for (const b of blocks.filter((x) => x.lang === 'sh' && runnable(x))) {
    for (const c of commandsOf(b)) {
      test(`${b.file}:${c.line}: ${c.command} (exit ${c.exit})`, () => {
        const command = c.command.replace(/^portspace\b/, `node ${JSON.stringify(cliPath)}`);
        const r = spawnSync('bash', ['-c', command], {
          cwd: root,
          encoding: 'utf8',
          timeout: 120_000,
          env: { ...process.env, NO_COLOR: '1' },
        });
        assert.equal(r.status, c.exit, `exit ${r.status}, the docs say ${c.exit}:\n${r.stdout}\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, /internal error/);
      });
    }
  }

  for (const b of blocks.filter((x) => (x.lang === 'js' || x.lang === 'ts') && runnable(x))) {
    test(`${b.file}:${b.line}: the ${b.lang} snippet runs against the built package`, () => {
      const file = join(
        snippetDir,
        `${b.file.replace(/\W/g, '-')}-${b.line}.${b.lang === 'ts' ? 'mts' : 'mjs'}`,
      );
      writeFileSync(file, b.text);
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(r.status, 0, `${relative(root, file)} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    });
  }

  test('every pst block parses (and every `pst error` block does not)', () => {
    const pst = blocks.filter((b) => b.lang === 'pst');
    assert.ok(pst.length > 0);
    for (const b of pst) {
      const r = parseScript(b.text, `${b.file}:${b.line}`);
      if (b.flags.includes('error'))
        assert.equal(r.ok, false, `${b.file}:${b.line} parses but is marked error`);
      else assert.ok(r.ok, `${b.file}:${b.line}: ${r.ok ? '' : r.errors.map((e) => e.format()).join('\n')}`);
    }
  });

  test('relative links point at files that exist', () => {
    for (const p of pages) {
      const text = readFileSync(join(root, p), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z]+:/.test(target)) continue;
        assert.ok(
          existsSync(join(root, dirname(p), target)),
          `${p}: link to ${target}, which does not exist`,
        );
      }
    }
  });

  test('the checker itself: exits, continuations and flags are read as documented', () => {
    const [b] = blocksOf(
      'x.md',
      '```sh no-run\nportspace a \\\n  --b   # exit 2\n# only a comment\nc\n```\n',
    );
    assert.ok(b !== undefined);
    assert.deepEqual(b.flags, ['no-run']);
    assert.deepEqual(commandsOf(b), [
      { line: 2, command: 'portspace a    --b', exit: 2 },
      { line: 5, command: 'c', exit: 0 },
    ]);
  });
});
