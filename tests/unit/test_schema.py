"""The inventory schema: a real JSON Schema, documented everywhere, and the docs are current."""
import jsonschema
import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import schema as schema_mod, schema_docs
from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import validate

from inventory_loader import REPO, load_inventory

SCHEMAS = {"inventory": schema_mod.INVENTORY_SCHEMA, "node": schema_mod.NODE_SCHEMA,
           "switch": schema_mod.SWITCH_SCHEMA}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_valid_json_schema(name):
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[name])


def _walk(schema, path):
    yield path, schema
    for key, sub in schema.get("properties", {}).items():
        yield from _walk(sub, path + "." + key)
    for key, sub in schema.get("patternProperties", {}).items():
        yield from _walk(sub, path + ".<%s>" % key)
    if isinstance(schema.get("items"), dict):
        yield from _walk(schema["items"], path + "[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _walk(schema["additionalProperties"], path + ".*")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_property_is_described(name):
    missing = []
    for path, sub in _walk(SCHEMAS[name], name):
        for key, prop in sub.get("properties", {}).items():
            if not prop.get("description"):
                missing.append(path + "." + key)
    assert missing == []


def test_docs_are_current():
    committed = (REPO / "docs" / "inventory.md").read_text()
    assert committed == schema_docs.inventory_reference(), "run `make docs` and commit docs/inventory.md"


def test_our_validator_agrees_with_jsonschema_on_the_example():
    inventory_vars, nodes, _switches = load_inventory(REPO / "inventories" / "example")
    checked, problems = validate(schema_mod.INVENTORY_SCHEMA, inventory_vars)
    assert problems == []
    # jsonschema has no custom formats: it checks types, enums, patterns and ranges
    jsonschema.Draft202012Validator(schema_mod.INVENTORY_SCHEMA).validate(checked)
    for entry in nodes.values():
        node, problems = validate(schema_mod.NODE_SCHEMA, entry["netstack_node"])
        assert problems == []
        jsonschema.Draft202012Validator(schema_mod.NODE_SCHEMA).validate(node)


@pytest.mark.parametrize("bad", [
    {"netstack_mode": "rendr"},
    {"netstack_cluster": {"name": "x", "api": {"vip": "10.0.0.1", "port": 0}}},
    {"netstack_cluster": {"name": "UPPER", "api": {"vip": "10.0.0.1"}}},
    {"netstack_fabric": {"vlans": [], "racks": [{"name": "r1", "index": 1}]}},
    {"netstack_load_balancer": {"pools": [{"name": "p", "addresses": ["10.0.0.0/24"], "colour": "red"}]}},
])
def test_both_validators_reject_the_same_input(bad):
    problems = validate({"type": "object", "properties": schema_mod.INVENTORY_SCHEMA["properties"],
                         "additionalProperties": False}, bad)[1]
    errors = list(jsonschema.Draft202012Validator({"type": "object", "properties":
                                                   schema_mod.INVENTORY_SCHEMA["properties"],
                                                   "additionalProperties": False}).iter_errors(bad))
    assert problems and errors


def test_defaults_are_filled_without_touching_the_input():
    raw = {"netstack_cluster": {"name": "c", "api": {"vip": "10.0.0.1"}}}
    checked, problems = validate(schema_mod.INVENTORY_SCHEMA, raw)
    assert raw == {"netstack_cluster": {"name": "c", "api": {"vip": "10.0.0.1"}}}
    assert checked["netstack_cluster"]["networks"]["cluster_cidr"] == "100.65.0.0/16"
    assert checked["netstack_cluster"]["api"]["port"] == 6443
    assert checked["netstack_mode"] == "render"
