"""Bounds on what outgoing requests and article reads may cost (issue #9).

A total deadline per request, decoded-size caps that hold against gzip bombs,
files checked before they are read, declared charsets honoured, and clean
one-line errors for hostile URLs and durations. Servers are real, on 127.0.0.1
(:mod:`tests.linkserver`); time bounds are loose sanity bounds.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from typer.testing import CliRunner, Result

from tracker.cli import app
from tracker.errors import ValidationFailed
from tracker.intake.loading import MAX_ARTICLE_BYTES, load_article, read_file
from tracker.linkcheck.bodies import BadBody, BodyDecoder, UnsupportedEncoding, read_capped
from tracker.linkcheck.links import (
    BODY_LIMIT,
    CheckOptions,
    CheckResult,
    ErrorClass,
    check_many,
    check_url,
    fetch,
)
from tracker.linkcheck.netguard import LinkPolicy, guarded_client
from tracker.services.links import parse_duration

from .conftest import make_accounts_via_cli
from .linkserver import BAD_LOCATIONS, BOMB_MB, Served, gzip_bomb, latin1_page, serve

LOCAL = LinkPolicy.parse("127.0.0.0/8")
T = TypeVar("T")


@pytest.fixture
def server() -> Iterator[Served]:
    with serve() as s:
        yield s


def returns_within(seconds: float, call: Callable[[], T]) -> tuple[T, float]:
    """``call()`` and how long it took; fails (instead of hanging) if it runs past ``seconds``."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed back to the test below
            box["error"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"], time.monotonic() - started  # type: ignore[return-value]


def run_check(url: str, timeout: float = 1.0, policy: LinkPolicy = LOCAL) -> CheckResult:
    async def go() -> CheckResult:
        async with guarded_client(policy, timeout=timeout, user_agent="tracker-test") as client:
            options = CheckOptions(timeout=timeout, max_retries=0)
            return await check_url(client, url, policy, options)

    return asyncio.run(go())


# -- 1. a total deadline per request ------------------------------------------------------


def test_a_trickling_body_is_cut_off_at_the_total_deadline(server: Served) -> None:
    # One byte every 0.2 s never trips a 1 s read timeout; only a total deadline ends it.
    result, took = returns_within(30, lambda: run_check(f"{server.base}/trickle", timeout=1.0))
    assert result.error_class is ErrorClass.timeout
    assert "within 1 s" in (result.error or "")
    assert took < 5


def test_redirects_share_the_deadline_of_their_request(server: Served) -> None:
    # Six hops of 0.4 s each: every hop is within 1 s, the chain is not.
    result, took = returns_within(30, lambda: run_check(f"{server.base}/slow-hop", timeout=1.0))
    assert result.error_class is ErrorClass.timeout
    assert took < 5


def test_article_fetch_has_a_total_deadline_from_argument_setting_and_cli_option(
    server: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{server.base}/trickle"
    with pytest.raises(ValidationFailed, match=r"cannot fetch \(timeout\).*within 1 s"):
        returns_within(30, lambda: load_article(url, policy=LOCAL, timeout=1.0))
    monkeypatch.setenv("TRACKER_HTTP_TIMEOUT", "1")
    with pytest.raises(ValidationFailed, match="within 1 s"):
        returns_within(30, lambda: load_article(url, policy=LOCAL))
    monkeypatch.setenv("TRACKER_HTTP_TIMEOUT", "60")

    def with_option() -> None:  # what `import-article --timeout 1` passes down
        load_article(url, policy=LOCAL, timeout=1.0)

    started = time.monotonic()
    with pytest.raises(ValidationFailed, match="within 1 s"):
        returns_within(30, with_option)
    assert time.monotonic() - started < 5


@pytest.fixture
def cli_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", url, "init"]).exit_code == 0
    make_accounts_via_cli(url)
    return url


def test_cli_timeouts_bound_check_sources_and_import_article(cli_db: str, server: Served) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--db", cli_db, "seed"]).exit_code == 0
    add = ["source", "add", "1", f"{server.base}/trickle", "--stance", "supports", "--by", "ana"]
    assert runner.invoke(app, ["--db", cli_db, *add]).exit_code == 0
    started = time.monotonic()
    checked = runner.invoke(
        app,
        [
            *("--db", cli_db, "check-sources", "--claim", "1", "--by", "ana"),
            *("--allow-private", "--timeout", "1", "--format", "json"),
        ],
    )
    assert time.monotonic() - started < 10
    assert checked.exit_code == 0, checked.output
    [row] = json.loads(checked.stdout)
    assert (row["error_class"], row["state"]) == ("timeout", "failing")

    started = time.monotonic()
    imported = runner.invoke(
        app,
        [
            *("--db", cli_db, "import-article", f"{server.base}/trickle", "--by", "editor"),
            *("--allow-private", "--timeout", "1"),
        ],
    )
    assert time.monotonic() - started < 10
    assert_one_error_line(imported, "timeout")


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_timeout_must_be_a_positive_finite_number(cli_db: str, value: str) -> None:
    result = CliRunner().invoke(
        app,
        [
            *("--db", cli_db, "import-article", "http://example.org/", "--by", "editor"),
            *("--timeout", value),
        ],
    )
    assert_one_error_line(result, "timeout")


# -- 2. decoded bytes are counted as they stream ------------------------------------------


def test_link_checks_of_gzip_bombs_keep_memory_flat(server: Served) -> None:
    urls = [(f"{server.base}/bomb?n={i}", True) for i in range(20)]

    def make_client(size: int) -> httpx.AsyncClient:
        return guarded_client(LOCAL, timeout=10, user_agent="t", max_connections=size)

    async def go() -> list[CheckResult]:
        return [
            r
            async for r in check_many(
                make_client, urls, LOCAL, concurrency=20, per_host=20, host_delay=0
            )
        ]

    gzip_bomb()  # built before measuring
    tracemalloc.start()
    try:
        results = asyncio.run(go())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(results) == 20
    assert all((r.http_status, r.title) == (200, "Bomb") for r in results), results[0]
    # 20 bodies capped at 64 KiB need ~1.3 MB; one undecoded 64 KiB chunk alone is 64 MB.
    assert peak < 24 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_an_article_gzip_bomb_is_refused_past_the_cap_with_flat_memory(server: Served) -> None:
    gzip_bomb()
    tracemalloc.start()
    try:
        with pytest.raises(ValidationFailed, match=f"larger than {MAX_ARTICLE_BYTES:,} bytes"):
            load_article(f"{server.base}/bomb", policy=LOCAL, timeout=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.1f} MiB"  # the cap is 5 MiB; the bomb 100


def test_read_capped_stops_at_the_cap_of_decoded_bytes(server: Served) -> None:
    async def go() -> tuple[bytes, bool]:
        url, headers = f"{server.base}/bomb", {"Accept-Encoding": "gzip"}
        async with (
            httpx.AsyncClient() as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            return await read_capped(response, BODY_LIMIT)

    body, more = asyncio.run(go())
    assert more and len(body) == BODY_LIMIT and body.startswith(b"<html><head><title>Bomb")
    assert BOMB_MB * 2**20 > 1000 * BODY_LIMIT  # the bomb is far beyond the cap


PAGE = b"<html><title>x</title>" + bytes(300_000) + b"end"


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        (None, PAGE),
        ("identity", PAGE),
        ("gzip", gzip.compress(PAGE, mtime=0)),
        ("x-gzip", gzip.compress(PAGE, mtime=0)),
        ("deflate", zlib.compress(PAGE)),  # zlib-wrapped, as the RFC says
        ("deflate", zlib.compress(PAGE, wbits=-zlib.MAX_WBITS)),  # raw, as some servers do
        ("gzip, deflate", zlib.compress(gzip.compress(PAGE, mtime=0))),
    ],
    ids=["none", "identity", "gzip", "x-gzip", "deflate", "raw-deflate", "gzip+deflate"],
)
def test_body_decoder_undoes_each_encoding_in_small_pieces(
    encoding: str | None, data: bytes
) -> None:
    decoder = BodyDecoder(encoding)
    pieces = [p for i in range(0, len(data), 1000) for p in decoder.feed(data[i : i + 1000])]
    assert b"".join(pieces) == PAGE
    assert max(map(len, pieces)) <= 64 * 1024


def test_body_decoder_refuses_unknown_and_corrupt_bodies() -> None:
    with pytest.raises(UnsupportedEncoding, match="'br'"):
        BodyDecoder("br")
    with pytest.raises(BadBody, match="gzip body is corrupt"):
        list(BodyDecoder("gzip").feed(b"this is not gzip at all"))


def test_requests_ask_only_for_encodings_that_can_be_bounded() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("accept-encoding", ""))
        return httpx.Response(
            200, content=b"<title>t</title>", headers={"Content-Type": "text/html"}
        )

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            policy = LinkPolicy(allow_private=True)
            await check_url(client, "http://example.org/", policy)
            await fetch(client, "http://example.org/", policy, max_bytes=100, timeout=5)

    asyncio.run(go())
    assert seen and set(seen) == {"gzip, deflate"}


