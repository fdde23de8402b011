/**
 * {@code seqbus soak}: many clients with churn against one broker for minutes, watching the
 * broker's resident memory, file descriptors and garbage collection for growth.
 */
package io.seqbus.ops.soak;
