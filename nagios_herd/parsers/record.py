"""A tiny immutable value-object base for the tool-output parsers.

Why not ``dataclasses``: it imports ``inspect``, about 10 ms and 1.5 MB on every check start-up, and the
checks run every minute per host. Subclasses list their fields in ``__slots__`` (that order is the
positional order) and optional ones in ``_defaults``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up cost)
if TYPE_CHECKING:
    from typing import Any, ClassVar


class Record:
    """Fields from ``__slots__``, set once in ``__init__``; equality, hash and repr by value."""

    __slots__ = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self.__slots__
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} fields")
        values = dict(self._defaults)
        values.update(zip(names, args))
        values.update(kwargs)
        unknown = set(values) - set(names)
        missing = [name for name in names if name not in values]
        if unknown or missing:
            raise TypeError(f"{type(self).__name__}: unknown fields {sorted(unknown)}, "
                            f"missing fields {missing}")
        for name in names:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"
