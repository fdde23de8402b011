/**
 * The Linux calls the JDK 17 lacks, shared by the broker and the client: libc through JNA's direct mapping
 * ({@link io.seqbus.sys.LibC}), datagrams with descriptors ({@link io.seqbus.sys.ScmRights}), and sealed memfd
 * payloads: made ({@link io.seqbus.sys.Memfd}), mapped, loaned and let go ({@link io.seqbus.sys.Mapping}), and
 * checked by a receiver ({@link io.seqbus.sys.SealedMemfd}). 64-bit Linux only. Depends on JNA and Agrona, never
 * on the rest of seqbus ({@code SysDependenciesTest}).
 */
package io.seqbus.sys;
