"""``voclens digests ...`` as a real subprocess: the README example, validation errors, preview, run."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from index.registry import open_backend
from tests.api.test_cli import voclens
from tests.index.corpus import corpus

COMMANDS = ["create", "list", "show", "update", "delete", "pause", "resume", "preview", "run", "deliveries"]


def test_help_lists_every_command():
    out = voclens("digests", "--help").stdout
    for cmd in COMMANDS:
        assert cmd in out
    create_help = voclens("digests", "create", "--help").stdout
    assert "--topic" in create_help and "--weekly" in create_help and "Asia/Shanghai" in create_help


@pytest.mark.parametrize(("args", "message"), [
    (["--tz", "Mars/Olympus", "--email", "a@example.com"], "error: tz: unknown time zone 'Mars/Olympus'"),
    (["--hour", "25", "--email", "a@example.com"], "error: hour: Input should be less than or equal to 23"),
    (["--email", "not-an-address"], "error: email_to: 'not-an-address' is not an e-mail address"),
    (["--cron", "0 9 * *", "--email", "a@example.com"], "error: cron: bad cron expression '0 9 * *': expected 5 fields"),
    (["--webhook", "file:///etc/passwd"], "error: webhook_url: webhook URLs must be http or https, not 'file'"),
])
def test_bad_input_is_one_clear_line(tmp_path, args, message):
    r = voclens("digests", "create", "--name", "x", "--owner", "y", *args, data_dir=tmp_path, check=False)
    assert r.returncode == 2
    assert r.stderr.strip().startswith(message) and len(r.stderr.strip().splitlines()) == 1


def test_subscribe_preview_pause_update_delete(tmp_path):
    with open_backend("sqlite", path=tmp_path / "voclens.db") as backend:
        backend.upsert(corpus())
    created = voclens("digests", "create", "--name", "Acme logistics", "--owner", "pm@example.com", "--brand", "Acme",
                      "--topic", "logistics:negative", "--weekly", "--hour", "9", "--tz", "Asia/Shanghai",
                      "--email", "pm@example.com", data_dir=tmp_path).stdout
    assert "query: brand:Acme topic:logistics:negative" in created and "weekly at 09:00 on mon Asia/Shanghai" in created
    (sub,) = json.loads(voclens("digests", "list", "--json", data_dir=tmp_path).stdout)
    assert sub["email_to"] == ["pm@example.com"]
    sid = sub["id"]
    assert "[on]" in voclens("digests", "show", sid, data_dir=tmp_path).stdout
    preview = voclens("digests", "preview", sid, "--format", "slack", data_dir=tmp_path).stdout
    assert json.loads(preview)["blocks"][0]["type"] == "header"
    assert "paused (paused by a user)" in voclens("digests", "pause", sid, data_dir=tmp_path).stdout
    # An hour half a day from now: a slot passing between creating and running makes the digest
    # due (a run at 06:00 UTC on a Monday, with the hour 7 in Berlin, once failed here).
    hour = (datetime.now(ZoneInfo("Europe/Berlin")).hour + 12) % 24
    updated = voclens("digests", "update", sid, "--hour", str(hour), "--tz", "Europe/Berlin", data_dir=tmp_path).stdout
    assert "paused" in updated  # updating does not resume
    assert "[on]" in voclens("digests", "resume", sid, data_dir=tmp_path).stdout
    assert f"weekly at {hour:02d}:00 on mon Europe/Berlin" in voclens("digests", "show", sid, data_dir=tmp_path).stdout
    bad = voclens("digests", "update", sid, "--tz", "Mars/Olympus", data_dir=tmp_path, check=False)
    assert bad.returncode == 2 and "tz: unknown time zone" in bad.stderr
    run = voclens("digests", "run", "--json", data_dir=tmp_path)  # created just now: nothing due yet
    assert json.loads(run.stdout)["sent"] == []
    assert json.loads(voclens("digests", "deliveries", "--json", data_dir=tmp_path).stdout) == []
    assert "deleted" in voclens("digests", "delete", sid, data_dir=tmp_path).stdout
    gone = voclens("digests", "show", sid, data_dir=tmp_path, check=False)
    assert gone.returncode == 1 and f"no subscription with id '{sid}'" in gone.stderr
