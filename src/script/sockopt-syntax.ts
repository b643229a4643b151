/**
 * The socket-option syntax added for issue 10: `getsockopt(S, OPTION) = VALUE` and the explicit
 * buffer size of `setsockopt(S, OPTION, VALUE, optlen N)`. Values are written as setsockopt takes
 * them: one integer, or `LOW HIGH` for IP_LOCAL_PORT_RANGE.
 */

import type { GetSockOptName, SockOptName, SockOptValue } from '../calls/index.js';
import { MAX_OPTLEN, READABLE_OPTIONS } from '../model/index.js';
import type { Expect } from './ast.js';
import type { Cursor } from './cursor.js';
import { MAX_PORT, parseErrno } from './expect-parse.js';
import { suggest } from './vocab.js';

/** Options getsockopt reads: every option but SO_LINGER (the model keeps only "linger 0 or not"). */
export { MAX_OPTLEN };
export const GET_OPTIONS: readonly GetSockOptName[] = READABLE_OPTIONS;

/** `OPTION` of getsockopt(S, OPTION), after the comma. */
export function parseGetOption(c: Cursor): GetSockOptName {
  c.skipWs();
  const col = c.col;
  const opt = c.word();
  if (opt === '') c.fail(`expected a socket option name like SO_REUSEADDR, ${c.found()}`);
  if (opt === 'SO_LINGER')
    c.fail('getsockopt(SO_LINGER) is not modelled (the model keeps only linger 0 or not)', col);
  if (!(GET_OPTIONS as readonly string[]).includes(opt)) {
    const hint = suggest(opt, GET_OPTIONS);
    c.fail(
      `unknown socket option ${opt}${hint ? ` (did you mean ${hint}?)` : ''} (getsockopt knows: ${GET_OPTIONS.join(', ')})`,
      col,
    );
  }
  return opt as GetSockOptName;
}

/** The optional `, optlen N` after a setsockopt value; null when absent. */
export function parseOptlen(c: Cursor, opt: SockOptName): number | null {
  if (!c.eat(',')) return null;
  c.skipWs();
  const col = c.col;
  const w = c.word();
  if (w !== 'optlen') c.fail(`expected 'optlen N' (the option buffer's size in bytes), found '${w}'`, col);
  if (opt === 'SO_LINGER') c.fail('SO_LINGER with an explicit optlen is not modelled', col);
  return c.int(`a buffer size 0..${MAX_OPTLEN} after optlen`, MAX_OPTLEN, 'optlen');
}

/** What follows `=` after getsockopt: `-1 ERRNO`, `N`, or `LOW HIGH` (IP_LOCAL_PORT_RANGE). */
export function parseOptvalExpect(c: Cursor, opt: GetSockOptName): Expect {
  c.skipWs();
  if (c.eat('-1')) return { kind: 'errno', errno: parseErrno(c, "after '-1'") };
  if (opt !== 'IP_LOCAL_PORT_RANGE')
    return { kind: 'optval', value: c.int('the option value (0 or 1)', 1, 'value') };
  const lo = c.int('the range as LOW HIGH, like 40000 40010 (0 0 = unset)', MAX_PORT, 'port');
  const hi = c.int('the high end of the range after the low end (LOW HIGH)', MAX_PORT, 'port');
  return { kind: 'optval', value: [lo, hi] };
}

/** A value as a script writes it: `1`, `40000 40010`. */
export function printOptval(v: SockOptValue): string {
  return typeof v === 'number' ? `${v}` : `${v[0]} ${v[1]}`;
}

/** Same option value? (IP_LOCAL_PORT_RANGE pairs compare end by end.) */
export function sameOptval(a: SockOptValue | undefined, b: SockOptValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a[0] === b[0] && a[1] === b[1];
}
