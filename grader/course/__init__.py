"""The course: course.toml, typed exercise specs, starters, instructor checks.

- `loader`      course.toml, its folders and reference modules (`Course`, `find_course`)
- `tables`      the pydantic models of a spec file's tables, and `Limits`
- `spec`        loading spec files into `ExerciseSpec`s, one broken spec not taking the rest
- `references`  what a spec points at: reference functions and quiz questions
- `validation`, `tomlpos`   pydantic's errors as one line at the key's line
- `typewalk`, `typewords`, `wording`   an error's location through the models, what a key
  takes, values quoted and the nearest valid key
- `names`, `starters`, `instructor`, `specdoc`   notebook names, starters, `grade check`, docs/specs.md
"""

from grader.course.loader import Course, find_course, load_course, natural_key

__all__ = ["Course", "find_course", "load_course", "natural_key"]
