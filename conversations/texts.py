"""What people read: Vietnamese wording, kept out of the Telegram code so it can be reviewed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from storage.models import ReportingPeriod, Role, RoundStatus, Unit
from wording.periods import period_words
from wording.units import KIND_LABELS

ROLE_LABELS: dict[Role, str] = {
    # Any report kind's: the same officer may answer CCHC's sections, TTHC's, or both.
    Role.OFFICER: "cán bộ phụ trách nhập số liệu báo cáo",
    Role.CHAIRMAN: "Chủ tịch Ủy ban nhân dân",
    Role.VICE_CHAIRMAN: "Phó Chủ tịch Ủy ban nhân dân",
    Role.CLERK: "văn thư",
    Role.OFFICE: "cán bộ cơ quan tiếp nhận báo cáo",
    Role.ADMIN: "quản trị viên",
}


def unit_display_name(unit: Unit) -> str:
    """'xã Tân Quang'; an office's name is written in full already ('Sở Nội vụ tỉnh Hưng Yên')."""
    label = KIND_LABELS[unit.kind]
    return f"{label} {unit.name}" if label else unit.name


def role_in_unit(role: Role, unit: Unit) -> str:
    if role in (Role.CHAIRMAN, Role.VICE_CHAIRMAN):
        return f"{ROLE_LABELS[role]} {unit_display_name(unit)}"
    if role is Role.OFFICE:
        return f"cán bộ {unit_display_name(unit)}"
    return f"{ROLE_LABELS[role]} của {unit_display_name(unit)}"


NOT_REGISTERED = (
    "Xin chào! Tài khoản Telegram này chưa được đăng ký với hệ thống báo cáo.\n"
    "Anh/chị vui lòng mở đường liên kết mời do quản trị viên gửi để đăng ký."
)
INVALID_INVITATION = (
    "Đường liên kết mời không dùng được (có thể đã hết hạn hoặc đã được sử dụng).\n"
    "Anh/chị vui lòng liên hệ quản trị viên để được cấp đường liên kết mới."
)
ALREADY_REGISTERED = "Anh/chị đã được đăng ký rồi. Gõ /help để xem các việc có thể làm."
EDITED_MESSAGE = (
    "Bot không đọc tin nhắn đã sửa. Anh/chị vui lòng gửi lại nội dung bằng một tin nhắn mới."
)
UNSUPPORTED_CONTENT = (
    "Bot chỉ hiểu tin nhắn chữ và các nút bấm. Gõ /help để xem các việc có thể làm."
)
NOTHING_TO_DO_YET = (
    "Hiện chưa có việc cần làm. Bot sẽ nhắn cho anh/chị khi đến kỳ báo cáo. "
    "Gõ /help để xem các việc có thể làm."
)

# What each role will be asked to do, shown in /help. Later features add their commands here.
ROLE_DUTIES: dict[Role, str] = {
    Role.OFFICER: (
        "Gần cuối mỗi kỳ báo cáo, bot sẽ hỏi anh/chị số liệu của các phần báo cáo anh/chị "
        "phụ trách (ví dụ tuyên truyền cải cách hành chính: truyền thanh, trang thông tin điện "
        "tử, trực quan, hội nghị...). Gõ /baocao để nhập, /xem để xem lại, /huy để tạm dừng."
    ),
    Role.CHAIRMAN: (
        "Bot sẽ gửi dự thảo báo cáo để anh/chị duyệt hoặc yêu cầu sửa. "
        "Gõ /noinhan để xem hoặc sửa nơi nhận của báo cáo."
    ),
    Role.VICE_CHAIRMAN: (
        "Bot sẽ gửi dự thảo báo cáo để anh/chị duyệt khi được phân công ký. "
        "Gõ /noinhan để xem hoặc sửa nơi nhận của báo cáo."
    ),
    Role.CLERK: "Bot sẽ gửi báo cáo đã duyệt để anh/chị cấp số văn bản.",
    Role.OFFICE: "Bot sẽ gửi báo cáo đã duyệt của các xã, phường và bảng tổng hợp.",
    Role.ADMIN: "Anh/chị quản lý đơn vị, người dùng và lịch báo cáo bằng lệnh baocao trên máy chủ.",
}

# Every command in the order menus list them; conversations/menus.py picks each person's.
COMMANDS: list[tuple[str, str]] = [
    ("baocao", "Nhập hoặc tiếp tục nhập số liệu kỳ này"),
    ("xem", "Xem số liệu đã nhập"),
    ("huy", "Tạm dừng nhập (không mất số liệu)"),
    ("tiendo", "Tiến độ báo cáo của các xã"),
    ("tonghop", "Tệp tổng hợp số liệu của các xã"),
    ("lichsu", "Xem các phiên bản báo cáo và tải lại"),
    ("noinhan", "Xem hoặc sửa nơi nhận của báo cáo"),
    ("start", "Đăng ký bằng đường liên kết mời"),
    ("help", "Xem các việc có thể làm"),
]


def greeting(*, full_name: str, role: Role, unit: Unit) -> str:
    return (
        f"Xin chào anh/chị {full_name}!\n"
        f"Anh/chị đã được đăng ký là {role_in_unit(role, unit)}.\n"
        f"{ROLE_DUTIES[role]}\n"
        "Gõ /help để xem các việc có thể làm."
    )


def office_group_greeting(*, unit: Unit) -> str:
    return (
        f"Nhóm này đã được đăng ký nhận báo cáo cho {unit_display_name(unit)}.\n"
        "Báo cáo đã duyệt của các xã, phường và bảng tổng hợp sẽ được gửi vào đây."
    )


def help_text(
    *, full_name: str, roles: list[tuple[Role, Unit]], commands: Sequence[tuple[str, str]]
) -> str:
    """What the person does on the bot, by role, and their commands (their phone's menu)."""
    lines = [f"Anh/chị {full_name}:"]
    for role, unit in roles:
        lines.append(f"• {role_in_unit(role, unit)}: {ROLE_DUTIES[role]}")
    lines.append("")
    lines.append("Các lệnh:")
    lines.extend(f"/{name} - {description}" for name, description in commands)
    return "\n".join(lines)


