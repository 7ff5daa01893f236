"""
``deploy/nginx.conf`` filled in, for the benchmark and the tests that run the site
behind it exactly as production does.
"""

import os
import pwd
import re
import shutil
from pathlib import Path

SITE_CONFIG = Path(__file__).with_name("nginx.conf")
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


def site_config(**values):
    """The server block with its ``${NAME}`` placeholders filled in, as
    ``envsubst '${CACHE_DIR} ...'`` would: nginx's own ``$variables`` stay."""
    return PLACEHOLDER.sub(lambda match: str(values[match[1]]), SITE_CONFIG.read_text())


def standalone_config(directory, **values):
    """A whole nginx.conf around the site, running in the foreground with every file it
    writes under ``directory``."""
    site = site_config(CACHE_DIR=Path(directory) / "cache", **values)
    return foreground_config(directory, "include /etc/nginx/mime.types;\n" + site)


def foreground_config(directory, http_block, worker_processes="auto"):
    """nginx.conf for a foreground nginx that writes nothing outside ``directory``, with
    ``http_block`` inside its http block."""
    return f"""daemon off;
worker_processes {worker_processes};
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
{http_block}
}}
"""


def nginx_binary():
    """nginx's path, or None; Debian puts it in /usr/sbin, which not every PATH has."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def foreground_command(directory, config):
    """nginx in the foreground, never as root: run as root, it becomes ``nobody`` (whom
    nginx would make its workers anyway) and ``directory`` becomes nobody's."""
    command = [nginx_binary(), "-e", str(Path(directory) / "error.log"), "-c", str(config)]
    if os.geteuid() != 0:
        return command
    nobody = pwd.getpwnam("nobody")
    for path in (Path(directory), *Path(directory).iterdir()):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    return [
        shutil.which("setpriv"),
        f"--reuid={nobody.pw_uid}",
        f"--regid={nobody.pw_gid}",
        "--clear-groups",
        *command,
    ]
