package dev.berth.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import dev.berth.cri.v1.CriProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The generated CRI classes must describe exactly the wire contract in ../shared/cri/runtime-v1.pb.
 * Both sides are flattened into one line per fact so that a failure lists each difference.
 */
class CriContractTest {

  @Test
  void generatedDescriptorsMatchTheSharedContract() throws IOException {
    FileDescriptorProto expected = loadSharedContract();
    FileDescriptorProto actual = CriProto.getDescriptor().toProto();

    Set<String> expectedFacts = facts(expected);
    Set<String> actualFacts = facts(actual);

    Set<String> missing = new TreeSet<>(expectedFacts);
    missing.removeAll(actualFacts);
    Set<String> unexpected = new TreeSet<>(actualFacts);
    unexpected.removeAll(expectedFacts);
    assertTrue(
        missing.isEmpty() && unexpected.isEmpty(),
        () -> "CRI contract differs\nmissing from cri-api:\n  " + String.join("\n  ", missing)
            + "\nnot in the contract:\n  " + String.join("\n  ", unexpected));
  }

  @Test
  void contractCoversBothServicesAndTheirMethods() throws IOException {
    FileDescriptorProto expected = loadSharedContract();
    assertEquals("runtime.v1", expected.getPackage());
    List<String> services = expected.getServiceList().stream().map(ServiceDescriptorProto::getName).toList();
    assertEquals(List.of("RuntimeService", "ImageService"), services);
    // A guard against comparing two empty sets: the contract has dozens of methods and messages.
    assertTrue(facts(expected).size() > 700, "contract facts: " + facts(expected).size());
  }

  private static FileDescriptorProto loadSharedContract() throws IOException {
    String sharedDir = System.getProperty("berth.shared.dir", "../../shared");
    Path pb = Path.of(sharedDir, "cri", "runtime-v1.pb");
    assertTrue(Files.isRegularFile(pb), "the CRI contract is missing: " + pb.toAbsolutePath()
        + " (../shared must sit beside the checkout)");
    try (InputStream in = Files.newInputStream(pb)) {
      FileDescriptorSet set = FileDescriptorSet.parseFrom(in);
      assertEquals(1, set.getFileCount(), "runtime-v1.pb should hold one file");
      return set.getFile(0);
    }
  }

  private static Set<String> facts(FileDescriptorProto file) {
    Set<String> facts = new TreeSet<>();
    String pkg = "." + file.getPackage();
    facts.add("package " + file.getPackage() + " syntax " + file.getSyntax());
    for (ServiceDescriptorProto service : file.getServiceList()) {
      facts.add("service " + service.getName());
      for (MethodDescriptorProto method : service.getMethodList()) {
        facts.add("service " + service.getName() + " rpc " + method.getName()
            + " in=" + method.getInputType() + " out=" + method.getOutputType()
            + " client_streaming=" + method.getClientStreaming()
            + " server_streaming=" + method.getServerStreaming());
      }
    }
    for (EnumDescriptorProto e : file.getEnumTypeList()) {
      enumFacts(pkg, e, facts);
    }
    for (DescriptorProto message : file.getMessageTypeList()) {
      messageFacts(pkg, message, facts);
    }
    return facts;
  }

  private static void messageFacts(String scope, DescriptorProto message, Set<String> facts) {
    String name = scope + "." + message.getName();
    facts.add("message " + name + " map_entry=" + message.getOptions().getMapEntry());
    List<String> fields = new ArrayList<>();
    for (FieldDescriptorProto field : message.getFieldList()) {
      fields.add("message " + name + " field " + field.getNumber() + " " + field.getName()
          + " type=" + field.getType() + " type_name=" + field.getTypeName()
          + " label=" + field.getLabel()
          + " deprecated=" + field.getOptions().getDeprecated()
          + " proto3_optional=" + field.getProto3Optional());
    }
    facts.addAll(fields);
    for (EnumDescriptorProto e : message.getEnumTypeList()) {
      enumFacts(name, e, facts);
    }
    for (DescriptorProto nested : message.getNestedTypeList()) {
      messageFacts(name, nested, facts);
    }
  }

  private static void enumFacts(String scope, EnumDescriptorProto e, Set<String> facts) {
    String name = scope + "." + e.getName();
    facts.add("enum " + name);
    e.getValueList().forEach(v -> facts.add("enum " + name + " value " + v.getNumber() + " " + v.getName()));
  }
}
