"""Links to files for a channel without documents: the right link gives the file, anything
else a 404 and a log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from channels.links import FileLinks, LinkedFile, LinkServer

SECRET = "links-secret-for-tests-0123456789"
DOCX = LinkedFile(
    "BC-CCHC_2026-Q4_tân-quang.docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    b"PK\x03\x04 docx bytes",
)
PAGE = LinkedFile("trang-1.png", "image/png", b"\x89PNG page one")
FILES = {"draft/7/docx": DOCX, "draft/7/page/1": PAGE}


async def fetch(name: str) -> LinkedFile | None:
    return FILES.get(name)


@pytest.fixture
async def served() -> AsyncIterator[tuple[LinkServer, httpx.AsyncClient]]:
    server = LinkServer(FileLinks(SECRET, "http://placeholder"), fetch, host="127.0.0.1", port=0)
    await server.start()
    server.links.base_url = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient() as client:
        yield server, client
    await server.stop()


async def test_a_link_gives_its_file_with_its_name(
    served: tuple[LinkServer, httpx.AsyncClient],
) -> None:
    server, client = served

    docx = await client.get(server.links.link("draft/7/docx", "draft-docx"))
    page = await client.get(server.links.link("draft/7/page/1", "draft-page"))

    assert docx.status_code == 200
    assert docx.content == DOCX.data
    assert docx.headers["content-type"].startswith(DOCX.content_type)
    assert "attachment" in docx.headers["content-disposition"]
    assert "t%C3%A2n-quang" in docx.headers["content-disposition"]
    assert page.status_code == 200 and page.content == PAGE.data
    assert page.headers["content-disposition"].startswith("inline")


async def test_forged_repurposed_and_unknown_links_get_404_and_a_log_line(
    served: tuple[LinkServer, httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    server, client = served
    caplog.set_level(logging.INFO, logger="channels.links")
    good = server.links.link("draft/7/docx", "draft-docx")
    base = server.links.base_url
    token = good.rsplit("/", 1)[1]
    other_secret = FileLinks("another-secret-0123456789", base).link("draft/7/docx", "draft-docx")

    forged = await client.get(good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"))
    repurposed = await client.get(f"{base}/f/draft-page/{token}")
    wrong_secret = await client.get(other_secret)
    gone = await client.get(server.links.link("draft/8/docx", "draft-docx"))
    odd_purpose = await client.get(f"{base}/f/..%2Fetc/{token}")
    garbage = await client.get(f"{base}/f/draft-docx/not-a-token")

    for response in (forged, repurposed, wrong_secret, gone, odd_purpose, garbage):
        assert response.status_code == 404
        assert DOCX.data not in response.content
    assert caplog.text.count("bad signature") == 4
    assert "which is gone" in caplog.text


async def test_an_old_link_has_expired(
    served: tuple[LinkServer, httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    server, client = served
    caplog.set_level(logging.INFO, logger="channels.links")
    link = server.links.link("draft/7/docx", "draft-docx")
    server.links.max_age_s = -1  # every link is older than that

    response = await client.get(link)

    assert response.status_code == 404
    assert "expired" in caplog.text


def test_a_short_secret_or_an_odd_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="16 characters"):
        FileLinks("short", "https://bot.example.invalid")
    with pytest.raises(ValueError, match="not a purpose"):
        FileLinks(SECRET, "https://bot.example.invalid").link("x", "../docx")
