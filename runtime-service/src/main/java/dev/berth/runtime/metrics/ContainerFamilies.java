package dev.berth.runtime.metrics;

import static dev.berth.runtime.metrics.Family.counter;
import static dev.berth.runtime.metrics.Family.gauge;

import java.util.List;

/**
 * Every family of the container and pod series; cAdvisor's names, types, labels, units and help
 * texts where cAdvisor has the metric, a berth_ name otherwise. The README's metrics table lists
 * each with the file it comes from.
 */
public final class ContainerFamilies {

  private ContainerFamilies() {}

  static final Family LAST_SEEN = gauge("container_last_seen", "Last time a container was seen by the exporter");
  /** cpu="total", or one series per CPU ("cpu00", ...) when metrics_per_cpu_usage is on (cgroup v1 only). */
  static final Family CPU_USAGE = counter("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", "cpu");
  static final Family CPU_USER = counter("container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.");
  static final Family CPU_SYSTEM = counter("container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.");
  static final Family CFS_PERIODS = counter("container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.");
  static final Family CFS_THROTTLED_PERIODS = counter("container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.");
  static final Family CFS_THROTTLED_SECONDS = counter("container_cpu_cfs_throttled_seconds_total", "Total time duration the container has been throttled.");

  static final Family MEMORY_USAGE = gauge("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed");
  static final Family MEMORY_WORKING_SET = gauge("container_memory_working_set_bytes", "Current working set in bytes.");
  static final Family MEMORY_LIMIT = gauge("container_spec_memory_limit_bytes", "Memory limit for the container.");
  static final Family MEMORY_MAX_USAGE = gauge("container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes");
  static final Family MEMORY_FAILCNT = counter("container_memory_failcnt", "Number of memory usage hits limits");
  static final Family MEMORY_CACHE = gauge("container_memory_cache", "Number of bytes of page cache memory.");
  static final Family MEMORY_RSS = gauge("container_memory_rss", "Size of RSS in bytes.");
  static final Family MEMORY_SWAP = gauge("container_memory_swap", "Container swap usage in bytes.");
  static final Family MEMORY_KERNEL = gauge("container_memory_kernel_usage", "Size of kernel memory allocated in bytes.");
  static final Family MEMORY_MAPPED = gauge("container_memory_mapped_file", "Size of memory mapped files in bytes.");
  static final Family MEMORY_ACTIVE_FILE = gauge("container_memory_total_active_file_bytes", "Current total active file in bytes.");
  static final Family MEMORY_INACTIVE_FILE = gauge("container_memory_total_inactive_file_bytes", "Current total inactive file in bytes.");
  static final Family MEMORY_FAILURES = counter("container_memory_failures_total", "Cumulative count of memory allocation failures.", "failure_type", "scope");
  static final Family OOM_EVENTS = counter("container_oom_events_total", "Count of out of memory events observed for the container");

  static final Family BLKIO_BYTES = counter("container_blkio_device_usage_total", "Blkio Device bytes usage", "device", "major", "minor", "operation");
  static final Family BLKIO_IOS = counter("berth_container_blkio_device_ios_total", "Block I/O operations per device and operation.", "device", "major", "minor", "operation");
  static final Family BLKIO_QUEUED = gauge("berth_container_blkio_device_queued", "Block I/O requests queued (CFQ only).", "device", "major", "minor", "operation");
  static final Family BLKIO_SERVICE = counter("berth_container_blkio_device_service_seconds_total", "Block I/O service time (CFQ only).", "device", "major", "minor", "operation");
  static final Family BLKIO_WAIT = counter("berth_container_blkio_device_wait_seconds_total", "Block I/O time spent waiting in queues (CFQ only).", "device", "major", "minor", "operation");
  static final Family FS_READ_BYTES = counter("container_fs_reads_bytes_total", "Cumulative count of bytes read", "device");
  static final Family FS_WRITE_BYTES = counter("container_fs_writes_bytes_total", "Cumulative count of bytes written", "device");
  static final Family FS_READS = counter("container_fs_reads_total", "Cumulative count of reads completed", "device");
  static final Family FS_WRITES = counter("container_fs_writes_total", "Cumulative count of writes completed", "device");

  static final Family THREADS = gauge("container_threads", "Number of threads running inside the container");
  static final Family THREADS_MAX = gauge("container_threads_max", "Maximum number of threads allowed inside the container, infinity if value is zero");
  static final Family PROCESSES = gauge("container_processes", "Number of processes running inside the container.");
  static final Family FILE_DESCRIPTORS = gauge("container_file_descriptors", "Number of open file descriptors for the container.");
  static final Family SOCKETS = gauge("container_sockets", "Number of open sockets for the container.");
  static final Family TASKS_STATE = gauge("container_tasks_state", "Number of tasks in given state", "state");

