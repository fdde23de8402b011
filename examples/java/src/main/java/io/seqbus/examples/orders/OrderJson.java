package io.seqbus.examples.orders;

/**
 * Orders as JSON text, with the JDK alone: the payload is a flat object of numbers and strings, so a
 * JSON library would be the largest thing in a service that needs none.
 */
public final class OrderJson
{
    private OrderJson()
    {
    }

    /**
     * @param order the order.
     * @return e.g. {@code {"id":42,"region":"eu","sku":"A-1","quantity":2,"priceCents":1999}}.
     */
    public static String write(final Order order)
    {
        final StringBuilder sb = new StringBuilder(96);
        sb.append("{\"id\":").append(order.id());
        sb.append(",\"region\":");
        quote(sb, order.region());
        sb.append(",\"sku\":");
        quote(sb, order.sku());
        sb.append(",\"quantity\":").append(order.quantity());
        sb.append(",\"priceCents\":").append(order.priceCents());
        return sb.append('}').toString();
    }

    /**
     * Reads the {@code id} of a JSON object written by {@link #write}, without parsing the rest: that
     * is all the consumer needs to name its work.
     *
     * @param json the payload.
     * @return the id.
     * @throws IllegalArgumentException when there is no numeric {@code "id"}.
     */
    public static long id(final String json)
    {
        final String key = "\"id\":";
        final int at = json.indexOf(key);
        int end = at + key.length();
        if (at < 0)
        {
            throw new IllegalArgumentException("no \"id\" in " + json);
        }
        while (end < json.length() && (Character.isDigit(json.charAt(end)) || json.charAt(end) == '-'))
        {
            end++;
        }
        try
        {
            return Long.parseLong(json, at + key.length(), end, 10);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("no numeric \"id\" in " + json, ex);
        }
    }

    /** A JSON string: quotes, backslashes and control characters escaped (RFC 8259, section 7). */
    static void quote(final StringBuilder sb, final String s)
    {
        sb.append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\')
            {
                sb.append('\\').append(c);
            }
            else if (c < 0x20)
            {
                sb.append(String.format("\\u%04x", (int)c));
            }
            else
            {
                sb.append(c);
            }
        }
        sb.append('"');
    }
}
