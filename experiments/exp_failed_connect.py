"""exp_failed_connect.py - calls on a TCP socket after a failed connect() (spec R52, R53).

Run as root:  python3 experiments/exp_failed_connect.py [-v] [name-filter]

Uses the spec's harness (kx.py: every experiment forks into a fresh network namespace made with
unshare(CLONE_NEWNET), lo up, loopback only; no host sysctl is touched). Set KX_DIR when the
spec's experiments live elsewhere than /work/shared/spec/experiments.

How connect() is called matters. `hconnect` does what the kernel helper does (and what a
blocking connect() does): a non-blocking connect(), poll() for the answer, then a second
connect() that returns the error and puts the socket back to "unconnected". kx.connect (Python's
socket timeout) reads SO_ERROR instead, which leaves the socket half-way: listen() then fails
with EINVAL on every kernel build and never autobinds (see `kx-style connect` below).

`held()` asks which ports of the range are owned: an explicit bind of each to the IPv4 wildcard
without SO_REUSEADDR (it overlaps every IPv4 address and the dual-stack IPv6 wildcard).
"""
import ctypes
import os
import select
import sys

sys.path.insert(0, os.environ.get("KX_DIR", "/work/shared/spec/experiments"))
from kx import *  # noqa: E402,F401,F403
from kx import _addr  # noqa: E402

LO, HI = 40000, 40009
_libc = ctypes.CDLL(None, use_errno=True)


def name(s):
    """getsockname as 'addr:port'."""
    try:
        a = s.getsockname()
        return "%s:%d" % (a[0], a[1])
    except OSError as e:
        return ename(e)


def held(lo=LO, hi=HI):
    """Ports of lo..hi that an explicit wildcard bind without SO_REUSEADDR cannot take."""
    out = []
    for p in range(lo, hi + 1):
        t = tcp()
        if bind(t, "0.0.0.0", p) != p:
            out.append(p)
        t.close()
    return out


def hconnect(s, ip, port, wait=2.0):
    """connect() the way the kernel helper does it: local port (int) or errno name."""
    a = _addr(s, ip, port)
    s.setblocking(False)
    try:
        s.connect(a)
        e = 0
    except OSError as ex:
        e = ex.errno
    if e == errno.EINPROGRESS:
        if select.select([], [s], [], wait)[1]:
            try:
                s.connect(a)
                e = 0
            except OSError as ex:
                e = 0 if ex.errno == errno.EISCONN else ex.errno
        else:
            unspec(s)  # the helper's bound ran out: abort, as the kernel's own timeout would
            e = errno.ETIMEDOUT
    s.setblocking(True)
    return errno.errorcode[e] if e else s.getsockname()[1]


def unspec(s):
    """connect(AF_UNSPEC)."""
    sa = struct.pack("H14s", socket.AF_UNSPEC, b"")
    if _libc.connect(s.fileno(), sa, len(sa)) == 0:
        return "OK"
    return errno.errorcode[ctypes.get_errno()]


def lsn(s):
    """listen(): 'OK addr:port' or errno name."""
    try:
        s.listen(16)
        return "OK " + name(s)
    except OSError as e:
        return ename(e)


def refused(s, ip="127.0.0.1"):
    return hconnect(s, ip, 5555)


# --------------------------------------------------------------------------
# R52: listen() after a refused connect()
# --------------------------------------------------------------------------

@experiment("R52", "unbound, refused: listen() EINVAL, autobinds an odd port and keeps it; close() releases", repeat=3)
def _():
    port_range(LO, HI)
    s = tcp()
    c = refused(s)
    n1, h1 = name(s), held()
    l1 = lsn(s)
    n2, h2 = name(s), held()
    l2 = lsn(s)
    n3, h3 = name(s), held()
    s.close()
    h4 = held()
    p = int(n2.split(":")[-1])
    obs = [c, n1, h1, l1, n2, h2, l2, n3, h3, h4]
    ok = (c == "ECONNREFUSED" and n1.startswith("0.0.0.0:") and h1 == [] and l1 == "EINVAL"
          and n2.startswith("0.0.0.0:") and p % 2 == 1 and h2 == [p]
          and l2 == "EINVAL" and n3 == n2 and h3 == [p] and h4 == [])
    return {"observed": obs, "pass": ok}


