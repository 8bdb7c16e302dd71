"""The one sanitiser for text a guest or a host wrote, before it reaches Nagios or the operator's terminal.

Why: domain names, HTTP headers, error messages and command output come from machines that may be
compromised. Raw, an ESC/OSC sequence clears the operator's screen or hides an ERROR line, a BEL rings, a
newline forges a second plugin line, and bidirectional overrides reorder what is read. Every control and
formatting character (C0, DEL, C1, Unicode bidi/zero-width controls) is shown as a visible escape
(``\\x1b``, ``\\u202e``) instead: nothing is hidden, nothing acts. Import cost is one translation table.
"""

from __future__ import annotations

_INVISIBLE = (*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF)
_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_ESCAPES.update({code: f"\\u{code:04x}" for code in _INVISIBLE})
_WHITESPACE = {code: " " for code in (0x09, 0x0A, 0x0B, 0x0C, 0x0D)}
_LINES = {**_ESCAPES, 0x09: "\t", 0x0A: "\n"}
_ONE_LINE = {**_ESCAPES, **_WHITESPACE}


def printable(text: str) -> str:
    """``text`` with newlines and tabs kept and every other control character made a visible escape."""
    return text.translate(_LINES)


def one_line(text: str) -> str:
    """``text`` on one line: whitespace runs (newlines included) become one space, controls visible escapes."""
    return " ".join(text.translate(_ONE_LINE).split())


class Terminal:
    """A text stream that writes everything through :func:`printable` to ``stream`` (default: whatever
    ``sys.stdout`` is at the time of the write: the operator's terminal)."""

    def __init__(self, stream=None) -> None:  # noqa: ANN001 - any object with write/flush
        self._stream = stream

    @property
    def stream(self):  # noqa: ANN201
        import sys

        return self._stream if self._stream is not None else sys.stdout

    def write(self, text: str) -> int:
        return self.stream.write(printable(text))

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):  # noqa: ANN204 - isatty, encoding, fileno: as the wrapped stream
        return getattr(self.stream, name)
