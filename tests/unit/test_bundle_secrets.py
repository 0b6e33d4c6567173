# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets stay out of the bundle (issue #16): the README invites users to review and commit it.

* Every secret the inventory can hold is named by an ``x-sensitive`` property (``*_var``): the BGP password,
  the DNS-01 credentials (cluster default and per tenant). With all of them set, neither ``render_bundle`` (every
  section, several sites) nor a whole ``site.yml`` render of the example inventory writes any of their values
  into any bundle file.
* What holds cluster credentials in apply mode (Talos machine configs, the fetched kubeconfig) goes to the
  secrets directory (``netstack_secrets_dir``, default ``<bundle>-secrets``; test_nodes_talos_apply.py checks its
  modes and ``.gitignore``); the plan refuses a secrets directory or a kubeconfig inside the bundle.
* The plan action's last line of defence: a bundle file that would hold a secret value fails the plan, naming
  the file and the variable, never the value, and nothing is written.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

import pytest
import yaml

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core, secret_vars

import inventory_loader
import sitegen
from playbook_run import run_playbook
from test_validation_secrets import PLAYBOOK as PLAN_ONLY   # a playbook running only the plan action

ALL_SECTIONS = sorted(plan_core.SECTIONS)
# Every x-sensitive property of the schema, the variable this module points it at, and that variable's value.
# A new secret property fails test_every_secret_property_is_covered until it is added here (and so checked).
SECRETS = {
    "netstack_fabric.bgp.password_var": ("vault_netstack_bgp_password", "bgp-Zq8vLm2pXw9Rt4"),
    "netstack_cluster.features.gateway_api.tls.dns01.secret_var": ("vault_cloudflare_token",
                                                                   "cf-7Hk2Qp9LmX4vB8nR2wT6yJ3s"),
    "netstack_tenants.<name>.gateway_tls.dns01.secret_var": ("vault_alice_dns01_token", "alice-Vb5Nq8Xr2Lk7Pw3M"),
}
VALUES = dict(SECRETS.values())
DNS01 = {"provider": "cloudflare", "secret_name": "cloudflare-api-token"}


def with_secrets(inventory_vars, tenant):
    """``inventory_vars`` with every secret property set: BGP password, DNS-01 (cluster and ``tenant``)."""
    inventory_vars["netstack_fabric"].setdefault("bgp", {})["password_var"] = SECRETS[
        "netstack_fabric.bgp.password_var"][0]
    gateway_api = inventory_vars["netstack_cluster"].setdefault("features", {}).setdefault("gateway_api", {})
    gateway_api.update(enabled=True, tls={
        "mode": "dns01", "email": "hostmaster@example.org",
        "dns01": dict(DNS01, secret_var=SECRETS["netstack_cluster.features.gateway_api.tls.dns01.secret_var"][0])})
    inventory_vars["netstack_tenants"][tenant].update(gateway=True, gateway_tls={"dns01": dict(
        DNS01, secret_name="alice-cloudflare-token",
        secret_var=SECRETS["netstack_tenants.<name>.gateway_tls.dns01.secret_var"][0])})
    return inventory_vars


def bundle_files(root):
    return sorted(os.path.join(d, f) for d, _dirs, files in os.walk(str(root)) for f in files)


# --- the core: every section of several sites ------------------------------------------------------------------

def test_every_secret_property_is_covered():
    assert sorted(secret_vars.sensitive_paths()) == sorted(SECRETS)


def _sites():
    for name in ("example", "kubeadm-small", "lab"):
        site = inventory_loader.load_inventory(inventory_loader.REPO / "inventories" / name)
        tenants = site[0].setdefault("netstack_tenants", {"root": {}})
        if "alice" not in tenants:
            tenants["alice"] = {"parent": "root"}
        tenants["root"].setdefault("host", "example.org")
        tenants["root"]["gateway"] = True
        yield name, (with_secrets(site[0], "alice"),) + tuple(site[1:])
    site = sitegen.make_site(platforms=("eos", "nxos", "sonic", "junos"))
    tenant = sorted(t for t in site[0]["netstack_tenants"] if t != "root")[0]
    site[0]["netstack_tenants"]["root"].update(host="example.org", gateway=True)
    yield "sitegen", (with_secrets(site[0], tenant),) + tuple(site[1:])


