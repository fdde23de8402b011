/**
 * The seqbus broker daemon.
 *
 * <p>{@link io.seqbus.broker.Broker} starts one {@link io.seqbus.broker.BrokerAgent}: a single
 * thread that owns every socket and all routing state. Packages by role:
 * <ul>
 *   <li>{@code net}: the listening socket and the client connections;</li>
 *   <li>{@code route}: the topic index that maps a topic to its subscriptions;</li>
 *   <li>{@code fanout}: per-subscriber batching of deliveries into as few datagrams as possible.</li>
 * </ul>
 */
package io.seqbus.broker;
