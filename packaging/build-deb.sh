#!/bin/bash
# Builds build/cprwatch_<version>_<arch>.deb: `make deb` runs this (packaging/README.md).
#
#   1. a release build with Debian's hardening flags (dpkg-buildflags) in its own
#      tree, $OUTPUT/deb/obj, so the developer build in $OUTPUT is left alone;
#   2. staged with `make install DESTDIR=... PREFIX=/usr` (the same rule admins use);
#   3. stripped, man pages and changelog gzipped, DEBIAN/ written, packed with
#      `dpkg-deb --build --root-owner-group` (no fakeroot, no debhelper).
#
# Environment: OUTPUT (default build), DEB_VERSION (default the VERSION file),
# MAKE, DEB_MAINTAINER, SOURCE_DATE_EPOCH (default the last commit's time).
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
MAKE=${MAKE:-make}
OUTPUT=${OUTPUT:-build}
VERSION=$(cat VERSION)
DEB_VERSION=${DEB_VERSION:-$VERSION}
DEB_MAINTAINER=${DEB_MAINTAINER:-cprwatch maintainers <maintainers@users.noreply.r-seed-7bf0327c.example>}
ARCH=$(dpkg --print-architecture)
PKG=cprwatch
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

case $DEB_VERSION in
[0-9]*) ;;
*) echo "build-deb: DEB_VERSION '$DEB_VERSION' must start with a digit" >&2; exit 2 ;;
esac
for tool in dpkg-deb dpkg-buildflags dpkg-shlibdeps strip gzip; do
	command -v "$tool" >/dev/null || { echo "build-deb: $tool missing; run make deps" >&2; exit 2; }
done

case $OUTPUT in /*) ;; *) OUTPUT=$top/$OUTPUT ;; esac
out=$OUTPUT/deb
obj=$out/obj
root=$out/root
deb=$OUTPUT/${PKG}_${DEB_VERSION}_${ARCH}.deb
rm -rf "$root" "$out/shlibs" "$out/verify"
mkdir -p "$root/DEBIAN"

# 1+2. Hardened build, staged.  CFLAGS and LDLIBS go through the environment
# because the Makefile appends its own (-I..., -l...) with +=; LDFLAGS rides in
# LDLIBS since the link rule has no LDFLAGS.
# hardening=+all adds bindnow (-z now) to Debian's defaults (PIE, relro, fortify, SSP).
export DEB_BUILD_MAINT_OPTIONS=${DEB_BUILD_MAINT_OPTIONS:-hardening=+all}
eval "$(dpkg-buildflags --export=sh)"
# make does not track flags: a tree built with other flags is rebuilt from scratch.
flags="CFLAGS=$CFLAGS $CPPFLAGS LDLIBS=$LDFLAGS"
if [ -d "$obj" ] && [ "$(cat "$obj/.buildflags" 2>/dev/null)" != "$flags" ]; then
	rm -rf "$obj"
fi
mkdir -p "$obj"
printf '%s\n' "$flags" > "$obj/.buildflags"
CFLAGS="$CFLAGS $CPPFLAGS" LDLIBS="$LDFLAGS" \
	"$MAKE" --no-print-directory OUTPUT="$obj" install \
	DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc >/dev/null

# The unit must pass systemd-analyze verify.  It checks that ExecStart exists
# (and, without --man=no, the man pages), so verify a copy that runs the staged binary.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$out/verify"
	sed "s|^ExecStart=/usr/sbin/cprwatchd|ExecStart=$root/usr/sbin/cprwatchd|" \
		"$root/lib/systemd/system/cprwatchd.service" > "$out/verify/cprwatchd.service"
	if ! systemd-analyze verify --man=no "$out/verify/cprwatchd.service"; then
		echo "build-deb: packaging/cprwatchd.service does not pass systemd-analyze verify" >&2
		exit 1
	fi
fi

# /var/lib/cprwatch{,/spool} and /var/log/cprwatch are made 0700 by postinst:
# dpkg does not change the mode of a directory that already exists.
rm -rf "${root:?}/var"

# 3. Debian policy: stripped binaries, gzip -9n man pages and changelog.
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$root/usr/sbin/cprwatchd" "$root/usr/sbin/cprwatchctl" "$root/usr/lib/cprwatch/cprwatch-scand"
find "$root/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +

doc=$root/usr/share/doc/$PKG
install -d "$doc"
install -m 0644 packaging/deb/copyright "$doc/copyright"
# A native version (no '-': upstream builds its own package) has changelog.gz,
# a Debian revision (0.1.0-1) changelog.Debian.gz; lintian checks the name.
case $DEB_VERSION in
*-*) changelog=changelog.Debian ;;
*) changelog=changelog ;;
esac
{
	printf '%s (%s) unstable; urgency=medium\n\n' "$PKG" "$DEB_VERSION"
	printf '  * Upstream version %s, built from git %s.\n' "$VERSION" \
		"$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
	printf '    See packaging/README.md for what the package contains.\n\n'
	printf ' -- %s  %s\n' "$DEB_MAINTAINER" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} > "$doc/$changelog"
gzip -9n "$doc/$changelog"

# DEBIAN/: maintainer scripts, conffiles, md5sums, control.
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$root/DEBIAN/"
install -m 0644 packaging/deb/conffiles "$root/DEBIAN/conffiles"
if [ -e packaging/deb/lintian-overrides ]; then
	install -d "$root/usr/share/lintian/overrides"
	install -m 0644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/$PKG"
fi

# Depends from the libraries the binaries link (dpkg-shlibdeps wants a debian/control).
mkdir -p "$out/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PKG" "$PKG" > "$out/shlibs/debian/control"
depends=$(cd "$out/shlibs" && dpkg-shlibdeps -O "$root/usr/sbin/cprwatchd" "$root/usr/sbin/cprwatchctl" \
	"$root/usr/lib/cprwatch/cprwatch-scand" |
	sed -n 's/^shlibs:Depends=//p')

(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
installed_size=$(du -k -s --apparent-size --exclude=DEBIAN "$root" | cut -f1)

sed -e "s|@VERSION@|$DEB_VERSION|" -e "s|@ARCH@|$ARCH|" -e "s|@MAINTAINER@|$DEB_MAINTAINER|" \
	-e "s|@DEPENDS@|$depends|" -e "s|@INSTALLED_SIZE@|$installed_size|" \
	packaging/deb/control.in > "$root/DEBIAN/control"

# Reproducible: every mtime is the commit time (dpkg-deb clamps to it as well).
find "$root" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
