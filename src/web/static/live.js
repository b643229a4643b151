// The live view: grids of the host's (or a /proc copy's) port space, headroom bars with the
// doctor's fixes, rates and time to exhaustion, warnings; refreshed by page.js.
import { $, el, fmt, getJson, NEW_DEST, showError, ui } from './common.js';
import { fillDestinations, renderGrids } from './grid.js';

export const live = { data: null, states: [], timer: null, pinned: null };

export function duration(sec) {
  if (sec === null || sec === undefined) return 'not shrinking';
  if (sec < 120) return `${sec.toFixed(1)} s`;
  if (sec < 7200) return `${(sec / 60).toFixed(1)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

/** `headroom steady`, `losing 3.0 ports/s: exhausted in 2.3 min`, `gaining 1.0 ports/s`. */
function exhaustionText(ex) {
  if (Math.abs(ex.lossPerSec) < 0.005) return 'headroom steady';
  if (ex.lossPerSec < 0) return `headroom gaining ${(-ex.lossPerSec).toFixed(2)} ports/s`;
  return `headroom losing ${ex.lossPerSec.toFixed(2)} ports/s: exhausted in ${duration(ex.secondsLeft)}`;
}

export function exhaustionOf(d, source, destination) {
  return d.exhaustion.find((e) => e.source === source && e.destination === destination) ?? null;
}

export function renderLive() {
  const d = live.data;
  if (!d) return;
  const r = d.report;
  const preferred = live.pinned ?? r.destinations[0]?.destination ?? NEW_DEST;
  const dest = fillDestinations($('live-dest'), d.space, preferred);
  const layout = $('live-layout').value;
  $('live-status').textContent =
    `sample ${d.sample}${d.intervalSec === null ? '' : `, ${d.intervalSec.toFixed(1)} s after the last`} \u00b7 ip_local_port_range ${r.range[0]}-${r.range[1]} (${fmt(r.rangeSize)} ports, ${fmt(r.candidatePorts)} candidates) \u00b7 tcp_tw_reuse=${r.sysctls.twReuse}`;
  live.states = renderGrids($('live-grids'), d.space, dest, layout, null);
  const bars = r.destinations.map((row) => {
    const ratio = r.candidatePorts === 0 ? 0 : row.headroom / r.candidatePorts;
    const fill = el('div', { class: `fill ${ratio < 0.1 ? 'critical' : ratio < 0.25 ? 'low' : 'ok'}` });
    fill.style.width = `${Math.max(0, Math.min(100, ratio * 100)).toFixed(2)}%`;
    const ex = exhaustionOf(d, row.source, row.destination);
    const rate = d.report.rates?.destinations.find(
      (x) => x.source === row.source && x.destination === row.destination,
    );
    const bits = [
      `headroom ${fmt(row.headroom)}${row.headroomMax > row.headroom ? `-${fmt(row.headroomMax)}` : ''} of ${fmt(r.candidatePorts)}`,
      `ESTABLISHED ${fmt(row.established)}`,
      `TIME_WAIT ${fmt(row.timeWait)} (${fmt(row.recyclableTimeWait)} recyclable)`,
    ];
    if (row.bindHeld > 0) bits.push(`bind-held ${fmt(row.bindHeld)}`);
    if (rate) bits.push(`${rate.timeWaitPerSec.toFixed(1)} TIME_WAIT/s`);
    if (ex) bits.push(exhaustionText(ex));
    const label = el('button', {
      type: 'button',
      class: 'l',
      text: `${row.source} \u2192 ${row.destination}`,
      title: 'show this destination on the grid',
    });
    label.addEventListener('click', () => {
      live.pinned = row.destination;
      renderLive();
    });
    return el(
      'div',
      { class: 'bar', 'data-pair': `${row.source} ${row.destination}` },
      label,
      el('div', { class: 'track', role: 'img', 'aria-label': `headroom ${row.headroom}` }, fill),
      el('div', { class: 'text', text: bits.join(' \u00b7 ') }),
      // The doctor's fixes measured on this pair (each names the pair it gains on).
      ...r.warnings.flatMap((w) =>
        w.fixes
          .filter((f) => f.per.includes(`(${row.source} -> ${row.destination})`))
          .map((f) =>
            el('div', { class: 'text bar-fix', text: `${w.code}: ${f.fix}: +${fmt(f.gain)} here` }),
          ),
      ),
    );
  });
  if (bars.length === 0)
    bars.push(
      el('p', {
        text: `no outgoing connections; a new destination has ${fmt(r.freshHeadroom)} connections of headroom`,
      }),
    );
  $('live-headroom').replaceChildren(...bars);
  $('live-warnings').replaceChildren(
    ...(r.warnings.length === 0
      ? [el('p', { text: 'no warnings' })]
      : r.warnings.map((w) =>
          el(
            'div',
            { class: `warning ${w.severity}` },
            el('span', { class: 'code', text: `${w.code}` }),
            ` (${w.rule}): ${w.message}`,
            ...w.fixes.map((f) =>
              el('div', {
                class: 'fix',
                text: `fix: ${f.fix}: +${fmt(f.gain)} connection${f.gain === 1 ? '' : 's'} ${f.per}`,
              }),
            ),
          ),
        )),
  );
  $('live-notes').replaceChildren(
    ...[...new Set([...r.notes, ...d.space.notes])].map((n) => el('li', { text: n })),
  );
  ui.afterRender();
}

export async function refreshLive() {
  try {
    live.data = await getJson('/api/live');
    $('error').hidden = true;
    renderLive();
  } catch (e) {
    showError(e);
  }
}
