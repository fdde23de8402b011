package io.seqbus.broker;

import io.seqbus.wire.DeliverFrame;
import io.seqbus.wire.DeliverRunFrame;
import io.seqbus.wire.FrameType;
import io.seqbus.wire.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the messages out of a datagram the broker sent, whether as DELIVER frames or as
 * entries of DELIVER_RUN frames, for raw-byte tests.
 */
final class Deliveries
{
    /** One delivered message. */
    record Delivery(int subscriptionId, long publisherId, long sequence, String payload)
    {
    }

    private Deliveries()
    {
    }

    static List<Delivery> in(final byte[] datagram)
    {
        final List<Delivery> out = new ArrayList<>();
        final UnsafeBuffer b = new UnsafeBuffer(datagram);
        final DeliverFrame deliver = new DeliverFrame();
        final DeliverRunFrame run = new DeliverRunFrame();
        for (int at = 0; at < datagram.length; at += Protocol.frameLength(b, at))
        {
            final int type = Protocol.frameType(b, at);
            if (type == FrameType.DELIVER)
            {
                deliver.wrap(b, at);
                out.add(new Delivery(deliver.subscriptionId(), deliver.publisherId(), deliver.sequence(),
                    b.getStringWithoutLengthUtf8(deliver.payloadIndex(), deliver.payloadLength())));
            }
            else if (type == FrameType.DELIVER_RUN)
            {
                run.wrap(b, at);
                int entry = run.firstEntryIndex();
                for (int i = 0; i < run.count(); i++)
                {
                    final int length = b.getInt(entry, Protocol.BYTE_ORDER);
                    out.add(new Delivery(run.subscriptionId(), run.publisherId(), run.firstSequence() + i,
                        b.getStringWithoutLengthUtf8(entry + DeliverRunFrame.ENTRY_HEADER_LENGTH, length)));
                    entry += DeliverRunFrame.ENTRY_HEADER_LENGTH + length;
                }
            }
        }
        return out;
    }
}
