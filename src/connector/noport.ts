/**
 * The optional no-port addon (native/noport, built from source on install by
 * scripts/build-noport.mjs): a socket with IP_BIND_ADDRESS_NO_PORT bound to a source address
 * (R22), returned as a descriptor. Loaded once, lazily; when it is missing the reason says why
 * and what to run, and the connector falls back to the userspace strategy.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface NoPortAddon {
  bindNoPort(address: string): number;
}

let loaded: NoPortAddon | { reason: string } | undefined;

/** The addon, or why it is not there. Same path from src/connector and dist/connector. */
export function loadNoPort(): NoPortAddon | { reason: string } {
  if (loaded) return loaded;
  const path = new URL('../../native/noport/build/Release/noport.node', import.meta.url).pathname;
  if (process.platform !== 'linux')
    loaded = { reason: `IP_BIND_ADDRESS_NO_PORT is Linux only (${process.platform})` };
  else if (!existsSync(path))
    loaded = { reason: `the addon is not built (${path}); run: node scripts/build-noport.mjs` };
  else {
    try {
      loaded = createRequire(import.meta.url)(path) as NoPortAddon;
    } catch (e) {
      loaded = { reason: `the addon did not load: ${(e as Error).message}` };
    }
  }
  return loaded;
}
