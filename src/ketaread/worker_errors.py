"""Failed workers are reported, never silent: Textual's worker events do not bubble, so each
node that starts workers reports its own."""

from __future__ import annotations

from textual.worker import Worker, WorkerState


class ReportsWorkerErrors:
    """Mixin for an App, Screen or Widget: a worker it started that fails is shown in one line."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Report a failed worker; the reader keeps going."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        node = self  # a DOMNode: it has log and notify
        node.log.error(error)  # type: ignore[attr-defined]
        node.notify(  # type: ignore[attr-defined]
            f"Something went wrong ({event.worker.name}): {error}",
            severity="error",
            markup=False,
        )
