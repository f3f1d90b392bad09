"""Limits refuse bad settings by type and range; check_bind keeps a server on loopback unless a
long enough token is given, and warns when it is not on loopback."""

from __future__ import annotations

import warnings

import pytest

from causalworld.errors import ArgumentError, DTypeError, ExposedServerWarning, OutOfRangeError, RequestTooLargeError
from causalworld.serve.limits import MIN_TOKEN_LENGTH, Limits, check_bind, is_loopback

TOKEN = "x" * MIN_TOKEN_LENGTH


def test_defaults_and_row_checks():
    limits = Limits()
    assert (limits.max_rows, limits.max_body_bytes, limits.timeout_s) == (100_000, 64 * 2**20, 60.0)
    limits.check_rows(100_000, "n")
    with pytest.raises(RequestTooLargeError, match="100,001 rows.*--max-rows"):
        limits.check_rows(100_001, "n")


@pytest.mark.parametrize(("kw", "error"), [({"max_rows": 0}, OutOfRangeError), ({"max_rows": 1.5}, DTypeError),
                                           ({"max_body_bytes": True}, DTypeError), ({"timeout_s": -1}, OutOfRangeError),
                                           ({"timeout_s": float("nan")}, OutOfRangeError),
                                           ({"timeout_s": "1"}, DTypeError)])
def test_bad_limits_are_refused(kw, error):
    with pytest.raises(error):
        Limits(**kw)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_needs_no_token_and_gives_no_warning(host):
    assert is_loopback(host)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_bind(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org"])
def test_other_hosts_need_a_long_token_and_warn(host):
    assert not is_loopback(host)
    for token in (None, "short"):
        with pytest.raises(ArgumentError, match="--token"):
            check_bind(host, token)
    with pytest.warns(ExposedServerWarning, match="other machines"):
        check_bind(host, TOKEN)
