package io.seqbus.wire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import io.seqbus.wire.FrameValidator.Direction;
import io.seqbus.wire.WireModel.Bytes;
import io.seqbus.wire.WireModel.Deliver;
import io.seqbus.wire.WireModel.DeliverFds;
import io.seqbus.wire.WireModel.Fds;
import io.seqbus.wire.WireModel.PublishFds;
import io.seqbus.wire.WireModel.WelcomeDescriptors;
import io.seqbus.wire.WireModel.Err;
import io.seqbus.wire.WireModel.Frame;
import io.seqbus.wire.WireModel.Gap;
import io.seqbus.wire.WireModel.Announce;
import io.seqbus.wire.WireModel.Auth;
import io.seqbus.wire.WireModel.Hello;
import io.seqbus.wire.WireModel.Node;
import io.seqbus.wire.WireModel.Origin;
import io.seqbus.wire.WireModel.Ping;
import io.seqbus.wire.WireModel.Publish;
import io.seqbus.wire.WireModel.StatReply;
import io.seqbus.wire.WireModel.StatRequest;
import io.seqbus.wire.WireModel.Subscribe;
import io.seqbus.wire.WireModel.Unsubscribe;
import io.seqbus.wire.WireModel.Welcome;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The test vectors of SPEC.md, read from SPEC.md itself so the document and the code cannot
 * drift apart: every datagram validates, decodes to the values its row states, and re-encodes
 * to the same bytes; every refused datagram gets the code its row states.
 *
 * <p>The expected values are written out here, not parsed from the "fields" column, and the
 * column's text is compared too: a change to either table fails until this test follows it.
 */
final class SpecVectorsTest
{
    /** Surefire runs in the module directory, where SPEC.md lives. */
    private static final Path SPEC = Path.of("SPEC.md");
    private static final String SECTION = "## Test vectors";

    private record Expected(String fields, int descriptors, List<Frame> frames)
    {
    }

    private record Row(String name, String fields, int descriptors, byte[] bytes)
    {
    }

    private record Refusal(String name, byte[] bytes, int code, String codeName)
    {
    }

    private static final Map<String, Expected> VALID = new LinkedHashMap<>();
    private static final Map<String, Integer> REFUSED = new LinkedHashMap<>();
    /** The key of the LAN AUTH vector, as its fields column gives it. */
    private static final String AUTH_KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    private static final String AUTH_TAG = "7c6080fc98618045101970fb3f2a2768";

