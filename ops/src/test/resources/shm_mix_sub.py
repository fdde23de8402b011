#!/usr/bin/python3
"""shm_mix_sub.py LIBDIR SOCKET PATTERN COUNT: the Python example client (socket only) as one of
SharedMemoryIT's subscribers: prints 'PUBLISHER SEQUENCE PAYLOAD' per message, as
`seqbus sub --format '%i %s %p\\n'` does, and exits 0 after COUNT messages."""

import sys

sys.path.insert(0, sys.argv[1])
import seqbus  # noqa: E402


def main():
    path, pattern, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
    received = 0
    with seqbus.Client(path, name="mix-python") as client:
        client.subscribe(1, pattern)
        client.ping()
        for frame in client.receive():
            if isinstance(frame, seqbus.Deliver):
                print("%d %d %s" % (frame.publisher_id, frame.sequence, bytes(frame.payload).decode()), flush=False)
                received += 1
                if received >= count:
                    sys.stdout.flush()
                    return 0
            elif isinstance(frame, (seqbus.Gap, seqbus.Error)):
                print("unexpected %r" % (frame,), file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
