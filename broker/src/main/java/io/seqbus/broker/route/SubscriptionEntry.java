package io.seqbus.broker.route;

/**
 * One (pattern, subscription) entry held at the trie node of its pattern. The sequence is the order of
 * {@link TopicIndex#add(String, Object)} calls, which is the order matches are reported in.
 *
 * @param <S> subscription type.
 */
final class SubscriptionEntry<S>
{
    final S subscription;
    final long sequence;

    SubscriptionEntry(final S subscription, final long sequence)
    {
        this.subscription = subscription;
        this.sequence = sequence;
    }
}
