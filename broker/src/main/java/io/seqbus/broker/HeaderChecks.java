package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.net.ClientConnection;
import io.seqbus.wire.ErrorCode;
import io.seqbus.wire.HeaderBlock;
import io.seqbus.wire.Protocol;
import org.agrona.DirectBuffer;

/**
 * The broker's check of a publish's header block (SPEC.md, "Headers"), PUBLISH and PUBLISH_FDS alike: well formed,
 * within {@code max_header_bytes} and {@code max_headers}. Framing found the block fits its payload; what is inside
 * is checked here, per frame, so a bad block refuses its message only ({@code INVALID_HEADERS}, non-fatal, counted
 * with the other refusals by code). A frame without the flag costs one byte read.
 */
final class HeaderChecks
{
    private final BrokerContext context;
    private final Replies replies;
    private final HeaderBlock block = new HeaderBlock();

    HeaderChecks(final BrokerContext context, final Replies replies)
    {
        this.context = context;
        this.replies = replies;
    }

    /**
     * @param buffer       holding the frame.
     * @param frameOffset  of the frame.
     * @return the frame's {@link Protocol#FLAG_HEADERS} bit, the only flag a delivery carries on.
     */
    static int headerFlag(final DirectBuffer buffer, final int frameOffset)
    {
        return buffer.getByte(frameOffset + Protocol.FLAGS_OFFSET) & Protocol.FLAG_HEADERS;
    }

    /**
     * @param c       the publisher.
     * @param buffer  holding the frame.
     * @param payload offset of the payload: the block's start.
     * @param length  bytes of the inline payload, block included.
     * @return {@link PublishRights#ALLOWED}, or {@link PublishRights#REFUSED} / {@link PublishRights#CLOSE} once the
     * refusal is answered.
     */
    int check(final ClientConnection c, final DirectBuffer buffer, final int payload, final int length)
    {
        if (block.check(buffer, payload, length, context.maxHeaderBytes(), context.maxHeaders()) == 0)
        {
            return PublishRights.ALLOWED;
        }
        return replies.reject(c, ErrorCode.INVALID_HEADERS, 0, "header block refused: " + block.errorReason() +
            " (byte " + block.errorOffset() + " of the block)") ? PublishRights.REFUSED : PublishRights.CLOSE;
    }
}
