/**
 * One running helper process and its line protocol: one request line in, one response line out,
 * strictly in turn. Every wait is bounded: a helper that does not answer in time is killed and
 * the caller gets PORTSPACE_KERNEL_TIMEOUT. Knows nothing about Calls (see protocol.ts).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { KernelError } from './errors.js';

const STDERR_TAIL = 4000;

export interface HelperTimeouts {
  /** Time to the ready line (namespace created, lo up). */
  readonly startMs: number;
  /** Time for an ordinary answer; a request adds its own expected duration on top. */
  readonly answerMs: number;
  /** Time for a clean exit after stdin closes, before SIGKILL. */
  readonly exitMs: number;
}

export class HelperProcess {
  private readonly lines: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private partial = '';
  private stderrTail = '';
  private exited = false;
  private readonly exitPromise: Promise<void>;
  /** Serialises requests: answers pair with requests by order alone. */
  private queue: Promise<unknown> = Promise.resolve();
  private dead: KernelError | null = null;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly timeouts: HelperTimeouts,
  ) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-STDERR_TAIL);
    });
    // EPIPE on a dead helper's stdin surfaces as HELPER_EXITED through the exit path below.
    child.stdin.on('error', () => {});
    this.exitPromise = new Promise((resolve) => {
      child.on('close', () => {
        this.exited = true;
        this.deliver(null);
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Spawns the helper and waits for its ready line; the parsed ready line is returned. */
  static async spawn(
    path: string,
    timeouts: HelperTimeouts,
    env: Readonly<Record<string, string>> = {},
  ): Promise<{ helper: HelperProcess; ready: string }> {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(path, [], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    } catch (e) {
      throw new KernelError(
        'PORTSPACE_KERNEL_UNAVAILABLE',
        `cannot start the kernel helper ${path}: ${String(e)}`,
        {
          cause: e,
        },
      );
    }
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const helper = new HelperProcess(child, timeouts);
    const first = await Promise.race([helper.nextLine(timeouts.startMs), spawnError]);
    if (first instanceof Error) {
      await helper.kill();
      throw new KernelError(
        'PORTSPACE_KERNEL_UNAVAILABLE',
        `cannot start the kernel helper ${path}: ${first.message}`,
        {
          cause: first,
        },
      );
    }
    if (first === null) {
      await helper.kill();
      const why = helper.stderrTail.trim() || `exit code ${String(child.exitCode)}`;
      throw new KernelError('PORTSPACE_KERNEL_UNAVAILABLE', `the kernel helper exited at start: ${why}`);
    }
    return { helper, ready: first };
  }

  /** Sends one line and returns the one line that answers it. */
  request(line: string, extraMs: number): Promise<string> {
    const run = async (): Promise<string> => {
      if (this.dead) throw this.dead;
      this.child.stdin.write(`${line}\n`);
      const answer = await this.nextLine(this.timeouts.answerMs + extraMs, line);
      if (answer === null) {
        this.dead = new KernelError(
          'PORTSPACE_KERNEL_HELPER_EXITED',
          `the kernel helper exited while answering "${line}" (exit ${String(this.child.exitCode)}, signal ` +
            `${String(this.child.signalCode)}): ${this.stderrTail.trim() || 'no message'}`,
        );
        throw this.dead;
      }
      return answer;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  /** After a protocol error the stream cannot be trusted: kill the helper, fail every later call. */
  async fail(error: KernelError): Promise<void> {
    this.dead = error;
    await this.kill();
  }

  /** Closes stdin (the helper closes every socket and exits), then insists with SIGKILL. */
  async shutdown(): Promise<void> {
    this.dead ??= new KernelError('PORTSPACE_KERNEL_CLOSED', 'the kernel backend is closed; start a new one');
    if (this.exited) return;
    this.child.stdin.end();
    if (await this.waitExit(this.timeouts.exitMs)) return;
    await this.kill();
  }

  private async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    // The helper's children die with it (PR_SET_PDEATHSIG); SIGKILL cannot be ignored.
    await this.waitExit(this.timeouts.exitMs);
  }

  private waitExit(ms: number): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      void this.exitPromise.then(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  private onData(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.deliver(line);
  }

  private deliver(line: string | null): void {
    if (line === null) {
      const w = this.waiter;
      this.waiter = null;
      w?.(null);
      return;
    }
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(line);
    } else {
      this.lines.push(line);
    }
  }

  /** The next line, null when the helper has exited; kills the helper when `ms` pass. */
  private nextLine(ms: number, forRequest?: string): Promise<string | null> {
    const buffered = this.lines.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = null;
        const what = forRequest === undefined ? 'ready line' : `an answer to "${forRequest}"`;
        this.dead = new KernelError(
          'PORTSPACE_KERNEL_TIMEOUT',
          `the kernel helper gave no ${what} within ${ms} ms; it was killed. ${this.stderrTail.trim()}`.trim(),
        );
        void this.kill();
        reject(this.dead);
      }, ms);
      this.waiter = (line) => {
        clearTimeout(t);
        resolve(line);
      };
    });
  }
}
