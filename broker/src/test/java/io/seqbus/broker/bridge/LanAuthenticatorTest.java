package io.seqbus.broker.bridge;

import io.seqbus.wire.AuthFrame;
import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.NodeFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bridge's HMAC: the same tags as the JDK's {@code javax.crypto.Mac} for keys shorter and longer than
 * SHA-256's block and datagrams longer than its copy chunk, SPEC.md's test vector, refusal of any change, and
 * no allocation per datagram.
 */
class LanAuthenticatorTest
{
    /** SPEC.md, "LAN AUTH" vector. */
    private static final byte[] SPEC_KEY = HexFormat.of().parseHex(
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final String SPEC_TAG = "7c 60 80 fc 98 61 80 45 10 19 70 fb 3f 2a 27 68";

    @Test
    void signsTheSpecVector()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        final int offset = 7;
        int length = NodeFrame.encode(buffer, offset, 0x0A0B0C0D, 0x1122334455667788L, 1);
        final UnsafeBuffer topicAndPayload = new UnsafeBuffer("a.bxyz".getBytes(StandardCharsets.US_ASCII));
        length += DeliverFrame.encode(buffer, offset + length, 0, 0x0A0B0C0D, 0x0000000100000002L, 1,
            1700000000000000000L, 1000, 4242, topicAndPayload, 0, 3, 3);
        assertThat(length).isEqualTo(88);

        final LanAuthenticator authenticator = new LanAuthenticator(SPEC_KEY);
        length = authenticator.sign(buffer, offset, length);

        assertThat(length).isEqualTo(112);
        assertThat(HexFormat.ofDelimiter(" ").formatHex(bytes(buffer, offset + 96, 16))).isEqualTo(SPEC_TAG);
        assertThat(authenticator.verify(buffer, offset, length)).isTrue();
    }

    @Test
    void sameTagsAsTheJdkMac() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(42);
        final Mac mac = Mac.getInstance("HmacSHA256");
        for (final int keyLength : new int[]{32, 33, 63, 64, 65, 100, 200})
        {
            final byte[] key = new byte[keyLength];
            random.nextBytes(key);
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            final LanAuthenticator authenticator = new LanAuthenticator(key);
            for (final int messageLength : new int[]{NodeFrame.LENGTH, 100, 4095, 4096, 4097, 9000, 65_000})
            {
                final byte[] message = new byte[messageLength];
                random.nextBytes(message);
                final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(messageLength + 64));
                buffer.putBytes(5, message);

                final int signed = authenticator.sign(buffer, 5, messageLength);

                assertThat(signed).isEqualTo(messageLength + AuthFrame.LENGTH);
                mac.update(bytes(buffer, 5, signed - AuthFrame.TAG_LENGTH));
                final byte[] expected = Arrays.copyOf(mac.doFinal(), AuthFrame.TAG_LENGTH);
                assertThat(bytes(buffer, 5 + signed - AuthFrame.TAG_LENGTH, AuthFrame.TAG_LENGTH))
                    .as("key %d bytes, message %d bytes", keyLength, messageLength).isEqualTo(expected);
                assertThat(authenticator.verify(buffer, 5, signed)).isTrue();
            }
        }
    }

    @Test
    void anyChangedBitOrAnotherKeyOrNoAuthFrameIsRefused()
    {
        final LanAuthenticator authenticator = new LanAuthenticator(SPEC_KEY);
        final byte[] otherKey = SPEC_KEY.clone();
        otherKey[31] ^= 1;
        final LanAuthenticator other = new LanAuthenticator(otherKey);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
        final int unsigned = NodeFrame.encode(buffer, 0, 1, 2, 3);
        final int length = authenticator.sign(buffer, 0, unsigned);

        assertThat(other.verify(buffer, 0, length)).isFalse();
        assertThat(authenticator.verify(buffer, 0, unsigned)).as("no AUTH frame").isFalse();
        assertThat(authenticator.verify(buffer, 0, length - 1)).as("cut short").isFalse();
        for (int bit = 0; bit < length * 8; bit++)
        {
            buffer.putByte(bit / 8, (byte)(buffer.getByte(bit / 8) ^ (1 << (bit % 8))));
            assertThat(authenticator.verify(buffer, 0, length)).as("bit %d flipped", bit).isFalse();
            buffer.putByte(bit / 8, (byte)(buffer.getByte(bit / 8) ^ (1 << (bit % 8))));
        }
        assertThat(authenticator.verify(buffer, 0, length)).isTrue();
    }

    @Test
    void signingAndVerifyingAllocateNothing()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        threads.setThreadAllocatedMemoryEnabled(true);
        final LanAuthenticator authenticator = new LanAuthenticator(SPEC_KEY);
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
        final int rounds = 50_000;
        int ok = signAndVerify(authenticator, buffer, rounds);

        final long threadId = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        ok += signAndVerify(authenticator, buffer, rounds);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertThat(ok).isEqualTo(2 * rounds);
        assertThat(allocated).as("bytes allocated by %d datagrams signed and verified", rounds).isLessThan(1024);
    }

    private static int signAndVerify(final LanAuthenticator authenticator, final UnsafeBuffer buffer, final int n)
    {
        int ok = 0;
        for (int i = 0; i < n; i++)
        {
            final int length = authenticator.sign(buffer, 0, NodeFrame.encode(buffer, 0, 1, 2, i) + 1400);
            ok += authenticator.verify(buffer, 0, length) ? 1 : 0;
        }
        return ok;
    }

    private static byte[] bytes(final UnsafeBuffer buffer, final int index, final int length)
    {
        final byte[] out = new byte[length];
        buffer.getBytes(index, out);
        return out;
    }
}