STALE_BUTTON = "Nút này không còn hiệu lực. Gõ /help để xem các việc có thể làm."


# ----- The questionnaire -------------------------------------------------------------------


def period_label(period: ReportingPeriod) -> str:
    return period_words(period.kind, period.year, period.number)


def _lower_first(title: str) -> str:
    """A form's title inside a sentence: "Kết quả công tác ..." -> "kết quả công tác ..."."""
    return title[:1].lower() + title[1:]


def report_label(short_name: str, period: ReportingPeriod) -> str:
    """A report kind and its period, 'CCHC quý IV năm 2026': what the texts about a report
    take as `period` ("báo cáo {period} của {unit}"), so a commune with reports of two kinds
    open in one quarter tells them apart."""
    return f"{short_name} {period_label(period)}"


def position(*, section_number: int, sections: int, question_number: int, questions: int) -> str:
    return f"Phần {section_number}/{sections} · Câu {question_number}/{questions}"


def walk_intro(
    *,
    subject: str,
    period: ReportingPeriod,
    unit: Unit,
    section_titles: list[str],
    questions: int,
) -> str:
    parts = "\n".join(f"• {title}" for title in section_titles)
    return (
        f"Báo cáo {_lower_first(subject)} {period_label(period)} "
        f"của {unit_display_name(unit)} (số liệu từ {period.starts_on:%d/%m/%Y} "
        f"đến {period.closes_on:%d/%m/%Y}).\n"
        f"Anh/chị phụ trách {len(section_titles)} phần, tối đa {questions} câu hỏi:\n{parts}\n"
        "Mỗi câu trả lời được lưu ngay. Có thể dừng bất cứ lúc nào (/huy) "
        "và tiếp tục sau bằng /baocao."
    )


NO_OPEN_ROUND = "Hiện chưa có kỳ báo cáo nào đang mở cho đơn vị của anh/chị."
NOT_AN_ANSWERER = "Lệnh này dành cho cán bộ, lãnh đạo xã nhập số liệu báo cáo."
NO_SECTIONS_ASSIGNED = (
    "Anh/chị chưa được phân công phần nào của báo cáo kỳ này. "
    "Vui lòng liên hệ quản trị viên nếu cần."
)
NOT_YOUR_BUTTON = "Nút này không dành cho anh/chị."
OLD_BUTTON = "Nút này đã cũ. Vui lòng dùng tin nhắn mới nhất của bot (hoặc gõ /baocao)."
FIRST_QUESTION = "Đây là câu hỏi đầu tiên của anh/chị."
ROUND_CLOSED = (
    "Kỳ báo cáo này đã được duyệt hoặc đã khóa, số liệu không thể thay đổi nữa. "
    "Nếu cần sửa, vui lòng liên hệ Chủ tịch UBND xã."
)
NOTHING_ENTERED = "Anh/chị chưa nhập số liệu nào cho kỳ báo cáo đang mở. Gõ /baocao để bắt đầu."
NOTHING_TO_PAUSE = "Không có phần nhập liệu nào đang dở. Gõ /baocao để bắt đầu."
PAUSED = (
    "Đã tạm dừng. Mọi câu trả lời đã được lưu. Khi sẵn sàng, gõ /baocao để tiếp tục từ câu đang dở."
)
PAUSED_HINT = "Anh/chị đang tạm dừng nhập số liệu. Gõ /baocao để tiếp tục."
ALREADY_SUBMITTED = (
    "Anh/chị đã gửi phần báo cáo của mình. Gõ /xem để xem lại, /baocao để sửa "
    "(được sửa cho đến khi Chủ tịch duyệt)."
)
UNSUPPORTED_IN_WALK = "Bot chỉ đọc được chữ và nút bấm. Anh/chị vui lòng trả lời câu hỏi dưới đây."
EDITED_IN_WALK = (
    'Bot không đọc tin nhắn đã sửa. Nếu cần sửa câu trả lời, anh/chị bấm "◀ Quay lại" '
    "hoặc gõ /baocao rồi sửa ở bước xem lại. Câu hỏi hiện tại:"
)
NOT_ANSWERED = "(chưa trả lời)"
SUBMITTED_MARK = "✅ đã gửi"
SKIP_BUTTON = "Bỏ qua"
BACK_BUTTON = "◀ Quay lại"
SUBMIT_BUTTON = "✅ Gửi báo cáo"
KEEP_EARLIER_BUTTON = "Giữ như kỳ trước"
KEEP_CURRENT_BUTTON = "Giữ nguyên câu trả lời đã nhập"
USE_TEXT_BUTTON = "✅ Dùng đoạn này"
RETYPE_BUTTON = "✏️ Nhập lại"
OPTIONS_HEADER = "Có thể chọn một mẫu dưới đây (rồi sửa nếu cần), hoặc tự gõ nội dung:"
REVIEW_HOW = 'Để sửa, bấm nút số câu (hoặc gõ số câu). Nếu đã đúng, bấm "Gửi báo cáo".'


def how_to_answer(hint: str, *, required: bool) -> str:
    """The last line of a question: how to answer it (its type's hint), and whether it may be
    skipped."""
    return f"✍️ {hint}" if required else f"✍️ {hint} Câu này không bắt buộc."


def section_heading(number: int, sections: int, title: str) -> str:
    return f"Phần {number}/{sections}: {title}"


def saved(title: str, value: str) -> str:
    return f"✔ Đã lưu: {title}: {value}"


def last_period_value(value: str) -> str:
    return f"Kỳ trước: {value}."


def carried_value(period_code: str, value: str) -> str:
    return f"Đã nhập ở kỳ {period_code}: {value}."


def current_value(value: str) -> str:
    return f"Đã nhập: {value}."


# The answer given, too long for the question's message, is sent whole just above it.
CURRENT_VALUE_ABOVE = (
    "Đã nhập: toàn văn ở tin nhắn phía trên. Để sửa, sao chép tin nhắn đó, sửa rồi gửi lại; "
    "nếu không cần sửa, bấm «Giữ nguyên»."
)


