"""
An example front end on its own origin: Python's standard library only, no build step.

It draws posts from the CMS's v3 API on the server (every block type with markup of its
own), embeds the comment component (headless/static/headless/evidence-comments.js) for
the post's comments, draws drafts for the admin's preview panel at /preview?token=…, and
receives webhooks at /webhooks, verifying each with the Standard Webhooks library when
WEBHOOK_SECRET is set.

    python examples/frontend/server.py --cms http://127.0.0.1:8000 --port 3000

Text from the API is escaped (html.escape); the only HTML inserted as is are the rich
text fields, which the CMS renders and sanitizes, and each comment's sanitized `html`,
inserted by the component. Every page carries a strict Content-Security-Policy: no inline
script or style anywhere.
"""

import argparse
import html
import json
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPONENT = HERE.parents[1] / "headless" / "static" / "headless" / "evidence-comments.js"
ASSETS = {
    "/evidence-comments.js": (COMPONENT, "text/javascript; charset=utf-8"),
    "/style.css": (HERE / "style.css", "text/css; charset=utf-8"),
}
API_SECONDS = 10


def text(value):
    return html.escape(str(value or ""), quote=True)


def safe_link(address):
    """An http(s) address for an href, or None (no javascript: or data: links)."""
    return address if urllib.parse.urlsplit(address or "").scheme in ("http", "https") else None


def render_block(block):
    kind, value = block["type"], block["value"]
    if kind == "heading":
        level = "h3" if value.get("level") == "h3" else "h2"
        anchor = f' id="{text(value["anchor"])}"' if value.get("anchor") else ""
        return f'<{level} class="block-heading"{anchor}>{text(value["text"])}</{level}>'
    if kind == "paragraph":
        return f'<div class="block-paragraph">{value}</div>'
    if kind == "key_points":
        items = "".join(
            f"<li><strong>{text(item.get('lead'))}</strong> {item['text']}</li>"
            for item in value.get("items") or []
        )
        return f'<aside class="block-key-points"><h2>Key points</h2><ul>{items}</ul></aside>'
    if kind == "numbered_list":
        items = "".join(
            f'<li value="{int(item["number"])}"><h3>{text(item["title"])}</h3>{item["text"]}</li>'
            for item in value["items"]
        )
        return f'<ol class="block-numbered-list">{items}</ol>'
    if kind == "study_card":
        link = safe_link(value.get("link"))
        title = (
            f'<a href="{text(link)}">{text(value["journal"])}</a>'
            if link
            else text(value["journal"])
        )
        doi = f"<p>DOI {text(value['doi'])}</p>" if value.get("doi") else ""
        return (
            f'<section class="block-study-card"><h3>{text(value["study_type_label"])}, '
            f"{title} ({int(value['year'])})</h3>"
            f"<dl><dt>Population</dt><dd>{text(value['population'])}</dd>"
            f"<dt>Finding</dt><dd>{text(value['finding'])}</dd>"
            f"<dt>Why it matters</dt><dd>{text(value['relevance'])}</dd></dl>{doi}</section>"
        )
    if kind == "callout":
        title = f"<h3>{text(value['title'])}</h3>" if value.get("title") else ""
        tone = text(value["tone"])
        return f'<aside class="block-callout tone-{tone}">{title}{value["text"]}</aside>'
    if kind == "quote":
        source = safe_link(value.get("source_url"))
        cite = f' cite="{text(source)}"' if source else ""
        who = (
            f"<figcaption>{text(value['attribution'])}</figcaption>"
            if value.get("attribution")
            else ""
        )
        return (
            f'<figure class="block-quote"><blockquote{cite}><p>{text(value["quote"])}</p>'
            f"</blockquote>{who}</figure>"
        )
    if kind == "image":
        rendition = next(iter(value.get("renditions", {}).values()), None)
        if rendition is None:
            return ""
        caption = text(value.get("caption"))
        credit = text(value.get("credit"))
        source = safe_link(value.get("source_url"))
        if credit and source:
            credit = f'<a href="{text(source)}">{credit}</a>'
        return (
            f'<figure class="block-image"><img src="{text(rendition["full_url"])}" '
            f'alt="{text(value["alt"])}" width="{int(rendition["width"])}" '
            f'height="{int(rendition["height"])}">'
            f"<figcaption>{caption} {credit}</figcaption></figure>"
        )
    return f"<!-- a {text(kind)} block this front end does not draw -->"


