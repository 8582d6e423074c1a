package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.PortMapping;
import dev.berth.cri.v1.Protocol;
import dev.berth.runtime.testing.PodTestCase;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pod networking through the real bridge, host-local and portmap plugins. */
@Tag("integration")
@Timeout(300)
class PodNetworkTest extends PodTestCase {


  private static String httpdPod(String name, PortMapping... ports) {
    String pod = env.runPod(env.podConfig(name).addAllPortMappings(List.of(ports)).build());
    env.runContainer(pod, env.containerConfig("web", "sh", "-c",
        "mkdir -p /www && echo hello-from-" + name + " > /www/index.html && exec httpd -f -p 80 -h /www").build());
    return pod;
  }

  private static String podIp(String pod) {
    return env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
        .getStatus().getNetwork().getIp();
  }

  @Test
  void twoPodsReachEachOtherByIp() throws Exception {
    String server = httpdPod("server");
    String client = env.runPod();
    String shell = env.runContainer(client, env.containerConfig("client", "sleep", "600").build());
    ExecSyncResponse reply = null;
    for (int attempt = 0; attempt < 50; attempt++) {
      reply = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(shell)
          .addAllCmd(List.of("wget", "-q", "-O", "-", "http://" + podIp(server) + "/")).setTimeout(10).build());
      if (reply.getExitCode() == 0) {
        break;
      }
      Thread.sleep(100);
    }
    assertEquals("hello-from-server\n", reply.getStdout().toStringUtf8(), reply.getStderr().toStringUtf8());
  }

  @Test
  void aPortMappingIsReachableOnTheHost() throws Exception {
    int hostPort;
    try (ServerSocket free = new ServerSocket(0)) {
      hostPort = free.getLocalPort();
    }
    httpdPod("mapped", PortMapping.newBuilder().setProtocol(Protocol.TCP).setContainerPort(80)
        .setHostPort(hostPort).setHostIp("127.0.0.1").build());
    String body = null;
    for (int attempt = 0; attempt < 50 && body == null; attempt++) {
      try {
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + hostPort + "/")
            .toURL().openConnection();
        connection.setConnectTimeout(1000);
        connection.setReadTimeout(2000);
        try (InputStream in = connection.getInputStream()) {
          body = new String(in.readAllBytes());
        }
      } catch (java.io.IOException notYet) {
        Thread.sleep(100);
      }
    }
    assertEquals("hello-from-mapped\n", body);
  }

  @Test
  void podFilesCarryHostnameAndDns() throws Exception {
    String pod = env.runPod(env.podConfig("dnspod").setDnsConfig(dev.berth.cri.v1.DNSConfig.newBuilder()
        .addServers("10.96.0.10").addSearches("berth-test.svc.cluster.local").addOptions("ndots:5")).build());
    String id = env.runContainer(pod, env.containerConfig("files", "sh", "-c",
        "hostname; cat /etc/resolv.conf; grep dnspod /etc/hosts | wc -l").build());
    List<String> lines = env.logLines(env.awaitExit(id));
    assertEquals("dnspod", lines.get(0));
    assertTrue(lines.contains("nameserver 10.96.0.10"), lines.toString());
    assertTrue(lines.contains("search berth-test.svc.cluster.local"), lines.toString());
    assertTrue(lines.contains("options ndots:5"), lines.toString());
    assertEquals("1", lines.getLast());
  }
}
