"""tracker: a claims tracker and fact-check database for editorial teams.

Layers, each importing only the ones below it::

    cli, dashboard/          entry points: parse input, call services, show errors
    services/                use cases: transactions, permissions, rules, audit
    queries                  the read side (filters, paging, detail, overview)
    linkcheck/ intake/ interchange/   domains: network, article text, file formats
    permissions audit validation db   one table, one recorder, one set of checks
    models errors config     tables, exceptions, settings
"""

from __future__ import annotations

__all__ = [
    "audit",
    "config",
    "db",
    "errors",
    "models",
    "permissions",
    "queries",
    "services",
    "validation",
    "vocabulary",
]
