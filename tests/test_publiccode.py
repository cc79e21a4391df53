"""publiccode.yml, the portal's entry in the Italian public-sector software
catalogue, follows the standard (version 0.4): the keys a catalogue needs,
their types and allowed values, and the lengths the standard sets for
descriptions. The schema below is written from the standard's text
(https://yml.publiccode.tools), so the check runs without the network."""

from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

_TEXT = {"type": "string", "minLength": 1}
_URL = {"type": "string", "pattern": r"^https?://[^\s/$.?#].[^\s]*$"}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}

DESCRIPTION = {
    "type": "object",
    "required": ["shortDescription", "longDescription", "features"],
    "additionalProperties": False,
    "properties": {
        "localisedName": _TEXT,
        "genericName": {"type": "string", "maxLength": 35},
        "shortDescription": {"type": "string", "minLength": 1, "maxLength": 150},
        "longDescription": {"type": "string", "minLength": 150, "maxLength": 10000},
        "documentation": _URL,
        "apiDocumentation": _URL,
        "features": {"type": "array", "minItems": 1, "items": {"type": "string", "maxLength": 100}},
        "screenshots": {"type": "array", "items": _TEXT},
        "videos": {"type": "array", "items": _URL},
        "awards": {"type": "array", "items": _TEXT},
    },
}

DEPENDENCY = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": _TEXT,
        "versionMin": {"type": "string"},
        "versionMax": {"type": "string"},
        "version": {"type": "string"},
        "optional": {"type": "boolean"},
    },
}

SCHEMA = {
    "type": "object",
    "required": [
        "publiccodeYmlVersion",
        "name",
        "url",
        "platforms",
        "categories",
        "developmentStatus",
        "softwareType",
        "description",
        "legal",
        "maintenance",
        "localisation",
    ],
    "properties": {
        "publiccodeYmlVersion": {"enum": ["0.2", "0.3", "0.4"]},
        "name": _TEXT,
        "url": _URL,
        "landingURL": _URL,
        "softwareVersion": _TEXT,
        "releaseDate": _DATE,
        "platforms": {"type": "array", "minItems": 1, "items": _TEXT},
        "categories": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[a-z][a-z-]*$"}},
        "developmentStatus": {"enum": ["concept", "development", "beta", "stable", "obsolete"]},
        "softwareType": {
            "enum": [
                "standalone/mobile",
                "standalone/iot",
                "standalone/desktop",
                "standalone/web",
                "standalone/backend",
                "standalone/other",
                "addon",
                "library",
                "configurationFiles",
            ]
        },
        "intendedAudience": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "countries": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2}$"}},
                "unsupportedCountries": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2}$"}},
                "scope": {"type": "array", "items": {"type": "string", "pattern": "^[a-z][a-z-]*$"}},
            },
        },
        "description": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^[a-z]{2,3}(-[A-Za-z0-9]+)*$"},
            "additionalProperties": DESCRIPTION,
        },
        "legal": {
            "type": "object",
            "required": ["license"],
            "additionalProperties": False,
            "properties": {"license": _TEXT, "mainCopyrightOwner": _TEXT, "repoOwner": _TEXT, "authorsFile": _TEXT},
        },
        "maintenance": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {"enum": ["internal", "contract", "community", "none"]},
                "contacts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {"name": _TEXT, "email": _TEXT, "phone": _TEXT, "affiliation": _TEXT},
                    },
                },
            },
            # Maintained in house or under contract: somebody to contact.
            "if": {"properties": {"type": {"enum": ["internal", "community"]}}},
            "then": {"required": ["type", "contacts"]},
        },
        "localisation": {
            "type": "object",
            "required": ["localisationReady", "availableLanguages"],
            "additionalProperties": False,
            "properties": {
                "localisationReady": {"type": "boolean"},
                "availableLanguages": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            },
        },
        "dependsOn": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                kind: {"type": "array", "items": DEPENDENCY} for kind in ("open", "proprietary", "hardware")
            },
        },
        "it": {
            "type": "object",
            "required": ["countryExtensionVersion"],
            "properties": {"countryExtensionVersion": {"enum": ["0.2", "1.0"]}},
        },
    },
}

# SPDX identifiers of the licences the Italian guidelines accept for reuse.
OPEN_LICENCES = {"EUPL-1.2", "AGPL-3.0-or-later", "GPL-3.0-or-later", "MIT", "Apache-2.0", "BSD-3-Clause"}


@pytest.fixture(scope="module")
def publiccode() -> dict:
    return yaml.safe_load((ROOT / "publiccode.yml").read_text(encoding="utf-8"))


def test_publiccode_follows_the_standard(publiccode):
    jsonschema.validate(publiccode, SCHEMA)


def test_publiccode_says_what_the_portal_is_in_both_its_languages(publiccode):
    assert set(publiccode["description"]) == set(publiccode["localisation"]["availableLanguages"]) == {"it", "en"}
    assert publiccode["legal"]["license"] in OPEN_LICENCES
    with open(ROOT / "pyproject.toml", encoding="utf-8") as project:
        assert f'version = "{publiccode["softwareVersion"]}"' in project.read()


def test_the_schema_refuses_what_the_standard_refuses(publiccode):
    broken = {**publiccode, "developmentStatus": "finished"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)
    short = {**publiccode, "description": {"it": {**publiccode["description"]["it"], "longDescription": "Breve."}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(short, SCHEMA)
