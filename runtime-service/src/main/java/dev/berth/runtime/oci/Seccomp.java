package dev.berth.runtime.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The OCI {@code linux.seccomp} filter. An operator's profile (localhost/PATH) is read into this
 * shape, so a field the OCI runtime-spec does not define (Docker's {@code archMap}, {@code
 * includes}) is dropped rather than handed to the runtime, which would ignore it anyway.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Seccomp(String defaultAction, Integer defaultErrnoRet, List<String> architectures,
    List<String> flags, String listenerPath, String listenerMetadata, List<Syscall> syscalls) {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Syscall(List<String> names, String action, Integer errnoRet, List<Arg> args) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Arg(int index, long value, Long valueTwo, String op) {}
}
