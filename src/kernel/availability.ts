/**
 * Can kernel runs happen here? Checked once per process, in the order a user would fix things:
 * Linux, root, iproute2, a buildable helper, and finally a real start of the helper (which proves
 * that unshare(CLONE_NEWNET) works). Tests and the CLI skip with `reason` printed, never silently.
 */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { isKernelError } from './errors.js';
import { KernelBackend } from './kernel-backend.js';

export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Set to 1 to skip kernel runs even where they would work. */
export const SKIP_ENV = 'PORTSPACE_SKIP_KERNEL';

/** Where the helper looks for `ip`, plus PATH. */
const IP_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

async function findIp(): Promise<string | null> {
  const dirs = [...IP_DIRS, ...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== '')];
  for (const dir of dirs) {
    const p = join(dir, 'ip');
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}

async function probe(): Promise<Availability> {
  if (process.env[SKIP_ENV] === '1') return { ok: false, reason: `kernel runs disabled by ${SKIP_ENV}=1` };
  if (process.platform !== 'linux') {
    return { ok: false, reason: `kernel runs need Linux (this is ${process.platform})` };
  }
  if (process.getuid?.() !== 0) {
    return {
      ok: false,
      reason:
        'kernel runs need root (to create network namespaces and to switch uids); run as root, e.g. sudo',
    };
  }
  if ((await findIp()) === null) {
    return {
      ok: false,
      reason: 'kernel runs need the `ip` command; install iproute2 (apt-get install iproute2)',
    };
  }
  let backend: KernelBackend | null = null;
  try {
    backend = await KernelBackend.start();
    const pong = await backend.exec({ op: 'sleep', ms: 0 });
    if (!pong.ok) return { ok: false, reason: 'the kernel helper answered a no-op with an error' };
    return { ok: true };
  } catch (e) {
    if (isKernelError(e)) return { ok: false, reason: `${e.code}: ${e.message}` };
    return { ok: false, reason: `starting the kernel helper failed: ${String(e)}` };
  } finally {
    await backend?.close();
  }
}

let cached: Promise<Availability> | null = null;

export function kernelAvailability(): Promise<Availability> {
  cached ??= probe();
  return cached;
}
