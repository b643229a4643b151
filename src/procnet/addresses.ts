/**
 * The address table of a snapshot: /proc/net/tcp prints addresses as hex 32-bit words in host
 * byte order, which this file turns into the model's canonical text. Addresses are interned to
 * small ids so that a million sockets cost a few typed-array columns, not a million strings.
 * A v4-mapped IPv6 address (::ffff:a.b.c.d in tcp6) gets the id of its IPv4 form, because the
 * kernel files both under one address for ports and 4-tuples (spec D3).
 */
import { parseAddr } from '../model/index.js';

export interface AddrInfo {
  readonly text: string;
  readonly family: 4 | 6;
  /** 127.0.0.0/8, ::1 (v4-mapped loopback is its IPv4 form): spec R62 isLoopback. */
  readonly loopback: boolean;
  readonly wildcard: boolean;
}

/** Bytes of a host-order 32-bit word, most significant byte of the address first. */
function wordBytes(w: number, littleEndian: boolean): [number, number, number, number] {
  return littleEndian
    ? [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24]
    : [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255];
}

export class AddressTable {
  readonly infos: AddrInfo[] = [];
  private readonly v4 = new Map<number, number>();
  private readonly v6 = new Map<string, number>();

  constructor(readonly littleEndian: boolean) {}

  /** The id of an IPv4 address given as its host-order word. */
  v4Id(word: number): number {
    const known = this.v4.get(word);
    if (known !== undefined) return known;
    const b = wordBytes(word, this.littleEndian);
    const text = b.join('.');
    const id = this.add({ text, family: 4, loopback: b[0] === 127, wildcard: word === 0 });
    this.v4.set(word, id);
    return id;
  }

  /** The id of an IPv6 address given as four host-order words (a v4-mapped one gets its IPv4 id). */
  v6Id(w0: number, w1: number, w2: number, w3: number): number {
    const mappedMark = this.littleEndian ? 0xffff0000 : 0x0000ffff;
    if (w0 === 0 && w1 === 0 && w2 === mappedMark) return this.v4Id(w3);
    const key = `${w0}:${w1}:${w2}:${w3}`;
    const known = this.v6.get(key);
    if (known !== undefined) return known;
    const bytes = [w0, w1, w2, w3].flatMap((w) => wordBytes(w, this.littleEndian));
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
    const full = groups.join(':');
    const text = parseAddr(full)?.text ?? full;
    const wildcard = (w0 | w1 | w2 | w3) === 0;
    const id = this.add({ text, family: 6, loopback: text === '::1', wildcard });
    this.v6.set(key, id);
    return id;
  }

  info(id: number): AddrInfo {
    const i = this.infos[id];
    if (i === undefined) throw new Error(`no address #${id}`);
    return i;
  }

  text(id: number): string {
    return this.info(id).text;
  }

  /** `a.b.c.d:port`, or `[v6]:port`. */
  endpoint(id: number, port: number): string {
    const info = this.info(id);
    return info.family === 6 ? `[${info.text}]:${port}` : `${info.text}:${port}`;
  }

  /** The id of an address given as text (for --to), interned like the parsed ones. */
  idOfText(text: string): number | null {
    const a = parseAddr(text);
    if (a === null) return null;
    const b = a.bytes;
    const word = (i: number) =>
      this.littleEndian
        ? ((b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16) | ((b[i + 3] ?? 0) << 24)) >>> 0
        : (((b[i] ?? 0) << 24) | ((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0)) >>> 0;
    if (a.family === 4) return this.v4Id(word(0));
    return this.v6Id(word(0), word(4), word(8), word(12));
  }

  private add(info: AddrInfo): number {
    this.infos.push(info);
    return this.infos.length - 1;
  }
}
