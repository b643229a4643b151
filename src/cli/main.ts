#!/usr/bin/env node
/**
 * The portspace process entry (the package bin): runs cli.ts's main on process.argv and sets the
 * exit code. Everything else (commands, errors, --json) is in cli.ts, which loads each command
 * only when it runs.
 */
import { main } from './cli.js';

// `node dist/cli/main.js`, `tsx src/cli/main.ts` and the npm bin link all run this file directly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // `portspace run ... | head`: the reader went away; stop quietly.
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
