"""The generated lighttpd web front as lighttpd itself reads it (``lighttpd -tt``): clean, and a misspelt key, which
lighttpd only warns about and ignores, fails validation; php-cgi not installed where validation runs does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_helpers import copy_fixture, run_cli

from nagios_herd.generate import validators
from nagios_herd.generate.render import WEB_CONF

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("web-front")
    done = run_cli("generate", "--inventory", str(copy_fixture(base / "inventory") / "herd.toml"),
                   "--output", str(base / "out"))
    assert done.returncode == 0, done.stderr
    return base / "out"


def _confs(tree: Path) -> list[Path]:
    return sorted(tree.glob(f"guests/*/{WEB_CONF}"))


def test_every_guests_web_front_passes_lighttpd_with_nothing_to_say(tree: Path) -> None:
    assert _confs(tree)
    for conf in _confs(tree):
        assert validators.check_web(tree, conf) == [validators.Result(conf.relative_to(tree).as_posix(), True)]
        text = conf.read_text()
        # PHP only for Debian's nagios4 pages: the one fastcgi.server is inside the /nagios4/ condition
        assert text.count("fastcgi.server") == 1
        assert text.index('$HTTP["url"] =~ "^/nagios4/" {') < text.index("fastcgi.server")


def test_a_misspelt_key_fails_in_one_line_naming_it(tree: Path, tmp_path: Path) -> None:
    conf = tmp_path / "guests/g/etc/lighttpd/conf-available/50-nagios-herd.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(_confs(tree)[0].read_text().replace("index-file.names", "index-file.name"))
    [result] = validators.check_web(tmp_path, conf)
    assert not result.ok
    assert result.reason == "lighttpd -tt: WARNING: unknown config-key: index-file.name (ignored)"


def test_php_cgi_missing_where_validate_runs_is_no_failure(tree: Path, tmp_path: Path) -> None:
    conf = tmp_path / "guests/g/etc/lighttpd/conf-available/50-nagios-herd.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(_confs(tree)[0].read_text().replace("/usr/bin/php-cgi", str(tmp_path / "no-php-cgi")))
    assert validators.check_web(tmp_path, conf)[0].ok
    executable = tmp_path / "not-executable"
    executable.write_text("")
    conf.write_text(_confs(tree)[0].read_text().replace("/usr/bin/php-cgi", str(executable)))
    [result] = validators.check_web(tmp_path, conf)  # one that exists but cannot run is a fault of the config
    assert not result.ok and str(executable) in result.reason
