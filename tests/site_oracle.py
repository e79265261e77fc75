"""Real Jekyll as the oracle on a whole site: `jekyll build` of a copy of the site (its
layouts, theme and gem plugins left out: only the posts' own output is compared) with a
hook that writes each post's URL, converted body and excerpt; then each post imported as
`flask posts import SITE_ROOT` reads it (load_site + parse_post + render_post), compared
block by block (jekyll_oracle.structure) by URL.

`compare_site(root)` → SiteComparison: per post whether body and excerpt render alike,
and the posts one side publishes and the other does not.
`python tests/site_oracle.py SITE...` prints the figure per site (and the diffs with -v).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from jekyll_oracle import JEKYLL, Comparison, structure  # noqa: E402

from microblog.jekyll.errors import NotAPost, PostError  # noqa: E402
from microblog.jekyll.markdown import render_post  # noqa: E402
from microblog.jekyll.post_file import parse_post  # noqa: E402
from microblog.jekyll.settings import SiteSettings  # noqa: E402
from microblog.jekyll.site import load_site  # noqa: E402

SITE_URL = "https://oracle.example"
HOOK = """
require "json"
# jekyll-include-cache (not packaged in Debian): its tag is Jekyll's include, cached
Liquid::Template.register_tag("include_cached", Class.new(Jekyll::Tags::IncludeTag))
Jekyll::Hooks.register :site, :post_render do |site|
  out = site.posts.docs.map do |doc|
    {"path" => doc.relative_path, "url" => doc.url, "content" => doc.content,
     "excerpt" => doc.data["excerpt"].to_s}
  end
  File.write(ENV.fetch("ORACLE_OUT"), JSON.dump(out))
end
"""
# What of a real site the oracle build leaves out: its look and the gems it needs.
LEFT_OUT = ("_layouts", "_sass", "_plugins", ".jekyll-cache", "_site", "node_modules", "vendor")
CONFIG_KEYS_LEFT_OUT = re.compile(
    r"^(theme|remote_theme|plugins|gems|whitelist|plugins_dir)\s*:.*\n(?:[ \t-].*\n|\n)*",
    re.MULTILINE,
)
SYMBOL_VALUE = re.compile(r"^(\s*[\w-]+:[ \t]+)(:[^\s\"'][^\n]*?)[ \t]*$", re.MULTILINE)


@dataclass
class JekyllPost:
    """One post as Jekyll built it."""

    path: str
    url: str
    content: str
    excerpt: str


@dataclass
class SiteComparison:
    """A whole site, ours against Jekyll's."""

    name: str
    bodies: list[Comparison] = field(default_factory=list)
    excerpts: list[Comparison] = field(default_factory=list)
    only_jekyll: list[str] = field(default_factory=list)  # Jekyll publishes, we do not
    only_ours: list[str] = field(default_factory=list)  # we publish, Jekyll does not
    refused: dict[str, str] = field(default_factory=dict)  # path → our reason

    @property
    def total(self) -> int:
        return len(self.bodies) + len(self.only_jekyll) + len(self.only_ours)

    @property
    def alike(self) -> int:
        excerpts = {c.name: c.matches for c in self.excerpts}
        return sum(c.matches and excerpts.get(c.name, True) for c in self.bodies)

    def summary(self) -> str:
        share = 100 * self.alike / self.total if self.total else 100.0
        bodies = sum(c.matches for c in self.bodies)
        excerpts = sum(c.matches for c in self.excerpts)
        return (
            f"{self.name}: {self.alike}/{self.total} posts alike ({share:.0f}%); bodies "
            f"{bodies}/{len(self.bodies)}, excerpts {excerpts}/{len(self.excerpts)}, "
            f"only Jekyll publishes {len(self.only_jekyll)}, only we publish "
            f"{len(self.only_ours)}"
        )

    def details(self) -> str:
        lines = [self.summary()]
        for kind, comparisons in (("body", self.bodies), ("excerpt", self.excerpts)):
            for comparison in comparisons:
                if not comparison.matches:
                    lines += [f"--- {kind} of {comparison.name}", comparison.diff()]
        lines += [f"only Jekyll: {url}" for url in self.only_jekyll]
        lines += [f"only ours: {url}" for url in self.only_ours]
        lines += [f"refused: {path}: {why}" for path, why in self.refused.items()]
        return "\n".join(lines)


