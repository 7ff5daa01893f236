"""The seed article: loaded twice, it exists once, with every part of it as the right block."""

import io
import re
from pathlib import Path

from django.core.management import call_command

from wagtail.models import Site

import pytest
from bs4 import BeautifulSoup

from blog.models import ArticleImage, BlogIndexPage, BlogPostPage
from home.models import HomePage

SEED_TEXT = Path(__file__).parent / "data" / "dry-needling-chronic-muscle-cramping.txt"
SEED_URL = "/blog/dry-needling-chronic-muscle-cramping/"


def block_types(post):
    return [block.block_type for block in post.body]


def blocks_of(post, block_type):
    return [block.value for block in post.body if block.block_type == block_type]


@pytest.fixture
def loaded_twice(db):
    call_command("load_seed_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_seed_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return BlogPostPage.objects.get()


def test_loading_twice_builds_the_tree_once(loaded_twice):
    assert HomePage.objects.count() == 1
    assert BlogIndexPage.objects.count() == 1
    assert BlogPostPage.objects.count() == 1
    assert ArticleImage.objects.count() == 1
    site = Site.objects.get(is_default_site=True)
    assert site.root_page.specific_class is HomePage
    post = loaded_twice
    assert post.live
    assert post.get_parent().specific_class is BlogIndexPage
    assert post.title == "Is Dry Needling Effective for Chronic Muscle Cramping?"
    assert post.date.isoformat() == "2025-03-27"


def test_a_second_load_publishes_no_new_revision(db):
    call_command("load_seed_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    revisions = BlogPostPage.objects.get().revisions.count()
    block_ids = [block.id for block in BlogPostPage.objects.get().body]
    call_command("load_seed_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    post = BlogPostPage.objects.get()
    assert post.revisions.count() == revisions
    assert [block.id for block in post.body] == block_ids


def test_every_part_is_the_right_block(loaded_twice):
    post = loaded_twice
    key_point_lists = blocks_of(post, "key_points")
    numbered_lists = blocks_of(post, "numbered_list")
    studies = blocks_of(post, "study_card")

    causes, risks, alternatives = key_point_lists
    mechanisms, benefits = numbered_lists
    assert [item["lead"] for item in causes["items"]] == [
        "Dehydration and Electrolyte Imbalance",
        "Neuromuscular Disorders",
        "Overuse and Muscle Fatigue",
        "Poor Circulation",
    ]
    assert [item["title"] for item in mechanisms["items"]] == [
        "Triggering a Local Twitch Response",
        "Reducing Nerve Hyperactivity",
        "Enhancing Blood Flow",
        "Decreasing Pain Sensitivity",
    ]
    assert [item["title"] for item in benefits["items"]] == [
        "Immediate Relief",
        "Minimally Invasive",
        "Improved Range of Motion",
        "Non-Pharmacological Approach",
    ]
    assert len(risks["items"]) == 4
    assert len(alternatives["items"]) == 4
    assert [(s["year"], s["study_type"], s["journal"]) for s in studies] == [
        (2021, "systematic_review", "Journal of Orthopedic & Sports Physical Therapy"),
        (2019, "other", "Clinical Journal of Sports Medicine"),
        (2020, "randomized_controlled_trial", "Journal of Pain Research"),
    ]
    assert "did not specifically focus on cramps" in studies[0]["relevance"]
    assert block_types(post).count("heading") == 8
    assert len(post.body) > 20, "the article must not be pasted as one rich-text lump"


def test_hero_image_is_a_generated_placeholder_with_the_seeds_credit(loaded_twice):
    image = loaded_twice.hero_image
    assert image.width == 1600 and image.height == 900
    assert image.credit == "Freepik"
    assert image.source_url.startswith(
        "https://www.freepik.com/free-photo/closeup-shirtless-man-receiving-dry-needling-therapy"
    )


def normalise(text):
    return re.sub(r"\s+", " ", text).strip()


def test_the_page_shows_every_paragraph_and_item_of_the_original_in_order(loaded_twice, client):
    """Each line of the source text appears on the page, in the source's order; study
    sentences, which the cards break into fields, are matched by their year and journal."""
    response = client.get(SEED_URL)
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    page_text = normalise(html.select_one("article.post").get_text(" "))

    lines = [normalise(line) for line in SEED_TEXT.read_text().splitlines() if line.strip()]
    body_lines = lines[3 : lines.index("Leave a Reply")]
    position = 0
    for line in body_lines:
        line = re.sub(r"^(\d+\.|•)\s*", "", line)
        study = re.match(
            r"A (\d{4}) .*?in the ((?:Journal|Clinical)[^,]*?) (?:found|reported|showed)",
            line,
        )
        if study:
            year, journal = study.groups()
            needle = f"{journal} , {year}"
        else:
            needle = line
        found = page_text.find(needle, position)
        assert found >= 0, f"missing or out of order: {needle!r}"
        position = found + len(needle)


def test_rendered_structure(loaded_twice, client):
    html = BeautifulSoup(client.get(SEED_URL).content, "html.parser")
    article = html.select_one("article.post")
    assert article.select_one("time")["datetime"] == "2025-03-27"
    assert len(article.select("ul.key-points")) == 3
    mechanisms = article.select("ol.numbered-points")[0].select("li")
    assert [li.strong.text for li in mechanisms][0] == "Triggering a Local Twitch Response:"
    assert len(article.select("article.study-card")) == 3
    assert [c.text for c in article.select("article.study-card cite")] == [
        "Journal of Orthopedic & Sports Physical Therapy",
        "Clinical Journal of Sports Medicine",
        "Journal of Pain Research",
    ]
    hero = article.select_one("figure.post__hero")
    assert hero.figcaption.a.text == "Freepik"
    toc = [a["href"] for a in article.select("nav.toc a")]
    assert toc[0] == "#understanding-chronic-muscle-cramping"
    assert all(article.select_one(href) is not None for href in toc)
    assert "min read" in article.select_one(".reading-time").text


def words(text):
    return set(re.findall(r"[a-z0-9&]+", text.lower()))


def test_study_cards_say_only_what_the_article_says(loaded_twice):
    """Population, finding and relevance are split out of one sentence of the article each;
    every word on a card comes from that sentence, so no claim is added to the evidence."""
    sentences = [
        line.strip(" •")
        for line in SEED_TEXT.read_text().splitlines()
        if re.match(r"\s*• A (2019|2020|2021) ", line)
    ]
    post = BlogPostPage.objects.get()
    cards = blocks_of(post, "study_card")
    assert len(cards) == len(sentences) == 3

    for card, sentence in zip(cards, sentences, strict=True):
        assert str(card["year"]) in sentence
        assert card["journal"] in sentence
        for field in ("population", "finding", "relevance"):
            added = words(card[field]) - words(sentence)
            assert not added, f"{card['year']} {field} adds {sorted(added)}"


def test_the_seed_post_passes_the_validation_an_editor_saving_it_would_meet(loaded_twice):
    """Loading bypasses the admin's forms; an editor who opens the post and saves it must
    not be told a field of the seed is too long or invalid."""
    post = BlogPostPage.objects.get()

    post.full_clean()
    post.body.stream_block.clean(post.body)


def test_make_runs_address_becomes_the_sites_so_links_work_where_it_serves(db, client):
    out = io.StringIO()
    call_command("load_seed_content", "--site-url", "http://127.0.0.1:8000", stdout=out)

    assert "Site address: http://127.0.0.1:8000" in out.getvalue()
    canonical = BeautifulSoup(client.get(SEED_URL).content, "html.parser").find(
        "link", rel="canonical"
    )
    assert canonical["href"] == "http://127.0.0.1:8000/blog/dry-needling-chronic-muscle-cramping/"


def test_an_address_an_administrator_set_is_kept(db):
    call_command("load_seed_content", stdout=io.StringIO())
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "evidence.example.org", 443
    site.save()

    call_command("load_seed_content", "--site-url", "http://127.0.0.1:8000", stdout=io.StringIO())

    site.refresh_from_db()
    assert (site.hostname, site.port) == ("evidence.example.org", 443)


def test_hero_alt_text_describes_the_placeholder_shown_not_the_credited_photo(loaded_twice, client):
    """Readers of the alt text get what is on screen; the photo's credit and link stay as
    data, printed in the caption."""
    image = loaded_twice.hero_image
    page = BeautifulSoup(client.get(SEED_URL).text, "html.parser")
    hero = page.select_one(".post__hero")
    alt = hero.img["alt"]

    assert alt == image.description
    assert alt.startswith("Placeholder graphic")
    for word in ("man", "doctor", "clinic", "photo", "shirtless", "receiving"):
        assert not re.search(rf"\b{word}\b", alt, re.I), f"the alt text claims “{word}”"
    credit = hero.select_one("figcaption a")
    assert credit.get_text(strip=True) == "Freepik"
    assert credit["href"] == image.source_url


def test_the_placeholder_has_the_five_white_strokes_its_alt_text_names(loaded_twice):
    from PIL import Image as PILImage

    image = loaded_twice.hero_image
    assert "five thin white strokes" in image.description
    with image.open_file() as file:
        picture = PILImage.open(file).convert("RGB")
        middle = picture.height // 2
        row = [picture.getpixel((x, middle)) for x in range(picture.width)]
    white = [min(pixel) > 235 for pixel in row]
    strokes = sum(1 for x in range(1, len(white)) if white[x] and not white[x - 1])
    assert strokes == 5
