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

/**
 * Aeron's channel endpoints, each telling the driver's idle strategy about its socket once open, so the idle driver
 * sleeps in epoll_wait on it and wakes when a datagram arrives: data and heartbeats on the receive side, status
 * messages and NAKs on the send side. The receive side also says when a data frame arrived, for the agent's
 * doorbell. Aeron keeps reading the sockets itself; this only adds a second selector's interest. (Receive
 * endpoints with several destinations open their transports elsewhere and are not watched: the bridge uses none.)
 */
final class WatchedEndpoints
{
    private WatchedEndpoints()
    {
    }

    static ReceiveChannelEndpointSupplier receive(final DriverIdleStrategy idle)
    {
        return (udpChannel, dispatcher, statusIndicator, context) ->
            new Receive(udpChannel, dispatcher, statusIndicator, context, idle);
    }

    static SendChannelEndpointSupplier send(final DriverIdleStrategy idle)
    {
        return (udpChannel, statusIndicator, context) -> new Send(udpChannel, statusIndicator, context, idle);
    }

    private static final class Receive extends ReceiveChannelEndpoint
    {
        private final DriverIdleStrategy idle;

        Receive(
            final UdpChannel udpChannel, final DataPacketDispatcher dispatcher, final AtomicCounter statusIndicator,
            final MediaDriver.Context context, final DriverIdleStrategy idle)
        {
            super(udpChannel, dispatcher, statusIndicator, context);
            this.idle = idle;
        }

        @Override
        public void openChannel()
        {
            super.openChannel();
            if (receiveDatagramChannel != null)
            {
                idle.watch(receiveDatagramChannel);
            }
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
                idle.dataArrived();
            }
            return bytes;
        }
    }

    private static final class Send extends SendChannelEndpoint
    {
        private final DriverIdleStrategy idle;

        Send(final UdpChannel udpChannel, final AtomicCounter statusIndicator, final MediaDriver.Context context,
            final DriverIdleStrategy idle)
        {
            super(udpChannel, statusIndicator, context);
            this.idle = idle;
        }

        @Override
        public void openChannel()
        {
            super.openChannel();
            if (receiveDatagramChannel != null)
            {
                idle.watch(receiveDatagramChannel);
            }
        }
    }
}
