/**
 * Entry file of a server worker (node:cluster, forked by the namespace primary). Every server
 * worker listens on the same address: cluster hands them one listening socket (Node 20 has no
 * reusePort), and with the SCHED_NONE policy each worker accepts from it directly. A worker holds
 * only server ends, so it stops listening once it holds `cap` of them (the others accept the
 * rest) and stays under the 20,000-file limit. It reports its counts and exits with the primary.
 */
import net from 'node:net';
import type { ServerEvent } from './types.js';

const REPORT_MS = 100;

function send(e: ServerEvent): void {
  // A closed channel: ignore (the 'disconnect' handler below ends the process).
  if (process.connected) process.send?.(e, undefined, undefined, () => {});
}

const addr = process.env.PORTSPACE_LOAD_ADDR ?? '';
const port = Number(process.env.PORTSPACE_LOAD_PORT);
const cap = Number(process.env.PORTSPACE_LOAD_CAP);

let open = 0;
let accepted = 0;
const sockets = new Set<net.Socket>();

// Ctrl-C reaches every process of the terminal's group: the primary decides what happens.
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));

const server = net.createServer((sock) => {
  accepted++;
  open++;
  sockets.add(sock);
  sock.on('error', () => {});
  // Flowing, so the client's FIN is seen and answered at once (allowHalfOpen is off).
  sock.resume();
  sock.on('close', () => {
    open--;
    sockets.delete(sock);
  });
  // At the cap, leave the shared socket to the other workers (close() keeps accepted sockets).
  if (accepted >= cap && server.listening) server.close();
});
server.on('error', (e) => send({ type: 'listen-failed', message: e.message }));
server.listen({ host: addr, port, backlog: 4096 }, () => send({ type: 'listening' }));
let last = '';
setInterval(() => {
  const now = `${open}/${accepted}`;
  if (now === last) return;
  last = now;
  send({ type: 'count', open, accepted });
}, REPORT_MS);