  static final Family SPEC_CPU_SHARES = gauge("container_spec_cpu_shares", "CPU share of the container.");
  static final Family SPEC_CPU_QUOTA = gauge("container_spec_cpu_quota", "CPU quota of the container.");
  static final Family SPEC_CPU_PERIOD = gauge("container_spec_cpu_period", "CPU period of the container.");
  static final Family SPEC_MEMORY_RESERVATION = gauge("container_spec_memory_reservation_limit_bytes", "Memory reservation limit for the container.");
  static final Family SPEC_MEMORY_SWAP_LIMIT = gauge("container_spec_memory_swap_limit_bytes", "Memory swap limit for the container.");

  static final Family HUGETLB_USAGE = gauge("container_hugetlb_usage_bytes", "Current hugepage usage in bytes", "pagesize");
  static final Family HUGETLB_MAX = gauge("container_hugetlb_max_usage_bytes", "Maximum hugepage usage recorded in bytes (cgroup v1 only)", "pagesize");
  static final Family HUGETLB_FAILCNT = counter("container_hugetlb_failcnt", "Number of hugepage usage hits limits", "pagesize");
  static final Family HUGETLB_LIMIT = gauge("berth_container_hugetlb_limit_bytes", "Hugepage limit in bytes, 0 for none", "pagesize");

  static final Family FS_USAGE = gauge("container_fs_usage_bytes", "Number of bytes that are consumed by the container on this filesystem.", "device");
  static final Family FS_LIMIT = gauge("container_fs_limit_bytes", "Number of bytes that can be consumed by the container on this filesystem.", "device");
  static final Family FS_INODES_FREE = gauge("container_fs_inodes_free", "Number of available Inodes", "device");
  static final Family FS_INODES_TOTAL = gauge("container_fs_inodes_total", "Number of Inodes", "device");
  static final Family FS_INODES = gauge("berth_container_fs_inodes_used", "Inodes used by the container's writable layer.", "device");
  static final Family START_TIME = gauge("container_start_time_seconds", "Start time of the container since unix epoch in seconds.");

  static final Family NET_RX_BYTES = counter("container_network_receive_bytes_total", "Cumulative count of bytes received", "interface");
  static final Family NET_RX_PACKETS = counter("container_network_receive_packets_total", "Cumulative count of packets received", "interface");
  static final Family NET_RX_ERRORS = counter("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", "interface");
  static final Family NET_RX_DROPPED = counter("container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving", "interface");
  static final Family NET_TX_BYTES = counter("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", "interface");
  static final Family NET_TX_PACKETS = counter("container_network_transmit_packets_total", "Cumulative count of packets transmitted", "interface");
  static final Family NET_TX_ERRORS = counter("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting", "interface");
  static final Family NET_TX_DROPPED = counter("container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting", "interface");

  public static final List<Family> ALL = List.of(LAST_SEEN, CPU_USAGE, CPU_USER, CPU_SYSTEM, CFS_PERIODS,
      CFS_THROTTLED_PERIODS, CFS_THROTTLED_SECONDS, MEMORY_USAGE, MEMORY_WORKING_SET, MEMORY_LIMIT, MEMORY_MAX_USAGE,
      MEMORY_FAILCNT, MEMORY_CACHE, MEMORY_RSS, MEMORY_SWAP, MEMORY_KERNEL, MEMORY_MAPPED, MEMORY_ACTIVE_FILE,
      MEMORY_INACTIVE_FILE, MEMORY_FAILURES, OOM_EVENTS, BLKIO_BYTES, BLKIO_IOS, BLKIO_QUEUED, BLKIO_SERVICE,
      BLKIO_WAIT, FS_READ_BYTES, FS_WRITE_BYTES, FS_READS, FS_WRITES, THREADS, THREADS_MAX, PROCESSES,
      FILE_DESCRIPTORS, SOCKETS, TASKS_STATE, SPEC_CPU_SHARES, SPEC_CPU_QUOTA, SPEC_CPU_PERIOD,
      SPEC_MEMORY_RESERVATION, SPEC_MEMORY_SWAP_LIMIT, HUGETLB_USAGE, HUGETLB_MAX, HUGETLB_FAILCNT, HUGETLB_LIMIT,
      FS_USAGE, FS_LIMIT, FS_INODES_FREE, FS_INODES_TOTAL, FS_INODES, START_TIME, NET_RX_BYTES, NET_RX_PACKETS,
      NET_RX_ERRORS, NET_RX_DROPPED, NET_TX_BYTES, NET_TX_PACKETS, NET_TX_ERRORS, NET_TX_DROPPED);
}
