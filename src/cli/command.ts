/** The shape of one portspace command (cli.ts loads each only when it runs). */
import type { Output } from './output.js';

export interface Command {
  readonly name: string;
  /** One line for `portspace --help`. */
  readonly summary: string;
  /** The full `portspace NAME --help` text. */
  readonly help: string;
  /** Returns the exit code; throws CliError for user mistakes. */
  run(argv: readonly string[], out: Output): Promise<number>;
}
