/**
 * `portspace doctor`: reads the host's (or a captured copy's) /proc socket tables and port
 * sysctls and answers "why did connect() fail with EADDRNOTAVAIL, and how close am I to it?"
 * per (source address, destination ip:port), the only measure that matters (spec R14): counts by
 * state, headroom, what connect() to a named destination would do now, warnings with fixes.
 * Output as a table, JSON, Prometheus text, a refreshing --watch view, or a /metrics endpoint.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
// Direct module imports, not doctor/index.js: the metrics server (node:http) loads only for --listen.
import type { MetricsServer } from '../../doctor/metrics-server.js';
import { toPrometheus } from '../../doctor/prometheus.js';
import { measureRates } from '../../doctor/rates.js';
import { buildReport, type DoctorReport } from '../../doctor/report.js';
import { fmt, plural } from '../../doctor/text.js';
import { parseAddr } from '../../model/index.js';
import { copyProblems, PROC_COPY_COMMANDS, type Snapshot } from '../../procnet/index.js';
import { ProcFileError, readProcSnapshot } from '../../procnet/reader.js';
import { visible } from '../../script/escape.js';
import { intOption, parseCommandArgs, refuseArguments } from '../args.js';
import type { Command } from '../command.js';
import { CliError, EXIT, usageError } from '../errors.js';
import { interruptSignal, untilInterrupted } from '../interrupt.js';
import type { Output } from '../output.js';

/** How to make a copy of /proc that --proc reads (shown in --help and in the error). */
const COPY_HINT =
  "copy /proc/net/{tcp,tcp6,udp,udp6} into DIR/net/ and the port sysctls of /proc/sys/net/ipv4/ into DIR/sys/net/ipv4/ (the commands are in 'portspace doctor --help')";

const HELP = `usage: portspace doctor [--proc DIR] [--to IP:PORT] [--json | --prometheus]
                        [--watch [SECONDS] [--count N]] [--listen HOST:PORT] [--top N]

Reads /proc/net/{tcp,tcp6,udp,udp6} and the port sysctls under /proc/sys/net/ipv4 and reports,
per source address and destination (ip:port), the connections by state, the TIME_WAIT entries,
and the headroom: how many more connect() calls succeed before EADDRNOTAVAIL (R14). The
tightest destinations come first; warnings carry the number behind them and fixes with the
connections each would give.

options:
  --proc DIR          read a captured copy instead of /proc (DIR/net/tcp, DIR/sys/net/ipv4/...);
                      at least DIR/net/tcp or DIR/net/tcp6 must exist. To make one:
                        mkdir -p DIR/net DIR/sys/net/ipv4
                        for f in tcp tcp6 udp udp6; do cat /proc/net/$f > DIR/net/$f; done
                        S=/proc/sys/net/ipv4; for f in ip_local_port_range ip_local_reserved_ports \\
                          ip_unprivileged_port_start tcp_tw_reuse tcp_tw_reuse_delay tcp_timestamps \\
                          tcp_max_tw_buckets; do cat $S/$f > DIR/sys/net/ipv4/$f; done
                      (not tar or cp -r: files under /proc report size 0 and are copied empty)
  --to IP:PORT        what connect() to this destination would do now, from each source address
  --json              one JSON document (with --watch: one per line)
  --prometheus        Prometheus text exposition format
  --listen HOST:PORT  serve the Prometheus text at http://HOST:PORT/metrics until Ctrl-C; one
                      reading of /proc serves all scrapes for 1 s (longer when reading is slow:
                      at most a fifth of a core), concurrent scrapes share it
  --watch [SECONDS]   refresh every SECONDS (0.1 to 3600, default 2; also --interval) with
                      TIME_WAIT and connection rates, --count N times (default: until Ctrl-C)
  --top N             destinations shown in the table (default 15; Prometheus: 1000)
  -h, --help          this text

exit codes: 0 report made, 1 --to predicts EADDRNOTAVAIL, 2 bad input (option, missing
--proc directory, one without net/tcp and net/tcp6, or a broken copy: size-0 files as tar
gives, files that are not /proc tables), 70 a bug

examples:
  portspace doctor
  portspace doctor --to 10.1.1.1:5432
  portspace doctor --proc ./captured-proc --json
  portspace doctor --listen 127.0.0.1:9464`;

/**
 * IP:PORT with PORT from `minPort` to 65535: a destination needs a real port (connect() to port 0
 * is refused), while --listen may take 0 (the system picks a free one).
 */
