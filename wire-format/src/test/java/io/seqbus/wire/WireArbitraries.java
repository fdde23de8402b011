package io.seqbus.wire;

import java.nio.charset.StandardCharsets;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import io.seqbus.wire.WireModel.Bytes;
import io.seqbus.wire.WireModel.Deliver;
import io.seqbus.wire.WireModel.Err;
import io.seqbus.wire.WireModel.Frame;
import io.seqbus.wire.WireModel.Gap;
import io.seqbus.wire.WireModel.Hello;
import io.seqbus.wire.WireModel.Origin;
import io.seqbus.wire.WireModel.Ping;
import io.seqbus.wire.WireModel.Publish;
import io.seqbus.wire.WireModel.Subscribe;
import io.seqbus.wire.WireModel.Unsubscribe;
import io.seqbus.wire.WireModel.Welcome;

/**
 * Generators of random frames whose fields stay within the limits of SPEC.md.
 */
final class WireArbitraries
{
    /** Payloads up to a few KB: big enough to cross any small-buffer shortcut, small enough to run fast. */
    static final int MAX_TEST_PAYLOAD = 4096;

    private WireArbitraries()
    {
    }

    /** Unicode scalar values, most of them ASCII, with every UTF-8 length represented. */
    static Arbitrary<Integer> codePoints(final int lowestAscii)
    {
        return Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.integers().between(lowestAscii, 0x7F)),
            Tuple.of(2, Arbitraries.integers().between(0x80, 0x7FF)),
            Tuple.of(2, Arbitraries.integers().between(0x800, 0xFFFF).filter(cp -> cp < 0xD800 || cp > 0xDFFF)),
            Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10FFFF)));
    }

    /** Any UTF-8 string of at most {@code maxBytes}, control characters included. */
    static Arbitrary<String> utf8(final int maxBytes)
    {
        return codePoints(0).list().ofMaxSize(maxBytes).map(cps -> fit(cps, maxBytes));
    }

    /** A valid topic: 1..8 tokens of characters allowed in topics, at most 255 bytes. */
    static Arbitrary<String> topics()
    {
        final Arbitrary<String> tokens = tokens();
        final Arbitrary<String> usual = tokens.list().ofMinSize(1).ofMaxSize(8).map(t -> String.join(".", t));
        // One long ASCII token, so the 255-byte limit itself is exercised.
        final Arbitrary<String> longest = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(200).ofMaxLength(255);
        return Arbitraries.frequencyOf(Tuple.of(9, usual), Tuple.of(1, longest))
            .filter(t -> utf8Length(t) <= Protocol.MAX_TOPIC_LENGTH);
    }

    /** A valid pattern: like a topic, with some tokens {@code *} and maybe a trailing {@code >}. */
    static Arbitrary<String> patterns()
    {
        final Arbitrary<String> token = Arbitraries.frequencyOf(Tuple.of(3, tokens()), Tuple.of(1, Arbitraries.just("*")));
        return Combinators.combine(token.list().ofMinSize(1).ofMaxSize(8), Arbitraries.of(false, true))
            .as((t, rest) -> String.join(".", t) + (rest ? ".>" : ""))
            .filter(p -> utf8Length(p) <= Protocol.MAX_TOPIC_LENGTH);
    }

    static Arbitrary<Bytes> payloads()
    {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(MAX_TEST_PAYLOAD).map(Bytes::new);
    }

    static Arbitrary<Integer> u8()
    {
        return Arbitraries.integers().between(0, 0xFF);
    }

    static Arbitrary<Integer> u16()
    {
        return Arbitraries.integers().between(0, 0xFFFF);
    }

    static Arbitrary<Integer> u32()
    {
        return Arbitraries.integers();
    }

    static Arbitrary<Long> u64()
    {
        return Arbitraries.longs();
    }

    static Arbitrary<Hello> hellos()
    {
        return Combinators.combine(u16(), u16(), utf8(Protocol.MAX_NAME_LENGTH)).as(Hello::new);
    }

    static Arbitrary<Welcome> welcomes()
    {
        return Combinators.combine(u16(), u32(), u32(), u32(), u64(), utf8(Protocol.MAX_NAME_LENGTH))
            .as(Welcome::new);
    }

    static Arbitrary<Subscribe> subscribes()
    {
        return Combinators.combine(u32(), u8(), u32(), patterns()).as(Subscribe::new);
    }

    static Arbitrary<Unsubscribe> unsubscribes()
    {
        return u32().map(Unsubscribe::new);
    }

    static Arbitrary<Publish> publishes()
    {
        return Combinators.combine(topics(), payloads()).as(Publish::new);
    }

    static Arbitrary<Deliver> delivers()
    {
        final Arbitrary<Origin> origins = Combinators.combine(u32(), u64(), u64(), u64(), u32(), u32()).as(Origin::new);
        return Combinators.combine(u32(), origins, topics(), payloads()).as(Deliver::new);
    }

    static Arbitrary<Gap> gaps()
    {
        return Combinators.combine(u32(), u32(), u64(), u64(), u64(), u8()).as(Gap::new);
    }

    static Arbitrary<Err> errors()
    {
        return Combinators.combine(u16(), u32(), utf8(Protocol.MAX_REASON_LENGTH)).as(Err::of);
    }

    static Arbitrary<Ping> pings()
    {
        return Combinators.combine(Arbitraries.of(FrameType.PING, FrameType.PONG), u64()).as(Ping::new);
    }

    /** Frames a client sends. */
    static Arbitrary<Frame> clientFrames()
    {
        return Arbitraries.oneOf(List.of(hellos(), subscribes(), unsubscribes(), publishes(), pings()));
    }

    /** Frames a broker sends. */
    static Arbitrary<Frame> brokerFrames()
    {
        return Arbitraries.oneOf(List.of(welcomes(), delivers(), gaps(), errors(), pings()));
    }

    static int utf8Length(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static Arbitrary<String> tokens()
    {
        final Arbitrary<Integer> topicChars = codePoints(0x21).filter(
            cp -> cp != '.' && cp != '*' && cp != '>' && cp != 0x7F && (cp < 0x80 || cp > 0x9F));
        return topicChars.list().ofMinSize(1).ofMaxSize(12).map(cps -> fit(cps, Integer.MAX_VALUE));
    }

    /** The longest prefix of the code points whose UTF-8 fits in {@code maxBytes}. */
    private static String fit(final List<Integer> codePoints, final int maxBytes)
    {
        final StringBuilder sb = new StringBuilder();
        int bytes = 0;
        for (final int cp : codePoints)
        {
            final int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + n > maxBytes)
            {
                break;
            }
            bytes += n;
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }
}
