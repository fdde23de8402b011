package io.seqbus.client;

import io.seqbus.wire.FrameType;
import io.seqbus.wire.HelloFrame;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that does not use descriptors never loads JNA nor the native calls, even with them on its class path: the
 * client runs in a class loader of its own (this JVM's class path, nothing shared but the JDK), which then says
 * which classes it loaded (nor {@link DescriptorPublishing}, which calls them). With descriptors (the default) it
 * does load them: the check can tell.
 */
class NativeCallsLoadedOnlyWithDescriptorsTest extends ScriptedBrokerTest
{
    /** A class loader that says what it loaded. */
    static final class Isolated extends URLClassLoader
    {
        Isolated(final URL[] urls)
        {
            super("isolated-client", urls, ClassLoader.getPlatformClassLoader());
        }

        boolean loaded(final String name)
        {
            return findLoadedClass(name) != null;
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theNativeCallsLoadOnlyWithDescriptors(final boolean descriptors) throws Exception
    {
        broker = new ScriptedBroker(dir.resolve("bus.sock"));
        try (Isolated loader = new Isolated(classPath()))
        {
            final Class<?> probe = loader.loadClass(NoNativeCallsProbe.class.getName());
            assertThat(probe.getClassLoader()).isSameAs(loader);
            final CompletableFuture<Void> run = CompletableFuture.runAsync(() ->
            {
                try
                {
                    probe.getMethod("run", String.class, boolean.class).invoke(null, broker.socket(), descriptors);
                }
                catch (final ReflectiveOperationException ex)
                {
                    throw new IllegalStateException(ex.getCause() != null ? ex.getCause() : ex);
                }
            });
            peer = broker.accept();
            final HelloFrame hello = peer.next(FrameType.HELLO).as(new HelloFrame());
            assertThat(hello.wantsDescriptors()).isEqualTo(descriptors);
            peer.welcome(65536, 131072, 1).send();
            assertThat(peer.next(FrameType.PUBLISH).type()).isEqualTo(FrameType.PUBLISH);
            run.get(ScriptedBroker.WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(loader.loaded(BusClient.class.getName())).isTrue();
            assertThat(loader.loaded("com.sun.jna.Native")).as("JNA loaded").isEqualTo(descriptors);
            assertThat(loader.loaded("io.seqbus.sys.LibC")).as("sys LibC loaded").isEqualTo(descriptors);
            assertThat(loader.loaded(DescriptorPublishing.class.getName())).as("DescriptorPublishing loaded")
                .isEqualTo(descriptors);
        }
    }

    private static URL[] classPath() throws Exception
    {
        final List<URL> urls = new ArrayList<>();
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator))
        {
            urls.add(Path.of(entry).toUri().toURL());
        }
        return urls.toArray(new URL[0]);
    }
}
