/** JMH benchmarks: crypto primitives, IKE handshakes in one JVM, ESP packet processing. */
package dev.strait.bench;
