package io.seqbus.ops;

import io.seqbus.client.Message;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code seqbus sub --format}: a printf-like template, as {@code mosquitto_sub -F}, compiled once into parts
 * that each write one field of a message. The plain output ({@code %p\n}) and {@code -v} ({@code %t %p\n}) are
 * templates too.
 */
final class PrintfFormat
{
    /**
     * The escapes, as --help shows them: picocli formats help text, so each percent sign is doubled here
     * ({@link #escapes()} gives them as typed).
     */
    static final String ESCAPES_HELP = "%%t topic, %%p payload (its bytes as published), %%x payload in hex, " +
        "%%l payload length, %%n source node, %%i publisher id, %%s sequence, %%u publisher uid, %%P publisher pid, " +
        "%%T broker time (ns since the epoch), %%U broker time (seconds.nanoseconds), %%I broker time (ISO-8601, " +
        "UTC), %%j the message as --json writes it, %%%% a percent sign; \\n newline, \\t tab, \\r carriage " +
        "return, \\0 NUL, \\\\ backslash. No newline is added: end the template with \\n.";

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @FunctionalInterface
    private interface Part
    {
        void write(Message message, OutputStream out) throws IOException;
    }

    private final List<Part> parts;
    private final JsonMessage json = new JsonMessage();
    // The payload's copy on its way to the output stream, reused: the view is valid only during the handler.
    private byte[] scratch = new byte[4096];

    private PrintfFormat(final String template)
    {
        this.parts = parse(template);
    }

    /**
     * @param template such as {@code %t %p\n}.
     * @return the compiled template.
     * @throws IllegalArgumentException naming an unknown escape.
     */
    static PrintfFormat compile(final String template)
    {
        return new PrintfFormat(template);
    }

    private List<Part> parse(final String template)
    {
        final List<Part> parts = new ArrayList<>();
        final StringBuilder literal = new StringBuilder();
        for (int i = 0; i < template.length(); i++)
        {
            final char c = template.charAt(i);
            if (c != '%' && c != '\\')
            {
                literal.append(c);
                continue;
            }
            if (i + 1 == template.length())
            {
                throw new IllegalArgumentException("--format ends with a lone '" + c + "'; write " + c + c +
                    " for the character itself");
            }
            final char e = template.charAt(++i);
            if (c == '\\')
            {
                literal.append(backslash(e));
                continue;
            }
            if (e == '%')
            {
                literal.append('%');
                continue;
            }
            flush(literal, parts);
            parts.add(field(e));
        }
        flush(literal, parts);
        return List.copyOf(parts);
    }

    /**
     * @param message the message, valid only during the handler.
     * @param out     where to write it.
     * @throws IOException when the output fails (a closed pipe).
     */
    void write(final Message message, final OutputStream out) throws IOException
    {
        for (final Part part : parts)
        {
            part.write(message, out);
        }
    }

    /**
     * @param epochNs ns since the Unix epoch.
     * @return ISO-8601 in UTC, to the nanosecond, such as {@code 2026-12-03T12:00:00.123456789Z}.
     */
    static String iso(final long epochNs)
    {
        return Instant.ofEpochSecond(Math.floorDiv(epochNs, 1_000_000_000L), Math.floorMod(epochNs, 1_000_000_000L))
            .toString();
    }

    /**
     * @return the escapes as typed in a template.
     */
    static String escapes()
    {
        return ESCAPES_HELP.replace("%%", "%");
    }

    private Part field(final char escape)
    {
        switch (escape)
        {
            case 't':
                return (m, out) -> ascii(out, m.topic());
            case 'p':
                return this::payload;
            case 'x':
                return PrintfFormat::hex;
            case 'l':
                return (m, out) -> ascii(out, Integer.toString(m.payloadLength()));
            case 'n':
                return (m, out) -> ascii(out, Integer.toUnsignedString(m.sourceNode()));
            case 'i':
                return (m, out) -> ascii(out, Long.toUnsignedString(m.publisherId()));
            case 's':
                return (m, out) -> ascii(out, Long.toString(m.sequence()));
            case 'u':
                return (m, out) -> ascii(out, Integer.toUnsignedString(m.publisherUid()));
            case 'P':
                return (m, out) -> ascii(out, Integer.toString(m.publisherPid()));
            case 'T':
                return (m, out) -> ascii(out, Long.toString(m.timestampNs()));
            case 'U':
                return (m, out) -> ascii(out, String.format("%d.%09d",
                    Math.floorDiv(m.timestampNs(), 1_000_000_000L), Math.floorMod(m.timestampNs(), 1_000_000_000L)));
            case 'I':
                return (m, out) -> ascii(out, iso(m.timestampNs()));
            case 'j':
                return (m, out) -> out.write(json.encode(m));
            default:
                throw new IllegalArgumentException("--format has an unknown escape %" + escape + "; known: " + escapes());
        }
    }

    private static char backslash(final char escape)
    {
        switch (escape)
        {
            case 'n':
                return '\n';
            case 't':
                return '\t';
            case 'r':
                return '\r';
            case '0':
                return '\0';
            case '\\':
                return '\\';
            default:
                throw new IllegalArgumentException("--format has an unknown escape \\" + escape + "; known: " + escapes());
        }
    }

    private static void flush(final StringBuilder literal, final List<Part> parts)
    {
        if (literal.length() > 0)
        {
            final byte[] bytes = literal.toString().getBytes(StandardCharsets.UTF_8);
            parts.add((m, out) -> out.write(bytes));
            literal.setLength(0);
        }
    }

    private static void ascii(final OutputStream out, final String text) throws IOException
    {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    private void payload(final Message m, final OutputStream out) throws IOException
    {
        final int length = m.payloadLength();
        if (scratch.length < length)
        {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        m.buffer().getBytes(m.payloadIndex(), scratch, 0, length);
        out.write(scratch, 0, length);
    }

    private static void hex(final Message m, final OutputStream out) throws IOException
    {
        final int length = m.payloadLength();
        final int index = m.payloadIndex();
        for (int i = 0; i < length; i++)
        {
            final int b = m.buffer().getByte(index + i) & 0xFF;
            out.write(HEX[b >>> 4]);
            out.write(HEX[b & 0xF]);
        }
    }
}
