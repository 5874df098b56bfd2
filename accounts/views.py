import hmac
import json
import time
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import bot, initdata
from accounts.decorators import telegram_user_required
from accounts.forms import SettingsForm
from accounts.reminders import ReminderForm, reminders_save

DEMO_USER = {"id": 1000001, "first_name": "Demo", "last_name": "Learner", "language_code": "en"}


@require_POST
def dev_login(request):
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
    return HttpResponseRedirect(f"/#{fragment}")


@require_http_methods(["GET", "POST"])
@telegram_user_required
def settings_page(request):
    posted = request.method == "POST"
    form = SettingsForm(request.POST if posted else None, instance=request.user)
    saved = posted and form.is_valid()
    if saved:
        form.save()
        if not request.htmx:
            return HttpResponseRedirect("/settings/")
        # The answer to a save speaks the language just chosen.
        translation.activate(request.user.language)
        request.LANGUAGE_CODE = request.user.language
    elif posted:
        # Validation set the valid fields on request.user: forget them, nothing was saved.
        request.user.refresh_from_db()
    template = "accounts/settings.html#settings" if request.htmx else "accounts/settings.html"
    context = {"form": form, "saved": saved, "reminder_form": ReminderForm(instance=request.user)}
    return render(request, template, context)


@csrf_exempt  # Telegram authenticates with the secret token header instead
@require_POST
def telegram_webhook(request):
    """Updates from Telegram (accounts.bot). After the secret check, every request gets a 200,
    even a malformed one: Telegram redelivers anything else again and again."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    received = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(received.encode(), secret.encode()):
        return HttpResponseForbidden()
    try:
        update = json.loads(request.body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return HttpResponse()
    bot.process_update(update)
    return HttpResponse()


@require_http_methods(["GET", "POST"])
@telegram_user_required
def reminder_settings(request):
    """The reminders part of the settings page: on or off, and the local hour."""
    data = request.POST if request.method == "POST" else None
    form = ReminderForm(data, instance=request.user)
    saved = False
    if form.is_bound and form.is_valid():
        reminders_save(
            user=request.user,
            enabled=form.cleaned_data["reminders_enabled"],
            hour=form.cleaned_data["reminder_hour"],
        )
        if not request.htmx:
            return redirect("reminder_settings")
        saved = True
    template = "accounts/reminders.html#reminders" if request.htmx else "accounts/reminders.html"
    return render(request, template, {"reminder_form": form, "saved": saved})
