#!/usr/bin/env python3
"""exp_routes_freebind.py - local routes with a preferred source, and IP_FREEBIND / IPV6_FREEBIND.

Issue 10. Each experiment runs in a fresh network namespace (kx.py: unshare(CLONE_NEWNET), lo up,
loopback only; no host sysctl is touched). Results are recorded, not asserted against a theory:
`pass` only says the experiment ran to the end; the observations are the point.

Run as root:  python3 experiments/exp_routes_freebind.py -v
"""
import socket
import struct
import sys

sys.path.insert(0, "/work/shared/spec/experiments")
from kx import *  # noqa: E402,F401,F403
from kx import _addr  # noqa: E402

IPV6_FREEBIND = 78
SOL_IPV6 = socket.IPPROTO_IPV6


def ip(cmd):
    """Runs `ip ...`; returns "OK" or the error text (routes are the subject, so failures count)."""
    import subprocess
    r = subprocess.run("ip " + cmd, shell=True, capture_output=True, text=True)
    return "OK" if r.returncode == 0 else ("ERR " + r.stderr.strip())


def fb(s, v6opt=False):
    try:
        if v6opt:
            s.setsockopt(SOL_IPV6, IPV6_FREEBIND, 1)
        else:
            s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
        return "OK"
    except OSError as e:
        return ename(e)


def name(s):
    try:
        n = s.getsockname()
        return "%s:%d" % (n[0], n[1])
    except OSError as e:
        return ename(e)


def conn(s, ip_, port, timeout=1.0):
    """connect bounded by `timeout`: a SYN nobody answers shows up as "TIMEOUT"."""
    s.settimeout(timeout)
    try:
        s.connect(_addr(s, ip_, port))
        r = s.getsockname()[1]
    except socket.timeout:
        r = "TIMEOUT"
    except OSError as e:
        r = ename(e)
    finally:
        s.settimeout(None)
    return [r, name(s)]


def udp_conn(s, ip_, port):
    try:
        s.connect(_addr(s, ip_, port))
        return ["OK", name(s)]
    except OSError as e:
        return [ename(e), name(s)]


def fresh(kind="tcp", fam=V4):
    return sock(kind, fam=fam)


@experiment("ROUTE", "IPv4 local route without src: source of connect into the prefix")
def _():
    port_range(40000, 40999)
    obs = {"route": ip("route add local 198.51.100.0/24 dev lo")}
    obs["table local"] = sh("ip route show table local | grep 198.51 || true").strip()
    lst = listener("0.0.0.0", 5000)
    for a in ["198.51.100.7", "198.51.100.0", "198.51.100.255", "198.51.100.1"]:
        c = tcp()
        obs["tcp4 unbound -> %s" % a] = conn(c, a, 5000)
    u = udp()
    obs["udp4 unbound -> 198.51.100.7"] = udp_conn(u, "198.51.100.7", 7000)
    c6 = tcp(fam=V6)
    obs["tcp6 unbound -> ::ffff:198.51.100.7"] = conn(c6, "::ffff:198.51.100.7", 5000)
    w = tcp()
    obs["tcp4 bind 0.0.0.0:0"] = bind(w, "0.0.0.0", 0)
    obs["tcp4 wildcard-bound -> 198.51.100.9"] = conn(w, "198.51.100.9", 5000)
    b = tcp()
    obs["tcp4 bind 198.51.100.7:0 without FREEBIND"] = [bind(b, "198.51.100.7", 0), name(b)]
    b2 = tcp()
    obs["tcp4 bind 198.51.100.0:0 (network address)"] = bind(b2, "198.51.100.0", 0)
    b3 = tcp()
    obs["tcp4 bind 198.51.100.255:0"] = bind(b3, "198.51.100.255", 0)
    obs["bound 198.51.100.7 -> 127.0.0.1:5000"] = conn(b, "127.0.0.1", 5000)
    return {"observed": obs, "pass": True}


