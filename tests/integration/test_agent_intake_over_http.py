"""A village agent's application over real HTTP against a real township process: without the
scanned entrustment (委托书) it is not registered and nothing is written; with it the page says what
happens next; the next application has the agent's own identity filled in already."""

from __future__ import annotations

import io
import re

from tests.integration.test_intake_over_http import PNG
from tests.support.township import Browserless

ITEM = "370613-MZ-001"  # 最低生活保障, open at village agency points; M05 is its 委托书
AGENT_ID = "370613198001010011"


def application(page: str, **extra: object) -> dict:
    return {
        "case_id": re.search(r'name="case_id" value="([^"]+)"', page).group(1),
        "name": "王秀英",
        "id_number": "11010519491231002X",
        "phone": "13905351234",
        "proxy_name": "李秀英",
        "proxy_id_number": AGENT_ID,
        "proxy_phone": "13805350000",
        "received": ["M01", "M02", "M03"],
        **extra,
    }


def test_an_agent_application_needs_the_entrustment_scan_and_says_what_happens_next(township):
    agent = Browserless(township.url)
    agent.login("daiban")
    page = agent.get(f"/intake/new/{ITEM}").text
    assert 'id="agent-remembered"' not in page
    before = agent.get("/cases/").text.count("<tr")
    ticked_only = application(page, received=["M01", "M02", "M03", "M05"])
    refused = agent.post(f"/intake/new/{ITEM}", ticked_only)
    assert refused.status_code == 422
    assert "代办申请须上传申请人签字（或按手印）的委托书扫描件。" in refused.text
    assert agent.get("/cases/").text.count("<tr") == before

    made = agent.post(
        f"/intake/new/{ITEM}",
        application(page),
        files={"scan_M05": ("wts.png", io.BytesIO(PNG), "image/png")},
    )
    assert made.status_code == 200 and 'id="agent-next"' in made.text
    assert "代办申请已提交" in made.text and "接下来" in made.text
    number = re.search(r'<span class="mono big">([^<]+)</span>', made.text).group(1)
    assert f"办件编号 {number}" in made.text and "中心窗口核对材料后决定" in made.text

    again = agent.get(f"/intake/new/{ITEM}").text
    assert 'id="agent-remembered"' in again
    assert f'value="{AGENT_ID}"' in again and 'value="13805350000"' in again
