"""Numba's on-disk cache works when the package is installed read-only: it falls back to the user's cache folder."""
from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PROBE = ("import numpy as np; from trainer.cop import corners_to_cop; from hardware.samples import WII_BALANCE_BOARD;"
         "print(corners_to_cop(np.full((2, 4), 20.0), WII_BALANCE_BOARD)[0][0])")


def _run_on_read_only_copy(installed: Path, env: dict) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", PROBE]
    if os.geteuid() != 0:
        for path in [installed, *installed.rglob("*")]:
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                          cwd=installed.parent)
    # root ignores write bits: make the folder really read-only with a read-only bind mount in a private namespace.
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare(1): cannot make a read-only install to test with")
    script = (f"mount --bind {shlex.quote(str(installed))} {shlex.quote(str(installed))} && "
              f"mount -o remount,bind,ro {shlex.quote(str(installed))} && exec {shlex.join(command)}")
    # cwd is outside the checkout: `python -c` puts the working folder first on sys.path.
    run = subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, capture_output=True, text=True, timeout=300,
                          cwd=installed.parent)
    if "mount" in run.stderr and run.returncode != 0 and "Traceback" not in run.stderr:
        pytest.skip(f"running as root and this machine refuses a read-only bind mount: {run.stderr.strip()}")
    return run


def test_read_only_install_caches_in_the_user_cache_folder(tmp_path):
    installed = tmp_path / "site"
    for package in ("trainer", "hardware"):
        shutil.copytree(REPO_ROOT / package, installed / package, ignore=shutil.ignore_patterns("__pycache__"))
    cache_home = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(installed), XDG_CACHE_HOME=str(cache_home), PYTHONDONTWRITEBYTECODE="1")
    try:
        run = _run_on_read_only_copy(installed, env)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "80.0"
        cached = [path.name for path in (cache_home / "numba").rglob("*.nbi")]
        assert any(name.startswith("cop.") for name in cached), f"no cache index in {cache_home}: {cached}"
        assert not list(installed.rglob("*.nbi"))
    finally:
        for path in [installed, *installed.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
