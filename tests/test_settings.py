"""Settings read from the environment: abuse limits, proxies, readiness, the secret."""

from __future__ import annotations

import io
import stat
import sys
from concurrent.futures import ThreadPoolExecutor
from ipaddress import ip_network
from pathlib import Path

import pytest

from feedback.settings import Rate, SentinelUrl, Settings, SettingsError, sentinel_url


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.vote_rate == Rate(count=60, period_ms=60_000)
    assert settings.comment_rate == Rate(count=5, period_ms=60_000)
    assert settings.readers_per_address == 30
    assert settings.trusted_proxies == ()


@pytest.mark.parametrize(
    ("raw", "rate"),
    [
        ("", Rate(60, 60_000)),
        ("10/second", Rate(10, 1_000)),
        ("60/minute", Rate(60, 60_000)),
        (" 100 / HOUR ", Rate(100, 3_600_000)),
        ("1/Day", Rate(1, 86_400_000)),
        ("off", None),
        (" OFF ", None),
    ],
)
def test_vote_rate(raw: str, rate: Rate | None) -> None:
    assert Settings.from_env({"FEEDBACK_VOTE_RATE": raw}).vote_rate == rate


@pytest.mark.parametrize(("raw", "rate"), [("", Rate(5, 60_000)), ("2/second", Rate(2, 1_000)), ("Off", None)])
def test_comment_rate(raw: str, rate: Rate | None) -> None:
    assert Settings.from_env({"FEEDBACK_COMMENT_RATE": raw}).comment_rate == rate


@pytest.mark.parametrize("name", ["FEEDBACK_VOTE_RATE", "FEEDBACK_COMMENT_RATE"])
@pytest.mark.parametrize(
    "raw", ["abc", "60", "/minute", "0/minute", "-1/minute", "1.5/minute", "60/min", "60/minutes", "60/minute/2"]
)
def test_bad_rate_is_refused_naming_the_variable_and_value(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must be like 60/minute .* or 'off', got '{raw}'"):
        Settings.from_env({name: raw})


@pytest.mark.parametrize(("raw", "readers"), [("", 30), ("1", 1), (" 500 ", 500), ("off", None), ("OFF", None)])
def test_readers_per_address(raw: str, readers: int | None) -> None:
    assert Settings.from_env({"FEEDBACK_READERS_PER_ADDRESS": raw}).readers_per_address == readers


@pytest.mark.parametrize("raw", ["0", "-3", "1.5", "abc", "²", "1" * 5000])
def test_bad_readers_per_address_is_refused(raw: str) -> None:
    with pytest.raises(
        SettingsError, match="FEEDBACK_READERS_PER_ADDRESS must be a whole number of at least 1 or 'off'"
    ):
        Settings.from_env({"FEEDBACK_READERS_PER_ADDRESS": raw})


def test_trusted_proxies_are_addresses_and_networks() -> None:
    settings = Settings.from_env({"FEEDBACK_TRUSTED_PROXIES": "127.0.0.1, 10.1.2.3/8,::1 , fd00::/8,"})
    assert settings.trusted_proxies == (
        ip_network("127.0.0.1/32"),
        ip_network("10.0.0.0/8"),
        ip_network("::1/128"),
        ip_network("fd00::/8"),
    )


@pytest.mark.parametrize("bad", ["localhost", "10.0.0.0/33", "300.1.1.1", "10.0.0.0/8/8"])
def test_bad_trusted_proxy_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(SettingsError, match=f"FEEDBACK_TRUSTED_PROXIES .*'{bad}' is neither"):
        Settings.from_env({"FEEDBACK_TRUSTED_PROXIES": f"127.0.0.1, {bad}"})


def test_unix_socket_may_be_a_trusted_proxy() -> None:
    settings = Settings.from_env({"FEEDBACK_TRUSTED_PROXIES": "unix, 10.0.0.0/8"})
    assert settings.trusted_proxies == ("unix", ip_network("10.0.0.0/8"))


@pytest.mark.parametrize(("raw", "seconds"), [("", 30.0), ("5", 5.0), (" 0.5 ", 0.5)])
def test_ready_max_lag_seconds(raw: str, seconds: float) -> None:
    assert Settings.from_env({"FEEDBACK_READY_MAX_LAG_SECONDS": raw}).ready_max_lag_seconds == seconds


@pytest.mark.parametrize(
    ("raw", "why"), [("0", "must be greater than 0"), ("-1", "must be greater than 0"), ("soon", "must be a number")]
)
def test_bad_ready_max_lag_seconds_is_refused(raw: str, why: str) -> None:
    with pytest.raises(SettingsError, match=f"FEEDBACK_READY_MAX_LAG_SECONDS {why}"):
        Settings.from_env({"FEEDBACK_READY_MAX_LAG_SECONDS": raw})


def test_secret_file_is_generated_on_first_start_and_reused(tmp_path: Path) -> None:
    env = {"FEEDBACK_SECRET_FILE": str(tmp_path / "secret")}
    secret = Settings.from_env(env).secret
    assert len(secret) >= 40
    assert (tmp_path / "secret").read_text() == secret + "\n"
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600
    assert Settings.from_env(env).secret == secret
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret"]  # no candidate left behind


def test_secret_file_of_the_operator_is_used_as_written(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("  a-secret-of-their-own\n")
    assert Settings.from_env({"FEEDBACK_SECRET_FILE": str(tmp_path / "secret")}).secret == "a-secret-of-their-own"


def test_secret_in_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    env = {"FEEDBACK_SECRET": "from-env", "FEEDBACK_SECRET_FILE": str(tmp_path / "secret")}
    assert Settings.from_env(env).secret == "from-env"
    assert not (tmp_path / "secret").exists()


def test_workers_starting_together_agree_on_one_generated_secret(tmp_path: Path) -> None:
    env = {"FEEDBACK_SECRET_FILE": str(tmp_path / "secret")}
    with ThreadPoolExecutor(8) as pool:
        secrets = set(pool.map(lambda _: Settings.from_env(env).secret, range(32)))
    assert secrets == {(tmp_path / "secret").read_text().strip()}


def test_empty_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("\n")
    with pytest.raises(SettingsError, match=r"FEEDBACK_SECRET_FILE: the secret file .* is empty"):
        Settings.from_env({"FEEDBACK_SECRET_FILE": str(tmp_path / "secret")})


def test_secret_file_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"FEEDBACK_SECRET_FILE: cannot read or create .*No such file"):
        Settings.from_env({"FEEDBACK_SECRET_FILE": str(tmp_path / "absent" / "secret")})


def test_no_secret_without_either_variable() -> None:
    assert Settings.from_env({}).secret == ""


@pytest.mark.parametrize(
    ("url", "parts"),
    [
        (
            "redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,sentinel-3/mymaster/2",
            SentinelUrl(
                (("10.0.0.1", 26379), ("10.0.0.2", 26380), ("sentinel-3", 26379)),
                "mymaster",
                2,
                None,
                None,
                None,
                None,
                False,
            ),
        ),
        (
            "redis+sentinel://:p%40ss@[::1]:5000/feedback?sentinel_password=s3cret",
            SentinelUrl((("::1", 5000),), "feedback", 0, None, "p@ss", None, "s3cret", False),
        ),
        (
            "rediss+sentinel://app:pw@s1,s2/mymaster/0?sentinel_username=watch&sentinel_password=x",
            SentinelUrl((("s1", 26379), ("s2", 26379)), "mymaster", 0, "app", "pw", "watch", "x", True),
        ),
    ],
)
def test_sentinel_redis_url(url: str, parts: SentinelUrl) -> None:
    assert Settings.from_env({"REDIS_URL": url}).redis_url == url
    assert sentinel_url(url) == parts


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:pw@redis.example:6380/1", "unix:///run/redis.sock"]
)
def test_plain_redis_url_is_no_sentinel_one(url: str) -> None:
    assert Settings.from_env({"REDIS_URL": url}).redis_url == url
    assert sentinel_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://:hunter2@s1:26379",  # no service
        "redis+sentinel://:hunter2@/mymaster",  # no Sentinel
        "redis+sentinel://:hunter2@s1:port/mymaster",
        "redis+sentinel://:hunter2@s1:70000/mymaster",
        "redis+sentinel://:hunter2@s1,,s2/mymaster",
        "redis+sentinel://:hunter2@s1/mymaster/zero",
        "redis+sentinel://:hunter2@s1/mymaster/0/1",
        "redis+sentinel://:hunter2@s1/mymaster?password=x",
        "redis+sentinel://:hunter2@s1/mymaster?sentinel_password=a&sentinel_password=b",
        "sentinel://:hunter2@s1/mymaster",
        "http://:hunter2@redis:6379/0",
        "redis://:hunter2@redis:port/0",
        "redis://:hunter2@",
    ],
)
def test_malformed_redis_url_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(SettingsError, match="REDIS_URL") as refused:
        Settings.from_env({"REDIS_URL": url})
    assert "hunter2" not in str(refused.value)
    assert ":***@" in str(refused.value)