@experiment("ROUTE", "IPv4 local route with src: which preferred sources are accepted, what connect takes")
def _():
    port_range(40000, 40999)
    obs = {}
    obs["src 127.0.0.1"] = ip("route add local 198.51.100.0/24 dev lo src 127.0.0.1")
    obs["src 203.0.113.1 (not local)"] = ip("route add local 203.0.113.0/24 dev lo src 203.0.113.1")
    obs["src 203.0.113.9 (not local, not in prefix)"] = ip("route add local 203.0.114.0/24 dev lo src 203.0.113.9")
    obs["addr 10.1.1.1/32 on lo"] = ip("addr add 10.1.1.1/32 dev lo")
    obs["src 10.1.1.1"] = ip("route add local 192.0.2.0/24 dev lo src 10.1.1.1")
    obs["src 127.0.0.5"] = ip("route add local 198.18.0.0/24 dev lo src 127.0.0.5")
    obs["table local"] = sh("ip route show table local | grep -v '^broadcast' || true").strip().splitlines()
    lst = listener("0.0.0.0", 5000)
    lst6 = listener("::", 5001, fam=V6)
    for a in ["198.51.100.7", "198.51.100.255", "192.0.2.7", "198.18.0.3", "203.0.113.7"]:
        c = tcp()
        obs["tcp4 unbound -> %s" % a] = conn(c, a, 5000)
    c6 = tcp(fam=V6)
    obs["tcp6 unbound -> ::ffff:198.51.100.7"] = conn(c6, "::ffff:198.51.100.7", 5000)
    c6b = tcp(fam=V6)
    obs["tcp6 unbound -> ::ffff:192.0.2.7"] = conn(c6b, "::ffff:192.0.2.7", 5001)
    w = tcp()
    bind(w, "0.0.0.0", 0)
    obs["tcp4 wildcard-bound -> 198.51.100.9"] = conn(w, "198.51.100.9", 5000)
    w6 = tcp(fam=V6)
    bind(w6, "::", 0)
    obs["tcp6 [::]-bound -> ::ffff:192.0.2.9"] = conn(w6, "::ffff:192.0.2.9", 5001)
    u = udp()
    obs["udp4 unbound -> 198.51.100.7"] = udp_conn(u, "198.51.100.7", 7000)
    # A specific listener inside the prefix: the SYN's destination stays the address dialled.
    b = tcp()
    obs["tcp4 bind 198.51.100.7:6000"] = bind(b, "198.51.100.7", 6000)
    listen(b)
    c = tcp()
    obs["connect 198.51.100.7:6000"] = conn(c, "198.51.100.7", 6000)
    a = accept_all(b, 1)
    obs["accepted: local / peer"] = [name(a[0]), "%s:%d" % a[0].getpeername()[:2]] if a else None
    c = tcp()
    obs["connect 198.51.100.8:6000 (nobody there)"] = conn(c, "198.51.100.8", 6000)
    # Port of a connect: the 4-tuple is (src, dst, dport): two dsts -> the same port may repeat.
    ports = []
    for a_ in ["198.51.100.20", "198.51.100.21", "198.51.100.22"]:
        c = tcp()
        ports.append(conn(c, a_, 5000))
    obs["three connects to distinct dsts"] = ports
    return {"observed": obs, "pass": True}


@experiment("ROUTE", "IPv4: one-port range; src 127.0.0.1 makes the prefix share 127.0.0.1's 4-tuples")
def _():
    port_range(40000, 40000)
    obs = {"route": ip("route add local 198.51.100.0/24 dev lo src 127.0.0.1")}
    lst = listener("0.0.0.0", 5000)
    keep = []
    for a in ["198.51.100.7", "198.51.100.7", "198.51.100.8", "127.0.0.1", "127.0.0.2"]:
        c = tcp()
        keep.append(c)
        obs.setdefault("connects", []).append([a] + conn(c, a, 5000))
    return {"observed": obs, "pass": True}


