from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import LearnerRequest, telegram_user_required
from cards.retention import chart, chart_width, fail_abandoned, latest_simulation, start_simulation
from phraseweaver.htmx import is_fragment, page_or_part

TEMPLATE = "cards/retention.html"


@require_http_methods(["GET", "POST"])
@telegram_user_required
def retention_box(request: LearnerRequest) -> HttpResponse:
    """The retention helper, part of the Settings screen (which loads it beside the desired
    retention): the latest simulation's figures and chart (polled while it runs). POST:
    simulate again, in the background."""
    if request.method == "POST":
        start_simulation(request.user)
        if not request.htmx:
            return redirect("settings")
    fail_abandoned(request.user)
    latest = latest_simulation(request.user)
    groups = chart(latest.results, current=request.user.desired_retention) if latest else []
    context = {"latest": latest, "chart": groups, "chart_width": chart_width(groups)}
    if is_fragment(request):
        return render(request, f"{TEMPLATE}#box", context)
    return render(request, page_or_part(request, TEMPLATE, "screen"), context)
