/*
 * portspace-helper: executes socket calls on the real kernel inside a private network namespace.
 *
 * Life cycle: unshare(CLONE_NEWNET) -> bring lo up -> print one ready line -> answer one request
 * per stdin line with exactly one JSON line on stdout -> on EOF close every socket, stop the
 * remote child and exit. Nothing here ever touches the namespace the helper was started in:
 * every address, route, veth and sysctl is created after unshare(), in namespaces that die with
 * the helper.
 *
 * Request lines (tokens separated by spaces or tabs; see kernel-backend.ts for the encoder):
 *   sysctl NAME VALUE...           NAME dotted (net.ipv4.ip_local_port_range); VALUE = rest of line
 *   addr CIDR                      /32 (/128): address on lo; shorter: address on a veth whose
 *                                  other prefix addresses are a "remote" namespace that accepts
 *   route CIDR [SRC]               `ip route add local CIDR dev lo [src SRC]`: the whole prefix is
 *                                  local (AnyIP) with SRC as the source towards it
 *   uid N                          effective uid for later socket calls
 *   socket NAME tcp4|tcp6|udp4|udp6
 *   setsockopt NAME OPT V1 [V2]    OPT: SO_REUSEADDR SO_REUSEPORT IP_BIND_ADDRESS_NO_PORT
 *                                       IP_LOCAL_PORT_RANGE (V1=lo V2=hi) IPV6_V6ONLY
 *                                       SO_LINGER (V1=onoff V2=seconds)
 *                                       IP_FREEBIND IPV6_FREEBIND
 *   setsockoptlen NAME OPT LEN V   the same options but SO_LINGER, with a LEN-byte buffer (0..64)
 *                                  holding V's little-endian bytes, zero-padded (V < 2^53;
 *                                  IP_LOCAL_PORT_RANGE as one u32 hi << 16 | lo)
 *   getsockopt NAME OPT            -> {"ok":true,"optval":V}; IP_LOCAL_PORT_RANGE -> [LO,HI]
 *   bind NAME ADDR PORT            -> {"ok":true,"port":P,"addr":A} (getsockname)
 *   listen NAME BACKLOG            -> getsockname
 *   connect NAME ADDR PORT [MS]    -> getsockname; bounded by MS (default 2000) -> ETIMEDOUT
 *   accept NAME NEWNAME [MS]       -> {"ok":true,"peer":{"addr":A,"port":P}}; EAGAIN after MS (100)
 *   close NAME 0|1                 1 = SO_LINGER {1,0} first (RST, no TIME_WAIT: spec R61)
 *   getsockname NAME
 *   sendto NAME ADDR PORT          one datagram (1 byte) -> getsockname
 *   disconnect NAME                connect(AF_UNSPEC)
 *   deliver tcp|udp FADDR FPORT TADDR TPORT [MS]
 *                                  a probe bound to FADDR:FPORT sends one connection (tcp) or
 *                                  datagram (udp) to TADDR:TPORT -> {"ok":true,"member":NAME},
 *                                  the named socket that got it; ECONNREFUSED when none did.
 *                                  The probe leaves nothing behind (see op_deliver) but a
 *                                  connected UDP receiver's CPU (see pin_to_one_cpu).
 *   sleep MS
 *   ping | stats | quit
 * Failures of the kernel: {"ok":false,"errno":"EADDRINUSE"}. An unknown socket name is EBADF,
 * as a closed descriptor would be. Misuse of the protocol (name in use, bad token):
 * {"ok":false,"fault":"..."}, so the adapter can tell the two apart.
 *
 * Sockets are non-blocking inside; connect() and accept() wait with poll() up to their bound and
 * finish the way the blocking calls do (see op_connect). Past the per-process fd limit, sockets
 * live in socket workers forked into the same namespace (see struct worker).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif
#ifndef SO_REUSEPORT
#define SO_REUSEPORT 15
#endif
#ifndef IP_FREEBIND
#define IP_FREEBIND 15
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

#define HELPER_VERSION 1
#define MAX_LINE 4096
#define MAX_TOKENS 8
#define NAME_MAX_LEN 63
#define DEFAULT_CONNECT_MS 2000
#define DEFAULT_ACCEPT_MS 100
#define MAX_WAIT_MS 600000
#define CMD_TIMEOUT_MS 5000
#define REMOTE_TIMEOUT_MS 5000
/* ~30,000 connections need that many fds here and in the remote child, plus headroom. */
#define WANT_NOFILE 262144

extern char **environ;

/* ------------------------------------------------------------------------------------------ */
/* errno names                                                                                 */

struct errname {
  int num;
  const char *name;
};

#define E_(x) {x, #x}
static const struct errname ERRNAMES[] = {
    E_(EPERM),        E_(ENOENT),         E_(ESRCH),          E_(EINTR),           E_(EIO),
    E_(ENXIO),        E_(E2BIG),          E_(EBADF),          E_(ECHILD),          E_(EAGAIN),
    E_(ENOMEM),       E_(EACCES),         E_(EFAULT),         E_(EBUSY),           E_(EEXIST),
    E_(ENODEV),       E_(ENOTDIR),        E_(EISDIR),         E_(EINVAL),          E_(ENFILE),
    E_(EMFILE),       E_(ENOSPC),         E_(EPIPE),          E_(ERANGE),          E_(ENOSYS),
    E_(ENOTSOCK),     E_(EDESTADDRREQ),   E_(EMSGSIZE),       E_(EPROTOTYPE),      E_(ENOPROTOOPT),
    E_(EPROTONOSUPPORT), E_(ESOCKTNOSUPPORT), E_(EOPNOTSUPP), E_(EPFNOSUPPORT),    E_(EAFNOSUPPORT),
    E_(EADDRINUSE),   E_(EADDRNOTAVAIL),  E_(ENETDOWN),       E_(ENETUNREACH),     E_(ENETRESET),
    E_(ECONNABORTED), E_(ECONNRESET),     E_(ENOBUFS),        E_(EISCONN),         E_(ENOTCONN),
    E_(ESHUTDOWN),    E_(ETIMEDOUT),      E_(ECONNREFUSED),   E_(EHOSTDOWN),       E_(EHOSTUNREACH),
    E_(EALREADY),     E_(EINPROGRESS),    E_(ENODATA),        E_(ETIME),           E_(ENOTEMPTY),
    E_(ELOOP),        E_(ENAMETOOLONG),   E_(EROFS),
};
#undef E_

static void errno_name(int e, char *out, size_t n) {
  for (size_t i = 0; i < sizeof ERRNAMES / sizeof ERRNAMES[0]; i++) {
    if (ERRNAMES[i].num == e) {
      snprintf(out, n, "%s", ERRNAMES[i].name);
      return;
    }
  }
  snprintf(out, n, "E%d", e);
}