@experiment("ROUTE", "IPv6 local route: with and without src ::1; bind needs FREEBIND?")
def _():
    port_range(40000, 40999)
    obs = {}
    obs["v6 route no src"] = ip("-6 route add local 2001:db8::/64 dev lo")
    obs["v6 route src ::1"] = ip("-6 route add local 2001:db8:1::/64 dev lo src ::1")
    obs["v6 route src 2001:db8:9::9 (not local)"] = ip("-6 route add local 2001:db8:2::/64 dev lo src 2001:db8:9::9")
    obs["addr 2001:db8:5::1/128 on lo"] = ip("-6 addr add 2001:db8:5::1/128 dev lo nodad")
    obs["v6 route src 2001:db8:5::1"] = ip("-6 route add local 2001:db8:3::/64 dev lo src 2001:db8:5::1")
    obs["table local"] = sh("ip -6 route show table local || true").strip().splitlines()
    lst = listener("::", 5000, fam=V6)
    for a in ["2001:db8::7", "2001:db8::", "2001:db8:1::7", "2001:db8:1::", "2001:db8:3::7", "2001:db8:2::7"]:
        c = tcp(fam=V6)
        obs["tcp6 unbound -> %s" % a] = conn(c, a, 5000)
    u = udp(fam=V6)
    obs["udp6 unbound -> 2001:db8:1::7"] = udp_conn(u, "2001:db8:1::7", 7000)
    u2 = udp(fam=V6)
    obs["udp6 unbound -> 2001:db8::7"] = udp_conn(u2, "2001:db8::7", 7000)
    w = tcp(fam=V6)
    bind(w, "::", 0)
    obs["tcp6 [::]-bound -> 2001:db8:1::9"] = conn(w, "2001:db8:1::9", 5000)
    b = tcp(fam=V6)
    obs["tcp6 bind 2001:db8:1::7 without FREEBIND"] = bind(b, "2001:db8:1::7", 0)
    b = tcp(fam=V6)
    obs["tcp6 bind 2001:db8::7 without FREEBIND"] = bind(b, "2001:db8::7", 0)
    b = tcp(fam=V6)
    obs["IPV6_FREEBIND"] = fb(b, True)
    obs["tcp6 bind 2001:db8:1::7:6000 with IPV6_FREEBIND"] = bind(b, "2001:db8:1::7", 6000)
    obs["listen"] = listen(b)
    c = tcp(fam=V6)
    obs["connect 2001:db8:1::7:6000"] = conn(c, "2001:db8:1::7", 6000)
    a = accept_all(b, 1)
    obs["accepted: local / peer"] = [name(a[0]), "%s:%d" % a[0].getpeername()[:2]] if a else None
    d = tcp(fam=V6)
    fb(d, True)
    obs["freebind bind 2001:db8:1::8 -> connect [::1]:5000"] = [bind(d, "2001:db8:1::8", 0)] + conn(d, "::1", 5000)
    return {"observed": obs, "pass": True}


