/** explain: a call's decision shaped for people (data the CLI prints and the page draws). */
export {
  type Detail,
  type Explained,
  explainScript,
  type FailureJson,
  failureOf,
  groupTrace,
  type PassJson,
  type PhaseJson,
  runText,
  type SearchJson,
  type SkipRun,
} from './explain.js';
