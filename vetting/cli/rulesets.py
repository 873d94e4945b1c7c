"""Rulesets for the commands: loaded through the user's cache (vetting.ruleset.cache), so that a
command run again does not parse and validate the same pack again."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vetting.ruleset.model import Ruleset


def load_ruleset(name_or_path: str) -> Ruleset:
    """The ruleset named (bundled) or at a path, from the user's cache directory when the same
    files were loaded by the same code before; the loader is imported only when a command needs it."""
    import platformdirs

    from vetting.ruleset.cache import cached_ruleset
    from vetting.ruleset.loader import load_ruleset as load
    from vetting.ruleset.loader import resolve

    cache_dir = Path(platformdirs.user_cache_dir("vetting", appauthor=False))
    return cached_ruleset(resolve(name_or_path), cache_dir, load)
