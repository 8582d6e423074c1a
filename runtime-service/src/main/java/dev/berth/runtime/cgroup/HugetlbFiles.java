package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The hugetlb files of one cgroup, in v1 or v2 naming, for the page sizes the node has. */
final class HugetlbFiles {

  private HugetlbFiles() {}

  /** Page sizes as the kernel names them in hugetlb file names, from /sys/kernel/mm/hugepages. */
  static List<String> pageSizes(Path hugepagesDir) {
    List<String> sizes = new ArrayList<>();
    if (!Files.isDirectory(hugepagesDir)) {
      return sizes;
    }
    try (Stream<Path> entries = Files.list(hugepagesDir)) {
      for (Path entry : entries.sorted().toList()) {
        String name = entry.getFileName().toString(); // hugepages-2048kB
        if (name.startsWith("hugepages-") && name.endsWith("kB")) {
          sizes.add(sizeName(Long.parseLong(name.substring("hugepages-".length(), name.length() - 2))));
        }
      }
    } catch (IOException e) {
      return List.of();
    }
    return sizes;
  }

  /** 2048 → "2MB", 1048576 → "1GB", as mm/hugetlb_cgroup.c names them. */
  static String sizeName(long kilobytes) {
    if (kilobytes >= 1024 * 1024) {
      return kilobytes / (1024 * 1024) + "GB";
    }
    if (kilobytes >= 1024) {
      return kilobytes / 1024 + "MB";
    }
    return kilobytes + "KB";
  }

  /** v1: hugetlb.SIZE.usage_in_bytes, max_usage_in_bytes, limit_in_bytes, failcnt. */
  static List<CgroupStats.Hugetlb> readV1(Path dir, List<String> sizes) throws IOException {
    List<CgroupStats.Hugetlb> result = new ArrayList<>();
    for (String size : sizes) {
      String prefix = "hugetlb." + size + ".";
      long usage = CgroupFiles.readLongIfPresent(dir.resolve(prefix + "usage_in_bytes"));
      if (usage < 0) {
        continue;
      }
      long limit = CgroupFiles.readLong(dir.resolve(prefix + "limit_in_bytes"));
      result.add(new CgroupStats.Hugetlb(size, usage, CgroupFiles.readLong(dir.resolve(prefix + "max_usage_in_bytes")),
          limit >= CgroupFiles.V1_UNLIMITED_FLOOR ? 0 : limit, CgroupFiles.readLong(dir.resolve(prefix + "failcnt"))));
    }
    return result;
  }

  /** v2: hugetlb.SIZE.current, .max and .events ("max N": allocations that failed on the limit). */
  static List<CgroupStats.Hugetlb> readV2(Path dir, List<String> sizes) throws IOException {
    List<CgroupStats.Hugetlb> result = new ArrayList<>();
    for (String size : sizes) {
      String prefix = "hugetlb." + size + ".";
      long usage = CgroupFiles.readLongIfPresent(dir.resolve(prefix + "current"));
      if (usage < 0) {
        continue;
      }
      // hugetlb.SIZE.max prints "max" on some kernels and the page-aligned ceiling on others (6.18).
      long limit = CgroupFiles.readLong(dir.resolve(prefix + "max"));
      limit = limit >= CgroupFiles.V1_UNLIMITED_FLOOR ? 0 : limit;
      long failcnt = CgroupFiles.get(CgroupFiles.keyValues(CgroupFiles.read(dir.resolve(prefix + "events"))), "max");
      result.add(new CgroupStats.Hugetlb(size, usage, -1, limit, failcnt));
    }
    return result;
  }
}
