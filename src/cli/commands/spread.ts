/**
 * `portspace spread [--proto tcp|udp] [--members N] [--flows F] [--json]`: measures how a real
 * SO_REUSEPORT group spreads flows (spec R81/R82) in a private network namespace, and sets the
 * result against the 2014 article's claim that the spread is "round-robin" (A6): counts per
 * member, a chi-square test against a uniform spread, the rate at which consecutive flows go to
 * the next slot (round-robin: 1.0), and whether a flow sent again reaches the same member.
 */
import { measureSpread } from '../../kernel/reuseport-spread.js';
import { MIN_FLOWS_PER_MEMBER, MIN_MEMBERS, type SpreadReport } from '../../run/spread-stats.js';
import { type Command, intOption, parseCommandArgs, refuseArguments, requireKernel } from '../common.js';
import { CliError, EXIT, usageError } from '../errors.js';
import type { Output } from '../output.js';
import { Progress } from '../progress.js';

const HELP = `usage: portspace spread [--proto tcp|udp] [--members N] [--flows F] [--json]

Opens a SO_REUSEPORT group of N TCP listeners (or UDP sockets) on 127.0.0.1:5000 in a private
network namespace, sends F connections (datagrams) from distinct source addresses and ports on
loopback, and counts which member got each. Then it sends the first 1000 flows again.

Reports the counts per member, Pearson's chi-square against a uniform spread (with its p-value
and the 95 % critical value), the alternation rate (how often the next flow went to the next
slot: round-robin gives 1.0, a hash about 1/N), and the share of re-sent flows that reached the
same member (spec R81: the kernel picks by a keyed hash of the 4-tuple). With fewer than 5
flows per member it reports the counts and "too few flows to tell" instead of a verdict.

options:
  --proto tcp|udp  what the group is made of (default: tcp)
  --members N      group size, 2..64 (default: 4)
  --flows F        flows to send, 1..1000000 (default: 10000)
  --json           one JSON document on stdout
  -h, --help       this text

Needs the real kernel: root, unshare (util-linux) and a C compiler.

exit codes: 0 measured, 2 bad input, 3 kernel unavailable or the measurement failed

examples:
  portspace spread
  portspace spread --proto udp --members 8 --flows 20000 --json`;

function text(r: SpreadReport, out: Output): string[] {
  const p = out.paint;
  const expected = r.flows / r.members;
  const lines = [
    `${r.proto.toUpperCase()} SO_REUSEPORT group of ${r.members} on 127.0.0.1:5000, ${r.flows} flows:`,
  ];
  r.counts.forEach((c, i) => {
    const dev = (((c - expected) / expected) * 100).toFixed(1);
    lines.push(
      `  member ${i} (slot ${i}): ${String(c).padStart(7)}  (${Number(dev) >= 0 ? '+' : ''}${dev} %)`,
    );
  });
  if (r.tooFewFlows) {
    lines.push(
      `verdict: ${p('bold', r.verdict)} (${r.flows} flows for ${r.members} members; at least ${MIN_FLOWS_PER_MEMBER} per member, ${MIN_FLOWS_PER_MEMBER * r.members}, are needed for the chi-square test and the alternation rate)`,
    );
    return lines;
  }
  const even = r.chiSquare <= r.critical;
  lines.push(
    `chi-square ${r.chiSquare.toFixed(2)} (df ${r.df}, p = ${r.pValue.toFixed(3)}, 95 % critical ${r.critical.toFixed(2)}): ${even ? p('green', 'consistent with a uniform spread') : p('red', 'not uniform at the 5 % level')}`,
    `alternation rate ${r.alternationRate.toFixed(3)} (round-robin: 1.000; a hash: about ${(1 / r.members).toFixed(3)})`,
    `same member when a flow is sent again: ${(r.stablePerFlow * 100).toFixed(1)} %`,
    r.roundRobin
      ? 'verdict: round-robin'
      : `verdict: ${p('bold', 'not round-robin')}: a keyed hash of the 4-tuple, stable per flow (spec R81; the article's claim A6 does not hold)`,
  );
  return lines;
}

export const spreadCommand: Command = {
  name: 'spread',
  summary: 'measure how a real SO_REUSEPORT group spreads flows (round-robin or hash?)',
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('spread', argv, {
      proto: { type: 'string', default: 'tcp' },
      members: { type: 'string' },
      flows: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    refuseArguments('spread', positionals, 'file arguments');
    const proto = values.proto;
    if (proto !== 'tcp' && proto !== 'udp')
      throw usageError(
        `--proto must be 'tcp' or 'udp', got '${String(proto)}'. See 'portspace spread --help'.`,
      );
    const members = intOption('spread', 'members', values.members) ?? 4;
    if (members < MIN_MEMBERS)
      throw usageError(
        `--members must be at least ${MIN_MEMBERS}, got ${members}: a group of one has nobody to spread over, so there is nothing to measure. See 'portspace spread --help'.`,
      );
    const flows = intOption('spread', 'flows', values.flows, 1) ?? 10_000;
    if (members > 64)
      throw usageError(`--members must be at most 64, got ${members}. See 'portspace spread --help'.`);
    if (flows > 1_000_000)
      throw usageError(`--flows must be at most 1000000, got ${flows}. See 'portspace spread --help'.`);
    await requireKernel('spread');
    const progress = new Progress({ stream: out.stderr, total: flows, label: 'flows', paint: out.paintErr });
    let report: SpreadReport;
    try {
      report = await measureSpread({ proto, members, flows, onProgress: (done) => progress.update(done) });
    } catch (e) {
      throw new CliError(
        'PORTSPACE_RUN_ABORTED',
        `the spread measurement failed: ${e instanceof Error ? e.message : String(e)}`,
        EXIT.unavailable,
        {},
        { cause: e },
      );
    } finally {
      progress.stop();
    }
    if (values.json) out.json(report);
    else for (const l of text(report, out)) out.line(l);
    return EXIT.ok;
  },
};
