"""Live progress of a CLI run, read from the run's own event log as it grows: each poll reads only the
events written since the last one (a cursor), so polling costs the same at every point of the run.
In a terminal a bar advances with elapsed time and an estimate of what is left; otherwise one line is
printed per finished asset, so a log file or CI output shows the run as it goes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

WATCHED = {dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.STEP_START}


@dataclass
class RunEvents:
    """What a run has done so far, read incrementally."""

    run_id: str
    finished: list[str] = field(default_factory=list)  # asset names, in the order they materialized
    current: str = ""  # the step most recently started
    cursor: str | None = None

    def poll(self, instance: dg.DagsterInstance) -> list[str]:
        """Read the events written since the last poll; returns the assets that finished in them."""
        connection = instance.get_records_for_run(self.run_id, cursor=self.cursor, of_type=WATCHED)
        self.cursor = connection.cursor
        new = []
        for record in connection.records:
            event = record.event_log_entry
            if event.dagster_event.event_type == dg.DagsterEventType.STEP_START:
                self.current = (event.step_key or "").split("__", 1)[-1]
            else:
                name = event.dagster_event.asset_key.path[-1]
                if name not in self.finished:
                    self.finished.append(name)
                    new.append(name)
        return new


class ProgressView:
    """A bar in a terminal; one line per finished asset elsewhere."""

    def __init__(self, console: Console, study: str, total: int):
        self.console, self.study, self.total = console, study, total
        self.started = time.monotonic()
        self.first_done: float | None = None  # seconds from the start to the first finished asset
        self.bar: Progress | None = None
        if console.is_terminal:
            self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[step]}"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                console=console, transient=False)
            self.task = self.bar.add_task(study, total=total, step="starting")

    def __enter__(self) -> ProgressView:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def update(self, events: RunEvents, new: list[str]) -> None:
        done = len(events.finished)
        if self.bar is not None:
            self.bar.update(self.task, completed=done, step=events.current)
            return
        elapsed = time.monotonic() - self.started
        if new and self.first_done is None:
            self.first_done = elapsed
        for i, name in enumerate(new, start=done - len(new) + 1):
            # the pace since the first asset: the run's start (Dagster plans every asset first) is not a step's cost
            left = f", about {_clock((elapsed - self.first_done) / (i - 1) * (self.total - i))} left" if i > 1 else ""
            self.console.print(f"{self.study} [{i}/{self.total}] {name} done, {_clock(elapsed)} elapsed{left}",
                               highlight=False, soft_wrap=True)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