static int errno_from_name(const char *s) {
  for (size_t i = 0; i < sizeof ERRNAMES / sizeof ERRNAMES[0]; i++)
    if (strcmp(ERRNAMES[i].name, s) == 0) return ERRNAMES[i].num;
  if (s[0] == 'E' && s[1] >= '0' && s[1] <= '9') return atoi(s + 1);
  return EIO;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON output: one response is assembled in a buffer and written with a single fwrite.         */

static char obuf[8192];
static size_t olen;

static void o_raw(const char *s) {
  size_t n = strlen(s);
  if (olen + n >= sizeof obuf) n = sizeof obuf - 1 - olen;
  memcpy(obuf + olen, s, n);
  olen += n;
  obuf[olen] = 0;
}

static void o_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void o_fmt(const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  o_raw(tmp);
}

/* JSON string literal; control bytes escaped, non-ASCII bytes passed through. */
static void o_str(const char *s) {
  o_raw("\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char tmp[8];
    if (c == '"' || c == '\\') {
      tmp[0] = '\\';
      tmp[1] = (char)c;
      tmp[2] = 0;
    } else if (c < 0x20) {
      snprintf(tmp, sizeof tmp, "\\u%04x", c);
    } else {
      tmp[0] = (char)c;
      tmp[1] = 0;
    }
    o_raw(tmp);
  }
  o_raw("\"");
}

static void o_send(void) {
  o_raw("\n");
  fwrite(obuf, 1, olen, stdout);
  fflush(stdout);
  olen = 0;
  obuf[0] = 0;
}

static void reply_ok(void) {
  o_raw("{\"ok\":true}");
  o_send();
}

static void reply_errno_detail(int e, const char *detail) {
  char name[32];
  errno_name(e, name, sizeof name);
  o_raw("{\"ok\":false,\"errno\":");
  o_str(name);
  if (detail && *detail) {
    o_raw(",\"detail\":");
    o_str(detail);
  }
  o_raw("}");
  o_send();
}

static void reply_errno(int e) { reply_errno_detail(e, NULL); }

static void reply_fault(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply_fault(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  o_raw("{\"ok\":false,\"fault\":");
  o_str(msg);
  o_raw("}");
  o_send();
}

/* ------------------------------------------------------------------------------------------ */
/* small utilities                                                                            */

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  /* EINTR only shortens the wait by the remaining time; nanosleep writes it back. */
  for (int i = 0; i < 1000 && nanosleep(&ts, &ts) != 0 && errno == EINTR; i++) {
  }
}

/* Strict decimal parse; false on junk or out of [lo, hi]. */
static int parse_long(const char *s, long lo, long hi, long *out) {
  if (!s || !*s) return 0;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

static void raise_nofile(void) {
  long want = WANT_NOFILE;
  FILE *f = fopen("/proc/sys/fs/nr_open", "r");
  if (f) {
    long nr;
    if (fscanf(f, "%ld", &nr) == 1 && nr < want) want = nr;
    fclose(f);
  }
  struct rlimit rl = {.rlim_cur = (rlim_t)want, .rlim_max = (rlim_t)want};
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    /* Not fatal: keep whatever hard limit we have, as the soft limit. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
  }
}

/* Bring lo up with SIOCSIFFLAGS: a fresh namespace has lo down, and this needs no `ip`. */
static int lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int e = errno;
  close(s);
  errno = e;
  return rc;
}

/* Write a /proc/sys file; returns 0 or the errno of open/write. */
static int write_proc(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t n = strlen(value);
  /* An empty write is a no-op for the kernel; a lone newline clears list-valued sysctls. */
  const char *buf = n ? value : "\n";
  if (!n) n = 1;
  ssize_t w = write(fd, buf, n);
  int e = w < 0 ? errno : ((size_t)w != n ? EIO : 0);
  close(fd);
  return e;
}

/* ------------------------------------------------------------------------------------------ */
/* running `ip` (iproute2) for address, route and veth setup, always inside our namespaces    */

static char ip_path[256] = "ip";

static void find_ip(void) {
  static const char *cands[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"};
  for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
    if (access(cands[i], X_OK) == 0) {
      snprintf(ip_path, sizeof ip_path, "%s", cands[i]);
      return;
    }
  }
}

/*
 * Runs `ip ARGS...`; returns 0, or an errno guessed from ip's message (iproute2 prints
 * strerror() of the netlink error), with the message in err. Bounded by CMD_TIMEOUT_MS.
 */
static int run_ip(char *err, size_t errlen, const char *a1, ...) {
  const char *argv[24];
  int argc = 0;
  argv[argc++] = ip_path;
  argv[argc++] = a1;
  va_list ap;
  va_start(ap, a1);
  const char *a;
  while (argc < 23 && (a = va_arg(ap, const char *)) != NULL) argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  err[0] = 0;

  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return errno;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  pid_t pid;
  int rc = posix_spawn(&pid, ip_path, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    snprintf(err, errlen, "cannot run %s: %s (install iproute2: apt-get install iproute2)", ip_path,
             strerror(rc));
    return ENOENT;
  }
  size_t got = 0;
  long deadline = now_ms() + CMD_TIMEOUT_MS;
  int timed_out = 0;
  for (int i = 0; i < 1000; i++) {
    long left = deadline - now_ms();
    if (left <= 0) {
      timed_out = 1;
      break;
    }
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    int pr = poll(&pf, 1, (int)left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) {
      timed_out = pr == 0;
      break;
    }
    ssize_t r = read(p[0], err + got, errlen - 1 - got);
    if (r <= 0) break;
    got += (size_t)r;
    if (got >= errlen - 1) break;
  }
  err[got] = 0;
  close(p[0]);
  if (timed_out) kill(pid, SIGKILL);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  /* Trim the trailing newline so the message embeds cleanly in JSON. */
  while (got > 0 && (err[got - 1] == '\n' || err[got - 1] == '\r')) err[--got] = 0;
  if (timed_out) {
    snprintf(err, errlen, "%s %s ... timed out", ip_path, a1);
    return ETIMEDOUT;
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
    snprintf(err, errlen, "cannot run %s (install iproute2: apt-get install iproute2)", ip_path);
    return ENOENT;
  }
  for (size_t i = 0; i < sizeof ERRNAMES / sizeof ERRNAMES[0]; i++)
    if (strstr(err, strerror(ERRNAMES[i].num))) return ERRNAMES[i].num;
  /* With extended acks ip prints the kernel's text instead ("Error: ipv4: Address already */
  /* assigned."), so the common phrases are mapped too.                                     */
  static const struct {
    const char *phrase;
    int num;
  } phrases[] = {{"already assigned", EEXIST}, {"already exists", EEXIST},     {"not permitted", EPERM},
                 {"no such device", ENODEV},   {"unreachable", ENETUNREACH},   {"invalid", EINVAL},
                 {"not supported", EOPNOTSUPP}, {"cannot assign", EADDRNOTAVAIL}};
  for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
    if (strcasestr(err, phrases[i].phrase)) return phrases[i].num;
  return EIO;
}

/* ------------------------------------------------------------------------------------------ */
/* addresses                                                                                  */

/* Parses an IPv4 or IPv6 literal (IPv6 may carry %ifname); the literal decides the family. */
static int parse_sockaddr(const char *s, long port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (strchr(s, ':')) {
    char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    snprintf(host, sizeof host, "%s", s);
    unsigned scope = 0;
    char *pct = strchr(host, '%');
    if (pct) {
      *pct = 0;
      scope = if_nametoindex(pct + 1);
      if (!scope && !parse_long(pct + 1, 1, INT_MAX, &(long){0})) return 0;
      if (!scope) scope = (unsigned)atoi(pct + 1);
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return 0;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    a->sin6_scope_id = scope;
    *len = sizeof *a;
    return 1;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET, s, &a->sin_addr) != 1) return 0;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  *len = sizeof *a;
  return 1;
}

static void format_sockaddr(const struct sockaddr_storage *ss, char *addr, size_t n, int *port) {
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, addr, (socklen_t)n);
    *port = ntohs(a->sin6_port);
  } else if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, addr, (socklen_t)n);
    *port = ntohs(a->sin_port);
  } else {
    snprintf(addr, n, "family:%d", ss->ss_family);
    *port = 0;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* named sockets: a chained hash table name -> fd                                             */

/* A connection the delivery probe had to accept from a listener before reaching its own: kept */
/* in arrival order and handed out by the next accept() on that listener, so none is lost.     */
struct stashed {
  struct stashed *next;
  int fd;
  struct sockaddr_storage peer;
};

struct sock {
  struct sock *next;
  struct stashed *stash;
  int fd;     /* -1 when the socket lives in a worker */
  int worker; /* -1: in this process; else index into workers[] */
  int domain;
  int type;
  char name[NAME_MAX_LEN + 1];
};

#define NBUCKETS 65536
static struct sock *buckets[NBUCKETS];
static long nsockets; /* every name, wherever its socket lives */
static long nlocal;   /* sockets whose fd is in this process */

/*
 * Socket workers: one process may hold only RLIMIT_NOFILE fds, and without CAP_SYS_RESOURCE
 * that limit cannot be raised (20000 on some hosts) although a run may hold ~30,000 sockets.
 * Past `fd_cap` local sockets, new sockets are made in worker processes forked into the same
 * namespace; requests on their names are forwarded verbatim and the answers relayed. A worker
 * runs this very program's request loop (is_worker) without namespace or remote duties.
 */
#define MAX_WORKERS 64
struct worker {
  pid_t pid;
  int in;  /* its stdin */
  int out; /* its stdout */
  long nsock;
  int dead;
};
static struct worker workers[MAX_WORKERS];
static int nworkers;
static int is_worker;
static long fd_cap = 1000;

static unsigned hash_name(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h & (NBUCKETS - 1);
}

/* Closes stashed connections with a reset, as closing their listener would have done. */
static void stash_drop(struct sock *s) {
  while (s->stash) {
    struct stashed *st = s->stash;
    s->stash = st->next;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(st->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(st->fd);
    free(st);
  }
}

static struct sock *sock_find(const char *name) {
  for (struct sock *s = buckets[hash_name(name)]; s; s = s->next)
    if (strcmp(s->name, name) == 0) return s;
  return NULL;
}

static struct sock *sock_add(const char *name, int fd, int domain, int type) {
  struct sock *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  snprintf(s->name, sizeof s->name, "%s", name);
  s->fd = fd;
  s->worker = -1;
  s->domain = domain;
  s->type = type;
  unsigned h = hash_name(name);
  s->next = buckets[h];
  buckets[h] = s;
  nsockets++;
  if (fd >= 0) nlocal++;
  return s;
}

static struct sock *sock_add_in_worker(const char *name, int w, int type) {
  struct sock *s = sock_add(name, -1, 0, type);
  if (s) {
    s->worker = w;
    workers[w].nsock++;
  }
  return s;
}

static void sock_remove(struct sock *victim) {
  struct sock **pp = &buckets[hash_name(victim->name)];
  for (; *pp; pp = &(*pp)->next) {
    if (*pp == victim) {
      *pp = victim->next;
      if (victim->worker >= 0) workers[victim->worker].nsock--;
      else nlocal--;
      stash_drop(victim);
      free(victim);
      nsockets--;
      return;
    }
  }
}

static void sock_close_all(void) {
  for (unsigned i = 0; i < NBUCKETS; i++) {
    struct sock *s = buckets[i];
    while (s) {
      struct sock *n = s->next;
      stash_drop(s);
      if (s->fd >= 0) close(s->fd);
      free(s);
      s = n;
    }
    buckets[i] = NULL;
  }
  nsockets = 0;
  nlocal = 0;
}

static int valid_name(const char *s) {
  size_t n = strlen(s);
  return n > 0 && n <= NAME_MAX_LEN;
}

/* ------------------------------------------------------------------------------------------ */
/* effective uid: socket() records the creator's uid, bind() checks CAP_NET_BIND_SERVICE of the */
/* caller (spec R3), so each socket call runs under seteuid(uid) and we return to 0 afterwards. */

static uid_t cur_uid;

static int as_user(void) { return cur_uid == 0 ? 0 : seteuid(cur_uid); }

static void as_root(void) {
  if (cur_uid != 0 && seteuid(0) != 0) {
    /* Cannot happen for a root-started helper (saved uid is 0); continuing would be unsafe. */
    fprintf(stderr, "portspace-helper: seteuid(0) failed: %s\n", strerror(errno));
    _exit(3);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* the remote namespace: hosts that accept any TCP connection on the prefixes of `addr`       */
/*                                                                                            */
/* A forked child unshares its own netns; a veth pair (ps0 here, ps1 there) joins the two. The  */
/* child routes each prefix as AnyIP (`ip route add local PREFIX dev lo`) so every address in it */
/* is its own, and it listens on demand on each destination port a connect targets. It closes   */
/* a connection when it reads EOF, so our side (the active closer) ends in TIME_WAIT with TCP   */
/* timestamps, as with a real server (spec R60, R62).                                           */

/* Several acceptor processes share the remote netns, each with a SO_REUSEPORT listener per   */
/* port: the kernel spreads connections over them, so the remote side holds more connections */
/* than one process may have fds (RLIMIT_NOFILE cannot be raised without CAP_SYS_RESOURCE).  */
#define REMOTE_ACCEPTORS 4
static pid_t remote_pid;
static int remote_ctl[REMOTE_ACCEPTORS] = {-1, -1, -1, -1};
static unsigned char remote_listening[65536 / 8];

struct prefix {
  int family;
  int len;
  unsigned char net[16];   /* masked network address */
  unsigned char local[16]; /* the address that was made local on our side */
};
#define MAX_PREFIXES 256
static struct prefix prefixes[MAX_PREFIXES];
static int nprefixes;

static void mask_addr(unsigned char *a, int bytes, int len) {
  for (int i = 0; i < bytes; i++) {
    int bits = len - i * 8;
    if (bits >= 8) continue;
    a[i] &= bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
  }
}

static int remote_send(int k, const char *msg) {
  ssize_t w = send(remote_ctl[k], msg, strlen(msg), MSG_NOSIGNAL);
  return w < 0 ? -1 : 0;
}

/* Waits for acceptor k's reply, bounded; -1 on timeout or a dead child. */
static int remote_recv(int k, char *reply, size_t n, int timeout_ms) {
  struct pollfd pf = {.fd = remote_ctl[k], .events = POLLIN};
  long deadline = now_ms() + timeout_ms;
  for (int i = 0; i < 100; i++) {
    long left = deadline - now_ms();
    if (left <= 0) return -1;
    int pr = poll(&pf, 1, (int)left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) return -1;
    ssize_t r = recv(remote_ctl[k], reply, n - 1, 0);
    if (r <= 0) return -1;
    reply[r] = 0;
    return 0;
  }
  return -1;
}

/* "ok" -> 0; "E<NAME> detail" -> errno (detail copied out); no answer -> ETIMEDOUT. */
static int remote_call(int k, const char *msg, char *detail, size_t dn) {
  char reply[1024];
  if (detail) detail[0] = 0;
  if (remote_send(k, msg) != 0 || remote_recv(k, reply, sizeof reply, REMOTE_TIMEOUT_MS) != 0) {
    if (detail) snprintf(detail, dn, "remote namespace did not answer '%s'", msg);
    return ETIMEDOUT;
  }
  if (strcmp(reply, "ok") == 0) return 0;
  char name[32] = "";
  const char *sp = strchr(reply, ' ');
  size_t nl = sp ? (size_t)(sp - reply) : strlen(reply);
  if (nl >= sizeof name) nl = sizeof name - 1;
  memcpy(name, reply, nl);
  name[nl] = 0;
  if (detail && sp) snprintf(detail, dn, "%s", sp + 1);
  return errno_from_name(name);
}

/* The same command to every acceptor (listeners); the first failure wins. */
static int remote_call_all(const char *msg, char *detail, size_t dn) {
  int first = 0;
  for (int k = 0; k < REMOTE_ACCEPTORS; k++) {
    int e = remote_call(k, msg, detail, dn);
    if (e && !first) first = e;
  }
  return first;
}

static void remote_stop(void) {
  if (remote_pid <= 0) return;
  for (int k = 0; k < REMOTE_ACCEPTORS; k++) {
    if (remote_ctl[k] >= 0) close(remote_ctl[k]);
    remote_ctl[k] = -1;
  }
  /* EOF on the control sockets makes the acceptors exit; give them a moment, then insist. */
  for (int i = 0; i < 300; i++) {
    if (waitpid(remote_pid, NULL, WNOHANG) == remote_pid) {
      remote_pid = 0;
      return;
    }
    sleep_ms(10);
  }
  kill(remote_pid, SIGKILL);
  waitpid(remote_pid, NULL, 0);
  remote_pid = 0;
}

/* --- the child side ---------------------------------------------------------------------- */

enum { T_CTL = 1, T_LISTEN = 2, T_CONN = 3 };

static long r_conns, r_listeners;
static pid_t r_kids[REMOTE_ACCEPTORS]; /* in child 0: the other acceptors */
static int r_nkids;

/* Child 0 reaps its acceptors before it goes, so that none outlives the helper's close(). */
static void r_exit(void) {
  for (int k = 0; k < r_nkids; k++) {
    int done = 0;
    for (int i = 0; i < 200 && !done; i++) {
      if (waitpid(r_kids[k], NULL, WNOHANG) == r_kids[k]) done = 1;
      else sleep_ms(5);
    }
    if (!done) {
      kill(r_kids[k], SIGKILL);
      waitpid(r_kids[k], NULL, 0);
    }
  }
  _exit(0);
}

static void r_reply(int ctl, int e, const char *detail) {
  char msg[1024];
  if (e == 0) {
    snprintf(msg, sizeof msg, "ok");
  } else {
    char name[32];
    errno_name(e, name, sizeof name);
    snprintf(msg, sizeof msg, "%s %s", name, detail ? detail : "");
  }
  send(ctl, msg, strlen(msg), MSG_NOSIGNAL);
}

static int r_write_proc(const char *path, const char *v) {
  int e = write_proc(path, v);
  return e == ENOENT ? 0 : e; /* a missing knob (no IPv6, ...) is not worth failing for */
}

static int r_setup_link(char *err, size_t n) {
  int e;
  /* ARP replies for AnyIP addresses must not depend on what the host's defaults are. */
  if ((e = r_write_proc("/proc/sys/net/ipv4/conf/all/arp_ignore", "0"))) return e;
  if ((e = r_write_proc("/proc/sys/net/ipv4/conf/all/rp_filter", "0"))) return e;
  if ((e = r_write_proc("/proc/sys/net/ipv4/conf/ps1/arp_ignore", "0"))) return e;
  if ((e = r_write_proc("/proc/sys/net/ipv4/conf/ps1/rp_filter", "0"))) return e;
  if ((e = r_write_proc("/proc/sys/net/core/somaxconn", "65535"))) return e;
  if ((e = run_ip(err, n, "link", "set", "dev", "ps1", "addrgenmode", "none", NULL))) return e;
  if ((e = run_ip(err, n, "-6", "addr", "add", "fe80::2/64", "dev", "ps1", "nodad", NULL))) return e;
  return run_ip(err, n, "link", "set", "dev", "ps1", "up", NULL);
}

/* "R 4|6 PREFIX/LEN LOCALADDR": the prefix is ours (AnyIP) except our peer's local address. */
static int r_add_route(const char *fam, const char *prefix, const char *local, char *err, size_t n) {
  char host[80];
  int v6 = strcmp(fam, "6") == 0;
  snprintf(host, sizeof host, "%s/%s", local, v6 ? "128" : "32");
  int e = run_ip(err, n, v6 ? "-6" : "-4", "route", "add", "local", prefix, "dev", "lo", NULL);
  if (e && e != EEXIST) return e;
  /* A /32 (/128) unicast route in table local beats the AnyIP route for the peer's address, so */
  /* replies go back over the veth and the peer's packets do not look like martians.            */
  if (v6)
    e = run_ip(err, n, "-6", "route", "add", host, "via", "fe80::1", "dev", "ps1", "table", "local",
               NULL);
  else
    e = run_ip(err, n, "-4", "route", "add", host, "dev", "ps1", "table", "local", NULL);
  return e == EEXIST ? 0 : e;
}

static int r_listen(int ep, long port) {
  int on = 1, off = 0;
  /* One dual-stack wildcard listener serves IPv4 and IPv6 destinations on this port. */
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_storage ss;
  socklen_t len;
  if (fd >= 0) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    parse_sockaddr("::", port, &ss, &len);
  } else {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    parse_sockaddr("0.0.0.0", port, &ss, &len);
  }
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 65535) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ((uint64_t)T_LISTEN << 32) | (uint32_t)fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  r_listeners++;
  return 0;
}

static void r_ctl(int ctl, int ep, char *msg) {
  char err[512] = "";
  char *tok[4] = {0};
  int nt = 0;
  for (char *save = NULL, *t = strtok_r(msg, " ", &save); t && nt < 4; t = strtok_r(NULL, " ", &save))
    tok[nt++] = t;
  if (nt == 0) { r_reply(ctl, EINVAL, "empty"); return; }
  if (strcmp(tok[0], "U") == 0) {
    int e = r_setup_link(err, sizeof err);
    { r_reply(ctl, e, err); return; }
  }
  if (strcmp(tok[0], "R") == 0 && nt == 4) {
    int e = r_add_route(tok[1], tok[2], tok[3], err, sizeof err);
    { r_reply(ctl, e, err); return; }
  }
  long port;
  if (strcmp(tok[0], "L") == 0 && nt == 2 && parse_long(tok[1], 1, 65535, &port))
    { r_reply(ctl, r_listen(ep, port), "listen"); return; }
  if (strcmp(tok[0], "S") == 0) {
    char out[128];
    snprintf(out, sizeof out, "S %ld %ld", r_conns, r_listeners);
    send(ctl, out, strlen(out), MSG_NOSIGNAL);
    return;
  }
  r_reply(ctl, EINVAL, "unknown remote command");
}

static void r_accept_some(int ep, int lfd) {
  /* Bounded batch; level-triggered epoll brings us back for the rest. */
  for (int i = 0; i < 1024; i++) {
    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EMFILE || errno == ENFILE) sleep_ms(1); /* avoid a hot spin; should not happen */
      return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
                             .data.u64 = ((uint64_t)T_CONN << 32) | (uint32_t)c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) != 0) {
      close(c);
      continue;
    }
    r_conns++;
  }
}

