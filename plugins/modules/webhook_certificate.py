#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: webhook_certificate
short_description: Keep or issue the serving certificate of an in-cluster admission webhook
version_added: 0.1.0
description:
  - Run on the controller by the C(cluster_network) role before the port-security webhook's objects are applied
    (Kubernetes older than 1.36; docs/cluster_network.md, "Port security"). Computes only; it reads and writes
    nothing on the cluster.
  - Keeps the CA and serving certificate the webhook's Secret already holds while they are sound (they parse, the
    key matches, the certificate is signed by the CA, names exactly O(dns_names) and has more than a year left);
    renews the serving certificate under the same CA when it does not, and starts over with a new CA when the CA
    itself is unsound or ends within a year. CA 10 years, serving certificate 5 years, ECDSA P-256.
  - Returns the Secret's data to store and the release's objects with the CA in the webhook configuration's
    C(caBundle) and the certificate's checksum on the Deployment's pod template (so a renewal rolls the pods).
  - The returned C(secret_data) holds private keys; run the task with C(no_log).
options:
  existing:
    description:
      - The C(data) of the existing Secret (base64 values, as C(kubernetes.core.k8s_info) returns them); empty when
        there is none.
      - It holds private keys, and so does the result; the option is not marked C(no_log) because Ansible would then
        mask the same values in the result (a kept certificate comes back unchanged); run the task with C(no_log).
    type: dict
    default: {}
  dns_names:
    description: The names the certificate must carry (the webhook Service's).
    type: list
    elements: str
    required: true
  ca_name:
    description: Common name of a new CA.
    type: str
    default: netstack-webhook-ca
  objects:
    description: The release's objects (they hold the webhook configuration and the Deployment).
    type: list
    elements: dict
    required: true
  configuration:
    description: Name of the C(MutatingWebhookConfiguration) whose webhook gets the C(caBundle).
    type: str
    required: true
  webhook:
    description: Name of the webhook entry in it.
    type: str
    required: true
  deployment:
    description: Name of the webhook's Deployment.
    type: str
    required: true
  checksum_annotation:
    description: Pod template annotation that carries the certificate's checksum.
    type: str
    required: true
requirements:
  - cryptography (a dependency of ansible-core)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
author:
  - netstack.baremetal contributors (@netstack)
"""

EXAMPLES = r"""
- name: Keep or issue the webhook certificate
  netstack.baremetal.webhook_certificate:
    existing: "{{ secret.resources[0].data | default({}) }}"
    dns_names: [kubeovn-webhook, kubeovn-webhook.cozy-kubeovn, kubeovn-webhook.cozy-kubeovn.svc]
    objects: "{{ release.objects }}"
    configuration: kubeovn-webhook
    webhook: port-security.kubeovn-webhook.netstack.io
    deployment: kubeovn-webhook
    checksum_annotation: netstack.io/tls-checksum
  register: certificate
  no_log: true
"""

RETURN = r"""
secret_data:
  description: The Secret's data to store (base64 values of C(ca.crt), C(ca.key), C(tls.crt), C(tls.key)).
  returned: always
  type: dict
objects:
  description: The release's objects with the C(caBundle) and the checksum annotation filled in.
  returned: always
  type: list
  elements: dict
issued:
  description: Why a certificate was issued, or null when the existing one is kept.
  returned: always
  type: str
  sample: no certificate yet
not_after:
  description: End of the serving certificate's validity (ISO 8601).
  returned: always
  type: str
  sample: "2031-12-05T06:53:35+00:00"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.netstack.baremetal.plugins.module_utils import webhook_tls


def main():
    module = AnsibleModule(
        argument_spec=dict(
            existing=dict(type="dict", default={}, no_log=False),
            dns_names=dict(type="list", elements="str", required=True),
            ca_name=dict(type="str", default="netstack-webhook-ca"),
            objects=dict(type="list", elements="dict", required=True),
            configuration=dict(type="str", required=True),
            webhook=dict(type="str", required=True),
            deployment=dict(type="str", required=True),
            checksum_annotation=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    if not webhook_tls.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=webhook_tls.CRYPTOGRAPHY_IMPORT_ERROR)
    params = module.params
    existing = webhook_tls.decode_secret_data(params["existing"])
    pems, reason = webhook_tls.keep_or_issue(existing, params["dns_names"], params["ca_name"])
    try:
        objects = webhook_tls.inject(params["objects"], pems, params["configuration"], params["webhook"],
                                     params["deployment"], params["checksum_annotation"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=reason is not None, issued=reason, objects=objects,
                     secret_data=webhook_tls.encode_secret_data(pems),
                     not_after=webhook_tls.not_after(pems["tls.crt"]))


if __name__ == "__main__":
    main()
