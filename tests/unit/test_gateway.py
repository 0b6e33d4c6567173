# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-tenant Gateway area: plan, objects, schemas, routing scope, admission, bundle.

Every generated custom resource is validated against ``../shared/schemas``
twice: the Gateway API **experimental** channel (``index.gateway-experimental.json``
merged over ``index.json``, what the cluster runs) and, through
``k8s_schema.validate_manifest``, the standard channel index; cert-manager
kinds against their CRDs; unknown fields are errors.  Core kinds (the partial
Namespaces) go through kubernetes-validate.
"""
from __future__ import absolute_import, division, print_function

import copy
import os

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from ansible_collections.netstack.baremetal.plugins.module_utils import admission_policies as ap
from ansible_collections.netstack.baremetal.plugins.module_utils import gateway as gw
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as tenants_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

import k8s_schema
import sitegen
from test_admission_policies import Admission, UNTRUSTED_GROUPS

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ATTACHED = ["cozy-cert-manager", "cozy-dashboard", "default"]


# --- schema validation with the experimental channel ------------------------

def experimental_errors(obj):
    """Errors of ``obj`` against the experimental-channel schema (unknown fields included), [] for core kinds."""
    return k8s_schema.crd_errors(obj, channel="experimental")


def all_errors(objects):
    errors = []
    for obj in objects:
        label = "%s %s/%s" % (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        errors.extend("%s (experimental): %s" % (label, e) for e in experimental_errors(obj))
        errors.extend("%s: %s" % (label, e) for e in k8s_schema.validate_manifest(obj))
    return errors


# --- sites ------------------------------------------------------------------

def make_site(tenants, implementation="metallb", pools=None, **gateway_api):
    feature = {"enabled": True, "attached_namespaces": list(ATTACHED)}
    feature.update(gateway_api)
    return {
        "cluster": {"variant": "kubeovn-cilium", "api": {"port": 6443}, "features": {"gateway_api": feature},
                    "networks": {"pod_cidr": "10.244.0.0/16", "service_cidr": "10.96.0.0/16",
                                 "join_cidr": "100.64.0.0/16", "cluster_cidr": "100.65.0.0/16"}},
        "load_balancer": {"implementation": implementation, "mode": "bgp",
                          "pools": pools if pools is not None else [
                              {"name": "public", "addresses": ["10.30.0.64/28"], "auto_assign": True},
                              {"name": "internal", "addresses": ["10.40.0.0-10.40.0.3"], "auto_assign": False}]},
        "tenants": copy.deepcopy(tenants),
    }


def example_tenants():
    return {
        "root": {"host": "example.org", "gateway": True},
        "alice": {"parent": "root", "gateway": True},
        "dev": {"parent": "alice"},
        "feature": {"parent": "dev"},
        "staging": {"parent": "alice"},
        "bob": {"parent": "root", "host": "bob.example.net"},
    }


DNS01 = {"mode": "dns01", "issuer": "letsencrypt-prod", "email": "hostmaster@example.org",
         "dns01": {"provider": "cloudflare", "secret_name": "cloudflare-api-token"}}


def plan_for(site):
    problems = []
    section = gw.plan_gateway(site, {}, problems)
    return section, problems


def planned(site):
    section, problems = plan_for(site)
    assert problems == [], problems
    return section


def problems_of(site):
    return plan_for(site)[1]


def paths(problems):
    return sorted(p.path for p in problems)


def objects(section, kind=None, namespace=None):
    found = [o for b in section["apply"] for o in b["objects"]]
    if kind:
        found = [o for o in found if o["kind"] == kind]
    if namespace:
        found = [o for o in found if o["metadata"].get("namespace", o["metadata"]["name"]) == namespace]
    return found


def the(section, kind, namespace):
    found = objects(section, kind, namespace)
    assert len(found) == 1, (kind, namespace, found)
    return found[0]


def listeners(section, namespace):
    return dict((l["name"], l) for l in the(section, "Gateway", namespace)["spec"]["listeners"])


# --- the example inventory, through the whole plan engine -------------------

@pytest.fixture(scope="module")
def example_plan():
    from inventory_loader import load_inventory
    return plan_core.build_plan(*load_inventory(os.path.join(REPO, "inventories", "example", "hosts.yml")))


def test_example_inventory_gateways(example_plan):
    section = example_plan["gateway"]
    assert section["enabled"] and section["load_balancer"] == "metallb"
    assert [(g["tenant"], g["namespace"], g["apex"]) for g in section["gateways"]] == [
        ("alice", "tenant-alice", "alice.example.org"), ("root", "tenant-root", "example.org")]
    root = next(g for g in section["gateways"] if g["tenant"] == "root")
    assert root["members"] == ["tenant-bob"] and root["delegated_apexes"] == ["bob.example.net"]
    assert root["pool"] == "public" and root["tls"]["mode"] == "dns01"
    assert [(l["name"], l.get("hostname")) for l in root["listeners"]] == [
        ("http", None), ("https", "*.example.org"), ("https-apex", "example.org"),
        (gw.listener_name("https-child", "*.bob.example.net"), "*.bob.example.net"),
        (gw.listener_name("https-child-apex", "bob.example.net"), "bob.example.net"),
        ("tls-api", "api.example.org"), ("tls-vm-exportproxy", "vm-exportproxy.example.org"),
        ("tls-cdi-uploadproxy", "cdi-uploadproxy.example.org")]
    alice = next(g for g in section["gateways"] if g["tenant"] == "alice")
    assert alice["members"] == ["tenant-alice-dev", "tenant-alice-dev-feature", "tenant-alice-staging"]
    assert [l.get("hostname") for l in alice["listeners"]] == [
        None, "*.alice.example.org", "alice.example.org", "*.dev.alice.example.org",
        "*.feature.dev.alice.example.org", "*.staging.alice.example.org"]
    assert alice["passthrough"] == []           # the reference services are the root tenant's
    assert [(t["tenant"], t["gateway"]) for t in section["tenants"]] == [
        ("alice", "tenant-alice"), ("dev", "tenant-alice"), ("feature", "tenant-alice"),
        ("staging", "tenant-alice"), ("bob", "tenant-root"), ("root", "tenant-root")]
    assert section["crds"]["channel"] == "experimental" and section["crds"]["version"] == "v1.5.1"


def test_example_objects_match_the_schemas(example_plan):
    section = example_plan["gateway"]
    found = objects(section)
    assert {o["kind"] for o in found} == {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
                                          "Namespace", "Issuer", "Certificate", "Gateway", "HTTPRoute"}
    assert all_errors(found) == []


def test_example_bundle(example_plan):
    artefacts = plan_core.render_bundle(example_plan, ["gateway"])
    assert sorted(artefacts) == sorted(
        ["gateway/%s.yaml" % ns for ns in ("tenant-root", "tenant-alice", "tenant-alice-dev",
                                           "tenant-alice-dev-feature", "tenant-alice-staging", "tenant-bob")]
        + ["gateway/admission-policies.yaml", "gateway/attached-namespaces.yaml", "gateway/crds.yaml",
           "gateway/report.md"])
    root = list(yaml.safe_load_all(artefacts["gateway/tenant-root.yaml"]))
    assert [o["kind"] for o in root] == ["Namespace", "Issuer", "Certificate", "Gateway", "HTTPRoute"]
    bob = list(yaml.safe_load_all(artefacts["gateway/tenant-bob.yaml"]))
    assert bob == [{"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "tenant-bob", "labels": {"gateway.netstack.baremetal/tenant-root": "true"}, "annotations": {}}}]
    crds = yaml.safe_load(artefacts["gateway/crds.yaml"])["gateway_api_crds"]
    assert crds["url"].endswith("/v1.5.1/experimental-install.yaml")
    # the files together hold every object exactly once
    documents = [d for text in artefacts.values() if not text.startswith("#") for d in yaml.safe_load_all(text)
                 if isinstance(d, dict) and "kind" in d]
    assert len(documents) == len(objects(example_plan["gateway"]))
    assert "| root | tenant-root | example.org | dns01 | public |" in artefacts["gateway/report.md"]
    assert plan_core.render_bundle(example_plan, ["gateway"]) == artefacts


def test_issuer_has_its_own_acme_account_and_secret_reference(example_plan):
    issuer = the(example_plan["gateway"], "Issuer", "tenant-alice")
    assert issuer["metadata"]["name"] == "cozystack-gateway"
    assert issuer["spec"]["acme"] == {
        "server": "https://acme-v02.api.letsencrypt.org/directory", "email": "hostmaster@example.org",
        "privateKeySecretRef": {"name": "cozystack-acme-account"},
        "solvers": [{"dns01": {"cloudflare": {"apiTokenSecretRef": {
            "name": "cloudflare-api-token", "key": "api-token"}}}}]}
    certificate = the(example_plan["gateway"], "Certificate", "tenant-root")
    assert certificate["spec"]["dnsNames"] == ["*.example.org", "example.org", "*.bob.example.net",
                                               "bob.example.net"]
    assert certificate["spec"]["secretName"] == "cozystack-gateway-tls"
    assert certificate["spec"]["issuerRef"] == {"group": "cert-manager.io", "kind": "Issuer",
                                                "name": "cozystack-gateway"}


def test_redirect_route(example_plan):
    route = the(example_plan["gateway"], "HTTPRoute", "tenant-alice")
    assert route["metadata"]["name"] == "cozystack-http-redirect"
    assert route["spec"]["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                            "name": "cozystack", "sectionName": "http"}]
    assert route["spec"]["rules"] == [{"filters": [{"type": "RequestRedirect", "requestRedirect": {
        "scheme": "https", "statusCode": 301}}]}]
    assert "hostnames" not in route["spec"]


# --- who may attach routes ----------------------------------------------------

def _selects(selector, labels):
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def cluster_namespaces(section, site):
    """Namespace name -> labels after the tenants area and this area applied theirs (plus the server's name label)."""
    tenant_section = tenants_mod.plan_tenants(site)
    labels = {}
    annotations = {}
    for entry in tenant_section["tenants"]:
        labels[entry["namespace"]] = dict(entry["labels"])
    for ns in section["attached_namespaces"] + ["cozy-other", "kube-system"]:
        labels.setdefault(ns, {})
    for patch in objects(section, "Namespace"):
        labels.setdefault(patch["metadata"]["name"], {}).update(patch["metadata"]["labels"])
        annotations[patch["metadata"]["name"]] = dict(patch["metadata"].get("annotations") or {})
    for name in labels:
        labels[name]["kubernetes.io/metadata.name"] = name
    return labels, annotations


def check_route_scope(section, site):
    """Each listener admits exactly: http the owner + attached namespaces; 443 the owner, its inheriting
    sub-tenants and the attached namespaces."""
    labels, _annotations = cluster_namespaces(section, site)
    for gateway in section["gateways"]:
        owner = gateway["namespace"]
        for listener in the(section, "Gateway", owner)["spec"]["listeners"]:
            namespaces = listener["allowedRoutes"]["namespaces"]
            assert namespaces["from"] == "Selector"
            admitted = sorted(ns for ns, lab in labels.items() if _selects(namespaces["selector"], lab))
            expected = [owner] + section["attached_namespaces"]
            if listener["port"] == 443:
                expected += gateway["members"]
            assert admitted == sorted(expected), (owner, listener["name"])


def test_listener_scope_example():
    site = make_site(example_tenants(), tls=DNS01)
    check_route_scope(planned(site), site)


def test_attached_namespace_serves_every_gateway():
    """One label per Gateway: the reference's single-valued locator label lets an attached namespace serve only
    the Gateway that labelled it last."""
    section = planned(make_site(example_tenants(), tls=DNS01))
    patch = the(section, "Namespace", "cozy-dashboard")
    assert patch["metadata"]["labels"] == {"gateway.netstack.baremetal/tenant-alice": "true",
                                           "gateway.netstack.baremetal/tenant-root": "true"}
    batch = next(b for b in section["apply"] if b["name"] == "attached-namespaces")
    assert batch["existing_only"] is True


def test_opted_out_tenant_attaches_nowhere():
    tenants = example_tenants()
    tenants["staging"]["gateway"] = False
    tenants["sub"] = {"parent": "staging"}
    site = make_site(tenants, tls=DNS01)
    section = planned(site)
    for ns in ("tenant-alice-staging", "tenant-alice-staging-sub"):
        assert the(section, "Namespace", ns)["metadata"]["labels"] == {}
    alice = next(g for g in section["gateways"] if g["tenant"] == "alice")
    assert "tenant-alice-staging" not in alice["members"]
    check_route_scope(section, site)


# --- TLS modes ------------------------------------------------------------------

def test_http01_listener_and_certificate_per_hostname():
    tenants = example_tenants()
    tenants["root"]["gateway_hostnames"] = ["dashboard.example.org", "example.org"]
    tenants["bob"]["gateway_hostnames"] = ["shop.bob.example.net"]
    tenants["dev"]["gateway_hostnames"] = ["app.dev.alice.example.org"]
    section = planned(make_site(tenants))
    root = listeners(section, "tenant-root")
    name = gw.listener_name("https", "shop.bob.example.net")
    assert root[name]["hostname"] == "shop.bob.example.net"
    secret = root[name]["tls"]["certificateRefs"][0]["name"]
    assert secret == "cozystack-shop-%s-tls" % gw._hash8("shop.bob.example.net")
    certificates = dict((c["metadata"]["name"], c) for c in objects(section, "Certificate", "tenant-root"))
    assert certificates[secret]["spec"]["dnsNames"] == ["shop.bob.example.net"]
    assert certificates[secret]["metadata"]["labels"]["cozystack.io/per-listener-cert"] == "true"
    assert len(certificates) == 3
    issuer = the(section, "Issuer", "tenant-root")
    assert issuer["spec"]["acme"]["solvers"] == [{"http01": {"gatewayHTTPRoute": {"parentRefs": [{
        "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "cozystack", "namespace": "tenant-root",
        "sectionName": "http"}]}}}]
    alice = listeners(section, "tenant-alice")
    assert sorted(l.get("hostname") or "" for l in alice.values()) == ["", "app.dev.alice.example.org"]
    assert all_errors(objects(section)) == []


def test_dns01_deeper_names_get_a_listener_and_a_san():
    tenants = example_tenants()
    tenants["alice"]["gateway_hostnames"] = ["a.b.alice.example.org", "web.alice.example.org",
                                             "*.svc.alice.example.org", "*.dev.alice.example.org"]
    section = planned(make_site(tenants, tls=DNS01))
    hostnames = [l.get("hostname") for l in listeners(section, "tenant-alice").values()]
    assert "a.b.alice.example.org" in hostnames and "*.svc.alice.example.org" in hostnames
    assert "web.alice.example.org" not in hostnames                   # *.alice.example.org covers it
    assert hostnames.count("*.dev.alice.example.org") == 1
    names = the(section, "Certificate", "tenant-alice")["spec"]["dnsNames"]
    assert "a.b.alice.example.org" in names and "*.svc.alice.example.org" in names


@pytest.mark.parametrize("dns01,solver", [
    ({"provider": "cloudflare", "secret_name": "cf"},
     {"cloudflare": {"apiTokenSecretRef": {"name": "cf", "key": "api-token"}}}),
    ({"provider": "digitalocean", "secret_name": "do", "secret_key": "token"},
     {"digitalocean": {"tokenSecretRef": {"name": "do", "key": "token"}}}),
    ({"provider": "route53", "secret_name": "aws", "region": "eu-central-1", "access_key_id": "AKIAEXAMPLE",
      "hosted_zone_id": "Z123"},
     {"route53": {"region": "eu-central-1", "accessKeyID": "AKIAEXAMPLE", "hostedZoneID": "Z123",
                  "secretAccessKeySecretRef": {"name": "aws", "key": "secret-access-key"}}}),
    ({"provider": "rfc2136", "secret_name": "tsig", "nameserver": "ns1.example.org:53", "tsig_key_name": "acme"},
     {"rfc2136": {"nameserver": "ns1.example.org:53", "tsigKeyName": "acme", "tsigAlgorithm": "HMACSHA512",
                  "tsigSecretSecretRef": {"name": "tsig", "key": "tsig-secret"}}}),
])
def test_dns01_providers(dns01, solver):
    tenants = example_tenants()
    tenants["alice"]["gateway_tls"] = {"mode": "dns01", "issuer": "letsencrypt-stage", "dns01": dns01}
    section = planned(make_site(tenants))
    issuer = the(section, "Issuer", "tenant-alice")
    assert issuer["spec"]["acme"]["server"] == "https://acme-staging-v02.api.letsencrypt.org/directory"
    assert issuer["spec"]["acme"]["solvers"] == [{"dns01": solver}]
    assert the(section, "Issuer", "tenant-root")["spec"]["acme"]["solvers"][0].keys() == {"http01"}
    assert all_errors(objects(section)) == []


def test_existing_secret_mode():
    tenants = example_tenants()
    tenants["root"]["gateway_tls"] = {"mode": "existing_secret", "secret": "wildcard-example-org"}
    section = planned(make_site(tenants))
    assert objects(section, "Issuer", "tenant-root") == [] and objects(section, "Certificate", "tenant-root") == []
    refs = set(l["tls"]["certificateRefs"][0]["name"] for l in listeners(section, "tenant-root").values()
               if l["protocol"] == "HTTPS")
    assert refs == {"wildcard-example-org"}
    assert any("wildcard-example-org must hold a certificate for *.example.org" in n for n in section["notes"])


def test_custom_acme_server_and_secret_variable():
    tenants = example_tenants()
    tenants["alice"]["gateway_tls"] = {"mode": "dns01", "server": "https://ca.internal/acme/directory", "dns01": {
        "provider": "cloudflare", "secret_name": "cf", "secret_var": "vault_cloudflare_token"}}
    section = planned(make_site(tenants))
    assert the(section, "Issuer", "tenant-alice")["spec"]["acme"]["server"] == "https://ca.internal/acme/directory"
    assert section["secrets"] == [{"namespace": "tenant-alice", "name": "cf", "key": "api-token",
                                   "variable": "vault_cloudflare_token", "type": "Opaque"}]


# --- addresses ------------------------------------------------------------------

def test_metallb_pool_selection_and_pinned_address():
    tenants = example_tenants()
    tenants["alice"].update(gateway_pool="internal", gateway_address="10.40.0.2")
    section = planned(make_site(tenants))
    alice = the(section, "Gateway", "tenant-alice")["spec"]
    assert alice["infrastructure"] == {"annotations": {"metallb.io/address-pool": "internal",
                                                       "metallb.io/loadBalancerIPs": "10.40.0.2"}}
    assert "addresses" not in alice            # Cilium would turn it into an LB-IPAM annotation MetalLB ignores
    root = the(section, "Gateway", "tenant-root")["spec"]
    assert root["infrastructure"] == {"annotations": {"metallb.io/address-pool": "public"}}
    assert section["pools"] == [{"pool": "public", "size": 16, "gateways": 1},
                                {"pool": "internal", "size": 4, "gateways": 1}]


def test_cilium_pool_selection_and_pinned_address():
    tenants = example_tenants()
    tenants["alice"].update(gateway_pool="internal", gateway_address="10.40.0.2")
    pools = [{"name": "public", "addresses": ["10.30.0.64/28"]}, {"name": "more", "addresses": ["10.31.0.0/28"]},
             {"name": "internal", "addresses": ["10.40.0.0/30"], "auto_assign": False}]
    section = planned(make_site(tenants, implementation="cilium", pools=pools))
    alice = the(section, "Gateway", "tenant-alice")["spec"]
    assert alice["addresses"] == [{"type": "IPAddress", "value": "10.40.0.2"}]
    assert alice["infrastructure"] == {"labels": {"netstack.io/lb-pool": "internal"}}
    assert any("tenant 'root''s Gateway an address from any auto-assign pool" in n for n in section["notes"])
    assert all_errors(objects(section)) == []


def test_delegated_apexes_are_the_outermost_foreign_apexes():
    tenants = example_tenants()
    tenants["shop"] = {"parent": "bob"}                               # shop.bob.example.net, inherits root's
    tenants["carol"] = {"parent": "root", "host": "carol.example.com"}
    section = planned(make_site(tenants, tls=DNS01))
    root = next(g for g in section["gateways"] if g["tenant"] == "root")
    assert root["delegated_apexes"] == ["bob.example.net", "carol.example.com"]
    assert the(section, "Namespace", "tenant-root")["metadata"]["annotations"] == {
        "netstack.baremetal/gateway-apexes": "bob.example.net,carol.example.com"}
    assert any("also covers bob.example.net, carol.example.com, outside example.org: the cloudflare credentials"
               in n for n in section["notes"])


def test_default_pool_setting():
    section = planned(make_site(example_tenants(), default_pool="internal"))
    assert [g["pool"] for g in section["gateways"]] == ["internal", "internal"]


# --- bad input, each reported with its inventory path ---------------------------

def _site_with(mutate, **gateway_api):
    tenants = example_tenants()
    site = make_site(tenants, **gateway_api)
    mutate(site)
    return site


@pytest.mark.parametrize("mutate,gateway_api,path,words", [
    (lambda s: None, {"attached_namespaces": ["cozy-dashboard", "tenant-alice"]},
     "netstack_cluster.features.gateway_api.attached_namespaces[1]", "namespace of tenant 'alice'"),
    (lambda s: None, {"attached_namespaces": ["tenant-future"]},
     "netstack_cluster.features.gateway_api.attached_namespaces[0]", "tenant-style"),
    (lambda s: s["load_balancer"]["pools"].__setitem__(0, {"name": "public", "addresses": ["10.30.0.64/32"]}), {},
     "netstack_load_balancer.pools[0].addresses", "1 address(es) but 2 tenant Gateways"),
    (lambda s: s["tenants"]["alice"].update(gateway_pool="pubic"), {},
     "netstack_tenants.alice.gateway_pool", "did you mean 'public'"),
    (lambda s: None, {"default_pool": "nope"}, "netstack_cluster.features.gateway_api.default_pool", "nope"),
    (lambda s: s["tenants"]["alice"].update(gateway_address="10.99.0.1"), {},
     "netstack_tenants.alice.gateway_address", "outside pool 'public'"),
    (lambda s: (s["tenants"]["alice"].update(gateway_address="10.30.0.65"),
                s["tenants"]["root"].update(gateway_address="10.30.0.65")), {},
     "netstack_tenants.root.gateway_address", "already the address of tenant 'alice'"),
    (lambda s: s["tenants"]["alice"].update(gateway_hostnames=["*.alice.example.org"]), {},
     "netstack_tenants.alice.gateway_hostnames[0]", "HTTP-01 cannot issue wildcard"),
    (lambda s: s["tenants"]["dev"].update(gateway_hostnames=["app.alice.example.org"]), {},
     "netstack_tenants.dev.gateway_hostnames[0]", "outside the tenant's apex 'dev.alice.example.org'"),
    (lambda s: s["tenants"]["alice"].update(gateway_hostnames=["evilalice.example.org"]), {},
     "netstack_tenants.alice.gateway_hostnames[0]", "outside the tenant's apex"),
    (lambda s: s["tenants"]["alice"].update(gateway_tls={"mode": "dns01"}), {},
     "netstack_tenants.alice.gateway_tls.dns01", "needs a DNS-01 provider"),
    (lambda s: None, {"tls": {"mode": "dns01", "dns01": {"provider": "route53", "secret_name": "aws"}}},
     "netstack_cluster.features.gateway_api.tls.dns01.region", "required for provider route53"),
    (lambda s: s["tenants"]["alice"].update(gateway_tls={"mode": "dns01", "dns01": {
        "provider": "rfc2136", "secret_name": "t", "nameserver": "ns:53"}}), {},
     "netstack_tenants.alice.gateway_tls.dns01.tsig_key_name", "required for provider rfc2136"),
    (lambda s: s["tenants"]["alice"].update(gateway_tls={"mode": "existing_secret"}), {},
     "netstack_tenants.alice.gateway_tls.secret", "needs the name of the certificate Secret"),
    (lambda s: s["tenants"]["root"].update(gateway_hostnames=["api.example.org"]), {},
     "netstack_tenants.root.gateway_passthrough", "both a TLS-passthrough hostname and an HTTPS hostname"),
    (lambda s: s["tenants"]["dev"].update(gateway_pool="public"), {},
     "netstack_tenants.dev.gateway_pool", "does not run its own Gateway"),
    (lambda s: s["tenants"]["staging"].update(gateway=False, gateway_hostnames=["x.staging.alice.example.org"]), {},
     "netstack_tenants.staging.gateway_hostnames", "uses no Gateway"),
    (lambda s: s["tenants"]["alice"].update(gateway_pool=5), {},
     "netstack_tenants.alice.gateway_pool", "must be string or null"),
    (lambda s: s["tenants"]["alice"].update(gateway_hostnames=["Bad_Name.example.org"]), {},
     "netstack_tenants.alice.gateway_hostnames[0]", "does not match"),
    (lambda s: s["load_balancer"]["pools"].__setitem__(0, dict(s["load_balancer"]["pools"][0], auto_assign=False)),
     {}, "netstack_tenants.alice.gateway_pool", "no load-balancer pool has auto_assign"),
    (lambda s: s["cluster"].__setitem__("components", {"gateway_api_crds": {
        "url": "https://mirror.example/{version}/standard-install.yaml"}}), {},
     "netstack_cluster.components.gateway_api_crds", "standard channel"),
    (lambda s: s["cluster"].__setitem__("components", {"gateway_api_crds": {"version": "v1.0.0"}}), {},
     "netstack_cluster.components.gateway_api_crds.version", "no Gateway spec.infrastructure"),
])
def test_bad_input_is_reported_with_its_path(mutate, gateway_api, path, words):
    problems = problems_of(_site_with(mutate, **gateway_api))
    assert path in paths(problems), problems
    message = " ".join(str(p) for p in problems if p.path == path)
    assert words in message, message


def test_listener_limit():
    tenants = example_tenants()
    tenants["root"]["gateway_hostnames"] = ["h%d.example.org" % i for i in range(61)]
    problems = problems_of(make_site(tenants))
    assert [str(p) for p in problems] == [
        "netstack_tenants.root.gateway: the Gateway would have 65 listeners; Gateway API allows 64 (use TLS mode "
        "dns01 (one wildcard listener per sub-tenant), fewer gateway_hostnames, or give some sub-tenants their own "
        "Gateway)"]
    tenants["root"]["gateway_hostnames"] = tenants["root"]["gateway_hostnames"][:60]
    assert problems_of(make_site(tenants)) == []


def test_acme_name_limit():
    tenants = {"root": {"host": "example.org", "gateway": True}}
    for i in range(52):
        tenants["t%d" % i] = {"parent": "root", "host": "t%d.example.net" % i}
    problems = problems_of(make_site(tenants, tls=DNS01))
    messages = [p.message for p in problems]
    assert any("would carry 106 names; Let's Encrypt issues at most 100" in m for m in messages), messages
    assert any("the Gateway would have 110 listeners" in m for m in messages), messages


def test_gateway_needs_the_feature():
    site = make_site(example_tenants(), enabled=False)
    section, problems = plan_for(site)
    assert paths(problems) == ["netstack_tenants.alice.gateway", "netstack_tenants.root.gateway"]
    assert section["gateways"] == []
    for tenant in site["tenants"].values():
        tenant.pop("gateway", None)
    section = planned(site)
    assert [b["name"] for b in section["apply"]] == ["admission-policies"]
    artefacts = gw.render_gateway({"gateway": section})
    assert sorted(artefacts) == ["gateway/admission-policies.yaml", "gateway/crds.yaml", "gateway/report.md"]


def test_no_admission_policies_when_switched_off():
    section = planned(make_site(example_tenants(), admission_policies=False))
    assert objects(section, "ValidatingAdmissionPolicy") == []


def test_problems_reach_the_plan_engine_once():
    """Through build_plan: the tenants area (when registered) and this one report a path once."""
    site = sitegen.make_site(tenants=2)
    inventory_vars = site[0]
    inventory_vars["netstack_cluster"]["features"]["gateway_api"]["attached_namespaces"] = ["tenant-t0"]
    with pytest.raises(PlanError) as caught:
        plan_core.build_plan(*site)
    problems = [p for p in caught.value.problems if "attached_namespaces" in p.path]
    assert [p.path for p in problems] == ["netstack_cluster.features.gateway_api.attached_namespaces[0]"]


# --- the generated objects pass the admission policies --------------------------

def admit_everything(section, site, namespace_patches=True):
    """Every Gateway and route the area generates, created by an untrusted user, is admitted; so is each HTTP-01
    solver route cert-manager creates; the namespace patches need a trusted caller."""
    admission = Admission(objects(section, "ValidatingAdmissionPolicy") + objects(
        section, "ValidatingAdmissionPolicyBinding"))
    assert len(admission.policies) == len(ap.POLICY_NAMES)
    labels, annotations = cluster_namespaces(section, site)

    def namespace_object(name):
        return {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": labels[name], "annotations": annotations.get(name, {})}}
    for obj in objects(section):
        if obj["kind"] in ("Gateway", "HTTPRoute"):
            allowed, decisions = admission.allowed(obj, None, namespace_object(obj["metadata"]["namespace"]),
                                                   UNTRUSTED_GROUPS)
            assert allowed, (obj["metadata"], decisions)
            assert decisions, "no policy looked at %s" % obj["metadata"]
    for certificate in objects(section, "Certificate"):
        if certificate["metadata"]["labels"].get("cozystack.io/per-listener-cert"):
            ns = certificate["metadata"]["namespace"]
            solver = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                      "metadata": {"name": "cm-acme-http-solver-x", "namespace": ns},
                      "spec": {"hostnames": certificate["spec"]["dnsNames"], "parentRefs": [
                          {"name": "cozystack", "namespace": ns, "sectionName": "http"}]}}
            allowed, decisions = admission.allowed(solver, None, namespace_object(ns),
                                                   ["system:serviceaccounts:cozy-cert-manager"])
            assert allowed, decisions
    for patch in objects(section, "Namespace") if namespace_patches else []:
        name = patch["metadata"]["name"]
        before = namespace_object(name)
        before["metadata"]["labels"] = dict((k, v) for k, v in before["metadata"]["labels"].items()
                                            if not k.startswith(ap.ATTACH_LABEL_PREFIX))
        before["metadata"]["annotations"] = {}
        after = namespace_object(name)
        if before != after:
            assert not admission.allowed(after, before, None, UNTRUSTED_GROUPS)[0]
            assert admission.allowed(after, before, None, ["system:masters"])[0]


def test_generated_objects_pass_the_admission_policies():
    tenants = example_tenants()
    tenants["bob"]["gateway_hostnames"] = ["shop.bob.example.net"]
    tenants["root"]["gateway_hostnames"] = ["dashboard.example.org"]
    site = make_site(tenants)
    admit_everything(planned(site), site)
    site = make_site(example_tenants(), tls=DNS01)
    admit_everything(planned(site), site)


# --- properties on random trees -------------------------------------------------

NAMES = ("a", "b", "dev", "prod", "x1", "team", "qa", "ops")


@st.composite
def trees(draw):
    names = draw(st.permutations(NAMES))[:draw(st.integers(1, 6))]
    tenants = {"root": {"host": "example.org", "gateway": draw(st.booleans())}}
    placed = ["root"]
    for name in names:
        options = {"parent": placed[draw(st.integers(0, len(placed) - 1))]}
        choice = draw(st.integers(0, 2))
        if choice:
            options["gateway"] = choice == 1
        if draw(st.integers(0, 3)) == 0:
            options["host"] = "%s.example.net" % name
        tenants[name] = options
        placed.append(name)
    return tenants


@settings(max_examples=20, deadline=None)
@given(trees(), st.sampled_from(["http01", "dns01"]))
def test_random_trees(tenants, mode):
    tls = DNS01 if mode == "dns01" else {"mode": "http01"}
    site = make_site(tenants, tls=tls, pools=[{"name": "public", "addresses": ["10.30.0.0/24"]}])
    for entry in tenants_mod.plan_tenants(site)["tenants"]:
        if entry["services"]["gateway"]:          # every tenant that uses a Gateway serves www.<apex>
            site["tenants"][entry["name"]]["gateway_hostnames"] = ["www." + entry["host"]]
    section, problems = plan_for(site)
    assert problems == []
    check_route_scope(section, site)
    entries = dict((e["namespace"], e) for e in tenants_mod.plan_tenants(site)["tenants"])
    for gateway in section["gateways"]:
        apexes = [gateway["apex"]] + gateway["delegated_apexes"]
        for listener in gateway["listeners"]:
            if "hostname" in listener:
                assert any(gw.inside(listener["hostname"].lstrip("*."), a) for a in apexes), listener
        assert all(entries[m]["services"]["gateway"] == gateway["namespace"] for m in gateway["members"])
    admit_everything(section, site, namespace_patches=False)   # (the slow part; the example covers them)
    assert all_errors(objects(section, "Gateway") + objects(section, "Issuer")) == []


def test_adding_a_tenant_leaves_other_gateways_alone():
    site = make_site(example_tenants(), tls=DNS01)
    before = gw.render_gateway({"gateway": planned(site)})
    site["tenants"]["carol"] = {"parent": "root"}
    after = gw.render_gateway({"gateway": planned(site)})
    changed = sorted(path for path in after if before.get(path) != after[path])
    # root's Gateway gains the listener for carol's apex; nobody else's objects move
    assert changed == ["gateway/report.md", "gateway/tenant-carol.yaml", "gateway/tenant-root.yaml"]
    assert before["gateway/tenant-alice.yaml"] == after["gateway/tenant-alice.yaml"]


def test_crd_reference_is_overridable():
    site = make_site(example_tenants())
    assert gw.gateway_api_crds(site)["url"] == (
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/experimental-install.yaml")
    site["cluster"]["components"] = {"gateway_api_crds": {"path": "/srv/mirror/experimental-install.yaml"}}
    problems = []
    reference = gw.gateway_api_crds(site, problems)
    assert reference["path"] == "/srv/mirror/experimental-install.yaml" and problems == []


# --- day 2: what the plan no longer holds ---------------------------------------

OWNED = {"app.kubernetes.io/managed-by": "netstack.baremetal"}


def _ref(obj):
    return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def _owned_refs(section):
    """(kind, namespace, name) of every whole object the plan applies (the partial Namespaces are only patches)."""
    return set(_ref(o) for o in objects(section) if o["kind"] != "Namespace")


def _http01_site():
    tenants = example_tenants()
    tenants["root"]["gateway_hostnames"] = ["dashboard.example.org", "example.org"]
    tenants["dev"]["gateway_hostnames"] = ["app.dev.alice.example.org"]
    return make_site(tenants, tls={"mode": "http01"})


def test_every_generated_object_carries_the_labels_its_kind_is_listed_by(example_plan):
    for section in (example_plan["gateway"], planned(_http01_site())):
        prune = section["prune"]
        kinds = dict(((k["api_version"], k["kind"]), k) for k in prune["kinds"])
        generated = [o for o in objects(section) if o["kind"] != "Namespace"]
        assert {"Gateway", "HTTPRoute", "Issuer", "Certificate", "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding"} == set(o["kind"] for o in generated)
        for obj in generated:
            labels = obj["metadata"]["labels"]
            assert labels["app.kubernetes.io/managed-by"] == "netstack.baremetal", _ref(obj)
            entry = kinds[(obj["apiVersion"], obj["kind"])]
            if entry["namespaced"]:
                assert labels["cozystack.io/gateway"] == obj["metadata"]["namespace"], _ref(obj)
                assert obj["metadata"]["namespace"] in prune["namespaces"]
            else:
                assert "internal.cozystack.io/managed-by-cozystack" in labels, _ref(obj)
            assert gw.selector_matches(entry["label_selectors"], labels), _ref(obj)
            assert [obj["metadata"].get("namespace", ""), obj["metadata"]["name"]] in entry["keep"]
            assert any(b["name"] == entry["batch"] and obj in b["objects"] for b in section["apply"])
        # keep holds exactly the planned objects; the plan keeps none of its own objects out
        kept = set((k["kind"], ns, name) for k in prune["kinds"] for ns, name in k["keep"])
        assert kept == _owned_refs(section)
        assert gw.stale_objects(prune, objects(section)) == []
    assert example_plan["gateway"]["prune"]["namespaces"] == [
        "tenant-alice", "tenant-alice-dev", "tenant-alice-dev-feature", "tenant-alice-staging", "tenant-bob",
        "tenant-root"]


def _listed(kind, namespace, name, labels, api_version=None, **metadata):
    meta = {"name": name, "labels": labels, "uid": "u-" + name, "resourceVersion": "7"}
    if namespace:
        meta["namespace"] = namespace
    meta.update(metadata)
    versions = {"Gateway": "gateway.networking.k8s.io/v1", "HTTPRoute": "gateway.networking.k8s.io/v1",
                "Certificate": "cert-manager.io/v1", "Issuer": "cert-manager.io/v1", "Secret": "v1",
                "ValidatingAdmissionPolicy": "admissionregistration.k8s.io/v1"}
    return {"apiVersion": api_version or versions[kind], "kind": kind, "metadata": meta, "spec": {}}


def test_stale_objects_only_ours_never_kept():
    section = planned(_http01_site())
    prune = section["prune"]
    ours = dict(OWNED, **{"cozystack.io/gateway": "tenant-root", "cozystack.io/per-listener-cert": "true"})
    gone = gw.listener_name("https", "old.example.org")[len("https-"):]
    stale_cert = _listed("Certificate", "tenant-root", "cozystack-%s-tls" % gone, ours)
    stale_gateway = _listed("Gateway", "tenant-bob", "cozystack", dict(OWNED, **{"cozystack.io/gateway": "tenant-bob"}))
    stale_policy = _listed("ValidatingAdmissionPolicy", None, "cozystack-old-policy",
                           dict(OWNED, **{"internal.cozystack.io/managed-by-cozystack": ""}))
    planned_cert = objects(section, "Certificate", "tenant-root")[0]
    survivors = [
        # the reference controller's Gateway and a look-alike without our managed-by label
        _listed("Gateway", "tenant-bob", "cozystack-old", {"cozystack.io/gateway": "tenant-bob",
                                                           "cozystack.io/managed-by": "cozystack-controller"}),
        _listed("Certificate", "tenant-root", "cozystack-%s-tls" % gone + "-copy", {"cozystack.io/gateway": "tenant-root"}),
        # another owner's value of managed-by, another area's object (no gateway label)
        _listed("HTTPRoute", "tenant-root", "cozystack-http-redirect-2", {
            "app.kubernetes.io/managed-by": "helm", "cozystack.io/gateway": "tenant-root"}),
        _listed("HTTPRoute", "tenant-root", "dashboard", dict(OWNED, **{"netstack.baremetal/tenant": "tenant-root"})),
        # a namespace no planned tenant has (left to the tenant removal), a Secret (never pruned)
        _listed("Gateway", "tenant-carol", "cozystack", dict(OWNED, **{"cozystack.io/gateway": "tenant-carol"})),
        _listed("Secret", "tenant-root", "cozystack-%s-tls" % gone, ours),
        # being deleted already: deleting it again would report a change on every run
        _listed("Issuer", "tenant-bob", "cozystack-gateway", dict(OWNED, **{"cozystack.io/gateway": "tenant-bob"}),
                deletionTimestamp="2026-01-01T00:00:00Z"),
        # a planned object, as the cluster returns it (server fields, extra labels)
        dict(copy.deepcopy(planned_cert), metadata=dict(planned_cert["metadata"], uid="x", resourceVersion="9")),
        # the planned policies, named like the stale one
        _listed("ValidatingAdmissionPolicy", None, ap.GATEWAY_POLICY, dict(OWNED, **ap.REFERENCE_LABELS)),
        _listed("ValidatingAdmissionPolicy", None, "cozystack-foreign-policy", dict(ap.REFERENCE_LABELS)),
    ]
    listed = survivors + [stale_policy, stale_cert, stale_gateway]
    expected = [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
         "metadata": {"name": "cozystack", "namespace": "tenant-bob"}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
         "metadata": {"name": "cozystack-%s-tls" % gone, "namespace": "tenant-root"}},
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
         "metadata": {"name": "cozystack-old-policy"}},
    ]
    assert gw.stale_objects(prune, listed) == expected
    # the order does not depend on the listing's; k8s_info results and a looped register give the same
    assert gw.stale_objects(prune, list(reversed(listed))) == expected
    results = [{"resources": [o for o in listed if o["kind"] == k["kind"]], "api_found": True,
                "gateway_prune_kind": k} for k in prune["kinds"]]
    assert gw.stale_objects(prune, results) == expected
    assert gw.stale_objects(prune, {"results": results + [{"skipped": True}], "changed": False}) == expected
    assert gw.stale_objects(prune, []) == []