def saved_sample(title: str, text: str) -> str:
    """A sample text used at one tap: all of it, since the question showed only its start."""
    return (
        f"✔ Đã lưu: {title}:\n{text}\n"
        "(Muốn sửa: quay lại câu này, sao chép nội dung, sửa rồi gửi lại.)"
    )


def earlier_label(period_code: str) -> str:
    return f"(nội dung kỳ {period_code}) "


def confirm_outlier(*, title: str, value: str, previous: str) -> str:
    return (
        f"{title}: {value} khác nhiều so với kỳ trước ({previous}).\n"
        "Anh/chị vui lòng kiểm tra lại. Nếu đúng, bấm xác nhận; nếu nhầm, nhập lại số đúng."
    )


def confirm_late_date(*, title: str, day: date | None, limit: date | None, closes_on: date) -> str:
    if day is None or limit is None:  # the value changed under the question; ask plainly
        return f"{title}: anh/chị vui lòng kiểm tra lại ngày đã nhập."
    when = (
        f"sau ngày chốt số liệu của kỳ báo cáo ({closes_on:%d/%m/%Y})"
        if limit == closes_on
        else "sau hôm nay"
    )
    return (
        f"{title}: ngày {day:%d/%m/%Y} {when}.\n"
        "Anh/chị vui lòng kiểm tra lại. Nếu đúng, bấm xác nhận; nếu nhầm, nhập lại."
    )


CONFIRM_DATE_BUTTON = "✅ Ngày này đúng"


def confirm_outlier_button(value: str) -> str:
    return f"✅ Đúng là {value}"


def confirm_text(text: str) -> str:
    return (
        f"Nội dung đã chọn:\n\n{text}\n\n"
        'Bấm "Dùng đoạn này" để dùng nguyên văn, hoặc sao chép, sửa rồi gửi lại nội dung đã sửa.'
    )


def review_footer(*, resubmit: bool) -> str:
    if resubmit:
        return 'Anh/chị đã gửi các phần này. Sửa câu cần sửa rồi bấm "Gửi báo cáo" để cập nhật.'
    return (
        'Anh/chị kiểm tra lại các câu trả lời. Bấm số câu để sửa; nếu đã đúng, bấm "Gửi báo cáo".'
    )


def approved_status(
    *,
    unit: str,
    period: str,
    number: str | None,
    issued_on: date | None,
    approver: str | None,
    office: str | None,
    delivery: str | None,
) -> str:
    """Where the latest approved report stands, for its officers once nothing is open."""
    approved = f"✅ Báo cáo {period} của {unit} đã được {approver + ' ' if approver else ''}duyệt"
    if number is None:
        lines = [f"{approved}; văn thư đang cấp số."]
    else:
        day = f" ngày {issued_on:%d/%m/%Y}" if issued_on is not None else ""
        lines = [f"{approved}: số {number}{day}."]
    if office and delivery == "delivered":
        lines.append(f"Đã gửi đến {office}.")
    elif office and delivery == "failed":
        lines.append(f"Chưa gửi được đến {office}; người duyệt đã được báo để xử lý.")
    elif office:
        lines.append(f"Đang gửi đến {office}.")
    lines.append(
        "Anh/chị không cần làm gì thêm. Bot sẽ nhắn khi đến kỳ báo cáo sau. "
        "Gõ /xem để xem số liệu đã duyệt."
    )
    return "\n".join(lines)


def approved_figures_header(period: str) -> str:
    return f"Số liệu đã duyệt của báo cáo {period} (phần của anh/chị):"


def entered_header(period: ReportingPeriod) -> str:
    return f"Số liệu anh/chị đã nhập cho báo cáo {period_label(period)}:"


def submitted(
    *, kind: str, unit: Unit, period: ReportingPeriod, waiting_titles: list[str], again: bool
) -> str:
    """`kind` is the report kind's short name ("CCHC")."""
    first = (
        "Đã cập nhật phần báo cáo của anh/chị."
        if again
        else "Cảm ơn anh/chị! Đã gửi phần báo cáo của anh/chị."
    )
    report = f"Báo cáo {report_label(kind, period)} của {unit_display_name(unit)}"
    if waiting_titles:
        waiting = "\n".join(f"• {title}" for title in waiting_titles)
        return f"{first}\n{report} còn chờ các phần:\n{waiting}"
    return f"{first}\n{report} đã đủ số liệu và sẽ được gửi lãnh đạo UBND xã duyệt."


# ----- Approval and delivery -----------------------------------------------------------------

APPROVE_BUTTON = "✅ Duyệt"
RETURN_BUTTON = "✏️ Yêu cầu sửa"
VIEW_DATA_BUTTON = "📊 Xem số liệu"
ACKNOWLEDGE_BUTTON = "✅ Đã nhận"
TYPE_NUMBER_BUTTON = "✏️ Nhập số khác"

NOT_APPROVER = "Anh/chị không phải người duyệt báo cáo của đơn vị này."
# Telegram shows at most 200 characters in a button's pop-up.
ALERT_LIMIT = 200


def not_approver(*, unit: str, approvers: list[tuple[str, str]], unassigned_vice: bool) -> str:
    """To the commune's own people: who approves its reports (`approvers`: title, name)."""
    if approvers:
        named = [f"{title} {name}" for title, name in approvers[:3]]
        more = " hoặc người khác được phân công" if len(approvers) > 3 else ""
        text = f"Báo cáo của {unit} do {' hoặc '.join(named)}{more} duyệt."
    else:
        text = (
            f"{unit[:1].upper()}{unit[1:]} chưa có Chủ tịch hoặc Phó Chủ tịch được phân công "
            "duyệt báo cáo; đề nghị liên hệ quản trị viên."
        )
    if unassigned_vice:
        text += " Anh/chị chưa được phân công ký báo cáo này."
    return text if len(text) <= ALERT_LIMIT else text[: ALERT_LIMIT - 1] + "…"


