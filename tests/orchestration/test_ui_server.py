"""The real Dagster UI end to end: `ablation ui` serves the instance `ablation run` writes to.

One server for the module (started through the project's own command on a free loopback port,
stopped by its process group); runs go both ways (CLI -> UI, UI -> Python), and headless Chromium
checks that the study's asset graph renders."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from builders import REPO, linear_frame, small_spec, write_study
from ui_helpers import body_text, chrome, free_port, require_chromium, start_server, stop_server, wait_until_ready, zoom_out_until_visible

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:gql.*")]  # dagster_graphql's client calls gql the old way

STUDY = "small"
LOCATION = "ablation_pipeline.definitions"  # workspace.yaml loads this module; the location is named after it
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
ARTIFACTS = REPO / "test-artifacts"
RUN_ID = re.compile(r"\(run ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)")

RUNS_QUERY = """
query Runs($ids: [String!]) {
  runsOrError(filter: {runIds: $ids}) {
    __typename
    ... on Runs { results { runId jobName status tags { key value } assetMaterializations { assetKey { path } } } }
    ... on PythonError { message }
  }
}
"""

LATEST_MATERIALIZATION_QUERY = """
query Latest($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    __typename
    ... on Asset {
      assetMaterializations(limit: 1) {
        runId
        metadataEntries {
          label
          __typename
          ... on IntMetadataEntry { intValue }
          ... on TextMetadataEntry { text }
        }
      }
    }
  }
}
"""

VERDICTS = ("essential", "harmful", "removable", "inconclusive")


def ablation_command() -> str:
    command = Path(sys.executable).with_name("ablation")
    found = str(command) if command.exists() else shutil.which("ablation")
    assert found, "the `ablation` console script is not installed next to this Python (pip install -e .)"
    return found


@pytest.fixture(scope="module")
def study_plan(server):
    from ablation_pipeline.pipeline.setup import plan_study
    from ablation_pipeline.spec.loading import load_spec

    return plan_study(load_spec(server.studies / f"{STUDY}.yaml"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`ablation ui` on 127.0.0.1:<free port>, with every folder it writes to in a temp dir."""
    root = tmp_path_factory.mktemp("ui")
    studies = root / "studies"
    write_study(studies, small_spec(), linear_frame())  # small.yaml + data.csv, nothing else
    paths = {"studies": studies, "results": root / "results", "cache": root / "cache", "home": root / "dagster_home"}
    env = {key: value for key, value in os.environ.items() if key != "ABLATION_HOME"}  # use the checkout's workspace.yaml
    env.update(ABLATION_STUDIES_DIR=str(studies), ABLATION_RESULTS_DIR=str(paths["results"]), ABLATION_CACHE_DIR=str(paths["cache"]),
               DAGSTER_HOME=str(paths["home"]), DAGSTER_DISABLE_TELEMETRY="1", COLUMNS="200")
    port = free_port()
    started = time.monotonic()
    running = start_server([ablation_command(), "ui", "--port", str(port)], env, root / "server.log", **paths)
    try:
        ready_after = wait_until_ready(running, timeout=120)
        print(f"ablation ui ready on port {port} after {ready_after:.1f} s")
        yield running
    finally:
        code, killed = stop_server(running)
        print(f"ablation ui stopped after {time.monotonic() - started:.1f} s (exit code {code}, SIGKILL needed: {killed})")
    assert code is not None, f"`ablation ui` still running after SIGINT and SIGKILL:\n{running.output()}"
    assert not killed, (f"`ablation ui` ignored SIGINT to its process group; it had to be killed (still running: "
                        f"{running.survivors}):\n{running.output()}")


def metadata_of(entries: list[dict]) -> dict[str, object]:
    values = {}
    for entry in entries:
        if entry["__typename"] == "IntMetadataEntry":
            values[entry["label"]] = entry["intValue"]
        elif entry["__typename"] == "TextMetadataEntry":
            values[entry["label"]] = entry["text"]
        else:
            values[entry["label"]] = entry["__typename"]
    return values


