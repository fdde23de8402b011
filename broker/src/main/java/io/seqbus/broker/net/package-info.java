/**
 * Sockets: the listening SEQPACKET socket, epoll, and the connection of each client, which reaches the fan-out
 * through its {@link io.seqbus.broker.net.SocketTransport}. Depends on {@code fanout}, {@code acl} and
 * {@code quota}; nothing below it depends on it. Its system calls go through the {@code sys} module
 * ({@code io.seqbus.sys.LibC}).
 */
package io.seqbus.broker.net;