@experiment("R7", "IP_FREEBIND: bind a non-local IPv4 address, then connect / listen / sendto")
def _():
    port_range(40000, 40999)
    obs = {}
    lst = listener("0.0.0.0", 5000)
    s = tcp()
    obs["setsockopt IP_FREEBIND"] = fb(s)
    obs["bind 10.9.9.9:0"] = [bind(s, "10.9.9.9", 0), name(s)]
    obs["connect 127.0.0.1:5000"] = conn(s, "127.0.0.1", 5000)
    obs["connect again"] = conn(s, "127.0.0.1", 5000)
    s2 = tcp()
    fb(s2)
    obs["bind 10.9.9.9:6000"] = bind(s2, "10.9.9.9", 6000)
    obs["listen"] = listen(s2)
    s3 = tcp()
    fb(s3)
    s3.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    obs["NOPORT bind 10.9.9.9:0"] = [bind(s3, "10.9.9.9", 0), name(s3)]
    obs["NOPORT connect 127.0.0.1:5000"] = conn(s3, "127.0.0.1", 5000)
    s4 = tcp()
    fb(s4)
    obs["bind 10.9.9.9:0 (2)"] = bind(s4, "10.9.9.9", 0)
    obs["connect 10.9.9.10:5000 (no route)"] = conn(s4, "10.9.9.10", 5000)
    s5 = tcp()
    fb(s5)
    obs["bind 10.9.9.9:0 (3)"] = bind(s5, "10.9.9.9", 0)
    obs["route add local 10.9.9.0/24"] = ip("route add local 10.9.9.0/24 dev lo")
    obs["after route: connect 127.0.0.1:5000"] = conn(s5, "127.0.0.1", 5000)
    u = udp()
    fb(u)
    obs["udp bind 10.8.8.8:0"] = bind(u, "10.8.8.8", 0)
    obs["udp connect 127.0.0.1:7000"] = udp_conn(u, "127.0.0.1", 7000)
    try:
        u.sendto(b"x", ("127.0.0.1", 7000))
        obs["udp sendto"] = "OK"
    except OSError as e:
        obs["udp sendto"] = ename(e)
    t = tcp()
    obs["IPV6_FREEBIND on tcp4"] = fb(t, True)
    # Value semantics: 2 is as good as 1? 0 switches it off?
    t = tcp()
    t.setsockopt(socket.SOL_IP, IP_FREEBIND, 2)
    obs["IP_FREEBIND=2 then bind 10.9.9.1"] = bind(t, "10.9.9.1", 0)
    t = tcp()
    t.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    t.setsockopt(socket.SOL_IP, IP_FREEBIND, 0)
    obs["IP_FREEBIND 1 then 0, bind 10.7.7.7"] = bind(t, "10.7.7.7", 0)
    t = tcp()
    t.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    bind(t, "10.7.7.8", 0)
    try:
        t.setsockopt(socket.SOL_IP, IP_FREEBIND, 0)
        obs["clear IP_FREEBIND after bind"] = "OK"
    except OSError as e:
        obs["clear IP_FREEBIND after bind"] = ename(e)
    obs["getsockopt IP_FREEBIND"] = t.getsockopt(socket.SOL_IP, IP_FREEBIND)
    return {"observed": obs, "pass": True}


@experiment("R7", "IPv6 FREEBIND: non-local IPv6 and v4-mapped binds, connect from them")
def _():
    port_range(40000, 40999)
    obs = {}
    lst = listener("::", 5000, fam=V6)
    for opt in ["IP_FREEBIND", "IPV6_FREEBIND"]:
        s = tcp(fam=V6)
        obs[opt + " on tcp6"] = fb(s, opt == "IPV6_FREEBIND")
        obs[opt + ": bind 2001:db8:ff::1"] = bind(s, "2001:db8:ff::1", 0)
        obs[opt + ": connect [::1]:5000"] = conn(s, "::1", 5000)
        m = tcp(fam=V6)
        fb(m, opt == "IPV6_FREEBIND")
        obs[opt + ": bind ::ffff:10.9.9.9"] = [bind(m, "::ffff:10.9.9.9", 0), name(m)]
        obs[opt + ": mapped connect ::ffff:127.0.0.1:5000"] = conn(m, "::ffff:127.0.0.1", 5000)
    u = udp(fam=V6)
    fb(u, True)
    obs["udp6 bind 2001:db8:ff::2"] = bind(u, "2001:db8:ff::2", 0)
    obs["udp6 connect [::1]:7000"] = udp_conn(u, "::1", 7000)
    try:
        u.sendto(b"x", ("::1", 7000, 0, 0))
        obs["udp6 sendto"] = "OK"
    except OSError as e:
        obs["udp6 sendto"] = ename(e)
    # sysctls: which one governs a v4-mapped bind on an IPv6 socket?
    sysctl("ip_nonlocal_bind", "1", "ipv6")
    m = tcp(fam=V6)
    obs["net.ipv6.ip_nonlocal_bind=1: bind ::ffff:10.6.6.6"] = bind(m, "::ffff:10.6.6.6", 0)
    m = tcp(fam=V6)
    obs["net.ipv6.ip_nonlocal_bind=1: bind 2001:db8:fe::1"] = bind(m, "2001:db8:fe::1", 0)
    sysctl("ip_nonlocal_bind", "0", "ipv6")
    sysctl("ip_nonlocal_bind", "1", "ipv4")
    m = tcp(fam=V6)
    obs["net.ipv4.ip_nonlocal_bind=1: bind ::ffff:10.6.6.7"] = bind(m, "::ffff:10.6.6.7", 0)
    m = tcp(fam=V6)
    obs["net.ipv4.ip_nonlocal_bind=1: bind 2001:db8:fe::2"] = bind(m, "2001:db8:fe::2", 0)
    return {"observed": obs, "pass": True}


