package dev.berth.bench.report;

/**
 * One ratio of the comparison's headline: the first target's figure over the second's (below 1:
 * the first is faster or smaller), named by the workload, metric and statistic it divides; null
 * when one of the targets has no such figure.
 */
public record Ratio(String name, String workload, String metric, String statistic, Double value) {}
