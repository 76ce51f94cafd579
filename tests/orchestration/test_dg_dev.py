"""`dg dev` on the project, with broken studies beside valid ones: the server loads the code location,
the valid studies' graphs are there (house_prices' whole graph fits a 1920x1200 screen), and a broken
one shows (in the API and in headless Chromium) as one asset whose description is its one-line error."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from builders import REPO, broken_studies, house_prices_study
from ui_helpers import body_text, chrome, free_port, require_chromium, start_server, stop_server, wait_until_ready, zoom_out_until_visible

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

LOCATION = "ablation_pipeline"  # [tool.dg.project] code_location_name
ARTIFACTS = REPO / "test-artifacts"
ASSETS_QUERY = "{ assetNodes { assetKey { path } description groupName } }"
OBSERVATIONS_QUERY = """{ assetOrError(assetKey: {path: ["small", "source"]}) {
  ... on Asset { assetObservations(limit: 1) { runId tags { key value } } } } }"""


@pytest.fixture(scope="module")
def dg_dev(tmp_path_factory):
    root = tmp_path_factory.mktemp("dg_dev")
    house_prices_study(root / "studies")
    paths = {"studies": broken_studies(root / "studies"), "results": root / "results", "cache": root / "cache",
             "home": root / "dagster_home"}
    env = {**os.environ, "ABLATION_STUDIES_DIR": str(paths["studies"]), "ABLATION_RESULTS_DIR": str(paths["results"]),
           "ABLATION_CACHE_DIR": str(paths["cache"]), "DAGSTER_HOME": str(paths["home"]), "DAGSTER_DISABLE_TELEMETRY": "1"}
    paths["home"].mkdir()
    port = free_port()
    command = [str(Path(sys.executable).with_name("dg")), "dev", "--host", "127.0.0.1", "--port", str(port)]
    running = start_server(command, env, root / "server.log", cwd=REPO, **paths)  # dg finds the project by its pyproject.toml
    try:
        wait_until_ready(running, timeout=150)
        yield running
    finally:
        code, killed = stop_server(running)
    assert code is not None and not killed, f"`dg dev` did not stop on SIGINT (still running: {running.survivors}):\n{running.output()}"


@contextmanager
def browsing(server, tmp_path: Path, path: str, ready: str, screenshot: str, size: tuple[int, int] | None = None):
    """Headless Chromium on `path` of the server (at `size`, when given), once the page shows `ready`;
    the screenshot is kept in test-artifacts/ whatever happens."""
    require_chromium()
    from selenium.webdriver.support.ui import WebDriverWait

    server.graphql("mutation { setNuxSeen }")  # the one-time community dialog would cover the page
    driver = chrome(tmp_path / "chrome-profile")
    try:
        if size is not None:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": size[0], "height": size[1],
                                                                          "deviceScaleFactor": 1, "mobile": False})
        driver.set_page_load_timeout(60)
        driver.get(f"{server.url}{path}")
        WebDriverWait(driver, 60, poll_frequency=0.5).until(lambda d: ready in body_text(d))
        yield driver
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / screenshot))
        driver.quit()


def test_dg_dev_serves_valid_and_broken_studies(dg_dev, tmp_path):
    nodes = {tuple(n["assetKey"]["path"]): n for n in dg_dev.graphql(ASSETS_QUERY)["assetNodes"]}
    assert ("small", "report") in nodes and ("small", "drop__a") in nodes
    typo = nodes[("typo", "invalid_study")]
    assert "evaluation.foldz: unknown key 'foldz'; did you mean 'folds'?" in typo["description"]
    assert typo["groupName"] == "typo"

    with browsing(dg_dev, tmp_path, "/assets/typo/invalid_study", "unknown key 'foldz'", "dg_dev_broken_study.png") as driver:
        assert "could not be loaded" in body_text(driver)


def test_the_house_prices_graph_fits_a_1920x1200_screen(dg_dev, tmp_path):
    """Each asset draws only the edges it reads (36 for house_prices' 20 assets, not 72), so the layout
    is compact: the whole graph is on a 1920x1200 screen at a zoom where Dagster still draws every name
    (it stops drawing them below about 0.15; the graph with an edge from the data to every asset needed
    0.23). The screenshot is kept in test-artifacts/."""
    nodes = dg_dev.graphql(ASSETS_QUERY)["assetNodes"]
    names = [n["assetKey"]["path"][-1] for n in nodes if n["assetKey"]["path"][0] == "house_prices"]
    assert len(names) == 20, names
    with browsing(dg_dev, tmp_path, f"/locations/{LOCATION}/asset-groups/house_prices", "baseline",
                  "house_prices_graph_1920x1200.png", size=(1920, 1200)) as driver:
        scale = zoom_out_until_visible(driver, names)
        assert driver.execute_script("return [innerWidth, innerHeight]") == [1920, 1200]
        assert scale is not None and scale >= 0.3, f"the whole graph is on screen only at zoom {scale}"


def test_the_source_is_observed_without_a_click(dg_dev):
    """The study's observation sensor is on by default: the daemon observes the source on its first tick."""
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        observations = dg_dev.graphql(OBSERVATIONS_QUERY)["assetOrError"].get("assetObservations")
        if observations:
            break
        time.sleep(3)
    assert observations, f"small/source was never observed:\n{dg_dev.output()}"
    tags = {t["key"]: t["value"] for t in observations[0]["tags"]}
    assert tags.get("dagster/data_version")


def test_the_shipped_component_instance_is_served_and_drawn(dg_dev, tmp_path):
    """ablation_pipeline/defs/iris_component/defs.yaml (an AblationStudy instance, the spec inline) loads
    beside the studies folder: its group is in the API and its graph in the browser."""
    nodes = dg_dev.graphql(ASSETS_QUERY)["assetNodes"]
    names = [n["assetKey"]["path"][-1] for n in nodes if n["assetKey"]["path"][0] == "iris_component"]
    assert {"source", "dataset", "baseline", "permute__petal_width_cm", "scores", "comparison", "report"} <= set(names)
    with browsing(dg_dev, tmp_path, f"/locations/{LOCATION}/asset-groups/iris_component", "baseline",
                  "dg_dev_component_instance.png") as driver:
        zoom_out_until_visible(driver, names)
        assert "iris_component" in driver.title, driver.title
