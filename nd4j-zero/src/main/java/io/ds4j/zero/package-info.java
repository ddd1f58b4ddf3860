/** placeholder until the module's first type lands. */
package io.ds4j.zero;
