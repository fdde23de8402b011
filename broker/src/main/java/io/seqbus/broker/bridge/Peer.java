package io.seqbus.broker.bridge;

/**
 * Another broker as this one last saw it: an immutable snapshot, safe to hand to any thread.
 *
 * @param nodeId          its node id.
 * @param instanceId      its process instance (a restart gets a new one).
 * @param name            its node name, empty until its first ANNOUNCE.
 * @param startTimeMs     when it started, ms since the epoch (0 until announced).
 * @param lastHeardMs     when this broker last received anything from it, ms since the epoch.
 * @param state           {@code up}, {@code leaving} (stopped cleanly) or {@code lost}.
 * @param messagesIn      messages this broker took in from it.
 * @param bytesIn         payload bytes of those.
 * @param messagesLost    messages of it known lost here (bridge sequence jumps).
 * @param announcedOut    messages it says it sent to the LAN, as of its last ANNOUNCE.
 * @param announcedIn     messages it says it took in from the LAN, as of its last ANNOUNCE.
 */
public record Peer(
    int nodeId, long instanceId, String name, long startTimeMs, long lastHeardMs, String state, long messagesIn,
    long bytesIn, long messagesLost, long announcedOut, long announcedIn)
{
}
