/**
 * The {@code seqbus} command line: {@code broker}, {@code pub}, {@code sub}, {@code demo}.
 */
package io.seqbus.ops;
