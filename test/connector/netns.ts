// Runs a worker script inside a fresh private network namespace (unshare -n) and returns the
// JSON it prints last. Real sockets, sysctls and addresses exist only in that namespace; the
// worker refuses to start in the host's namespace (netns-setup.ts). Missing prerequisites skip
// the test with the reason printed, never silently.
import { spawn, spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import type { TestContext } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;

let cached: string | null | undefined;

/** Why real-socket tests cannot run here, or null when they can. */
export function skipReason(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.PORTSPACE_SKIP_KERNEL === '1') cached = 'kernel runs disabled by PORTSPACE_SKIP_KERNEL=1';
  else if (process.platform !== 'linux') cached = `needs Linux (this is ${process.platform})`;
  else if (process.getuid?.() !== 0) cached = 'needs root to create network namespaces (unshare -n)';
  else if (spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up']).status !== 0)
    cached = 'unshare -n with `ip link set lo up` failed: install util-linux and iproute2, run as root';
  return cached;
}

/** Runs `worker` (a .ts file next to the tests) in a new namespace with `args`; null when skipped. */
export async function inNetns<T>(
  t: TestContext,
  worker: string,
  args: unknown,
  timeoutMs = 90_000,
): Promise<T | null> {
  const why = skipReason();
  if (why !== null) {
    t.skip(why);
    console.log(`skipped: ${why}`);
    return null;
  }
  const path = new URL(worker, import.meta.url).pathname;
  const child = spawn('unshare', ['-n', process.execPath, '--import', 'tsx', path, JSON.stringify(args)], {
    cwd: root,
    env: { ...process.env, PORTSPACE_PARENT_NETNS: readlinkSync('/proc/self/ns/net') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(killer);
  if (code !== 0) throw new Error(`worker ${worker} exited with ${code}:\n${err}\n${out}`);
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`worker ${worker} printed no JSON result:\n${out}\n${err}`);
  }
}
