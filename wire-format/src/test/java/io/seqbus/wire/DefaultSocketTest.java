package io.seqbus.wire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rule, and the checks of the per-user folder. Folders owned by other uids need chown: these
 * tests need root, as CI has, and fail loudly otherwise.
 */
class DefaultSocketTest
{
    private static final long USER = 61001;
    private static final long SQUATTER = 61002;

    @TempDir
    Path tmp;

    @Test
    void explicitSocketWins()
    {
        assertThat(DefaultSocket.resolve(Map.of("SEQBUS_SOCKET", "@bus", "XDG_RUNTIME_DIR", "/run/user/7"), 7))
            .isEqualTo("@bus");
        assertThat(DefaultSocket.privateDirectory(Map.of("SEQBUS_SOCKET", "/srv/bus.sock"), 7))
            .as("an explicit socket is the user's choice: no per-user folder to check").isNull();
    }

    @Test
    void runtimeDirOfALoginSession()
    {
        assertThat(DefaultSocket.resolve(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), 1000))
            .isEqualTo("/run/user/1000/seqbus/seqbus.sock");
        assertThat(DefaultSocket.privateDirectory(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), 1000))
            .isEqualTo(Path.of("/run/user/1000/seqbus"));
    }

    @Test
    void perUserFolderInTmpOtherwise()
    {
        assertThat(DefaultSocket.resolve(Map.of("SEQBUS_SOCKET", " "), 1000)).isEqualTo("/tmp/seqbus-1000/seqbus.sock");
        assertThat(DefaultSocket.privateDirectory(Map.of(), 1000)).isEqualTo(Path.of("/tmp/seqbus-1000"));
    }

    @Test
    void uidIsThisProcesssOwner()
    {
        assertThat(DefaultSocket.uid()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void aFolderOfAnotherUserIsRefused() throws IOException
    {
        final Path parent = sticky();
        final Path squatted = folder(parent.resolve("seqbus-" + USER), SQUATTER, 0777);
        assertThatThrownBy(() -> DefaultSocket.checkPrivateDirectory(squatted, USER))
            .isInstanceOf(DefaultSocket.UnsafePathException.class)
            .hasMessage("refusing " + squatted + ": a directory owned by uid 61002, mode 0777; it must be a directory " +
                "of uid 61001 closed to writing by group and others (remove it, or set SEQBUS_SOCKET)");
        // Closed to others does not make it the user's.
        chmod(squatted, 0700);
        assertThatThrownBy(() -> DefaultSocket.checkPrivateDirectory(squatted, USER))
            .hasMessageContaining("owned by uid 61002, mode 0700");
        assertThatThrownBy(() -> DefaultSocket.checkBeforeConnect(squatted, USER))
            .isInstanceOf(DefaultSocket.UnsafePathException.class);
    }

    @Test
    void aFolderOfTheUserThatOthersMayWriteToIsRefused() throws IOException
    {
        final Path parent = sticky();
        final Path open = folder(parent.resolve("seqbus-" + USER), USER, 0777);
        assertThatThrownBy(() -> DefaultSocket.checkPrivateDirectory(open, USER))
            .hasMessage("refusing " + open + ": a directory owned by uid 61001, mode 0777; it must be a directory " +
                "of uid 61001 closed to writing by group and others (chmod 700 it, or set SEQBUS_SOCKET)");
        chmod(open, 0720);
        assertThatThrownBy(() -> DefaultSocket.checkPrivateDirectory(open, USER)).hasMessageContaining("mode 0720");
        chmod(open, 0755);
        assertThatCode(() -> DefaultSocket.checkPrivateDirectory(open, USER))
            .as("others may look, not write").doesNotThrowAnyException();
    }

    @Test
    void aSymbolicLinkIsRefusedEvenToTheUsersOwnFolder() throws IOException
    {
        final Path parent = sticky();
        final Path real = folder(parent.resolve("real"), USER, 0700);
        final Path link = Files.createSymbolicLink(parent.resolve("seqbus-" + USER), real);
        assertThatThrownBy(() -> DefaultSocket.checkPrivateDirectory(link, USER))
            .hasMessageStartingWith("refusing " + link + ": a symbolic link owned by uid 0, mode 0777; it must be a " +
                "directory of uid 61001");
        final Path file = parent.resolve("seqbus-61005");
        Files.writeString(file, "x");
        assertThatThrownBy(() -> DefaultSocket.checkPrivateDirectory(file, 0))
            .hasMessageStartingWith("refusing " + file + ": a regular file owned by uid 0");
    }

    @Test
    void theParentMustBeTheUsersOrRootsAndStickyIfOthersMayWrite() throws IOException
    {
        requireRoot();
        // $XDG_RUNTIME_DIR of another user.
        final Path runtime = folder(tmp.resolve("run-user"), SQUATTER, 0700);
        final Path inside = folder(runtime.resolve("seqbus"), USER, 0700);
        assertThatThrownBy(() -> DefaultSocket.checkPrivateDirectory(inside, USER))
            .hasMessage("refusing " + inside + ": its parent " + runtime + " is a directory owned by uid 61002, mode " +
                "0700; it must be a directory of uid 61001 or root, sticky (as /tmp is) if group or others may write " +
                "to it (set SEQBUS_SOCKET to a socket elsewhere)");
        // A parent anyone may write to without the sticky bit: the folder could be renamed away and replaced.
        final Path shared = folder(tmp.resolve("shared"), 0, 0777);
        final Path mine = folder(shared.resolve("seqbus-" + USER), USER, 0700);
        assertThatThrownBy(() -> DefaultSocket.checkPrivateDirectory(mine, USER))
            .hasMessageContaining("its parent " + shared + " is a directory owned by uid 0, mode 0777");
        // The user's own runtime directory, and a sticky one like /tmp, are fine.
        Files.setAttribute(runtime, "unix:uid", (int)USER);
        assertThatCode(() -> DefaultSocket.checkPrivateDirectory(inside, USER)).doesNotThrowAnyException();
        chmod(shared, 01777);
        assertThatCode(() -> DefaultSocket.checkPrivateDirectory(mine, USER)).doesNotThrowAnyException();
    }

    @Test
    void theSocketFileMustBeASocketOfTheUser() throws IOException
    {
        final Path folder = folder(sticky().resolve("seqbus-" + USER), USER, 0700);
        final Path socket = folder.resolve(DefaultSocket.FILE_NAME);
        assertThatCode(() -> DefaultSocket.checkSocketFile(socket, USER)).as("none yet").doesNotThrowAnyException();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setAttribute(socket, "unix:uid", (int)SQUATTER, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            assertThatThrownBy(() -> DefaultSocket.checkSocketFile(socket, USER))
                .hasMessageStartingWith("refusing " + socket + ": a socket owned by uid 61002, mode ")
                .hasMessageEndingWith("; it must be a socket of uid 61001 (remove it, or set SEQBUS_SOCKET)");
            assertThatThrownBy(() -> DefaultSocket.checkBeforeConnect(folder, USER))
                .isInstanceOf(DefaultSocket.UnsafePathException.class);
            Files.setAttribute(socket, "unix:uid", (int)USER, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            assertThatCode(() -> DefaultSocket.checkBeforeConnect(folder, USER)).doesNotThrowAnyException();
        }
        Files.delete(socket);
        Files.createSymbolicLink(socket, Path.of("/run/elsewhere.sock"));
        assertThatThrownBy(() -> DefaultSocket.checkSocketFile(socket, USER))
            .hasMessageStartingWith("refusing " + socket + ": a symbolic link owned by uid 0");
    }

    @Test
    void aClientNeedsTheFolderToExist()
    {
        final Path missing = tmp.resolve("seqbus-" + USER);
        assertThatThrownBy(() -> DefaultSocket.checkBeforeConnect(missing, USER))
            .isInstanceOf(NoSuchFileException.class)
            .hasMessage(missing + ": No such file or directory");
    }

    /** A parent like /tmp: root's, sticky, anyone may write. */
    private Path sticky() throws IOException
    {
        return folder(tmp.resolve("tmp"), 0, 01777);
    }

    private static Path folder(final Path path, final long uid, final int mode) throws IOException
    {
        requireRoot();
        Files.createDirectory(path);
        Files.setAttribute(path, "unix:uid", (int)uid);
        chmod(path, mode);
        return path;
    }

    private static void chmod(final Path path, final int mode) throws IOException
    {
        Files.setAttribute(path, "unix:mode", mode);
    }

    private static void requireRoot()
    {
        assertThat(DefaultSocket.uid()).as("these tests chown files to other uids: run them as root").isZero();
    }
}
