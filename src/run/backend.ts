/**
 * A Backend executes Calls in one private network namespace: a fresh model instance, or the real
 * kernel in a namespace of its own. One Backend instance serves one script run.
 */
import type { Call, Outcome } from '../calls/index.js';

export interface Backend {
  readonly name: 'model' | 'kernel';
  exec(call: Call): Promise<Outcome>;
  /** Releases everything the backend holds (sockets, helper process). Safe to call twice. */
  close(): Promise<void>;
}
