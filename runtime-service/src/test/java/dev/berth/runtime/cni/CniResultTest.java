package dev.berth.runtime.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class CniResultTest {

  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void addressesLoseTheirPrefixAndIpv4ComesFirst() throws Exception {
    CniResult result = CniResult.from(JSON.readTree("{\"cniVersion\":\"1.0.0\",\"ips\":["
        + "{\"address\":\"fd00::5/64\"},{\"address\":\"10.250.3.7/24\",\"gateway\":\"10.250.3.1\"}]}"));
    assertEquals(List.of("10.250.3.7", "fd00::5"), result.ips());
  }

  @Test
  void theOldIp4Ip6ShapeIsReadToo() throws Exception {
    CniResult result = CniResult.from(JSON.readTree(
        "{\"cniVersion\":\"0.2.0\",\"ip6\":{\"ip\":\"fd00::5/64\"},\"ip4\":{\"ip\":\"10.1.2.3/16\"}}"));
    assertEquals(List.of("10.1.2.3", "fd00::5"), result.ips());
  }
}
