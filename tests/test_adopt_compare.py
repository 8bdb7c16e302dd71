"""The pure parts of adopt: reading Nagios' precached object file, mapping it to team arrays, comparing two
resolved configurations by meaning (renames allowed, behaviour not)."""

from __future__ import annotations

from nagios_herd.adopt.compare import compare
from nagios_herd.adopt.reader import expand_users, number, team_content
from nagios_herd.parsers.nagios_objects import parse_main, parse_objects, parse_resource

PRECACHE = """########################################
#       NAGIOS OBJECT CACHE FILE
########################################

define timeperiod {
\ttimeperiod_name\tholidays
\talias\tHolidays
\tdecember 25\t00:00-24:00
\t}

define command {
\tcommand_name\tcheck_x
\tcommand_line\t$USER1$/check_x -H $HOSTADDRESS$ -w $ARG1$ ; not a comment here
\t}

define contactgroup {
\tcontactgroup_name\tops
\tmembers\ta,b
\t}

define host {
\thost_name\th1
\talias\th1
\taddress\t192.0.2.1
\tcheck_command\tcheck_x!3
\tcontact_groups\tops
\tcheck_interval\t5.000000
\tmax_check_attempts\t4
\tnotification_interval\t2.500000
\t_PORT\t22
\t}
"""


def resolved(text: str = PRECACHE) -> list[tuple[str, dict[str, str]]]:
    return parse_objects(text)


def test_precache_parser_keeps_values_verbatim_and_keys_with_spaces() -> None:
    objects = resolved()
    assert [kind for kind, _ in objects] == ["timeperiod", "command", "contactgroup", "host"]
    assert objects[0][1]["december 25"] == "00:00-24:00"
    assert objects[1][1]["command_line"].endswith("$ARG1$ ; not a comment here")
    assert objects[3][1]["_PORT"] == "22"


def test_main_and_resource_files() -> None:
    assert parse_main("# c\ncfg_dir = objects \n\nlog_file=/x\nnonsense\n") == [("cfg_dir", "objects"),
                                                                                 ("log_file", "/x")]
    assert parse_resource("# c\n$USER1$=/usr/lib/nagios/plugins\n$USER7$=a=b$\n") == {
        "USER1": "/usr/lib/nagios/plugins", "USER7": "a=b$"}


def test_numbers_as_a_person_writes_them() -> None:
    assert [number(v) for v in ("5.000000", "2.500000", "0.000000", "10", "-1.250000", "a.0")] == [
        "5", "2.5", "0", "10", "-1.25", "a.0"]


HERD_MACROS = {"USER1": "/usr/lib/nagios/plugins", "USER2": "/usr/lib/nagios/plugins/nagios-herd",
               "USER3": "/var/lib/nagios-herd/cgi-auth"}


def test_team_content_keeps_what_differs_from_nagios_defaults() -> None:
    adopted = team_content(resolved(), {}, HERD_MACROS, {"USER1": "/opt/p"}, "t")
    host = adopted.arrays["hosts"][0]
    assert host["contacts"] == ["a", "b"]  # the contact group, as its effective members
    assert host["nagios"] == {"check_command": "check_x!3", "max_check_attempts": "4",
                              "notification_interval": "2.5", "_PORT": "22"}  # check_interval 5 is the default
    # the server's $USER1$ means something else than the herd's: it moves to a free number, its value to the
    # guest's resource secrets, never into the line
    assert adopted.arrays["commands"] == [{"name": "check_x", "line": "$USER4$/check_x -H $HOSTADDRESS$ -w $ARG1$ "
                                                                      "; not a comment here"}]
    assert (adopted.macros, adopted.moved) == ({"USER4": "/opt/p"}, {"USER1": "USER4"})
    assert "/opt/p" not in repr(adopted)
    assert adopted.arrays["timeperiods"][0]["december 25"] == "00:00-24:00"


def test_user_macros_stay_macros_in_lines_and_arguments() -> None:
    text = PRECACHE.replace("$USER1$/check_x", "$USER1$/check_x -p $USER7$ -q $$USER7$$").replace(
        "check_x!3", "check_x!$USER9$")
    server = {"USER1": "/usr/lib/nagios/plugins", "USER7": "s3cr3t", "USER9": "t0ken", "USER8": "unused"}
    adopted = team_content(resolved(text), {}, HERD_MACROS, server, "t")
    assert adopted.arrays["commands"][0]["line"] == (
        "$USER1$/check_x -p $USER7$ -q $$USER7$$ -H $HOSTADDRESS$ -w $ARG1$ ; not a comment here")
    assert adopted.arrays["hosts"][0]["nagios"]["check_command"] == "check_x!$USER9$"
    assert adopted.macros == {"USER7": "s3cr3t", "USER9": "t0ken"}  # only what the commands use; $$ is no macro
    moved = team_content(resolved(text.replace("-p $USER7$", "-p $USER3$")), {}, HERD_MACROS,
                         {**server, "USER3": "hunter2"}, "t")  # the herd's $USER3$ is the watchers' credentials
    assert moved.arrays["commands"][0]["line"].startswith("$USER1$/check_x -p $USER4$ -q $$USER7$$")
    assert (moved.macros, moved.moved) == ({"USER4": "hunter2", "USER9": "t0ken"}, {"USER3": "USER4"})


