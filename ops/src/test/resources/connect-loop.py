#!/usr/bin/python3
"""Connects to the broker again and again, each time HELLO -> WELCOME, until stdin closes.

usage: connect-loop.py SOCKET_PATH PYTHON_CLIENT_DIR
A connection the stopping broker closes before its WELCOME (SHUTTING_DOWN; a reset if the
HELLO raced the close; EPIPE, counted with the resets, if the close came before the HELLO) is
retried, as a real client does; a connect() that fails is counted as refused and never retried.
WELCOME's publisher id ends in the broker's connection counter, which starts again at 1 in
each new broker process: that is how the loop counts the brokers that served it.
Prints "started" after the first WELCOME, and at the end:
attempts=N welcomed=N refused=N retried=N resets=N brokers=N"""
import os
import select
import socket
import sys

sys.path.insert(0, sys.argv[2])
import seqbus  # noqa: E402

path = sys.argv[1]
attempts = welcomed = refused = retried = resets = 0
brokers, last_connection = 0, None


def once():
    """True when welcomed, False when the broker closed it first (retry); raises if refused."""
    global brokers, last_connection, resets
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.settimeout(30)
        s.connect(path)
        try:
            s.send(seqbus.encode_hello("loop"))
            data = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            resets += 1
            return False
        if not data:
            return False
        _, type_, _, _ = seqbus.HEADER.unpack_from(data, 0)
        if type_ == seqbus.WELCOME:
            connection = seqbus.WELCOME_BODY.unpack_from(data, seqbus.HEADER.size)[5] & 0xFFFFFFFF
            if last_connection is None or connection <= last_connection:
                brokers += 1
            last_connection = connection
            return True
        if type_ == seqbus.ERROR:
            return False
        raise RuntimeError("unexpected frame type %d" % type_)
    finally:
        s.close()


while True:
    attempts += 1
    try:
        while not once():
            retried += 1
        welcomed += 1
    except OSError as e:
        refused += 1
        print("refused: %s" % e, file=sys.stderr, flush=True)
    if attempts == 1:
        print("started", flush=True)
    if select.select([sys.stdin], [], [], 0)[0] and not os.read(sys.stdin.fileno(), 1):
        break
print("attempts=%d welcomed=%d refused=%d retried=%d resets=%d brokers=%d"
      % (attempts, welcomed, refused, retried, resets, brokers),
      flush=True)
