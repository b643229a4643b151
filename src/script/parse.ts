/**
 * The line driver: splits the text into lines, keeps comments, nests repeat blocks, checks that
 * every socket name exists when used, and collects errors (one per line; parsing resumes at the
 * next line so one run reports several mistakes).
 */
import type { SocketKind } from '../calls/index.js';
import type { CallStep, Pos, RepeatStep, Script, Step } from './ast.js';
import { rulesOf } from './ast.js';
import { LineError } from './cursor.js';
import { ScriptError, ScriptParseError } from './errors.js';
import { firstUnsafe, visible } from './escape.js';
import { type LineResult, parseStatement } from './statement.js';

export type ParseResult = { ok: true; script: Script } | { ok: false; errors: ScriptError[] };

/** Sockets visible at one nesting level. A repeat body has its own scope. */
interface Scope {
  readonly parent: Scope | null;
  /** Open sockets created at this level -> line of creation. */
  readonly open: Map<string, number>;
  /** Closed sockets -> line of the close. */
  readonly closed: Map<string, number>;
  /** Sockets created inside finished repeat bodies -> line of the repeat. */
  readonly loopLocal: Map<string, number>;
  /**
   * Open sockets created at this level -> their kind (an accepted socket has its listener's);
   * absent when the creating line was broken.
   */
  readonly kinds: Map<string, SocketKind>;
}

interface Frame {
  readonly steps: Step[];
  readonly scope: Scope;
  comments: string[];
  blank: boolean;
  /** The repeat being filled, for frames other than the top. */
  readonly open: OpenRepeat | null;
}

/** A `repeat N {` line whose `}` has not been seen yet. */
interface OpenRepeat {
  readonly pos: Pos;
  readonly max: number;
  readonly trailing: string | null;
  /** Trivia of the repeat statement itself. */
  readonly comments: string[];
  readonly blank: boolean;
  /** Opened by error recovery: its line was already reported. */
  readonly broken?: true;
}

export function parseScript(text: string, file: string): ParseResult {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const errors: ScriptError[] = [];
  const err = (line: number, col: number, message: string) =>
    errors.push(new ScriptError(file, line, col, message, lines[line - 1] ?? ''));

  const header: string[] = [];
  let headerOpen = true;
  const top: Frame = { steps: [], scope: newScope(null), comments: [], blank: false, open: null };
  const stack: Frame[] = [top];

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const frame = stack[stack.length - 1] ?? top;
    // Scripts are plain text: a control character (an ESC sequence, say) would reach the
    // terminal through every echo of the line, comments included.
    const unsafe = firstUnsafe(raw);
    if (unsafe !== null) {
      err(
        lineNo,
        unsafe.index + 1,
        `control character ${visible(unsafe.char)} in the script: scripts are plain text`,
      );
      return;
    }
    const trimmed = raw.trim();
    if (trimmed === '') {
      // Blank lines before anything at all are dropped; elsewhere a run of them marks the next step.
      if (frame === top && headerOpen && header.length === 0) return;
      headerOpen = false;
      frame.blank = true;
      return;
    }
    if (trimmed.startsWith('#')) {
      const textOf = trimmed.slice(1).trim();
      if (headerOpen && frame === top) header.push(textOf);
      else frame.comments.push(textOf);
      return;
    }
    headerOpen = false;
    const pos: Pos = { line: lineNo, col: raw.length - raw.trimStart().length + 1 };
    let res: LineResult;
    try {
      res = parseStatement(raw);
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      err(lineNo, e.col, e.message);
      recover(raw, stack, pos, err);
      return;
    }
    if (res.kind === 'open') {
      stack.push({
        steps: [],
        scope: newScope(frame.scope),
        comments: [],
        blank: false,
        open: { pos, max: res.max, trailing: res.trailing, comments: frame.comments, blank: frame.blank },
      });
      frame.comments = [];
      frame.blank = false;
      return;
    }
    if (res.kind === 'close') {
      if (frame.open === null) {
        err(lineNo, pos.col, "unexpected '}': no repeat block is open");
        return;
      }
      stack.pop();
      const parent = stack[stack.length - 1] ?? top;
      const { max } = frame.open;
      if (frame.steps.length === 0 && !frame.open.broken)
        err(frame.open.pos.line, frame.open.pos.col, 'the repeat body is empty');
      checkCount(res, max, (m) => err(lineNo, pos.col, m));
      closeScope(frame.scope, parent.scope, frame.open.pos.line);
      const step: RepeatStep = {
        kind: 'repeat',
        max,
        body: frame.steps,
        expectCount: res.expectCount,
        thenErrno: res.thenErrno,
        pos: frame.open.pos,
        endPos: pos,
        footer: frame.comments,
        endTrailing: res.trailing,
        blankBefore: frame.open.blank,
        comments: frame.open.comments,
        trailing: frame.open.trailing,
      };
      parent.steps.push(step);
      return;
    }
    checkNames(res, frame, lineNo, (col, m) => err(lineNo, col, m));
    const step: CallStep = {
      kind: 'call',
      call: res.call,
      expect: res.expect,
      pos,
      blankBefore: frame.blank,
      comments: frame.comments,
      trailing: res.trailing,
    };
    frame.steps.push(step);
    frame.comments = [];
    frame.blank = false;
  });

  for (let k = stack.length - 1; k > 0; k--) {
    const open = stack[k]?.open;
    if (open) err(open.pos.line, open.pos.col, "this repeat block is never closed: expected '}'");
  }
  if (errors.length > 0)
    return { ok: false, errors: errors.sort((a, b) => a.line - b.line || a.col - b.col) };
  return {
    ok: true,
    script: { file, header, rules: rulesOf(header), steps: top.steps, footer: top.comments },
  };
}

