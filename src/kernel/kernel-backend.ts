/**
 * The real kernel as a Backend: each instance runs the native helper, which lives in a network
 * namespace of its own (fresh sysctls, lo up, nothing shared with other backends or the host),
 * and executes one Call per request line. Kernel failures come back as Outcomes with the errno
 * name; harness failures are KernelErrors (errors.ts).
 */

import type { Call, Outcome } from '../calls/index.js';
import type { Backend } from '../run/backend.js';
import { isKernelError, KernelError } from './errors.js';
import { ensureHelperBuilt } from './helper-build.js';
import { HelperProcess, type HelperTimeouts } from './helper-process.js';
import { decodeOutcome, type EncodeOptions, encodeCall, parseWire } from './protocol.js';

export interface KernelBackendOptions {
  /** A helper binary to run instead of building native/portspace-helper.c. */
  readonly helperPath?: string;
  /** Bound on each connect(); default 2000 ms, past it the attempt is aborted with ETIMEDOUT. */
  readonly connectTimeoutMs?: number;
  /** accept() waits this long for a pending connection, then gives EAGAIN; default 100 ms. */
  readonly acceptWaitMs?: number;
  /** Answer time allowed for any request on top of its own duration; default 10000 ms. */
  readonly answerTimeoutMs?: number;
  /**
   * Sockets one helper process holds before it forks a socket worker into the same namespace
   * (default: its fd limit minus headroom). Only tests lower it, to exercise the workers.
   */
  readonly socketsPerProcess?: number;
}

/** What the helper's `stats` request reports; -1 where a counter could not be read. */
export interface KernelStats {
  /** Named sockets the helper holds (in itself and its socket workers). */
  readonly sockets: number;
  /** Socket worker processes forked because one process may not hold enough fds. */
  readonly workers: number;
  /** /proc/net/sockstat(6) of the test namespace. */
  readonly tcp: {
    readonly inuse: number;
    readonly inuse6: number;
    readonly orphan: number;
    readonly tw: number;
  };
  /** The remote namespace behind `addr` prefixes, once one exists. */
  readonly remote?: { readonly pid: number; readonly conns: number; readonly listeners: number };
}

export class KernelBackend implements Backend {
  readonly name = 'kernel' as const;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly helper: HelperProcess,
    private readonly encodeOptions: EncodeOptions,
  ) {}

  /** Builds the helper if needed and starts it in a fresh network namespace. */
  static async start(options: KernelBackendOptions = {}): Promise<KernelBackend> {
    const path = options.helperPath ?? (await ensureHelperBuilt());
    const timeouts: HelperTimeouts = {
      startMs: 5000,
      answerMs: options.answerTimeoutMs ?? 10_000,
      exitMs: 3000,
    };
    const env: Record<string, string> =
      options.socketsPerProcess === undefined
        ? {}
        : { PORTSPACE_HELPER_FD_CAP: String(options.socketsPerProcess) };
    const { helper, ready } = await HelperProcess.spawn(path, timeouts, env);
    let w: ReturnType<typeof parseWire>;
    try {
      w = parseWire(ready);
    } catch (e) {
      await helper.shutdown();
      throw e;
    }
    if (!w.ok || w.ready !== true) {
      await helper.shutdown();
      throw new KernelError(
        'PORTSPACE_KERNEL_UNAVAILABLE',
        `the kernel helper could not set up its network namespace: ${w.errno ?? ''} ${w.detail ?? w.fault ?? ready}`.trim(),
      );
    }
    return new KernelBackend(helper, {
      connectTimeoutMs: options.connectTimeoutMs ?? 2000,
      acceptWaitMs: options.acceptWaitMs ?? 100,
    });
  }

  /** The helper's process id (its remote child, if any, is in `stats().remote.pid`). */
  get pid(): number {
    return this.helper.pid;
  }

  async exec(call: Call): Promise<Outcome> {
    if (this.closing)
      throw new KernelError('PORTSPACE_KERNEL_CLOSED', 'the kernel backend is closed; start a new one');
    const req = encodeCall(call, this.encodeOptions);
    const line = await this.helper.request(req.line, req.extraMs);
    try {
      return decodeOutcome(req.line, line);
    } catch (e) {
      if (isKernelError(e, 'PORTSPACE_KERNEL_PROTOCOL')) await this.helper.fail(e);
      throw e;
    }
  }

  /** Counters of the test namespace; for tests and diagnostics, not part of Backend. */
  async stats(): Promise<KernelStats> {
    const line = await this.helper.request('stats', 5000);
    const w = parseWire(line) as unknown as KernelStats & { ok: boolean };
    if (
      !w.ok ||
      typeof w.sockets !== 'number' ||
      typeof w.workers !== 'number' ||
      typeof w.tcp !== 'object'
    ) {
      throw new KernelError('PORTSPACE_KERNEL_PROTOCOL', `unexpected stats answer: ${line}`);
    }
    const base = { sockets: w.sockets, workers: w.workers, tcp: w.tcp };
    return w.remote ? { ...base, remote: w.remote } : base;
  }

  close(): Promise<void> {
    this.closing ??= this.helper.shutdown();
    return this.closing;
  }
}
