#!/usr/bin/env node
/**
 * The portspace command (composition root: the only place that wires adapters to the model).
 * argv -> command -> exit code. User mistakes are CliErrors: a message and a PORTSPACE_* code,
 * no stack trace (with --json, one {"error": {...}} document on stdout). Anything else is a bug
 * and is printed with its stack.
 */
import { readFileSync } from 'node:fs';
import { diffCommand } from './commands/diff.js';
import { doctorCommand } from './commands/doctor.js';
import { explainCommand } from './commands/explain.js';
import { loadCommand } from './commands/load.js';
import { planCommand } from './commands/plan.js';
import { runCommand } from './commands/run.js';
import { spreadCommand } from './commands/spread.js';
import { tourCommand } from './commands/tour.js';
import { webCommand } from './commands/web.js';
import type { Command } from './common.js';
import { runDemo } from './demo.js';
import { CliError, EXIT, errorJson } from './errors.js';
import { Output } from './output.js';

const demoCommand: Command = {
  name: 'demo',
  summary: 'a short tour of the model: per-destination port reuse, bind-before-connect, TIME_WAIT',
  help: `usage: portspace demo

A short tour of the model: per-destination port reuse, bind-before-connect, TIME_WAIT.`,
  async run(argv, out) {
    if (argv.includes('--help') || argv.includes('-h')) {
      out.line(this.help);
      return EXIT.ok;
    }
    if (argv.length > 0)
      throw new CliError('PORTSPACE_USAGE', `demo takes no arguments, got '${argv.join(' ')}'.`, EXIT.usage);
    runDemo((line) => out.line(line));
    return EXIT.ok;
  },
};

const COMMANDS: readonly Command[] = [
  tourCommand,
  runCommand,
  explainCommand,
  diffCommand,
  planCommand,
  spreadCommand,
  doctorCommand,
  loadCommand,
  webCommand,
  demoCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: portspace <command> [options]

Linux 6.18 local port allocation, modelled and checked against the kernel.

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'help'.padEnd(width)}  this text ('portspace help COMMAND' or 'portspace COMMAND --help' for one command)

every command takes --json for machine-readable output.
exit codes: 0 ok, 1 an expectation failed or a divergence, 2 bad input, 3 kernel unavailable`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

/** Whether the user asked for JSON (errors then go out as JSON too). Options end at `--`. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

async function main(argv: readonly string[], out: Output = Output.fromProcess()): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    out.err(usage());
    return EXIT.usage;
  }
  if (cmd === '--help' || cmd === '-h') {
    out.line(usage());
    return EXIT.ok;
  }
  if (cmd === '--version' || cmd === '-V') {
    out.line(version());
    return EXIT.ok;
  }
  try {
    if (cmd === 'help') {
      const [topic] = rest;
      const c = COMMANDS.find((x) => x.name === topic);
      if (topic !== undefined && c === undefined)
        throw new CliError('PORTSPACE_USAGE', `unknown command '${topic}'.\n\n${usage()}`, EXIT.usage);
      out.line(c === undefined ? usage() : c.help);
      return EXIT.ok;
    }
    const command = COMMANDS.find((x) => x.name === cmd);
    if (command === undefined) {
      const hint = cmd.startsWith('-') ? `options come after the command` : `unknown command '${cmd}'`;
      throw new CliError('PORTSPACE_USAGE', `${hint}.\n\n${usage()}`, EXIT.usage, { command: cmd });
    }
    return await command.run(rest, out);
  } catch (e) {
    if (e instanceof CliError) {
      if (wantsJson(argv)) out.json(errorJson(e));
      else out.err(`portspace: ${e.message}`);
      return e.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    if (wantsJson(argv)) {
      out.json(
        errorJson(new CliError('PORTSPACE_INTERNAL', err.message, EXIT.internal, { stack: err.stack ?? '' })),
      );
    } else {
      out.err(
        `portspace: internal error (a bug in portspace; please report it with this output):\n${err.stack ?? err.message}`,
      );
    }
    return EXIT.internal;
  }
}

// `node dist/cli/main.js`, `tsx src/cli/main.ts` and the npm bin link all run this file directly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // `portspace run ... | head`: the reader went away; stop quietly.
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