/** Like parseScript, but throws a ScriptParseError (code PORTSPACE_SCRIPT_PARSE) listing every error. */
export function parseScriptOrThrow(text: string, file: string): Script {
  const r = parseScript(text, file);
  if (!r.ok) throw new ScriptParseError(r.errors);
  return r.script;
}

function newScope(parent: Scope | null): Scope {
  return { parent, open: new Map(), closed: new Map(), loopLocal: new Map(), kinds: new Map() };
}

/** After a broken line, keep the block structure: a broken `repeat` line still opens a block. */
function recover(
  raw: string,
  stack: Frame[],
  pos: Pos,
  err: (l: number, c: number, m: string) => void,
): void {
  const code = raw.replace(/#.*$/, '').trim();
  const frame = stack[stack.length - 1];
  if (!frame) return;
  // A broken `c1 = socket(...)` still defines c1, so later lines don't report it as unknown.
  const assigned = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(socket|accept)\b/.exec(code)?.[1];
  if (assigned !== undefined && find(frame.scope, assigned) === null) {
    frame.scope.open.set(assigned, pos.line);
    frame.scope.kinds.delete(assigned);
  }
  if (/^repeat\b/.test(code)) {
    stack.push({
      steps: [],
      scope: newScope(frame.scope),
      comments: [],
      blank: false,
      open: { pos, max: 1, trailing: null, comments: [], blank: false, broken: true },
    });
  } else if (code.startsWith('}')) {
    if (frame.open === null) err(pos.line, pos.col, "unexpected '}': no repeat block is open");
    else stack.pop();
  }
  frame.comments = [];
  frame.blank = false;
}

function checkCount(
  res: Extract<LineResult, { kind: 'close' }>,
  max: number,
  err: (m: string) => void,
): void {
  const e = res.expectCount;
  if (e === null) return;
  const values = e.kind === 'port' ? [e.port] : e.kind === 'set' ? e.ports : [e.lo, e.hi];
  const least = Math.min(...values);
  if (least > max) {
    err(`expect ${least} can never hold: the loop runs at most ${max} rounds`);
    return;
  }
  const includesMax =
    e.kind === 'port'
      ? e.port === max
      : e.kind === 'set'
        ? e.ports.includes(max)
        : e.lo <= max && max <= e.hi;
  if (res.thenErrno === null && !includesMax) {
    err(`without 'then ERRNO' the loop must run all ${max} rounds, so the count must include ${max}`);
  }
}

function find(scope: Scope, name: string): { scope: Scope; line: number } | null {
  for (let s: Scope | null = scope; s !== null; s = s.parent) {
    const line = s.open.get(name);
    if (line !== undefined) return { scope: s, line };
  }
  return null;
}

/** The kind of an open socket, or undefined when the line that created it was broken. */
function kindOf(scope: Scope, name: string): SocketKind | undefined {
  return find(scope, name)?.scope.kinds.get(name);
}

function checkNames(
  res: Extract<LineResult, { kind: 'call' }>,
  frame: Frame,
  lineNo: number,
  err: (col: number, m: string) => void,
): void {
  const scope = frame.scope;
  for (const use of res.uses) {
    if (find(scope, use.name) !== null) continue;
    let hint = `create it first with \`${use.name} = socket(tcp4)\``;
    for (let s: Scope | null = scope; s !== null; s = s.parent) {
      const closedAt = s.closed.get(use.name);
      const loopAt = s.loopLocal.get(use.name);
      if (closedAt !== undefined) hint = `it was closed at line ${closedAt}`;
      else if (loopAt !== undefined) {
        hint = `it was created inside the repeat at line ${loopAt} and is not visible after the loop`;
      } else continue;
      break;
    }
    err(use.col, `unknown socket ${use.name}: ${hint}`);
  }
  if (res.kind === 'call' && res.expect.kind === 'errno' && frame.open !== null) {
    err(
      res.expectCol,
      `a call inside a repeat body cannot expect an errno: the first failure ends the loop (write \`} expect N then ${res.expect.errno}\`)`,
    );
  }
  const call = res.call;
  if (res.closes !== null) {
    const owner = find(scope, res.closes.name);
    if (owner !== null && owner.scope !== scope) {
      err(
        res.closes.col,
        `close(${res.closes.name}) inside a repeat body would close it again every round: only sockets created in the body can be closed there`,
      );
    } else if (owner !== null) {
      scope.open.delete(res.closes.name);
      scope.kinds.delete(res.closes.name);
      scope.closed.set(res.closes.name, lineNo);
    }
  }
  if (res.creates !== null) {
    const { name, col } = res.creates;
    const existing = find(scope, name);
    if (existing !== null) {
      err(
        col,
        `socket ${name} is already open (created at line ${existing.line}): close it first or pick another name`,
      );
      return;
    }
    scope.open.set(name, lineNo);
    scope.closed.delete(name);
    // An accepted socket has the kind of the socket it was accepted from.
    const kind =
      call.op === 'socket' ? call.kind : call.op === 'accept' ? kindOf(scope, call.sock) : undefined;
    if (kind !== undefined) scope.kinds.set(name, kind);
    else scope.kinds.delete(name);
  }
}

/** A body's sockets stay open after the loop but lose their names. */
function closeScope(body: Scope, parent: Scope, repeatLine: number): void {
  for (const name of [...body.open.keys(), ...body.closed.keys(), ...body.loopLocal.keys()]) {
    parent.loopLocal.set(name, repeatLine);
  }
}
