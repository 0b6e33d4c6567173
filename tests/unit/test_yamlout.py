"""The fast YAML emitter reads back exactly what it was given."""
import yaml
from hypothesis import given, settings, strategies as st

from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml, dump_yaml_all

TRICKY = ["yes", "no", "on", "off", "true", "False", "null", "YES", "Null", "OFF", "Y", "N", "~", "", " ", "1", "1.0", "0x1f", "1e3", "010",
          "1:20", "10.1.0.5", "10.1.0.0/24", "a: b", "a #b", "#x", "-", "- x", "*", "&a", "!x", "%x", "@x", "`x",
          "'q'", '"q"', "{a}", "[a]", "a\nb", "a\nb\n", "a\n\nb\n", " a\nb", "a \nb", "tab\there", "é", "\u2028",
          "key:", "k=v", "A\n", "a.b\n", "x\n\n", "node-role.kubernetes.io/control-plane", "tenant.cozystack.io/tenant-root", "2024-01-01",
          ".inf", ".nan", "<<", "=", "?", "? x", "|", ">", "a\r\nb"]

plain = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 40, 2 ** 40), st.sampled_from(TRICKY),
                  st.text(max_size=12))
data = st.recursive(plain, lambda children: st.one_of(
    st.lists(children, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(TRICKY), st.text(max_size=8)), children, max_size=4)),
    max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(data)
def test_round_trip(value):
    assert yaml.safe_load(dump_yaml(value)) == value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=5), plain, min_size=1, max_size=3), min_size=1, max_size=4))
def test_multi_document_round_trip(documents):
    assert list(yaml.safe_load_all(dump_yaml_all(documents))) == documents


def test_readable_output():
    text = dump_yaml({"metadata": {"name": "x", "labels": {"tenant.cozystack.io/tenant-root": ""}},
                      "list": [{"a": 1, "b": [1, 2]}, "10.0.0.1"], "conf": "line one\nline two\n"})
    assert text == ('metadata:\n  name: x\n  labels:\n    tenant.cozystack.io/tenant-root: ""\n'
                    'list:\n  - a: 1\n    b:\n      - 1\n      - 2\n  - 10.0.0.1\nconf: |\n  line one\n  line two\n')
