# Sourced by bin/berth and bin/lib/aot-train: the JDK AOT cache (JEP 483/514/515) of one Berth
# installation. The cache only fits the JDK, the jars (same names, sizes and times, same order)
# and the JVM flags it was trained with. The JVM checks some of that itself, but refuses with a
# line on stdout and silently accepts some flags the cache was not trained for, so the launcher
# compares a key of its own first and starts without the cache, saying why, when it differs.
# bin/berth runs all of this before every daemon start, so it uses builtins and results in
# variables (no command substitution): one `stat` of the jars is the only process it starts.

# Sets berth_aot_cache to the cache of the installation at $1: beside the jars in a release,
# beside the build in a checkout.
berth_aot_cache_path() {
  if [ -d "$1/lib" ]; then
    berth_aot_cache=$1/lib/berth.aot
  else
    berth_aot_cache=$1/runtime-service/target/berth.aot
  fi
}

# Sets the array berth_jars to the classpath entries of the installation at $1, relative to it,
# in a fixed order: the JVM's own `dir/*` expands in directory order, which differs between the
# directory a cache was trained in and the copy it is installed to.
berth_classpath_entries() {
  # C collation: the order must not depend on the locale of whoever starts the daemon.
  local LC_ALL=C dir jar
  berth_jars=()
  if [ -d "$1/lib" ]; then
    dir=lib
  else
    dir=runtime-service/target/lib
    berth_jars+=(runtime-service/target/berth-runtime-service.jar)
  fi
  for jar in "$1/$dir"/*.jar; do
    [ -e "$jar" ] || continue
    berth_jars+=("$dir/${jar##*/}")
  done
}

# Sets the array berth_aot_key_lines to the key of home $1 run by the JDK at $2 with JVM options
# $3...: what a cache must have been trained for. Plain text lines, so that a mismatch can be
# named by its first differing line.
berth_aot_key() {
  local home="$1" java_home="$2" line
  local -a implementor=() runtime_version=() arch=()
  shift 2
  # JAVA_RUNTIME_VERSION names the exact build (25.0.3+9-LTS); the vendor line tells builds apart.
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      IMPLEMENTOR=*) implementor+=("$line") ;;
      JAVA_RUNTIME_VERSION=*) runtime_version+=("$line") ;;
      OS_ARCH=*) arch+=("$line") ;;
    esac
  done <"$java_home/release"
  # In the byte order of their names, as the key has always listed them.
  berth_aot_key_lines=("format 1" "${implementor[@]}" "${runtime_version[@]}" "${arch[@]}" "options $*")
  berth_classpath_entries "$home"
  mapfile -t -O "${#berth_aot_key_lines[@]}" berth_aot_key_lines \
    < <(cd "$home" && exec stat -c 'jar %n %s %Y' -- "${berth_jars[@]}")
}

# Sets berth_aot_why_not to why the cache at $1 (with its key file $1.key) does not fit the key in
# berth_aot_key_lines, or to nothing when it fits.
berth_aot_mismatch() {
  local cache="$1" cached i
  berth_aot_why_not=""
  if [ ! -f "$cache.key" ]; then
    berth_aot_why_not="it has no key file $cache.key"
    return 0
  fi
  mapfile -t cached <"$cache.key"
  for ((i = 0; i < ${#berth_aot_key_lines[@]} || i < ${#cached[@]}; i++)); do
    if [ "$i" -ge "${#berth_aot_key_lines[@]}" ]; then
      berth_aot_why_not="> ${cached[i]}"
    elif [ "$i" -ge "${#cached[@]}" ] || [ "${berth_aot_key_lines[i]}" != "${cached[i]}" ]; then
      berth_aot_why_not="< ${berth_aot_key_lines[i]}"
    else
      continue
    fi
    berth_aot_why_not="it was trained for other jars, JVM flags or JDK (first difference: $berth_aot_why_not)"
    return 0
  done
}
