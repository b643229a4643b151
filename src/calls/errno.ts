/**
 * Errno names, as Linux spells them. The model returns a closed set (Errno); the kernel may
 * report any other name (the helper spells one it cannot name E<number>), so what a backend
 * reports is an ErrnoName: the model's Errno or another E-word.
 */

/** Every errno the model returns. */
export type Errno =
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EACCES'
  | 'EINVAL'
  | 'EAFNOSUPPORT'
  | 'EAGAIN'
  | 'EBADF'
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'EISCONN'
  | 'ENETUNREACH'
  | 'ENOPROTOOPT'
  | 'ENOTCONN'
  | 'EOPNOTSUPP'
  | 'EPIPE'
  | 'EPROTONOSUPPORT'
  | 'ENOENT'
  | 'ETIMEDOUT'
  | 'EEXIST';

/** What a backend may report: one of the model's errnos or another name the kernel gave. */
export type ErrnoName = Errno | `E${string}`;

export function isErrnoName(s: string): s is ErrnoName {
  return /^E[A-Z0-9]+$/.test(s);
}

/** Errno names a script may expect (Linux spelling). */
export const ERRNO_NAMES: readonly ErrnoName[] = [
  'EACCES',
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'EAFNOSUPPORT',
  'EAGAIN',
  'EALREADY',
  'EBADF',
  'ECONNABORTED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EDESTADDRREQ',
  'EEXIST',
  'EFAULT',
  'EHOSTUNREACH',
  'EINPROGRESS',
  'EINTR',
  'EINVAL',
  'EISCONN',
  'EMFILE',
  'ENETUNREACH',
  'ENFILE',
  'ENOBUFS',
  'ENOENT',
  'ENOMEM',
  'ENOPROTOOPT',
  'ENOTCONN',
  'ENOTSOCK',
  'EOPNOTSUPP',
  'EPERM',
  'EPIPE',
  'EPROTONOSUPPORT',
  'ERANGE',
  'ETIMEDOUT',
];

/** Whether a script may expect this name (one of ERRNO_NAMES). */
export function isKnownErrno(s: string): s is ErrnoName {
  return (ERRNO_NAMES as readonly string[]).includes(s);
}
