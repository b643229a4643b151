/**
 * Ctrl-C (SIGINT) and SIGTERM for the commands that run until stopped (doctor --watch and
 * --listen, web): an AbortSignal their loops and servers watch, so they end cleanly, and the
 * handlers removed afterwards (tests run commands in one process, many times).
 */

/** Aborts on Ctrl-C / SIGTERM so loops and the server end cleanly. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** Resolves when the process is asked to stop. */
export function untilInterrupted(): Promise<void> {
  const { signal, dispose } = interruptSignal();
  return new Promise((resolve) =>
    signal.addEventListener(
      'abort',
      () => {
        dispose();
        resolve();
      },
      { once: true },
    ),
  );
}
