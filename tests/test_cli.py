"""``python -m causalworld serve``: it refuses to bind beyond loopback without a token (before
anything listens), warns and passes the settings on with one, and exits with the error table's
code for a folder without a model."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

import causalworld as cw
from causalworld.cli import app, main
from causalworld.errors import ExposedServerWarning, ModelFileError

TOKEN = "t" * 32


@pytest.fixture()
def folder(tmp_path):
    cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, dtype=torch.float64).save(tmp_path / "m")
    return tmp_path / "m"


@pytest.fixture()
def started(monkeypatch):
    """uvicorn.run replaced by a recorder: nothing binds a port."""
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    return calls


def test_help_lists_serve():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "serve" in result.output


@pytest.mark.parametrize("extra", [[], ["--token", "short"]])
def test_binding_every_address_without_a_token_is_refused(folder, started, extra):
    result = CliRunner().invoke(app, ["serve", str(folder), "--host", "0.0.0.0", *extra],
                                env={"CAUSALWORLD_TOKEN": None})
    assert result.exit_code == 2 and "ArgumentError" in result.output and "--token" in result.output
    assert started == []


def test_binding_every_address_with_a_token_warns_and_serves(folder, started):
    with pytest.warns(ExposedServerWarning):
        result = CliRunner().invoke(app, ["serve", str(folder), "--host", "0.0.0.0", "--port", "8123",
                                          "--max-rows", "7", "--timeout", "2.5"], env={"CAUSALWORLD_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    (served, kw), = started
    assert kw["host"] == "0.0.0.0" and kw["port"] == 8123
    assert served.state.limits.max_rows == 7 and served.state.limits.timeout_s == 2.5
    assert served.state.scm.variables == ("x", "y")


def test_loopback_is_the_default_and_needs_no_token(folder, started):
    result = CliRunner().invoke(app, ["serve", str(folder)], env={"CAUSALWORLD_TOKEN": None})
    assert result.exit_code == 0, result.output
    assert started[0][1]["host"] == "127.0.0.1" and "token off" in result.output


def test_a_folder_without_a_model_exits_3(tmp_path, started):
    result = CliRunner().invoke(app, ["serve", str(tmp_path)])
    assert result.exit_code == 3 and "ModelFileError" in result.output and started == []
