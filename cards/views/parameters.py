from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from cards import parameters
from cards.models import ParameterFit
from cards.parameter_jobs import fail_abandoned_fits, latest_fit, start_fit, use_defaults
from phraseweaver.htmx import is_fragment, page_or_part

TEMPLATE = "cards/parameters.html"
HISTORY = 10


@require_http_methods(["GET", "POST"])
@telegram_user_required
def parameters_box(request: LearnerRequest) -> HttpResponse:
    """The learner's scheduling parameters, part of the Settings screen (which loads it): which
    are used, how well they predict, the latest fit (polled while it runs), the history. POST:
    fit them now, in the background."""
    if request.method == "POST":
        start_fit(request.user)
        # A fit run where it is enqueued (the immediate backend) may have adopted parameters.
        request.user.refresh_from_db(fields=["fsrs_parameters"])
        if not request.htmx:
            return redirect("settings")
    return _box(request)


@require_POST
@telegram_user_required
def parameters_defaults(request: LearnerRequest) -> HttpResponse:
    """Back to FSRS's default parameters."""
    use_defaults(request.user)
    if not request.htmx:
        return redirect("settings")
    return _box(request)


def _box(request: LearnerRequest) -> HttpResponse:
    user = request.user
    fail_abandoned_fits(ParameterFit.objects.filter(owner=user))
    fits = ParameterFit.objects.filter(owner=user).order_by("-created")
    latest = latest_fit(user)
    context: dict[str, object] = {
        "latest": latest,
        "history": fits.filter(status=ParameterFit.Status.DONE).exclude(parameters=[])[:HISTORY],
        "min_reviews": parameters.MIN_REVIEWS,
    }
    if user.fsrs_parameters:
        context["adopted"] = fits.filter(adopted=True).first()
    elif latest is None or latest.reviews < parameters.MIN_REVIEWS:
        context["reviews"] = parameters.reviews_on_different_days(user)
    if is_fragment(request):
        return render(request, f"{TEMPLATE}#box", context)
    return render(request, page_or_part(request, TEMPLATE, "screen"), context)
