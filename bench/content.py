"""
The comment thread both servers get: the same authors, texts and reply structure, so
the two answer with the same discussion. Pure data, no Django, no I/O.
"""

from dataclasses import dataclass

OPENINGS = (
    "I had night cramps in both calves for years.",
    "Thanks for laying the studies out like this.",
    "My physiotherapist suggested dry needling last spring.",
    "The sham-controlled trial is the one I would want to see repeated.",
    "Has anyone compared this with plain stretching?",
    "I am a sports therapist and see this question every week.",
)
MIDDLES = (
    "The first two sessions were sore, the third less so, and the cramps came less often.",
    "What strikes me is how small the samples are; forty people is not a lot to go on.",
    "Stretching before bed helped me about as much, and it costs nothing.",
    "Magnesium did nothing for me, which matches what the reviews say.",
    "The mechanism section is the clearest explanation of trigger points I have read.",
)


@dataclass(frozen=True)
class CommentSpec:
    author: str
    email: str
    text: str
    parent: int | None  # index into the list of the comment replied to


def thread_comments(total, replies):
    """``total`` comments, of which ``replies`` answer an earlier top-level comment.

    Top-level comments come first, so every parent precedes its replies; replies are
    spread evenly over the top-level comments.
    """
    if not 0 <= replies < max(total, 1) or (replies and total - replies < 1):
        raise ValueError(f"{replies} replies need at least one top-level comment among {total}")
    top_level = total - replies
    specs = []
    for number in range(total):
        is_reply = number >= top_level
        parent = (number - top_level) * top_level // max(replies, 1) if is_reply else None
        text = (
            f"{OPENINGS[number % len(OPENINGS)]} {MIDDLES[number % len(MIDDLES)]}\n\n"
            f"Comment {number + 1} of the benchmark thread."
        )
        if number % 10 == 3:
            text += f" The trial I mean: https://example.org/studies/{number + 1}"
        specs.append(
            CommentSpec(
                author=f"Reader {number + 1}",
                email=f"reader{number + 1}@bench.example",
                text=text,
                parent=parent,
            )
        )
    return specs
