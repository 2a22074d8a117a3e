"""keyprojects load_demo: Huludao, Qian'an and Dingxi, 2022, and Zhangye, 2023 — plans, monthly
reports, and Zhangye's task list."""

from __future__ import annotations

import time
from datetime import date

from django.core.management import call_command
from django.db import transaction

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.core.commands import AuditedCommand
from keyprojects.demo import alerts, assessment, dingxi, huludao, opendata, qianan, zhangye
from keyprojects.demo import attraction as attraction_demo
from keyprojects.demo.common import DEMO_PASSWORD
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region
from keyprojects.reporting import progress


class Command(AuditedCommand):
    help = "导入演示数据（葫芦岛市、迁安市、定西市 2022 年、张掖市 2023 年重点项目及月报，张掖市任务清单）/ load the demo data"

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        with clock.at(clock.moment(date(2022, 1, 4), 9)):  # the divisions the platform was set up with
            call_command("load_regions", province=["辽宁省", "河北省", "甘肃省"], verbosity=options["verbosity"])
        for city_name, demo, module in (("葫芦岛市", huludao.HuludaoDemo, huludao), ("迁安市", qianan.QiananDemo, qianan),
                                        ("定西市", dingxi.DingxiDemo, dingxi), ("张掖市", zhangye.ZhangyeDemo, zhangye)):
            city = Region.objects.find(city_name)
            if Project.objects.filter(region__path__startswith=city.path).exists():
                self.stdout.write(f"{city_name}：演示数据已存在，跳过。")
                continue
            # Written as the city would have kept it: its plans entered early in the year, each
            # later step (a report, a meeting, a reply) on its own day (core.clock).
            with clock.at(clock.moment(date(module.YEAR, 1, 10), 9)), transaction.atomic(), progress.deferred():
                result = demo().load()
            # (after the roll-up of the reports, which the block above refreshes as it ends)
            with clock.at(clock.moment(module.AS_OF, 17)):
                warned = alerts.warn(city, module.AS_OF, alerts.DINGXI_TARGETS if module is dingxi else None)
                opendata.publish(city, module.AS_OF)  # its largest government-invested projects, as open data
            listed = f"，任务清单 {result['areas']} 个方面 {result['tasks']} 项任务" if "tasks" in result else ""
            self.stdout.write(f"{city_name}：{result['projects']} 个年度计划项目，{result['reports']} 份已审核月报，"
                              f"{warned['opened']} 个预警{listed}（截至 {module.AS_OF:%Y-%m-%d}）"
                              f"（累计用时 {time.perf_counter() - started:.1f} 秒）")
            if module is dingxi:  # monthly ranks of its counties, January to April, published
                with clock.at(clock.moment(date(dingxi.YEAR, 1, 20), 9)):  # the scheme set early in its year
                    scheme = assessment.install(city, dingxi.YEAR, [f"{dingxi.YEAR}-{m:02d}" for m in range(1, 5)])
                self.stdout.write(f"{city_name}：考核方案“{scheme.name}”，1—4月排名已发布")
            if city_name in attraction_demo.LOADERS:  # 招商引资, and Dingxi's "1+1托4" packages
                with clock.at(clock.moment(module.AS_OF, 18)), transaction.atomic():
                    self.stdout.write(attraction_demo.load(city))
            if module is zhangye:  # its counties and departments scored for the first quarter
                with clock.at(clock.moment(date(zhangye.YEAR, 1, 20), 9)):
                    scheme = assessment.install(city, zhangye.YEAR, [f"{zhangye.YEAR}-Q1"], kind="quarterly")
                self.stdout.write(f"{city_name}：考核方案“{scheme.name}”，一季度得分与排名已发布")
        self.print_logins()

    def print_logins(self) -> None:
        names = ["admin", "lianshan", "suizhong", "fgw", "leader", "owner", "viewer",
                 "longgang", "nanpiao", "xingcheng", "jianchang", "hld_zrj", "qianan", "qianan_clerk", "qianan_zrj", "dingxi",
                 "dx_zrj",
                 *dingxi.CLERKS, *zhangye.LOGINS]
        users = {u.username: u for u in User.objects.filter(username__in=names).select_related("unit")}
        self.stdout.write(f"\n演示账号 / demo logins（密码 / password: {DEMO_PASSWORD}）")
        for name in names:
            if name in users:
                u = users[name]
                self.stdout.write(f"  {name:<10} {u.get_role_display():<8} {u.unit}")
        self.stdout.write("⚠ 以上账号仅供演示，请勿用于生产环境 / demo accounts only, never in production")
        # Without a date a page counts to the end of the last approved month; the articles' dates lie within it.
        self.stdout.write("与报道口径一致的统计日期 / the articles' dates:"
                          f" 葫芦岛市 /dashboard/?as_of={huludao.AS_OF.isoformat()}（admin），"
                          f"迁安市 /dashboard/?as_of={qianan.AS_OF.isoformat()}（qianan），"
                          f"定西市 /dashboard/?as_of={dingxi.AS_OF.isoformat()}（dingxi），"
                          f"张掖市 /dashboard/?as_of={zhangye.AS_OF.isoformat()}（zhangye）\n")
