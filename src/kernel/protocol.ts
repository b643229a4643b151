/**
 * The helper's wire format, both directions, as pure functions: a Call becomes one request line
 * (tokens separated by spaces; the sysctl value is the rest of the line), and one JSON response
 * line becomes an Outcome. The grammar is documented at the top of native/portspace-helper.c.
 */
import { type Call, isErrnoName, type Outcome, type SockOptValue } from '../calls/index.js';
import { KernelError } from './errors.js';

/** Per-backend knobs that change request lines. */
export interface EncodeOptions {
  /** Bound on a blocking connect() in the helper; past it the attempt is aborted: ETIMEDOUT. */
  readonly connectTimeoutMs: number;
  /** How long accept() waits for a pending connection before it answers EAGAIN. */
  readonly acceptWaitMs: number;
}

export interface Request {
  readonly line: string;
  /** How long the helper may legitimately take beyond the usual answer time (sleep, connect). */
  readonly extraMs: number;
}

/** Tokens are printable ASCII without spaces: names like `c1`, addresses, option names. */
const TOKEN = /^[\x21-\x7e]+$/;
const MAX_NAME = 63;

function bad(call: Call, why: string): never {
  throw new KernelError('PORTSPACE_KERNEL_BAD_CALL', `cannot send ${call.op} to the kernel helper: ${why}`);
}

function token(call: Call, what: string, v: string, max = 200): string {
  if (!TOKEN.test(v) || v.length > max)
    bad(call, `${what} ${JSON.stringify(v)} must be 1..${max} printable characters without spaces`);
  return v;
}

function int(call: Call, what: string, v: number, lo: number, hi: number): string {
  if (!Number.isInteger(v) || v < lo || v > hi) bad(call, `${what} ${v} must be an integer in ${lo}..${hi}`);
  return String(v);
}

function optValue(call: Call, v: SockOptValue): string {
  if (typeof v === 'number') return int(call, 'option value', v, -2147483648, 4294967295);
  return `${int(call, 'option value', v[0], -2147483648, 2147483647)} ${int(call, 'option value', v[1], -2147483648, 2147483647)}`;
}

/**
 * `setsockoptlen NAME OPT LEN V`: the helper fills a LEN-byte buffer with V's little-endian bytes
 * (zero-padded); IP_LOCAL_PORT_RANGE's pair goes as one u32, hi << 16 | lo.
 */
function encodeSetsockoptLen(call: Call & { op: 'setsockopt' }): Request {
  const v = call.value;
  const raw =
    typeof v === 'number'
      ? int(call, 'option value', v, 0, Number.MAX_SAFE_INTEGER)
      : String(
          Number(int(call, 'option value', v[1], 0, 65535)) * 65536 +
            Number(int(call, 'option value', v[0], 0, 65535)),
        );
  return {
    line: `setsockoptlen ${token(call, 'socket name', call.sock, MAX_NAME)} ${call.opt} ${int(call, 'optlen', call.optlen ?? 4, 0, 64)} ${raw}`,
    extraMs: 0,
  };
}

/** Strips the brackets a script may keep around an IPv6 literal. */
function addrToken(call: Call, addr: string): string {
  const bare = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  return token(call, 'address', bare, 80);
}

