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
from typing import NamedTuple

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
# A site built with Jekyll 3 (Liquid 4) may have a tag of its own whose render returns an
# Array: Liquid 4 joined it, Liquid 5 raises (scala-lang.org's tabs tag)
Liquid::Tag.prepend(Module.new do
  def render_to_output_buffer(context, output)
    result = render(context)
    output << (result.is_a?(Array) ? result.join : result.to_s)
    output
  end
end)
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
# Jekyll 4 ships kramdown only: a site written for Redcarpet or RDiscount (Jekyll 2/3) is
# built as Jekyll 4.3 builds it once that line is gone, with kramdown (the import warns).
OTHER_MARKDOWN = re.compile(
    r"^markdown\s*:\s*[\"']?(?!kramdown\b)(\w+).*\n", re.MULTILINE | re.IGNORECASE
)
PROCESSOR_OPTIONS = re.compile(
    r"^(redcarpet|rdiscount|maruku)\s*:.*\n(?:[ \t-].*\n|\n)*", re.MULTILINE
)
SYMBOL_VALUE = re.compile(r"^(\s*[\w-]+:[ \t]+)(:[^\s\"'][^\n]*?)[ \t]*$", re.MULTILINE)


@dataclass
class JekyllPost:
    """One post as Jekyll built it."""

    path: str
    url: str
    content: str
    excerpt: str


class OurPost(NamedTuple):
    """One post as the import makes it, with the warning lines the import gives it."""

    path: str
    body: str
    excerpt: str
    warnings: list[str]


@dataclass
class SiteComparison:
    """A whole site, ours against Jekyll's."""

    name: str
    bodies: list[Comparison] = field(default_factory=list)
    excerpts: list[Comparison] = field(default_factory=list)
    only_jekyll: list[str] = field(default_factory=list)  # Jekyll publishes, we do not
    only_ours: list[str] = field(default_factory=list)  # we publish, Jekyll does not
    moved: list[str] = field(default_factory=list)  # both publish it, at other URLs
    refused: dict[str, str] = field(default_factory=dict)  # path → our reason
    built_without: list[str] = field(default_factory=list)  # what the oracle build left out
    warnings: dict[str, list[str]] = field(default_factory=dict)  # path → import's warnings
    notes: list[str] = field(default_factory=list)  # the import's notes on _config.yml

    @property
    def total(self) -> int:
        return len(self.bodies) + len(self.only_jekyll) + len(self.only_ours) + len(self.moved)

    @property
    def alike(self) -> int:
        differing = set(self.differing)
        return sum(c.name not in differing for c in self.bodies)

    @property
    def differing(self) -> list[str]:
        """The paths of the posts both publish at one URL whose body or excerpt differs."""
        return list(dict.fromkeys(c.name for c in self.bodies + self.excerpts if not c.matches))

    @property
    def unnamed(self) -> list[str]:
        """The differing posts for which the import gives no warning line."""
        return [path for path in self.differing if not self.warnings.get(path)]

    def summary(self) -> str:
        share = 100 * self.alike / self.total if self.total else 100.0
        bodies = sum(c.matches for c in self.bodies)
        excerpts = sum(c.matches for c in self.excerpts)
        return (
            f"{self.name}: {self.alike}/{self.total} posts alike ({share:.0f}%); bodies "
            f"{bodies}/{len(self.bodies)}, excerpts {excerpts}/{len(self.excerpts)}, "
            f"only Jekyll publishes {len(self.only_jekyll)}, only we publish "
            f"{len(self.only_ours)}, at another URL {len(self.moved)}; differing posts the "
            f"import gives no warning for: {len(self.unnamed)}"
            + (f"; built without {', '.join(self.built_without)}" if self.built_without else "")
        )

    def details(self) -> str:
        lines = [self.summary(), *(f"import: {note}" for note in self.notes)]
        for kind, comparisons in (("body", self.bodies), ("excerpt", self.excerpts)):
            for comparison in comparisons:
                if not comparison.matches:
                    lines += [f"--- {kind} of {comparison.name}", comparison.diff()]
                    said = self.warnings.get(comparison.name) or ["(no warning)"]
                    lines += [f"import warns: {warning}" for warning in said]
        lines += [f"only Jekyll: {url}" for url in self.only_jekyll]
        lines += [f"only ours: {url}" for url in self.only_ours]
        lines += [f"at another URL: {moved}" for moved in self.moved]
        lines += [f"refused: {path}: {why}" for path, why in self.refused.items()]
        return "\n".join(lines)