static void r_conn_event(int fd) {
  char buf[4096];
  ssize_t r = read(fd, buf, sizeof buf);
  if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR))) return; /* data is discarded */
  /* EOF (peer closed first) or reset: close our end, which completes the peer's TIME_WAIT. */
  close(fd);
  r_conns--;
}

static void r_loop(int ctl) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event cev = {.events = EPOLLIN, .data.u64 = ((uint64_t)T_CTL << 32) | (uint32_t)ctl};
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ctl, &cev) != 0) {
    r_reply(ctl, errno, "epoll");
    _exit(1);
  }
  r_reply(ctl, 0, NULL);
  struct epoll_event evs[256];
  for (;;) { /* lives exactly as long as the control socket; PDEATHSIG covers a dead parent */
    int n = epoll_wait(ep, evs, 256, -1);
    if (n < 0 && errno != EINTR) _exit(1);
    for (int i = 0; i < n; i++) {
      int type = (int)(evs[i].data.u64 >> 32);
      int fd = (int)(uint32_t)evs[i].data.u64;
      if (type == T_CTL) {
        char msg[1024];
        ssize_t r = recv(ctl, msg, sizeof msg - 1, 0);
        if (r <= 0) r_exit(); /* the helper is gone or done: every fd closes with us */
        msg[r] = 0;
        r_ctl(ctl, ep, msg);
      } else if (type == T_LISTEN) {
        r_accept_some(ep, fd);
      } else {
        r_conn_event(fd);
      }
    }
  }
}

