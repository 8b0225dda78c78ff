"""What a unit is called by its kind: "xã", "phường", "đặc khu"."""

from __future__ import annotations

from storage.models import UnitKind

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