NOT_CLERK = "Chỉ văn thư của đơn vị này được cấp số văn bản."
NOT_OFFICE = "Chỉ cán bộ của cơ quan tiếp nhận báo cáo này được xác nhận."
NOT_ALLOWED_TO_SEE = "Anh/chị không có quyền xem báo cáo này."
ALREADY_APPROVED = "Báo cáo này đã được duyệt. Không cần bấm lại."
ALREADY_RETURNED = "Bản này đã được trả lại để sửa. Vui lòng chờ bản mới."
ROUND_REOPENED = "Báo cáo đang được cán bộ sửa lại. Vui lòng chờ bản mới."
ALREADY_ACKNOWLEDGED = "Đã ghi nhận từ trước. Cảm ơn anh/chị."
ACKNOWLEDGED = "Đã ghi nhận anh/chị đã nhận báo cáo. Cảm ơn!"
ASK_RETURN_COMMENT = (
    "Anh/chị cần cán bộ sửa gì? Nhập nội dung trong một tin nhắn "
    "(ví dụ: «Số tin bài trên trang thông tin chưa khớp sổ theo dõi»). Gõ /huy để thôi."
)
RETURN_COMMENT_EMPTY = "Nội dung đang trống. Vui lòng nhập cần sửa gì (bằng chữ)."
RETURN_COMMENT_MAX = 1000
RETURN_COMMENT_TOO_LONG = (
    f"Nội dung quá dài (tối đa {RETURN_COMMENT_MAX} ký tự). Vui lòng viết ngắn hơn."
)
INPUT_CANCELLED = "Đã thôi, chưa thay đổi gì."
INPUT_NOT_TEXT = "Vui lòng nhập bằng chữ. Gõ /huy để thôi."
ASK_NUMBER = "Nhập số văn bản (chỉ phần số, ví dụ 05). Gõ /huy để thôi."
NUMBER_NOT_VALID = "Số văn bản là một số từ 1 đến 9999, ví dụ 05. Vui lòng nhập lại."
NO_HISTORY = "Chưa có phiên bản báo cáo nào."
NO_APPROVER_YET = "Chưa có Chủ tịch hoặc Phó Chủ tịch nào của đơn vị đăng ký dùng bot để duyệt."

# ----- /noinhan: who the commune's reports are sent to ("Nơi nhận") -------------------------

NOT_LEADER_FOR_RECIPIENTS = (
    "Chỉ Chủ tịch hoặc Phó Chủ tịch Ủy ban nhân dân xã được đặt nơi nhận của báo cáo (/noinhan). "
    "Nếu nơi nhận cần sửa, anh/chị vui lòng báo lãnh đạo UBND xã."
)
RECIPIENTS_RESET_WORD = "mặc định"
_RECIPIENTS_HOW = (
    "Để thay, anh/chị gửi danh sách mới, mỗi nơi nhận một dòng, ví dụ:\n"
    "Sở Nội vụ tỉnh Hưng Yên\n"
    "Thường trực Đảng ủy, HĐND xã\n"
    "Lưu: VT, VP\n"
    "(không cần gõ dấu gạch đầu dòng; thiếu dòng «Lưu» thì bot thêm «Lưu: VT.»).\n"
    f"Gửi «{RECIPIENTS_RESET_WORD}» để dùng lại danh sách mặc định, /huy để giữ nguyên."
)
_RECIPIENTS_AGAIN = "Anh/chị vui lòng gửi lại danh sách (hoặc /huy để giữ nguyên)."


def recipients_now(*, unit: str, lines: tuple[str, ...], default: bool) -> str:
    which = "danh sách mặc định" if default else "do đơn vị đặt"
    listed = "\n".join(lines)
    return f"Nơi nhận của báo cáo UBND {unit} ({which}):\n{listed}\n\n{_RECIPIENTS_HOW}"


def recipients_saved(*, unit: str, lines: tuple[str, ...], default: bool) -> str:
    which = " (danh sách mặc định)" if default else ""
    listed = "\n".join(lines)
    return (
        f"Đã lưu nơi nhận của báo cáo UBND {unit}{which}:\n{listed}\n\n"
        "Các dự thảo tạo từ nay sẽ ghi danh sách này. Dự thảo đang chờ duyệt vẫn giữ danh sách "
        "cũ cho đến khi cán bộ gửi lại báo cáo."
    )


RECIPIENTS_EMPTY = f"Danh sách nơi nhận đang trống. {_RECIPIENTS_AGAIN}"


def recipients_too_many(count: int, most: int) -> str:
    return f"Danh sách có {count} nơi nhận, tối đa {most}. {_RECIPIENTS_AGAIN}"


def recipients_too_long(lines: list[int], most: int) -> str:
    which = ", ".join(str(line) for line in lines)
    return f"Dòng {which} dài quá {most} ký tự. {_RECIPIENTS_AGAIN}"


DRAFT_STATUS_LABELS = {
    "awaiting": "chờ duyệt",
    "superseded": "đã thay bằng bản mới",
    "returned": "đã trả lại để sửa",
    "approved": "đã duyệt",
}


def unit_title(kind_label: str, name: str) -> str:
    """'UBND xã Tân Quang'."""
    return f"UBND {kind_label} {name}".replace("  ", " ")


def old_version(version: int, latest: int) -> str:
    return f"Đây là bản cũ (phiên bản {version}). Vui lòng xem phiên bản {latest} mới nhất."


def draft_caption(*, unit: str, period: str, version: int) -> str:
    return (
        f"Dự thảo báo cáo {period} của {unit}, phiên bản {version}.\n"
        "Anh/chị xem rồi bấm «Duyệt», hoặc «Yêu cầu sửa» để gửi lại cán bộ kèm ý kiến."
    )


def draft_intro(*, unit: str, period: str, version: int) -> str:
    return (
        f"📄 Các cán bộ đã nhập xong số liệu {period} của {unit}. "
        f"Dưới đây là dự thảo báo cáo (phiên bản {version}); tệp .docx ở tin nhắn cuối."
    )


def returned_to_officer(
    *, approver: str, unit: str, period: str, version: int, comment: str
) -> str:
    return (
        f"✏️ {approver} đề nghị sửa báo cáo {period} của {unit} (phiên bản {version}):\n"
        f"«{comment}»\n\n"
        "Gõ /baocao để xem lại, sửa số liệu rồi bấm «Gửi báo cáo»."
    )


def returned_done(names: list[str]) -> str:
    if not names:
        return "Đã trả lại báo cáo. Chưa có cán bộ nào đăng ký dùng bot để nhận ý kiến."
    return "Đã trả lại báo cáo kèm ý kiến cho: " + ", ".join(names) + "."


