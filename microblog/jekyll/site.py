"""A whole Jekyll site (a folder holding `_config.yml`) as `jekyll build` reads it.

`load_site(root, app_settings)` reads `_config.yml` (permalink, timezone,
excerpt_separator, kramdown input, defaults, exclude), `_data` (site.data), `_includes`
(the Liquid loader) and sorts the site's files (site_files.py). What it gives the importer:
the settings the posts are made with, a key per post (its path in the site), and per file
the Liquid site, the `defaults` that apply, its folder categories and, for `_drafts`,
its date.

Where the app lives is still the app's SITE_URL: `site.url`/`site.baseurl` in Liquid are
the app's, so that links written with `relative_url` lead to the app; a `_config.yml` that
says otherwise is noted in the report.
"""

from __future__ import annotations

import csv
import fnmatch
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from microblog.jekyll import fields
from microblog.jekyll.errors import PostError
from microblog.jekyll.front_matter import load_yaml, split_front_matter
from microblog.jekyll.liquid import SiteContext
from microblog.jekyll.page_file import page_url
from microblog.jekyll.settings import (
    FOLLOWED_KRAMDOWN_OPTIONS,
    HARMLESS_KRAMDOWN_VALUES,
    MarkdownOptions,
    SiteSettings,
)
from microblog.jekyll.site_collections import collection_docs, collection_labels
from microblog.jekyll.site_files import (
    DRAFTS_DIR,
    POSTS_DIR,
    SiteFiles,
    folder_categories,
    read_text_no_link,
    sort_site_files,
)
from microblog.jekyll.site_plugins import header_plugins, rewriting_plugins
from microblog.jekyll.site_posts import PostFile, lazy_site_posts, site_posts

CONFIG_NAME = "_config.yml"
JEKYLL_PERMALINK = "date"  # Jekyll's default permalink style


def is_site_root(path: Path) -> bool:
    """Whether the folder is a Jekyll site (holds `_config.yml`)."""
    return path.is_dir() and (path / CONFIG_NAME).is_file()


def read_config(root: Path) -> dict[str, Any]:
    """`_config.yml` as a mapping; PostError when it is not valid YAML."""
    try:
        config = yaml.safe_load(read_text_no_link(root, root / CONFIG_NAME))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise PostError(f"{root / CONFIG_NAME} cannot be read: {exc}") from None
    return config if isinstance(config, dict) else {}


def read_data(folder: Path, root: Path | None = None) -> dict[str, Any]:
    """`_data` as `site.data`: each YAML, JSON or CSV file by its name, folders nested;
    symbolic links left out (the import lists them: site_files.links)."""
    root = folder.parent if root is None else root
    data: dict[str, Any] = {}
    if folder.is_symlink() or not folder.is_dir():
        return data
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_symlink():
            continue
        if path.is_dir():
            data[path.name] = read_data(path, root)
            continue
        suffix = path.suffix.lower()
        try:
            if suffix in {".yml", ".yaml"}:
                data[path.stem] = yaml.safe_load(read_text_no_link(root, path))
            elif suffix == ".json":
                data[path.stem] = json.loads(read_text_no_link(root, path))
            elif suffix in {".csv", ".tsv"}:
                delimiter = "\t" if suffix == ".tsv" else ","
                lines = read_text_no_link(root, path).splitlines(keepends=True)
                data[path.stem] = list(csv.DictReader(lines, delimiter=delimiter))
        except (yaml.YAMLError, ValueError, OSError) as exc:
            raise PostError(f"{path} cannot be read as site data: {exc}") from None
    return data


def kramdown_config(config: dict[str, Any]) -> dict[str, Any]:
    """`_config.yml`'s `kramdown` mapping ({} when it has none)."""
    kramdown = config.get("kramdown")
    return kramdown if isinstance(kramdown, dict) else {}


def markdown_options(kramdown: dict[str, Any]) -> MarkdownOptions:
    """The kramdown options the rendering follows, as Jekyll reads them."""
    found = kramdown.get("syntax_highlighter_opts")
    highlighter: dict[str, Any] = found if isinstance(found, dict) else {}
    block: dict[str, Any] = highlighter.get("block") or {}
    block = block if isinstance(block, dict) else {}
    line_numbers = block.get("line_numbers", highlighter.get("line_numbers"))
    return MarkdownOptions(
        gfm=str(kramdown.get("input") or "GFM").upper() == "GFM",
        auto_ids=kramdown.get("auto_ids") is not False,
        auto_id_prefix=str(kramdown.get("auto_id_prefix") or ""),
        line_numbers=line_numbers is True or line_numbers == "table",
    )


