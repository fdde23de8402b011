package io.seqbus.sys;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Run in a child JVM by {@link ScmRightsTooManyRefsTest}, without CAP_SYS_RESOURCE and CAP_SYS_ADMIN and with a low
 * RLIMIT_NOFILE: passes the same two descriptors over a socket pair nobody reads until the kernel refuses them for
 * too many in flight, and prints what {@link ScmRights#trySend} and {@link ScmRights#send} said. Exit 0 when
 * trySend answered {@link ScmRights#TOO_MANY_REFS} and send threw with errno 109.
 */
public final class TooManyRefsProbe
{
    private TooManyRefsProbe()
    {
    }

    /**
     * @param args none.
     * @throws IOException when a memfd cannot be made.
     */
    public static void main(final String[] args) throws IOException
    {
        final UnsafeBuffer pair = new UnsafeBuffer(BufferUtil.allocateDirectAligned(8, 8));
        if (LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_SEQPACKET, 0, pair.addressOffset()) != 0)
        {
            throw LibC.failure("socketpair", LibC.errno());
        }
        final int sender = pair.getInt(0);
        final ScmRights rights = new ScmRights(2);
        final ByteBuffer datagram = ByteBuffer.allocateDirect(1);
        try (Memfd a = Memfd.create("too-many-refs", 0); Memfd b = Memfd.create("too-many-refs", 0))
        {
            final int[] fds = {a.fd(), b.fd()};
            int inFlight = 0;
            for (int i = 0; i < 100_000; i++)
            {
                datagram.clear().put((byte)1).flip();
                final int n = rights.trySend(sender, datagram, fds, 2);
                if (n == ScmRights.TOO_MANY_REFS)
                {
                    datagram.clear().put((byte)1).flip();
                    try
                    {
                        rights.send(sender, datagram, fds, 2);
                        System.out.println("send did not throw after trySend's refusal");
                        System.exit(1);
                    }
                    catch (final IOException ex)
                    {
                        System.out.println("refused after " + inFlight + " in flight: " + ex.getMessage());
                        System.exit(ex.getMessage().contains("errno " + LibC.ETOOMANYREFS) ? 0 : 1);
                    }
                }
                if (n <= 0)
                {
                    System.out.println("trySend answered " + n + " after " + inFlight + " in flight");
                    System.exit(1);
                }
                inFlight += 2;
            }
        }
        System.out.println("never refused");
        System.exit(1);
    }
}
