/** The portspace script language (.pst): AST, parser, printer. Pure: no node:* imports. */

export { canonicalAddr, canonicalCidr, canonicalV4, canonicalV6, endpointText } from './addr.js';
export type { CallStep, Expect, PortExpect, Pos, RepeatStep, Script, Step, Trivia } from './ast.js';
export { callSteps, rulesOf } from './ast.js';
export { formatErrors, PORTSPACE_SCRIPT_PARSE, ScriptError, ScriptParseError } from './errors.js';
export { type ParseResult, parseScript, parseScriptOrThrow } from './parse.js';
export {
  printCall,
  printCallStatement,
  printDuration,
  printExpect,
  printPortExpect,
  printRepeatEnd,
  printScript,
  printSysctlValue,
} from './print.js';
export { GET_OPTIONS, MAX_OPTLEN } from './sockopt-syntax.js';
export {
  CALL_OPS,
  DEFAULT_BACKLOG,
  ERRNO_NAMES,
  FLAG_OPTIONS,
  PAIR_OPTIONS,
  RESERVED_WORDS,
  SCRIPT_SYSCTLS,
  type ScriptSysctl,
  SOCKET_KINDS,
  SOCKET_OPTIONS,
} from './vocab.js';

/** File extension of portspace scripts. */
export const SCRIPT_EXTENSION = '.pst';
