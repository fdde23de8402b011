package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.PublishResult;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The Agrona-free payload API: a {@code ByteBuffer} in ({@code publish}, {@code tryPublish}; heap, direct,
 * read-only, a slice, from its position to its limit, left untouched) and {@code payloadBuffer()} out (read-only,
 * in place, the payload's bytes exactly).
 */
class ByteBufferPublishTest extends InProcessBrokerTest
{
    @Test
    void byteBuffersGoFromPositionToLimitAndComeOutAsReadOnlyViews() throws Exception
    {
        start(new BrokerContext());
        final List<String> received = new CopyOnWriteArrayList<>();
        final List<String> problems = new CopyOnWriteArrayList<>();
        final BusClient sub = open(BusClient.connect(new ClientOptions().socket(socket)));
        sub.subscribe("bb.>", m ->
        {
            final ByteBuffer view = m.payloadBuffer();
            if (!view.isReadOnly() || view.remaining() != m.payloadLength())
            {
                problems.add("view " + view);
            }
            try
            {
                view.put(view.position(), (byte)0);
                problems.add("view was writable");
            }
            catch (final ReadOnlyBufferException expected)
            {
                // as documented
            }
            final byte[] bytes = new byte[view.remaining()];
            view.get(bytes);
            received.add(m.topic() + "=" + new String(bytes, StandardCharsets.UTF_8));
        });
        sub.sync(Duration.ofSeconds(5));
        final BusClient pub = open(BusClient.connect(new ClientOptions().socket(socket)));

        final ByteBuffer heap = ByteBuffer.wrap("xxheapyy".getBytes(StandardCharsets.UTF_8));
        heap.position(2).limit(6);
        pub.publish("bb.heap", heap);
        assertThat(heap.position()).isEqualTo(2);
        assertThat(heap.limit()).isEqualTo(6);

        final ByteBuffer direct = ByteBuffer.allocateDirect(16);
        direct.put("--direct".getBytes(StandardCharsets.UTF_8)).flip().position(2);
        pub.publish("bb.direct", direct);
        assertThat(direct.position()).isEqualTo(2);

        final ByteBuffer slice = ByteBuffer.allocateDirect(16).put("abcdslice".getBytes(StandardCharsets.UTF_8))
            .flip().position(4).slice();
        assertThat(pub.tryPublish("bb.slice", slice)).isEqualTo(PublishResult.OK);

        final ByteBuffer readOnly = ByteBuffer.wrap("ro".getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();
        assertThat(pub.tryPublish("bb.readonly", readOnly)).isEqualTo(PublishResult.OK);

        // The same direct buffer again, with new contents: the view follows the bytes, not a copy.
        direct.clear().put("again".getBytes(StandardCharsets.UTF_8)).flip();
        pub.publish("bb.direct", direct);
        pub.publish("bb.empty", ByteBuffer.allocate(0));
        pub.flush();

        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 6);
        assertThat(received).containsExactly(
            "bb.heap=heap", "bb.direct=direct", "bb.slice=slice", "bb.readonly=ro", "bb.direct=again", "bb.empty=");
        assertThat(problems).isEmpty();
    }

    @Test
    void aByteBufferPayloadOverMaxPayloadIsRefusedAtTheCall() throws Exception
    {
        start(new BrokerContext());
        // Without descriptors: with them it goes as a sealed memfd (ClientMemfdTest).
        final BusClient pub = open(BusClient.connect(new ClientOptions().socket(socket).descriptors(false)));
        final ByteBuffer big = ByteBuffer.allocateDirect(pub.maxPayload() + 1);
        assertThatThrownBy(() -> pub.publish("bb.big", big))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_payload");
        assertThat(big.position()).isZero();
    }
}
