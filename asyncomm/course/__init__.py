"""The course around the library: finding and copying the chapters, the exercises, progress.

* :mod:`~asyncomm.course.locator` -- where the chapters and data are, and copying them for a learner;
* :mod:`~asyncomm.course.exercises` -- the self-checking exercises (``ac.exercises.get("02b.five-clicks")``);
* :mod:`~asyncomm.course.progress` -- ``python -m asyncomm progress``.

A wheel ships the chapters in ``notebooks/`` and ``data/`` beside these modules.

>>> from asyncomm.course import glossary
>>> len(glossary()) > 20
True
"""

from __future__ import annotations

from asyncomm.course import exercises
from asyncomm.course.locator import CopyReport, copy_course, data_path, glossary, load_seed_example, notebooks_dir

__all__ = ["CopyReport", "copy_course", "data_path", "exercises", "glossary", "load_seed_example", "notebooks_dir"]
