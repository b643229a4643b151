// Worker side of the namespace tests: set up lo, addresses and sysctls (only after checking we
// are NOT in the host's namespace), read the kernel's view of our sockets, count open fds.
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { readProcSnapshot } from '../../src/procnet/reader.js';
import { TCP_STATES } from '../../src/procnet/tcp-states.js';

/** Addresses to add to lo (e.g. '10.0.0.1/32', 'fd00::1/128') and sysctls (net.ipv4.x -> value). */
export function setupNetns(addrs: readonly string[], sysctls: Readonly<Record<string, string>> = {}): void {
  // The test process passes its own namespace; a worker started without unshare -n stops here.
  const parent = process.env.PORTSPACE_PARENT_NETNS;
  if (!parent || readlinkSync('/proc/self/ns/net') === parent)
    throw new Error('refusing to run: not in a private network namespace (start it through inNetns)');
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  for (const a of addrs)
    execFileSync('ip', ['addr', 'add', a, 'dev', 'lo', ...(a.includes(':') ? ['nodad'] : [])]);
  for (const [k, v] of Object.entries(sysctls)) writeFileSync(`/proc/sys/${k.replaceAll('.', '/')}`, v);
}

/** The kernel's sockets whose local address is one of `sources` (no listeners): `local -> remote STATE`. */
export function kernelView(sources: readonly string[], ports?: readonly [number, number]): string[] {
  const snap = readProcSnapshot('/proc', { files: ['tcp', 'tcp6'] });
  const t = snap.tcp;
  const want = new Set(sources);
  const out: string[] = [];
  for (let i = 0; i < t.count; i++) {
    const state = TCP_STATES[t.state[i] ?? 0] ?? '?';
    if (state === 'LISTEN') continue;
    const l = snap.addrs.info(t.laddr[i] ?? 0);
    if (!want.has(l.text)) continue;
    const lp = t.lport[i] ?? 0;
    if (ports && (lp < ports[0] || lp > ports[1])) continue;
    out.push(
      `${snap.addrs.endpoint(t.laddr[i] ?? 0, t.lport[i] ?? 0)} -> ${snap.addrs.endpoint(t.raddr[i] ?? 0, t.rport[i] ?? 0)} ${state}`,
    );
  }
  return out.sort();
}

/** Waits (bounded) until the kernel's view equals `expected()`; returns both for the assertion. */
export async function settle(
  sources: readonly string[],
  expected: () => string[],
  ports?: readonly [number, number],
  ms = 3000,
): Promise<{ kernel: string[]; model: string[] }> {
  const until = Date.now() + ms;
  for (;;) {
    const kernel = kernelView(sources, ports);
    const model = expected();
    if (JSON.stringify(kernel) === JSON.stringify(model) || Date.now() > until) return { kernel, model };
    await sleep(50);
  }
}

export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A seeded [0, 1) generator (mulberry32): fixed seeds keep the runs reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function emit(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
