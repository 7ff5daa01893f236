"""
The site's first content: the home page, the blog index and the seed article
"Is Dry Needling Effective for Chronic Muscle Cramping?" as real blocks.

The article is kept here as structured data (the words are the article's own) rather
than parsed from the text file at load time, because a study card's population,
finding and relevance are editorial fields that no parser can recover reliably.
``tests/blog/test_seed.py`` checks every paragraph and list item of the original
text against what this produces.

Loading is idempotent: pages are found by slug and updated; block ids are derived
from the post's slug and the block's position, so re-running never changes the ids
apps may have stored; a new revision is published only when something changed.
"""

import datetime
import functools
import io
import uuid
from urllib.parse import urlsplit

from django.core.files.images import ImageFile
from django.db import transaction

from wagtail.models import Page, Site

from PIL import Image as PILImage
from PIL import ImageDraw

from home.models import HomePage

from .models import ArticleImage, BlogIndexPage, BlogPostPage

SEED_NAMESPACE = uuid.UUID("5b8a3e0c-7f2d-4a63-9a55-0d1f3c6e2b71")

HOME = {
    "title": "Evidence Notes",
    "slug": "home",
    "intro": (
        "<p>Plain-language articles on treatments and therapies, with the studies behind "
        "every claim laid out so you can judge the evidence yourself.</p>"
    ),
}
BLOG_INDEX = {
    "title": "Blog",
    "slug": "blog",
    "intro": "<p>Every post, newest first. Each one shows the studies it rests on.</p>",
}

HERO_IMAGE = {
    "title": "Dry needling therapy in a clinic",
    # The alt text of what readers are shown: the generated placeholder, not the photograph
    # the credit and source link name (placeholder_image_file draws it).
    "description": "Placeholder graphic: five thin white strokes, like needles, on a pale blue "
    "gradient.",
    "credit": "Freepik",
    "source_url": (
        "https://www.freepik.com/free-photo/closeup-shirtless-man-receiving-dry-needling-therapy"
        "-from-doctor-clinic_27998904.htm#fromView=search&page=1&position=1"
        "&uuid=e4a99590-4df2-48a0-b1f0-ff2868d4a78a"
        "&query=Is+Dry+Needling+Effective+for+Chronic+Muscle+Cramping%3F"
    ),
    "filename": "dry-needling-placeholder.png",
}


def heading(text):
    return ("heading", {"text": text, "level": "h2", "anchor": ""})


def paragraph(*paragraphs):
    return ("paragraph", "".join(f"<p>{text}</p>" for text in paragraphs))


def key_points(*items):
    return (
        "key_points",
        {"items": [{"lead": lead, "text": f"<p>{text}</p>"} for lead, text in items]},
    )


def numbered(*items):
    return (
        "numbered_list",
        {"items": [{"title": title, "text": f"<p>{text}</p>"} for title, text in items]},
    )


def study(**fields):
    return ("study_card", {"link": "", "doi": "", "relevance": "", **fields})