def test_user_macro_names_are_read_as_nagios_reads_them() -> None:
    """Nagios takes atoi() of what follows USER, in a line and in the resource file: $USER07$ is $USER7$."""
    text = PRECACHE.replace("$USER1$/check_x", "$USER1$/check_x -p $USER07$")
    adopted = team_content(resolved(text), {}, HERD_MACROS, {"USER1": "/usr/lib/nagios/plugins", "USER7": "s3"},
                           "t")
    assert adopted.macros == {"USER7": "s3"} and "$USER07$" in adopted.arrays["commands"][0]["line"]
    assert expand_users("$USER07$ $USER7x$ $USER0$ $USER257$ $USERx$", {"USER7": "v"}) == (
        "v v $USER0$ $USER257$ $USERx$")
    server = PRECACHE.replace("$USER1$/check_x", "$USER01$/check_x")
    assert compare(resolved(server), {"USER001": "/p"}, resolved(), {"USER1": "/p"}) == []


def test_compare_substitutes_user_macros_in_arguments_as_nagios_does() -> None:
    server = PRECACHE.replace("check_x!3", "check_x!$USER3$")
    herd = PRECACHE.replace("check_x!3", "check_x!$USER4$")
    assert compare(resolved(server), {"USER1": "/p", "USER3": "x"}, resolved(herd), {"USER1": "/p", "USER4": "x"}) == []
    assert compare(resolved(server), {"USER1": "/p", "USER3": "x"}, resolved(herd), {"USER1": "/p", "USER4": "y"}) != []
    assert expand_users("a $$USER1$$ $USER1$ $USER1", {"USER1": "v"}) == "a $$USER1$$ v $USER1"


def test_team_content_renames_what_collides_with_the_herd() -> None:
    text = PRECACHE.replace("holidays", "24x7")
    adopted = team_content(resolved(text), {"check_x": "/other"}, {}, {}, "t")
    assert adopted.renamed == {"command check_x": "check_x_t", "timeperiod 24x7": "24x7_t"}
    assert adopted.arrays["hosts"][0]["nagios"]["check_command"] == "check_x_t!3"
    same = team_content(resolved(text), {"check_x": "$USER1$/check_x -H $HOSTADDRESS$ -w $ARG1$ ; not a comment "
                                                    "here"}, {}, {}, "t")
    assert "commands" not in same.arrays  # the herd's command of that name means the same


def test_compare_sees_meaning_not_names() -> None:
    renamed = PRECACHE.replace("command_name\tcheck_x", "command_name\tcheck_y").replace("check_x!3", "check_y!3")
    renamed = renamed.replace("contact_groups\tops", "contacts\tb,a")
    renamed = renamed.replace("holidays", "days_off")
    assert compare(resolved(), {"USER1": "/p"}, resolved(renamed), {"USER1": "/p"}) == []
    moved = renamed.replace("$USER1$/check_x", "$USER2$/check_x")
    assert compare(resolved(), {"USER1": "/p"}, resolved(moved), {"USER2": "/p"}) == []


def test_compare_reports_each_difference() -> None:
    changed = PRECACHE.replace("max_check_attempts\t4", "max_check_attempts\t3").replace("check_x!3", "check_x!4")
    changed = changed.replace("members\ta,b", "members\ta").replace("\t_PORT\t22\n", "")
    assert compare(resolved(), {"USER1": "/p"}, resolved(changed), {"USER1": "/q"}) == [
        "host 'h1': _PORT: '22' on the server, (not set) in the herd",
        "host 'h1': check_command: '/p/check_x -H $HOSTADDRESS$ -w 3 ; not a comment here' on the server, "
        "'/q/check_x -H $HOSTADDRESS$ -w 4 ; not a comment here' in the herd",
        "host 'h1': contacts: 'a,b' on the server, 'a' in the herd",
        "host 'h1': max_check_attempts: '4' on the server, '3' in the herd",
    ]
    assert compare(resolved(), {}, resolved(PRECACHE.replace("h1", "h2")), {}) == [
        "host 'h1': missing in the herd", "host 'h2': only in the herd"]
    assert compare(resolved(), {}, resolved(PRECACHE.replace("h1", "h2")), {}, {("host", "h2")}) == [
        "host 'h1': missing in the herd"]