def test_a_cli_run_shows_up_in_the_running_ui(server, tmp_path):
    """`ablation run` in another process, while the UI runs: the UI's GraphQL API lists the run."""
    results = tmp_path / "cli-results"
    done = subprocess.run([ablation_command(), "run", STUDY, "--results-dir", str(results)], env=server.env,
                          capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    found = RUN_ID.search(" ".join(done.stdout.split()))
    assert found, f"no run id in the output:\n{done.stdout}"
    run_id = found.group(1)
    assert (results / STUDY / "comparison.csv").is_file()

    runs = server.graphql(RUNS_QUERY, {"ids": [run_id]})["runsOrError"]
    assert runs["__typename"] == "Runs", runs
    assert [r["runId"] for r in runs["results"]] == [run_id]
    run = runs["results"][0]
    assert run["status"] == "SUCCESS"
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags.get("ablation/executor") == "in_process" and "ablation/cli" in tags, tags
    materialized = {tuple(m["assetKey"]["path"]) for m in run["assetMaterializations"]}
    assert {(STUDY, "baseline"), (STUDY, "comparison"), (STUDY, "report")} <= materialized, materialized


def test_a_run_launched_through_the_ui_api_is_recorded_for_python_too(server, study_plan, monkeypatch):
    """Launch `small_job` in-process via the webserver (as the launchpad does), then read the result
    back through GraphQL and, the other way round, through DagsterInstance.get() in this process."""
    from dagster_graphql import DagsterGraphQLClient

    client = DagsterGraphQLClient("127.0.0.1", port_number=server.port)
    run_id = client.submit_job_execution(f"{STUDY}_job", run_config=IN_PROCESS, tags={"test": "ui"})
    deadline = time.monotonic() + 180
    status = client.get_run_status(run_id)
    while status not in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
        assert time.monotonic() < deadline, f"run {run_id} still {status.value} after 180 s:\n{server.output()}"
        time.sleep(1)
        status = client.get_run_status(run_id)
    assert status == dg.DagsterRunStatus.SUCCESS, f"run {run_id} ended {status.value}:\n{server.output()}"

    asset = server.graphql(LATEST_MATERIALIZATION_QUERY, {"path": [STUDY, "comparison"]})["assetOrError"]
    assert asset["__typename"] == "Asset", asset
    [latest] = asset["assetMaterializations"]
    assert latest["runId"] == run_id
    metadata = metadata_of(latest["metadataEntries"])
    assert metadata["primary_metric"] == "rmse"
    counts = {v: metadata[f"n_{v}"] for v in VERDICTS}
    assert all(isinstance(n, int) and n >= 0 for n in counts.values()), metadata
    assert sum(counts.values()) == len(study_plan.variants) == 7, counts
    assert metadata["table"] == "MarkdownMetadataEntry" and metadata["path"] == "PathMetadataEntry", metadata

    # the run worker inherited the server's environment: results went to its ABLATION_RESULTS_DIR
    table = pd.read_csv(server.results / STUDY / "comparison.csv")
    written = table[table.metric == "rmse"].verdict.value_counts()
    assert {v: int(written.get(v, 0)) for v in VERDICTS} == counts

    # vice versa: the same instance, opened from Python, has the run and its materialization
    monkeypatch.setenv("DAGSTER_HOME", str(server.home))
    with dg.DagsterInstance.get() as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.is_success and run.job_name == f"{STUDY}_job"
        assert run.tags.get("test") == "ui"
        assert run.run_config.get("execution") == IN_PROCESS["execution"]
        event = instance.get_latest_materialization_event(dg.AssetKey([STUDY, "comparison"]))
        assert event is not None and event.run_id == run_id
        assert event.asset_materialization.metadata["primary_metric"].value == "rmse"


def test_the_browser_shows_the_study_asset_graph(server, study_plan, tmp_path):
    """Headless Chromium opens the study's asset group and sees every asset of the graph."""
    require_chromium()
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    names = ["source", "dataset", "baseline", *(v.name for v in study_plan.variants), "scores", "comparison", "report"]
    server.graphql("mutation { setNuxSeen }")  # the one-time "Join the Dagster community" dialog would cover the graph
    url = f"{server.url}/locations/{LOCATION}/asset-groups/{STUDY}"
    ARTIFACTS.mkdir(exist_ok=True)
    driver = chrome(tmp_path / "chrome-profile")
    try:
        driver.set_page_load_timeout(60)
        driver.get(url)
        ignored = (StaleElementReferenceException,)
        wait = WebDriverWait(driver, 60, poll_frequency=0.5, ignored_exceptions=ignored)
        try:
            wait.until(lambda d: sum(n in body_text(d) for n in ("baseline", "drop__a", "scores")) >= 2)
        finally:
            driver.save_screenshot(str(tmp_path / "ui_first_paint.png"))

        try:
            zoom_out_until_visible(driver, names)
        finally:
            for target in (ARTIFACTS / "ui_asset_graph.png", tmp_path / "ui_asset_graph.png"):
                driver.save_screenshot(str(target))
        text = body_text(driver)
        assert all(n in text for n in ("baseline", "comparison", "report", "drop__a")), text[:2000]
        assert STUDY in driver.title, driver.title
        assert "Materialize all" in text
    finally:
        driver.quit()


STALE_QUERY = """
{ assetNodes { assetKey { path } staleStatus staleCauses { key { path } category reason } } }
"""
RELOAD_MUTATION = """
mutation Reload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) { __typename ... on PythonError { message } }
}
"""


def stale_statuses(server) -> dict[str, tuple[str, set[str]]]:
    """Asset name -> (the UI's stale status, the categories of its causes), for the study's assets."""
    nodes = server.graphql(STALE_QUERY)["assetNodes"]
    return {n["assetKey"]["path"][-1]: (n["staleStatus"], {c["category"] for c in n["staleCauses"]})
            for n in nodes if n["assetKey"]["path"][0] == STUDY and n["staleStatus"] is not None}


def reload_location(server) -> None:
    answer = server.graphql(RELOAD_MUTATION, {"name": LOCATION})["reloadRepositoryLocation"]
    assert answer["__typename"] != "PythonError", answer
    wait_until_ready(server, timeout=120)


def test_editing_one_variant_marks_exactly_it_and_its_downstream_unsynced(server, study_plan):
    """After a full run the UI shows the study in sync; after changing one ablation's spec (and the
    location reloading), exactly that ablation's variants are unsynced, for their code version.
    (Dagster marks their downstream steps only once the variants have new data versions; `ablation
    run` selects them already, see test_caching.)"""
    done = subprocess.run([ablation_command(), "run", STUDY], env=server.env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    before = stale_statuses(server)
    assert {name for name, (status, _) in before.items() if status == "STALE"} == set(), before

    spec_path = server.studies / f"{STUDY}.yaml"
    original = spec_path.read_text(encoding="utf-8")
    try:
        spec_path.write_text(original.replace("permutations: 2", "permutations: 3"), encoding="utf-8")
        reload_location(server)
        after = stale_statuses(server)
        edited = {v.name for v in study_plan.variants if v.mode == "permute"}
        assert edited == {"permute__a", "permute__const"}
        stale = {name for name, (status, _) in after.items() if status == "STALE"}
        assert stale == edited, after
        assert all(after[name][1] == {"CODE"} for name in edited), after
        assert all(status == "FRESH" for name, (status, _) in after.items() if name not in edited), after
    finally:
        spec_path.write_text(original, encoding="utf-8")
        reload_location(server)
    assert {name for name, (status, _) in stale_statuses(server).items() if status == "STALE"} == set()