@pytest.mark.parametrize("name, site", list(_sites()), ids=lambda v: v if isinstance(v, str) else "")
def test_render_bundle_holds_no_secret_value(name, site):
    inventory_vars = site[0]
    names = set(VALUES)
    assert secret_vars.sensitive_var_names(inventory_vars) == sorted(names)
    plan = plan_core.build_plan(*site, defined_vars={"controller": names, "switches": {h: names for h in site[2]}})
    artefacts = plan_core.render_bundle(plan, ALL_SECTIONS)
    assert {path.split("/")[0] for path in artefacts} >= {"fabric", "nodes", "cluster_network", "tenants", "gateway"}
    assert secret_vars.bundle_leaks(artefacts, VALUES) == []
    for path, text in artefacts.items():
        assert not any(value in text for value in VALUES.values()), path
    # the DNS-01 credentials are in play, by name: apply mode creates their Secrets from those variables
    assert {s["variable"] for s in plan["gateway"]["secrets"]} == set(VALUES) - {"vault_netstack_bgp_password"}
    assert all(key not in plan_core._core_view(plan) for key in ("bundle_dir", "secrets_dir", "kubeconfig"))


def test_sensitive_var_names_skips_what_is_not_a_name():
    inventory_vars = {"netstack_fabric": {"bgp": {"password_var": "pasted secret!"}},
                      "netstack_tenants": {"a": {"gateway_tls": {"dns01": {"secret_var": "vault_a"}}},
                                           "b": {"gateway_tls": {"dns01": {"secret_var": None}}}}}
    assert secret_vars.sensitive_var_names(inventory_vars) == ["vault_a"]


def test_bundle_leaks_names_file_and_variable_never_the_value():
    artefacts = {"a.yaml": "password: s3cret-value\n", "b.yaml": "nothing\n", "c.md": b"x s3cret-value y"}
    secrets = {"vault_x": "s3cret-value", "vault_short": "abc", "vault_none": None, "vault_flag": True}
    leaks = secret_vars.bundle_leaks(artefacts, secrets)
    assert leaks == [("a.yaml", "vault_x"), ("c.md", "vault_x")]
    message = secret_vars.leak_message(leaks)
    assert "s3cret-value" not in message
    assert "'vault_x'" in message and "a.yaml, c.md" in message and "Nothing was written" in message


def test_bundle_leaks_looks_for_values_of_six_characters_and_more():
    # the changelog's "values shorter than 6 characters are not looked for", at the boundary
    artefacts = {"d.txt": "pin 12345, code 123456, port 8080123"}
    secrets = {"vault_five": "12345", "vault_six": "123456", "vault_int": 8080123}
    assert secret_vars.MIN_CHECKED_LENGTH == 6
    assert secret_vars.bundle_leaks(artefacts, secrets) == [("d.txt", "vault_int"), ("d.txt", "vault_six")]


def test_secrets_dir_defaults_beside_the_bundle():
    assert plan_core.default_secrets_dir("/srv/site/build/lab1/") == "/srv/site/build/lab1-secrets"
    assert plan_core.local_path_problems("/b/lab1", "/b/lab1-secrets", "/b/lab1-secrets/kubeconfig") == []
    assert plan_core.local_path_problems("/b/lab1", "/home/me/.netstack/lab1", None) == []


@pytest.mark.parametrize("secrets_dir, kubeconfig, paths", [
    ("/b/lab1/secrets", None, ["netstack_secrets_dir"]),
    ("/b/lab1", None, ["netstack_secrets_dir"]),
    ("/b", None, ["netstack_secrets_dir"]),
    ("/b/lab1-secrets", "/b/lab1/kubeconfig", ["netstack_kubeconfig"]),
    ("/b/lab1/s", "/b/lab1/s/kubeconfig", ["netstack_secrets_dir", "netstack_kubeconfig"]),
])
def test_nothing_secret_may_live_in_the_bundle(secrets_dir, kubeconfig, paths):
    problems = plan_core.local_path_problems("/b/lab1", secrets_dir, kubeconfig)
    assert [p.path for p in problems] == paths
    assert all(p.hint for p in problems)


# --- the playbooks, as a user runs them -------------------------------------------------------------------------

