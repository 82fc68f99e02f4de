"""The department's forms: the columns of the summary table (附件3) and the contract's extras.

One definition for the readers' messages, the sample generator and the official workbook.
"""

#: 附件3 学员汇总表, in the notice's order.
OFFICIAL_COLUMNS: tuple[str, ...] = (
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生年月",
    "工作单位",
    "参加工作时间",
    "从事专业",
    "学历及毕业年限",
    "职称",
    "联系方式(手机号码)",
    "拟选培养单位1",
    "拟选培养单位2",
)

#: The further columns the contract accepts, in its order.
EXTRA_COLUMNS: tuple[str, ...] = (
    "拟选培养单位3",
    "是否接受调剂",
    "身份证号",
    "选派地区",
    "培养方式",
    "是否基层",
    "单位性质",
    "审核评分",
    "预先接收单位",
    "健康状况",
    "是否参加过特培学习",
    "备注",
)

ALL_COLUMNS: tuple[str, ...] = OFFICIAL_COLUMNS + EXTRA_COLUMNS

#: The English snake_case alias of each column (the contract accepts either header).
ENGLISH: dict[str, str] = {
    "序号": "seq",
    "姓名": "name",
    "性别": "gender",
    "民族": "ethnicity",
    "出生年月": "birth",
    "工作单位": "employer",
    "参加工作时间": "work_start",
    "从事专业": "profession",
    "学历及毕业年限": "education",
    "职称": "title",
    "联系方式(手机号码)": "phone",
    "拟选培养单位1": "choice_1",
    "拟选培养单位2": "choice_2",
    "拟选培养单位3": "choice_3",
    "是否接受调剂": "accepts_adjustment",
    "身份证号": "id_number",
    "选派地区": "region",
    "培养方式": "track",
    "是否基层": "grassroots",
    "单位性质": "unit_type",
    "审核评分": "score",
    "预先接收单位": "prearranged",
    "健康状况": "health",
    "是否参加过特培学习": "prior_participation",
    "备注": "remark",
}
