"""examples/ci/reesim.yml works for a repository of scenarios only: its steps run, as written,
in a temporary git repository with a target branch, and pass, fail on a gate, or fail on a
malformed scenario in a subfolder, as the workflow says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples/ci/reesim.yml"
QUEUE = (ROOT / "scenarios/examples/licence-queue.yaml").read_text()
GATES = """\
gates:
  - name: queue-wait
    fail_if: significant(authority.queue_wait_days) and delta(authority.queue_wait_days) > 5
    description: Applications wait more than five days longer in the queue.
"""
SWEEP = """\
name: capacity
scenario: ../scenarios/team/queue.yaml
replications: 2
factors:
  authority.review.capacity: [2, 3]
"""


def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())  # type: ignore[no-any-return]


def steps() -> list[dict[str, Any]]:
    return list(workflow()["jobs"]["simulate"]["steps"])


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_it_installs_reesim_as_a_package() -> None:
    install = next(s for s in steps() if s.get("name") == "Install reesim")
    assert install["run"] == 'python -m pip install "$REESIM"'
    assert "git+" in workflow()["env"]["REESIM"]
    assert not any("pip install ." in s.get("run", "") for s in steps())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A scenarios-only repository: main with a scenario in a subfolder and gates, a remote
    ref for it (as actions/checkout with fetch-depth 0 leaves), and a pull-request branch."""
    repo = tmp_path / "repo"
    (repo / "scenarios/team").mkdir(parents=True)
    (repo / "ci").mkdir()
    (repo / "scenarios/team/queue.yaml").write_text(QUEUE)
    (repo / "ci/gates.yaml").write_text(GATES)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "scenarios")
    git(repo, "update-ref", "refs/remotes/origin/main", "main")
    git(repo, "checkout", "-q", "-b", "pull-request")
    return repo


def run_steps(repo: Path) -> dict[str, int]:
    """Each `run` step after the install, as Actions runs it (bash -eo pipefail), with the
    `${{ github.base_ref }}` expression filled in; the exit code of each."""
    summary = repo / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(summary),
        **workflow()["env"],
    }
    env.pop("COLUMNS", None)
    codes = {}
    for step in steps():
        if "run" not in step or step["name"] == "Install reesim":
            continue
        script = step["run"].replace("${{ github.base_ref }}", "main")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
        )
        codes[step["name"]] = done.returncode
        if done.returncode:
            print(step["name"], done.stdout, done.stderr)  # shown when a test fails
    return codes


def commit(repo: Path, message: str) -> None:
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in (("NAME", "t"), ("EMAIL", "t@t")):
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)


def test_a_harmless_change_passes_and_is_summarised(repo: Path) -> None:
    path = repo / "scenarios/team/queue.yaml"
    path.write_text(
        path.read_text().replace("description: A licence queue", "description: Our queue")
    )
    (repo / "sweeps").mkdir()
    (repo / "sweeps/capacity.yaml").write_text(SWEEP)
    commit(repo, "describe")
    codes = run_steps(repo)
    assert set(codes.values()) == {0}, codes
    summary = (repo / "summary.md").read_text()
    assert "## reesim: scenarios/team/queue.yaml against main" in summary
    assert "Gates: " in summary and "pass" in summary
    assert (repo / "out/compare-scenarios_team_queue.json").is_file()
    assert (repo / "out/sweep-capacity/points.parquet").is_file()


def test_a_failing_gate_fails_the_comparison_step(repo: Path) -> None:
    path = repo / "scenarios/team/queue.yaml"
    path.write_text(path.read_text().replace("    capacity: 3\n", "    capacity: 1\n"))
    commit(repo, "one reviewer")
    codes = run_steps(repo)
    assert codes["Compare each changed scenario with the target branch and apply the gates"] == 1
    assert "FAIL" in (repo / "summary.md").read_text()


def test_a_broken_scenario_in_a_subfolder_fails_validation(repo: Path) -> None:
    (repo / "scenarios/team/deep").mkdir()
    (repo / "scenarios/team/deep/new.yml").write_text(QUEUE.replace("transit: 1w", "transit: -1w"))
    commit(repo, "a new scenario")
    codes = run_steps(repo)
    assert codes["Check every scenario, subfolders included"] == 2
