"""connect(AF_UNSPEC) on TCP sockets (issue 10): what happens to the port, the
bind bucket and the local address, before and after a connection.

The spec covers connect(AF_UNSPEC) for UDP only (R94). Everything here is
"measured, not in the spec" unless a rule is named. Each experiment runs in a
fresh netns (kx.py), loopback only.

Run as root:  python3 experiments/exp_tcp_disconnect.py -v
"""
import ctypes
import sys
sys.path.insert(0, "/work/shared/spec/experiments")
from kx import *  # noqa: E402,F403

_libc = ctypes.CDLL(None, use_errno=True)


def disconnect(s):
    """connect(fd, {sa_family = AF_UNSPEC}, 16): 'OK' or an errno name."""
    buf = ctypes.create_string_buffer(28)
    if _libc.connect(s.fileno(), buf, 16) != 0:
        return errno.errorcode.get(ctypes.get_errno(), "E?")
    return "OK"


def name(s):
    try:
        a = s.getsockname()
        return "%s:%d" % (a[0], a[1])
    except OSError as e:
        return ename(e)


def holds(ip, port, fam=V4):
    """Does some socket hold ip:port? Probe with a plain bind (no options)."""
    p = tcp(fam=fam)
    r = bind(p, ip, port)
    p.close()
    return r == "EADDRINUSE"


def tw_count():
    return len(tw_entries())


def peer_state(a):
    """What the accepted end sees: 'reset', 'eof' or 'open'."""
    a.setblocking(False)
    try:
        d = a.recv(1)
        return "eof" if d == b"" else "data"
    except BlockingIOError:
        return "open"
    except ConnectionResetError:
        return "reset"
    finally:
        a.setblocking(True)


def setup():
    port_range(40000, 40009)
    return listener(port=5000)


@experiment("TD1", "unbound and bound-but-unconnected sockets")
def _():
    obs = {}
    L = setup()
    s = tcp()
    obs["unbound"] = [disconnect(s), name(s)]
    obs["unbound then connect"] = connect(s, "127.0.0.1", 5000)
    s = tcp()
    obs["bind 127.0.0.1:6001"] = [bind(s, "127.0.0.1", 6001), disconnect(s), name(s),
                                  holds("127.0.0.1", 6001)]
    s = tcp()
    obs["bind 0.0.0.0:6002"] = [bind(s, "0.0.0.0", 6002), disconnect(s), name(s),
                                holds("127.0.0.1", 6002)]
    s = tcp()
    p = bind(s, "127.0.0.1", 0)
    obs["bind 127.0.0.1:0"] = [p, disconnect(s), name(s), holds("127.0.0.1", p)]
    s = tcp()
    p = bind(s, "0.0.0.0", 0)
    obs["bind 0.0.0.0:0"] = [p, disconnect(s), name(s), holds("127.0.0.1", p)]
    s = tcp(no_port=True)
    obs["NO_PORT bind 127.0.0.1:0"] = [bind(s, "127.0.0.1", 0), disconnect(s), name(s)]
    obs["NO_PORT then connect"] = [connect(s, "127.0.0.1", 5000), name(s)]
    s = tcp()
    obs["twice"] = [bind(s, "127.0.0.1", 6003), disconnect(s), disconnect(s), name(s)]
    s = tcp(fam=V6)
    obs["tcp6 unbound"] = [disconnect(s), name(s)]
    s = tcp(fam=V6)
    obs["tcp6 bind ::1:6004"] = [bind(s, "::1", 6004), disconnect(s), name(s),
                                 holds("::1", 6004, V6)]
    s = tcp(fam=V6)
    p = bind(s, "::1", 0)
    obs["tcp6 bind ::1:0"] = [p, disconnect(s), name(s), holds("::1", p, V6)]
    # A socket that never connected or listened: connect(AF_UNSPEC) succeeds and changes nothing.
    ok = obs["unbound"] == ["OK", "0.0.0.0:0"] and isinstance(obs["unbound then connect"], int)
    ok = ok and obs["bind 127.0.0.1:6001"] == [6001, "OK", "127.0.0.1:6001", True]
    ok = ok and obs["bind 0.0.0.0:6002"] == [6002, "OK", "0.0.0.0:6002", True]
    ok = ok and obs["bind 127.0.0.1:0"][1:] == ["OK", "127.0.0.1:%d" % obs["bind 127.0.0.1:0"][0], True]
    ok = ok and obs["bind 0.0.0.0:0"][1:] == ["OK", "0.0.0.0:%d" % obs["bind 0.0.0.0:0"][0], True]
    ok = ok and obs["NO_PORT bind 127.0.0.1:0"] == [0, "OK", "127.0.0.1:0"]
    ok = ok and obs["twice"] == [6003, "OK", "OK", "127.0.0.1:6003"]
    ok = ok and obs["tcp6 unbound"] == ["OK", ":::0"]
    ok = ok and obs["tcp6 bind ::1:6004"] == [6004, "OK", "::1:6004", True]
    ok = ok and obs["tcp6 bind ::1:0"][1:] == ["OK", "::1:%d" % obs["tcp6 bind ::1:0"][0], True]
    return {"observed": obs, "pass": ok}


