package dev.berth.runtime.stats;

/**
 * What the processes of one cgroup (and the cgroups below it) hold at one moment: cAdvisor's
 * process metrics and the task counts of its {@code container_tasks_state}.
 *
 * @param processes entries of cgroup.procs
 * @param fileDescriptors open descriptors of those processes (entries of /proc/PID/fd)
 * @param sockets those descriptors that are sockets
 * @param running threads in state R
 * @param sleeping threads in state S (and idle kernel threads, I)
 * @param stopped threads stopped by a signal or a tracer (T, t)
 * @param uninterruptible threads in state D
 */
public record ProcessStats(long processes, long fileDescriptors, long sockets, long running, long sleeping,
    long stopped, long uninterruptible) {}
