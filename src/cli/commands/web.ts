/**
 * `portspace web`: parses the arguments and wires the page's sources (the live host or a /proc
 * copy, a script, a plan) to the local HTTP server of src/web, prints the URL, and serves until
 * Ctrl-C (SIGINT) or SIGTERM.
 */
import { performance } from 'node:perf_hooks';
import { STRATEGIES } from '../../planner/index.js';
import { readProcSnapshot } from '../../procnet/reader.js';
import {
  LiveSource,
  planView,
  ScriptTooLongError,
  type SteppedScript,
  startWebServer,
  stepScript,
  WebError,
  type WebSources,
} from '../../web/index.js';
import { type Command, loadScripts, parseCommandArgs, profileOption } from '../common.js';
import { CliError, EXIT, usageError } from '../errors.js';
import { untilInterrupted } from '../interrupt.js';
import { readSnapshot } from './doctor.js';
import { checkSize, seedOption, WORKLOAD_FLAGS, WORKLOAD_OPTIONS, workloadConfig } from './plan-options.js';

const HELP = `usage: portspace web [FILE.pst] [--proc DIR] [--plan PLAN-OPTIONS] [--listen HOST:PORT]
                     [--allow-remote] [--interval SECONDS] [--profile P] [--json]

Serves a local page that shows the port space: per source address a grid of
ip_local_port_range coloured for a destination (free, in use, TIME_WAIT, used only towards other
destinations, blocked), headroom bars with the doctor's fixes, and a table view of the numbers.

views:
  live host           always: /proc (or --proc DIR), refreshed every --interval seconds
  FILE.pst            step through a script call by call and watch each port search walk the grid
  --plan              a capacity plan (the options of 'portspace plan': --from, --to, --rate,
                      --hold, --closer, --duration, --strategy, --compare, --arrivals, --range,
                      --reserved, --tw-reuse, --tw-reuse-delay, --max-tw-buckets, --seed):
                      ports in use and TIME_WAIT over time

options:
  --listen HOST:PORT  where to listen (default 127.0.0.1:0: loopback, any free port); the URL is
                      printed. A non-loopback address is refused unless --allow-remote is given
  --allow-remote      allow a non-loopback --listen address (anyone who can reach it sees the page)
  --proc DIR          read a copy of /proc instead of /proc (see 'portspace doctor --help')
  --interval S        live refresh period, 0.5 to 3600 seconds (default 2)
  --profile P         the model's kernel for scripts: linux-6.18 (default) or linux-4.1
  --json              print {"url": ...} as one JSON line instead of the sentence
  -h, --help          this text

The page loads nothing from elsewhere and works offline. Ctrl-C stops the server.
exit codes: 0 stopped by Ctrl-C or SIGTERM, 2 bad input (option, script, --proc, a refused
--listen address)

examples:
  portspace web
  portspace web docs/examples/r14-capacity-loop.pst
  portspace web --plan --from 10.0.0.1 --to 10.1.1.1:5432 --rate 500 --duration 180
  portspace web --proc ./captured-proc --listen 127.0.0.1:8080`;

function parseListen(v: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535)
    throw usageError(
      `--listen must be HOST:PORT (IPv6 as [ADDR]:PORT, PORT 0 for any free port), got '${v}'. See 'portspace web --help'.`,
    );
  return { host: m[1] ?? '', port };
}

function parseInterval(v: string | undefined): number {
  if (v === undefined) return 2000;
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= 0.5 && n <= 3600))
    throw usageError(`--interval must be a number of seconds from 0.5 to 3600, got '${v}'.`);
  return Math.round(n * 1000);
}

export const webCommand: Command = {
  name: 'web',
  summary: 'a local page that shows the port space: grids, headroom, a script step by step, a plan',
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('web', argv, {
      listen: { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      proc: { type: 'string' },
      interval: { type: 'string' },
      profile: { type: 'string' },
      json: { type: 'boolean', default: false },
      plan: { type: 'boolean', default: false },
      compare: { type: 'boolean', default: false },
      seed: { type: 'string' },
      ...WORKLOAD_OPTIONS,
    });
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    if (positionals.length > 1)
      throw usageError(
        `web takes at most one script file, got ${positionals.length}. See 'portspace web --help'.`,
      );
    const given = WORKLOAD_FLAGS.filter((f) => values[f] !== undefined);
    if (!values.plan && (given.length > 0 || values.compare))
      throw usageError(
        `--${given[0] ?? 'compare'} is a plan option: add --plan to show a plan. See 'portspace web --help'.`,
      );
    const profile = profileOption('web', values.profile);
    const refreshMs = parseInterval(values.interval);
    const listen = parseListen(values.listen ?? '127.0.0.1:0');
    const proc = values.proc ?? '/proc';
    readSnapshot(proc); // refuses a missing directory or one that is not a copy of /proc
    const sources: { -readonly [K in keyof WebSources]: WebSources[K] } = {
      live: new LiveSource({
        read: () => readProcSnapshot(proc),
        clock: () => performance.now(),
        minIntervalMs: Math.min(refreshMs / 2, 1000),
      }),
    };
    const titles = [values.proc === undefined ? 'live host /proc' : `live from ${proc}`];
    const [file] = positionals;
    if (file !== undefined) {
      const [script] = loadScripts([file]);
      if (script === undefined) throw usageError('no script given');
      let stepped: SteppedScript;
      try {
        stepped = await stepScript(script, profile);
      } catch (e) {
        if (e instanceof ScriptTooLongError) throw usageError(`${file}: ${e.message}.`);
        throw e;
      }
      sources.script = stepped;
      titles.push(`script ${file}`);
    }
    if (values.plan) {
      const cfg = workloadConfig(values, seedOption(values.seed));
      for (const s of values.compare ? STRATEGIES : [cfg.strategy])
        checkSize({ ...cfg, strategy: s }, 'fast');
      sources.plan = planView(cfg, values.compare);
      titles.push(`plan ${cfg.rate}/s from ${cfg.sources.join(',')}`);
    }
    let server: Awaited<ReturnType<typeof startWebServer>>;
    try {
      server = await startWebServer({
        host: listen.host,
        port: listen.port,
        allowRemote: values['allow-remote'],
        title: titles.join(' \u00b7 '),
        refreshMs,
        sources,
      });
    } catch (e) {
      if (e instanceof WebError)
        throw new CliError(
          e.code,
          e.message,
          EXIT.usage,
          { listen: values.listen ?? '127.0.0.1:0' },
          { cause: e },
        );
      throw e;
    }
    const stopped = untilInterrupted();
    if (values.json) out.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
    else
      out.line(
        `portspace web: serving ${server.url} (${titles.join('; ')})${values['allow-remote'] ? ' [remote access allowed]' : ''}; Ctrl-C stops`,
      );
    await stopped;
    await server.close();
    return EXIT.ok;
  },
};
