package io.seqbus.wire;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The topic and pattern rules of SPEC.md ("Topics"), and the UTF-8 helpers they rest on.
 */
final class TopicsTest
{
    @ParameterizedTest
    @ValueSource(strings = {"orders.eu.created", "a", "café.x", "a.b.c.d", "日本.東京", "emoji.\uD83D\uDE00", "A-Z_0-9~!"})
    void validTopics(final String topic)
    {
        assertThat(Topics.isValidTopic(topic)).isTrue();
        // Every valid topic is also a valid pattern that matches only itself.
        assertThat(Topics.isValidPattern(topic)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "a..b", ".a", "a.", ".", "a.>.b", "a.*", "a.>", "*", ">", "ord*", "a*", ">a", "a b", " ", "a\tb", "a\nb",
        "a\u0000b", "a\u001Fb", "a\u007Fb"})
    void invalidTopics(final String topic)
    {
        assertThat(Topics.isValidTopic(topic)).isFalse();
    }

    /** SPEC.md, Topics: no control characters, the C1 ones (U+0080 to U+009F, NEL among them) included. */
    @ParameterizedTest
    @ValueSource(strings = {"a\u0085b", "a.\u0080", "\u009F", "a\u0090.b"})
    void c1ControlsAreNeitherTopicNorPattern(final String topic)
    {
        assertThat(Topics.isValidTopic(topic)).isFalse();
        assertThat(Topics.isValidPattern(topic + ".>")).isFalse();
    }

