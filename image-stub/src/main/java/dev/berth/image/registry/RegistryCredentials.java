package dev.berth.image.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * What PullImageRequest.auth carries: a user name and password (or docker's base64 "auth" form
 * of them), an identity token for the token endpoint, or a registry token to send as is.
 */
public record RegistryCredentials(String username, String password, String identityToken, String registryToken) {

  public static final RegistryCredentials NONE = new RegistryCredentials("", "", "", "");

  public static RegistryCredentials of(String username, String password, String auth, String identityToken,
      String registryToken) {
    String user = username == null ? "" : username;
    String pass = password == null ? "" : password;
    if (user.isEmpty() && auth != null && !auth.isEmpty()) {
      String decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      if (colon > 0) {
        user = decoded.substring(0, colon);
        pass = decoded.substring(colon + 1);
      }
    }
    return new RegistryCredentials(user, pass, identityToken == null ? "" : identityToken,
        registryToken == null ? "" : registryToken);
  }

  public boolean hasBasic() {
    return !username.isEmpty();
  }

  public String basicHeader() {
    return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    // Never log a secret.
    return hasBasic() ? "user " + username : registryToken.isEmpty() ? "anonymous" : "registry token";
  }
}
