# Runs inside `unshare -n` for test/doctor/live.test.ts: builds known sockets on a 20-port range,
# captures /proc/net/tcp and the sysctls into OUT, prints "captured", waits for a line on stdin,
# then connects to each destination until EADDRNOTAVAIL and prints the counts as JSON.
# MODE "blocking": tcp_tw_reuse=0, TIME_WAIT blocks; "recycle": tcp_tw_reuse=2 (loopback),
# tcp_tw_reuse_delay=100 ms, and the TIME_WAIT entries are 500 ms old when captured.
import errno, json, os, socket, subprocess, sys, time
out, mode = sys.argv[1], sys.argv[2]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
open("/proc/sys/net/ipv4/ip_local_port_range", "w").write("40000 40019")
if mode == "blocking":
    open("/proc/sys/net/ipv4/tcp_tw_reuse", "w").write("0")  # R62: TIME_WAIT blocks whatever its age
else:
    open("/proc/sys/net/ipv4/tcp_tw_reuse", "w").write("2")
    open("/proc/sys/net/ipv4/tcp_tw_reuse_delay", "w").write("100")
keep = []
def listener(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(200); keep.append(s); return s
l5000, l6000, l7000 = listener(5000), listener(6000), listener(7000)
for _ in range(3):  # TIME_WAIT: we close first, then the server side
    c = socket.create_connection(("127.0.0.1", 5000)); a, _ = l5000.accept(); c.close(); time.sleep(0.02); a.close()
for _ in range(4):  # ESTABLISHED, autoselected
    keep.append(socket.create_connection(("127.0.0.1", 5000)))
for _ in range(2):  # bind(ip, 0) before connect (R23)
    b = socket.socket(); b.bind(("127.0.0.1", 0)); b.connect(("127.0.0.1", 6000)); keep.append(b)
time.sleep(0.1 if mode == "blocking" else 0.5)
os.makedirs(f"{out}/net", exist_ok=True); os.makedirs(f"{out}/sys/net/ipv4", exist_ok=True)
open(f"{out}/net/tcp", "w").write(open("/proc/net/tcp").read())
for f in ["ip_local_port_range", "ip_local_reserved_ports", "tcp_tw_reuse", "tcp_tw_reuse_delay", "tcp_timestamps"]:
    open(f"{out}/sys/net/ipv4/{f}", "w").write(open(f"/proc/sys/net/ipv4/{f}").read())
print("captured", flush=True)
sys.stdin.readline()
counts = {}
for port in (5000, 6000, 7000):
    n = 0
    for _ in range(40):
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", port)); keep.append(s); n += 1
        except OSError as e:
            s.close()
            if e.errno != errno.EADDRNOTAVAIL: raise
            break
    counts[f"127.0.0.1:{port}"] = n
print(json.dumps(counts), flush=True)
for s in keep: s.close()
