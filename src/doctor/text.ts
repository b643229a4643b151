/**
 * How the doctor writes numbers in its messages: one formatter, so a count reads the same in a
 * warning, a fix and the table ("28,232", never "28232" beside it).
 */
export function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : String(n);
}

/** `1 port`, `2 ports`, with the number formatted by fmt. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${fmt(n)} ${n === 1 ? word : many}`;
}
