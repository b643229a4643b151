/**
 * The random plans behind random differential scripts (fast-check arbitraries): what a script
 * does, before random-scripts.ts turns it into calls and text. See random-scripts.ts for the
 * design rules (what is avoided and why).
 */
import fc from 'fast-check';
import { CALLS_ACTION_WEIGHT, type CallsAction, callsActionArb } from './random-calls.js';
import {
  ROUTE_BIND4,
  ROUTE_BIND6,
  ROUTE_DEST4,
  ROUTE_DEST6,
  type RoutePlan,
  routePlanArb,
} from './random-routes.js';

/** The fixed delay for TIME_WAIT recycling in random scripts, ms. */
export const TW_REUSE_DELAY_MS = 100;
export const SHORT_SLEEP_MS = 10;
export const LONG_SLEEP_MS = 300;
export const MAX_SHORT_SLEEPS = 3;

export type PortSel =
  | { readonly k: 'zero' }
  | { readonly k: 'range'; readonly i: number }
  | { readonly k: 'dport'; readonly i: number }
  | { readonly k: 'priv'; readonly p: number };

export type OptSpec =
  | {
      readonly opt:
        | 'SO_REUSEADDR'
        | 'SO_REUSEPORT'
        | 'IP_BIND_ADDRESS_NO_PORT'
        | 'IPV6_V6ONLY'
        | 'IP_FREEBIND'
        | 'IPV6_FREEBIND';
      readonly v: number;
    }
  | { readonly opt: 'SO_LINGER'; readonly v: readonly [number, number] }
  | { readonly opt: 'IP_LOCAL_PORT_RANGE'; readonly lpr: LprSel };

export type LprSel =
  | { readonly k: 'in'; readonly a: number; readonly b: number }
  | { readonly k: 'openLo'; readonly b: number }
  | { readonly k: 'openHi'; readonly a: number }
  | { readonly k: 'outside' }
  | { readonly k: 'straddle'; readonly b: number }
  | { readonly k: 'unset' };

export type SysctlSel =
  | { readonly k: 'range'; readonly lo: number; readonly size: number }
  | { readonly k: 'reserved'; readonly a: number; readonly b: number; readonly none: boolean }
  | { readonly k: 'twReuse'; readonly v: number }
  | { readonly k: 'autobindReuse'; readonly v: number }
  | { readonly k: 'timestamps'; readonly v: number }
  | { readonly k: 'bindv6only'; readonly v: number }
  | { readonly k: 'nonlocal'; readonly v: number; readonly v6: boolean }
  | { readonly k: 'unprivStart'; readonly v: number }
  | { readonly k: 'maxTw'; readonly v: number };

/** A new socket: its options, maybe a bind, then what it does next towards dest:dport. */
interface NewSocket<Kind extends string, Next extends string> {
  readonly kind: Kind;
  readonly opts: readonly OptSpec[];
  readonly bind: { readonly addr: number; readonly port: PortSel } | null;
  readonly next: Next;
  readonly dest: number;
  readonly dport: number;
}

