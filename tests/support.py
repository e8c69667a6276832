"""Values the tests share."""

from unittest.mock import ANY

API_KEY = "test-key-0123456789"


def configuration(api, **overrides) -> dict:
    """A configuration for the reference API `api`, every value a string as Fivetran gives it."""
    values = {"api_key": API_KEY, "base_url": api.base_url, "page_size": "100"}
    values.update({name: str(value) for name, value in overrides.items()})
    return values


def completed(cursor, **members) -> dict:
    """The state after a sync that completed a full refresh (its members are asserted in tests/test_refresh.py)."""
    return {"next_cursor": cursor, **members, "full_refresh": {"last_completed_at": ANY}, "record_ids": ANY}


def refreshing(cursor, **members) -> dict:
    """The state of a full refresh that has not reached its last page yet (the first sync's, when it fails)."""
    return {"next_cursor": cursor, **members, "full_refresh": {"last_completed_at": None, "started_at": ANY},
            "record_ids": ANY}


def drift_count(drift, rule: str, field: str | None = None) -> int:
    """The soft findings of `rule` on `field` (on every field if None) in `drift` (a `fts_connector.drift.Drift`), read
    from what it reports (`as_dict()`)."""
    fields = drift.as_dict().get(rule, {})
    return sum(entry["count"] for name, entry in fields.items() if field is None or name == field)


def drift_counts(drift) -> dict:
    """`{(rule, field): count}` of every soft finding in `drift`."""
    return {(rule, name): entry["count"] for rule, fields in drift.as_dict().items() for name, entry in fields.items()}