def oracle_copy(root: Path, work: Path, left_out: list[str] | None = None) -> Path:
    """A copy of the site that Jekyll can build without the site's gems, with the hook;
    what had to go for that is appended to `left_out`."""
    left_out = [] if left_out is None else left_out
    source = work / "src"
    shutil.copytree(root, source, symlinks=True, ignore=shutil.ignore_patterns(*LEFT_OUT, ".git"))
    for page in source.rglob("*"):
        kept = {"_posts", "_drafts", "_includes", "_data"} & set(page.relative_to(source).parts)
        if page.is_file() and not kept and page.name != "_config.yml":
            blank_page(page)
    config = source / "_config.yml"
    text = config.read_text(encoding="utf-8")
    left_out += [f"_config.yml's {m.group(1)}" for m in CONFIG_KEYS_LEFT_OUT.finditer(text)]
    text = CONFIG_KEYS_LEFT_OUT.sub("", text)
    processor = OTHER_MARKDOWN.search(text)
    if processor:
        left_out.append(f"markdown: {processor.group(1)} (not in Jekyll 4; built with kramdown)")
        text = PROCESSOR_OPTIONS.sub("", OTHER_MARKDOWN.sub("", text))
    # `permalink: :title` is a Ruby symbol to this Ruby's Psych, which Jekyll 4.3.1 refuses
    # (newer Psych reads it as the string the site means)
    config.write_text(SYMBOL_VALUE.sub(r'\1"\2"', text))
    (source / "_plugins").mkdir()
    left_out += own_plugins(root / "_plugins", source / "_plugins")
    (source / "_plugins" / "zz_microblog_oracle.rb").write_text(HOOK)
    return source


def own_plugins(plugins: Path, into: Path) -> list[str]:
    """Copy the site's own `_plugins` (every `.rb` at any depth, as Jekyll loads them, with
    the files beside them a `require_relative` may want), leaving out each `.rb` that does
    not load with the gems installed here (a tag or filter of the site's own is part of
    what its posts show); the names of those left out."""
    failed: list[str] = []
    if not plugins.is_dir() or plugins.is_symlink():
        return failed
    shutil.copytree(plugins, into, dirs_exist_ok=True, symlinks=True)
    for plugin in sorted(plugins.rglob("*.rb")):
        loads = subprocess.run(
            ["ruby", "-rjekyll", "-e", "load ARGV[0]", str(plugin)],
            capture_output=True,
            timeout=60,
        )
        if loads.returncode != 0:
            relative = plugin.relative_to(plugins)
            (into / relative).unlink()
            failed.append(f"_plugins/{relative} (needs a gem not installed)")
    return failed


def blank_page(path: Path) -> None:
    """A page or collection document with its front matter only: its URL stays (for
    `{% link %}`), its Liquid (which may need the site's gems) goes."""
    with path.open("rb") as handle:
        head = handle.readline(64)
    if not re.fullmatch(rb"---[ \t]*\r?\n", head):  # Jekyll's front matter start
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    first = len(head.decode("utf-8", errors="replace"))
    end = re.search(r"^(---|\.\.\.)\s*$", text[first:], re.MULTILINE)
    if end:
        path.write_text(text[: first + end.end()] + "\n", encoding="utf-8")


def jekyll_posts(root: Path, work: Path, left_out: list[str] | None = None) -> list[JekyllPost]:
    """Every post `jekyll build` publishes from the site, as built."""
    assert JEKYLL, "jekyll is not installed"
    source = oracle_copy(root, work, left_out)
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


def our_posts(root: Path) -> tuple[dict[str, OurPost], dict[str, str], list[str]]:
    """URL → OurPost of each post the importer publishes, path → reason for each file it
    skips or refuses, and the import's notes on the site's `_config.yml`."""
    site = load_site(root, SiteSettings(site_url=SITE_URL))
    settings = site.settings
    published: dict[str, OurPost] = {}
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
        published[source.permalink] = OurPost(relative, body, excerpt, source.warnings)
    return published, refused, site.config_notes()


def compare_site(root: Path, name: str | None = None) -> SiteComparison:
    """Each post of the site at `root`: Jekyll's body and excerpt against ours."""
    comparison = SiteComparison(name or root.name)
    with tempfile.TemporaryDirectory() as work:
        built = jekyll_posts(root, Path(work), comparison.built_without)
        theirs = {post.url: post for post in built}
    ours, comparison.refused, comparison.notes = our_posts(root)
    comparison.warnings = {post.path: post.warnings for post in ours.values()}
    our_url = {post.path: url for url, post in ours.items()}
    for url, post in theirs.items():
        if url in ours:
            mine = ours[url]
            comparison.bodies.append(
                Comparison(post.path, structure(post.content), structure(mine.body))
            )
            comparison.excerpts.append(
                Comparison(post.path, structure(post.excerpt), structure(mine.excerpt))
            )
        elif post.path in our_url:
            comparison.moved.append(f"{post.path}: Jekyll {url}, ours {our_url[post.path]}")
        else:
            comparison.only_jekyll.append(f"{url} ({post.path})")
    their_paths = {post.path for post in theirs.values()}
    comparison.only_ours = [
        f"{url} ({post.path})"
        for url, post in ours.items()
        if url not in theirs and post.path not in their_paths
    ]
    return comparison


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    for given in (arg for arg in argv if arg != "-v"):
        result = compare_site(Path(given))
        print(result.details() if verbose else result.summary(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
