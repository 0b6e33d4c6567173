# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The serving certificate of an in-cluster admission webhook, issued on the controller.

The reference gets its webhook certificates from cert-manager, which this collection does not install (and
which would have to run before the first tenant pod). Here the role asks, in apply mode, for:

* a private CA (``ca.crt``/``ca.key``, ECDSA P-256, 10 years) that only the webhook configuration's
  ``caBundle`` trusts;
* a serving certificate (``tls.crt``/``tls.key``, 5 years, never past the CA) for the Service's DNS names.

``keep_or_issue`` keeps what the Secret already holds while it is sound: the CA and the leaf parse, the
leaf is signed by the CA, has exactly the wanted DNS names and more than ``RENEW_BEFORE`` left, and the key
matches. A leaf near its end is renewed under the same CA (the ``caBundle`` does not change, the pods roll
onto it through the checksum annotation); a CA near its end, or anything unsound, starts over.

``inject`` fills the ``caBundle`` of the webhook configuration and stamps the Deployment's pod template with
the leaf's checksum. Pure Python on top of ``cryptography`` (an ansible-core dependency); no Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import datetime
import hashlib
import traceback

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - cryptography comes with ansible-core
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

CA_DAYS = 3650
LEAF_DAYS = 1825
RENEW_BEFORE = datetime.timedelta(days=365)
KEYS = ("ca.crt", "ca.key", "tls.crt", "tls.key")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _not_after(cert):
    return cert.not_valid_after_utc if hasattr(cert, "not_valid_after_utc") else \
        cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def issue_ca(common_name, now=None):
    now = now or _now()
    key = _key()
    cert = (x509.CertificateBuilder()
            .subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return {"ca.crt": _cert_pem(cert), "ca.key": _key_pem(key)}


def issue_leaf(ca, dns_names, now=None):
    """A serving certificate for ``dns_names`` signed by ``ca`` (``{"ca.crt", "ca.key"}``)."""
    now = now or _now()
    ca_cert = x509.load_pem_x509_certificate(ca["ca.crt"].encode())
    ca_key = serialization.load_pem_private_key(ca["ca.key"].encode(), password=None)
    key = _key()
    not_after = min(now + datetime.timedelta(days=LEAF_DAYS), _not_after(ca_cert))
    cert = (x509.CertificateBuilder()
            .subject_name(_name(dns_names[-1])).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return {"tls.crt": _cert_pem(cert), "tls.key": _key_pem(key)}


def _ca_problem(pems, now):
    try:
        cert = x509.load_pem_x509_certificate(pems["ca.crt"].encode())
        key = serialization.load_pem_private_key(pems["ca.key"].encode(), password=None)
    except Exception as exc:  # pylint: disable=broad-except  # any unreadable PEM means "issue anew"
        return "the CA does not parse (%s)" % exc.__class__.__name__
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        return "the CA key does not match its certificate"
    if _not_after(cert) - now < RENEW_BEFORE:
        return "the CA ends on %s" % _not_after(cert).date()
    return None


def _leaf_problem(pems, dns_names, now):
    try:
        ca_cert = x509.load_pem_x509_certificate(pems["ca.crt"].encode())
        cert = x509.load_pem_x509_certificate(pems["tls.crt"].encode())
        key = serialization.load_pem_private_key(pems["tls.key"].encode(), password=None)
    except Exception as exc:  # pylint: disable=broad-except
        return "the certificate does not parse (%s)" % exc.__class__.__name__
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        return "the key does not match the certificate"
    try:
        cert.verify_directly_issued_by(ca_cert)
    except Exception:  # pylint: disable=broad-except  # ValueError, InvalidSignature, TypeError
        return "the certificate is not signed by the CA"
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    if sorted(names) != sorted(dns_names):
        return "the certificate names %s, not %s" % (", ".join(sorted(names)), ", ".join(sorted(dns_names)))
    if _not_after(cert) - now < RENEW_BEFORE:
        return "the certificate ends on %s" % _not_after(cert).date()
    return None


def keep_or_issue(existing, dns_names, ca_name, now=None):
    """``(pems, reason)``: the PEMs to store (``ca.crt``, ``ca.key``, ``tls.crt``, ``tls.key``) and why they
    were (re)issued, or None when ``existing`` (the Secret's data, decoded) is kept as it is."""
    now = now or _now()
    existing = dict((k, v) for k, v in (existing or {}).items() if k in KEYS and v)
    if not all(k in existing for k in KEYS):
        missing = [k for k in KEYS if k not in existing]
        reason = "no certificate yet" if len(missing) == len(KEYS) else "missing %s" % ", ".join(missing)
        ca = issue_ca(ca_name, now)
        return dict(ca, **issue_leaf(ca, dns_names, now)), reason
    ca_problem = _ca_problem(existing, now)
    if ca_problem:
        ca = issue_ca(ca_name, now)
        return dict(ca, **issue_leaf(ca, dns_names, now)), ca_problem
    leaf_problem = _leaf_problem(existing, dns_names, now)
    if leaf_problem:
        ca = {"ca.crt": existing["ca.crt"], "ca.key": existing["ca.key"]}
        return dict(ca, **issue_leaf(ca, dns_names, now)), leaf_problem
    return dict((k, existing[k]) for k in KEYS), None


def decode_secret_data(data):
    """A Secret's ``data`` (base64 values) as text; undecodable values are dropped (and so re-issued)."""
    decoded = {}
    for key, value in (data or {}).items():
        try:
            decoded[key] = base64.b64decode(value).decode()
        except (TypeError, ValueError):
            continue
    return decoded


def encode_secret_data(pems):
    return dict((key, base64.b64encode(pems[key].encode()).decode()) for key in KEYS)


def checksum(pems):
    """What rolls the webhook's pods onto a new certificate (the leaf's SHA-256, shortened)."""
    return hashlib.sha256(pems["tls.crt"].encode()).hexdigest()[:16]


def inject(objects, pems, configuration, webhook, deployment, annotation):
    """A copy of ``objects`` with the CA in the webhook configuration and the checksum on the pod template."""
    ca_bundle = base64.b64encode(pems["ca.crt"].encode()).decode()
    found = set()
    result = copy.deepcopy(objects)
    for obj in result:
        name = obj.get("metadata", {}).get("name")
        if obj.get("kind") == "MutatingWebhookConfiguration" and name == configuration:
            for entry in obj.get("webhooks", []):
                if entry.get("name") == webhook:
                    entry["clientConfig"]["caBundle"] = ca_bundle
                    found.add("configuration")
        elif obj.get("kind") == "Deployment" and name == deployment:
            template = obj["spec"]["template"].setdefault("metadata", {})
            template.setdefault("annotations", {})[annotation] = checksum(pems)
            found.add("deployment")
    missing = set(["configuration", "deployment"]) - found
    if missing:
        raise ValueError("webhook_tls: no %s in the release's objects" % " and no ".join(sorted(missing)))
    return result


def not_after(cert_pem):
    """End of a certificate's validity, ISO 8601."""
    return _not_after(x509.load_pem_x509_certificate(cert_pem.encode())).isoformat()
