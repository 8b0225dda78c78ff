"""A synthetic province for the benchmarks: communes under one receiving office, and officers
whose Telegram accounts are known (so nobody needs an invitation)."""

from __future__ import annotations

from pathlib import Path


def write_province(
    folder: Path, *, communes: int, officers: int, first_user_id: int
) -> tuple[Path, Path]:
    """units.csv and people.csv in `folder`; officer n works in commune n % communes."""
    units = [
        "code,name,kind,parent_code,office_code",
        "P,Tỉnh mẫu,tỉnh,,",
        "SNV,Sở Nội vụ,cơ quan,P,",
    ]
    units += [f"X{n:04d},Xã số {n},xã,P,SNV" for n in range(communes)]
    people = ["unit_code,role,full_name,telegram_user_id"]
    people += [
        f"X{n % communes:04d},officer,Cán bộ {n},{first_user_id + n}" for n in range(officers)
    ]
    units_file, people_file = folder / "units.csv", folder / "people.csv"
    units_file.write_text("\n".join(units) + "\n", encoding="utf-8")
    people_file.write_text("\n".join(people) + "\n", encoding="utf-8")
    return units_file, people_file
