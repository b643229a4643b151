// The table view: the numbers of every view as plain tables (for screen readers and copying).
import { $, CATS, el, fmt, NEW_DEST } from './common.js';
import { duration, exhaustionOf, live } from './live.js';
import { plan } from './plan.js';
import { script } from './script.js';

function table(caption, head, rows, id) {
  return el(
    'table',
    { id },
    el('caption', { text: caption }),
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col', text: h })))),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          {},
          ...r.map((c, i) =>
            el(
              i === 0 ? 'th' : 'td',
              i === 0
                ? { scope: 'row', text: String(c) }
                : typeof c === 'number'
                  ? { text: fmt(c) }
                  : { class: /^[-\d.,]+$/.test(String(c)) ? undefined : 'l', text: String(c) },
            ),
          ),
        ),
      ),
    ),
  );
}

function gridCountTable(caption, states, id) {
  return table(
    caption,
    ['source', 'destination', ...CATS.map((c) => c.name)],
    states.map((s) => [s.source, s.dest === NEW_DEST ? '(a new destination)' : s.dest, ...s.counts]),
    id,
  );
}

export function renderTables() {
  const out = [];
  const d = live.data;
  if (d) {
    out.push(
      table(
        `live: headroom per (source, destination), tightest first (sample ${d.sample})`,
        [
          'source',
          'destination',
          'ESTABLISHED',
          'TIME_WAIT',
          'recyclable TIME_WAIT',
          'bind-held',
          'headroom',
          'headroom max',
          'TIME_WAIT/s',
          'headroom lost/s',
          'time to exhaustion',
        ],
        d.report.destinations.map((r) => {
          const ex = exhaustionOf(d, r.source, r.destination);
          const rate = d.report.rates?.destinations.find(
            (x) => x.source === r.source && x.destination === r.destination,
          );
          return [
            r.source,
            r.destination,
            r.established,
            r.timeWait,
            r.recyclableTimeWait,
            r.bindHeld,
            r.headroom,
            r.headroomMax,
            rate ? rate.timeWaitPerSec.toFixed(2) : '-',
            ex ? ex.lossPerSec.toFixed(2) : '-',
            ex ? duration(ex.secondsLeft) : '-',
          ];
        }),
        'table-live-headroom',
      ),
      gridCountTable('live: ports per category on the grid', live.states, 'table-live-grid'),
      table(
        'live: fixes the doctor computes',
        ['warning', 'fix', 'gain', 'per'],
        d.report.warnings.flatMap((w) => w.fixes.map((f) => [w.code, f.fix, f.gain, f.per])),
        'table-live-fixes',
      ),
    );
  }
  if (script.data) {
    out.push(
      table(
        `script ${script.data.file}: steps`,
        ['step', 'line', 'call', 'expected', 'result', 'as expected', 'ports passed over', 'port taken'],
        script.data.steps.map((s) => [
          s.index + 1,
          s.line,
          s.call,
          s.expected || '-',
          s.result,
          s.pass ? 'yes' : 'no',
          s.search ? s.search.skipped : '-',
          s.search?.took ?? '-',
        ]),
        'table-script-steps',
      ),
      gridCountTable(
        `script: ports per category after step ${script.index + 1}`,
        script.states,
        'table-script-grid',
      ),
    );
  }
  if (plan.data) {
    const p = plan.data;
    out.push(
      table(
        'plan: strategies',
        [
          'strategy',
          'attempts',
          'failed',
          'first failure (s)',
          'errno',
          'peak in use',
          'capacity',
          'peak TIME_WAIT',
          'peak open',
        ],
        p.strategies.map((s) => [
          s.name,
          s.attempts,
          s.failed,
          s.firstFailureAtSec ?? '-',
          s.errno ?? '-',
          s.peakInUse,
          s.capacity,
          s.peakTimeWait,
          s.peakOpen,
        ]),
        'table-plan-strategies',
      ),
    );
    const main = p.strategies.find((s) => s.name === p.plan.strategy) ?? p.strategies[0];
    out.push(
      table(
        `plan: ${main.name} over time`,
        ['from (s)', 'ports in use (fullest unit)', 'TIME_WAIT', 'open', 'attempts', 'failed'],
        main.series.map((b) => [b.startMs / 1000, b.unitInUse, b.timeWait, b.open, b.attempts, b.failed]),
        'table-plan-series',
      ),
    );
  }
  $('tables').replaceChildren(...out);
}
