/**
 * The canonical text of a script: `parseScript(printScript(s))` gives back `s` (positions aside).
 * Also prints single calls and expectations, which the runner uses in its reports.
 */
import type { Call } from '../calls/index.js';
import { endpointText } from './addr.js';
import type { Expect, PortExpect, Script, Step } from './ast.js';
import { printOptval } from './sockopt-syntax.js';
import { DEFAULT_BACKLOG } from './vocab.js';

const INDENT = '  ';

export function printScript(script: Script): string {
  const out: string[] = script.header.map(comment);
  printSteps(script.steps, '', out);
  if (script.steps.length === 0 && script.header.length > 0 && script.footer.length > 0) out.push('');
  out.push(...script.footer.map(comment));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

function comment(text: string): string {
  return text === '' ? '#' : `# ${text}`;
}

function withTrailing(line: string, trailing: string | null): string {
  return trailing === null ? line : `${line}  ${comment(trailing)}`;
}

function printSteps(steps: readonly Step[], indent: string, out: string[]): void {
  for (const step of steps) {
    if (step.blankBefore) out.push('');
    out.push(...step.comments.map((c) => indent + comment(c)));
    if (step.kind === 'call') {
      out.push(indent + withTrailing(printCallStatement(step.call, step.expect), step.trailing));
      continue;
    }
    out.push(indent + withTrailing(`repeat ${step.max} {`, step.trailing));
    printSteps(step.body, indent + INDENT, out);
    out.push(...step.footer.map((c) => indent + INDENT + comment(c)));
    out.push(indent + withTrailing(printRepeatEnd(step.expectCount, step.thenErrno), step.endTrailing));
  }
}

/** `}`, `} expect 2000`, `} expect 2000 then EADDRNOTAVAIL`, `} then EADDRNOTAVAIL`. */
export function printRepeatEnd(count: PortExpect | null, errno: string | null): string {
  let s = '}';
  if (count !== null) s += ` expect ${printPortExpect(count)}`;
  if (errno !== null) s += ` then ${errno}`;
  return s;
}

/** A statement line without comments: the call and, if any, ` = expectation`. */
export function printCallStatement(call: Call, expect: Expect): string {
  const e = printExpect(expect);
  return e === '' ? printCall(call) : `${printCall(call)} = ${e}`;
}

/** The call as a script writes it, e.g. `connect(c1, 127.0.0.1:5000)` or `c1 = socket(tcp4)`. */
export function printCall(call: Call): string {
  switch (call.op) {
    case 'sysctl':
      return `sysctl ${call.name} = ${printSysctlValue(call.value)}`;
    case 'addr':
      return `addr ${call.cidr}`;
    case 'route':
      return `route local ${call.cidr}${call.src === undefined ? '' : ` src ${call.src}`}`;
    case 'uid':
      return `uid ${call.uid}`;
    case 'sleep':
      return `sleep ${printDuration(call.ms)}`;
    case 'socket':
      return `${call.name} = socket(${call.kind})`;
    case 'accept':
      return `${call.name} = accept(${call.sock})`;
    case 'setsockopt': {
      const v = typeof call.value === 'number' ? `${call.value}` : `${call.value[0]} ${call.value[1]}`;
      const len = call.optlen === undefined ? '' : `, optlen ${call.optlen}`;
      return `setsockopt(${call.sock}, ${call.opt}, ${v}${len})`;
    }
    case 'getsockopt':
      return `getsockopt(${call.sock}, ${call.opt})`;
    case 'bind':
    case 'connect':
    case 'sendto':
      return `${call.op}(${call.sock}, ${endpointText(call.addr, call.port)})`;
    case 'disconnect':
      return `disconnect(${call.sock})`;
    case 'deliver':
      return `deliver(${call.proto}, ${endpointText(call.from.addr, call.from.port)} -> ${endpointText(call.to.addr, call.to.port)})`;
    case 'listen':
      return call.backlog === DEFAULT_BACKLOG
        ? `listen(${call.sock})`
        : `listen(${call.sock}, ${call.backlog})`;
    case 'close':
      return call.rst ? `close(${call.sock}, rst)` : `close(${call.sock})`;
    case 'getsockname':
      return `getsockname(${call.sock})`;
  }
}

/** Bare when that parses back to the same value, else double-quoted. */
export function printSysctlValue(value: string): string {
  if (value !== '' && value === value.trim() && !/[=#"\n\r]/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (m) => `\\${m}`)}"`;
}

/** 1200 -> `1.2s`, 60000 -> `60s`, 200 -> `200ms`. */
export function printDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const frac = ms % 1000;
  const whole = (ms - frac) / 1000;
  return frac === 0 ? `${whole}s` : `${whole}.${`${frac}`.padStart(3, '0').replace(/0+$/, '')}s`;
}

/** The text after ` = `, or '' for no expectation. */
export function printExpect(e: Expect): string {
  switch (e.kind) {
    case 'none':
      return '';
    case 'ok':
      return '0';
    case 'errno':
      return `-1 ${e.errno}`;
    case 'endpoint':
      return endpointText(e.addr, printPortExpect(e.port));
    case 'member':
      return e.name;
    case 'members':
      return `{${e.names.join(', ')}}`;
    case 'optval':
      return printOptval(e.value);
    default:
      return printPortExpect(e);
  }
}

export function printPortExpect(p: PortExpect): string {
  switch (p.kind) {
    case 'port':
      return `${p.port}`;
    case 'range':
      return `${p.lo}..${p.hi}`;
    case 'set':
      return `{${p.ports.join(', ')}}`;
  }
}
