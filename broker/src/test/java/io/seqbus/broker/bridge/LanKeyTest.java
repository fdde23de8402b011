package io.seqbus.broker.bridge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reading {@code lan.key_file}: hex with whitespace anywhere, at least 32 bytes, owned by the broker's user or
 * root, closed to group and others; every refusal names the file and never shows the key.
 */
class LanKeyTest
{
    private static final String KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    @TempDir
    Path dir;

    @Test
    void readsHexWithWhitespaceAnywhere() throws Exception
    {
        final Path file = keyFile("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n" +
            "10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F\r\n\t", "rw-------");

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

    private Path keyFile(final String content, final String permissions) throws Exception
    {
        final Path file = Files.createTempFile(dir, "lan", ".key");
        Files.writeString(file, content, StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }
}
