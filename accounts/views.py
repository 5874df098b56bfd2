import json
import time
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import initdata
from accounts.decorators import LearnerRequest, telegram_user_required
from accounts.forms import ReminderForm, SettingsForm
from accounts.middleware import unauthorized
from accounts.services import settings_save
from phraseweaver.htmx import page_or_part, posted

DEMO_USER = {"id": 1000001, "first_name": "Demo", "last_name": "Learner", "language_code": "en"}


@require_POST
def dev_login(request: HttpRequest) -> HttpResponse:
    """Development only: open the app in a plain browser as a demo learner.

    Signs initData with the development bot token and hands it to the page the way a Telegram
    client does, in the URL fragment, so the rest of the app runs exactly as in Telegram.
    """
    if not settings.DEBUG:
        raise Http404
    language = request.POST.get("language", "en")
    user = {**DEMO_USER, "language_code": language if language in ("en", "ru") else "en"}
    signed = initdata.sign(
        {"user": json.dumps(user), "auth_date": str(int(time.time()))},
        settings.TELEGRAM_BOT_TOKEN,
    )
    fragment = f"tgWebAppData={quote(signed, safe='')}&tgWebAppVersion=6.0&tgWebAppPlatform=web"
    # Back to the screen the login was asked for (a link opened in a new tab), if it is ours.
    url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = reverse("home")
    return HttpResponseRedirect(f"{url}#{fragment}")


@require_http_methods(["GET", "POST"])
@telegram_user_required
def settings_page(request: LearnerRequest) -> HttpResponse:
    """Everything the learner sets, reminders included, in one form with one Save."""
    data = posted(request)
    form = SettingsForm(data, instance=request.user)
    reminder_form = ReminderForm(data, instance=request.user)
    # Both are validated, so that every mistake on the screen shows at once.
    saved = data is not None and all([form.is_valid(), reminder_form.is_valid()])
    if saved:
        settings_save(
            request.user,
            [*form.Meta.fields, *reminder_form.Meta.fields],
            time_zone_chosen="time_zone" in form.changed_data,
        )
        if not request.htmx:
            return redirect("settings")
        # The answer to a save speaks the language just chosen.
        translation.activate(request.user.language)
        request.LANGUAGE_CODE = request.user.language
    elif data is not None:
        # Validation set the valid fields on request.user: forget them, nothing was saved.
        request.user.refresh_from_db()
    template = page_or_part(request, "accounts/settings.html", "settings")
    context = {"form": form, "reminder_form": reminder_form, "saved": saved}
    return render(request, template, context)


@require_GET
def benchmark_floor(request: LearnerRequest) -> HttpResponse:
    """The floor for bench/review_load.py: a constant answer behind the real middleware.

    Comparing the review loop with it separates what the review views cost from what Django,
    gunicorn and initData authentication cost on every request anyway.
    """
    # Off unless a benchmark asks for it: then the URL does not exist, whoever asks.
    if not settings.BENCHMARK_FLOOR_VIEW:
        raise Http404("the benchmark floor view is off")
    if request.telegram is None:
        return unauthorized("init data is missing")
    return HttpResponse("ok", content_type="text/plain")