@experiment("TD2", "listening sockets")
def _():
    obs = {}
    setup()
    s = listener(port=6010)
    obs["explicit 127.0.0.1:6010"] = [disconnect(s), name(s), holds("127.0.0.1", 6010)]
    c = tcp()
    obs["connect to it after"] = connect(c, "127.0.0.1", 6010, timeout=0.5)
    obs["listen again"] = listen(s)
    c = tcp()
    obs["connect after listen again"] = connect(c, "127.0.0.1", 6010, timeout=0.5)
    s = tcp()
    p = listen(s)
    obs["autobound listen"] = [p, disconnect(s), name(s), holds("0.0.0.0", p)]
    obs["autobound listen again"] = listen(s)
    s = tcp()
    p = bind(s, "127.0.0.1", 0)
    obs["bind(0) then listen"] = [p, listen(s), disconnect(s), name(s), holds("127.0.0.1", p)]
    s = tcp()
    obs["listener then connect"] = [bind(s, "127.0.0.1", 6011), listen(s), disconnect(s),
                                    connect(s, "127.0.0.1", 5000), name(s)]
    # a listener with a pending connection: what does the client see
    s = listener(port=6012)
    c = tcp()
    obs["pending client connect"] = connect(c, "127.0.0.1", 6012)
    obs["listener with pending"] = [disconnect(s), name(s), holds("127.0.0.1", 6012)]
    obs["pending client after"] = peer_state(c)
    # A listener stops listening (its queued connections are reset); a port bind() fixed stays
    # held with its address, a port the kernel chose is given back although getsockname still
    # shows it; listen() works again, connect() is EINVAL.
    ok = obs["explicit 127.0.0.1:6010"] == ["OK", "127.0.0.1:6010", True]
    ok = ok and obs["connect to it after"] == "ECONNREFUSED" and obs["listen again"] == 6010
    ap = obs["autobound listen"][0]
    ok = ok and obs["autobound listen"] == [ap, "OK", "0.0.0.0:%d" % ap, False]
    ok = ok and isinstance(obs["autobound listen again"], int)
    bp = obs["bind(0) then listen"][0]
    ok = ok and obs["bind(0) then listen"] == [bp, bp, "OK", "127.0.0.1:%d" % bp, False]
    ok = ok and obs["listener then connect"] == [6011, 6011, "OK", "EINVAL", "127.0.0.1:6011"]
    ok = ok and obs["listener with pending"] == ["OK", "127.0.0.1:6012", True]
    ok = ok and obs["pending client after"] == "reset"
    return {"observed": obs, "pass": ok}


