#!/usr/bin/python3
"""acl_probe.py LIBDIR SOCKET OP... : tries each OP (pub:TOPIC, sub:PATTERN, or subblock:PATTERN for the
block policy) and prints one line per OP: 'pub TOPIC ok' or 'pub TOPIC ACCESS_DENIED' (sub the same). With OP 'hold' it prints 'held',
waits for a line on stdin, then prints 'revoked ID CODE' for every ERROR that arrived meanwhile.
Run under another uid (setpriv) by AccessControlTest."""

import sys

sys.path.insert(0, sys.argv[1])
import seqbus  # noqa: E402


def errors(client):
    found = [f for f in client.pending if isinstance(f, seqbus.Error)]
    client.pending.clear()
    return found


def main():
    with seqbus.Client(sys.argv[2], name="acl_probe") as client:
        client.wait_welcome()
        next_id = 1
        for op in sys.argv[3:]:
            if op == "hold":
                print("held", flush=True)
                sys.stdin.readline()
                client.ping()
                for e in errors(client):
                    print("revoked %d %s" % (e.ref, seqbus.error_name(e.code)), flush=True)
                continue
            kind, _, target = op.partition(":")
            if kind == "pub":
                client.publish(target, b"from-probe")
            else:
                client.subscribe(next_id, target, policy=1 if kind == "subblock" else 0)
                next_id += 1
            client.ping()
            found = errors(client)
            print("%s %s %s" % (kind, target, seqbus.error_name(found[0].code) if found else "ok"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
