/**
 * The {@code seqbus} command line: {@code broker}, {@code pub}, {@code sub}.
 */
package io.seqbus.ops;
