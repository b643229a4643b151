/**
 * Where the command writes, and whether in colour. Colour only when the stream is a TTY, never
 * when NO_COLOR is set to anything non-empty (https://no-color.org), never for TERM=dumb;
 * FORCE_COLOR=1 (or any value but 0/false) turns it on for a pipe, but NO_COLOR still wins.
 */

export interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export function colorEnabled(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.NO_COLOR ?? '') !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';

const CODES: Readonly<Record<Style, readonly [number, number]>> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export type Paint = (style: Style, text: string) => string;

export function painter(enabled: boolean): Paint {
  if (!enabled) return (_style, text) => text;
  return (style, text) => {
    const [on, off] = CODES[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  };
}

/** One command's view of the terminal: stdout for results, stderr for diagnostics and progress. */
export class Output {
  readonly paint: Paint;
  readonly paintErr: Paint;

  constructor(
    readonly stdout: Stream,
    readonly stderr: Stream,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.paint = painter(colorEnabled(stdout, env));
    this.paintErr = painter(colorEnabled(stderr, env));
  }

  static fromProcess(): Output {
    return new Output(process.stdout, process.stderr, process.env);
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  err(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}
