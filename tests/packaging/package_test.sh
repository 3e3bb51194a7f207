#!/usr/bin/env bash
# make install and the Debian package: the staged tree has the binary, the config in
# /etc/egovbus (which `egovbus check` accepts), mappings and schemas in /usr/share/egovbus and
# the systemd unit; the .deb carries them with conffiles, maintainer scripts and dependencies.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

STAGE=$TMP/stage
DESTDIR=$STAGE cmake --install "$BUILD" --prefix /usr >/dev/null
for f in usr/bin/egovbus etc/egovbus/bus.yaml usr/lib/systemd/system/egovbus.service \
         usr/share/egovbus/mappings usr/share/egovbus/schemas usr/share/doc/egovbus/README.md; do
  [ -e "$STAGE/$f" ] || fail "make install did not install /$f"
done
ls "$STAGE"/etc/egovbus/tenants/*.yaml >/dev/null 2>&1 || fail "no tenant files in /etc/egovbus/tenants"
ls "$STAGE"/etc/egovbus/profiles/*.yaml >/dev/null 2>&1 || fail "no profiles in /etc/egovbus/profiles"

# Installed tenants point at the data folder, never at the repository's layout.
if grep -l '\.\./\.\./var' "$STAGE"/etc/egovbus/tenants/*.yaml >/dev/null; then
  fail "installed tenant files refer to the repository's var/: $(grep -l '\.\./\.\./var' "$STAGE"/etc/egovbus/tenants/*.yaml | head -3)"
fi
grep -q 'key_file: /var/lib/egovbus/demo/pdnd/072006.pem' "$STAGE/etc/egovbus/tenants/072006-bari.yaml" ||
  fail "Bari's installed PDND key_file is not in /var/lib/egovbus/demo"

version=$("$STAGE/usr/bin/egovbus" --version)
[[ "$version" == egovbus\ * ]] || fail "--version printed '$version'"

# The installed config is valid: check it with its absolute paths moved into the stage.
sed -e "s#/usr/share/egovbus#$STAGE/usr/share/egovbus#g" -e "s#/var/lib/egovbus#$TMP/var#g" \
  "$STAGE/etc/egovbus/bus.yaml" >"$STAGE/etc/egovbus/bus.staged.yaml"
# The shipped tenants are the demo metro area: their back-end data and demo PDND keys are made by
# `make run` and their secrets come from the environment, so only those kinds of error may remain.
if ! "$STAGE/usr/bin/egovbus" check --config "$STAGE/etc/egovbus/bus.staged.yaml" >"$TMP/check.out" 2>&1; then
  # Warnings (placeholder fiscal codes, SQLite files not generated yet) are not errors.
  if grep -v -e 'cannot read file' -e 'cannot read key file' -e 'not a directory' \
       -e 'environment variable .* is not set' \
       -e '^[0-9]* errors in' -e ': warning: ' -e '"level":"warn"' "$TMP/check.out" | grep -q .; then
    cat "$TMP/check.out"; fail "egovbus check refused the installed config"
  fi
fi

unit=$STAGE/usr/lib/systemd/system/egovbus.service
grep -q '^ExecStart=/usr/bin/egovbus serve --config /etc/egovbus/bus.yaml$' "$unit" || fail "unit ExecStart"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || fail "unit ExecReload"
grep -q '^StateDirectory=egovbus$' "$unit" || fail "unit StateDirectory"

# The Debian package.
(cd "$BUILD" && cpack -G DEB -B "$TMP/pkg" >"$TMP/cpack.out" 2>&1) || { cat "$TMP/cpack.out"; fail "cpack"; }
deb=$(ls "$TMP"/pkg/egovbus_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb produced"
dpkg-deb -c "$deb" >"$TMP/contents"
for f in ./usr/bin/egovbus ./etc/egovbus/bus.yaml ./usr/lib/systemd/system/egovbus.service \
         ./usr/share/egovbus/mappings/; do
  grep -q " $f" "$TMP/contents" || fail "the package lacks $f"
done
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libxslt1.1 libyaml-cpp0.7 libsqlite3-0 libpq5 libcurl4 libxmlsec1-openssl adduser; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
dpkg-deb -e "$deb" "$TMP/control"
grep -qx /etc/egovbus/bus.yaml "$TMP/control/conffiles" || fail "bus.yaml is not a conffile"
for s in postinst prerm postrm; do [ -x "$TMP/control/$s" ] || fail "no $s"; done
grep -q 'adduser --system' "$TMP/control/postinst" || fail "postinst does not create the user"

# The extracted package runs.
dpkg-deb -x "$deb" "$TMP/root"
"$TMP/root/usr/bin/egovbus" --version >/dev/null || fail "the packaged binary does not run"
# The web console is compiled into the binary: the package carries it with nothing beside it.
for text in '<title>egovbus — console</title>' "const KEY = 'egovbus-admin-key';" '.grid th.service'; do
  grep -aqF -- "$text" "$TMP/root/usr/bin/egovbus" || fail "the packaged binary lacks the console ($text)"
done
echo "package ok: $(basename "$deb"), $(wc -l <"$TMP/contents") entries, Depends: $depends"
