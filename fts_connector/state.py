"""The saved state, read back: a member of the wrong type or shape is named before the first request.

The state is one dict, checkpointed whole: `next_cursor` (sync.py), `quarantined` (quarantine.py), `full_refresh` and
`record_ids` (refresh.py). Each module reads and writes its own member; `typed_member` below reads one with its type
checked, and `StateError` says which member is damaged and how to start over.
"""


class StateError(ValueError):
    """A member of the saved state is not what this connector writes (edited by hand, or damaged)."""

    def __init__(self, member: str, problem: str):
        self.damage = f"the saved state's {member} is damaged ({problem})"
        super().__init__(
            f"{self.damage}, so the sync cannot tell where to continue; nothing was loaded. Reset the connector to "
            "start again from the first page: locally `fivetran reset`, in Fivetran a full re-sync of the connection")


def typed_member(state: dict, name: str, kinds: tuple, default=None):
    """`state[name]`, which must be an instance of `kinds` (or absent: `default`)."""
    if name not in state:
        return default
    value = state[name]
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        wanted = " or ".join("null" if kind is type(None) else kind.__name__ for kind in kinds)
        raise StateError(name, f"{type(value).__name__} where {wanted} was saved")
    return value