def test_empty_redis_url_means_no_redis() -> None:
    assert Settings.from_env({"REDIS_URL": " "}).redis_url == ""


def test_metrics_are_off_and_for_loopback_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.metrics is False
    assert settings.metrics_allow == (ip_network("127.0.0.0/8"), ip_network("::1/128"))
    assert settings.metrics_multiprocess_dir == ""


def test_metrics_allow_lists_networks() -> None:
    settings = Settings.from_env({"FEEDBACK_METRICS": "on", "FEEDBACK_METRICS_ALLOW": "10.0.0.0/8, 192.0.2.7"})
    assert settings.metrics is True
    assert settings.metrics_allow == (ip_network("10.0.0.0/8"), ip_network("192.0.2.7/32"))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"FEEDBACK_METRICS": "yes"}, "FEEDBACK_METRICS must be 'on' or 'off', got 'yes'"),
        ({"FEEDBACK_METRICS_ALLOW": "10.0.0.0/33"}, "FEEDBACK_METRICS_ALLOW .*'10.0.0.0/33' is neither"),
        ({"FEEDBACK_METRICS_ALLOW": "unix"}, "FEEDBACK_METRICS_ALLOW must list IP addresses or networks"),
        (
            {"PROMETHEUS_MULTIPROC_DIR": "/no/such/directory"},
            "PROMETHEUS_MULTIPROC_DIR must name an existing directory",
        ),
        ({"FEEDBACK_LOG_FORMAT": "xml"}, "FEEDBACK_LOG_FORMAT must be 'json' or 'text', got 'xml'"),
    ],
)
def test_bad_metrics_and_log_settings_are_refused_naming_them(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


@pytest.mark.parametrize(("raw", "log_format"), [("json", "json"), (" TEXT ", "text")])
def test_log_format(raw: str, log_format: str) -> None:
    assert Settings.from_env({"FEEDBACK_LOG_FORMAT": raw}).log_format == log_format


def test_log_format_is_json_unless_stderr_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a file, as a log collector reads
    assert Settings.from_env({}).log_format == "json"
