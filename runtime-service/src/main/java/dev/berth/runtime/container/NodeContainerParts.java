package dev.berth.runtime.container;

import dev.berth.image.ImageStore;
import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.store.RecordStore;
import dev.berth.runtime.userns.IdmapStaging;
import dev.berth.shim.OciRuntime;
import java.nio.file.Path;

/** The real parts of the node a container holds, as {@link ContainerRelease} releases them. */
public final class NodeContainerParts implements ContainerRelease.Node {

  private final RecordStore<Container> store;
  private final OciRuntime shim;
  private final ImageStore images;
  private final CgroupModel cgroups;
  private final IdmapStaging idmap;

  public NodeContainerParts(RecordStore<Container> store, OciRuntime shim, ImageStore images, CgroupModel cgroups,
      IdmapStaging idmap) {
    this.store = store;
    this.shim = shim;
    this.images = images;
    this.cgroups = cgroups;
    this.idmap = idmap;
  }

  @Override
  public void deleteRuntimeContainer(String containerId) throws Exception {
    shim.delete(containerId);
  }

  @Override
  public void releaseIdmappedMounts(String podId, String containerId) throws Exception {
    idmap.release(podId, containerId);
  }

  @Override
  public void releaseImageVolumes(String containerId, Path containerDir) throws Exception {
    new ImageVolumes(images).release(containerId, containerDir);
  }

  @Override
  public void releaseRootfs(String containerId, Path rootfs) throws Exception {
    images.releaseRootfs(containerId, rootfs);
  }

  @Override
  public void removeCgroup(String cgroupPath) throws Exception {
    cgroups.remove(cgroupPath);
  }

  @Override
  public void deleteDirectory(String containerId) throws Exception {
    store.delete(containerId);
  }
}
