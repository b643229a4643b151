/**
 * IP addresses as the model sees them. Inside a namespace every address is interned by that
 * namespace's AddrTable, so sockets compare addresses by reference and index them by `key` and
 * `id`. The table belongs to the namespace (no module-level state: a long-running process that
 * makes and drops namespaces keeps nothing). `parseAddr` alone returns a fresh, uninterned value
 * (id 0), for callers outside the model that only read an address.
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
  /** The address whose text is `key` (the IPv4 form of a v4-mapped address; else itself). */
  readonly canon: Addr;
  /** The IPv6 view: the v4-mapped form of an IPv4 address; else itself. */
  readonly asV6: Addr;
  /** A small number unique to this address in its namespace's table (a cheap map key); 0 outside one. */
  readonly id: number;
}

/** An Addr under construction: its links and id are set once, right after parsing. */
type Building = { -readonly [K in keyof Addr]: Addr[K] };

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

/** Parses one address into a new object, not yet linked to its twin (canon, asV6) nor numbered. */
function fresh(input: string): Building | null {
  let addr: Building | null = null;
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
        asV6: undefined as unknown as Addr,
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
        asV6: undefined as unknown as Addr,
        id: 0,
      };
    }
  }
  return addr;
}

/**
 * Links an address to its twin (an IPv4 address and its v4-mapped form are made together, so
 * `unmap` and `mapToV6` are field reads) and numbers both. Returns the twin made, if any.
 */
function link(a: Building, number: () => number): Building | null {
  a.id = number();
  if (a.family === 6 && !a.mapped) {
    a.canon = a;
    a.asV6 = a;
    return null;
  }
  const twin = fresh(a.mapped ? v4Text(a.v4) : `::ffff:${a.text}`) as Building;
  twin.id = number();
  const [v4, v6] = a.mapped ? [twin, a] : [a, twin];
  v4.canon = v4;
  v4.asV6 = v6;
  v6.canon = v4;
  v6.asV6 = v6;
  return twin;
}

/** Parses an IPv4 or IPv6 address (no brackets, no port): a fresh value (id 0), or null. */
export function parseAddr(input: string): Addr | null {
  const a = fresh(input);
  if (a) link(a, () => 0);
  return a;
}

/**
 * The addresses the model names itself, shared by every namespace's table (immutable; ids 1-6
 * are theirs in every table). The IPv4 ones come with their v4-mapped twins.
 */
function constant(text: string, firstId: number): Addr {
  const a = fresh(text) as Building;
  let id = firstId;
  link(a, () => id++);
  return a;
}
export const ANY4 = constant('0.0.0.0', 1); // and ::ffff:0.0.0.0, 2
export const ANY6 = constant('::', 3);
export const LOOP4 = constant('127.0.0.1', 4); // and ::ffff:127.0.0.1, 5
export const LOOP6 = constant('::1', 6);
const CONSTANTS: readonly Addr[] = [ANY4, ANY4.asV6, ANY6, LOOP4, LOOP4.asV6, LOOP6];

/**
 * One namespace's addresses, interned: the same text always gives the same object, so sockets
 * compare addresses by reference. Lives and dies with its namespace.
 */
export class AddrTable {
  private readonly byText = new Map<string, Addr>();
  private nextId = CONSTANTS.length + 1;

  constructor() {
    for (const c of CONSTANTS) this.byText.set(c.text, c);
  }

  /** Parses and interns an address (any spelling); null when it is not one. */
  parse(input: string): Addr | null {
    const hit = this.byText.get(input);
    if (hit) return hit;
    const a = fresh(input);
    if (!a) return null;
    const known = this.byText.get(a.text);
    if (known) return known;
    // Twins are interned together, so a new address has a new twin.
    const twin = link(a, () => this.nextId++);
    this.byText.set(a.text, a);
    if (twin) this.byText.set(twin.text, twin);
    return a;
  }

  /** A prefix whose address is interned here. */
  parseCidr(input: string): Prefix | null {
    return parseCidr(input, (t) => this.parse(t));
  }
}

/** The IPv4 view of a v4-mapped address (::ffff:a -> a). */
export function unmap(a: Addr): Addr {
  return a.canon;
}

/** The v4-mapped IPv6 form of an IPv4 address (itself for an IPv6 address). */
export function mapToV6(a: Addr): Addr {
  return a.asV6;
}

/** A local prefix (address + length), as `ip addr add` takes it. */
export interface Prefix {
  readonly addr: Addr;
  readonly len: number;
}

export function parseCidr(input: string, parse: (text: string) => Addr | null = parseAddr): Prefix | null {
  const slash = input.indexOf('/');
  const a = parse(slash < 0 ? input : input.slice(0, slash));
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

/** The network address of a prefix (host bits cleared); not interned (compare by text). */
export function networkOf(p: Prefix): Addr {
  const bytes = p.addr.bytes.slice(-(p.addr.family === 4 ? 4 : 16));
  let bits = p.len;
  const out = bytes.map((b) => {
    const keep = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    bits -= 8;
    return b & keep;
  });
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push((((out[i] ?? 0) << 8) | (out[i + 1] ?? 0)).toString(16));
  const net = parseAddr(p.addr.family === 4 ? out.join('.') : words.join(':'));
  // Cleared bits of a parsed address always form an address again.
  if (!net) throw new Error(`bug: no network address for ${p.addr.text}/${p.len}`);
  return net;
}
