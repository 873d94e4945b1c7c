"""`vet diff`: the same rosters vetted twice - under two rulesets, on two as-of dates, or under a
pack against a recorded run - and who changes, old -> new, with the rules responsible.

Modules: `sides` (a vetting result or a recorded run as one side, IDs masked), `compare` (pure:
pairing, changed candidates, counts per rule and per village), `packs` (pure: what changed
between the two rulesets, per rule), `text` and `jsonout` (the Chinese text and the JSON object),
`xlsx` (the workbook). The comparison reuses the run history's model
(`vetting.history.compare`): candidates matched by ID digest, else file + row + name.
"""

from vetting.diff.compare import Change, Diff, RuleCount, Side, VillageCount, diff_sides
from vetting.diff.packs import rule_reasons
from vetting.diff.sides import recorded_side, result_side

__all__ = ["Change", "Diff", "RuleCount", "Side", "VillageCount", "diff_sides", "recorded_side", "result_side",
           "rule_reasons"]
