/**
 * The report in Prometheus text exposition format (version 0.0.4): one gauge family per fact,
 * with HELP and TYPE lines, per-(source, destination) series for headroom, established and
 * TIME_WAIT, so a fleet's existing Prometheus scrapes the headroom next to its other metrics.
 */
import type { DoctorReport } from './report.js';

/** Label values escape backslash, double quote and newline (the format's only escapes). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Readonly<Record<string, string>>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** At most `top` destinations (the tightest) get series of their own. */
export function toPrometheus(r: DoctorReport, top = 1000): string {
  const lines: string[] = [];
  const family = (name: string, help: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [l, v] of samples) lines.push(`${name}${labels(l)} ${Number.isFinite(v) ? v : 0}`);
  };
  const dests = r.destinations.slice(0, top);
  const per = (f: (d: (typeof dests)[number]) => number): [Record<string, string>, number][] =>
    dests.map((d) => [{ source: d.source, destination: d.destination }, f(d)]);
  family(
    'portspace_headroom_connections',
    'More connect() calls from source to destination that succeed before EADDRNOTAVAIL.',
    per((d) => d.headroom),
  );
  family(
    'portspace_established_connections',
    'ESTABLISHED connections from source to destination.',
    per((d) => d.established),
  );
  family(
    'portspace_time_wait_connections',
    'TIME_WAIT entries from source to destination.',
    per((d) => d.timeWait),
  );
  family('portspace_port_range_size', 'Ports in net.ipv4.ip_local_port_range.', [[{}, r.rangeSize]]);
  family(
    'portspace_candidate_ports',
    'Range ports a connect() may choose (not reserved, listening or bind-held).',
    [[{}, r.candidatePorts]],
  );
  family('portspace_destinations', 'Destinations (source, address, port) with sockets.', [
    [{}, r.destinations.length],
  ]);
  family('portspace_unreadable_lines', 'Lines of /proc/net that could not be read.', [
    [{}, r.unreadable.count],
  ]);
  const byCode = new Map<string, number>();
  for (const w of r.warnings) byCode.set(w.code, (byCode.get(w.code) ?? 0) + 1);
  family(
    'portspace_warnings',
    'Warnings of portspace doctor, by code.',
    [...byCode].map(([code, n]) => [{ code }, n]),
  );
  return `${lines.join('\n')}\n`;
}
