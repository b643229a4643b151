/**
 * Option parsing every command shares: node:util parseArgs, strict, with its errors turned into
 * PORTSPACE_USAGE; integer options; plurals. Kept apart from common.ts (scripts, kernel) so a
 * command that needs only this (doctor) loads little.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { usageError } from './errors.js';

/**
 * Runs a node:util parseArgs call (strict, positionals allowed, `help` among the options) and
 * turns its errors (unknown option, missing value) into PORTSPACE_USAGE with a pointer to the
 * command's help. Each command calls parseArgs itself so its option types stay precise.
 */
export function parseOptions<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    const raw = e instanceof Error ? e.message : String(e);
    // parseArgs refuses a value that starts with '-' after a space ("--rate -1"): it cannot tell
    // a negative number from a forgotten value followed by another option. Say both, and how.
    const ambiguous = /^Option '(-[^' ]+)(?: <value>)?' argument is ambiguous/.exec(raw);
    if (ambiguous) {
      const opt = ambiguous[1] ?? '';
      // Node names the long form in its hint ("use '--rate=-XYZ'"), also for a short option.
      const long = /use '(--[^=' ]+)=/.exec(raw)?.[1] ?? opt;
      throw usageError(
        `${opt} needs a value; a negative number is not allowed here (write ${long}=VALUE to pass a value that starts with '-'). See 'portspace ${command} --help'.`,
      );
    }
    // Node's text is long ("... To specify a positional argument starting with a '-' ..."): keep the first sentence.
    const first = raw.split(/\.\s/)[0]?.replace(/\.$/, '') ?? raw;
    const lower = first.charAt(0).toLowerCase() + first.slice(1);
    throw usageError(`${lower}. See 'portspace ${command} --help'.`);
  }
}

/** The `--help/-h` option every command has. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

/**
 * A command's argv parsed the way every command parses it: node:util parseArgs, strict,
 * positionals allowed, `--help/-h` added, errors turned into PORTSPACE_USAGE (parseOptions).
 * `const O` keeps the option literals, so `values` is precisely typed per command.
 */
type CommandArgsConfig<O> = {
  args: string[];
  allowPositionals: true;
  strict: true;
  options: typeof HELP_OPTION & O;
};

export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: readonly string[],
  options: O,
): ReturnType<typeof parseArgs<CommandArgsConfig<O>>> {
  return parseOptions(command, () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { ...HELP_OPTION, ...options },
    }),
  );
}

/** Refuses arguments to a command that takes options only (`what`: 'arguments', 'file arguments'). */
export function refuseArguments(command: string, positionals: readonly string[], what = 'arguments'): void {
  if (positionals.length > 0)
    throw usageError(
      `${command} takes no ${what}, got '${positionals.join(' ')}'. See 'portspace ${command} --help'.`,
    );
}

/** A non-negative integer option, or undefined when absent. */
export function intOption(command: string, name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw usageError(
      `--${name} must be an integer${min > 0 ? ` >= ${min}` : ' >= 0'}, got '${v}'. See 'portspace ${command} --help'.`,
    );
  }
  return Number(v);
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
