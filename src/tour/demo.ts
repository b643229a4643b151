/**
 * The small demo of the model (`portspace demo`): a few of the article's claims, run on a
 * virtual namespace, with the model's reasons. Returns data (sections of steps); the CLI renders.
 */
import { Netns, type Result, type TraceEvent } from '../model/index.js';

function must<T extends object>(r: Result<T>, what: string): T {
  if (!r.ok) throw new Error(`demo: ${what} failed unexpectedly: ${r.errno} (${r.reason})`);
  return r;
}

function show(r: Result<{ port: number }>): string {
  return r.ok ? String(r.port) : `${r.errno} [${r.rule}] ${r.reason}`;
}

function summarizeTrace(trace: readonly TraceEvent[] | undefined): string {
  if (!trace) return '';
  const skips = trace
    .filter((e) => e.kind === 'skip')
    .map((e) => (e.kind === 'skip' ? `${e.port} (${e.reason}, ${e.rule})` : ''));
  const take = trace.find((e) => e.kind === 'take');
  return `passed over ${skips.length ? skips.join(', ') : 'nothing'}; ${take && take.kind === 'take' ? `took ${take.port}` : 'nothing left'}`;
}

/** One section of the demo, as `demo --json` gives it: its title and the lines under it. */
export interface DemoSection {
  readonly title: string;
  readonly steps: readonly string[];
}

/** The seed of every namespace the demo makes. */
export const DEMO_SEED = 1;

/** Runs the demo on the model: one section per claim, each step a call and what came of it. */
export function runDemo(): DemoSection[] {
  const sections: DemoSection[] = [];
  const section = (title: string): string[] => {
    const steps: string[] = [];
    sections.push({ title, steps });
    return steps;
  };

  let steps = section('1. connect() reuses ports per destination (R11, R14): range 40000-40001');
  let ns = new Netns({ seed: DEMO_SEED });
  must(ns.sysctl('net.ipv4.ip_local_port_range', '40000 40001'), 'sysctl');
  for (const port of [5000, 5001]) {
    const l = must(ns.socket('tcp4'), 'socket').sock;
    must(ns.bind(l, '127.0.0.1', port), 'bind');
    must(ns.listen(l), 'listen');
  }
  for (const dport of [5000, 5000, 5000, 5001, 5001]) {
    const c = must(ns.socket('tcp4'), 'socket').sock;
    const r = ns.connect(c, '127.0.0.1', dport, { trace: true });
    steps.push(`connect(127.0.0.1:${dport}) = ${show(r)}${r.ok ? `   ${summarizeTrace(r.trace)}` : ''}`);
  }

  steps = section('2. bind(ip, 0) before connect() spends the range for every destination (R23, R40)');
  ns = new Netns({ seed: DEMO_SEED });
  must(ns.sysctl('net.ipv4.ip_local_port_range', '40000 40001'), 'sysctl');
  for (let i = 0; i < 3; i++) {
    const c = must(ns.socket('tcp4'), 'socket').sock;
    steps.push(`bind(127.0.0.1, 0) = ${show(ns.bind(c, '127.0.0.1', 0))}`);
  }

  steps = section(
    '3. IP_BIND_ADDRESS_NO_PORT defers the port to connect(), which shares it per destination (R22)',
  );
  ns = new Netns({ seed: DEMO_SEED });
  must(ns.sysctl('net.ipv4.ip_local_port_range', '40000 40001'), 'sysctl');
  must(ns.addAddress('10.0.0.1/24'), 'addr');
  for (const dest of ['10.0.0.2', '10.0.0.2', '10.0.0.3', '10.0.0.3', '10.0.0.3']) {
    const c = must(ns.socket('tcp4'), 'socket').sock;
    must(ns.setsockopt(c, 'IP_BIND_ADDRESS_NO_PORT', 1), 'setsockopt');
    must(ns.bind(c, '10.0.0.1', 0), 'bind');
    steps.push(`bind(10.0.0.1, 0) + connect(${dest}:80) = ${show(ns.connect(c, dest, 80))}`);
  }

  steps = section(
    '4. TIME_WAIT blocks its own 4-tuple only; tcp_tw_reuse=2 recycles loopback after 1 s (R62)',
  );
  ns = new Netns({ seed: DEMO_SEED });
  must(ns.sysctl('net.ipv4.ip_local_port_range', '40000 40000'), 'sysctl');
  const l = must(ns.socket('tcp4'), 'socket').sock;
  must(ns.bind(l, '127.0.0.1', 5000), 'bind');
  must(ns.listen(l), 'listen');
  const c = must(ns.socket('tcp4'), 'socket').sock;
  steps.push(`connect(127.0.0.1:5000) = ${show(ns.connect(c, '127.0.0.1', 5000))}`);
  const a = must(ns.accept(l), 'accept').sock;
  must(ns.close(c), 'close');
  must(ns.close(a), 'close');
  const again = must(ns.socket('tcp4'), 'socket').sock;
  steps.push(`client closed first; connect again at once = ${show(ns.connect(again, '127.0.0.1', 5000))}`);
  ns.advance(1100);
  const later = must(ns.socket('tcp4'), 'socket').sock;
  steps.push(`1.1 s later = ${show(ns.connect(later, '127.0.0.1', 5000))}`);
  return sections;
}
