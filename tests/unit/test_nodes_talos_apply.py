# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Talos apply path of playbooks/nodes.yml, run for real against a recording stand-in for talosctl.

The stand-in keeps per-node state (maintenance mode until a config is applied, the applied config, whether
etcd was bootstrapped) and logs every call, so the test sees what the talos_nodes role would do to real
nodes: secrets generated once and vaulted, gen config with both planned patches, insecure apply in
maintenance mode, one etcd bootstrap, the kubeconfig; a second run changes nothing; check mode applies
nothing.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

from playbook_run import recap, run_playbook

REPO = pathlib.Path(__file__).resolve().parents[2]

FAKE_TALOSCTL = r"""#!/bin/bash
# Recording stand-in for talosctl (tests only).
state=${FAKE_TALOS_STATE:?}
echo "$*" >>"$state/calls.log"
node=""; file=""; out=""; insecure=0; dry=0; args=("$@"); patches=()
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --nodes) node=${args[i+1]} ;;
    --file) file=${args[i+1]} ;;
    -o) out=${args[i+1]} ;;
    --insecure) insecure=1 ;;
    --dry-run) dry=1 ;;
    --config-patch) patches+=("${args[i+1]#@}") ;;
  esac
done
has() { local w; for w in "${args[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }
if has secrets; then echo "cluster: {id: fake}" >"$out"; exit 0; fi
if has gen && has talosconfig; then echo "context: fake" >"$out"; exit 0; fi
if has gen; then cat "${patches[@]}" >"$out"; echo "# with secrets" >>"$out"; exit 0; fi
if has validate; then exit 0; fi
if has version; then [ -e "$state/$node.applied" ] && { echo "Tag: v1.13.6"; exit 0; }; echo "maintenance" >&2; exit 1; fi
if has apply-config; then
  if [ "$insecure" = 1 ]; then
    [ "$dry" = 1 ] && { echo "Dry run summary: would apply"; exit 0; }
    cp "$file" "$state/$node.applied"; echo "Applied configuration"; exit 0
  fi
  if [ "$dry" = 1 ]; then
    echo "Dry run summary:"; echo "Config diff:"; diff -u "$state/$node.applied" "$file" | tail -n +3; exit 0
  fi
  cp "$file" "$state/$node.applied"; echo "Applied configuration without a reboot"; exit 0
fi
if has bootstrap; then
  [ -e "$state/bootstrapped" ] && { echo "rpc error: code = AlreadyExists desc = etcd data directory is not empty" >&2; exit 1; }
  touch "$state/bootstrapped"; exit 0
fi
if has kubeconfig; then
  for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" = kubeconfig ] && echo "apiVersion: v1" >"${args[i+1]}"; done
  exit 0
fi
if has etcd; then   # the members in $state/etcd, one a line: ID HOSTNAME up|down (replace_node.yml's etcd step)
  row() { printf '%-12s   %-16s   %-10s   %-24s   %-24s   %s\n' "$@"; }
  if has members; then
    row NODE ID HOSTNAME "PEER URLS" "CLIENT URLS" LEARNER
    while read -r id host up; do row "$node" "$id" "$host" "https://$host:2380" "https://$host:2379" false; done <"$state/etcd"
    exit 0
  fi
  if has status; then
    row NODE MEMBER "DB SIZE" "IN USE" LEADER ERRORS
    while read -r id host up; do [ "$up" = up ] && row "$host" "$id" "2.1 MB" "1.9 MB" "$id" ""; done <"$state/etcd"
    grep -q ' down$' "$state/etcd" && { echo "error getting status: connection refused" >&2; exit 1; }
    exit 0
  fi
  if has remove-member; then
    id=${args[${#args[@]}-1]}; grep -v "^$id " "$state/etcd" >"$state/etcd.new"; mv "$state/etcd.new" "$state/etcd"; exit 0
  fi
fi
echo "fake talosctl: unhandled $*" >&2; exit 2
"""


