/** Shared helpers for the script tests: parse-or-fail, error lists, position stripping. */
import assert from 'node:assert/strict';
import type { Script } from '../../src/script/index.js';
import { formatErrors, parseScript } from '../../src/script/index.js';

export function parseOk(text: string, file = 't.pst'): Script {
  const r = parseScript(text, file);
  if (!r.ok) assert.fail(`expected a clean parse, got:\n${formatErrors(r.errors)}`);
  return r.script;
}

/** Every error as `file:line:col: message`. */
export function parseErrors(text: string, file = 't.pst'): string[] {
  const r = parseScript(text, file);
  if (r.ok) assert.fail('expected parse errors, got a clean parse');
  return r.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`);
}

/** The script without positions (pos, endPos), for "equal modulo positions". */
export function stripPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripPositions);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k !== 'pos' && k !== 'endPos') out[k] = stripPositions(v);
    }
    return out;
  }
  return value;
}