export type Action =
  /** getsockopt, setsockopt with an option length, TCP connect(AF_UNSPEC): random-calls.ts. */
  | CallsAction
  | ({ readonly t: 'client'; readonly crossFamily: boolean } & NewSocket<
      'tcp4' | 'tcp6',
      'connect' | 'listen' | 'none'
    >)
  | { readonly t: 'connect'; readonly s: number; readonly dest: number; readonly dport: number }
  /** RA socket bound to an explicit range port, then connected: the same 4-tuples come back (R20, R63). */
  | {
      readonly t: 'tuple';
      readonly i: number;
      readonly remote: boolean;
      readonly dport: number;
      readonly close: boolean;
    }
  | { readonly t: 'bind'; readonly s: number; readonly addr: number; readonly port: PortSel }
  | { readonly t: 'listen'; readonly s: number }
  | { readonly t: 'accept'; readonly s: number }
  | { readonly t: 'close'; readonly s: number; readonly rst: boolean }
  | { readonly t: 'getsockname'; readonly s: number }
  | { readonly t: 'opt'; readonly s: number; readonly o: OptSpec }
  | { readonly t: 'sleep'; readonly long: boolean }
  | { readonly t: 'sysctl'; readonly sel: SysctlSel }
  | { readonly t: 'uid'; readonly uid: number }
  /** A UDP socket: options, maybe a bind, then connect(), sendto() or nothing (R90-R96). */
  | ({ readonly t: 'udp' } & NewSocket<'udp4' | 'udp6', 'connect' | 'sendto' | 'none'>)
  | { readonly t: 'sendto'; readonly s: number; readonly dest: number; readonly dport: number }
  | { readonly t: 'disconnect'; readonly s: number }
  /** A reuseport group of n TCP listeners or UDP sockets on the script's group port (R80). */
  | {
      readonly t: 'group';
      readonly proto: 'tcp' | 'udp';
      readonly v6: boolean;
      readonly n: number;
      readonly specific: boolean;
      readonly port: number;
    }
  /** One connection or datagram to a group (or a destination port) from a chosen source (R81/R82). */
  | {
      readonly t: 'deliver';
      readonly g: number;
      readonly src: number;
      readonly sport: number;
      readonly dest: number;
      readonly toDport: boolean;
      /** For a delivery to a destination port (not a group): UDP rather than TCP. */
      readonly udp: boolean;
    }
  | { readonly t: 'groupClose'; readonly g: number; readonly i: number }
  /** n SO_REUSEADDR UDP sockets on one address and destination port: who receives (R80, R94). */
  | {
      readonly t: 'udpShare';
      readonly v6: boolean;
      readonly n: number;
      readonly addr: number;
      readonly dport: number;
    }
  | {
      readonly t: 'repeat';
      readonly max: number;
      readonly kind: 'tcp4' | 'tcp6';
      readonly ra: boolean;
      readonly noPort: boolean;
      readonly mode: 'connect' | 'bind0' | 'listen0';
      readonly addr: number;
      readonly dest: number;
      readonly dport: number;
    };

export interface Listener {
  readonly kind: 'tcp4' | 'tcp6';
  readonly addr: number;
  readonly dport: number;
  readonly ra: boolean;
  readonly rp: boolean;
}

export interface Plan {
  readonly lo: number;
  readonly size: number;
  readonly dbase: number;
  readonly prefix4: boolean;
  readonly prefix6: boolean;
  readonly listeners: readonly Listener[];
  readonly actions: readonly Action[];
  /** Local routes (random-routes.ts). */
  readonly routes: RoutePlan;
}

export const BIND4 = ['127.0.0.1', '127.0.0.2', '0.0.0.0', '10.0.0.1', '10.9.9.9', ...ROUTE_BIND4];
export const BIND6 = [
  '::1',
  '::',
  '::ffff:127.0.0.1',
  '::ffff:0.0.0.0',
  'fd00::1',
  '::ffff:10.0.0.1',
  '::ffff:127.0.0.2',
  ...ROUTE_BIND6,
];
export const DEST4 = ['127.0.0.1', '127.0.0.2', '10.0.0.2', '10.0.0.3', '0.0.0.0', ...ROUTE_DEST4];
export const DEST6 = [
  '::1',
  '::ffff:127.0.0.1',
  '::ffff:127.0.0.2',
  'fd00::2',
  '::ffff:10.0.0.2',
  '::',
  ...ROUTE_DEST6,
];

const nat = (n: number) => fc.nat(n);
const bit = fc.constantFrom(0, 1);

const portSel: fc.Arbitrary<PortSel> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ k: 'zero' as const }) },
  { weight: 4, arbitrary: nat(9).map((i) => ({ k: 'range' as const, i })) },
  { weight: 4, arbitrary: nat(3).map((i) => ({ k: 'dport' as const, i })) },
  { weight: 1, arbitrary: fc.constantFrom(80, 1023).map((p) => ({ k: 'priv' as const, p })) },
);

