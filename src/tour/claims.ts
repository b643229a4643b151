/**
 * The claims of "Bind before connect" (idea.popcount.org, 3 April 2014) as the tour shows them:
 * spec section 11 (A1-A7), the article's three uses of SO_REUSEADDR (R64; R32 with R35; A5) and
 * its tcp_tw_reuse tweak (R62). Each claim names what the article says, the verdict on Linux
 * 6.18 with a one-line why (from the spec's evidence, re-checked by the scripts on every run),
 * and its measurements: scripts under examples/article/ with a summarizer each, or any other
 * Measurement (A6's spread over a real SO_REUSEPORT group).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScriptOrThrow } from '../script/index.js';
import type { Measurement } from './measurement.js';
import { type Summarize, scriptMeasurement } from './script-measurement.js';
import { spreadMeasurement } from './spread-measurement.js';
import { connectPorts, loopEnd, portsWithGaps, result, sysctlResult } from './summaries.js';

export type Verdict = 'holds' | 'partly' | 'outdated' | 'false';

export interface Claim {
  readonly id: string;
  /** A few words: what the claim is about. */
  readonly claim: string;
  /** What the article says (paraphrased, as in spec section 11). */
  readonly article: string;
  readonly verdict: Verdict;
  /** One line: what Linux 6.18 does instead, or why it still holds, with rule numbers. */
  readonly why: string;
  readonly measurements: readonly Measurement[];
}

/** examples/article/ of this package (two levels above src/tour or dist/tour). */
export const ARTICLE_DIR = fileURLToPath(new URL('../../examples/article/', import.meta.url));

interface ScriptSpec {
  readonly file: string;
  /** The full-scale version, run with --full. */
  readonly full?: string;
  readonly summarize: Summarize;
  readonly summarizeFull?: Summarize;
}

interface ClaimSpec extends Omit<Claim, 'measurements'> {
  readonly scripts: readonly ScriptSpec[];
  /** Also measure the SO_REUSEPORT spread (A6): 1,000 flows, 10,000 with --full. */
  readonly spread?: boolean;
}

/** A port means the call succeeded; anything else is the errno. */
const took = (r: string, word = 'bound'): string => (/^\d+$/.test(r) ? `${word} (${r})` : r);

/** ` (ip_autobind_reuse: ENOENT)` when a sysctl write failed, else ''. */
function sysctlNote(t: Parameters<Summarize>[0], name: string, short: string): string {
  const r = sysctlResult(t, name);
  return r === 'ok' || r === '?' ? '' : ` (${short}: ${r})`;
}

