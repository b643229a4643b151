/**
 * Runs one strategy in a private network namespace of its own: starts `unshare -n node
 * netns-primary` with an IPC channel, sends it the options, relays its progress and returns its
 * report. The namespace (and every socket in it, TIME_WAIT entries included) is gone when the
 * primary and its workers have exited, so strategies never see each other's leftovers.
 * Bounded: the primary is told to stop at the run's time bound or on `signal`, and killed if it
 * is not gone soon after.
 */
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { childExecArgv, entryFile } from './entry-files.js';
import type { LoadOptions, Phase, PrimaryCommand, PrimaryEvent, Strategy, StrategyRun } from './types.js';

export interface Progress {
  readonly established: number;
  readonly failed: number;
  readonly phase: Phase;
}

/** A run that could not be made: the namespace primary failed, or died. */
export class LoadRunError extends Error {
  readonly code = 'PORTSPACE_LOAD_FAILED';
}

/**
 * Time allowed beyond the connect phase and the hold before the primary is stopped: the workers'
 * start (up to 180 s), the /proc count and the close (up to 180 s), and some to spare. A run that
 * only hit --timeout must not be stopped (and reported interrupted) while it closes.
 */
const SLACK_MS = 480_000;
/** After a stop, time to be gone before SIGKILL (beyond the primary's own 240 s grace). */
const KILL_AFTER_MS = 300_000;

export function runStrategy(
  options: LoadOptions,
  strategy: Strategy,
  hooks: { onProgress?: (p: Progress) => void; signal?: AbortSignal } = {},
): Promise<StrategyRun> {
  const hostNetns = readlinkSync('/proc/self/ns/net');
  const child = spawn(
    'unshare',
    ['-n', '--', process.execPath, ...childExecArgv(), entryFile('netns-primary')],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    },
  );
  const send = (c: PrimaryCommand) => {
    if (child.connected) child.send(c);
  };
  return new Promise<StrategyRun>((resolve, reject) => {
    let result: StrategyRun | null = null;
    let fatal: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      send({ type: 'abort' });
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    };
    const bound = setTimeout(stop, (options.timeoutSeconds + options.holdSeconds) * 1000 + SLACK_MS);
    hooks.signal?.addEventListener('abort', stop, { once: true });
    child.on('message', (m: PrimaryEvent) => {
      if (m.type === 'progress') hooks.onProgress?.(m);
      else if (m.type === 'done') result = m.run;
      else if (m.type === 'fatal') fatal = m.message;
    });
    child.on('error', (e) => {
      fatal ??= `cannot start unshare: ${e.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(bound);
      clearTimeout(killTimer);
      hooks.signal?.removeEventListener('abort', stop);
      if (result !== null) resolve(result);
      else
        reject(
          new LoadRunError(
            `the ${strategy} run failed: ${fatal ?? `the namespace primary exited (code ${code}, signal ${signal}) without a report`}`,
          ),
        );
    });
    child.once('spawn', () => send({ type: 'run', options, strategy, hostNetns }));
  });
}
