/**
 * The Linux calls the JDK 17 lacks, shared by the broker and the client: libc through JNA's direct mapping
 * ({@link io.seqbus.sys.LibC}), datagrams with descriptors ({@link io.seqbus.sys.ScmRights}), and sealed memfd
 * payloads: the check a receiver makes ({@link io.seqbus.sys.SealedMemfd}). 64-bit Linux only. Depends on JNA
 * and Agrona, never on the rest of seqbus.
 */
package io.seqbus.sys;
