"""`baocao kinds`, `baocao kind check DIR` and `baocao draft --kind`: a province sees the kinds
shipped, checks its own copy of a kind's folder (errors by file and line), and drafts a report of
any kind from a file of answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx

import report_kinds
from tests.cli import baocao_here
from tests.e2e.conftest import base_environment


async def baocao(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    return await baocao_here(*args, env=base_environment(), cwd=tmp_path)


async def test_kinds_lists_the_kinds_run_then_those_shipped(tmp_path: Path) -> None:
    unset = {k: v for k, v in base_environment().items() if k != "BAOCAO_REPORT_KINDS"}
    default = await baocao_here("kinds", env=unset, cwd=tmp_path)
    both = await baocao_here(
        "kinds", env={**base_environment(), "BAOCAO_REPORT_KINDS": "cchc, tthc"}, cwd=tmp_path
    )
    unknown = await baocao_here(
        "kinds", env={**base_environment(), "BAOCAO_REPORT_KINDS": "cchc,pbgdpl"}, cwd=tmp_path
    )

    assert default.returncode == 0, default.stderr
    lines = default.stdout.splitlines()
    assert lines[0].startswith("cchc  CCHC: kết quả công tác tuyên truyền cải cách hành chính")
    assert lines[1] == "Shipped, not in BAOCAO_REPORT_KINDS:"
    assert lines[2].startswith("  tthc  TTHC: tình hình, kết quả giải quyết thủ tục hành chính")
    assert both.returncode == 0, both.stderr
    assert [line.split()[0] for line in both.stdout.splitlines()] == ["cchc", "tthc"]
    assert unknown.returncode == 2
    assert "pbgdpl: not a report kind's folder or code (shipped: cchc, tthc)" in unknown.stderr


async def test_a_provinces_copy_of_a_kind_is_checked_and_its_mistakes_named(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "mot-cua"
    shutil.copytree(report_kinds.packaged_folder("tthc"), copy)
    good = await baocao(tmp_path, "kind", "check", str(copy))
    form = copy / "form.yaml"
    lines = form.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "type: count" in line)
    lines[number - 1] = lines[number - 1].replace("type: count", "type: sum_of_things")
    form.write_text("\n".join(lines) + "\n", encoding="utf-8")
    broken = await baocao(tmp_path, "kind", "check", str(copy))
    kind_file = (copy / "kind.yaml").read_text(encoding="utf-8")
    (copy / "kind.yaml").write_text(kind_file.replace("code: tthc", "code: Một Cửa"), "utf-8")
    bad_code = await baocao(tmp_path, "kind", "check", str(copy))
    (copy / "kind.yaml").write_text("code: x\nlanguage: vi\n", encoding="utf-8")
    unknown_key = await baocao(tmp_path, "kind", "check", str(copy))
    nowhere = await baocao(tmp_path, "kind", "check", str(tmp_path / "missing"))

    assert good.returncode == 0, good.stderr
    assert "tthc (TTHC)" in good.stdout and "5 sections, 29 questions" in good.stdout
    assert broken.returncode == 2
    assert (
        f"{form}:{number}: " in broken.stderr and "type: Input should be 'count'" in broken.stderr
    )
    assert (
        unknown_key.returncode == 2 and "kind.yaml:2: language: unknown key" in unknown_key.stderr
    )
    assert nowhere.returncode != 0 and "not a report kind's folder or code" in nowhere.stderr
    code_line = next(i for i, line in enumerate(kind_file.splitlines(), 1) if line == "code: tthc")
    assert bad_code.returncode == 2
    assert f"kind.yaml:{code_line}: code: 1 to 32 lowercase letters" in bad_code.stderr


async def test_draft_of_another_kind_from_its_sample_answers(tmp_path: Path) -> None:
    sample = report_kinds.packaged_folder("tthc") / "sample_answers.yaml"

    made = await baocao(
        tmp_path, "draft", "--kind", "tthc", "--answers", str(sample), "--out", "out"
    )

    assert made.returncode == 0, made.stderr
    text = "\n".join(
        p.text for p in docx.Document(str(tmp_path / "out" / "sample_answers.docx")).paragraphs
    )
    assert "Tình hình, kết quả giải quyết thủ tục hành chính quý I năm 2026" in text
    assert "1.986 hồ sơ" in text and "99,67%" in text
    assert "tuyên truyền cải cách hành chính" not in text  # nothing of CCHC's wording


REPO = Path(__file__).resolve().parents[2]


async def test_the_readmes_steps_for_a_provinces_own_kind_work(tmp_path: Path) -> None:
    """The commands of the README's "Report kinds" section, run as written (from a checkout)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Report kinds", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    ran = []
    for line in block.splitlines():
        command = line.split("#", 1)[0].split()
        if not command:
            continue
        if command[:2] == ["cp", "-r"]:
            shutil.copytree(REPO / command[2], tmp_path / command[3])
            continue
        settings = {}
        while "=" in command[0]:  # VAR=value before the command, as a shell reads it
            name, _, value = command.pop(0).partition("=")
            settings[name] = value
        assert command[0] == ".venv/bin/baocao", line
        result = await baocao_here(
            *command[1:], env={**base_environment(), **settings}, cwd=tmp_path
        )
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        ran.append((command[1], result.stdout))

    assert [command for command, _ in ran] == ["kind", "draft", "kinds"]
    assert (tmp_path / "out" / "sample_answers.docx").is_file()
    # The copy is what the bot would run beside CCHC, from its own folder.
    running = ran[-1][1].split("Shipped")[0].splitlines()
    assert running[0].startswith("cchc  CCHC")
    assert running[1].startswith("tthc  TTHC") and running[1].endswith("my-kinds/mot-cua)")
