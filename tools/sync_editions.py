"""Bring the Chinese edition (notebooks/zh/) in step with the English chapters, or stamp its translations.

    .venv/bin/python tools/sync_editions.py                # every chapter: copy code, list what needs a person
    .venv/bin/python tools/sync_editions.py 02a-async-basics.ipynb
    .venv/bin/python tools/sync_editions.py --stamp 02a-async-basics.ipynb   # after translating its prose

See asyncomm/course/editions.py for the rules; tests/test_editions.py holds both editions to them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from asyncomm.course import editions

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, notebook: dict) -> None:
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter file names (default: all)")
    parser.add_argument("--stamp", action="store_true", help="record the English texts the translations follow")
    args = parser.parse_args()
    names = args.chapters or sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    (NOTEBOOKS / "zh").mkdir(exist_ok=True)
    status = 0
    for name in names:
        en_path, zh_path = NOTEBOOKS / Path(name).name, NOTEBOOKS / "zh" / Path(name).name
        en = _read(en_path)
        zh = _read(zh_path) if zh_path.exists() else None
        if args.stamp:
            if zh is None:
                print(f"{name}: no Chinese edition yet; run without --stamp first")
                status = 1
                continue
            todo = editions.stamp(en, zh)
            _write(zh_path, zh)
        else:
            notebook, todo = editions.sync(en, zh)
            _write(zh_path, notebook)
        print(f"{name}: {'in step' if not todo else f'{len(todo)} cells need a person'}")
        for line in todo:
            print("   ", line)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
