"""The floor for bench/review_load.py: a constant answer behind the real middleware.

Comparing the review loop with it separates what the review views cost from what Django,
gunicorn and initData authentication cost on every request anyway.
"""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from accounts.middleware import unauthorized


@require_GET
def floor(request):
    # Off unless a benchmark asks for it: then the URL does not exist, whoever asks.
    if not settings.BENCHMARK_FLOOR_VIEW:
        raise Http404("the benchmark floor view is off")
    if request.telegram is None:
        return unauthorized("init data is missing")
    return HttpResponse("ok", content_type="text/plain")