/* Child 0: make the remote netns, then fork the other acceptors into it. ctls are fds 3.. */
static void remote_main(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  int e = 0;
  const char *what = "";
  if (unshare(CLONE_NEWNET) != 0) e = errno, what = "unshare(CLONE_NEWNET) in the remote child";
  else if (lo_up() != 0) e = errno, what = "bringing lo up in the remote namespace";
  if (e) {
    for (int k = 0; k < REMOTE_ACCEPTORS; k++) r_reply(3 + k, e, what);
    _exit(1);
  }
  pid_t self = getpid();
  for (int k = 1; k < REMOTE_ACCEPTORS; k++) {
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != self) _exit(1);
      for (int j = 0; j < REMOTE_ACCEPTORS; j++)
        if (j != k) close(3 + j);
      r_nkids = 0;
      r_loop(3 + k);
    }
    if (pid > 0) r_kids[r_nkids++] = pid;
    close(3 + k); /* a failed fork leaves acceptor k silent: the helper times out on it */
  }
  r_loop(3);
}

/* --- the parent side --------------------------------------------------------------------- */

/* Closes every fd from `from` up (close_range, or a loop bounded by the fd limit). */
static void close_from(unsigned from) {
  if (syscall(SYS_close_range, from, ~0u, 0) == 0) return;
  struct rlimit rl;
  long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (long)rl.rlim_cur : 1024;
  for (long fd = from; fd < max; fd++) close((int)fd);
}

static int remote_start(char *err, size_t n) {
  if (remote_pid > 0) return 0;
  int sv[REMOTE_ACCEPTORS][2];
  for (int k = 0; k < REMOTE_ACCEPTORS; k++) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv[k]) != 0) {
      int e = errno;
      for (int j = 0; j < k; j++) close(sv[j][0]), close(sv[j][1]);
      return e;
    }
  }
  pid_t parent = getpid();
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    for (int k = 0; k < REMOTE_ACCEPTORS; k++) close(sv[k][0]), close(sv[k][1]);
    return e;
  }
  if (pid == 0) {
    /* Drop every inherited fd (the script's sockets must not gain a second owner), keep the */
    /* control sockets as fds 3.. and stderr for diagnostics. First lift them above 3..3+K  */
    /* so that the dup2 calls below cannot overwrite one another.                           */
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    int high[REMOTE_ACCEPTORS];
    for (int k = 0; k < REMOTE_ACCEPTORS; k++)
      if ((high[k] = fcntl(sv[k][1], F_DUPFD, 3 + REMOTE_ACCEPTORS)) < 0) _exit(1);
    for (int k = 0; k < REMOTE_ACCEPTORS; k++)
      if (dup2(high[k], 3 + k) != 3 + k) _exit(1);
    close_from(3 + REMOTE_ACCEPTORS);
    remote_main(parent);
    _exit(0);
  }
  for (int k = 0; k < REMOTE_ACCEPTORS; k++) {
    close(sv[k][1]);
    remote_ctl[k] = sv[k][0];
  }
  remote_pid = pid;
  for (int k = 0; k < REMOTE_ACCEPTORS; k++) {
    char reply[512] = "no answer";
    if (remote_recv(k, reply, sizeof reply, REMOTE_TIMEOUT_MS) != 0 || strcmp(reply, "ok") != 0) {
      snprintf(err, n, "remote namespace failed to start: %.200s", reply);
      remote_stop();
      return EIO;
    }
  }
  char pidstr[32];
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
  int e;
  if ((e = run_ip(err, n, "link", "add", "ps0", "type", "veth", "peer", "name", "ps1", NULL)) ||
      (e = run_ip(err, n, "link", "set", "dev", "ps1", "netns", pidstr, NULL)) ||
      (e = run_ip(err, n, "link", "set", "dev", "ps0", "addrgenmode", "none", NULL)) ||
      (e = run_ip(err, n, "-6", "addr", "add", "fe80::1/64", "dev", "ps0", "nodad", NULL)) ||
      (e = run_ip(err, n, "link", "set", "dev", "ps0", "up", NULL)) ||
      (e = remote_call(0, "U", err, n))) {
    remote_stop();
    return e;
  }
  return 0;
}

/* Is this destination one of the remote hosts (inside an added prefix, not our own address)? */
static int is_remote_dest(const struct sockaddr_storage *ss) {
  unsigned char a[16];
  int family;
  if (ss->ss_family == AF_INET) {
    memcpy(a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    family = AF_INET;
  } else {
    const struct in6_addr *v6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(v6)) {
      memcpy(a, &v6->s6_addr[12], 4);
      family = AF_INET;
    } else {
      memcpy(a, v6, 16);
      family = AF_INET6;
    }
  }
  int bytes = family == AF_INET ? 4 : 16;
  for (int i = 0; i < nprefixes; i++) {
    const struct prefix *p = &prefixes[i];
    if (p->family != family) continue;
    unsigned char m[16];
    memcpy(m, a, (size_t)bytes);
    mask_addr(m, bytes, p->len);
    if (memcmp(m, p->net, (size_t)bytes) != 0) continue;
    int local = 0;
    for (int j = 0; j < nprefixes; j++)
      if (prefixes[j].family == family && memcmp(prefixes[j].local, a, (size_t)bytes) == 0) local = 1;
    return !local;
  }
  return 0;
}

static int ensure_remote_listener(long port, char *err, size_t n) {
  if (remote_listening[port / 8] & (1u << (port % 8))) return 0;
  char msg[32];
  snprintf(msg, sizeof msg, "L %ld", port);
  int e = remote_call_all(msg, err, n);
  if (e == 0) remote_listening[port / 8] |= (unsigned char)(1u << (port % 8));
  return e;
}

/* A TCP connect to a remote host needs a listener there first; -1 when a fault was replied. */
static int prepare_remote(int type, const char *addr, const char *port_s) {
  long port;
  struct sockaddr_storage ss;
  socklen_t len;
  if (type != SOCK_STREAM || remote_pid <= 0) return 0;
  if (!parse_long(port_s, 1, 65535, &port) || !parse_sockaddr(addr, port, &ss, &len)) return 0;
  if (!is_remote_dest(&ss)) return 0;
  char err[512];
  int e = ensure_remote_listener(port, err, sizeof err);
  if (e) {
    reply_fault("remote listener on port %ld: %s %s", port, strerror(e), err);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* socket workers (see struct worker)                                                         */

static void worker_reset(void) {
  /* The copied table names fds this process just closed: forget it without closing. */
  memset(buckets, 0, sizeof buckets);
  nsockets = nlocal = 0;
  nworkers = 0;
  remote_pid = 0;
  nprefixes = 0;
  is_worker = 1;
}

static void serve(FILE *in);

static int worker_spawn(void) {
  if (nworkers >= MAX_WORKERS) return -1;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return -1;
  }
  pid_t parent = getpid();
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    return -1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    if (dup2(in[0], 0) != 0 || dup2(out[1], 1) != 1) _exit(1);
    close_from(3);
    worker_reset();
    /* A fresh FILE: the inherited stdin buffer may hold lines meant for the parent. */
    FILE *f = fdopen(0, "r");
    if (!f) _exit(1);
    serve(f);
    sock_close_all();
    _exit(0);
  }
  close(in[0]);
  close(out[1]);
  struct worker *w = &workers[nworkers];
  memset(w, 0, sizeof *w);
  w->pid = pid;
  w->in = in[1];
  w->out = out[0];
  return nworkers++;
}

/* One request to worker w, one line back (newline stripped); -1 on a dead or silent worker. */
static int worker_call(int w, const char *line, char *reply, size_t n) {
  struct worker *wk = &workers[w];
  if (wk->dead) return -1;
  size_t len = strlen(line);
  char req[MAX_LINE + 1];
  memcpy(req, line, len);
  req[len] = '\n';
  if (write(wk->in, req, len + 1) != (ssize_t)(len + 1)) goto dead;
  size_t got = 0;
  /* Backstop only: every request carries its own, shorter bound inside the worker. */
  long deadline = now_ms() + MAX_WAIT_MS + CMD_TIMEOUT_MS;
  for (int i = 0; i < 10000; i++) {
    long left = deadline - now_ms();
    if (left <= 0) goto dead;
    struct pollfd pf = {.fd = wk->out, .events = POLLIN};
    int pr = poll(&pf, 1, (int)left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) goto dead;
    ssize_t r = read(wk->out, reply + got, n - 1 - got);
    if (r <= 0) goto dead;
    got += (size_t)r;
    reply[got] = 0;
    char *nl = strchr(reply, '\n');
    if (nl) {
      *nl = 0;
      return 0;
    }
    if (got >= n - 1) goto dead;
  }
dead:
  wk->dead = 1;
  kill(wk->pid, SIGKILL);
  return -1;
}

