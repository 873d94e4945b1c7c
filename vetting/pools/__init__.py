"""Reserve pools followed over time (后备力量动态管理): a reserve run compared with the pool's
earlier recorded runs and with the current officers' roster.

Modules, one job each: `periods` (half-years), `ratings` (a roster's ratings on their half-years),
`timeline` (one person's ratings across runs: priority, removal), `posts` (一村一职一备 against
the officers), `officers` (reading --officers), `source` (reading the run history), and `stage`
(all of it applied to a finished run's result; pure). The CLI reads and wires them."""

from __future__ import annotations

from vetting.pools.officers import Officers, read_officers
from vetting.pools.source import PoolHistory, read_pool
from vetting.pools.stage import follow_pool, require_posts_rule

__all__ = ["Officers", "PoolHistory", "follow_pool", "read_officers", "read_pool", "require_posts_rule"]
