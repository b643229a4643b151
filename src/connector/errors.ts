/**
 * Errors the connector's users catch. Each carries a stable `code` (PORTSPACE_*: match on it,
 * never on the message) and, being about a socket, the fields Node's own system errors have
 * (`errno`, `syscall`, `address`, `port`, `localAddress`, `localPort`), so code written for
 * `connect EADDRNOTAVAIL` keeps working. Errors from the peer (ECONNREFUSED, ECONNRESET) are
 * Node's own and pass through unchanged.
 */
import { constants } from 'node:os';

export type ConnectorErrorCode =
  /** No (source, port) left towards the destination: the model's reason says what holds them. */
  | 'PORTSPACE_PORTS_EXHAUSTED'
  /** maxAttempts kernel refusals in a row (EADDRINUSE / EADDRNOTAVAIL): another program takes them. */
  | 'PORTSPACE_TOO_MANY_COLLISIONS'
  /** No source address of the destination's family (Node turns Happy Eyeballs off with a source). */
  | 'PORTSPACE_NO_SOURCE_FOR_FAMILY'
  /** The destination name did not resolve. */
  | 'PORTSPACE_LOOKUP_FAILED'
  /** connectTimeout elapsed before the handshake finished. */
  | 'PORTSPACE_CONNECT_TIMEOUT'
  /** A bad option to createConnector or connect. */
  | 'PORTSPACE_BAD_OPTION'
  /** connect() after close(). */
  | 'PORTSPACE_CONNECTOR_CLOSED';

/** One try against the kernel (or a candidate the model refused before any syscall). */
export interface Attempt {
  readonly localAddress: string;
  readonly localPort: number;
  /** 'connected', or the errno name the kernel (or the model, `byModel`) answered. */
  readonly result: string;
  readonly byModel?: boolean;
}

export interface SocketFields {
  readonly errno?: string;
  readonly syscall?: string;
  readonly address?: string;
  readonly port?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly attempts?: readonly Attempt[];
  /** The model's rule (R-number) that decided, when there is one. */
  readonly rule?: string;
  readonly cause?: unknown;
}

export class ConnectorError extends Error {
  /** Node's errno number (negative, as in Node's system errors), when an errno applies. */
  readonly errno: number | undefined;
  /** The errno's name (EADDRNOTAVAIL, ...), kept apart because `code` is the stable PORTSPACE_* code. */
  readonly errnoName: string | undefined;
  readonly syscall: string | undefined;
  readonly address: string | undefined;
  readonly port: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly attempts: readonly Attempt[];
  readonly rule: string | undefined;

  constructor(
    readonly code: ConnectorErrorCode,
    message: string,
    fields: SocketFields = {},
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'ConnectorError';
    this.errnoName = fields.errno;
    const n = fields.errno
      ? (constants.errno as Record<string, number | undefined>)[fields.errno]
      : undefined;
    this.errno = n === undefined ? undefined : -n;
    this.syscall = fields.syscall;
    this.address = fields.address;
    this.port = fields.port;
    this.localAddress = fields.localAddress;
    this.localPort = fields.localPort;
    this.attempts = fields.attempts ?? [];
    this.rule = fields.rule;
  }
}

export function isConnectorError(e: unknown, code?: ConnectorErrorCode): e is ConnectorError {
  return e instanceof ConnectorError && (code === undefined || e.code === code);
}

export function badOption(message: string): ConnectorError {
  return new ConnectorError('PORTSPACE_BAD_OPTION', message);
}

/** Node's AbortError shape (name 'AbortError', code 'ABORT_ERR'), as net.connect gives on abort. */
export function abortError(signal: AbortSignal): Error {
  const e = new Error('The operation was aborted', { cause: signal.reason }) as Error & { code: string };
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  return e;
}

/** The errno name of a Node system error ('EADDRINUSE', ...), or null. */
export function errnoOf(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

/** The errno name of a failed try: Node's own, a ConnectorError's (timeout), or EUNKNOWN. */
export function errnoName(e: unknown): string {
  return errnoOf(e) ?? (e as { errnoName?: string } | null)?.errnoName ?? 'EUNKNOWN';
}

/**
 * EADDRINUSE / EADDRNOTAVAIL from the kernel: another program got the port (or the 4-tuple)
 * first. undici and fetch never retry these, so the connector tries another port or source.
 */
export function isCollision(errno: string): boolean {
  return errno === 'EADDRINUSE' || errno === 'EADDRNOTAVAIL';
}
