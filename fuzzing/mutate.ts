/**
 * Grammar-aware mutators and generators. Scripts are mutated token by token (numbers swapped for
 * boundary values, words for the language's keywords, lines spliced from other scripts, blocks
 * opened and closed, control characters inserted); /proc/net lines field by field (hex fields of
 * the wrong width or digits, unknown states, cut lines); sysctl files with values Linux refuses.
 */
import type { Rng } from './prng.js';

/** Numbers at and around every bound the parsers check. */
export const NUMBERS = [
  '0',
  '1',
  '2',
  '7',
  '100',
  '600',
  '601',
  '1000',
  '65535',
  '65536',
  '99999',
  '600000',
  '600001',
  '1000000',
  '1000001',
  '2147483647',
  '2147483648',
  '4294967295',
  '4294967296',
  '9007199254740993',
  '99999999999999',
  '9'.repeat(40),
  '-1',
  '1.5',
  '1e6',
  '0x10',
  '00',
  '1.',
  '.5',
];

/** Odd characters: control characters, an ESC sequence, bidi overrides, wide and combining ones. */
export const ODD = [
  '\u001b[31m',
  '\u001b]0;x\u0007',
  '\u0000',
  '\r',
  '\t',
  '\u007f',
  '\u0085',
  '\u202e',
  '\u2066',
  '\uFEFF',
  '１',
  'é',
  '\u0301',
  '😀',
  '\\',
  '"',
  '#',
  '{',
  '}',
  '(',
  ')',
  ',',
  '=',
  ':',
  '..',
  '[',
  ']',
];

const WORDS = [
  'socket',
  'bind',
  'listen',
  'connect',
  'accept',
  'close',
  'setsockopt',
  'getsockname',
  'sendto',
  'deliver',
  'disconnect',
  'sysctl',
  'addr',
  'uid',
  'sleep',
  'repeat',
  'expect',
  'then',
  'rst',
  'tcp4',
  'tcp6',
  'udp4',
  'udp6',
  'tcp',
  'udp',
  'SO_REUSEADDR',
  'SO_REUSEPORT',
  'SO_LINGER',
  'IP_BIND_ADDRESS_NO_PORT',
  'IP_LOCAL_PORT_RANGE',
  'IPV6_V6ONLY',
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'EINVAL',
  'ECONNREFUSED',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.ip_unprivileged_port_start',
  '127.0.0.1',
  '::1',
  '[::1]',
  '0.0.0.0',
  '::',
  '10.0.0.1/24',
  'fd00::1/64',
  '::ffff:127.0.0.1',
  '224.0.0.1',
  's',
  'c',
];

