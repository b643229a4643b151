/**
 * `portspace demo [--json]`: a short tour of the model (src/tour/demo.ts runs it); --json gives the
 * same sections and steps as one document, like every other command.
 */
import { DEMO_SEED, runDemo } from '../../tour/demo.js';
import { parseCommandArgs, refuseArguments } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../errors.js';

const HELP = `usage: portspace demo [--json]

A short tour of the model: per-destination port reuse, bind-before-connect, TIME_WAIT.

options:
  --json      the sections and their steps as one JSON document
  -h, --help  this text

examples:
  portspace demo
  portspace demo --json`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'a short tour of the model: per-destination port reuse, bind-before-connect, TIME_WAIT',
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('demo', argv, {
      json: { type: 'boolean', default: false },
    });
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    refuseArguments('demo', positionals);
    const sections = runDemo();
    if (values.json) {
      out.json({ seed: DEMO_SEED, sections });
      return EXIT.ok;
    }
    out.line(`portspace demo: Linux 6.18 local port allocation, modelled (seed ${DEMO_SEED})\n`);
    sections.forEach((s, i) => {
      out.line(i === 0 ? s.title : `\n${s.title}`);
      for (const step of s.steps) out.line(`   ${step}`);
    });
    return EXIT.ok;
  },
};
