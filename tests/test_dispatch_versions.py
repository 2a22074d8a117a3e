"""Problems and meetings count for their region's figures (``touched``): a write to one moves the
data versions of its region and the regions above it, for every year's figures, and no other
region's — so the dispatch figures can be remembered until such a write. These tests' writes
commit (``committed_db``)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from test_cache import EVERY_WRITE, moved, scopes_of

from keyprojects.core.versions import region_scopes, versions
from keyprojects.dispatch import services

pytestmark = pytest.mark.usefixtures("committed_db")
DAY = date(2022, 7, 1)


def test_a_problems_workflow_moves_its_regions_versions_alone(cast):
    before = versions([EVERY_WRITE, *scopes_of(cast.lianshan, cast.suizhong)])
    problem = services.raise_problem(cast.lianshan_clerk, {
        "project": cast.p_lianshan, "source": "report", "category": "land", "title": "用地指标未落实",
        "lead_unit": cast.gxj, "co_units": [cast.fgw], "deadline": date(2022, 7, 15)}, on=DAY)
    assert moved(before) == {EVERY_WRITE} | region_scopes(cast.lianshan.path, None)
    before = versions([EVERY_WRITE, *scopes_of(cast.lianshan, cast.suizhong)])
    services.reply(cast.dept_clerk, problem.pk, None, "已办结", on=DAY)
    assert moved(before) == {EVERY_WRITE} | region_scopes(cast.lianshan.path, None)


def test_a_problem_moved_to_another_county_counts_for_both(cast):
    problem = services.raise_problem(cast.admin, {
        "region": cast.lianshan, "source": "public", "category": "other", "title": "群众反映"}, on=DAY)
    before = versions([EVERY_WRITE, *scopes_of(cast.lianshan, cast.suizhong)])
    services.update_problem(cast.admin, problem.pk, None, {"region": cast.suizhong}, on=DAY)
    assert moved(before) == {EVERY_WRITE} | region_scopes(cast.lianshan.path, None) | region_scopes(
        cast.suizhong.path, None)


def test_a_meeting_with_its_units_projects_and_decisions_moves_its_citys_versions_and_a_file_none(cast, settings,
                                                                                                   tmp_path):
    settings.MEDIA_ROOT = tmp_path
    before = versions([EVERY_WRITE, *scopes_of(cast.city, cast.jinzhou)])
    meeting = services.save_meeting(cast.admin, None, None, {
        "kind": "concentrated", "title": "集中调度会", "region": cast.city, "date": DAY, "units": [cast.gxj],
        "projects": [cast.p_lianshan]}, [(None, "加快供电接入")])
    assert moved(before) == {EVERY_WRITE} | region_scopes(cast.city.path, None)
    before = versions([EVERY_WRITE, *scopes_of(cast.city)])
    services.add_meeting_attachment(cast.admin, meeting.pk, SimpleUploadedFile("纪要.pdf", b"%PDF-1.4"), "minutes")
    assert moved(before) == {EVERY_WRITE}
