#!/usr/bin/python3
"""pub.py [--socket PATH] TOPIC [MESSAGE | --file PATH]

Publishes MESSAGE, or each line of standard input as one message (batched into few datagrams),
or with --file the file's bytes as one payload of any size in a sealed memfd (SPEC.md,
"Descriptors"), then waits for a PING/PONG barrier: once the PONG is back the broker has taken
every message, so exiting cannot lose any. Exit status 0 on success, 1 if the broker refused
something.
"""

import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seqbus  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="Publish to a seqbus topic.")
    parser.add_argument("--socket", default=None, help="broker socket path or @abstract name "
                        "(default: $SEQBUS_SOCKET, $XDG_RUNTIME_DIR/seqbus/seqbus.sock, /tmp/seqbus-$UID/seqbus.sock)")
    parser.add_argument("topic")
    parser.add_argument("message", nargs="?", help="the payload, as UTF-8; omitted: one message per stdin line")
    parser.add_argument("--file", default=None, help="publish this file's bytes as one sealed memfd payload")
    args = parser.parse_args()
    if args.file is not None and args.message is not None:
        parser.error("give MESSAGE or --file, not both")

    try:
        with seqbus.Client(args.socket, name="pub.py") as client:
            if args.file is not None:
                with open(args.file, "rb") as f:
                    client.publish_memfd(args.topic, f.read())
            elif args.message is not None:
                client.publish(args.topic, args.message.encode("utf-8"))
            else:
                # A generator: lines are batched as they come, stdin is never read whole into memory.
                lines = (line.rstrip(b"\n") for line in sys.stdin.buffer)
                client.publish_many((args.topic, line) for line in lines)
            client.ping()
            refused = [f for f in client.pending if isinstance(f, seqbus.Error)]
            # One line per distinct refusal, with how many publishes it refused, not one per message.
            counts = collections.Counter((seqbus.refused_topic(e), e.code, e.reason) for e in refused)
            for (topic, code, reason), n in counts.items():
                print("pub.py: refused%s: %s: %s" % (" %d publishes to '%s'" % (n, topic) if topic else "",
                                                     seqbus.error_name(code), reason), file=sys.stderr)
            return 1 if refused else 0
    except (seqbus.SeqbusError, OSError, ValueError) as e:
        print("pub.py: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
