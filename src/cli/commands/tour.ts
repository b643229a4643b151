/**
 * `portspace tour [--full] [--profile P] [--claim ID]... [--no-kernel] [--json]`: the main job.
 * Every claim of the 2014 "Bind before connect" article, run as scripts (examples/article/) on
 * the model and, where the machine allows, on the kernel in private namespaces, shown side by
 * side with the article's kernel (the model's linux-4.1 profile). Exit 0 when model and kernel
 * agree on every claim, 1 otherwise.
 */
import { kernelAvailability } from '../../kernel/availability.js';
import { PROFILES } from '../../model/index.js';
import { articleClaims, CLAIM_IDS, type Claim, type ClaimResult, runTour } from '../../tour/index.js';
import { type Command, parseCommandArgs, profileOption, refuseArguments } from '../common.js';
import { EXIT, usageError } from '../errors.js';
import { Progress } from '../progress.js';
import { renderTour } from '../tour-render.js';

const HELP = `usage: portspace tour [--full] [--profile linux-6.18|linux-4.1] [--claim ID]... [--no-kernel] [--json]

Checks each claim of the 2014 article "Bind before connect" on Linux 6.18: the scripts in
examples/article/ run on the model and, as root with unshare, on this kernel in private network
namespaces (model and kernel compared call by call). Each claim shows what the article says, what
the kernel did, what the model did, what the article's kernel did (the model's linux-4.1 profile),
and why.

options:
  --full            full-scale A2 and A3 (28,232 and 64,512 connections; about 4 minutes on the
                    kernel, see README)
  --profile P       the model profile compared with the kernel: ${PROFILES.join(' or ')} (default linux-6.18)
  --claim ID        only this claim (repeatable): ${CLAIM_IDS.join(', ')}
  --no-kernel       model only, even where the kernel could run
  --json            {"claims": [{"id", "claim", "article", "kernel", "model", "linux41", "agree", ...}]}
  -h, --help        this text

exit codes: 0 model and kernel agree on every claim (without the kernel: the model does what every
script expects), 1 they do not, 2 bad input`;

const SEED = 1;

export const tourCommand: Command = {
  name: 'tour',
  summary: "the main job: the 2014 article's claims on the kernel, the model and the article-era model",
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('tour', argv, {
      full: { type: 'boolean', default: false },
      profile: { type: 'string' },
      claim: { type: 'string', multiple: true },
      'no-kernel': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    refuseArguments('tour', positionals, 'file arguments');
    const profile = profileOption('tour', values.profile);
    // Claim ids are matched without regard to case: `--claim a6` means A6.
    const only = (values.claim ?? []).map(
      (id) => CLAIM_IDS.find((c) => c.toLowerCase() === id.toLowerCase()) ?? id,
    );
    const unknown = only.filter((c) => !CLAIM_IDS.includes(c));
    if (unknown.length > 0)
      throw usageError(`unknown claim ${unknown.join(', ')}; the claims are ${CLAIM_IDS.join(', ')}.`);

    const claims = articleClaims({ full: values.full, only });
    let kernelReason: string | null = 'skipped with --no-kernel';
    if (!values['no-kernel']) {
      const a = await kernelAvailability();
      kernelReason = a.ok ? null : a.reason;
    }
    const progress = new Progress({
      stream: out.stderr,
      total: claims.length,
      label: 'tour',
      paint: out.paintErr,
      enabled: !values.json && out.stderr.isTTY === true,
    });
    let results: ClaimResult[];
    try {
      results = await runTour(claims, {
        profile,
        kernelUnavailable: kernelReason,
        seed: SEED,
        budgetMs: values.full ? 600_000 : 60_000,
        onClaim: (c: Claim, i: number) => progress.update(i, `${c.id} ${c.claim}`),
      });
    } finally {
      progress.stop();
    }
    const ok = results.every((r) => r.agree);
    if (values.json) {
      out.json({
        ok,
        profile,
        full: values.full,
        kernel: kernelReason === null ? { available: true } : { available: false, reason: kernelReason },
        claims: results,
      });
    } else renderTour(results, { profile, kernelReason, full: values.full }, out);
    return ok ? EXIT.ok : EXIT.failed;
  },
};