def test_selector_matches():
    labels = {"a": "1", "b": ""}
    assert gw.selector_matches(["a=1", "b"], labels) and gw.selector_matches(["a==1,b,!c", "a!=2"], labels)
    assert not gw.selector_matches(["a=2"], labels) and not gw.selector_matches(["c"], labels)
    assert not gw.selector_matches(["!b"], labels) and not gw.selector_matches(["a!=1"], labels)
    assert gw.selector_matches([], labels)


def test_switching_a_tenant_off_and_removing_a_hostname_prunes_exactly_what_went():
    site = _http01_site()
    before = planned(site)
    site["tenants"]["alice"].pop("gateway")                       # alice inherits root's Gateway
    site["tenants"]["root"]["gateway_hostnames"] = ["example.org"]   # dashboard.example.org goes
    after = planned(site)
    cluster = objects(before) + objects(after)                     # after the apply, before the prune
    stale = [_ref(o) for o in gw.stale_objects(after["prune"], cluster)]
    dashboard = "cozystack-%s-tls" % gw.listener_name("https", "dashboard.example.org")[len("https-"):]
    assert stale == [("HTTPRoute", "tenant-alice", "cozystack-http-redirect"),
                     ("Gateway", "tenant-alice", "cozystack"),
                     ("Certificate", "tenant-alice",
                      "cozystack-%s-tls" % gw.listener_name("https", "app.dev.alice.example.org")[len("https-"):]),
                     ("Certificate", "tenant-root", dashboard),
                     ("Issuer", "tenant-alice", "cozystack-gateway")]
    assert set(stale) == _owned_refs(before) - _owned_refs(after)
    # the feature switched off: every Gateway object goes, the admission policies stay (they guard Ingresses too)
    site["cluster"]["features"]["gateway_api"]["enabled"] = False
    for options in site["tenants"].values():
        options.pop("gateway", None)
        options.pop("gateway_hostnames", None)
    off = planned(site)
    stale = [_ref(o) for o in gw.stale_objects(off["prune"], cluster)]
    assert set(stale) == (_owned_refs(before) | _owned_refs(after)) - _owned_refs(off)
    assert set(kind for kind, _ns, _n in stale) == {"HTTPRoute", "Gateway", "Certificate", "Issuer"}
    assert off["prune"]["namespaces"] == after["prune"]["namespaces"]


