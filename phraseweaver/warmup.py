"""What every request needs, loaded once in gunicorn's master (preload_app) before it forks.

Django loads these lazily, on a process's first request that needs them: the URLconf and the
views it imports (0.12 s of CPU here), the cache backend's client (django-redis imports the
redis package: 0.13 s), the templates (the cached loader compiles each once per process: 0.10 s
for all of them) and each language's translation catalog. gunicorn recycles a worker every
~1,000 requests, and each new one paid that 0.36 s again, 0.36 ms a request on average;
loaded in the master, every fork inherits them.

Nothing here opens a connection: a socket made before the fork would be shared by the workers.
"""

from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.template import engines
from django.template.engine import Engine
from django.urls import get_resolver
from django.utils import translation


def warm_up() -> None:
    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    for alias in settings.CACHES:
        caches[alias]  # the backend and its client's modules; connects on first use only
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            pass  # reads the language's catalogs (.mo files) into the process
    for name in project_templates():
        engines["django"].get_template(name)


def project_templates() -> list[str]:
    """The names of the project's own templates (the engine's DIRS), which the views render."""
    names = []
    for directory in Engine.get_default().dirs:
        root = Path(directory)
        names += [path.relative_to(root).as_posix() for path in sorted(root.rglob("*.html"))]
    return names