# -- 3. files are checked before they are read --------------------------------------------


def test_a_huge_sparse_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "huge.txt"
    with big.open("wb") as f:
        f.truncate(3 * 2**30)  # 3 GB that take no disk space
    tracemalloc.start()
    try:
        with pytest.raises(ValidationFailed, match=f"{big} is larger than 5,242,880 bytes"):
            load_article(str(big))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda tmp: "/dev/zero", "a device"),
        (lambda tmp: str(tmp), "a directory"),
        (lambda tmp: (os.mkfifo(tmp / "pipe"), str(tmp / "pipe"))[1], "a named pipe"),
    ],
    ids=["dev-zero", "directory", "fifo"],
)
def test_what_is_not_a_regular_file_is_refused_naming_the_path(
    tmp_path: Path, make: Callable[[Path], str], kind: str
) -> None:
    if not Path("/dev/zero").exists() or not hasattr(os, "mkfifo"):
        pytest.skip("needs /dev/zero and FIFOs")
    path = make(tmp_path)
    with pytest.raises(ValidationFailed) as caught:
        returns_within(10, lambda: load_article(path))  # a FIFO must not wait for a writer
    assert str(caught.value) == f"cannot read {path}: {kind}, not a file"


def test_no_more_than_the_limit_is_read(tmp_path: Path) -> None:
    page = tmp_path / "a.txt"
    page.write_bytes(b"x" * 10)
    assert read_file(str(page), limit=10) == b"x" * 10
    with pytest.raises(ValidationFailed, match="larger than 9 bytes"):
        read_file(str(page), limit=9)