def approved_waiting_for_clerk(clerks: list[str]) -> str:
    return "Đã duyệt. Văn thư (" + ", ".join(clerks) + ") sẽ cấp số, rồi báo cáo được gửi đi."


def ask_clerk_number(*, approver: str, unit: str, period: str, next_number: int) -> str:
    return (
        f"🗂 {approver} đã duyệt báo cáo {period} của {unit}.\n"
        f"Số tiếp theo trong sổ văn bản đi là {next_number:02d}. "
        "Bấm nút để dùng số này, hoặc chọn «Nhập số khác»."
    )


def use_number_button(number: int) -> str:
    return f"🔢 Dùng số {number:02d}"


def number_taken(number: int, year: int) -> str:
    return f"Số {number:02d} đã dùng cho văn bản khác năm {year}. Vui lòng nhập số khác."


def already_numbered(number: str) -> str:
    return f"Báo cáo này đã được cấp số {number}."


def approved_final(*, number: str, issued_on: str, office: str) -> str:
    where = f" đang được gửi đến {office}" if office else " đã được lưu"
    return (
        f"✅ Đã duyệt. Báo cáo số {number} ngày {issued_on}{where}; "
        "bản chính thức sẽ được gửi lại anh/chị."
    )


def final_caption(*, unit: str, period: str, number: str) -> str:
    return f"Báo cáo {period} của {unit}, số {number} (bản chính thức)."


def approved_to_officer(
    *, unit: str, period: str, number: str, office: str, office_chat: bool
) -> str:
    """At approval the report is only queued for the office: say so, and that they will hear
    when it arrives (`office_chat`: the office has registered where it receives reports)."""
    first = f"✅ Báo cáo {period} của {unit} đã được duyệt, số {number}."
    if not office:
        where = " Báo cáo được lưu trên hệ thống."
    elif office_chat:
        where = f" Báo cáo đang được gửi đến {office}; bot sẽ báo khi gửi xong."
    else:
        where = (
            f" Báo cáo sẽ được gửi đến {office} khi cơ quan đăng ký nhận báo cáo trên bot; "
            "bot sẽ báo khi gửi xong."
        )
    return f"{first}{where} Anh/chị không cần làm gì thêm. Cảm ơn anh/chị!"


def delivered_to_commune(*, unit: str, period: str, number: str, office: str) -> str:
    return f"📨 Báo cáo {period} của {unit} (số {number}) đã được gửi đến {office}."


def undelivered_to_officer(*, unit: str, period: str, number: str, office: str) -> str:
    return (
        f"⚠️ Báo cáo {period} của {unit} (số {number}) chưa gửi được đến {office}. "
        "Người duyệt báo cáo đã được báo để xử lý; anh/chị không cần làm gì thêm."
    )


def delivery_summary(
    *, unit: str, period: str, number: str, issued_on: str, signer: str, signer_role: str
) -> str:
    """The one line the receiving office reads with the file."""
    return f"{unit} · Báo cáo {period} · Số {number} ngày {issued_on} · {signer_role} {signer}"


def version_line(
    *, version: int, status: str, at: str, number: str | None, comment: str | None
) -> str:
    line = f"• Phiên bản {version} ({at}): {DRAFT_STATUS_LABELS.get(status, status)}"
    if number:
        line += f", số {number}"
    if comment:
        line += f"\n  Ý kiến: «{comment}»"
    return line


def history_header(*, unit: str, period: str) -> str:
    return f"🗂 Báo cáo {period} của {unit}:"


def version_button(version: int) -> str:
    return f"📄 Tải bản {version}"


def version_caption(*, unit: str, period: str, version: int, status: str) -> str:
    label = DRAFT_STATUS_LABELS.get(status, status)
    return f"Báo cáo {period} của {unit}, phiên bản {version} ({label})."


def data_header(*, unit: str, period: str, version: int) -> str:
    return f"📊 Số liệu của phiên bản {version}, báo cáo {period} của {unit}:"


# ----- The calendar: prompts, reminders, escalations -------------------------------------------

START_BUTTON = "▶️ Bắt đầu nhập"
CONTINUE_BUTTON = "▶️ Tiếp tục nhập"

ROUND_STATUS_LABELS = {
    RoundStatus.OPEN: "đang nhập số liệu",
    RoundStatus.SUBMITTED: "chờ Chủ tịch duyệt",
    RoundStatus.RETURNED: "đang sửa theo ý kiến Chủ tịch",
    RoundStatus.APPROVED: "đã duyệt, chưa gửi",
    RoundStatus.DELIVERED: "đã gửi",
    RoundStatus.CLOSED: "đã đóng",
}


