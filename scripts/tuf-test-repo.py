#!/usr/bin/env python3
"""Local TUF repositories for testing `chainseal trusted-root update`, built with python-tuf.

    tuf-test-repo.py build OUT TARGET_FILE [--scenario S] [--timestamp-expires-in SECONDS]
    tuf-test-repo.py serve DIR

`build` writes OUT/root.json (the bootstrap root to pin, version 1) and OUT/repo/ (consistent
snapshots: N.root.json, timestamp.json, N.snapshot.json, N.targets.json,
targets/<sha256>.trusted_root.json) serving TARGET_FILE as `trusted_root.json`. Scenarios:

  good               everything valid for a week
  rotated            a valid root rotation: 2.root.json signed by the old and the new root key
  wrong-root-key     2.root.json signed only by a key the trusted root does not list
  tampered-target    the served trusted_root.json differs from the one the targets role pins
  expired-timestamp  timestamp.json expired a day ago
  expired-snapshot   snapshot.json expired a day ago
  huge-timestamp     timestamp.json of 1 MiB (a client must stop reading at its limit)
  deep-timestamp     timestamp.json of 100,000 nested arrays (a parser must not overflow)

`serve` serves DIR on 127.0.0.1 on a free port, prints the port on the first stdout line and
serves until killed. Needs python-tuf (the `tuf` package; sigstore-python depends on it).
"""
import argparse
import datetime
import http.server
import os
import shutil
import sys
import threading

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

ROLES = ("root", "timestamp", "snapshot", "targets")


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def write(md, path):
    md.to_file(path, JSONSerializer(compact=False))


def build(out, target_file, scenario, ts_expires_in):
    repo = os.path.join(out, "repo")
    if os.path.exists(repo):
        shutil.rmtree(repo)
    os.makedirs(os.path.join(repo, "targets"))
    week = now() + datetime.timedelta(days=7)
    past = now() - datetime.timedelta(days=1)
    signers = {role: CryptoSigner.generate_ecdsa() for role in ROLES}

    root = Metadata(Root(expires=week, consistent_snapshot=True))
    for role in ROLES:
        root.signed.add_key(signers[role].public_key, role)
    root.sign(signers["root"])
    write(root, os.path.join(out, "root.json"))
    write(root, os.path.join(repo, "1.root.json"))

    if scenario in ("rotated", "wrong-root-key"):
        new_root_signer = CryptoSigner.generate_ecdsa()
        root2 = Metadata(Root(version=2, expires=week, consistent_snapshot=True))
        for role in ROLES:
            signer = new_root_signer if role == "root" else signers[role]
            root2.signed.add_key(signer.public_key, role)
        root2.sign(new_root_signer)
        if scenario == "rotated":
            # The old root key must also sign the new root for the rotation to be trusted.
            root2.sign(signers["root"], append=True)
        write(root2, os.path.join(repo, "2.root.json"))

    with open(target_file, "rb") as f:
        data = f.read()
    target = TargetFile.from_data("trusted_root.json", data, ["sha256"])
    targets = Metadata(Targets(expires=week))
    targets.signed.targets["trusted_root.json"] = target
    targets.sign(signers["targets"])
    write(targets, os.path.join(repo, "1.targets.json"))
    # Same length, one bit flipped: only the pinned hash can tell.
    served = data[:-2] + bytes([data[-2] ^ 1]) + data[-1:] if scenario == "tampered-target" else data
    with open(os.path.join(repo, "targets", f"{target.hashes['sha256']}.trusted_root.json"), "wb") as f:
        f.write(served)

    snapshot = Metadata(Snapshot(expires=past if scenario == "expired-snapshot" else week))
    snapshot.signed.meta["targets.json"] = MetaFile(version=1)
    snapshot.sign(signers["snapshot"])
    write(snapshot, os.path.join(repo, "1.snapshot.json"))

    ts_expires = past if scenario == "expired-timestamp" else week
    if ts_expires_in is not None:
        ts_expires = now() + datetime.timedelta(seconds=ts_expires_in)
    timestamp = Metadata(Timestamp(expires=ts_expires))
    timestamp.signed.snapshot_meta = MetaFile(version=1)
    timestamp.sign(signers["timestamp"])
    write(timestamp, os.path.join(repo, "timestamp.json"))
    if scenario == "huge-timestamp":
        with open(os.path.join(repo, "timestamp.json"), "wb") as f:
            f.write(b" " * (1 << 20) + b"{}")
    elif scenario == "deep-timestamp":
        with open(os.path.join(repo, "timestamp.json"), "wb") as f:
            f.write(b"[" * 100_000)


def serve(directory):
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=directory, **k)  # noqa: E731
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Serve until stdin closes or the process is killed.
    try:
        sys.stdin.read()
    finally:
        server.shutdown()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("out")
    b.add_argument("target")
    b.add_argument("--scenario", default="good",
                   choices=["good", "rotated", "wrong-root-key", "tampered-target",
                            "expired-timestamp", "expired-snapshot", "huge-timestamp",
                            "deep-timestamp"])
    b.add_argument("--timestamp-expires-in", type=int, default=None)
    s = sub.add_parser("serve")
    s.add_argument("dir")
    a = p.parse_args()
    if a.cmd == "build":
        build(a.out, a.target, a.scenario, a.timestamp_expires_in)
    else:
        serve(a.dir)


if __name__ == "__main__":
    main()
