"""Zhangye (张掖市, Gansu), 2023: the "三抓三促" task list and a key-project plan for the first quarter.

Published (the city's article of 2023-04-07 and the Zhangye Daily's of 2022-04-22):
- the commission's task list: 14 areas (方面) and 43 tasks, chased by the city's "三抓三促" office
  and assessed quarterly, the 6 counties and 92 city departments by category;
- 临泽县: 115 key projects, 230.6 亿元 in total, 120.2 亿元 for the year, 20 of them started or
  resumed by the article's day;
- 肃南县: 20 key projects, 56.43 亿元 in total, 15.97 亿元 for the year, 13 started in the first
  quarter with 8842 万元 completed (the 2022 article's figures, used here for 2023);
- what the departments report in the article (75 attraction events, 56 intentions, 31 framework
  agreements, 234.48 亿元 signed; 116 industrial projects tracked; 46.5 万吨 of farm inputs; 5.04 亿元
  of rural-revitalisation funds, 216 projects; 108 cultural events; 35 units inspected, 11 problems
  solved; 24 public-supervision cases).
The other counties' plans, every name, split, date and the tasks' titles and progress are invented
but plausible, and the same on every run. Approved monthly reports cover January–March 2023, so
that the first quarter can be assessed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.utils import timezone

from keyprojects.accounts.models import Leader, Unit, User, department_kind
from keyprojects.core import clock
from keyprojects.core.permissions import SYSTEM
from keyprojects.projects.models import (
    AnnualPlan,
    Batch,
    Nature,
    Project,
    Sector,
    Stage,
    StageTransition,
    under_construction,
)
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ReportingPeriod
from keyprojects.tasklists import services as tasks
from keyprojects.tasklists.models import Task

from . import approvals
from .common import (
    cumulative_path,
    day_between,
    demo_user,
    on_its_day,
    split_capped,
    split_exact,
    unit,
    write_reports,
)

YEAR = 2023
AS_OF = date(2023, 4, 7)  # the article's date
SEED = 20230407


@dataclass(frozen=True)
class CountyPlan:
    login: str  # the county clerk's
    projects: int
    total: int  # 万元
    annual: int
    started_by_as_of: int
    started_in_q1: int  # of those, by 31 March
    completed_q1: int  # 万元, year to date at the end of March
    towns: tuple[str, ...]


COUNTIES = {
    "甘州区": CountyPlan("ganzhou", 105, 3_865_000, 1_320_000, 38, 31, 118_600,
                      ("梁家墩镇", "上秦镇", "大满镇", "党寨镇", "碱滩镇", "沙井镇", "乌江镇", "甘浚镇", "平山湖蒙古族乡")),
    "临泽县": CountyPlan("linze", 115, 2_306_000, 1_202_000, 20, 17, 61_500,
                      ("沙河镇", "新华镇", "蓼泉镇", "平川镇", "板桥镇", "鸭暖镇", "倪家营镇")),
    "高台县": CountyPlan("gaotai", 48, 1_486_000, 452_000, 17, 14, 35_900,
                      ("城关镇", "宣化镇", "南华镇", "巷道镇", "合黎镇", "骆驼城镇", "新坝镇", "黑泉镇", "罗城镇")),
    "山丹县": CountyPlan("shandan", 32, 968_000, 285_000, 12, 10, 21_300,
                      ("清泉镇", "位奇镇", "霍城镇", "陈户镇", "大马营镇", "东乐镇", "老军乡", "李桥乡")),
    "民乐县": CountyPlan("minle", 45, 1_103_000, 380_000, 16, 13, 27_800,
                      ("洪水镇", "六坝镇", "新天镇", "南古镇", "永固镇", "三堡镇", "南丰镇", "民联镇", "顺化镇", "丰乐镇")),
    "肃南裕固族自治县": CountyPlan("sunan", 20, 564_300, 159_700, 13, 13, 8_842,
                               ("红湾寺镇", "皇城镇", "康乐镇", "马蹄藏族乡", "大河乡", "明花乡", "白银蒙古族乡")),
}
SHORT = {"肃南裕固族自治县": "肃南县"}  # as names of projects say it
NAMED = {  # the articles' projects, by county: (name, sector, total 万元)
    "甘州区": [("中能建30万千瓦光伏并网发电项目", "新能源", 135_000), ("平山湖综合能源基地项目", "新能源", 420_000)],
    "临泽县": [("板桥北滩10万千瓦风电场建设项目", "新能源", 62_000), ("江苏天合2GW光伏组件生产项目", "新材料", 150_000),
            ("易事特2GWh新型储能装备制造项目", "新材料", 120_000)],
    "民乐县": [("泰睿特年产8万吨中间体项目", "新材料", 52_000)],
    "肃南裕固族自治县": [("盘道山抽水蓄能电站项目", "新能源", 260_000)],
}
SECTORS = {  # sector: (project type, investment nature, templates)
    "新能源": ("industry", "enterprise", ["{place}{n}万千瓦光伏发电项目", "{place}{n}万千瓦风电项目", "{place}储能电站项目",
                                        "{place}330千伏汇集站项目"]),
    "新材料": ("industry", "enterprise", ["{co}新材料生产线项目", "{co}年产{n}万吨精细化工项目", "{co}装备制造产业园项目"]),
    "现代农业": ("industry", "enterprise", ["{co}玉米种子加工项目", "{place}高标准农田建设项目", "{co}肉牛养殖项目",
                                         "{place}蔬菜冷链物流项目"]),
    "文化旅游": ("social", "enterprise", ["{place}丹霞景区提升项目", "{place}乡村旅游示范项目", "{co}文旅康养综合体项目"]),
    "基础设施": ("infrastructure", "government", ["{place}农村公路提质改造工程", "{county}城区供热管网改造工程",
                                                "{place}灌区节水改造工程", "{county}城乡供水一体化工程"]),
    "社会民生": ("social", "government", ["{county}人民医院综合楼建设项目", "{place}中心学校建设项目",
                                        "{county}老旧小区改造项目", "{place}养老服务中心建设项目"]),
    "生态环保": ("ecology", "government", ["{place}湿地保护修复工程", "{place}国土绿化项目", "{county}污水处理厂提标改造工程"]),
}
CO_WORDS = ["祁连", "丹霞", "金张掖", "甘州", "黑河", "绿洲", "焉支", "裕固", "弱水", "河西", "天马", "润泽"]

# The commission, the counties' governments and 发展和改革局, and 21 of the 92 city departments;
# the departments' clerks whose login is given report their tasks' progress.
COMMISSION = "张掖市发展和改革委员会"
DEPARTMENTS = {
    COMMISSION: "", "张掖市工业和信息化局": "zy_gxj", "张掖市招商局": "zy_zsj", "张掖市农业农村局": "zy_nyj",
    "张掖市文化广电和旅游局": "zy_wlj", "张掖市乡村振兴局": "zy_xcj", "张掖市财政局": "zy_czj", "张掖市自然资源局": "zy_zrj",
    "张掖市住房和城乡建设局": "zy_zjj", "张掖市交通运输局": "zy_jtj", "张掖市水务局": "zy_swj", "张掖市生态环境局": "zy_hbj",
    "张掖市商务局": "zy_swuj", "张掖市科学技术局": "", "张掖市人力资源和社会保障局": "", "张掖市教育局": "",
    "张掖市卫生健康委员会": "", "张掖市市场监督管理局": "zy_scj", "张掖市林业和草原局": "", "张掖市应急管理局": "",
    "张掖市政务服务中心": "zy_zwj", "张掖市统计局": "",
}
LEADERS = [("马立群", "市委书记"), ("王志强", "市长"), ("李文华", "市委常委、常务副市长"), ("张海龙", "副市长"),
           ("赵晓东", "副市长"), ("陈红霞", "副市长")]

# The task list: 14 areas, 43 tasks. A task: (title, lead unit (short name), co-units, leader (index),
# deadline, milestones ((title, due)), targets ((name, unit, target, actual on AS_OF or None)),
# completed on (None: not yet), progress as of AS_OF). "{counties}" as co-units: the six counties.
C = "{counties}"
D = date
AREAS: list[tuple[str, list[tuple[Any, ...]]]] = [
    ("抓项目谋划储备", [
        ("建立全市重大项目储备库，滚动谋划储备重大项目", "发改委", ["自然资源局", C], 2, D(2023, 6, 30),
         [("完成一季度项目入库审核", D(2023, 3, 31))], [("新谋划储备项目", "个", Decimal(300), Decimal(186))], None,
         "组织各县区、各部门对接“十四五”规划和省列重大项目，一季度新谋划储备项目186个，已完成入库审核。"),
        ("围绕新能源、新材料等重点产业链谋划一批强链补链项目", "发改委", ["工信局"], 2, D(2023, 9, 30),
         [], [("谋划产业链项目", "个", Decimal(80), Decimal(34))], None,
         "围绕5条重点产业链梳理缺链断链环节，已谋划强链补链项目34个。"),
        ("争取更多项目纳入国家和省上计划盘子", "发改委", ["财政局"], 1, D(2023, 12, 31),
         [("申报2023年中央预算内投资项目", D(2023, 3, 15))], [], None,
         "已向省发展改革委申报中央预算内投资项目42个，跟踪对接审核进度。"),
    ]),
    ("抓重大项目推进", [
        ("为11个省列重大项目制定专属需求清单和帮扶方案", "发改委", [C], 2, D(2023, 3, 31),
         [("逐项目梳理需求", D(2023, 3, 10))], [("制定帮扶方案", "个", Decimal(11), Decimal(11))], D(2023, 3, 28),
         "11个省列重大项目专属需求清单和帮扶方案全部印发，协调解决能源、资金、技术、人才、土地等问题。"),
        ("建立工期目标调度、跟踪督促机制，推动重点项目按期开复工", "发改委", [C], 2, D(2023, 4, 30),
         [("一季度集中开工", D(2023, 3, 31))], [("开复工重点项目", "个", Decimal(240), Decimal(149))], None,
         "实行周调度、月通报，截至4月上旬全市重点项目开复工149个。"),
        ("推进盘道山、皇城抽水蓄能电站建设", "发改委", ["肃南裕固族自治县", "自然资源局"], 3, D(2023, 12, 31),
         [("盘道山电站主体工程开工", D(2023, 6, 30))], [], None,
         "盘道山抽水蓄能电站前期工作加快推进，皇城抽水蓄能电站完成预可研审查。"),
    ]),
    ("抓招商引资", [
        ("开展“走出去”“请进来”招商活动", "招商局", [C], 1, D(2023, 12, 31),
         [], [("招商活动", "次", Decimal(200), Decimal(75))], None,
         "精心策划开展“走出去”“请进来”招商活动75次。"),
        ("加快签约项目落地，提高合同履约率", "招商局", [C], 1, D(2023, 12, 31),
         [("上半年签约项目开工", D(2023, 6, 30))],
         [("签约金额", "亿元", Decimal(600), Decimal("234.48")), ("签订框架协议", "项", Decimal(80), Decimal(31))], None,
         "达成合作意向56项，签订框架协议31项，签约金额234.48亿元。"),
        ("制定产业链精准招商工作方案", "招商局", ["工信局"], 1, D(2023, 2, 28),
         [], [], D(2023, 2, 20), "《2023年产业链精准招商工作方案》已印发实施。"),
        ("落实省外到位资金目标任务", "招商局", [C], 1, D(2023, 12, 31),
         [], [("省外到位资金", "亿元", Decimal(300), Decimal("62.3"))], None, "一季度落实省外到位资金62.3亿元。"),
    ]),
    ("抓工业强链", [
        ("围绕新材料等5条重点产业链实行日监测、周调度、月分析", "工信局", ["发改委"], 3, D(2023, 12, 31),
         [], [("跟踪工业和信息化项目", "个", Decimal(116), Decimal(116))], None,
         "全面掌握116个工业和信息化项目推进情况，坚持日监测、周调度、月分析。"),
        ("推动晋昌源120万吨捣固炼焦等重点工业项目加快建设", "工信局", ["生态环境局", "自然资源局"], 3, D(2023, 10, 31),
         [("完成主体设备安装", D(2023, 8, 31))], [], None, "项目主体厂房建设加快推进。"),
        ("推动年产6万吨锂离子电池负极材料项目投产见效", "工信局", ["甘州区"], 3, D(2023, 3, 31),
         [("试生产", D(2023, 3, 20))], [], None, "项目设备调试基本完成，试生产推迟至4月中旬。"),
    ]),
    ("抓新能源及储能产业", [
        ("推进风光电新能源项目建设并网", "发改委", ["甘州区", "临泽县", "高台县"], 3, D(2023, 12, 31),
         [], [("新增并网装机", "万千瓦", Decimal(200), Decimal(30))], None, "中能建30万千瓦光伏项目实现并网发电。"),
        ("推进平山湖综合能源基地前期工作", "发改委", ["甘州区", "自然资源局"], 3, D(2023, 6, 30),
         [("完成可研编制", D(2023, 4, 30))], [], None, "可行性研究报告编制完成初稿。"),
        ("培育新型储能装备制造产业", "工信局", ["临泽县", "招商局"], 3, D(2023, 12, 31),
         [], [], None, "易事特2GWh新型储能装备制造项目已签约。"),
    ]),
    ("抓现代农业", [
        ("将5项粮食生产任务落实到县区、乡镇、地块", "农业农村局", [C], 4, D(2023, 3, 31),
         [("层层签订责任书", D(2023, 3, 15))], [("落实粮食生产任务", "项", Decimal(5), Decimal(5))], D(2023, 3, 20),
         "以创建全省乡村振兴示范区为统揽，层层签订责任书，5项粮食生产任务全部落实到县区、乡镇、地块。"),
        ("做好春耕备耕农资储备", "农业农村局", ["商务局", C], 4, D(2023, 3, 31),
         [], [("储备农资", "万吨", Decimal("45"), Decimal("46.5"))], D(2023, 3, 25), "储备农资46.5万吨，超额完成储备任务。"),
        ("建设国家级玉米制种基地", "农业农村局", ["甘州区", "临泽县", "高台县"], 4, D(2023, 12, 31),
         [], [("玉米制种面积", "万亩", Decimal(100), None)], None, "张掖国家玉米种子产业园一期建成投产。"),
    ]),
    ("抓乡村振兴", [
        ("下达并实施衔接推进乡村振兴补助资金项目", "乡村振兴局", ["财政局", C], 4, D(2023, 3, 31),
         [("下达第一批资金", D(2023, 3, 10))], [("下达资金", "亿元", Decimal("5.04"), Decimal("5.04")),
                                              ("立项实施项目", "个", Decimal(216), Decimal(216))], D(2023, 3, 30),
         "下达第一批中央、省级财政衔接推进乡村振兴补助资金5.04亿元，立项实施项目216个。"),
        ("巩固拓展脱贫攻坚成果，守住不发生规模性返贫底线", "乡村振兴局", [C], 4, D(2023, 12, 31),
         [], [], None, "开展防返贫动态监测，一季度新识别监测对象已全部落实帮扶措施。"),
        ("建设和美乡村示范村", "乡村振兴局", ["住建局", C], 4, D(2023, 11, 30),
         [], [("示范村", "个", Decimal(30), None)], None, "确定示范村名单，编制建设方案。"),
    ]),
    ("抓文化旅游提振", [
        ("组织重点企业赴客源地开展宣传推介", "文旅局", [C], 5, D(2023, 3, 31),
         [], [], D(2023, 3, 18), "组织重点企业赴山东开展宣传推介。"),
        ("举办冰雪运动节、光影艺术节等系列文化活动", "文旅局", ["教育局", C], 5, D(2023, 12, 31),
         [], [("文化活动", "项", Decimal(300), Decimal(108))], None,
         "利用节假日举办冰雪运动节、光影艺术节、红色教育实践活动等8大类108项系列文化活动。"),
        ("推进马蹄寺创建国家5A级景区", "文旅局", ["肃南裕固族自治县"], 5, D(2023, 12, 31),
         [], [], None, "完成创建提升规划编制。"),
    ]),
    ("抓消费提振和商贸流通", [
        ("开展促消费系列活动", "商务局", [C], 5, D(2023, 6, 30),
         [("“五一”消费季", D(2023, 5, 5))], [], None, "一季度开展促消费活动12场次。"),
        ("建设县域商业体系和农村物流配送网络", "商务局", ["交通局", C], 5, D(2023, 12, 31),
         [], [], None, "完成县域商业体系建设项目申报。"),
        ("推进张掖国际物流园建设", "商务局", ["甘州区"], 5, D(2023, 12, 31),
         [], [], None, "高新技术企业孵化园二期开工建设。"),
    ]),
    ("抓要素保障", [
        ("保障重点项目用地", "自然资源局", ["发改委", C], 3, D(2023, 6, 30),
         [("一季度批次用地报批", D(2023, 3, 31))], [("保障用地", "亩", Decimal(12000), Decimal(4300))], None,
         "一季度组卷报批建设用地4300亩。"),
        ("协调保障重点项目用水用能", "水务局", ["发改委"], 3, D(2023, 12, 31),
         [], [], None, "建立重点项目用水需求台账。"),
        ("加强重点项目融资对接", "财政局", ["发改委"], 2, D(2023, 12, 31),
         [], [("融资对接项目", "个", Decimal(100), Decimal(41))], None, "组织银企对接会2场，对接项目41个。"),
    ]),
    ("抓资金争取", [
        ("争取地方政府专项债券资金", "财政局", ["发改委", C], 2, D(2023, 9, 30),
         [("第一批专项债券项目申报", D(2023, 2, 28))], [("争取专项债券", "亿元", Decimal(40), Decimal("18.6"))], None,
         "第一批专项债券项目已通过省级审核，争取额度18.6亿元。"),
        ("争取中央预算内投资", "发改委", ["财政局", C], 2, D(2023, 12, 31),
         [], [("争取中央预算内投资", "亿元", Decimal(12), Decimal("3.2"))], None, "已下达中央预算内投资3.2亿元。"),
        ("加快专项债券资金支出进度", "财政局", [C], 2, D(2023, 3, 31),
         [], [], None, "一季度支出进度低于序时进度，已督促各县区加快支出。"),
    ]),
    ("抓营商环境优化", [
        ("推行“不来即享”、代办帮办等服务机制", "政务服务中心", ["市场监管局"], 0, D(2023, 3, 31),
         [], [], D(2023, 4, 3), "“不来即享”政策清单和代办帮办机制已上线运行。"),
        ("落实减税降费和纾困政策", "财政局", ["市场监管局"], 2, D(2023, 12, 31),
         [], [], None, "一季度为市场主体减税降费3.6亿元。"),
        ("开展营商环境评价问题整改", "政务服务中心", [C], 0, D(2023, 6, 30),
         [], [], None, "建立整改台账，逐项销号。"),
    ]),
    ("抓生态环境保护", [
        ("推进黑河流域生态保护和高质量发展", "生态环境局", ["水务局", "林草局"], 3, D(2023, 12, 31),
         [], [], None, "编制年度重点任务清单。"),
        ("完成国土绿化任务", "林草局", [C], 3, D(2023, 6, 30),
         [("春季造林", D(2023, 4, 30))], [("国土绿化", "万亩", Decimal(20), Decimal(6))], None, "春季造林已完成6万亩。"),
        ("推进重点项目环评审批服务", "生态环境局", ["发改委"], 3, D(2023, 12, 31),
         [], [], None, "对重点项目实行环评提前介入服务。"),
    ]),
    ("抓问题化解和督查督办", [
        ("对重点单位开展督导检查", "发改委", [C], 0, D(2023, 3, 31),
         [], [("督导检查单位", "个", Decimal(35), Decimal(35)), ("推动解决问题", "个", Decimal(11), Decimal(11))],
         D(2023, 3, 31), "采取“四不两直”方式对35个单位开展督导检查，推动并解决问题11个。"),
        ("化解省上督办的11个重大项目遗留问题和31件重大历史遗留问题", "发改委", ["自然资源局", "住建局", C], 0,
         D(2023, 12, 31), [("建立化解台账", D(2023, 3, 15))], [("化解问题", "件", Decimal(42), Decimal(9))], None,
         "制定工作方案，建立化解台账，已化解9件。"),
        ("办理群众监督问题，及时反馈结果", "发改委", [C], 0, D(2023, 3, 31),
         [], [("办结群众监督问题", "件", Decimal(24), Decimal(21))], None,
         "省上转办10件、市级受理14件社会监督问题，已办结21件，3件正在办理。"),
    ]),
]
SHORT_UNITS = {
    "发改委": COMMISSION, "工信局": "张掖市工业和信息化局", "招商局": "张掖市招商局", "农业农村局": "张掖市农业农村局",
    "文旅局": "张掖市文化广电和旅游局", "乡村振兴局": "张掖市乡村振兴局", "财政局": "张掖市财政局",
    "自然资源局": "张掖市自然资源局", "住建局": "张掖市住房和城乡建设局", "交通局": "张掖市交通运输局",
    "水务局": "张掖市水务局", "生态环境局": "张掖市生态环境局", "商务局": "张掖市商务局", "教育局": "张掖市教育局",
    "市场监管局": "张掖市市场监督管理局", "林草局": "张掖市林业和草原局", "政务服务中心": "张掖市政务服务中心",
}


class ZhangyeDemo:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.names: set[str] = set()

    def load(self) -> dict[str, Any]:
        self.city = Region.objects.find("张掖市")
        self.counties = {name: Region.objects.find(name, within=self.city) for name in COUNTIES}
        self.departments = {name: unit(name, self.city, Unit.Kind.DEPARTMENT) for name in DEPARTMENTS}
        self.county_gov = {name: unit(f"{name}人民政府", region, Unit.Kind.GOVERNMENT)
                           for name, region in self.counties.items()}
        self.county_fgj = {name: unit(f"{name}发展和改革局", region, department_kind(region))
                           for name, region in self.counties.items()}
        self.admin = demo_user("zhangye", "张掖市发展改革委管理员", User.Role.CITY_ADMIN, self.departments[COMMISSION])
        self.clerks = {name: demo_user(plan.login, f"{name}填报员", User.Role.COUNTY_CLERK, self.county_fgj[name])
                       for name, plan in COUNTIES.items()}
        self.dept_clerks = {name: demo_user(login, f"{name.removeprefix('张掖市')}填报员", User.Role.DEPARTMENT_CLERK,
                                            self.departments[name]) for name, login in DEPARTMENTS.items() if login}
        self.leaders = []
        for order, (name, title) in enumerate(LEADERS):
            leader = Leader(name=name, title=title, region=self.city, order=order)
            leader.full_clean()
            leader.save()
            self.leaders.append(leader)
        reports = self.plan()
        approvals.for_plan(self.city, YEAR, AS_OF, random.Random(SEED + 19))
        made = self.task_list()
        return {"projects": sum(plan.projects for plan in COUNTIES.values()), "reports": reports, **made}

    # --- the key-project plan of 2023 and its first quarter ---------------------------------------
    def plan(self) -> int:
        rng = self.rng
        sectors = {name: Sector.objects.get_or_create(name=name)[0] for name in SECTORS}
        periods = {}
        for month in range(1, 4):
            period = ReportingPeriod(region=self.city, year=YEAR, month=month, opens_on=date(YEAR, month, 20),
                                     closes_on=date(YEAR, month, 25),
                                     state=ReportingPeriod.State.LOCKED if month < 3 else ReportingPeriod.State.CLOSED)
            period.full_clean()
            period.save()
            periods[month] = period
        entries = []
        for county, plan in COUNTIES.items():
            named = NAMED.get(county, [])
            totals = split_exact(plan.total, plan.projects, rng, minimum=1_000, sigma=1.0,
                                 fixed=[total for _name, _sector, total in named])
            continuing = set(rng.sample(range(plan.projects), int(plan.projects * 0.45)))
            priors = [int(t * rng.uniform(0.15, 0.45)) if i in continuing else 0 for i, t in enumerate(totals)]
            annuals = split_capped(plan.annual, [t - p for t, p in zip(totals, priors, strict=True)],
                                   [t * rng.uniform(0.2, 0.45) for t in totals])
            # who started: three in four continuing projects (they resume with the spring), the rest new
            resumed = min(len(continuing), plan.started_by_as_of * 3 // 4)
            started = (rng.sample(sorted(continuing), resumed)
                       + rng.sample(sorted(set(range(plan.projects)) - continuing), plan.started_by_as_of - resumed))
            started.sort(key=lambda i: (i not in continuing, i))
            starts = {i: (day_between(rng, date(YEAR, 2, 20), date(YEAR, 3, 31)) if n < plan.started_in_q1
                          else day_between(rng, date(YEAR, 4, 1), AS_OF)) for n, i in enumerate(started)}
            by_march = [i for i in started if starts[i] <= date(YEAR, 3, 31)]
            done = split_capped(plan.completed_q1, [annuals[i] // 2 for i in by_march],
                                [annuals[i] * rng.uniform(0.5, 1.0) for i in by_march])
            completed = dict(zip(by_march, done, strict=True))
            for i, total in enumerate(totals):
                if i < len(named):
                    name, sector, _total = named[i]
                else:
                    sector = rng.choice(list(SECTORS))
                    name = self.name_for(county, plan, sector)
                project, annual_plan = self.project(county, plan, i, name, sector, sectors[sector], total, priors[i],
                                                    annuals[i], i in continuing, starts.get(i))
                on = starts.get(i)
                first = on.month if on and on <= date(YEAR, 3, 31) else 3
                entries.append((project, annual_plan, cumulative_path(completed.get(i, 0), first, 3),
                                on if on and on <= date(YEAR, 3, 31) else None))

        def approved_at(month: int) -> datetime:  # (March's before the article's day)
            return timezone.make_aware(datetime.combine(date(YEAR, month + 1, 5), time(10, 0)))

        counties = {region.pk: name for name, region in self.counties.items()}
        return write_reports(entries, periods, approved_at, lambda p: self.clerks[counties[p.region_id]], self.admin)

    def project(self, county: str, plan: CountyPlan, i: int, name: str, sector: str, sector_row: Sector, total: int,
                prior: int, annual: int, is_continuing: bool, on: date | None) -> tuple[Project, AnnualPlan]:
        rng = self.rng
        ptype, nature_of_investment, _templates = SECTORS[sector]
        region = self.counties[county]
        if nature_of_investment == "enterprise":
            owner = unit(f"张掖{rng.choice(CO_WORDS)}{rng.choice(['能源', '实业', '科技', '农业', '文旅'])}有限公司",
                         region, Unit.Kind.ENTERPRISE)
        else:
            owner = self.county_gov[county]
        nature = Nature.CONTINUING if is_continuing else Nature.NEW
        building = under_construction(nature, on is not None)
        actual_start = date(YEAR - rng.choice([1, 2]), rng.randint(4, 9), 10) if is_continuing else on
        level = (Project.Level.PROVINCIAL_MAJOR if total >= 200_000 else Project.Level.PROVINCIAL if total >= 50_000
                 else Project.Level.CITY)
        project = Project(
            name=name, region=region, address=f"{county}{rng.choice(plan.towns)}", sector=sector_row,
            project_type=ptype, investment_nature=nature_of_investment, level=level,
            stage=Stage.CONSTRUCTION if building else Stage.PREPARATION, owner=owner,
            responsible_unit=self.county_gov[county] if rng.random() < 0.6 else self.county_fgj[county],
            total_investment=Decimal(total), actual_start=actual_start,
            planned_start=actual_start.replace(day=1) if actual_start else date(YEAR, rng.randint(4, 9), 1),
            planned_completion=date(YEAR + 1 + (total > 100_000), rng.randint(6, 12), 28),
            scope=f"{sector}项目，总投资{Decimal(total) / 10000:.2f}亿元。",
        )
        project.full_clean()
        project.save()
        with on_its_day(project.actual_start):
            StageTransition.objects.create(project=project, to_stage=project.stage,
                                           date=project.actual_start or date(YEAR, 1, 10), note="演示数据")
        if i < 3 and self.leaders:
            project.leaders.add(self.leaders[2 + i % 4])  # the named projects of each county, packaged
        start = on or project.planned_start
        assert start is not None
        annual_plan = AnnualPlan(
            project=project, year=YEAR, nature=nature, planned_investment=Decimal(annual), prior_completed=Decimal(prior),
            batch=Batch.CONSTRUCTION if building else Batch.PREPARATION, started=on is not None, started_on=on,
            planned_start_month=3 if is_continuing else start.month,
        )
        annual_plan.full_clean()
        annual_plan.save()
        return project, annual_plan

    def name_for(self, county: str, plan: CountyPlan, sector: str) -> str:
        short = SHORT.get(county, county)
        for _ in range(50):
            template = self.rng.choice(SECTORS[sector][2])
            name = short + template.format(co=self.rng.choice(CO_WORDS), place=self.rng.choice(plan.towns),
                                           county="", n=self.rng.choice([5, 10, 20, 30]))
            if name in self.names:
                name = name.replace("项目", "（二期）项目", 1).replace("工程", "（二期）工程", 1)
            if name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("could not invent a unique project name")

    # --- the "三抓三促" task list ------------------------------------------------------------------
    def task_list(self) -> dict[str, int]:
        """The 14 areas and 43 tasks through the task list's services, as the commission keeps
        them, and their progress reported by the lead units' clerks (the commission's own by its
        admin) up to AS_OF."""
        everyone = {short: self.departments[name] for short, name in SHORT_UNITS.items()}
        everyone.update({name: gov for name, gov in self.county_gov.items()})
        counties = list(self.county_gov.values())
        created = 0
        for a, (area_name, rows) in enumerate(AREAS, start=1):
            area = tasks.save_area(SYSTEM, self.city, YEAR, {"number": a, "name": area_name})
            for n, (title, lead, co, leader, deadline, milestones, targets, done_on, progress) in enumerate(rows, 1):
                co_units = [u for name in co for u in (counties if name == C else [everyone[name]])]
                task = tasks.save_task(SYSTEM, None, {
                    "area": area, "number": n, "title": title, "lead_unit": everyone[lead], "co_units": co_units,
                    "leader": self.leaders[leader], "deadline": deadline,
                    "description": f"{title}，牵头单位会同配合单位制定推进方案，按月报送进展。"})
                for m_title, due in milestones:
                    tasks.save_milestone(SYSTEM, task.pk, {"title": m_title, "due": due})
                made = [tasks.save_target(SYSTEM, task.pk, {"name": t_name, "unit": t_unit, "target": target})
                        for t_name, t_unit, target, _actual in targets]
                self.progress(task, made, targets, done_on, progress)
                created += 1
        return {"areas": len(AREAS), "tasks": created}

    def progress(self, task: Task, made: list, targets: list, done_on: date | None, text: str) -> None:
        """One or two updates by the lead unit: an early one in March, the latest by AS_OF
        (the day it was done, for a task done), with the targets' values then."""
        lead_name = task.lead_unit.name
        author = self.dept_clerks.get(lead_name) or self.admin
        rng = random.Random(SEED + task.pk)
        last = done_on or day_between(rng, date(YEAR, 3, 25), AS_OF)
        # the milestones due by the update are reached then, but those of a task overdue on AS_OF
        late = done_on is None and task.deadline < AS_OF
        reached = [] if late else list(task.milestones.filter(due__lte=last).values_list("pk", flat=True))
        if last > date(YEAR, 3, 10):
            early = date(YEAR, 3, rng.randint(1, 9))
            partial = {t.pk: (actual * Decimal("0.6")).quantize(Decimal("1") if actual == actual.to_integral() else
                                                                  Decimal("0.01"))
                       for t, (_n, _u, _target, actual) in zip(made, targets, strict=True) if actual is not None}
            with clock.at(clock.moment(early, 16)):
                tasks.record_update(author, task.pk, {"on": early, "text": "已制定推进方案，明确责任分工和时间节点，正在组织实施。",
                                                      "values": partial}, today=AS_OF)
        values = {t.pk: actual for t, (_n, _u, _target, actual) in zip(made, targets, strict=True) if actual is not None}
        with clock.at(clock.moment(last, 16)):
            tasks.record_update(author, task.pk, {"on": last, "text": text, "values": values, "milestones": reached,
                                                  "done": done_on is not None}, today=AS_OF)


CLERKS = {plan.login: county for county, plan in COUNTIES.items()}
LOGINS = ["zhangye", "ganzhou", "sunan", "zy_gxj"]
