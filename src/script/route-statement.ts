/**
 * `route local CIDR [src ADDR]`: a local route (`ip route add local CIDR dev lo [src ADDR]`,
 * issue 10). CIDR must be a network address (host bits zero) of a unicast prefix; ADDR one
 * unicast address of the same family. Whether ADDR is an address of the namespace depends on
 * what the script added before, so that is the backends' answer (-1 EINVAL), not the parser's.
 */

import type { Call } from '../calls/index.js';
import { networkOf, parseAddr, parseCidr } from '../model/index.js';
import { canonicalAddr } from './addr.js';
import type { Cursor } from './cursor.js';

export function parseRoute(c: Cursor): Call {
  c.skipWs();
  const kcol = c.col;
  const kind = c.word();
  if (kind !== 'local')
    c.fail(
      `expected 'local' after route (only local routes are modelled: route local 198.51.100.0/24), ${kind === '' ? c.found() : `found '${kind}'`}`,
      kcol,
    );
  c.skipWs();
  const at = c.col;
  const raw = c.take(/[0-9A-Za-z.:/]/);
  if (raw === '') c.fail(`expected a prefix like 198.51.100.0/24 or 2001:db8::/64, ${c.found()}`);
  const p = raw.includes('/') ? parseCidr(raw) : null;
  if (!p)
    c.fail(`malformed prefix '${raw}': expected a network address with a length, like 198.51.100.0/24`, at);
  if (p.addr.loopback || (p.addr.family === 4 && p.addr.v4 >>> 24 === 127))
    c.fail(`a local route inside the loopback addresses (${raw}) is not modelled`, at);
  const net = networkOf(p);
  if (net.text !== p.addr.text)
    c.fail(`${raw} has host bits set: the prefix starts at ${net.text}/${p.len}`, at);
  const cidr = `${p.addr.text}/${p.len}`;
  c.skipWs();
  if (c.atEnd() || c.startsWith('=') || c.startsWith('#')) return { op: 'route', cidr };
  const wcol = c.col;
  const w = c.word();
  if (w !== 'src')
    c.fail(
      `expected 'src ADDRESS', '=' or the end of the line after the prefix, ${w === '' ? c.found() : `found '${w}'`}`,
      wcol,
    );
  c.skipWs();
  const scol = c.col;
  const rawSrc = c.take(/[0-9A-Za-z.:]/);
  const src = rawSrc === '' ? null : canonicalAddr(rawSrc);
  if (src === null) c.fail(`expected a source address after src, like 127.0.0.1 or ::1, ${c.found()}`, scol);
  const a = parseAddr(src);
  if (!a || a.family !== p.addr.family || a.wildcard || a.multicast)
    c.fail(
      `the source ${src} must be one unicast ${p.addr.family === 4 ? 'IPv4' : 'IPv6 (not v4-mapped)'} address, like the prefix`,
      scol,
    );
  if (a.mapped) c.fail(`the source of an IPv6 route cannot be v4-mapped (${src})`, scol);
  return { op: 'route', cidr, src };
}
