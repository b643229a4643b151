#!/usr/bin/env node
/**
 * The portspace command (composition root). For now: `demo`; the full CLI (run, explain, diff,
 * tour, plan) comes with the CLI issue.
 */
import { runDemo } from './demo.js';

const USAGE = `usage: portspace <command>

commands:
  demo     a short tour of the model: per-destination port reuse, bind-before-connect, TIME_WAIT
  help     this text`;

function main(argv: string[]): number {
  const [cmd] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === 'demo') {
    runDemo((line) => console.log(line));
    return 0;
  }
  console.error(`portspace: unknown command '${cmd}'\n\n${USAGE}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
