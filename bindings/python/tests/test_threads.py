"""Long calls release the GIL and are safe from several threads at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chainseal


def test_calls_from_threads_agree(example: Path) -> None:
    def work(_: int) -> str:
        return chainseal.sbom(f"oci-dir:{example}", created=0).to_json()

    with ThreadPoolExecutor(max_workers=4) as pool:
        docs = list(pool.map(work, range(8)))
    assert len(set(docs)) == 1


def test_gil_is_released_during_key_decryption(tmp_path: Path) -> None:
    """scrypt takes a while; another Python thread must keep running meanwhile."""
    kp = chainseal.generate_key_pair("pw")
    private, _ = kp.save(tmp_path / "k")
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        start = time.monotonic()
        for _ in range(3):
            chainseal.KeyPair.load(private, "pw")
        elapsed = time.monotonic() - start
    finally:
        stop.set()
        t.join()
    # With the GIL held for the whole load, the counter could not advance at all.
    assert ticks > 5, f"counter advanced {ticks} times in {elapsed:.2f}s"
