/**
 * Test helper: the page's server on the fixtures, in this process: the captured /proc copy
 * (test/fixtures/proc/captured), the script test/web/fixtures/walk.pst, and a small plan.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { planConfig } from '../../src/cli/commands/plan-options.js';
import type { PlanConfig } from '../../src/planner/index.js';
import { readProcSnapshot } from '../../src/procnet/reader.js';
import { parseScript } from '../../src/script/parse.js';
import {
  LiveSource,
  planView,
  type SteppedScript,
  startWebServer,
  stepScript,
  type WebServer,
} from '../../src/web/index.js';

export const captured = new URL('../fixtures/proc/captured', import.meta.url).pathname;
export const walkScript = new URL('./fixtures/walk.pst', import.meta.url).pathname;

/** 50/s on a 1,000-port range, TIME_WAIT never recycled: the first failure at 1000 / 50 = 20 s (R14, R60). */
export const PLAN_ARGS = {
  from: ['10.0.0.1'],
  to: ['10.1.1.1:5432'],
  rate: '50',
  range: '40000-40999',
  'tw-reuse': '0',
  duration: '90',
} as const;

export interface FixtureServer {
  readonly server: WebServer;
  readonly stepped: SteppedScript;
  readonly plan: PlanConfig;
}

export async function loadWalk(): Promise<SteppedScript> {
  const parsed = parseScript(readFileSync(walkScript, 'utf8'), walkScript);
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.format()).join('\n'));
  return stepScript(parsed.script);
}

export async function fixtureServer(proc = captured, refreshMs = 60_000): Promise<FixtureServer> {
  const stepped = await loadWalk();
  const plan = planConfig({ ...PLAN_ARGS, from: [...PLAN_ARGS.from], to: [...PLAN_ARGS.to] });
  const server = await startWebServer({
    title: 'fixtures',
    refreshMs,
    sources: {
      live: new LiveSource({
        read: () => readProcSnapshot(proc),
        clock: () => performance.now(),
        minIntervalMs: 0,
      }),
      script: stepped,
      plan: planView(plan, false),
    },
  });
  return { server, stepped, plan };
}
