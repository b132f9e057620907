#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Small network helpers for the end-to-end tests (Debian has python3; no nc/socat needed).

  listen PORT...                      echo server on 0.0.0.0:PORT for each port (peer side)
  connect HOST PORT [TIMEOUT]         exit 0 if a TCP connection opens within TIMEOUT (1 s)
  hold HOST PORT TRIGGER MAXWAIT      connect, print "connected", wait until file TRIGGER
                                      exists, then exit 0 only if an echo still comes back
  notify SOCKET OUT                   a NOTIFY_SOCKET: append each datagram to OUT
"""
import os
import socket
import sys
import threading
import time


def echo(conn):
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            conn.sendall(data)


def serve(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def listen(ports):
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(port)))
        s.listen(64)
        threading.Thread(target=serve, args=(s,), daemon=True).start()
    print("listening", flush=True)
    while True:
        time.sleep(3600)


def connect(host, port, timeout=1.0):
    try:
        socket.create_connection((host, int(port)), timeout=float(timeout)).close()
        return 0
    except OSError:
        return 1


def hold(host, port, trigger, maxwait):
    try:
        s = socket.create_connection((host, int(port)), timeout=1.0)
    except OSError as e:
        print("connect failed:", e, flush=True)
        return 2
    print("connected", flush=True)
    end = time.time() + float(maxwait)
    while not os.path.exists(trigger) and time.time() < end:
        time.sleep(0.05)
    try:
        s.settimeout(2.0)
        s.sendall(b"ping\n")
        ok = s.recv(16) == b"ping\n"
    except OSError as e:
        print("echo failed:", e, flush=True)
        ok = False
    print("echo ok" if ok else "echo lost", flush=True)
    return 0 if ok else 1


def notify(path, out):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(out, "a") as f:
        while True:
            f.write(s.recv(4096).decode(errors="replace") + "\n")
            f.flush()


def main(argv):
    cmd = argv[1]
    if cmd == "listen":
        return listen(argv[2:])
    if cmd == "connect":
        return connect(*argv[2:5])
    if cmd == "hold":
        return hold(*argv[2:6])
    if cmd == "notify":
        return notify(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
