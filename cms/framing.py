"""
The last word on a response's ``Content-Length``.

Django's ``CommonMiddleware`` sets the header from the body it sees, but middleware
outside it may still rewrite the body: the page cache fills in each view's form tokens,
which made every cache miss's header about 72 bytes short. gunicorn sends exactly
``Content-Length`` bytes, so readers got pages cut off mid-footer, and on a kept-alive
connection the rest could bleed into the next response. Django's test client does not
frame HTTP and never saw it. This middleware is the outermost one (first in
``MIDDLEWARE``), so the length it sets is of the body that is actually sent, whatever any
view or middleware did before.
"""


class ContentLengthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming:
            # A streamed body's length is the view's business (FileResponse sets it from
            # the file); with none, the server frames it with chunked encoding.
            return response
        if request.method == "HEAD" and not response.content and "Content-Length" in response:
            return response  # the length of the GET body a HEAD describes
        response["Content-Length"] = str(len(response.content))
        return response
