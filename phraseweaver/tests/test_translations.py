import subprocess
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/ru/LC_MESSAGES/django.po"


@pytest.mark.parametrize("flag", ["--untranslated", "--only-fuzzy"])
def test_the_russian_catalogue_has_no_untranslated_or_fuzzy_entries(flag):
    result = subprocess.run(
        ["msgattrib", flag, "--no-wrap", str(CATALOGUE)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == ""


def test_the_russian_catalogue_compiles_cleanly():
    subprocess.run(
        ["msgfmt", "--check-format", "--output-file=/dev/null", str(CATALOGUE)], check=True
    )
