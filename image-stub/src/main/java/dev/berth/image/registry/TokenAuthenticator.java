package dev.berth.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answers a registry's 401 challenge: {@code Basic} with the request's credentials, or
 * {@code Bearer} by fetching a token from the realm the challenge names (anonymously, or with
 * the credentials), as the distribution token spec describes. Returns the Authorization header
 * value to retry with.
 */
final class TokenAuthenticator {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  /** Real token answers are a few KiB; the bound keeps a hostile token server from filling the heap. */
  static final int MAX_TOKEN_ANSWER_BYTES = 1024 * 1024;

  private final HttpClient http;
  private final PullProgress progress;

  TokenAuthenticator(HttpClient http, PullProgress progress) {
    this.http = http;
    this.progress = progress;
  }

  String authenticate(String challenge, RegistryCredentials credentials, String repository, String what)
      throws IOException, InterruptedException {
    if (challenge == null || challenge.isBlank()) {
      throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, what + ": HTTP 401 without a challenge");
    }
    String scheme = challenge.trim().split("\\s+", 2)[0];
    if (scheme.equalsIgnoreCase("Basic")) {
      if (!credentials.hasBasic()) {
        throw new RegistryException(RegistryException.Kind.UNAUTHORIZED,
            what + ": HTTP 401, the registry wants a user name and password and the pull has none");
      }
      return credentials.basicHeader();
    }
    if (!scheme.equalsIgnoreCase("Bearer")) {
      throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, what + ": unsupported auth scheme " + scheme);
    }
    if (!credentials.registryToken().isEmpty()) {
      return "Bearer " + credentials.registryToken();
    }
    Map<String, String> params = new HashMap<>();
    Matcher m = PARAM.matcher(challenge);
    while (m.find()) {
      params.put(m.group(1).toLowerCase(), m.group(2));
    }
    String realm = params.get("realm");
    if (realm == null) {
      throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, what + ": Bearer challenge without a realm");
    }
    String scope = params.getOrDefault("scope", "repository:" + repository + ":pull");
    StringBuilder query = new StringBuilder();
    if (params.containsKey("service")) {
      query.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8)).append('&');
    }
    query.append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
    URI uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
    if (credentials.hasBasic()) {
      request.header("Authorization", credentials.basicHeader());
    }
    progress.step("waiting for the token answer of " + realm);
    HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    byte[] answer;
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        throw new RegistryException(RegistryException.Kind.UNAUTHORIZED,
            what + ": token endpoint " + realm + " answered HTTP " + response.statusCode());
      }
      answer = BoundedBody.read(in, response.headers(), MAX_TOKEN_ANSWER_BYTES,
          what + ": token answer of " + realm);
    }
    JsonNode body;
    try {
      body = JSON.readTree(answer);
    } catch (IOException e) {
      throw new RegistryException(RegistryException.Kind.UNAUTHORIZED,
          what + ": token endpoint " + realm + " answered malformed JSON");
    }
    String token = body.path("token").asText(body.path("access_token").asText(""));
    if (token.isEmpty()) {
      throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, what + ": token endpoint " + realm + " sent no token");
    }
    return "Bearer " + token;
  }
}
