/**
 * Can a load run here? It needs Linux, root (to create a network namespace), `unshare` from
 * util-linux and `ip` from iproute2; the last check really creates a namespace (`unshare -n
 * true`), which proves CLONE_NEWNET works (a container may forbid it). No compiler needed: the
 * load uses only Node's sockets.
 */
import { spawnSync } from 'node:child_process';

export type LoadAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export function loadAvailability(): LoadAvailability {
  if (process.env.PORTSPACE_SKIP_KERNEL === '1')
    return { ok: false, reason: 'kernel runs disabled by PORTSPACE_SKIP_KERNEL=1' };
  if (process.platform !== 'linux')
    return { ok: false, reason: `a load needs Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0)
    return {
      ok: false,
      reason: 'a load needs root, to create a private network namespace; run as root, e.g. sudo',
    };
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0)
    return {
      ok: false,
      reason: 'a load needs the `ip` command; install iproute2 (apt-get install iproute2)',
    };
  const u = spawnSync('unshare', ['-n', 'true'], { encoding: 'utf8' });
  if (u.error)
    return { ok: false, reason: 'a load needs `unshare`; install util-linux (apt-get install util-linux)' };
  if (u.status !== 0)
    return {
      ok: false,
      reason: `unshare -n failed (${(u.stderr || `exit ${u.status}`).trim()}): network namespaces are not allowed here`,
    };
  return { ok: true };
}
