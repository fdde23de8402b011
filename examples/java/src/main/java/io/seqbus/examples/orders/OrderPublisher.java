package io.seqbus.examples.orders;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ThreadMode;

import java.time.Duration;
import java.util.Objects;

/**
 * The publishing side of an orders service: each created order goes to {@code orders.<region>.created}
 * as JSON.
 *
 * <p>Run alone it publishes a few demo orders: {@code OrderPublisher [SOCKET] [COUNT]} (without a
 * socket, the client's default: {@code $SEQBUS_SOCKET}, then the per-user one).
 */
public final class OrderPublisher
{
    private final BusClient bus;

    /**
     * @param bus a connected client; the caller owns it (and closes it).
     */
    public OrderPublisher(final BusClient bus)
    {
        this.bus = Objects.requireNonNull(bus, "bus");
    }

    /**
     * @param region one topic token, e.g. {@code eu}.
     * @return the topic orders of that region are published on.
     */
    public static String topic(final String region)
    {
        return "orders." + region + ".created";
    }

    /**
     * Publishes the order, waiting while the bus is full (back-pressure, never a silent drop).
     *
     * @param order a new order.
     * @throws IllegalArgumentException when the region is not one valid topic token (a dot would move
     *                                  the order to another topic; wildcards are refused by the client).
     */
    public void created(final Order order)
    {
        if (order.region().indexOf('.') >= 0)
        {
            throw new IllegalArgumentException("region must be one topic token: '" + order.region() + "'");
        }
        bus.publish(topic(order.region()), OrderJson.write(order));
    }

    /**
     * Waits until everything published so far has reached the broker.
     *
     * @param timeout at most this long.
     */
    public void flush(final Duration timeout)
    {
        bus.sync(timeout);
    }

    public static void main(final String[] args)
    {
        final ClientOptions options = new ClientOptions().clientName("order-publisher").threadMode(ThreadMode.DEDICATED);
        if (args.length > 0)
        {
            options.socket(args[0]);
        }
        final int count = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        try (BusClient bus = BusClient.connect(options))
        {
            final OrderPublisher publisher = new OrderPublisher(bus);
            final String[] regions = {"eu", "us", "ap"};
            for (int i = 1; i <= count; i++)
            {
                publisher.created(new Order(i, regions[i % regions.length], "SKU-" + (i % 7), 1 + i % 3, 999 + i));
            }
            publisher.flush(Duration.ofSeconds(5));
            System.out.println("published " + count + " orders");
        }
    }
}
