/**
 * Which kernel judged a differential run: `uname -r` and `uname -v`. Two builds of one release can
 * differ in behaviour (6.18.44 `-v669` let listen() after a refused connect() succeed, `-v1045`
 * refuses it, R52), so a divergence report names the build, not only the version.
 */
import { release, version } from 'node:os';

export interface KernelIdentity {
  /** `uname -r`, e.g. `6.18.44-fc-v1045`. */
  readonly release: string;
  /** `uname -v`, e.g. `#1 SMP PREEMPT_DYNAMIC @0`. */
  readonly build: string;
}

export function kernelIdentity(): KernelIdentity {
  return { release: release(), build: version() };
}

/** One line for people: `Linux 6.18.44-fc-v1045 #1 SMP PREEMPT_DYNAMIC @0`. */
export function formatKernelIdentity(k: KernelIdentity): string {
  return `Linux ${k.release} ${k.build}`;
}
