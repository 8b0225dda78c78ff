"""`baocao demo --channel zalo`: the same flow with the radio officer, the chairman and the
receiving office on Zalo.

A local stand-in of Zalo's Bot API runs beside the Telegram one, and the real bot serves both,
with its small web server giving out signed links to the files (Zalo carries no documents).
Bình (radio officer), Cường (chairman) and Thu (the office) register on Zalo by sending their
codes; Bình answers his section typing every choice, a slip refused; Hoa (on Telegram) hands in
the rest; the draft reaches Cường on Zalo as text, then its pages as pictures and links to the
.docx and .pdf; he looks at the figures, sends it back with "sửa <ý kiến>", Bình corrects his
figure, and Cường approves by typing "duyệt"; Thu receives the report the same way and types
/tiendo. Both chats are printed and saved in transcript.txt, and what Thu received (the pages
and the files behind the links) is saved in the folder. Pages need LibreOffice to make the PDF;
without it the links still carry the .docx.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
from collections.abc import Callable
from pathlib import Path

import httpx

from bot.config import load_settings
from bot.demo import (
    DEMO_DATABASE,
    OFFICER,
    RETURN_COMMENT,
    _officer_entered_earlier,
    _prepare_folder,
    _set_up_province,
    _write,
)
from bot.runner import run_bot
from bot_api_standin import LocalBotApi, PrivateChat
from conversations import texts
from zalo_standin import ZaloStandIn, ZaloUser

WAIT_S = 30.0


class ZaloChat:
    """One person's chat with the bot on the Zalo stand-in."""

    def __init__(self, zalo: ZaloStandIn, user: ZaloUser) -> None:
        self.zalo = zalo
        self.user = user

    def mark(self) -> int:
        return len(self.zalo.messages_to(self.user))

    async def expect(self, fragment: str, *, after: int) -> str:
        """The first message after the first `after` that contains `fragment`."""
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while True:
            for message in self.zalo.messages_to(self.user)[after:]:
                if fragment in message.text:
                    return message.text
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{self.user.display_name} never got {fragment!r} on Zalo")
            await asyncio.sleep(0.02)

    async def says(self, text: str, expect: str) -> str:
        seen = self.mark()
        await self.zalo.send_text(self.user, text)
        return await self.expect(expect, after=seen)


async def run_zalo_demo(out_dir: Path, *, echo: Callable[[str], None] = print) -> Path:
    """Run the flow with Zalo; return the folder holding its files."""
    _prepare_folder(out_dir)
    port = _free_port()
    # fetch_photos: the stand-in downloads each page from its link, as Zalo's servers do.
    async with LocalBotApi() as api, ZaloStandIn(fetch_photos=True) as zalo:
        settings = load_settings(
            telegram_bot_token=api.token,
            telegram_api_url=api.url,
            zalo_bot_token=zalo.token,
            zalo_api_url=zalo.url,
            zalo_poll_timeout_s=1,
            baocao_public_url=f"http://127.0.0.1:{port}",
            baocao_link_secret=secrets.token_urlsafe(24),
            baocao_http_port=port,
            database_url=f"sqlite+aiosqlite:///{(out_dir / DEMO_DATABASE).resolve()}",
            baocao_output_dir=out_dir,
            baocao_calendar=out_dir / "calendar.yaml",
        )
        echo(f"Stand-ins: Telegram at {api.url}, Zalo at {zalo.url}")
        codes = await _set_up_province(settings.database_url, out_dir, api.bot_username, echo)
        stop = asyncio.Event()
        bot = asyncio.create_task(run_bot(settings, stop=stop))
        try:
            await api.wait_until_polling(timeout=30)
            thu = await _play(api, zalo, codes, settings.database_url)
            delivered = await _save_received(zalo, thu, out_dir)
        finally:
            stop.set()
            exit_code = await bot
        if exit_code != 0:
            raise RuntimeError(f"the bot stopped with exit code {exit_code}")
        transcript = "\n".join(
            [
                "--- Zalo ---",
                zalo.transcript(),
                "",
                "--- Telegram ---",
                *api.transcript(),
                "",
                "--- What the office received on Zalo (in this folder) ---",
                *(path.name for path in delivered),
            ]
        )
    _write(out_dir / "transcript.txt", transcript)
    echo("\n--- Chat transcript ---")
    echo(transcript)
    return out_dir


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _save_received(zalo: ZaloStandIn, office: ZaloUser, out_dir: Path) -> list[Path]:
    """Keep what the office received, as its staff would: each page picture, and the files
    behind the links in its messages (downloaded from the bot's web server)."""
    saved: list[Path] = []
    links: list[str] = []
    for message in zalo.messages_to(office):
        if message.photo is not None:
            page = re.search(r"trang (\d+)/", message.text)
            path = out_dir / f"zalo-trang-{page[1] if page else len(saved) + 1}.png"
            path.write_bytes(message.photo)
            saved.append(path)
        links += re.findall(r"https?://\S+/f/report/\S+", message.text)
    async with httpx.AsyncClient() as client:
        for link in links:
            response = await client.get(link)
            if response.status_code != 200:
                continue  # an expired link would say so to the office too; nothing to keep
            name = re.search(r"filename\*=UTF-8''(\S+)", response.headers["content-disposition"])
            path = out_dir / (name[1] if name else "tep")
            path.write_bytes(response.content)
            if path not in saved:  # the .pdf is linked under the draft and as its own copy
                saved.append(path)
    return saved


