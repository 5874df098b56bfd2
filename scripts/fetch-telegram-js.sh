#!/usr/bin/env bash
# Puts Telegram's official telegram-web-app.js in .cache/ for the browser tests.
# The npm package @twa-dev/sdk ships an exact copy (src/telegram-web-apps.js); it is fetched,
# never committed.
set -euo pipefail
cd "$(dirname "$0")/.."

version="8.0.2"
target=".cache/telegram-web-app.js"
stamp=".cache/twa-dev-sdk-$version"
[[ -f "$target" && -f "$stamp" ]] && exit 0

mkdir -p .cache
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@twa-dev/sdk@$version" >/dev/null)
tar -xzf "$work"/twa-dev-sdk-*.tgz -C "$work" package/src/telegram-web-apps.js
mv "$work/package/src/telegram-web-apps.js" "$target"
touch "$stamp"
echo "Fetched telegram-web-app.js from @twa-dev/sdk $version"
