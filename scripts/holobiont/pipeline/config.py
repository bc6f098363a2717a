"""Configuration validation with defaults and messages that name the key.

:func:`validate_config` fills every default of ``workflow/schemas/config.schema.yaml`` into the
config (so rules can rely on every key) and reports all problems at once as
``qc.fastp.length_required = -5: must be at least 1 (...description...)``.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

import jsonschema
import yaml


class ConfigError(ValueError):
    """The configuration is invalid; the message lists each bad key."""


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, MutableMapping):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    default = sub["default"]
                    instance[name] = dict(default) if isinstance(default, dict) else default
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_DefaultingValidator = _with_defaults(jsonschema.Draft202012Validator)


def _describe(err: jsonschema.ValidationError) -> str:
    key = ".".join(str(p) for p in err.absolute_path) or "(top level)"
    v = err.validator_value
    if err.validator == "minimum":
        what = f"must be at least {v}"
    elif err.validator == "maximum":
        what = f"must be at most {v}"
    elif err.validator == "type":
        what = f"must be of type {v}"
    elif err.validator == "enum":
        what = "must be one of " + ", ".join(map(str, v))
    elif err.validator == "additionalProperties":
        unknown = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        known = ", ".join(sorted(err.schema.get("properties", {})))
        return f"{key}: unknown key(s) {', '.join(unknown)} (known keys here: {known})"
    elif err.validator == "pattern":
        what = f"does not match the allowed pattern {v}"
    else:
        what = err.message
    desc = err.schema.get("description") if isinstance(err.schema, dict) else None
    if err.validator == "required":
        return f"{key}: {err.message}"
    return f"{key} = {err.instance!r}: {what}" + (f" ({desc.strip()})" if desc else "")


def _closed(schema):
    """Copy of ``schema`` where every object with ``properties`` rejects unknown keys.

    A misspelt key (``rarefaction_dpeth``) would otherwise be ignored silently and the
    default used instead; objects that declare ``additionalProperties`` keep their choice.
    """
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


def validate_config(config: MutableMapping, schema_path: str | os.PathLike) -> MutableMapping:
    """Fill defaults into ``config`` in place and validate it.

    Parameters
    ----------
    config : mutable mapping
        The loaded configuration (Snakemake's ``config``).
    schema_path : path-like
        JSON Schema in YAML.

    Returns
    -------
    mutable mapping
        ``config`` itself, with defaults filled in.

    Raises
    ------
    ConfigError
        Listing every invalid key with its value, the rule it breaks and its description.
    """
    with open(schema_path) as fh:
        schema = _closed(yaml.safe_load(fh))
    errors = sorted(
        _DefaultingValidator(schema).iter_errors(config), key=lambda e: list(e.absolute_path)
    )
    if errors:
        lines = [f"The configuration has {len(errors)} problem(s):"]
        lines += [f"  - {_describe(e)}" for e in errors]
        lines.append("Nothing was run. Fix config/config.yaml (or your --config values).")
        raise ConfigError("\n".join(lines))
    return config
