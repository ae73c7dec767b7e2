"""Download progress: byte bars on a terminal (rich, imported only when a bar is shown), lines elsewhere."""

from __future__ import annotations

import threading

from yurt.cli.output import Output, format_size

# As uv does: files this small finish before a bar or a line would help.
ANNOUNCE_BYTES = 1024 * 1024


class DownloadLines:
    """Without a terminal: one `Downloading name (12.3MiB)` line per file over 1 MiB."""

    def __init__(self, output: Output) -> None:
        self.output = output

    def download_started(self, name: str, size: int | None) -> None:
        if size is not None and size > ANNOUNCE_BYTES:
            self.output.status(f"Downloading {name} ({format_size(size)})")

    def download_progress(self, name: str, received: int) -> None:
        pass

    def download_finished(self, name: str) -> None:
        pass


class DownloadBars:
    """On a terminal: a byte bar per file over 1 MiB while it downloads; nothing is left behind."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self._lock = threading.Lock()
        self._progress = None
        self._tasks: dict[str, object] = {}

    def _bars(self):
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            console = Console(file=self.output.status_stream, no_color=not self.output.color)
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                console=console, transient=True,
            )
            self._progress.start()
            self.output.live = console
        return self._progress

    def download_started(self, name: str, size: int | None) -> None:
        if size is None or size <= ANNOUNCE_BYTES:
            return
        with self._lock:
            self._tasks[name] = self._bars().add_task(name, total=size)

    def download_progress(self, name: str, received: int) -> None:
        task = self._tasks.get(name)
        if task is not None:
            self._progress.update(task, completed=received)

    def download_finished(self, name: str) -> None:
        with self._lock:
            task = self._tasks.pop(name, None)
            if task is not None:
                self._progress.remove_task(task)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self.output.live = None


def download_reporter(output: Output):
    """Bars when stderr is a terminal and status lines are wanted, else plain lines."""
    stream = output.status_stream
    if output.quiet < 1 and hasattr(stream, "isatty") and stream.isatty():
        return DownloadBars(output)
    return DownloadLines(output)


class NoProgress:
    """Counts nothing: the status line after the step says what happened."""

    def advance(self, name: str) -> None:
        pass

    def close(self) -> None:
        pass


class StepBar:
    """On a terminal: one bar for a step over many dists (`Installing wheels`), removed when done."""

    def __init__(self, output: Output, description: str, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        console = Console(file=output.status_stream, no_color=not output.color)
        self._lock = threading.Lock()
        self._progress = Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[name]}"), console=console, transient=True)
        self._task = self._progress.add_task(description, total=total, name="")
        self._progress.start()
        self._output = output
        output.live = console

    def advance(self, name: str) -> None:
        with self._lock:
            self._progress.update(self._task, advance=1, name=name)

    def close(self) -> None:
        self._progress.stop()
        self._output.live = None


def step_progress(output: Output, description: str, total: int):
    """A bar for a step on a terminal when it has enough to show, else nothing."""
    stream = output.status_stream
    if total > 1 and output.quiet < 1 and hasattr(stream, "isatty") and stream.isatty():
        return StepBar(output, description, total)
    return NoProgress()
