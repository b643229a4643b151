// The script view: step through a script call by call; each port search walks the grid.
import { $, el, fmt, getJson, NEW_DEST, ui } from './common.js';
import { fillDestinations, redrawGrids, renderGrids } from './grid.js';

export const script = { data: null, index: 0, spaces: new Map(), states: [], walk: null, pinned: null };

async function spaceOf(i) {
  let s = script.spaces.get(i);
  if (!s) {
    s = await getJson(`/api/script/step/${i}`);
    script.spaces.set(i, s);
  }
  return s;
}

/** The walk of a search as a list of events in scan order: start, skip (with its run), take. */
function walkEvents(search) {
  const events = [];
  let run = 0;
  for (const ph of search.phases)
    for (const pa of ph.passes) {
      events.push({ kind: 'start', port: pa.startPort, pass: pa.pass, phase: ph.label });
      for (const r of pa.skipped) {
        for (let k = 0, p = r.from; k < r.count; k++, p += r.step) {
          events.push({ kind: 'skip', port: p, reason: r.reason, run });
        }
        run++;
      }
      if (pa.took !== null) events.push({ kind: 'take', port: pa.took });
    }
  return events;
}

function marksUpTo(events, n) {
  const m = { skipped: new Map(), taken: null, starts: [] };
  for (const e of events.slice(0, n)) {
    if (e.kind === 'skip') m.skipped.set(e.port, e.reason);
    else if (e.kind === 'take') m.taken = e.port;
    else m.starts.push(e.port);
  }
  return m;
}

function stepText(s) {
  const lines = [
    `line ${s.line}: ${s.call}${s.expected ? ` = ${s.expected}` : ''}`,
    `result: ${s.result} ${s.pass ? '(as expected)' : '(NOT as expected)'}`,
  ];
  if (s.failure) {
    lines.push(`${s.failure.errno} by rule ${s.failure.rule}: ${s.failure.reason}`);
    for (const b of s.failure.blocking.slice(0, 6)) lines.push(`  in the way: ${b}`);
    if (s.failure.blocking.length > 6) lines.push(`  ... and ${s.failure.blocking.length - 6} more`);
  }
  if (s.replayed) lines.push('(the search that ended the loop, re-walked on a replaying twin)');
  return lines.join('\n');
}

function runsList(s) {
  const items = [];
  if (!s.search) return [el('li', { text: 'no port search in this step' })];
  let k = 0;
  let run = 0;
  for (const ph of s.search.phases) {
    items.push(
      el('li', { text: `${ph.label}: window ${ph.lo}-${ph.hi}${ph.step === 2 ? ', every other port' : ''}` }),
    );
    for (const pa of ph.passes) {
      items.push(el('li', { text: `  pass ${pa.pass + 1} starts at ${pa.startPort} (offset ${pa.offset})` }));
      const texts = s.search.runTexts[k++] ?? [];
      for (const t of texts) items.push(el('li', { 'data-run': run++, text: `    passed over ${t}` }));
      items.push(
        el('li', { text: pa.took !== null ? `    took ${pa.took}` : '    no port left in this pass' }),
      );
    }
  }
  if (s.search.took === null && s.search.exhausted)
    items.push(
      el('li', { text: `no port taken: every candidate was passed over (${fmt(s.search.skipped)} ports)` }),
    );
  return items;
}

function marksFor(s, space, marks) {
  return (source) =>
    marks && (s.focus.source === null || s.focus.source === source || !space.sources.includes(s.focus.source))
      ? marks
      : null;
}

/** Draws the step's grids (`fresh`: new elements, else a redraw) with the first `shown` walk events. */
function drawStep(events, shown, fresh) {
  const s = script.data.steps[script.index];
  const space = script.spaces.get(script.index);
  if (!space) return;
  const pick = marksFor(s, space, events ? marksUpTo(events, shown) : null);
  if (fresh)
    script.states = renderGrids(
      $('script-grids'),
      space,
      $('script-dest').value,
      $('script-layout').value,
      pick,
    );
  else redrawGrids(script.states, pick);
  const status = $('walk-status');
  if (!events) status.textContent = '';
  else {
    const skipped = events.slice(0, shown).filter((e) => e.kind === 'skip').length;
    const total = events.filter((e) => e.kind === 'skip').length;
    const last = events[shown - 1];
    const end = s.search.took !== null ? `, took ${s.search.took}` : ', none taken';
    status.textContent = `search: ${fmt(skipped)} of ${fmt(total)} ports passed over${shown >= events.length ? end : ''}`;
    for (const li of document.querySelectorAll('#search-runs li[data-run]'))
      li.classList.toggle('active', last?.kind === 'skip' && String(last.run) === li.dataset.run);
  }
}

/** Animates the search over ~1.5 s (any length), then leaves the whole walk drawn. */
export function animateWalk() {
  const s = script.data.steps[script.index];
  if (script.walk) cancelAnimationFrame(script.walk);
  script.walk = null;
  if (!s.search) {
    document.body.dataset.walk = 'none';
    return drawStep(null, 0, true);
  }
  const events = walkEvents(s.search);
  drawStep(events, 0, true);
  const t0 = performance.now();
  const total = 1500;
  const frame = (t) => {
    const shown = Math.min(events.length, Math.max(1, Math.ceil(((t - t0) / total) * events.length)));
    drawStep(events, shown, false);
    if (shown < events.length) script.walk = requestAnimationFrame(frame);
    else {
      script.walk = null;
      document.body.dataset.walk = 'done';
    }
  };
  document.body.dataset.walk = 'running';
  script.walk = requestAnimationFrame(frame);
}

async function showStep(i) {
  const steps = script.data.steps;
  if (steps.length === 0) return;
  script.index = Math.max(0, Math.min(steps.length - 1, i));
  const s = steps[script.index];
  const space = await spaceOf(script.index);
  $('step-pos').textContent = `step ${script.index + 1} of ${steps.length}`;
  for (const li of $('script-steps').children)
    li.classList.toggle('current', Number(li.dataset.index) === script.index);
  $('step-detail').textContent = stepText(s);
  fillDestinations(
    $('script-dest'),
    space,
    script.pinned ?? s.focus.destination ?? space.destinations[0] ?? NEW_DEST,
  );
  $('search-runs').replaceChildren(...runsList(s));
  animateWalk();
  ui.afterRender();
}

export async function loadScript() {
  script.data = await getJson('/api/script');
  const list = $('script-steps');
  list.replaceChildren(
    ...script.data.steps.map((s) => {
      const li = el('li', {
        'data-index': s.index,
        class: s.pass ? '' : 'fail',
        text: `${s.call} \u2192 ${s.result}`,
      });
      li.addEventListener('click', () => showStep(s.index));
      return li;
    }),
  );
  $('step-first').addEventListener('click', () => showStep(0));
  $('step-prev').addEventListener('click', () => showStep(script.index - 1));
  $('step-next').addEventListener('click', () => showStep(script.index + 1));
  $('step-last').addEventListener('click', () => showStep(script.data.steps.length - 1));
  $('step-walk').addEventListener('click', () => animateWalk());
  $('script-dest').addEventListener('change', () => {
    script.pinned = $('script-dest').value;
    animateWalk();
  });
  $('script-layout').addEventListener('change', () => animateWalk());
  document.addEventListener('keydown', (e) => {
    if (ui.view !== 'script' || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'ArrowRight') showStep(script.index + 1);
    if (e.key === 'ArrowLeft') showStep(script.index - 1);
  });
  await showStep(0);
}
