"""The HTML report: valid, self-contained (every chart inline, nothing fetched), complete, and
rendered by a real headless browser without errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reesim.cli.main import main
from reesim.experiment.store import read_sweep
from reesim.report import html, plots
from reesim.results.io import write_result
from reesim.results.result import RunResult
from tests.test_plots import RANDOM, make_sweep, real_sweep, tiny

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
LINK_ATTRIBUTES = {"src", "href", "xlink:href", "action", "data", "poster", "srcset", "formaction"}


class Checker(HTMLParser):
    """Collects tags, attributes and nesting errors; HTML's optional end tags are not used by
    the report, so every non-void element must be closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: Counter[str] = Counter()
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self.doctype = ""
        self.svg_in_figure = 0

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._record(tag, attrs)
        if tag == "svg" and self.stack and self.stack[-1] == "figure":
            self.svg_in_figure += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._record(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def _record(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attrs.append((tag, dict(attrs)))


def check(document: str) -> Checker:
    """Parse a report and assert that it is well formed and self-contained."""
    c = Checker()
    c.feed(document)
    c.close()
    assert c.doctype.lower() == "doctype html"
    assert not c.errors, c.errors[:5]
    assert not c.stack, f"unclosed: {c.stack}"
    for tag in ("html", "head", "title", "body"):
        assert c.tags[tag] == 1, tag
    assert c.tags["style"] >= 1  # the page's, and each chart's own
    for tag in ("script", "link", "img", "iframe", "object", "embed"):
        assert c.tags[tag] == 0, tag
    for tag, attrs in c.attrs:
        for name, value in attrs.items():
            if name in LINK_ATTRIBUTES:
                # a fragment of this page, or data inline (a heat map's image)
                assert value is not None and value.startswith(("#", "data:")), (tag, name, value)
    ids = [a["id"] for _, a in c.attrs if a.get("id")]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1][:5]
    # URLs appear only as XML namespace names, which are identifiers and never fetched.
    for m in re.finditer(r"(https?:)?//[^\s\"'<>)]*", document):
        before = document[max(0, m.start() - 20) : m.start()]
        assert re.search(r'xmlns(:\w+)?="$', before), (before, m.group())
    assert "@import" not in document and not re.search(r"url\((?!#)", document)
    return c


@pytest.fixture(scope="module")
def result() -> RunResult:
    return tiny()


@pytest.fixture(scope="module")
def more_stock() -> RunResult:
    return tiny(["firms.acme.stockpile.magnet=80d"])


@pytest.fixture(scope="module")
def report(result: RunResult) -> str:
    return html.result_report(result)


def test_result_report_is_valid_and_self_contained(result: RunResult, report: str) -> None:
    c = check(report)
    slugs = [chart.slug for chart in plots.result_charts(result)]
    charts = [a["data-chart"] for tag, a in c.attrs if tag == "figure"]
    assert charts == slugs
    assert c.svg_in_figure == len(slugs)  # every chart is inline SVG in its figure


def test_result_report_content(result: RunResult, report: str) -> None:
    p = result.provenance
    for text in (
        "<h1>reesim: minimal</h1>",
        "controls on",
        "2025-02-03",
        "Timeline",
        "Key results",
        "stockout_days",
        "licence_wait_days",
        "±",
        p.scenario_sha256,
        f"<td>{p.root_seed}</td>",
        "3 (indices 0–2)",
        f"<td>{p.reesim_version}</td>",
        "@media print",
    ):
        assert text in report, text
    # chart text stays text: labels are searchable in the page
    assert "stock cover (days of production)" in report
    assert "Licence waits (no statutory limit)" in report  # MINIMAL sets none


def test_inline_svg_prefixes_ids_and_drops_prologue() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n'
        '<svg width="10pt" height="5pt" viewBox="0 0 10 5" xmlns="http://www.w3.org/2000/svg">'
        "<metadata>m</metadata>"
        '<clipPath id="p1"><rect/></clipPath><g clip-path="url(#p1)"><use xlink:href="#p1"/></g>'
        '<g id="stopped"/><g id="stopped"/></svg>'
    )
    out = html.inline_svg(svg, "c7")
    assert out.startswith("<svg") and "metadata" not in out and "DOCTYPE" not in out
    assert 'id="c7-p1"' in out and "url(#c7-p1)" in out and 'href="#c7-p1"' in out
    assert 'width="10pt"' not in out and 'viewBox="0 0 10 5"' in out
    assert 'id="c7-stopped"' in out and 'id="c7-stopped-2"' in out


def test_comparison_report_side_by_side(result: RunResult, more_stock: RunResult) -> None:
    runs = [("base", result), ("stock", more_stock)]
    document = html.comparison_report(runs)
    c = check(document)
    charts = [a["data-chart"] for tag, a in c.attrs if tag == "figure"]
    assert charts == [chart.slug for chart in plots.comparison_charts(runs)]
    assert c.svg_in_figure == len(charts)
    assert 'class="cols" style="--n: 2"' in document
    assert "Δ (paired) [95% CI]" in document
    assert "stock: paired, same root seed 1 and replications 0-2" in document


def test_labels_tell_results_apart(result: RunResult) -> None:
    assert html.labels([result, result], ["a/base.json", "b/ctl.json"]) == [
        "minimal (base)",
        "minimal (ctl)",
    ]
    assert html.labels([result, result]) == ["minimal #1", "minimal #2"]


