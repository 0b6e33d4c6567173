"""No secret is ever echoed, and a BGP password variable that does not exist fails the plan (issue #13).

``netstack_fabric.bgp.password_var`` holds the NAME of the variable with the password. A password pasted there
by mistake must never be printed back (schema errors say what is wrong without the value) nor accepted and
written into the bundle: the plan action tells the core which variables are defined (``defined_vars``, names
only), so a name that is not defined on the controller and on every switch with BGP sessions fails the plan in
render and in apply mode, before anything is written. A plaintext (not vaulted) password variable is a warning.

One inventory per mistake: each asserts the path, the message, and that the pasted string is nowhere in the
error. The last tests run the real plan action through ansible-playbook.
"""
import os
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils import schema as schema_mod, secret_vars
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError
from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import validate

import inventory_loader
import sitegen
from playbook_run import BIN, run_playbook

PATH = "netstack_fabric.bgp.password_var"
VARIABLE = "vault_bgp"          # sitegen's password_var
ALL_SECTIONS = sorted(plan_core.SECTIONS)


def defined(site, controller=(VARIABLE,), switches=(VARIABLE,), **per_switch):
    """``defined_vars`` for a sitegen site: the same names on every switch unless given per switch."""
    return {"controller": set(controller),
            "switches": {host: set(per_switch.get(host.replace("-", "_"), switches)) for host in site[2]}}


def password_var(site, value):
    site[0]["netstack_fabric"]["bgp"]["password_var"] = value


def failure(site, secret, **kwargs):
    """The PlanError of ``site``, checked to hold ``secret`` nowhere (message, paths, hints)."""
    with pytest.raises(PlanError) as caught:
        plan_core.build_plan(*site, **kwargs)
    exc = caught.value
    assert exc.problems
    if secret is not None:
        text = str(secret)
        assert text not in str(exc)
        assert text not in repr(exc.problems)
        for problem in exc.problems:
            assert all(text not in str(v) for v in problem.as_dict().values())
    return exc


def only_problem(exc, path=PATH):
    mine = [p for p in exc.problems if p.path == path]
    assert len(mine) == 1, exc.problems
    return mine[0]


# --- a password pasted where its variable's name belongs --------------------------------------------------

@pytest.mark.parametrize("pasted, what", [
    ("S3cr3t!pa$$w0rd", "does not match ^[A-Za-z_][A-Za-z0-9_]*$"),        # pattern
    ("hunter2 with spaces", "does not match ^[A-Za-z_][A-Za-z0-9_]*$"),
    ("9starts-with-a-digit", "does not match ^[A-Za-z_][A-Za-z0-9_]*$"),
    (84736251, "must be string or null, got integer"),                     # YAML read a numeric PIN
    (3.14159, "must be string or null, got number"),
    (True, "must be string or null, got boolean"),                         # a password 'yes' unquoted
    (["pw-in-a-list"], "must be string or null, got array"),
    ({"password": "pw-in-a-map"}, "must be string or null, got object"),
])
def test_pasted_password_is_reported_without_its_value(pasted, what):
    site = sitegen.make_site()
    password_var(site, pasted)
    secret = pasted if isinstance(pasted, (str, int, float)) and not isinstance(pasted, bool) else None
    exc = failure(site, secret, defined_vars=defined(site))
    problem = only_problem(exc)
    assert problem.message.startswith(what)
    assert "the value is not shown: it may be a secret" in problem.message
    assert "NAME of a variable that holds the password" in problem.hint
    if isinstance(pasted, (list, dict)):     # the text inside a list or map is not shown either
        assert "pw-in-a" not in str(exc)


def test_pasted_password_that_looks_like_a_name_is_not_accepted():
    """It matches the pattern, but no such variable exists: in the past it was written into 26 bundle files."""
    site = sitegen.make_site()
    password_var(site, "Tr0ub4dor3xkcd")
    exc = failure(site, "Tr0ub4dor3xkcd", defined_vars=defined(site))
    problem = only_problem(exc)
    assert problem.message.startswith("names a variable that is not defined on the controller (where the plan "
                                      "runs) nor for switches r1-sw1, r1-sw2, r2-sw1, r2-sw2, r3-sw1 and 1 more")
    assert secret_vars.NOT_SHOWN in problem.message
    assert "group_vars/all (vault-encrypted)" in problem.hint


@pytest.mark.parametrize("mode", ["render", "apply"])
def test_undefined_password_variable_fails_in_both_modes(mode):
    site = sitegen.make_site()
    site[0]["netstack_mode"] = mode
    exc = failure(site, None, defined_vars=defined(site, controller=(), switches=()))
    assert only_problem(exc).message.startswith("names a variable that is not defined on the controller")


