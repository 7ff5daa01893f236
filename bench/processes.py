"""
Everything the harness starts, and stopping it again: child processes run in their own
process group (so gunicorn's and nginx's workers stop with their master), temporary
directories, throwaway databases and cache keys. ``Cleanup`` runs in reverse order on
normal exit, on error, on Ctrl-C and on SIGTERM/SIGHUP.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


class Cleanup(contextlib.ExitStack):
    """An ExitStack that also turns SIGTERM and SIGHUP into an orderly exit."""

    def __enter__(self):
        super().__enter__()
        # Ctrl-C raises KeyboardInterrupt even where the shell started us with SIGINT
        # ignored (a background job), so the stack always unwinds.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        self.callback(signal.signal, signal.SIGINT, previous)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous = signal.signal(signum, _exit_on_signal)
            self.callback(signal.signal, signum, previous)
        return self

    def tempdir(self, prefix):
        path = tempfile.mkdtemp(prefix=prefix)
        self.callback(shutil.rmtree, path, ignore_errors=True)
        return path

    def start(self, name, command, *, log_path, env=None, cwd=None, **popen_args):
        """Start a long-running process in its own session; stopped when the stack unwinds."""
        log = open(log_path, "ab")  # noqa: SIM115 (closed by the stop callback)
        process = subprocess.Popen(  # noqa: S603 (commands are built by the harness)
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
            **popen_args,
        )
        self.callback(stop_process_group, name, process, log)
        return process


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def stop_process_group(name, process, log=None, grace_seconds=10):
    """TERM the group we started (its leader has our child's pid), then KILL what is left."""
    try:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(grace_seconds)
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop in {grace_seconds} s; killing it")
        # Workers may outlive a master that exited: the group id is still ours.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
    finally:
        if log:
            log.close()


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on now (never 8000, the dev server's)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port != 8000:
            return port


def http_request(url, *, data=None, headers=None, method=None, timeout=10):
    """(status, body) for a request to 127.0.0.1; errors with a status are answers too."""
    request = urllib.request.Request(  # noqa: S310 (the harness only calls 127.0.0.1)
        url, data=data, headers=headers or {}, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_serving(url, process, name, log_path, timeout=90):
    """Poll ``url`` until it answers below 500; fail with the log's tail if it never does."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            status, _ = http_request(url, timeout=5)
            if status < 500:
                return
            last_error = f"HTTP {status}"
        except OSError as error:
            last_error = error
        time.sleep(0.3)
    raise RuntimeError(
        f"{name} did not start serving {url} ({last_error or 'process exited'}).\n"
        f"Last lines of {log_path}:\n{tail(log_path)}"
    )


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as file:
            return "".join(file.readlines()[-lines:])
    except OSError:
        return "(no log)"


def run_logged(command, *, log_path, env=None, cwd=None, what):
    """Run a setup step to completion, output to the log; raise with the log's tail on failure."""
    with open(log_path, "ab") as log:
        log.write(f"\n$ {' '.join(map(str, command))}\n".encode())
        log.flush()
        completed = subprocess.run(  # noqa: S603 (commands are built by the harness)
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, check=False
        )
    if completed.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {completed.returncode}):\n{tail(log_path)}")


def children_of(pid):
    """Direct children of a process (gunicorn's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def cpu_seconds(pids):
    """User + system CPU time the processes have used so far, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def wait_until_idle(pids, *, busy_share=0.05, interval=1.0, timeout=180):
    """Wait until the processes use less than ``busy_share`` of a core over ``interval``
    seconds (a task worker done starting and with what the site's build queued); returns the
    seconds waited, or None when they were still busy at ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = cpu_seconds(pids)
        time.sleep(interval)
        if cpu_seconds(pids) - before < busy_share * interval:
            return time.monotonic() - started
    return None
