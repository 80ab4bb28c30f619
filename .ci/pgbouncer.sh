#!/usr/bin/env bash
# Builds and installs PgBouncer 1.24.1 into /usr/local (the pooler tests and the bench run
# through it). Debian 12 packages 1.18, which cannot keep prepared statements in
# transaction mode; from 1.21 on, `max_prepared_statements` lets a client keep asyncpg's
# statement cache behind the pooler. The source is Debian 13's (the release tarball
# Debian ships), fetched from Debian's archive and checked against its SHA-256.
# Idempotent: does nothing when /usr/local/bin/pgbouncer is already 1.24.1. ~40 s.
set -euo pipefail
version=1.24.1
sha256=da72a3aba13072876d055a3e58dd4aba4a5de4ed6148e73033185245598fd3e0
url="http://deb.debian.org/debian/pool/main/p/pgbouncer/pgbouncer_${version}.orig.tar.gz"
if /usr/local/bin/pgbouncer --version 2>/dev/null | grep -q "PgBouncer $version\$"; then
    echo "pgbouncer: $version already installed"
    exit 0
fi
need=()
for pkg in build-essential pkg-config libevent-dev libssl-dev curl; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
curl -fsS "$url" -o "$src/pgbouncer.tar.gz"
echo "$sha256  $src/pgbouncer.tar.gz" | sha256sum -c --quiet
tar xzf "$src/pgbouncer.tar.gz" -C "$src"
cd "$src/pgbouncer-$version"
./configure --prefix=/usr/local --without-cares >/dev/null
make -s -j2 >/dev/null
make -s install >/dev/null
echo "pgbouncer: installed $(/usr/local/bin/pgbouncer --version | head -n 1) into /usr/local"
