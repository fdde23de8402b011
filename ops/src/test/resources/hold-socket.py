#!/usr/bin/python3
"""Holds a listening SEQPACKET socket, as systemd's socket unit does, and hands it to one
broker after another as fd 3 (LISTEN_FDS=1, LISTEN_PID=the broker's pid).

usage: hold-socket.py SOCKET_PATH COMMAND...
stdin commands, one per line:   start  -> "started PID"
                                stop   -> SIGTERM, wait, "exited CODE"
                                kill   -> SIGKILL, wait, "killed SIGNAL" (a crash, for chaos tests)
prints "listening" once the socket accepts connections."""
import os
import signal
import socket
import sys

path, command = sys.argv[1], sys.argv[2:]
listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
listener.bind(path)
listener.listen(128)
print("listening", flush=True)

child = None
for line in sys.stdin:
    word = line.strip()
    if word == "start":
        pid = os.fork()
        if pid == 0:
            if listener.fileno() != 3:
                os.dup2(listener.fileno(), 3)
            os.set_inheritable(3, True)
            os.dup2(2, 1)  # stdout is our command channel: the broker logs to stderr only
            env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES="seqbus")
            os.execvpe(command[0], command, env)
        child = pid
        print("started %d" % pid, flush=True)
    elif word == "stop" and child is not None:
        os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
        child = None
        print("exited %d" % os.waitstatus_to_exitcode(status), flush=True)
    elif word == "kill" and child is not None:
        os.kill(child, signal.SIGKILL)
        _, status = os.waitpid(child, 0)
        child = None
        print("killed %d" % (os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1), flush=True)
if child is not None:
    os.kill(child, signal.SIGTERM)
    os.waitpid(child, 0)
