/**
 * The tour as text: one block per claim (what the article says, what the kernel, the model and
 * the article-era model did, and why), then the table of verdicts and agreement. Colour comes
 * from Output.paint (only on a terminal, never with NO_COLOR).
 */
import type { Profile } from '../model/index.js';
import type { Verdict } from '../tour/claims.js';
import type { ClaimResult } from '../tour/run-tour.js';
import { plural } from './args.js';
import type { Output, Style } from './output.js';

const VERDICT: Readonly<Record<Verdict, { text: string; style: Style }>> = {
  holds: { text: 'still holds', style: 'green' },
  partly: { text: 'holds only in part', style: 'yellow' },
  outdated: { text: 'no longer holds', style: 'red' },
  false: { text: 'does not hold', style: 'red' },
};

export function verdictText(v: Verdict): string {
  return VERDICT[v].text;
}

function short(p: Profile): string {
  return p.replace('linux-', '');
}

export function renderTour(
  results: readonly ClaimResult[],
  ctx: { readonly profile: Profile; readonly kernelReason: string | null; readonly full: boolean },
  out: Output,
): void {
  const p = out.paint;
  const kernelLabel = 'kernel 6.18';
  const modelLabel = `model ${short(ctx.profile)}`;
  const labels = ['article', kernelLabel, modelLabel, 'model 4.1', 'why'];
  const width = Math.max(...labels.map((l) => l.length)) + 1;
  const row = (label: string, text: string) => out.line(`    ${p('dim', `${label}:`.padEnd(width))} ${text}`);
  out.line(
    p('bold', `The claims of "Bind before connect" (2014) on Linux 6.18${ctx.full ? ' (full scale)' : ''}`),
  );
  out.line(
    p(
      'dim',
      `kernel: ${ctx.kernelReason === null ? 'this machine, in private network namespaces' : `not run (${ctx.kernelReason})`}; model: profile ${ctx.profile}; model 4.1: the article's kernel (--profile linux-4.1)`,
    ),
  );
  for (const r of results) {
    const v = VERDICT[r.verdict];
    out.line();
    out.line(`${p('bold', r.id.padEnd(4))} ${p('bold', r.claim)}: ${p(v.style, `${v.text} on 6.18`)}`);
    row('article', r.article);
    row(kernelLabel, r.kernel ?? p('dim', '(not run)'));
    row(modelLabel, r.agree ? r.model : p('red', r.model));
    row('model 4.1', r.linux41);
    row('why', r.why);
    for (const n of r.notes) out.line(`    ${p('red', '!')} ${n}`);
  }
  out.line();
  const idW = Math.max(2, ...results.map((r) => r.id.length));
  const claimW = Math.max(5, ...results.map((r) => r.claim.length));
  const verdictW = Math.max(...Object.values(VERDICT).map((v) => v.text.length));
  const agreeHead = ctx.kernelReason === null ? `kernel = model ${short(ctx.profile)}` : 'model as expected';
  out.line(
    p('bold', `${'id'.padEnd(idW)}  ${'claim'.padEnd(claimW)}  ${'on 6.18'.padEnd(verdictW)}  ${agreeHead}`),
  );
  for (const r of results) {
    const v = VERDICT[r.verdict];
    const agree = r.agree ? p('green', 'yes') : p('red', 'NO');
    out.line(
      `${r.id.padEnd(idW)}  ${r.claim.padEnd(claimW)}  ${p(v.style, v.text.padEnd(verdictW))}  ${agree}`,
    );
  }
  const bad = results.filter((r) => !r.agree).length;
  const n = results.length;
  // "all 1 claims" reads wrong: one claim is "the claim", several are "all N claims".
  const all = n === 1 ? 'the claim' : `all ${n} claims`;
  out.line();
  if (ctx.kernelReason === null) {
    out.line(
      bad === 0
        ? p('green', `model ${short(ctx.profile)} and the kernel agree on ${all}`)
        : p('red', `model ${short(ctx.profile)} and the kernel disagree on ${bad} of ${plural(n, 'claim')}`),
    );
  } else {
    out.line(
      `${bad === 0 ? p('green', `the model does what ${n === 1 ? "the claim's script expects" : `all ${n} claims' scripts expect`}`) : p('red', `the model fails the scripts of ${plural(bad, 'claim')}`)}; the kernel was not run: ${ctx.kernelReason}`,
    );
  }
}
