#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those that are missing:
#   gettext    compiles the translations (manage.py compilemessages)
#   ffmpeg     re-encodes learners' recordings and the server's speech to MP3 (cards/media/)
#   espeak-ng  the server's voice for clients without speechSynthesis (cards/media/speech.py)
#   chromium   runs the browser tests (only with --browser)
#   haproxy    the load balancer of bench/drill_scale_out.py (only with --drill)
set -euo pipefail

packages=()
command -v msgfmt >/dev/null || packages+=(gettext)
command -v ffmpeg >/dev/null || packages+=(ffmpeg)
command -v espeak-ng >/dev/null || packages+=(espeak-ng)
for flag in "$@"; do
  case "$flag" in
    --browser)
      command -v chromium >/dev/null || packages+=(chromium)
      command -v npm >/dev/null || packages+=(npm)
      ;;
    --drill) command -v haproxy >/dev/null || packages+=(haproxy) ;;
    *) echo "usage: $0 [--browser] [--drill]" >&2; exit 2 ;;
  esac
done
[[ ${#packages[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "Installing Debian packages: ${packages[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
