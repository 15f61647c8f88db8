#!/usr/bin/env python3
"""Server CPU for N pipelined requests on one connection (the front door's cost per buffered byte).

Usage: bench/pipelined-cpu.py PID PORT [N ...]   (default N: 100 200 400 800)

PID is an oxm-server you started on 127.0.0.1:PORT (loopback only). For each N it sends N
pipelined `GET /oxm/v1/healthz` with an 8000-byte header in one write, reads the N answers and
prints the server's CPU time (utime + stime from /proc/PID/stat) over that exchange. Linear in N
is right; the guard used to copy everything buffered once per request (quadratic).
"""
import os
import re
import socket
import sys
import threading
import time

pid, port = int(sys.argv[1]), int(sys.argv[2])
counts = [int(n) for n in sys.argv[3:]] or [100, 200, 400, 800]


def cpu_seconds():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


request = b"GET /oxm/v1/healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 8000 + b"\r\n\r\n"
for n in counts:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    answers = [0]

    def read():
        while answers[0] < n:
            data = sock.recv(1 << 20)
            if not data:
                break
            answers[0] += len(re.findall(rb"HTTP/1\.1 200 ", data))

    reader = threading.Thread(target=read)
    reader.start()
    before = cpu_seconds()
    sock.sendall(request * n)
    reader.join()
    print(f"{n} pipelined: {answers[0]} answers, server CPU {cpu_seconds() - before:.2f} s", flush=True)
    sock.close()
    time.sleep(1)
