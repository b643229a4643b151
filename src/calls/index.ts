/**
 * The call vocabulary (a leaf: imports nothing): Call, Outcome, socket kinds, options, endpoints
 * and errno names, shared by the model's API, the script language, the runners and the kernel.
 */
export {
  type Call,
  type CallOp,
  type Endpoint,
  FLAG_OPTIONS,
  type GetSockOptName,
  type Outcome,
  PAIR_OPTIONS,
  SOCKET_KINDS,
  SOCKET_OPTIONS,
  type SocketKind,
  type SockOpt,
  type SockOptName,
  type SockOptValue,
} from './calls.js';
export { ERRNO_NAMES, type Errno, type ErrnoName, isErrnoName, isKnownErrno } from './errno.js';
