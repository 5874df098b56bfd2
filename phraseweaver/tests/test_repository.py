"""The repository stands on its own: no tracked file points at a path outside it."""

import re
import subprocess
from pathlib import Path

from django.conf import settings

OUTSIDE = re.compile(r"\.\./shared|/work/|BRIEF")


def tracked_text_files() -> list[Path]:
    root = Path(settings.BASE_DIR)
    names = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    return [root / name for name in names if not name.endswith((".png", ".mo", ".apkg"))]


def test_no_tracked_file_points_outside_the_repository():
    this = Path(__file__).resolve()
    pointing = [
        str(path.relative_to(settings.BASE_DIR))
        for path in tracked_text_files()
        if path.resolve() != this
        and path.is_file()
        and OUTSIDE.search(path.read_text(encoding="utf-8", errors="replace"))
    ]

    assert pointing == []