/* Forwards `line` to worker w and relays its answer; returns 1 if it was {"ok":true...}. */
static int forward(int w, const char *line) {
  char reply[8192];
  if (worker_call(w, line, reply, sizeof reply) != 0) {
    reply_fault("socket worker %d (pid %d) died or hung", w, (int)workers[w].pid);
    return 0;
  }
  o_raw(reply);
  o_send();
  return strncmp(reply, "{\"ok\":true", 10) == 0;
}

/* A worker with room for one more socket, spawning one when all are full; -1 if impossible. */
static int worker_with_room(void) {
  for (int w = 0; w < nworkers; w++)
    if (!workers[w].dead && workers[w].nsock < fd_cap) return w;
  return worker_spawn();
}

static void workers_stop(void) {
  for (int w = 0; w < nworkers; w++) close(workers[w].in); /* EOF: the worker closes all */
  for (int w = 0; w < nworkers; w++) {
    int done = 0;
    for (int i = 0; i < 300 && !done; i++) {
      if (waitpid(workers[w].pid, NULL, WNOHANG) == workers[w].pid) done = 1;
      else sleep_ms(10);
    }
    if (!done) {
      kill(workers[w].pid, SIGKILL);
      waitpid(workers[w].pid, NULL, 0);
    }
    close(workers[w].out);
  }
  nworkers = 0;
}

/* Routes a request on a socket that lives in a worker; returns 1 when it was handled here. */
static int route(const char *orig, char **tok, int nt) {
  if (is_worker || nt < 2) return 0;
  const char *op = tok[0];
  if (!strcmp(op, "socket")) {
    if (nlocal < fd_cap || nt != 3 || !valid_name(tok[1])) return 0;
    if (sock_find(tok[1])) {
      reply_fault("socket name %s is already in use", tok[1]);
      return 1;
    }
    int w = worker_with_room();
    if (w < 0) {
      reply_errno_detail(EMFILE, "no room for another socket worker");
      return 1;
    }
    int type = strncmp(tok[2], "udp", 3) == 0 ? SOCK_DGRAM : SOCK_STREAM;
    if (forward(w, orig) && !sock_add_in_worker(tok[1], w, type)) _exit(4);
    return 1;
  }
  static const char *on_socket[] = {"setsockopt", "bind",   "listen",     "connect",   "accept",
                                    "close",      "getsockname", "sendto", "disconnect",
                                    "getsockopt", "setsockoptlen"};
  int known = 0;
  for (size_t i = 0; i < sizeof on_socket / sizeof on_socket[0]; i++)
    if (!strcmp(op, on_socket[i])) known = 1;
  struct sock *s = known ? sock_find(tok[1]) : NULL;
  if (!s || s->worker < 0) return 0;
  int w = s->worker;
  if (!strcmp(op, "connect") && nt >= 4 && prepare_remote(s->type, tok[2], tok[3]) != 0) return 1;
  if (!strcmp(op, "accept") && nt >= 3 && sock_find(tok[2])) {
    reply_fault("socket name %s is already in use", tok[2]);
    return 1;
  }
  int ok = forward(w, orig);
  /* The accepted socket lives where its listener does. */
  if (!strcmp(op, "accept") && ok && !sock_add_in_worker(tok[2], w, s->type)) _exit(4);
  if (!strcmp(op, "close")) sock_remove(s);
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* operations                                                                                 */

static void reply_sockname(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) { reply_errno(errno); return; }
  char addr[INET6_ADDRSTRLEN + 16];
  int port;
  format_sockaddr(&ss, addr, sizeof addr, &port);
  o_fmt("{\"ok\":true,\"port\":%d,\"addr\":", port);
  o_str(addr);
  o_raw("}");
  o_send();
}

static struct sock *need_sock(const char *name) {
  struct sock *s = sock_find(name);
  /* An unknown name is a closed (or never opened) descriptor to the kernel: EBADF. */
  if (!s) reply_errno(EBADF);
  return s;
}

/*
 * A socket call's "ADDR PORT" argument as a sockaddr. Replies with a fault (and returns 0) when
 * either part cannot be read, so callers just return.
 */
static int parse_target(const char *addr, const char *port_s, struct sockaddr_storage *ss, socklen_t *len) {
  long port;
  if (!parse_long(port_s, 0, 65535, &port)) { reply_fault("bad port %s", port_s); return 0; }
  if (!parse_sockaddr(addr, port, ss, len)) { reply_fault("bad address %s", addr); return 0; }
  return 1;
}

static void op_sysctl(const char *name, const char *value) {
  /* Only net.* is namespaced; anything else would reach the host, so it is refused. */
  if (strncmp(name, "net.", 4) != 0) { reply_fault("sysctl %s: only net.* sysctls are per netns", name); return; }
  char path[512] = "/proc/sys/";
  size_t pl = strlen(path);
  for (const char *c = name; *c && pl < sizeof path - 1; c++) {
    char ch = *c;
    if (!(ch == '.' || ch == '_' || ch == '-' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
          (ch >= 'A' && ch <= 'Z')))
      { reply_fault("sysctl name has a bad character: %s", name); return; }
    path[pl++] = ch == '.' ? '/' : ch;
  }
  path[pl] = 0;
  int e = write_proc(path, value);
  if (e) { reply_errno(e); return; }
  reply_ok();
}

static void op_addr(const char *cidr) {
  char host[INET6_ADDRSTRLEN + 8];
  snprintf(host, sizeof host, "%s", cidr);
  char *slash = strchr(host, '/');
  int v6 = strchr(host, ':') != NULL;
  long len = v6 ? 128 : 32;
  if (slash) {
    *slash = 0;
    if (!parse_long(slash + 1, 0, v6 ? 128 : 32, &len)) { reply_errno(EINVAL); return; }
  }
  unsigned char a[16];
  if (inet_pton(v6 ? AF_INET6 : AF_INET, host, a) != 1) { reply_errno(EINVAL); return; }
  char full[sizeof host + 24];
  snprintf(full, sizeof full, "%s/%ld", host, len);
  char err[512];
  int e;
  if (len == (v6 ? 128 : 32)) {
    /* A host address: local on lo, as in the spec's experiments (exp_timewait: 10.1.1.1). */
    e = v6 ? run_ip(err, sizeof err, "-6", "addr", "add", full, "dev", "lo", "nodad", NULL)
           : run_ip(err, sizeof err, "-4", "addr", "add", full, "dev", "lo", NULL);
    if (e) { reply_errno_detail(e, err); return; }
    { reply_ok(); return; }
  }
  if (nprefixes >= MAX_PREFIXES) { reply_fault("too many prefixes (max %d)", MAX_PREFIXES); return; }
  if ((e = remote_start(err, sizeof err))) { reply_errno_detail(e, err); return; }
  struct prefix p = {.family = v6 ? AF_INET6 : AF_INET, .len = (int)len};
  int bytes = v6 ? 16 : 4;
  memcpy(p.net, a, (size_t)bytes);
  memcpy(p.local, a, (size_t)bytes);
  mask_addr(p.net, bytes, (int)len);
  char net[INET6_ADDRSTRLEN], netcidr[INET6_ADDRSTRLEN + 8];
  inet_ntop(p.family, p.net, net, sizeof net);
  snprintf(netcidr, sizeof netcidr, "%s/%ld", net, len);
  int known = 0;
  for (int i = 0; i < nprefixes; i++)
    if (prefixes[i].family == p.family && prefixes[i].len == p.len && !memcmp(prefixes[i].net, p.net, 16))
      known = 1;
  if (v6) {
    /* No prefix route on ps0: the prefix goes to the remote via its link-local address, so no */
    /* neighbour discovery is needed for the (AnyIP) remote addresses themselves.              */
    e = run_ip(err, sizeof err, "-6", "addr", "add", full, "dev", "ps0", "nodad", "noprefixroute", NULL);
    if (!e && !known)
      e = run_ip(err, sizeof err, "-6", "route", "add", netcidr, "via", "fe80::2", "dev", "ps0", NULL);
  } else {
    /* The connected route sends the prefix over ps0; the remote answers ARP for all of it. */
    e = run_ip(err, sizeof err, "-4", "addr", "add", full, "dev", "ps0", NULL);
  }
  if (e) { reply_errno_detail(e, err); return; }
  char msg[256];
  snprintf(msg, sizeof msg, "R %s %s %s", v6 ? "6" : "4", netcidr, host);
  if ((e = remote_call(0, msg, err, sizeof err))) { reply_errno_detail(e, err); return; }
  prefixes[nprefixes++] = p;
  reply_ok();
}

/* `route CIDR [SRC]`: a local route on lo in our namespace. iproute2 checks the prefix (host */
/* bits, family) and the kernel the preferred source (EINVAL when it is not an address here).  */
static void op_local_route(const char *cidr, const char *src) {
  char net[INET6_ADDRSTRLEN + 8];
  snprintf(net, sizeof net, "%s", cidr);
  int v6 = strchr(net, ':') != NULL;
  char err[512];
  int e = src ? run_ip(err, sizeof err, v6 ? "-6" : "-4", "route", "add", "local", net, "dev", "lo", "src",
                       src, NULL)
              : run_ip(err, sizeof err, v6 ? "-6" : "-4", "route", "add", "local", net, "dev", "lo", NULL);
  if (e) { reply_errno_detail(e, err); return; }
  reply_ok();
}

