/** Test helper: runs the CLI's main() in this process with a captured Output (no spawn, no build). */
import { main } from '../../src/cli/cli.js';
import { Output } from '../../src/cli/output.js';

export interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runInProcess(argv: readonly string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const out = new Output(
    { write: (t: string) => (stdout += t), isTTY: false },
    { write: (t: string) => (stderr += t), isTTY: false },
    { NO_COLOR: '1' },
  );
  const code = await main(argv, out);
  return { code, stdout, stderr };
}
