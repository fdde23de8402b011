package io.seqbus.wire;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Printable}: what a peer chose can neither forge a log line nor hide the bytes it sent.
 */
final class PrintableTest
{
    @Test
    void controlCharactersShowAsEscapesAndTheRestStays()
    {
        assertThat(Printable.of("svc\nFAKE LINE\u001b[2J\u007f\u0085ok"))
            .isEqualTo("svc\\x0aFAKE LINE\\x1b[2J\\x7f\\x85ok");
        assertThat(Printable.of("café 日本")).isEqualTo("café 日本");
    }

    @Test
    void wellFormedBytesReadAsTextWithControlsEscaped()
    {
        assertThat(quote("orders.café\t*".getBytes(StandardCharsets.UTF_8))).isEqualTo("orders.café\\x09*");
    }

    @Test
    void malformedBytesShowEveryByteOutsideAscii()
    {
        assertThat(quote(new byte[] {'a', (byte)0xC3, '.', (byte)0xFF, 0x01})).isEqualTo("a\\xc3.\\xff\\x01");
    }

    @Test
    void longTextIsCutAndSaysSo()
    {
        assertThat(quote("x".repeat(Printable.QUOTE_CHARS).getBytes(StandardCharsets.US_ASCII)))
            .isEqualTo("x".repeat(Printable.QUOTE_CHARS));
        assertThat(quote("x".repeat(Printable.QUOTE_CHARS + 1).getBytes(StandardCharsets.US_ASCII)))
            .isEqualTo("x".repeat(Printable.QUOTE_CHARS) + "...");
    }

    private static String quote(final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[bytes.length + 4]);
        buffer.putBytes(2, bytes);
        return Printable.quote(buffer, 2, bytes.length);
    }
}
