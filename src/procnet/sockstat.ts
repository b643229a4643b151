/**
 * /proc/net/sockstat and sockstat6: the kernel's own counts, read to prove net/tcp6 empty so the
 * doctor need not read it. Each read of tcp6 walks the whole TCP hash table (IPv4 entries too, only
 * to skip them): on a host with 100,000 IPv4 sockets that walk costs as much as `ss -tan`'s, for
 * nothing. sockstat6's `TCP6: inuse` counts IPv6 sockets in the table except TIME_WAIT entries, and
 * sockstat's `tw` counts the TIME_WAIT entries of both families (orphaned FIN_WAIT2 ones too): when
 * the first is 0 and the second equals the TIME_WAIT rows net/tcp held, tcp6 has no line.
 */

/** `TCP: ... tw N` of sockstat, or null when the text does not have it. */
export function sockstatTimeWait(text: string | null): number | null {
  return countAfter(text, /^TCP: .*\btw (\d{1,9})\b/m);
}

/** `TCP6: inuse N` of sockstat6, or null when the text does not have it. */
export function sockstat6TcpInUse(text: string | null): number | null {
  return countAfter(text, /^TCP6: inuse (\d{1,9})\b/m);
}

function countAfter(text: string | null, re: RegExp): number | null {
  if (text === null || text.length > 4096) return null;
  const m = re.exec(text);
  return m ? Number(m[1]) : null;
}

/** True when the counts prove net/tcp6 empty (see above); unknown counts prove nothing. */
export function tcp6ProvedEmpty(
  tcp6InUse: number | null,
  timeWait: number | null,
  v4TimeWaitRows: number,
): boolean {
  return tcp6InUse === 0 && timeWait !== null && timeWait === v4TimeWaitRows;
}
