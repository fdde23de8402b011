package io.seqbus.broker.metrics;

import java.net.InetSocketAddress;

/**
 * The {@code metrics} setting parsed: {@code HOST:PORT} ({@code [v6]:PORT} too), or {@code off}.
 */
public final class MetricsEndpoint
{
    private MetricsEndpoint()
    {
    }

    /**
     * @param value HOST:PORT, port 0 meaning any free port, or {@code off}.
     * @return the unresolved address, or null for {@code off}.
     * @throws IllegalArgumentException naming the value and what is allowed.
     */
    public static InetSocketAddress parse(final String value)
    {
        final String text = value == null ? "" : value.trim();
        if ("off".equalsIgnoreCase(text))
        {
            return null;
        }
        final int colon = text.lastIndexOf(':');
        String host = colon > 0 ? text.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        int port = -1;
        try
        {
            port = colon > 0 ? Integer.parseInt(text.substring(colon + 1)) : -1;
        }
        catch (final NumberFormatException ignore)
        {
            // reported below with what is allowed
        }
        if (host.isEmpty() || port < 0 || port > 65535)
        {
            throw new IllegalArgumentException(
                "seqbus.metrics=" + value + " is not valid; allowed: HOST:PORT (port 0..65535, 0: any free port) or off");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }
}