@experiment("TD3", "connected sockets: port, address, peer, TIME_WAIT, reconnect")
def _():
    obs = {}
    L = setup()
    # autobound by connect
    c = tcp()
    p = connect(c, "127.0.0.1", 5000)
    a, _ = L.accept()
    obs["auto: connect"] = [p, name(c)]
    obs["auto: disconnect"] = [disconnect(c), name(c), holds("127.0.0.1", p), tw_count(),
                               peer_state(a)]
    obs["auto: reconnect"] = [connect(c, "127.0.0.1", 5000), name(c)]
    a2, _ = L.accept()
    # explicit 127.0.0.1:P
    c = tcp()
    obs["explicit addr+port"] = [bind(c, "127.0.0.1", 6020), connect(c, "127.0.0.1", 5000)]
    a, _ = L.accept()
    obs["explicit addr+port: disconnect"] = [disconnect(c), name(c), holds("127.0.0.1", 6020),
                                             tw_count(), peer_state(a)]
    obs["explicit addr+port: reconnect same dst"] = [connect(c, "127.0.0.1", 5000), name(c)]
    L.accept()
    # explicit wildcard 0.0.0.0:P
    c = tcp()
    obs["wild+port"] = [bind(c, "0.0.0.0", 6021), connect(c, "127.0.0.1", 5000), name(c)]
    L.accept()
    obs["wild+port: 127.0.0.2 held before"] = holds("127.0.0.2", 6021)
    obs["wild+port: disconnect"] = [disconnect(c), name(c), holds("127.0.0.1", 6021),
                                    holds("127.0.0.2", 6021), holds("0.0.0.0", 6021)]
    # bind(addr, 0): the port came from a search
    c = tcp()
    p = bind(c, "127.0.0.1", 0)
    obs["addr+0"] = [p, connect(c, "127.0.0.1", 5000)]
    L.accept()
    obs["addr+0: disconnect"] = [disconnect(c), name(c), holds("127.0.0.1", p)]
    obs["addr+0: reconnect"] = [connect(c, "127.0.0.1", 5000), name(c)]
    L.accept()
    # bind(0.0.0.0, 0)
    c = tcp()
    p = bind(c, "0.0.0.0", 0)
    obs["wild+0"] = [p, connect(c, "127.0.0.1", 5000)]
    L.accept()
    obs["wild+0: disconnect"] = [disconnect(c), name(c), holds("0.0.0.0", p)]
    # IP_BIND_ADDRESS_NO_PORT
    c = tcp(no_port=True)
    obs["noport"] = [bind(c, "127.0.0.1", 0), connect(c, "127.0.0.1", 5000), name(c)]
    L.accept()
    p = c.getsockname()[1]
    obs["noport: disconnect"] = [disconnect(c), name(c), holds("127.0.0.1", p)]
    # connected before accept: the queued child
    c = tcp()
    p = connect(c, "127.0.0.1", 5000)
    obs["unaccepted: disconnect"] = [disconnect(c), name(c)]
    L.settimeout(0.5)
    try:
        a, peer = L.accept()
        obs["unaccepted: accept"] = [peer[1] == p, peer_state(a)]
    except OSError as e:
        obs["unaccepted: accept"] = ename(e)
    L.settimeout(None)
    # accepted end disconnects
    c = tcp()
    connect(c, "127.0.0.1", 5000)
    a, _ = L.accept()
    obs["accepted end: disconnect"] = [disconnect(a), name(a), peer_state(c), tw_count()]
    obs["accepted end: listen"] = listen(a)
    obs["accepted end: connect"] = [connect(a, "127.0.0.1", 5000), name(a)]
    # A connected socket: the peer is reset, no TIME_WAIT is left; the port goes back unless
    # bind() fixed it (getsockname keeps showing it), the address goes back to the wildcard
    # unless bind() fixed it; a later connect() works (from the kept port, or a new search).
    def auto_ok(row, addr):
        return row[0] == "OK" and row[1] == "%s:%d" % (addr, int(row[1].rsplit(":", 1)[1])) and row[2] is False
    ok = obs["auto: disconnect"][0] == "OK" and obs["auto: disconnect"][1] == "0.0.0.0:%d" % obs["auto: connect"][0]
    ok = ok and obs["auto: disconnect"][2:] == [False, 0, "reset"]
    ok = ok and isinstance(obs["auto: reconnect"][0], int)
    ok = ok and obs["explicit addr+port: disconnect"] == ["OK", "127.0.0.1:6020", True, 0, "reset"]
    ok = ok and obs["explicit addr+port: reconnect same dst"] == [6020, "127.0.0.1:6020"]
    ok = ok and obs["wild+port"] == [6021, 6021, "127.0.0.1:6021"] and obs["wild+port: 127.0.0.2 held before"] is False
    ok = ok and obs["wild+port: disconnect"] == ["OK", "0.0.0.0:6021", True, True, True]
    ok = ok and obs["addr+0: disconnect"] == ["OK", "127.0.0.1:%d" % obs["addr+0"][0], False]
    ok = ok and obs["wild+0: disconnect"] == ["OK", "0.0.0.0:%d" % obs["wild+0"][0], False]
    ok = ok and obs["noport: disconnect"][0] == "OK" and obs["noport: disconnect"][2] is False
    ok = ok and obs["unaccepted: accept"] == [True, "reset"]
    ok = ok and obs["accepted end: disconnect"][:3] == ["OK", "127.0.0.1:5000", "reset"]
    ok = ok and obs["accepted end: listen"] == "EINVAL" and isinstance(obs["accepted end: connect"][0], int)
    return {"observed": obs, "pass": ok and auto_ok(obs["addr+0: disconnect"], "127.0.0.1")}


