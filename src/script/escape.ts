/**
 * Text from a file, made safe to print on a terminal: control characters (C0 but tab, DEL, C1) and
 * the bidirectional overrides are shown as escapes (`\x1b`, `\u202e`), so an ESC sequence in a
 * .pst file or a /proc line can never recolour, move or rewrite the user's terminal when an error
 * message quotes it. Pure.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it replaces
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function visible(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

/** visible() line by line: the line breaks of a multi-line message stay line breaks. */
export function visibleLines(text: string): string {
  return text.split('\n').map(visible).join('\n');
}

/** The first unsafe character of `text` and its index, or null. */
export function firstUnsafe(text: string): { index: number; char: string } | null {
  UNSAFE.lastIndex = 0;
  const m = UNSAFE.exec(text);
  UNSAFE.lastIndex = 0;
  return m === null ? null : { index: m.index, char: m[0] };
}
