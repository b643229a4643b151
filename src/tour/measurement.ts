/**
 * How the tour measures a claim. A claim is backed by one or more Measurements: a script under
 * examples/article/ (ScriptMeasurement) or anything else that can observe the model and the
 * kernel (the interface is all the tour needs, so a measurement such as the SO_REUSEPORT spread
 * can be plugged in later). Each side yields an Observation: did it behave as Linux 6.18 should
 * (the script's expectations), and one short line saying what happened.
 */
import type { Profile } from '../model/index.js';

export interface Observation {
  /** Did this side do what the measurement expects of Linux 6.18? */
  readonly held: boolean;
  /** What happened, in one short line (a table cell). */
  readonly summary: string;
  /** Failed expectations, divergences, harness errors: why `held` or `agree` is false. */
  readonly notes: readonly string[];
}

export interface KernelObservation extends Observation {
  /** Did the linux-6.18 model agree with the kernel (call by call where the measurement can)? */
  readonly agree: boolean;
}

export interface MeasureOptions {
  /** Wall-clock budget of one loop, in ms. */
  readonly budgetMs: number;
  /** Seed of the model's randomness. */
  readonly seed: number;
}

export interface Measurement {
  /** Short name: the script's file name, or what is measured ("spread"). */
  readonly label: string;
  /** Runs on a fresh model with this profile. */
  model(profile: Profile, opts: MeasureOptions): Promise<Observation>;
  /** Runs on the kernel (in a private namespace) and compares with the linux-6.18 model. */
  kernel(opts: MeasureOptions): Promise<KernelObservation>;
}

/** A measurement that does not exist yet: it says so plainly on every side and agrees trivially. */
export function notMeasuredYet(label: string, why: string): Measurement {
  const obs: KernelObservation = {
    held: true,
    summary: `${label}: not measured yet (${why})`,
    notes: [],
    agree: true,
  };
  return {
    label,
    model: async () => obs,
    kernel: async () => obs,
  };
}
