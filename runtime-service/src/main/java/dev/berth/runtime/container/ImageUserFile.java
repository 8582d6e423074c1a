package dev.berth.runtime.container;

import dev.berth.runtime.model.CriException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * One of an image's colon-separated user files ({@code /etc/passwd}, {@code /etc/group}), read
 * line by line inside the rootfs and within a bound: the image author chooses its size, and a
 * file read whole could take the daemon's heap. A real file of a few thousand users is far
 * below the bound; a larger one refuses the create, naming the file.
 */
final class ImageUserFile {

  /** Far above any real user database (a 100 000-user passwd is about 6 MiB), far below the heap. */
  static final long MAX_BYTES = 8L * 1024 * 1024;

  private final Path rootfs;
  private final String path;

  ImageUserFile(Path rootfs, String path) {
    this.rootfs = rootfs;
    this.path = path;
  }

  /**
   * The first non-null answer of {@code match} over the file's lines split at ':' (empty when
   * none answers, or the image has no such file). Reading stops at the first answer.
   */
  <T> Optional<T> first(Function<String[], T> match) {
    Path file;
    try {
      // Links are the image's, resolved inside its rootfs: an /etc pointing at the node's /etc
      // must not make the daemon read the node's users.
      file = RootfsPath.resolve(rootfs, path);
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
        BufferedReader lines = new BufferedReader(new InputStreamReader(new Bounded(in), StandardCharsets.UTF_8))) {
      // Checked before reading, and again while reading (the bound is on what is read): a file
      // growing underneath is caught too.
      if (Files.size(file) > MAX_BYTES) {
        throw tooLarge(Files.size(file));
      }
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        T answer = match.apply(line.split(":", -1));
        if (answer != null) {
          return Optional.of(answer);
        }
      }
      return Optional.empty();
    } catch (TooLarge e) {
      throw tooLarge(e.read);
    } catch (IOException e) {
      // An unreadable user file names nobody, as a missing one does.
      return Optional.empty();
    }
  }

  private CriException.InvalidArgument tooLarge(long bytes) {
    return new CriException.InvalidArgument("the image's " + path + " is larger than " + MAX_BYTES / (1024 * 1024)
        + " MiB (" + (bytes > MAX_BYTES ? bytes + " bytes" : "grew while read")
        + "); Berth reads an image's user files only up to that size");
  }

  private static final class TooLarge extends IOException {
    final long read;

    TooLarge(long read) {
      super("more than " + MAX_BYTES + " bytes");
      this.read = read;
    }
  }

  /** Fails once more than {@link #MAX_BYTES} have been read. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long read;

    Bounded(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = in.read(buffer, offset, length);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(int n) throws TooLarge {
      read += n;
      if (read > MAX_BYTES) {
        throw new TooLarge(read);
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
