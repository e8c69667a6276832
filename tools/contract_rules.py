"""The rules table of docs/contract.md, generated from the models (for the docs and tests: it does not ship)."""

from contracts.drift import RULE_OF_CHECK, SOFT_RULES, FtsRecordDrift
from contracts.fts_record import DOCUMENTED, FIELD_TYPES, FtsRecord


def _rules(model, rule_of) -> dict[str, tuple[list, str]]:
    """rule id -> (the columns it applies to, what it means), in the model's order."""
    rules: dict[str, tuple[list, list]] = {}
    for column, schema in model.to_schema().columns.items():
        for check in schema.checks:
            columns, meanings = rules.setdefault(rule_of(check), ([], []))
            columns.append(column)
            meanings += [] if (check.description or check.error) in meanings else [check.description or check.error]
    return {rule: (columns, "; ".join(meanings)) for rule, (columns, meanings) in rules.items()}


def hard_rules() -> dict[str, tuple[list, str]]:
    return _rules(FtsRecord, lambda check: check.name)


def soft_rules() -> dict[str, tuple[list, str]]:
    rules = _rules(FtsRecordDrift, lambda check: RULE_OF_CHECK[check.name])
    rules["extra_field"] = (["fields beyond the contract"], SOFT_RULES["extra_field"][1])
    rules["missing_field"] = ([f"the {len(DOCUMENTED) - 1} optional documented fields"], "absent (loaded as NULL)")
    return rules


def _scope(columns: list) -> str:
    if columns == list(FIELD_TYPES):
        return "every field"
    return ", ".join(c if " " in c else "the item" if c == "item" else f"`{c}`" for c in columns)


def rules_markdown() -> str:
    """The rules as a Markdown table (the README's "Data contract" section)."""
    lines = ["| rule | kind | applies to | meaning | what happens (`enforce`) |", "|---|---|---|---|---|"]
    for kind, rules, outcome in (("hard", hard_rules(), "record → `fts_records_rejected`"),
                                 ("soft", soft_rules(), "loaded; counted in the drift summary")):
        for rule, (columns, meaning) in rules.items():
            lines.append(f"| `{rule}` | {kind} | {_scope(columns)} | {meaning.replace('|', '∣')} | {outcome} |")
    return "\n".join(lines)
