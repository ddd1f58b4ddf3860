/** Benchmarks. */
package io.ds4j.bench;