@settings(max_examples=15, deadline=None)
@given(trees(), st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=9, max_size=9),
       st.sampled_from(["http01", "dns01"]))
def test_random_changes_prune_the_difference(tenants, changes, mode):
    """Any change of who owns a Gateway and of the hostnames: stale == what the old plan applied and the new does
    not, computed on a cluster holding both (after the new apply, before the prune)."""
    tls = DNS01 if mode == "dns01" else {"mode": "http01"}
    site = make_site(tenants, tls=tls, pools=[{"name": "public", "addresses": ["10.30.0.0/24"]}])

    def serve_www(keep):
        for entry in tenants_mod.plan_tenants(site)["tenants"]:
            if entry["services"]["gateway"] and keep(entry["name"]):
                site["tenants"][entry["name"]]["gateway_hostnames"] = ["www." + entry["host"]]
    serve_www(lambda name: True)
    before = planned(site)
    change = dict(zip(sorted(site["tenants"]), changes))
    for name, options in site["tenants"].items():
        options.pop("gateway", None)
        options.pop("gateway_hostnames", None)
        if change[name][0]:
            options["gateway"] = change[name][0] == 1
    serve_www(lambda name: change[name][1])
    after = planned(site)
    stale = gw.stale_objects(after["prune"], objects(before) + objects(after))
    assert set(_ref(o) for o in stale) == _owned_refs(before) - _owned_refs(after)
    assert len(stale) == len(set(_ref(o) for o in stale))


