/**
 * The seqbus broker daemon.
 *
 * <p>{@link io.seqbus.broker.Broker} starts one {@link io.seqbus.broker.BrokerAgent}: a single
 * thread that owns every socket and all routing state. Packages by role:
 * <ul>
 *   <li>{@code route}: the topic index that maps a topic to its subscriptions (depends on nothing of the broker);</li>
 *   <li>{@code acl}, {@code quota}: access rules and per-uid accounts;</li>
 *   <li>{@code fanout}: the per-subscriber endpoint, its slow-consumer policies and batching of deliveries into as
 *       few datagrams as possible (depends on {@code route} and {@code quota});</li>
 *   <li>{@code net}: the listening socket and the client connections (depends on {@code fanout});</li>
 *   <li>{@code config}: the settings table and the context it fills; {@code log}; {@code counters};</li>
 *   <li>this package, the agent: reading, command decoding ({@code ClientCommandAdapter}), evictions and
 *       lifecycle, over all of the above.</li>
 * </ul>
 * This package depends on the others and none of them on it: {@link io.seqbus.broker.Broker} is the
 * lifecycle (start, stop, agent failure), with its health, reload and listening socket beside it.
 */
package io.seqbus.broker;