export function encodeCall(call: Call, opts: EncodeOptions): Request {
  switch (call.op) {
    case 'sysctl': {
      // Only net.* is per namespace; the helper refuses the rest, this says so earlier.
      if (!/^net\.[A-Za-z0-9_.-]+$/.test(call.name))
        bad(call, `sysctl name ${JSON.stringify(call.name)} must be net.<dotted path>`);
      if (/[\r\n\0]/.test(call.value) || call.value.length > 3000) bad(call, 'sysctl value must be one line');
      return { line: `sysctl ${call.name} ${call.value}`, extraMs: 0 };
    }
    case 'addr':
      // Setting up the remote namespace runs several `ip` commands, each bounded by the helper.
      return { line: `addr ${token(call, 'cidr', call.cidr, 100)}`, extraMs: 30_000 };
    case 'route':
      // `ip route add local ...` inside the helper's namespace: one command, bounded by the helper.
      return {
        line: `route ${token(call, 'cidr', call.cidr, 100)}${call.src === undefined ? '' : ` ${addrToken(call, call.src)}`}`,
        extraMs: 10_000,
      };
    case 'uid':
      return { line: `uid ${int(call, 'uid', call.uid, 0, 4294967294)}`, extraMs: 0 };
    case 'socket':
      return { line: `socket ${token(call, 'socket name', call.name, MAX_NAME)} ${call.kind}`, extraMs: 0 };
    case 'setsockopt':
      if (call.optlen !== undefined) return encodeSetsockoptLen(call);
      return {
        line: `setsockopt ${token(call, 'socket name', call.sock, MAX_NAME)} ${call.opt} ${optValue(call, call.value)}`,
        extraMs: 0,
      };
    case 'getsockopt':
      return {
        line: `getsockopt ${token(call, 'socket name', call.sock, MAX_NAME)} ${call.opt}`,
        extraMs: 0,
      };
    case 'bind':
      return {
        line: `bind ${token(call, 'socket name', call.sock, MAX_NAME)} ${addrToken(call, call.addr)} ${int(call, 'port', call.port, 0, 65535)}`,
        extraMs: 0,
      };
    case 'listen':
      return {
        line: `listen ${token(call, 'socket name', call.sock, MAX_NAME)} ${int(call, 'backlog', call.backlog, -2147483648, 2147483647)}`,
        extraMs: 0,
      };
    case 'connect':
      return {
        line: `connect ${token(call, 'socket name', call.sock, MAX_NAME)} ${addrToken(call, call.addr)} ${int(call, 'port', call.port, 0, 65535)} ${opts.connectTimeoutMs}`,
        extraMs: opts.connectTimeoutMs,
      };
    case 'accept':
      return {
        line: `accept ${token(call, 'socket name', call.sock, MAX_NAME)} ${token(call, 'socket name', call.name, MAX_NAME)} ${opts.acceptWaitMs}`,
        extraMs: opts.acceptWaitMs,
      };
    case 'close':
      return {
        line: `close ${token(call, 'socket name', call.sock, MAX_NAME)} ${call.rst ? 1 : 0}`,
        extraMs: 0,
      };
    case 'getsockname':
      return { line: `getsockname ${token(call, 'socket name', call.sock, MAX_NAME)}`, extraMs: 0 };
    case 'sendto':
      return {
        line: `sendto ${token(call, 'socket name', call.sock, MAX_NAME)} ${addrToken(call, call.addr)} ${int(call, 'port', call.port, 0, 65535)}`,
        extraMs: 0,
      };
    case 'disconnect':
      return { line: `disconnect ${token(call, 'socket name', call.sock, MAX_NAME)}`, extraMs: 0 };
    case 'deliver':
      // The probe waits for its connection or datagram at most connectTimeoutMs.
      return {
        line: `deliver ${call.proto} ${addrToken(call, call.from.addr)} ${int(call, 'port', call.from.port, 1, 65535)} ${addrToken(call, call.to.addr)} ${int(call, 'port', call.to.port, 0, 65535)} ${opts.connectTimeoutMs}`,
        extraMs: opts.connectTimeoutMs,
      };
    case 'sleep': {
      // Real time cannot be split finer than a millisecond here; round up so time never runs short.
      const ms = Math.ceil(call.ms);
      return { line: `sleep ${int(call, 'sleep ms', ms, 0, 600_000)}`, extraMs: ms };
    }
  }
}

/** The raw JSON object of one response line, checked field by field. */
export interface Wire {
  readonly ok: boolean;
  readonly port?: number;
  readonly addr?: string;
  readonly peer?: { readonly addr: string; readonly port: number };
  /** deliver: the name of the socket that received. */
  readonly member?: string;
  readonly errno?: string;
  /** getsockopt: one integer, or [lo, hi] for IP_LOCAL_PORT_RANGE. */
  readonly optval?: number | readonly [number, number];
  readonly fault?: string;
  readonly detail?: string;
  readonly [more: string]: unknown;
}

function protocol(line: string, why: string): never {
  throw new KernelError(
    'PORTSPACE_KERNEL_PROTOCOL',
    `kernel helper sent an unexpected line (${why}): ${line.slice(0, 300)}; rebuild it with native/build.sh`,
  );
}

function isOptval(v: unknown): v is number | [number, number] {
  const u32 = (n: unknown) =>
    typeof n === 'number' && Number.isInteger(n) && n >= -2147483648 && n <= 4294967295;
  return u32(v) || (Array.isArray(v) && v.length === 2 && u32(v[0]) && u32(v[1]));
}

export function parseWire(line: string): Wire {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    protocol(line, 'not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) protocol(line, 'not an object');
  const o = v as Record<string, unknown>;
  if (typeof o.ok !== 'boolean') protocol(line, 'no boolean "ok"');
  const isPort = (p: unknown): p is number =>
    typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 65535;
  if (o.port !== undefined && !isPort(o.port)) protocol(line, 'bad "port"');
  for (const k of ['addr', 'errno', 'fault', 'detail', 'member'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') protocol(line, `bad "${k}"`);
  }
  if (o.optval !== undefined && !isOptval(o.optval)) protocol(line, 'bad "optval"');
  if (o.peer !== undefined) {
    const p = o.peer as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || typeof p.addr !== 'string' || !isPort(p.port)) {
      protocol(line, 'bad "peer"');
    }
  }
  return o as Wire;
}

/** One response line -> Outcome. A `fault` (the helper refused the request) is an exception. */
export function decodeOutcome(requestLine: string, line: string): Outcome {
  const w = parseWire(line);
  if (!w.ok) {
    if (w.fault !== undefined) {
      throw new KernelError(
        'PORTSPACE_KERNEL_BAD_CALL',
        `kernel helper refused "${requestLine}": ${w.fault}`,
      );
    }
    if (w.errno === undefined || !isErrnoName(w.errno)) protocol(line, 'failure without an errno');
    return { ok: false, errno: w.errno };
  }
  // Build only the fields present: exactOptionalPropertyTypes forbids explicit undefined.
  return {
    ok: true,
    ...(w.port !== undefined ? { port: w.port } : {}),
    ...(w.addr !== undefined ? { addr: w.addr } : {}),
    ...(w.peer !== undefined ? { peer: { addr: w.peer.addr, port: w.peer.port } } : {}),
    ...(w.member !== undefined ? { member: w.member } : {}),
    ...(w.optval !== undefined ? { optval: w.optval } : {}),
  };
}