@experiment("R52", "bind(ip,0), refused: port released (R61); listen() EINVAL autobinds afresh on ip", repeat=3)
def _():
    port_range(LO, HI)
    s = tcp()
    b = bind(s, "127.0.0.1", 0)
    c = refused(s)
    h1 = held()
    l1 = lsn(s)
    n2, h2 = name(s), held()
    p = int(n2.split(":")[-1])
    s.close()
    h3 = held()
    obs = [b, c, h1, l1, n2, h2, h3]
    ok = (c == "ECONNREFUSED" and h1 == [] and l1 == "EINVAL" and n2.startswith("127.0.0.1:")
          and p % 2 == 1 and h2 == [p] and h3 == [])
    return {"observed": obs, "pass": ok}


@experiment("R52", "bind(ip,port), refused: port kept (R61); listen() EINVAL keeps it; close() releases")
def _():
    port_range(LO, HI)
    s = tcp()
    b = bind(s, "127.0.0.1", 40004)
    c = refused(s)
    h1 = held()
    l1 = lsn(s)
    n2, h2 = name(s), held()
    s.close()
    h3 = held()
    obs = [b, c, h1, l1, n2, h2, h3]
    ok = (c == "ECONNREFUSED" and h1 == [40004] and l1 == "EINVAL" and n2 == "127.0.0.1:40004"
          and h2 == [40004] and h3 == [])
    return {"observed": obs, "pass": ok}


@experiment("R52", "bound port in conflict: listen() after a refused connect gives EADDRINUSE (R51 first)")
def _():
    port_range(LO, HI)
    a = tcp(reuseaddr=True)
    b1 = bind(a, "127.0.0.1", 40004)
    c = refused(a)
    b = tcp(reuseaddr=True)
    b2 = bind(b, "127.0.0.1", 40004)
    lb = lsn(b)
    la = lsn(a)
    obs = [b1, c, b2, lb, la, name(a)]
    ok = c == "ECONNREFUSED" and lb.startswith("OK") and la == "EADDRINUSE"
    return {"observed": obs, "pass": ok}


@experiment("R52", "no free port: listen() after a refused connect gives EADDRINUSE; once one is free, EINVAL and it is kept")
def _():
    port_range(40000, 40001)
    s = tcp()
    c = refused(s)
    a, b = tcp(), tcp()
    fill = [bind(a, "0.0.0.0", 40000), bind(b, "0.0.0.0", 40001)]
    l1 = lsn(s)
    b.close()
    l2 = lsn(s)
    obs = [c, fill, l1, l2, name(s), held(40000, 40001)]
    ok = (c == "ECONNREFUSED" and l1 == "EADDRINUSE" and l2 == "EINVAL"
          and name(s) == "0.0.0.0:40001" and held(40000, 40001) == [40000, 40001])
    return {"observed": obs, "pass": ok}


@experiment("R52", "SO_REUSEADDR: the failed listen() autobind searches the lower half first; the port stays shareable", repeat=3)
def _():
    port_range(LO, HI)
    s = tcp(reuseaddr=True)
    c = refused(s)
    l1 = lsn(s)
    p = s.getsockname()[1]
    t = tcp(reuseaddr=True)
    u = tcp(reuseaddr=True)
    bt = bind(t, "0.0.0.0", p)
    bu = bind(u, "127.0.0.1", p)
    lu = lsn(u)
    obs = [c, l1, p, bt, bu, lu]
    ok = (c == "ECONNREFUSED" and l1 == "EINVAL" and p in (40001, 40003) and bt == p and bu == p
          and lu.startswith("OK"))
    return {"observed": obs, "pass": ok}


@experiment("R52", "SO_REUSEPORT: another RP socket binds and listens on the failed listen()'s port")
def _():
    port_range(LO, HI)
    s = tcp(reuseport=True)
    c = refused(s)
    l1 = lsn(s)
    p = s.getsockname()[1]
    t = tcp(reuseport=True)
    bt = bind(t, "0.0.0.0", p)
    lt = lsn(t)
    obs = [c, l1, p, bt, lt]
    ok = c == "ECONNREFUSED" and l1 == "EINVAL" and bt == p and lt.startswith("OK")
    return {"observed": obs, "pass": ok}


