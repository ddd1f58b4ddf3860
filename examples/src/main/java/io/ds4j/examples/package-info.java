/** Examples. */
package io.ds4j.examples;
