/**
 * Test helper: a test that runs on a fresh KernelBackend (fresh namespaces made by the helper)
 * and always closes it; skipped with the printed reason where kernel runs are impossible (not
 * root, no unshare, ...).
 */
import { test } from 'node:test';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { KernelBackend, type KernelBackendOptions } from '../../src/kernel/kernel-backend.js';

export const availability = await kernelAvailability();

export function kernelTest(
  name: string,
  fn: (k: KernelBackend) => Promise<void>,
  o: { readonly timeout?: number; readonly backend?: KernelBackendOptions } = {},
): void {
  test(name, { timeout: o.timeout ?? 20_000 }, async (t) => {
    if (!availability.ok) {
      t.skip(availability.reason);
      return;
    }
    const k = await KernelBackend.start(o.backend);
    try {
      await fn(k);
    } finally {
      await k.close();
    }
  });
}
