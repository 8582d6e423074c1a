package dev.berth.runtime.stats;

/** One network interface's counters from /proc/PID/net/dev. */
public record InterfaceStats(String name, long rxBytes, long rxPackets, long rxErrors, long rxDropped, long txBytes,
    long txPackets, long txErrors, long txDropped) {}
