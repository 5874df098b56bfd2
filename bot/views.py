import hmac
import json
import logging
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from bot import files, inline
from bot.forms import DraftForm, ReceivedFileForm
from bot.models import CardDraft, ReceivedFile
from bot.telegram_api import TelegramError, bot_api
from bot.updates import process_update
from cards.export_jobs import current_jobs
from cards.importing import ImportOptions, ImportRefused, preview_rows, read_source
from cards.importing.forms import ImportForm
from cards.importing.jobs import start_import
from cards.models import Deck, ExportJob, Phrase, get_deck_for_user
from cards.sharing import deck_share
from cards.views.importing import FORMAT_NAMES
from phraseweaver.htmx import page_or_part

logger = logging.getLogger(__name__)


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


MAX_DRAFTS_SHOWN = 50


def _draft_form(draft: CardDraft, decks: list[Deck], data: QueryDict | None = None) -> DraftForm:
    return DraftForm(
        data,
        instance=Phrase(front=draft.front, back=draft.back, notes=draft.notes),
        initial={"deck": draft.deck_id},
        decks=decks,
        auto_id=f"draft{draft.pk}-%s",
    )


@require_GET
@telegram_user_required
def drafts(request: LearnerRequest) -> HttpResponse:
    """The phrases the bot read in the learner's messages (bot.drafts), to edit and confirm."""
    pending = CardDraft.objects.filter(owner=request.user, added__isnull=True).order_by("id")
    shown = list(pending[: MAX_DRAFTS_SHOWN + 1])
    decks = list(Deck.objects.for_user(request.user))
    items = [(draft, _draft_form(draft, decks)) for draft in shown[:MAX_DRAFTS_SHOWN]]
    context = {"items": items, "more": len(shown) > MAX_DRAFTS_SHOWN, "has_decks": bool(decks)}
    return render(request, page_or_part(request, "bot/drafts.html", "screen"), context)


# Files and the bot's chat (bot.files)


@require_POST
@telegram_user_required
def draft_add(request: LearnerRequest, draft_id: int) -> HttpResponse:
    """Make the phrase of a draft as the learner edited it; once, however often it is sent."""
    draft = get_object_or_404(CardDraft.objects.filter(owner=request.user), pk=draft_id)
    form = _draft_form(draft, list(Deck.objects.for_user(request.user)), request.POST)
    if not form.is_valid():
        return render(request, "bot/drafts.html#draft", {"draft": draft, "form": form})
    with transaction.atomic():
        # Locked and read again: of two sends at once, the second finds it added.
        pending = CardDraft.objects.select_for_update().filter(pk=draft.pk, added__isnull=True)
        if (locked := pending.first()) is not None:
            deck = form.cleaned_data["deck"]
            phrase = form.save(commit=False)
            phrase.owner, phrase.deck = request.user, deck
            phrase.add_with_cards()
            locked.deck, locked.added = deck, timezone.now()
            locked.save(update_fields=["deck", "added"])
            draft = locked
    return render(request, "bot/drafts.html#draft-added", {"draft": draft})


@require_POST
@telegram_user_required
def draft_discard(request: LearnerRequest, draft_id: int) -> HttpResponse:
    draft = get_object_or_404(CardDraft.objects.filter(owner=request.user), pk=draft_id)
    if draft.added is None:  # an added draft is the phrase's record: it stays
        draft.delete()
    return HttpResponse()  # the draft's row is swapped for nothing


@require_POST
@telegram_user_required
def deck_share_prepared(request: LearnerRequest, deck_id: int) -> JsonResponse:
    """A message of the deck prepared by the bot (Bot API 8.0), for the Share screen's
    Telegram.WebApp.shareMessage: the learner picks the chat in Telegram's own picker."""
    deck = get_deck_for_user(request.user, deck_id)
    try:
        prepared = bot_api(timeout=5, retries=1, max_retry_after=2).call(
            "savePreparedInlineMessage",
            user_id=request.user.telegram_id,
            result=inline.deck_result(deck, deck_share(deck=deck).token),
            allow_user_chats=True,
            allow_group_chats=True,
            allow_channel_chats=True,
        )
    except TelegramError as error:
        logger.warning("Could not prepare a shared deck's message: %s", error)
        return JsonResponse({"error": "telegram"}, status=502)  # the page falls back to the link
    return JsonResponse({"id": prepared["id"]})


@require_POST
@telegram_user_required
def deck_export_send(request: LearnerRequest, deck_id: int) -> HttpResponse:
    """Have the bot send the deck's CSV or .apkg to the learner's chat."""
    deck = get_deck_for_user(request.user, deck_id)
    kind = request.POST.get("format", "")
    if kind not in files.DECK_FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    return _send(request, kind, deck.pk)


@require_POST
@telegram_user_required
def everything_export_send(request: LearnerRequest, export_id: int) -> HttpResponse:
    """Have the bot send the finished "all my data" zip to the learner's chat."""
    done = current_jobs(request.user).filter(status=ExportJob.Status.DONE)
    job = get_object_or_404(done.only("pk"), pk=export_id)
    return _send(request, "everything", job.pk)


def _send(request: LearnerRequest, kind: str, object_id: int) -> HttpResponse:
    reachable = request.user.bot_reachable
    if reachable:
        files.request_sending(request.user, kind, object_id)
    return render(request, "bot/files.html#sent", {"reachable": reachable})


@require_http_methods(["GET", "POST"])
@telegram_user_required
def received_file(request: LearnerRequest, file_id: int) -> HttpResponse:
    """A file the learner sent to the bot: GET, what it holds and a choice of deck; POST,
    import it there (a new deck if they chose so) as the Mini App's import does."""
    received = get_object_or_404(ReceivedFile.objects.filter(owner=request.user), pk=file_id)
    content = bytes(received.content)
    try:
        source = read_source(content)
    except ImportRefused as refused:  # IMPORT_MAX_BYTES lowered since, say
        return render(request, "bot/files.html#received", {"error": str(refused)})
    decks = Deck.objects.for_user(request.user).order_by("name")
    new_name = (source.deck_name or PurePath(received.name).stem or received.name)[:100]
    form = ReceivedFileForm(request.POST or None, decks=decks, new_name=new_name)
    if request.method == "POST" and form.is_valid():
        upload = SimpleUploadedFile(received.name, content)
        import_form = ImportForm({}, MultiValueDict({"file": [upload]}))
        if import_form.is_valid():
            with transaction.atomic():
                deck = form.cleaned_data["deck"]
                if deck is None:
                    deck = Deck.objects.create(owner=request.user, name=new_name)
                start_import(deck=deck, form=import_form)
                received.delete()
            # The deck's import screen shows the import run, as after the Mini App's own.
            return redirect("deck_import", deck.pk)
        form.add_error(None, [str(error) for error in import_form.non_field_errors()])
    options = ImportOptions(mapping=dict(source.mapping))
    context = {
        "received": received,
        "source": source,
        "format_name": FORMAT_NAMES.get(source.format, source.format),
        "rows": preview_rows(source, options),
        "form": form,
    }
    return render(request, page_or_part(request, "bot/files.html", "received"), context)
