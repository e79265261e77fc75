"""The class "what a post's author wrote comes back from export → import character for
character", on SQLite and PostgreSQL: Liquid-looking text (including `{% endraw %}` in every
spelling, which once ended the protecting raw block early) is exported so the import prints
it, not runs it; text that cannot be stored (NUL) is refused when written, not exported."""

from __future__ import annotations

import pytest
from editor_helpers import create_post, posts_in_db, signed_in

# The database matters here (claims, commits from jobs and the CLI): PostgreSQL too.
pytestmark = pytest.mark.any_database(cleanup=True)


BODIES = [
    "Literal {{ page.title }} and {% if x %}y{% endif %}.",
    "Ends early? {% endraw %} then {{ page.title }}.",
    "Spellings: {%- endraw -%} and {%endraw%} and {%   endraw   %}.",
    "A whole block: {% raw %}{{ inside }}{% endraw %} after {{ page.title }}.",
    "Quoted: {{ '{% endraw %}' }} and a lone {% raw %} opener.",
    "{% endraw %}",
]


@pytest.mark.parametrize("body", BODIES)
def test_liquid_looking_text_survives_export_and_import(app, runner, tmp_path, body):
    client = signed_in(app)
    assert create_post(client, title="Literal", body=body, permalink="/literal/").status_code == 303
    before = client.get("/literal/").get_data(as_text=True)
    (stored,) = posts_in_db(app)
    assert runner.invoke(args=["posts", "export", str(tmp_path / "out")]).exit_code == 0
    assert runner.invoke(args=["posts", "delete", "/literal/", "--yes"]).exit_code == 0
    result = runner.invoke(args=["posts", "import", str(tmp_path / "out")])
    assert "imported" in result.output and "failed" not in result.output.split("\n")[0]
    (again,) = posts_in_db(app)
    assert again.body_html == stored.body_html
    after = client.get("/literal/").get_data(as_text=True)
    assert "Literal" in after and ("{{ page.title }}" in after) == ("{{ page.title }}" in before)


@pytest.mark.parametrize("field", ["body", "title"])
def test_nul_is_refused_when_written_so_nothing_exports_that_cannot_import(app, field):
    answer = create_post(signed_in(app), **{field: "before\x00after"})
    assert 400 <= answer.status_code < 500 and posts_in_db(app) == []
