/**
 * The real inputs the fuzzer starts from: every .pst under test/scripts, examples and
 * docs/examples, and every file of the /proc fixtures (test/fixtures/proc/<name>/net/*, sys/...).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Corpus {
  readonly scripts: readonly string[];
  /** /proc/net socket files' texts (with their family). */
  readonly procNet: readonly { readonly text: string; readonly family: 4 | 6 }[];
  /** Sysctl file texts by name. */
  readonly sysctls: readonly { readonly name: string; readonly text: string }[];
  /** Paths of .pst files and /proc copies, for the CLI target's arguments. */
  readonly scriptPaths: readonly string[];
  readonly procDirs: readonly string[];
}

function walk(dir: string, out: string[]): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

export function loadCorpus(root: string): Corpus {
  const scriptPaths = ['test/scripts', 'examples', 'docs/examples']
    .flatMap((d) => walk(join(root, d), []))
    .filter((p) => p.endsWith('.pst'));
  const procRoot = join(root, 'test/fixtures/proc');
  const procDirs = existsSync(procRoot)
    ? readdirSync(procRoot)
        .map((n) => join(procRoot, n))
        .filter((p) => statSync(p).isDirectory())
    : [];
  const procNet: { text: string; family: 4 | 6 }[] = [];
  const sysctls: { name: string; text: string }[] = [];
  for (const d of procDirs) {
    for (const p of walk(join(d, 'net'), []))
      procNet.push({ text: readFileSync(p, 'latin1'), family: p.endsWith('6') ? 6 : 4 });
    for (const p of walk(join(d, 'sys'), []))
      sysctls.push({ name: p.split('/').pop() ?? '', text: readFileSync(p, 'latin1') });
  }
  return {
    scripts: scriptPaths.map((p) => readFileSync(p, 'utf8')),
    procNet,
    sysctls,
    scriptPaths,
    procDirs,
  };
}
