/**
 * The LAN bridge: brokers on different hosts share chosen topics over Aeron (UDP multicast, or unicast
 * multi-destination-cast where the network has no multicast). Owned and driven by the broker agent;
 * nothing here blocks or locks, and only counters and peer snapshots are read from other threads.
 */
package io.seqbus.broker.bridge;
