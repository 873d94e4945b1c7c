"""Packaging: every package directory is listed in setup.cfg, so `pip install .` ships all of it."""

from __future__ import annotations

import configparser

from conftest import ROOT


def test_every_package_is_listed_in_setup_cfg():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    listed = set(config["options"]["packages"].split())
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "vetting").rglob("*.py")}
    assert on_disk - listed == set()
    assert "vetting.rulesets" in listed and (ROOT / "rulesets" / "national.yaml").exists()


def test_report_templates_are_package_data():
    """The HTML report reads its template, style and script from vetting/reports/templates."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    patterns = [p.strip() for p in config["options.package_data"]["vetting.reports"].split(",")]
    shipped = {p for pattern in patterns for p in (ROOT / "vetting" / "reports").glob(pattern)}
    on_disk = set((ROOT / "vetting" / "reports" / "templates").iterdir())
    assert on_disk and on_disk <= shipped
