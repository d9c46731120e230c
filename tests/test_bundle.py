"""Slow tier: build the one-folder bundle (cached by its inputs' hash) and run its self-test."""
import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

from core.version import program_version

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _bundle_tool():
    spec = importlib.util.spec_from_file_location("zizhu_bundle_tool", ROOT / "tools" / "bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_frozen_bundle_passes_its_selftest(tmp_path):
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed: `make test-slow` installs it (pip install -e .[bundle])")
    tool = _bundle_tool()
    exe, rebuilt = tool.build(tool.cache_dir() / "dist", tool.cache_dir() / "build")
    print(f"bundle {'rebuilt' if rebuilt else 'reused (inputs unchanged)'}: {exe.parent}, "
          f"{tool.folder_size(exe.parent) / 1e6:.0f} MB")
    home, report = tmp_path / "user-home", tmp_path / "report.txt"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ZIZHU_HOME": str(home)}
    env.pop("PYTHONPATH", None)
    res = subprocess.run([str(exe), "--selftest", "--selftest-report", str(report)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr + (report.read_text("utf-8") if report.exists() else "")
    summary = res.stdout.strip().splitlines()[-1]
    assert summary.startswith("自检通过 / Self-test passed: ")
    assert f"Zizhu {program_version()}," in summary and "正式上报包已验证 / final package verified" in summary
    assert "frozen=True" in report.read_text(encoding="utf-8")
    assert not home.exists()
