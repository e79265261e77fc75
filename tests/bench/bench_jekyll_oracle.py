"""Real Jekyll as the oracle on real posts: each post of a corpus of Jekyll post files (by
default the shared one beside the project, ../shared/corpus/jekyll-posts) is built by
`jekyll build` in a site of its own, and its converted body compared, block by block
(tests/jekyll_oracle.py), with what microblog renders from the same file. Prints the
match percentage and the diff of each post that differs (`make bench`, or
`.venv/bin/python -m pytest -q -s tests/bench/bench_jekyll_oracle.py`).

A post Jekyll itself refuses (its build fails, e.g. an include the corpus does not hold)
or does not publish is left out of the figure, and so is one the app refuses.

Environment: BENCH_JEKYLL_CORPUS (a folder of post files), BENCH_JEKYLL_MIN_MATCH (the
share that must match, 0 by default: the figure is what this measures), BENCH_JEKYLL_SITES
(whole Jekyll sites, separated by ':', each built by Jekyll and imported as
`flask posts import SITE_ROOT` would, tests/site_oracle.py: the figure per site).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from jekyll_oracle import JEKYLL, Comparison, report, structure

from microblog.jekyll.errors import NotAPost, PostError
from microblog.jekyll.markdown import render_post
from microblog.jekyll.post_file import SiteSettings, parse_post

PROJECT = Path(__file__).resolve().parents[2]
# shared/ lies beside the project (a clone) or beside its worktrees' folder.
SHARED = next((p / "shared" for p in PROJECT.parents if (p / "shared").is_dir()), PROJECT)
CORPUS = Path(os.environ.get("BENCH_JEKYLL_CORPUS", SHARED / "corpus" / "jekyll-posts"))
SETTINGS = SiteSettings(permalink="/:year/:month/:title/")  # as CONFIG says
MIN_MATCH = float(os.environ.get("BENCH_JEKYLL_MIN_MATCH", "0"))
# Writes each post's body as Jekyll converted it, before any layout, to $ORACLE_OUT/body.html.
HOOK = """
Jekyll::Hooks.register :posts, :post_convert do |post|
  File.write(File.join(ENV.fetch("ORACLE_OUT"), "body.html"), post.content)
end
"""
CONFIG = "markdown: kramdown\nkramdown:\n  input: GFM\npermalink: /:year/:month/:title/\n"


def jekyll_body(post: Path, work: Path) -> str | None:
    """Jekyll's converted body of one post, built in a site of its own; None if refused."""
    site = work / "site"
    shutil.rmtree(work, ignore_errors=True)
    (site / "_posts").mkdir(parents=True)
    (site / "_plugins").mkdir()
    (site / "_plugins" / "oracle.rb").write_text(HOOK)
    (site / "_config.yml").write_text(CONFIG)
    shutil.copyfile(post, site / "_posts" / post.name)
    result = subprocess.run(
        [
            JEKYLL,
            "build",
            "--quiet",
            "--disable-disk-cache",
            "-s",
            str(site),
            "-d",
            str(work / "out"),
        ],
        capture_output=True,
        env={**os.environ, "ORACLE_OUT": str(work)},
        timeout=120,
    )
    body = work / "body.html"
    if result.returncode != 0 or not body.exists():
        return None
    return body.read_text(encoding="utf-8")


def our_body(post: Path) -> str | None:
    """microblog's rendered body of the same file; None if the app refuses or skips it."""
    fake = Path("/site/_posts") / post.name
    try:
        source = parse_post(post.read_bytes(), fake, SETTINGS)
        return render_post(source.body, is_markdown=source.is_markdown)[0]
    except (NotAPost, PostError):
        return None


@pytest.mark.skipif(JEKYLL is None, reason="jekyll is not installed")
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_corpus_matches_jekyll(tmp_path):
    comparisons: list[Comparison] = []
    app_refused: list[str] = []
    jekyll_refused: list[str] = []
    for post in sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".tsv"):
        if post.name == "README.md":
            continue
        ours = our_body(post)
        theirs = jekyll_body(post, tmp_path / "work") if ours is not None else None
        name = str(post.relative_to(CORPUS))
        if ours is None or theirs is None:
            (app_refused if ours is None else jekyll_refused).append(name)
            continue
        comparisons.append(Comparison(name, structure(theirs), structure(ours)))
    print()
    print(report(comparisons))
    print(f"left out, the app skips or refuses them: {len(app_refused)}")
    print(f"left out, Jekyll's build fails or does not publish them: {jekyll_refused}")
    matched = sum(c.matches for c in comparisons)
    assert comparisons and matched / len(comparisons) >= MIN_MATCH


SITES = [Path(p) for p in os.environ.get("BENCH_JEKYLL_SITES", "").split(":") if p]


@pytest.mark.skipif(JEKYLL is None, reason="jekyll is not installed")
@pytest.mark.skipif(not SITES, reason="no BENCH_JEKYLL_SITES given")
@pytest.mark.parametrize("site", SITES, ids=[p.name for p in SITES])
def test_site_matches_jekyll(site):
    from site_oracle import compare_site

    result = compare_site(site)
    print()
    print(result.details() if os.environ.get("BENCH_JEKYLL_VERBOSE") else result.summary())
    assert result.total and result.alike / result.total >= MIN_MATCH
