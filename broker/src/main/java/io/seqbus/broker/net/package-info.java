/**
 * Sockets: the listening SEQPACKET socket and the connection of each client.
 */
package io.seqbus.broker.net;