def test_sweep_report(tmp_path: Path) -> None:
    sweep = make_sweep()
    document = html.sweep_report(sweep)
    c = check(document)
    charts = [a["data-chart"] for tag, a in c.attrs if tag == "figure"]
    assert charts == [chart.slug for chart in plots.sweep_charts(sweep)]
    assert c.svg_in_figure == len(charts)
    assert "reesim sweep: tiny-grid" in document
    assert "Sensitivity (Sobol indices)" in document and "0.75 ± 0.04" in document
    assert "<code>capacity</code>" in document


def test_report_of_a_real_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `reesim sweep` writes is what the sweep report and charts read."""
    monkeypatch.chdir(tmp_path)
    Path("t.yaml").write_text(RANDOM)
    argv = ["sweep", "t.yaml", "-o", "sw", "-n", "2", "-j", "1", "-q"]
    argv += [
        "--vary",
        "authority.review.capacity=1,3",
        "--vary",
        "firms.acme.stockpile.magnet=10d,40d",
    ]
    assert main(argv) == 0
    sweep = read_sweep(Path("sw"))
    assert sweep.factors == ("authority.review.capacity", "firms.acme.stockpile.magnet")
    assert len(sweep.points) == 4 and "firms.acme.stockout_days" in sweep.kpis
    assert main(["report", "sw", "-o", "sweep.html", "-q"]) == 0
    text = Path("sweep.html").read_text()
    c = check(text)
    assert c.svg_in_figure == len(plots.sweep_charts(sweep)) > 0


def test_a_sweep_report_names_its_base_and_tables_every_chosen_kpi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("t.yaml").write_text(RANDOM)
    argv = ["sweep", "t.yaml", "-o", "sw", "-n", "2", "-q", "--set", "authority.review.capacity=3"]
    assert main([*argv, "--vary", "firms.acme.stockpile.magnet=10d,40d"]) == 0
    document = html.sweep_report(read_sweep(Path("sw")))
    assert "<code>t.yaml</code>" in document  # the base scenario
    assert "<code>authority.review.capacity=3</code>" in document  # what every point shares
    points = document[document.index('id="points"') : document.index('id="charts"')]
    chosen = plots.sweep_kpis(read_sweep(Path("sw")))
    assert len(chosen) > 1
    for kpi in chosen:  # every chosen KPI, not only the one the points are ordered by
        assert f"<code>{kpi}</code> (" in points
    assert "(d) mean [95% CI]" in points and "(%) mean [95% CI]" in points


def test_report_command(
    result: RunResult,
    more_stock: RunResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    write_result(result, "base.json")
    write_result(more_stock, "ctl.json")
    assert main(["report", "base.json", "-o", "out/r.html"]) == 0
    assert capsys.readouterr().out == "wrote out/r.html\n"
    check(Path("out/r.html").read_text())
    assert main(["report", "base.json", "ctl.json", "-o", "cmp.html", "-q"]) == 0
    compared = Path("cmp.html").read_text()
    check(compared)
    assert "minimal (ctl)" in compared and "minimal (base)" in compared
    real_sweep(tmp_path / "sweep")
    assert main(["report", "sweep", "-o", "sweep.html", "-q"]) == 0
    check(Path("sweep.html").read_text())
    assert main(["report", "base.json", "-o", "r.pdf"]) == 2
    assert "expected an output file ending in .html" in capsys.readouterr().err


def test_run_writes_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("t.yaml").write_text(RANDOM)
    assert main(["run", "t.yaml", "-n", "2", "-q", "--report", "r.html"]) == 0
    assert capsys.readouterr() == ("", "")
    check(Path("r.html").read_text())


# --- a real browser ----------------------------------------------------------------------------


def browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_without_a_browser_ci_fails_and_a_developer_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    page = tmp_path / "p.html"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must render the report"):
        render(page, tmp_path / "s.png", tmp_path)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make browser"):
        render(page, tmp_path / "s.png", tmp_path)


def render(page: Path, shot: Path, profile: Path) -> str:
    """Screenshot `page` in headless Chromium; returns its log (stderr)."""
    exe = browser()
    if exe is None:
        missing = "no Chromium here: `make browser` (apt-get install chromium) installs it"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must render the report, as .ci/run installs it")
        pytest.skip(missing)
    proc = subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stderr


def page_errors(log: str) -> list[str]:
    """Log lines of page errors: uncaught exceptions, console errors, failed loads."""
    return [
        line
        for line in log.splitlines()
        if "Uncaught" in line
        or "Failed to load resource" in line
        or ("CONSOLE" in line and ("ERROR" in line or "Error" in line))
        or "net::ERR_" in line
    ]


def pixel_spread(png: Path) -> float:
    from PIL import Image, ImageStat

    with Image.open(png) as im:
        return float(ImageStat.Stat(im.convert("L")).stddev[0])


def test_browser_error_detection_works(tmp_path: Path) -> None:
    """The check below would see a broken page: a script error shows in the log."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><script>throw new Error("boom")</script></body></html>'
    )
    log = render(page, tmp_path / "broken.png", tmp_path / "profile")
    assert any("boom" in line for line in page_errors(log)), log[-2000:]


def test_report_renders_in_headless_chromium(report: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(report, encoding="utf-8")
    shot = tmp_path / "shot.png"
    log = render(page, shot, tmp_path / "profile")
    assert page_errors(log) == []
    assert shot.is_file()
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    render(blank, tmp_path / "blank.png", tmp_path / "profile2")
    assert pixel_spread(tmp_path / "blank.png") < 1.0  # what blank looks like
    assert pixel_spread(shot) > 20.0  # text, tables and charts
