"""Local servers for the messaging round trips: an aiosmtpd SMTP server on loopback (plain,
STARTTLS or implicit TLS with a throwaway CA)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.net import free_port

USER, PASSWORD = "conveyor", "s3cret-relay"


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(), PASSWORD.encode())
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@dataclass(frozen=True)
class TlsFiles:
    ca_file: str
    server_context: ssl.SSLContext


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1, trusted through `ca_file` only."""
    folder: Path = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return TlsFiles(str(cert_path), context)


@pytest.fixture
def smtp_server():
    """Start servers on demand: smtp_server(mode) with mode plain | starttls | tls."""
    started: list[Controller] = []

    def start(mode: str = "plain", tls: TlsFiles | None = None) -> tuple[Inbox, int]:
        inbox, port = Inbox(), free_port()
        options: dict = {"authenticator": inbox.authenticate, "auth_require_tls": False}
        if mode == "starttls":
            options |= {"tls_context": tls.server_context, "require_starttls": True}
        elif mode == "tls":
            options |= {"ssl_context": tls.server_context}
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        if mode == "tls":
            controller.ready_timeout = 5
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()
