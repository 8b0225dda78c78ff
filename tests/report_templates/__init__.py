"""Tests of the report writers, and the sample report they (and bench/render_docx.py) render."""

from __future__ import annotations

from report_templates.document import AnnexRow, Block, Paragraph, ReportDocument

_B = Block

# The clean example report (shared/seeds/000_b441c9fcaf7f2fc1.txt), abridged; headings 3 added.
_SEED_000_BODY: tuple[tuple[Block, str], ...] = (
    (
        _B.BODY,
        "Căn cứ Kế hoạch số 181/KH-UBND ngày 29/12/2024 của UBND huyện Văn Lâm và Kế hoạch số"
        " 03/KH-UBND ngày 08/01/2024 về Tuyên truyền CCHC xã Tân Quang năm 2024. UBND xã báo "
        "cáo kết quả thực hiện công tác tuyên truyền cải cách hành chính 6 tháng đầu năm 2024"
        " như sau:",
    ),
    (
        _B.HEADING_1,
        "I. Công tác chỉ đạo, điều hành",
    ),
    (
        _B.HEADING_2,
        "1. Văn bản chỉ đạo, điều hành",
    ),
    (
        _B.BODY,
        "Trên cơ sở Kế hoạch số 03/KH-UBND ngày 08/01/2024 về tuyên truyền cải cách hành "
        "chính xã Tân Quang năm 2024. Các ban, ngành, Đài truyền thanh xây dựng kế hoạch "
        "tuyên truyền riêng về nội dung cải cách hành chính trên địa bàn xã với thời lượng "
        "5-7 phút/1 chuyên mục, ngày truyền thanh 2 lần trên hệ thống loa truyền thanh.",
    ),
    (
        _B.HEADING_2,
        "2. Nội dung tuyên truyền",
    ),
    (
        _B.BODY,
        "Thực hiện tuyên truyền các văn bản QPPL, chỉ đạo, điều hành của Trung ương, của "
        "tỉnh, huyện và các kế hoạch triển khai của xã về cải cách hành chính, các nội dung "
        "liên quan đến cải cách hành chính như: Phổ biến kết quả Chỉ số cải cách hành chính "
        "cấp huyện, cấp xã và công bố rộng rãi Chỉ số mức độ hài lòng của người dân, tổ chức "
        "đối với sự phục vụ của cơ quan hành chính.",
    ),
    (
        _B.HEADING_2,
        "3. Các hình thức tuyên truyền",
    ),
    (
        _B.HEADING_3,
        "3.1. Trên môi trường mạng",
    ),
    (
        _B.BULLET,
        "- Đăng tải tin bài tuyên truyền trên Cổng thông tin điện tử xã.",
    ),
    (
        _B.HEADING_3,
        "3.2. Trực tiếp",
    ),
    (
        _B.BULLET,
        "- Tổ chức niêm yết công khai các TTHC, kiến nghị TTHC tại bộ phận TN và TKQ của UBND xã.",
    ),
    (
        _B.BULLET,
        "- Tuyên truyền thông qua các buổi học tập nghị quyết, các hội nghị thường niên, đột "
        "xuất của UBND xã.",
    ),
    (
        _B.HEADING_1,
        "II. Kết quả đạt được và tồn tại, hạn chế",
    ),
    (
        _B.HEADING_2,
        "1. Kết quả đạt được",
    ),
    (
        _B.BULLET,
        "- Tuyên truyền qua hệ thống loa truyền thanh: 6 tháng đầu năm Đài truyền thanh đã "
        "xây dựng được 06 chuyên mục cải cách hành chính, thực hiện phát sóng 1 ngày 2 lần "
        "vào giờ buổi sáng và buổi chiều với tổng thời lượng phát sóng khoảng 60 phút.",
    ),
    (
        _B.BULLET,
        "- Tuyên truyền trên Cổng thông tin điện tử xã: 25 bài tuyên truyền.",
    ),
    (
        _B.BULLET,
        "- Tuyên truyền qua bảng niêm yết công khai các TTHC tại Bộ phận TN và TKQ cấp xã: "
        "100% các TTHC được liên tục cập nhật mới và niêm yết công khai.",
    ),
    (
        _B.HEADING_2,
        "2. Những tồn tại, hạn chế",
    ),
    (
        _B.BULLET,
        "- Nguồn kinh phí phục vụ cho công tác tuyên truyền cải cách hành chính chưa đáp ứng "
        "được yêu cầu công việc.",
    ),
    (
        _B.BULLET,
        "- Thông tin về cải cách hành chính đôi lúc còn chậm được cập nhật.",
    ),
    (
        _B.HEADING_1,
        "III. Phương hướng 6 tháng cuối năm 2024",
    ),
    (
        _B.BULLET,
        "- Đài truyền thanh xã tiếp tục đẩy mạnh thực hiện tốt việc viết tin, bài, đưa tin "
        "các văn bản chỉ đạo, điều hành về công tác cải cách hành chính qua hệ thống đài "
        "truyền thanh.",
    ),
    (
        _B.BULLET,
        "- Xây dựng và thực hiện các hình thức tuyên truyền khác như: qua cổng thông tin điện"
        " tử xã, qua pano, áp phích, khẩu hiệu, tuyên truyền lưu động.",
    ),
    (
        _B.BODY,
        "Trên đây là kết quả thực hiện công tác tuyên truyền cải cách hành chính 6 tháng đầu "
        "năm và phương hướng, nhiệm vụ 6 tháng cuối năm 2024. Ủy ban nhân dân xã Tân Quang "
        "trân trọng báo cáo./.",
    ),
)

_SEED_000_ANNEX = (
    AnnexRow("Truyền thanh", "06 chuyên mục, phát 02 lần/ngày, khoảng 60 phút", "Đạt"),
    AnnexRow("Cổng thông tin điện tử", "25 bài tuyên truyền", "Đạt"),
    AnnexRow("Niêm yết công khai TTHC", "100% TTHC được niêm yết", "Đạt"),
    AnnexRow("Pano, áp phích, khẩu hiệu", "00", "Chưa đạt"),
)


def tan_quang_report(*, annex: bool = True) -> ReportDocument:
    """The seed 000 report (UBND xã Tân Quang, 6 tháng đầu năm 2024) as a ReportDocument."""
    return ReportDocument(
        issuing_body=("Ủy ban nhân dân", "xã Tân Quang"),  # the writer upper-cases these
        number_line="Số: 134/BC-UBND",
        place_date_line="Tân Quang, ngày 14 tháng 6 năm 2024",
        title="BÁO CÁO",
        summary="Kết quả công tác tuyên truyền cải cách hành chính 6 tháng đầu năm 2024",
        body=tuple(Paragraph(kind, text) for kind, text in _SEED_000_BODY),
        recipients=("- Phòng Nội vụ huyện;", "- Chủ tịch, Phó chủ tịch UBND xã;", "- Lưu: VT."),
        authority=("TM. Ủy ban nhân dân", "Chủ tịch"),
        signer_name="Cao Văn Long",
        annex_subtitle="(Kèm theo Báo cáo số 134/BC-UBND ngày 14/6/2024 của UBND xã Tân Quang)",
        annex=_SEED_000_ANNEX if annex else (),
    )