def fake_talos(tmp_path):
    """The talosctl stand-in first on PATH, its state directory and a vault password file: (environment, state)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "talosctl").write_text(FAKE_TALOSCTL)
    (bin_dir / "talosctl").chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    (tmp_path / "vault-pass").write_text("test-only-vault-password\n")
    env = {"PATH": "%s:%s:%s" % (bin_dir, os.path.dirname(sys.executable), os.environ.get("PATH", "")),
           "ANSIBLE_VAULT_PASSWORD_FILE": tmp_path / "vault-pass", "FAKE_TALOS_STATE": state}
    return env, state


@pytest.fixture()
def talos_site(tmp_path):
    """inventories/example cut to three nodes, apply mode, bundle and secrets under tmp_path."""
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "example", inventory)
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    nodes = hosts["all"]["children"]["netstack_nodes"]["children"]
    nodes["netstack_control_plane"]["hosts"] = {"cp1": nodes["netstack_control_plane"]["hosts"]["cp1"]}
    nodes["netstack_workers"]["hosts"] = {h: nodes["netstack_workers"]["hosts"][h] for h in ("w1", "w4")}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    cluster = inventory / "group_vars" / "all" / "cluster.yml"
    cluster.write_text(cluster.read_text().replace("netstack_mode: render", "netstack_mode: apply")
                       + "netstack_bundle_dir: %s\nnetstack_node_batch: 2\n" % (tmp_path / "bundle"))
    env, state = fake_talos(tmp_path)

    def run(*extra):
        rc, output = run_playbook("nodes.yml", [inventory], *extra, **env)
        assert rc == 0, output[-6000:]
        return output
    return {"run": run, "inventory": inventory, "state": state, "bundle": tmp_path / "bundle",
            "secrets_dir": tmp_path / "bundle-secrets"}


def mode(path):
    return path.stat().st_mode & 0o777


def test_talos_apply_path(talos_site):
    state = talos_site["state"]

    # check mode first: dry runs only, nothing applied, no secrets kept; the documents met the Talos schema
    # (the copy shipped in roles/talos_nodes/files: nothing outside the collection is needed)
    output = talos_site["run"]("--check", "-v")
    assert output.count("every document matches the Talos schema") == 3
    assert not any(state.glob("*.applied"))
    assert not (talos_site["inventory"] / "talos-secrets.vault.yaml").exists()
    assert not talos_site["secrets_dir"].exists()
    # without a schema file the check cannot run: not an error, but a warning says so (never a silent pass)
    output = talos_site["run"]("--check", "-v", "--limit", "localhost,cp1",
                               "-e", "talos_nodes_schema=%s" % (talos_site["inventory"] / "no-such-schema.json"))
    assert "schema check skipped" in output
    assert "Talos schema check did NOT run: no schema file at" in output

    checked = len((state / "calls.log").read_text().splitlines())
    talos_site["run"]()
    secrets = talos_site["inventory"] / "talos-secrets.vault.yaml"
    assert secrets.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")   # never in clear text
    calls = (state / "calls.log").read_text().splitlines()[checked:]
    assert sum("gen secrets" in c for c in calls) == 1
    gen = [c for c in calls if "--output-types controlplane" in c or "--output-types worker" in c]
    assert len([c for c in gen if "--dry-run" not in c]) >= 3
    for host in ("cp1", "w1", "w4"):
        assert any("%s-patch.yaml" % host in c and "%s-network.yaml" % host in c for c in gen)
    cp1 = next(c for c in gen if "cp1-patch.yaml" in c)
    assert "gen config lab1 https://10.10.0.5:6443 --output-types controlplane" in cp1
    assert "cp1-network.yaml" in cp1 and "--with-secrets" in cp1
    applied = sorted(p.name for p in state.glob("*.applied"))
    assert applied == ["10.10.0.11.applied", "10.10.0.14.applied", "10.10.0.17.applied"]
    assert [c for c in calls if c.endswith("bootstrap")] == [
        "--talosconfig %s --endpoints 10.10.0.11 --nodes 10.10.0.11 bootstrap" % c.split()[1]
        for c in calls if c.endswith("bootstrap")]
    assert sum(c.endswith("bootstrap") for c in calls) == 1
    # the applied config is the planned patches (plus what gen config adds)
    config = (state / "10.10.0.11.applied").read_text()
    assert "kind: Layer2VIPConfig" in config and "podSubnets" in config
    # what holds cluster credentials (full configs, kubeconfig) is in the secrets directory beside the bundle,
    # private and git-ignored; the bundle (meant to be committed) holds none of it
    bundle, secrets_dir = talos_site["bundle"], talos_site["secrets_dir"]
    assert mode(secrets_dir) == 0o700
    assert (secrets_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    # so `git add -A` in a repository holding both (build/ not ignored) takes the bundle and skips the secrets
    subprocess.run(["git", "init", "-q", str(secrets_dir.parent)], check=True)
    untracked = subprocess.run(["git", "-C", str(secrets_dir.parent), "status", "--porcelain", "--untracked-files=all"],
                               check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    assert "?? bundle/plan.yaml" in untracked.splitlines() and "bundle-secrets" not in untracked, untracked
    assert mode(secrets_dir / "kubeconfig") == 0o600
    for host in ("cp1", "w1", "w4"):
        full = secrets_dir / "nodes" / host / "config.yaml"
        assert "# with secrets" in full.read_text() and mode(full) == 0o600
        assert not (bundle / "nodes" / host / "config.yaml").exists()
    assert not (bundle / "kubeconfig").exists()
    for path in bundle.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "# with secrets" not in text and "cluster: {id: fake}" not in text, path

    # second run: secrets reused, nodes answer, dry run shows no diff: nothing changes
    before = len(calls)
    output = talos_site["run"]()
    calls = (state / "calls.log").read_text().splitlines()[checked:]
    assert sum("gen secrets" in c for c in calls) == 1
    assert not any("--mode auto" in c for c in calls[before:])
    assert all(c["changed"] == 0 for host, c in recap(output).items() if host != "localhost"), output[-3000:]
