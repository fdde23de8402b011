package io.seqbus.examples.orders;

import io.seqbus.broker.testing.SeqbusBroker;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The publisher service against a real broker in this JVM (seqbus-broker-testing).
 */
class OrderPublisherTest
{
    @RegisterExtension
    static final SeqbusBroker BROKER = new SeqbusBroker();

    @Test
    void publishesEachOrderAsJsonOnItsRegionsTopic()
    {
        final List<String> received = new CopyOnWriteArrayList<>();
        final List<Integer> publisherPids = new CopyOnWriteArrayList<>();
        try (BusClient listener = BusClient.connect(options());
             BusClient bus = BusClient.connect(options()))
        {
            listener.subscribe("orders.>", (m) ->
            {
                received.add(m.topic() + " " + m.payloadAsString());
                publisherPids.add(m.publisherPid());
            });
            listener.sync(Duration.ofSeconds(5));

            final OrderPublisher publisher = new OrderPublisher(bus);
            publisher.created(new Order(1, "eu", "A-1", 2, 1999));
            publisher.created(new Order(2, "us", "say \"hi\"", 1, 500));
            publisher.flush(Duration.ofSeconds(5));

            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
        }
        assertThat(received).containsExactly(
            "orders.eu.created {\"id\":1,\"region\":\"eu\",\"sku\":\"A-1\",\"quantity\":2,\"priceCents\":1999}",
            "orders.us.created {\"id\":2,\"region\":\"us\",\"sku\":\"say \\\"hi\\\"\",\"quantity\":1,\"priceCents\":500}");
        // The broker stamps the publisher's pid as the kernel reported it: this JVM.
        assertThat(publisherPids).containsOnly((int)ProcessHandle.current().pid());
    }

    @Test
    void refusesARegionThatIsNotATopicToken()
    {
        try (BusClient bus = BusClient.connect(options()))
        {
            final OrderPublisher publisher = new OrderPublisher(bus);
            assertThatThrownBy(() -> publisher.created(new Order(3, "eu.west", "A-1", 1, 1)))
                .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> publisher.created(new Order(4, "*", "A-1", 1, 1)))
                .isInstanceOf(IllegalArgumentException.class);
        }
    }

    static ClientOptions options()
    {
        return new ClientOptions().socket(BROKER.socket()).threadMode(ThreadMode.DEDICATED);
    }
}