static void op_socket(const char *name, const char *kind) {
  int domain, type;
  if (!strcmp(kind, "tcp4")) domain = AF_INET, type = SOCK_STREAM;
  else if (!strcmp(kind, "tcp6")) domain = AF_INET6, type = SOCK_STREAM;
  else if (!strcmp(kind, "udp4")) domain = AF_INET, type = SOCK_DGRAM;
  else if (!strcmp(kind, "udp6")) domain = AF_INET6, type = SOCK_DGRAM;
  else { reply_fault("unknown socket kind %s (tcp4|tcp6|udp4|udp6)", kind); return; }
  if (!valid_name(name)) { reply_fault("bad socket name"); return; }
  if (sock_find(name)) { reply_fault("socket name %s is already in use", name); return; }
  if (as_user() != 0) { reply_fault("seteuid(%u): %s", (unsigned)cur_uid, strerror(errno)); return; }
  /* Non-blocking always: every wait is ours (poll with a bound), never the kernel's. */
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int e = errno;
  as_root();
  if (fd < 0) { reply_errno(e); return; }
  if (!sock_add(name, fd, domain, type)) {
    close(fd);
    { reply_fault("out of memory"); return; }
  }
  reply_ok();
}

/* The level and number of an option setsockopt, getsockopt and setsockoptlen know (SO_LINGER aside); 0 when unknown. */
static int sockopt_id(const char *opt, int *level, int *name) {
  if (!strcmp(opt, "SO_REUSEADDR")) *level = SOL_SOCKET, *name = SO_REUSEADDR;
  else if (!strcmp(opt, "SO_REUSEPORT")) *level = SOL_SOCKET, *name = SO_REUSEPORT;
  else if (!strcmp(opt, "IP_BIND_ADDRESS_NO_PORT")) *level = SOL_IP, *name = IP_BIND_ADDRESS_NO_PORT;
  else if (!strcmp(opt, "IPV6_V6ONLY")) *level = IPPROTO_IPV6, *name = IPV6_V6ONLY;
  else if (!strcmp(opt, "IP_FREEBIND")) *level = SOL_IP, *name = IP_FREEBIND;
  else if (!strcmp(opt, "IPV6_FREEBIND")) *level = IPPROTO_IPV6, *name = IPV6_FREEBIND;
  else if (!strcmp(opt, "IP_LOCAL_PORT_RANGE")) *level = SOL_IP, *name = IP_LOCAL_PORT_RANGE;
  else return 0;
  return 1;
}

static void op_setsockopt(char **tok, int nt) {
  struct sock *s = need_sock(tok[1]);
  if (!s) return;
  const char *opt = tok[2];
  long v1, v2 = 0;
  if (!parse_long(tok[3], INT_MIN, UINT32_MAX, &v1)) { reply_fault("bad option value %s", tok[3]); return; }
  if (nt >= 5 && !parse_long(tok[4], INT_MIN, INT_MAX, &v2)) { reply_fault("bad option value %s", tok[4]); return; }
  int level, name;
  int ival = (int)v1;
  uint32_t uval;
  struct linger lg;
  const void *val = &ival;
  socklen_t len = sizeof ival;
  if (!strcmp(opt, "IP_LOCAL_PORT_RANGE")) {
    /* spec R70: one u32, low 16 bits = lo, high 16 bits = hi; either may be 0 = unbounded. */
    level = SOL_IP, name = IP_LOCAL_PORT_RANGE;
    if (nt >= 5) {
      if (v1 < 0 || v1 > 65535 || v2 < 0 || v2 > 65535) { reply_fault("port range values 0..65535"); return; }
      uval = ((uint32_t)v2 << 16) | (uint32_t)v1;
    } else {
      uval = (uint32_t)v1;
    }
    val = &uval;
    len = sizeof uval;
  } else if (!strcmp(opt, "SO_LINGER")) {
    level = SOL_SOCKET, name = SO_LINGER;
    lg.l_onoff = (int)v1;
    lg.l_linger = (int)v2;
    val = &lg;
    len = sizeof lg;
  } else if (!sockopt_id(opt, &level, &name)) {
    reply_fault("unknown socket option %s", opt);
    return;
  }
  if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
  int rc = setsockopt(s->fd, level, name, val, len);
  int e = errno;
  as_root();
  if (rc != 0) { reply_errno(e); return; }
  reply_ok();
}

/* setsockopt with a buffer of exactly LEN bytes: how short and long buffers are read (issue 10). */
static void op_setsockopt_len(char **tok) {
  struct sock *s = need_sock(tok[1]);
  if (!s) return;
  int level, name;
  if (!sockopt_id(tok[2], &level, &name)) { reply_fault("setsockoptlen: unknown option %s", tok[2]); return; }
  long len;
  if (!parse_long(tok[3], 0, 64, &len)) { reply_fault("bad option length %s (0..64)", tok[3]); return; }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(tok[4], &end, 10);
  if (errno || *end || tok[4][0] == '-' || v > (1ULL << 53)) { reply_fault("bad option value %s", tok[4]); return; }
  unsigned char buf[64] = {0};
  for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(v >> (8 * i));
  if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
  int rc = setsockopt(s->fd, level, name, buf, (socklen_t)len);
  int e = errno;
  as_root();
  if (rc != 0) { reply_errno(e); return; }
  reply_ok();
}

/* getsockopt of one option the model keeps: an int, or IP_LOCAL_PORT_RANGE split into lo/hi. */
static void op_getsockopt(const char *sname, const char *opt) {
  struct sock *s = need_sock(sname);
  if (!s) return;
  int level, name;
  if (!sockopt_id(opt, &level, &name)) { reply_fault("getsockopt: unknown option %s", opt); return; }
  uint32_t v = 0;
  socklen_t len = sizeof v;
  if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
  int rc = getsockopt(s->fd, level, name, &v, &len);
  int e = errno;
  as_root();
  if (rc != 0) { reply_errno(e); return; }
  if (name == IP_LOCAL_PORT_RANGE && level == SOL_IP)
    o_fmt("{\"ok\":true,\"optval\":[%u,%u]}", (unsigned)(v & 0xffff), (unsigned)(v >> 16));
  else
    o_fmt("{\"ok\":true,\"optval\":%d}", (int)v);
  o_send();
}

static void op_bind(const char *name, const char *addr, const char *port_s) {
  struct sock *s = need_sock(name);
  if (!s) return;
  struct sockaddr_storage ss;
  socklen_t len;
  if (!parse_target(addr, port_s, &ss, &len)) return;
  if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
  int rc = bind(s->fd, (struct sockaddr *)&ss, len);
  int e = errno;
  as_root();
  if (rc != 0) { reply_errno(e); return; }
  reply_sockname(s->fd);
}

static void op_listen(const char *name, const char *backlog_s) {
  struct sock *s = need_sock(name);
  if (!s) return;
  long backlog;
  if (!parse_long(backlog_s, INT_MIN, INT_MAX, &backlog)) { reply_fault("bad backlog %s", backlog_s); return; }
  if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
  int rc = listen(s->fd, (int)backlog);
  int e = errno;
  as_root();
  if (rc != 0) { reply_errno(e); return; }
  reply_sockname(s->fd);
}

static void op_connect(const char *name, const char *addr, const char *port_s, const char *ms_s) {
  struct sock *s = need_sock(name);
  if (!s) return;
  long port, ms = DEFAULT_CONNECT_MS;
  struct sockaddr_storage ss;
  socklen_t len;
  if (!parse_long(port_s, 0, 65535, &port)) { reply_fault("bad port %s", port_s); return; }
  if (ms_s && !parse_long(ms_s, 0, MAX_WAIT_MS, &ms)) { reply_fault("bad timeout %s", ms_s); return; }
  if (!parse_sockaddr(addr, port, &ss, &len)) { reply_fault("bad address %s", addr); return; }
  if (prepare_remote(s->type, addr, port_s) != 0) return;
  if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
  int rc = connect(s->fd, (struct sockaddr *)&ss, len);
  int e = rc == 0 ? 0 : errno;
  if (e == EINPROGRESS) {
    struct pollfd pf = {.fd = s->fd, .events = POLLOUT};
    long deadline = now_ms() + ms;
    int pr = 0;
    for (int i = 0; i < 1000; i++) {
      long left = deadline - now_ms();
      if (left < 0) left = 0;
      pr = poll(&pf, 1, (int)left);
      if (!(pr < 0 && errno == EINTR)) break;
    }
    if (pr > 0) {
      /* Finish the way a blocking connect() does: a second connect() moves the socket to */
      /* SS_CONNECTED (a later connect then gives EISCONN), or on failure returns the error */
      /* and runs the disconnect that resets an unlocked source address (spec R21, R61).   */
      /* Reading SO_ERROR instead would leave the socket half-way (next connect: ECONNABORTED). */
      e = connect(s->fd, (struct sockaddr *)&ss, len) == 0 || errno == EISCONN ? 0 : errno;
    } else {
      /* Our bound expired: abort the attempt (connect(AF_UNSPEC)) so the socket is back in */
      /* CLOSE like after the kernel's own SYN timeout, and report ETIMEDOUT (spec R61).    */
      struct sockaddr unspec = {.sa_family = AF_UNSPEC};
      connect(s->fd, &unspec, sizeof unspec);
      e = ETIMEDOUT;
    }
  }
  as_root();
  if (e) { reply_errno(e); return; }
  reply_sockname(s->fd);
}

