"""A site's own `_plugins/*.rb` that rewrite every post are found by reading them (the
import never runs Ruby), and each post of the site names them (crystal-lang.org's)."""

from __future__ import annotations

from pathlib import Path, PurePath

from microblog.jekyll.post_file import parse_post
from microblog.jekyll.settings import SiteSettings
from microblog.jekyll.site_plugins import rewriting_plugins

CONVERTER = """class Jekyll::MarkdownHeader < Jekyll::Converters::Markdown
  def convert(content)
    super.gsub(/<h(\\d) id="(.*?)">/, '<h\\\\1 id="\\\\2">')
  end
end
"""
GENERATOR = """module Jekyll
  class Callouts < Jekyll::Generator
    def generate(site)
      site.collections.each do |_, collection|
        collection.docs.each { |post| post.content = post.content.gsub(/x/, "y") }
      end
    end
  end
end
"""
HOOK = """Jekyll::Hooks.register :documents, :post_convert do |doc|
  doc.content = doc.content.gsub(%r{<del>}, "<s>")
end
"""
# Reads the posts without changing them, or changes no post: nothing to name
READER = """module Jekyll
  class RawContent < Generator
    def generate(site)
      site.collections.each { |_, c| c.docs.each { |post| post.data['raw'] = post.content } }
    end
  end
end
"""
PAGES = """module Jekyll
  class Packages < Generator
    def generate(site)
      page = PageWithoutAFile.new(site, site.source, "packages", "index.html")
      page.content = "{% include x.html %}"
    end
  end
end
"""
FILTER = "module F\n  def h_to_a(input) = input\nend\nLiquid::Template.register_filter(F)\n"


def site_with(tmp_path: Path, plugins: dict[str, str]) -> Path:
    (tmp_path / "_plugins").mkdir()
    for name, text in plugins.items():
        (tmp_path / "_plugins" / name).write_text(text)
    return tmp_path


def test_plugins_that_rewrite_posts_are_found(tmp_path):
    root = site_with(
        tmp_path,
        {
            "anchors.rb": CONVERTER,
            "callouts.rb": GENERATOR,
            "dead-links.rb": HOOK,
            "raw_content.rb": READER,
            "packages.rb": PAGES,
            "h_to_a.rb": FILTER,
        },
    )
    assert rewriting_plugins(root) == ("anchors.rb", "callouts.rb", "dead-links.rb")


def test_a_site_without_plugins_has_none(tmp_path):
    assert rewriting_plugins(tmp_path) == ()
    assert rewriting_plugins(site_with(tmp_path, {"raw_content.rb": READER})) == ()


def test_each_post_names_them():
    path = PurePath("/site/_posts/2020-01-01-a.md")
    settings = SiteSettings()
    named = parse_post(b"---\n---\n## A heading\n", path, settings, rewriting_plugins=["a.rb"])
    assert any("_plugins (a.rb) rewrite each post" in warning for warning in named.warnings)
    plain = parse_post(b"---\n---\n## A heading\n", path, settings)
    assert not any("_plugins" in warning for warning in plain.warnings)
