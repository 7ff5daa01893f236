"""
What the task-worker fault tests give ``manage.py db_worker`` (a process of its own) to run:
a task that waits for the test's word, and an email backend that writes each message as a
line of one file, so the order in which two workers sent mail can be read afterwards.
"""

import json
import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

from django_tasks import task

#: Where AppendingEmailBackend writes (one JSON line per message).
MAIL_LOG_VARIABLE = "FAULTS_MAIL_LOG"
RELEASE_WAIT_SECONDS = 60


def append_line(path, line):
    # One write() on a file opened for appending: lines from two processes never mix.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, (line + "\n").encode())
    finally:
        os.close(descriptor)


@task()
def record_run(log_path, release_path):
    """Writes "start <pid>", waits until ``release_path`` exists, writes "end <pid>"."""
    append_line(log_path, f"start {os.getpid()}")
    deadline = time.monotonic() + RELEASE_WAIT_SECONDS
    while not Path(release_path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    append_line(log_path, f"end {os.getpid()}")
    return os.getpid()


class AppendingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            line = json.dumps({"to": message.to, "subject": message.subject, "body": message.body})
            append_line(os.environ[MAIL_LOG_VARIABLE], line)
        return len(email_messages)
