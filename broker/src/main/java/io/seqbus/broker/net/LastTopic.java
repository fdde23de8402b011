package io.seqbus.broker.net;

import io.seqbus.wire.Bytes;
import io.seqbus.wire.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The topic a connection last published to and was allowed: a publisher mostly sends to one topic, so its next
 * publish there is checked by one comparison of the bytes instead of the topic rules, the limit and the ACL again
 * (the broker's biggest cost per message before it: a third of the agent's samples). Valid for the rules and the
 * limit it was allowed under: a reload that changes either makes it miss.
 */
public final class LastTopic
{
    private final UnsafeBuffer bytes = new UnsafeBuffer(new byte[Protocol.MAX_TOPIC_LENGTH]);
    private int length;
    private Object rules;
    private int maxTopicLength;

    /**
     * @return true when this topic was allowed last time, under the same rules and limit.
     */
    public boolean matches(final DirectBuffer buffer, final int index, final int topicLength, final Object rules,
        final int maxTopicLength)
    {
        return topicLength == length && rules == this.rules && maxTopicLength == this.maxTopicLength &&
            Bytes.equal(buffer, index, bytes, 0, topicLength);
    }

    /** Remembers a topic that was just allowed. */
    public void allowed(final DirectBuffer buffer, final int index, final int topicLength, final Object rules,
        final int maxTopicLength)
    {
        if (topicLength > 0 && topicLength <= bytes.capacity())
        {
            buffer.getBytes(index, bytes, 0, topicLength);
            this.length = topicLength;
            this.rules = rules;
            this.maxTopicLength = maxTopicLength;
        }
    }
}
