#!/usr/bin/env python3
"""Bounded IKE floods for IkeAdmissionIT, IkeHostileInputIT and LifecycleDosIT. Only ever sends to the one
destination given (an address inside the test namespaces); stops at COUNT datagrams or SECONDS, whichever comes first; prints
"<sent> <seconds> <extra>".

  ike-flood.py cookie-echo TEMPLATE DEST SOURCES COUNT RATE SECONDS
      IKE_SA_INITs (fresh SPI and nonce each) round-robin from SOURCES to DEST:500; every COOKIE answer is echoed
      at once (RFC 7296 section 2.6), as an attacker who sees our replies does. extra: cookies echoed.
  ike-flood.py init TEMPLATE DEST SOURCES COUNT RATE SECONDS
      IKE_SA_INITs (fresh SPI and nonce each) round-robin from SOURCES to DEST:500, answers ignored (a blind spoofer).
  ike-flood.py natt TEMPLATE DEST SOURCES COUNT RATE SECONDS
      the same IKE_SA_INITs to DEST:4500 behind the non-ESP marker, nothing echoed; RATE 0 means as fast as it goes.
  ike-flood.py garbage - DEST SOURCES COUNT RATE SECONDS
      datagrams of 1 to 27 random bytes (shorter than an IKE header, so never valid IKE) to DEST:500.
  ike-flood.py natt-garbage - DEST SOURCES COUNT RATE SECONDS
      the same behind the non-ESP marker to DEST:4500.
TEMPLATE is the hex of an IKE_SA_INIT whose last payload is a 32-byte Nonce, or "x25519" for a built-in one that
offers aes256gcm16-prfsha384-x25519 (for the benchmark, which has no Java at hand).

"""
import os
import select
import socket
import struct
import sys
import time

mode, template_hex, dest = sys.argv[1], sys.argv[2], sys.argv[3]
sources = sys.argv[4].split(",")
count, rate, seconds = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])


def x25519_init():
    """IKE_SA_INIT: SA (ENCR 20 AES-GCM-16 256, PRF 6 HMAC-SHA2-384, D-H 31 x25519), KE (random 32 bytes), Nonce last."""
    def payload(next_type, body):
        return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body
    transforms = [struct.pack("!BBHBBHHH", 3, 0, 12, 1, 0, 20, 0x800E, 256),
                  struct.pack("!BBHBBH", 3, 0, 8, 2, 0, 6),
                  struct.pack("!BBHBBH", 0, 0, 8, 4, 0, 31)]
    body = b"".join(transforms)
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(body), 1, 1, 0, 3) + body
    sa = payload(34, proposal)
    ke = payload(40, struct.pack("!HH", 31, 0) + os.urandom(32))
    nonce = payload(0, bytes(32))
    rest = sa + ke + nonce
    header = struct.pack("!QQBBBBII", 1, 0, 33, 0x20, 34, 0x08, 0, 28 + len(rest))
    return header + rest


template = x25519_init() if template_hex == "x25519" else bytes.fromhex(template_hex) if template_hex != "-" else b""
port = 4500 if mode.startswith("natt") else 500
NOTIFY, COOKIE = 41, 16390

socks = []
for s in sources:
    k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    k.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    k.bind((s, 0))
    k.setblocking(False)
    socks.append(k)

nonce_at = len(template) - 32  # the Nonce payload is last; its 32 data bytes end the message
sent_init = {}  # initiator SPI -> the IKE_SA_INIT we sent (cookie-echo)
echoed = 0


def fresh_init():
    b = bytearray(template)
    b[0:8] = os.urandom(8)
    b[nonce_at:] = os.urandom(32)
    return b


def with_cookie(msg, cookie):
    """The same request with a COOKIE notify as its first payload."""
    n = struct.pack("!BBHBBH", msg[16], 0, 8 + len(cookie), 0, 0, COOKIE) + cookie
    out = bytearray(msg[:28]) + n + msg[28:]
    out[16] = NOTIFY
    out[24:28] = struct.pack("!I", len(out))
    return out


def cookie_of(resp):
    if len(resp) < 36 or resp[16] != NOTIFY:
        return None
    length = struct.unpack("!H", resp[30:32])[0]
    if struct.unpack("!H", resp[34:36])[0] != COOKIE:
        return None
    return bytes(resp[36:28 + length])


def echo_cookies():
    global echoed
    ready, _, _ = select.select(socks, [], [], 0)
    for k in ready:
        while True:
            try:
                resp = k.recv(2048)
            except (BlockingIOError, ConnectionRefusedError):
                break
            cookie = cookie_of(resp)
            req = sent_init.pop(resp[0:8], None)
            if cookie is not None and req is not None:
                try:
                    k.sendto(with_cookie(req, cookie), (dest, port))
                    echoed += 1
                except BlockingIOError:
                    pass


start = time.monotonic()
sent = 0
while sent < count:
    now = time.monotonic()
    if now - start >= seconds:
        break
    if rate > 0:
        due = start + sent / rate
        if due > now:
            if mode == "cookie-echo":
                echo_cookies()
            time.sleep(min(due - now, 0.002))
            continue
    k = socks[sent % len(socks)]
    if mode == "garbage":
        d = os.urandom(1 + sent % 27)
    elif mode == "natt-garbage":
        d = b"\0\0\0\0" + os.urandom(1 + sent % 27)
    else:
        d = fresh_init()
        if mode == "cookie-echo":
            sent_init[bytes(d[0:8])] = d
            if len(sent_init) > 100000:
                sent_init.clear()
        elif mode == "natt":
            d = b"\0\0\0\0" + d
    try:
        k.sendto(d, (dest, port))
        sent += 1
    except BlockingIOError:
        pass
    if mode == "cookie-echo" and sent % 16 == 0:
        echo_cookies()
print(f"{sent} {time.monotonic() - start:.3f} {echoed}")