@experiment("R52", "IP_BIND_ADDRESS_NO_PORT: the failed listen() autobinds on the bound address")
def _():
    port_range(LO, HI)
    s = tcp(no_port=True)
    b = bind(s, "127.0.0.1", 0)
    c = refused(s)
    l1 = lsn(s)
    n, h = name(s), held()
    obs = [b, c, l1, n, h]
    ok = c == "ECONNREFUSED" and l1 == "EINVAL" and n.startswith("127.0.0.1:") and len(h) == 1
    return {"observed": obs, "pass": ok}


@experiment("R52", "later calls: connect() starts from the kept port (released again if refused); bind EINVAL; accept EINVAL")
def _():
    port_range(LO, HI)
    s = tcp()
    c1 = refused(s)
    l1 = lsn(s)
    p = s.getsockname()[1]
    bd = bind(s, "127.0.0.1", 0)
    s.setblocking(False)
    try:
        s.accept()
        ac = "OK"
    except OSError as e:
        ac = ename(e)
    s.setblocking(True)
    c2 = refused(s)
    h2 = held()
    l2 = lsn(s)
    q = s.getsockname()[1]
    srv = listener("127.0.0.1", 5000)
    c3 = hconnect(s, "127.0.0.1", 5000)
    l3 = lsn(s)
    obs = [c1, l1, p, bd, ac, c2, h2, l2, q, c3, l3, held()]
    ok = (l1 == "EINVAL" and bd == "EINVAL" and ac == "EINVAL" and c2 == "ECONNREFUSED"
          and h2 == [] and l2 == "EINVAL" and c3 == q and l3 == "EINVAL")
    srv.close()
    return {"observed": obs, "pass": ok}


@experiment("R52", "bind() after a refused connect works as usual, and listen() still gives EINVAL")
def _():
    port_range(LO, HI)
    s = tcp()
    c = refused(s)
    b = bind(s, "127.0.0.1", 0)
    l1 = lsn(s)
    obs = [c, b, l1, name(s), held()]
    ok = c == "ECONNREFUSED" and isinstance(b, int) and l1 == "EINVAL" and held() == [b]
    return {"observed": obs, "pass": ok}


@experiment("R52", "IPv6: refused, then listen() EINVAL keeps an odd port; connect() again releases it")
def _():
    port_range(LO, HI)
    s = tcp(fam=V6)
    c = refused(s, "::1")
    l1 = lsn(s)
    n, h = name(s), held()
    c2 = refused(s, "::1")
    obs = [c, l1, n, h, c2, held()]
    p = int(n.rsplit(":", 1)[1])
    ok = (c == "ECONNREFUSED" and l1 == "EINVAL" and n.startswith(":::") and p % 2 == 1
          and h == [p] and c2 == "ECONNREFUSED" and held() == [])
    return {"observed": obs, "pass": ok}


@experiment("R52", "timed out (SYN unanswered, aborted by AF_UNSPEC): listen() EINVAL with autobind too")
def _():
    port_range(LO, HI)
    sh("ip link add pv0 type veth peer name pv1 && ip addr add 10.9.0.1/24 dev pv0 "
       "&& ip link set pv0 up && ip link set pv1 up")
    s = tcp()
    c = hconnect(s, "10.9.0.2", 80, wait=0.3)
    h1 = held()
    l1 = lsn(s)
    obs = [c, h1, l1, name(s), held()]
    ok = c == "ETIMEDOUT" and h1 == [] and l1 == "EINVAL" and len(held()) == 1
    return {"observed": obs, "pass": ok}


@experiment("R52", "refused then connect(AF_UNSPEC): listen() still EINVAL with autobind")
def _():
    port_range(LO, HI)
    s = tcp()
    c = refused(s)
    u = unspec(s)
    l1 = lsn(s)
    obs = [c, u, l1, name(s), held()]
    ok = c == "ECONNREFUSED" and u == "OK" and l1 == "EINVAL" and len(held()) == 1
    return {"observed": obs, "pass": ok}


