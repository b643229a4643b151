/**
 * The portspace command in-process: argv + Output -> exit code (main.ts is the process entry that
 * calls it; the fuzz harness and tests call it with a captured Output). User mistakes are
 * CliErrors: a message and a PORTSPACE_* code, no stack trace (with --json, one {"error": {...}}
 * document on stdout). Anything else is a bug and is printed with its stack.
 *
 * Commands are loaded only when run (dynamic import): `portspace doctor` loads the doctor and
 * /proc parsing, not the planner, the script runner or the kernel harness, so it starts fast.
 * The summaries live here so that `portspace --help` loads no command at all; a test checks that
 * each matches its command's own.
 */
import { readFileSync } from 'node:fs';
import { visibleLines } from '../script/escape.js';
import type { Command } from './command.js';
import { CliError, EXIT, errorJson } from './errors.js';
import { Output } from './output.js';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'tour',
    summary: "the main job: the 2014 article's claims on the kernel, the model and the article-era model",
    load: async () => (await import('./commands/tour.js')).tourCommand,
  },
  {
    name: 'run',
    summary: 'run scripts on the model or the kernel and check their expectations',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  {
    name: 'explain',
    summary: "run a script on the model and show the model's reasoning for every call",
    load: async () => (await import('./commands/explain.js')).explainCommand,
  },
  {
    name: 'diff',
    summary: 'compare the model with the real kernel, call by call (files or --random N)',
    load: async () => (await import('./commands/diff.js')).diffCommand,
  },
  {
    name: 'plan',
    summary: 'capacity and churn planning: when connects fail, how many ports and TIME_WAITs, advice',
    load: async () => (await import('./commands/plan.js')).planCommand,
  },
  {
    name: 'spread',
    summary: 'measure how a real SO_REUSEPORT group spreads flows (round-robin or hash?)',
    load: async () => (await import('./commands/spread.js')).spreadCommand,
  },
  {
    name: 'doctor',
    summary: 'headroom per (source, destination) before connect() fails with EADDRNOTAVAIL, with fixes',
    load: async () => (await import('./commands/doctor.js')).doctorCommand,
  },
  {
    name: 'load',
    summary:
      'open N connections to one destination per strategy (connector, bind, kernel), in a private namespace',
    load: async () => (await import('./commands/load.js')).loadCommand,
  },
  {
    name: 'web',
    summary: 'a local page that shows the port space: grids, headroom, a script step by step, a plan',
    load: async () => (await import('./commands/web.js')).webCommand,
  },
  {
    name: 'demo',
    summary: 'a short tour of the model: per-destination port reuse, bind-before-connect, TIME_WAIT',
    load: async () => (await import('./commands/demo.js')).demoCommand,
  },
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: portspace <command> [options]

Linux 6.18 local port allocation, modelled and checked against the kernel.

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'help'.padEnd(width)}  this text ('portspace help COMMAND' or 'portspace COMMAND --help' for one command)

every command takes --json for machine-readable output.
exit codes: 0 ok, 1 an expectation failed or a divergence, 2 bad input, 3 kernel unavailable`;
}

const HELP_HELP = `usage: portspace help [COMMAND]

Shows the list of commands, or one command's help (the same as 'portspace COMMAND --help').

examples:
  portspace help
  portspace help doctor`;

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

async function help(rest: readonly string[], out: Output): Promise<number> {
  const flags = rest.filter((a) => a.startsWith('-'));
  const words = rest.filter((a) => !a.startsWith('-'));
  if (flags.includes('--help') || flags.includes('-h')) {
    out.line(HELP_HELP);
    return EXIT.ok;
  }
  const unknown = flags.find((f) => f !== '--json');
  if (unknown !== undefined)
    throw new CliError(
      'PORTSPACE_USAGE',
      `help takes no option '${unknown}'. See 'portspace help --help'.`,
      EXIT.usage,
    );
  if (words.length > 1)
    throw new CliError(
      'PORTSPACE_USAGE',
      `help takes one command name, got '${words.join(' ')}'. See 'portspace help --help'.`,
      EXIT.usage,
    );
  const topic = words[0];
  const entry = COMMANDS.find((x) => x.name === topic);
  if (topic !== undefined && entry === undefined && topic !== 'help')
    throw new CliError('PORTSPACE_USAGE', `unknown command '${topic}'.\n\n${usage()}`, EXIT.usage);
  const text = topic === 'help' ? HELP_HELP : entry === undefined ? usage() : (await entry.load()).help;
  if (flags.includes('--json'))
    out.json({
      command: topic ?? null,
      help: text,
      commands: COMMANDS.map(({ name, summary }) => ({ name, summary })),
    });
  else out.line(text);
  return EXIT.ok;
}

export async function main(argv: readonly string[], out: Output = Output.fromProcess()): Promise<number> {
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
    if (cmd === 'help') return await help(rest, out);
    const entry = COMMANDS.find((x) => x.name === cmd);
    if (entry === undefined) {
      const hint = cmd.startsWith('-') ? `options come after the command` : `unknown command '${cmd}'`;
      throw new CliError('PORTSPACE_USAGE', `${hint}.\n\n${usage()}`, EXIT.usage, { command: cmd });
    }
    return await (await entry.load()).run(rest, out);
  } catch (e) {
    if (e instanceof CliError) {
      if (wantsJson(argv)) out.json(errorJson(e));
      // The message may quote user input (a file name, an argument): never raw control characters.
      else out.err(`portspace: ${visibleLines(e.message)}`);
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