@experiment("TD4", "IPv6 and v4-mapped connected sockets")
def _():
    obs = {}
    port_range(40000, 40009)
    L6 = listener(ip="::", port=5000, fam=V6)
    c = tcp(fam=V6)
    p = connect(c, "::1", 5000)
    L6.accept()
    obs["::1 auto"] = [p, disconnect(c), name(c), holds("::1", p, V6)]
    c = tcp(fam=V6)
    p = connect(c, "::ffff:127.0.0.1", 5000)
    L6.accept()
    obs["mapped auto"] = [p, disconnect(c), name(c), holds("127.0.0.1", p)]
    c = tcp(fam=V6)
    obs["mapped wild+port"] = [bind(c, "::", 6030), connect(c, "::ffff:127.0.0.1", 5000), name(c)]
    L6.accept()
    obs["mapped wild+port: disconnect"] = [disconnect(c), name(c), holds("::1", 6030, V6),
                                           holds("127.0.0.2", 6030)]
    ok = obs["::1 auto"] == [obs["::1 auto"][0], "OK", ":::%d" % obs["::1 auto"][0], False]
    ok = ok and obs["mapped auto"] == [obs["mapped auto"][0], "OK", ":::%d" % obs["mapped auto"][0], False]
    ok = ok and obs["mapped wild+port"] == [6030, 6030, "::ffff:127.0.0.1:6030"]
    ok = ok and obs["mapped wild+port: disconnect"] == ["OK", ":::6030", True, True]
    return {"observed": obs, "pass": ok}


@experiment("TD5", "a kept port: does a later connect from it to the same destination work")
def _():
    obs = {}
    port_range(40000, 40000)
    L = listener(port=5000)
    c = tcp()
    obs["first"] = connect(c, "127.0.0.1", 5000)
    a, _ = L.accept()
    obs["disconnect"] = disconnect(c)
    d = tcp()
    obs["other socket connects (range of 1)"] = connect(d, "127.0.0.1", 5000)
    obs["reconnect old"] = connect(c, "127.0.0.1", 5000)
    ok = obs == {"first": 40000, "disconnect": "OK", "other socket connects (range of 1)": 40000,
                 "reconnect old": "EADDRNOTAVAIL"}
    return {"observed": obs, "pass": ok}


def portof(s):
    return s.getsockname()[1]

@experiment("TD6", "calls after the disconnect: listen, connect, bind(0)")
def _():
    obs = {}
    port_range(40000, 40999)
    L = listener(port=5000)
    i = 0
    for kind in ("auto", "explicit", "addr0", "listenX", "listenA", "listenB0"):
        for call in ("listen", "connect", "connect_refused", "bind0"):
            i += 1
            P = 6000 + i
            s = tcp()
            if kind == "auto":
                connect(s, "127.0.0.1", 5000); L.accept()
            elif kind == "explicit":
                bind(s, "127.0.0.1", P); connect(s, "127.0.0.1", 5000); L.accept()
            elif kind == "addr0":
                bind(s, "127.0.0.1", 0); connect(s, "127.0.0.1", 5000); L.accept()
            elif kind == "listenX":
                bind(s, "127.0.0.1", P); listen(s)
            elif kind == "listenA":
                listen(s)
            elif kind == "listenB0":
                bind(s, "127.0.0.1", 0); listen(s)
            p0 = portof(s)
            r0 = disconnect(s)
            n1 = name(s)
            if call == "bind0":
                r = bind(s, "127.0.0.1", 0)
            elif call == "listen":
                r = listen(s)
            elif call == "connect":
                r = connect(s, "127.0.0.1", 5000, timeout=0.5)
            else:
                r = connect(s, "127.0.0.1", 5999, timeout=0.5)
            p2 = portof(s)
            obs["%s %s" % (kind, call)] = {"before": p0, "disc": r0, "name": n1, "call": r,
                "after": name(s), "old held": holds("127.0.0.1", p0),
                "new held": holds("127.0.0.1", p2) if p2 else None}
            s.close()
            accept_all(L)
    # Once connected (auto, explicit, addr0): listen() is EINVAL, but a socket without a port
    # first runs the bind(0) search and keeps what it found (as R52 says after a failed
    # connect). Once listening (listenX, listenA, listenB0): connect() is EINVAL and changes
    # nothing. bind() works again exactly when the disconnect gave the port back.
    ok = True
    for k, v in obs.items():
        kind, call = k.split(" ")
        kept = kind in ("explicit", "listenX")
        ok = ok and v["disc"] == "OK" and v["old held"] == kept
        if call == "listen" and kind in ("auto", "explicit", "addr0"):
            ok = ok and v["call"] == "EINVAL" and v["new held"] is True
        if call == "listen" and kind.startswith("listen"):
            ok = ok and isinstance(v["call"], int)
        if call.startswith("connect") and kind.startswith("listen"):
            ok = ok and v["call"] == "EINVAL" and v["after"] == v["name"]
        if call == "connect" and not kind.startswith("listen"):
            ok = ok and isinstance(v["call"], int)
        if call == "bind0":
            ok = ok and (v["call"] == "EINVAL") == kept
    return {"observed": obs, "pass": ok}

