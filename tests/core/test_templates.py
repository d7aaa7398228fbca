"""How templates are written where a slip shows only on screen."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FACTS = re.compile(r'<dl class="facts">(.*?)</dl>', re.S)


def test_each_fact_of_a_facts_list_keeps_its_label_above_its_value():
    """`.facts` lays its children out in a grid: a <dt> or <dd> directly inside it
    becomes a cell of its own, and labels drift away from their values (a data
    request's "Person" above the date it was received). Each pair sits in a <div>."""
    loose = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for block in FACTS.findall(path.read_text(encoding="utf-8")):
            unwrapped = re.sub(r"<div[^>]*>\s*<dt>.*?</dd>\s*</div>", "", block, flags=re.S)
            if "<dt>" in unwrapped or "<dd" in unwrapped:
                loose.append(path.relative_to(TEMPLATES).as_posix())
    assert loose == []