@experiment("R52", "failures before any SYN (EADDRNOTAVAIL, ENETUNREACH) leave listen() working")
def _():
    port_range(40000, 40001)
    srv = listener("127.0.0.1", 5000)
    c1, c2 = tcp(), tcp()
    full = [hconnect(c1, "127.0.0.1", 5000), hconnect(c2, "127.0.0.1", 5000)]
    s = tcp()
    na = hconnect(s, "127.0.0.1", 5000)
    port_range(LO, HI)
    l1 = lsn(s)
    u = tcp()
    nu = hconnect(u, "10.1.1.1", 80)
    l2 = lsn(u)
    obs = [full, na, l1, nu, l2]
    ok = na == "EADDRNOTAVAIL" and l1.startswith("OK") and nu == "ENETUNREACH" and l2.startswith("OK")
    srv.close()
    return {"observed": obs, "pass": ok}


@experiment("R52", "after a reset (ECONNRESET): listen() EINVAL without autobind; connect EISCONN; bind works")
def _():
    port_range(LO, HI)
    srv = listener("127.0.0.1", 5000)
    c = tcp()
    p = hconnect(c, "127.0.0.1", 5000)
    a, _ = srv.accept()
    a.setsockopt(socket.SOL_SOCKET, SO_LINGER, struct.pack("ii", 1, 0))
    a.close()
    time.sleep(0.05)
    h1 = held()
    l1 = lsn(c)
    h2 = held()
    c2 = hconnect(c, "127.0.0.1", 5000)
    b = bind(c, "127.0.0.1", 0)
    obs = [p, h1, l1, name(c), h2, c2, b]
    ok = h1 == [] and l1 == "EINVAL" and h2 == [] and c2 == "EISCONN" and isinstance(b, int)
    srv.close()
    return {"observed": obs, "pass": ok}


@experiment("R52", "kx-style connect (SO_ERROR read, socket left half-way): listen() EINVAL, no autobind")
def _():
    port_range(LO, HI)
    s = tcp()
    c = connect(s, "127.0.0.1", 5555)
    l1 = lsn(s)
    obs = [c, name(s), l1, held()]
    ok = c == "ECONNREFUSED" and l1 == "EINVAL" and held() == []
    return {"observed": obs, "pass": ok}


# --------------------------------------------------------------------------
# R53: TCP connect() to port 0
# --------------------------------------------------------------------------

def _port0(fam, ip):
    port_range(LO, HI)
    out = []
    s = tcp(fam=fam)
    out.append(["unbound", hconnect(s, ip, 0), name(s), held(), lsn(s), held()])
    s.close()
    s = tcp(fam=fam)
    b = bind(s, ip, 0)
    out.append(["bind0", b, hconnect(s, ip, 0), name(s), held(), lsn(s)])
    s.close()
    s = tcp(fam=fam)
    b = bind(s, ip, 40004)
    out.append(["bind40004", b, hconnect(s, ip, 0), name(s), held(), lsn(s)])
    s.close()
    wild = "0.0.0.0:" if fam == V4 else ":::"
    u, b0, bx = out
    ok = (u[1] == "ECONNREFUSED" and u[2].startswith(wild) and u[2] != wild + "0" and u[3] == []
          and u[4] == "EINVAL" and len(u[5]) == 1
          and b0[2] == "ECONNREFUSED" and b0[5] == "EINVAL"
          and bx[2] == "ECONNREFUSED" and bx[5] == "EINVAL")
    if fam == V4:
        ok = ok and b0[4] == [] and bx[4] == [40004]
    return {"observed": out, "pass": ok}


@experiment("R53", "IPv4 connect() to port 0 chooses a port, is refused, releases it (getsockname keeps it)", repeat=2)
def _():
    return _port0(V4, "127.0.0.1")


@experiment("R53", "IPv6 connect() to port 0 chooses a port, is refused, releases it (getsockname keeps it)", repeat=2)
def _():
    return _port0(V6, "::1")


if __name__ == "__main__":
    main()
