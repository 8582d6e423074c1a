package dev.berth.image.registry;

import dev.berth.image.crypto.LibCryptoProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Requests to one repository at one endpoint, with the Authorization header its last challenge
 * earned, so that a pull authenticates once rather than once per blob.
 */
final class RegistrySession {

  private final HttpClient http;
  private final TokenAuthenticator authenticator;
  private final RegistryEndpoint endpoint;
  private final String repository;
  private final RegistryCredentials credentials;
  private final PullProgress progress;
  private volatile String authorization;

  RegistrySession(HttpClient http, RegistryEndpoint endpoint, String repository, RegistryCredentials credentials,
      PullProgress progress) {
    this.http = http;
    this.authenticator = new TokenAuthenticator(http, progress);
    this.endpoint = endpoint;
    this.repository = repository;
    this.credentials = credentials;
    this.progress = progress;
  }

  PullProgress progress() {
    return progress;
  }

  RegistryEndpoint endpoint() {
    return endpoint;
  }

  String repository() {
    return repository;
  }

  /**
   * GETs the URI, answering one 401 challenge and following redirects by hand: a blob is often
   * redirected to storage on another host, which must not receive the registry's token.
   */
  HttpResponse<InputStream> get(URI uri, String accept, String what) throws IOException, InterruptedException {
    HttpResponse<InputStream> response = send(uri, accept, authorization);
    if (response.statusCode() == 401) {
      String challenge = response.headers().firstValue("WWW-Authenticate").orElse(null);
      response.body().close();
      authorization = authenticator.authenticate(challenge, credentials, repository, what);
      response = send(uri, accept, authorization);
    }
    for (int hops = 0; hops < 5 && isRedirect(response.statusCode()); hops++) {
      String location = response.headers().firstValue("Location").orElse(null);
      response.body().close();
      if (location == null) {
        break;
      }
      URI next = uri.resolve(location);
      boolean sameHost = next.getAuthority() != null && next.getAuthority().equals(endpoint.base().getAuthority());
      response = send(next, accept, sameHost ? authorization : null);
      uri = next;
    }
    return response;
  }

  private HttpResponse<InputStream> send(URI uri, String accept, String auth) throws IOException, InterruptedException {
    progress.step("waiting for " + uri);
    LibCryptoProvider.installBeforeRequestTo(uri);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET();
    if (accept != null) {
      request.header("Accept", accept);
    }
    if (auth != null) {
      request.header("Authorization", auth);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }
}