def test_variable_missing_on_some_switches():
    site = sitegen.make_site()
    exc = failure(site, None, defined_vars=defined(site, r2_sw1=(), r3_sw2=("other",)))
    problem = only_problem(exc)
    assert problem.message.startswith("names a variable that is not defined for switches r2-sw1, r3-sw2: "
                                      "apply mode reads the BGP password from it there")
    assert "controller" not in problem.message


def test_variable_missing_on_one_switch():
    site = sitegen.make_site()
    exc = failure(site, None, defined_vars=defined(site, r1_sw2=()))
    assert only_problem(exc).message.startswith("names a variable that is not defined for switch r1-sw2: ")


def test_variable_missing_on_the_controller_only():
    """The cluster_network role creates the speakers' password Secret on the controller in apply mode."""
    site = sitegen.make_site()
    exc = failure(site, None, defined_vars=defined(site, controller=("unrelated",)))
    assert only_problem(exc).message.startswith("names a variable that is not defined on the controller (where "
                                                "the plan runs): ")


def test_misspelled_variable_gets_a_did_you_mean_from_defined_password_variables():
    site = sitegen.make_site()
    password_var(site, "vault_bgp_pasword")
    names = ("vault_bgp_password", "ansible_password", "netstack_cluster", "ntp_servers")
    exc = failure(site, None, defined_vars=defined(site, controller=names, switches=names))
    hint = only_problem(exc).hint
    assert hint.startswith("did you mean 'vault_bgp_password'? Otherwise put the password in a variable")


def test_hint_lists_defined_password_variables_but_not_ansibles_own():
    site = sitegen.make_site()
    password_var(site, "Xk9QmZ2wLp")
    names = ("site_bgp_secret", "ansible_become_password", "dns_servers")
    exc = failure(site, "Xk9QmZ2wLp", defined_vars=defined(site, controller=names, switches=names))
    hint = only_problem(exc).hint
    assert hint.startswith("defined variables that look like passwords: site_bgp_secret; ")
    assert "ansible_become_password" not in hint and "dns_servers" not in hint


def test_day2_entry_points_check_the_variable_too():
    site = sitegen.make_site()
    dv = defined(site, controller=(), switches=())
    with pytest.raises(PlanError) as caught:
        plan_core.build_tenant_plan(*site, name="t0", defined_vars=dv)
    assert [p.path for p in caught.value.problems] == [PATH]
    with pytest.raises(PlanError) as caught:
        plan_core.build_tenant_removal(*site, name="t0", cluster_state={}, defined_vars=dv)
    assert [p.path for p in caught.value.problems] == [PATH]
    assert plan_core.build_tenant_plan(*site, name="t0", defined_vars=defined(site))["tenant"]["name"] == "t0"


def test_no_sessions_no_password_needed():
    """L2 load balancing has no BGP sessions: the variable is not read, so it need not exist."""
    site = sitegen.make_site(mode="l2")
    plan_core.build_plan(*site, defined_vars=defined(site, controller=(), switches=()))


def test_without_defined_vars_the_check_is_skipped():
    """The core stays usable without Ansible: ``defined_vars=None`` (the default) does not check."""
    site = sitegen.make_site()
    password_var(site, "never_defined_anywhere")
    plan = plan_core.build_plan(*site)
    assert secret_vars.bgp_password_vars(plan) == ["never_defined_anywhere"]


def test_dns01_credential_variable_is_sensitive_too():
    site = sitegen.make_site()
    site[0]["netstack_cluster"]["features"]["gateway_api"]["tls"] = {
        "mode": "dns01", "dns01": {"provider": "cloudflare", "secret_name": "cf-token",
                                   "secret_var": "cf-API-token:0123456789abcdef"}}
    exc = failure(site, "cf-API-token:0123456789abcdef", defined_vars=defined(site))
    problem = only_problem(exc, "netstack_cluster.features.gateway_api.tls.dns01.secret_var")
    assert "the value is not shown" in problem.message
    assert "NAME of a variable that holds the credential" in problem.hint


def test_every_variable_name_property_is_sensitive():
    """Properties naming a secret's variable (``*_var``) are marked, so no schema error ever echoes them."""
    found = []

    def walk(schema, path):
        for key, sub in schema.get("properties", {}).items():
            if key.endswith("_var"):
                found.append((path + "." + key, sub.get("x-sensitive"), bool(sub.get("patternHint"))))
            walk(sub, path + "." + key)
        for key, sub in schema.get("patternProperties", {}).items():
            walk(sub, path + ".<name>")
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], path + "[]")
    walk(schema_mod.INVENTORY_SCHEMA, "")
    assert found and all(sensitive is True and hint for _path, sensitive, hint in found), found