    static
    {
        final Origin origin = new Origin(
            0x0A0B0C0D, 0x0000000100000002L, 1, 1700000000000000000L, 1000, 4242);

        valid("HELLO", "versions 1..1, flags 0, name `py`", new Hello(1, 1, "py"));
        valid("HELLO SESSION", "versions 1..1, flags 1, name `py`, session 0x1122334455667788, next sequence 42",
            new WireModel.HelloSession(1, 1, "py", 0x1122334455667788L, 42));
        valid("WELCOME",
            "version 1, max_payload 65536, max_datagram 131072, node 0x0A0B0C0D, publisher 0x0000000100000002, " +
            "node `h1`",
            new Welcome(1, 65536, 131072, 0x0A0B0C0D, 0x0000000100000002L, "h1"));
        valid("SUBSCRIBE", "id 7, policy 0, max_queue_bytes 0, pattern `orders.*.created`",
            new Subscribe(7, 0, 0, "orders.*.created"));
        valid("UNSUBSCRIBE", "id 7", new Unsubscribe(7));
        valid("SUBSCRIBE GROUP", "flags 2, id 7, policy 0, max_queue_bytes 0, pattern `orders.>`, group `workers`",
            new WireModel.SubscribeGroup(7, 0, 0, "orders.>", "workers"));
        valid("PUBLISH", "topic `orders.eu.created`, payload `hi`", new Publish("orders.eu.created", ascii("hi")));
        valid("DELIVER",
            "sub 7, node 0x0A0B0C0D, publisher 0x0000000100000002, sequence 1, timestamp 1700000000000000000, " +
            "uid 1000, pid 4242, topic `a.b`, payload `xyz`",
            new Deliver(7, origin, "a.b", ascii("xyz")));
        valid("DELIVER_RUN",
            "sub 7, node 0x0A0B0C0D, publisher 0x0000000100000002, first sequence 5, timestamp 1700000000000000000, " +
            "uid 1000, pid 4242, topic `a.b`, payloads `xy` then `z`",
            new WireModel.DeliverRun(7, new Origin(0x0A0B0C0D, 0x0000000100000002L, 5, 1700000000000000000L, 1000, 4242),
                "a.b", java.util.List.of(ascii("xy"), ascii("z"))));
        valid("GAP", "sub 7, node 0x0A0B0C0D, publisher 0x0000000100000002, from 5, count 3, reason 1",
            new Gap(7, 0x0A0B0C0D, 0x0000000100000002L, 5, 3, GapReason.DROPPED_OLDEST));
        valid("ERROR", "code 7, not fatal, ref 0, reason `bad topic`",
            new Err(ErrorCode.INVALID_TOPIC, false, 0, "bad topic"));
        valid("PING", "token 0x0102030405060708", new Ping(FrameType.PING, 0x0102030405060708L));
        valid("PONG", "token 0x0102030405060708", new Ping(FrameType.PONG, 0x0102030405060708L));
        valid("STAT_REQUEST", "stat_flags 0, request 7", new StatRequest(0, 7));
        valid("STAT_REPLY", "request 7, total_length 2, chunk_offset 0, chunk `{}`",
            new StatReply(7, 2, 0, ascii("{}")));
        valid("BATCH", "two PUBLISH frames in one datagram: `a.b` `1`, then `a.b` `2`",
            new Publish("a.b", ascii("1")), new Publish("a.b", ascii("2")));
        validWithDescriptors("PUBLISH_FDS MEMFD", 1,
            "topic `a.b`, fd_count 1, fd_flags 1, payload_size 0x100000, no inline payload",
            new PublishFds("a.b", new Fds(1, PublishFdsFrame.MEMFD_PAYLOAD, 0x100000), ascii("")));
        validWithDescriptors("PUBLISH_FDS PLAIN", 2, "topic `a.b`, fd_count 2, fd_flags 0, payload_size 0, payload `hi`",
            new PublishFds("a.b", new Fds(2, 0, 0), ascii("hi")));
        validWithDescriptors("DELIVER_FDS", 1,
            "sub 7, node 0x0A0B0C0D, publisher 0x0000000100000002, sequence 1, timestamp 1700000000000000000, " +
            "uid 1000, pid 4242, fd_count 1, fd_flags 1, payload_size 0x100000, topic `a.b`, no inline payload",
            new DeliverFds(7, origin, new Fds(1, PublishFdsFrame.MEMFD_PAYLOAD, 0x100000), "a.b", ascii("")));
        valid("WELCOME DESCRIPTORS",
            "as the WELCOME vector, then max_descriptors_per_message 8, max_descriptors_per_datagram 64, " +
            "max_memfd_size 1073741824",
            new WelcomeDescriptors(new Welcome(1, 65536, 131072, 0x0A0B0C0D, 0x0000000100000002L, "h1"), 8, 64,
                1L << 30));
        valid("WELCOME SERVICES",
            "as the WELCOME vector, then max_header_bytes 4096, max_headers 32, max_request_timeout_ms 60000",
            new WireModel.WelcomeServices(new Welcome(1, 65536, 131072, 0x0A0B0C0D, 0x0000000100000002L, "h1"),
                4096, 32, 60000));
        valid("WELCOME DESCRIPTORS SERVICES",
            "as the WELCOME DESCRIPTORS vector, then max_header_bytes 4096, max_headers 32, max_request_timeout_ms 60000",
            new WireModel.WelcomeServices(new WelcomeDescriptors(
                new Welcome(1, 65536, 131072, 0x0A0B0C0D, 0x0000000100000002L, "h1"), 8, 64, 1L << 30),
                4096, 32, 60000));
        validWithDescriptors("SHM_READY", 3,
            "to_client_capacity 1048576, from_client_capacity 1048576, size 2101248",
            new WireModel.ShmReady(1 << 20, 1 << 20, 4096 + (2L << 20)));
        valid("SHM_ATTACH", "reserved 0", new WireModel.ShmAttach());
        validWithDescriptors("SHM_FDS", 2, "fd_count 2, reserved 0", new WireModel.ShmFds(2));
        valid("LAN DELIVER",
            "NODE node 0x0A0B0C0D, instance 0x1122334455667788, sequence 1; DELIVER sub 0, otherwise as the DELIVER " +
            "vector",
            new Node(0x0A0B0C0D, 0x1122334455667788L, 1), new Deliver(0, origin, "a.b", ascii("xyz")));
        valid("LAN ANNOUNCE",
            "NODE node 0x0A0B0C0D, instance 0x1122334455667788, sequence 2; ANNOUNCE start 1700000000000, " +
            "out 1 message 3 bytes, in 0 0, state 1, node `h1`",
            new Node(0x0A0B0C0D, 0x1122334455667788L, 2),
            new Announce(1700000000000L, 1, 3, 0, 0, AnnounceFrame.STATE_UP, "h1"));
        valid("LAN GROUPS",
            "NODE node 0x0A0B0C0D, instance 0x1122334455667788, sequence 3; GROUPS 1 entry: 2 members of `workers` " +
            "on `orders.>`",
            new Node(0x0A0B0C0D, 0x1122334455667788L, 3),
            new WireModel.GroupsAnnounced(List.of(new GroupsFrame.Entry("workers", "orders.>", 2))));
        valid("LAN AUTH",
            "the LAN DELIVER datagram, then AUTH with key `" + AUTH_KEY + "`: tag = HMAC-SHA256 of the 96 bytes " +
            "before it, first 16 bytes",
            new Node(0x0A0B0C0D, 0x1122334455667788L, 1), new Deliver(0, origin, "a.b", ascii("xyz")),
            new Auth(new Bytes(HexFormat.of().parseHex(AUTH_TAG))));
        requestVectors(origin);

        REFUSED.put("three bytes of garbage", ErrorCode.TRUNCATED_FRAME);
        REFUSED.put("frame_length 14, datagram 13 bytes", ErrorCode.TRUNCATED_FRAME);
        REFUSED.put("frame_length 4", ErrorCode.BAD_FRAME_LENGTH);
        REFUSED.put("PING with 4 extra bytes", ErrorCode.BAD_FRAME_LENGTH);
        REFUSED.put("PUBLISH whose topic_length runs past the frame", ErrorCode.BAD_FRAME_LENGTH);
        REFUSED.put("HELLO with `SESSION` but no session trailer", ErrorCode.BAD_FRAME_LENGTH);
        REFUSED.put("unknown type 0x7f", ErrorCode.UNKNOWN_FRAME_TYPE);
        REFUSED.put("flags not 0", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("DELIVER sent by a client", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("STAT_REPLY sent by a client", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("NODE sent by a client", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("AUTH sent by a client", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("PUBLISH_FDS with fd_count 0", ErrorCode.BAD_FRAME_LENGTH);
        REFUSED.put("PUBLISH_FDS with fd_flags bit 1 set", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("PUBLISH_FDS with inline bytes beside `MEMFD_PAYLOAD`", ErrorCode.BAD_FRAME_LENGTH);
        REFUSED.put("DELIVER_FDS sent by a client", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("PUBLISH_FDS without its descriptor", ErrorCode.DESCRIPTOR_MISMATCH);
        REFUSED.put("SHM_READY sent by a client", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("SUBSCRIBE GROUP whose group_length runs past the frame", ErrorCode.BAD_FRAME_LENGTH);
        REFUSED.put("SUBSCRIBE GROUP without group_length", ErrorCode.BAD_FRAME_LENGTH);
        REFUSED.put("SUBSCRIBE with flag bit 2", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("REPLY shorter than its token", ErrorCode.BAD_FRAME_LENGTH);
        REFUSED.put("DELIVER_REQUEST sent by a client", ErrorCode.PROTOCOL_VIOLATION);
        REFUSED.put("RESPONSE sent by a client", ErrorCode.PROTOCOL_VIOLATION);
    }

    // Requests and replies (issue 19): their rows follow the LAN vectors in SPEC.md.
    private static void requestVectors(final Origin origin)
    {
        valid("REQUEST", "request 7, timeout_ms 2000, topic `svc.price`, payload `hi`",
            new WireModel.Request(7, 2000, "svc.price", ascii("hi")));
        valid("DELIVER_REQUEST",
            "sub 7, node 0x0A0B0C0D, publisher 0x0000000100000002, sequence 1, timestamp 1700000000000000000, " +
            "uid 1000, pid 4242, reply_token 0x0A0B0C0D00000105, topic `a.b`, payload `xyz`",
            new WireModel.DeliverRequest(7, origin, 0x0A0B0C0D00000105L, "a.b", ascii("xyz")));
        valid("REPLY", "reply_token 0x0A0B0C0D00000105, payload `ok`",
            new WireModel.Reply(0x0A0B0C0D00000105L, ascii("ok")));
        valid("RESPONSE",
            "request 7, status 0 REPLIED, replier node 0x0A0B0C0D, uid 1000, pid 4242, timestamp 1700000000000000000, " +
            "payload `ok`",
            new WireModel.Response(7, ResponseFrame.REPLIED, 0x0A0B0C0D, 1000, 4242, 1700000000000000000L,
                ascii("ok")));
        valid("RESPONSE NO_RESPONDERS", "request 7, status 1 NO_RESPONDERS",
            new WireModel.Response(7, ResponseFrame.NO_RESPONDERS, 0, 0, 0, 0, ascii("")));
        valid("LAN LAN_REPLY",
            "NODE node 0x0A0B0C0D, instance 0x1122334455667788, sequence 4; LAN_REPLY target 0x01020304, replier " +
            "node 0x0A0B0C0D, reply_token 0x0102030400000105, uid 1000, pid 4242, timestamp 1700000000000000000, " +
            "payload `ok`",
            new Node(0x0A0B0C0D, 0x1122334455667788L, 4),
            new WireModel.LanReply(0x01020304, 0x0102030400000105L, 0x0A0B0C0D, 1000, 4242, 1700000000000000000L,
                ascii("ok")));
    }

    private static List<Row> validRows;
    private static List<Refusal> refusedRows;

    @BeforeAll
    static void readSpec() throws IOException
    {
        assertThat(SPEC).as("SPEC.md must be in the module directory (%s)", SPEC.toAbsolutePath()).isRegularFile();
        final List<String> lines = Files.readAllLines(SPEC, StandardCharsets.UTF_8);
        final int section = lines.indexOf(SECTION);
        assertThat(section).as("SPEC.md has no '%s' section", SECTION).isGreaterThanOrEqualTo(0);

        final List<List<String[]>> tables = tables(lines.subList(section + 1, lines.size()));
        assertThat(tables).as("two tables under '%s'", SECTION).hasSizeGreaterThanOrEqualTo(2);
        assertThat(tables.get(0).get(0)).containsExactly("name", "fields", "descriptors attached", "hex");
        assertThat(tables.get(1).get(0)).containsExactly("case", "hex", "code");

        validRows = new ArrayList<>();
        for (final String[] cells : tables.get(0).subList(1, tables.get(0).size()))
        {
            validRows.add(new Row(cells[0], cells[1], Integer.parseInt(cells[2]), hex(cells[3])));
        }

        refusedRows = new ArrayList<>();
        for (final String[] cells : tables.get(1).subList(1, tables.get(1).size()))
        {
            // "1 `TRUNCATED_FRAME`": the number, then the name in backticks.
            final String[] code = cells[2].split("\\s+", 2);
            refusedRows.add(new Refusal(cells[0], datagram(cells[1]), Integer.parseInt(code[0]), unquote(code[1])));
        }
    }

    @Test
    void everyVectorOfTheSpecIsCheckedAndNoOther()
    {
        assertThat(validRows).extracting(Row::name).containsExactlyElementsOf(VALID.keySet());
        assertThat(refusedRows).extracting(Refusal::name).containsExactlyElementsOf(REFUSED.keySet());
    }

    /**
     * The AUTH vector's tag is what the JDK's own HMAC-SHA256 makes with the stated key over the bytes before the
     * tag, and those bytes are the LAN DELIVER vector plus the AUTH header.
     */
    @Test
    void authVectorTagIsTheHmacOfEverythingBeforeIt() throws Exception
    {
        final byte[] signed = row("LAN AUTH").bytes();
        final byte[] lanDeliver = row("LAN DELIVER").bytes();
        final int tagAt = signed.length - AuthFrame.TAG_LENGTH;
        assertThat(tagAt).isEqualTo(lanDeliver.length + AuthFrame.TAG_OFFSET).isEqualTo(96);
        assertThat(Arrays.copyOf(signed, lanDeliver.length)).isEqualTo(lanDeliver);

        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(HexFormat.of().parseHex(AUTH_KEY), "HmacSHA256"));
        mac.update(signed, 0, tagAt);
        final byte[] tag = Arrays.copyOf(mac.doFinal(), AuthFrame.TAG_LENGTH);
        assertThat(HexFormat.of().formatHex(tag)).isEqualTo(HexFormat.of().formatHex(signed, tagAt, signed.length));
        assertThat(AuthFrame.endsWithAuth(new UnsafeBuffer(signed), 0, signed.length)).isTrue();
        assertThat(AuthFrame.endsWithAuth(new UnsafeBuffer(lanDeliver), 0, lanDeliver.length)).isFalse();
    }

    @Test
    void authOnlyLastOnTheLan()
    {
        final byte[] signed = row("LAN AUTH").bytes();
        final byte[] lanDeliver = row("LAN DELIVER").bytes();
        final byte[] authFirst = new byte[signed.length];
        final int authLength = signed.length - lanDeliver.length;
        final int nodeLength = NodeFrame.LENGTH;
        // NODE, AUTH, DELIVER: the AUTH frame moved before the DELIVER.
        System.arraycopy(signed, 0, authFirst, 0, nodeLength);
        System.arraycopy(signed, lanDeliver.length, authFirst, nodeLength, authLength);
        System.arraycopy(signed, nodeLength, authFirst, nodeLength + authLength, lanDeliver.length - nodeLength);
        final FrameValidator validator = new FrameValidator(Direction.ON_LAN);
        assertThat(validator.validate(new UnsafeBuffer(authFirst), 0, authFirst.length))
            .isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        assertThat(validator.errorOffset()).isEqualTo(nodeLength);
        assertThat(validator.validate(new UnsafeBuffer(signed), 0, signed.length)).isZero();
        assertThat(validator.lastFrameOffset()).isEqualTo(lanDeliver.length);
    }

    private static Row row(final String name)
    {
        return validRows.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    @TestFactory
    Stream<DynamicTest> validDatagrams()
    {
        return validRows.stream().map(row -> DynamicTest.dynamicTest(row.name(), () -> checkValid(row)));
    }

    @TestFactory
    Stream<DynamicTest> refusedDatagrams()
    {
        return refusedRows.stream().map(row -> DynamicTest.dynamicTest(row.name(), () -> checkRefused(row)));
    }

    private static void checkValid(final Row row)
    {
        final Expected expected = VALID.get(row.name());
        assertThat(expected).as("no expectation for vector %s", row.name()).isNotNull();
        assertThat(row.fields()).as("fields column of %s", row.name()).isEqualTo(expected.fields());
        assertThat(row.descriptors()).as("descriptors column of %s", row.name()).isEqualTo(expected.descriptors());

        // An exact-size buffer: a read past the datagram throws instead of passing unnoticed.
        final UnsafeBuffer datagram = new UnsafeBuffer(row.bytes());
        final boolean fromClient = expected.frames().stream().allMatch(f -> FrameType.isSentByClient(f.type()));
        final boolean fromBroker = expected.frames().stream().allMatch(f -> FrameType.isSentByBroker(f.type()));
        final boolean onLan = expected.frames().get(0).type() == FrameType.NODE &&
            expected.frames().stream().allMatch(f -> FrameType.isSentOnLan(f.type()));
        assertThat(fromClient || fromBroker || onLan).isTrue();
        final int fds = row.descriptors();
        assertThat(validate(Direction.FROM_CLIENT, datagram, fds))
            .isEqualTo(fromClient ? 0 : ErrorCode.PROTOCOL_VIOLATION);
        assertThat(validate(Direction.FROM_BROKER, datagram, fds))
            .isEqualTo(fromBroker ? 0 : ErrorCode.PROTOCOL_VIOLATION);
        assertThat(validate(Direction.ON_LAN, datagram, fds))
            .isEqualTo(onLan ? 0 : ErrorCode.PROTOCOL_VIOLATION);
        if (fds > 0)
        {
            assertThat(validate(fromClient ? Direction.FROM_CLIENT : Direction.FROM_BROKER, datagram, fds - 1))
                .as("one descriptor short").isEqualTo(ErrorCode.DESCRIPTOR_MISMATCH);
        }

        final List<Frame> decoded = new ArrayList<>();
        for (int at = 0; at < datagram.capacity(); at += Protocol.frameLength(datagram, at))
        {
            decoded.add(WireModel.decode(datagram, at));
            if (Protocol.frameType(datagram, at) == FrameType.HELLO)
            {
                final HelloFrame hello = (HelloFrame)new HelloFrame().wrap(datagram, at);
                assertThat(hello.clientFlags()).isEqualTo(hello.hasSession() ? HelloFrame.FLAG_SESSION : 0);
            }
        }
        assertThat(decoded).isEqualTo(expected.frames());

        final UnsafeBuffer encoded = new UnsafeBuffer(new byte[row.bytes().length]);
        int length = 0;
        for (final Frame frame : expected.frames())
        {
            length += frame.encode(encoded, length);
        }
        assertThat(length).isEqualTo(row.bytes().length);
        assertThat(HexFormat.ofDelimiter(" ").formatHex(encoded.byteArray()))
            .isEqualTo(HexFormat.ofDelimiter(" ").formatHex(row.bytes()));
    }

    private static void checkRefused(final Refusal row)
    {
        final int code = REFUSED.get(row.name());
        assertThat(row.code()).as("code column of %s", row.name()).isEqualTo(code);
        assertThat(row.codeName()).isEqualTo(ErrorCode.name(code));
        assertThat(validate(Direction.FROM_CLIENT, new UnsafeBuffer(row.bytes()), 0)).isEqualTo(code);
    }

    private static int validate(final Direction direction, final UnsafeBuffer datagram, final int descriptors)
    {
        return new FrameValidator(direction).validate(datagram, 0, datagram.capacity(), descriptors);
    }

    private static void valid(final String name, final String fields, final Frame... frames)
    {
        validWithDescriptors(name, 0, fields, frames);
    }

    private static void validWithDescriptors(
        final String name, final int descriptors, final String fields, final Frame... frames)
    {
        VALID.put(name, new Expected(fields, descriptors, List.of(frames)));
    }

    private static Bytes ascii(final String text)
    {
        return new Bytes(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Markdown tables in a run of lines: each a list of rows, header first, separator dropped. */
    private static List<List<String[]>> tables(final List<String> lines)
    {
        final List<List<String[]>> tables = new ArrayList<>();
        List<String[]> current = null;
        for (final String line : lines)
        {
            if (line.startsWith("## "))
            {
                break;
            }
            if (!line.startsWith("|"))
            {
                current = null;
                continue;
            }
            if (current == null)
            {
                current = new ArrayList<>();
                tables.add(current);
            }
            if (line.matches("\\|[-| :]+\\|"))
            {
                continue;
            }
            final String[] cells = line.substring(1, line.lastIndexOf('|')).split("\\|", -1);
            for (int i = 0; i < cells.length; i++)
            {
                cells[i] = cells[i].trim();
            }
            current.add(cells);
        }
        return tables;
    }

    /** A refused datagram's hex, or "the NAME vector above" meaning a valid vector's bytes. */
    private static byte[] datagram(final String cell)
    {
        if (cell.startsWith("the ") && cell.endsWith(" vector above"))
        {
            final String name = cell.substring("the ".length(), cell.length() - " vector above".length());
            return validRows.stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no vector named " + name)).bytes();
        }
        return hex(cell);
    }

    private static byte[] hex(final String cell)
    {
        return HexFormat.of().parseHex(unquote(cell).replace(" ", ""));
    }

    private static String unquote(final String cell)
    {
        assertThat(cell).as("a `quoted` cell").startsWith("`").endsWith("`");
        return cell.substring(1, cell.length() - 1);
    }
}
