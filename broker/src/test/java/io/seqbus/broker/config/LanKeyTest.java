package io.seqbus.broker.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reading {@code lan.key_file}: hex with whitespace anywhere, at least 32 bytes that look random, owned by the
 * broker's user or root, closed to group and others, in directories no one else can write; every refusal names
 * the file and never shows the key.
 */
class LanKeyTest
{
    /** From openssl rand -hex 32. */
    private static final String KEY_HEX = "9976dd3fb16ced995f6bdb31cbfad560bba06f8432b58c8af25e921626b5dca4";

    @TempDir
    Path dir;

    @Test
    void readsHexWithWhitespaceAnywhere() throws Exception
    {
        final Path file = keyFile("99 76 dd 3f b1 6c ed 99 5f 6b db 31 cb fa d5 60\n" +
            "bb a0 6f 84 32 B5 8C 8A F2 5E 92 16 26 B5 DC A4\r\n\t", "rw-------");

        assertThat(LanKey.load(file.toString())).isEqualTo(HexFormat.of().parseHex(KEY_HEX));
    }

    @Test
    void readOnlyForTheOwnerIsFineToo() throws Exception
    {
        assertThat(LanKey.load(keyFile(KEY_HEX + "\n", "r--------").toString())).hasSize(32);
    }

    @Test
    void refusesAFileOpenToGroupOrOthers() throws Exception
    {
        for (final String mode : new String[]{"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw------x", "rwx--x---"})
        {
            final Path file = keyFile(KEY_HEX, mode);
            assertThatThrownBy(() -> LanKey.load(file.toString()))
                .as(mode)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("open to group or others")
                .hasMessageContaining("chmod 600")
                .hasMessageNotContaining(KEY_HEX);
        }
        assertThatThrownBy(() -> LanKey.load(keyFile(KEY_HEX, "rw-r--r--").toString()))
            .hasMessageContaining("(mode 0644)");
    }

    @Test
    void refusesAFileOfAnotherUser() throws Exception
    {
        final Path file = keyFile(KEY_HEX, "rw-------");
        // The tests run as root (CI does): give the file away to a uid that is neither this process's nor root.
        Files.setAttribute(file, "unix:uid", 4321);

        assertThatThrownBy(() -> LanKey.load(file.toString()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(file.toString())
            .hasMessageContaining("belongs to uid 4321");
    }

    @Test
    void refusesMissingShortOddOrNonHexKeys() throws Exception
    {
        final String missing = dir.resolve("missing.key").toString();
        assertThatThrownBy(() -> LanKey.load(missing)).hasMessageContaining(missing).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> LanKey.load(keyFile(KEY_HEX.substring(2), "rw-------").toString()))
            .hasMessageContaining("a key of 31 bytes; allowed: at least 32");
        assertThatThrownBy(() -> LanKey.load(keyFile(KEY_HEX + "0", "rw-------").toString()))
            .hasMessageContaining("odd number of hex digits");
        assertThatThrownBy(() -> LanKey.load(keyFile("secret password that is long enough to be 32 bytes", "rw-------")
            .toString())).hasMessageContaining("other than hex digits").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> LanKey.load(dir.toString())).hasMessageContaining("not a regular file");
    }

