#!/usr/bin/env bash
# Build the rpm database fixtures under testdata/sbom/rpm from real rpm headers:
#   bdb/var/lib/rpm/Packages          BerkeleyDB hash database (CentOS 7, RHEL 7/8, Amazon Linux 2)
#   ndb/usr/lib/sysimage/rpm/Packages.db   NDB (openSUSE, SLES)
#   sqlite/var/lib/rpm/rpmdb.sqlite   SQLite (RHEL 9, Fedora)
# The headers come from packages built with rpmbuild and installed (--justdb) into a SQLite rpmdb by
# rpm itself; the BerkeleyDB file is written by Berkeley DB 5.3's own db_load (the library rpm
# used), and rpm's bdb_ro backend must read it back. Debian's rpm has no NDB backend, so the NDB
# file is written here from rpm's layout (lib/backend/ndb/rpmpkg.c): 32-byte header, slot pages,
# 16-byte blocks, blob header + header blob + tail.
# Needs (Debian): rpm, db5.3-util, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=testdata/sbom/rpm
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/specs" "$WORK/top"
cat > "$WORK/specs/hello.spec" <<'EOF'
Name: hello-lib
Version: 1.2.3
Release: 4.el7
Epoch: 2
Summary: A test library
License: MIT
Vendor: Chainseal Test Vendor
Packager: Test Packager <packager@example.invalid>
URL: https://example.invalid/hello
BuildArch: x86_64
Provides: libhello.so.1()(64bit)
%description
Test library.
%files
EOF
cat > "$WORK/specs/world.spec" <<'EOF'
Name: world-tool
Version: 0.9
Release: 1.el7
Summary: A test tool
License: GPLv2+ and LGPLv2+
Vendor: Chainseal Test Vendor
BuildArch: noarch
Requires: libhello.so.1()(64bit)
%description
Test tool.
%files
EOF
for s in hello world; do
    rpmbuild --quiet -bb --target x86_64 --define "_topdir $WORK/top" --define "_build_id_links none" \
        "$WORK/specs/$s.spec" >/dev/null
done
mkdir -p "$WORK/db"
rpm --dbpath "$WORK/db" --define '_db_backend sqlite' --initdb
rpm -i --justdb --nodeps --noscripts --ignorearch --ignoreos --nosignature --nodigest \
    --dbpath "$WORK/db" --define '_db_backend sqlite' "$WORK"/top/RPMS/*/*.rpm

rm -rf "$OUT"
mkdir -p "$OUT/sqlite/var/lib/rpm" "$OUT/bdb/var/lib/rpm" "$OUT/ndb/usr/lib/sysimage/rpm" \
    "$OUT/sqlite/etc" "$OUT/bdb/etc" "$OUT/ndb/etc"
python3 - "$WORK/db/rpmdb.sqlite" "$OUT/sqlite/var/lib/rpm/rpmdb.sqlite" <<'EOF'
import sqlite3, sys
src = sqlite3.connect(sys.argv[1])
dst = sqlite3.connect(sys.argv[2])
dst.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
for hnum, blob in src.execute("SELECT hnum, blob FROM Packages ORDER BY hnum"):
    dst.execute("INSERT INTO Packages VALUES (?, ?)", (hnum, blob))
dst.commit()
dst.execute("VACUUM")
EOF

# BerkeleyDB: key = header number (4 bytes, host order = little endian), value = header blob.
# Key 0 holds the next free header number, as rpm writes it.
python3 - "$WORK/db/rpmdb.sqlite" "$WORK/bdb.dump" <<'EOF'
import sqlite3, struct, sys
rows = list(sqlite3.connect(sys.argv[1]).execute("SELECT hnum, blob FROM Packages ORDER BY hnum"))
with open(sys.argv[2], "w") as f:
    f.write("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nh_nelem=%d\nHEADER=END\n" % len(rows))
    f.write(" %s\n %s\n" % (struct.pack("<I", 0).hex(), struct.pack("<I", len(rows) + 1).hex()))
    for hnum, blob in rows:
        f.write(" %s\n %s\n" % (struct.pack("<I", hnum).hex(), bytes(blob).hex()))
    f.write("DATA=END\n")
EOF
db5.3_load -f "$WORK/bdb.dump" "$OUT/bdb/var/lib/rpm/Packages"
# rpm itself must read the BerkeleyDB file back
got=$(rpm -qa --dbpath "$PWD/$OUT/bdb/var/lib/rpm" --define '_db_backend bdb_ro' --qf '%{NAME}\n' 2>/dev/null | sort | tr '\n' ' ')
[ "$got" = "hello-lib world-tool " ] || { echo "rpm reads the BerkeleyDB fixture as: $got" >&2; exit 1; }

python3 - "$WORK/db/rpmdb.sqlite" "$OUT/ndb/usr/lib/sysimage/rpm/Packages.db" <<'EOF'
import sqlite3, struct, sys, zlib
rows = list(sqlite3.connect(sys.argv[1]).execute("SELECT hnum, blob FROM Packages ORDER BY hnum"))
PAGE, BLK, SLOTPAGES = 4096, 16, 1
slots = []
blobs = bytearray()
blk = SLOTPAGES * PAGE // BLK  # blobs start after the slot pages
for hnum, blob in rows:
    blob = bytes(blob)
    body = struct.pack("<4I", 0x53626C42, hnum, 1, len(blob)) + blob  # 'BlbS', pkgidx, generation, length
    body += b"\0" * (-(len(body) + 12) % BLK)
    body += struct.pack("<3I", zlib.adler32(body), len(blob), 0x45626C42)  # checksum, length, 'BlbE'
    nblk = len(body) // BLK
    slots.append(struct.pack("<4I", 0x746F6C53, hnum, blk, nblk))  # 'Slot', pkgidx, blkoff, blkcnt
    blobs += body
    blk += nblk
head = struct.pack("<8I", 0x506D7052, 0, 1, SLOTPAGES, len(rows) + 1, 0, 0, 0)  # 'RpmP', version, generation, slot pages, next pkgidx
empty = struct.pack("<4I", 0x746F6C53, 0, 0, 0)
slotarea = b"".join(slots) + empty * (SLOTPAGES * PAGE // 16 - 2 - len(slots))
with open(sys.argv[2], "wb") as f:
    f.write(head + slotarea + bytes(blobs))
EOF

for d in sqlite bdb ndb; do
    case $d in
        ndb) printf 'NAME="openSUSE Leap"\nID="opensuse-leap"\nVERSION_ID="15.5"\nID_LIKE="suse opensuse"\n' ;;
        *) printf 'NAME="CentOS Linux"\nID="centos"\nVERSION_ID="7"\nID_LIKE="rhel fedora"\n' ;;
    esac > "$OUT/$d/etc/os-release"
done
echo "rpm fixtures in $OUT: $(find "$OUT" -type f | wc -l) files"
