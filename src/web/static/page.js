// The portspace page (plain JavaScript, no framework): draws the server's JSON as port grids,
// headroom bars, a script's searches, a plan's chart and plain tables. It fetches only from the
// server that sent it (the Content-Security-Policy forbids anything else). Data is inserted as
// text, never as HTML.
import { $, el, getJson, MARKS, PALETTE, showError, ui } from './common.js';
import { legend } from './grid.js';
import { live, refreshLive, renderLive } from './live.js';
import { plan, renderPlan } from './plan.js';
import { animateWalk, loadScript, script } from './script.js';
import { renderTables } from './tables.js';

const VIEW_NAMES = { live: 'Live host', script: 'Script', plan: 'Plan', table: 'Table' };

function select(view) {
  ui.view = view;
  for (const b of $('tabs').children) b.setAttribute('aria-selected', String(b.dataset.view === view));
  for (const s of document.querySelectorAll('section.view')) s.hidden = s.id !== `view-${view}`;
  if (view === 'table') renderTables();
  // Grids fit the width of their view, which a hidden view does not have: draw them now.
  if (view === 'live' && live.data) renderLive();
  if (view === 'script' && script.data && script.spaces.has(script.index)) animateWalk();
  document.body.dataset.view = view;
}

async function main() {
  ui.afterRender = () => {
    if (ui.view === 'table') renderTables();
  };
  const meta = await getJson('/api/meta');
  $('title').textContent = meta.title;
  document.title = `portspace: ${meta.title}`;
  const views = [...meta.views, 'table'];
  $('tabs').replaceChildren(
    ...views.map((v) => {
      const b = el('button', { type: 'button', role: 'tab', 'data-view': v, text: VIEW_NAMES[v] });
      b.addEventListener('click', () => select(v));
      return b;
    }),
  );
  legend($('live-legend'));
  legend($('script-legend'));
  $('live-dest').addEventListener('change', () => {
    live.pinned = $('live-dest').value;
    renderLive();
  });
  $('live-layout').addEventListener('change', () => renderLive());
  const loads = [];
  if (meta.views.includes('live')) {
    loads.push(refreshLive());
    live.timer = setInterval(() => {
      if (!document.hidden && (ui.view === 'live' || ui.view === 'table')) refreshLive();
    }, meta.refreshMs);
  }
  if (meta.views.includes('script')) loads.push(loadScript());
  if (meta.views.includes('plan'))
    loads.push(
      getJson('/api/plan').then((p) => {
        plan.data = p;
        renderPlan();
      }),
    );
  const wanted = new URLSearchParams(location.search).get('view');
  select(views.includes(wanted) ? wanted : (meta.views.find((v) => v !== 'live') ?? views[0]));
  await Promise.all(loads);
  document.body.dataset.ready = 'yes';
}

/** For tests and curious users: where a port's cell is on a grid's canvas (canvas pixels). */
window.portspace = {
  palette: PALETTE,
  marks: MARKS,
  cellCenter(view, source, port) {
    const states = view === 'script' ? script.states : live.states;
    const s = states.find((x) => x.source === source);
    return s ? s.g.center(port) : null;
  },
};

main().catch(showError);