@pytest.mark.parametrize("schema, value", [
    ({"type": "string", "maxLength": 4, "x-sensitive": True}, "too-long-secret"),
    ({"type": "string", "minLength": 40, "x-sensitive": True}, "short-secret"),
    ({"type": "string", "enum": ["a", "b"], "x-sensitive": True}, "enum-secret"),
    ({"type": "string", "format": "ipv4", "x-sensitive": True}, "format-secret"),
    ({"type": "integer", "x-sensitive": True}, "typed-secret"),
])
def test_sensitive_schema_never_echoes_the_value(schema, value):
    _checked, problems = validate(schema, value, "x")
    assert len(problems) == 1 and problems[0].path == "x"
    assert value not in repr(problems)
    assert "the value is not shown" in problems[0].message


# --- nothing secret in the bundle -----------------------------------------------------------------------------

def test_bundle_never_holds_the_password():
    """Render mode with the password variable defined: the core only ever sees names, never the value."""
    inventory_vars, nodes, switches = inventory_loader.load_inventory(inventory_loader.REPO / "inventories" / "example")
    secret = yaml.safe_load((inventory_loader.REPO / "inventories" / "example" / "group_vars" / "all" /
                             "secrets.yml").read_text())["vault_netstack_bgp_password"]
    names = {"vault_netstack_bgp_password"}
    plan = plan_core.build_plan(inventory_vars, nodes, switches,
                                defined_vars={"controller": names, "switches": {h: names for h in switches}})
    artefacts = plan_core.render_bundle(plan, ALL_SECTIONS)
    assert len(artefacts) > 20
    assert [path for path, text in artefacts.items() if secret in text] == []
    assert any("vault_netstack_bgp_password" in text for text in artefacts.values())   # the name is there


# --- the real plan action -------------------------------------------------------------------------------------

PLAYBOOK = """---
- name: Plan only
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Validate the inventory, compute the plan and write the bundle
      netstack.baremetal.plan:
        sections: %s
""" % ALL_SECTIONS


@pytest.fixture()
def playbook_site(tmp_path):
    """The example inventory under tmp_path, a playbook running only the plan action, and the bundle path."""
    inventory = tmp_path / "inventory"
    shutil.copytree(str(inventory_loader.REPO / "inventories" / "example"), str(inventory))
    playbook = tmp_path / "plan.yml"
    playbook.write_text(PLAYBOOK)
    bundle = tmp_path / "bundle"

    def run(*extra):
        return run_playbook(str(playbook), [inventory], "-e", "netstack_bundle_dir=%s" % bundle, *extra)
    return {"inventory": inventory, "bundle": bundle, "run": run, "tmp": tmp_path}


def test_playbook_pasted_password_fails_before_anything_is_written(playbook_site):
    """Apply mode, a password that looks like a variable name: the play fails at plan time, quiet about it."""
    fabric_vars = playbook_site["inventory"] / "group_vars" / "all" / "fabric.yml"
    pasted = "Zq8vLm2pXw9Rt4"
    fabric_vars.write_text(fabric_vars.read_text().replace("password_var: vault_netstack_bgp_password",
                                                           "password_var: %s" % pasted))
    rc, output = playbook_site["run"]("-e", "netstack_mode=apply")
    assert rc != 0, output[-4000:]
    assert PATH in output and "names a variable that is not defined on the controller" in output, output[-4000:]
    assert pasted not in output
    assert not os.path.exists(str(playbook_site["bundle"]))


def test_playbook_plaintext_password_variable_warns(playbook_site):
    rc, output = playbook_site["run"]()
    assert rc == 0, output[-4000:]
    assert "[WARNING]" in output
    assert "the BGP password variable 'vault_netstack_bgp_password' is not vault-encrypted" in output
    assert "example-only-not-secret" not in output
    written = [os.path.join(d, f) for d, _dirs, files in os.walk(str(playbook_site["bundle"])) for f in files]
    assert len(written) > 20
    for path in written:
        with open(path, "rb") as handle:
            assert b"example-only-not-secret" not in handle.read(), path


def test_playbook_vaulted_password_variable_does_not_warn(playbook_site):
    secrets = playbook_site["inventory"] / "group_vars" / "all" / "secrets.yml"
    password_file = playbook_site["tmp"] / "vault-password"
    password_file.write_text("test-only-vault-password\n")
    subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt", "--vault-password-file", str(password_file),
                    str(secrets)], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert secrets.read_text().startswith("$ANSIBLE_VAULT;")
    rc, output = playbook_site["run"]("--vault-password-file", str(password_file))
    assert rc == 0, output[-4000:]
    assert "not vault-encrypted" not in output
