/**
 * Routing: which subscriptions a published topic reaches. {@link io.seqbus.broker.route.TopicIndex} is a
 * token trie with {@code *} and {@code >} nodes in the manner of NATS's sublist, fronted by a cache of exact
 * topics that answers repeat publishes without allocating.
 */
package io.seqbus.broker.route;
