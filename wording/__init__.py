"""The words of documents: how Vietnamese administrative writing says a reporting period
("quý IV năm 2026"), a unit's kind ("xã", "phường"), a figure ("1.500") and a cited document
("03/KH-UBND ngày 08/01/2026").

The chat (conversations) and the report (report_templates) both write these words, and must write
them alike: an officer reads back the period and the document numbers the signed report prints.
So they live here, below both, and depend on nothing of the project but storage's enums.
"""