def posts_collection_permalink(config: dict[str, Any]) -> str | None:
    """`collections: posts: permalink:`, which Jekyll 4 follows for posts over `permalink`."""
    collections = config.get("collections")
    posts = collections.get("posts") if isinstance(collections, dict) else None
    found = posts.get("permalink") if isinstance(posts, dict) else None
    return str(found) if isinstance(found, str) and found.strip() else None


def settings_from_config(config: dict[str, Any], app: SiteSettings) -> SiteSettings:
    """The app's settings with what the site's `_config.yml` says about its posts."""
    kramdown = kramdown_config(config)
    separator = config.get("excerpt_separator")
    site_permalink = str(config.get("permalink") or JEKYLL_PERMALINK)
    posts_permalink = posts_collection_permalink(config)
    return replace(
        app,
        permalink=posts_permalink or site_permalink,
        site_permalink=site_permalink if posts_permalink else None,
        timezone=str(config.get("timezone") or app.timezone),
        excerpt_separator=None if separator is None else str(separator),
        kramdown_input=str(kramdown.get("input") or "GFM"),
        markdown=markdown_options(kramdown),
        show_drafts=config.get("show_drafts") is True,
        unpublished=config.get("unpublished") is True,
        future=config.get("future") is True,
    )


# Gem plugins that change nothing in a post's text (feeds, SEO tags, sitemaps, pagination,
# archives, metadata), or that the import does itself (redirect_from, include_cached).
PLUGINS_NOT_IN_POSTS = frozenset(
    {
        "jekyll-feed",
        "jekyll-seo-tag",
        "jekyll-sitemap",
        "jekyll-paginate",
        "jekyll-paginate-v2",
        "jekyll-archives",
        "jekyll-redirect-from",
        "jekyll-include-cache",
        "jekyll-github-metadata",
        "jekyll-last-modified-at",
        "jekyll-remote-theme",
        "jekyll-sass-converter",
        "jekyll-watch",
        "jekyll-compose",
        "jekyll-admin",
        "jekyll-gist",  # its {% gist %} tag is named in the post's warnings
    }
)


def unrun_plugins(root: Path, config: dict[str, Any]) -> list[str]:
    """The plugins of the site that may change its posts and that the import does not run:
    gems from `plugins` (or the older `gems`), and the site's own `_plugins/*.rb`."""
    listed = config.get("plugins") or config.get("gems") or []
    gems = [str(name) for name in listed] if isinstance(listed, list) else []
    notes = []
    others = [name for name in gems if name not in PLUGINS_NOT_IN_POSTS]
    if others:
        notes.append(
            f"plugins {', '.join(others)} (the import does not run them: what they change "
            "in a post, e.g. jemoji's :emoji: or jekyll-mentions' @name links, is not made)"
        )
    folder = root / "_plugins"
    if folder.is_dir() and not folder.is_symlink():
        own = sorted(path.name for path in folder.glob("*.rb"))
        if own:
            notes.append(
                f"its own _plugins ({', '.join(own)}: Ruby, which the import does not "
                "run; a tag of theirs is left out with a warning, and what they change in "
                "kramdown's output, such as heading anchors, is not made)"
            )
    return notes


def unfollowed_settings(config: dict[str, Any]) -> list[str]:
    """The `_config.yml` settings for posts and kramdown that the import does not follow."""
    notes = []
    for key, value in kramdown_config(config).items():
        if key in FOLLOWED_KRAMDOWN_OPTIONS or HARMLESS_KRAMDOWN_VALUES.get(key, ...) == value:
            continue
        notes.append(f"kramdown.{key}: {value!r}")
    for key in ("markdown", "highlighter"):
        value = config.get(key)
        if value and str(value).lower() not in {"kramdown", "rouge"}:
            notes.append(f"{key}: {value!r} (posts are rendered as kramdown with Rouge would)")
    return notes


@dataclass
class DefaultRule:
    """One `defaults` entry of `_config.yml`: the files it applies to and its values."""

    path: str
    type: str | None
    values: dict[str, Any]

    def applies_to(self, relative: PurePosixPath, kinds: frozenset[str]) -> bool:
        if self.type and self.type not in kinds:
            return False
        if not self.path:
            return True
        if "*" in self.path:
            return fnmatch.fnmatch(str(relative), self.path + "*")
        return str(relative) == self.path or str(relative).startswith(self.path + "/")

    @property
    def precedence(self) -> tuple[int, bool]:
        """Jekyll's: a longer path wins, then a rule naming the type."""
        return (len(self.path), self.type is not None)


