/**
 * What every command shares: the Command shape, option parsing (node:util parseArgs, strict, with
 * its errors turned into PORTSPACE_USAGE), reading and parsing script files (every parse error at
 * its file:line:col), and the kernel availability check.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Outcome } from '../calls/index.js';
import { kernelAvailability } from '../kernel/availability.js';
import { DEFAULT_PROFILE, isProfile, PROFILES, type Profile } from '../model/index.js';
import { canonicalAddr, endpointText } from '../script/addr.js';
import type { Script } from '../script/ast.js';
import { parseScript } from '../script/parse.js';
import { CliError, EXIT, usageError } from './errors.js';

export { HELP_OPTION, intOption, parseCommandArgs, parseOptions, plural, refuseArguments } from './args.js';
export type { Command } from './command.js';

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
