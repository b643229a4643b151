// The page's shared pieces: colours and categories of the grid, DOM and fetch helpers, and
// the state the views share. Data is always inserted as text, never as HTML.

/** Cell colours, by category: what connect() from the grid's source to the selected destination finds. */
export const PALETTE = {
  free: '#dfe6ec',
  inUse: '#1f6fb4',
  twOk: '#f5c563',
  twBlock: '#e8590c',
  other: '#8ccf9b',
  bindOwned: '#343a40',
  reserved: '#9775b8',
};
/** The search walk drawn over the cells. */
export const MARKS = { skip: '#c92a2a', take: '#2b8a3e', start: '#000000' };

export const CATS = [
  { id: 'free', name: 'free', rule: 'R12', why: 'free: connect() to DEST may take it' },
  {
    id: 'inUse',
    name: 'in use to this destination',
    rule: 'R14',
    why: 'the 4-tuple to DEST is taken: connect() to DEST passes over it',
  },
  {
    id: 'twOk',
    name: 'TIME_WAIT, recyclable',
    rule: 'R62',
    why: 'TIME_WAIT to DEST, older than tcp_tw_reuse_delay with tcp_tw_reuse on: connect() to DEST may recycle it',
  },
  {
    id: 'twBlock',
    name: 'TIME_WAIT, not recyclable (yet)',
    rule: 'R62',
    why: 'TIME_WAIT to DEST that connect() may not recycle (yet): it passes over it',
  },
  {
    id: 'other',
    name: 'used only towards other destinations',
    rule: 'R14',
    why: 'used only towards other destinations: the 4-tuple to DEST differs, so connect() to DEST may take it',
  },
  {
    id: 'bindOwned',
    name: 'blocked: bind-owned',
    rule: 'R12',
    why: 'bind-owned (a bind() or listen() user holds it, on any address): every autoselecting connect() passes over it, whatever the destination',
  },
  {
    id: 'reserved',
    name: 'blocked: reserved',
    rule: 'R2',
    why: 'reserved (ip_local_reserved_ports): connect() and bind(ip, 0) pass over it for every destination',
  },
];
export const CAT = Object.fromEntries(CATS.map((c, i) => [c.id, i]));
export const NEW_DEST = '';
export const GUTTER = 46;

export const $ = (id) => document.getElementById(id);
export const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n));

/** An element with attributes and text or child nodes (text only: never parsed as HTML). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export async function getJson(path) {
  const r = await fetch(path, { cache: 'no-store' });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error(`${path}: ${body?.error ?? `HTTP ${r.status}`}`);
  return body;
}

export function showError(e) {
  const box = $('error');
  box.textContent = e instanceof Error ? e.message : String(e);
  box.hidden = false;
}

/** What the views share: the view shown, and what to do after a view's data was drawn (tables). */
export const ui = { view: null, afterRender: () => {} };
