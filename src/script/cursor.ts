/**
 * A scanner over one source line. Statements never span lines, so the parser works line by line
 * and recovers at the next line after an error. Columns are 1-based.
 */

/** Thrown inside a line parse; the line driver turns it into a ScriptError and moves on. */
export class LineError {
  constructor(
    readonly col: number,
    readonly message: string,
  ) {}
}

export class Cursor {
  /** 0-based index into `text`. */
  i = 0;

  constructor(readonly text: string) {}

  get col(): number {
    return this.i + 1;
  }

  skipWs(): void {
    while (this.i < this.text.length && (this.text[this.i] === ' ' || this.text[this.i] === '\t')) this.i++;
  }

  /** The next non-blank character (or '' at the end / at a comment), without consuming it. */
  peek(): string {
    this.skipWs();
    const c = this.text[this.i] ?? '';
    return c === '#' ? '' : c;
  }

  atEnd(): boolean {
    return this.peek() === '';
  }

  startsWith(s: string): boolean {
    this.skipWs();
    return this.text.startsWith(s, this.i);
  }

  fail(message: string, col = this.col): never {
    throw new LineError(col, message);
  }

  /** What is at the cursor, for messages: `found 'x'` or `found the end of the line`. */
  found(): string {
    const c = this.peek();
    if (c === '') return 'found the end of the line';
    const m = /^[A-Za-z0-9_.:-]+/.exec(this.text.slice(this.i));
    return `found '${m ? m[0] : c}'`;
  }

  /** Consumes `s` or fails with "expected 's' <context>". */
  expect(s: string, context: string): void {
    if (!this.startsWith(s)) this.fail(`expected '${s}' ${context}, ${this.found()}`);
    this.i += s.length;
  }

  eat(s: string): boolean {
    if (!this.startsWith(s)) return false;
    this.i += s.length;
    return true;
  }

  /** Consumes a run of characters matching `re` (a single-char class); '' when none. */
  take(re: RegExp): string {
    this.skipWs();
    const start = this.i;
    while (this.i < this.text.length && re.test(this.text[this.i] ?? '')) this.i++;
    return this.text.slice(start, this.i);
  }

  /** An identifier, or '' (nothing consumed). */
  word(): string {
    this.skipWs();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i));
    if (!m) return '';
    this.i += m[0].length;
    return m[0];
  }

  /**
   * A non-negative decimal integer, or fails with "expected <what>"; above `max` it fails with
   * "<noun> N is out of range 0..max".
   */
  int(what: string, max = Number.MAX_SAFE_INTEGER, noun = what.replace(/^(a|an|the) /, '')): number {
    this.skipWs();
    const col = this.col;
    const digits = this.take(/[0-9]/);
    if (digits === '') this.fail(`expected ${what}, ${this.found()}`);
    const n = Number(digits);
    if (n > max) {
      const shown = digits.length > 20 ? `${digits.slice(0, 20)}... (${digits.length} digits)` : digits;
      this.fail(`${noun} ${shown} is out of range 0..${max}`, col);
    }
    return n;
  }

  /** The trailing comment, if the rest of the line is one; fails on anything else. */
  end(context: string): string | null {
    this.skipWs();
    if (this.i >= this.text.length) return null;
    if (this.text[this.i] === '#') return this.text.slice(this.i + 1).trim();
    return this.fail(`unexpected '${this.text.slice(this.i).trimEnd()}' ${context}`);
  }
}
