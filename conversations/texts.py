"""What people read: Vietnamese wording, kept out of the Telegram code so it can be reviewed."""

from __future__ import annotations

from storage.models import Role, Unit, UnitKind

ROLE_LABELS: dict[Role, str] = {
    Role.OFFICER: "cán bộ phụ trách tuyên truyền cải cách hành chính",
    Role.CHAIRMAN: "Chủ tịch Ủy ban nhân dân",
    Role.VICE_CHAIRMAN: "Phó Chủ tịch Ủy ban nhân dân",
    Role.CLERK: "văn thư",
    Role.OFFICE: "cán bộ cơ quan tiếp nhận báo cáo",
    Role.ADMIN: "quản trị viên",
}

KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.PROVINCE: "tỉnh",
    UnitKind.CITY: "thành phố",
    UnitKind.DISTRICT: "huyện",
    UnitKind.COMMUNE: "xã",
    UnitKind.WARD: "phường",
    UnitKind.SPECIAL_ZONE: "đặc khu",
    UnitKind.TOWNSHIP: "thị trấn",
    UnitKind.OFFICE: "",
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
GROUP_ONLY_OFFICE = (
    "Trong nhóm chỉ dùng được đường liên kết mời của cơ quan tiếp nhận báo cáo. "
    "Anh/chị vui lòng mở đường liên kết mời trong cuộc trò chuyện riêng với bot."
)
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
INTERNAL_ERROR = (
    "Xin lỗi, hệ thống gặp lỗi khi xử lý yêu cầu. Thông tin anh/chị đã nhập không bị mất; "
    "vui lòng thử lại sau ít phút."
)

# What each role will be asked to do, shown in /help. Later features add their commands here.
ROLE_DUTIES: dict[Role, str] = {
    Role.OFFICER: (
        "Gần cuối mỗi quý, bot sẽ hỏi anh/chị số liệu tuyên truyền cải cách hành chính "
        "(truyền thanh, trang thông tin điện tử, trực quan, hội nghị...)."
    ),
    Role.CHAIRMAN: "Bot sẽ gửi dự thảo báo cáo để anh/chị duyệt hoặc yêu cầu sửa.",
    Role.VICE_CHAIRMAN: "Bot sẽ gửi dự thảo báo cáo để anh/chị duyệt khi được phân công ký.",
    Role.CLERK: "Bot sẽ gửi báo cáo đã duyệt để anh/chị cấp số văn bản.",
    Role.OFFICE: "Bot sẽ gửi báo cáo đã duyệt của các xã, phường và bảng tổng hợp.",
    Role.ADMIN: "Anh/chị quản lý đơn vị, người dùng và lịch báo cáo bằng lệnh baocao trên máy chủ.",
}

COMMANDS: list[tuple[str, str]] = [
    ("start", "Bắt đầu / đăng ký bằng đường liên kết mời"),
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


def help_text(*, full_name: str, roles: list[tuple[Role, Unit]]) -> str:
    lines = [f"Anh/chị {full_name}:"]
    for role, unit in roles:
        lines.append(f"• {role_in_unit(role, unit)}: {ROLE_DUTIES[role]}")
    lines.append("")
    lines.append("Các lệnh:")
    lines.extend(f"/{name} - {description}" for name, description in COMMANDS)
    return "\n".join(lines)


STALE_BUTTON = "Nút này không còn hiệu lực. Gõ /help để xem các việc có thể làm."