def render_page(page, cms, *, preview=False, comments_per_page=20):
    body = "".join(render_block(block) for block in page.get("body") or [])
    comments = ""
    if page.get("meta", {}).get("type") == "blog.BlogPostPage" and not preview:
        comments = (
            f'<section class="comments"><evidence-comments post="{int(page["id"])}" '
            f'api="{text(cms)}/api/v3/" page-size="{int(comments_per_page)}"></evidence-comments>'
            "</section>"
        )
    banner = '<p class="preview-banner">Preview of a draft</p>' if preview else ""
    intro = f'<p class="intro">{text(page.get("intro"))}</p>' if page.get("intro") else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{text(page['title'])}</title>"
        '<link rel="stylesheet" href="/style.css">'
        '<script type="module" src="/evidence-comments.js"></script></head>'
        f"<body>{banner}<main><article><h1>{text(page['title'])}</h1>{intro}{body}</article>"
        f"{comments}</main></body></html>"
    )


class FrontEnd(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, cms, port=0, webhook_secret=None):
        super().__init__(("127.0.0.1", port), Handler)
        self.cms = cms.rstrip("/")
        self.webhooks = []
        self.webhook_secret = webhook_secret
        self.comments_per_page = 20

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def api(self, path):
        with urllib.request.urlopen(f"{self.cms}/api/v3/{path}", timeout=API_SECONDS) as answer:  # noqa: S310 (the CMS's address, given by whoever runs this)
            return json.load(answer)

    def start(self):
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self


class Handler(BaseHTTPRequestHandler):
    server: FrontEnd

    def policy(self):
        cms = self.server.cms
        return (
            f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' {cms}; "
            f"connect-src {cms}; base-uri 'none'; form-action 'none'; frame-ancestors {cms}"
        )

    def answer(
        self, status, payload=b"", content_type="text/html; charset=utf-8", cache="no-cache"
    ):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Content-Security-Policy", self.policy())
        self.send_header("Cache-Control", cache)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urllib.parse.urlsplit(self.path)
        if url.path in ASSETS:
            path, content_type = ASSETS[url.path]
            return self.answer(200, path.read_bytes(), content_type)
        try:
            if url.path == "/":
                return self.index()
            if url.path.startswith("/posts/") and url.path.strip("/").split("/")[-1].isdigit():
                page = self.server.api(f"pages/{int(url.path.strip('/').split('/')[-1])}/")
                return self.answer(
                    200,
                    render_page(
                        page, self.server.cms, comments_per_page=self.server.comments_per_page
                    ).encode(),
                )
            if url.path == "/preview":
                token = urllib.parse.parse_qs(url.query).get("token", [""])[0]
                page = self.server.api(f"preview/?{urllib.parse.urlencode({'token': token})}")
                html_page = render_page(page, self.server.cms, preview=True)
                return self.answer(200, html_page.encode(), cache="private, no-store")
        except urllib.error.HTTPError as error:
            return self.answer(error.code, f"<p>The CMS answered {error.code}.</p>".encode())
        return self.answer(404, b"<p>Not found.</p>")

    def index(self):
        posts = self.server.api("posts/")["items"]
        links = "".join(
            f'<li><a href="/posts/{int(post["id"])}/">{text(post["title"])}</a></li>'
            for post in posts
        )
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Posts</title>'
            '<link rel="stylesheet" href="/style.css"></head>'
            f"<body><main><h1>Posts</h1><ul>{links}</ul>"
            "</main></body></html>"
        )
        return self.answer(200, page.encode())

    def do_POST(self):  # noqa: N802 (http.server's name)
        if urllib.parse.urlsplit(self.path).path != "/webhooks":
            return self.answer(404)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.webhook_secret:
            from standardwebhooks import Webhook, WebhookVerificationError

            try:
                event = Webhook(self.server.webhook_secret).verify(body, dict(self.headers.items()))
            except WebhookVerificationError:
                return self.answer(400)
        else:
            event = json.loads(body)
        self.server.webhooks.append(event)
        print(f"webhook {event['type']}: {json.dumps(event['data'])}", file=sys.stderr)
        return self.answer(204)

    def log_message(self, *args):
        if os.environ.get("EXAMPLE_QUIET"):
            return
        super().log_message(*args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cms", default=os.environ.get("CMS_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("EXAMPLE_PORT", "3000")))
    arguments = parser.parse_args()
    server = FrontEnd(arguments.cms, arguments.port, os.environ.get("WEBHOOK_SECRET"))
    print(f"Example front end on {server.url}/ reading {server.cms}/api/v3/", file=sys.stderr)
    server.serve_forever()


if __name__ == "__main__":
    main()
