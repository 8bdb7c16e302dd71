"""DRBD peer authentication: ``cram-hmac-alg`` and ``shared-secret`` from a root-only secrets file.

Why a separate file: the inventory is shared with every team and kept in version control; a secret there is no
secret. The inventory only names the file (``herd.drbd_secrets``); it is read at generation, refused unless it is
a regular file owned by root (or the running user) that nobody else may read, and every message about it names
the file and the field, never a secret. The resource files that carry the secret are written 0600 (see
:mod:`nagios_herd.generate.buildtree`) and keep that mode through ``fab deploy``.

Format (TOML)::

    cram_hmac_alg = "sha256"                     # sha1, sha256 or sha512
    shared_secret = "…"                          # every resource's secret, unless listed below
    [resources]
    team-web = "…"                               # this guest's resource gets its own

A secret is 16 to 64 characters (DRBD keeps at most 64) of letters, digits and ``!#%&()*+,./:<=>?@^_~-``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from nagios_herd.errors import HerdError
from nagios_herd.privilege import read_secrets_toml

ALGORITHMS = ("sha1", "sha256", "sha512")
SECRET = re.compile(r"^[A-Za-z0-9!#%&()*+,./:<=>?@^_~-]{16,64}$")
KEYS = {"cram_hmac_alg", "shared_secret", "resources"}


@dataclass(frozen=True)
class DrbdAuth:
    algorithm: str
    default: str = field(repr=False)
    resources: dict[str, str] = field(default_factory=dict, repr=False)

    def secret(self, resource: str) -> str:
        return self.resources.get(resource, self.default)


def load(path: str, resources: Iterable[str]) -> DrbdAuth:
    """The authentication settings for ``resources``; one line naming the file and field on any problem."""
    document = read_secrets_toml(path, "DRBD secrets file", KEYS)
    algorithm = document.get("cram_hmac_alg")
    if algorithm not in ALGORITHMS:
        raise HerdError(f"{path}: cram_hmac_alg: must be one of {', '.join(ALGORITHMS)}")
    own = document.get("resources", {})
    if not isinstance(own, dict):
        raise HerdError(f"{path}: resources: must be a table of resource = secret")
    wanted = list(resources)
    for name in sorted(set(own) - set(wanted)):
        raise HerdError(f"{path}: resources.{name}: not a DRBD resource of this herd")
    default = document.get("shared_secret", "")
    for where, secret in [("shared_secret", default), *((f"resources.{name}", own[name]) for name in sorted(own))]:
        if where == "shared_secret" and "shared_secret" not in document:
            continue
        if not isinstance(secret, str) or not SECRET.match(secret):
            raise HerdError(f"{path}: {where}: a secret is 16 to 64 characters of letters, digits and "
                            f"!#%&()*+,./:<=>?@^_~- (value not shown)")
    missing = [name for name in wanted if name not in own and not default]
    if missing:
        raise HerdError(f"{path}: shared_secret: missing, and resources.{missing[0]} is not set either")
    return DrbdAuth(algorithm, default, dict(own))
