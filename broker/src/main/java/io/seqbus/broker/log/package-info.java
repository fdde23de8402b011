/**
 * The broker's log: one line per event on stderr (journald adds the time), by level. Depends on
 * nothing of the broker, so every package may log.
 */
package io.seqbus.broker.log;
