"""The type stub of the native module (_native.pyi) says what the module has: the same names,
and for every function the same parameters in the same order."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List

from nudeguard import _native

STUB = Path(_native.__file__).with_name("_native.pyi")


def stub_functions() -> Dict[str, List[str]]:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    functions = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            arguments = node.args
            functions[node.name] = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
    return functions


def stub_names() -> set:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    names = set(stub_functions())
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def signature_parameters(function: object) -> List[str]:
    """Parameter names from pybind11's signature line, e.g. ``f(a: int, *, b: str = 'x') -> None``."""
    line = function.__doc__.splitlines()[0]
    inner, depth, parts, current = line[line.index("(") + 1:line.rindex(") ->")], 0, [], ""
    for char in inner:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.split(":")[0].strip() for part in parts if part.strip() not in ("", "*")]


def test_the_stub_names_exactly_what_the_module_has():
    module_names = {name for name in dir(_native) if not name.startswith("_")} | {"__version__"}
    assert stub_names() == module_names


def test_every_function_has_the_stubs_parameters_in_order():
    for name, parameters in stub_functions().items():
        assert signature_parameters(getattr(_native, name)) == parameters, name
