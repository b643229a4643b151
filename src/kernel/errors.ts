/**
 * Errors at the edge of the kernel backend. Each carries a stable `code` (match on it, never on
 * the message) and a message that says what to do about it. Kernel errnos are NOT errors here:
 * they are ordinary Outcomes (`{ ok: false, errno }`); these codes are for the harness itself.
 */

export type KernelErrorCode =
  /** Kernel runs cannot happen on this machine (not Linux, not root, unshare refused, ...). */
  | 'PORTSPACE_KERNEL_UNAVAILABLE'
  /** The native helper could not be compiled. */
  | 'PORTSPACE_KERNEL_HELPER_BUILD'
  /** The helper said something that is not the agreed JSON line, or refused a request line. */
  | 'PORTSPACE_KERNEL_PROTOCOL'
  /** A Call the helper cannot express (bad socket name, value with a newline, ...). */
  | 'PORTSPACE_KERNEL_BAD_CALL'
  /** The helper did not answer in time; it has been killed. */
  | 'PORTSPACE_KERNEL_TIMEOUT'
  /** The helper exited while a request was outstanding. */
  | 'PORTSPACE_KERNEL_HELPER_EXITED'
  /** exec() after close(). */
  | 'PORTSPACE_KERNEL_CLOSED';

export class KernelError extends Error {
  constructor(
    readonly code: KernelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KernelError';
  }
}

export function isKernelError(e: unknown, code?: KernelErrorCode): e is KernelError {
  return e instanceof KernelError && (code === undefined || e.code === code);
}
