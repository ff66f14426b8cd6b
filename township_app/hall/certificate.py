"""The hall server's certificate: made once at set-up, self-signed, kept in the data folder.

Nobody else signs it: the other windows trust it by its SHA-256 fingerprint, which IT staff read
off the hall server (``bianmin-township hall-fingerprint``) and give to each window's desktop, as
enrollment pins central's key; a plain browser is told once to trust it (user guide).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.errors import N_, InvalidInput

CERT_FILE = "hall-cert.pem"
KEY_FILE = "hall-key.pem"
VALID_DAYS = 3650  # a hall PC lives about that long; a new one is made with --force


def cert_path(home: Path) -> Path:
    """Return where the hall certificate is kept."""
    return home / CERT_FILE


def key_path(home: Path) -> Path:
    """Return where the hall certificate's private key is kept (readable by the owner only)."""
    return home / KEY_FILE


def _alternative_names(names: list[str]) -> list[x509.GeneralName]:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def make_certificate(home: Path, names: list[str], now: datetime, *, force: bool = False) -> str:
    """Make the hall's key and self-signed certificate for ``names`` (host names and addresses);
    return its fingerprint. An existing one is kept unless ``force``."""
    names = list(dict.fromkeys(n.strip().lower() for n in names if n.strip()))
    if not names:
        raise InvalidInput(N_("请至少给出一个大厅服务器的名称或地址。"), field="name")
    if cert_path(home).exists() and not force:
        raise InvalidInput(
            N_(
                "大厅服务器证书已经存在（指纹 %(fingerprint)s）。确需重做请加 --force，并把新指纹告诉各窗口。"
            ),
            field="name",
            fingerprint=fingerprint(home),
        )
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bianmin hall server"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now.astimezone(UTC) - timedelta(days=1))
        .not_valid_after(now.astimezone(UTC) + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_alternative_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    home.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(key_path(home), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key_bytes)
    cert_path(home).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return fingerprint(home)


def format_fingerprint(der: bytes) -> str:
    """Return the SHA-256 fingerprint of a DER certificate as browsers show it (AB:CD:...)."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def fingerprint(home: Path) -> str:
    """Return the SHA-256 fingerprint of the hall certificate kept in ``home``."""
    if not cert_path(home).exists():
        raise InvalidInput(
            N_("还没有大厅服务器证书，请先运行 bianmin-township hall-cert。"), field="cert"
        )
    certificate = x509.load_pem_x509_certificate(cert_path(home).read_bytes())
    return format_fingerprint(certificate.public_bytes(serialization.Encoding.DER))


def certificate_names(home: Path) -> list[str]:
    """Return the names and addresses the hall certificate was made for."""
    certificate = x509.load_pem_x509_certificate(cert_path(home).read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(n.value).lower() for n in names]


def normal_fingerprint(text: str) -> str:
    """Return a fingerprint as typed (any case, colons, spaces or none) in the AB:CD:... form,
    or raise when it is not 32 bytes of hex."""
    digits = "".join(c for c in text.upper() if c not in ": -")
    if len(digits) != 64 or digits.strip("0123456789ABCDEF"):
        raise InvalidInput(
            N_("证书指纹应为 64 位十六进制数字（可带冒号），请照大厅服务器上显示的指纹填写。"),
            field="fingerprint",
        )
    return ":".join(digits[i : i + 2] for i in range(0, 64, 2))
