"""A throw-away CA and server certificates made with the real ``openssl`` command, for https tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

OPENSSL = "/usr/bin/openssl"
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args: str) -> None:
    subprocess.run([OPENSSL, *args], check=True, capture_output=True, timeout=60)


def make_ca(directory: Path, name: str = "herd test CA") -> tuple[Path, Path]:
    """(ca.pem, ca.key): a self-signed CA valid for two days."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "ca.pem", directory / "ca.key"
    _openssl("req", "-x509", *EC, "-keyout", str(key), "-out", str(cert), "-days", "2",
             "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_server_cert(directory: Path, ca: tuple[Path, Path], address: str) -> tuple[Path, Path]:
    """(cert.pem, key.pem) for the IP ``address``, signed by ``ca``."""
    cert, key, csr = directory / "server.pem", directory / "server.key", directory / "server.csr"
    extensions = directory / "server.ext"
    extensions.write_text(f"subjectAltName=IP:{address}\nbasicConstraints=CA:FALSE\n"
                          "extendedKeyUsage=serverAuth\n")
    _openssl("req", *EC, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={address}")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
             "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(extensions))
    return cert, key
