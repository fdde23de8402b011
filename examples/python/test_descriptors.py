#!/usr/bin/python3
"""Checks seqbus.Client's descriptors (SPEC.md, "Descriptors") against a broker played by this script on a temporary
socket: HELLO asks for DESCRIPTORS, publish_memfd sends a memfd sealed four ways whose bytes nobody can change,
DELIVER_FDS frames get their own descriptors in frame order, a receive the kernel cut (MSG_CTRUNC) becomes a Gap
DESCRIPTORS_LOST, and no descriptor is left open. No broker needed; PythonMemfdTest checks the same against the real
broker. Exit status 0 only if all pass.
"""

import errno
import fcntl
import os
import pathlib
import socket
import sys
import tempfile
import zlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import seqbus  # noqa: E402
from seqbus import DeliverFds, Gap  # noqa: E402

WAIT = 10  # seconds: a bound on every wait of the scripted broker

failures = []
passed = 0


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
    else:
        failures.append("%s %s" % (name, detail))


def open_descriptors():
    """This process's open descriptors, by number: what a test must leave as it found."""
    return set(os.listdir("/proc/self/fd"))


def receive(conn, limit=seqbus.SCM_MAX_FD):
    """One datagram as the broker reads it: its frames, checked against the descriptors that came, and those."""
    data, ancdata, flags, _ = conn.recvmsg(1 << 17, socket.CMSG_SPACE(4 * limit), socket.MSG_CMSG_CLOEXEC)
    fds = seqbus.received_descriptors(ancdata)
    return seqbus.decode_datagram(data, sender="client", descriptors=len(fds)), fds


def sealed_memfd(data):
    fd = os.memfd_create("test-payload", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seqbus.MEMFD_SEALS)
    return fd


def deliver_fds(sequence, fd_count, payload_size, fd_flags=seqbus.MEMFD_PAYLOAD):
    return seqbus.encode_deliver_fds(DeliverFds(1, 7, 0x42, sequence, 1, 0, 0, fd_count, fd_flags, payload_size,
                                                "a.b", b""))


class Connected:
    """A client connected to a scripted broker that sent WELCOME with the given descriptor limits."""

    def __init__(self, path, per_datagram=64, descriptors=True):
        self.path = path
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(path)
        self.listener.listen(1)
        self.listener.settimeout(WAIT)
        self.client = seqbus.Client(path, name="py", session=False, descriptors=descriptors)
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(WAIT)
        self.hello = seqbus.decode_datagram(self.conn.recv(1 << 17), sender="client")[0]
        limits = (8, per_datagram, 1 << 30) if self.hello.client_flags & seqbus.HELLO_DESCRIPTORS else ()
        self.conn.send(seqbus.encode_welcome(1, 65536, 131072, 7, 0x42, "h1", *limits))
        self.client.wait_welcome()

    def close(self):
        self.client.close()
        self.conn.close()
        self.listener.close()
        os.unlink(self.path)


def test_publish_memfd_sends_a_memfd_nobody_can_change(path):
    before = open_descriptors()
    link = Connected(path)
    try:
        check("HELLO asks for DESCRIPTORS", link.hello.client_flags == seqbus.HELLO_DESCRIPTORS, str(link.hello))
        check("WELCOME limits read", link.client.passes_descriptors() and
              link.client.welcome.max_descriptors_per_datagram == 64, str(link.client.welcome))
        data = os.urandom(3 << 20) + b"end"
        link.client.publish_memfd("a.b", data)
        link.client.publish_memfd("a.b", b"")
        (frame,), (fd,) = receive(link.conn)
        check("PUBLISH_FDS frame", frame == seqbus.PublishFds("a.b", 1, seqbus.MEMFD_PAYLOAD, len(data), b""), str(frame))
        check("all four seals", fcntl.fcntl(fd, fcntl.F_GET_SEALS) == seqbus.MEMFD_SEALS)
        check("size", os.fstat(fd).st_size == len(data))
        check("bytes", zlib.crc32(os.pread(fd, len(data) + 1, 0)) == zlib.crc32(data))
        for name, change in (("write", lambda: os.pwrite(fd, b"x", 0)), ("truncate", lambda: os.ftruncate(fd, 1)),
                             ("grow", lambda: os.ftruncate(fd, len(data) + 1))):
            try:
                change()
                check("the seals refuse " + name, False, "it succeeded")
            except PermissionError as e:
                check("the seals refuse " + name, e.errno == errno.EPERM)
        os.close(fd)
        (empty,), (fd,) = receive(link.conn)
        check("an empty memfd payload", empty.payload_size == 0 and os.fstat(fd).st_size == 0, str(empty))
        os.close(fd)
        check("a publish counts in the sequence", link.client.next_sequence() == 3)
    finally:
        link.close()
    check("publisher leaves no descriptor open", open_descriptors() == before, str(open_descriptors() - before))


def test_publish_fds_passes_any_descriptor_and_keeps_the_callers(path):
    before = open_descriptors()
    link = Connected(path)
    read_end, write_end = os.pipe()
    try:
        link.client.publish_fds("a.b", [read_end, write_end], b"hi")
        (frame,), fds = receive(link.conn)
        check("PUBLISH_FDS plain", frame == seqbus.PublishFds("a.b", 2, 0, 0, b"hi") and len(fds) == 2, str(frame))
        os.write(fds[1], b"through")
        check("the copies are the pipe", os.read(read_end, 16) == b"through")
        seqbus._close_all(fds)
    finally:
        os.close(read_end)
        os.close(write_end)
        link.close()
    check("no descriptor left open", open_descriptors() == before, str(open_descriptors() - before))


