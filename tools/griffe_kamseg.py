"""Griffe extension for the docs build: Sphinx roles as code, per-name parameter defaults."""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:func|class|data|meth|attr|mod|exc|obj|math):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    name = match[2]
    return f"`{name.rsplit('.', 1)[-1] if match[1] else name}`"


class KamsegDocstrings(griffe.Extension):
    """Render ``:func:`x``` as ``x`` in code; give ``a, b : T`` parameters their own defaults."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: object) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)

    def on_function_instance(self, *, func: griffe.Function, **kwargs: object) -> None:
        if func.docstring is None:
            return
        for section in func.docstring.parsed:  # griffe gives every name the first one's default
            if section.kind is griffe.DocstringSectionKind.parameters:
                for param in section.value:
                    if param.name in func.parameters:
                        param.default = func.parameters[param.name].default
