package dev.berth.runtime.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package dependency graph of the daemon and the modules below it (runtime-service,
 * image-stub, shim, linux, cri-api), read from their class files with ArchUnit: packages depend one
 * way, with no cycle anywhere (issue 17, item 4); and libc is linked in the linux module only.
 */
class PackageCyclesTest {

  static Map<String, Set<String>> graph;
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    // Only the five modules' own class directories or jars: scanning the whole class path for
    // the packages took most of this test's time.
    Set<Location> modules = new java.util.LinkedHashSet<>();
    for (Class<?> member : List.of(dev.berth.runtime.server.Daemon.class, dev.berth.image.ImageStore.class,
        dev.berth.shim.ConmonShim.class, dev.berth.linux.Syscalls.class, dev.berth.cri.client.CriClient.class)) {
      modules.add(codeSource(member));
    }
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        // The generated CRI stubs: most of the classes, none of the design.
        .withImportOption(location -> !location.contains("/dev/berth/cri/v1/"))
        .importLocations(modules);
    graph = packageGraph(classes);
  }

  private static Location codeSource(Class<?> member) {
    try {
      Path path = Path.of(member.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isDirectory(path) ? Location.of(path) : Location.of(new JarFile(path.toFile()));
    } catch (URISyntaxException | IOException e) {
      throw new IllegalStateException("where " + member + " was loaded from", e);
    }
  }

  /** Package to the Berth packages its classes use, generated gRPC and protobuf code left out. */
  static Map<String, Set<String>> packageGraph(JavaClasses classes) {
    Map<String, Set<String>> edges = new TreeMap<>();
    for (JavaClass origin : classes) {
      String from = origin.getPackageName();
      if (generated(from)) {
        continue;
      }
      Set<String> targets = edges.computeIfAbsent(from, p -> new TreeSet<>());
      for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
        String to = dependency.getTargetClass().getPackageName();
        if (to.startsWith("dev.berth.") && !to.equals(from) && !generated(to)) {
          targets.add(to);
        }
      }
    }
    return edges;
  }

  private static boolean generated(String pkg) {
    return pkg.equals("dev.berth.cri.v1");
  }

  @Test
  void theGraphCoversEveryModule() {
    for (String pkg : List.of("dev.berth.runtime.server", "dev.berth.image.store", "dev.berth.shim",
        "dev.berth.linux", "dev.berth.cri.client")) {
      assertTrue(graph.containsKey(pkg), pkg + " is in the graph: " + graph.keySet());
    }
    assertTrue(graph.get("dev.berth.runtime.store").contains("dev.berth.image.store"),
        "an edge this test must see: RecordStore uses RecordFormat");
  }

  @Test
  void noPackageCycles() {
    List<String> problems = new ArrayList<>();
    for (Set<String> cycle : stronglyConnected(graph)) {
      problems.add("package cycle " + cycle + ": " + edgesWithin(cycle));
    }
    assertEquals(List.of(), problems, "packages must depend one way (docs/architecture.md); break the cycle");
  }

  /**
   * Stats, metrics and the shim monitor sit below the managers: they read snapshots and ids
   * through interfaces of their own (stats.Workloads, shims.ShimOwner), never the managers'
   * packages, even where that would not close a cycle yet.
   */
  @Test
  void statsMetricsAndShimsNeverImportTheManagers() {
    Set<String> managers = Set.of("dev.berth.runtime.container", "dev.berth.runtime.sandbox",
        "dev.berth.runtime.oci");
    Map<String, Set<String>> wrong = new TreeMap<>();
    for (String below : List.of("dev.berth.runtime.stats", "dev.berth.runtime.metrics", "dev.berth.runtime.shims")) {
      assertTrue(graph.containsKey(below), below + " is in the graph");
      Set<String> imported = new TreeSet<>(graph.get(below));
      imported.retainAll(managers);
      if (!imported.isEmpty()) {
        wrong.put(below, imported);
      }
    }
    assertEquals(Map.of(), wrong, "managers -> stats -> cgroup, metrics -> stats, managers -> shims; never back");
  }

  /** One libc binding (issue 17): other modules bind their calls through linux.Syscalls.bind. */
  @Test
  void onlyTheLinuxModuleLinksLibc() {
    List<String> linkers = new ArrayList<>();
    for (JavaClass origin : classes) {
      origin.getMethodCallsFromSelf().stream()
          .filter(call -> call.getTargetOwner().isEquivalentTo(java.lang.foreign.Linker.class)
              && call.getName().equals("nativeLinker"))
          .filter(call -> !origin.getPackageName().equals("dev.berth.linux"))
          .forEach(call -> linkers.add(call.getDescription()));
    }
    assertEquals(List.of(), linkers, "bind libc calls with dev.berth.linux.Syscalls.bind");
    assertTrue(classes.get(dev.berth.linux.Syscalls.class).getMethodCallsFromSelf().stream()
        .anyMatch(call -> call.getName().equals("nativeLinker")), "the check sees the one binding");
  }

  @Test
  void cgroupsSitAtTheBottom() {
    // The cgroup model takes limits in its own terms (CgroupLimits), so stats, sandboxes and
    // containers use it and it uses none of them.
    assertEquals(List.of(), graph.get("dev.berth.runtime.cgroup").stream()
        .filter(p -> p.startsWith("dev.berth.runtime.")).toList());
  }

  @Test
  void theOciSpecKnowsNoPodOrContainer() {
    // The OCI records are the bottom of the create path: the translations above see them, never back.
    assertEquals(Set.of(), graph.get("dev.berth.runtime.oci").stream()
        .filter(p -> p.equals("dev.berth.runtime.container") || p.equals("dev.berth.runtime.sandbox"))
        .collect(Collectors.toSet()), "dev.berth.runtime.oci's dependencies: " + graph.get("dev.berth.runtime.oci"));
  }

  private static Map<String, Set<String>> edgesWithin(Set<String> cycle) {
    return cycle.stream().collect(Collectors.toMap(p -> p,
        p -> graph.getOrDefault(p, Set.of()).stream().filter(cycle::contains).collect(Collectors.toCollection(TreeSet::new)),
        (a, b) -> a, TreeMap::new));
  }

  /** Tarjan's strongly connected components with more than one package: the cycles. */
  static List<Set<String>> stronglyConnected(Map<String, Set<String>> edges) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new java.util.HashSet<>();
    List<Set<String>> components = new ArrayList<>();
    int[] counter = {0};
    for (String node : edges.keySet()) {
      if (!index.containsKey(node)) {
        connect(node, edges, index, low, stack, onStack, components, counter);
      }
    }
    return components;
  }

  private static void connect(String node, Map<String, Set<String>> edges, Map<String, Integer> index,
      Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> components,
      int[] counter) {
    index.put(node, counter[0]);
    low.put(node, counter[0]);
    counter[0]++;
    stack.push(node);
    onStack.add(node);
    for (String next : edges.getOrDefault(node, Set.of())) {
      if (!index.containsKey(next)) {
        connect(next, edges, index, low, stack, onStack, components, counter);
        low.put(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.contains(next)) {
        low.put(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node).equals(index.get(node))) {
      Set<String> component = new TreeSet<>();
      String member;
      do {
        member = stack.pop();
        onStack.remove(member);
        component.add(member);
      } while (!member.equals(node));
      if (component.size() > 1) {
        components.add(component);
      }
    }
  }

  @Test
  void aCycleIsFoundWhereThereIsOne() {
    Map<String, Set<String>> edges = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
    assertEquals(List.of(Set.of("a", "b", "c")), stronglyConnected(edges));
  }
}
