"""The national project code (项目代码): each part checked and named when wrong, duplicates
refused however they are typed, and the project list's filters on codes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from keyprojects.core.validation import validate
from keyprojects.indicators import figures
from keyprojects.projects import services as project_services
from keyprojects.projects.codes import normalized

pytestmark = pytest.mark.django_db


def refusal(cast, code: str) -> str:
    project = cast.p_lianshan
    project.code = code
    with pytest.raises(ValidationError) as refused:
        validate(project)
    return " ".join(refused.value.message_dict["code"])


@pytest.mark.parametrize(("code", "message"), [
    ("2099-211402-26-01-000001", "项目代码第1段（年份）“2099”不正确：应在2000年至今年之间"),
    ("2022-219999-26-01-000001", "项目代码第2段（区划代码）“219999”不正确：区划库中没有这个行政区划"),
    ("2022-211402-98-01-000001", "项目代码第3段（行业代码）“98”不正确：国民经济行业大类代码为01至97"),
    ("2022-211402-26-04-000001", "项目代码第4段（类型代码）“04”不正确：应为01（审批）、02（核准）或03（备案）"),
    ("2022-211402-26-01-000000", "项目代码第5段（流水号）“000000”不正确：不能全为0"),
    ("2022-21140-26-01-000001", "项目代码格式不正确：第2段（区划代码）“21140”应为6位数字"),
    ("2022-211402-2a-01-000001", "项目代码格式不正确：第3段（行业代码）“2a”应为2位数字"),
    ("2022211402-26-01-000001", "项目代码格式不正确，应为“年份-6位区划代码-2位行业代码-2位类型代码-6位流水号”"),
])
def test_a_wrong_part_of_the_code_is_named(cast, code, message):
    assert message in refusal(cast, code)


def test_a_well_formed_code_of_a_division_in_the_tree_passes(cast):
    project = cast.p_lianshan
    project.code = f"2022-{cast.lianshan.code}-26-01-000001"
    validate(project)  # no error


def test_the_same_code_twice_is_refused_on_save_however_it_is_typed(cast, client):
    code = f"2021-{cast.suizhong.code}-44-02-000007"
    project_services.update_project(cast.admin, cast.p_suizhong.pk, None, {"code": code})
    with pytest.raises(ValidationError) as refused:
        project_services.update_project(cast.admin, cast.p_lianshan.pk, None, {"code": code})
    assert refused.value.message_dict["code"] == ["该项目代码已被项目库中的另一个项目使用：一个项目代码只对应一个项目"]
    # typed with full-width digits and a full-width dash on the page: the same code
    client.force_login(cast.admin)
    wide = code.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert normalized(wide) == code
    response = client.post(reverse("projects:edit", args=[cast.p_lianshan.pk]), {
        "name": cast.p_lianshan.name, "region": cast.lianshan.pk, "code": wide, "total_investment": "52000",
        "project_type": "industry", "investment_nature": "enterprise", "level": "city",
        "version": cast.p_lianshan.version})
    assert response.status_code == 200
    assert "该项目代码已被项目库中的另一个项目使用" in " ".join(response.context["form"].errors["code"])


def listing(cast, **params):
    return figures.project_list(cast.admin, {"year": "2022", **params})


def test_the_list_filters_projects_without_a_code_with_its_totals(cast):
    project_services.update_project(cast.admin, cast.p_suizhong.pk, None,
                                    {"code": f"2021-{cast.suizhong.code}-44-02-000007"})
    found = listing(cast, code_check="missing")
    assert list(found.projects.values_list("name", flat=True)) == [cast.p_lianshan.name]
    assert found.totals["count"] == 1 and found.totals["total_investment"] == Decimal("52000")


def test_the_list_filters_codes_that_do_not_match_the_region(cast):
    # 连山区's project with the city's code (above it: matches); 绥中县's with 连山区's (does not)
    project_services.update_project(cast.admin, cast.p_lianshan.pk, None,
                                    {"code": f"2021-{cast.city.code}-26-01-000001"})
    project_services.update_project(cast.admin, cast.p_suizhong.pk, None,
                                    {"code": f"2021-{cast.lianshan.code}-44-02-000002"})
    found = listing(cast, code_check="mismatch")
    assert list(found.projects.values_list("name", flat=True)) == [cast.p_suizhong.name]
    assert found.totals["count"] == 1 and found.totals["total_investment"] == Decimal("80000")


def test_a_county_code_on_a_project_placed_on_the_city_matches(cast):
    from keyprojects.core.audit import Source, audit_context

    with audit_context(Source.SYSTEM, detail="test"):
        on_city = cast.project("葫芦岛市级统筹项目", cast.city, Decimal("20000"))
    project_services.update_project(cast.admin, on_city.pk, None, {"code": f"2021-{cast.suizhong.code}-48-01-000003"})
    assert on_city.pk not in listing(cast, code_check="mismatch").projects.values_list("pk", flat=True)


def test_the_code_filter_is_on_the_list_page(cast, client):
    project_services.update_project(cast.admin, cast.p_suizhong.pk, None,
                                    {"code": f"2021-{cast.suizhong.code}-44-02-000007"})
    client.force_login(cast.admin)
    page = client.get(reverse("projects:list"), {"year": 2022, "code_check": "missing"}).content.decode()
    assert "代码与区划不符" in page
    assert cast.p_lianshan.name in page and cast.p_suizhong.name not in page