@experiment("TD7", "a reset socket, the failed listen search order, an IPv6 socket on the IPv4 path")
def _():
    obs = {}
    port_range(40000, 40003)
    L = listener(port=5000)
    # reset by peer, then disconnect
    c = tcp(); connect(c, "127.0.0.1", 5000); a, _ = L.accept()
    a.setsockopt(socket.SOL_SOCKET, SO_LINGER, struct.pack("ii", 1, 0)); a.close()
    obs["reset: connect before disc"] = connect(c, "127.0.0.1", 5000, timeout=0.5)
    c = tcp(); connect(c, "127.0.0.1", 5000); a, _ = L.accept()
    a.setsockopt(socket.SOL_SOCKET, SO_LINGER, struct.pack("ii", 1, 0)); a.close()
    obs["reset: disc"] = [name(c), disconnect(c), name(c)]
    obs["reset: connect after disc"] = connect(c, "127.0.0.1", 5000, timeout=0.5)
    accept_all(L)
    c.close()
    c = tcp(); connect(c, "127.0.0.1", 5000); a, _ = L.accept()
    a.setsockopt(socket.SOL_SOCKET, SO_LINGER, struct.pack("ii", 1, 0)); a.close()
    obs["reset: listen after disc"] = [disconnect(c), listen(c), name(c)]
    c.close()
    accept_all(L)
    # failed listen: which ports (parity), 4-port range, one port taken by L? L is on 5000.
    ports = []
    keep = []
    for i in range(6):
        c = tcp(); r = connect(c, "127.0.0.1", 5000); accept_all(L)
        d = disconnect(c)
        ports.append([r, listen(c), name(c)])
        keep.append(c)
    obs["failed listens fill a 4-port range"] = ports
    for k in keep: k.close()
    # tcp6 via the IPv4 path, disconnect, then ::1
    L6 = listener(ip="::1", port=5001, fam=V6)
    c = tcp(fam=V6)
    r1 = connect(c, "::ffff:127.0.0.1", 5000); r2 = disconnect(c)
    try:
        r3 = connect(c, "::1", 5001, timeout=1.0)
    except TypeError:
        r3 = "timeout"
    obs["v6 mapped then ::1"] = [r1, r2, r3, name(c)]
    accept_all(L); accept_all(L6)
    fl = obs["failed listens fill a 4-port range"]
    # the failed listen searches like bind(0) (R40): odd ports first, then even; none left:
    # EADDRINUSE (this socket never connected: its connect found no port).
    ok = sorted(int(r[2].rsplit(":", 1)[1]) for r in fl[:2]) == [40001, 40003]
    ok = ok and sorted(int(r[2].rsplit(":", 1)[1]) for r in fl[2:4]) == [40000, 40002]
    ok = ok and all(r[1] == "EINVAL" for r in fl[:4]) and fl[4][1] == "EADDRINUSE"
    ok = ok and obs["reset: connect before disc"] == "ECONNRESET"
    ok = ok and obs["reset: disc"][1:] == ["OK", "0.0.0.0:" + obs["reset: disc"][0].rsplit(":", 1)[1]]
    ok = ok and isinstance(obs["reset: connect after disc"], int)
    ok = ok and obs["reset: listen after disc"][:2] == ["OK", "EINVAL"]
    ok = ok and obs["v6 mapped then ::1"][2] == "timeout"
    return {"observed": obs, "pass": ok}

if __name__ == "__main__":
    main()
