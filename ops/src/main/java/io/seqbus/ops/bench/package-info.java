/**
 * {@code seqbus bench}: throughput and one-hop latency of a running broker, measured with the
 * real client jar over real sockets.
 */
package io.seqbus.ops.bench;
