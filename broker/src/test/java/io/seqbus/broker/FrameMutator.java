package io.seqbus.broker;

import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.ErrorFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.GapFrame;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.StatRequestFrame;
import io.seqbus.wire.UnsubscribeFrame;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Makes client datagrams for fuzzing: valid ones drawn from a corpus of every frame a client
 * may send (and a few it may not), and mutations of them: bit flips, interesting bytes, length
 * fields set to lies, truncation, extension, splicing, type swaps, oversized datagrams and plain
 * garbage. Deterministic for a given random source.
 */
final class FrameMutator
{
    /** What was done to a datagram, for the report. */
    enum Kind
    {
        VALID, BIT_FLIP, INTERESTING_BYTE, FRAME_LENGTH, FIELD_LENGTH, TRUNCATE, EXTEND, SPLICE, TYPE_SWAP,
        DUPLICATE, OVERSIZED, GARBAGE, EMPTY
    }

    private static final int[] INTERESTING_32 = {0, 1, 7, 8, 9, 0x7F, 0x80, 0xFF, 0xFFFF, 0x10000, 131_072, 131_073,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF};
    private static final int[] INTERESTING_16 = {0, 1, 0x7F, 0x80, 255, 256, 1024, 1025, 0x7FFF, 0x8000, 0xFFFF};
    private static final byte[] INTERESTING_8 = {0, 1, (byte)0x7F, (byte)0x80, (byte)0xFF, '.', '*', '>', (byte)0xC0};

    private final List<byte[]> corpus = new ArrayList<>();
    private final int maxDatagram;
    private Kind lastKind;
    private int lastSeedFrames;

    /**
     * @param maxDatagram the broker's max_datagram, for oversized datagrams just past it.
     */
    FrameMutator(final int maxDatagram)
    {
        this.maxDatagram = maxDatagram;
        final String[] topics = {"fuzz.a", "fuzz.b.c", "good.seq", "x", "a.b.c.d.e.f.g.h", "fuzz.\u00e9t\u00e9"};
        final String[] patterns = {"fuzz.>", "fuzz.*", ">", "*", "good.>", "a.*.c.>", "fuzz.a"};
        for (final String t : topics)
        {
            corpus.add(Frames.publish(t, ""));
            corpus.add(Frames.publish(t, "payload of " + t));
            corpus.add(Frames.publish(t.getBytes(StandardCharsets.UTF_8), new byte[1000]));
        }
        for (int i = 0; i < patterns.length; i++)
        {
            for (int policy = 0; policy < 4; policy++)
            {
                corpus.add(Frames.subscribe(i + 1, patterns[i], policy));
            }
        }
        for (int id = 0; id < 4; id++)
        {
            corpus.add(unsubscribe(id));
        }
        corpus.add(Frames.ping(42));
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        corpus.add(Arrays.copyOf(b.byteArray(), io.seqbus.wire.PingFrame.encode(b, 0, FrameType.PONG, 7)));
        corpus.add(Arrays.copyOf(b.byteArray(), StatRequestFrame.encode(b, 0, 0, 1)));
        corpus.add(Frames.hello(1, 1, "again"));
        // Frames only a broker may send: a client sending them breaks the protocol.
        corpus.add(Arrays.copyOf(b.byteArray(), GapFrame.encode(b, 0, 1, 1, 1, 1, 1, 1)));
        corpus.add(Arrays.copyOf(b.byteArray(), ErrorFrame.encode(b, 0, 1, 0, "no")));
        final byte[] tp = "fuzz.a".getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer source = new UnsafeBuffer(Arrays.copyOf(tp, tp.length + 3));
        corpus.add(Arrays.copyOf(b.byteArray(), DeliverFrame.encode(b, 0, 1, 1, 1, 1, 1, 0, 0, source, 0, tp.length, 3)));
        // Batches: several frames in one datagram.
        corpus.add(Frames.concat(Frames.subscribe(20, "fuzz.>"), Frames.publish("fuzz.a", "one"),
            Frames.publish("fuzz.a", "two"), Frames.ping(9)));
        corpus.add(Frames.concat(Frames.publish("fuzz.b.c", "x"), unsubscribe(20)));
    }

