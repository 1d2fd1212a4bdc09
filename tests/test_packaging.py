"""`pip install .` gives operators a complete service: code, Lua scripts and the demo page."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_every_file_the_service_reads(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("feedback-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package_files = {path.relative_to(ROOT).as_posix() for path in (ROOT / "feedback").rglob("*") if path.is_file()}
    expected = {name for name in package_files if "__pycache__" not in name}
    assert expected <= names, expected - names
