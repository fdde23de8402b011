/**
 * The broker's side of systemd: socket activation ({@code LISTEN_FDS}) and sd_notify
 * ({@code READY}, {@code STATUS}, {@code WATCHDOG}, {@code STOPPING}).
 */
package io.seqbus.broker.systemd;
