package io.seqbus.client;

/**
 * What the broker said about the service patterns (headers, requests, queue groups; issue 19) in its WELCOME's
 * service trailer. A connection to a broker that sent none holds no instance: every service call then fails at once
 * ({@link #unsupported}) instead of sending frames an older broker would take for a protocol violation.
 *
 * @param maxHeaderBytes      largest header block the broker accepts, bytes.
 * @param maxHeaders          most entries in one header block.
 * @param maxRequestTimeoutMs longest timeout a request may ask for, ms.
 */
record ServiceLimits(int maxHeaderBytes, int maxHeaders, long maxRequestTimeoutMs)
{
    /**
     * @param what   the call, for the message ("request", "headers", "a queue group").
     * @param socket the broker's socket path, for the message.
     * @return the failure for a broker that did not announce the service patterns.
     */
    static BusException unsupported(final String what, final String socket)
    {
        return new BusException("the seqbus broker at " + socket + " does not support " + what +
            " (its WELCOME had no service trailer: it predates them); upgrade the broker");
    }
}
