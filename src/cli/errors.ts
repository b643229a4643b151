/**
 * Errors of the portspace command. A CliError is a user-facing condition (a bad option, a missing
 * file, a parse error, no kernel access): it carries a stable `PORTSPACE_*` code (match on it,
 * never on the message), a message that says what was wrong and what to do, and the exit code.
 * It is printed without a stack trace. Anything else that reaches main() is a bug in portspace:
 * it is printed with its stack and exits with EXIT.internal.
 */

/** Exit codes of every command. */
export const EXIT = {
  /** The command did its job and every expectation held (no divergence). */
  ok: 0,
  /** An expectation failed, or model and kernel diverged. */
  failed: 1,
  /** Bad input: unknown command or option, missing or unreadable file, script parse error. */
  usage: 2,
  /** The command could not run here: kernel unavailable, or the kernel harness failed mid-run. */
  unavailable: 3,
  /** A bug in portspace (sysexits EX_SOFTWARE). */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type CliErrorCode =
  /** Unknown command or option, missing or invalid option value, wrong number of arguments. */
  | 'PORTSPACE_USAGE'
  /** A script file does not exist. */
  | 'PORTSPACE_FILE_NOT_FOUND'
  /** A script file exists but cannot be read (permissions, a directory, ...). */
  | 'PORTSPACE_FILE_UNREADABLE'
  /** A script has syntax errors (each at its file:line:col). Same code as src/script. */
  | 'PORTSPACE_SCRIPT_PARSE'
  /** Kernel runs cannot happen here (not root, no unshare, no ip, ...). Same code as src/kernel. */
  | 'PORTSPACE_KERNEL_UNAVAILABLE'
  /** The kernel harness failed while a script ran (helper died, timed out, ...). */
  | 'PORTSPACE_RUN_ABORTED'
  /** `plan`: an option value that is not a valid plan input (address, port, rate, range, ...). */
  | 'PORTSPACE_PLAN_INPUT'
  /** `plan`: more attempts than the engine's bound; the message says how to shrink the plan. */
  | 'PORTSPACE_PLAN_TOO_LARGE'
  /** An output file (e.g. `plan --svg FILE`) cannot be written. */
  | 'PORTSPACE_FILE_UNWRITABLE'
  /** doctor: the /proc directory (or --proc copy) cannot be read. */
  | 'PORTSPACE_PROC_UNREADABLE'
  /** web --listen: an address that is not loopback, without --allow-remote. */
  | 'PORTSPACE_LISTEN_REFUSED'
  /** doctor --listen: the metrics server cannot listen on the address given. */
  | 'PORTSPACE_LISTEN_FAILED'
  /** An optional dependency a command needs is not installed (e.g. fast-check for diff --random). */
  | 'PORTSPACE_DEPENDENCY_MISSING'
  /** A bug. */
  | 'PORTSPACE_INTERNAL';

export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly exitCode: ExitCode,
    /** Extra machine-readable data for `--json` (e.g. the parse errors). */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError('PORTSPACE_USAGE', message, EXIT.usage);
}

/** The `--json` form of an error: one object on stdout, so a machine reads one document. */
export function errorJson(e: CliError): { error: Record<string, unknown> } {
  return { error: { code: e.code, message: e.message, exitCode: e.exitCode, ...e.details } };
}
