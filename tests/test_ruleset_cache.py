"""Loaded rulesets kept between commands (vetting.ruleset.cache): a hit only when every file of the
pack's chain and the tool's code are unchanged; anything doubtful is a miss, never an error."""

from __future__ import annotations

import os
import pickle

import pytest
import yaml

from conftest import ROOT
from vetting.cli import cli
from vetting.errors import RulesetError
from vetting.ruleset import cache
from vetting.ruleset.loader import load_ruleset

NATIONAL = ROOT / "rulesets" / "national.yaml"


class CountingLoad:
    """load_ruleset, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: str):  # noqa: ANN204
        self.calls += 1
        return load_ruleset(path)


def _pack(path, reason: str = "命中", extends: str | None = None):  # noqa: ANN001, ANN202
    rule = {"code": "T01", "name": "测试规则", "category": "测试", "severity": "review",
            "when": "within(party_sanction_date, 6 months)", "reason": reason, "basis": ["测试依据"]}
    data = {"id": "t", "title": "测试", "version": 1}
    data.update({"extends": extends} if extends else {"rules": [rule]})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_second_load_of_the_same_pack_comes_from_the_cache(tmp_path):
    load = CountingLoad()
    first = cache.cached_ruleset(NATIONAL, tmp_path, load)
    second = cache.cached_ruleset(NATIONAL, tmp_path, load)
    assert load.calls == 1
    assert second == first == load_ruleset(str(NATIONAL))


def test_a_changed_pack_or_parent_file_is_loaded_again(tmp_path):
    parent = _pack(tmp_path / "parent.yaml", reason="旧")
    child = _pack(tmp_path / "child.yaml", extends="parent.yaml")
    load, where = CountingLoad(), tmp_path / "cache"
    assert cache.cached_ruleset(child, where, load).rules[0].reason_text == "旧"
    _pack(parent, reason="新")                     # only the parent changes
    assert cache.cached_ruleset(child, where, load).rules[0].reason_text == "新"
    assert cache.cached_ruleset(child, where, load).rules[0].reason_text == "新"
    assert load.calls == 2


def test_changed_code_is_a_miss(tmp_path, monkeypatch):
    load = CountingLoad()
    cache.cached_ruleset(NATIONAL, tmp_path, load)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another version of the tool")
    cache.cached_ruleset(NATIONAL, tmp_path, load)
    assert load.calls == 2


@pytest.mark.parametrize("spoil", ["corrupt", "foreign", "group_writable"])
def test_a_doubtful_entry_is_ignored_and_replaced(tmp_path, spoil):
    load = CountingLoad()
    cache.cached_ruleset(NATIONAL, tmp_path, load)
    entry = cache.entry_path(tmp_path, NATIONAL)
    if spoil == "corrupt":
        entry.write_bytes(entry.read_bytes()[:100])
    elif spoil == "foreign":
        entry.write_bytes(pickle.dumps(("not", "a", "ruleset")))
    else:
        os.chmod(entry, 0o664)
    assert cache.cached_ruleset(NATIONAL, tmp_path, load) == load_ruleset(str(NATIONAL))
    assert load.calls == 2
    assert cache.cached_ruleset(NATIONAL, tmp_path, load) and load.calls == 2, "the entry was written again"


def test_a_pack_with_errors_is_never_stored(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: t\ntitle: 测试\nversion: 1\nrules: 3\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RulesetError):
            cache.cached_ruleset(bad, tmp_path / "cache", load_ruleset)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_an_unwritable_cache_never_fails_a_command(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")                             # the cache directory cannot be made under a file
    assert cache.cached_ruleset(NATIONAL, blocked / "cache", load_ruleset).id == "national"


def test_the_command_line_keeps_its_rulesets_in_the_user_cache(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = runner.invoke(cli, ["rules", "list"])
    second = runner.invoke(cli, ["rules", "list"])
    assert first.exit_code == second.exit_code == 0 and first.output == second.output
    [entry] = (tmp_path / "vetting").iterdir()
    assert entry.name.startswith("ruleset-") and (tmp_path / "vetting").stat().st_mode & 0o077 == 0
