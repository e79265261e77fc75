"""The class "every template engine run on imported text has budgets for time, output and
loop size", on SQLite and PostgreSQL: each hostile post fails alone, naming the budget, in
bounded time and memory; the good posts beside it import; an ordinary site's Liquid (loops
over its data, includes, captures) is unaffected."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from microblog.jekyll import liquid
from microblog.jekyll.errors import PostError
from microblog.jekyll.liquid import LiquidContext, SiteContext, render_liquid

POST = "---\ntitle: {title}\ndate: 2025-01-01 10:00:00 +0000\n---\n{body}\n"

HOSTILE = {
    "capture-doubling": (
        "{% assign x = 'ab' %}" + "{% capture x %}{{x}}{{x}}{% endcapture %}" * 30,
        "namespace limit",
    ),
    "assign-doubling": (
        "{% assign x = 'ab' %}" + "{% assign x = x | append: x %}" * 30,
        "namespace",
    ),
    "huge-range": ("{% for i in (1..100000000) %}{% endfor %}", "loop iteration limit"),
    "nested-ranges": (
        "{% for i in (1..5000) %}{% for j in (1..5000) %}{% endfor %}{% endfor %}",
        "loop iteration limit",
    ),
    "many-loops-in-a-row": ("{% for i in (1..999999) %}{{ i }}{% endfor %}" * 50, "took over"),
    "huge-output": ("{% for i in (1..99999) %}" + "x" * 2000 + "{% endfor %}", "output stream"),
    "tablerow": ("{% tablerow i in (1..100000000) %}{% endtablerow %}", "loop iteration limit"),
}


# Each reading of the Liquid budget's clock (one per node rendered) moves it on by this
# much, and nothing else does: the time budget (liquid.SECONDS, 3 s) then counts the work
# done, 300,000 nodes, the same on a busy machine as on an idle one.
TICK = 0.00001


@pytest.fixture(autouse=True)
def work_clock(monkeypatch):
    readings = itertools.count()
    monkeypatch.setattr(liquid, "time", SimpleNamespace(monotonic=lambda: next(readings) * TICK))


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_every_budget_stops_a_hostile_template_with_its_reason(kind):
    text, reason = HOSTILE[kind]
    with pytest.raises(PostError, match=reason):
        render_liquid(text, LiquidContext(site=SiteContext()))


def test_an_ordinary_sites_liquid_is_unaffected():
    people = [{"name": f"P{i}", "tags": [f"t{j}" for j in range(20)]} for i in range(500)]
    site = SiteContext(variables={"data": {"people": people}})
    text = (
        "{% capture list %}{% for p in site.data.people %}{% for t in p.tags %}"
        "{{ p.name }}:{{ t }} {% endfor %}{% endfor %}{% endcapture %}{{ list | size }}"
    )
    result = render_liquid(text, LiquidContext(site=site))
    assert int(result.text) > 50_000


def test_an_import_fails_each_hostile_post_alone_and_keeps_the_rest(app, runner, tmp_path):
    folder = tmp_path / "posts"
    folder.mkdir()
    for number, kind in enumerate(sorted(HOSTILE), start=1):
        body = HOSTILE[kind][0]
        (folder / f"2025-01-{number:02d}-{kind}.md").write_text(POST.format(title=kind, body=body))
    (folder / "2025-02-01-fine.md").write_text(
        POST.format(title="Fine", body="{% for i in (1..3) %}{{ i }}{% endfor %} done")
    )
    result = runner.invoke(args=["posts", "import", str(folder)])
    lines = result.output.splitlines()
    failed = [line for line in lines if line.startswith("failed: ")]
    assert len(failed) == len(HOSTILE) and all("Liquid" in line for line in failed), lines
    assert any(line.startswith("imported: ") and "fine.md" in line for line in lines)
    assert result.exit_code != 0
    page = app.test_client().get("/posts/2025/01/fine/")
    assert page.status_code == 200 and "123 done" in page.get_data(as_text=True)
