"""Helpers for the UI tests: start and stop the real `ablation ui` server (its own process group,
loopback only), talk to its GraphQL endpoint, and drive headless Chromium offline."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-quic", "--window-size=1600,1000")

WORKSPACE_QUERY = """
{ workspaceOrError { __typename
    ... on Workspace { locationEntries { name loadStatus locationOrLoadError { __typename
        ... on RepositoryLocation { repositories { name jobs { name } } }
        ... on PythonError { message } } } }
    ... on PythonError { message } } }
"""


def free_port() -> int:
    """A port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError as exc:
        return f"(no output: {exc})"


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path
    env: dict[str, str]
    studies: Path
    results: Path
    cache: Path
    home: Path
    survivors: tuple[str, ...] | list[str] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return tail(self.log)

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """The `data` of a GraphQL answer; any GraphQL error fails the test with the message."""
        response = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), f"GraphQL errors: {body['errors']}"
        return body["data"]


def as_from_a_terminal() -> None:
    """In a child before it runs its command: Ctrl-C and SIGTERM delivered and handled by default, as a
    shell gives them. A signal mask or an ignored SIGINT is inherited across exec, and a test worker's
    thread may hold either (the libraries it ran in-process), which would make the child deaf to Ctrl-C."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_server(command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None, **paths: Path) -> Server:
    """Start the command (in `cwd`) in its own session, so one signal to its group reaches every child
    (dagster dev, its code server, webserver and daemon)."""
    handle = log.open("wb")
    try:
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=cwd, preexec_fn=as_from_a_terminal)
    finally:
        handle.close()  # the child keeps its own descriptor
    port = int(command[command.index("--port") + 1])
    return Server(process=process, port=port, log=log, env=env, **paths)


def wait_until_ready(server: Server, timeout: float = 120.0) -> float:
    """Wait for /server_info, then for the code location to load; returns the seconds taken.
    Fails with the server's output tail on timeout, early exit, or a location load error."""
    started = time.monotonic()
    deadline = started + timeout
    phase = "waiting for /server_info"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"`ablation ui` exited with code {server.process.returncode} while {phase}:\n{server.output()}")
        try:
            if phase.startswith("waiting for /server_info"):
                if requests.get(f"{server.url}/server_info", timeout=5).ok:
                    phase = "waiting for the code location to load"
            else:
                workspace = server.graphql(WORKSPACE_QUERY)["workspaceOrError"]
                assert workspace["__typename"] == "Workspace", workspace
                entries = workspace["locationEntries"]
                loaded = [e for e in entries if e["loadStatus"] == "LOADED"]
                errors = [e["locationOrLoadError"] for e in loaded if e["locationOrLoadError"]["__typename"] == "PythonError"]
                if errors:
                    pytest.fail(f"code location failed to load: {errors[0]['message']}\n{server.output()}")
                if entries and len(loaded) == len(entries):
                    return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"`ablation ui` not ready after {timeout:.0f} s ({phase}); output tail:\n{server.output()}")


def group_members(pgid: int, signals: bool = False) -> list[str]:
    """'pid state command' of each process of the group that has not exited (with `signals`, also its
    blocked, ignored and caught signal masks, to tell why it did not stop). A zombie has exited (it
    waits for a reaper, here possibly a PID 1 that never reaps), so it does not count."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            _, _, rest = stat.read_text().rpartition(")")  # after 'pid (command)'
            state, _, group = rest.split()[:3]
            if int(group) == pgid and state not in ("Z", "X"):
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                masks = ""
                if signals:
                    status = (stat.parent / "status").read_text().splitlines()
                    masks = " " + " ".join(line.replace("\t", "") for line in status if line.startswith(("SigBlk", "SigIgn", "SigCgt")))
                members.append(f"{stat.parent.name} {state}{masks} {command[:200]}")
    return members


def stop_server(server: Server, grace: float = 150.0) -> tuple[int | None, bool]:
    """SIGINT the whole process group (Ctrl-C), wait, SIGKILL the group as a last resort. The grace is
    longer than `dagster dev`'s own: it waits up to 60 s for its webserver, then 60 s for its daemon.
    Returns (exit code of `ablation ui`, whether SIGKILL was needed); `server.survivors` lists what
    was still running when SIGKILL was sent."""
    process = server.process
    pgid = process.pid  # start_new_session: the leader's pid is the group id
    killed, started = False, time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGINT)
    deadline = started + grace
    while time.monotonic() < deadline and (process.poll() is None or group_members(pgid)):
        time.sleep(0.25)
    running = process.poll() is None or bool(group_members(pgid))
    print(f"server {'still running' if running else 'stopped'} {time.monotonic() - started:.1f} s after SIGINT")
    if running:
        killed, server.survivors = True, group_members(pgid, signals=True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    deadline = time.monotonic() + 15  # children orphaned by SIGKILL are reaped by init
    while time.monotonic() < deadline and group_members(pgid):
        time.sleep(0.25)
    return process.returncode, killed


# ---------------------------------------------------------------------------------------- browser


def require_chromium() -> None:
    """Skip without Chromium locally; in CI (which installs it) a missing browser is a failure."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        message = f"headless browser not installed: {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def chrome(profile: Path):
    """Headless Chromium with the system driver (Selenium never downloads one), offline-friendly."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = str(CHROMIUM)
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


# Names (the text of a leaf element, or Dagster's shortening of it: "drop__ro…_and_size") whose centre
# is on screen and not covered by anything else.
VISIBLE_NAMES_JS = """
const names = arguments[0], seen = new Set();
const named = (text) => names.filter(n => n === text
  || (text.includes('…') && n.startsWith(text.split('…')[0]) && n.endsWith(text.split('…').pop())));
for (const el of document.querySelectorAll('body *')) {
  if (el.children.length) continue;
  const found = named(el.textContent.trim());
  if (!found.length) continue;
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height) continue;
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
  const hit = document.elementFromPoint(x, y);
  if (hit && (hit === el || el.contains(hit) || hit.contains(el))) found.forEach(n => seen.add(n));
}
return [...seen];
"""

# The asset graph's zoom: the scale of the first element transformed by a matrix (Dagster's viewport).
GRAPH_SCALE_JS = """
for (const el of document.querySelectorAll('div')) {
  const m = (el.style.transform || '').match(/^matrix\\(([-0-9.e]+),/);
  if (m) return parseFloat(m[1]);
}
return null;
"""


def visible_names(driver, names: list[str]) -> set[str]:
    return set(driver.execute_script(VISIBLE_NAMES_JS, list(names)))


def graph_scale(driver) -> float | None:
    return driver.execute_script(GRAPH_SCALE_JS)


def zoom_out_until_visible(driver, names: list[str], timeout: float = 60) -> float:
    """Zoom the asset graph out step by step (it opens wider than the window) until every name is drawn
    on screen; returns the zoom at which they all are."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def all_visible(d) -> bool:
        for button in d.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
            button.click()  # the community dialog, if the server still shows it
        if set(names) <= visible_names(d, names):
            return True
        with contextlib.suppress(WebDriverException):  # not rendered yet, or covered for a moment: retried next poll
            d.find_element(By.XPATH, "//button[.//*[@aria-label='zoom_out']]").click()
        return False

    WebDriverWait(driver, timeout, poll_frequency=1.0, ignored_exceptions=(StaleElementReferenceException,)).until(all_visible)
    return graph_scale(driver)


def body_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text
