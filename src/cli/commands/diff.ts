/**
 * `portspace diff FILE... | --random N [--seed S]`: model against kernel, call by call (the
 * differential runner of src/run/differential.ts and random-diff.ts). Replaces the temporary
 * the early scripts/diff.ts entry point and keeps its flags and its JSON. A progress bar runs on stderr when stderr is
 * a TTY; the summary names scripts, calls, agreements, divergences and the rules covered.
 *
 * Exit 0 no divergence (and, for files, no failed expectation, no harness error); 1 otherwise;
 * 2 bad input; 3 kernel unavailable (the JSON then has "kernel": null and the reason).
 */

import type { RandomDiffSummary } from '../../fuzz/random-diff.js';
import { kernelAvailability } from '../../kernel/availability.js';
import { formatKernelIdentity, kernelIdentity } from '../../kernel/identity.js';
import { KernelBackend } from '../../kernel/kernel-backend.js';
import { diffFiles, failedExpectations } from '../../run/diff-files.js';
import { type DiffModel, formatDivergence } from '../../run/differential.js';
import { ModelBackend } from '../../run/model-backend.js';
import { type Command, intOption, loadScripts, parseCommandArgs, plural } from '../common.js';
import { CliError, EXIT, errorJson, usageError } from '../errors.js';
import type { Output } from '../output.js';
import { Progress } from '../progress.js';

const HELP = `usage: portspace diff FILE... [--json]
       portspace diff --random N [--seed S] [--budget-ms MS] [--concurrency C]
                      [--no-shrink] [--no-write] [--json]

Runs scripts on a fresh model and a fresh kernel network namespace in lockstep and compares every
call. Where the kernel chooses at random, its port must be one the model allows, and the model
then follows it. The first divergence of a script ends that script and is shown with the model's
explanation. --random N generates N random scripts (seeded; default seed: today, YYYYMMDD),
shrinks the first divergence and writes it to a new temporary folder (the path is printed; copy
it into test/scripts/regressions/ to keep it). The summary names the kernel release and build
that judged (uname -r -v). CI runs fixed seeds only; a new seed is exploration you run by hand.

options:
  --random N         run N random scripts instead of files
  --seed S           seed of the random scripts (default: today's date as YYYYMMDD)
  --budget-ms MS     wall-clock budget of a random run (default 240000)
  --concurrency C    random scripts in flight at once (default 8)
  --no-shrink        do not shrink the first divergence
  --no-write         do not write the shrunk script anywhere
  --json             one JSON document on stdout (log lines go to stderr)
  -h, --help         this text

Needs the real kernel: root, unshare (util-linux), ip (iproute2) and a C compiler.

exit codes: 0 no divergence, 1 a divergence (or a failed expectation, or a harness error),
2 bad input, 3 kernel unavailable

examples:
  portspace diff docs/examples/*.pst
  portspace diff --random 2000 --seed 7 --json`;

/** Counts scripts finished by the differential runner: it closes its model once per script. */
function countingModel(onClose: () => void): () => DiffModel {
  return () => {
    const m = new ModelBackend();
    return {
      ns: m.ns,
      outcomesFor: (call) => m.outcomesFor(call),
      makesChoice: (call) => m.makesChoice(call),
      isPossible: (call, result) => m.isPossible(call, result),
      execSync: (call, opts) => m.execSync(call, opts),
      close: async () => {
        await m.close();
        onClose();
      },
    };
  };
}

/**
 * The random-script generator (src/fuzz/) is loaded only here: it needs fast-check, a
 * development dependency that an installed copy of portspace may not have (README: dependencies).
 */
