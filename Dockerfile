# PhraseWeaver's production image (docs/deploy.md). No secret is baked in: Fly passes them at
# run time, and the build steps below that need settings get throwaway values.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext: compilemessages turns locale/*.po into the .mo files Django reads. ffmpeg re-encodes
# learners' recordings and the server's speech to MP3, and those to the bot's OGG/Opus voice
# notes (libopus); espeak-ng is the server's voice.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext ffmpeg espeak-ng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies before the code: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Hashed, compressed static files (DEBUG is off, so settings pick whitenoise's manifest storage)
# and compiled translations. Settings refuse to load without secrets and PUBLIC_URL when DEBUG
# is off; these build-only values live for this one command and are never used to sign or link
# anything.
RUN SECRET_KEY=build-only TELEGRAM_BOT_TOKEN=0:build-only PUBLIC_URL=https://build-only.invalid \
    sh -c "python manage.py collectstatic --noinput -v 0 && python manage.py compilemessages -v 0"

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin phraseweaver \
    && mkdir -p /app/media && chown phraseweaver /app/media
USER phraseweaver

EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "phraseweaver.wsgi"]