function tokens(line: string): string[] {
  return line.split(/(\s+|[(),={}#:"])/).filter((t) => t !== '');
}

function mutateLine(rng: Rng, line: string): string {
  const ts = tokens(line);
  if (ts.length === 0) return rng.pick(WORDS);
  const k = rng.int(ts.length);
  const t = ts[k] ?? '';
  switch (rng.int(6)) {
    case 0:
      ts[k] = /^\d/.test(t) || rng.chance(0.3) ? rng.pick(NUMBERS) : t;
      break;
    case 1:
      ts[k] = rng.pick(WORDS);
      break;
    case 2:
      ts.splice(k, 1);
      break;
    case 3:
      ts.splice(k, 0, rng.pick(ODD));
      break;
    case 4:
      ts.splice(k, 0, t, t);
      break;
    default:
      ts[k] = t.slice(0, rng.int(t.length + 1));
  }
  return ts.join('');
}

/** A mutated script: 1 to 4 changes to a corpus script. */
export function mutateScript(rng: Rng, corpus: readonly string[]): string {
  let lines = rng.pick(corpus).split('\n');
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    const at = rng.int(lines.length + 1);
    switch (rng.int(9)) {
      case 0:
      case 1:
      case 2:
        if (lines.length > 0)
          lines[Math.min(at, lines.length - 1)] = mutateLine(
            rng,
            lines[Math.min(at, lines.length - 1)] ?? '',
          );
        break;
      case 3:
        lines.splice(at, 1);
        break;
      case 4:
        lines.splice(at, 0, rng.pick(rng.pick(corpus).split('\n')));
        break;
      case 5:
        lines.splice(at, 0, `repeat ${rng.pick(NUMBERS)} {`);
        if (rng.chance(0.7))
          lines.splice(
            Math.min(lines.length, at + 1 + rng.int(4)),
            0,
            rng.pick(['}', '} expect 3', '} then EADDRNOTAVAIL', '} expect 1..9 then EADDRINUSE']),
          );
        break;
      case 6:
        lines.splice(at, 0, `sleep ${rng.pick(NUMBERS)}${rng.pick(['s', 'ms', '', 'us'])}`);
        break;
      case 7:
        lines = lines.slice(0, at);
        break;
      default:
        lines.splice(at, 0, generateLine(rng));
    }
  }
  return lines.join(rng.chance(0.05) ? '\r\n' : '\n');
}

/** A statement from the vocabulary, mostly well-formed. */
export function generateLine(rng: Rng): string {
  const s = () => rng.pick(['s', 'c', 'l', 'x']);
  const ep = () => `${rng.pick(['127.0.0.1', '[::1]', '0.0.0.0', '10.0.0.1', '[::]'])}:${rng.pick(NUMBERS)}`;
  switch (rng.int(10)) {
    case 0:
      return `${s()} = socket(${rng.pick(['tcp4', 'tcp6', 'udp4', 'udp6', 'raw'])})`;
    case 1:
      return `bind(${s()}, ${ep()}) = ${rng.pick(['0', '-1 EADDRINUSE', rng.pick(NUMBERS), `${rng.pick(NUMBERS)}..${rng.pick(NUMBERS)}`])}`;
    case 2:
      return `connect(${s()}, ${ep()})${rng.chance(0.5) ? ` = ${rng.pick(NUMBERS)}` : ''}`;
    case 3:
      return `listen(${s()}, ${rng.pick(NUMBERS)})`;
    case 4:
      return `setsockopt(${s()}, ${rng.pick(WORDS)}, ${rng.pick(NUMBERS)}${rng.chance(0.3) ? ` ${rng.pick(NUMBERS)}` : ''})`;
    case 5:
      return `sysctl ${rng.pick(WORDS)} = ${rng.chance(0.5) ? `"${rng.pick(NUMBERS)} ${rng.pick(NUMBERS)}"` : rng.pick(NUMBERS)}`;
    case 6:
      return `addr ${rng.pick(WORDS)}`;
    case 7:
      return `deliver(${rng.pick(['tcp', 'udp'])}, ${ep()} -> ${ep()})`;
    case 8:
      return `uid ${rng.pick(NUMBERS)}`;
    default:
      return `close(${s()}${rng.chance(0.3) ? ', rst' : ''})`;
  }
}

const HEX = '0123456789ABCDEFabcdefg';

function hex(rng: Rng, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += HEX[rng.int(16)];
  return out;
}

/** A mutated /proc/net file: fields of the wrong width or digits, lines cut, cloned or odd. */
export function mutateProcNet(rng: Rng, text: string): string {
  const lines = text.split('\n');
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    const k = rng.int(lines.length);
    const line = lines[k] ?? '';
    const fields = line.split(/( +|:)/);
    switch (rng.int(8)) {
      case 0: {
        const f = rng.int(fields.length);
        fields[f] = rng.chance(0.5) ? hex(rng, rng.pick([0, 1, 2, 4, 7, 8, 9, 31, 32, 33])) : rng.pick(ODD);
        lines[k] = fields.join('');
        break;
      }
      case 1:
        lines[k] = line.slice(0, rng.int(line.length + 1));
        break;
      case 2:
        for (let c = rng.int(50); c > 0; c--) lines.splice(k, 0, line);
        break;
      case 3:
        lines.splice(k, 1);
        break;
      case 4:
        lines[k] = line.replace(/ (0[0-9A-F]) /, ` ${hex(rng, 2)} `);
        break;
      case 5:
        lines[k] = `${line}${rng.pick(ODD)}${hex(rng, rng.int(200))}`;
        break;
      case 6:
        lines.splice(
          k,
          0,
          `${String(rng.int(1000)).padStart(4)}: ${hex(rng, 8)}:${hex(rng, 4)} ${hex(rng, 8)}:${hex(rng, 4)} ${hex(rng, 2)} ${hex(rng, 8)}:${hex(rng, 8)} ${hex(rng, 2)}:${hex(rng, 8)} 00000000 0 0 0`,
        );
        break;
      default:
        return rng.pick(['', '\n', ' ', lines[0] ?? '', `${lines[0] ?? ''}\n`, hex(rng, 500)]);
    }
  }
  return lines.join(rng.chance(0.05) ? '\r\n' : '\n');
}

/** A sysctl file's text: the real one mutated, or a value Linux refuses. */
export function mutateSysctl(rng: Rng, text: string): string {
  switch (rng.int(4)) {
    case 0:
      return `${rng.pick(NUMBERS)}${rng.pick([' ', '\t', '  ', ',', '-'])}${rng.pick(NUMBERS)}\n`;
    case 1:
      return Array.from({ length: rng.int(6) }, () =>
        rng.chance(0.5) ? rng.pick(NUMBERS) : `${rng.pick(NUMBERS)}-${rng.pick(NUMBERS)}`,
      ).join(rng.pick([',', ' ', ',,']));
    case 2:
      return rng.pick(['', '\n', ' ', rng.pick(ODD), 'abc', '-']);
    default:
      return mutateLine(rng, text);
  }
}