const CLAIMS: readonly ClaimSpec[] = [
  {
    id: 'A1',
    claim: 'default port range',
    article: 'The default ephemeral range is 32768-61000.',
    verdict: 'outdated',
    why: "Since 4.2 the default is 32768-60999, an even-sized range for connect()'s even/odd split (R1, R11).",
    scripts: [
      {
        file: 'a01-default-range.pst',
        summarize: (t) =>
          `all but the ends reserved, 3 connects: ${result(t, 'c1', 'connect')}, ${result(t, 'c2', 'connect')}, ${result(t, 'c3', 'connect')}`,
      },
    ],
  },
  {
    id: 'A2',
    claim: 'per-destination reuse',
    article:
      'connect() needs only range-size ports per destination: source ports are reused across destinations.',
    verdict: 'holds',
    why: 'connect() checks the 4-tuple only (R14): every (source, destination, port) triple has the whole range.',
    scripts: [
      {
        file: 'a02-per-destination.pst',
        full: 'full/a02-default-range.pst',
        summarize: (t) => `1,000-port range: ${loopEnd(t, 0)} to :21401; ${loopEnd(t, 1)} to :21402`,
        summarizeFull: (t) => `default range: ${loopEnd(t, 0)} to :21404; then to :21405: ${loopEnd(t, 1)}`,
      },
    ],
  },
  {
    id: 'A3',
    claim: '64k limit per destination',
    article: 'More than ~64k connections to ONE destination need more source IP addresses.',
    verdict: 'holds',
    why: 'The cap is the range size per (source address, destination); another source address adds a full range (R14, R42).',
    scripts: [
      {
        file: 'a03-one-destination-limit.pst',
        full: 'full/a03-64k-one-destination.pst',
        summarize: (t) => `1,000-port range: ${loopEnd(t, 0)} from 10.0.0.1; ${loopEnd(t, 1)} from 10.0.0.3`,
        summarizeFull: (t) =>
          `range 1024-65535: ${loopEnd(t, 0)}; from 10.0.0.3: ${took(result(t, 'd', 'connect'), 'connected')}`,
      },
    ],
  },
  {
    id: 'A4',
    claim: 'bind before connect, EADDRINUSE',
    article:
      'bind(ip, 0) before connect() caps ALL outgoing connections at the range size, failing with EADDRINUSE.',
    verdict: 'partly',
    why: 'Per source address only: bind(0) cannot know the destination, so it never takes a port held on that address (R23, R42); IP_BIND_ADDRESS_NO_PORT (4.2) avoids the cap (R22).',
    scripts: [
      {
        file: 'a04-bind0-caps-per-address.pst',
        summarize: (t) =>
          `4-port range, bind(127.0.0.1, 0): ${['s1', 's2', 's3', 's4', 's5'].map((s) => result(t, s, 'bind')).join(', ')}; bind(127.0.0.2, 0): ${result(t, 'o', 'bind')}`,
      },
    ],
  },
  {
    id: 'A5',
    claim: 'SO_REUSEADDR: shared source ports',
    article:
      'SO_REUSEADDR lets connections share a source port when their destinations differ (bind before connect).',
    verdict: 'partly',
    why: 'Only with explicit ports (or ip_autobind_reuse = 1): bind(0) stopped sharing in 4.6 (R41); connect() keeps 4-tuples unique (R20).',
    scripts: [
      {
        file: 'a05-reuseaddr-shared-source-ports.pst',
        summarize: (t) =>
          `full range, bind(0) with SO_REUSEADDR: ${took(result(t, 'b', 'bind'), 'shared')}; with ip_autobind_reuse = 1: ${took(result(t, 'c', 'bind'), 'shared')}${sysctlNote(t, 'net.ipv4.ip_autobind_reuse', 'ip_autobind_reuse')}; explicit port: ${took(result(t, 'e', 'bind'), 'shared')}`,
      },
    ],
  },
  {
    id: 'A6',
    claim: 'SO_REUSEPORT sharing and spread',
    article: 'SO_REUSEPORT lets listeners share a port, and spreads TCP connections among them round-robin.',
    verdict: 'partly',
    why: 'Sharing holds (same uid, R33); the spread is not round-robin: a hash of the 4-tuple picks the listener (R81; the spec measured 0.54 alternations with 2 listeners).',
    scripts: [
      {
        file: 'a06-reuseport-sharing.pst',
        summarize: (t) =>
          `second SO_REUSEPORT listener: ${took(result(t, 'srv2', 'bind'))}; a socket without it: ${result(t, 'other', 'bind')}`,
      },
    ],
    spread: true,
  },
  {
    id: 'A7',
    claim: 'port search order',
    article: 'The search starts from one global hint and counts up, so successive ports are consecutive.',
    verdict: 'outdated',
    why: 'Since 5.12/5.18 each destination has its own perturbation slot, even ports come first with step 2, and the increment is random (R11, R13).',
    scripts: [
      {
        file: 'a07-port-search-order.pst',
        summarize: (t) =>
          `one destination: ${portsWithGaps(connectPorts(t, ['s1', 's2', 's3']))}; three others: ${portsWithGaps(connectPorts(t, ['d1', 'd2', 'd3']))}`,
      },
    ],
  },
  {
    id: 'RA1',
    claim: 'SO_REUSEADDR: rebind during TIME_WAIT',
    article: 'SO_REUSEADDR lets a restarted server bind its port while its old connections are in TIME_WAIT.',
    verdict: 'holds',
    why: "A TIME_WAIT entry keeps its socket's SO_REUSEADDR; with it on the old and the new socket the bind succeeds (R60, R64).",
    scripts: [
      {
        file: 'reuseaddr-time-wait.pst',
        summarize: (t) =>
          `TIME_WAIT on the port; bind without SO_REUSEADDR: ${result(t, 'plain', 'bind')}; with it: ${took(result(t, 'new', 'bind'))}`,
      },
    ],
  },
  {
    id: 'RA2',
    claim: 'SO_REUSEADDR: wildcard + specific address',
    article: 'SO_REUSEADDR lets a wildcard socket and a specific-address socket bind the same port.',
    verdict: 'partly',
    why: 'Only while neither listens: a listening owner defeats SO_REUSEADDR, whichever address is the wildcard (R32, R35).',
    scripts: [
      {
        file: 'reuseaddr-wildcard-specific.pst',
        summarize: (t) =>
          `neither listens: ${took(result(t, 's', 'bind'), 'shared')}; wildcard listens: ${result(t, 'ls', 'bind')}; specific listens: ${result(t, 'wl', 'bind')}`,
      },
    ],
  },
  {
    id: 'TW1',
    claim: 'tcp_tw_reuse',
    article:
      'Enable tcp_tw_reuse so connect() can reuse source ports held in TIME_WAIT (and never tcp_tw_recycle).',
    verdict: 'partly',
    why: 'Default 2 since 4.19: loopback TIME_WAIT is reused once tcp_tw_reuse_delay (1 s) old; other hosts need 1 (R4, R62); tcp_tw_recycle is gone since 4.12.',
    scripts: [
      {
        file: 'tcp-tw-reuse.pst',
        summarize: (t) =>
          `loopback TIME_WAIT, tcp_tw_reuse default (2), tcp_tw_reuse_delay 100 ms: young ${result(t, 'young', 'connect')}; 300 ms later ${took(result(t, 'later', 'connect'), 'reused')}${sysctlNote(t, 'net.ipv4.tcp_tw_reuse_delay', 'tcp_tw_reuse_delay')}`,
      },
    ],
  },
];

/** Every claim with its measurements; `full` swaps in the full-scale scripts (A2, A3). */
export function articleClaims(opts: { readonly full: boolean; readonly only?: readonly string[] }): Claim[] {
  const chosen = opts.only && opts.only.length > 0 ? CLAIMS.filter((c) => opts.only?.includes(c.id)) : CLAIMS;
  return chosen.map(({ scripts, spread, ...claim }) => {
    const measurements = scripts.map((s) => {
      const full = opts.full && s.full !== undefined;
      // The article's scripts ship with the package: one that is missing or does not parse is a bug.
      const file = join(ARTICLE_DIR, full ? (s.full ?? s.file) : s.file);
      const script = parseScriptOrThrow(readFileSync(file, 'utf8'), file);
      return scriptMeasurement(script, full ? (s.summarizeFull ?? s.summarize) : s.summarize);
    });
    const extra: Measurement[] = spread ? [spreadMeasurement(2, opts.full ? 10_000 : 1_000)] : [];
    return { ...claim, measurements: [...measurements, ...extra] };
  });
}

/** The claim ids, for --help and for checking --claim. */
export const CLAIM_IDS: readonly string[] = CLAIMS.map((c) => c.id);
