/*
 * portspace connector, the no-port strategy: a TCP socket with IP_BIND_ADDRESS_NO_PORT set
 * before bind(source, 0), so the source address is fixed and the port is chosen by connect()
 * per destination (spec R22). Node cannot set an option before bind(), hence this addon; the
 * descriptor goes back to JavaScript, which wraps it with new net.Socket({ fd }) and connects.
 * Non-blocking and close-on-exec, as libuv makes its own sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* Throws an Error whose code is the errno's name for the errors a caller can act on. */
static void throw_errno(napi_env env, int e, const char *what) {
  const char *code = e == EADDRNOTAVAIL ? "EADDRNOTAVAIL"
                     : e == EADDRINUSE  ? "EADDRINUSE"
                     : e == EMFILE      ? "EMFILE"
                     : e == ENFILE      ? "ENFILE"
                     : e == EINVAL      ? "EINVAL"
                     : e == EAFNOSUPPORT ? "EAFNOSUPPORT"
                                         : "EIO";
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, code, msg);
}

/* bindNoPort(address: string): number (the descriptor) */
static napi_value bind_no_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, "EINVAL", "bindNoPort(address) needs an address");
    return NULL;
  }
  char addr[64];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "bindNoPort: the address must be a string");
    return NULL;
  }
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
  socklen_t sl;
  int family;
  if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
    family = AF_INET;
    s4->sin_family = AF_INET;
    sl = sizeof *s4;
  } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
    family = AF_INET6;
    s6->sin6_family = AF_INET6;
    sl = sizeof *s6;
  } else {
    napi_throw_error(env, "EINVAL", "bindNoPort: not an IPv4 or IPv6 address");
    return NULL;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket()");
    return NULL;
  }
  int one = 1;
  /* The option lives at the IP level for IPv6 sockets too. */
  if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "setsockopt(IP_BIND_ADDRESS_NO_PORT)");
    return NULL;
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "bind()");
    return NULL;
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "bindNoPort", NAPI_AUTO_LENGTH, bind_no_port, NULL, &fn);
  napi_set_named_property(env, exports, "bindNoPort", fn);
  return exports;
}
