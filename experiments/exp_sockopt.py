"""getsockopt and setsockopt with an explicit option length (issue 10).

Options: SO_REUSEADDR, SO_REUSEPORT, IP_BIND_ADDRESS_NO_PORT, IPV6_V6ONLY and
IP_LOCAL_PORT_RANGE (R70-R72). Each experiment runs in a fresh netns (kx.py).
Values set with a buffer of N bytes are the value's little-endian bytes cut
or zero-padded to N (x86_64 is little-endian), which is what the .pst syntax
`setsockopt(S, OPT, VALUE, len N)` means.

Run as root:  python3 experiments/exp_sockopt.py -v
"""
import sys
sys.path.insert(0, "/work/shared/spec/experiments")
from kx import *  # noqa: E402,F403

SOL_IP = socket.SOL_IP
SOL_IPV6 = socket.IPPROTO_IPV6
LEVEL = {
    "SO_REUSEADDR": (socket.SOL_SOCKET, SO_REUSEADDR),
    "SO_REUSEPORT": (socket.SOL_SOCKET, SO_REUSEPORT),
    "IP_BIND_ADDRESS_NO_PORT": (SOL_IP, IP_BIND_ADDRESS_NO_PORT),
    "IPV6_V6ONLY": (SOL_IPV6, IPV6_V6ONLY),
    "IP_LOCAL_PORT_RANGE": (SOL_IP, IP_LOCAL_PORT_RANGE),
}
KINDS = {"tcp4": ("tcp", V4), "tcp6": ("tcp", V6), "udp4": ("udp", V4), "udp6": ("udp", V6)}


def mk(kind):
    k, fam = KINDS[kind]
    return sock(k, fam=fam)


def get(s, opt):
    level, num = LEVEL[opt]
    try:
        v = s.getsockopt(level, num)
        return v & 0xffffffff if opt == "IP_LOCAL_PORT_RANGE" else v
    except OSError as e:
        return ename(e)


def put(s, opt, value, n=4):
    level, num = LEVEL[opt]
    buf = (value & 0xffffffffffffffff).to_bytes(8, "little")
    buf = (buf + b"\0" * 64)[:n]
    try:
        s.setsockopt(level, num, buf)
        return "OK"
    except OSError as e:
        return ename(e)


def lpr(lo, hi):
    return (hi << 16) | lo


def split(v):
    return v if isinstance(v, str) else [v & 0xffff, v >> 16]


def rule_set_int(kind, opt, value, n, old):
    """The rule measured by SOL1 (measured, not in the spec): what an n-byte write leaves.
    SOL_SOCKET options and IPV6_V6ONLY need n >= 4 (EINVAL, value kept) and read 4 bytes;
    IP_BIND_ADDRESS_NO_PORT reads 4 bytes when n >= 4, else one byte, and n = 0 means 0.
    IPV6_V6ONLY on an IPv4 socket is ENOPROTOOPT."""
    if opt == "IPV6_V6ONLY" and kind.endswith("4"):
        return ["ENOPROTOOPT", "ENOTSUP"]
    b = ((value & 0xffffffffffffffff).to_bytes(8, "little") + b"\0" * 64)[:n]
    if opt == "IP_BIND_ADDRESS_NO_PORT":
        v = int.from_bytes(b[:4], "little") if n >= 4 else (b[0] if n >= 1 else 0)
        return ["OK", 1 if v else 0]
    if n < 4:
        return ["EINVAL", old]
    return ["OK", 1 if int.from_bytes(b[:4], "little") else 0]


INT_OPTS = ["SO_REUSEADDR", "SO_REUSEPORT", "IP_BIND_ADDRESS_NO_PORT", "IPV6_V6ONLY"]


@experiment("GSO1", "getsockopt defaults per socket kind (measured, not in the spec)")
def _():
    obs = {}
    for kind in KINDS:
        s = mk(kind)
        obs[kind] = {o: get(s, o) for o in INT_OPTS}
        obs[kind]["IP_LOCAL_PORT_RANGE"] = split(get(s, "IP_LOCAL_PORT_RANGE"))
    sysctl("bindv6only", 1, "ipv6")
    obs["tcp6 with bindv6only=1"] = get(mk("tcp6"), "IPV6_V6ONLY")
    obs["udp6 with bindv6only=1"] = get(mk("udp6"), "IPV6_V6ONLY")
    ok = all(obs[k][o] == 0 for k in KINDS for o in INT_OPTS if not (o == "IPV6_V6ONLY" and k.endswith("4")))
    ok = ok and obs["tcp4"]["IPV6_V6ONLY"] == "ENOTSUP" and obs["udp4"]["IPV6_V6ONLY"] == "ENOTSUP"
    ok = ok and all(obs[k]["IP_LOCAL_PORT_RANGE"] == [0, 0] for k in KINDS)
    ok = ok and obs["tcp6 with bindv6only=1"] == 1 and obs["udp6 with bindv6only=1"] == 1
    return {"observed": obs, "pass": ok}


