package io.seqbus.broker.bridge;

import io.aeron.driver.DataPacketDispatcher;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ReceiveChannelEndpointSupplier;
import io.aeron.driver.SendChannelEndpointSupplier;
import io.aeron.driver.media.ReceiveChannelEndpoint;
import io.aeron.driver.media.SendChannelEndpoint;
import io.aeron.driver.media.UdpChannel;
import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;

/**
 * Aeron's channel endpoints, each telling the {@link Watcher} about its socket once open and before it closes, so
 * the broker agent, which runs the driver's duty cycle, sleeps in epoll_wait on it and wakes when a datagram
 * arrives: data and heartbeats on the receive side, status messages and NAKs on the send side. The receive side
 * also says when a data frame arrived. Aeron keeps reading the sockets itself; this only adds the agent's epoll
 * interest. (Receive endpoints with several destinations open their transports elsewhere and are not watched: the
 * bridge uses none.) Called on the thread that runs the driver's duty cycle.
 */
final class WatchedEndpoints
{
    /**
     * Who watches the driver's sockets.
     */
    interface Watcher
    {
        /** @param channel a driver socket, just opened, non-blocking; null when the endpoint opened none. */
        void watch(DatagramChannel channel);

        /** @param channel a watched driver socket, about to be closed; null when the endpoint has none. */
        void unwatch(DatagramChannel channel);

        /** A data frame (not a heartbeat) arrived this duty cycle. */
        void dataArrived();
    }

    private WatchedEndpoints()
    {
    }

    static ReceiveChannelEndpointSupplier receive(final Watcher watcher)
    {
        return (udpChannel, dispatcher, statusIndicator, context) ->
            new Receive(udpChannel, dispatcher, statusIndicator, context, watcher);
    }

    static SendChannelEndpointSupplier send(final Watcher watcher)
    {
        return (udpChannel, statusIndicator, context) -> new Send(udpChannel, statusIndicator, context, watcher);
    }

    private static final class Receive extends ReceiveChannelEndpoint
    {
        private final Watcher watcher;

        Receive(
            final UdpChannel udpChannel, final DataPacketDispatcher dispatcher, final AtomicCounter statusIndicator,
            final MediaDriver.Context context, final Watcher watcher)
        {
            super(udpChannel, dispatcher, statusIndicator, context);
            this.watcher = watcher;
        }

        @Override
        public void openChannel()
        {
            super.openChannel();
            watcher.watch(receiveDatagramChannel);
        }

        @Override
        public void close()
        {
            watcher.unwatch(receiveDatagramChannel);
            super.close();
        }

        @Override
        public int onDataPacket(
            final DataHeaderFlyweight header, final UnsafeBuffer buffer, final int length,
            final InetSocketAddress srcAddress, final int transportIndex)
        {
            final int bytes = super.onDataPacket(header, buffer, length, srcAddress, transportIndex);
            // A heartbeat (frame length 0) brings the agent nothing to read.
            if (header.frameLength() > 0)
            {
                watcher.dataArrived();
            }
            return bytes;
        }
    }

    private static final class Send extends SendChannelEndpoint
    {
        private final Watcher watcher;

        Send(final UdpChannel udpChannel, final AtomicCounter statusIndicator, final MediaDriver.Context context,
            final Watcher watcher)
        {
            super(udpChannel, statusIndicator, context);
            this.watcher = watcher;
        }

        @Override
        public void openChannel()
        {
            super.openChannel();
            watcher.watch(receiveDatagramChannel);
        }

        @Override
        public void close()
        {
            watcher.unwatch(receiveDatagramChannel);
            super.close();
        }
    }
}