function parseEndpoint(opt: string, v: string, minPort: 0 | 1): { addr: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  const addr = m?.[1];
  const port = Number(m?.[2]);
  if (addr === undefined || parseAddr(addr) === null)
    throw usageError(
      `--${opt} must be IP:PORT (IPv6 as [ADDR]:PORT), got '${v}'. See 'portspace doctor --help'.`,
    );
  if (!Number.isInteger(port) || port < minPort || port > 65535)
    throw usageError(
      `--${opt} port must be ${minPort} to 65535${minPort === 0 ? ' (0: any free port)' : ''}, got ${m?.[2]} in '${v}'.`,
    );
  return { addr, port };
}

export function readSnapshot(proc: string): Snapshot {
  let isDir = false;
  try {
    isDir = statSync(proc).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new CliError(
      'PORTSPACE_FILE_NOT_FOUND',
      `cannot read '${proc}': no such directory. --proc takes a directory laid out like /proc (net/tcp, sys/net/ipv4/...).`,
      EXIT.usage,
      { proc },
    );
  // A directory without net/tcp and net/tcp6 is not a copy of /proc (a wrong path): reading it
  // would report an empty, healthy-looking host.
  if (!existsSync(join(proc, 'net', 'tcp')) && !existsSync(join(proc, 'net', 'tcp6')))
    throw new CliError(
      'PORTSPACE_PROC_UNREADABLE',
      `'${proc}' is not a copy of /proc: neither ${join(proc, 'net', 'tcp')} nor ${join(proc, 'net', 'tcp6')} exists. --proc takes a directory laid out like /proc: ${COPY_HINT}.`,
      EXIT.usage,
      { proc },
    );
  let snap: Snapshot;
  try {
    snap = readProcSnapshot(proc);
  } catch (e) {
    // ProcFileError names the file and the problem (a directory, permissions, ...).
    const what = e instanceof ProcFileError ? e.message : e instanceof Error ? e.message : String(e);
    const todo =
      e instanceof ProcFileError && (e.code === 'EACCES' || e.code === 'EPERM')
        ? 'Check the permissions (reading /proc/net needs no privilege; a copy must be readable by you).'
        : `--proc takes a directory laid out like /proc: ${COPY_HINT}.`;
    throw new CliError(
      'PORTSPACE_PROC_UNREADABLE',
      `cannot read the /proc copy '${proc}': ${what}. ${todo}`,
      EXIT.usage,
      { proc, ...(e instanceof ProcFileError ? { file: e.path, errno: e.code } : {}) },
      { cause: e },
    );
  }
  // A copy made by tar or cp -r (size-0 files) or of the wrong files would read as an empty,
  // healthy host: refuse it and say how to copy /proc.
  const problems = copyProblems(snap);
  if (problems.length > 0)
    throw new CliError(
      'PORTSPACE_PROC_UNREADABLE',
      `'${proc}' is not a usable copy of /proc: ${problems.join('; ')}. Copy each file with cat (files under /proc report size 0, so tar and cp -r copy them empty): ${PROC_COPY_COMMANDS}`,
      EXIT.usage,
      { proc, problems },
    );
  return snap;
}

function table(r: DoctorReport, out: Output, top: number, proc: string): string[] {
  const p = out.paint;
  const lines: string[] = [];
  lines.push(
    `${p('bold', 'portspace doctor')} ${proc}: ip_local_port_range ${r.range[0]}-${r.range[1]} (${fmt(r.rangeSize)} ports; ${fmt(r.reservedInRange)} reserved, ${fmt(r.listeningInRange)} listening, ${r.bindHeldGuess === null ? '0 bind-held' : `${fmt(r.bindHeldInRange)} guessed bind-held`}; ${fmt(r.candidatePorts)}${r.freshHeadroomMax > r.candidatePorts ? `-${fmt(r.freshHeadroomMax)}` : ''} candidates per destination), tcp_tw_reuse=${r.sysctls.twReuse}`,
  );
  const states = Object.entries(r.tcp.states)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
  lines.push(
    `tcp: ${plural(r.tcp.sockets, 'socket')}${states ? ` (${states})` : ''}, ${fmt(r.tcp.accepted)} accepted; udp: ${plural(r.udp.sockets, 'socket')} (${fmt(r.udp.connected)} connected); ${plural(r.destinations.length, 'destination')}`,
  );
  if (r.sources.length > 0)
    lines.push(
      `sources: ${r.sources
        .map(
          (s) =>
            `${s.source} (${plural(s.destinations, 'destination')}${s.bindHeld > 0 ? `, ${fmt(s.bindHeld)} bind-held?` : ''})`,
        )
        .join(', ')}`,
    );
  lines.push('');
  if (r.destinations.length === 0) {
    lines.push(
      `no outgoing connections; a new destination has ${fmt(r.freshHeadroom)} connections of headroom`,
    );
  } else {
    const guessed = r.bindHeldGuess !== null;
    const head = [
      'source',
      'destination',
      'ESTAB',
      'TIME_WAIT',
      'other',
      guessed ? 'bind-held?' : 'bind-held',
      'headroom',
    ];
    const rows = r.destinations.slice(0, top).map((d) => {
      const other = Object.values(d.states).reduce((a, b) => a + b, 0) - d.established - d.timeWait;
      const hr = d.headroomMax > d.headroom ? `${fmt(d.headroom)}-${fmt(d.headroomMax)}` : fmt(d.headroom);
      return [d.source, d.destination, fmt(d.established), fmt(d.timeWait), fmt(other), fmt(d.bindHeld), hr];
    });
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
    const cell = (row: string[]) =>
      row.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    lines.push(p('bold', cell(head)));
    r.destinations.slice(0, top).forEach((d, k) => {
      const text = cell(rows[k] ?? []);
      lines.push(d.headroom === 0 ? p('red', text) : d.headroomRatio < 0.1 ? p('yellow', text) : text);
    });
    if (r.destinations.length > top)
      lines.push(
        p('dim', `... ${fmt(r.destinations.length - top)} more destinations with more headroom (--top N)`),
      );
  }
  if (r.to !== null) {
    lines.push('');
    for (const t of r.to) {
      const verdict = t.result === 'ok' ? p('green', 'ok') : p('red', t.result);
      lines.push(`connect() to ${t.destination} from ${t.source}: ${verdict}: ${t.explanation}`);
    }
  }
  if (r.warnings.length > 0) {
    lines.push('');
    for (const w of r.warnings) {
      const mark =
        w.severity === 'critical'
          ? p('red', 'CRITICAL')
          : w.severity === 'warning'
            ? p('yellow', 'warning')
            : 'note';
      lines.push(`${mark} ${w.code}${w.guess ? ' (a guess)' : ''}: ${w.message} (${w.rule})`);
      for (const f of w.fixes) {
        const gain = f.gain > 0 ? p('green', `+${fmt(f.gain)}`) : `+${fmt(f.gain)}`;
        lines.push(`    fix: ${f.fix}: ${gain} connection${f.gain === 1 ? '' : 's'} ${f.per}`);
      }
    }
  }
  if (r.unreadable.count > 0) {
    lines.push('');
    lines.push(`${plural(r.unreadable.count, 'unreadable line')} (left out):`);
    for (const e of r.unreadable.examples)
      lines.push(visible(`  ${e.file}:${e.line}:${e.col}: ${e.reason}: ${e.text}`));
  }
  for (const n of r.notes) lines.push(p('dim', `note: ${n}`));
  return lines;
}

/**
 * `--watch 5` and `--watch=5` mean `--watch --interval 5` (a bare --watch is a flag). doctor takes
 * no arguments, so whatever follows --watch and is not an option (`abc`, `-1`) is its interval,
 * and a wrong one is reported as a wrong interval.
 */
function watchSeconds(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const next = argv[i + 1];
    const eq = /^--watch=(.*)$/.exec(a);
    // `--interval=V`, not `--interval V`: parseArgs would refuse a V that starts with '-'.
    if (eq) out.push('--watch', `--interval=${eq[1] ?? ''}`);
    else if (a === '--watch' && next !== undefined && !/^-[a-zA-Z-]/.test(next)) {
      out.push('--watch', `--interval=${next}`);
      i++;
    } else if (a === '--interval' && next !== undefined && !/^-[a-zA-Z-]/.test(next)) {
      out.push(`--interval=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'headroom per (source, destination) before connect() fails with EADDRNOTAVAIL, with fixes',
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('doctor', watchSeconds(argv), {
      json: { type: 'boolean', default: false },
      prometheus: { type: 'boolean', default: false },
      proc: { type: 'string' },
      to: { type: 'string' },
      listen: { type: 'string' },
      watch: { type: 'boolean', default: false },
      interval: { type: 'string' },
      count: { type: 'string' },
      top: { type: 'string' },
    });
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    refuseArguments('doctor', positionals);
    if (values.json && values.prometheus) throw usageError('--json and --prometheus exclude each other.');
    const to = values.to === undefined ? undefined : parseEndpoint('to', values.to, 1);
    const listen = values.listen === undefined ? undefined : parseEndpoint('listen', values.listen, 0);
    const intervalText = values.interval ?? '2';
    const interval = Number(intervalText);
    if (!/^\d+(\.\d+)?$/.test(intervalText) || interval < 0.1 || interval > 3600)
      throw usageError(
        `--watch SECONDS (or --interval) must be a number of seconds from 0.1 to 3600 (e.g. 2 or 0.5), got '${intervalText}'.`,
      );
    const count = intOption('doctor', 'count', values.count, 1);
    const top = intOption('doctor', 'top', values.top, 1);
    const proc = values.proc ?? '/proc';
    const opts = to === undefined ? {} : { to };

    if (listen !== undefined) {
      readSnapshot(proc); // a bad --proc is a usage error now, not a 500 at the first scrape
      const { serveMetrics } = await import('../../doctor/metrics-server.js');
      let server: MetricsServer;
      try {
        server = await serveMetrics(listen.addr, listen.port, () =>
          toPrometheus(buildReport(readProcSnapshot(proc), opts), top ?? 1000),
        );
      } catch (e) {
        throw new CliError(
          'PORTSPACE_LISTEN_FAILED',
          `cannot listen on ${values.listen}: ${(e as NodeJS.ErrnoException).code ?? String(e)}. Choose a free local address and port.`,
          EXIT.usage,
          { listen: values.listen },
          { cause: e },
        );
      }
      // The handler goes in before the announcement: a SIGTERM sent as soon as it reads
      // "serving" must stop the server cleanly, not kill the process.
      const stopped = untilInterrupted();
      out.err(`portspace doctor: serving ${server.url} (Ctrl-C stops)`);
      await stopped;
      await server.close();
      return EXIT.ok;
    }

    const render = (r: DoctorReport, sample: number | null) => {
      if (values.json) {
        if (sample === null) out.json(r);
        else out.line(JSON.stringify({ sample, ...r }));
      } else if (values.prometheus) out.line(toPrometheus(r, top ?? 1000).trimEnd());
      else {
        if (sample !== null)
          out.line(out.paint('dim', `--- sample ${sample} (${new Date().toISOString()}) ---`));
        for (const l of table(r, out, top ?? 15, proc)) out.line(l);
      }
    };

    if (!values.watch) {
      const r = buildReport(readSnapshot(proc), opts);
      render(r, null);
      return r.to?.some((t) => t.result === 'EADDRNOTAVAIL') ? EXIT.failed : EXIT.ok;
    }

    const asTable = !values.json && !values.prometheus;
    const { signal, dispose } = interruptSignal();
    try {
      let prev: DoctorReport | null = null;
      let last: DoctorReport | null = null;
      for (let sample = 1; count === undefined || sample <= count; sample++) {
        const snap = readSnapshot(proc);
        let r = buildReport(snap, opts);
        if (prev !== null) r = buildReport(snap, { ...opts, rates: measureRates(prev, r, snap, interval) });
        // A terminal gets a refreshed screen; a pipe gets the samples one after another.
        if (asTable && out.stdout.isTTY === true) out.stdout.write('\u001b[2J\u001b[H');
        render(r, sample);
        if (asTable && r.rates !== null) {
          const moving = [...r.rates.destinations]
            .filter((d) => d.timeWaitPerSec > 0 || d.establishedPerSec !== 0)
            .sort((a, b) => b.timeWaitPerSec - a.timeWaitPerSec)
            .slice(0, 5);
          for (const d of moving)
            out.line(
              `rate ${d.source} -> ${d.destination}: ${d.timeWaitPerSec.toFixed(1)} TIME_WAIT/s, ${d.establishedPerSec >= 0 ? '+' : ''}${d.establishedPerSec.toFixed(1)} ESTABLISHED/s`,
            );
        }
        prev = r;
        last = r;
        if (signal.aborted || (count !== undefined && sample >= count)) break;
        await sleep(interval * 1000, signal);
        if (signal.aborted) break;
      }
      return last?.to?.some((t) => t.result === 'EADDRNOTAVAIL') ? EXIT.failed : EXIT.ok;
    } finally {
      dispose();
    }
  },
};
