# Sourced by Berth's scripts: installs the Debian packages Berth and its tests use, once.
# Only what is missing is installed, so a prepared machine pays a few dpkg queries.

berth_host_packages=(
  maven
  runc crun conmon catatonit busybox-static
  containernetworking-plugins iptables iproute2 util-linux
  docker-registry skopeo apache2-utils
  python3-prometheus-client prometheus jq
)

berth_install_host_packages() {
  local missing=() pkg
  for pkg in "${berth_host_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "berth: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "berth: installing Debian packages: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}
