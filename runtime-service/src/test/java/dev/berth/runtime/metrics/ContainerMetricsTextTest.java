package dev.berth.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The text format as Berth writes the container families: exact names, escapes, numbers. */
class ContainerMetricsTextTest {

  private static final List<String> BASE = List.of("/pod/ctr", "ctr", "busybox", "app", "web", "default");

  private static String write(Family family, Series... values) throws Exception {
    StringWriter out = new StringWriter();
    ContainerMetricsText.write(out, family, List.of(values));
    return out.toString();
  }

  @Test
  void aCounterKeepsCadvisorsNameWithoutTotal() throws Exception {
    Family failcnt = ContainerFamilies.MEMORY_FAILCNT;
    assertEquals("""
        # HELP container_memory_failcnt Number of memory usage hits limits
        # TYPE container_memory_failcnt counter
        container_memory_failcnt{id="/pod/ctr",name="ctr",image="busybox",container="app",pod="web",namespace="default"} 7
        """, write(failcnt, new Series(failcnt, BASE, 7)));
  }

  @Test
  void extraLabelsFollowTheBaseOnesAndValuesAreEscaped() throws Exception {
    Family family = Family.gauge("container_tasks_state", "Number of tasks in given state", "state");
    List<String> labels = List.of("/p\\c", "n\"q", "line\nbreak", "", "", "", "sleeping");
    assertEquals("""
        # HELP container_tasks_state Number of tasks in given state
        # TYPE container_tasks_state gauge
        container_tasks_state{id="/p\\\\c",name="n\\"q",image="line\\nbreak",container="",pod="",namespace="",state="sleeping"} 2
        """, write(family, new Series(family, labels, 2)));
  }

  @Test
  void numbersAreWholeWhereTheyCanBeAndSpecialValuesAsPrometheusSpellsThem() {
    assertEquals("123456789012", ContainerMetricsText.number(123456789012.0));
    assertEquals("0.25", ContainerMetricsText.number(0.25));
    assertEquals("1.5E-9", ContainerMetricsText.number(1.5e-9));
    assertEquals("1.0E18", ContainerMetricsText.number(1e18));
    assertEquals("NaN", ContainerMetricsText.number(Double.NaN));
    assertEquals("+Inf", ContainerMetricsText.number(Double.POSITIVE_INFINITY));
    assertEquals("-Inf", ContainerMetricsText.number(Double.NEGATIVE_INFINITY));
  }
}
