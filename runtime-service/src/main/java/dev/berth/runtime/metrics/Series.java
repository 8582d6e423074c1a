package dev.berth.runtime.metrics;

import java.util.List;

/** One value of a family: base label values, then the family's extra label values. */
public record Series(Family family, List<String> labelValues, double value) {}
