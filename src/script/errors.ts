/**
 * Parse errors of the script language. An error is data (file, line, col, message, source line);
 * `format()` renders it the way compilers do, with the offending line and a caret under the column.
 */

import { visible } from './escape.js';

export const PORTSPACE_SCRIPT_PARSE = 'PORTSPACE_SCRIPT_PARSE';

export class ScriptError {
  readonly code = PORTSPACE_SCRIPT_PARSE;

  constructor(
    readonly file: string,
    /** 1-based. */
    readonly line: number,
    /** 1-based; counts UTF-16 code units, which is what editors show for ASCII scripts. */
    readonly col: number,
    readonly message: string,
    /** The text of the offending line, without its newline ('' when unknown). */
    readonly source: string,
  ) {}

  /**
   * `file:line:col: message`, then the source line and a caret under the column. Control
   * characters are shown as escapes (escape.ts), never sent to the terminal raw.
   */
  format(): string {
    const head = visible(`${this.file}:${this.line}:${this.col}: ${this.message}`);
    if (this.source === '') return head;
    // Tabs stay tabs in the caret line so the caret lines up in a terminal; an escaped
    // character is as wide as its escape.
    const pad = visible(this.source.slice(0, this.col - 1)).replace(/[^\t]/g, ' ');
    return `${head}\n  ${visible(this.source)}\n  ${pad}^`;
  }
}

/** Thrown by `parseScriptOrThrow`: carries every error found, formatted in `message`. */
export class ScriptParseError extends Error {
  readonly code = PORTSPACE_SCRIPT_PARSE;

  constructor(readonly errors: readonly ScriptError[]) {
    super(errors.map((e) => e.format()).join('\n'));
    this.name = 'ScriptParseError';
  }
}

export function formatErrors(errors: readonly ScriptError[]): string {
  return errors.map((e) => e.format()).join('\n');
}
