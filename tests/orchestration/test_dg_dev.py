"""`dg dev` on the project, with a broken study beside a valid one: the server loads the code location,
the valid study's graph is there, and the broken one shows (in the API and in headless Chromium) as one
asset whose description is its one-line error."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from builders import REPO, broken_studies
from ui_helpers import body_text, chrome, free_port, require_chromium, start_server, stop_server, wait_until_ready

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

LOCATION = "ablation_pipeline"  # [tool.dg.project] code_location_name
ARTIFACTS = REPO / "test-artifacts"
ASSETS_QUERY = "{ assetNodes { assetKey { path } description groupName } }"


@pytest.fixture(scope="module")
def dg_dev(tmp_path_factory):
    root = tmp_path_factory.mktemp("dg_dev")
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
    assert code is not None and not killed, f"`dg dev` did not stop on SIGINT:\n{running.output()}"


def test_dg_dev_serves_valid_and_broken_studies(dg_dev, tmp_path):
    nodes = {tuple(n["assetKey"]["path"]): n for n in dg_dev.graphql(ASSETS_QUERY)["assetNodes"]}
    assert ("small", "report") in nodes and ("small", "drop__a") in nodes
    typo = nodes[("typo", "invalid_study")]
    assert "evaluation.foldz: unknown key 'foldz'; did you mean 'folds'?" in typo["description"]
    assert typo["groupName"] == "typo"

    require_chromium()
    from selenium.webdriver.support.ui import WebDriverWait

    dg_dev.graphql("mutation { setNuxSeen }")
    driver = chrome(tmp_path / "chrome-profile")
    try:
        driver.set_page_load_timeout(60)
        driver.get(f"{dg_dev.url}/assets/typo/invalid_study")
        try:
            WebDriverWait(driver, 60, poll_frequency=0.5).until(lambda d: "unknown key 'foldz'" in body_text(d))
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / "dg_dev_broken_study.png"))
        assert "could not be loaded" in body_text(driver)
    finally:
        driver.quit()
