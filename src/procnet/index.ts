/** procnet: /proc/net socket tables and /proc/sys port sysctls, parsed (pure) and read (reader.ts). */
export { AddressTable, type AddrInfo } from './addresses.js';
export {
  type FileStats,
  MAX_KEPT,
  type ParseIssues,
  ProcNetParser,
  parseProcNetText,
  type UnreadableLine,
} from './parse-sockets.js';
export {
  copyProblems,
  emptySnapshot,
  PROC_COPY_COMMANDS,
  type Snapshot,
  type SnapshotTexts,
  SOCKET_FILES,
  snapshotFromTexts,
} from './snapshot.js';
export { type Proto, SocketTable } from './socket-table.js';
export { type PortSysctls, readPortSysctls, SYSCTL_FILES, type SysctlRead } from './sysctls.js';
export { holdsFourTuple, MAX_STATE, ST, stateName, TCP_STATES } from './tcp-states.js';
export { timeWaitAgeMs } from './timewait-age.js';
