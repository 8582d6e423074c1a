package dev.berth.runtime.stream;

/** A terminal size as the Kubernetes resize stream carries it: {@code {"Width":80,"Height":24}}. */
public record TerminalSize(int width, int height) {}
