"""Values the tests share."""

API_KEY = "test-key-0123456789"


def configuration(api, **overrides) -> dict:
    """A configuration for the reference API `api`, every value a string as Fivetran gives it."""
    values = {"api_key": API_KEY, "base_url": api.base_url, "page_size": "100"}
    values.update({name: str(value) for name, value in overrides.items()})
    return values