@experiment("R31", "FREEBIND binds and wildcard binds on one port")
def _():
    port_range(40000, 40999)
    obs = {}

    def pair(first, second, ra=False, fam=V4, listen_first=False):
        a = sock("tcp", fam=fam, reuseaddr=ra)
        fb(a)
        ra_ = bind(a, first, 7000)
        if listen_first:
            listen(a)
        b = sock("tcp", fam=fam, reuseaddr=ra)
        fb(b)
        rb = bind(b, second, 7000)
        a.close()
        b.close()
        return [ra_, rb]

    obs["10.9.9.9 then 0.0.0.0"] = pair("10.9.9.9", "0.0.0.0")
    obs["0.0.0.0 then 10.9.9.9"] = pair("0.0.0.0", "10.9.9.9")
    obs["10.9.9.9 then 10.9.9.10"] = pair("10.9.9.9", "10.9.9.10")
    obs["10.9.9.9 then 10.9.9.9"] = pair("10.9.9.9", "10.9.9.9")
    obs["RA: 10.9.9.9 then 0.0.0.0"] = pair("10.9.9.9", "0.0.0.0", ra=True)
    obs["RA: 10.9.9.9 listening then 0.0.0.0"] = pair("10.9.9.9", "0.0.0.0", ra=True, listen_first=True)
    obs["v6: 2001:db8:ff::1 then ::"] = pair("2001:db8:ff::1", "::", fam=V6)
    obs["v6: :: then ::ffff:10.9.9.9"] = pair("::", "::ffff:10.9.9.9", fam=V6)
    # bind(0) on a non-local address: the same search as any specific address
    s = tcp()
    fb(s)
    obs["bind 10.9.9.9:0"] = bind(s, "10.9.9.9", 0)
    return {"observed": obs, "pass": True}


@experiment("ROUTE", "IPv6 local route without src: the source when only ::1 exists / with a veth link-local / with two globals")
def _():
    port_range(40000, 40999)
    obs = {"route": ip("-6 route add local 2001:db8::/64 dev lo")}
    lst = listener("::", 5000, fam=V6)
    c = tcp(fam=V6)
    obs["only ::1: tcp6 -> 2001:db8::7"] = conn(c, "2001:db8::7", 5000)
    obs["veth"] = ip("link add ps0 type veth peer name ps1") + ip("link set ps0 addrgenmode none") + ip("-6 addr add fe80::1/64 dev ps0 nodad") + ip("link set ps0 up") + ip("link set ps1 up")
    c = tcp(fam=V6)
    obs["with fe80::1 on a veth: tcp6 -> 2001:db8::7"] = conn(c, "2001:db8::7", 5000)
    obs["addr 2001:db8:1::1/64 on ps0"] = ip("-6 addr add 2001:db8:1::1/64 dev ps0 nodad noprefixroute")
    c = tcp(fam=V6)
    obs["with 2001:db8:1::1: tcp6 -> 2001:db8::7"] = conn(c, "2001:db8::7", 5000)
    obs["addr 2001:db8:0:1::1/128 on lo"] = ip("-6 addr add 2001:db8:0:1::1/128 dev lo nodad")
    c = tcp(fam=V6)
    obs["+2001:db8:0:1::1 (longer common prefix): tcp6 -> 2001:db8::7"] = conn(c, "2001:db8::7", 5000)
    obs["addr 2001:db9::1/128 on lo"] = ip("-6 addr add 2001:db9::1/128 dev lo nodad")
    c = tcp(fam=V6)
    obs["+2001:db9::1: tcp6 -> 2001:db8::7"] = conn(c, "2001:db8::7", 5000)
    return {"observed": obs, "pass": True}