def _day(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def round_prompt(
    *, subject: str, unit: str, period: str, starts_on: date, closes_on: date, sections: list[str]
) -> str:
    """`subject` is the report kind's form title, "Kết quả công tác tuyên truyền cải cách hành
    chính"; `period` its period alone."""
    return (
        f"📋 Đã đến kỳ báo cáo {_lower_first(subject)} {period} của {unit}.\n"
        f"Số liệu tính từ {_day(starts_on)} đến {_day(closes_on)}; "
        f"hạn chốt số liệu {_day(closes_on)}.\n"
        f"Anh/chị phụ trách:\n{_bullets(sections)}\n"
        "Bấm nút dưới đây hoặc gõ /baocao để bắt đầu."
    )


def reminder(
    *,
    period: str,
    closes_on: date,
    days_left: int,
    sections: list[str],
    answered: int,
    questions: int,
) -> str:
    when = "Hôm nay" if days_left == 0 else f"Còn {days_left} ngày nữa"
    progress = f"đã trả lời {answered}/{questions} câu" if answered else "chưa trả lời câu nào"
    return (
        f"⏰ {when} là hạn chốt số liệu báo cáo {period} ({_day(closes_on)}).\n"
        f"Anh/chị còn chưa gửi ({progress}):\n{_bullets(sections)}\n"
        "Bấm nút dưới đây hoặc gõ /baocao để tiếp tục."
    )


def escalation(*, unit: str, period: str, missing: list[tuple[str, str]]) -> str:
    lines = [
        f"{title}: {who}" if who else f"{title}: chưa có cán bộ đăng ký" for title, who in missing
    ]
    return (
        f"⚠️ Hôm nay chốt số liệu báo cáo {period} của {unit}. "
        f"Còn {len(missing)} phần chưa gửi:\n{_bullets(lines)}\n"
        "Đề nghị đồng chí nhắc các cán bộ hoàn thành trong ngày."
    )


def late_communes(*, period: str, deadline: date | None, communes: list[tuple[str, str]]) -> str:
    when = f" (hạn {_day(deadline)})" if deadline else ""
    lines = [f"{name}: {status}" for name, status in communes]
    return (
        f"⚠️ Đã quá hạn gửi báo cáo {period}{when}. "
        f"{len(communes)} đơn vị chưa gửi:\n{_bullets(lines)}"
    )


def blocked_person(*, name: str, role: str) -> str:
    return (
        f"ℹ️ {name} ({role}) đã chặn bot hoặc xóa cuộc trò chuyện với bot, nên không nhận được "
        "tin nhắn nhắc báo cáo. Đề nghị nhắc trực tiếp và đề nghị mở lại bot (bấm /start)."
    )


# ----- The receiving office ------------------------------------------------------------------

NOT_OFFICE_STAFF = (
    "Lệnh này dành cho cán bộ cơ quan tiếp nhận báo cáo. Anh/chị chưa được đăng ký là cán bộ "
    "của cơ quan tiếp nhận."
)
NO_PERIOD_YET = "Chưa có kỳ báo cáo nào được mở cho các đơn vị của cơ quan."
OFFICE_HAS_NO_COMMUNES = "Cơ quan chưa có đơn vị cấp xã nào gửi báo cáo đến."
BAD_PERIOD_CODE = (
    "Kỳ báo cáo không đúng. Anh/chị vui lòng ghi kỳ theo mẫu 2026-Q4 (quý), 2026-H1 (6 tháng) "
    "hoặc 2026-Y (năm), ví dụ: /tiendo 2026-Q4"
)


def bad_office_argument(kinds: list[str]) -> str:
    """/tiendo or /tonghop with words that are neither a period nor a report kind."""
    return (
        "Không rõ kỳ hoặc loại báo cáo. Anh/chị vui lòng ghi loại báo cáo ("
        + ", ".join(kinds)
        + ") và/hoặc kỳ theo mẫu 2026-Q4 (quý), 2026-H1 (6 tháng) hoặc 2026-Y (năm), ví dụ: "
        + f"/tiendo {kinds[-1]} 2026-Q4"
    )


REMIND_BUTTON = "🔔 Nhắc các đơn vị chưa báo cáo"
NOTHING_TO_REMIND = (
    "Không có đơn vị nào cần nhắc: các đơn vị đều đã báo cáo hoặc đã được nhắc hôm nay."
)
COMPILING = "⏳ Đang tổng hợp số liệu, vui lòng chờ trong giây lát..."


def office_progress_header(
    *, office: str, period: str, deadline: date, expected: int, approved: int, on_time: int
) -> str:
    return (
        f"📋 Tiến độ báo cáo {period}\n{office} · hạn gửi {_day(deadline)}\n"
        f"Đã báo cáo: {approved}/{expected} đơn vị (đúng hạn {on_time})."
    )


def progress_picture_title(*, period: str) -> str:
    return f"Tiến độ báo cáo {period}"


def progress_picture_subtitle(
    *, office: str, approved: int, expected: int, deadline: date, overdue: bool
) -> str:
    late = " (đã quá hạn)" if overdue else ""
    return f"{office} · đã báo cáo {approved}/{expected} đơn vị · hạn gửi {deadline:%d/%m/%Y}{late}"


def progress_picture_caption(*, office: str, period: str, approved: int, expected: int) -> str:
    return f"📊 {office}, {period}: {approved}/{expected} đơn vị đã báo cáo."


def office_progress_line(*, mark: str, name: str, detail: str) -> str:
    return f"{mark} {name}: {detail}"


def more_communes(count: int) -> str:
    return f"… và {count} đơn vị khác (đầy đủ trong tệp tổng hợp: /tonghop)."


def reminded(*, people: int, communes: int) -> str:
    return f"🔔 Đã gửi nhắc nhở tới {people} người ở {communes} đơn vị chưa báo cáo."


NOBODY_REMINDED = "🔔 Chưa gửi được nhắc nhở nào."
NOBODY_REMINDED_TODAY = (
    "🔔 Không gửi thêm nhắc nhở: những người cần nhắc đã được nhắc hôm nay "
    "(mỗi người được nhắc một lần mỗi ngày)."
)


def nobody_to_remind(lines: list[str]) -> str:
    """For the office: the communes whose report waits on people not registered on the bot."""
    return (
        f"⚠️ {len(lines)} đơn vị chưa báo cáo không có ai để nhắc, vì người phụ trách chưa "
        "đăng ký sử dụng bot:\n" + "\n".join(f"• {line}" for line in lines)
    )


def _ask_admins(admins: list[str]) -> str:
    named = f" ({', '.join(admins)})" if admins else ""
    return f"quản trị viên hệ thống{named}"


def no_officer_registered(*, unit: str, approver: str, role: Role, admins: list[str]) -> str:
    title = "Chủ tịch" if role is Role.CHAIRMAN else "Phó Chủ tịch"
    return (
        f"{unit}: đang nhập số liệu, nhưng cán bộ phụ trách chưa đăng ký. Đề nghị liên hệ "
        f"{title} {approver} để đôn đốc, hoặc đề nghị {_ask_admins(admins)} gửi lời mời "
        "đăng ký cho cán bộ."
    )


def no_approver_registered(*, unit: str, admins: list[str]) -> str:
    return (
        f"{unit}: báo cáo đang chờ duyệt, nhưng Chủ tịch chưa đăng ký. Đề nghị "
        f"{_ask_admins(admins)} gửi lời mời đăng ký cho Chủ tịch (hoặc Phó Chủ tịch được "
        "ký thay)."
    )


def nobody_registered(*, unit: str, admins: list[str]) -> str:
    return (
        f"{unit}: chưa có ai của đơn vị đăng ký. Đề nghị {_ask_admins(admins)} gửi lời mời "
        "đăng ký cho cán bộ phụ trách và Chủ tịch."
    )


KEEP_DELIVERY_CHAT_BUTTON = "Giữ nơi nhận hiện tại"
MOVE_DELIVERY_CHAT_BUTTON = "Chuyển về trò chuyện này"


def _delivery_chat(group: bool) -> str:
    return "nhóm đã đăng ký" if group else "trò chuyện riêng của một cán bộ khác"


def delivery_chat_question(*, office: str, group: bool) -> str:
    return (
        f"Báo cáo của các xã và bảng tổng hợp gửi cho {office} hiện được gửi vào "
        f"{_delivery_chat(group)}. Anh/chị muốn giữ nguyên, hay chuyển về trò chuyện riêng "
        "này với bot?"
    )


def delivery_chat_kept(*, office: str, group: bool) -> str:
    return f"Đã giữ nguyên: báo cáo gửi cho {office} vẫn được gửi vào {_delivery_chat(group)}."


def delivery_chat_moved_here(*, office: str) -> str:
    return f"Từ nay báo cáo và bảng tổng hợp gửi cho {office} được gửi vào trò chuyện này."


def delivery_chat_moved_away(*, office: str, person: str) -> str:
    return (
        f"ℹ️ Theo yêu cầu của {person}, từ nay báo cáo và bảng tổng hợp gửi cho {office} được "
        f"gửi vào trò chuyện riêng của {person} với bot, không gửi vào đây nữa. Để nhận lại ở "
        "đây, đề nghị quản trị viên gửi lời mời mới cho nhóm."
    )


def office_reminder(*, unit: str, period: str, deadline: date, sections: list[str]) -> str:
    return (
        f"🔔 Cơ quan tiếp nhận nhắc: báo cáo {period} của {unit} chưa được gửi "
        f"(hạn {_day(deadline)}). Anh/chị vui lòng hoàn thành phần: {', '.join(sections)}."
    )


def office_reminder_approver(*, unit: str, period: str, deadline: date) -> str:
    return (
        f"🔔 Cơ quan tiếp nhận nhắc: báo cáo {period} của {unit} đang chờ đồng chí duyệt "
        f"(hạn {_day(deadline)}). Bấm /lichsu để xem và duyệt."
    )


def compiled_caption(*, office: str, period: str, approved: int, expected: int) -> str:
    return f"📊 Tổng hợp báo cáo {period} · {office}: {approved}/{expected} đơn vị đã báo cáo."


COMPILED_PART_CAPTIONS = {
    "xlsx": "Bảng tổng hợp số liệu (số liệu, tiến độ, nội dung)",
    "docx": "Dự thảo báo cáo tổng hợp của cơ quan",
    "zip": "Báo cáo đã duyệt của các đơn vị",
}

# In a group the bot answers only the office's staff, and private commands get this one line.
PRIVATE_CHAT_ONLY = "Lệnh này chỉ dùng được trong cuộc trò chuyện riêng với bot."


# ----- answers bound to the prompt the person saw ----------------------------------------------

TYPED_BEFORE_PROMPT = (
    "ℹ️ Tin nhắn vừa rồi được gửi trước khi câu hỏi dưới đây đến máy anh/chị, nên chưa được "
    "lưu cho câu này. Vui lòng trả lời câu hỏi dưới đây."
)


def already_saved(title: str, value: str) -> str:
    return f"✅ «{title}» đã được lưu trước đó: {value}. Không cần gửi lại."


TYPED_BEFORE_LATEST = (
    "ℹ️ Tin nhắn vừa rồi được gửi trước khi câu hỏi mới nhất đến máy anh/chị, nên chưa được "
    "lưu. Vui lòng trả lời câu hỏi mới nhất ở trên."
)


def typed_for_earlier_question(title: str, value: str, *, below: bool = True) -> str:
    where = "dưới đây" if below else "mới nhất ở trên"
    return (
        f"ℹ️ Tin nhắn vừa rồi được gửi khi anh/chị đang xem câu «{title}» (đã lưu: {value}), "
        "nên không được lưu vào câu nào. Muốn sửa câu đó, gõ /xem rồi chọn ✏️ khi xem lại; "
        f"còn bây giờ, vui lòng trả lời câu hỏi {where}."
    )


TOO_FAST = (
    "Anh/chị gửi nhiều tin nhắn quá nhanh nên các tin vừa gửi chưa được đọc. Vui lòng chờ "
    "một chút rồi gửi lại từng câu trả lời."
)
NOT_TAKEN = (
    "⚠️ Xin lỗi, hệ thống đang gặp sự cố nên CHƯA nhận được tin nhắn vừa rồi của anh/chị. "
    "Các câu trả lời trước đó vẫn được giữ nguyên. Vui lòng gửi lại tin nhắn đó sau ít phút."
)
NOT_TAKEN_BUTTON = "Hệ thống đang gặp sự cố, chưa nhận được thao tác này. Vui lòng bấm lại sau."


# ----- Deliveries: a resend that may repeat, a message that failed for good -----------------

# Put before the caption of a report file resent to the office after a try whose answer never
# came (Telegram may have shown it already).
MAYBE_REPEAT_NOTE = (
    "🔁 Gửi lại do lần gửi trước không nhận được xác nhận: nếu đã nhận tệp này ở tin trước "
    "thì đây là bản trùng, chỉ cần dùng một bản."
)
DELIVERY_WAITING = "đang gửi đến cơ quan"
DELIVERY_FAILED = "gửi đến cơ quan không thành công"
FAILED_COMPILED_FILE = "tệp tổng hợp báo cáo"
FAILED_MESSAGE = "một tin nhắn"


def office_progress_delivery(*, waiting: int, failed: int) -> str:
    """Under /tiendo's header: approved reports the office's chat has not received."""
    parts = []
    if failed:
        parts.append(f"{failed} gửi không thành công")
    if waiting:
        parts.append(f"{waiting} đang gửi")
    return f"Đã duyệt nhưng chưa đến cơ quan: {', '.join(parts)}."


def failed_report(*, period: str, unit: str, number: str | None) -> str:
    """'báo cáo CCHC quý IV năm 2026 của xã Tân Quang (số 01/BC-UBND)'."""
    numbered = f" (số {number})" if number else ""
    return f"báo cáo {period} của {unit}{numbered}"


def delivery_failed_to_admin(*, message_id: int, what: str, where: str, error: str) -> str:
    return (
        f"⚠️ Không gửi được {what} đến {where}. Telegram từ chối: {error}.\n"
        "Sau khi khắc phục (ví dụ: cơ quan thêm lại bot vào nhóm và đăng ký lại nhóm), "
        f"gửi lại bằng lệnh trên máy chủ: baocao outbox retry {message_id}"
    )


def delivery_failed_to_approver(*, what: str, where: str, admins_told: bool) -> str:
    then = (
        "Quản trị viên hệ thống đã được báo để khắc phục và gửi lại."
        if admins_told
        else "Bot chưa có quản trị viên nào để báo; đề nghị đồng chí báo quản trị viên hệ "
        "thống, hoặc gửi trực tiếp bản chính thức đến cơ quan."
    )
    return f"⚠️ {what[:1].upper()}{what[1:]} chưa gửi được đến {where}. {then}"


# ----- several report kinds ------------------------------------------------------------------


def choose_report(waiting: Sequence[tuple[str, str, ReportingPeriod]]) -> str:
    """/baocao with work left in more than one report: which one now. `waiting` holds each
    kind's code, its name and the period."""
    lines = [f"Anh/chị đang có {len(waiting)} báo cáo cần nhập số liệu. Gõ:"]
    lines += [
        f"• /baocao {code} — báo cáo {name} {period_label(period)}"
        for code, name, period in waiting
    ]
    return "\n".join(lines)


def unknown_report(codes: Sequence[str]) -> str:
    typed = " hoặc ".join(f"/baocao {code}" for code in codes)
    return f"Không có loại báo cáo này. Anh/chị gõ /baocao, hoặc {typed}."


def no_open_report(name: str) -> str:
    return f"Hiện không có báo cáo {name} nào đang mở để anh/chị nhập số liệu."


# ----- Zalo (no buttons, no documents) ----------------------------------------------------------

ZALO_NOT_REGISTERED = (
    "Xin chào! Tài khoản Zalo này chưa được đăng ký với hệ thống báo cáo.\n"
    "Anh/chị vui lòng gửi mã mời do quản trị viên cấp (một tin nhắn chỉ gồm mã) để đăng ký."
)
ZALO_TEXT_ONLY = "Bot chỉ đọc được tin nhắn chữ. Anh/chị vui lòng gõ câu trả lời."
ZALO_INVALID_INVITATION = (
    "Mã mời không dùng được (có thể đã hết hạn hoặc đã được sử dụng).\n"
    "Anh/chị vui lòng liên hệ quản trị viên để được cấp mã mới."
)
ZALO_ROLE_NOT_YET = (
    "Trên Zalo, bot phục vụ cán bộ nhập số liệu, lãnh đạo duyệt báo cáo, văn thư và cơ quan tiếp "
    "nhận. Với vai trò trong mã mời này, anh/chị vui lòng dùng Telegram; mã mời vẫn dùng được ở "
    "đó."
)
ZALO_OFFICE_FILES_HERE = (
    "📥 Báo cáo đã duyệt của các xã sẽ được gửi đến anh/chị tại đây, qua Zalo "
    "(ảnh từng trang và đường liên kết tải tệp)."
)
ZALO_OFFICE_FILES_ELSEWHERE = (
    "📥 Báo cáo của các xã vẫn được gửi đến nơi cơ quan đã đăng ký trước đó. "
    "Anh/chị xem tiến độ bằng /tiendo, lấy tệp tổng hợp bằng /tonghop."
)
ZALO_NO_COMPILED_FILE = (
    "(Bot chưa gửi được tệp tổng hợp qua Zalo. Anh/chị vui lòng liên hệ quản trị viên.)"
)


def zalo_help(*, full_name: str, office: bool = False) -> str:
    help_text = (
        f"Anh/chị {full_name}:\n"
        "/baocao - Nhập hoặc tiếp tục nhập số liệu kỳ này\n"
        "/xem - Xem số liệu đã nhập\n"
        "/huy - Tạm dừng nhập (không mất số liệu)\n"
        "Khi bot hỏi, anh/chị gõ câu trả lời; các lựa chọn được ghi ngay dưới câu hỏi.\n"
        "Lãnh đạo duyệt báo cáo: khi bot gửi dự thảo, gõ «duyệt», «sửa <ý kiến>» hoặc "
        "«xem số liệu»."
    )
    if office:
        help_text += (
            "\nCơ quan tiếp nhận: /tiendo - tiến độ báo cáo của các xã (gõ «nhắc» để nhắc các "
            "xã chưa báo cáo); /tonghop - các tệp tổng hợp."
        )
    return help_text


def zalo_invitation(*, code: str) -> str:
    """What an administrator forwards to a person who registers on Zalo."""
    return (
        "Anh/chị mở Zalo, tìm bot báo cáo của tỉnh, bấm Quan tâm/Nhắn tin và gửi cho bot "
        f"một tin nhắn chỉ gồm mã sau:\n{code}\n"
        "Mã chỉ dùng được một lần."
    )


ZALO_NO_FILE_YET = "(Bot chưa gửi được tệp qua Zalo; toàn văn báo cáo ở các tin nhắn ngay trên.)"


def zalo_file_links(files: list[tuple[str, str]], *, days: int) -> str:
    """A report's files on Zalo, where the bot cannot send files: links to download them."""
    lines = [f"📎 {filename}:\n{link}" for filename, link in files]
    return "\n".join(
        [f"Tải tệp (đường liên kết chỉ dùng cho anh/chị, dùng được {days} ngày):", *lines]
    )


def zalo_page_caption(*, filename: str, page: int, pages: int) -> str:
    """Under one page of a report shown as a picture on Zalo."""
    return f"📄 {filename} · trang {page}/{pages}"
