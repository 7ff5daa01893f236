"""Bulk pin and unpin in the moderation queue: a moderator ticks comments, sees on the
confirm page which of them cannot be pinned and why, and pins all of them or none,
within COMMENTS_MAX_PINNED_PER_POST per post; each pin and unpin is logged as a single
one is."""

from bs4 import BeautifulSoup

from blog.comments.models import Comment
from blog.comments.pinning import PIN_LOG_ACTION, UNPIN_LOG_ACTION, pin
from tests.comments.conftest import make_comment
from tests.comments.test_admin import bulk_url, log_entries, messages_of, url

Status = Comment.Status


def said(response):
    return [message.strip() for message in messages_of(response)]


def confirmed(client, *comments, action="pin"):
    """The moderator presses the confirm page's button, coming back to the queue."""
    return client.post(bulk_url(action, *comments, next=url("list")), follow=True)


def pinned_ids():
    return set(Comment.objects.filter(pinned_at__isnull=False).values_list("pk", flat=True))


def refusals_on(page):
    """What the confirm page says under each comment that cannot be pinned."""
    soup = BeautifulSoup(page.content, "html.parser")
    return [item.get_text(" ", strip=True) for item in soup.select("[data-bulk-refusal]")]


def test_a_moderator_pins_and_unpins_several_comments(
    seed_post, make_posts, moderator, moderator_client, django_assert_max_num_queries
):
    (other_post,) = make_posts(1)
    chosen = [
        make_comment(seed_post, author_name="Ada"),
        make_comment(seed_post, author_name="Bo"),
        make_comment(other_post, author_name="Cy"),
    ]

    confirm = moderator_client.get(bulk_url("pin", *chosen))
    # 14 for the request, the locks and the check, then 5 a comment, as a single pin
    # costs: its row, the post's cache version, the log entry.
    with django_assert_max_num_queries(14 + 5 * len(chosen)):
        posted = moderator_client.post(bulk_url("pin", *chosen, next=url("list")))
    done = moderator_client.get(posted.url)

    assert confirm.status_code == 200
    assert "Pin to top 3 comments?" in confirm.text
    assert refusals_on(confirm) == []
    assert said(done) == ["Pinned 3 comments."]
    assert pinned_ids() == {comment.pk for comment in chosen}
    for comment in chosen:
        entries = log_entries(comment.pk)
        assert [(e.action, e.user_id, e.data) for e in entries] == [
            (PIN_LOG_ACTION, moderator.pk, {"post_id": comment.post_id})
        ]

    undone = confirmed(moderator_client, *chosen[:2], action="unpin")

    assert said(undone) == ["Unpinned 2 comments."]
    assert pinned_ids() == {chosen[2].pk}
    assert [e.action for e in log_entries(chosen[0].pk)] == [PIN_LOG_ACTION, UNPIN_LOG_ACTION]


def test_a_pinned_comment_in_the_selection_is_left_as_it_was(
    seed_post, moderator, moderator_client
):
    standing = make_comment(seed_post, author_name="Already")
    pin(standing.pk, moderator)
    new = make_comment(seed_post, author_name="New")

    done = confirmed(moderator_client, standing, new)

    assert said(done) == ["Pinned 1 comment. 1 was left as it was."]
    assert pinned_ids() == {standing.pk, new.pk}
    assert [e.action for e in log_entries(standing.pk)] == [PIN_LOG_ACTION]


def test_replies_and_held_comments_are_named_and_nothing_is_pinned(seed_post, moderator_client):
    fine = make_comment(seed_post, author_name="Fine")
    held = make_comment(seed_post, status=Status.PENDING, author_name="Held")
    reply = make_comment(seed_post, parent=fine, author_name="Replier")

    confirm = moderator_client.get(bulk_url("pin", fine, held, reply))
    forced = confirmed(moderator_client, fine, held, reply)

    assert sorted(refusals_on(confirm)) == [
        "Cannot be pinned: Only approved comments can be pinned. Approve this comment first.",
        "Cannot be pinned: Only comments on the post itself can be pinned, not replies. Pin "
        "the comment this reply answers: its replies come with it.",
    ]
    assert "Nothing will be pinned" in confirm.text
    assert 'type="submit"' not in confirm.text
    (message,) = said(forced)
    assert message.startswith("Nothing was pinned.")
    assert "The comment by Held: Only approved comments can be pinned." in message
    assert "The comment by Replier: Only comments on the post itself can be pinned" in message
    assert "Fine" not in message
    assert pinned_ids() == set()
    assert not log_entries(fine.pk).exists()


def test_more_than_a_post_has_room_for_pins_none_of_them(
    seed_post, make_posts, settings, moderator, moderator_client
):
    settings.COMMENTS_MAX_PINNED_PER_POST = 3
    (other_post,) = make_posts(1)
    standing = make_comment(seed_post, author_name="Standing")
    pin(standing.pk, moderator)
    crowded = [make_comment(seed_post, author_name=f"Crowd {n}") for n in range(3)]
    elsewhere = make_comment(other_post, author_name="Elsewhere")

    confirm = moderator_client.get(bulk_url("pin", *crowded, elsewhere))
    forced = confirmed(moderator_client, *crowded, elsewhere)

    room = (
        "Its post has room for 2 more pinned comments (the most is 3) and 3 of the "
        "selected comments are on it. Select fewer, or unpin one first."
    )
    assert refusals_on(confirm) == [f"Cannot be pinned: {room}"] * 3
    (message,) = said(forced)
    for comment in crowded:
        assert f"The comment by {comment.author_name}: {room}" in message
    assert "Elsewhere" not in message
    # Not even the comment on the other post, nor two of the three: all or none.
    assert pinned_ids() == {standing.pk}

    two = confirmed(moderator_client, *crowded[:2], elsewhere)

    assert said(two) == ["Pinned 3 comments."]
    assert pinned_ids() == {standing.pk, crowded[0].pk, crowded[1].pk, elsewhere.pk}