    private static byte[] unsubscribe(final int id)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[64]);
        return Arrays.copyOf(b.byteArray(), UnsubscribeFrame.encode(b, 0, id));
    }

    /**
     * @return what was done to the datagram last returned by {@link #next}.
     */
    Kind lastKind()
    {
        return lastKind;
    }

    /**
     * @return frames in the valid datagram the last one was made from.
     */
    int lastSeedFrames()
    {
        return lastSeedFrames;
    }

    private static int frames(final byte[] datagram)
    {
        final UnsafeBuffer b = new UnsafeBuffer(datagram);
        int n = 0;
        for (int at = 0; at < datagram.length; at += Protocol.frameLength(b, at))
        {
            n++;
        }
        return n;
    }

    /**
     * @param random       source of every choice.
     * @param validPercent chance of an unmutated corpus datagram.
     * @return the next datagram to send.
     */
    byte[] next(final SplittableRandom random, final int validPercent)
    {
        final byte[] seed = corpus.get(random.nextInt(corpus.size()));
        lastSeedFrames = frames(seed);
        if (random.nextInt(100) < validPercent)
        {
            lastKind = Kind.VALID;
            return seed;
        }
        final Kind kind = Kind.values()[1 + random.nextInt(Kind.values().length - 1)];
        if (kind == Kind.OVERSIZED && random.nextInt(20) != 0)
        {
            // Each costs a max_datagram copy on both sides: keep them a small share.
            return mutate(random, seed, Kind.BIT_FLIP);
        }
        return mutate(random, seed, kind);
    }

    private byte[] mutate(final SplittableRandom random, final byte[] seed, final Kind kind)
    {
        lastKind = kind;
        final byte[] d = seed.clone();
        final UnsafeBuffer b = new UnsafeBuffer(d);
        switch (kind)
        {
            case BIT_FLIP:
                for (int i = 1 + random.nextInt(8); i > 0; i--)
                {
                    final int bit = random.nextInt(d.length * 8);
                    d[bit >> 3] ^= (byte)(1 << (bit & 7));
                }
                return d;
            case INTERESTING_BYTE:
                d[random.nextInt(d.length)] = INTERESTING_8[random.nextInt(INTERESTING_8.length)];
                return d;
            case FRAME_LENGTH:
                b.putInt(0, random.nextBoolean() ? INTERESTING_32[random.nextInt(INTERESTING_32.length)] :
                    d.length + random.nextInt(-3, 4), Protocol.BYTE_ORDER);
                return d;
            case FIELD_LENGTH:
                if (d.length >= 10)
                {
                    // Every u16 at an even offset past the header is a string length in some frame.
                    final int at = 8 + 2 * random.nextInt((d.length - 8) / 2);
                    b.putShort(at, (short)INTERESTING_16[random.nextInt(INTERESTING_16.length)], Protocol.BYTE_ORDER);
                }
                return d;
            case TRUNCATE:
                return Arrays.copyOf(d, random.nextInt(d.length));
            case EXTEND:
            {
                final byte[] longer = Arrays.copyOf(d, d.length + 1 + random.nextInt(64));
                for (int i = d.length; i < longer.length; i++)
                {
                    longer[i] = (byte)random.nextInt(256);
                }
                return longer;
            }
            case SPLICE:
            {
                final byte[] other = corpus.get(random.nextInt(corpus.size()));
                final int cut = random.nextInt(d.length + 1);
                final int from = random.nextInt(other.length + 1);
                return Frames.concat(Arrays.copyOf(d, cut), Arrays.copyOfRange(other, from, other.length));
            }
            case TYPE_SWAP:
                d[4] = random.nextInt(4) == 0 ? (byte)random.nextInt(256) : (byte)(1 + random.nextInt(0x0C));
                if (random.nextInt(4) == 0)
                {
                    d[5 + random.nextInt(3)] = (byte)(1 + random.nextInt(255)); // flags or reserved
                }
                return d;
            case DUPLICATE:
                return Frames.concat(d, d, corpus.get(random.nextInt(corpus.size())));
            case OVERSIZED:
            {
                final byte[] huge = Arrays.copyOf(d, maxDatagram + 1 + random.nextInt(1024));
                new UnsafeBuffer(huge).putInt(0, huge.length, Protocol.BYTE_ORDER);
                return huge;
            }
            case GARBAGE:
            {
                final byte[] g = new byte[1 + random.nextInt(96)];
                for (int i = 0; i < g.length; i++)
                {
                    g[i] = (byte)random.nextInt(256);
                }
                return g;
            }
            case EMPTY:
            default:
                return new byte[0];
        }
    }
}
