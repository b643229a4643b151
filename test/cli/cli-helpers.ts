/**
 * Runs the BUILT portspace CLI (`node dist/cli/main.js`) as a user would. `ensureBuilt()` runs
 * the build first when dist is missing or older than any file under src/; test files run in
 * parallel processes, so the build takes a lock directory and the others wait for it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { kernelAvailability } from '../../src/kernel/availability.js';

export const root = new URL('../..', import.meta.url).pathname;
export const cliPath = join(root, 'dist', 'cli', 'main.js');
const lockDir = join(root, 'dist', '.cli-build.lock');

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

function fresh(): boolean {
  try {
    return statSync(cliPath).mtimeMs >= newest(join(root, 'src'));
  } catch {
    return false;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function ensureBuilt(): void {
  if (fresh()) return;
  const deadline = Date.now() + 180_000;
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // Another test file is building; a lock older than 3 minutes is left over from a crash.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 180_000)
          rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
      sleep(200);
    }
  }
  try {
    if (fresh()) return;
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/cli/main.js ...args` from the repository root; colour variables cleared unless given. */
export function cli(args: readonly string[], env: Record<string, string> = {}, timeout = 120_000): CliResult {
  const base = { ...process.env };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout,
    env: { ...base, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parses stdout as the one JSON document a `--json` command prints. */
export function json(r: CliResult): Record<string, unknown> {
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`stdout is not JSON (${String(e)}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

/** Whether a text holds an ANSI escape sequence. */
export const hasAnsi = (s: string): boolean => s.includes('\u001b[');

/** A user mistake: no stack trace in either stream. */
export function noStack(r: CliResult): boolean {
  return !/\n\s+at .+:\d+:\d+\)?/.test(r.stdout + r.stderr);
}

/** For a kernel part of a test: true where kernel runs can happen; else skips it, saying why. */
export async function kernelOr(t: { skip: (m: string) => void }): Promise<boolean> {
  const a = await kernelAvailability();
  if (!a.ok) {
    console.log(`# kernel part skipped: ${a.reason}`);
    t.skip(`kernel part skipped: ${a.reason}`);
  }
  return a.ok;
}
