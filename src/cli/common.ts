/**
 * What every command shares: the Command shape, option parsing (node:util parseArgs, strict, with
 * its errors turned into PORTSPACE_USAGE), reading and parsing script files (every parse error at
 * its file:line:col), and the kernel availability check.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Outcome } from '../calls/index.js';
import { kernelAvailability } from '../kernel/availability.js';
import { DEFAULT_PROFILE, isProfile, PROFILES, type Profile } from '../model/index.js';
import { canonicalAddr, endpointText } from '../script/addr.js';
import type { Script } from '../script/ast.js';
import { parseScript } from '../script/parse.js';
import { CliError, EXIT, usageError } from './errors.js';
import type { Output } from './output.js';

export interface Command {
  readonly name: string;
  /** One line for `portspace --help`. */
  readonly summary: string;
  /** The full `portspace NAME --help` text. */
  readonly help: string;
  /** Returns the exit code; throws CliError for user mistakes. */
  run(argv: readonly string[], out: Output): Promise<number>;
}

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

/** The `--profile` option of the model (run, explain, tour): a known profile, or PORTSPACE_USAGE. */
export function profileOption(command: string, v: string | undefined): Profile {
  if (v === undefined) return DEFAULT_PROFILE;
  if (!isProfile(v))
    throw usageError(
      `--profile must be ${PROFILES.join(' or ')}, got '${v}'. See 'portspace ${command} --help'.`,
    );
  return v;
}

/**
 * A file shipped with the package (docs/, examples/), as a hint names it: relative when the user
 * runs from the package's own folder (a clone), absolute otherwise (an installed copy lives in
 * node_modules/portspace/). The package root is two levels above src/cli/ and dist/cli/.
 */
export function packagePath(path: string): string {
  const abs = fileURLToPath(new URL(`../../${path}`, import.meta.url));
  const rel = relative(process.cwd(), abs);
  return rel.startsWith('..') || rel === '' ? abs : `${rel}${path.endsWith('/') ? '/' : ''}`;
}

function readScriptText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CliError(
        'PORTSPACE_FILE_NOT_FOUND',
        `cannot read '${file}': no such file. Check the path (scripts end in .pst; ${packagePath('docs/examples/')} has some).`,
        EXIT.usage,
        { file },
      );
    }
    const why = code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(e);
    throw new CliError(
      'PORTSPACE_FILE_UNREADABLE',
      `cannot read '${file}': ${why}. Give a readable .pst file.`,
      EXIT.usage,
      { file },
      { cause: e },
    );
  }
}

/**
 * Reads and parses every file before anything runs, so bad input never produces half a run.
 * All parse errors of all files are reported together.
 */
export function loadScripts(files: readonly string[]): Script[] {
  const scripts: Script[] = [];
  const errors: { file: string; line: number; col: number; message: string; text: string }[] = [];
  for (const file of files) {
    const r = parseScript(readScriptText(file), file);
    if (r.ok) scripts.push(r.script);
    else
      for (const e of r.errors)
        errors.push({ file: e.file, line: e.line, col: e.col, message: e.message, text: e.format() });
  }
  if (errors.length > 0) {
    const n = errors.length;
    throw new CliError(
      'PORTSPACE_SCRIPT_PARSE',
      `${errors.map((e) => e.text).join('\n')}\n${n} error${n === 1 ? '' : 's'}; fix the script${files.length === 1 ? '' : 's'} (${packagePath('docs/script-language.md')} describes the language).`,
      EXIT.usage,
      { errors: errors.map(({ text: _t, ...rest }) => rest) },
    );
  }
  return scripts;
}

/** Throws PORTSPACE_KERNEL_UNAVAILABLE with the reason when kernel runs cannot happen here. */
export async function requireKernel(what: string): Promise<void> {
  const a = await kernelAvailability();
  if (!a.ok) {
    throw new CliError(
      'PORTSPACE_KERNEL_UNAVAILABLE',
      `${what} needs the real kernel, which is unavailable here: ${a.reason}`,
      EXIT.unavailable,
      { reason: a.reason },
    );
  }
}

/** An outcome as a script writes it: `-1 EADDRINUSE`, `40000`, `127.0.0.1:40000`, `0` (accept: the peer). */
export function outcomeText(o: Outcome): string {
  if (!o.ok) return `-1 ${o.errno}`;
  if (o.member !== undefined) return o.member;
  const canon = (a: string) => canonicalAddr(a) ?? a;
  if (o.peer) return endpointText(canon(o.peer.addr), o.peer.port);
  if (o.port === undefined) return '0';
  if (o.addr === undefined) return String(o.port);
  return endpointText(canon(o.addr), o.port);
}

/** An Outcome for JSON: without the model's `detail` (explain reports it in its own shape). */
export function outcomeJson(o: Outcome | null): Outcome | null {
  if (o === null) return null;
  if (!o.ok) return { ok: false, errno: o.errno };
  const { ok, port, addr, peer, member } = o;
  return {
    ok,
    ...(member === undefined ? {} : { member }),
    ...(port === undefined ? {} : { port }),
    ...(addr === undefined ? {} : { addr }),
    ...(peer === undefined ? {} : { peer }),
  };
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
