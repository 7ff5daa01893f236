"""
The WSGI application gunicorn serves (deploy/systemd/evidence-notes-web.service).

Once it is loaded, the objects a worker keeps for its whole life (Django's and Wagtail's
modules, the models, settings and block definitions) are moved out of the garbage
collector's reach with ``gc.freeze()``. A full collection otherwise walks all of them:
about 150 ms, once every 20 requests or so, which set every page's p99 at 10,000 posts
(the v2 listing's 194 ms against 68 frozen; docs/benchmarks.md, "At scale"). What is
already garbage is collected first, so freezing keeps nothing alive that would have gone.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")

application = get_wsgi_application()

gc.collect()
gc.freeze()
