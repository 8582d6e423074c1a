package dev.berth.runtime.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.CompletableFuture;

/**
 * The parts of a fresh daemon's start that need nothing of its configuration, begun on threads of
 * their own while the configuration is still being read (once logging has started: they log), so
 * that on a node's second core they are done by the time {@link Daemon#start} needs them:
 * Netty's platform probes and its epoll library, which the CRI socket needs (see
 * {@link CriServer#loadTransport}: the largest single cost before the socket serves), and the
 * Prometheus registry's meter families.
 */
public final class StartPreload {

  private final CompletableFuture<Void> transport;
  private final CompletableFuture<PrometheusMeterRegistry> registry;

  private StartPreload(CompletableFuture<Void> transport, CompletableFuture<PrometheusMeterRegistry> registry) {
    this.transport = transport;
    this.registry = registry;
  }

  /** Starts the work; call it as early on the daemon's path as logging allows. */
  public static StartPreload begin() {
    return new StartPreload(CompletableFuture.runAsync(CriServer::loadTransport, StartPreload::onOwnThread),
        CompletableFuture.supplyAsync(() -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            StartPreload::onOwnThread));
  }

  /** Returns once Netty's transport is loaded (or found missing: the CRI server then says why). */
  void awaitTransport() {
    transport.join();
  }

  PrometheusMeterRegistry registry() {
    return registry.join();
  }

  /** A platform thread: virtual threads share the carriers that the start's own work needs. */
  public static void onOwnThread(Runnable task) {
    Thread.ofPlatform().daemon().name("start-preload").start(task);
  }
}
