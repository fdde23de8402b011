/**
 * Protocol version 1 of seqbus: frame layouts, constants, flyweight codecs and validation.
 *
 * <p>{@code SPEC.md} beside this module is the normative text; every class here is one part of
 * it. Decoders are flyweights: {@code wrap} a buffer at an offset and read fields in place.
 * Encoders are static methods that write a whole frame and return its length. Neither
 * allocates. They take any Agrona {@code DirectBuffer}: the broker's {@code UnsafeBuffer}, or
 * {@link io.seqbus.wire.SafeBuffer}, which needs no JVM flags and is what the client uses.
 */
package io.seqbus.wire;
