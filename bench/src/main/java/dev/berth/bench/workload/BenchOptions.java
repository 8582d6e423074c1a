package dev.berth.bench.workload;

import java.nio.file.Path;

/**
 * The knobs every workload reads; one value so that workloads take it through their constructor.
 *
 * @param runs pods started one after another in pod-start (and teardowns of them)
 * @param parallel pods started at the same time in pod-start's parallel phase
 * @param pods pods running while kubelet-poll, scrape and memory measure
 * @param pollLoops relist iterations in kubelet-poll
 * @param warmupLoops unrecorded iterations before kubelet-poll's relists and scrape's GETs (the
 *     first of them is recorded apart, as the cold cost)
 * @param scrapes metrics scrapes in scrape
 * @param memorySamples RSS readings, one a second, in memory
 * @param rootfsContainers containers created and removed in one pod by rootfs
 * @param pulls pull + remove cycles in image-pull
 * @param image the busybox image every pod's container runs (already in each runtime)
 * @param work a scratch directory: pod log directories, the registry's storage
 */
public record BenchOptions(int runs, int parallel, int pods, int pollLoops, int warmupLoops, int scrapes,
    int memorySamples, int rootfsContainers, int pulls, String image, Path work) {}
