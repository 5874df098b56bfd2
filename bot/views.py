import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bot.updates import process_update


@csrf_exempt  # Telegram authenticates with the secret token header instead
@require_POST
def telegram_webhook(request: HttpRequest) -> HttpResponse:
    """Updates from Telegram (bot.updates). After the secret check, every request gets a 200,
    even a malformed one: Telegram redelivers anything else again and again."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    received = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(received.encode(), secret.encode()):
        return HttpResponseForbidden()
    try:
        update = json.loads(request.body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return HttpResponse()
    process_update(update)
    return HttpResponse()
