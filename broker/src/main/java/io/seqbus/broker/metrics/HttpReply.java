package io.seqbus.broker.metrics;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 response, always ending the connection ({@code Connection: close}): with no keep-alive
 * there is no idle connection to watch between requests and no pipelining to get wrong.
 *
 * @param status      the status code.
 * @param contentType the body's media type.
 * @param body        the body; a HEAD request gets its length but not its bytes.
 */
record HttpReply(int status, String contentType, String body)
{
    /**
     * @param status the status code.
     * @param body   plain text.
     * @return a plain text reply.
     */
    static HttpReply text(final int status, final String body)
    {
        return new HttpReply(status, "text/plain; charset=utf-8", body);
    }

    /**
     * @param withBody false for a HEAD request.
     * @return the bytes to send, ready to be written.
     */
    ByteBuffer encode(final boolean withBody)
    {
        final byte[] content = body.getBytes(StandardCharsets.UTF_8);
        final StringBuilder head = new StringBuilder(160)
            .append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n")
            .append("Content-Type: ").append(contentType).append("\r\n")
            .append("Content-Length: ").append(content.length).append("\r\n")
            .append("Connection: close\r\n");
        if (status == 405)
        {
            head.append("Allow: GET, HEAD\r\n");
        }
        head.append("\r\n");
        final byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer bytes = ByteBuffer.allocate(headBytes.length + (withBody ? content.length : 0));
        bytes.put(headBytes);
        if (withBody)
        {
            bytes.put(content);
        }
        return bytes.flip();
    }

    private static String reason(final int status)
    {
        return switch (status)
        {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "Status " + status;
        };
    }
}
