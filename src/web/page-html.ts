/**
 * The page's HTML shell and style sheet. Everything the page shows is drawn by page.js from the
 * server's JSON; nothing is loaded from outside (the icon is an empty data: URL so the browser
 * does not ask for /favicon.ico).
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>portspace</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/page.css">
<script type="module" src="/page.js"></script>
</head>
<body>
<header>
  <h1>portspace</h1>
  <span id="title"></span>
  <nav id="tabs" role="tablist" aria-label="views"></nav>
</header>
<main>
  <section id="view-live" class="view" hidden aria-label="live host">
    <div class="controls">
      <label>destination <select id="live-dest"></select></label>
      <label>layout <select id="live-layout" class="layout">
        <option value="split">split by parity</option><option value="order">in port order</option>
      </select></label>
      <span id="live-status" class="status" aria-live="polite"></span>
    </div>
    <div id="live-legend" class="legend"></div>
    <div id="live-grids" class="grids"></div>
    <h2>Headroom per (source, destination), tightest first</h2>
    <div id="live-headroom" class="bars"></div>
    <h2>Warnings and the fixes the doctor computes</h2>
    <div id="live-warnings"></div>
    <ul id="live-notes" class="notes"></ul>
  </section>
  <section id="view-script" class="view" hidden aria-label="script">
    <div class="controls">
      <button id="step-first" type="button" title="first step">|&lt;</button>
      <button id="step-prev" type="button" title="previous step">&lt;</button>
      <span id="step-pos" class="status" aria-live="polite"></span>
      <button id="step-next" type="button" title="next step">&gt;</button>
      <button id="step-last" type="button" title="last step">&gt;|</button>
      <button id="step-walk" type="button" title="walk the search again">walk the search</button>
      <label>destination <select id="script-dest"></select></label>
      <label>layout <select id="script-layout" class="layout">
        <option value="split">split by parity</option><option value="order">in port order</option>
      </select></label>
    </div>
    <div class="script-columns">
      <ol id="script-steps" class="steps"></ol>
      <div class="script-main">
        <div id="step-detail" class="detail"></div>
        <div id="script-legend" class="legend"></div>
        <div id="script-grids" class="grids"></div>
        <div id="walk-status" class="status" aria-live="polite"></div>
        <ul id="search-runs" class="runs"></ul>
      </div>
    </div>
  </section>
  <section id="view-plan" class="view" hidden aria-label="plan">
    <div id="plan-head" class="detail"></div>
    <div id="plan-chart"></div>
    <h2>Advice (each tweak re-simulated)</h2>
    <ul id="plan-advice"></ul>
  </section>
  <section id="view-table" class="view" hidden aria-label="tables">
    <div id="tables"></div>
  </section>
  <p id="error" class="error" role="alert" hidden></p>
</main>
<div id="tooltip" role="tooltip" hidden></div>
</body>
</html>
`;

export const PAGE_CSS = `:root { --fg: #1d2329; --muted: #5f6b76; --line: #d5dbe0; --bg: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 16px; padding: 8px 16px; border-bottom: 1px solid var(--line); }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 15px; margin: 18px 0 6px; }
#title { color: var(--muted); }
nav { margin-left: auto; display: flex; gap: 4px; }
nav button { border: 1px solid var(--line); background: #f4f6f8; padding: 4px 12px; cursor: pointer; font: inherit; }
nav button[aria-selected="true"] { background: var(--fg); color: #fff; }
main { padding: 10px 16px 24px; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin-bottom: 8px; }
.controls button { font: inherit; padding: 2px 8px; }
.status { color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 4px 0 8px; font-size: 13px; }
.legend .sw { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; border: 1px solid #0002; }
.grid { margin: 6px 0 12px; }
.grid .head { font-weight: 600; }
.grid .counts { color: var(--muted); font-size: 13px; }
.grid .halves { display: flex; font-size: 12px; color: var(--muted); }
.grid canvas { display: block; image-rendering: pixelated; cursor: crosshair; }
.bars .bar { display: grid; grid-template-columns: 330px 1fr; gap: 2px 8px; align-items: center; margin: 3px 0; }
.bars .bar button { text-align: left; background: none; border: none; padding: 0; font: inherit; color: #1f6fb4; cursor: pointer; }
.bars .track { height: 16px; background: #eef1f4; position: relative; border: 1px solid var(--line); }
.bars .fill { height: 100%; }
.bars .fill.ok { background: #5cb85c; } .bars .fill.low { background: #f0ad4e; } .bars .fill.critical { background: #d9534f; }
.bars .text { font-size: 12px; color: var(--muted); grid-column: 2; }
.bars .bar-fix { font-family: ui-monospace, monospace; color: #2b6a3e; }
.warning { margin: 6px 0; } .warning .code { font-weight: 600; }
.warning.critical .code { color: #c92a2a; } .warning.warning .code { color: #b35c00; }
.fix { margin-left: 18px; font-family: ui-monospace, monospace; font-size: 12px; }
.notes { color: var(--muted); font-size: 12px; }
.script-columns { display: grid; grid-template-columns: minmax(200px, 300px) minmax(0, 1fr); gap: 14px; }
.steps { margin: 0; padding-left: 28px; font-family: ui-monospace, monospace; font-size: 12px; max-height: 560px; overflow: auto; }
.steps li { cursor: pointer; padding: 1px 2px; }
.steps li.current { background: #fff3bf; }
.steps li.fail { color: #c92a2a; }
.detail { font-family: ui-monospace, monospace; font-size: 13px; white-space: pre-wrap; margin-bottom: 6px; }
.runs { font-family: ui-monospace, monospace; font-size: 12px; }
.runs li.active { background: #ffe3e3; }
table { border-collapse: collapse; margin: 4px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 2px 8px; text-align: right; }
th:first-child, td:first-child, th.l, td.l { text-align: left; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
#tooltip { position: fixed; z-index: 10; max-width: 560px; background: #1d2329; color: #fff; padding: 6px 8px;
  font-size: 12px; white-space: pre-wrap; pointer-events: none; border-radius: 3px; }
.error { color: #c92a2a; font-weight: 600; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
`;
