/**
 * Where the worker entry files are, and how to start Node on them: the same way this process was
 * started. From dist/ (the installed package) the files are .js and Node needs no flags; under
 * tsx (tests, `npx tsx src/cli/main.ts`) they are .ts and the child needs tsx's loader flags,
 * which are in process.execArgv. The test runner's own flags (--test...) are not passed on.
 */
import { fileURLToPath } from 'node:url';

const SELF_IS_TS = import.meta.url.endsWith('.ts');

/** The absolute path of a sibling entry file, e.g. entryFile('client-worker'). */
export function entryFile(name: 'client-worker' | 'server-worker' | 'netns-primary'): string {
  return fileURLToPath(new URL(`./${name}${SELF_IS_TS ? '.ts' : '.js'}`, import.meta.url));
}

/** Node flags for a child that runs an entry file (tsx's loader when we run under it). */
export function childExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--test') && !a.startsWith('--inspect'));
}