# --- before applying: the tenant namespaces must be the tenants area's ---------

def _namespace(name, labels=None, deleting=False):
    metadata = {"name": name, "labels": dict({"kubernetes.io/metadata.name": name}, **(labels or {}))}
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def test_each_tenant_names_the_label_only_the_tenants_area_sets(example_plan):
    """gateway.tenants[*].applied_label is a label of the tenant's planned Namespace: the root's no-delete label, a
    sub-tenant's own subtree label (never one a parent's apply or the gateway area puts there)."""
    planned = {t["namespace"]: t for t in example_plan["tenants"]["tenants"]}
    for entry in example_plan["gateway"]["tenants"]:
        namespace = next(o for o in planned[entry["namespace"]]["objects"] if o["kind"] == "Namespace")
        assert entry["applied_label"] in namespace["metadata"]["labels"], entry
    applied = dict((t["namespace"], t["applied_label"]) for t in example_plan["gateway"]["tenants"])
    assert applied["tenant-root"] == "platform.cozystack.io/no-delete"
    assert applied["tenant-alice-dev"] == "tenant.cozystack.io/tenant-alice-dev"


def test_unready_tenant_namespaces(example_plan):
    tenants = example_plan["gateway"]["tenants"]
    applied = [_namespace(t["namespace"], {t["applied_label"]: ""}) for t in tenants]
    assert gw.unready_tenant_namespaces(tenants, applied) == []
    assert gw.unready_tenant_namespaces(tenants, {"resources": applied}) == []      # a k8s_info result
    live = [o for o in applied if o["metadata"]["name"] not in ("tenant-root", "tenant-bob", "tenant-alice-dev")]
    live += [_namespace("tenant-bob", {"namespace.cozystack.io/host": "bob.example.net"}),    # not the marker
             _namespace("tenant-alice-dev", {"tenant.cozystack.io/tenant-alice-dev": ""}, deleting=True)]
    # parents first: the root, then by namespace
    assert gw.unready_tenant_namespaces(tenants, live) == [
        {"tenant": "root", "namespace": "tenant-root", "reason": "missing"},
        {"tenant": "dev", "namespace": "tenant-alice-dev", "reason": "being deleted"},
        {"tenant": "bob", "namespace": "tenant-bob", "reason": "not applied"}]
    # check mode: what the tenants role of the same run would create or complete counts as applied
    assert gw.unready_tenant_namespaces(tenants, live, ["tenant-root", "tenant-bob"]) == [
        {"tenant": "dev", "namespace": "tenant-alice-dev", "reason": "being deleted"}]
