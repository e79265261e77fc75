"""Search at `/search?q=`: what a reader finds, on SQLite's FTS5 and PostgreSQL's tsvector."""

from __future__ import annotations

import html5lib
import pytest

# Full text is each database's own (FTS5, tsvector): both are searched.
pytestmark = pytest.mark.any_database

POSTS = {
    "2024-01-05-cafe.md": (
        "---\ntitle: Café culture in Lisbon\ntags: [travel, coffee]\n---\n"
        "We sat in a small café by the river and talked about photography."
    ),
    "2024-02-10-photos.md": (
        "---\ntitle: Developing film at home\ntags: [photography]\ncategories: [darkroom]\n---\n"
        "Photographic paper, a red lamp and patience: developing film is slow work."
    ),
    "2024-03-15-generative.md": (
        "---\ntitle: Notes on generative models\ntags: [AI]\n---\n"
        "Generative AI works by predicting the next token. Café owners use it for menus."
    ),
    "2024-04-01-draft.md": (
        "---\ntitle: Secret darkroom draft\npublished: false\n---\nA darkroom post nobody sees yet."
    ),
}


@pytest.fixture
def blog(app, write_post, import_posts):
    paths = [write_post(name, text) for name, text in POSTS.items()]
    import_posts(*paths)
    return app


def titles(response) -> list[str]:
    """The result titles as a reader sees them, in order."""
    tree = html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)
    return ["".join(h.itertext()).strip() for h in tree.iterfind(".//li[@class='search-hit']/h2")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cafe", ["Café culture in Lisbon", "Notes on generative models"]),  # diacritics folded
        ("café", ["Café culture in Lisbon", "Notes on generative models"]),
        ('"developing film"', ["Developing film at home"]),  # a phrase
        ('"film developing"', []),  # a phrase is in order
        ("photo*", ["Developing film at home", "Café culture in Lisbon"]),  # prefix
        ("coffee", ["Café culture in Lisbon"]),  # a tag matches
        ("darkroom", ["Developing film at home"]),  # a category; never the draft
        ("generative token", ["Notes on generative models"]),  # every word must match
        ("nothing-like-this", []),
    ],
)
def test_a_reader_finds_posts_by_their_words(blog, query, expected):
    client = blog.test_client()
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    found = titles(response)
    if query == "photo*":  # title and tags weigh more than a body's mention
        assert found == expected
    else:
        assert sorted(found) == sorted(expected)


def test_titles_weigh_more_than_bodies(blog):
    found = titles(blog.test_client().get("/search?q=generative"))
    assert found[0] == "Notes on generative models"
    found = titles(blog.test_client().get("/search?q=cafe"))
    assert found[0] == "Café culture in Lisbon"  # in its title; the other only says it once


def test_matches_are_marked_and_escaped(blog, write_post, import_posts):
    import_posts(
        write_post(
            "2024-05-01-html.md",
            "---\ntitle: Angle brackets\n---\nThe text &lt;script&gt;alert(1)&lt;/script&gt; "
            "mentions zebras.",
        )
    )
    page = blog.test_client().get("/search?q=zebras").get_data(as_text=True)
    assert "<mark>zebras</mark>" in page
    assert "<script>alert(1)" not in page


@pytest.mark.parametrize(
    "query",
    [
        'title:"x" OR NEAR(a b) AND NOT ^c*',  # FTS5 syntax
        "' OR 1=1 --",
        "a & b | !c <-> d:*",  # tsquery syntax
        "x" * 10_000,  # 10 KB of text
        "the of and a",  # only short common words
        "\x00\x01\x1f text",  # NUL and control characters
        '"unterminated phrase',
        "***",
        "",
        "   ",
        "ﬁ ｆｕｌｌｗｉｄｔｈ \ud7ff",
    ],
)
def test_any_query_gives_a_page_never_a_5xx(blog, query):
    response = blog.test_client().get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert "<h1>Search</h1>" in response.get_data(as_text=True)


def test_repeated_missing_and_bad_page_arguments(blog):
    client = blog.test_client()
    assert client.get("/search").status_code == 200
    assert titles(client.get("/search?q=coffee&q=film")) == ["Café culture in Lisbon"]
    assert client.get("/search?q=cafe&page=0").status_code == 404
    assert client.get("/search?q=cafe&page=x").status_code == 404
    assert client.get("/search?q=cafe&page=99").status_code == 200