const lprSel: fc.Arbitrary<LprSel> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(nat(8), nat(8))
      .map(([a, b]) => ({ k: 'in' as const, a: Math.min(a, b), b: Math.max(a, b) })),
  },
  { weight: 1, arbitrary: nat(8).map((b) => ({ k: 'openLo' as const, b })) },
  { weight: 1, arbitrary: nat(8).map((a) => ({ k: 'openHi' as const, a })) },
  { weight: 1, arbitrary: fc.constant({ k: 'outside' as const }) },
  { weight: 1, arbitrary: nat(4).map((b) => ({ k: 'straddle' as const, b })) },
  { weight: 1, arbitrary: fc.constant({ k: 'unset' as const }) },
);

const optSpec: fc.Arbitrary<OptSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ opt: 'SO_REUSEADDR' as const, v: 1 }) },
  { weight: 1, arbitrary: fc.constant({ opt: 'SO_REUSEADDR' as const, v: 0 }) },
  { weight: 4, arbitrary: bit.map((v) => ({ opt: 'SO_REUSEPORT' as const, v })) },
  { weight: 3, arbitrary: bit.map((v) => ({ opt: 'IP_BIND_ADDRESS_NO_PORT' as const, v })) },
  { weight: 2, arbitrary: bit.map((v) => ({ opt: 'IPV6_V6ONLY' as const, v })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<readonly [number, number]>([1, 0], [0, 0], [1, 5])
      .map((v) => ({ opt: 'SO_LINGER' as const, v })),
  },
  { weight: 3, arbitrary: lprSel.map((lpr) => ({ opt: 'IP_LOCAL_PORT_RANGE' as const, lpr })) },
  // R7: FREEBIND lets bind() take 10.9.9.9 or a route address (issue 10).
  { weight: 2, arbitrary: fc.constantFrom(1, 1, 0).map((v) => ({ opt: 'IP_FREEBIND' as const, v })) },
  { weight: 1, arbitrary: bit.map((v) => ({ opt: 'IPV6_FREEBIND' as const, v })) },
);

const rangeLo = fc.integer({ min: 40000, max: 40007 });
const rangeSize = fc.integer({ min: 2, max: 8 });

const sysctlSel: fc.Arbitrary<SysctlSel> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(rangeLo, rangeSize).map(([lo, size]) => ({ k: 'range' as const, lo, size })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(nat(8), nat(2), fc.boolean())
      .map(([a, d, none]) => ({ k: 'reserved' as const, a, b: a + d, none })),
  },
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2).map((v) => ({ k: 'twReuse' as const, v })) },
  { weight: 3, arbitrary: bit.map((v) => ({ k: 'autobindReuse' as const, v })) },
  { weight: 1, arbitrary: bit.map((v) => ({ k: 'timestamps' as const, v })) },
  { weight: 1, arbitrary: bit.map((v) => ({ k: 'bindv6only' as const, v })) },
  { weight: 1, arbitrary: fc.tuple(bit, fc.boolean()).map(([v, v6]) => ({ k: 'nonlocal' as const, v, v6 })) },
  { weight: 1, arbitrary: fc.constantFrom(0, 81, 1024).map((v) => ({ k: 'unprivStart' as const, v })) },
  { weight: 1, arbitrary: fc.constantFrom(0, 65536).map((v) => ({ k: 'maxTw' as const, v })) },
);

