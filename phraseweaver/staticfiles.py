"""Static files as production serves them: our CSS and JavaScript minified, then hashed and
compressed by whitenoise.

The sources keep their comments (they say why); what Telegram's clients download on the first
load is the minified copy, measured by phraseweaver/tests/test_static_budget.py.
"""

from collections.abc import Iterator
from typing import Any

import rcssmin
import rjsmin
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from whitenoise.storage import CompressedManifestStaticFilesStorage


def minified(name: str, content: bytes) -> bytes:
    """Our own CSS or JavaScript without comments and spare whitespace; anything else as is."""
    if name.endswith(".min.js") or not name.endswith((".css", ".js")):
        return content
    text = content.decode("utf-8")
    small = rcssmin.cssmin(text) if name.endswith(".css") else rjsmin.jsmin(text)
    return small.encode("utf-8")


class _MinifiedSource:
    """A source storage whose CSS and JavaScript are read minified."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def open(self, name: str, mode: str = "rb") -> ContentFile:
        with self.storage.open(name, mode) as original:
            return ContentFile(minified(name, original.read()), name=name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.storage, attribute)


class MinifiedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def post_process(
        self, paths: dict[str, tuple[Storage, str]], *args: Any, **options: Any
    ) -> Iterator[Any]:
        # The hashed copies (the ones {% static %} names) are made from what `paths` opens.
        sources = {name: (_MinifiedSource(store), path) for name, (store, path) in paths.items()}
        yield from super().post_process(sources, *args, **options)
