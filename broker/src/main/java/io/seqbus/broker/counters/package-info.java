/**
 * The counters the agent increments and every other thread reads (metrics, STAT, systemd's
 * status line, /health). Depends on nothing of the broker but the wire format's error codes, so
 * the agent's packages may count without depending on who reads.
 */
package io.seqbus.broker.counters;
