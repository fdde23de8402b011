package io.seqbus.client;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service's code needs nothing but {@code io.seqbus.client} and {@code java.*}: every public type of the
 * package shows only those in its public signatures, except the Agrona zero-copy overloads listed here.
 * ({@code io.seqbus.client.micrometer} is the optional Micrometer binder and shows Micrometer types by design.)
 */
class PublicApiTest
{
    private static final Set<String> AGRONA_ZERO_COPY = Set.of(
        "BusClient#publish(java.lang.String,org.agrona.DirectBuffer,int,int)",
        "BusClient#publish(java.lang.String,org.agrona.DirectBuffer,int,int,io.seqbus.client.Headers)",
        "BusClient#tryPublish(java.lang.String,org.agrona.DirectBuffer,int,int)",
        "Message#buffer()",
        "Message#payload()");

    @Test
    void publicSignaturesShowOnlyClientAndJavaTypes() throws Exception
    {
        final Set<String> foreign = new TreeSet<>();
        final Set<String> zeroCopySeen = new TreeSet<>();
        for (final Class<?> type : publicTypesOfThePackage())
        {
            check(type.getSimpleName() + " extends", type.getGenericSuperclass(), foreign);
            for (final Type each : type.getGenericInterfaces())
            {
                check(type.getSimpleName() + " implements", each, foreign);
            }
            for (final Field field : type.getDeclaredFields())
            {
                if (isVisible(field.getModifiers()))
                {
                    check(type.getSimpleName() + "." + field.getName(), field.getGenericType(), foreign);
                }
            }
            final List<Executable> executables = new ArrayList<>(List.of(type.getDeclaredMethods()));
            executables.addAll(List.<Constructor<?>>of(type.getDeclaredConstructors()));
            for (final Executable executable : executables)
            {
                if (!isVisible(executable.getModifiers()) || executable.isSynthetic())
                {
                    continue;
                }
                final String where = type.getSimpleName() + "#" + signature(executable);
                final Set<String> found = new TreeSet<>();
                if (executable instanceof Method)
                {
                    check(where, ((Method)executable).getGenericReturnType(), found);
                }
                for (final Type parameter : executable.getGenericParameterTypes())
                {
                    check(where, parameter, found);
                }
                for (final Type thrown : executable.getGenericExceptionTypes())
                {
                    check(where, thrown, found);
                }
                if (AGRONA_ZERO_COPY.contains(where) && found.equals(Set.of(where + ": org.agrona.DirectBuffer")))
                {
                    zeroCopySeen.add(where);
                }
                else
                {
                    foreign.addAll(found);
                }
            }
        }
        assertThat(foreign).as("public signatures showing types from outside io.seqbus.client and java.*").isEmpty();
        assertThat(zeroCopySeen).as("the Agrona zero-copy overloads").isEqualTo(AGRONA_ZERO_COPY);
    }

    @Test
    void theClientsCodesAreTheProtocols() throws Exception
    {
        for (final Class<?>[] pair : new Class<?>[][] {
            {ErrorCode.class, io.seqbus.wire.ErrorCode.class}, {GapReason.class, io.seqbus.wire.GapReason.class}})
        {
            for (final Field wire : pair[1].getFields())
            {
                assertThat(pair[0].getField(wire.getName()).getInt(null)).as(wire.getName()).isEqualTo(wire.getInt(null));
            }
        }
        for (final io.seqbus.wire.SlowConsumerPolicy wire : io.seqbus.wire.SlowConsumerPolicy.values())
        {
            final SlowConsumerPolicy policy = SlowConsumerPolicy.valueOf(wire.name());
            assertThat(policy.code()).isEqualTo(wire.code());
            assertThat(policy.label()).isEqualTo(wire.label());
        }
        assertThat(SlowConsumerPolicy.values()).hasSameSizeAs(io.seqbus.wire.SlowConsumerPolicy.values());
        assertThat(ErrorCode.name(0)).isEqualTo("CLIENT");
        assertThat(ErrorCode.isFatal(0)).isFalse();
    }

    private static boolean isVisible(final int modifiers)
    {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static String signature(final Executable executable)
    {
        return (executable instanceof Constructor ? "<init>" : executable.getName()) + Stream.of(
            executable.getParameterTypes()).map(Class::getTypeName).collect(Collectors.joining(",", "(", ")"));
    }

    private static void check(final String where, final Type type, final Set<String> foreign)
    {
        if (type == null)
        {
            return;
        }
        if (type instanceof Class)
        {
            Class<?> c = (Class<?>)type;
            while (c.isArray())
            {
                c = c.getComponentType();
            }
            final String name = c.getName();
            if (!c.isPrimitive() && !name.startsWith("java.") && !name.startsWith("io.seqbus.client.") ||
                name.startsWith("io.seqbus.client.micrometer."))
            {
                foreign.add(where + ": " + name);
            }
        }
        else if (type instanceof ParameterizedType)
        {
            check(where, ((ParameterizedType)type).getRawType(), foreign);
            for (final Type argument : ((ParameterizedType)type).getActualTypeArguments())
            {
                check(where, argument, foreign);
            }
        }
        else if (type instanceof GenericArrayType)
        {
            check(where, ((GenericArrayType)type).getGenericComponentType(), foreign);
        }
        else if (type instanceof WildcardType)
        {
            Stream.of(((WildcardType)type).getUpperBounds()).forEach(t -> check(where, t, foreign));
            Stream.of(((WildcardType)type).getLowerBounds()).forEach(t -> check(where, t, foreign));
        }
        else if (type instanceof TypeVariable)
        {
            Stream.of(((TypeVariable<?>)type).getBounds()).forEach(t -> check(where, t, foreign));
        }
    }

    private static List<Class<?>> publicTypesOfThePackage() throws IOException, URISyntaxException, ClassNotFoundException
    {
        final Path classes = Path.of(BusClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        final List<Class<?>> types = new ArrayList<>();
        try (Stream<Path> files = Files.list(classes.resolve("io/seqbus/client")))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final String name = file.getFileName().toString();
                if (name.endsWith(".class") && !name.equals("package-info.class"))
                {
                    final Class<?> type = Class.forName("io.seqbus.client." + name.replace(".class", "").replace('/', '.'));
                    if (Modifier.isPublic(type.getModifiers()) && (type.getEnclosingClass() == null ||
                        Modifier.isPublic(type.getEnclosingClass().getModifiers())))
                    {
                        types.add(type);
                    }
                }
            }
        }
        assertThat(types).as("public types found").hasSizeGreaterThan(10);
        return types;
    }
}