@experiment("GSO2", "int options read back 0/1 after a set of any value (measured, not in the spec)")
def _():
    obs = {}
    ok = True
    for kind in ("tcp4", "tcp6", "udp4", "udp6"):
        for opt in INT_OPTS:
            for v in (1, 5, -1, 256, 0x10000, 0):
                s = mk(kind)
                r = put(s, opt, v)
                obs["%s %s=%d" % (kind, opt, v)] = [r, get(s, opt)]
                ok = ok and obs["%s %s=%d" % (kind, opt, v)] == rule_set_int(kind, opt, v, 4, 0)
    return {"observed": obs, "pass": ok}


@experiment("GSO3", "IP_LOCAL_PORT_RANGE getsockopt after sets (R70)")
def _():
    obs = {}
    for kind in KINDS:
        s = mk(kind)
        seq = []
        for lo, hi in ((40000, 40010), (0, 0), (40010, 40000), (40005, 40005),
                       (0, 40001), (40001, 0), (1, 65535), (65535, 1)):
            seq.append([[lo, hi], put(s, "IP_LOCAL_PORT_RANGE", lpr(lo, hi)),
                        split(get(s, "IP_LOCAL_PORT_RANGE"))])
        obs[kind] = seq
    # reversed after a set keeps the old value?
    s = mk("tcp4")
    put(s, "IP_LOCAL_PORT_RANGE", lpr(40002, 40004))
    obs["reversed keeps old"] = [put(s, "IP_LOCAL_PORT_RANGE", lpr(40009, 40001)),
                                 split(get(s, "IP_LOCAL_PORT_RANGE"))]
    # a value outside the netns range is stored as given
    port_range(40000, 40009)
    s = mk("tcp4")
    obs["outside netns range"] = [put(s, "IP_LOCAL_PORT_RANGE", lpr(30000, 30010)),
                                  split(get(s, "IP_LOCAL_PORT_RANGE"))]
    # R70: a set stores the pair as given (0/0 unsets); a reversed pair is EINVAL and keeps the old one.
    want = [[[40000, 40010], "OK", [40000, 40010]], [[0, 0], "OK", [0, 0]],
            [[40010, 40000], "EINVAL", [0, 0]], [[40005, 40005], "OK", [40005, 40005]],
            [[0, 40001], "OK", [0, 40001]], [[40001, 0], "OK", [40001, 0]],
            [[1, 65535], "OK", [1, 65535]], [[65535, 1], "EINVAL", [1, 65535]]]
    ok = all(obs[k] == want for k in KINDS)
    ok = ok and obs["reversed keeps old"] == ["EINVAL", [40002, 40004]]
    ok = ok and obs["outside netns range"] == ["OK", [30000, 30010]]
    return {"observed": obs, "pass": ok}


