package io.seqbus.wire.bench;

import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.FrameValidator;
import io.seqbus.wire.Protocol;
import io.seqbus.wire.PublishFrame;
import io.seqbus.wire.SafeBuffer;
import io.seqbus.wire.Topics;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The codec on the hot path: what a client writes (PUBLISH), what the broker checks and reads, and what it
 * writes back (DELIVER, or one more entry of a DELIVER_RUN). Every operation here must be allocation free;
 * run with {@code -prof gc} to see that it is. Each runs over Agrona's UnsafeBuffer (the broker's) and over
 * {@link SafeBuffer} (the client's): {@code -p buffer=SafeBuffer} picks one.
 * <p>
 * Run with {@code ops/jmh.sh wire-format CodecBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark
{
    private static final String TOPIC = "orders.eu.created";
    private static final int PAYLOAD_LENGTH = 64;
    private static final int BATCH_FRAMES = 100;

    /** The buffer the codecs work on: UnsafeBuffer or SafeBuffer. */
    @Param({"UnsafeBuffer", "SafeBuffer"})
    public String buffer;

    private MutableDirectBuffer topic;
    private MutableDirectBuffer payload;
    private byte[] payloadArray;
    private String payloadText;
    private MutableDirectBuffer out;
    private MutableDirectBuffer publish;
    private MutableDirectBuffer deliver;
    private MutableDirectBuffer batch;
    private MutableDirectBuffer run;
    private final FrameValidator fromClient = new FrameValidator(FrameValidator.Direction.FROM_CLIENT);
    private final FrameValidator fromBroker = new FrameValidator(FrameValidator.Direction.FROM_BROKER);
    private final PublishFrame publishFrame = new PublishFrame();
    private final DeliverFrame deliverFrame = new DeliverFrame();
    private int publishLength;
    private int deliverLength;
    private int batchLength;
    private long sequence;

    @Setup
    public void setup()
    {
        topic = wrap(ByteBuffer.wrap(TOPIC.getBytes(StandardCharsets.US_ASCII)));
        payload = wrap(ByteBuffer.allocate(PAYLOAD_LENGTH));
        out = wrap(ByteBuffer.allocateDirect(64 * 1024));
        publish = wrap(ByteBuffer.allocateDirect(1024));
        deliver = wrap(ByteBuffer.allocateDirect(1024));
        batch = wrap(ByteBuffer.allocateDirect(64 * 1024));
        run = wrap(ByteBuffer.allocateDirect(64 * 1024));
        for (int i = 0; i < PAYLOAD_LENGTH; i++)
        {
            payload.putByte(i, (byte)('a' + i % 26));
        }
        payloadArray = new byte[PAYLOAD_LENGTH];
        payload.getBytes(0, payloadArray);
        payloadText = new String(payloadArray, StandardCharsets.US_ASCII);
        publishLength = PublishFrame.encode(publish, 0, topic, 0, topic.capacity(), payload, 0, PAYLOAD_LENGTH);
        deliverLength = DeliverFrame.encode(
            deliver, 0, 7, 1, 42L, 1L, 1_700_000_000_000_000_000L, 1000, 4242,
            publish, PublishFrame.TOPIC_OFFSET, topic.capacity(), PAYLOAD_LENGTH);
        for (int i = 0; i < BATCH_FRAMES; i++)
        {
            batchLength += PublishFrame.encode(batch, batchLength, topic, 0, topic.capacity(), payload, 0, PAYLOAD_LENGTH);
        }
        check(fromClient.validate(publish, 0, publishLength) == 0, "PUBLISH");
        check(fromBroker.validate(deliver, 0, deliverLength) == 0, "DELIVER");
        check(fromClient.validate(batch, 0, batchLength) == 0, "batch");
        newRun();
    }

    /** Client side: a PUBLISH from a topic and a payload already in buffers. */
    @Benchmark
    public int encodePublish()
    {
        return PublishFrame.encode(out, 0, topic, 0, topic.capacity(), payload, 0, PAYLOAD_LENGTH);
    }

    /** Client side: a PUBLISH from an encoded topic and a payload in a byte[] ({@code publish(topic, byte[])}). */
    @Benchmark
    public int encodePublishFromArray()
    {
        return PublishFrame.encode(out, 0, topic, 0, topic.capacity(), payloadArray, 0, PAYLOAD_LENGTH);
    }

    /** Client side: a PUBLISH from an encoded topic and a text payload ({@code publish(topic, String)}). */
    @Benchmark
    public int encodePublishFromText()
    {
        return PublishFrame.encode(out, 0, topic, 0, topic.capacity(), payloadText);
    }

    /** Broker side: is a one-frame PUBLISH datagram well formed. */
    @Benchmark
    public int validatePublish()
    {
        return fromClient.validate(publish, 0, publishLength);
    }

    /** Broker side: read what routing needs from a PUBLISH. */
    @Benchmark
    public int decodePublish()
    {
        publishFrame.wrap(publish, 0);
        return publishFrame.topicIndex() + publishFrame.topicLength() + publishFrame.payloadIndex() +
            publishFrame.payloadLength();
    }

    /** Broker side: a DELIVER copied from the PUBLISH's topic and payload. */
    @Benchmark
    public int encodeDeliver()
    {
        return DeliverFrame.encode(
            out, 0, 7, 1, 42L, ++sequence, 1_700_000_000_000_000_000L, 1000, 4242,
            publish, PublishFrame.TOPIC_OFFSET, topic.capacity(), PAYLOAD_LENGTH);
    }

    /** Client side: is a one-frame DELIVER datagram well formed. */
    @Benchmark
    public int validateDeliver()
    {
        return fromBroker.validate(deliver, 0, deliverLength);
    }

    /** Client side: every field a handler may read from a DELIVER. */
    @Benchmark
    public long decodeDeliver()
    {
        deliverFrame.wrap(deliver, 0);
        return deliverFrame.subscriptionId() + deliverFrame.sourceNode() + deliverFrame.publisherId() +
            deliverFrame.sequence() + deliverFrame.timestampNs() + deliverFrame.publisherUid() +
            deliverFrame.publisherPid() + deliverFrame.topicIndex() + deliverFrame.topicLength() +
            deliverFrame.payloadIndex() + deliverFrame.payloadLength();
    }

    /** Broker side: one more message joins an open DELIVER_RUN (a fresh run every ~900 appends). */
    @Benchmark
    public int appendToDeliverRun()
    {
        if (run.getInt(0, Protocol.BYTE_ORDER) + DeliverRunFrame.ENTRY_HEADER_LENGTH + PAYLOAD_LENGTH >
            run.capacity())
        {
            newRun();
        }
        return DeliverRunFrame.append(run, 0, payload, 0, PAYLOAD_LENGTH);
    }

    /** Broker side: a batched datagram of 100 PUBLISH frames, as a busy client sends them. */
    @Benchmark
    public int validateBatchOf100()
    {
        return fromClient.validate(batch, 0, batchLength);
    }

    /** Client side: the topic check every publish makes. */
    @Benchmark
    public boolean isValidTopic()
    {
        return Topics.isValidTopic(topic, 0, topic.capacity());
    }

    private MutableDirectBuffer wrap(final ByteBuffer bytes)
    {
        return "SafeBuffer".equals(buffer) ? new SafeBuffer(bytes) : new UnsafeBuffer(bytes);
    }

    private void newRun()
    {
        DeliverRunFrame.encode(
            run, 0, 7, 1, 42L, 1L, 1_700_000_000_000_000_000L, 1000, 4242,
            publish, PublishFrame.TOPIC_OFFSET, topic.capacity(), PAYLOAD_LENGTH);
    }

    private static void check(final boolean condition, final String what)
    {
        if (!condition)
        {
            throw new IllegalStateException(what + " does not validate; the benchmark would measure the error path");
        }
    }
}
