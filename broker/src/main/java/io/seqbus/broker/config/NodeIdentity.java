package io.seqbus.broker.config;

import io.seqbus.wire.Bytes;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Who this broker is to subscribers and to the other brokers of the LAN: its node name (the host
 * name unless set) and the node id derived from it, which GAPs and bridged messages carry.
 */
public final class NodeIdentity
{
    private NodeIdentity()
    {
    }

    /**
     * @param name of a node.
     * @return the node id subscribers see for it: a non-zero FNV-1a hash of the name.
     */
    public static int idOf(final String name)
    {
        final UnsafeBuffer bytes = new UnsafeBuffer(name.getBytes(StandardCharsets.UTF_8));
        final int h = Bytes.fnv1a32(bytes, 0, bytes.capacity());
        return h == 0 ? 1 : h;
    }

    /**
     * @return the kernel's host name, the default node name; {@code localhost} when it cannot be read.
     */
    public static String hostName()
    {
        try
        {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        }
        catch (final IOException ex)
        {
            return "localhost";
        }
    }
}