# -- 4. declared charsets -----------------------------------------------------------------


def test_latin1_pages_are_decoded_by_header_and_by_meta(server: Served) -> None:
    for path in ("/latin1-header", "/latin1-meta"):
        loaded = load_article(server.base + path, policy=LOCAL)
        assert loaded.title == "Café chips", path
        assert "The café in Zürich said Trainium 3" in loaded.text, path


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="iso-8859-1">',
        "<meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>",
    ],
)
def test_html_files_are_decoded_by_their_meta_charset(tmp_path: Path, meta: str) -> None:
    page = tmp_path / "story.html"
    page.write_bytes(latin1_page(meta))
    loaded = load_article(str(page))
    assert loaded.title == "Café chips" and "Zürich" in loaded.text


def test_undeclared_or_unknown_charsets_fail_clearly(tmp_path: Path) -> None:
    plain = tmp_path / "story.html"
    plain.write_bytes(latin1_page())
    with pytest.raises(ValidationFailed, match=r"story.html: not valid utf-8 at byte \d+"):
        load_article(str(plain))
    odd = tmp_path / "odd.html"
    odd.write_bytes(latin1_page('<meta charset="klingon-8">'))
    with pytest.raises(ValidationFailed, match="unknown charset 'klingon-8'"):
        load_article(str(odd))


def test_a_byte_order_mark_wins(tmp_path: Path) -> None:
    page = tmp_path / "bom.txt"
    page.write_bytes("\ufeffUTF-16 text: Zürich.".encode("utf-16-le"))
    assert load_article(str(page)).text == "UTF-16 text: Zürich."


# -- 5. hostile input gives one clean line ------------------------------------------------


def assert_one_error_line(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://no-such-host.invalid/", "(dns)"),
        ("http://0177.0.0.1/", "'0177.0.0.1' is not a plain IP address"),
        ("http://2130706433/", "not a plain IP address"),
        ("http://example.org/" + "a" * 100_000, "longer than 8,192"),
        ("http://[::1/", "malformed URL"),
    ],
    ids=["unknown-host", "octal-ip", "integer-ip", "100k-url", "bad-bracket"],
)
def test_cli_import_article_bad_urls_print_one_line(cli_db: str, url: str, needle: str) -> None:
    result = CliRunner().invoke(app, ["--db", cli_db, "import-article", url, "--by", "editor"])
    assert_one_error_line(result, needle)
    assert len(result.stderr) < 1000


@pytest.mark.parametrize("kind", sorted(BAD_LOCATIONS))
def test_cli_import_article_bad_location_prints_one_line(
    cli_db: str, server: Served, kind: str
) -> None:
    result = CliRunner().invoke(
        app,
        [
            *("--db", cli_db, "import-article", f"{server.base}/bad-location/{kind}"),
            *("--by", "editor", "--allow-private"),
        ],
    )
    assert_one_error_line(result, "cannot fetch")


def test_link_check_of_a_bad_location_is_a_failure_not_a_crash(server: Served) -> None:
    for kind in BAD_LOCATIONS:
        result = run_check(f"{server.base}/bad-location/{kind}")
        assert result.error_class in (ErrorClass.connect, ErrorClass.blocked, ErrorClass.dns), kind
        assert result.error and "\n" not in result.error


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--stale-after", "1e999d", "'1e999d' must be a finite number"),
        ("--dead-after", "99999999999d", "'99999999999d' is too long"),
        ("--stale-after", "-3d", "'-3d' must be a finite number, at least 0"),
        ("--dead-after", "soon", "'soon' is not understood"),
    ],
)
def test_cli_check_sources_bad_durations_print_one_line(
    cli_db: str, option: str, value: str, needle: str
) -> None:
    result = CliRunner().invoke(
        app, ["--db", cli_db, "check-sources", "--by", "ana", option, value]
    )
    assert_one_error_line(result, needle)


@pytest.mark.parametrize("text", ["1e999d", "99999999999d", "infh", "nanm", "1e20s"])
def test_parse_duration_refuses_what_timedelta_cannot_hold(text: str) -> None:
    with pytest.raises(ValidationFailed, match=repr(text).replace("+", r"\+")):
        parse_duration(text)
