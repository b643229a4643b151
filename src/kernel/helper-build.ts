/**
 * Builds the native kernel helper (native/portspace-helper.c) into native/build/ when the binary
 * is missing or older than its source. Same flags as native/build.sh. Builds go to a temporary
 * name and are renamed into place, so parallel test processes never run a half-written binary.
 */
import { spawn } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernelError } from './errors.js';

/** native/ sits two levels above this file both in src/kernel/ and in dist/kernel/. */
const NATIVE_DIR = fileURLToPath(new URL('../../native/', import.meta.url));
export const HELPER_SOURCE = join(NATIVE_DIR, 'portspace-helper.c');
export const HELPER_BINARY = join(NATIVE_DIR, 'build', 'portspace-helper');
export const HELPER_CFLAGS = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11'] as const;
/** Set to a prebuilt helper to skip building (e.g. a read-only install). */
export const HELPER_ENV = 'PORTSPACE_KERNEL_HELPER';

const COMPILE_TIMEOUT_MS = 120_000;

interface RunResult {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs a command; null when the executable does not exist. */
function run(cmd: string, args: readonly string[]): Promise<RunResult | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: COMPILE_TIMEOUT_MS });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 64_000) stderr += d;
    });
    child.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(null) : reject(e)));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function mtimeMs(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}

function compilers(): string[] {
  const fromEnv = process.env.CC;
  return [...(fromEnv ? [fromEnv] : []), 'cc', 'gcc', 'clang'];
}

async function compile(): Promise<void> {
  await mkdir(join(NATIVE_DIR, 'build'), { recursive: true });
  const tmp = `${HELPER_BINARY}.tmp.${process.pid}`;
  const tried: string[] = [];
  for (const cc of compilers()) {
    tried.push(cc);
    const r = await run(cc, [...HELPER_CFLAGS, '-o', tmp, HELPER_SOURCE]);
    if (r === null) continue;
    if (r.code !== 0) {
      await rm(tmp, { force: true });
      throw new KernelError(
        'PORTSPACE_KERNEL_HELPER_BUILD',
        `compiling the kernel helper with ${cc} failed (exit ${r.code}); try native/build.sh to see the ` +
          `full output:\n${r.stderr.trim()}`,
      );
    }
    await rename(tmp, HELPER_BINARY);
    return;
  }
  throw new KernelError(
    'PORTSPACE_KERNEL_HELPER_BUILD',
    `no C compiler found (tried ${tried.join(', ')}); install one, e.g. \`apt-get install gcc\`, ` +
      `or set ${HELPER_ENV} to a prebuilt helper`,
  );
}

let pending: Promise<string> | null = null;

/** The path of an up-to-date helper binary, building it first when needed. */
export function ensureHelperBuilt(): Promise<string> {
  const prebuilt = process.env[HELPER_ENV];
  if (prebuilt) return Promise.resolve(prebuilt);
  // One build per process; a failed build is retried on the next call.
  pending ??= (async () => {
    const src = await mtimeMs(HELPER_SOURCE);
    if (src === null) {
      throw new KernelError('PORTSPACE_KERNEL_HELPER_BUILD', `helper source not found at ${HELPER_SOURCE}`);
    }
    const bin = await mtimeMs(HELPER_BINARY);
    if (bin === null || bin < src) await compile();
    return HELPER_BINARY;
  })().catch((e: unknown) => {
    pending = null;
    if (e instanceof KernelError) throw e;
    throw new KernelError(
      'PORTSPACE_KERNEL_HELPER_BUILD',
      `building the kernel helper failed: ${String(e)}`,
      {
        cause: e,
      },
    );
  });
  return pending;
}
