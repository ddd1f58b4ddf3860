/**
 * Real data shipped inside ds4j, so that {@code bin/ds4j train}, the examples, the end-to-end benchmark and the
 * parity tests never download anything at run time. See {@code io/ds4j/data/README.md} for sources and licenses.
 */
package io.ds4j.data;