def test_deliver_fds_frames_get_their_descriptors_in_order(path):
    before = open_descriptors()
    link = Connected(path)
    try:
        first, second = os.urandom(1 << 20), b"second"
        sent = [sealed_memfd(first), sealed_memfd(second)]
        # Two descriptor frames with a DELIVER_RUN between them, in one datagram: frame order decides who owns which.
        run = seqbus.encode_deliver_run(seqbus.DeliverRun(1, 7, 0x42, 2, 1, 0, 0, "a.b", [b"inline"]))
        socket.send_fds(link.conn, [deliver_fds(1, 1, len(first)) + run + deliver_fds(3, 1, len(second))], sent)
        seqbus._close_all(sent)
        frames = list(next_frames(link.client, 3))
        check("order", [type(f).__name__ for f in frames] == ["DeliverFds", "Deliver", "DeliverFds"], str(frames))
        with seqbus.memfd_payload(frames[0]) as payload:
            check("first payload mapped", zlib.crc32(payload) == zlib.crc32(first) and len(payload) == len(first))
            try:
                payload[0] = 0
                check("the mapping is read-only", False)
            except TypeError:
                check("the mapping is read-only", True)
        with seqbus.memfd_payload(frames[1]) as payload:
            check("inline payload as it came", payload == b"inline")
        with seqbus.memfd_payload(frames[2]) as payload:
            check("second payload mapped", bytes(payload) == second)
    finally:
        link.close()
    check("subscriber leaves no descriptor open", open_descriptors() == before, str(open_descriptors() - before))


def test_a_cut_receive_is_a_gap_and_leaks_nothing(path):
    """The client's control buffer holds what WELCOME's max_descriptors_per_datagram says (the kernel rounds it up
    to 2 here); a broker that sends more, as a receive at RLIMIT_NOFILE would lose them, cuts the receive
    (MSG_CTRUNC): the frames short of theirs become Gap DESCRIPTORS_LOST, their descriptors that came are closed."""
    before = open_descriptors()
    link = Connected(path, per_datagram=1)
    try:
        sent = [sealed_memfd(b"a"), sealed_memfd(b"b"), sealed_memfd(b"c"), sealed_memfd(b"d")]
        socket.send_fds(link.conn, [deliver_fds(1, 2, 0, 0) + deliver_fds(2, 2, 0, 0)], sent)
        seqbus._close_all(sent)
        frames = list(next_frames(link.client, 2))
        check("the frame whose descriptors came", isinstance(frames[0], DeliverFds) and len(frames[0].fds) == 2,
              str(frames[0]))
        check("the frame that lost them", frames[1] == Gap(1, 7, 0x42, 2, 1, seqbus.DESCRIPTORS_LOST), str(frames[1]))
        check("reason name", seqbus.gap_reason_name(seqbus.DESCRIPTORS_LOST) == "DESCRIPTORS_LOST")
        seqbus.close_descriptors(frames[0])
    finally:
        link.close()
    check("a cut receive leaves no descriptor open", open_descriptors() == before, str(open_descriptors() - before))


def test_descriptors_that_do_not_match_the_frames_are_refused_and_closed(path):
    before = open_descriptors()
    link = Connected(path)
    try:
        sent = [sealed_memfd(b"a"), sealed_memfd(b"b")]
        socket.send_fds(link.conn, [deliver_fds(1, 1, 1)], sent)  # two descriptors for a frame that owns one
        seqbus._close_all(sent)
        try:
            next(iter(link.client.receive()))
            check("a mismatch is refused", False)
        except seqbus.SeqbusError as e:
            check("a mismatch is refused", e.code == seqbus.DESCRIPTOR_MISMATCH, str(e))
    finally:
        link.close()
    check("a mismatch leaves no descriptor open", open_descriptors() == before, str(open_descriptors() - before))


def test_without_descriptors_nothing_is_sent(path):
    link = Connected(path, descriptors=False)
    try:
        check("HELLO without DESCRIPTORS", link.hello.client_flags == 0, str(link.hello))
        try:
            link.client.publish_memfd("a.b", b"x")
            check("publish_memfd refused at the call", False)
        except seqbus.DescriptorsNotPassed as e:
            check("publish_memfd refused at the call", "descriptors=False" in str(e), str(e))
        check("nothing counted", link.client.next_sequence() == 1)
    finally:
        link.close()


def next_frames(client, count):
    frames = client.receive()
    for _ in range(count):
        yield next(frames)


def main():
    with tempfile.TemporaryDirectory() as folder:
        for test in (test_publish_memfd_sends_a_memfd_nobody_can_change,
                     test_publish_fds_passes_any_descriptor_and_keeps_the_callers,
                     test_deliver_fds_frames_get_their_descriptors_in_order,
                     test_a_cut_receive_is_a_gap_and_leaks_nothing,
                     test_descriptors_that_do_not_match_the_frames_are_refused_and_closed,
                     test_without_descriptors_nothing_is_sent):
            try:
                test(os.path.join(folder, "bus.sock"))
            except Exception as e:  # a crash is a failure of this test, not of the whole run
                check(test.__name__, False, repr(e))
    for failure in failures:
        print("FAIL", failure)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
