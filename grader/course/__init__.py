"""The course: course.toml, typed exercise specs, starters, instructor checks."""

from grader.course.loader import Course, find_course, load_course, natural_key

__all__ = ["Course", "find_course", "load_course", "natural_key"]
