/**
 * IP addresses as the model sees them. Parsed once and interned, so sockets compare addresses by
 * reference and index them by `key`.
 *
 * `key` is the identity used for port sub-buckets and 4-tuples: an IPv4 address and its
 * v4-mapped IPv6 form (::ffff:a.b.c.d) share one key, because the kernel files them together
 * (spec D3). The wildcard is a flag of its own, never a magic string compared by hand.
 */

export interface Addr {
  readonly family: 4 | 6;
  /** Canonical text: dotted quad, or RFC 5952 lower-case compressed IPv6. */
  readonly text: string;
  /** Sub-bucket / 4-tuple identity: the IPv4 text for IPv4 and v4-mapped addresses. */
  readonly key: string;
  /** The IPv4 address as u32 for IPv4 and v4-mapped IPv6 addresses, else -1. */
  readonly v4: number;
  /** ::ffff:a.b.c.d */
  readonly mapped: boolean;
  /** 0.0.0.0 or :: (not ::ffff:0.0.0.0, which is "mapped any"; spec D5 kind()). */
  readonly wildcard: boolean;
  /** 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104 (spec R62 isLoopback). */
  readonly loopback: boolean;
  /** IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
  readonly multicast: boolean;
  /** IPv6 fe80::/10. */
  readonly linkLocal: boolean;
  /** 16 bytes for IPv6 (v4-mapped included), 4 for IPv4. */
  readonly bytes: readonly number[];
  /** The interned address whose text is `key` (the IPv4 form of a v4-mapped address; else itself). */
  readonly canon: Addr;
  /** A small number unique to this interned address (a cheap map key). */
  readonly id: number;
}

let nextId = 1;

const interned = new Map<string, Addr>();

export function v4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function parseV4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

function parseV6(text: string): number[] | null {
  let s = text;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [(v4 >>> 16) & 0xffff, v4 & 0xffff];
    s = `${s.slice(0, lastColon + 1)}x`; // placeholder group, removed below
    s = s.endsWith('::x') ? s.slice(0, -1) : s.slice(0, -2);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  if (head === null) return null;
  let words: number[];
  if (halves.length === 2) {
    const back = groups(halves[1] ?? '');
    if (back === null) return null;
    const fill = 8 - head.length - back.length - tail.length;
    if (fill < 1) return null;
    words = [...head, ...new Array<number>(fill).fill(0), ...back, ...tail];
  } else {
    words = [...head, ...tail];
  }
  if (words.length !== 8) return null;
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >>> 8, w & 255);
  return bytes;
}

/** RFC 5952 text: lower case, longest run (>= 2) of zero groups compressed, mapped as dotted. */
function v6Text(bytes: readonly number[], mapped: boolean): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (mapped) return `::ffff:${v4Text(((words[6] ?? 0) << 16) | (words[7] ?? 0))}`;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parses an IPv4 or IPv6 address (no brackets, no port). Returns null when it is not one. */
export function parseAddr(input: string): Addr | null {
  const hit = interned.get(input);
  if (hit) return hit;
  let addr: Addr | null = null;
  if (input.includes(':')) {
    const bytes = parseV6(input);
    if (bytes) {
      const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255;
      const v4 = mapped
        ? (((bytes[12] ?? 0) << 24) |
            ((bytes[13] ?? 0) << 16) |
            ((bytes[14] ?? 0) << 8) |
            (bytes[15] ?? 0)) >>>
          0
        : -1;
      const zero = bytes.every((b) => b === 0);
      const text = v6Text(bytes, mapped);
      addr = {
        family: 6,
        text,
        key: mapped ? v4Text(v4) : text,
        v4,
        mapped,
        wildcard: zero,
        loopback: mapped ? v4 >>> 24 === 127 : bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1,
        multicast: bytes[0] === 0xff,
        linkLocal: bytes[0] === 0xfe && ((bytes[1] ?? 0) & 0xc0) === 0x80,
        bytes,
        canon: undefined as unknown as Addr,
        id: 0,
      };
    }
  } else {
    const v4 = parseV4(input);
    if (v4 !== null) {
      const text = v4Text(v4);
      addr = {
        family: 4,
        text,
        key: text,
        v4,
        mapped: false,
        wildcard: v4 === 0,
        loopback: v4 >>> 24 === 127,
        multicast: v4 >>> 28 === 14,
        linkLocal: false,
        bytes: [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255],
        canon: undefined as unknown as Addr,
        id: 0,
      };
    }
  }
  if (addr) {
    // Intern by canonical text too, so every spelling maps to the same object.
    const canonical = interned.get(addr.text) ?? addr;
    if (canonical === addr) {
      const w = addr as { canon: Addr; id: number };
      w.id = nextId++;
      w.canon = addr.mapped ? mustAddr(v4Text(addr.v4)) : addr;
    }
    interned.set(addr.text, canonical);
    interned.set(input, canonical);
    return canonical;
  }
  return null;
}

export function mustAddr(input: string): Addr {
  const a = parseAddr(input);
  if (!a) throw new Error(`not an IP address: ${input}`);
  return a;
}

export const ANY4 = mustAddr('0.0.0.0');
export const ANY6 = mustAddr('::');
export const LOOP4 = mustAddr('127.0.0.1');
export const LOOP6 = mustAddr('::1');

/** The IPv4 view of a v4-mapped address (::ffff:a -> a). */
export function unmap(a: Addr): Addr {
  return a.canon;
}

/** The v4-mapped IPv6 form of an IPv4 address. */
export function mapToV6(a: Addr): Addr {
  return a.family === 4 ? mustAddr(`::ffff:${a.text}`) : a;
}

/** A local prefix (address + length), as `ip addr add` takes it. */
export interface Prefix {
  readonly addr: Addr;
  readonly len: number;
}

export function parseCidr(input: string): Prefix | null {
  const slash = input.indexOf('/');
  const a = parseAddr(slash < 0 ? input : input.slice(0, slash));
  if (!a || a.mapped || a.wildcard || a.multicast) return null;
  const max = a.family === 4 ? 32 : 128;
  const lenText = slash < 0 ? String(max) : input.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > max) return null;
  return { addr: a, len };
}

/** Whether `a` lies inside `p` (same family; v4-mapped addresses match IPv4 prefixes). */
export function inPrefix(a: Addr, p: Prefix): boolean {
  const x =
    p.addr.family === 4 ? (a.family === 4 || a.mapped ? a.bytes.slice(-4) : null) : a.mapped ? null : a.bytes;
  if (!x || (a.family === 6 && p.addr.family === 4 && !a.mapped)) return false;
  let bits = p.len;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((x[i] ?? 0) & mask) !== ((p.addr.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The network address of a prefix (host bits cleared), interned. */
export function networkOf(p: Prefix): Addr {
  const bytes = p.addr.bytes.slice(-(p.addr.family === 4 ? 4 : 16));
  let bits = p.len;
  const out = bytes.map((b) => {
    const keep = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    bits -= 8;
    return b & keep;
  });
  if (p.addr.family === 4) return mustAddr(out.join('.'));
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push((((out[i] ?? 0) << 8) | (out[i + 1] ?? 0)).toString(16));
  return mustAddr(words.join(':'));
}
