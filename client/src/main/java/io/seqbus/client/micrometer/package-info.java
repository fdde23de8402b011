/**
 * An optional Micrometer binder for the client's counters ({@link io.seqbus.client.BusClient#stats()}).
 * Micrometer is an optional dependency of the client jar: a service that uses this package adds
 * {@code io.micrometer:micrometer-core} itself; the rest of the client never refers to it.
 */
package io.seqbus.client.micrometer;
