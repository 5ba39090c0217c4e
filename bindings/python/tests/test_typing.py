"""The stubs match the extension (mypy.stubtest), and the examples type-check against them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import chainseal
from conftest import ROOT

HERE = Path(__file__).resolve().parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MYPY_CACHE_DIR=str(HERE.parent / ".mypy_cache"))
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, env=env, cwd=HERE.parent)


def test_stubtest() -> None:
    r = _run("mypy.stubtest", "chainseal", "--allowlist", str(HERE / "stubtest-allowlist.txt"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_examples_and_tests_type_check() -> None:
    r = _run("mypy", "--strict", str(ROOT / "examples"), str(HERE))
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_public_name_has_a_docstring() -> None:
    assert chainseal.__doc__
    for name in chainseal.__all__:
        if name == "__version__":
            continue
        obj = getattr(chainseal, name)
        assert obj.__doc__ and obj.__doc__.strip(), f"chainseal.{name} has no docstring"
        if not isinstance(obj, type):
            continue
        for attr in vars(obj):  # members defined by chainseal, not inherited from builtins
            if attr.startswith("_"):
                continue
            member = getattr(obj, attr)
            assert getattr(member, "__doc__", None), f"chainseal.{name}.{attr} has no docstring"
