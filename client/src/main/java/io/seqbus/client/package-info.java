/**
 * The seqbus client: connect to the local broker with {@link io.seqbus.client.BusClient#connect},
 * publish, subscribe, and let the client reconnect when the broker restarts.
 */
package io.seqbus.client;
