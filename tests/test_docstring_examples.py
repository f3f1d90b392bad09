"""Every public function, class and public method (the names in each module's ``__all__``) has a
docstring example that the suite runs (``--doctest-modules``); a class's example may stand for its
methods. Error classes are documented by their messages and exempt."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import causalworld
import interventions


def _public_items():
    seen = set()
    for pkg in (causalworld, interventions):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if info.name.endswith(("conftest", "__main__")):
                continue
            module = importlib.import_module(info.name)
            for name in getattr(module, "__all__", []):
                obj = getattr(module, name, None)
                if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != module.__name__:
                    continue
                if (obj.__module__, obj.__qualname__) in seen:
                    continue
                seen.add((obj.__module__, obj.__qualname__))
                yield obj


def _has_example(obj) -> bool:
    return ">>>" in (inspect.getdoc(obj) or "")


def test_every_public_item_has_a_runnable_example():
    missing = []
    for obj in _public_items():
        if inspect.isclass(obj) and issubclass(obj, (BaseException, Warning)):
            continue
        if not _has_example(obj):
            missing.append(f"{obj.__module__}.{obj.__qualname__}")
        if inspect.isclass(obj):
            for name, member in vars(obj).items():
                f = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                if name.startswith("_") or not inspect.isfunction(f):
                    continue
                if not _has_example(f) and not _has_example(obj):
                    missing.append(f"{obj.__module__}.{obj.__qualname__}.{name}")
    assert missing == [], f"{len(missing)} public items lack a docstring example: {missing}"
