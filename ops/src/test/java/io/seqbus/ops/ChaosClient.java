package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.PublishResult;
import io.seqbus.client.ThreadMode;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A client process for {@link ChaosIT}, meant to be killed with SIGKILL at any moment.
 * <pre>
 * pub SOCKET TOPIC     publish "1", "2", ... on TOPIC about 2,000 a second, forever
 * sub SOCKET PATTERN   subscribe and read forever
 * stall SOCKET PATTERN subscribe and never read (the broker's queue for it fills)
 * </pre>
 * Each prints READY once connected (and, for subscribers, subscribed).
 */
public final class ChaosClient
{
    private ChaosClient()
    {
    }

    /**
     * @param args see the class comment.
     */
    public static void main(final String[] args)
    {
        final BusClient bus = BusClient.connect(new ClientOptions().socket(args[1])
            .threadMode("sub".equals(args[0]) ? ThreadMode.DEDICATED : ThreadMode.POLL).clientName("chaos-" + args[0]));
        if ("pub".equals(args[0]))
        {
            System.out.println("READY");
            System.out.flush();
            long n = 0;
            while (true)
            {
                // tryPublish with poll: a POLL client must read the broker's PINGs while it waits.
                final String payload = Long.toString(n + 1);
                while (bus.tryPublish(args[2], payload) != PublishResult.OK)
                {
                    bus.poll();
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
                }
                n++;
                bus.poll();
                if ((n & 15) == 0)
                {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(8));
                }
            }
        }
        bus.subscribe(args[2], (m) ->
        {
        });
        // In POLL mode ("stall") sync polls until its PONG; after that nothing reads.
        bus.sync(Duration.ofSeconds(30));
        System.out.println("READY");
        System.out.flush();
        while (true)
        {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
        }
    }
}
