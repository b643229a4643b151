/**
 * Runs every claim on the model (the chosen profile, and linux-4.1 for the article-era column)
 * and, where this machine can, on the kernel in private namespaces, and decides agreement:
 * with the linux-6.18 model it is the differential run (every call the same); with another
 * profile it is "same outcome": both sides held (or failed) the 6.18 expectations and said the
 * same thing. Without the kernel, a claim agrees when the model does what its scripts (written
 * from and checked against the kernel) expect.
 */
import type { Profile } from '../model/index.js';
import type { Claim, Verdict } from './claims.js';
import type { KernelObservation, MeasureOptions, Observation } from './measurement.js';

export interface ClaimResult {
  readonly id: string;
  readonly claim: string;
  readonly article: string;
  readonly verdict: Verdict;
  readonly why: string;
  /** What the kernel did; null when kernel runs are unavailable here (see kernelReason). */
  readonly kernel: string | null;
  readonly kernelReason?: string;
  /** What the model with the chosen profile did. */
  readonly model: string;
  /** What the model with the linux-4.1 profile did (the article's kernel). */
  readonly linux41: string;
  readonly agree: boolean;
  /** 'differential': model and kernel compared call by call; 'outcome': summaries compared; 'expectations': no kernel. */
  readonly agreeBasis: 'differential' | 'outcome' | 'expectations';
  /** Did the kernel and the model do what the scripts expect of 6.18? */
  readonly held: { readonly kernel: boolean | null; readonly model: boolean; readonly linux41: boolean };
  readonly measurements: readonly string[];
  readonly notes: readonly string[];
}

export interface TourOptions extends MeasureOptions {
  readonly profile: Profile;
  /** null: run the kernel side; a string: do not, for this reason. */
  readonly kernelUnavailable: string | null;
  /** Called before each claim runs (progress). */
  readonly onClaim?: (claim: Claim, index: number, total: number) => void;
}

const join = (obs: readonly Observation[]): string => obs.map((o) => o.summary).join('; ');

export async function runClaim(claim: Claim, opts: TourOptions): Promise<ClaimResult> {
  const model: Observation[] = [];
  const old: Observation[] = [];
  const kernel: KernelObservation[] = [];
  for (const m of claim.measurements) {
    const mine = await m.model(opts.profile, opts);
    model.push(mine);
    old.push(opts.profile === 'linux-4.1' ? mine : await m.model('linux-4.1', opts));
    if (opts.kernelUnavailable === null) kernel.push(await m.kernel(opts));
  }
  const hasKernel = opts.kernelUnavailable === null;
  const basis = !hasKernel ? 'expectations' : opts.profile === 'linux-6.18' ? 'differential' : 'outcome';
  let agree: boolean;
  if (basis === 'expectations') agree = model.every((o) => o.held);
  else if (basis === 'differential') agree = kernel.every((k) => k.agree);
  else agree = kernel.every((k, i) => k.held === model[i]?.held && k.summary === model[i]?.summary);
  const notes = [
    ...kernel.flatMap((k) => k.notes),
    ...model.flatMap((o) => o.notes.map((n) => `model ${opts.profile}: ${n}`)),
  ];
  return {
    id: claim.id,
    claim: claim.claim,
    article: claim.article,
    verdict: claim.verdict,
    why: claim.why,
    kernel: hasKernel ? join(kernel) : null,
    ...(hasKernel ? {} : { kernelReason: opts.kernelUnavailable ?? '' }),
    model: join(model),
    linux41: join(old),
    agree,
    agreeBasis: basis,
    held: {
      kernel: hasKernel ? kernel.every((k) => k.held) : null,
      model: model.every((o) => o.held),
      linux41: old.every((o) => o.held),
    },
    measurements: claim.measurements.map((m) => m.label),
    notes: [...new Set(notes)],
  };
}

export async function runTour(claims: readonly Claim[], opts: TourOptions): Promise<ClaimResult[]> {
  const out: ClaimResult[] = [];
  for (const [i, c] of claims.entries()) {
    opts.onClaim?.(c, i, claims.length);
    out.push(await runClaim(c, opts));
  }
  return out;
}