POST = {
    "title": "Is Dry Needling Effective for Chronic Muscle Cramping?",
    "slug": "dry-needling-chronic-muscle-cramping",
    "date": datetime.date(2025, 3, 27),
    "tags": ["dry needling", "muscle cramps", "physical therapy", "evidence review"],
    "search_description": (
        "What the studies say about dry needling for chronic muscle cramps: how it may work, "
        "three studies, benefits, risks and alternatives."
    ),
    "intro": (
        "Chronic muscle cramping is a common condition affecting individuals across all age "
        "groups and lifestyles. It can be particularly debilitating for athletes, individuals "
        "with neurological disorders, and those suffering from musculoskeletal conditions. "
        "Traditional treatments for muscle cramps include stretching, hydration, massage "
        "therapy, and medication. However, a relatively newer approach known as dry needling "
        "has gained attention as a potential solution. But how effective is dry needling in "
        "alleviating chronic muscle cramping? This article explores the mechanisms, benefits, "
        "and limitations of dry needling in treating persistent muscle cramps."
    ),
    "body": [
        heading("Understanding Chronic Muscle Cramping"),
        paragraph(
            "When a muscle tightens uncontrollably without relaxing, it can cause cramps. These "
            "cramps can be acute or chronic, with the latter significantly impacting daily life. "
            "Common causes of chronic muscle cramping include:"
        ),
        key_points(
            (
                "Dehydration and Electrolyte Imbalance",
                "A lack of adequate fluid intake or deficiencies in minerals like magnesium, "
                "potassium, and calcium can trigger muscle cramps.",
            ),
            (
                "Neuromuscular Disorders",
                "Conditions such as multiple sclerosis (MS), amyotrophic lateral sclerosis (ALS), "
                "and spinal cord injuries can cause persistent muscle cramping.",
            ),
            (
                "Overuse and Muscle Fatigue",
                "Repetitive physical activity without proper recovery can lead to muscle "
                "tightness and cramping.",
            ),
            (
                "Poor Circulation",
                "Reduced blood flow to muscles can contribute to frequent cramping episodes.",
            ),
        ),
        heading("What is Dry Needling?"),
        paragraph(
            "Dry needling is a technique performed by trained healthcare professionals, including "
            "physical therapists and chiropractors. It involves inserting thin, sterile needles "
            "into myofascial trigger points (knots) in the muscles. Unlike acupuncture, which is "
            "rooted in traditional Chinese medicine, dry needling is based on Western medicine "
            "principles and focuses on relieving musculoskeletal pain and dysfunction."
        ),
        heading("How Does Dry Needling Work?"),
        paragraph(
            "Dry needling targets trigger points, which are hyperirritable spots in a muscle that "
            "contribute to pain, tension, and cramping. The proposed mechanisms behind its "
            "effectiveness include:"
        ),
        numbered(
            (
                "Triggering a Local Twitch Response",
                "The insertion of a needle into a tight muscle can cause a reflex contraction "
                "known as a local twitch response, which helps release muscle tension.",
            ),
            (
                "Reducing Nerve Hyperactivity",
                "Chronic muscle cramps may be linked to overactive nerve signals. Dry needling is "
                "thought to reset neuromuscular activity and inhibit excessive nerve firing.",
            ),
            (
                "Enhancing Blood Flow",
                "The needling process can promote vasodilation and improve circulation, "
                "delivering more oxygen and nutrients to the affected muscles.",
            ),
            (
                "Decreasing Pain Sensitivity",
                "By stimulating the nervous system, dry needling may help modulate pain signals "
                "and reduce hypersensitivity in cramping muscles.",
            ),
        ),
        heading("Scientific Evidence Supporting Dry Needling for Muscle Cramps"),
        paragraph(
            "Research on dry needling for chronic muscle cramps is still in its early stages. "
            "However, several studies have explored its effectiveness in treating muscle "
            "tightness, myofascial pain, and musculoskeletal disorders:"
        ),
        study(
            year=2021,
            study_type="systematic_review",
            journal="Journal of Orthopedic & Sports Physical Therapy",
            population="Patients with myofascial pain syndrome",
            finding=(
                "Dry needling effectively reduced muscle pain and tightness in patients with "
                "myofascial pain syndrome."
            ),
            relevance=(
                "While the review did not specifically focus on cramps, it suggests that dry "
                "needling may alleviate muscle hyperactivity associated with chronic cramping."
            ),
        ),
        study(
            year=2019,
            study_type="other",
            journal="Clinical Journal of Sports Medicine",
            population="Athletes experiencing muscle tightness and cramping after intense training",
            finding=(
                "Athletes saw significant improvement in flexibility and pain reduction after "
                "dry needling sessions."
            ),
        ),
        study(
            year=2020,
            study_type="randomized_controlled_trial",
            journal="Journal of Pain Research",
            population=(
                "Patients with chronic neck and back pain, often accompanied by muscle cramping"
            ),
            finding=(
                "Patients experienced reduced pain and muscle spasms following dry needling "
                "treatments."
            ),
        ),
        (
            "callout",
            {
                "tone": "evidence",
                "title": "",
                "text": (
                    "<p>Although these studies provide promising insights, further research is "
                    "needed to determine the direct effects of dry needling on chronic muscle "
                    "cramps.</p>"
                ),
            },
        ),
        heading("Benefits of Dry Needling for Chronic Muscle Cramping"),
        numbered(
            (
                "Immediate Relief",
                "Many patients report an immediate reduction in muscle tightness and cramping "
                "following treatment.",
            ),
            (
                "Minimally Invasive",
                "Unlike medications or surgical interventions, dry needling is a minimally "
                "invasive technique with minimal risks when performed by trained professionals.",
            ),
            (
                "Improved Range of Motion",
                "By releasing muscle tension, dry needling can enhance flexibility and mobility, "
                "reducing the likelihood of recurrent cramps.",
            ),
            (
                "Non-Pharmacological Approach",
                "For individuals who prefer to avoid medications or experience side effects from "
                "muscle relaxants, dry needling offers a drug-free alternative.",
            ),
        ),
        heading("Potential Risks and Limitations"),
        paragraph(
            "While dry needling is generally considered safe, there are potential risks and "
            "limitations to be aware of:"
        ),
        key_points(
            (
                "Temporary Discomfort",
                "Some individuals experience mild soreness or bruising at the needle insertion "
                "sites.",
            ),
            (
                "Risk of Infection",
                "Though rare, improper sterilization of needles can lead to infections.",
            ),
            (
                "Variable Effectiveness",
                "Not all individuals respond to dry needling, and the effectiveness may depend on "
                "the underlying cause of muscle cramps.",
            ),
            (
                "Requires Multiple Sessions",
                "Sustained relief often requires multiple treatments, making it a time and "
                "financial commitment.",
            ),
        ),
        heading("Alternative Treatments for Chronic Muscle Cramping"),
        paragraph(
            "While dry needling can be effective, it is often best used in conjunction with other "
            "treatments:"
        ),
        key_points(
            (
                "Hydration and Nutrition",
                "Ensuring adequate fluid intake and balanced electrolyte levels can help prevent "
                "cramps.",
            ),
            (
                "Stretching and Strengthening Exercises",
                "Regular stretching and strength training can improve muscle function and reduce "
                "cramping episodes.",
            ),
            (
                "Massage Therapy",
                "Deep tissue massage can help release muscle knots and improve circulation.",
            ),
            (
                "Physical Therapy",
                "A customized physical therapy program can address muscle imbalances and "
                "neuromuscular dysfunction.",
            ),
        ),
        heading("Conclusion: Is Dry Needling Worth Trying?"),
        paragraph(
            "Dry needling presents a promising option for individuals suffering from chronic "
            "muscle cramping, particularly when cramps are related to trigger points, muscle "
            "tightness, or neuromuscular dysfunction. While scientific evidence supporting its "
            "direct impact on muscle cramps is still evolving, many patients report significant "
            "relief.",
            "If you are struggling with chronic muscle cramps and traditional treatments have not "
            "provided adequate relief, consulting with a qualified physical therapist or "
            "healthcare provider about dry needling may be worthwhile. As with any treatment, a "
            "comprehensive approach that includes hydration, exercise, and lifestyle "
            "modifications will likely yield the best results.",
            "Ultimately, dry needling is not a one-size-fits-all solution, but for many "
            "individuals, it can be a valuable tool in managing chronic muscle cramping and "
            "improving overall muscle function.",
        ),
    ],
}