def default_rules(config: dict[str, Any]) -> list[DefaultRule]:
    """`defaults` in the order they apply (the most precise last, so that it wins)."""
    rules = []
    for entry in config.get("defaults") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("values"), dict):
            continue
        scope: dict[str, Any] = entry["scope"] if isinstance(entry.get("scope"), dict) else {}
        path = str(scope.get("path") or "").strip("/").removeprefix("./")
        kind = scope.get("type")
        rules.append(DefaultRule(path, str(kind) if kind else None, entry["values"]))
    return sorted(rules, key=lambda rule: rule.precedence)


@dataclass
class JekyllSite:
    """A site read for import: its settings, files, and what each post's parse needs."""

    root: Path
    config: dict[str, Any]
    settings: SiteSettings
    files: SiteFiles
    rules: list[DefaultRule]
    context: SiteContext = field(init=False)

    def __post_init__(self) -> None:
        self.by_name: dict[str, PurePosixPath] = {}
        for relative in self.files.posts:
            stem = relative.with_suffix("").as_posix()
            self.by_name.setdefault(relative.stem, relative)
            self.by_name.setdefault(stem.split(f"{POSTS_DIR}/", 1)[-1], relative)
        self.permalinks: dict[PurePosixPath, str | None] = {}
        self.header_plugins = header_plugins(self.root)
        self.rewriting_plugins = rewriting_plugins(self.root)
        self.paths = {str(p) for p in self.files.posts + self.files.drafts}
        self.page_paths = {str(p) for p in self.files.pages}
        self.static_paths = {str(p) for p in self.files.static}
        variables = {**self.config, "data": read_data(self.root / "_data", self.root)}
        variables["url"] = self.settings.site_url.removesuffix(self.settings.base_path)
        variables["baseurl"] = self.settings.base_path
        includes = self.root / "_includes"
        self.context = SiteContext(
            variables=variables,
            includes_dir=includes if includes.is_dir() and not includes.is_symlink() else None,
            site_root=self.root,
            post_url=self.post_url,
            link=self.link,
            lazy={**self.collections(), **lazy_site_posts(self.site_posts)},
        )

    def collections(self) -> dict[str, Callable[[], list[dict[str, Any]]]]:
        """`site.<label>` for each of the site's own collections, made on first use."""
        made: dict[str, list[dict[str, Any]]] = {}

        def lazy(label: str, metadata: dict[str, Any]) -> Callable[[], list[dict[str, Any]]]:
            def value() -> list[dict[str, Any]]:
                if label not in made:
                    made[label] = collection_docs(
                        self.root, label, metadata, self.defaults_for_type, self.settings
                    )
                return made[label]

            return value

        return {
            label: lazy(label, metadata)
            for label, metadata in collection_labels(self.config).items()
        }

    def defaults_for_type(self, relative: PurePosixPath, kind: str) -> dict[str, Any]:
        """The `defaults` values for a document of a collection (type `kind`)."""
        merged: dict[str, Any] = {}
        for rule in self.rules:
            if rule.applies_to(relative, frozenset({kind})):
                merged.update(rule.values)
        return merged

    def site_posts(self) -> list[dict[str, Any]]:
        """`site.posts` (site_posts.py)."""
        files = [
            PostFile(
                self.root,
                relative,
                self.defaults_for(relative),
                folder_categories(relative),
                DRAFTS_DIR in relative.parts,
            )
            for relative in self.files.posts + self.files.drafts
        ]
        return site_posts(files, self.settings)

    def relative(self, path: Path) -> PurePosixPath:
        """The file's path in the site (no `resolve()` for the site's own paths: it costs
        a system call per folder, per file)."""
        try:
            return PurePosixPath(Path(path).relative_to(self.root).as_posix())
        except ValueError:
            resolved = Path(path).resolve().relative_to(self.root.resolve())
            return PurePosixPath(resolved.as_posix())

    def post_paths(self) -> list[Path]:
        """Every post and draft file, posts first, in a stable order."""
        return [self.root / relative for relative in self.files.posts + self.files.drafts]

    def key_for(self, path: Path) -> str:
        """A post's identity: its path in the site; for the site's own `_posts` the path
        inside it, the key a folder import of `_posts` gives the same file."""
        relative = str(self.relative(path))
        return relative.removeprefix(f"{POSTS_DIR}/")

    def defaults_for(self, relative: PurePosixPath) -> dict[str, Any]:
        """The `defaults` values for this post (a draft is of type drafts and posts)."""
        kinds = frozenset({"posts", "drafts"} if DRAFTS_DIR in relative.parts else {"posts"})
        merged: dict[str, Any] = {}
        for rule in self.rules:
            if rule.applies_to(relative, kinds):
                merged.update(rule.values)
        return merged

    def defaults_for_page(self, relative: PurePosixPath) -> dict[str, Any]:
        """The `defaults` values for a page (type `pages`)."""
        merged: dict[str, Any] = {}
        for rule in self.rules:
            if rule.applies_to(relative, frozenset({"pages"})):
                merged.update(rule.values)
        return merged

    def parse_options(self, path: Path) -> dict[str, Any]:
        """What `parse_post` takes for this file beside its bytes."""
        relative = self.relative(path)
        draft = DRAFTS_DIR in relative.parts
        draft_date = None
        if draft:
            draft_date = datetime.fromtimestamp(Path(path).stat().st_mtime, UTC)
        return {
            "site": self.context,
            "defaults": self.defaults_for(relative),
            "folder_categories": folder_categories(relative),
            "draft_date": draft_date,
            "header_plugins": self.header_plugins,
            "rewriting_plugins": self.rewriting_plugins,
        }

    def post_url(self, name: str) -> str | None:
        """`{% post_url 2024-03-01-title %}` (or `folder/2024-…`): that post's URL."""
        relative = self.by_name.get(name.strip().strip("/"))
        return None if relative is None else self.permalink_of(relative)

    def link(self, target: str) -> str | None:
        """`{% link path %}`: a post's, page's or static file's URL; None when none is there."""
        target = target.strip().lstrip("/")
        if target in self.paths:
            return self.permalink_of(PurePosixPath(target))
        if target in self.page_paths:
            return self.page_url(PurePosixPath(target))
        if target in self.static_paths:
            return "/" + target
        return None

    def permalink_of(self, relative: PurePosixPath) -> str | None:
        """A post's permalink from its front matter alone (no Liquid, no Markdown)."""
        if relative not in self.permalinks:
            self.permalinks[relative] = self.read_permalink(relative)
        return self.permalinks[relative]

    def read_permalink(self, relative: PurePosixPath) -> str | None:
        try:
            text = read_text_no_link(self.root, self.root / relative)
            meta = {
                **self.defaults_for(relative),
                **load_yaml(split_front_matter(text)[0]),
            }
            name = fields.file_name(relative)
            slug = fields.slug_of(meta, name)
            date = fields.date_of(meta, name, self.settings.zone, [], datetime.now(UTC))
            categories = list(
                dict.fromkeys([*folder_categories(relative), *fields.categories_of(meta)])
            )
            return fields.permalink_of(meta, self.settings, date, slug, categories)
        except (PostError, OSError, ValueError):
            return None

    def page_url(self, relative: PurePosixPath) -> str:
        """A page's URL as Jekyll gives it (see page_file.page_url)."""
        try:
            text = read_text_no_link(self.root, self.root / relative)
            meta = {**self.defaults_for_page(relative), **load_yaml(split_front_matter(text)[0])}
        except (PostError, OSError, ValueError):
            meta = {}
        return page_url(relative, meta, self.settings.page_permalink)

    def config_notes(self) -> list[str]:
        """What the author should know about `_config.yml` before reading the results."""
        notes = [
            f"site {self.root}: permalink {self.settings.permalink}, timezone "
            f"{self.settings.timezone}, kramdown input {self.settings.kramdown_input} "
            "(from _config.yml)"
        ]
        notes.extend(
            f"warning: _config.yml sets {setting}, which the import does not follow"
            for setting in unfollowed_settings(self.config)
        )
        notes.extend(
            f"warning: the site uses {plugins}" for plugins in unrun_plugins(self.root, self.config)
        )
        said = str(self.config.get("url") or "").rstrip("/") + str(
            self.config.get("baseurl") or ""
        ).rstrip("/")
        if said and said != self.settings.site_url:
            notes.append(
                f"note: _config.yml's url and baseurl say {said}; the app serves the site at "
                f"SITE_URL {self.settings.site_url}, and links are made for that"
            )
        return notes


def load_site(root: Path, app_settings: SiteSettings) -> JekyllSite:
    """Read the site at `root` (PostError when its `_config.yml` is unreadable)."""
    config = read_config(root)
    exclude = config.get("exclude") if isinstance(config.get("exclude"), list) else []
    return JekyllSite(
        root=root,
        config=config,
        settings=settings_from_config(config, app_settings),
        files=sort_site_files(root, exclude or []),
        rules=default_rules(config),
    )