    /** The characters around the C1 block stay valid: U+007E below it (ASCII), U+00A0 and U+00BF above it. */
    @ParameterizedTest
    @ValueSource(strings = {"a~b", "a\u00A0b", "a\u00BFb", "\u00C2.x", "a\u0100b"})
    void charactersAroundTheC1BlockAreValid(final String topic)
    {
        assertThat(Topics.isValidTopic(topic)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a.*.c", "a.>", ">", "*", "*.*", "*.>", "orders.*.created", "café.*"})
    void validPatterns(final String pattern)
    {
        assertThat(Topics.isValidPattern(pattern)).isTrue();
        assertThat(Topics.isValidTopic(pattern)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a.>.b", ">.a", "a*", ">a", "a>", "*a", "**", ">>", "a..*", ".>", "a.", "a b.*"})
    void invalidPatterns(final String pattern)
    {
        assertThat(Topics.isValidPattern(pattern)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 254, 255})
    void topicsUpTo255BytesAreValid(final int length)
    {
        assertThat(Topics.isValidTopic("a".repeat(length))).isTrue();
        assertThat(Topics.isValidTopic("é".repeat(length / 2) + "a".repeat(length % 2))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {256, 300, 65535})
    void topicsAndPatternsOver255BytesAreInvalid(final int length)
    {
        assertThat(Topics.isValidTopic("a".repeat(length))).isFalse();
        assertThat(Topics.isValidPattern("a".repeat(length - 2) + ".>")).isFalse();
        // 128 two-byte characters: 128 chars, but 256 bytes.
        assertThat(Topics.isValidTopic("é".repeat(128))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "c0 af",       // overlong '/'
        "c1 bf",       // overlong
        "e0 80 af",    // overlong, three bytes
        "f0 80 80 af", // overlong, four bytes
        "80",          // lone continuation byte
        "bf",          // lone continuation byte
        "e2 82",       // truncated euro sign
        "e2",          // truncated at the first byte
        "f0 9f 98",    // truncated four-byte sequence
        "ed a0 80",    // encoded high surrogate U+D800
        "ed bf bf",    // encoded low surrogate U+DFFF
        "f4 90 80 80", // above U+10FFFF
        "f5 80 80 80", // never a lead byte
        "fe",
        "ff",
        "c3 28",       // lead byte followed by ASCII
    })
    void invalidUtf8IsNeitherTopicNorPattern(final String hex)
    {
        final byte[] bad = bytes(hex);
        for (final byte[] bytes : new byte[][]{bad, concat("a", bad), concat("a.", bad), concat("a.", bad, ".b".getBytes(StandardCharsets.US_ASCII))})
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            assertThat(WireStrings.isValidUtf8(buffer, 0, bytes.length)).isFalse();
            assertThat(Topics.isValidTopic(buffer, 0, bytes.length)).isFalse();
            assertThat(Topics.isValidPattern(buffer, 0, bytes.length)).isFalse();
        }
    }

    @Property
    void generatedTopicsAndPatternsAreValid(
        @ForAll("topics") final String topic, @ForAll("patterns") final String pattern)
    {
        assertThat(Topics.isValidTopic(topic)).isTrue();
        assertThat(Topics.isValidPattern(pattern)).isTrue();
    }

    @Property
    void isValidUtf8AgreesWithTheJdkDecoder(
        @ForAll("utf8ish") final byte[] bytes, @ForAll("padding") final byte[] before)
    {
        // Placed after some bytes and checked in a buffer that ends with it, so index and length are exercised.
        final byte[] placed = new byte[before.length + bytes.length];
        System.arraycopy(before, 0, placed, 0, before.length);
        System.arraycopy(bytes, 0, placed, before.length, bytes.length);

        assertThat(WireStrings.isValidUtf8(new UnsafeBuffer(placed), before.length, bytes.length))
            .isEqualTo(jdkAccepts(bytes));
    }

    @Property
    void utf8LengthAndPutUtf8AgreeWithGetBytes(@ForAll("strings") final String value)
    {
        final byte[] expected = value.getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[expected.length * 3 + 8]);

        assertThat(WireStrings.utf8Length(value)).isEqualTo(expected.length);
        assertThat(WireStrings.putUtf8(buffer, 3, value)).isEqualTo(expected.length);
        final byte[] written = new byte[expected.length];
        buffer.getBytes(3, written);
        assertThat(written).isEqualTo(expected);
    }

    @Property
    void truncateUtf8KeepsTheLongestPrefixThatFits(
        @ForAll("strings") final String value, @ForAll @IntRange(max = 64) final int maxBytes)
    {
        final String cut = WireStrings.truncateUtf8(value, maxBytes);

        assertThat(value).startsWith(cut);
        assertThat(cut.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(maxBytes);
        if (cut.length() < value.length())
        {
            // Never through a surrogate pair, and the next character would not have fitted.
            assertThat(cut.length() > 0 && Character.isLowSurrogate(value.charAt(cut.length())) &&
                Character.isHighSurrogate(value.charAt(cut.length() - 1))).isFalse();
            final int next = cut.length() + Character.charCount(value.codePointAt(cut.length()));
            assertThat(value.substring(0, next).getBytes(StandardCharsets.UTF_8).length).isGreaterThan(maxBytes);
        }
    }

    @Provide
    Arbitrary<String> topics()
    {
        return WireArbitraries.topics();
    }

    @Provide
    Arbitrary<String> patterns()
    {
        return WireArbitraries.patterns();
    }

    /** Byte arrays rich in the bytes that decide UTF-8 validity, plus valid text to damage. */
    @Provide
    Arbitrary<byte[]> utf8ish()
    {
        final Arbitrary<Byte> interesting = Arbitraries.of(
            (byte)0x00, (byte)0x41, (byte)0x7F, (byte)0x80, (byte)0x8F, (byte)0x90, (byte)0x9F, (byte)0xA0,
            (byte)0xBF, (byte)0xC0, (byte)0xC1, (byte)0xC2, (byte)0xDF, (byte)0xE0, (byte)0xE1, (byte)0xED,
            (byte)0xEE, (byte)0xEF, (byte)0xF0, (byte)0xF1, (byte)0xF4, (byte)0xF5, (byte)0xF8, (byte)0xFF);
        final Arbitrary<Byte> anyByte = Arbitraries.bytes();
        final Arbitrary<byte[]> mixed = Arbitraries.frequencyOf(Tuple.of(3, interesting), Tuple.of(1, anyByte))
            .array(byte[].class).ofMaxSize(16);
        final Arbitrary<byte[]> text = WireArbitraries.utf8(64).map(s -> s.getBytes(StandardCharsets.UTF_8));
        final Arbitrary<byte[]> damagedText = Combinators.combine(text, mixed, Arbitraries.integers())
            .as((t, m, at) ->
            {
                final int where = t.length == 0 ? 0 : Math.floorMod(at, t.length);
                return concat("", Arrays.copyOf(t, where), m, Arrays.copyOfRange(t, where, t.length));
            });
        return Arbitraries.oneOf(mixed, text, damagedText);
    }

    @Provide
    Arbitrary<byte[]> padding()
    {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(4);
    }

    /** Strings of random UTF-16 code units: surrogate pairs, and lone surrogates too. */
    @Provide
    Arbitrary<String> strings()
    {
        final Arbitrary<String> pairs = Arbitraries.integers().between(0x10000, 0x10FFFF)
            .map(cp -> new String(Character.toChars(cp)));
        final Arbitrary<String> lone = Arbitraries.chars().range('\uD800', '\uDFFF').map(String::valueOf);
        final Arbitrary<String> bmp = Arbitraries.chars().range('\u0000', '\uFFFF').map(String::valueOf);
        final Arbitrary<String> ascii = Arbitraries.chars().range('\u0000', '\u007F').map(String::valueOf);
        return Arbitraries.frequencyOf(Tuple.of(4, ascii), Tuple.of(3, bmp), Tuple.of(3, pairs), Tuple.of(1, lone))
            .list().ofMaxSize(40).map(parts -> String.join("", parts));
    }

    private static boolean jdkAccepts(final byte[] bytes)
    {
        try
        {
            StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes));
            return true;
        }
        catch (final CharacterCodingException ex)
        {
            return false;
        }
    }

    private static byte[] bytes(final String hex)
    {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    private static byte[] concat(final String ascii, final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
