/**
 * Address text for scripts: validation and one canonical spelling (dotted quad; RFC 5952 IPv6,
 * lower case, longest zero run compressed, v4-mapped written ::ffff:a.b.c.d), so that
 * `[0:0::1]` and `[::1]` are the same address in the AST and in expectation checks.
 */

/** The canonical dotted quad, or null when `text` is not an IPv4 address. */
export function canonicalV4(text: string): string | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out.join('.');
}

/** Eight 16-bit groups, or null. Accepts `::` compression and a trailing dotted quad. */
function groupsV6(text: string): number[] | null {
  if (text === '' || /[^0-9a-fA-F:.]/.test(text)) return null;
  let head = text;
  const tail: number[] = [];
  const lastColon = head.lastIndexOf(':');
  if (lastColon < 0) return null;
  const last = head.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = canonicalV4(last);
    if (v4 === null) return null;
    const b = v4.split('.').map(Number);
    tail.push(((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0));
    head = head.slice(0, lastColon + 1);
    // "::ffff:" keeps its trailing colon only as part of "::"; a lone trailing ':' is dropped.
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const left = parse(halves[0] ?? '');
  const right = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (left === null || right === null) return null;
  const given = left.length + right.length + tail.length;
  if (halves.length === 2) {
    if (given > 7) return null;
    return [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tail];
  }
  return given === 8 ? [...left, ...tail] : null;
}

/** The RFC 5952 spelling of an IPv6 address (no brackets), or null. */
export function canonicalV6(text: string): string | null {
  const g = groupsV6(text);
  if (g === null) return null;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const a = g[6] ?? 0;
    const b = g[7] ?? 0;
    return `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  // Longest run of at least two zero groups; the first one wins a tie.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/** Canonical text of an IPv4 or IPv6 address (IPv6 without brackets), or null. */
export function canonicalAddr(text: string): string | null {
  return text.includes(':') ? canonicalV6(text) : canonicalV4(text);
}

/** `10.0.0.1/24` or `fd00::1/64`, canonicalised; null when malformed or the prefix is too long. */
export function canonicalCidr(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addr = canonicalAddr(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (addr === null || !/^\d{1,3}$/.test(bits)) return null;
  const max = addr.includes(':') ? 128 : 32;
  const n = Number(bits);
  return n <= max ? `${addr}/${n}` : null;
}

/** How an address is written inside an endpoint: IPv6 in brackets. */
export function endpointText(addr: string, port: string | number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
