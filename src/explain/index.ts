/** explain: the model's decisions shaped for people (pure data the CLI prints and the page draws). */
export {
  type FailureJson,
  groupTrace,
  type PassJson,
  type PhaseJson,
  runText,
  type SearchJson,
  type SkipRun,
} from './search-runs.js';
