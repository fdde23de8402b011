package io.seqbus.broker.acl;

import io.seqbus.broker.route.TopicIndex;
import org.agrona.DirectBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * What one identity (uid and gid) may do, compiled once and shared by all its connections.
 * Publishing is checked per message, so it goes through a {@link TopicIndex} of the allowed
 * patterns: a repeated topic is answered from its exact-topic cache without allocating.
 */
public final class Permissions
{
    // First: the constants below use it while the class initialises.
    private static final Object MARKER = new Object();

    /** Everything allowed: the default policy {@code allow} for peers no rule names. */
    public static final Permissions ALL = new Permissions("everyone (default allow)", List.of(">"), List.of(">"));
    /** Nothing allowed: the default policy {@code deny} for peers no rule names. */
    public static final Permissions NONE = new Permissions("no rule (default deny)", List.of(), List.of());

    private final String label;
    private final boolean publishAll;
    private final TopicIndex<Object> publish = new TopicIndex<>(1024);
    private final List<String> publishPatterns;
    private final List<String> subscribePatterns;
    private final List<String[]> subscribeSplit = new ArrayList<>();
    private final TopicIndex<Object> passFds = new TopicIndex<>(1024);
    private final List<String> passFdsPatterns;
    private final List<String> groupNames;
    private final boolean requestAll;
    private final TopicIndex<Object> request = new TopicIndex<>(1024);
    private final List<String> requestPatterns;
    private final boolean replyAll;
    private final TopicIndex<Object> reply = new TopicIndex<>(1024);
    private final List<String> replyPatterns;

    /**
     * @param label     which rules these are, for messages.
     * @param publish   patterns of the topics it may publish to.
     * @param subscribe patterns it may subscribe within.
     */
    public Permissions(final String label, final List<String> publish, final List<String> subscribe)
    {
        this(label, publish, subscribe, List.of());
    }

    /**
     * @param label     which rules these are, for messages.
     * @param publish   patterns of the topics it may publish to.
     * @param subscribe patterns it may subscribe within.
     * @param passFds   patterns of the topics it may publish descriptors other than a payload memfd to.
     */
    public Permissions(
        final String label, final List<String> publish, final List<String> subscribe, final List<String> passFds)
    {
        this(label, publish, subscribe, passFds, publish, subscribe, null);
    }

    /**
     * @param label     which rules these are, for messages.
     * @param publish   patterns of the topics it may publish to.
     * @param subscribe patterns it may subscribe within.
     * @param passFds   patterns of the topics it may publish descriptors other than a payload memfd to.
     * @param request   patterns of the topics it may send requests to.
     * @param reply     patterns of the topics whose requests it may receive and answer.
     */
    public Permissions(
        final String label, final List<String> publish, final List<String> subscribe, final List<String> passFds,
        final List<String> request, final List<String> reply)
    {
        this(label, publish, subscribe, passFds, request, reply, null);
    }

    /**
     * @param label     which rules these are, for messages.
     * @param publish   patterns of the topics it may publish to.
     * @param subscribe patterns it may subscribe within.
     * @param passFds   patterns of the topics it may publish descriptors other than a payload memfd to.
     * @param request   patterns of the topics it may send requests to.
     * @param reply     patterns of the topics whose requests it may receive and answer.
     * @param groups    queue group names it may join ({@code *} or {@code >}: any), or null for any.
     */
    public Permissions(
        final String label, final List<String> publish, final List<String> subscribe, final List<String> passFds,
        final List<String> request, final List<String> reply, final List<String> groups)
    {
        this.groupNames = groups == null ? null : List.copyOf(groups);
        this.label = label;
        this.requestPatterns = List.copyOf(request);
        this.requestAll = request.contains(">");
        for (final String pattern : request)
        {
            this.request.add(pattern, MARKER);
        }
        this.replyPatterns = List.copyOf(reply);
        this.replyAll = reply.contains(">");
        for (final String pattern : reply)
        {
            this.reply.add(pattern, MARKER);
        }
        this.passFdsPatterns = List.copyOf(passFds);
        for (final String pattern : passFds)
        {
            this.passFds.add(pattern, MARKER);
        }
        this.publishPatterns = List.copyOf(publish);
        this.subscribePatterns = List.copyOf(subscribe);
        this.publishAll = publish.contains(">");
        for (final String pattern : publish)
        {
            this.publish.add(pattern, MARKER);
        }
        for (final String pattern : subscribe)
        {
            subscribeSplit.add(pattern.split("\\.", -1));
        }
    }

