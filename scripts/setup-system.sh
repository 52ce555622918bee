#!/usr/bin/env bash
# Installs the system pieces webgrad's tests and benchmarks need on a fresh Debian machine:
#   - Debian `chromium` (headless browser runs; it also ships the SwiftShader Vulkan driver)
#   - Debian `firefox-esr` (the second browser engine: wgpu + naga; WebGPU enabled by prefs
#     that scripts/browser-harness.ts sets)
#   - Debian `python3-torch` (in /usr/bin/python3): test/torch-cnn.test.ts loads webgrad checkpoints
#     into torch.nn and back
#   - Debian `fortunes` + `fortunes-min` (plain-text fortune databases in /usr/share/games/fortunes):
#     the corpus `npm start -- --model gpt` trains its character-level GPT on (src/data/text.ts)
#   - Mesa >= 25 lavapipe (`mesa-vulkan-drivers` from bookworm-backports): the fastest software
#     Vulkan driver for Dawn in Node. Mesa 22 from plain bookworm is rejected by Dawn.
# Idempotent: does nothing when everything is already there. The backports suite reuses the
# mirror URI already present in the machine's apt sources (no host name is written here).
#
#   bash scripts/setup-system.sh               install what is missing; fail if that is impossible
#   bash scripts/setup-system.sh --if-missing  same, but only warn when it cannot install (not root,
#                                              no apt-get); used by `npm test` / `npm start`.
#                                              WEBGRAD_SKIP_SETUP=1 skips it entirely.
set -euo pipefail

soft=0
[ "${1:-}" = "--if-missing" ] && soft=1
if [ "$soft" = 1 ] && [ "${WEBGRAD_SKIP_SETUP:-}" = 1 ]; then exit 0; fi

log() { printf '[webgrad setup] %s\n' "$*"; }

have_chromium() { [ -x /usr/bin/chromium ]; }
have_firefox() { [ -x /usr/bin/firefox-esr ] || [ -x /usr/bin/firefox ]; }
have_torch() { /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; }
have_fortunes() { [ -f /usr/share/games/fortunes/fortunes ] && [ -f /usr/share/games/fortunes/zippy ]; }
mesa_major() {
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | sed -E 's/^([0-9]+:)?([0-9]+).*/\2/' || true
}
have_lavapipe() {
  local m; m=$(mesa_major)
  [ -n "$m" ] && [ "$m" -ge 25 ] && ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1
}

if have_chromium && have_firefox && have_lavapipe && have_torch && have_fortunes; then
  [ "$soft" = 1 ] || log "chromium, firefox, python3-torch, fortunes and Mesa $(mesa_major) lavapipe already installed"
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<MSG
[webgrad setup] Cannot install system packages here (need root and apt-get).
  Install them by hand, then re-run:
    - Chromium with WebGPU (Debian: apt-get install chromium), or set CHROME_PATH
    - Firefox (Debian: apt-get install firefox-esr), or set FIREFOX_PATH
    - PyTorch for the checkpoint interop test (Debian: apt-get install python3-torch)
    - The fortune databases for npm start -- --model gpt (Debian: apt-get install fortunes fortunes-min)
    - A Vulkan driver that Dawn accepts: Mesa >= 25 lavapipe (Debian bookworm-backports:
      apt-get install -t bookworm-backports mesa-vulkan-drivers), or SwiftShader
      (shipped with Debian's chromium package).
MSG
  if [ "$soft" = 1 ]; then
    log "continuing without them (chromium=$(have_chromium && echo yes || echo no), firefox=$(have_firefox && echo yes || echo no), fortunes=$(have_fortunes && echo yes || echo no), mesa=$(mesa_major))"
    exit 0
  fi
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

# Add <codename>-backports using the first URI of the machine's own Debian sources.
add_backports() {
  [ -n "$codename" ] || return 0
  if grep -rqs "${codename}-backports" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
    return 0
  fi
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  if [ -z "$uri" ]; then
    log "no Debian mirror URI found in apt sources; skipping backports"
    return 0
  fi
  log "adding ${codename}-backports from the machine's existing mirror"
  cat > /etc/apt/sources.list.d/webgrad-backports.sources <<SRC
Types: deb
URIs: ${uri}
Suites: ${codename}-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

add_backports
log "apt-get update"
apt-get update -qq

if ! have_chromium; then
  log "installing chromium"
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi
if ! have_firefox; then
  log "installing firefox-esr"
  apt-get install -y -qq --no-install-recommends firefox-esr >/dev/null
fi
if ! have_torch; then
  log "installing python3-torch (test/torch-cnn.test.ts loads webgrad checkpoints into torch.nn)"
  apt-get install -y -qq --no-install-recommends python3-torch >/dev/null || log "could not install python3-torch; the torch interop test will be skipped"
fi
if ! have_fortunes; then
  log "installing fortunes, fortunes-min (the text corpus of npm start -- --model gpt)"
  apt-get install -y -qq --no-install-recommends fortunes fortunes-min >/dev/null || log "could not install fortunes; npm start -- --model gpt will not find its corpus"
fi
if ! have_lavapipe; then
  log "installing Mesa lavapipe from ${codename}-backports"
  apt-get install -y -qq --no-install-recommends -t "${codename}-backports" mesa-vulkan-drivers libvulkan1 >/dev/null \
    || log "could not install Mesa from backports; Node runs will fall back to SwiftShader"
fi
log "done: chromium=$(have_chromium && echo yes || echo no) firefox=$(have_firefox && echo yes || echo no) torch=$(have_torch && echo yes || echo no) fortunes=$(have_fortunes && echo yes || echo no) mesa=$(mesa_major)"
