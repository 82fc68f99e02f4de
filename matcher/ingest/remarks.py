"""Pre-arranged acceptances written in 备注 (附件2 填表说明 point 四).

The notice has an applicant whom a host already agreed to take say so in the remark of the
志愿表: "已与北京大学联系并获准接收，联系人…". A remark that names exactly one host of the
catalogue (its name or an alias; the longest name where one contains another) together
with words of acceptance (`ACCEPTANCE`), and no words that deny it (`DENIAL`), becomes the
applicant's proposed 预先接收单位: applied like one from the 预先接收单位 column, marked as
coming from the remark, and listed for the clerk to confirm (PREARRANGED_FROM_REMARK, a
warning on the row). A remark that names two hosts or more with such words is not applied
(PREARRANGED_REMARK_AMBIGUOUS). A 预先接收单位 column value always wins over the remark.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from matcher.ingest.problems import warning
from matcher.ingest.text import clean_name
from matcher.model import Applicant, Applicants, HostCatalogue

#: Words that say a host has agreed to take the applicant.
ACCEPTANCE = re.compile(
    r"已联系|获准接收|同意接收|已接收|准予接收|愿意接收|可以接收|接收函|同意培养|已获准|已同意|"
    r"已落实|已与.{0,40}?联系|已和.{0,40}?联系|已经.{0,40}?同意"
)
#: Words that deny it (未获准接收, 尚未联系, 不同意…): the remark is then not read as one.
DENIAL = re.compile(r"未获|未同意|不同意|未接收|不接收|尚未|暂未|没有|未联系|拒绝|待定|待答复")
REMARK_COLUMN = "备注"


def prearranged_from_remarks(
    applicants: Sequence[Applicant], catalogue: HostCatalogue
) -> Applicants:
    """`applicants` with the pre-arrangements their 备注 names (see the module docstring).

    Only rows with a remark and no 预先接收单位 are looked at; each distinct remark is read
    once. The others are kept as they are.
    """
    names = _host_names(catalogue)
    out: dict[int, Applicant] = {}
    applicants = Applicants.coerce(applicants)
    remarks, written = applicants.field("remark"), applicants.field("prearranged")
    remarked = np.array([bool(r) for r in remarks.values], dtype=bool)[remarks.codes]
    free = np.array([not p for p in written.values], dtype=bool)[written.codes]
    for at in np.flatnonzero(remarked & free).tolist():
        hosts = _named(remarks.values[remarks.codes[at]], names)
        if not hosts:
            continue
        a = applicants[at]
        if len(hosts) > 1:
            problem = warning(
                "PREARRANGED_REMARK_AMBIGUOUS",
                f"备注中提到已联系接收，但写了多个培养单位（{'、'.join(hosts)}），未作为预先接收；"
                "如确已获准接收，请在“预先接收单位”列填写该单位",
            )
            issue = problem.issue(a.source_file, a.source_row, REMARK_COLUMN)
            out[at] = a.model_copy(update={"problems": (*a.problems, issue)})
            continue
        problem = warning(
            "PREARRANGED_FROM_REMARK",
            f"备注写明已获“{hosts[0]}”接收，已按预先接收单位安排（待确认）；"
            "请核实接收情况，并在“预先接收单位”列填写该单位",
        )
        issue = problem.issue(a.source_file, a.source_row, REMARK_COLUMN)
        out[at] = a.model_copy(
            update={
                "prearranged": hosts[0],
                "prearranged_from_remark": True,
                "problems": (*a.problems, issue),
            }
        )
    return applicants.replaced(out)


def _host_names(catalogue: HostCatalogue) -> tuple[tuple[str, str], ...]:
    """(cleaned name or alias, host name) of every host, longest first."""
    pairs: dict[str, str] = {}
    for host in catalogue.hosts:
        for name in (host.name, *host.aliases):
            key = clean_name(name)
            if len(key) >= 2:
                pairs.setdefault(key, host.name)
    return tuple(sorted(pairs.items(), key=lambda p: (-len(p[0]), p[0])))


@lru_cache(maxsize=4096)
def _named(remark: str, names: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The hosts `remark` names with words of acceptance (catalogue order of finding)."""
    text = clean_name(remark)
    if not ACCEPTANCE.search(text) or DENIAL.search(text):
        return ()
    taken = [False] * len(text)
    found: dict[str, None] = {}
    for key, host in names:  # longest first: 北京大学第一医院 before 北京大学
        start = text.find(key)
        while start >= 0:
            span = range(start, start + len(key))
            if not any(taken[i] for i in span):
                for i in span:
                    taken[i] = True
                found[host] = None
            start = text.find(key, start + 1)
    return tuple(found)