static void op_accept(const char *name, const char *newname, const char *ms_s) {
  struct sock *s = need_sock(name);
  if (!s) return;
  long ms = DEFAULT_ACCEPT_MS;
  if (ms_s && !parse_long(ms_s, 0, MAX_WAIT_MS, &ms)) { reply_fault("bad timeout %s", ms_s); return; }
  if (!valid_name(newname)) { reply_fault("bad socket name"); return; }
  if (sock_find(newname)) { reply_fault("socket name %s is already in use", newname); return; }
  /* Wait (bounded) for a pending connection, then call accept() whatever poll said: its */
  /* errno (EAGAIN, EINVAL on a non-listener) is the kernel's answer, not ours.          */
  struct sockaddr_storage peer;
  int fd;
  if (s->stash) {
    /* A connection the delivery probe accepted on this listener's behalf comes first. */
    struct stashed *st = s->stash;
    s->stash = st->next;
    fd = st->fd;
    peer = st->peer;
    free(st);
  } else {
    struct pollfd pf = {.fd = s->fd, .events = POLLIN};
    long deadline = now_ms() + ms;
    for (int i = 0; i < 1000; i++) {
      long left = deadline - now_ms();
      if (left < 0) left = 0;
      if (!(poll(&pf, 1, (int)left) < 0 && errno == EINTR)) break;
    }
    socklen_t plen = sizeof peer;
    if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
    fd = accept4(s->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    int e = errno;
    as_root();
    if (fd < 0) { reply_errno(e == EWOULDBLOCK ? EAGAIN : e); return; }
  }
  if (!sock_add(newname, fd, s->domain, s->type)) {
    close(fd);
    { reply_fault("out of memory"); return; }
  }
  char addr[INET6_ADDRSTRLEN + 16];
  int port;
  format_sockaddr(&peer, addr, sizeof addr, &port);
  o_raw("{\"ok\":true,\"peer\":{\"addr\":");
  o_str(addr);
  o_fmt(",\"port\":%d}}", port);
  o_send();
}

static void op_close(const char *name, const char *rst_s) {
  struct sock *s = need_sock(name);
  if (!s) return;
  long rst;
  if (!parse_long(rst_s, 0, 1, &rst)) { reply_fault("close: rst must be 0 or 1"); return; }
  if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
  if (rst) {
    /* spec R61: SO_LINGER {1,0} makes close() send RST and leave no TIME_WAIT. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  int rc = close(s->fd);
  int e = errno;
  as_root();
  sock_remove(s);
  if (rc != 0) { reply_errno(e); return; }
  reply_ok();
}

static void op_getsockname(const char *name) {
  struct sock *s = need_sock(name);
  if (!s) return;
  reply_sockname(s->fd);
}

static void op_sendto(const char *name, const char *addr, const char *port_s) {
  struct sock *s = need_sock(name);
  if (!s) return;
  struct sockaddr_storage ss;
  socklen_t len;
  if (!parse_target(addr, port_s, &ss, &len)) return;
  if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
  ssize_t rc = sendto(s->fd, "d", 1, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&ss, len);
  int e = errno;
  as_root();
  if (rc < 0) { reply_errno(e == EWOULDBLOCK ? EAGAIN : e); return; }
  reply_sockname(s->fd);
}

static void op_disconnect(const char *name) {
  struct sock *s = need_sock(name);
  if (!s) return;
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  if (as_user() != 0) { reply_fault("seteuid: %s", strerror(errno)); return; }
  int rc = connect(s->fd, &unspec, sizeof unspec);
  int e = errno;
  as_root();
  if (rc != 0) { reply_errno(e); return; }
  reply_ok();
}

static int is_listening(int fd) {
  int v = 0;
  socklen_t l = sizeof v;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v;
}

/* For a listener, TCP_INFO's tcpi_unacked is the number of connections waiting for accept(). */
static long accept_queue_len(int fd) {
  struct tcp_info ti;
  socklen_t l = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) != 0) return -1;
  return (long)ti.tcpi_unacked;
}

static int same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  char x[INET6_ADDRSTRLEN + 16], y[INET6_ADDRSTRLEN + 16];
  int px, py;
  format_sockaddr(a, x, sizeof x, &px);
  format_sockaddr(b, y, sizeof y, &py);
  /* An IPv6 listener sees an IPv4 client as ::ffff:a.b.c.d. */
  const char *bx = strncmp(x, "::ffff:", 7) == 0 ? x + 7 : x;
  const char *by = strncmp(y, "::ffff:", 7) == 0 ? y + 7 : y;
  return px == py && strcmp(bx, by) == 0;
}

static void reply_member(const struct sock *s) {
  o_raw("{\"ok\":true,\"member\":");
  o_str(s->name);
  o_raw("}");
  o_send();
}

#define MAX_PROBE_LISTENERS 4096

/*
 * TCP delivery: note every listener's accept queue, connect the probe, see whose queue grew, and
 * take the probe's connection out of it again (accept; connections queued before it are stashed
 * for the script's own accept()). Probe and child close with SO_LINGER {1,0}: no TIME_WAIT.
 */
static void deliver_tcp(int p, const struct sockaddr_storage *to, socklen_t tlen, long ms) {
  static struct sock *ls[MAX_PROBE_LISTENERS];
  static long before[MAX_PROBE_LISTENERS];
  int n = 0;
  for (unsigned i = 0; i < NBUCKETS && n < MAX_PROBE_LISTENERS; i++)
    for (struct sock *s = buckets[i]; s && n < MAX_PROBE_LISTENERS; s = s->next)
      if (s->fd >= 0 && s->type == SOCK_STREAM && is_listening(s->fd)) {
        ls[n] = s;
        before[n++] = accept_queue_len(s->fd);
      }
  long deadline = now_ms() + ms;
  int e = connect(p, (const struct sockaddr *)to, tlen) == 0 ? 0 : errno;
  if (e == EINPROGRESS) {
    struct pollfd pf = {.fd = p, .events = POLLOUT};
    int pr = 0;
    for (int i = 0; i < 1000; i++) {
      long left = deadline - now_ms();
      pr = poll(&pf, 1, (int)(left < 0 ? 0 : left));
      if (!(pr < 0 && errno == EINTR)) break;
    }
    socklen_t l = sizeof e;
    if (pr <= 0) e = ETIMEDOUT;
    else if (getsockopt(p, SOL_SOCKET, SO_ERROR, &e, &l) != 0) e = errno;
  }
  if (e) { reply_errno(e); return; }
  /* The probe knows its own connection by its real local address (a FROM of 0.0.0.0 becomes a */
  /* concrete source at connect), never by FROM: another client's connection is stashed.       */
  struct sockaddr_storage self;
  socklen_t selflen = sizeof self;
  if (getsockname(p, (struct sockaddr *)&self, &selflen) != 0) { reply_errno(errno); return; }
  /* The server side queues the connection when the handshake's last ACK arrives: wait for it. */
  for (int round = 0; round < 1000 && now_ms() <= deadline; round++) {
    for (int k = 0; k < n; k++) {
      if (accept_queue_len(ls[k]->fd) <= before[k]) continue;
      struct stashed **tail = &ls[k]->stash;
      while (*tail) tail = &(*tail)->next;
      for (int guard = 0; guard < 100000; guard++) {
        struct stashed *st = calloc(1, sizeof *st);
        if (!st) { reply_fault("out of memory"); return; }
        socklen_t pl = sizeof st->peer;
        st->fd = accept4(ls[k]->fd, (struct sockaddr *)&st->peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (st->fd < 0) { free(st); break; }
        if (same_endpoint(&st->peer, &self)) {
          struct linger lg = {.l_onoff = 1, .l_linger = 0};
          setsockopt(st->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
          close(st->fd);
          free(st);
          reply_member(ls[k]);
          return;
        }
        *tail = st;
        tail = &st->next;
      }
    }
    sleep_ms(1);
  }
  reply_errno(ECONNREFUSED);
}

/*
 * UDP delivery: the probe is connected to the destination, so a port-unreachable answer shows up
 * as its socket error; otherwise every datagram socket with a datagram queued is read until one
 * holds the probe's payload (other datagrams are dropped: scripts never read them).
 */
static void deliver_udp(int p, const struct sockaddr_storage *to, socklen_t tlen, long ms) {
  static unsigned nonce;
  char payload[64], buf[128];
  int plen = snprintf(payload, sizeof payload, "portspace-probe %u %d", ++nonce, (int)getpid());
  if (connect(p, (const struct sockaddr *)to, tlen) != 0 || send(p, payload, (size_t)plen, MSG_NOSIGNAL) < 0) {
    reply_errno(errno);
    return;
  }
  long deadline = now_ms() + ms;
  for (int round = 0; round < 1000 && now_ms() <= deadline; round++) {
    for (unsigned i = 0; i < NBUCKETS; i++)
      for (struct sock *s = buckets[i]; s; s = s->next) {
        if (s->fd < 0 || s->type != SOCK_DGRAM) continue;
        for (int guard = 0; guard < 10000; guard++) {
          /* Read only a queued datagram: recv() on an empty queue would take (and so lose) a */
          /* connected socket's pending ICMP error, which its next send must report (R94).    */
          int queued = 0;
          if (ioctl(s->fd, FIONREAD, &queued) != 0 || queued <= 0) break;
          ssize_t r = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
          if (r < 0) break;
          if (r == plen && memcmp(buf, payload, (size_t)plen) == 0) { reply_member(s); return; }
        }
      }
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(p, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err) { reply_errno(err); return; }
    sleep_ms(1);
  }
  reply_errno(ECONNREFUSED);
}

static void op_deliver(char **tok, int nt) {
  int udp = !strcmp(tok[1], "udp");
  if (!udp && strcmp(tok[1], "tcp") != 0) { reply_fault("deliver: tcp or udp, not %s", tok[1]); return; }
  long fport, tport, ms = DEFAULT_CONNECT_MS;
  struct sockaddr_storage fs, ts;
  socklen_t flen, tlen;
  if (!parse_long(tok[3], 1, 65535, &fport) || !parse_long(tok[5], 0, 65535, &tport)) {
    reply_fault("deliver: bad port");
    return;
  }
  if (nt == 7 && !parse_long(tok[6], 0, MAX_WAIT_MS, &ms)) { reply_fault("bad timeout %s", tok[6]); return; }
  if (!parse_sockaddr(tok[2], fport, &fs, &flen) || !parse_sockaddr(tok[4], tport, &ts, &tlen) ||
      fs.ss_family != ts.ss_family) {
    reply_fault("deliver: bad addresses %s -> %s (one family)", tok[2], tok[4]);
    return;
  }
  /* Every socket must be readable here: the probe looks at all of them. */
  if (nworkers > 0) { reply_fault("deliver: sockets live in socket workers; use fewer sockets"); return; }
  int p = socket(fs.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p < 0) { reply_errno(errno); return; }
  if (!udp) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(p, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  if (bind(p, (struct sockaddr *)&fs, flen) != 0) {
    int e = errno;
    close(p);
    reply_errno(e);
    return;
  }
  if (udp) deliver_udp(p, &ts, tlen, ms);
  else deliver_tcp(p, &ts, tlen, ms);
  close(p);
}

static void op_stats(void) {
  long inuse = -1, orphan = -1, tw = -1, inuse6 = -1;
  FILE *f = fopen("/proc/net/sockstat", "r");
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "TCP: inuse %ld orphan %ld tw %ld", &inuse, &orphan, &tw) == 3) break;
    fclose(f);
  }
  f = fopen("/proc/net/sockstat6", "r");
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "TCP6: inuse %ld", &inuse6) == 1) break;
    fclose(f);
  }
  o_fmt("{\"ok\":true,\"sockets\":%ld,\"workers\":%d,\"uid\":%u,\"tcp\":{\"inuse\":%ld,\"inuse6\":%ld,\"orphan\":%ld,\"tw\":%ld}",
        nsockets, nworkers, (unsigned)cur_uid, inuse, inuse6, orphan, tw);
  if (remote_pid > 0) {
    long c = 0, l = 0;
    for (int k = 0; k < REMOTE_ACCEPTORS; k++) {
      char reply[128];
      long ck = -1, lk = -1;
      if (remote_send(k, "S") == 0 && remote_recv(k, reply, sizeof reply, REMOTE_TIMEOUT_MS) == 0)
        sscanf(reply, "S %ld %ld", &ck, &lk);
      c = c < 0 || ck < 0 ? -1 : c + ck;
      l = l < 0 || lk < 0 ? -1 : l + lk;
    }
    o_fmt(",\"remote\":{\"pid\":%d,\"conns\":%ld,\"listeners\":%ld}", (int)remote_pid, c, l);
  }
  o_raw("}");
  o_send();
}

