package dev.berth.bench.registry;

/** The OCI media types the generated image uses. */
final class MediaTypes {

  static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

  private MediaTypes() {}
}
