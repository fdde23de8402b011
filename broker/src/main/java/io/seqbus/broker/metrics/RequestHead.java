package io.seqbus.broker.metrics;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Collects one HTTP/1.x request head (request line and headers, up to the blank line) in a fixed buffer
 * and reads the request line from it. Header fields are never interpreted, as no route needs one, so
 * nothing a client puts there costs more than the buffer.
 */
final class RequestHead
{
    /** Longest head accepted, bytes: 431 beyond it, or 400 when not even the request line fits. */
    static final int MAX_BYTES = 8192;

    private final ByteBuffer buffer = ByteBuffer.allocate(MAX_BYTES);
    // Where the search for the blank line resumes: a head that arrives a byte at a time is scanned once
    // in all, not once per byte.
    private int scanned;

    /**
     * What a request asks for.
     *
     * @param method GET or HEAD.
     * @param path   the target's path, without query or fragment.
     */
    record Request(String method, String path)
    {
        boolean isHead()
        {
            return "HEAD".equals(method);
        }
    }

    /**
     * @return the buffer to read into; its position is how much has arrived.
     */
    ByteBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return the request once its head is complete, or null while more is needed.
     * @throws HttpError when the head is too long or malformed, or the method is not GET or HEAD.
     */
    Request parse() throws HttpError
    {
        final byte[] bytes = buffer.array();
        final int length = buffer.position();
        final int end = endOfHead(bytes, length);
        if (end < 0)
        {
            if (length < MAX_BYTES)
            {
                return null;
            }
            throw lineEnd(bytes, length) < 0 ?
                new HttpError(400, "request line longer than " + MAX_BYTES + " bytes") :
                new HttpError(431, "request head longer than " + MAX_BYTES + " bytes");
        }
        int lineEnd = lineEnd(bytes, end);
        if (lineEnd > 0 && bytes[lineEnd - 1] == '\r')
        {
            lineEnd--;
        }
        return requestLine(new String(bytes, 0, lineEnd, StandardCharsets.ISO_8859_1));
    }

    private int endOfHead(final byte[] bytes, final int length)
    {
        // The head ends at an empty line: LF CR LF, or LF LF from a lenient client.
        for (int i = Math.max(0, scanned - 2); i < length; i++)
        {
            if (bytes[i] == '\n')
            {
                if (i + 1 < length && bytes[i + 1] == '\n')
                {
                    return i + 2;
                }
                if (i + 2 < length && bytes[i + 1] == '\r' && bytes[i + 2] == '\n')
                {
                    return i + 3;
                }
            }
        }
        scanned = length;
        return -1;
    }

    private static int lineEnd(final byte[] bytes, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (bytes[i] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    private static Request requestLine(final String line) throws HttpError
    {
        final String[] parts = line.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || !parts[2].matches("HTTP/1\\.[0-9]"))
        {
            throw new HttpError(400, "malformed request line; expected: METHOD TARGET HTTP/1.1");
        }
        if (!"GET".equals(parts[0]) && !"HEAD".equals(parts[0]))
        {
            throw new HttpError(405, "method " + parts[0] + " not allowed; allowed: GET, HEAD");
        }
        return new Request(parts[0], path(parts[1]));
    }

    private static String path(final String target) throws HttpError
    {
        String path = target;
        if (target.regionMatches(true, 0, "http://", 0, 7))
        {
            // absolute-form, as sent to a proxy: the server must accept it too (RFC 9112 3.2.2)
            final int slash = target.indexOf('/', 7);
            path = slash < 0 ? "/" : target.substring(slash);
        }
        if (!path.startsWith("/"))
        {
            throw new HttpError(400, "malformed request target; expected a path such as /metrics");
        }
        final int query = indexOfAny(path, '?', '#');
        return query < 0 ? path : path.substring(0, query);
    }

    private static int indexOfAny(final String text, final char a, final char b)
    {
        final int i = text.indexOf(a);
        final int j = text.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }
}
