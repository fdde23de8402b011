package io.seqbus.client;

/**
 * Outcome of {@link BusClient#tryPublish}.
 */
public enum PublishResult
{
    /** The frame was written to the socket or added to the outbound batch; it will be sent. */
    OK,
    /** Connected, but the socket is full and the batch has no room: nothing was taken, try again. */
    BACK_PRESSURED,
    /** Not connected and the batch has no room: nothing was taken; the client is reconnecting. */
    DISCONNECTED,
    /**
     * The broker refused a recent publish to this topic (ACCESS_DENIED): nothing was taken. The client believes
     * a refusal for {@link ClientOptions#refusalTtl()}, then asks the broker again; {@link BusClient#refusal}
     * gives the error.
     */
    DENIED
}
