package dev.berth.runtime.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ProcessAgeTest {

  /** A stat line of a java process (start: 2,788,105 ticks after boot), as procfs writes it. */
  private static final String STAT = "4242 (java) S 1 4242 4242 0 -1 4194560 5713 0 0 0 31 9 0 0 20 0 23 0 2788105"
      + " 3960295424 29440 18446744073709551615 1 1 0 0 0 0 0 4096 16796879 0 0 0 17 1 0 0 0 0 0\n";

  @Test
  void theAgeIsTheUptimeLessTheStartTicks() {
    assertEquals(OptionalLong.of(410), ProcessAge.millis(STAT, "27881.46 51234.10\n"));
  }

  @Test
  void aCommandNameWithSpacesAndParenthesesDoesNotShiftTheFields() {
    String odd = STAT.replace("(java)", "(a) b (c)");
    assertEquals(OptionalLong.of(410), ProcessAge.millis(odd, "27881.46 51234.10\n"));
  }

  @Test
  void aLineProcfsWouldNotWriteGivesNoAge() {
    assertTrue(ProcessAge.millis("4242 (java) S 1", "27881.46 51234.10").isEmpty());
    assertTrue(ProcessAge.millis(STAT, "soon").isEmpty());
  }

  @Test
  void thisProcessIsYoungerThanTheMachineAndOlderThanNothing() {
    OptionalLong age = ProcessAge.ofThisProcess();
    assertTrue(age.isPresent());
    assertTrue(age.getAsLong() >= 0 && age.getAsLong() < 7 * 24 * 3600 * 1000L, "age " + age);
  }
}
