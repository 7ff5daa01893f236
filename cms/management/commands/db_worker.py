"""
``manage.py db_worker``: django_tasks_db's worker, kept running through a database restart.

The worker polls the queue in a loop. A poll that met the database down (a restart, a
failover) raised out of that loop and the worker exited, and the queue waited for
whoever restarts it. Here the loop resumes once the database answers again: the failed
poll claimed nothing (the claim is made in the poll's own transaction), so every task
still waits in the queue, and the next poll takes it. Registered under the same name
because ``cms`` comes first in INSTALLED_APPS: the systemd unit and the docs need not
change.
"""

import logging
import time

from django.db import InterfaceError, OperationalError, connections

from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("django_tasks_db")

#: How long the worker waits before polling a database that did not answer.
RETRY_SECONDS = 1


class RestartSurvivingWorker(db_worker.Worker):
    def run(self):
        while True:
            try:
                return super().run()
            except (OperationalError, InterfaceError) as error:
                if not self.running:
                    raise
                logger.warning(
                    "Database unavailable (%s); polling again in %s s.", error, RETRY_SECONDS
                )
                for connection in connections.all(initialized_only=True):
                    connection.close()
                time.sleep(RETRY_SECONDS)


class Command(db_worker.Command):
    def handle(self, *args, **options):
        # The parent's handle() builds its worker from this module attribute.
        db_worker.Worker = RestartSurvivingWorker
        return super().handle(*args, **options)