async def _play(
    api: LocalBotApi, zalo: ZaloStandIn, codes: dict[str, str], database_url: str
) -> ZaloUser:
    stranger = ZaloChat(zalo, zalo.add_user("Người lạ"))
    binh = ZaloChat(zalo, zalo.add_user("Trần Văn Bình"))
    cuong = ZaloChat(zalo, zalo.add_user("Lê Văn Cường"))
    thu = ZaloChat(zalo, zalo.add_user("Bùi Thị Lan"))
    hoa = PrivateChat(api, OFFICER)

    await stranger.says("Cho tôi xem báo cáo của xã", "chưa được đăng ký")
    await binh.says(codes["radio officer"], "Xin chào")  # the code, sent as a message
    await cuong.says(f"/start {codes['chairman']}", "Xin chào")
    await thu.says(codes["office"], "qua Zalo")  # the office has no group: its files come here

    # Bình's section, every choice typed.
    await binh.says("/baocao", "Câu 1/7")
    await binh.says("1", "Câu 2/7")
    await binh.says("sáu", "chữ số")  # words for numbers are refused, kindly
    await binh.says("6 chuyên mục", "Câu 3/7")
    await binh.says("25", "Câu 4/7")
    await binh.says("30", "Câu 5/7")
    await binh.says("1 giờ 30", "Câu 6/7")
    await binh.says("2", "Câu 7/7")
    await binh.says("có", "«gửi»")
    await binh.says("2", "Câu 2/7")  # he meant 8 programmes
    await binh.says("8", "«gửi»")
    await binh.says("gửi", "Cảm ơn")

    # Hoa, on Telegram, hands in the rest: the draft goes to the chairman on Zalo.
    await _officer_entered_earlier(database_url)
    await hoa.says(f"/start {codes['officer']}", "Xin chào")
    await hoa.says("/baocao", "Câu 5/5")
    await hoa.says("Đề nghị tỉnh hỗ trợ kinh phí in tờ rơi về thủ tục hành chính.", "Gửi báo cáo")
    seen = cuong.mark()
    await hoa.taps(texts.SUBMIT_BUTTON, "đã đủ số liệu")
    await cuong.expect("«duyệt»", after=seen)
    await cuong.says("xem số liệu", "Số liệu của phiên bản 1")
    seen = binh.mark()
    await cuong.says(f"Sửa {RETURN_COMMENT}", "Đã trả lại báo cáo")
    await binh.expect("đề nghị sửa báo cáo", after=seen)
    await binh.says("/baocao", "«gửi»")
    await binh.says("2", "Câu 2/7")
    await binh.says("9", "«gửi»")
    await binh.says("gửi", "còn chờ")
    seen = cuong.mark()
    await hoa.says("/baocao", "Gửi báo cáo")
    await hoa.taps(texts.SUBMIT_BUTTON, "đã đủ số liệu")
    await cuong.expect("phiên bản 2", after=seen)
    await cuong.expect("«duyệt»", after=seen)  # he reads version 2 to its end, then decides
    seen = thu.mark()
    await cuong.says("Duyệt", "Đã duyệt")
    await thu.expect(".pdf:", after=seen)  # the pages, then the links to the .docx and .pdf
    await binh.expect("📨", after=0)  # told once the office has it, on Zalo
    await thu.says("/tiendo", "Tân Quang")
    return thu.user