async function loadRandomDiff(): Promise<typeof import('../../fuzz/random-diff.js')> {
  try {
    return await import('../../fuzz/random-diff.js');
  } catch (e) {
    const missing =
      (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /fast-check/.test(String(e));
    if (!missing) throw e;
    throw new CliError(
      'PORTSPACE_DEPENDENCY_MISSING',
      "diff --random generates scripts with fast-check, which is not installed here (it is a development dependency of portspace). Install it next to portspace: 'npm install fast-check@4', or run from a clone of the repository after 'npm ci'.",
      EXIT.unavailable,
      { dependency: 'fast-check' },
      { cause: e },
    );
  }
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'compare the model with the real kernel, call by call (files or --random N)',
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('diff', argv, {
      random: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      'budget-ms': { type: 'string' },
      concurrency: { type: 'string' },
      'no-shrink': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
    });
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    const count = intOption('diff', 'random', values.random, 1);
    const seed = intOption('diff', 'seed', values.seed);
    const budgetMs = intOption('diff', 'budget-ms', values['budget-ms'], 1);
    const concurrency = intOption('diff', 'concurrency', values.concurrency, 1);
    if (count === undefined && positionals.length === 0)
      throw usageError("give script files or --random N. See 'portspace diff --help'.");
    if (count !== undefined && positionals.length > 0)
      throw usageError('give either --random N or script files, not both.');
    if (count === undefined) {
      for (const [flag, v] of [
        ['--seed', values.seed],
        ['--budget-ms', values['budget-ms']],
        ['--concurrency', values.concurrency],
      ] as const)
        if (v !== undefined) throw usageError(`${flag} only applies to --random N.`);
    }
    const scripts = count === undefined ? loadScripts(positionals) : [];
    const fuzz = count === undefined ? null : await loadRandomDiff();

    const json = values.json === true;
    /** Log lines: stdout for people, stderr when stdout carries JSON. */
    const say = (s: string) => (json ? out.err(s) : out.line(s));

    const availability = await kernelAvailability();
    if (!availability.ok) {
      const e = new CliError(
        'PORTSPACE_KERNEL_UNAVAILABLE',
        `diff needs the real kernel, which is unavailable here: ${availability.reason}`,
        EXIT.unavailable,
        { reason: availability.reason },
      );
      if (json) {
        // scripts/diff.ts's shape ("kernel": null and the reason), plus the error object.
        out.json({
          kernel: null,
          reason: availability.reason,
          scripts: 0,
          calls: 0,
          divergences: 0,
          rulesCovered: [],
          firstDivergence: null,
          ...errorJson(e),
        });
        return e.exitCode;
      }
      throw e;
    }

    const makeKernel = () => KernelBackend.start({ acceptWaitMs: 20 });
    const judge = kernelIdentity();
    const judgeLine = `kernel: ${formatKernelIdentity(judge)}`;
    if (count !== undefined && fuzz !== null) {
      const theSeed = seed ?? fuzz.dateSeed();
      let done = 0;
      const progress = new Progress({
        stream: out.stderr,
        total: count,
        label: `diff seed ${theSeed}`,
        paint: out.paintErr,
      });
      let shrinking = false;
      const s: RandomDiffSummary = await fuzz.randomDiff({
        makeModel: countingModel(() => {
          done++;
          if (!shrinking) progress.update(done);
        }),
        makeKernel,
        count,
        seed: theSeed,
        ...(budgetMs === undefined ? {} : { budgetMs }),
        ...(concurrency === undefined ? {} : { concurrency }),
        shrink: !values['no-shrink'],
        judgedBy: formatKernelIdentity(judge),
        ...(values['no-write'] ? { regressionsDir: null } : {}),
        log: (line) => {
          if (/ diverged:/.test(line) && !values['no-shrink']) {
            shrinking = true;
            progress.update(done, 'shrinking the first divergence');
          }
          if (progress.active) progress.log(line);
          else say(line);
        },
      });
      progress.stop();
      if (json) {
        out.json({
          kernel: 'linux',
          kernelRelease: judge.release,
          kernelBuild: judge.build,
          seed: s.seed,
          scripts: s.scripts,
          calls: s.calls,
          agreements: s.calls - s.divergences,
          divergences: s.divergences,
          errors: s.errors,
          rulesCovered: s.rulesCovered,
          rulesMissing: s.rulesMissing,
          firstDivergence: s.firstDivergence,
          firstError: s.firstError,
          ms: s.ms,
          scriptsPerSecond: Number(s.scriptsPerSecond.toFixed(2)),
          budgetExhausted: s.budgetExhausted,
        });
      } else {
        if (s.firstDivergence) say(s.firstDivergence.report);
        if (s.firstDivergence?.file) say(`shrunk script written to ${s.firstDivergence.file}`);
        if (s.firstError) say(`first harness error: ${s.firstError}`);
        say(
          `seed ${s.seed}: ${plural(s.scripts, 'script')}, ${plural(s.calls, 'call')}, ${plural(s.calls - s.divergences, 'agreement')}, ${plural(s.divergences, 'divergence')}, ${plural(s.errors, 'error')}, ${(s.ms / 1000).toFixed(1)} s (${s.scriptsPerSecond.toFixed(1)} scripts/s)${s.budgetExhausted ? ', stopped by the time budget' : ''}`,
        );
        say(`rules covered (${s.rulesCovered.length}): ${s.rulesCovered.join(' ')}`);
        if (s.rulesMissing.length > 0) say(`TCP rules not hit: ${s.rulesMissing.join(' ')}`);
        say(judgeLine);
        say(verdict(out, s.divergences === 0 && s.errors === 0, s.divergences));
      }
      return s.divergences > 0 || s.errors > 0 ? EXIT.failed : EXIT.ok;
    }

    const progress = new Progress({
      stream: out.stderr,
      total: scripts.length,
      label: 'diff',
      paint: out.paintErr,
      // One script is quick: a bar is for long runs.
      enabled: out.stderr.isTTY === true && scripts.length > 1,
    });
    const sum = await diffFiles(
      scripts,
      { makeModel: () => new ModelBackend(), makeKernel },
      {
        starting: (script, i) => progress.update(i, `diff ${script.file}`),
        done: (r, n) => {
          if (!json) {
            const f = failedExpectations(r);
            const p = out.paint;
            const mark = r.divergence
              ? p('red', 'DIVERGED')
              : r.error
                ? p('red', 'ERROR')
                : f > 0
                  ? p('yellow', 'FAIL')
                  : p('green', 'ok');
            const lines = [
              `${mark}  ${r.file}: ${plural(r.calls, 'call')}, ${plural(r.agreements, 'agreement')}, ${r.ms} ms`,
            ];
            if (r.divergence) lines.push(formatDivergence(r.divergence));
            if (r.error) lines.push(`  ${r.error}`);
            for (const m of r.failures.kernel) lines.push(`  kernel: ${m}`);
            for (const m of r.failures.model) lines.push(`  model: ${m}`);
            for (const l of lines) {
              if (progress.active) progress.log(l);
              else out.line(l);
            }
          }
          progress.update(n);
        },
      },
    );
    progress.stop();
    const { calls, agreements, divergences, failures, errors } = sum;
    if (json) {
      const { reports, ...totals } = sum;
      out.json({
        kernel: 'linux',
        kernelRelease: judge.release,
        kernelBuild: judge.build,
        ...totals,
        reports: reports.map((r) => ({
          file: r.file,
          calls: r.calls,
          agreements: r.agreements,
          divergences: r.divergences,
          failures: r.failures,
          error: r.error,
          rulesCovered: r.rulesCovered,
          ms: r.ms,
        })),
      });
    } else {
      out.line(
        `${plural(scripts.length, 'script')}, ${plural(calls, 'call')}, ${plural(agreements, 'agreement')}, ${plural(divergences, 'divergence')}, ${plural(failures, 'failed expectation')}, ${plural(errors, 'error')}`,
      );
      out.line(`rules covered (${sum.rulesCovered.length}): ${sum.rulesCovered.join(' ')}`);
      out.line(judgeLine);
      out.line(verdict(out, divergences === 0 && errors === 0 && failures === 0, divergences));
    }
    return divergences > 0 || errors > 0 || failures > 0 ? EXIT.failed : EXIT.ok;
  },
};

function verdict(out: Output, ok: boolean, divergences: number): string {
  if (ok) return out.paint('green', 'model and kernel agree');
  return divergences > 0
    ? out.paint('red', `model and kernel diverge (${plural(divergences, 'divergence')})`)
    : out.paint('red', 'no divergence, but the run had failures or errors');
}
