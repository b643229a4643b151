# Runs inside `unshare -n` for test/web/live.test.ts: a 64-port range with tcp_tw_reuse=0, a
# listener on 127.0.0.1:5000 with one TIME_WAIT and 3 ESTABLISHED connections to it, and one
# bind(127.0.0.1, 0) connection to :6000 (R23). Copies the sysctls to OUT/sys/net/ipv4 (the test
# reads net/ live through /proc/PID/net), prints "ready"; on "more" opens 5 more connections to
# :5000 and prints "more-ready"; exits on "quit" or end of input.
import os, socket, subprocess, sys, time
out = sys.argv[1]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
open("/proc/sys/net/ipv4/ip_local_port_range", "w").write("40000 40063")
open("/proc/sys/net/ipv4/tcp_tw_reuse", "w").write("0")
os.makedirs(f"{out}/sys/net/ipv4", exist_ok=True)
for f in ["ip_local_port_range", "ip_local_reserved_ports", "tcp_tw_reuse", "tcp_tw_reuse_delay", "tcp_timestamps"]:
    open(f"{out}/sys/net/ipv4/{f}", "w").write(open(f"/proc/sys/net/ipv4/{f}").read())
keep = []
def listener(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(64); keep.append(s); return s
l5000, l6000 = listener(5000), listener(6000)
c = socket.create_connection(("127.0.0.1", 5000)); a, _ = l5000.accept(); c.close(); time.sleep(0.02); a.close()
for _ in range(3):
    keep.append(socket.create_connection(("127.0.0.1", 5000)))
b = socket.socket(); b.bind(("127.0.0.1", 0)); b.connect(("127.0.0.1", 6000)); keep.append(b)
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "more":
        for _ in range(5):
            keep.append(socket.create_connection(("127.0.0.1", 5000)))
        print("more-ready", flush=True)
    else:
        break
for s in keep:
    s.close()
