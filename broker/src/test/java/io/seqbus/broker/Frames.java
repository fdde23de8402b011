package io.seqbus.broker;

import io.seqbus.wire.HelloFrame;
import io.seqbus.wire.PingFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.PublishFrame;
import io.seqbus.wire.SubscribeFrame;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds datagrams for raw-byte tests.
 */
final class Frames
{
    private Frames()
    {
    }

    static byte[] hello(final int min, final int max, final String name)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[1024]);
        return Arrays.copyOf(b.byteArray(), HelloFrame.encode(b, 0, min, max, name));
    }

    static byte[] subscribe(final int id, final String pattern)
    {
        return subscribe(id, pattern, 0);
    }

    static byte[] subscribe(final int id, final String pattern, final int policy)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[1024]);
        return Arrays.copyOf(b.byteArray(), SubscribeFrame.encode(b, 0, id, policy, 0, pattern));
    }

    static byte[] publish(final String topic, final String payload)
    {
        return publish(topic.getBytes(StandardCharsets.UTF_8), payload.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] publish(final byte[] topic, final byte[] payload)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[PublishFrame.frameLength(topic.length, payload.length)]);
        PublishFrame.encode(b, 0, new UnsafeBuffer(topic), 0, topic.length, new UnsafeBuffer(payload), 0, payload.length);
        return b.byteArray();
    }

    static byte[] ping(final long token)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[PingFrame.LENGTH]);
        PingFrame.encode(b, 0, FrameType.PING, token);
        return b.byteArray();
    }

    static byte[] concat(final byte[]... parts)
    {
        int n = 0;
        for (final byte[] p : parts)
        {
            n += p.length;
        }
        final byte[] out = new byte[n];
        int at = 0;
        for (final byte[] p : parts)
        {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static byte[] hex(final String hex)
    {
        final String[] parts = hex.trim().split("\\s+");
        final byte[] out = new byte[parts.length];
        for (int i = 0; i < parts.length; i++)
        {
            out[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        return out;
    }
}
