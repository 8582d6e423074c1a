package dev.berth.image.registry;

import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.image.ImageStore;
import dev.berth.image.RegistryHosts;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A hostile registry and an image store pulling from it, the store's ImageService served
 * in-process over gRPC as the daemon serves it; everything closed in reverse order, the test's
 * caller threads first.
 */
final class RegistryPullFixture implements AutoCloseable {

  final HostileRegistry registry;
  final ImageStore store;
  final ImageServiceGrpc.ImageServiceBlockingStub cri;
  private final List<AutoCloseable> open = new ArrayList<>();

  RegistryPullFixture(Path storeDir, Duration progressTimeout, ExecutorService callers) throws Exception {
    open.add(callers::shutdownNow);
    registry = HostileRegistry.start();
    open.add(registry);
    store = ImageStore.open(storeDir, new RegistryHosts(Map.of(), Set.of(), progressTimeout));
    open.add(store);
    String name = "registry-pull-" + System.nanoTime();
    Server server = InProcessServerBuilder.forName(name).executor(Executors.newVirtualThreadPerTaskExecutor())
        .addService(store.criService()).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    open.add(server::shutdownNow);
    open.add(channel::shutdownNow);
    cri = ImageServiceGrpc.newBlockingStub(channel);
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }
}
