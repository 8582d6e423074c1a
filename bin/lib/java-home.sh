# Sourced by Berth's scripts: sets JAVA_HOME to a JDK 25 or newer, or stops with a clear message.
# Looks at BERTH_JAVA_HOME, then JAVA_HOME, then the JDKs under /usr/lib/jvm.
# Builtins only: bin/berth sources this before every daemon start, and each process forked before
# the JVM's exec is time a fresh node waits for its runtime's first answer.

berth_java_feature() {
  # Sets berth_feature to the feature release (17, 21, 25, ...) of the JDK at $1, or to nothing.
  local line
  berth_feature=""
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -f "$1/release" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      JAVA_VERSION=\"*)
        line=${line#JAVA_VERSION=\"}
        berth_feature=${line%%[!0-9]*}
        return 0 ;;
    esac
  done <"$1/release"
}

berth_find_java_home() {
  # Sets JAVA_HOME to the first JDK 25 or newer, or returns 1.
  local candidate
  for candidate in "${BERTH_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$candidate" ] || continue
    berth_java_feature "$candidate"
    if [ -n "$berth_feature" ] && [ "$berth_feature" -ge 25 ]; then
      JAVA_HOME=$candidate
      return 0
    fi
  done
  return 1
}

if ! berth_find_java_home; then
  echo "berth: no JDK 25 found (looked at BERTH_JAVA_HOME, JAVA_HOME and /usr/lib/jvm/*)." >&2
  echo "berth: install a JDK 25 (for example Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
