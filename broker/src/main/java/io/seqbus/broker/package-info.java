/**
 * The seqbus broker daemon.
 *
 * <p>{@link io.seqbus.broker.Broker} starts one {@link io.seqbus.broker.BrokerAgent}: a single
 * thread that owns every socket and all routing state. Packages by role:
 * <ul>
 *   <li>{@code net}: the listening socket and the client connections;</li>
 *   <li>{@code route}: the topic index that maps a topic to its subscriptions;</li>
 *   <li>{@code fanout}: per-subscriber batching of deliveries into as few datagrams as possible;</li>
 *   <li>{@code config}: the settings table and the context it fills; {@code log}; {@code counters}.</li>
 * </ul>
 * This package depends on the others and none of them on it: {@link io.seqbus.broker.Broker} is the
 * lifecycle (start, stop, agent failure), with its health, reload and listening socket beside it.
 */
package io.seqbus.broker;