    /**
     * Agent thread only (the topic cache is not shared).
     *
     * @param buffer holding a valid topic.
     * @param index  of its first byte.
     * @param length of the topic.
     * @return true when some allowed publish pattern matches the topic.
     */
    public boolean mayPublish(final DirectBuffer buffer, final int index, final int length)
    {
        return publishAll || (!publishPatterns.isEmpty() && !publish.match(buffer, index, length).isEmpty());
    }

    /**
     * Whether descriptors other than a payload memfd (a pipe, a socket, an eventfd) may go with a publish to the
     * topic: only a rule's {@code pass_fds} grants it, never {@code acl.default allow}, since a descriptor hands
     * every subscriber a capability, not bytes. Agent thread only; the caller checked {@link #mayPublish} too.
     *
     * @param buffer holding a valid topic.
     * @param index  of its first byte.
     * @param length of the topic.
     * @return true when some pass_fds pattern matches the topic.
     */
    public boolean mayPassFds(final DirectBuffer buffer, final int index, final int length)
    {
        return !passFdsPatterns.isEmpty() && !passFds.match(buffer, index, length).isEmpty();
    }

    /**
     * The rules' {@code request} verb (by default what {@code publish} allows). Agent thread only.
     *
     * @param buffer holding a valid topic.
     * @param index  of its first byte.
     * @param length of the topic.
     * @return true when some allowed request pattern matches the topic.
     */
    public boolean mayRequest(final DirectBuffer buffer, final int index, final int length)
    {
        return requestAll || (!requestPatterns.isEmpty() && !request.match(buffer, index, length).isEmpty());
    }

    /**
     * The rules' {@code reply} verb (by default what {@code subscribe} allows): whether requests on the topic may be
     * delivered to it, so that it may answer them. Agent thread only.
     *
     * @param buffer holding a valid topic.
     * @param index  of its first byte.
     * @param length of the topic.
     * @return true when some allowed reply pattern matches the topic.
     */
    public boolean mayReply(final DirectBuffer buffer, final int index, final int length)
    {
        return replyAll || (!replyPatterns.isEmpty() && !reply.match(buffer, index, length).isEmpty());
    }

    /** @return the allowed request patterns. */
    public List<String> requestPatterns()
    {
        return requestPatterns;
    }

    /** @return the allowed reply patterns. */
    public List<String> replyPatterns()
    {
        return replyPatterns;
    }

    /**
     * @param pattern a valid subscription pattern.
     * @return true when the allowed subscribe patterns cover every topic it can match.
     */
    public boolean maySubscribe(final String pattern)
    {
        return PatternCover.covers(subscribeSplit, pattern.split("\\.", -1));
    }

    /**
     * The {@code group} verb (issue 19): who may join which queue groups; where the rules do not say, anyone who
     * may subscribe (the pattern is checked apart).
     *
     * @param group a valid queue group name.
     * @return true when it may join that group.
     */
    public boolean mayJoin(final String group)
    {
        return groupNames == null || groupNames.contains(group) || groupNames.contains("*") ||
            groupNames.contains(">");
    }

    /** @return the queue group names it may join, or null for any. */
    public List<String> groupNames()
    {
        return groupNames;
    }

    /** @return which rules these are, for messages. */
    public String label()
    {
        return label;
    }

    /** @return the allowed publish patterns. */
    public List<String> publishPatterns()
    {
        return publishPatterns;
    }

    /** @return the patterns of topics it may pass descriptors on. */
    public List<String> passFdsPatterns()
    {
        return passFdsPatterns;
    }

    /** @return the allowed subscribe patterns. */
    public List<String> subscribePatterns()
    {
        return subscribePatterns;
    }
}