const kindArb = fc.constantFrom<'tcp4' | 'tcp6'>('tcp4', 'tcp4', 'tcp6');

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record({
      t: fc.constant('client' as const),
      kind: kindArb,
      opts: fc.array(optSpec, { maxLength: 3 }),
      bind: fc.option(fc.record({ addr: nat(9), port: portSel }), { freq: 2 }),
      next: fc.constantFrom<'connect' | 'listen' | 'none'>('connect', 'connect', 'connect', 'listen', 'none'),
      dest: nat(9),
      dport: nat(4),
      crossFamily: nat(9).map((n) => n === 0),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ t: fc.constant('connect' as const), s: nat(20), dest: nat(9), dport: nat(4) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('tuple' as const),
      i: nat(1),
      remote: fc.boolean(),
      dport: nat(1),
      close: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('bind' as const), s: nat(20), addr: nat(9), port: portSel }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('listen' as const), s: nat(20) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('accept' as const), s: nat(20) }) },
  { weight: 12, arbitrary: fc.record({ t: fc.constant('close' as const), s: nat(20), rst: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('getsockname' as const), s: nat(20) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('opt' as const), s: nat(20), o: optSpec }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('sleep' as const), long: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('sysctl' as const), sel: sysctlSel }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('uid' as const), uid: fc.constantFrom(0, 65534) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('repeat' as const),
      max: fc.integer({ min: 2, max: 9 }),
      kind: kindArb,
      ra: fc.boolean(),
      noPort: fc.boolean(),
      mode: fc.constantFrom<'connect' | 'bind0' | 'listen0'>('connect', 'bind0', 'listen0'),
      addr: nat(9),
      dest: nat(9),
      dport: nat(4),
    }),
  },
);

const bindSel: fc.Arbitrary<{ addr: number; port: PortSel } | null> = fc.option(
  fc.record({ addr: nat(9), port: portSel }),
  { freq: 2 },
);

/** UDP and reuseport actions: about a fifth of the weight, so TCP coverage stays what it was. */
const udpActions: fc.Arbitrary<Action>[] = [
  fc.record({
    t: fc.constant('udp' as const),
    kind: fc.constantFrom<'udp4' | 'udp6'>('udp4', 'udp4', 'udp6'),
    opts: fc.array(optSpec, { maxLength: 3 }),
    bind: bindSel,
    next: fc.constantFrom<'connect' | 'sendto' | 'none'>('connect', 'sendto', 'none'),
    dest: nat(9),
    dport: nat(4),
  }),
  fc.record({ t: fc.constant('sendto' as const), s: nat(20), dest: nat(9), dport: nat(4) }),
  fc.record({ t: fc.constant('disconnect' as const), s: nat(20) }),
  fc.record({
    t: fc.constant('group' as const),
    proto: fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'),
    v6: nat(3).map((n) => n === 0),
    n: fc.integer({ min: 1, max: 4 }),
    specific: fc.boolean(),
    port: nat(1),
  }),
  fc.record({
    t: fc.constant('deliver' as const),
    g: nat(5),
    src: nat(5),
    sport: nat(7),
    dest: nat(7),
    toDport: nat(4).map((n) => n === 0),
    udp: fc.boolean(),
  }),
  fc.record({ t: fc.constant('groupClose' as const), g: nat(5), i: nat(3) }),
  fc.record({
    t: fc.constant('udpShare' as const),
    v6: nat(3).map((n) => n === 0),
    n: fc.integer({ min: 2, max: 3 }),
    addr: nat(3),
    dport: nat(3),
  }),
];
const udpWeights = [8, 4, 2, 3, 7, 2, 3];

const anyAction: fc.Arbitrary<Action> = fc.oneof(
  { weight: 100, arbitrary: action },
  ...udpActions.map((arbitrary, i) => ({ weight: udpWeights[i] ?? 1, arbitrary })),
  { weight: CALLS_ACTION_WEIGHT, arbitrary: callsActionArb },
);

const listener: fc.Arbitrary<Listener> = fc.record({
  kind: kindArb,
  addr: nat(9),
  dport: nat(2),
  ra: fc.boolean(),
  rp: fc.boolean(),
});

export const planArb: fc.Arbitrary<Plan> = fc.record({
  lo: rangeLo,
  size: rangeSize,
  dbase: fc.integer({ min: 2500, max: 7499 }).map((k) => k * 4),
  prefix4: fc.boolean(),
  prefix6: nat(3).map((n) => n === 0),
  listeners: fc.array(listener, { minLength: 0, maxLength: 3 }),
  actions: fc.array(anyAction, { minLength: 3, maxLength: 30 }),
  routes: routePlanArb,
});