    @Test
    void refusesAKeyOfOneByteRepeated() throws Exception
    {
        for (final String hex : new String[]{"00".repeat(32), "ff".repeat(64)})
        {
            final Path file = keyFile(hex, "rw-------");
            assertThatThrownBy(() -> LanKey.load(file.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("holds a key of only 1 distinct byte value;")
                .hasMessageContaining("allowed: a key from a random source: at least 16 distinct byte values")
                .hasMessageContaining("openssl rand -hex 32")
                .hasMessageNotContaining(hex);
        }
    }

    @Test
    void refusesAKeyOfFewDistinctBytes() throws Exception
    {
        // 11 values (bytes 0x30 to 0x3a, as an ASCII text of digits would give) in no repeating order.
        final String hex = "36303330383234363238313934383a323139393a333531383139303933373a38";
        assertThatThrownBy(() -> LanKey.load(keyFile(hex, "rw-------").toString()))
            .hasMessageContaining("holds a key of only 11 distinct byte values");
    }

    @Test
    void refusesAKeyThatRepeatsAPattern() throws Exception
    {
        assertThatThrownBy(() -> LanKey.load(keyFile("deadbeef".repeat(8), "rw-------").toString()))
            .hasMessageContaining("holds a key of only 4 distinct byte values");
        // 16 distinct values (as few as allowed), twice over.
        final String half = "9976dd3fb16ced5f6bdb31cbfad560bb";
        assertThatThrownBy(() -> LanKey.load(keyFile(half.repeat(2), "rw-------").toString()))
            .hasMessageContaining("holds a key that repeats a 16-byte pattern")
            .hasMessageNotContaining(half);
        // A counting sequence: 32 distinct values, each one more than the last.
        assertThatThrownBy(() -> LanKey.load(keyFile(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "rw-------").toString()))
            .hasMessageContaining("holds a key whose bytes step through a repeating pattern (as in 00 01 02 ...)");
    }

    @Test
    void acceptsRandomKeys() throws Exception
    {
        final SecureRandom random = new SecureRandom();
        for (int i = 0; i < 100; i++)
        {
            final byte[] key = new byte[LanKey.MIN_KEY_BYTES + i % 3];
            random.nextBytes(key);
            assertThat(LanKey.load(keyFile(HexFormat.of().formatHex(key), "rw-------").toString())).isEqualTo(key);
        }
    }

    @Test
    void refusesAKeyFileInADirectoryOthersCanWrite() throws Exception
    {
        final Path open = Files.createDirectory(dir.resolve("open"));
        final Path file = keyFile(open, KEY_HEX, "rw-------");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> LanKey.load(file.toString()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("lan.key_file = " + file + ": its directory " + open.toRealPath() +
                " is writable by group or others (mode 0777) without the sticky bit, so the key file could be " +
                "replaced; allowed: directories only their owner can write, e.g. chmod go-w " + open.toRealPath() +
                ", or with the sticky bit, as /tmp");

        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwx---"));
        assertThatThrownBy(() -> LanKey.load(file.toString())).hasMessageContaining("(mode 0770)");
    }

    @Test
    void refusesAKeyFileUnderAnyAncestorOthersCanWrite() throws Exception
    {
        final Path open = Files.createDirectory(dir.resolve("open"));
        final Path file = keyFile(Files.createDirectories(open.resolve("a/b")), KEY_HEX, "rw-------");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> LanKey.load(file.toString()))
            .hasMessageContaining("its directory " + open.toRealPath() + " is writable by group or others");
    }

    @Test
    void acceptsAKeyFileInAStickyDirectoryOthersCanWrite() throws Exception
    {
        final Path sticky = Files.createDirectory(dir.resolve("sticky"));
        final Path file = keyFile(sticky, KEY_HEX, "rw-------");
        Files.setAttribute(sticky, "unix:mode", 01777);

        assertThat(LanKey.load(file.toString())).isEqualTo(HexFormat.of().parseHex(KEY_HEX));
    }

    @Test
    void refusesAKeyFileInADirectoryOfAnotherUser() throws Exception
    {
        final Path theirs = Files.createDirectory(dir.resolve("theirs"));
        final Path file = keyFile(theirs, KEY_HEX, "rw-------");
        // As root (the tests run as root): a 0755 directory another uid owns, who could swap the file.
        Files.setAttribute(theirs, "unix:uid", 4321);

        assertThatThrownBy(() -> LanKey.load(file.toString()))
            .hasMessageContaining("its directory " + theirs.toRealPath() + " belongs to uid 4321")
            .hasMessageContaining("allowed: directories of the broker's user (uid ");
    }

    @Test
    void refusesASymbolicLinkAsTheKeyFile() throws Exception
    {
        final Path target = keyFile(KEY_HEX, "rw-------");
        final Path link = Files.createSymbolicLink(dir.resolve("link.key"), target);

        assertThatThrownBy(() -> LanKey.load(link.toString()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(link.toString())
            .hasMessageContaining("is a symbolic link (to " + target + "); allowed: a regular file, named by its " +
                "real path");
    }

    @Test
    void checksTheRealDirectoriesBehindALinkedDirectory() throws Exception
    {
        final Path open = Files.createDirectory(dir.resolve("open"));
        final Path file = keyFile(Files.createDirectory(open.resolve("keys")), KEY_HEX, "rw-------");
        final Path link = Files.createSymbolicLink(dir.resolve("linked"), open.resolve("keys"));
        final String viaLink = link.resolve(file.getFileName()).toString();
        assertThat(LanKey.load(viaLink)).hasSize(32);

        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> LanKey.load(viaLink))
            .hasMessageContaining("its directory " + open.toRealPath() + " is writable by group or others");
    }

    private Path keyFile(final String content, final String permissions) throws Exception
    {
        return keyFile(dir, content, permissions);
    }

    private static Path keyFile(final Path directory, final String content, final String permissions) throws Exception
    {
        final Path file = Files.createTempFile(directory, "lan", ".key");
        Files.writeString(file, content, StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }
}