def stream_data(slug, blocks):
    """Raw StreamField data with ids that stay the same every time the seed is loaded."""
    return [
        {"type": block_type, "value": value, "id": str(uuid.uuid5(SEED_NAMESPACE, f"{slug}:{i}"))}
        for i, (block_type, value) in enumerate(blocks)
    ]


def placeholder_image_file(width=1600, height=900):
    """The real photo cannot be downloaded here; a calm two-tone placeholder stands in."""
    return ImageFile(io.BytesIO(placeholder_png(width, height)), name=HERO_IMAGE["filename"])


@functools.cache
def placeholder_png(width, height):
    """The same picture every time: drawn and compressed once per process, not at every
    load (about 50 ms; the test suite loads the seed in most of its tests)."""
    picture = PILImage.new("RGB", (width, height), (222, 232, 238))
    draw = ImageDraw.Draw(picture)
    for y in range(height):
        shade = int(200 + 40 * y / height)
        draw.line([(0, y), (width, y)], fill=(shade - 60, shade - 25, shade))
    for i, x in enumerate(range(width // 4, width * 3 // 4, width // 10)):
        top = height // 3 + (i % 2) * 40
        draw.line([(x, top), (x + 30, top + height // 3)], fill=(245, 245, 245), width=6)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def ensure_hero_image():
    image = ArticleImage.objects.filter(title=HERO_IMAGE["title"]).first()
    created = image is None
    if created:
        image = ArticleImage(title=HERO_IMAGE["title"], file=placeholder_image_file())
    image.description = HERO_IMAGE["description"]
    image.credit = HERO_IMAGE["credit"]
    image.source_url = HERO_IMAGE["source_url"]
    image.save()
    return image, created


def publish_if_changed(page, fields, also_changed=()):
    """Set the fields; publish a new revision only when one of them differs."""
    changed = [name for name, value in fields.items() if _field_value(page, name) != value]
    for name in changed:
        setattr(page, name, fields[name])
    changed += list(also_changed)
    if changed or not page.live:
        page.save_revision(log_action=True).publish()
    return changed


def _field_value(page, name):
    value = getattr(page, name)
    if name == "body":
        return list(value.raw_data)
    if hasattr(value, "source"):
        return value.source
    return value


def ensure_home():
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        default_welcome = Page.objects.filter(depth=2, slug=HOME["slug"]).exclude(
            content_type__model="homepage"
        )
        for page in default_welcome:
            page.delete()
        home = root.add_child(instance=HomePage(title=HOME["title"], slug=HOME["slug"]))
    publish_if_changed(home, {"title": HOME["title"], "intro": HOME["intro"]})

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=HOME["title"],
        )
    elif site.root_page_id != home.pk or site.site_name != HOME["title"]:
        site.root_page = home
        site.site_name = HOME["title"]
        site.save()
    return home


def ensure_child(parent, model, slug, title):
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = parent.add_child(
            instance=model(title=title, slug=slug, live=False, **_required(model))
        )
    return page


def _required(model):
    return {"intro": ""} if model is BlogPostPage else {}


# Wagtail's first Site, until someone says where the site really is.
UNSET_SITE_ADDRESS = ("localhost", 80)


def ensure_site_address(site_url):
    """Point the default Site at ``site_url`` (where `make run` serves), so canonical
    links, feeds and the sitemap name an address that works; but only while the Site
    still has Wagtail's placeholder address: one an administrator set is kept."""
    site = Site.objects.get(is_default_site=True)
    if (site.hostname, site.port) != UNSET_SITE_ADDRESS:
        return None
    address = urlsplit(site_url)
    site.hostname = address.hostname
    site.port = address.port or (443 if address.scheme == "https" else 80)
    site.save()
    return site.root_url


@transaction.atomic
def load_seed_content(site_url=None):
    """Build or update the seed site; returns a list of lines saying what happened."""
    report = []
    home = ensure_home()
    if site_url:
        root_url = ensure_site_address(site_url)
        if root_url:
            report.append(f"Site address: {root_url}")
    report.append(f"Home page: {home.url}")

    blog = ensure_child(home, BlogIndexPage, BLOG_INDEX["slug"], BLOG_INDEX["title"])
    publish_if_changed(blog, {"title": BLOG_INDEX["title"], "intro": BLOG_INDEX["intro"]})
    report.append(f"Blog index: {blog.url}")

    hero, hero_created = ensure_hero_image()
    report.append(f"Hero image {'generated' if hero_created else 'kept'}: {hero.title}")

    post = ensure_child(blog, BlogPostPage, POST["slug"], POST["title"])
    tags_changed = sorted(post.tags.names()) != sorted(POST["tags"])
    if tags_changed:
        post.tags.set(POST["tags"])
    changed = publish_if_changed(
        post,
        {
            "title": POST["title"],
            "date": POST["date"],
            "intro": POST["intro"],
            "search_description": POST["search_description"],
            "hero_image": hero,
            "body": stream_data(POST["slug"], POST["body"]),
        },
        also_changed=["tags"] if tags_changed else [],
    )
    state = f"updated ({', '.join(changed)})" if changed else "up to date"
    report.append(f"Post “{post.title}”: {state}")
    return report
