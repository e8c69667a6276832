"""The setup form Fivetran shows (and `fivetran configuration` asks), built from `settings.PARAMETERS`, and its
setup tests (`fivetran configuration --test` runs them locally): the configuration is valid, and the API answers.
"""

from dataclasses import replace

from fivetran_connector_sdk import ConfigurationForm, Test, form_field

from fts_connector.client import FtsApiError, FtsClient, RateLimitPause
from fts_connector.settings import PARAMETERS, ConfigurationError, Parameter, load_settings

PROBE_READ_TIMEOUT = 15.0  # seconds; with the 10 s connect timeout and no retry, the API test ends within 30 s


def _field(parameter: Parameter):
    description = parameter.description[0].upper() + parameter.description[1:] + "."
    if parameter.kind == "password":
        return form_field.TextField(parameter.name, parameter.label, form_field.TextField.password,
                                    description=description, required=True)
    description += f" Default: {parameter.default}."
    if parameter.kind == "dropdown":
        options = [form_field.DropdownFieldParam(value=value, label=value.capitalize(), description=text)
                   for value, text in parameter.options]
        return form_field.DropdownField(parameter.name, parameter.label, fields=options, description=description)
    if parameter.kind == "toggle":
        return form_field.ToggleField(parameter.name, parameter.label, description=description)
    return form_field.TextField(parameter.name, parameter.label, description=description,
                                placeholder=parameter.default)


def configuration_is_valid(configuration: dict):
    """Every value is one the connector accepts (the message is load_settings', which never shows the key)."""
    try:
        load_settings(configuration)
    except ConfigurationError as error:
        return Test.failure(str(error))
    return Test.success()


def api_answers(configuration: dict):
    """One small request (page_size 1, no retry): the key is accepted and base_url is the FTS API."""
    try:
        settings = load_settings(configuration)
    except ConfigurationError as error:
        return Test.failure(str(error))
    probe = replace(settings, page_size=1, max_wait_seconds=0,
                    request_timeout_seconds=min(settings.request_timeout_seconds, PROBE_READ_TIMEOUT))
    try:
        with FtsClient(probe) as client:
            client.fetch_page(None)
    except FtsApiError as error:
        message = str(error).replace(settings.api_key, "***")
        named = f"base_url {settings.base_url}"
        return Test.failure(message if named in message else f"{named}: {message}")
    except RateLimitPause:
        return Test.failure(f"base_url {settings.base_url} answered but is rate limiting or unavailable; try "
                            "again later")
    return Test.success()


def build() -> ConfigurationForm:
    form = ConfigurationForm()
    for parameter in PARAMETERS.values():
        form.add_field(_field(parameter))
    form.add_test(label="The configuration is valid", func=configuration_is_valid)
    form.add_test(label="The FTS API answers with this key", func=api_answers)
    return form
