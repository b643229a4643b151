/**
 * How the doctor writes numbers in its messages: one formatter, so a count reads the same in a
 * warning, a fix and the table ("28,232", never "28232" beside it). Written out by hand rather than
 * with toLocaleString: the first toLocaleString call loads ICU's locale data, which cost the whole
 * `portspace doctor` run about 170 ms of its start-up.
 */
export function fmt(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  const digits = String(Math.abs(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? `-${out}` : out;
}

/** `1 port`, `2 ports`, with the number formatted by fmt. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${fmt(n)} ${n === 1 ? word : many}`;
}
