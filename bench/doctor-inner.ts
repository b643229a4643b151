/** Run by bench/doctor.ts inside the benchmark's namespace: reads /proc/net/tcp, prints the time. */
import { buildReport } from '../src/doctor/index.js';
import { readProcSnapshot } from '../src/procnet/reader.js';

const t0 = performance.now();
const r = buildReport(readProcSnapshot('/proc', { files: ['tcp'] }));
console.log(JSON.stringify({ ms: performance.now() - t0, sockets: r.tcp.sockets }));
