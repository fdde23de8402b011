/**
 * The seqbus client: connect to the local broker with {@link io.seqbus.client.BusClient#connect},
 * publish, subscribe, and let the client reconnect when the broker restarts.
 *
 * <h2>Running it</h2>
 * A plain JVM is enough, Java 17 or later: the client needs no {@code --add-exports} or other flag.
 * It reads and writes frames through {@link io.seqbus.wire.SafeBuffer}, not through Agrona's
 * {@code UnsafeBuffer}, which needs {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}; the
 * Agrona classes it loads ({@code DirectBuffer}, {@code BackoffIdleStrategy}, {@code IntArrayList}) do not
 * touch Unsafe. On Java 22 and later, junixsocket loading its native library makes the JVM print a
 * warning ("A restricted method in java.lang.System has been called") once at start; it is only a
 * warning (Java 25 runs the client the same), and {@code --enable-native-access=ALL-UNNAMED} silences
 * it.
 * <p>
 * Descriptors (memfd payloads of any size, {@link io.seqbus.client.Loan}, other descriptors; see
 * {@link io.seqbus.client.ClientOptions#descriptors(boolean)}) use {@code seqbus-sys} and JNA, still without flags:
 * the native calls read buffer addresses through JNA, never Agrona's Unsafe. They are on by default when JNA loads;
 * without JNA on the class path the client works as before, without descriptors, and loads none of it.
 *
 * <h2>What the API is made of</h2>
 * This package and {@code java.*}: payloads go in as {@code byte[]}, {@code String} or
 * {@link java.nio.ByteBuffer} and come out as {@link io.seqbus.client.Message#payloadBuffer()}, a read-only
 * view in place. Agrona's {@link org.agrona.DirectBuffer} appears only in the zero-copy overloads, for services
 * that already hold their data in one ({@link io.seqbus.client.BusClient#publish(String, org.agrona.DirectBuffer,
 * int, int)}, {@link io.seqbus.client.Message#payload()}). To publish from a {@code DirectBuffer} in a JVM
 * without the flag, use a {@code SafeBuffer}: an {@code UnsafeBuffer} of your own still needs the flag. The
 * {@link io.seqbus.client.Message#buffer() buffer} a handler reads is a {@code SafeBuffer}.
 */
package io.seqbus.client;
