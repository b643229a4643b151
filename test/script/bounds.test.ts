/**
 * Issue 15: numbers are bounded where they are parsed (a script never fails mid-run, or echoes a
 * wrong value, because of a number it could have refused), and control characters never reach
 * the terminal through an error message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScript } from '../../src/script/index.js';
import { MAX_ROUNDS, MAX_SLEEP_MS } from '../../src/script/statement.js';
import { parseErrors, parseOk } from './helpers.js';

describe('numbers bounded where parsed', () => {
  it('sleep: at most 600 s (the kernel backend limit), at the number', () => {
    assert.deepEqual(parseErrors('sleep 99999999999999s\n'), [
      't.pst:1:7: sleep is out of range: at most 600s (600000ms), the longest the kernel backend sleeps',
    ]);
    assert.equal(parseErrors('sleep 601s\n').length, 1);
    assert.equal(parseErrors('sleep 600001ms\n').length, 1);
    assert.equal(parseErrors('sleep 600.001s\n').length, 1);
    const ok = parseOk('sleep 600s\nsleep 600000ms\n').steps;
    assert.deepEqual(
      ok.map((s) => (s.kind === 'call' && s.call.op === 'sleep' ? s.call.ms : -1)),
      [MAX_SLEEP_MS, MAX_SLEEP_MS],
    );
  });

  it('repeat: at most 1,000,000 rounds; a number of 400 digits is cut in the message', () => {
    assert.deepEqual(parseErrors('repeat 1000001 {\n  s = socket(tcp4)\n}\n'), [
      `t.pst:1:8: round count 1000001 is out of range 0..${MAX_ROUNDS}`,
    ]);
    const [long] = parseErrors(`repeat ${'9'.repeat(400)} {\n  s = socket(tcp4)\n}\n`);
    assert.match(long ?? '', /round count 9{20}\.\.\. \(400 digits\) is out of range/);
  });

  it('listen backlog and socket option values: at most INT_MAX; ports at most 65535', () => {
    assert.match(
      parseErrors('l = socket(tcp4)\nlisten(l, 2147483648)\n')[0] ?? '',
      /^t\.pst:2:11: backlog 2147483648 is out of range/,
    );
    assert.match(
      parseErrors('l = socket(tcp4)\nsetsockopt(l, SO_REUSEADDR, 2147483648)\n')[0] ?? '',
      /^t\.pst:2:29: option value 2147483648 is out of range/,
    );
    assert.match(
      parseErrors('l = socket(tcp4)\nbind(l, 127.0.0.1:65536)\n')[0] ?? '',
      /port 65536 is out of range 0\.\.65535/,
    );
    assert.equal(parseOk('l = socket(tcp4)\nlisten(l, 2147483647)\n').steps.length, 2);
    // An option value past a C int fills a wider buffer: only with an explicit optlen.
    assert.match(
      parseErrors('l = socket(tcp4)\nsetsockopt(l, SO_REUSEADDR, 4294967297)\n')[0] ?? '',
      /^t\.pst:2:29: option value 4294967297 is out of range 0\.\.2147483647 \(a wider value needs 'optlen N'\)/,
    );
    assert.equal(
      parseOk('l = socket(tcp4)\nsetsockopt(l, SO_REUSEADDR, 4294967297, optlen 8)\n').steps.length,
      2,
    );
    assert.match(
      parseErrors('l = socket(tcp4)\nsetsockopt(l, SO_REUSEADDR, 9007199254740993, optlen 8)\n')[0] ?? '',
      /^t\.pst:2:29: option value 9007199254740993 is out of range 0\.\.9007199254740991/,
    );
  });
});

describe('control characters', () => {
  it('a line with an ESC sequence is refused at its column; the message shows it escaped', () => {
    const r = parseScript(
      's = socket(tcp4)\n# \u001b]0;title\u0007\nbind(s, 127.0.0.1:\u001b[2J0)\n',
      'e.pst',
    );
    assert.ok(!r.ok);
    const text = r.errors.map((e) => e.format()).join('\n');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for them
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f]/, 'no raw control character');
    assert.deepEqual(
      r.errors.map((e) => [e.line, e.col]),
      [
        [2, 3],
        [3, 19],
      ],
    );
    // The caret sits under the escape in the echoed line.
    const lines = (r.errors[1]?.format() ?? '').split('\n');
    assert.equal(lines[1], '  bind(s, 127.0.0.1:\\x1b[2J0)');
    assert.equal(lines[2]?.indexOf('^'), lines[1]?.indexOf('\\x1b'));
  });

  it('bidirectional overrides are refused too (a line that reads differently than it parses)', () => {
    assert.match(parseErrors('s = socket(tcp4) # \u202e\n')[0] ?? '', /control character \\u202e/);
  });
});