@experiment("GSO4", "getsockopt after bind/connect/listen: V6ONLY and the others (R36)")
def _():
    obs = {}
    L4 = listener(port=5000)
    L6 = listener(ip="::1", port=5000, fam=V6)
    cases = [
        ("bind ::1", lambda s: bind(s, "::1", 0)),
        ("bind ::", lambda s: bind(s, "::", 0)),
        ("bind ::ffff:127.0.0.1", lambda s: bind(s, "::ffff:127.0.0.1", 0)),
        ("connect ::1", lambda s: connect(s, "::1", 5000)),
        ("connect ::ffff:127.0.0.1", lambda s: connect(s, "::ffff:127.0.0.1", 5000)),
        ("listen unbound", lambda s: listen(s)),
    ]
    for name, fn in cases:
        s = mk("tcp6")
        r = fn(s)
        obs["tcp6 " + name] = [r, get(s, "IPV6_V6ONLY")]
        obs["tcp6 " + name + " set V6ONLY 0 after"] = put(s, "IPV6_V6ONLY", 0)
        obs["tcp6 " + name + " set V6ONLY 1 after"] = put(s, "IPV6_V6ONLY", 1)
        s.close()
    s = mk("udp6")
    obs["udp6 bind ::1"] = [bind(s, "::1", 0), get(s, "IPV6_V6ONLY")]
    s = mk("udp6")
    obs["udp6 connect ::1"] = [connect(s, "::1", 7000), get(s, "IPV6_V6ONLY")]
    s = mk("tcp4")
    obs["tcp4 set RA after bind"] = [bind(s, "127.0.0.1", 0), put(s, "SO_REUSEADDR", 1),
                                     get(s, "SO_REUSEADDR")]
    obs["tcp4 set RP after bind"] = [put(s, "SO_REUSEPORT", 1), get(s, "SO_REUSEPORT")]
    obs["tcp4 set NOPORT after bind"] = [put(s, "IP_BIND_ADDRESS_NO_PORT", 1),
                                         get(s, "IP_BIND_ADDRESS_NO_PORT")]
    obs["tcp4 set LPR after bind"] = [put(s, "IP_LOCAL_PORT_RANGE", lpr(1, 2)),
                                      split(get(s, "IP_LOCAL_PORT_RANGE"))]
    L4.close()
    L6.close()
    # R36: binding a specific IPv6 address (not v4-mapped) turns V6ONLY on; connect() does not.
    # Once the socket has a port, IPV6_V6ONLY cannot change (EINVAL); the other options can.
    ok = obs["tcp6 bind ::1"][1] == 1 and obs["udp6 bind ::1"][1] == 1
    ok = ok and all(obs["tcp6 " + n][1] == 0 for n in ("bind ::", "bind ::ffff:127.0.0.1",
                    "connect ::1", "connect ::ffff:127.0.0.1", "listen unbound"))
    ok = ok and obs["udp6 connect ::1"][1] == 0
    ok = ok and all(v == "EINVAL" for k, v in obs.items() if k.endswith("after"))
    ok = ok and obs["tcp4 set LPR after bind"] == ["OK", [1, 2]]
    return {"observed": obs, "pass": ok}


@experiment("SOL1", "setsockopt int options with buffers of 0..8 bytes (measured, not in the spec)")
def _():
    obs = {}
    ok = True
    for kind in ("tcp4", "tcp6", "udp4", "udp6"):
        for opt in INT_OPTS:
            row = {}
            for n in (0, 1, 2, 3, 4, 5, 8, 16):
                for v in (1, 0x100, 0x10000, 0x100000000):
                    s = mk(kind)
                    r = put(s, opt, v, n)
                    row["len %d val %#x" % (n, v)] = [r, get(s, opt)]
                    ok = ok and row["len %d val %#x" % (n, v)] == rule_set_int(kind, opt, v, n, 0)
                # preset 1, then a short write of 0
                s = mk(kind)
                put(s, opt, 1)
                r = put(s, opt, 0, n)
                row["len %d val 0 over 1" % n] = [r, get(s, opt)]
                ok = ok and row["len %d val 0 over 1" % n] == rule_set_int(kind, opt, 0, n, 1)
            obs["%s %s" % (kind, opt)] = row
    return {"observed": obs, "pass": ok}


@experiment("SOL2", "setsockopt IP_LOCAL_PORT_RANGE with buffers of 0..16 bytes (R70)")
def _():
    obs = {}
    ok = True
    for kind in ("tcp4", "tcp6", "udp4", "udp6"):
        row = {}
        for n in (0, 1, 2, 3, 4, 5, 6, 8, 16):
            s = mk(kind)
            put(s, "IP_LOCAL_PORT_RANGE", lpr(40002, 40004))
            r = put(s, "IP_LOCAL_PORT_RANGE", lpr(40000, 40010) | (0x12345 << 32), n)
            row["len %d" % n] = [r, split(get(s, "IP_LOCAL_PORT_RANGE"))]
            s = mk(kind)
            r = put(s, "IP_LOCAL_PORT_RANGE", lpr(40010, 40000), n)
            row["reversed len %d" % n] = [r, split(get(s, "IP_LOCAL_PORT_RANGE"))]
            # R70: only a 4-byte buffer is accepted; any other length is EINVAL, value kept.
            want = ["OK", [40000, 40010]] if n == 4 else ["EINVAL", [40002, 40004]]
            ok = ok and row["len %d" % n] == want and row["reversed len %d" % n] == ["EINVAL", [0, 0]]
        obs[kind] = row
    return {"observed": obs, "pass": ok}


if __name__ == "__main__":
    main()
