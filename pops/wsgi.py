import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pops.settings")
application = get_wsgi_application()

from pops.checks import require_shared_cache  # noqa: E402  (needs the settings loaded)

require_shared_cache()