@pytest.fixture()
def example(tmp_path):
    """inventories/example under tmp_path with every secret variable set (values only this test knows)."""
    inventory = tmp_path / "inventory"
    shutil.copytree(str(inventory_loader.REPO / "inventories" / "example"), str(inventory))
    group_vars = inventory / "group_vars" / "all"
    cluster = yaml.safe_load((group_vars / "cluster.yml").read_text())
    fabric = yaml.safe_load((group_vars / "fabric.yml").read_text())
    tenants = yaml.safe_load((group_vars / "tenants.yml").read_text())
    with_secrets(dict(cluster, netstack_fabric=fabric["netstack_fabric"], netstack_tenants=tenants["netstack_tenants"]),
                 "alice")
    (group_vars / "cluster.yml").write_text(yaml.safe_dump(cluster))
    (group_vars / "fabric.yml").write_text(yaml.safe_dump(fabric))
    (group_vars / "tenants.yml").write_text(yaml.safe_dump(tenants))
    (group_vars / "secrets.yml").write_text(yaml.safe_dump(VALUES))
    return {"inventory": inventory, "bundle": tmp_path / "bundle", "secrets_dir": tmp_path / "bundle-secrets",
            "tmp": tmp_path}


def test_site_render_writes_no_secret(example):
    """site.yml in render mode, every part: no secret value in any bundle file, nothing in the secrets dir."""
    inventory = example["inventory"]
    assert secret_vars.sensitive_var_names(inventory_loader.load_inventory(inventory)[0]) == sorted(VALUES)
    # one switch per platform (EOS, NX-OS, SONiC) keeps the fabric plays short; the plan covers every switch
    rc, output = run_playbook("site.yml", [inventory], "-e", "netstack_bundle_dir=%s" % example["bundle"],
                              "--limit", "localhost,r1-leaf1,r2-leaf1,r3-leaf1")
    assert rc == 0, output[-6000:]
    files = bundle_files(example["bundle"])
    written = {os.path.relpath(f, str(example["bundle"])).split(os.sep)[0] for f in files}
    assert {"plan.yaml", "report.md", "fabric", "nodes", "cluster_network", "tenants", "gateway"} <= written
    assert any(f.endswith(".cfg") for f in files)     # the fabric role's own files are among them
    for path in files:
        with open(path, "rb") as handle:
            content = handle.read()
        for name, value in VALUES.items():
            assert value.encode() not in content, "%s holds the value of %s" % (path, name)
    for value in VALUES.values():
        assert value not in output
    # render mode keeps nothing secret, so there is no secrets directory; no kubeconfig or full Talos config
    assert not example["secrets_dir"].exists()
    assert not any(f.endswith(os.sep + "kubeconfig") or f.endswith(os.sep + "config.yaml") for f in files)


def test_plan_refuses_to_write_a_secret_value(example):
    """A DNS-01 credential that equals text of the bundle (the ACME e-mail): the plan fails, nothing is written."""
    playbook = example["tmp"] / "plan.yml"
    playbook.write_text(PLAN_ONLY)
    rc, output = run_playbook(str(playbook), [example["inventory"]], "-e", "netstack_bundle_dir=%s" % example["bundle"],
                              "-e", "vault_cloudflare_token=hostmaster@example.org")
    assert rc != 0, output[-4000:]
    text = " ".join(output.split())
    assert "the bundle would hold the value of secret variable 'vault_cloudflare_token' (in gateway/" in text, text
    assert "hostmaster@example.org" not in output
    assert not example["bundle"].exists()


def test_plan_refuses_secrets_in_the_bundle_and_warns_about_old_ones(example):
    playbook = example["tmp"] / "plan.yml"
    playbook.write_text(PLAN_ONLY)
    bundle = example["bundle"]
    (bundle / "nodes" / "cp1").mkdir(parents=True)
    (bundle / "nodes" / "cp1" / "config.yaml").write_text("# an earlier version's full config\n")
    (bundle / "kubeconfig").write_text("apiVersion: v1\n")
    rc, output = run_playbook(str(playbook), [example["inventory"]], "-e", "netstack_bundle_dir=%s" % bundle,
                              "-e", "netstack_kubeconfig=%s" % (bundle / "kubeconfig"))
    assert rc != 0, output[-4000:]
    text = " ".join(output.split())
    assert "netstack_kubeconfig: lies inside the bundle" in text, text
    assert not (bundle / "plan.yaml").exists()
    rc, output = run_playbook(str(playbook), [example["inventory"]], "-e", "netstack_bundle_dir=%s" % bundle)
    assert rc == 0, output[-4000:]
    text = " ".join(output.split())
    assert "kubeconfig, nodes/cp1/config.yaml hold cluster credentials, written there by an earlier version" in text
    assert (bundle / "plan.yaml").exists()
