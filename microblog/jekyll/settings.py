"""What of the site's configuration shapes a post: its URL, permalink pattern and zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

# Bump when the parsing or rendering changes, so that a re-import renders every post again.
PIPELINE_VERSION = "5"  # 2: kramdown; 3: _config.yml; 4: #26; 5: YAML timestamps are UTC


@dataclass(frozen=True)
class MarkdownOptions:
    """The kramdown options of a site's `_config.yml` that the rendering follows."""

    gfm: bool = True  # kramdown.input (Jekyll's default: GFM)
    auto_ids: bool = True
    auto_id_prefix: str = ""
    line_numbers: bool = False  # kramdown.syntax_highlighter_opts line_numbers (Rouge)


# kramdown's options (Jekyll's docs, "Markdown Options") that the import follows; a site
# setting any other one is told so in the import's summary.
FOLLOWED_KRAMDOWN_OPTIONS = frozenset(
    {"input", "auto_ids", "auto_id_prefix", "syntax_highlighter", "syntax_highlighter_opts"}
)
# What any other value of them would change is what Jekyll shows by default too.
HARMLESS_KRAMDOWN_VALUES = {
    "hard_wrap": False,
    "math_engine": "mathjax",
    "smart_quotes": "lsquo,rsquo,ldquo,rdquo",
    "show_warnings": False,
    "footnote_nr": 1,
    "parse_span_html": True,
    "parse_block_html": False,
    "html_to_native": False,
    "transliterated_header_ids": False,
    "guess_lang": False,
    "gfm_quirks": "paragraph_end",
}


@dataclass(frozen=True)
class SiteSettings:
    """What of the site's configuration goes into a post: its URL, permalinks and zone."""

    site_url: str = "http://127.0.0.1:5000"
    permalink: str = "/posts/:year/:month/:title/"
    timezone: str = "UTC"
    # From a site's _config.yml (`flask posts import SITE_ROOT`); None = the post's own or
    # Jekyll's default ("\n\n"), "GFM" = kramdown's input as Jekyll sets it by default.
    excerpt_separator: str | None = None
    kramdown_input: str = "GFM"
    markdown: MarkdownOptions = MarkdownOptions()
    show_drafts: bool = False  # _config.yml `show_drafts`: _drafts are published
    unpublished: bool = False  # `unpublished`: `published: false` posts are published
    future: bool = False  # `future`: posts dated later than now are published now
    # The site's `permalink` when `collections: posts: permalink:` gives the posts their own
    # (`permalink` above is then the posts'); pages take their URL style from this one.
    site_permalink: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SiteSettings:
        """The settings from a Flask config mapping."""
        return cls(
            site_url=str(config.get("SITE_URL", cls.site_url)).rstrip("/"),
            permalink=str(config.get("PERMALINK") or cls.permalink),
            timezone=str(config.get("TIMEZONE") or cls.timezone),
        )

    @property
    def base_path(self) -> str:
        """The path part of SITE_URL (`site.baseurl`), "" when the site is at the root."""
        return urlsplit(self.site_url).path.rstrip("/")

    @property
    def page_permalink(self) -> str:
        """The permalink style pages follow (the site's, not the posts collection's)."""
        return self.site_permalink or self.permalink

    @property
    def zone(self) -> tzinfo:
        """The zone of dates written without an offset."""
        return UTC if self.timezone.upper() == "UTC" else ZoneInfo(self.timezone)

    @property
    def gfm(self) -> bool:
        """Whether kramdown reads GFM (Jekyll's default `kramdown.input`)."""
        return self.kramdown_input.upper() == "GFM"

    def fingerprint(self) -> str:
        """A string that changes whenever a setting that shapes a post changes."""
        return "|".join(
            [
                PIPELINE_VERSION,
                self.site_url,
                self.permalink,
                self.timezone,
                repr(self.excerpt_separator),
                self.kramdown_input,
                repr(self.markdown),
                repr((self.show_drafts, self.unpublished, self.future)),
            ]
        )
