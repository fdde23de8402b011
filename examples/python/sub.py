#!/usr/bin/python3
"""sub.py [--socket PATH] PATTERN [--count N]

Subscribes to PATTERN and prints each payload as a line of UTF-8, flushed at once. Once the
subscription is in force (a PING/PONG barrier after SUBSCRIBE) it says so on stderr with the
line "sub.py: subscribed to PATTERN", so a script can start publishing then. GAP and ERROR
notices go to stderr too. With --count N it exits 0 after N messages. A payload that came as a
sealed memfd (SPEC.md, "Descriptors") is mapped read-only, printed the same way, and closed.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seqbus  # noqa: E402

SUBSCRIPTION_ID = 1


def notice(text):
    print("sub.py: " + text, file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description="Print messages of a seqbus pattern.")
    parser.add_argument("--socket", default=None, help="broker socket path or @abstract name "
                        "(default: $SEQBUS_SOCKET, $XDG_RUNTIME_DIR/seqbus/seqbus.sock, /tmp/seqbus-$UID/seqbus.sock)")
    parser.add_argument("pattern")
    parser.add_argument("--count", type=int, default=None, help="exit after this many messages")
    parser.add_argument("--group", default=None, help="join this queue group: each message goes to one member")
    args = parser.parse_args()

    received = 0
    seen = set()  # (node, publisher) of every message received: a PUBLISHER_RESUMED gap of another is not ours
    try:
        # A queue group needs SERVICES in HELLO (and in the broker's WELCOME); without --group the HELLO is as before.
        with seqbus.Client(args.socket, name="sub.py", services=args.group is not None) as client:
            try:
                client.subscribe(SUBSCRIPTION_ID, args.pattern, group=args.group)
            except seqbus.ServicesNotOffered as e:
                notice("subscribe refused: %s" % e)
                return 2
            client.ping()
            # A refusal of the SUBSCRIBE arrives before the PONG, so it is pending by now.
            for frame in list(client.pending):
                if isinstance(frame, seqbus.Error) and frame.ref == SUBSCRIPTION_ID:
                    notice("subscribe refused: %s: %s" % (seqbus.error_name(frame.code), frame.reason))
                    return 2
            notice("subscribed to " + args.pattern)
            if args.count == 0:
                return 0
            for frame in client.receive():
                if isinstance(frame, (seqbus.Deliver, seqbus.DeliverFds)):
                    seen.add((frame.source_node, frame.publisher_id))
                    # Maps a memfd payload and closes the frame's descriptors at the end, whatever they are.
                    with seqbus.memfd_payload(frame) as payload:
                        sys.stdout.write(bytes(payload).decode("utf-8", errors="replace") + "\n")
                    sys.stdout.flush()
                    received += 1
                    if args.count is not None and received >= args.count:
                        return 0
                elif isinstance(frame, seqbus.Gap):
                    if (frame.reason == seqbus.PUBLISHER_RESUMED and
                            (frame.source_node, frame.publisher_id) not in seen):
                        continue
                    notice("gap: %s lost from publisher %#x of node %#x, from sequence %d (%s)" % (
                        frame.count or "unknown number", frame.publisher_id, frame.source_node,
                        frame.from_sequence, seqbus.gap_reason_name(frame.reason)))
                elif isinstance(frame, seqbus.Error):
                    notice("error: %s: %s" % (seqbus.error_name(frame.code), frame.reason))
    except BrokenPipeError:
        # The reader of our stdout went away (| head): nothing left to do. Quiet the final flush too.
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        return 130
    except (seqbus.SeqbusError, OSError) as e:
        notice("%s after %d messages" % (e, received))
        return 1


if __name__ == "__main__":
    sys.exit(main())
