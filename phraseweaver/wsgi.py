import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phraseweaver.settings")

application = get_wsgi_application()

# gunicorn imports this module once, in its master, and forks the workers from it
# (gunicorn.conf.py preload_app): what is loaded here, each worker has from its start.
from phraseweaver.warmup import warm_up  # noqa: E402 (needs the settings configured)

warm_up()
