#!/usr/bin/env python3
"""Bounded IKE_SA_INIT flood for LifecycleDosIT: sends a template message with a fresh initiator SPI and nonce each
time, round-robin from several source addresses, at a fixed rate, stopping at COUNT packets or SECONDS, whichever
comes first. Only ever sends to the one destination given (an address inside the test namespaces)."""
import os
import socket
import sys
import time

template = bytes.fromhex(sys.argv[1])
dest = sys.argv[2]
sources = sys.argv[3].split(",")
count = int(sys.argv[4])
rate = int(sys.argv[5])
seconds = float(sys.argv[6])

socks = []
for s in sources:
    k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    k.bind((s, 0))
    k.setblocking(False)
    socks.append(k)

nonce_at = len(template) - 32  # the Nonce payload is last; its 32 data bytes end the message
start = time.monotonic()
sent = 0
while sent < count:
    now = time.monotonic()
    if now - start >= seconds:
        break
    due = start + sent / rate
    if due > now:
        time.sleep(due - now)
    b = bytearray(template)
    b[0:8] = os.urandom(8)
    b[nonce_at:] = os.urandom(32)
    try:
        socks[sent % len(socks)].sendto(b, (dest, 500))
    except BlockingIOError:
        pass
    sent += 1
print(f"{sent} {time.monotonic() - start:.3f}")
