"""The bench's TLS certificate: self-signed, ECDSA P-256, for 127.0.0.1 and localhost, made once
with openssl into bench/target/tls/ (ignored by git). Shared by instructions.py --tls and
run.py smoke; standard library only."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

TLS_DIR = Path(__file__).resolve().parent / "target" / "tls"


def tls_files() -> tuple[Path, Path]:
    """The certificate and its key, made with openssl if they are not there yet."""
    cert, key = TLS_DIR / "cert.pem", TLS_DIR / "key.pem"
    if cert.exists() and key.exists():
        return cert, key
    if shutil.which("openssl") is None:
        raise RuntimeError("TLS needs openssl (Debian package `openssl`) to make a certificate")
    TLS_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "3650", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    return cert, key


def server_args(files: tuple[Path, Path]) -> list[str]:
    """A Rust bench server's flags to serve HTTPS with `files`."""
    return ["--tls-cert", str(files[0]), "--tls-key", str(files[1])]


def client_context(cert: Path, alpn: list[str]) -> ssl.SSLContext:
    """A client context that trusts exactly the bench certificate and offers `alpn`."""
    context = ssl.create_default_context(cafile=str(cert))
    context.set_alpn_protocols(alpn)
    return context
