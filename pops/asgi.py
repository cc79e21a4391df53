import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pops.settings")
application = get_asgi_application()

from pops.checks import require_shared_cache  # noqa: E402  (needs the settings loaded)

require_shared_cache()