/* ------------------------------------------------------------------------------------------ */
/* request dispatch                                                                           */

static int tokenize(char *line, char **tok, int max) {
  int n = 0;
  for (char *save = NULL, *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
    if (n == max) return -1;
    tok[n++] = t;
  }
  return n;
}

#define NEED(lo, hi)                                                                              \
  do {                                                                                            \
    if (nt < (lo) || nt > (hi)) { reply_fault("%s: expected %d..%d arguments", op, (lo) - 1, (hi) - 1); return 0; } \
  } while (0)

/* Returns 0 to go on, 1 to quit. */
static int handle(char *line) {
  if (strncmp(line, "sysctl", 6) == 0 && (line[6] == ' ' || line[6] == '\t')) {
    /* The value is the rest of the line: "40000 40001" has a space in it. */
    char *p = line + 6;
    p += strspn(p, " \t");
    char *name = p;
    p += strcspn(p, " \t");
    if (!*p) {
      reply_fault("sysctl: expected NAME VALUE");
      return 0;
    }
    *p++ = 0;
    p += strspn(p, " \t");
    op_sysctl(name, p);
    return 0;
  }
  char orig[MAX_LINE];
  snprintf(orig, sizeof orig, "%s", line);
  char *tok[MAX_TOKENS];
  int nt = tokenize(line, tok, MAX_TOKENS);
  if (nt < 0) {
    reply_fault("too many tokens");
    return 0;
  }
  if (nt == 0) {
    reply_fault("empty request");
    return 0;
  }
  const char *op = tok[0];
  if (route(orig, tok, nt)) return 0;
  do {
    long v;
    if (!strcmp(op, "ping")) {
      o_fmt("{\"ok\":true,\"pong\":true,\"version\":%d}", HELPER_VERSION);
      o_send();
    } else if (!strcmp(op, "quit")) {
      reply_ok();
      return 1;
    } else if (!strcmp(op, "stats")) {
      op_stats();
    } else if (!strcmp(op, "addr")) {
      NEED(2, 2);
      if (is_worker) {
        reply_fault("addr is not a worker request");
        break;
      }
      op_addr(tok[1]);
    } else if (!strcmp(op, "route")) {
      NEED(2, 3);
      if (is_worker) {
        reply_fault("route is not a worker request");
        break;
      }
      op_local_route(tok[1], nt == 3 ? tok[2] : NULL);
    } else if (!strcmp(op, "uid")) {
      NEED(2, 2);
      if (!parse_long(tok[1], 0, 4294967294L, &v)) {
        reply_fault("bad uid %s", tok[1]);
        break;
      }
      cur_uid = (uid_t)v;
      for (int w = 0; w < nworkers; w++) {
        char reply[256];
        worker_call(w, orig, reply, sizeof reply); /* a dead worker shows up on its next use */
      }
      reply_ok();
    } else if (!strcmp(op, "socket")) {
      NEED(3, 3);
      op_socket(tok[1], tok[2]);
    } else if (!strcmp(op, "setsockopt")) {
      NEED(4, 5);
      op_setsockopt(tok, nt);
    } else if (!strcmp(op, "setsockoptlen")) {
      NEED(5, 5);
      op_setsockopt_len(tok);
    } else if (!strcmp(op, "getsockopt")) {
      NEED(3, 3);
      op_getsockopt(tok[1], tok[2]);
    } else if (!strcmp(op, "bind")) {
      NEED(4, 4);
      op_bind(tok[1], tok[2], tok[3]);
    } else if (!strcmp(op, "listen")) {
      NEED(3, 3);
      op_listen(tok[1], tok[2]);
    } else if (!strcmp(op, "connect")) {
      NEED(4, 5);
      op_connect(tok[1], tok[2], tok[3], nt == 5 ? tok[4] : NULL);
    } else if (!strcmp(op, "accept")) {
      NEED(3, 4);
      op_accept(tok[1], tok[2], nt == 4 ? tok[3] : NULL);
    } else if (!strcmp(op, "close")) {
      NEED(3, 3);
      op_close(tok[1], tok[2]);
    } else if (!strcmp(op, "getsockname")) {
      NEED(2, 2);
      op_getsockname(tok[1]);
    } else if (!strcmp(op, "sendto")) {
      NEED(4, 4);
      op_sendto(tok[1], tok[2], tok[3]);
    } else if (!strcmp(op, "disconnect")) {
      NEED(2, 2);
      op_disconnect(tok[1]);
    } else if (!strcmp(op, "deliver")) {
      NEED(6, 7);
      op_deliver(tok, nt);
    } else if (!strcmp(op, "sleep")) {
      NEED(2, 2);
      if (!parse_long(tok[1], 0, MAX_WAIT_MS, &v)) {
        reply_fault("bad sleep %s (0..%d ms)", tok[1], MAX_WAIT_MS);
        break;
      }
      sleep_ms(v);
      reply_ok();
    } else {
      reply_fault("unknown request %s", op);
    }
  } while (0);
  return 0;
}

/*
 * Run on the one CPU we started on. A connected UDP socket remembers the CPU its last datagram
 * arrived on and ranks one point higher for datagrams processed on that CPU (R80; measured: a
 * socket that received while connected beats later-bound SO_REUSEADDR sockets after disconnect
 * only on the same CPU). Loopback datagrams are processed on the sender's CPU, so one CPU makes
 * that point deterministic, which the model assumes. Best effort: a failure leaves it unpinned.
 */
static void pin_to_one_cpu(void) {
  int cpu = sched_getcpu();
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  close_from(3); /* fds a launcher leaked to us must not reach the workers, `ip` or the remote */
  /* Die with whoever started us; stdin EOF is the normal way out. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 1;
  find_ip();
  raise_nofile();
  pin_to_one_cpu();
  if (unshare(CLONE_NEWNET) != 0) {
    int e = errno;
    reply_errno_detail(e, "unshare(CLONE_NEWNET) failed: run as root (CAP_SYS_ADMIN) on Linux");
    return 2;
  }
  if (lo_up() != 0) {
    reply_errno_detail(errno, "bringing lo up in the new namespace failed");
    return 2;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (long)rl.rlim_cur > 2000) fd_cap = (long)rl.rlim_cur - 500;
  /* Test hook: a tiny cap exercises the socket workers without thousands of sockets. */
  const char *cap = getenv("PORTSPACE_HELPER_FD_CAP");
  long v;
  if (cap && parse_long(cap, 1, fd_cap, &v)) fd_cap = v;
  o_fmt("{\"ok\":true,\"ready\":true,\"version\":%d,\"pid\":%d}", HELPER_VERSION, (int)getpid());
  o_send();
  serve(stdin);
  sock_close_all();
  workers_stop();
  remote_stop();
  return 0;
}

/* The request loop, shared by the helper and its socket workers; returns on EOF or quit. */
static void serve(FILE *in) {
  char line[MAX_LINE];
  int quit = 0;
  while (!quit && fgets(line, sizeof line, in)) {
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] != '\n' && !feof(in)) {
      /* Over-long line: drop the rest of it (bounded by the input itself) and refuse it. */
      int c;
      while ((c = fgetc(in)) != EOF && c != '\n') {
      }
      reply_fault("request longer than %d bytes", MAX_LINE - 1);
      continue;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    quit = handle(line);
  }
}