def oracle_copy(root: Path, work: Path) -> Path:
    """A copy of the site that Jekyll can build without the site's gems, with the hook."""
    source = work / "src"
    shutil.copytree(root, source, symlinks=True, ignore=shutil.ignore_patterns(*LEFT_OUT, ".git"))
    for page in source.rglob("*"):
        kept = {"_posts", "_drafts", "_includes", "_data"} & set(page.relative_to(source).parts)
        if page.is_file() and not kept and page.name != "_config.yml":
            blank_page(page)
    config = source / "_config.yml"
    text = CONFIG_KEYS_LEFT_OUT.sub("", config.read_text(encoding="utf-8"))
    # `permalink: :title` is a Ruby symbol to this Ruby's Psych, which Jekyll 4.3.1 refuses
    # (newer Psych reads it as the string the site means)
    config.write_text(SYMBOL_VALUE.sub(r'\1"\2"', text))
    (source / "_plugins").mkdir()
    (source / "_plugins" / "oracle.rb").write_text(HOOK)
    return source


def blank_page(path: Path) -> None:
    """A page or collection document with its front matter only: its URL stays (for
    `{% link %}`), its Liquid (which may need the site's gems) goes."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head not in (b"---\n", b"---\r"):
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    end = re.search(r"^(---|\.\.\.)\s*$", text[4:], re.MULTILINE)
    if end:
        path.write_text(text[: 4 + end.end()] + "\n", encoding="utf-8")


def jekyll_posts(root: Path, work: Path) -> list[JekyllPost]:
    """Every post `jekyll build` publishes from the site, as built."""
    assert JEKYLL, "jekyll is not installed"
    source = oracle_copy(root, work)
    out = work / "posts.json"
    result = subprocess.run(
        [JEKYLL, "build", "--disable-disk-cache", "-s", str(source), "-d", str(work / "out")],
        capture_output=True,
        text=True,
        env={**os.environ, "ORACLE_OUT": str(out), "JEKYLL_ENV": "production"},
        timeout=600,
    )
    if result.returncode != 0 or not out.exists():
        raise RuntimeError(f"jekyll build of {root} failed:\n{result.stderr[-3000:]}")
    return [JekyllPost(**post) for post in json.loads(out.read_text(encoding="utf-8"))]


def our_posts(root: Path) -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
    """URL → (path, body HTML, excerpt HTML) of each post the importer publishes, and
    path → reason for each file it skips or refuses."""
    site = load_site(root, SiteSettings(site_url=SITE_URL))
    settings = site.settings
    published: dict[str, tuple[str, str, str]] = {}
    now = datetime.now(UTC)
    refused: dict[str, str] = {}
    for path in site.post_paths():
        relative = str(site.relative(path))
        try:
            source = parse_post(
                path.read_bytes(),
                path,
                settings,
                source_key=site.key_for(path),
                **site.parse_options(path),
            )
        except (NotAPost, PostError) as exc:
            refused[relative] = str(exc)
            continue
        if source.is_draft or source.published_at > now:
            continue  # the app shows a future post at its date; Jekyll (`future: false`) not yet
        body, excerpt = render_post(
            source.body,
            is_markdown=source.is_markdown,
            excerpt=source.excerpt,
            excerpt_separator=source.excerpt_separator or settings.excerpt_separator,
            options=settings.markdown,
            excerpt_markdown=source.excerpt_markdown,
        )
        published[source.permalink] = (relative, body, excerpt)
    return published, refused


def compare_site(root: Path, name: str | None = None) -> SiteComparison:
    """Each post of the site at `root`: Jekyll's body and excerpt against ours."""
    comparison = SiteComparison(name or root.name)
    with tempfile.TemporaryDirectory() as work:
        theirs = {post.url: post for post in jekyll_posts(root, Path(work))}
    ours, comparison.refused = our_posts(root)
    for url, post in theirs.items():
        if url not in ours:
            comparison.only_jekyll.append(f"{url} ({post.path})")
            continue
        _, body, excerpt = ours[url]
        comparison.bodies.append(Comparison(post.path, structure(post.content), structure(body)))
        comparison.excerpts.append(
            Comparison(post.path, structure(post.excerpt), structure(excerpt))
        )
    comparison.only_ours = [f"{url} ({ours[url][0]})" for url in ours if url not in theirs]
    return comparison


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    for given in (arg for arg in argv if arg != "-v"):
        result = compare_site(Path(given))
        print(result.details() if verbose else result.summary(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