def test_results_are_paged(app, write_post, import_posts):
    import_posts(
        *[
            write_post(
                f"2024-06-{day:02d}-walk-{day}.md", f"---\ntitle: Walk {day}\n---\nA long walk."
            )
            for day in range(1, 13)
        ]
    )
    client = app.test_client()
    first = client.get("/search?q=walk").get_data(as_text=True)
    assert "12 posts match" in first and 'rel="next"' in first
    assert len(titles(client.get("/search?q=walk"))) == 10
    assert len(titles(client.get("/search?q=walk&page=2"))) == 2


def test_the_index_follows_edits_and_deletes_in_the_same_transaction(
    blog, write_post, import_posts, runner
):
    client = blog.test_client()
    import_posts(
        write_post(
            "2024-01-05-cafe.md",
            "---\ntitle: Tea culture in Lisbon\ntags: [travel]\n---\nWe drank tea by the river.",
        )
    )
    assert titles(client.get("/search?q=tea")) == ["Tea culture in Lisbon"]
    assert "Café culture in Lisbon" not in titles(client.get("/search?q=cafe"))
    result = runner.invoke(args=["posts", "delete", "--yes", "/posts/2024/02/photos/"])
    assert result.exit_code == 0, result.output
    assert titles(client.get("/search?q=film")) == []


def test_rebuild_repairs_the_index(blog, runner):
    from sqlalchemy import text

    from microblog.extensions import db

    with blog.app_context():
        db.session.execute(text("DELETE FROM post_search"))
        db.session.commit()
    assert titles(blog.test_client().get("/search?q=coffee")) == []
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0
    assert "4 posts indexed" in result.output  # drafts are indexed too, never shown
    assert titles(blog.test_client().get("/search?q=coffee")) == ["Café culture in Lisbon"]


def test_every_page_has_a_search_box_and_opensearch(blog):
    client = blog.test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'name="q"' in page and 'action="/search"' in page
    assert 'rel="search" type="application/opensearchdescription+xml"' in page
    description = client.get("/opensearch.xml")
    assert description.mimetype == "application/opensearchdescription+xml"
    assert "/search?q={searchTerms}" in description.get_data(as_text=True)


def test_ranking_is_windowed_and_every_match_is_on_exactly_one_page(
    app, write_post, import_posts, monkeypatch
):
    """A page is ranked among a window of matches (whole pages, newest first), not among
    every match: the older, better matches come on the later pages, each match once, and
    the count stays exact."""
    from microblog.search import query

    monkeypatch.setattr(query, "RANK_WINDOW", 10)
    older = [  # the better matches: "walk" three times
        write_post(
            f"2024-05-{day:02d}-walk-{day}.md", f"---\ntitle: Old {day}\n---\nWalk, walk, walk."
        )
        for day in range(1, 3)
    ]
    newer = [
        write_post(f"2024-06-{day:02d}-walk-{day}.md", f"---\ntitle: New {day}\n---\nA long walk.")
        for day in range(1, 11)
    ]
    import_posts(*older, *newer)
    client = app.test_client()
    first = client.get("/search?q=walk")
    assert "12 posts match" in first.get_data(as_text=True)
    assert sorted(titles(first)) == sorted(f"New {day}" for day in range(1, 11))
    # Equal ranks: the newer first.
    assert titles(client.get("/search?q=walk&page=2")) == ["Old 2", "Old 1"]
    monkeypatch.setattr(query, "RANK_WINDOW", 1000)  # one window: the best matches first
    assert titles(client.get("/search?q=walk"))[:2] == ["Old 2", "Old 1"]


def test_seeded_posts_are_searchable(app, runner):
    """`flask dev seed` fills the index as it writes (benchmarks search what it seeds)."""
    done = runner.invoke(args=["dev", "seed", "--posts", "30", "--tags", "5"])
    assert done.exit_code == 0, done.output
    client = app.test_client()
    assert "30 posts match" in client.get("/search?q=the").get_data(as_text=True)
    assert "posts match" in client.get('/search?q="topic 3"').get_data(as_text=True)


@pytest.mark.parametrize("query", ["coffee", "nothing-like-this", "the"])
def test_search_leaves_the_planner_settings_as_it_found_them(blog, query):
    """PostgreSQL: the index is made the planner's choice for the search's own statement
    only; the rest of the request's transaction plans as before."""
    from sqlalchemy import text

    from microblog.extensions import db
    from microblog.search.query import search
    from microblog.timeutil import now_utc

    with blog.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("a PostgreSQL planner setting")
        db.session.execute(text("SELECT 1"))  # inside the request's transaction
        found = search(db.session, query, now=now_utc(), offset=0, limit=10)
        assert found.total == len(found.hits)
        assert db.session.execute(text("SHOW enable_seqscan")).scalar_one() == "on"
        db.session.rollback()
