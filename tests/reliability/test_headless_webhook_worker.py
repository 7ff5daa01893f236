"""Webhooks as production sends them: the change commits, the task waits in the database
queue, and ``manage.py db_worker`` (two of them at once here) delivers it, once, signed so
the Standard Webhooks library accepts it."""

import json
import subprocess
import sys

from standardwebhooks import Webhook

from tests.management import ROOT, run_manage

ADD_ENDPOINT = """
import json
from headless.models import WebhookEndpoint
from headless.signing import new_secret
endpoint = WebhookEndpoint.objects.create(
    url={url!r}, secret=new_secret(), events=["page.published"]
)
print(json.dumps({{"id": endpoint.pk, "secret": endpoint.secret}}))
"""
PUBLISH = """
from blog.models import BlogPostPage
BlogPostPage.objects.get(pk={post_id}).save_revision().publish()
"""
DELIVERIES = """
import json
from headless.models import WebhookDelivery
print(json.dumps(list(WebhookDelivery.objects.filter(endpoint_id={endpoint_id}).values(
    "status", "attempts", "response_code"))))
"""
REMOVE_ENDPOINT = """
from headless.models import WebhookEndpoint
WebhookEndpoint.objects.filter(pk={endpoint_id}).delete()
"""


def test_the_worker_delivers_a_published_page_once(reliability_sites, receiver):
    site = reliability_sites.get("sqlite")
    site.wait()
    environment = {**site.environment(), "HEADLESS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1"}

    def shell(code):
        result = run_manage("shell", "-c", code, environment=environment)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""

    endpoint = json.loads(shell(ADD_ENDPOINT.format(url=receiver.url)))
    try:
        shell(PUBLISH.format(post_id=site.facts["post_id"]))
        assert receiver.received == []  # queued, not sent by the process that published

        workers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        for worker in workers:
            output, _ = worker.communicate(timeout=120)
            assert worker.returncode == 0, output[-3000:]

        [request] = receiver.received
        payload = Webhook(endpoint["secret"]).verify(request["body"], request["headers"])
        assert (payload["type"], payload["data"]["id"]) == ("page.published", site.facts["post_id"])
        assert json.loads(shell(DELIVERIES.format(endpoint_id=endpoint["id"]))) == [
            {"status": "delivered", "attempts": 1, "response_code": 204}
        ]
    finally:
        shell(REMOVE_ENDPOINT.format(endpoint_id=endpoint["id"]))