@experiment("R61", "baseline: refused connect to 127.0.0.1 and to a route-src prefix: getsockname after")
def _():
    port_range(40000, 40999)
    obs = {"route": ip("route add local 198.51.100.0/24 dev lo src 127.0.0.1")}
    obs["route2"] = ip("route add local 192.0.2.0/24 dev lo")
    for a in ["127.0.0.1", "127.0.0.9", "198.51.100.8", "192.0.2.8"]:
        c = tcp()
        obs["refused -> %s" % a] = conn(c, a, 6000)
    return {"observed": obs, "pass": True}


@experiment("R10", "a bound source towards a destination without any route")
def _():
    port_range(40000, 40999)
    obs = {}
    for fam, src, dst in [(V4, "127.0.0.1", "198.51.100.9"), (V4, "0.0.0.0", "198.51.100.9"), (V6, "::1", "2001:db8::9"), (V6, "::", "2001:db8::9"), (V6, "::ffff:127.0.0.1", "::ffff:198.51.100.9")]:
        for kind in ["tcp", "udp"]:
            s = sock(kind, fam=fam)
            b = bind(s, src, 0)
            if kind == "tcp":
                r = conn(s, dst, 5000)
            else:
                r = udp_conn(s, dst, 5000)
            obs["%s bound %s -> %s" % (kind, src, dst)] = [b] + r
    return {"observed": obs, "pass": True}


@experiment("R7", "FREEBIND as getsockopt reads it, and setsockopt with short or long buffers")
def _():
    obs = {}
    for fam, level, opt, nm in [(V4, socket.SOL_IP, IP_FREEBIND, "tcp4 IP_FREEBIND"),
                                (V6, socket.SOL_IP, IP_FREEBIND, "tcp6 IP_FREEBIND"),
                                (V6, SOL_IPV6, IPV6_FREEBIND, "tcp6 IPV6_FREEBIND")]:
        s = tcp(fam=fam)
        obs[nm + " get (fresh)"] = s.getsockopt(level, opt)
        s.setsockopt(level, opt, 7)
        obs[nm + " set 7, get"] = s.getsockopt(level, opt)
        for n, buf in [(0, b""), (1, b"\x01"), (2, b"\x00\x01"), (8, struct.pack("Q", 1 << 32))]:
            t = tcp(fam=fam)
            try:
                t.setsockopt(level, opt, buf)
                obs["%s optlen %d (%s)" % (nm, n, buf.hex())] = ["OK", t.getsockopt(level, opt)]
            except OSError as e:
                obs["%s optlen %d (%s)" % (nm, n, buf.hex())] = [ename(e), t.getsockopt(level, opt)]
    # the two names are one flag on an IPv6 socket
    s = tcp(fam=V6)
    s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    obs["tcp6: set IP_FREEBIND, get IPV6_FREEBIND"] = s.getsockopt(SOL_IPV6, IPV6_FREEBIND)
    s.setsockopt(SOL_IPV6, IPV6_FREEBIND, 0)
    obs["tcp6: clear IPV6_FREEBIND, get IP_FREEBIND"] = s.getsockopt(socket.SOL_IP, IP_FREEBIND)
    t = tcp()
    try:
        obs["tcp4 get IPV6_FREEBIND"] = t.getsockopt(SOL_IPV6, IPV6_FREEBIND)
    except OSError as e:
        obs["tcp4 get IPV6_FREEBIND"] = ename(e)
    u = udp()
    u.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    obs["udp4 set/get IP_FREEBIND"] = u.getsockopt(socket.SOL_IP, IP_FREEBIND)
    return {"observed": obs, "pass": True}

if __name__ == "__main__":
    main()
