/**
 * The fixed vocabulary of the language: sysctls, socket kinds, options, errno names, keywords.
 * Exported so the model, the kernel backend and the CLI can share one list.
 */
import { SYSCTL_NAMES } from '../model/index.js';

/**
 * Every sysctl a script may write, by its full dotted name (spec section 2): the model's, plus
 * udp_child_hash_entries (R8), which only the kernel acts on.
 */
export const SCRIPT_SYSCTLS = [...SYSCTL_NAMES, 'net.ipv4.udp_child_hash_entries'] as const;
export type ScriptSysctl = (typeof SCRIPT_SYSCTLS)[number];

/** Socket kinds, options and errno names are the call vocabulary's (src/calls/). */
export { ERRNO_NAMES, FLAG_OPTIONS, PAIR_OPTIONS, SOCKET_KINDS, SOCKET_OPTIONS } from '../calls/index.js';

/** Call operations written `op(args)`. */
export const CALL_OPS = [
  'setsockopt',
  'getsockopt',
  'bind',
  'listen',
  'connect',
  'close',
  'getsockname',
  'sendto',
  'disconnect',
  'deliver',
] as const;
/** The protocols `deliver(PROTO, FROM -> TO)` sends. */
export const DELIVER_PROTOS = ['tcp', 'udp'] as const;
/** Statement keywords. */
export const STATEMENT_KEYWORDS = ['sysctl', 'addr', 'route', 'uid', 'sleep', 'repeat'] as const;
/** Words that cannot name a socket. */
export const RESERVED_WORDS: readonly string[] = [
  ...STATEMENT_KEYWORDS,
  ...CALL_OPS,
  'socket',
  'accept',
  'expect',
  'then',
  'rst',
];

/** The listen() backlog used when a script writes `listen(s)`. */
export const DEFAULT_BACKLOG = 128;

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The closest known word, if close enough to be a plausible typo, or one that ends with the
 * given text (so `ip_local_port_range` suggests `net.ipv4.ip_local_port_range`).
 */
export function suggest(word: string, known: readonly string[]): string | null {
  const w = word.toLowerCase();
  const suffix = known.find((k) => k.toLowerCase().endsWith(`.${w}`) || k.toLowerCase() === w);
  if (suffix !== undefined) return suffix;
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const k of known) {
    const d = distance(w, k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}
