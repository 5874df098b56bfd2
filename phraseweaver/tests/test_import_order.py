"""The apps import one way only: bot → cards → accounts → phraseweaver (docs/architecture.md).

Read from the source with ast, so a newly added module is checked without listing it. Tests and
migrations are left out: tests may set up any app's objects, and migrations name apps as strings.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ORDER = ["phraseweaver", "accounts", "cards", "bot"]  # each may import only those before it


def imported_apps(path: Path) -> set[str]:
    apps = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        apps.update(name.split(".")[0] for name in names if name.split(".")[0] in ORDER)
    return apps


def modules_of(app: str) -> list[Path]:
    root = Path(settings.BASE_DIR) / app
    return [
        path
        for path in sorted(root.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(root).parts)
    ]


@pytest.mark.parametrize("app", ORDER)
def test_an_app_imports_only_the_apps_below_it(app):
    allowed = set(ORDER[: ORDER.index(app) + 1])
    wrong = {
        str(path.relative_to(settings.BASE_DIR)): sorted(imported_apps(path) - allowed)
        for path in modules_of(app)
        if imported_apps(path) - allowed
    }

    assert wrong == {}


def test_the_import_check_sees_an_import_that_breaks_the_order(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("import json\nfrom bot.updates import process_update\nimport cards.day\n")

    assert imported_apps(module) == {"bot", "cards"}
