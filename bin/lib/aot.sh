# Sourced by bin/berth and bin/lib/aot-train: the JDK AOT cache (JEP 483/514/515) of one Berth
# installation. The cache only fits the JDK, the jars (same names, sizes and times, same order)
# and the JVM flags it was trained with. The JVM checks some of that itself, but refuses with a
# line on stdout and silently accepts some flags the cache was not trained for, so the launcher
# compares a key of its own first and starts without the cache, saying why, when it differs.

# The cache of an installation at $1: beside the jars in a release, beside the build in a checkout.
berth_aot_cache_path() {
  if [ -d "$1/lib" ]; then
    echo "$1/lib/berth.aot"
  else
    echo "$1/runtime-service/target/berth.aot"
  fi
}

# The classpath entries of the installation at $1, relative to it, one a line, in a fixed order:
# the JVM's own `dir/*` expands in directory order, which differs between the directory a cache
# was trained in and the copy it is installed to.
berth_classpath_entries() {
  local dir entry
  if [ -d "$1/lib" ]; then
    dir=lib
  else
    dir=runtime-service/target/lib
    echo runtime-service/target/berth-runtime-service.jar
  fi
  # C collation: the order must not depend on the locale of whoever starts the daemon.
  while IFS= read -r entry; do
    echo "$dir/$entry"
  done < <(cd "$1/$dir" && LC_ALL=C ls -1 -- *.jar)
}

# Prints the key of home $1 run by the JDK at $2 with JVM options $3...: what a cache must have
# been trained for. Plain text, so that a mismatch can be read with diff.
berth_aot_key() {
  local home="$1" java_home="$2"
  shift 2
  echo "format 1"
  # JAVA_RUNTIME_VERSION names the exact build (25.0.3+9-LTS); the vendor line tells builds apart.
  grep -E '^(IMPLEMENTOR|JAVA_RUNTIME_VERSION|OS_ARCH)=' "$java_home/release" | LC_ALL=C sort
  echo "options $*"
  local entries
  mapfile -t entries < <(berth_classpath_entries "$home")
  (cd "$home" && stat -c 'jar %n %s %Y' -- "${entries[@]}")
}

# Prints why the cache at $1 (with its key file $1.key) does not fit the key text $2, or nothing
# when it fits.
berth_aot_mismatch() {
  local cache="$1" key="$2"
  if [ ! -f "$cache.key" ]; then
    echo "it has no key file $cache.key"
  elif [ "$(cat "$cache.key")" != "$key" ]; then
    local first
    first=$(diff <(echo "$key") "$cache.key" | grep -m1 '^[<>]' || true)
    echo "it was trained for other jars, JVM flags or JDK (first difference: ${first:-?})"
  fi
}
