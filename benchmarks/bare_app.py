"""The floor for first-frame timing: a bare Textual app with a header, one line and a footer."""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class BareApp(App[None]):
    """Draws one line that the benchmark waits for."""

    def compose(self) -> ComposeResult:
        """Header, the awaited line, footer."""
        yield Header()
        yield Static("explained, part 1")
        yield Footer()


if __name__ == "__main__":
    BareApp().run()
