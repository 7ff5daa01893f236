"""Writes a WordPress export of many posts and comments, for measuring an import.

    .venv/bin/python -m tests.importers.benchmark_export export.xml --posts 1000 --comments 20000

Every post is the seed article as the block editor writes it (so every recognizer runs
on every post); comments are spread evenly, every third one a reply, with every status.
"""

import argparse

from .seed_markup import comment_element, post_item, seed_article, wxr

STATUSES = ["1", "1", "1", "1", "0", "spam", "trash"]


def comments_for(post_number, count):
    first = post_number * 100_000
    elements = []
    for n in range(count):
        comment_id = first + n
        parent = comment_id - 1 if n % 3 == 2 else 0
        when = f"2025-04-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}:00"
        elements.append(comment_element(comment_id, parent, STATUSES[n % len(STATUSES)], when))
    return "".join(elements)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=20000)
    options = parser.parse_args()
    title, content = seed_article()
    per_post = options.comments // options.posts
    with open(options.output, "w") as export:
        head, tail = wxr(["@@ITEMS@@"]).split("@@ITEMS@@")
        export.write(head)
        for n in range(1, options.posts + 1):
            export.write(
                post_item(
                    n,
                    f"imported-{n}",
                    f"{title} ({n})",
                    content,
                    comments=comments_for(n, per_post),
                )
            )
        export.write(tail)


if __name__ == "__main__":
    main()
