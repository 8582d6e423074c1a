# Sourced by Berth's scripts: sets JAVA_HOME to a JDK 25 or newer, or stops with a clear message.
# Looks at BERTH_JAVA_HOME, then JAVA_HOME, then the JDKs under /usr/lib/jvm.

berth_java_feature() {
  # Prints the feature release (17, 21, 25, ...) of the JDK at $1, or nothing.
  local release="$1/release"
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -f "$release" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
}

berth_find_java_home() {
  local candidate feature
  for candidate in "${BERTH_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$candidate" ] || continue
    feature=$(berth_java_feature "$candidate")
    if [ -n "$feature" ] && [ "$feature" -ge 25 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! JAVA_HOME=$(berth_find_java_home); then
  echo "berth: no JDK 25 found (looked at BERTH_JAVA_HOME, JAVA_HOME and /usr/lib/jvm/*)." >&2
  echo "berth: install a JDK 25 (for example Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
