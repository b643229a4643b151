/**
 * The printer and the parser are inverses: random ASTs print then parse back equal (positions
 * aside), every script file in the repository round-trips, and the parser never throws.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseScript, printScript } from '../../src/script/index.js';
import { scriptArb } from './arbitrary.js';
import { parseOk, stripPositions } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;

function pstFiles(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(pstFiles(path));
    else if (name.endsWith('.pst')) out.push(path);
  }
  return out;
}

describe('print then parse', () => {
  it('random scripts round-trip', () => {
    fc.assert(
      fc.property(scriptArb, (script) => {
        const text = printScript(script);
        const back = parseScript(text, script.file);
        if (!back.ok) {
          throw new Error(
            `printed script does not parse:\n${text}\n${back.errors.map((e) => e.format()).join('\n')}`,
          );
        }
        assert.deepEqual(stripPositions(back.script), stripPositions(script));
      }),
      { numRuns: 500 },
    );
  });

  it('the generator covers loops, comments and every expectation kind', () => {
    // Guards the property above against a generator that silently stopped producing the hard cases.
    const texts = fc.sample(scriptArb.map(printScript), { numRuns: 300, seed: 42 }).join('\n');
    for (const needle of [
      'repeat ',
      '} expect ',
      ' then E',
      '..',
      '{',
      '[',
      '= -1 E',
      '= 0',
      '  # ',
      '"',
      'rst',
      ', optlen ',
      'getsockopt(',
      'IP_LOCAL_PORT_RANGE) = ',
    ]) {
      assert.ok(texts.includes(needle), `no generated script contains ${JSON.stringify(needle)}`);
    }
  });
});

describe('script files', () => {
  const files = [...pstFiles(join(root, 'test/scripts')), ...pstFiles(join(root, 'docs'))];
  it('there are script files to check', () => {
    assert.ok(files.length > 0);
  });
  for (const file of files) {
    it(`${file.slice(root.length)} parses and round-trips`, () => {
      const s = parseOk(readFileSync(file, 'utf8'), file);
      const printed = printScript(s);
      assert.deepEqual(stripPositions(parseOk(printed, file)), stripPositions(s));
      assert.equal(printScript(parseOk(printed, file)), printed);
    });
  }

  it('every ```pst block in docs/script-language.md parses, except blocks marked "error"', () => {
    const doc = readFileSync(join(root, 'docs/script-language.md'), 'utf8');
    const blocks = [...doc.matchAll(/```pst( error)?\n([\s\S]*?)```/g)];
    assert.ok(blocks.length >= 5, 'the syntax reference should show examples');
    for (const [, error, body] of blocks) {
      const r = parseScript(body ?? '', 'doc.pst');
      assert.equal(r.ok, error === undefined, `doc block:\n${body}`);
    }
  });
});

describe('robustness', () => {
  const soup = fc.constantFrom(
    'c = socket(tcp4)',
    'repeat 3 {',
    '}',
    '} expect 2 then EMFILE',
    'connect(c, 127.0.0.1:5000) = 40000..40001',
    'close(c)',
    '# comment',
    '',
    'sysctl net.ipv4.tcp_tw_reuse = 1',
    'bind(c, [::1',
    '= -1',
  );
  it('never throws, and every error points inside the text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(soup, fc.string({ maxLength: 30 })), { maxLength: 12 }), (lines) => {
        const text = lines.join('\n');
        const r = parseScript(text, 'fuzz.pst');
        if (r.ok) return;
        const all = text.split(/\r?\n/);
        for (const e of r.errors) {
          assert.ok(e.line >= 1 && e.line <= all.length, `line ${e.line}`);
          assert.ok(e.col >= 1 && e.col <= (all[e.line - 1]?.length ?? 0) + 1, `col ${e.col}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
